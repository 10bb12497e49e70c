"""The neuron family of surrogate-gradient training beyond LIF/IF: Synaptic, Alpha, RLeaky, RSynaptic, ALIF,
Izhikevich and AdEx layers, each with a pure functional step (``state, spikes = step(state, x, ...)``).

All layers take the whole sequence (T, batch, ...) like :class:`~neurofab.spiking.layers.LIF`, sit in
:class:`~neurofab.spiking.layers.SpikingSequential`, and work in the normalized potential of
:mod:`neurofab.spiking.layers` (threshold θ, default 1). Order of operations within a step is that of
:mod:`neurofab.spiking.neurons` (exact integration): decay, input, spike, reset; after a reset by subtraction the
membrane decays from u − θ (snnTorch subtracts θ after the decay: its ``mem_t = β mem_{t−1} + x_t − θ s_{t−1}``
differs from ours, ``u_t = β (u_{t−1} − θ s_{t−1}) + x_t``, by (1 − β) θ after each spike).

With a neuron made by ``leaky(..., snntorch_compat=True)`` / ``synaptic(..., snntorch_compat=True)`` the Synaptic,
RLeaky and RSynaptic layers (and LIF, alias Leaky) run snnTorch's order instead, the recursion in the docstring of
:mod:`neurofab.spiking.layers`: reset from the previous step's membrane after the decay, the current of the same
step, the state u the membrane before the reset. ``alpha_neuron(..., snntorch_compat=True)`` makes Alpha run
snnTorch 1.0's ``Alpha`` (:func:`alpha_step`: excitatory and inhibitory currents, its own resets) and
``ALIFConfig(snntorch_compat=True)`` makes ALIF run snnTorch's Leaky order with the adaptive threshold
(:func:`alif_step`; snnTorch 1.0 has no adaptive-threshold neuron).

- :class:`Synaptic` — current-based LIF, ``j_t = α j_{t−1} + x_t``, ``z_t = β u_{t−1} + j_{t−1}``: the neuron of
  ``LIF(synaptic(α, β, dt))`` (the membrane takes the current one step later than snnTorch's ``Synaptic``, unless
  the config was made with ``snntorch_compat=True``).
- :class:`Alpha` — a dual-exponential postsynaptic potential: below threshold a unit input at step 0 gives
  u_n = τ_α (a^n − b^n), a = exp(−dt/τ_m), b = exp(−dt/τ_syn), τ_α = ln b/(ln b − ln a) (snnTorch's ``Alpha``
  kernel). Since u_n − a u_{n−1} = τ_α (a − b) b^{n−1}, it is exactly a Synaptic neuron with synaptic decay b,
  membrane decay a and input gain τ_α (a − b); the reset subtracts θ from the membrane, which decays with a.
- :class:`RLeaky`, :class:`RSynaptic` — with the layer's own spikes of the previous step fed back through a
  learnable all-to-all weight (``nn.Linear(n, n)``) or a one-to-one weight V per neuron:
  ``z_t = β u_{t−1} + x_t + R(s_{t−1})`` (RSynaptic: into the current, ``j_t = α j_{t−1} + x_t + R(s_{t−1})``).
- :class:`ALIF` — adaptive threshold (Bellec et al. 2018, LSNN): θ_t = θ₀ + q a_{t−1},
  a_t = ρ a_{t−1} + s_t, ρ = exp(−dt/τ_adapt); after n spikes at steps t_k the threshold is
  θ₀ + q Σ_k ρ^{t−1−t_k}.
- :class:`Izhikevich`, :class:`AdEx` — the dimensional models of :mod:`neurofab.spiking.neurons` integrated by forward
  Euler in torch (sub-steps of at most ``max_substep``), the input held as a current ``x · input_unit`` [A] over
  the step, V held at v_peak (by a straight-through clamp: the value is clamped, the gradient passes) and the spike
  a surrogate of (V − v_peak)/(v_peak − v_t).

Synaptic and Alpha run fused: the synaptic current is one linear filter over all steps (a T × T matrix product
for a per-layer α, differentiable in α) and the membrane is the compiled leaky scan with trainable β and θ
(:mod:`neurofab.spiking.leaky_scan`). The others loop over the steps of their functional step in torch autograd.

Learnable parameters: ``learn_alpha``, ``learn_beta``, ``learn_threshold`` (and ``learn_adaptation`` for ALIF,
``learn_recurrent`` for the recurrent layers), one per layer (``param_shape=None``) or one per neuron of a sample
(``param_shape=(n,)`` or (C, H, W)). In use decays are clamped to [0, 1], thresholds to ≥ 10⁻⁶ and the ALIF
strength to ≥ 0; a parameter outside gets no gradient while outside. The time constant of a decay at the layer's dt
is ``τ = −dt/ln β`` (:meth:`time_constants`).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import torch
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import Config, ConfigError, InputTypeError, ShapeError, record, recording
from neurofab.spiking.filter_scan import filter_applies, fused_decay_filter
from neurofab.spiking.layers import (
    LIF,
    SteppedLIFConfig,
    _check_input,
    _param_shape,
    _TimeLayer,
    leaky,
    neuron_constants,
    resolve_dt,
    synaptic,
)
from neurofab.spiking.leaky_scan import fused_leaky_scan, kernel_applies
from neurofab.spiking.neurons import AdExConfig, IzhikevichConfig, LIFConfig
from neurofab.spiking.surrogate import Surrogate, spike
from neurofab.spiking.surrogate import surrogate as make_surrogate

Leaky = LIF  #: snnTorch's name for the leaky integrate-and-fire layer

Reset = Literal["subtract", "zero"]


# ----- configs that carry their dt ----------------------------------------------------------------------------------
class AlphaConfig(Config):
    """An Alpha neuron (dual-exponential postsynaptic potential, normalized units) at time step ``dt``."""

    tau_m: float = Field(10e-3, gt=0, le=10.0, description="membrane time constant (the slower decay a) [s]")
    tau_syn: float = Field(5e-3, gt=0, le=10.0, description="synaptic time constant (the faster decay b) [s]")
    dt: float = Field(1e-3, gt=0, le=1e-2, description="time step [s]")
    threshold: float = Field(1.0, gt=0, description="threshold θ [normalized potential]")
    reset: Reset = Field("subtract", description="reset by subtraction of θ or to zero")
    snntorch_compat: bool = Field(False, description="snnTorch 1.0's Alpha recursion (excitatory and inhibitory "
                                  "currents, the previous step's reset; see Alpha) instead of ours")

    @model_validator(mode="after")
    def _check(self) -> AlphaConfig:
        if not self.tau_m > self.tau_syn:
            raise ValueError(f"tau_m = {self.tau_m!r} s must exceed tau_syn = {self.tau_syn!r} s")
        return self


def alpha_neuron(alpha: float = 0.9, beta: float = 0.8, dt: float = 1e-3, threshold: float = 1.0,
                 reset: Reset = "subtract", snntorch_compat: bool = False) -> AlphaConfig:
    """An :class:`AlphaConfig` from snnTorch's per-step decays ``alpha`` > ``beta`` (τ = −dt/ln decay);
    ``snntorch_compat=True`` runs snnTorch's ``Alpha`` recursion (whose own default reset is ``"zero"``)."""
    for name, v in (("alpha", alpha), ("beta", beta)):
        if not 0.0 < v < 1.0:
            raise ConfigError(f"{name} = {v!r}: must be in (0, 1)")
    if not alpha > beta:
        raise ConfigError(f"alpha = {alpha!r} must exceed beta = {beta!r} (alpha is the slower decay)")
    return AlphaConfig(tau_m=-dt / math.log(alpha), tau_syn=-dt / math.log(beta), dt=dt, threshold=threshold,
                       reset=reset, snntorch_compat=snntorch_compat)


class ALIFConfig(Config):
    """An adaptive-threshold LIF neuron (normalized units) at time step ``dt``."""

    tau_m: float = Field(20e-3, gt=0, le=10.0, description="membrane time constant [s]")
    tau_adapt: float = Field(200e-3, gt=0, le=100.0, description="threshold adaptation time constant [s]")
    adaptation: float = Field(0.2, ge=0, description="threshold increase q per unit of spike trace [normalized]")
    threshold: float = Field(1.0, gt=0, description="baseline threshold θ₀ [normalized potential]")
    dt: float = Field(1e-3, gt=0, le=1e-2, description="time step [s]")
    reset: Reset = Field("subtract", description="reset by subtraction of the threshold crossed, or to zero")
    snntorch_compat: bool = Field(False, description="snnTorch's order (the reset of the previous step's spike "
                                  "after the decay, state = membrane before the reset; see ALIF) instead of ours")


# ----- state --------------------------------------------------------------------------------------------------------
class NeuronState(NamedTuple):
    """State of a population of the linear neurons of this module (normalized units)."""

    u: torch.Tensor  #: membrane potential after the last reset
    j: torch.Tensor  #: synaptic current (zeros where the neuron has none)
    s: torch.Tensor  #: spikes of the last step
    a: torch.Tensor  #: ALIF spike trace (zeros for the others)


class AlphaState(NamedTuple):
    """State of snnTorch-order Alpha neurons (normalized units): snnTorch's three state variables."""

    u: torch.Tensor  #: membrane potential m (before the reset of the next step)
    exc: torch.Tensor  #: excitatory current I_exc
    inh: torch.Tensor  #: inhibitory current I_inh
    s: torch.Tensor  #: spikes of the last step


class EulerState(NamedTuple):
    """State of an Izhikevich/AdEx population (SI units)."""

    v: torch.Tensor  #: membrane potential [V]
    w: torch.Tensor  #: recovery / adaptation current [A]
    s: torch.Tensor  #: spikes of the last step


def rest_state(like: torch.Tensor) -> NeuronState:
    """A population at rest of the shape of ``like`` (one step of input)."""
    z = torch.zeros_like(like)
    return NeuronState(z, z.clone(), z.clone(), z.clone())


def alpha_rest_state(like: torch.Tensor) -> AlphaState:
    """snnTorch-order Alpha neurons at rest of the shape of ``like`` (one step of input)."""
    z = torch.zeros_like(like)
    return AlphaState(z, z.clone(), z.clone(), z.clone())


# ----- functional steps ---------------------------------------------------------------------------------------------
def _fire(z: torch.Tensor, theta: torch.Tensor | float, sg: Surrogate, detach_reset: bool,
          reset_zero: bool) -> tuple[torch.Tensor, torch.Tensor]:
    s = spike(z - theta, sg)
    r = s.detach() if detach_reset else s
    return s, (z * (1.0 - r) if reset_zero else z - r * theta)


def _snn_reset(u: torch.Tensor, theta: torch.Tensor | float) -> torch.Tensor:
    """snnTorch's reset signal r = H(m − θ) of the membrane m kept before the reset (detached)."""
    return (u >= theta).to(u.dtype)


def synaptic_step(state: NeuronState, x: torch.Tensor, alpha, beta, theta, sg: Surrogate,
                  detach_reset: bool = True, reset_zero: bool = False,
                  recurrent: torch.Tensor | float = 0.0, snntorch: bool = False) -> NeuronState:
    """One step of the Synaptic neuron: z = β u + j_{t−1}; j_t = α j_{t−1} + x (+ ``recurrent``, the fed-back
    spikes of the previous step); s = H(z − θ); reset. Pure.

    ``snntorch=True``: snnTorch's ``Synaptic`` (reset detached, u the membrane before the reset): j_t = α j_{t−1} +
    x (+ recurrent), r = H(u − θ), z = β u + j_t − θ r (subtract) or (1 − r)(β u + j_t) (zero), s = H(z − θ), u = z."""
    if snntorch:
        j = alpha * state.j + x + recurrent
        r = _snn_reset(state.u, theta)
        z = (1.0 - r) * (beta * state.u + j) if reset_zero else beta * state.u + j - r * theta
        return NeuronState(z, j, spike(z - theta, sg), state.a)
    z = beta * state.u + state.j
    s, u = _fire(z, theta, sg, detach_reset, reset_zero)
    return NeuronState(u, alpha * state.j + x + recurrent, s, state.a)


def leaky_step(state: NeuronState, x: torch.Tensor, beta, theta, sg: Surrogate, detach_reset: bool = True,
               reset_zero: bool = False, recurrent: torch.Tensor | float = 0.0, snntorch: bool = False) -> NeuronState:
    """One step of the leaky neuron (RLeaky with ``recurrent`` = R(s_{t−1})): z = β u + x + recurrent. Pure.

    ``snntorch=True``: snnTorch's ``Leaky`` (reset detached, u the membrane before the reset): r = H(u − θ),
    z = β u + x − θ r (subtract) or β (1 − r) u + x (zero), s = H(z − θ), u = z."""
    if snntorch:
        r = _snn_reset(state.u, theta)
        z = beta * (1.0 - r) * state.u + x + recurrent if reset_zero else beta * state.u + x + recurrent - r * theta
        return NeuronState(z, state.j, spike(z - theta, sg), state.a)
    z = beta * state.u + x + recurrent
    s, u = _fire(z, theta, sg, detach_reset, reset_zero)
    return NeuronState(u, state.j, s, state.a)


def alpha_tau(a, b):
    """snnTorch's τ_α = ln b/(ln b − ln a) for membrane decay ``a`` > current decay ``b`` (its
    ``log(α)/(log(β) − log(α)) + 1``)."""
    la, lb = torch.log(torch.as_tensor(a)), torch.log(torch.as_tensor(b))
    return lb / (lb - la)


def alpha_step(state: AlphaState, x: torch.Tensor, a, b, theta, sg: Surrogate,
               reset_zero: bool = False) -> AlphaState:
    """One step of snnTorch 1.0's ``Alpha`` neuron (its docstring's equations; α = ``a`` the excitatory, slower
    decay, β = ``b`` the inhibitory, faster one). Pure. With r = H(m_{t−1} − θ) (detached, = s_{t−1}):

        E = a I_exc + x,   I = b I_inh − x,   U = τ_α (E + I)   (= τ_α (a I_exc + b I_inh): x reaches U a step later)
        zero:      I_exc, I_inh, m = (1 − r)(E, I, U)
        subtract:  I_exc = E − θ r,   I_inh = (1 − r) I,   m = U + r I_inh,{t−1}
        s = H(m − θ)   (surrogate gradient)

    Below threshold a unit input at step 0 gives m_n = τ_α (a^n − b^n): our :func:`synaptic_step` with gain
    τ_α (a − b). The resets differ from ours: reset to zero clears both currents, and the subtraction takes θ from
    the excitatory current (not the membrane) and clears the inhibitory one, so the membrane of later steps falls
    by τ_α a^n θ n steps on. Needs a > b (snnTorch refuses a ≤ b; τ_α diverges at a = b)."""
    r = _snn_reset(state.u, theta)
    tau = alpha_tau(a, b)
    exc = a * state.exc + x
    inh = b * state.inh - x
    m = tau * (exc + inh)
    if reset_zero:
        keep = 1.0 - r
        exc, inh, m = exc * keep, inh * keep, m * keep
    else:
        exc, inh, m = exc - r * theta, inh * (1.0 - r), m + r * state.inh
    return AlphaState(m, exc, inh, spike(m - theta, sg))


def alif_step(state: NeuronState, x: torch.Tensor, beta, rho, theta0, q, sg: Surrogate, detach_reset: bool = True,
              reset_zero: bool = False, snntorch: bool = False) -> NeuronState:
    """One ALIF step: z = β u + x; θ_t = θ₀ + q a_{t−1}; s = H(z − θ_t); reset by θ_t; a_t = ρ a_{t−1} + s. Pure.

    ``snntorch=True``: snnTorch's order (its ``Leaky`` with the adaptive threshold; the reset of Bellec et al.'s
    LSNN code): the reset r = s_{t−1} (detached) is applied after the decay with the threshold in force now,
    z = β u + x − θ_t r (subtract) or β (1 − r) u + x (zero), s = H(z − θ_t), u = z (the membrane before the reset);
    with q = 0 it is snnTorch's ``Leaky`` step for step."""
    theta = theta0 + q * state.a
    if snntorch:
        r = state.s.detach()
        z = beta * (1.0 - r) * state.u + x if reset_zero else beta * state.u + x - r * theta
        s = spike(z - theta, sg)
        return NeuronState(z, state.j, s, rho * state.a + s)
    z = beta * state.u + x
    s, u = _fire(z, theta, sg, detach_reset, reset_zero)
    return NeuronState(u, state.j, s, rho * state.a + s)


def alif_threshold(state: NeuronState, theta0: float, q: float) -> torch.Tensor:
    """The threshold the next ALIF step applies: θ₀ + q a."""
    return theta0 + q * state.a


def _st_clamp(v: torch.Tensor, top: float) -> torch.Tensor:
    """min(v, top) in value, identity in gradient (straight-through clamp)."""
    return v - (v - top).clamp_min(0.0).detach()


def euler_step(state: EulerState, current: torch.Tensor, neuron: IzhikevichConfig | AdExConfig, dt: float,
               substeps: int, sg: Surrogate, detach_reset: bool = True) -> EulerState:
    """One step ``dt`` of an Izhikevich or AdEx population driven by ``current`` [A] held over the step: forward
    Euler in ``substeps`` (the equations of :class:`~neurofab.spiking.neurons.IzhikevichConfig` /
    :class:`~neurofab.spiking.neurons.AdExConfig`, bias included), V held at v_peak, then the spike
    s = σ-spike((V − v_peak)/(v_peak − v_t)) and V ← c (v_reset), w ← w + d (b). Pure."""
    v, w = state.v, state.w
    h = dt / substeps
    drive = current + neuron.i_bias
    izh = isinstance(neuron, IzhikevichConfig)
    for _ in range(substeps):
        if izh:
            dv = (neuron.k * (v - neuron.v_rest) * (v - neuron.v_t) - w + drive) / neuron.c_m
            dw = neuron.a * (neuron.b * (v - neuron.v_rest) - w)
        else:
            v_cap = v.clamp(max=neuron.v_peak)
            exp_term = neuron.g_leak * neuron.delta_t * torch.exp((v_cap - neuron.v_t) / neuron.delta_t)
            dv = (-neuron.g_leak * (v - neuron.v_rest) + exp_term - w + drive) / neuron.c_m
            dw = (neuron.a * (v - neuron.v_rest) - w) / neuron.tau_w
        v = _st_clamp(v + h * dv, neuron.v_peak)
        w = w + h * dw
    s = spike((v - neuron.v_peak) / (neuron.v_peak - neuron.v_t), sg)
    r = s.detach() if detach_reset else s
    v_reset, jump = (neuron.c, neuron.d) if izh else (neuron.v_reset, neuron.b)
    return EulerState(v - r * (v - v_reset), w + jump * s, s)


# ----- parameters ---------------------------------------------------------------------------------------------------
def decay_filter(x: torch.Tensor, decay: torch.Tensor, j0: torch.Tensor | None = None) -> torch.Tensor:
    """j_t = decay · j_{t−1} + x_t over all steps of ``x`` (T, batch, ...), j_{−1} = ``j0`` (default 0).

    On the CPU (float32/float64, a decay of shape () or of one sample's neurons) the recursion runs compiled,
    forward and backward (:mod:`neurofab.spiking.filter_scan`). Elsewhere a decay of shape () is one (T × T) matrix
    product, L[t, k] = decay^(t−k) (k ≤ t), differentiable in x and the decay, and a per-neuron decay runs the
    recursion step by step."""
    if filter_applies(x, decay):
        return fused_decay_filter(x, decay, j0)
    n = x.shape[0]
    if decay.dim() == 0:
        t = torch.arange(n, dtype=x.dtype, device=x.device)
        diff = t[:, None] - t[None, :]
        mat = torch.where(diff >= 0, torch.pow(decay.to(x.dtype), diff.clamp_min(0.0)), torch.zeros((), dtype=x.dtype))
        j = (mat @ x.reshape(n, -1)).reshape(x.shape)
        if j0 is not None:
            powers = torch.pow(decay.to(x.dtype), t + 1.0).reshape(n, *([1] * (x.dim() - 1)))
            j = j + powers * j0
        return j
    out = []
    j = torch.zeros_like(x[0]) if j0 is None else j0
    for t in range(n):
        j = decay * j + x[t]
        out.append(j)
    return torch.stack(out)


class _Neurons(_TimeLayer):
    """Shared parts: parameters (learnable or buffers) with their clamps, the surrogate, the ledger counts."""

    emits_spikes = True

    def __init__(self, surrogate: Surrogate | str, detach_reset: bool, param_shape) -> None:
        super().__init__()
        self.surrogate = make_surrogate(surrogate)
        self.detach_reset = bool(detach_reset)
        self.snntorch = False  #: snnTorch's order of operations (set from the neuron config's snntorch_compat)
        self.param_shape = _param_shape(param_shape)
        self._clamps: dict[str, tuple[float | None, float | None]] = {}

    def _add(self, name: str, value: float, learn: bool, low: float | None, high: float | None) -> None:
        shape = self.param_shape if learn else ()
        t = torch.full(shape, float(value))
        if learn:
            self.register_parameter(name, nn.Parameter(t))
        else:
            self.register_buffer(name, t)
        self._clamps[name] = (low, high)

    def _p(self, name: str) -> torch.Tensor:
        """The parameter in use (clamped to its valid range)."""
        low, high = self._clamps[name]
        return getattr(self, name).clamp(low, high)

    def _take_lif(self, neuron: LIFConfig | None, dt: float | None, current: bool, learn_alpha: bool,
                  learn_beta: bool, learn_threshold: bool) -> None:
        """Adopt a leaky() (``current`` False) or synaptic() neuron: its dt, reset, snnTorch order and decays as
        parameters (learnable where asked, clamped to their ranges)."""
        who = type(self).__name__
        if neuron is None:
            step = 1e-3 if dt is None else dt
            neuron = synaptic(0.9, 0.8, step) if current else leaky(0.95, step)
        if not isinstance(neuron, LIFConfig):
            made = "synaptic()" if current else "leaky()"
            raise InputTypeError(f"{who} takes a LIFConfig (made by {made}), got {type(neuron).__name__}")
        self.dt = resolve_dt(neuron, dt, who)
        self.neuron = neuron
        c = _leaky_config(neuron, self.dt, who, current=current)
        self.reset_zero = c.reset_zero
        _set_compat(self, c)
        if current:
            self._add("alpha", c.syn_decay, learn_alpha, 0.0, 1.0)
        self._add("beta", c.decay, learn_beta, 0.0, 1.0)
        self._add("threshold", 1.0, learn_threshold, 1e-6, None)

    def _check_params(self, x: torch.Tensor) -> None:
        if self.param_shape and tuple(x.shape[2:]) != self.param_shape:
            raise ShapeError(f"{type(self).__name__}: per-neuron parameters of shape {self.param_shape} do not fit "
                             f"input samples of shape {tuple(x.shape[2:])}")

    def _count(self, spikes: torch.Tensor) -> None:
        if recording():
            record("spike", spikes.detach().sum())
            record("neuron_update", spikes[0].numel() * spikes.shape[0])

    def _unroll(self, x: torch.Tensor, state, step):
        """Run ``state = step(state, x[t])`` over the T steps of ``x``: (spikes (T, ...), final state), counted."""
        out = []
        for t in range(x.shape[0]):
            state = step(state, x[t])
            out.append(state.s)
        spikes = torch.stack(out)
        self._count(spikes)
        return spikes, state

    def time_constants(self) -> dict[str, torch.Tensor]:
        """The time constants [s] of the decays in use at the layer's dt: τ = −dt/ln(decay)."""
        names = [n for n in ("alpha", "beta", "rho") if n in self._clamps]
        return {n: -self.dt / torch.log(self._p(n).detach().clamp(1e-30, 1.0 - 1e-12)) for n in names}


def _leaky_config(neuron: LIFConfig, dt: float, who: str, current: bool):
    consts = neuron_constants(neuron, dt)
    if consts.current != current:
        want = "current synapses (made by synaptic())" if current else "delta synapses (made by leaky())"
        raise ConfigError(f"{who}: needs a neuron with {want}; got synapse = {neuron.synapse!r}")
    if consts.refractory_steps or consts.drive != 0.0 or consts.u_rest != 0.0:
        raise ConfigError(f"{who}: needs t_ref = 0, no bias current and v_rest = v_reset (the neurons of leaky() "
                          "and synaptic())")
    return consts


def _set_compat(layer: _Neurons, consts) -> None:
    """Take the neuron config's snnTorch order (``consts.snntorch`` or ``consts.snntorch_compat``); it has a detached
    reset only."""
    layer.snntorch = bool(getattr(consts, "snntorch", getattr(consts, "snntorch_compat", False)))
    if layer.snntorch and not layer.detach_reset:
        raise ConfigError(f"{type(layer).__name__}: detach_reset = False: snnTorch's order (snntorch_compat) has a "
                          "detached reset only")


class _TwoStage(_Neurons):
    """A synaptic filter (decay α, gain) followed by the leaky membrane (decay β, threshold θ), fused."""

    def _gain(self) -> torch.Tensor | float:
        return 1.0

    def run(self, x: torch.Tensor, state: NeuronState | None = None,
            check: bool = True) -> tuple[torch.Tensor, NeuronState]:
        """Spikes (T, batch, ...) and the final state."""
        _check_input(x, type(self).__name__, check)
        self._check_params(x)
        alpha, beta, theta = self._p("alpha"), self._p("beta"), self._p("threshold")
        gain = self._gain()
        at_rest = state is None
        state = rest_state(x[0]) if state is None else state
        if not kernel_applies(x):
            return self._unroll(x, state, lambda st, xt: synaptic_step(
                st, xt * gain, alpha, beta, theta, self.surrogate, self.detach_reset, self.reset_zero,
                snntorch=self.snntorch))
        # a unit gain and a current at rest add nothing: skipped (two passes over the input, forward and back)
        j = decay_filter(x if isinstance(gain, float) and gain == 1.0 else x * gain, alpha,
                         None if at_rest else state.j)
        drive = j if self.snntorch else torch.cat([state.j[None], j[:-1]])
        spikes, u = fused_leaky_scan(drive, beta, theta, state.u, self.surrogate, self.reset_zero,
                                     self.detach_reset, "synaptic" if self.snntorch else None)
        self._count(spikes)
        return spikes, NeuronState(u, j[-1], spikes[-1], state.a)

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        return self.run(x, check=check)[0]


class Synaptic(_TwoStage):
    """Current-based LIF neurons over time (default :func:`~neurofab.spiking.layers.synaptic` α 0.9, β 0.8, 1 ms):
    ``LIF(synaptic(...))`` with trainable α, β, θ and a fused forward (see the module docstring)."""

    def __init__(self, neuron: SteppedLIFConfig | LIFConfig | None = None, dt: float | None = None,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, learn_alpha: bool = False,
                 learn_beta: bool = False, learn_threshold: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(surrogate, detach_reset, param_shape)
        self._take_lif(neuron, dt, True, learn_alpha, learn_beta, learn_threshold)


class Alpha(_TwoStage):
    """Alpha neurons over time (default ``alpha_neuron(0.9, 0.8, 1 ms)``): a Synaptic neuron with synaptic decay
    b = exp(−dt/τ_syn) (``alpha``: learnable as ``learn_alpha``), membrane decay a = exp(−dt/τ_m) (``beta``) and input
    gain τ_α (a − b), τ_α = ln b/(ln b − ln a), so that a unit input gives u_n = τ_α (a^n − b^n) below threshold.

    With ``alpha_neuron(..., snntorch_compat=True)`` it runs snnTorch 1.0's ``Alpha`` instead (:func:`alpha_step`;
    the same kernel below threshold, its resets, state :class:`AlphaState`), by a step loop in torch autograd. Note
    the names: snnTorch's ``alpha`` (the slower decay) is this layer's ``beta`` = a, its ``beta`` this ``alpha`` = b."""

    def __init__(self, neuron: AlphaConfig | None = None, dt: float | None = None,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, learn_alpha: bool = False,
                 learn_beta: bool = False, learn_threshold: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(surrogate, detach_reset, param_shape)
        neuron = alpha_neuron(0.9, 0.8, 1e-3 if dt is None else dt) if neuron is None else neuron
        if not isinstance(neuron, AlphaConfig):
            raise InputTypeError(f"Alpha takes an AlphaConfig (see alpha_neuron()), got {type(neuron).__name__}")
        self.dt = resolve_dt(neuron, dt, "Alpha")
        self.neuron = neuron
        self.reset_zero = neuron.reset == "zero"
        _set_compat(self, neuron)
        self._add("alpha", math.exp(-self.dt / neuron.tau_syn), learn_alpha, 0.0, 1.0)
        self._add("beta", math.exp(-self.dt / neuron.tau_m), learn_beta, 0.0, 1.0)
        self._add("threshold", neuron.threshold, learn_threshold, 1e-6, None)

    def _gain(self) -> torch.Tensor:
        """τ_α (a − b) = ln b (a − b)/(ln b − ln a), its limit −a ln a where a = b."""
        a = self._p("beta").clamp(1e-12, 1.0 - 1e-12)
        b = self._p("alpha").clamp(1e-12, 1.0 - 1e-12)
        la, lb = torch.log(a), torch.log(b)
        close = (la - lb).abs() < 1e-9
        safe = torch.where(close, torch.ones_like(la), lb - la)
        return torch.where(close, -a * la, lb * (a - b) / safe)

    def run(self, x: torch.Tensor, state: NeuronState | AlphaState | None = None,
            check: bool = True) -> tuple[torch.Tensor, NeuronState | AlphaState]:
        """Spikes (T, batch, ...) and the final state (an :class:`AlphaState` in snnTorch's order)."""
        if not self.snntorch:
            return super().run(x, state, check)
        _check_input(x, "Alpha", check)
        self._check_params(x)
        if state is not None and not isinstance(state, AlphaState):
            raise InputTypeError(f"Alpha (snntorch_compat): state must be an AlphaState, got {type(state).__name__}")
        a, b, theta = self._p("beta"), self._p("alpha"), self._p("threshold")
        st = alpha_rest_state(x[0]) if state is None else state
        return self._unroll(x, st, lambda st, xt: alpha_step(st, xt, a, b, theta, self.surrogate, self.reset_zero))


class _Recurrent(_Neurons):
    def _init_recurrent(self, n: int, all_to_all: bool, learn_recurrent: bool, v: float) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"n = {n!r}: must be the number of neurons (a positive integer)")
        self.n = n
        self.all_to_all = bool(all_to_all)
        if self.all_to_all:
            self.recurrent = nn.Linear(n, n)
            self.recurrent.requires_grad_(learn_recurrent)
        else:
            t = torch.full((n,), float(v))
            if learn_recurrent:
                self.V = nn.Parameter(t)
            else:
                self.register_buffer("V", t)

    def _feedback(self, s: torch.Tensor) -> torch.Tensor:
        return self.recurrent(s) if self.all_to_all else self.V * s

    def run(self, x: torch.Tensor, state: NeuronState | None = None,
            check: bool = True) -> tuple[torch.Tensor, NeuronState]:
        """Spikes (T, batch, n) and the final state (which carries gradients)."""
        _check_input(x, type(self).__name__, check)
        if x.dim() != 3 or x.shape[2] != self.n:
            raise ShapeError(f"{type(self).__name__}: input must have shape (T, batch, {self.n}), got "
                             f"{tuple(x.shape)}")
        st = rest_state(x[0]) if state is None else state
        return self._unroll(x, st, lambda st, xt: self._step(st, xt, self._feedback(st.s)))

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        return self.run(x, check=check)[0]


class RLeaky(_Recurrent):
    """Leaky neurons with their spikes fed back: z_t = β u_{t−1} + x_t + R(s_{t−1}), R an ``nn.Linear(n, n)``
    (``all_to_all``) or V·s (one weight per neuron, initial ``v``); ``learn_recurrent`` trains R (default)."""

    def __init__(self, n: int, neuron: SteppedLIFConfig | LIFConfig | None = None, dt: float | None = None,
                 all_to_all: bool = True, v: float = 1.0, learn_recurrent: bool = True,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, learn_beta: bool = False,
                 learn_threshold: bool = False, param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(surrogate, detach_reset, param_shape)
        self._take_lif(neuron, dt, False, False, learn_beta, learn_threshold)
        self._init_recurrent(n, all_to_all, learn_recurrent, v)

    def _step(self, st: NeuronState, x: torch.Tensor, fb: torch.Tensor) -> NeuronState:
        return leaky_step(st, x, self._p("beta"), self._p("threshold"), self.surrogate, self.detach_reset,
                          self.reset_zero, fb, self.snntorch)


class RSynaptic(_Recurrent):
    """Synaptic neurons with their spikes fed back into the current: j_t = α j_{t−1} + x_t + R(s_{t−1})."""

    def __init__(self, n: int, neuron: SteppedLIFConfig | LIFConfig | None = None, dt: float | None = None,
                 all_to_all: bool = True, v: float = 1.0, learn_recurrent: bool = True,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, learn_alpha: bool = False,
                 learn_beta: bool = False, learn_threshold: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(surrogate, detach_reset, param_shape)
        self._take_lif(neuron, dt, True, learn_alpha, learn_beta, learn_threshold)
        self._init_recurrent(n, all_to_all, learn_recurrent, v)

    def _step(self, st: NeuronState, x: torch.Tensor, fb: torch.Tensor) -> NeuronState:
        return synaptic_step(st, x, self._p("alpha"), self._p("beta"), self._p("threshold"), self.surrogate,
                             self.detach_reset, self.reset_zero, fb, self.snntorch)


class ALIF(_Neurons):
    """Adaptive-threshold LIF neurons over time (:class:`ALIFConfig`; Bellec et al. 2018). Learnable: β
    (``learn_beta``), θ₀ (``learn_threshold``), the adaptation strength q and decay ρ (``learn_adaptation``).
    ``ALIFConfig(snntorch_compat=True)``: snnTorch's order (:func:`alif_step`; snnTorch's ``Leaky`` where q = 0)."""

    def __init__(self, neuron: ALIFConfig | None = None, dt: float | None = None,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True, learn_beta: bool = False,
                 learn_threshold: bool = False, learn_adaptation: bool = False,
                 param_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(surrogate, detach_reset, param_shape)
        neuron = ALIFConfig(dt=1e-3 if dt is None else dt) if neuron is None else neuron
        if not isinstance(neuron, ALIFConfig):
            raise InputTypeError(f"ALIF takes an ALIFConfig, got {type(neuron).__name__}")
        self.dt = resolve_dt(neuron, dt, "ALIF")
        self.neuron = neuron
        self.reset_zero = neuron.reset == "zero"
        _set_compat(self, neuron)
        self._add("beta", math.exp(-self.dt / neuron.tau_m), learn_beta, 0.0, 1.0)
        self._add("rho", math.exp(-self.dt / neuron.tau_adapt), learn_adaptation, 0.0, 1.0)
        self._add("adaptation", neuron.adaptation, learn_adaptation, 0.0, None)
        self._add("threshold", neuron.threshold, learn_threshold, 1e-6, None)

    def run(self, x: torch.Tensor, state: NeuronState | None = None,
            check: bool = True) -> tuple[torch.Tensor, NeuronState]:
        """Spikes (T, batch, ...) and the final state (which carries gradients)."""
        _check_input(x, "ALIF", check)
        self._check_params(x)
        beta, rho, q, th = self._p("beta"), self._p("rho"), self._p("adaptation"), self._p("threshold")
        st = rest_state(x[0]) if state is None else state
        return self._unroll(x, st, lambda st, xt: alif_step(st, xt, beta, rho, th, q, self.surrogate,
                                                            self.detach_reset, self.reset_zero, self.snntorch))

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        return self.run(x, check=check)[0]


class _EulerNeurons(_Neurons):
    config_type: type = IzhikevichConfig

    def __init__(self, neuron, dt: float | None, input_unit: float, surrogate: Surrogate | str,
                 detach_reset: bool) -> None:
        super().__init__(surrogate, detach_reset, None)
        name = type(self).__name__
        neuron = self.config_type() if neuron is None else neuron
        if not isinstance(neuron, self.config_type):
            raise InputTypeError(f"{name} takes a {self.config_type.__name__}, got {type(neuron).__name__}")
        if not (isinstance(input_unit, int | float) and math.isfinite(input_unit) and input_unit > 0):
            raise ConfigError(f"input_unit = {input_unit!r}: must be a positive current [A] per unit of input")
        self.neuron = neuron
        self.dt = resolve_dt(neuron, dt, name)
        self.substeps = max(1, math.ceil(self.dt / neuron.max_substep - 1e-9))
        self.input_unit = float(input_unit)

    def rest(self, like: torch.Tensor) -> EulerState:
        """The population at rest (V = v_rest, w at its fixed point 0) of the shape of ``like``."""
        return EulerState(torch.full_like(like, self.neuron.v_rest), torch.zeros_like(like), torch.zeros_like(like))

    def run(self, x: torch.Tensor, state: EulerState | None = None,
            check: bool = True) -> tuple[torch.Tensor, EulerState]:
        """Spikes (T, batch, ...) for input ``x`` (current x · input_unit [A] held over each step)."""
        _check_input(x, type(self).__name__, check)
        st = self.rest(x[0]) if state is None else state
        return self._unroll(x, st, lambda st, xt: euler_step(st, xt * self.input_unit, self.neuron, self.dt,
                                                             self.substeps, self.surrogate, self.detach_reset))

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        return self.run(x, check=check)[0]


class Izhikevich(_EulerNeurons):
    """Izhikevich neurons over time (default: the regular-spiking cell, 1 ms steps of 40 Euler sub-steps); the
    input is a current of ``input_unit`` (default 100 pA) per unit."""

    config_type = IzhikevichConfig

    def __init__(self, neuron: IzhikevichConfig | None = None, dt: float | None = None,
                 input_unit: float = 100e-12, surrogate: Surrogate | str = "fast_sigmoid",
                 detach_reset: bool = True) -> None:
        super().__init__(neuron, dt, input_unit, surrogate, detach_reset)


class AdEx(_EulerNeurons):
    """AdEx neurons over time (default: Brette & Gerstner's regular-spiking cell); the input is a current of
    ``input_unit`` (default 1 nA) per unit. Refractory periods are not modelled here (t_ref must be 0)."""

    config_type = AdExConfig

    def __init__(self, neuron: AdExConfig | None = None, dt: float | None = None, input_unit: float = 1e-9,
                 surrogate: Surrogate | str = "fast_sigmoid", detach_reset: bool = True) -> None:
        super().__init__(neuron, dt, input_unit, surrogate, detach_reset)
        if self.neuron.t_ref != 0.0:
            raise ConfigError(f"AdEx: t_ref = {self.neuron.t_ref!r} s; the training layer has no refractory period "
                              "(use t_ref = 0)")
