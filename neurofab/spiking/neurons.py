"""Spiking neuron definitions: parameters (SI units), exact-integration propagators and pure step functions.

Both simulation styles of :mod:`neurofab.spiking` — the event-driven network simulator and the layer-wise
(time-step, surrogate-gradient) layers — build on the definitions here, so a neuron means the same thing in both.

Linear sub-threshold dynamics are integrated *exactly* over a time step ``dt`` (Rotter & Diesmann 1999,
"Exact digital simulation of time-invariant linear systems"), the scheme NEST uses for ``iaf_psc_*``:

    membrane          τ_m dV/dt = −(V − V_rest) + R (I_syn + I_ext),       R = τ_m / C_m
    synapse (exp.)    τ_s dI_syn/dt = −I_syn,  I_syn += w at each arriving spike

    V(t+dt) = V_rest + P_mm (V − V_rest) + P_ms,exc I_exc + P_ms,inh I_inh + P_dc I_ext
    I(t+dt) = P_ss I(t)

    P_mm = exp(−dt/τ_m)                                   membrane decay
    P_ss = exp(−dt/τ_s)                                   synaptic decay
    P_ms = τ_s τ_m / (C_m (τ_m − τ_s)) · (exp(−dt/τ_m) − exp(−dt/τ_s))   synaptic current → voltage  [V/A]
    P_dc = (1 − exp(−dt/τ_m)) · R                         DC input gain                            [V/A]

(``I_ext`` is held constant over the step; the limit τ_s → τ_m of P_ms is dt/C_m · exp(−dt/τ_m); the
non-leaky IF is the limit τ_m → ∞.)  Conductance synapses make the membrane equation time-varying; their
conductances are still integrated exactly and the membrane by the exponential-Euler step, exact for
conductances held constant over ``dt``.

A step function has the form ``state = step(state, inputs, params, propagators)``; it is pure torch (works on
any device, under autograd, ``torch.compile`` and ``vmap``) and takes an optional ``spike_fn`` — the Heaviside
step by default — that a surrogate-gradient layer replaces with its own. Order of operations within one step
(as NEST's ``iaf_psc_exp``): membrane update from the state at the start of the step (skipped while
refractory), synaptic decay, arriving synaptic input, threshold, reset and refractory countdown. An input
arriving through an exponential synapse therefore moves the membrane from the next step on; a delta-synapse
input moves it at once (and is lost while the neuron is refractory).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, NamedTuple

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, InputTypeError, ShapeError

ResetMode = Literal["zero", "subtract"]
SynapseKind = Literal["delta", "current", "conductance"]
SpikeFn = Callable[[torch.Tensor], torch.Tensor]

__all__ = [
    "CUBA_LIF",
    "IFConfig",
    "LIFConfig",
    "LIFState",
    "Propagators",
    "ResetMode",
    "SpikeFn",
    "SynapseKind",
    "SynapticInput",
    "heaviside",
    "if_step",
    "init_state",
    "lif_step",
    "propagators",
    "step",
]


# ----- parameters ----------------------------------------------------------------------------------------------
class IFConfig(Config):
    """Non-leaky integrate-and-fire neuron: C_m dV/dt = I_syn + I_ext + i_bias.

    ``reset_mode="zero"`` sets V to ``v_reset`` after a spike (reset to zero when ``v_reset = 0``);
    ``"subtract"`` lowers V by ``v_th − v_reset`` and keeps the overshoot. Synapses: ``"delta"`` (an input is
    a voltage jump [V]) or ``"current"`` (an input is a jump of an exponentially decaying current [A]).
    """

    c_m: float = Field(250e-12, gt=0, description="membrane capacitance [F]")
    v_th: float = Field(15e-3, description="firing threshold [V]")
    v_reset: float = Field(0.0, description="reset potential; the resting/initial potential of an IF neuron [V]")
    t_ref: float = Field(0.0, ge=0, description="absolute refractory period, membrane clamped [s]")
    reset_mode: ResetMode = Field("zero", description="'zero' (to v_reset) or 'subtract' (by v_th − v_reset)")
    synapse: Literal["delta", "current"] = Field("delta", description="synapse kind: 'delta' or 'current'")
    tau_syn_exc: float = Field(2e-3, gt=0, description="excitatory synaptic current time constant [s]")
    tau_syn_inh: float = Field(2e-3, gt=0, description="inhibitory synaptic current time constant [s]")
    i_bias: float = Field(0.0, description="constant bias current [A]")

    @model_validator(mode="after")
    def _check(self) -> IFConfig:
        if not self.v_reset < self.v_th:
            raise ValueError(f"v_reset = {self.v_reset!r} must be below v_th = {self.v_th!r}")
        return self


class LIFConfig(Config):
    """Leaky integrate-and-fire neuron: τ_m dV/dt = −(V − v_rest) + R (I_syn + I_ext + i_bias), R = τ_m/C_m.

    Synapses: ``"delta"`` (input = voltage jump [V]), ``"current"`` (exponential current, input = current jump
    [A], signed), ``"conductance"`` (exponential conductance, input = conductance jump [S] ≥ 0, driving
    I_syn = g_exc (e_exc − V) + g_inh (e_inh − V)).

    Defaults are NEST 3's published ``iaf_psc_exp`` defaults (C_m 250 pF, τ_m 10 ms, E_L −70 mV, V_th −55 mV,
    V_reset −70 mV, t_ref 2 ms, τ_syn 2 ms) with ``iaf_cond_exp``'s reversal potentials (0 mV, −85 mV).
    """

    c_m: float = Field(250e-12, gt=0, description="membrane capacitance [F]")
    tau_m: float = Field(10e-3, gt=0, description="membrane time constant [s]")
    v_rest: float = Field(-70e-3, description="resting (leak reversal) potential [V]")
    v_th: float = Field(-55e-3, description="firing threshold [V]")
    v_reset: float = Field(-70e-3, description="reset potential [V]")
    t_ref: float = Field(2e-3, ge=0, description="absolute refractory period, membrane clamped [s]")
    reset_mode: ResetMode = Field("zero", description="'zero' (to v_reset) or 'subtract' (by v_th − v_reset)")
    synapse: SynapseKind = Field("current", description="synapse kind: 'delta', 'current' or 'conductance'")
    tau_syn_exc: float = Field(2e-3, gt=0, description="excitatory synaptic time constant [s]")
    tau_syn_inh: float = Field(2e-3, gt=0, description="inhibitory synaptic time constant [s]")
    e_exc: float = Field(0.0, description="excitatory reversal potential (conductance synapses) [V]")
    e_inh: float = Field(-85e-3, description="inhibitory reversal potential (conductance synapses) [V]")
    i_bias: float = Field(0.0, description="constant bias current [A]")

    @model_validator(mode="after")
    def _check(self) -> LIFConfig:
        if not self.v_reset < self.v_th:
            raise ValueError(f"v_reset = {self.v_reset!r} must be below v_th = {self.v_th!r}")
        if self.synapse == "conductance" and not self.e_inh < self.e_exc:
            raise ValueError(f"e_inh = {self.e_inh!r} must be below e_exc = {self.e_exc!r}")
        return self

    @property
    def r_m(self) -> float:
        """Membrane resistance τ_m / C_m [Ω]."""
        return self.tau_m / self.c_m

    @property
    def g_leak(self) -> float:
        """Leak conductance C_m / τ_m [S]."""
        return self.c_m / self.tau_m


#: The CUBA network's neuron (Vogels & Abbott 2005, J. Neurosci. 25:10786, as in Brian2's CUBA example and
#: NEST's ``iaf_psc_exp`` version of it): τ_m 20 ms, E_L −49 mV (above threshold: tonic firing), V_th −50 mV,
#: V_reset −60 mV, t_ref 5 ms, τ_exc 5 ms, τ_inh 10 ms, C_m 250 pF (NEST's value; the dynamics only see R·I).
CUBA_LIF = LIFConfig(
    c_m=250e-12, tau_m=20e-3, v_rest=-49e-3, v_th=-50e-3, v_reset=-60e-3, t_ref=5e-3,
    synapse="current", tau_syn_exc=5e-3, tau_syn_inh=10e-3,
)  # fmt: skip


# ----- propagators ---------------------------------------------------------------------------------------------
class Propagators(NamedTuple):
    """Exact-integration coefficients of a linear neuron for one time step ``dt`` (see the module docstring)."""

    dt: float  #: time step [s]
    decay_m: float  #: exp(−dt/τ_m) (1 for IF)
    decay_exc: float  #: exp(−dt/τ_syn_exc)
    decay_inh: float  #: exp(−dt/τ_syn_inh)
    coupling_exc: float  #: V(t+dt) per A of excitatory current at t [V/A] (0 for delta/conductance synapses)
    coupling_inh: float  #: V(t+dt) per A of inhibitory current at t [V/A]
    dc_gain: float  #: V(t+dt) per A of input held over the step: (1 − exp(−dt/τ_m))·R, dt/C_m for IF [V/A]
    refractory_steps: int  #: round(t_ref / dt)


def _coupling(dt: float, tau_m: float, tau_s: float, c_m: float) -> float:
    """τ_s τ_m/(C (τ_m − τ_s)) (e^{−dt/τ_m} − e^{−dt/τ_s}), written stably (τ_m = inf gives the IF limit)."""
    a = 1.0 / tau_s - (0.0 if math.isinf(tau_m) else 1.0 / tau_m)  # rate difference [1/s]
    decay_m = 1.0 if math.isinf(tau_m) else math.exp(-dt / tau_m)
    window = dt if a == 0.0 else -math.expm1(-dt * a) / a  # ∫_0^dt e^{−a s} ds [s]
    return decay_m * window / c_m


def propagators(params: IFConfig | LIFConfig, dt: float) -> Propagators:
    """The propagators of ``params`` for a time step ``dt`` [s] (must be > 0, and t_ref a whole number of steps
    to within 1 % of a step)."""
    if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")
    dt = float(dt)
    if not isinstance(params, IFConfig | LIFConfig):
        raise InputTypeError(f"propagators: params must be IFConfig or LIFConfig, got {type(params).__name__}")
    steps = params.t_ref / dt
    if abs(steps - round(steps)) > 0.01:
        raise ConfigError(f"t_ref = {params.t_ref!r} s is not a whole number of time steps dt = {dt!r} s")
    tau_m = math.inf if isinstance(params, IFConfig) else params.tau_m
    decay_m = 1.0 if math.isinf(tau_m) else math.exp(-dt / tau_m)
    dc_gain = dt / params.c_m if math.isinf(tau_m) else -math.expm1(-dt / tau_m) * tau_m / params.c_m
    current = params.synapse == "current"
    return Propagators(
        dt=dt,
        decay_m=decay_m,
        decay_exc=math.exp(-dt / params.tau_syn_exc),
        decay_inh=math.exp(-dt / params.tau_syn_inh),
        coupling_exc=_coupling(dt, tau_m, params.tau_syn_exc, params.c_m) if current else 0.0,
        coupling_inh=_coupling(dt, tau_m, params.tau_syn_inh, params.c_m) if current else 0.0,
        dc_gain=dc_gain,
        refractory_steps=round(steps),
    )


# ----- state and inputs ----------------------------------------------------------------------------------------
class LIFState(NamedTuple):
    """State of a population of IF/LIF neurons (every tensor of the population's shape)."""

    v: torch.Tensor  #: membrane potential [V]
    syn_exc: torch.Tensor  #: excitatory synaptic current [A] or conductance [S] (zeros for delta synapses)
    syn_inh: torch.Tensor  #: inhibitory synaptic current [A] (signed) or conductance [S]
    refractory: torch.Tensor  #: remaining refractory steps (int32)
    spikes: torch.Tensor  #: spikes emitted in the last step (0/1, the dtype of v)


class SynapticInput(NamedTuple):
    """Input of one step. Delta synapses: voltage jumps [V]; current synapses: current jumps [A] (inhibitory
    ones negative); conductance synapses: conductance jumps [S] (≥ 0). ``i_ext`` [A] is held over the step."""

    exc: torch.Tensor | float = 0.0
    inh: torch.Tensor | float = 0.0
    i_ext: torch.Tensor | float = 0.0


def init_state(
    params: IFConfig | LIFConfig,
    shape: int | tuple[int, ...],
    v: torch.Tensor | float | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> LIFState:
    """A population at rest: V = ``v`` (default v_rest for LIF, v_reset for IF), no synaptic input, not
    refractory, no spikes."""
    if not isinstance(params, IFConfig | LIFConfig):
        raise InputTypeError(f"init_state: params must be IFConfig or LIFConfig, got {type(params).__name__}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any((not isinstance(n, int)) or n < 0 for n in shape):
        raise ShapeError(f"init_state: shape must be non-negative integers, got {shape!r}")
    zeros = torch.zeros(shape, dtype=dtype, device=device)
    if v is None:
        v0 = zeros + (params.v_reset if isinstance(params, IFConfig) else params.v_rest)
    else:
        v0 = torch.as_tensor(v, dtype=dtype, device=device)
        try:
            v0 = torch.broadcast_to(v0, shape).clone()
        except RuntimeError:
            raise ShapeError(f"init_state: v of shape {tuple(v0.shape)} does not fit shape {shape}") from None
        if not torch.isfinite(v0).all():
            raise ShapeError("init_state: v holds NaN or infinite values")
    return LIFState(
        v=v0,
        syn_exc=zeros.clone(),
        syn_inh=zeros.clone(),
        refractory=torch.zeros(shape, dtype=torch.int32, device=device),
        spikes=zeros.clone(),
    )


# ----- step functions ------------------------------------------------------------------------------------------
def heaviside(x: torch.Tensor) -> torch.Tensor:
    """The spike nonlinearity: 1 where ``x >= 0`` (the membrane reached threshold), else 0, in x's dtype."""
    return (x >= 0).to(x.dtype)


def _as_input(inputs: SynapticInput | torch.Tensor | float) -> SynapticInput:
    if isinstance(inputs, SynapticInput):
        return inputs
    if isinstance(inputs, torch.Tensor | int | float):
        return SynapticInput(exc=inputs)
    raise InputTypeError(f"inputs must be a SynapticInput or a tensor, got {type(inputs).__name__}")


def _linear_step(
    state: LIFState,
    inputs: SynapticInput,
    params: IFConfig | LIFConfig,
    prop: Propagators,
    spike_fn: SpikeFn,
    detach_reset: bool,
) -> LIFState:
    v, g_e, g_i, ref = state.v, state.syn_exc, state.syn_inh, state.refractory
    active = ref <= 0
    i_drive = inputs.i_ext + params.i_bias
    if params.synapse == "conductance":
        assert isinstance(params, LIFConfig)
        g_tot = params.g_leak + g_e + g_i  # [S]
        v_inf = (params.g_leak * params.v_rest + g_e * params.e_exc + g_i * params.e_inh + i_drive) / g_tot
        v_new = v_inf + (v - v_inf) * torch.exp(-prop.dt * g_tot / params.c_m)
    else:
        v_rest = params.v_rest if isinstance(params, LIFConfig) else 0.0
        v_new = v_rest + prop.decay_m * (v - v_rest) + prop.dc_gain * i_drive
        if params.synapse == "current":
            v_new = v_new + prop.coupling_exc * g_e + prop.coupling_inh * g_i
        else:  # delta: the jumps arrive in this step
            v_new = v_new + inputs.exc + inputs.inh
    v = torch.where(active, v_new, v)
    if params.synapse != "delta":
        g_e = prop.decay_exc * g_e + inputs.exc
        g_i = prop.decay_inh * g_i + inputs.inh
    s = spike_fn(v - params.v_th) * active
    s_reset = s.detach() if detach_reset else s
    if params.reset_mode == "zero":
        v = v - s_reset * (v - params.v_reset)
    else:
        v = v - s_reset * (params.v_th - params.v_reset)
    fired = s.detach() > 0
    ref = torch.where(fired, prop.refractory_steps, torch.where(active, 0, ref - 1)).to(torch.int32)
    return LIFState(v=v, syn_exc=g_e, syn_inh=g_i, refractory=ref, spikes=s)


def lif_step(
    state: LIFState,
    inputs: SynapticInput | torch.Tensor | float,
    params: LIFConfig,
    prop: Propagators,
    spike_fn: SpikeFn = heaviside,
    detach_reset: bool = False,
) -> LIFState:
    """Advance a LIF population by one step ``prop.dt``. A bare tensor as ``inputs`` is the excitatory input."""
    if not isinstance(params, LIFConfig):
        raise InputTypeError(f"lif_step: params must be LIFConfig, got {type(params).__name__}")
    return _linear_step(state, _as_input(inputs), params, prop, spike_fn, detach_reset)


def if_step(
    state: LIFState,
    inputs: SynapticInput | torch.Tensor | float,
    params: IFConfig,
    prop: Propagators,
    spike_fn: SpikeFn = heaviside,
    detach_reset: bool = False,
) -> LIFState:
    """Advance a non-leaky IF population by one step ``prop.dt``. A bare tensor as ``inputs`` is the
    excitatory input."""
    if not isinstance(params, IFConfig):
        raise InputTypeError(f"if_step: params must be IFConfig, got {type(params).__name__}")
    return _linear_step(state, _as_input(inputs), params, prop, spike_fn, detach_reset)


def step(
    state: LIFState,
    inputs: SynapticInput | torch.Tensor | float,
    params: IFConfig | LIFConfig,
    prop: Propagators,
    spike_fn: SpikeFn = heaviside,
    detach_reset: bool = False,
) -> LIFState:
    """Advance a population by one step, choosing the step function from the type of ``params``."""
    if isinstance(params, LIFConfig):
        return lif_step(state, inputs, params, prop, spike_fn, detach_reset)
    if isinstance(params, IFConfig):
        return if_step(state, inputs, params, prop, spike_fn, detach_reset)
    raise InputTypeError(f"step: no step function for params of type {type(params).__name__}")
