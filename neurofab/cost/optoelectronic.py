"""Optoelectronic neuromorphic hardware as a calculator: Primavera & Shainline 2021, Front. Neurosci. 15:732368.

Two platforms share one picture — a light source per neuron, a waveguide tapped once per synapse, a detector
per synapse registering an all-or-nothing synapse event, electronics for everything else:

- **superconducting** (SOENs): waveguide-integrated SNSPDs at 4.2 K, Josephson-junction circuits, cooling;
- **semiconductor**: receiverless photodiodes driving CMOS gates at room temperature.

The module gives the paper's closed forms as small functions (each names its equation) and the two platforms
as :class:`~neurofab.core.Config` subclasses with documented presets. :func:`feasibility` takes plain keyword
numbers, so a sweep spec can call it as ``target = "neurofab.cost.optoelectronic:feasibility"``.

Every function accepts Python numbers or torch tensors (numpy arrays are converted) and broadcasts them; it
returns a float when every argument was a number and a float64-or-wider tensor otherwise. Units are SI
(joules, watts, metres, hertz, kelvin); bad values raise :class:`~neurofab.core.ConfigError` naming the
function, the argument, the value and the allowed range.
"""

from __future__ import annotations

import math
import numbers
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, InputTypeError, Registry, ShapeError

__all__ = [
    "ELEMENTARY_CHARGE_C",
    "EULER_GAMMA",
    "LIGHT_SPEED_M_PER_S",
    "PLANCK_J_S",
    "PLATFORMS",
    "SEMICONDUCTOR",
    "SUPERCONDUCTING",
    "WAFER_AREA_M2",
    "W_PER_CM2",
    "OptoelectronicPlatform",
    "SemiconductorPlatform",
    "SuperconductingPlatform",
    "carnot_specific_power",
    "cooling_power",
    "density_limited_rate",
    "density_limited_width",
    "detection_probability",
    "electronic_area",
    "electronic_planes_needed",
    "er_degree",
    "er_path_length",
    "feasibility",
    "ideal_responsivity",
    "lifetime_updates",
    "make_platform",
    "max_mean_rate",
    "max_neurons_electronic",
    "max_neurons_per_wafer",
    "max_neurons_photonic",
    "max_rate_for_source_power",
    "max_update_energy",
    "max_update_time",
    "optical_power_per_neuron",
    "photodiode_energy",
    "photon_energy",
    "photonic_area",
    "photonic_planes_needed",
    "photons_for_detection",
    "power_density",
    "snspd_energy",
    "source_energy",
    "static_crossover_rate",
]

Number = float | torch.Tensor

PLANCK_J_S = 6.62607015e-34
"""Planck constant h [J s] (exact, SI 2019)."""
LIGHT_SPEED_M_PER_S = 299_792_458.0
"""Speed of light in vacuum c [m/s] (exact)."""
ELEMENTARY_CHARGE_C = 1.602176634e-19
"""Elementary charge q [C] (exact, SI 2019)."""
EULER_GAMMA = 0.5772156649015329
"""Euler–Mascheroni constant γ of Eq. 6 (the paper prints 0.5772)."""
W_PER_CM2 = 1e4
"""One watt per square centimetre in W/m²."""
WAFER_AREA_M2 = 0.09
"""Usable area of a "300-mm wafer" [m²]: (300 mm)². The paper's plane counts (eight electronic planes for 30 µm
synapses, k̄ = 100 fitting 10⁶ neurons on one plane) come out of Eq. 7–8 with this area; the disc π(150 mm)² =
0.0707 m² gives ten planes instead of eight. Pass another area where it matters."""


# ----- argument checking -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Range:
    """An allowed interval for an argument; ``None`` bounds are open to infinity."""

    lo: float | None = 0.0
    lo_closed: bool = False
    hi: float | None = None
    hi_closed: bool = True

    def holds(self, t: torch.Tensor) -> torch.Tensor:
        ok = torch.ones_like(t, dtype=torch.bool)
        if self.lo is not None:
            ok &= (t >= self.lo) if self.lo_closed else (t > self.lo)
        if self.hi is not None:
            ok &= (t <= self.hi) if self.hi_closed else (t < self.hi)
        return ok

    def describe(self) -> str:
        if self.hi is None:
            return f"must be {'>=' if self.lo_closed else '>'} {self.lo:g}"
        lo = "[" if self.lo_closed else "("
        hi = "]" if self.hi_closed else ")"
        return f"must be in {lo}{self.lo:g}, {self.hi:g}{hi}"


_POSITIVE = _Range()
_NON_NEGATIVE = _Range(lo_closed=True)
_FRACTION = _Range(0.0, False, 1.0, True)  # efficiencies: (0, 1]
_OPEN_FRACTION = _Range(0.0, False, 1.0, False)  # probabilities strictly between 0 and 1


class _Args:
    """Checks the arguments of one call and remembers whether they were all plain numbers."""

    def __init__(self, fn: str) -> None:
        self.fn = fn
        self.scalar = True
        self.shape: tuple[int, ...] = ()
        self.shape_from = ""

    def __call__(self, name: str, value: Any, rule: _Range = _POSITIVE) -> torch.Tensor:
        if isinstance(value, bool) or not isinstance(value, numbers.Real | torch.Tensor | np.ndarray):
            raise InputTypeError(f"{self.fn}: {name} must be a number or a tensor, got {type(value).__name__}")
        if isinstance(value, numbers.Real):
            t = torch.tensor(float(value), dtype=torch.float64)
        else:
            self.scalar = False
            t = torch.as_tensor(value)
            if not (t.is_floating_point() and t.dtype.itemsize >= 8):
                t = t.to(torch.float64)
            try:
                self.shape = tuple(torch.broadcast_shapes(self.shape, t.shape))
            except RuntimeError:
                raise ShapeError(f"{self.fn}: {name} has shape {tuple(t.shape)}, which does not broadcast with "
                                 f"{self.shape_from} of shape {self.shape}") from None
            self.shape_from = self.shape_from or name
        finite = torch.isfinite(t)
        if not bool(finite.all()):
            raise ConfigError(f"{self.fn}: {name} = {self._bad(t, ~finite)}: must be a finite number")
        ok = rule.holds(t)
        if not bool(ok.all()):
            raise ConfigError(f"{self.fn}: {name} = {self._bad(t, ~ok)}: {rule.describe()}")
        return t

    @staticmethod
    def _bad(t: torch.Tensor, bad: torch.Tensor) -> str:
        if t.ndim == 0:
            return repr(float(t))
        index = tuple(int(i) for i in torch.nonzero(bad)[0])
        return f"{float(t[index])!r} (at index {index} of a tensor of shape {tuple(t.shape)})"

    def out(self, t: torch.Tensor) -> Number:
        return float(t) if self.scalar else t


def _ceil_planes(required: torch.Tensor) -> torch.Tensor:
    """Whole planes for a fractional requirement; a requirement within 1e-9 (relative) of an integer is that
    integer, so rounding noise in N·k·w²/A does not add a plane."""
    return torch.ceil(required * (1 - 1e-9)).clamp(min=1.0)


# ----- Sec. 2.1: receivers ----------------------------------------------------------------------------------
def photon_energy(wavelength_m: Number) -> Number:
    """hν = h c / λ [J] of one photon of wavelength ``wavelength_m`` [m] (1.32e-19 J at 1.5 µm)."""
    a = _Args("photon_energy")
    lam = a("wavelength_m", wavelength_m)
    return a.out(PLANCK_J_S * LIGHT_SPEED_M_PER_S / lam)


def detection_probability(n_photons: Number, detection_efficiency: Number) -> Number:
    """Eq. 1: probability that a Poisson pulse of mean ``n_photons`` registers, 1 − exp(−N_ph η_D)."""
    a = _Args("detection_probability")
    n = a("n_photons", n_photons, _NON_NEGATIVE)
    eta_d = a("detection_efficiency", detection_efficiency, _FRACTION)
    return a.out(-torch.expm1(-n * eta_d))


def photons_for_detection(probability: Number, detection_efficiency: Number) -> Number:
    """Eq. 1 solved for N_ph: mean photons per pulse for a detection ``probability``, −ln(1 − p)/η_D.

    99 % at η_D = 0.7 needs ln(100)/0.7 = 6.58 photons ("roughly 7").
    """
    a = _Args("photons_for_detection")
    p = a("probability", probability, _OPEN_FRACTION)
    eta_d = a("detection_efficiency", detection_efficiency, _FRACTION)
    return a.out(-torch.log1p(-p) / eta_d)


def source_energy(n_photons: Number, wavelength_m: Number, link_efficiency: Number) -> Number:
    """Eq. 2: optical energy the source spends per synapse, E_opt = N_ph hν / η [J]."""
    a = _Args("source_energy")
    n = a("n_photons", n_photons, _NON_NEGATIVE)
    lam = a("wavelength_m", wavelength_m)
    eta = a("link_efficiency", link_efficiency, _FRACTION)
    return a.out(n * (PLANCK_J_S * LIGHT_SPEED_M_PER_S / lam) / eta)


def snspd_energy(inductance_h: Number, bias_current_a: Number) -> Number:
    """Electrical energy an SNSPD dissipates per detection, ½ L I² [J] (Sec. 2.1.1: 100 nH, 10 µA → 5 aJ)."""
    a = _Args("snspd_energy")
    ind = a("inductance_h", inductance_h)
    cur = a("bias_current_a", bias_current_a)
    return a.out(0.5 * ind * cur**2)


def photodiode_energy(capacitance_f: Number, voltage_v: Number, responsivity_a_per_w: Number,
                      link_efficiency: Number = 1.0) -> Number:
    """Eq. 3: optical energy to charge a receiverless photodiode to ``voltage_v``, E_opt = C V / (η R) [J].

    ``responsivity_a_per_w`` R [A/W]; at unit quantum efficiency R = qλ/(hc) (:func:`ideal_responsivity`).
    """
    a = _Args("photodiode_energy")
    cap = a("capacitance_f", capacitance_f)
    volt = a("voltage_v", voltage_v)
    resp = a("responsivity_a_per_w", responsivity_a_per_w)
    eta = a("link_efficiency", link_efficiency, _FRACTION)
    return a.out(cap * volt / (eta * resp))


def ideal_responsivity(wavelength_m: Number, quantum_efficiency: Number = 1.0) -> Number:
    """Responsivity of a photodiode without gain, R = η_q q λ / (h c) [A/W] (1.21 A/W at 1.5 µm, η_q = 1)."""
    a = _Args("ideal_responsivity")
    lam = a("wavelength_m", wavelength_m)
    qe = a("quantum_efficiency", quantum_efficiency, _FRACTION)
    return a.out(qe * ELEMENTARY_CHARGE_C * lam / (PLANCK_J_S * LIGHT_SPEED_M_PER_S))


def static_crossover_rate(static_power_w: Number, energy_per_event_j: Number) -> Number:
    """Rate [Hz] below which a static power (e.g. photodiode leakage V·I) exceeds the dynamic power E·f.

    Sec. 2.1.2: 1 V × 1 nA against 0.8 fJ / 1 % per event crosses at 12.5 kHz ("below 10 kHz").
    """
    a = _Args("static_crossover_rate")
    p = a("static_power_w", static_power_w, _NON_NEGATIVE)
    e = a("energy_per_event_j", energy_per_event_j)
    return a.out(p / e)


# ----- Sec. 2.2: transmitters ---------------------------------------------------------------------------------
def optical_power_per_neuron(energy_per_synapse_j: Number, fan_out: Number, rate_hz: Number) -> Number:
    """Fig. 3: optical power [W] a neuron's source emits to drive ``fan_out`` synapses at ``rate_hz``, P = k E f."""
    a = _Args("optical_power_per_neuron")
    e = a("energy_per_synapse_j", energy_per_synapse_j)
    k = a("fan_out", fan_out)
    f = a("rate_hz", rate_hz, _NON_NEGATIVE)
    return a.out(k * e * f)


def max_rate_for_source_power(source_power_w: Number, fan_out: Number, energy_per_synapse_j: Number) -> Number:
    """Fig. 3 inverted: the highest rate [Hz] a source of ``source_power_w`` sustains, f = P / (k E)."""
    a = _Args("max_rate_for_source_power")
    p = a("source_power_w", source_power_w)
    k = a("fan_out", fan_out)
    e = a("energy_per_synapse_j", energy_per_synapse_j)
    return a.out(p / (k * e))


# ----- Sec. 4.1: synaptic memory targets -------------------------------------------------------------------
def lifetime_updates(lifetime_s: Number, rate_hz: Number, fan_in: Number) -> Number:
    """Eq. 4: weight updates one synapse sees in its lifetime, N_update = L f / √N (endurance target)."""
    a = _Args("lifetime_updates")
    life = a("lifetime_s", lifetime_s)
    f = a("rate_hz", rate_hz, _NON_NEGATIVE)
    n = a("fan_in", fan_in)
    return a.out(life * f / torch.sqrt(n))


def max_update_energy(fan_in: Number, spike_energy_j: Number) -> Number:
    """Eq. 5: update-energy budget [J] so plasticity costs no more than signalling, E_update < √N E_opt."""
    a = _Args("max_update_energy")
    n = a("fan_in", fan_in)
    e = a("spike_energy_j", spike_energy_j)
    return a.out(torch.sqrt(n) * e)


def max_update_time(max_rate_hz: Number) -> Number:
    """Sec. 4.1.3: an update within the shortest inter-spike interval, t < 1 / f_max [s] (10 MHz → 100 ns)."""
    a = _Args("max_update_time")
    f = a("max_rate_hz", max_rate_hz)
    return a.out(1.0 / f)


# ----- Sec. 5.1–5.2: graph and area -------------------------------------------------------------------------
def er_degree(n_neurons: Number, path_length: Number, euler_gamma: float = EULER_GAMMA) -> Number:
    """Eq. 6: degree k̄ an Erdős–Rényi graph of ``n_neurons`` needs for mean shortest path ``path_length``,
    k̄ = exp[(ln N − γ)/(L̄ − ½)] (10⁶ neurons, L̄ = 2 → 6,806)."""
    a = _Args("er_degree")
    n = a("n_neurons", n_neurons, _Range(1.0, True))
    path = a("path_length", path_length, _Range(0.5, False))
    return a.out(torch.exp((torch.log(n) - euler_gamma) / (path - 0.5)))


def er_path_length(n_neurons: Number, degree: Number, euler_gamma: float = EULER_GAMMA) -> Number:
    """Eq. 6 solved for L̄: mean shortest path of an Erdős–Rényi graph, L̄ = ½ + (ln N − γ)/ln k̄."""
    a = _Args("er_path_length")
    n = a("n_neurons", n_neurons, _Range(1.0, True))
    k = a("degree", degree, _Range(1.0, False))
    return a.out(0.5 + (torch.log(n) - euler_gamma) / torch.log(k))


def photonic_area(degree: Number, waveguide_pitch_m: Number, photonic_planes: Number = 1.0) -> Number:
    """Eq. 7: wafer area [m²] one neuron's waveguides take, A_p = (k w_wg / p_p)²."""
    a = _Args("photonic_area")
    k = a("degree", degree)
    w = a("waveguide_pitch_m", waveguide_pitch_m)
    p = a("photonic_planes", photonic_planes, _Range(1.0, True))
    return a.out((k * w / p) ** 2)


def electronic_area(degree: Number, synapse_width_m: Number, electronic_planes: Number = 1.0) -> Number:
    """Eq. 8: wafer area [m²] one neuron's synapse circuits take, A_e = k w_sy² / p_e."""
    a = _Args("electronic_area")
    k = a("degree", degree)
    w = a("synapse_width_m", synapse_width_m)
    p = a("electronic_planes", electronic_planes, _Range(1.0, True))
    return a.out(k * w**2 / p)


def photonic_planes_needed(n_neurons: Number, degree: Number, waveguide_pitch_m: Number,
                           wafer_area_m2: Number = WAFER_AREA_M2) -> Number:
    """Eq. 7 with N·A_p ≤ A_wafer: whole photonic planes, p_p = ⌈k w_wg √(N / A_wafer)⌉."""
    a = _Args("photonic_planes_needed")
    n = a("n_neurons", n_neurons)
    k = a("degree", degree)
    w = a("waveguide_pitch_m", waveguide_pitch_m)
    area = a("wafer_area_m2", wafer_area_m2)
    return a.out(_ceil_planes(k * w * torch.sqrt(n / area)))


def electronic_planes_needed(n_neurons: Number, degree: Number, synapse_width_m: Number,
                             wafer_area_m2: Number = WAFER_AREA_M2) -> Number:
    """Eq. 8 with N·A_e ≤ A_wafer: whole electronic planes, p_e = ⌈N k w_sy² / A_wafer⌉."""
    a = _Args("electronic_planes_needed")
    n = a("n_neurons", n_neurons)
    k = a("degree", degree)
    w = a("synapse_width_m", synapse_width_m)
    area = a("wafer_area_m2", wafer_area_m2)
    return a.out(_ceil_planes(n * k * w**2 / area))


def max_neurons_electronic(path_length: Number, synapse_width_m: Number, electronic_planes: Number = 1.0,
                           wafer_area_m2: Number = WAFER_AREA_M2, euler_gamma: float = EULER_GAMMA) -> Number:
    """The most neurons whose synapse circuits fit on a wafer at mean path ``path_length`` (Eq. 6 in Eq. 8).

    With k̄ = (N e^{−γ})^a, a = 1/(L̄ − ½), the limit N k̄ w_sy² / p_e ≤ A gives
    N = (A p_e e^{γa} / w_sy²)^{1/(1+a)}.
    """
    a_ = _Args("max_neurons_electronic")
    path = a_("path_length", path_length, _Range(0.5, False))
    w = a_("synapse_width_m", synapse_width_m)
    p = a_("electronic_planes", electronic_planes, _Range(1.0, True))
    area = a_("wafer_area_m2", wafer_area_m2)
    a = 1.0 / (path - 0.5)
    return a_.out(torch.exp((torch.log(area * p / w**2) + euler_gamma * a) / (1 + a)))


def max_neurons_photonic(path_length: Number, waveguide_pitch_m: Number, photonic_planes: Number = 1.0,
                         wafer_area_m2: Number = WAFER_AREA_M2, euler_gamma: float = EULER_GAMMA) -> Number:
    """The most neurons whose waveguides fit on a wafer at mean path ``path_length`` (Eq. 6 in Eq. 7).

    With k̄ = (N e^{−γ})^a, a = 1/(L̄ − ½), the limit N (k̄ w_wg / p_p)² ≤ A gives
    N = (A p_p² e^{2γa} / w_wg²)^{1/(1+2a)}.
    """
    a_ = _Args("max_neurons_photonic")
    path = a_("path_length", path_length, _Range(0.5, False))
    w = a_("waveguide_pitch_m", waveguide_pitch_m)
    p = a_("photonic_planes", photonic_planes, _Range(1.0, True))
    area = a_("wafer_area_m2", wafer_area_m2)
    a = 1.0 / (path - 0.5)
    return a_.out(torch.exp((torch.log(area * p**2 / w**2) + 2 * euler_gamma * a) / (1 + 2 * a)))


def max_neurons_per_wafer(path_length: Number, synapse_width_m: Number, waveguide_pitch_m: Number,
                          photonic_planes: Number = 1.0, electronic_planes: Number = 1.0,
                          wafer_area_m2: Number = WAFER_AREA_M2, euler_gamma: float = EULER_GAMMA) -> Number:
    """The most neurons one wafer holds at mean path ``path_length``: the smaller of
    :func:`max_neurons_electronic` and :func:`max_neurons_photonic`."""
    n_e = max_neurons_electronic(path_length, synapse_width_m, electronic_planes, wafer_area_m2, euler_gamma)
    n_p = max_neurons_photonic(path_length, waveguide_pitch_m, photonic_planes, wafer_area_m2, euler_gamma)
    if isinstance(n_e, float) and isinstance(n_p, float):
        return min(n_e, n_p)
    return torch.minimum(torch.as_tensor(n_e, dtype=torch.float64), torch.as_tensor(n_p, dtype=torch.float64))


# ----- Sec. 5.5: cooling, power, power density -------------------------------------------------------------
def carnot_specific_power(cold_k: Number, hot_k: Number = 300.0) -> Number:
    """Carnot limit of a refrigerator's specific power [W/W]: (T_H − T_C)/T_C (70.4 W/W at 4.2 K, 300 K)."""
    a = _Args("carnot_specific_power")
    t_c = a("cold_k", cold_k)
    t_h = a("hot_k", hot_k)
    if not bool((t_h > t_c).all()):
        raise ConfigError(f"carnot_specific_power: hot_k must exceed cold_k (got hot_k={hot_k!r}, cold_k={cold_k!r})")
    return a.out((t_h - t_c) / t_c)


def cooling_power(heat_w: Number, specific_power: Number) -> Number:
    """Refrigeration power [W] to remove ``heat_w`` at a ``specific_power`` [W/W] (the paper assumes 1,000)."""
    a = _Args("cooling_power")
    q = a("heat_w", heat_w, _NON_NEGATIVE)
    sp = a("specific_power", specific_power, _NON_NEGATIVE)
    return a.out(q * sp)


def max_mean_rate(power_w: Number, n_neurons: Number, efficiency: Number, fan_out: Number = 1e4,
                  receiver_energy_j: Number = 1e-15, static_power_w: Number = 0.0) -> Number:
    """Fig. 6: the highest mean rate [Hz] a power budget allows, f_max = (P − N k P_s) η / (N k E).

    ``receiver_energy_j`` E is the energy that must reach each synapse per spike (the paper assumes 1 fJ for
    both platforms, cooling included), ``efficiency`` η the link efficiency, ``static_power_w`` P_s a static
    draw per synapse (photodiode leakage; 0 in the paper's figure). A budget the static draw alone exceeds
    gives 0. N = 10¹⁰, k = 10⁴, η = 10⁻⁴, P = 10 MW → 10 kHz.
    """
    a = _Args("max_mean_rate")
    p = a("power_w", power_w)
    n = a("n_neurons", n_neurons)
    eta = a("efficiency", efficiency, _FRACTION)
    k = a("fan_out", fan_out)
    e = a("receiver_energy_j", receiver_energy_j)
    ps = a("static_power_w", static_power_w, _NON_NEGATIVE)
    synapses = n * k
    return a.out(((p - synapses * ps) * eta / (synapses * e)).clamp(min=0.0))


def power_density(energy_per_event_j: Number, rate_hz: Number, synapse_width_m: Number) -> Number:
    """Sec. 5.5.2: power density [W/m²] of synapses of width w firing at f, E f / w² (1 W/cm² = 1e4 W/m²)."""
    a = _Args("power_density")
    e = a("energy_per_event_j", energy_per_event_j, _NON_NEGATIVE)
    f = a("rate_hz", rate_hz, _NON_NEGATIVE)
    w = a("synapse_width_m", synapse_width_m)
    return a.out(e * f / w**2)


def density_limited_rate(density_limit_w_per_m2: Number, energy_per_event_j: Number,
                         synapse_width_m: Number) -> Number:
    """Sec. 5.5.2: the rate [Hz] at which synapses of width w reach a power-density limit, f = D w² / E."""
    a = _Args("density_limited_rate")
    d = a("density_limit_w_per_m2", density_limit_w_per_m2)
    e = a("energy_per_event_j", energy_per_event_j)
    w = a("synapse_width_m", synapse_width_m)
    return a.out(d * w**2 / e)


def density_limited_width(density_limit_w_per_m2: Number, energy_per_event_j: Number, rate_hz: Number) -> Number:
    """Sec. 5.5.2: the synapse width [m] below which a rate ``rate_hz`` exceeds the density limit, √(E f / D)."""
    a = _Args("density_limited_width")
    d = a("density_limit_w_per_m2", density_limit_w_per_m2)
    e = a("energy_per_event_j", energy_per_event_j)
    f = a("rate_hz", rate_hz)
    return a.out(torch.sqrt(e * f / d))


# ----- the two platforms ---------------------------------------------------------------------------------------
class OptoelectronicPlatform(Config):
    """What both platforms share: the link, the synapse footprint, the waveguide pitch, the density limit.

    Subclasses say what must reach a detector per synapse event (:meth:`receiver_energy`), what the receiver
    burns electrically, what it draws statically and what each watt on the wafer costs at the wall.
    """

    wavelength_m: float = Field(1.5e-6, gt=0, description="optical wavelength λ [m] (Sec. 2.1: 1.5 µm)")
    link_efficiency: float = Field(
        1e-2, gt=0, le=1,
        description="total link efficiency η, source input to photons absorbed at the detector [1] "
                    "(Eq. 2–3; Sec. 4.1.2 assumes 1 %)")
    synapse_width_m: float = Field(gt=0, description="lateral size w_sy of one synapse circuit [m] (Eq. 8)")
    waveguide_pitch_m: float = Field(
        2e-6, gt=0,
        description="waveguide pitch w_wg [m] (Eq. 7); not stated in the main text — 2 µm is our assumption, "
                    "the value at which Eq. 7 gives the paper's five photonic planes")
    power_density_limit_w_per_m2: float = Field(gt=0, description="heat-removal limit on power density [W/m²]")

    @abstractmethod
    def receiver_energy(self) -> float:
        """Optical energy [J] that must reach one synapse's detector per spike."""

    @abstractmethod
    def receiver_electrical_energy(self) -> float:
        """Electrical energy [J] the receiver dissipates per synapse event."""

    @abstractmethod
    def static_power_per_synapse(self) -> float:
        """Static electrical power [W] one synapse's receiver draws whether or not it fires."""

    @abstractmethod
    def wall_power_per_watt(self) -> float:
        """Wall-plug watts per watt dissipated on the wafer (1 at room temperature)."""

    def source_energy(self) -> float:
        """Eq. 2/3: optical energy [J] the source spends per synapse, E_rx / η."""
        return self.receiver_energy() / self.link_efficiency

    def heat_per_synapse_event(self) -> float:
        """Energy [J] dissipated on the wafer per synapse event: the source's share plus the receiver's."""
        return self.source_energy() + self.receiver_electrical_energy()

    def energy_per_synapse_event(self) -> float:
        """Wall-plug energy [J] per synapse event, cooling included."""
        return self.heat_per_synapse_event() * self.wall_power_per_watt()

    def optical_power_per_neuron(self, fan_out: Number, rate_hz: Number) -> Number:
        """Fig. 3: source power [W] to drive ``fan_out`` synapses at ``rate_hz`` through this link."""
        return optical_power_per_neuron(self.source_energy(), fan_out, rate_hz)

    def power_density(self, rate_hz: Number) -> Number:
        """On-wafer power density [W/m²] at mean rate ``rate_hz``, static draw included."""
        dynamic = power_density(self.heat_per_synapse_event(), rate_hz, self.synapse_width_m)
        return dynamic + self.static_power_per_synapse() / self.synapse_width_m**2

    def density_limited_rate(self) -> float:
        """The rate [Hz] at which the synapses reach :attr:`power_density_limit_w_per_m2`."""
        headroom = self.power_density_limit_w_per_m2 - self.static_power_per_synapse() / self.synapse_width_m**2
        if headroom <= 0:
            return 0.0
        return float(density_limited_rate(headroom, self.heat_per_synapse_event(), self.synapse_width_m))


class SuperconductingPlatform(OptoelectronicPlatform):
    """SOENs: SNSPD receivers and Josephson-junction electronics at ``cold_temperature_k``, cooled at a
    ``cooling_specific_power`` (Sec. 2.1.1, 5.5). Defaults are the paper's: 1.5 µm light, η_D = 0.7, 99 %
    detection, L = 100 nH, I = 10 µA, 4.2 K in a 300 K room at 1,000 W/W, 30 µm synapses, 1 W/cm².
    """

    detection_efficiency: float = Field(0.7, gt=0, le=1, description="SNSPD detection efficiency η_D [1] (Eq. 1)")
    detection_probability: float = Field(
        0.99, gt=0, lt=1, description="required probability that a spike registers at a synapse [1] (Eq. 1)")
    snspd_inductance_h: float = Field(100e-9, gt=0, description="SNSPD kinetic inductance L_spd [H]")
    snspd_bias_current_a: float = Field(10e-6, gt=0, description="SNSPD bias current I_spd [A]")
    cold_temperature_k: float = Field(4.2, gt=0, description="operating temperature T_C [K] (liquid helium)")
    ambient_temperature_k: float = Field(300.0, gt=0, description="room temperature T_H [K]")
    cooling_specific_power: float = Field(
        1000.0, gt=0, description="refrigerator watts per watt removed at T_C [W/W] (Sec. 5.5.1 assumes 1,000)")
    synapse_width_m: float = Field(30e-6, gt=0, description="lateral size w_sy of one synapse [m] (Sec. 5.3: 30 µm)")
    power_density_limit_w_per_m2: float = Field(
        1.0 * W_PER_CM2, gt=0, description="power density liquid helium removes [W/m²] (Sec. 5.5.2: ≈1 W/cm²)")

    @model_validator(mode="after")
    def _physical_refrigerator(self) -> Self:
        if self.cold_temperature_k >= self.ambient_temperature_k:
            raise ValueError(f"cold_temperature_k = {self.cold_temperature_k} must be below "
                             f"ambient_temperature_k = {self.ambient_temperature_k}")
        carnot = self.carnot_specific_power()
        if self.cooling_specific_power < carnot:
            raise ValueError(f"cooling_specific_power = {self.cooling_specific_power} W/W is below the Carnot limit "
                             f"{carnot:.4g} W/W for {self.cold_temperature_k} K in {self.ambient_temperature_k} K")
        return self

    def photons_per_synapse(self) -> float:
        """Eq. 1: mean photons per pulse at each detector for :attr:`detection_probability`."""
        return float(photons_for_detection(self.detection_probability, self.detection_efficiency))

    def receiver_energy(self) -> float:
        return self.photons_per_synapse() * float(photon_energy(self.wavelength_m))

    def receiver_electrical_energy(self) -> float:
        return float(snspd_energy(self.snspd_inductance_h, self.snspd_bias_current_a))

    def static_power_per_synapse(self) -> float:
        return 0.0  # an SNSPD draws no static power (Sec. 2.1.1); shared bias supplies are left out

    def carnot_specific_power(self) -> float:
        return float(carnot_specific_power(self.cold_temperature_k, self.ambient_temperature_k))

    def wall_power_per_watt(self) -> float:
        """1 + specific power: the watt dissipated cold plus the refrigerator's watts to remove it."""
        return 1.0 + self.cooling_specific_power


class SemiconductorPlatform(OptoelectronicPlatform):
    """Receiverless photodiodes driving CMOS at room temperature (Sec. 2.1.2). Defaults are the paper's: C = 1 fF,
    0.8 V swing, R = 1 A/W ("typically of order 1 A/W"), 1 nA leakage at 1 V bias, 10 µm synapses, 1 kW/cm².
    """

    capacitance_f: float = Field(1e-15, gt=0, description="photodiode + gate + wiring capacitance C_tot [F]")
    switching_voltage_v: float = Field(0.8, gt=0, description="voltage swing V the photocurrent must reach [V]")
    responsivity_a_per_w: float = Field(1.0, gt=0, description="photodiode responsivity R [A/W]")
    leakage_current_a: float = Field(1e-9, ge=0, description="photodiode leakage (dark) current [A]")
    bias_voltage_v: float = Field(1.0, ge=0, description="photodiode bias [V]")
    synapse_width_m: float = Field(10e-6, gt=0, description="lateral size w_sy of one synapse [m] (Sec. 5.3: 10 µm)")
    power_density_limit_w_per_m2: float = Field(
        1000.0 * W_PER_CM2, gt=0, description="power density limit [W/m²] (Sec. 5.5.2: ≈1 kW/cm², Zhirnov 2003)")

    def receiver_energy(self) -> float:
        return float(photodiode_energy(self.capacitance_f, self.switching_voltage_v, self.responsivity_a_per_w))

    def receiver_electrical_energy(self) -> float:
        return 0.0  # the photocurrent itself charges the gate; the static leakage is counted separately

    def static_power_per_synapse(self) -> float:
        return self.bias_voltage_v * self.leakage_current_a

    def wall_power_per_watt(self) -> float:
        return 1.0


PLATFORMS: Registry[OptoelectronicPlatform] = Registry("optoelectronic platform")
PLATFORMS.add("superconducting", SuperconductingPlatform,
              "SOENs: SNSPDs and JJ circuits at 4.2 K (Primavera & Shainline 2021, Sec. 2.1.1, 5.5)")
PLATFORMS.add("semiconductor", SemiconductorPlatform,
              "receiverless photodiodes and analog CMOS at room temperature (Primavera & Shainline 2021, Sec. 2.1.2)")

SUPERCONDUCTING = SuperconductingPlatform()
"""The paper's superconducting platform at η = 1 % (Primavera & Shainline 2021, Sec. 2.1.1, 4.1.2, 5.3, 5.5)."""
SEMICONDUCTOR = SemiconductorPlatform()
"""The paper's semiconductor platform at η = 1 % (Primavera & Shainline 2021, Sec. 2.1.2, 4.1.2, 5.3, 5.5)."""


def make_platform(name: str, **overrides: Any) -> OptoelectronicPlatform:
    """The platform registered as ``name`` ("superconducting" or "semiconductor") with ``overrides`` applied."""
    return PLATFORMS.create(name, **overrides)


# ----- one point of a design sweep ------------------------------------------------------------------------------
def feasibility(
    platform: str = "superconducting",
    n_neurons: float = 1e10,
    efficiency: float = 1e-2,
    fan_out: float = 1e4,
    rate_hz: float = 1e4,
    power_w: float = 1e7,
    neurons_per_wafer: float = 1e6,
    wafer_area_m2: float = WAFER_AREA_M2,
    synapse_width_m: float | None = None,
    waveguide_pitch_m: float | None = None,
) -> dict[str, float]:
    """Energy, power, density, rate and area of one design point; plain keyword numbers, for sweeps.

    ``platform`` names a preset ("superconducting" / "semiconductor"); ``efficiency`` is its link efficiency
    η; ``synapse_width_m`` and ``waveguide_pitch_m`` override the preset's when given. The network has
    ``n_neurons`` of ``fan_out`` synapses each firing at ``rate_hz`` on average, under a wall-plug budget of
    ``power_w`` [W], built from wafers of ``wafer_area_m2`` holding ``neurons_per_wafer`` each.

    Returns (SI units): ``energy_per_synapse_event_j`` (wall plug), ``power_w`` (wall plug at ``rate_hz``,
    static included), ``within_budget`` (1.0 or 0.0), ``max_mean_rate_hz`` (the budget's limit),
    ``power_density_w_per_m2`` (on the wafer at ``rate_hz``), ``density_limit_w_per_m2``,
    ``density_limited_rate_hz``, ``path_length`` (Eq. 6 for ``fan_out``), ``photonic_planes`` and
    ``electronic_planes`` (Eq. 7–8 at ``neurons_per_wafer``), ``wafers``.
    """
    overrides: dict[str, Any] = {"link_efficiency": efficiency}
    if synapse_width_m is not None:
        overrides["synapse_width_m"] = synapse_width_m
    if waveguide_pitch_m is not None:
        overrides["waveguide_pitch_m"] = waveguide_pitch_m
    plat = make_platform(platform, **overrides)
    a = _Args("feasibility")
    checked = [a("n_neurons", n_neurons, _Range(1.0, True)), a("fan_out", fan_out, _Range(1.0, False)),
               a("rate_hz", rate_hz, _NON_NEGATIVE), a("power_w", power_w),
               a("neurons_per_wafer", neurons_per_wafer, _Range(1.0, True))]
    if not a.scalar:
        raise InputTypeError("feasibility takes numbers; call the module's functions directly for tensors")
    n, k, f, budget, per_wafer = (float(t) for t in checked)

    synapses = n * k
    event_j = plat.energy_per_synapse_event()
    static_w = synapses * plat.static_power_per_synapse() * plat.wall_power_per_watt()
    power = synapses * event_j * f + static_w
    return {
        "energy_per_synapse_event_j": event_j,
        "power_w": power,
        "within_budget": float(power <= budget),
        "max_mean_rate_hz": max(budget - static_w, 0.0) / (synapses * event_j),
        "power_density_w_per_m2": float(plat.power_density(f)),
        "density_limit_w_per_m2": plat.power_density_limit_w_per_m2,
        "density_limited_rate_hz": plat.density_limited_rate(),
        "path_length": float(er_path_length(n, k)),
        "photonic_planes": float(photonic_planes_needed(per_wafer, k, plat.waveguide_pitch_m, wafer_area_m2)),
        "electronic_planes": float(electronic_planes_needed(per_wafer, k, plat.synapse_width_m, wafer_area_m2)),
        "wafers": float(math.ceil(n / per_wafer * (1 - 1e-12))),
    }
