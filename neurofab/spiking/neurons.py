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
    "ADEX_BRETTE_GERSTNER",
    "CUBA_LIF",
    "IZHIKEVICH_RS",
    "AdExConfig",
    "AdaptiveState",
    "EulerPlan",
    "IFConfig",
    "IntegerIFConfig",
    "IntegerState",
    "IzhikevichConfig",
    "LIFConfig",
    "LIFState",
    "NeuronConfig",
    "Propagators",
    "ResetMode",
    "SpikeFn",
    "SynapseKind",
    "SynapticInput",
    "adex_step",
    "check_builtin",
    "heaviside",
    "if_step",
    "init_state",
    "integer_if_step",
    "izhikevich_step",
    "lif_step",
    "propagators",
    "step",
    "wrap",
]


# ----- physical ranges (the upper bounds catch milliseconds given as seconds; voltages are not bounded, since
# normalized models use volts as arbitrary units and a relay may set an unreachable threshold) -----------------
MAX_TAU = 1.0  #: longest membrane/synaptic time constant and refractory period [s]
MAX_TAU_ADAPT = 10.0  #: longest adaptation time constant (AdEx τ_w) [s]
MAX_C_M = 1.0  #: largest membrane capacitance [F] (1 F admits normalized models with C = 1)
MAX_DT = 10e-3  #: longest time step and Euler sub-step [s]


# ----- parameters ----------------------------------------------------------------------------------------------
class IFConfig(Config):
    """Non-leaky integrate-and-fire neuron: C_m dV/dt = I_syn + I_ext + i_bias.

    ``reset_mode="zero"`` sets V to ``v_reset`` after a spike (reset to zero when ``v_reset = 0``);
    ``"subtract"`` lowers V by ``v_th − v_reset`` and keeps the overshoot. Synapses: ``"delta"`` (an input is
    a voltage jump [V]) or ``"current"`` (an input is a jump of an exponentially decaying current [A]).
    """

    c_m: float = Field(250e-12, gt=0, le=MAX_C_M,
                       description="membrane capacitance, in (0, 1 F] (1 admits normalized models) [F]")
    v_th: float = Field(15e-3, description="firing threshold [V]")
    v_reset: float = Field(0.0, description="reset potential; the resting/initial potential of an IF neuron [V]")
    t_ref: float = Field(0.0, ge=0, le=MAX_TAU,
                         description="absolute refractory period, membrane clamped, in [0, 1 s] [s]")
    reset_mode: ResetMode = Field("zero", description="'zero' (to v_reset) or 'subtract' (by v_th − v_reset)")
    synapse: Literal["delta", "current"] = Field("delta", description="synapse kind: 'delta' or 'current'")
    tau_syn_exc: float = Field(2e-3, gt=0, le=MAX_TAU,
                               description="excitatory synaptic current time constant, in (0, 1 s] [s]")
    tau_syn_inh: float = Field(2e-3, gt=0, le=MAX_TAU,
                               description="inhibitory synaptic current time constant, in (0, 1 s] [s]")
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

    c_m: float = Field(250e-12, gt=0, le=MAX_C_M,
                       description="membrane capacitance, in (0, 1 F] (1 admits normalized models) [F]")
    tau_m: float = Field(10e-3, gt=0, le=MAX_TAU, description="membrane time constant, in (0, 1 s] [s]")
    v_rest: float = Field(-70e-3, description="resting (leak reversal) potential [V]")
    v_th: float = Field(-55e-3, description="firing threshold [V]")
    v_reset: float = Field(-70e-3, description="reset potential [V]")
    t_ref: float = Field(2e-3, ge=0, le=MAX_TAU,
                         description="absolute refractory period, membrane clamped, in [0, 1 s] [s]")
    reset_mode: ResetMode = Field("zero", description="'zero' (to v_reset) or 'subtract' (by v_th − v_reset)")
    synapse: SynapseKind = Field("current", description="synapse kind: 'delta', 'current' or 'conductance'")
    tau_syn_exc: float = Field(2e-3, gt=0, le=MAX_TAU, description="excitatory synaptic time constant, in (0, 1 s] [s]")
    tau_syn_inh: float = Field(2e-3, gt=0, le=MAX_TAU, description="inhibitory synaptic time constant, in (0, 1 s] [s]")
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


class _SynapseFields(Config):
    """Synapse fields shared by the nonlinear neurons (Izhikevich, AdEx)."""

    synapse: SynapseKind = Field("current", description="synapse kind: 'delta', 'current' or 'conductance'")
    tau_syn_exc: float = Field(5e-3, gt=0, le=MAX_TAU, description="excitatory synaptic time constant, in (0, 1 s] [s]")
    tau_syn_inh: float = Field(10e-3, gt=0, le=MAX_TAU,
                               description="inhibitory synaptic time constant, in (0, 1 s] [s]")
    e_exc: float = Field(0.0, description="excitatory reversal potential (conductance synapses) [V]")
    e_inh: float = Field(-85e-3, description="inhibitory reversal potential (conductance synapses) [V]")
    i_bias: float = Field(0.0, description="constant bias current [A]")
    max_substep: float = Field(25e-6, gt=0, le=MAX_DT,
                               description="longest forward-Euler sub-step of the nonlinear ODE, in (0, 10 ms] [s]")


class IzhikevichConfig(_SynapseFields):
    """Izhikevich's simple model in its dimensional form (Izhikevich 2007, Dynamical Systems in Neuroscience,
    eqs. 8.5–8.6):

        C dV/dt = k (V − v_rest)(V − v_t) − u + I,     du/dt = a (b (V − v_rest) − u)
        if V ≥ v_peak:  V ← c,  u ← u + d

    The quadratic ODE is integrated by forward Euler in sub-steps of at most ``max_substep``; V is held at
    v_peak once it gets there, and the spike is emitted at the end of the step. Defaults: the regular-spiking
    cortical pyramidal cell of the book (C 100 pF, k 0.7 pA/mV², v_r −60 mV, v_t −40 mV, v_peak 35 mV,
    a 0.03 /ms, b −2 nS, c −50 mV, d 100 pA).
    """

    c_m: float = Field(100e-12, gt=0, le=MAX_C_M,
                       description="membrane capacitance, in (0, 1 F] (1 admits normalized models) [F]")
    k: float = Field(0.7e-6, gt=0, description="gain of the quadratic term [A/V²]")
    v_rest: float = Field(-60e-3, description="resting potential v_r [V]")
    v_t: float = Field(-40e-3, description="instantaneous threshold potential [V]")
    v_peak: float = Field(35e-3, description="spike cut-off: V is reset when it reaches v_peak [V]")
    a: float = Field(30.0, gt=0, description="recovery rate a [1/s]")
    b: float = Field(-2e-9, description="recovery sensitivity to V − v_rest [S]")
    c: float = Field(-50e-3, description="reset potential [V]")
    d: float = Field(100e-12, description="recovery jump after a spike [A]")

    @model_validator(mode="after")
    def _check(self) -> IzhikevichConfig:
        if not self.v_rest < self.v_t < self.v_peak:
            raise ValueError(f"need v_rest < v_t < v_peak, got {self.v_rest!r}, {self.v_t!r}, {self.v_peak!r}")
        if not self.c < self.v_peak:
            raise ValueError(f"reset c = {self.c!r} must be below v_peak = {self.v_peak!r}")
        return self


class AdExConfig(_SynapseFields):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005, J. Neurophysiol. 94:3637, eqs. 1–2):

        C dV/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_T)/Δ_T) − w + I,    τ_w dw/dt = a (V − E_L) − w
        if V ≥ v_peak:  V ← v_reset,  w ← w + b,  then V clamped for t_ref

    Forward Euler in sub-steps of at most ``max_substep`` (the exponential is evaluated with V capped at
    v_peak). Defaults: the paper's regular-spiking parameters as in NEST 3's published ``aeif_cond_exp``
    defaults (C 281 pF, g_L 30 nS, E_L −70.6 mV, V_T −50.4 mV, Δ_T 2 mV, τ_w 144 ms, a 4 nS, b 80.5 pA,
    V_reset −60 mV, V_peak 0 mV, t_ref 0).
    """

    c_m: float = Field(281e-12, gt=0, le=MAX_C_M,
                       description="membrane capacitance, in (0, 1 F] (1 admits normalized models) [F]")
    g_leak: float = Field(30e-9, gt=0, description="leak conductance [S]")
    v_rest: float = Field(-70.6e-3, description="leak reversal potential E_L [V]")
    v_t: float = Field(-50.4e-3, description="exponential threshold V_T [V]")
    delta_t: float = Field(2e-3, gt=0, description="slope factor Δ_T [V]")
    v_peak: float = Field(0.0, description="spike cut-off [V]")
    v_reset: float = Field(-60e-3, description="reset potential [V]")
    t_ref: float = Field(0.0, ge=0, le=MAX_TAU,
                         description="absolute refractory period, membrane clamped, in [0, 1 s] [s]")
    tau_w: float = Field(144e-3, gt=0, le=MAX_TAU_ADAPT, description="adaptation time constant, in (0, 10 s] [s]")
    a: float = Field(4e-9, description="subthreshold adaptation [S]")
    b: float = Field(80.5e-12, description="spike-triggered adaptation jump [A]")

    @model_validator(mode="after")
    def _check(self) -> AdExConfig:
        if not self.v_reset < self.v_peak:
            raise ValueError(f"v_reset = {self.v_reset!r} must be below v_peak = {self.v_peak!r}")
        if not self.v_t < self.v_peak:
            raise ValueError(f"v_t = {self.v_t!r} must be below v_peak = {self.v_peak!r}")
        return self


class IntegerIFConfig(Config):
    """Integer integrate-and-fire accumulator of a digital neuromorphic core.

    Each step the accumulator adds the (integer) synaptic input and ``leak`` in ``bits``-bit two's-complement
    arithmetic, so a sum beyond the largest representable value wraps around to negative values, as a hardware
    adder does; it fires when the accumulator is ≥ ``threshold`` and then resets (to ``v_reset``, or by
    subtracting ``threshold − v_reset``).
    """

    bits: int = Field(16, ge=2, le=32, description="accumulator width [bits]")
    threshold: int = Field(64, description="firing threshold [LSB]")
    v_reset: int = Field(0, description="reset value [LSB]")
    leak: int = Field(0, description="added every step, negative to leak down [LSB]")
    reset_mode: ResetMode = Field("zero", description="'zero' (to v_reset) or 'subtract' (by threshold − v_reset)")
    refractory_steps: int = Field(0, ge=0, description="steps the accumulator is frozen after a spike [steps]")

    @model_validator(mode="after")
    def _check(self) -> IntegerIFConfig:
        lo, hi = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        for name in ("threshold", "v_reset", "leak"):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} = {value} does not fit a {self.bits}-bit accumulator [{lo}, {hi}]")
        if not self.v_reset < self.threshold:
            raise ValueError(f"v_reset = {self.v_reset} must be below threshold = {self.threshold}")
        return self


#: Izhikevich (2007) regular-spiking cortical neuron (the defaults of :class:`IzhikevichConfig`).
IZHIKEVICH_RS = IzhikevichConfig()
#: Brette & Gerstner (2005) AdEx with NEST's aeif_cond_exp conductance synapses (τ_exc 0.2 ms, τ_inh 2 ms).
ADEX_BRETTE_GERSTNER = AdExConfig(synapse="conductance", tau_syn_exc=0.2e-3, tau_syn_inh=2e-3)

NeuronConfig = IFConfig | LIFConfig | IzhikevichConfig | AdExConfig | IntegerIFConfig


_BUILTIN = (LIFConfig, IFConfig, IzhikevichConfig, AdExConfig, IntegerIFConfig)
#: fields a subclass of a built-in config may add: the time step a stepped config carries (layers.leaky)
_HONOURED_EXTRA = frozenset({"dt"})


def check_builtin(params: object, who: str = "neuron") -> None:
    """Raise ConfigError when ``params`` is a subclass of a built-in neuron config that adds fields the built-in
    step would ignore (only a carried ``dt`` is honoured); a new neuron is a
    :class:`~neurofab.spiking.models.NeuronModel`."""
    for base in _BUILTIN:
        if isinstance(params, base) and type(params) is not base:
            extra = sorted(set(type(params).model_fields) - set(base.model_fields) - _HONOURED_EXTRA)
            if extra:
                raise ConfigError(
                    f"{who}: {type(params).__name__} adds field(s) {', '.join(extra)} to {base.__name__}, which the "
                    f"{base.__name__} step does not read; define a NeuronModel (neurofab.spiking.models) for a new "
                    "neuron model")
            return


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
    if a < 0:  # τ_m < τ_s: the same expression with the roles swapped, so no exponential grows
        return math.exp(-dt / tau_s) * (-math.expm1(dt * a) / -a) / c_m
    decay_m = 1.0 if math.isinf(tau_m) else math.exp(-dt / tau_m)
    window = dt if a == 0.0 else -math.expm1(-dt * a) / a  # ∫_0^dt e^{−a s} ds [s]
    return decay_m * window / c_m


class EulerPlan(NamedTuple):
    """Integration plan of a nonlinear neuron (Izhikevich, AdEx) for one time step ``dt``."""

    dt: float  #: time step [s]
    substeps: int  #: forward-Euler sub-steps per step
    decay_exc: float  #: exp(−h/τ_syn_exc) for one sub-step h = dt/substeps (synapses stay exact)
    decay_inh: float  #: exp(−h/τ_syn_inh) for one sub-step
    refractory_steps: int  #: round(t_ref / dt)


def _check_dt(dt: float) -> float:
    if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")
    return float(dt)


def _refractory_steps(t_ref: float, dt: float) -> int:
    steps = t_ref / dt
    if steps > 2**31 - 1:  # the kernels count refractory steps in int32
        raise ConfigError(f"t_ref = {t_ref!r} s is {steps:.3g} time steps of dt = {dt!r} s; at most 2³¹ − 1")
    if abs(steps - round(steps)) > 0.01:
        raise ConfigError(f"t_ref = {t_ref!r} s is not a whole number of time steps dt = {dt!r} s")
    return round(steps)


def propagators(params: NeuronConfig, dt: float) -> Propagators | EulerPlan | None:
    """The integration coefficients of ``params`` for a time step ``dt`` [s]: exact :class:`Propagators` for
    IF/LIF, an :class:`EulerPlan` for Izhikevich/AdEx, ``None`` for the integer accumulator (no time constant).
    ``dt`` must be > 0 and ``t_ref`` a whole number of steps (to within 1 % of a step)."""
    dt = _check_dt(dt)
    check_builtin(params, "propagators")
    if isinstance(params, IntegerIFConfig):
        return None
    if isinstance(params, IzhikevichConfig | AdExConfig):
        substeps = max(1, math.ceil(dt / params.max_substep - 1e-9))
        h = dt / substeps
        t_ref = params.t_ref if isinstance(params, AdExConfig) else 0.0
        return EulerPlan(
            dt=dt,
            substeps=substeps,
            decay_exc=math.exp(-h / params.tau_syn_exc),
            decay_inh=math.exp(-h / params.tau_syn_inh),
            refractory_steps=_refractory_steps(t_ref, dt),
        )
    if not isinstance(params, IFConfig | LIFConfig):
        raise InputTypeError(f"propagators: params must be a neuron config, got {type(params).__name__}")
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
        refractory_steps=_refractory_steps(params.t_ref, dt),
    )


# ----- state and inputs ----------------------------------------------------------------------------------------
class LIFState(NamedTuple):
    """State of a population of IF/LIF neurons (every tensor of the population's shape)."""

    v: torch.Tensor  #: membrane potential [V]
    syn_exc: torch.Tensor  #: excitatory synaptic current [A] or conductance [S] (zeros for delta synapses)
    syn_inh: torch.Tensor  #: inhibitory synaptic current [A] (signed) or conductance [S]
    refractory: torch.Tensor  #: remaining refractory steps (int32)
    spikes: torch.Tensor  #: spikes emitted in the last step (0/1, the dtype of v)


class AdaptiveState(NamedTuple):
    """State of a population of Izhikevich or AdEx neurons."""

    v: torch.Tensor  #: membrane potential [V]
    w: torch.Tensor  #: recovery / adaptation current (u of Izhikevich, w of AdEx) [A]
    syn_exc: torch.Tensor  #: excitatory synaptic current [A] or conductance [S]
    syn_inh: torch.Tensor  #: inhibitory synaptic current [A] or conductance [S]
    refractory: torch.Tensor  #: remaining refractory steps (int32)
    spikes: torch.Tensor  #: spikes emitted in the last step (0/1)


class IntegerState(NamedTuple):
    """State of a population of integer accumulators."""

    v: torch.Tensor  #: accumulator value (int64, always within the accumulator's range) [LSB]
    refractory: torch.Tensor  #: remaining refractory steps (int32)
    spikes: torch.Tensor  #: spikes emitted in the last step (0/1, uint8)


class SynapticInput(NamedTuple):
    """Input of one step. Delta synapses: voltage jumps [V]; current synapses: current jumps [A] (inhibitory
    ones negative); conductance synapses: conductance jumps [S] (≥ 0). ``i_ext`` [A] is held over the step."""

    exc: torch.Tensor | float = 0.0
    inh: torch.Tensor | float = 0.0
    i_ext: torch.Tensor | float = 0.0


def _initial(v: torch.Tensor | float | None, default: float, shape: tuple[int, ...], dtype, device) -> torch.Tensor:
    if v is None:
        return torch.full(shape, default, dtype=dtype, device=device)
    v0 = torch.as_tensor(v, dtype=dtype, device=device)
    try:
        v0 = torch.broadcast_to(v0, shape).clone()
    except RuntimeError:
        raise ShapeError(
            f"init_state: v of shape {tuple(v0.shape)} does not fit the population shape {shape}"
        ) from None
    if v0.is_floating_point() and not torch.isfinite(v0).all():
        raise ShapeError("init_state: v holds NaN or infinite values")
    return v0


def init_state(
    params: NeuronConfig,
    shape: int | tuple[int, ...],
    v: torch.Tensor | float | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> LIFState | AdaptiveState | IntegerState:
    """A population at rest: V = ``v`` (default: v_rest; v_reset for IF and the integer accumulator), no
    synaptic input, not refractory, no spikes. Izhikevich starts with u = b (V − v_rest), AdEx with
    w = a (V − E_L) (their fixed points for that V)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape):
        raise ShapeError(f"init_state: shape must be non-negative integers, got {shape!r}")
    ref = torch.zeros(shape, dtype=torch.int32, device=device)
    if isinstance(params, IntegerIFConfig):
        if isinstance(v, float) or (isinstance(v, torch.Tensor) and (v.is_floating_point() or v.dtype == torch.bool)):
            raise InputTypeError("init_state: an integer accumulator needs an integer v")
        v0 = _initial(v, params.v_reset, shape, torch.int64, device)
        return IntegerState(v=wrap(v0, params.bits), refractory=ref, spikes=torch.zeros(shape, dtype=torch.uint8))
    zeros = torch.zeros(shape, dtype=dtype, device=device)
    if isinstance(params, IzhikevichConfig | AdExConfig):
        v0 = _initial(v, params.v_rest, shape, dtype, device)
        slope = params.b if isinstance(params, IzhikevichConfig) else params.a
        w0 = slope * (v0 - params.v_rest)
        return AdaptiveState(v=v0, w=w0, syn_exc=zeros, syn_inh=zeros.clone(), refractory=ref, spikes=zeros.clone())
    if not isinstance(params, IFConfig | LIFConfig):
        raise InputTypeError(f"init_state: params must be a neuron config, got {type(params).__name__}")
    default = params.v_reset if isinstance(params, IFConfig) else params.v_rest
    v0 = _initial(v, default, shape, dtype, device)
    return LIFState(v=v0, syn_exc=zeros, syn_inh=zeros.clone(), refractory=ref, spikes=zeros.clone())


# ----- step functions ------------------------------------------------------------------------------------------
def heaviside(x: torch.Tensor) -> torch.Tensor:
    """The spike nonlinearity: 1 where ``x >= 0`` (the membrane reached threshold), else 0, in x's dtype."""
    return (x >= 0).to(x.dtype)


def _as_input(inputs: SynapticInput | torch.Tensor | float, shape: torch.Size) -> SynapticInput:
    """The step's input as a SynapticInput whose tensors broadcast to the population ``shape`` (checked)."""
    if isinstance(inputs, torch.Tensor | int | float):
        inputs = SynapticInput(exc=inputs)
    elif not isinstance(inputs, SynapticInput):
        raise InputTypeError(f"inputs must be a SynapticInput or a tensor, got {type(inputs).__name__}")
    for name, x in zip(inputs._fields, inputs):
        if isinstance(x, torch.Tensor) and x.shape != shape:
            try:
                ok = torch.broadcast_shapes(x.shape, shape) == shape
            except RuntimeError:
                ok = False
            if not ok:
                raise ShapeError(f"input {name} of shape {tuple(x.shape)} does not fit the population {tuple(shape)}")
    return inputs


def _check_prop(prop: object, kind: type, who: str) -> None:
    if not isinstance(prop, kind):
        raise InputTypeError(f"{who}: expected {kind.__name__} from propagators(params, dt), got {type(prop).__name__}")


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
    _check_prop(prop, Propagators, "lif_step")
    return _linear_step(state, _as_input(inputs, state.v.shape), params, prop, spike_fn, detach_reset)


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
    _check_prop(prop, Propagators, "if_step")
    return _linear_step(state, _as_input(inputs, state.v.shape), params, prop, spike_fn, detach_reset)


def _adaptive_step(
    state: AdaptiveState,
    inputs: SynapticInput,
    params: IzhikevichConfig | AdExConfig,
    plan: EulerPlan,
    spike_fn: SpikeFn,
) -> AdaptiveState:
    v, w, g_e, g_i, ref = state.v, state.w, state.syn_exc, state.syn_inh, state.refractory
    active = ref <= 0
    h = plan.dt / plan.substeps
    i_drive = inputs.i_ext + params.i_bias
    izh = isinstance(params, IzhikevichConfig)
    for _ in range(plan.substeps):
        if params.synapse == "current":
            i_syn = g_e + g_i
        elif params.synapse == "conductance":
            i_syn = g_e * (params.e_exc - v) + g_i * (params.e_inh - v)
        else:
            i_syn = 0.0
        if izh:
            dv = (params.k * (v - params.v_rest) * (v - params.v_t) - w + i_syn + i_drive) / params.c_m
            dw = params.a * (params.b * (v - params.v_rest) - w)
        else:
            v_cap = torch.clamp(v, max=params.v_peak)
            spike_current = params.g_leak * params.delta_t * torch.exp((v_cap - params.v_t) / params.delta_t)
            leak = params.g_leak * (v - params.v_rest)
            dv = (-leak + spike_current - w + i_syn + i_drive) / params.c_m
            dw = (params.a * (v - params.v_rest) - w) / params.tau_w
        v = torch.where(active, torch.clamp(v + h * dv, max=params.v_peak), v)
        w = w + h * dw
        if params.synapse != "delta":
            g_e = plan.decay_exc * g_e
            g_i = plan.decay_inh * g_i
    if params.synapse == "delta":
        v = torch.where(active, torch.clamp(v + inputs.exc + inputs.inh, max=params.v_peak), v)
    else:
        g_e = g_e + inputs.exc
        g_i = g_i + inputs.inh
    s = spike_fn(v - params.v_peak) * active
    v_reset = params.c if izh else params.v_reset
    v = v - s * (v - v_reset)
    w = w + s * params.d if izh else w + s * params.b
    fired = s.detach() > 0
    ref = torch.where(fired, plan.refractory_steps, torch.where(active, 0, ref - 1)).to(torch.int32)
    return AdaptiveState(v=v, w=w, syn_exc=g_e, syn_inh=g_i, refractory=ref, spikes=s)


def izhikevich_step(
    state: AdaptiveState,
    inputs: SynapticInput | torch.Tensor | float,
    params: IzhikevichConfig,
    plan: EulerPlan,
    spike_fn: SpikeFn = heaviside,
) -> AdaptiveState:
    """Advance an Izhikevich population by one step ``plan.dt`` (forward Euler in ``plan.substeps``)."""
    if not isinstance(params, IzhikevichConfig):
        raise InputTypeError(f"izhikevich_step: params must be IzhikevichConfig, got {type(params).__name__}")
    _check_prop(plan, EulerPlan, "izhikevich_step")
    return _adaptive_step(state, _as_input(inputs, state.v.shape), params, plan, spike_fn)


def adex_step(
    state: AdaptiveState,
    inputs: SynapticInput | torch.Tensor | float,
    params: AdExConfig,
    plan: EulerPlan,
    spike_fn: SpikeFn = heaviside,
) -> AdaptiveState:
    """Advance an AdEx population by one step ``plan.dt`` (forward Euler in ``plan.substeps``)."""
    if not isinstance(params, AdExConfig):
        raise InputTypeError(f"adex_step: params must be AdExConfig, got {type(params).__name__}")
    _check_prop(plan, EulerPlan, "adex_step")
    return _adaptive_step(state, _as_input(inputs, state.v.shape), params, plan, spike_fn)


def wrap(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Two's-complement wrap-around of integers into [−2^(bits−1), 2^(bits−1) − 1]."""
    half = 1 << (bits - 1)
    return torch.remainder(x + half, 1 << bits) - half


def integer_if_step(
    state: IntegerState,
    inputs: torch.Tensor | int,
    params: IntegerIFConfig,
    prop: None = None,
) -> IntegerState:
    """Advance integer accumulators by one step: v ← wrap(v + input + leak), spike when v ≥ threshold, reset.

    ``inputs`` are integer synaptic sums [LSB]; they are lost while a neuron is refractory."""
    if not isinstance(params, IntegerIFConfig):
        raise InputTypeError(f"integer_if_step: params must be IntegerIFConfig, got {type(params).__name__}")
    x = torch.as_tensor(inputs)
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise InputTypeError(f"integer_if_step: inputs must be integers, got dtype {x.dtype}")
    if x.shape != state.v.shape:
        try:
            ok = torch.broadcast_shapes(x.shape, state.v.shape) == state.v.shape
        except RuntimeError:
            ok = False
        if not ok:
            raise ShapeError(f"integer_if_step: inputs of shape {tuple(x.shape)} do not fit {tuple(state.v.shape)}")
    v, ref = state.v, state.refractory
    active = ref <= 0
    v = torch.where(active, wrap(v + x.to(torch.int64) + params.leak, params.bits), v)
    fired = active & (v >= params.threshold)
    if params.reset_mode == "zero":
        v = torch.where(fired, params.v_reset, v)
    else:
        v = torch.where(fired, wrap(v - (params.threshold - params.v_reset), params.bits), v)
    ref = torch.where(fired, params.refractory_steps, torch.where(active, 0, ref - 1)).to(torch.int32)
    return IntegerState(v=v, refractory=ref, spikes=fired.to(torch.uint8))


def step(state, inputs, params: NeuronConfig, prop, spike_fn: SpikeFn = heaviside, detach_reset: bool = False):
    """Advance a population by one step, choosing the step function from the type of ``params``
    (``spike_fn`` and ``detach_reset`` apply where the model has them)."""
    if isinstance(params, LIFConfig):
        return lif_step(state, inputs, params, prop, spike_fn, detach_reset)
    if isinstance(params, IFConfig):
        return if_step(state, inputs, params, prop, spike_fn, detach_reset)
    if isinstance(params, IzhikevichConfig):
        return izhikevich_step(state, inputs, params, prop, spike_fn)
    if isinstance(params, AdExConfig):
        return adex_step(state, inputs, params, prop, spike_fn)
    if isinstance(params, IntegerIFConfig):
        return integer_if_step(state, inputs, params, prop)
    raise InputTypeError(f"step: no step function for params of type {type(params).__name__}")
