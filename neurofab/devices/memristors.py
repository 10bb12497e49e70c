"""Voltage-driven memristor models: the state equation of a device driven by a voltage waveform.

Two families, both vectorised over arrays of devices (any tensor shape, float32 or float64):

- :class:`VTEAM` — Kvatinsky et al. 2015 (IEEE TCAS-II 62, 786), the voltage-controlled threshold model, with
  the window functions of Joglekar & Wolf 2009, Biolek et al. 2009, Prodromakis et al. 2011 and Xu et al. 2021
  (the one Wang et al. 2021 use; bcpnn note, seed 001 l. 5237–5247) and a linear or exponential R(x).
- :class:`RRAMGap` — the filamentary RRAM gap model of the Liu/Yu/Chai review (seed 003 l. 79–83, Eqs. 1–2),
  whose parameters the review omits are taken from the Stanford RRAM model (see each field).

Each model exposes the same small interface, used by :mod:`neurofab.devices.integrate`:

- ``lower``/``upper`` — the bounds of the state variable;
- ``dstate(s, v)`` — ds/dt at state ``s`` under voltage ``v`` (tensors, broadcast) [state units / s];
- ``exact_step(s, v, dt)`` — the closed-form state after holding ``v`` constant for ``dt`` seconds, or ``None``
  where the ODE has no closed form for this configuration (then the adaptive integrator is used);
- ``current(s, v)`` [A] and ``conductance(s)`` [S].

Sign convention (VTEAM, as Kvatinsky and Wang write it): ``v_on < 0 < v_off``; a voltage above ``v_off`` moves
x towards 1 (k_off > 0, the "off", high-resistance side: R(1) = R_off) and a voltage below ``v_on`` moves x towards
0 (k_on < 0). The current has the sign of the voltage, so "i > 0" in a window means "x moving towards 1".
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import Config

__all__ = ["VTEAM", "RRAMGap", "Window"]

BOLTZMANN = 1.380649e-23  # J/K
ELEMENTARY_CHARGE = 1.602176634e-19  # C


class Window(Config):
    """A window function f(x, i) that slows the state near its bounds (dimensionless, 0 ≤ f).

    - ``none``: f = 1 (hard clipping at the bounds only);
    - ``joglekar`` (Joglekar & Wolf 2009): f = 1 − (2x − 1)^{2p};
    - ``biolek`` (Biolek et al. 2009): f = 1 − (x − stp(−i))^{2p};
    - ``prodromakis`` (Prodromakis et al. 2011): f = j (1 − [(x − 0.5)² + 0.75]^p);
    - ``xu`` (Xu et al. 2021, Wang Eq. 15): f = j [sgn(−i)(x − 1) + stp(−i)]^p, i.e. j(1 − x)^p for i > 0 and
      j x^p for i < 0.
    """

    kind: Literal["none", "joglekar", "biolek", "prodromakis", "xu"] = Field(
        "xu", description="window family (see the class docstring)")
    p: float = Field(1.0, gt=0, description="window exponent p [1]")
    j: float = Field(1.0, gt=0, description="window magnitude j (prodromakis, xu) [1]")

    def __call__(self, x: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        """f(x) for motion towards 1 where ``up`` is True (i > 0), towards 0 elsewhere."""
        k, p = self.kind, self.p
        if k == "none":
            return torch.ones_like(x)
        if k == "joglekar":
            return 1 - (2 * x - 1).abs().pow(2 * p)
        if k == "biolek":
            return 1 - torch.where(up, x, x - 1).abs().pow(2 * p)
        if k == "prodromakis":
            return self.j * (1 - ((x - 0.5) ** 2 + 0.75).pow(p))
        return self.j * torch.where(up, (1 - x).clamp(min=0), x.clamp(min=0)).pow(p)

    @property
    def closed_form(self) -> bool:
        """Whether dx/dt = g f(x) has a closed-form solution for constant g (see :meth:`VTEAM.exact_step`)."""
        return self.kind in ("none", "xu") or self.p == 1.0


class VTEAM(Config):
    """VTEAM (Kvatinsky et al. 2015), Wang Eqs. 11–14 with a window (Eq. 15) and x = w/W.

    dw/dt = k_off (v/v_off − 1)^α_off f(x)  for v > v_off > 0;  0 for v_on ≤ v ≤ v_off;
    dw/dt = k_on (v/v_on − 1)^α_on f(x)    for v < v_on < 0.
    R(x) = R_on + (R_off − R_on) x (linear) or R_on e^{λx}, λ = ln(R_off/R_on) (exponential, Kvatinsky 2015).
    Defaults: Wang et al. 2021 Table 1 (seed 001 l. 5303–5318).
    """

    k_off: float = Field(21e-9, gt=0, description="rate constant of the off (x → 1) direction, k_off [m/s]")
    k_on: float = Field(-28e-9, lt=0, description="rate constant of the on (x → 0) direction, k_on [m/s]")
    alpha_off: float = Field(1.0, gt=0, description="exponent α_off [1]")
    alpha_on: float = Field(1.0, gt=0, description="exponent α_on [1]")
    v_off: float = Field(0.02, description="positive threshold voltage v_off, > 0 [V]")
    v_on: float = Field(-0.02, description="negative threshold voltage v_on, < 0 [V]")
    r_on: float = Field(2e3, gt=0, description="resistance at x = 0, R_on [Ω]")
    r_off: float = Field(200e3, gt=0, description="resistance at x = 1, R_off [Ω]")
    w_max: float = Field(1e-9, gt=0, description="state range W (x = w/W) [m]")
    window: Window = Field(default_factory=Window, description="window function f(x, i)")
    resistance: Literal["linear", "exponential"] = Field("linear", description="R(x) law")

    @model_validator(mode="after")
    def _check(self) -> VTEAM:
        if not self.v_off > 0:
            raise ValueError(f"v_off = {self.v_off}: must be > 0 (thresholds satisfy v_on < 0 < v_off)")
        if not self.v_on < 0:
            raise ValueError(f"v_on = {self.v_on}: must be < 0 (thresholds satisfy v_on < 0 < v_off)")
        if not self.r_on < self.r_off:
            raise ValueError(f"r_on = {self.r_on} must be < r_off = {self.r_off}")
        return self

    @property
    def lower(self) -> float:
        return 0.0

    @property
    def upper(self) -> float:
        return 1.0

    @property
    def has_exact(self) -> bool:
        """Whether constant-voltage segments integrate in closed form (:meth:`exact_step`)."""
        return self.window.closed_form

    # ----- rate law ----------------------------------------------------------------------------------
    def rate(self, v: torch.Tensor) -> torch.Tensor:
        """g(v) = dx/dt / f(x) [1/s]: > 0 above v_off, < 0 below v_on, 0 in between."""
        v = torch.as_tensor(v)
        up = (v / self.v_off - 1).clamp(min=0).pow(self.alpha_off) * (self.k_off / self.w_max)
        down = (v / self.v_on - 1).clamp(min=0).pow(self.alpha_on) * (self.k_on / self.w_max)
        return torch.where(v > self.v_off, up, torch.where(v < self.v_on, down, torch.zeros_like(v)))

    def voltage_for_rate(self, rate: float) -> float:
        """The voltage whose |g(v)| is ``rate`` [1/s]: above v_off for rate > 0, below v_on for rate < 0."""
        if rate > 0:
            return self.v_off * (1 + (rate * self.w_max / self.k_off) ** (1 / self.alpha_off))
        if rate < 0:
            return self.v_on * (1 + (rate * self.w_max / self.k_on) ** (1 / self.alpha_on))
        return 0.0

    def dstate(self, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """dx/dt = g(v) f(x, sgn v) [1/s]."""
        g = self.rate(v)
        return g * self.window(x, g > 0)

    def exact_step(self, x: torch.Tensor, v: torch.Tensor, dt: float | torch.Tensor) -> torch.Tensor | None:
        """x after ``dt`` seconds at constant ``v``, in closed form (None where the window has none).

        With G = g·dt (and g·j·dt for the j-scaled windows): none: x + G; xu, p = 1: 1 − (1 − x)e^{−G} upwards,
        x e^{G} downwards (G < 0); xu, p ≠ 1: u^{1−p} = u₀^{1−p} + (p − 1)|G| for u = 1 − x (up) or x (down),
        reaching 0 in finite time when p < 1; joglekar and prodromakis, p = 1 (f = 4x(1 − x), j x(1 − x)):
        logistic; biolek, p = 1: tanh(atanh(y₀) + |G|) with y = x (up) or 1 − x (down).
        """
        w = self.window
        if not w.closed_form:
            return None
        g = self.rate(v) * dt
        up = g > 0
        if g.dim() == 0 and w.kind == "xu" and w.p == 1.0:  # one voltage for the whole array: one affine pass
            a = math.exp(-abs(float(g)) * w.j)
            if float(g) > 0:
                return (x * a).add_(1 - a).clamp_(0.0, 1.0)  # 1 − (1 − x) e^{−G}
            return (x * a).clamp_(0.0, 1.0) if float(g) < 0 else x.clone()
        if w.kind == "none":
            return (x + g).clamp(0.0, 1.0)
        if w.kind == "xu":
            a = (g * w.j).abs()
            u0 = torch.where(up, 1 - x, x).clamp(min=0)
            if w.p == 1.0:
                u = u0 * torch.exp(-a)
            elif w.p > 1:
                u = (u0.pow(1 - w.p) + (w.p - 1) * a).pow(1 / (1 - w.p))
                u = torch.where(u0 > 0, u, torch.zeros_like(u))
            else:
                u = (u0.pow(1 - w.p) - (1 - w.p) * a).clamp(min=0).pow(1 / (1 - w.p))
            return torch.where(g == 0, x, torch.where(up, 1 - u, u)).clamp(0.0, 1.0)
        if w.kind in ("joglekar", "prodromakis"):
            s = 4 * g if w.kind == "joglekar" else w.j * g
            # logistic: x/(1−x) grows by e^{s}
            moved = 1 / (1 + (1 - x) / x.clamp(min=1e-300) * torch.exp(-s))
            return torch.where((x <= 0) | (x >= 1) | (s == 0), x, moved)
        # biolek, p = 1
        y0 = torch.where(up, x, 1 - x).clamp(-1.0, 1.0)
        y = torch.tanh(torch.atanh(y0.clamp(max=1 - 1e-16 if x.dtype == torch.float64 else 1 - 1e-7)) + g.abs())
        y = torch.where(y0 >= 1, torch.ones_like(y), y)
        return torch.where(g == 0, x, torch.where(up, y, 1 - y)).clamp(0.0, 1.0)

    # ----- electrical -------------------------------------------------------------------------------
    def resistance_of(self, x: torch.Tensor) -> torch.Tensor:
        """R(x) [Ω] (Wang Eq. 13, linear; or Kvatinsky's exponential law)."""
        if self.resistance == "linear":
            return self.r_on + (self.r_off - self.r_on) * x
        return self.r_on * torch.exp(math.log(self.r_off / self.r_on) * x)

    def state_of_resistance(self, r: torch.Tensor) -> torch.Tensor:
        """The inverse of R(x): what a read circuit recovers from a measured resistance [1]."""
        if self.resistance == "linear":
            return (r - self.r_on) / (self.r_off - self.r_on)
        return torch.log(r / self.r_on) / math.log(self.r_off / self.r_on)

    def conductance(self, x: torch.Tensor) -> torch.Tensor:
        """1/R(x) [S]."""
        return 1.0 / self.resistance_of(x)

    def current(self, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """i = v / R(x) [A] (Wang Eq. 14)."""
        return v / self.resistance_of(x)


class RRAMGap(Config):
    """Filamentary RRAM: the review's Eqs. 1–2 (seed 003 l. 79–83) on the tunnelling gap g [m].

    I = I₀ e^{−g/g₀} sinh(V/V₀)                                                                       (Eq. 1)
    dg/dt = −ν₀ [e^{−qE_ag/kT} e^{γa₀qV/(LkT)} − e^{−qE_ar/kT} e^{−γa₀qV/(LkT)}]                      (Eq. 2)

    ⚠ the review prints the prefactor of Eq. 2 as V₀ (a voltage); dimensionally it is a velocity ν₀ [m/s]. The
    review gives I₀, g₀, V₀ only; γ, a₀, L, E_ag, E_ar, ν₀, the gap range and T come from the Stanford RRAM model
    (Jiang & Wong, "Stanford University RRAM Verilog-A model 1.0.0", nanoHUB 2014, doi:10.4231/D37H1DN48), whose
    single-barrier law −ν e^{−qE_a/kT} sinh(γa₀qV/(t_ox kT)) is Eq. 2 with E_ag = E_ar = E_a and ν₀ = ν/2. γ is held
    at the Stanford model's γ₀ (its field-enhancement reduction with g is left out). At constant V the gap moves at
    a constant speed until it reaches a bound, so pulses integrate exactly.
    """

    i0: float = Field(1e-3, gt=0, description="current prefactor I₀ [A] (review Eq. 1: ≈ 1 mA)")
    g0: float = Field(0.25e-9, gt=0, description="gap decay length g₀ [m] (review Eq. 1: ≈ 0.25 nm)")
    v0: float = Field(0.25, gt=0, description="voltage scale V₀ of the sinh [V] (review Eq. 1: ≈ 0.25 V)")
    nu0: float = Field(5.0, gt=0, description="gap speed prefactor ν₀ [m/s] (Stanford model Vel0 = 10 m/s, halved: "
                                              "two exponentials vs its sinh)")
    e_ag: float = Field(0.6, gt=0, description="activation energy of vacancy generation E_ag [eV] (Stanford Ea)")
    e_ar: float = Field(0.6, gt=0, description="activation energy of recombination E_ar [eV] (Stanford Ea)")
    gamma: float = Field(16.0, gt=0, description="local field enhancement γ [1] (Stanford γ₀ = 16)")
    a0: float = Field(0.25e-9, gt=0, description="atomic hopping distance a₀ [m] (Stanford a0 = 0.25 nm)")
    thickness: float = Field(12e-9, gt=0, description="oxide thickness L [m] (Stanford tox = 12 nm)")
    g_min: float = Field(0.2e-9, gt=0, description="smallest gap (low-resistance state) [m] (Stanford gap_min)")
    g_max: float = Field(1.7e-9, gt=0, description="largest gap (high-resistance state) [m] (Stanford gap_max)")
    temperature: float = Field(298.0, gt=0, description="device temperature T [K] (Stanford T_ini = 298 K)")

    @model_validator(mode="after")
    def _check(self) -> RRAMGap:
        if not self.g_min < self.g_max:
            raise ValueError(f"g_min = {self.g_min} must be < g_max = {self.g_max}")
        return self

    @property
    def lower(self) -> float:
        return self.g_min

    @property
    def upper(self) -> float:
        return self.g_max

    @property
    def has_exact(self) -> bool:
        return True

    def speed(self, v: torch.Tensor) -> torch.Tensor:
        """dg/dt at voltage v [m/s] (Eq. 2): negative (gap closes, SET) for V > 0."""
        kt = BOLTZMANN * self.temperature / ELEMENTARY_CHARGE  # [V]
        u = self.gamma * self.a0 * torch.as_tensor(v) / (self.thickness * kt)
        return -self.nu0 * (math.exp(-self.e_ag / kt) * torch.exp(u) - math.exp(-self.e_ar / kt) * torch.exp(-u))

    def dstate(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """dg/dt, zero where the gap sits on a bound and would leave the range [m/s]."""
        s = self.speed(v)
        stuck = ((g <= self.g_min) & (s < 0)) | ((g >= self.g_max) & (s > 0))
        return torch.where(stuck, torch.zeros_like(s), s)

    def exact_step(self, g: torch.Tensor, v: torch.Tensor, dt: float | torch.Tensor) -> torch.Tensor:
        """g after ``dt`` at constant v: g + ġ dt, clipped to [g_min, g_max] (exact: ġ does not depend on g)."""
        return (g + self.speed(v) * dt).clamp(self.g_min, self.g_max)

    def current(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Eq. 1 [A]."""
        return self.i0 * torch.exp(-g / self.g0) * torch.sinh(torch.as_tensor(v) / self.v0)

    def conductance(self, g: torch.Tensor, v_read: float = 0.1) -> torch.Tensor:
        """I(v_read)/v_read at gap g [S]."""
        return self.current(g, torch.full_like(g, v_read)) / v_read

    def switching_time(self, v: float, g_from: float | None = None, g_to: float | None = None) -> float:
        """Time to move the gap from ``g_from`` to ``g_to`` at constant v [s] (SET for v > 0, RESET for v < 0)."""
        s = float(self.speed(torch.tensor(v, dtype=torch.float64)))
        if g_from is None:
            g_from = self.g_max if s < 0 else self.g_min
        if g_to is None:
            g_to = self.g_min if s < 0 else self.g_max
        if s == 0 or (g_to - g_from) / s < 0:
            return math.inf
        return (g_to - g_from) / s
