"""Surrogate-gradient spiking layers over time: LIF/IF populations, a leaky-integrator readout, readouts and losses.

The neurons are the ones of :mod:`neurofab.spiking.neurons` (same parameters, same exact-integration propagators,
same order of operations within a step). A layer works in the *normalized* potential

    u = (V − v_reset) / (v_th − v_reset)        (threshold at u = 1, reset-to-zero at u = 0)

and takes a dimensionless input ``x`` per step: with delta synapses ``x`` is a jump of ``x·(v_th − v_reset)`` volts;
with exponential-current synapses a current jump of ``x·(v_th − v_reset)/P_ms`` amperes, i.e. the membrane rise it
causes one step later (:attr:`NeuronConstants.input_unit` gives the SI value of one unit). One step (Rotter &
Diesmann 1999 exact integration, as :func:`neurofab.spiking.neurons.lif_step`):

    z_t = β u_{t−1} + c + x_t                 (delta)     or   β u_{t−1} + c + j_{t−1},  j_t = α j_{t−1} + x_t
    z_t ← u_{t−1} while refractory
    s_t = H(z_t − 1)                          (not while refractory)
    u_t = z_t − s_t  (reset by subtraction)   or   z_t (1 − s_t)  (reset to v_reset)

with β = exp(−dt/τ_m) (1 for IF), α = exp(−dt/τ_syn), c = (1 − β) u_rest + P_dc i_bias/(v_th − v_reset).

Two equivalent ways to run it:

- :func:`lif_scan` — a fused custom autograd over all T steps: the forward loop keeps only z_t (turned into the
  surrogate slope σ'(z_t − 1) after the loop); the backward loop is the hand-written adjoint recursion
  (with gₜ = ∂L/∂u_t, detached reset by subtraction, delta synapses):

      ∂L/∂x_t = ∂L/∂s_t · σ'(z_t − 1) + β ∂L/∂x_{t+1}

  plus the terms for reset to zero, an attached reset, refractoriness and synaptic currents (see the code).
  For delta synapses without refractoriness on the CPU both loops run compiled over all neurons at once
  (:mod:`neurofab.spiking.train_kernels`), keeping only the spikes and the surrogate slopes per step.
- :func:`lif_layer_step` — one step of :func:`neurofab.spiking.neurons.step` with a surrogate spike function: a
  pure function of explicit state (``state = step(state, x)``) that ``torch.compile`` and ``vmap`` take as is.

The test suite checks the two against each other (forward and gradients) and against hand-stepped neurons.
A layer with a learnable decay β or threshold θ runs :func:`param_scan` (plain torch autograd over the steps).

snnTorch's order of operations (:class:`SnnTorchLIFConfig`, made by ``leaky(..., snntorch_compat=True)`` and
``synaptic(..., snntorch_compat=True)``; its ``Leaky``/``Synaptic`` with the default ``reset_delay=True``). The state m
is the membrane *before* the reset (snnTorch's ``mem``); the reset of step t is taken from the previous step's membrane
and carries no gradient:

    r_t = H(m_{t−1} − θ)  (detached),   d_t = x_t  (delta)   or   d_t = j_t,  j_t = α j_{t−1} + x_t  (current)
    m_t = β m_{t−1} + d_t − θ r_t              (subtract)
    m_t = β (1 − r_t) m_{t−1} + d_t            (zero, delta: snnTorch's Leaky)
    m_t = (1 − r_t) (β m_{t−1} + d_t)          (zero, current: snnTorch's Synaptic drops the step's input too)
    s_t = H(m_t − θ)   (surrogate gradient)

so r_t = s_{t−1}: after a spike the membrane is β m − θ (ours: β (m − θ), a reset stronger by (1 − β) θ there). For
reset to zero with delta synapses the spikes are those of our own order; the state differs (m before the reset).
On the CPU these layers run compiled scans: :func:`lif_scan`'s (:mod:`neurofab.spiking.train_kernels`; fixed β and θ,
delta synapses), the leaky scan of :mod:`neurofab.spiking.leaky_scan` (learnable β/θ, and the membrane of
:class:`~neurofab.spiking.neuron_layers.Synaptic`); otherwise :func:`param_scan` (torch autograd); ``mode="step"`` runs
:func:`param_scan` too (:func:`neurofab.spiking.neurons.step` has only our order). Only a detached reset exists there
(``detach_reset=False`` is a ConfigError). snnTorch's spike is H(m − θ > 0), ours m ≥ θ: they differ only where m equals
θ exactly.

A layer's time step lives in one place: a config made by :func:`leaky` or :func:`synaptic` carries its ``dt``
(:class:`SteppedLIFConfig`) and the layer takes it; a different ``dt`` given to the layer is a ConfigError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError, record, recording
from neurofab.spiking import train_kernels as kern
from neurofab.spiking.conv_pool import conv_pool, conv_pool_applies
from neurofab.spiking.event_conv import event_conv2d
from neurofab.spiking.event_linear import event_linear, kernel_threads
from neurofab.spiking.leaky_scan import fused_leaky_scan
from neurofab.spiking.leaky_scan import kernel_applies as leaky_kernel_applies
from neurofab.spiking.neurons import IFConfig, LIFConfig, LIFState, Propagators, SynapticInput, propagators, step
from neurofab.spiking.pooling import max_pool2x2, pool_applies
from neurofab.spiking.surrogate import SURROGATES, Surrogate, spike
from neurofab.spiking.surrogate import surrogate as make_surrogate

LinearNeuron = LIFConfig | IFConfig  #: the neurons whose sub-threshold dynamics are linear


# ----- constants of a population in normalized units --------------------------------------------------------------
class NeuronConstants(NamedTuple):
    """Per-step constants of one neuron type at one ``dt``, in normalized units (see the module docstring)."""

    decay: float  #: β = exp(−dt/τ_m); 1 for IF
    syn_decay: float  #: α = exp(−dt/τ_syn_exc) for current synapses; 0 for delta synapses
    current: bool  #: exponential-current synapses (else delta)
    drive: float  #: c, the constant rise per step [normalized potential]
    u_rest: float  #: resting potential (initial state) [normalized potential]
    reset_zero: bool  #: reset to v_reset (else by subtraction of v_th − v_reset)
    refractory_steps: int  #: round(t_ref/dt)
    v_reset: float  #: reference of the normalization [V]
    scale: float  #: v_th − v_reset [V]
    input_unit: float  #: SI value of one unit of input: [V] (delta) or [A] (current synapses)
    snntorch: bool = False  #: snnTorch's order of operations (:class:`SteppedLIFConfig` ``snntorch_compat``)


def neuron_constants(neuron: LinearNeuron, dt: float) -> NeuronConstants:
    """The normalized per-step constants of ``neuron`` (LIFConfig or IFConfig) for a time step ``dt`` [s]."""
    if not isinstance(neuron, LIFConfig | IFConfig):
        raise InputTypeError(f"neuron must be a LIFConfig or IFConfig, got {type(neuron).__name__}")
    if neuron.synapse == "conductance":
        raise ConfigError("LIFConfig.synapse = 'conductance': the surrogate-gradient layers need linear synapses; "
                          "use synapse='delta' or 'current'")
    prop = propagators(_our_step_config(neuron), dt)
    scale = neuron.v_th - neuron.v_reset
    u_rest = (neuron.v_rest - neuron.v_reset) / scale if isinstance(neuron, LIFConfig) else 0.0
    current = neuron.synapse == "current"
    return NeuronConstants(
        decay=prop.decay_m,
        syn_decay=prop.decay_exc if current else 0.0,
        current=current,
        drive=(1.0 - prop.decay_m) * u_rest + prop.dc_gain * neuron.i_bias / scale,
        u_rest=u_rest,
        reset_zero=neuron.reset_mode == "zero",
        refractory_steps=prop.refractory_steps,
        v_reset=neuron.v_reset,
        scale=scale,
        input_unit=scale / prop.coupling_exc if current else scale,
        snntorch=bool(getattr(neuron, "snntorch_compat", False)),
    )


class SteppedLIFConfig(LIFConfig):
    """A :class:`LIFConfig` that carries the time step it was specified at: a layer built from it runs at ``dt``
    (giving the layer another ``dt`` is a ConfigError). Made by :func:`leaky` and :func:`synaptic`."""

    dt: float = Field(..., gt=0, description="time step the neuron's per-step decays refer to [s]")


class SnnTorchLIFConfig(SteppedLIFConfig):
    """A :class:`SteppedLIFConfig` run in snnTorch's order of operations (its ``Leaky``/``Synaptic`` with
    ``reset_delay=True``; the module docstring): made by ``leaky(..., snntorch_compat=True)`` and
    ``synaptic(..., snntorch_compat=True)``. Only the training layers run it; the event simulator
    (:mod:`neurofab.spiking.network`) refuses it (its step has our order only)."""

    snntorch_compat: bool = Field(True, description="snnTorch's order: the reset is taken from the previous step's "
                                  "membrane and subtracted after the decay; current synapses feed the membrane in "
                                  "the same step")

    @model_validator(mode="after")
    def _check_compat(self) -> SnnTorchLIFConfig:
        if self.snntorch_compat and (self.t_ref != 0.0 or self.synapse == "conductance"):
            raise ValueError(f"snntorch_compat = True needs t_ref = 0 and delta or current synapses (got t_ref = "
                             f"{self.t_ref!r} s, synapse = {self.synapse!r})")
        return self


def _our_step_config(neuron: LinearNeuron) -> LinearNeuron:
    """The neuron as the built-in step reads it (an :class:`SnnTorchLIFConfig` without its order flag)."""
    if isinstance(neuron, SnnTorchLIFConfig):
        return SteppedLIFConfig(**neuron.model_dump(exclude={"snntorch_compat"}))
    return neuron


def _check_dt(dt: object) -> None:
    if isinstance(dt, bool) or not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")


def resolve_dt(neuron: object, dt: float | None, who: str) -> float:
    """The one time step of a layer: the neuron config's own ``dt`` (a :class:`SteppedLIFConfig`), else ``dt``,
    else 1 ms. Both given and different → ConfigError naming both."""
    own = getattr(neuron, "dt", None)
    if dt is not None:
        _check_dt(dt)
    if own is not None and dt is not None and not math.isclose(own, dt, rel_tol=1e-12, abs_tol=0.0):
        raise ConfigError(f"{who}: dt = {dt!r} s conflicts with the neuron config's dt = {own!r} s (the config was "
                          "made for that step); give dt once")
    return float(own if own is not None else dt if dt is not None else 1e-3)


def leaky(beta: float = 0.95, dt: float = 1e-3, reset: Literal["subtract", "zero"] = "subtract",
          threshold: float = 1.0, snntorch_compat: bool = False) -> SteppedLIFConfig:
    """A LIF neuron with delta synapses, no refractory period and rest = reset = 0 whose membrane decays by
    ``beta`` per step ``dt`` (τ_m = −dt/ln β): the discrete neuron of snnTorch's ``Leaky`` (published default
    threshold 1), expressed as a :class:`LIFConfig` that carries ``dt`` (a layer built from it runs at ``dt``).
    ``threshold`` is in volts. ``snntorch_compat=True`` takes snnTorch's order of operations as well (the reset
    subtracted after the decay, see the module docstring), so that spikes and membrane equal its ``Leaky``'s."""
    if not 0.0 < beta < 1.0:
        raise ConfigError(f"beta = {beta!r}: must be in (0, 1) (use IFConfig for a non-leaky neuron)")
    _check_dt(dt)
    cls = SnnTorchLIFConfig if snntorch_compat else SteppedLIFConfig
    return cls(tau_m=-dt / math.log(beta), v_rest=0.0, v_reset=0.0, v_th=threshold, t_ref=0.0, reset_mode=reset,
               synapse="delta", dt=float(dt))


def synaptic(alpha: float = 0.9, beta: float = 0.8, dt: float = 1e-3, reset: Literal["subtract", "zero"] = "subtract",
             threshold: float = 1.0, snntorch_compat: bool = False) -> SteppedLIFConfig:
    """A current-based LIF neuron whose synaptic current decays by ``alpha`` and membrane by ``beta`` per step
    ``dt`` (τ_syn = −dt/ln α, τ_m = −dt/ln β), rest = reset = 0, no refractory period: the neuron of snnTorch's
    ``Synaptic`` except that our membrane sees the current one step later (z_t = β u_{t−1} + j_{t−1}; snnTorch
    adds the current of the same step), so its spikes come one step after snnTorch's on the same input.
    ``snntorch_compat=True`` gives snnTorch's ``Synaptic`` exactly: the current of the same step and its reset
    (module docstring)."""
    for name, v in (("alpha", alpha), ("beta", beta)):
        if not 0.0 < v < 1.0:
            raise ConfigError(f"{name} = {v!r}: must be in (0, 1)")
    _check_dt(dt)
    cls = SnnTorchLIFConfig if snntorch_compat else SteppedLIFConfig
    return cls(tau_m=-dt / math.log(beta), tau_syn_exc=-dt / math.log(alpha), v_rest=0.0, v_reset=0.0,
               v_th=threshold, t_ref=0.0, reset_mode=reset, synapse="current", dt=float(dt))


# ----- explicit state ---------------------------------------------------------------------------------------------
class LayerState(NamedTuple):
    """State of a population in normalized units."""

    u: torch.Tensor  #: membrane potential after the last step's reset
    j: torch.Tensor  #: synaptic current (zeros for delta synapses)
    refractory: torch.Tensor  #: remaining refractory steps (int32)


def initial_state(consts: NeuronConstants, like: torch.Tensor) -> LayerState:
    """Neurons at rest, of the shape, dtype and device of ``like`` (one time step of input)."""
    return LayerState(torch.full_like(like, consts.u_rest), torch.zeros_like(like),
                      torch.zeros(like.shape, dtype=torch.int32, device=like.device))


# ----- the fused scan ---------------------------------------------------------------------------------------------
def _scan_forward(x: torch.Tensor, u0: torch.Tensor, j0: torch.Tensor, ref0: torch.Tensor, consts: NeuronConstants):
    """The forward recursion over all steps (no allocation inside the loop): z (pre-reset potential) per step, the
    refractory mask per step (None when no neuron is ever refractory), spikes and the final state."""
    beta, alpha, c = consts.decay, consts.syn_decay, consts.drive
    n_ref = consts.refractory_steps
    refractory = n_ref > 0 or bool((ref0 > 0).any())
    z_all = torch.empty_like(x)
    spikes = torch.empty_like(x)
    active_all = torch.empty(x.shape, dtype=torch.bool, device=x.device) if refractory else None
    u, j, ref = u0.clone(), j0.clone(), ref0.clone()
    for t in range(x.shape[0]):
        z, s = z_all[t], spikes[t]
        if consts.current:
            torch.add(j, u, alpha=beta, out=z)
            j.mul_(alpha).add_(x[t])
        else:
            torch.add(x[t], u, alpha=beta, out=z)
        if c != 0.0:
            z.add_(c)
        if refractory:
            a = ref <= 0
            z.copy_(torch.where(a, z, u))
            active_all[t] = a
            torch.ge(z, 1.0, out=s)
            s.mul_(a)
            fired = s > 0
            ref = torch.where(fired, n_ref, torch.where(a, 0, ref - 1)).to(torch.int32)
        else:
            torch.ge(z, 1.0, out=s)
        if consts.reset_zero:
            torch.addcmul(z, z, s, value=-1.0, out=u)  # u = z (1 − s)
        else:
            torch.sub(z, s, out=u)
    return z_all, active_all, spikes, u, j, ref


def _kernel_scan_applies(x: torch.Tensor, ref0: torch.Tensor, consts: NeuronConstants) -> bool:
    """The compiled scan covers delta synapses without refractoriness, float32/float64 on the CPU."""
    return (x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and not consts.current
            and consts.refractory_steps == 0 and not bool((ref0 > 0).any()))


def _kernel_params(consts: NeuronConstants, sg: Surrogate | None, dtype: torch.dtype):
    a, b, c = (0.0, 0.0, 0.0) if sg is None else kern.surrogate_params(sg.name, sg.model_dump())
    return torch.tensor([consts.decay, consts.drive, 1.0, 0.0, a, b, c], dtype=dtype).numpy()


def _surrogate_code(sg: Surrogate) -> int:
    """The kernel code of a built-in surrogate; NO_SLOPE for any other (its slopes are then taken in torch)."""
    builtin = SURROGATES.names()
    if sg.name in builtin and type(sg) is type(make_surrogate(sg.name)):
        return kern.SURROGATE_CODES.get(sg.name, kern.NO_SLOPE)
    return kern.NO_SLOPE


_EMPTY = {dt: torch.empty(1, 0, dtype=dt) for dt in (torch.float32, torch.float64)}


def _kernel_scan(x: torch.Tensor, u0: torch.Tensor, consts: NeuronConstants, sg: Surrogate | None,
                 keep_z: bool):
    """Spikes, slopes (None when ``sg`` is None), z (when ``keep_z`` or the surrogate has no kernel code) and the
    final potential, by :func:`neurofab.spiking.train_kernels.lif_forward`."""
    kernel_threads()
    flat = x.detach().reshape(x.shape[0], -1).contiguous()
    u = u0.detach().reshape(-1).to(x.dtype, copy=True).contiguous()
    spikes = torch.empty_like(flat)
    code = kern.NO_SLOPE if sg is None else _surrogate_code(sg)
    slope = torch.empty_like(flat) if code != kern.NO_SLOPE else None
    need_z = keep_z or (sg is not None and code == kern.NO_SLOPE)
    z = torch.empty_like(flat) if need_z else None
    empty = _EMPTY[x.dtype]
    kern.lif_forward(flat.numpy(), u.numpy(), _kernel_params(consts, sg, x.dtype), consts.reset_zero, consts.snntorch,
                     code,
                     spikes.numpy(), (empty if slope is None else slope).numpy(), (empty if z is None else z).numpy())
    if sg is not None and slope is None:
        slope = sg.grad(z - 1.0)
    return spikes.reshape(x.shape), slope, z if keep_z else None, u.reshape(u0.shape)


class _LIFScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, u0, j0, ref0, consts: NeuronConstants, sg: Surrogate, detach_reset: bool):
        keep_z = consts.reset_zero and not detach_reset
        if _kernel_scan_applies(x, ref0, consts):
            spikes, slope, z, u = _kernel_scan(x, u0, consts, sg, keep_z)
            ctx.save_for_backward(slope, spikes, z, None)
            ctx.consts, ctx.detach_reset, ctx.refractory, ctx.kernel = consts, detach_reset, False, True
            j, ref = j0.clone(), ref0.clone()
            ctx.mark_non_differentiable(u, j, ref)
            return spikes, u, j, ref
        z_all, active_all, spikes, u, j, ref = _scan_forward(x, u0, j0, ref0, consts)
        slope = sg.grad(z_all - 1.0) if keep_z else sg.grad_(z_all.sub_(1.0))  # in place when z is not kept
        if active_all is not None:
            slope.mul_(active_all)
        ctx.save_for_backward(slope, spikes, z_all if keep_z else None, active_all)
        ctx.consts, ctx.detach_reset, ctx.refractory = consts, detach_reset, active_all is not None
        ctx.kernel = False
        ctx.mark_non_differentiable(u, j, ref)
        return spikes, u, j, ref

    @staticmethod
    def backward(ctx, g_spikes, _gu, _gj, _gref):
        slope, spikes, z_all, active_all = ctx.saved_tensors
        consts, detach = ctx.consts, ctx.detach_reset
        beta, alpha = consts.decay, consts.syn_decay
        if ctx.kernel:
            n_steps = g_spikes.shape[0]
            g = g_spikes.reshape(n_steps, -1).contiguous()
            gx = torch.empty_like(g)
            z = _EMPTY[g.dtype] if z_all is None else z_all.reshape(n_steps, -1)
            kernel_threads()
            kern.lif_backward(g.numpy(), slope.reshape(n_steps, -1).numpy(), spikes.reshape(n_steps, -1).numpy(),
                              z.numpy(), _kernel_params(consts, None, g.dtype), consts.reset_zero, detach, gx.numpy())
            return gx.reshape(g_spikes.shape), None, None, None, None, None, None
        # ∂L/∂z_t (before the reset) collects the direct term ∂L/∂s_t σ'_t and the future through u_t.
        direct = g_spikes * slope
        simple = not consts.reset_zero and detach and not ctx.refractory and not consts.current
        if simple:  # the default: ∂L/∂x_t = direct_t + β ∂L/∂x_{t+1}
            for t in range(direct.shape[0] - 2, -1, -1):
                direct[t].add_(direct[t + 1], alpha=beta)
            return direct, None, None, None, None, None, None
        if consts.reset_zero:  # ∂u_t/∂z_t = 1 − s_t (− σ'_t z_t when the reset is attached)
            carry = 1.0 - spikes if detach else 1.0 - spikes - slope * z_all
        else:
            carry = None if detach else 1.0 - slope
        gx = torch.empty_like(direct)
        gu = torch.zeros_like(direct[0])
        gj = torch.zeros_like(direct[0])
        for t in range(direct.shape[0] - 1, -1, -1):
            g1 = direct[t] + (gu if carry is None else gu * carry[t])  # ∂L/∂z_t after the refractory clamp
            if ctx.refractory:
                a = active_all[t]
                gz = g1 * a
                gu = beta * gz + g1 * ~a
            else:
                gz = g1
                gu = beta * gz
            if consts.current:
                gx[t] = gj
                gj = gz + alpha * gj
            else:
                gx[t] = gz
        return gx, None, None, None, None, None, None


def _check_input(x: torch.Tensor, who: str, finite: bool = True) -> None:
    if not isinstance(x, torch.Tensor):
        raise InputTypeError(f"{who}: input must be a torch tensor of shape (T, batch, ...), got {type(x).__name__}")
    if x.dim() < 2:
        raise ShapeError(f"{who}: input must have shape (T, batch, ...), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise InputTypeError(f"{who}: input must be floating point, got {x.dtype}")
    if x.shape[0] == 0:
        raise ShapeError(f"{who}: input has no time steps (shape {tuple(x.shape)})")
    if finite and not torch.isfinite(x.sum()):  # one reduction: NaN and ±inf propagate into the sum
        if not torch.isfinite(x).all():
            raise NumericalError(f"{who}: input holds NaN or infinite values")


def _check_state(state: LayerState, like: torch.Tensor, who: str) -> None:
    if not isinstance(state, LayerState):
        raise InputTypeError(f"{who}: state must be a LayerState, got {type(state).__name__}")
    for name, t in zip(LayerState._fields, state):
        if tuple(t.shape) != tuple(like.shape):
            raise ShapeError(f"{who}: state.{name} has shape {tuple(t.shape)}, one time step of input has "
                             f"{tuple(like.shape)}")


def lif_scan(x: torch.Tensor, consts: NeuronConstants, sg: Surrogate | str = "fast_sigmoid",
             detach_reset: bool = True, state: LayerState | None = None,
             check: bool = True) -> tuple[torch.Tensor, LayerState]:
    """Run a population over all T steps of ``x`` (shape (T, batch, ...), normalized input) with the fused
    custom autograd. Returns the spikes (T, batch, ...) and the final state (which carries no gradient: losses
    are taken on the spikes; use :func:`lif_layer_step` when the state itself must be differentiated).
    ``check=False`` skips the NaN scan of ``x`` (for callers that checked their own input).
    """
    _check_input(x, "lif_scan", check)
    if not isinstance(consts, NeuronConstants):
        raise InputTypeError(f"lif_scan: consts must be NeuronConstants (see neuron_constants), got "
                             f"{type(consts).__name__}")
    sg = make_surrogate(sg)
    if state is None:
        state = initial_state(consts, x[0])
    _check_state(state, x[0], "lif_scan")
    if consts.snntorch and not detach_reset:
        raise ConfigError("lif_scan: detach_reset = False: snnTorch's order (snntorch_compat) has a detached reset "
                          "only")
    if consts.snntorch and not _kernel_scan_applies(x, state.refractory, consts):  # no torch loop of that order here
        return param_scan(x, consts, None, None, sg, detach_reset, state, check=False)
    if not (torch.is_grad_enabled() and x.requires_grad):  # inference: no surrogate slopes to keep
        if _kernel_scan_applies(x, state.refractory, consts):
            spikes, _, _, u = _kernel_scan(x, state.u, consts, None, False)
            return spikes, LayerState(u, state.j.clone(), state.refractory.clone())
        _, _, spikes, u, j, ref = _scan_forward(x, state.u, state.j, state.refractory, consts)
        return spikes, LayerState(u, j, ref)
    spikes, u, j, ref = _LIFScan.apply(x, state.u.detach(), state.j.detach(), state.refractory, consts, sg,
                                       bool(detach_reset))
    return spikes, LayerState(u, j, ref)


# ----- learnable β and threshold ----------------------------------------------------------------------------------
def _param_shape(shape: tuple[int, ...] | None) -> tuple[int, ...]:
    if shape is None:
        return ()
    if not isinstance(shape, tuple | list) or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ConfigError(f"param_shape = {shape!r}: must be None or a tuple of positive integers (one sample's "
                          "neurons)")
    return tuple(shape)


def param_scan(x: torch.Tensor, consts: NeuronConstants, beta: torch.Tensor | None, threshold: torch.Tensor | None,
               sg: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, state: LayerState | None = None,
               check: bool = True) -> tuple[torch.Tensor, LayerState]:
    """:func:`lif_scan` with a trainable decay β (None: the constants' own) and threshold θ (None: 1), in torch
    autograd over the steps (the compiled scan differentiates only the input). snnTorch's ``learn_beta`` /
    ``learn_threshold`` neuron, in normalized units, delta or current synapses, no refractoriness:

        z_t = β u_{t−1} + c(β) + x_t  (or + j_{t−1}),   s_t = H(z_t − θ),   u_t = z_t − s_t θ  or  z_t (1 − s_t)

    with β clamped to [0, 1], θ to ≥ 10⁻⁶, c(β) = (1 − β)/(1 − β₀)·c (the drive scales with the leak; β₀ the
    configured decay) and s_t detached in the reset when ``detach_reset``. The final state carries gradients.
    """
    _check_input(x, "param_scan", check)
    sg = make_surrogate(sg)
    if state is None:
        state = initial_state(consts, x[0])
    _check_state(state, x[0], "param_scan")
    if consts.refractory_steps or bool((state.refractory > 0).any()):
        raise ConfigError("param_scan: learnable β/θ need neurons without a refractory period")
    if consts.snntorch and not detach_reset:
        raise ConfigError("param_scan: detach_reset = False: snnTorch's order (snntorch_compat) has a detached "
                          "reset only")
    b = consts.decay if beta is None else beta.clamp(0.0, 1.0)
    th = 1.0 if threshold is None else threshold.clamp_min(1e-6)
    if beta is None or consts.drive == 0.0:
        c = consts.drive
    else:
        c = (1.0 - b) * (consts.drive / (1.0 - consts.decay))
    u, j = state.u, state.j
    out = []
    if consts.snntorch:  # the recursion of the module docstring, m kept before the reset
        for t in range(x.shape[0]):
            r = (u >= th).to(x.dtype)
            if consts.current:
                j = consts.syn_decay * j + x[t]
                d = j + c
            else:
                d = x[t] + c
            if consts.reset_zero:
                u = (1.0 - r) * (b * u + d) if consts.current else b * (1.0 - r) * u + d
            else:
                u = b * u + d - r * th
            out.append(spike(u - th, sg))
        return torch.stack(out), LayerState(u, j, state.refractory.clone())
    for t in range(x.shape[0]):
        if consts.current:
            z = b * u + j + c
            j = consts.syn_decay * j + x[t]
        else:
            z = b * u + x[t] + c
        s = spike(z - th, sg)
        r = s.detach() if detach_reset else s
        u = z * (1.0 - r) if consts.reset_zero else z - r * th
        out.append(s)
    return torch.stack(out), LayerState(u, j, state.refractory.clone())


# ----- the stepwise functional form -------------------------------------------------------------------------------
def neuron_state(consts: NeuronConstants, neuron: LinearNeuron, like: torch.Tensor) -> LIFState:
    """A population at rest as a :class:`~neurofab.spiking.neurons.LIFState` (SI units) for :func:`lif_layer_step`."""
    v = torch.full_like(like, consts.v_reset + consts.u_rest * consts.scale)
    zeros = torch.zeros_like(like)
    return LIFState(v=v, syn_exc=zeros, syn_inh=zeros.clone(),
                    refractory=torch.zeros(like.shape, dtype=torch.int32, device=like.device), spikes=zeros.clone())


def lif_layer_step(state: LIFState, x: torch.Tensor, neuron: LinearNeuron, prop: Propagators,
                   consts: NeuronConstants, sg: Surrogate, detach_reset: bool = True) -> LIFState:
    """One step of :func:`neurofab.spiking.neurons.step` driven by the normalized input ``x`` (shape (batch, ...)),
    with the surrogate ``sg`` applied to the normalized distance from threshold (V − v_th)/(v_th − v_reset).

    Pure: the new state is returned, nothing is mutated; ``torch.compile(lif_layer_step)`` works on it.
    """
    scale = consts.scale

    def spike_fn(d: torch.Tensor) -> torch.Tensor:
        return spike(d / scale, sg)

    return step(state, SynapticInput(exc=x * consts.input_unit), neuron, prop, spike_fn, detach_reset)


# ----- modules ----------------------------------------------------------------------------------------------------
class _TimeLayer(nn.Module):
    """A layer that takes the whole sequence (T, batch, ...) and keeps its own time recursion."""

    emits_spikes: bool = False  #: its output is spikes (synaptic operations downstream are counted)


class SpikingNeurons(_TimeLayer):
    """A population of IF/LIF neurons run over time; input (T, batch, ...) of normalized input, output spikes.

    Args:
        neuron: the neuron (:class:`LIFConfig` or :class:`IFConfig`, delta or current synapses).
        dt: time step [s]; None takes the neuron config's own (:class:`SteppedLIFConfig`, made by :func:`leaky`),
            else 1 ms. A dt that conflicts with the config's is a ConfigError.
        surrogate: surrogate gradient (name or :class:`~neurofab.spiking.surrogate.Surrogate`).
        detach_reset: no gradient through the reset (Zenke & Vogels 2021 found it trains as well or better).
        mode: ``"fused"`` (:func:`lif_scan`) or ``"step"`` (a loop of :func:`lif_layer_step`; the reference).
        learn_beta: make the membrane decay β a trainable parameter (LIF only; clamped to [0, 1] in use).
        learn_threshold: make the threshold θ a trainable parameter, in units of v_th − v_reset above v_reset
            (starts at 1, i.e. v_th; clamped to ≥ 10⁻⁶ in use).
        param_shape: shape of one sample's neurons for per-neuron β/θ; None (default) gives one per layer.

    With a learnable β or θ, or a neuron in snnTorch's order (:class:`SnnTorchLIFConfig`), the layer runs the
    recursion of :func:`param_scan` whatever ``mode`` says: by the
    compiled scan of :mod:`~neurofab.spiking.leaky_scan` (delta synapses on the CPU, β/θ of shape () or of one
    sample's neurons; the final state then carries no gradient), else by :func:`param_scan` itself (torch
    autograd over the steps).
    """

    emits_spikes = True

    def __init__(self, neuron: LinearNeuron, dt: float | None = None, surrogate: Surrogate | str = "fast_sigmoid",
                 detach_reset: bool = True, mode: Literal["fused", "step"] = "fused", learn_beta: bool = False,
                 learn_threshold: bool = False, param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if mode not in ("fused", "step"):
            raise ConfigError(f"mode = {mode!r}: must be 'fused' or 'step'")
        dt = resolve_dt(neuron, dt, type(self).__name__)
        self.neuron = neuron
        self.dt = dt
        self.consts = neuron_constants(neuron, dt)
        self.prop = propagators(_our_step_config(neuron), dt)
        self.surrogate = make_surrogate(surrogate)
        self.detach_reset = bool(detach_reset)
        self.mode = mode
        shape = _param_shape(param_shape)
        if (learn_beta or learn_threshold) and self.consts.refractory_steps:
            raise ConfigError(f"{type(self).__name__}: learn_beta/learn_threshold need t_ref = 0 (the neuron has "
                              f"t_ref = {neuron.t_ref!r} s)")
        if learn_beta and not isinstance(neuron, LIFConfig):
            raise ConfigError(f"{type(self).__name__}: learn_beta needs a leaky neuron (LIFConfig); IF has β = 1")
        if self.consts.snntorch and not self.detach_reset:
            raise ConfigError(f"{type(self).__name__}: detach_reset = False: snnTorch's order (snntorch_compat) has "
                              "a detached reset only")
        self.beta = nn.Parameter(torch.full(shape, self.consts.decay)) if learn_beta else None
        self.threshold = nn.Parameter(torch.ones(shape)) if learn_threshold else None

    @property
    def learnable(self) -> bool:
        """Whether β or θ is a trainable parameter."""
        return self.beta is not None or self.threshold is not None

    def _fused_params_apply(self, x: torch.Tensor, state: LayerState | None) -> bool:
        """The compiled scan with trainable β/θ (:mod:`~neurofab.spiking.leaky_scan`) covers delta synapses on the
        CPU with parameters of shape () or of exactly one sample's neurons."""
        if self.consts.current or not isinstance(x, torch.Tensor) or not leaky_kernel_applies(x) or x.dim() < 2:
            return False
        if state is not None and bool((state.refractory > 0).any()):
            return False
        sample = tuple(x.shape[2:])
        return all(p is None or tuple(p.shape) in ((), sample) for p in (self.beta, self.threshold))

    def _fused_param_scan(self, x: torch.Tensor, state: LayerState | None,
                          check: bool) -> tuple[torch.Tensor, LayerState]:
        """:func:`param_scan`'s recursion, forward and gradients, by the compiled scan."""
        _check_input(x, type(self).__name__, check)
        c = self.consts
        if state is None:
            state = initial_state(c, x[0])
        _check_state(state, x[0], type(self).__name__)
        beta = (torch.tensor(c.decay, dtype=x.dtype) if self.beta is None else self.beta.clamp(0.0, 1.0))
        theta = (torch.ones((), dtype=x.dtype) if self.threshold is None else self.threshold.clamp_min(1e-6))
        if c.drive != 0.0:
            x = x + (c.drive if self.beta is None else (1.0 - beta) * (c.drive / (1.0 - c.decay)))
        spikes, u = fused_leaky_scan(x, beta, theta, state.u, self.surrogate, c.reset_zero, self.detach_reset,
                                     "leaky" if c.snntorch else None)
        return spikes, LayerState(u, state.j.clone(), state.refractory.clone())

    def extra_repr(self) -> str:
        learn = "".join(f", learn_{n}" for n in ("beta", "threshold") if getattr(self, n) is not None)
        return (f"{type(self.neuron).__name__}, dt={self.dt:g} s, β={self.consts.decay:.4g}, "
                f"surrogate={self.surrogate.name}, mode={self.mode}{learn}")

    def run(self, x: torch.Tensor, state: LayerState | None = None,
            check: bool = True) -> tuple[torch.Tensor, LayerState]:
        """Spikes (T, batch, ...) and the final state (normalized units); ``check=False`` skips the NaN scan."""
        if self.learnable and self._fused_params_apply(x, state):
            spikes, state = self._fused_param_scan(x, state, check)
        elif self.learnable or (self.consts.snntorch and self.mode == "step"):
            spikes, state = param_scan(x, self.consts, self.beta, self.threshold, self.surrogate, self.detach_reset,
                                       state, check)
        elif self.mode == "fused":
            spikes, state = lif_scan(x, self.consts, self.surrogate, self.detach_reset, state, check)
        else:
            _check_input(x, type(self).__name__, check)
            c = self.consts
            if state is None:
                st = neuron_state(c, self.neuron, x[0])
            else:
                _check_state(state, x[0], type(self).__name__)
                st = LIFState(v=c.v_reset + c.scale * state.u,
                              syn_exc=state.j * c.input_unit, syn_inh=torch.zeros_like(state.j),
                              refractory=state.refractory, spikes=torch.zeros_like(state.u))
            out = []
            for t in range(x.shape[0]):
                st = lif_layer_step(st, x[t], self.neuron, self.prop, c, self.surrogate, self.detach_reset)
                out.append(st.spikes)
            spikes = torch.stack(out)
            state = LayerState((st.v - c.v_reset) / c.scale, st.syn_exc / c.input_unit, st.refractory)
        if recording():
            record("spike", spikes.detach().sum())
            record("neuron_update", spikes[0].numel() * spikes.shape[0])
        return spikes, state

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        return self.run(x, check=check)[0]


class LIF(SpikingNeurons):
    """LIF neurons over time (default: :func:`leaky` with β = 0.95 at dt = 1 ms)."""

    def __init__(self, neuron: LIFConfig | None = None, dt: float | None = None,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True,
                 mode: Literal["fused", "step"] = "fused", learn_beta: bool = False, learn_threshold: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        neuron = leaky(0.95, 1e-3 if dt is None else dt) if neuron is None else neuron
        if not isinstance(neuron, LIFConfig):
            raise InputTypeError(f"LIF takes a LIFConfig, got {type(neuron).__name__} (use IF for IFConfig)")
        super().__init__(neuron, dt, surrogate, detach_reset, mode, learn_beta, learn_threshold, param_shape)


class IF(SpikingNeurons):
    """Non-leaky integrate-and-fire neurons over time (default: threshold 1 V, reset by subtraction, delta
    synapses: the neuron of rate-based ANN→SNN conversion)."""

    def __init__(self, neuron: IFConfig | None = None, dt: float | None = None,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True,
                 mode: Literal["fused", "step"] = "fused", learn_threshold: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        neuron = IFConfig(v_th=1.0, v_reset=0.0, reset_mode="subtract", synapse="delta") if neuron is None else neuron
        if not isinstance(neuron, IFConfig):
            raise InputTypeError(f"IF takes an IFConfig, got {type(neuron).__name__} (use LIF for LIFConfig)")
        super().__init__(neuron, dt, surrogate, detach_reset, mode, False, learn_threshold, param_shape)


def _decay_matrix(decay: float, n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """L[t, k] = decay^(t−k) for k ≤ t, else 0."""
    t = torch.arange(n, device=device, dtype=dtype)
    diff = t[:, None] - t[None, :]
    return torch.where(diff >= 0, torch.pow(torch.tensor(decay, dtype=dtype, device=device), diff.clamp_min(0)),
                       torch.zeros((), dtype=dtype, device=device))


class LI(_TimeLayer):
    """Leaky integrator readout (a LIF neuron without threshold): returns the normalized membrane trace (T, batch, …).

    Closed form over the whole sequence (one matrix product per synapse stage, exact and differentiable):
    u_t = β^(t+1) u_rest + Σ_{k≤t} β^(t−k) (y_k + c), with y_k = x_k (delta) or j_{k−1} (current synapses).
    """

    def __init__(self, neuron: LinearNeuron | None = None, dt: float | None = None) -> None:
        super().__init__()
        self.neuron = leaky(0.95, 1e-3 if dt is None else dt) if neuron is None else neuron
        self.dt = resolve_dt(self.neuron, dt, "LI")
        self.consts = neuron_constants(self.neuron, self.dt)
        if self.consts.refractory_steps:
            raise ConfigError("LI: a leaky integrator has no refractory period; give a neuron with t_ref = 0")

    def extra_repr(self) -> str:
        return f"{type(self.neuron).__name__}, dt={self.dt:g} s, β={self.consts.decay:.4g}"

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        _check_input(x, "LI", check)
        c = self.consts
        n = x.shape[0]
        flat = x.reshape(n, -1)
        if c.current:
            j = _decay_matrix(c.syn_decay, n, x.dtype, x.device) @ flat
            flat = torch.cat([torch.zeros_like(j[:1]), j[:-1]])
        powers = torch.pow(torch.tensor(c.decay, dtype=x.dtype, device=x.device),
                           torch.arange(1, n + 1, dtype=x.dtype, device=x.device))
        u = _decay_matrix(c.decay, n, x.dtype, x.device) @ (flat + c.drive) + powers[:, None] * c.u_rest
        if recording():
            record("neuron_update", flat.numel())
        return u.reshape(x.shape)


class SpikingSequential(nn.Sequential):
    """A feed-forward spiking network over time: input (T, batch, ...).

    Layers with their own time recursion (:class:`LIF`, :class:`IF`, :class:`LI`) see the whole sequence;
    every other module (``nn.Linear``, ``nn.Conv2d``, ``nn.Flatten``, ``nn.AvgPool2d`` …) is applied to all T steps
    at once (time folded into the batch), which turns T small matrix products into one large one; an ``nn.Linear``
    whose input is sparse (spikes, rate-coded pixels) runs event-driven (:func:`~neurofab.spiking.event_linear.
    event_linear`: only the nonzero inputs are visited, forward and for the weight gradient), so does an ``nn.Conv2d``
    on small maps with sparse input (:func:`~neurofab.spiking.event_conv.event_conv2d`: the convolution as its
    unrolled linear map; same sums, another order), and an ``nn.MaxPool2d(2)`` runs by the compiled 2 × 2 pool of
    :mod:`neurofab.spiking.pooling` (same values and gradients, a fraction of the cost) — fused with the
    convolution before it where that convolution has few input channels and its input needs no gradient
    (:mod:`neurofab.spiking.conv_pool`: the first layer on encoded images).
    When a ledger is open, synaptic operations of Linear/Conv2d layers fed by spikes are counted exactly
    (each input spike × its number of outgoing synapses, see :func:`fan_out`).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # the NaN scan of the input: in the event pass of a leading Linear when it runs event-driven, else here
        unchecked = len(self) > 0 and _plain_linear(self[0])
        _check_input(x, "SpikingSequential", finite=not unchecked)
        n_steps, batch = x.shape[0], x.shape[1]
        spikes_in: torch.Tensor | None = None  # the last spiking layer's output, while no weights have acted on it
        chain: list[nn.Module] = []
        modules = list(self)
        fused_next = False  # the module after a convolution run fused with it (conv_pool)
        for k, module in enumerate(modules):
            if fused_next:
                fused_next = False
                continue
            if isinstance(module, _TimeLayer):
                x = module(x, check=False)  # the input was checked on entry
                spikes_in, chain = (x, []) if module.emits_spikes else (None, [])
                continue
            if spikes_in is not None:
                chain.append(module)
                if isinstance(module, nn.Linear | nn.Conv2d):
                    if recording():
                        src = spikes_in.detach().reshape(n_steps * batch, *spikes_in.shape[2:])
                        record("synop", (src * self._fan_out(chain, tuple(src.shape[1:]))).sum(),
                               precision_tag(module.weight.dtype))
                    spikes_in, chain = None, []
            y = event_linear(x, module, check=unchecked) if _plain_linear(module) else None  # (T, batch, out)
            if isinstance(module, nn.Conv2d):
                y = event_conv2d(x, module)  # None unless a plain Conv2d on sparse input and small maps
                if y is None and k + 1 < len(modules):  # a first layer with few input channels, then MaxPool2d(2)
                    folded = x.reshape(n_steps * batch, *x.shape[2:])
                    if conv_pool_applies(module, modules[k + 1], folded):
                        y = conv_pool(folded, module)
                        y = y.reshape(n_steps, batch, *y.shape[1:])
                        fused_next = True
            if unchecked:
                if y is None:
                    _check_input(x, "SpikingSequential")
                unchecked = False
            if y is None:
                if isinstance(module, nn.RNNBase):
                    raise InputTypeError(f"SpikingSequential: {type(module).__name__} keeps its own time recursion "
                                         "and returns (output, state); SpikingSequential applies non-spiking modules "
                                         "to every step at once. Use a spiking layer (LIF, IF, LI) for the "
                                         "recursion, or run the RNN outside SpikingSequential")
                folded = x.reshape(n_steps * batch, *x.shape[2:])
                y = max_pool2x2(folded) if pool_applies(module, folded) else module(folded)
                if not isinstance(y, torch.Tensor):
                    raise InputTypeError(f"SpikingSequential: {type(module).__name__} returned a "
                                         f"{type(y).__name__}, not a tensor; every module must map a tensor to one")
                y = y.reshape(n_steps, batch, *y.shape[1:])
            x = y
        return x

    def _fan_out(self, chain: list[nn.Module], shape: tuple[int, ...]) -> torch.Tensor:
        cache = self.__dict__.setdefault("_fan_out_cache", {})
        key = (tuple(id(m) for m in chain), shape)
        if key not in cache:
            cache[key] = fan_out(chain, shape)
        return cache[key]


def _plain_linear(module: nn.Module) -> bool:
    """An ``nn.Linear`` itself (no subclass with its own forward, no hooks): the event-driven product may replace it."""
    return type(module) is nn.Linear and not (module._forward_hooks or module._forward_pre_hooks)


def precision_tag(dtype: torch.dtype) -> str:
    """The ledger precision tag of a weight dtype ("fp32", "fp16", "bf16", "fp64"; "int8" … for integer types)."""
    tags = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16", torch.float64: "fp64"}
    if dtype in tags:
        return tags[dtype]
    return f"int{torch.iinfo(dtype).bits}" if not dtype.is_floating_point and dtype != torch.bool else "int1"


def repeat_over_time(x: torch.Tensor, n_steps: int) -> torch.Tensor:
    """The same input at every step: (batch, ...) → (T, batch, ...) (a view, no copy) — constant-current coding."""
    if not isinstance(n_steps, int) or n_steps < 1:
        raise ConfigError(f"n_steps = {n_steps!r}: must be a positive integer")
    return x.unsqueeze(0).expand(n_steps, *x.shape)


# ----- connectivity ------------------------------------------------------------------------------------------------
def _indicator(module: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The module with every weight replaced by 1 and no bias (its connectivity), as a function."""
    if isinstance(module, nn.Linear):
        ones = torch.ones_like(module.weight, dtype=torch.float64)
        return lambda z: F.linear(z, ones)
    if isinstance(module, nn.Conv2d):
        ones = torch.ones_like(module.weight, dtype=torch.float64)
        return lambda z: F.conv2d(z, ones, None, module.stride, module.padding, module.dilation, module.groups)
    if isinstance(module, nn.AvgPool2d):
        return lambda z: F.avg_pool2d(z, module.kernel_size, module.stride, module.padding, module.ceil_mode,
                                      module.count_include_pad, module.divisor_override) * _pool_area(module)
    if isinstance(module, nn.Flatten | nn.Identity | nn.Dropout | nn.ReLU):
        return module
    raise InputTypeError(f"no connectivity rule for {type(module).__name__}; supported: Linear, Conv2d, AvgPool2d, "
                         "Flatten, Identity, Dropout")


def _pool_area(module: nn.AvgPool2d) -> float:
    k = module.kernel_size
    kh, kw = (k, k) if isinstance(k, int) else k
    return float(kh * kw)


def fan_out(modules: Sequence[nn.Module], input_shape: tuple[int, ...]) -> torch.Tensor:
    """Outgoing synapses of every input element through a chain of linear modules (shape ``input_shape``).

    Computed exactly as the transpose of the chain's connectivity applied to ones (a vector-Jacobian product of
    the all-ones-weight chain); for one Linear layer every input has ``out_features``, for a convolution the count
    falls at the borders. Used to count synaptic operations: Σ spikes × fan-out.
    """
    fns = [_indicator(m) for m in modules]
    with torch.enable_grad():
        x0 = torch.zeros((1, *input_shape), dtype=torch.float64, requires_grad=True)
        y = x0
        for fn in fns:
            y = fn(y)
        (g,) = torch.autograd.grad(y, x0, torch.ones_like(y))
    return g[0].to(torch.float32)


# ----- readouts and losses ------------------------------------------------------------------------------------------
def spike_count(spikes: torch.Tensor) -> torch.Tensor:
    """Spikes per neuron over the sequence: Σ_t s_t (shape (batch, ...))."""
    _check_input(spikes, "spike_count")
    return spikes.sum(0)


def spike_rate(spikes: torch.Tensor) -> torch.Tensor:
    """Spikes per neuron per step: (1/T) Σ_t s_t, in [0, 1]."""
    _check_input(spikes, "spike_rate")
    return spikes.mean(0)


def membrane_readout(u: torch.Tensor, reduce: Literal["max", "mean", "last"] = "max") -> torch.Tensor:
    """One value per neuron from a membrane trace (T, batch, ...): its maximum, mean or last value over time."""
    _check_input(u, "membrane_readout")
    if reduce == "max":
        return u.max(0).values
    if reduce == "mean":
        return u.mean(0)
    if reduce == "last":
        return u[-1]
    raise ConfigError(f"reduce = {reduce!r}: must be 'max', 'mean' or 'last'")


def _check_targets(targets: torch.Tensor, n_classes: int, batch: int, who: str) -> None:
    if not isinstance(targets, torch.Tensor) or targets.dtype not in (torch.int64, torch.int32):
        raise InputTypeError(f"{who}: targets must be an integer tensor of class indices")
    if tuple(targets.shape) != (batch,):
        raise ShapeError(f"{who}: targets must have shape ({batch},), got {tuple(targets.shape)}")
    if targets.numel() and (targets.min() < 0 or targets.max() >= n_classes):
        raise ShapeError(f"{who}: targets must be in [0, {n_classes}), got range "
                         f"[{int(targets.min())}, {int(targets.max())}]")


def _check_class_output(x: torch.Tensor, who: str) -> None:
    _check_input(x, who)
    if x.dim() != 3:
        raise ShapeError(f"{who}: expected output of shape (T, batch, classes), got {tuple(x.shape)}")


def count_cross_entropy(spikes: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with the output neurons' spike counts as logits (spikes: (T, batch, classes))."""
    _check_class_output(spikes, "count_cross_entropy")
    _check_targets(targets, spikes.shape[2], spikes.shape[1], "count_cross_entropy")
    return F.cross_entropy(spikes.sum(0), targets)


def count_mse(spikes: torch.Tensor, targets: torch.Tensor, on_rate: float = 0.8,
              off_rate: float = 0.2) -> torch.Tensor:
    """Mean squared error between spike counts and target counts: ``on_rate·T`` for the correct class,
    ``off_rate·T`` for the others (the target of snnTorch's ``mse_count_loss``; the defaults 0.8/0.2 are ours)."""
    _check_class_output(spikes, "count_mse")
    _check_targets(targets, spikes.shape[2], spikes.shape[1], "count_mse")
    if not 0.0 <= off_rate <= 1.0 or not 0.0 <= on_rate <= 1.0:
        raise ConfigError(f"on_rate = {on_rate!r}, off_rate = {off_rate!r}: both must be in [0, 1]")
    n_steps = spikes.shape[0]
    want = torch.full_like(spikes[0], off_rate * n_steps)
    want.scatter_(1, targets[:, None].long(), on_rate * n_steps)
    return F.mse_loss(spikes.sum(0), want)


def membrane_cross_entropy(u: torch.Tensor, targets: torch.Tensor,
                           reduce: Literal["max", "mean", "last"] = "max") -> torch.Tensor:
    """Cross-entropy with a membrane readout (:func:`membrane_readout` of an :class:`LI` trace) as logits."""
    _check_class_output(u, "membrane_cross_entropy")
    _check_targets(targets, u.shape[2], u.shape[1], "membrane_cross_entropy")
    return F.cross_entropy(membrane_readout(u, reduce), targets)
