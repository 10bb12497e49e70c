"""Pulsed-device families: the step response Δ⁺(w), Δ⁻(w) of one pulse and its cycle-to-cycle noise.

Each class is a :class:`~neurofab.devices.pulsed.PulsedDevice` config (d2d and c2c fields shared) adding its
step formula. Formulas and default values follow IBM aihwkit 1.1 (its device classes' documented update
rules; defaults marked "aihwkit default"), except :class:`NeuroSimNonlinear` (NeuroSim V3's LTP/LTD curves as
used by Zhao et al. 2021, grad-decomposition note). Sign convention: Δ⁺, Δ⁻ are magnitudes; an up pulse adds
Δ⁺, a down pulse subtracts Δ⁻.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import ConfigError
from neurofab.devices.pulsed import PulsedDevice

__all__ = [
    "ConstantStep",
    "ExpStep",
    "IdealDevice",
    "LinearStep",
    "NeuroSimNonlinear",
    "PiecewiseStep",
    "PowStep",
    "SoftBounds",
]


def _safe_div(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, 0 where den == 0."""
    return torch.where(den != 0, num / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(num))


class ConstantStep(PulsedDevice):
    """Constant step up to hard bounds: Δ⁺ = Δw⁺_ij, Δ⁻ = Δw⁻_ij (aihwkit ``ConstantStepDevice``).

    One pulse: ``w ← clip(w ± Δw^d_ij (1 + dw_min_std ξ), b_min_ij, b_max_ij)``. F = (Δw⁺+Δw⁻)/(2 dw_min),
    G = (Δw⁻−Δw⁺)/(2 dw_min): constant, so there is no symmetry point unless Δw⁺ = Δw⁻.
    """

    kind: Literal["constant_step"] = "constant_step"


class IdealDevice(PulsedDevice):
    """A symmetric, noise-free constant step with no d2d variation and wide bounds (±1000 by default).

    Used where the device should not matter (reference runs, equality tests); the tile's ``ideal`` update
    mode writes floating-point changes with no pulses at all.
    """

    kind: Literal["ideal"] = "ideal"
    dw_min: float = Field(1e-4, gt=0, description="step per pulse [weight units]")
    dw_min_dtod: float = Field(0.0, ge=0, description="d2d spread of dw_min, relative [1]")
    dw_min_std: float = Field(0.0, ge=0, description="c2c noise, relative [1]")
    up_down_dtod: float = Field(0.0, ge=0, description="d2d spread of the up/down asymmetry, relative [1]")
    w_min: float = Field(-1000.0, le=0, description="lower bound [weight units]")
    w_max: float = Field(1000.0, ge=0, description="upper bound [weight units]")
    w_min_dtod: float = Field(0.0, ge=0, description="d2d spread of w_min, relative [1]")
    w_max_dtod: float = Field(0.0, ge=0, description="d2d spread of w_max, relative [1]")
    reset_std: float = Field(0.0, ge=0, description="c2c spread of a reset [weight units]")


class _AffineStep(PulsedDevice):
    """Families whose step is affine in w: Δ⁺ = dw_up + slope_up·w, Δ⁻ = dw_down + slope_down·w."""

    extra_params: ClassVar[tuple[str, ...]] = ("slope_up", "slope_down")
    mult_noise: bool = Field(True, description="c2c noise multiplies the whole step (else only its constant part)")

    def steps(self, w: torch.Tensor, p: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return p["dw_up"] + p["slope_up"] * w, p["dw_down"] + p["slope_down"] * w

    def noise_std(self, w, p, up, down):
        if self.mult_noise:
            return self.dw_min_std * up, self.dw_min_std * down
        return self.dw_min_std * p["dw_up"].expand_as(w), self.dw_min_std * p["dw_down"].expand_as(w)

    def symmetry_point_closed_form(self, p: dict[str, torch.Tensor]) -> torch.Tensor | None:
        den = p["slope_down"] - p["slope_up"]
        far = torch.where(p["dw_up"] > p["dw_down"], p["w_max"], p["w_min"])
        return torch.where(den != 0, _safe_div(p["dw_up"] - p["dw_down"], den), far)


class LinearStep(_AffineStep):
    """Step linear in the weight (aihwkit ``LinearStepDevice``).

    ``Δ⁺ = Δw⁺_ij (1 − γ⁺_ij w / r⁺)``, ``Δ⁻ = Δw⁻_ij (1 − γ⁻_ij w / r⁻)`` with γ^d_ij = |γ^d + γ^d_dtod ξ|
    and reference r⁺ = w_max, r⁻ = w_min (the mean bounds with ``mean_bound_reference``, else the device's
    own bounds). γ = 1 with device bounds is the soft-bounds model. c2c noise multiplicative (default) or on
    the constant part only. Symmetry point w* = (Δw⁺ − Δw⁻) / (s⁻ − s⁺) with s^d the slopes.
    """

    kind: Literal["linear_step"] = "linear_step"
    gamma_up: float = Field(0.0, description="relative step decrease towards w_max, γ⁺ [1] (aihwkit default)")
    gamma_down: float = Field(0.0, description="relative step decrease towards w_min, γ⁻ [1] (aihwkit default)")
    gamma_up_dtod: float = Field(0.05, ge=0, description="d2d spread of γ⁺ [1] (aihwkit default)")
    gamma_down_dtod: float = Field(0.05, ge=0, description="d2d spread of γ⁻ [1] (aihwkit default)")
    allow_increasing: bool = Field(False, description="allow steps that grow towards the bound (γ < 0)")
    mean_bound_reference: bool = Field(True, description="slopes relative to the mean bounds, not the device's")

    def draw_extra(self, base, gen):
        shape = base["w_min"].shape
        g_up = self.gamma_up + self.gamma_up_dtod * torch.randn(shape, generator=gen, dtype=torch.float64)
        g_down = self.gamma_down + self.gamma_down_dtod * torch.randn(shape, generator=gen, dtype=torch.float64)
        if not self.allow_increasing:
            g_up, g_down = g_up.abs(), g_down.abs()
        if self.mean_bound_reference:
            ref_up = torch.full_like(g_up, self.w_max)
            ref_down = torch.full_like(g_down, self.w_min)
        else:
            ref_up, ref_down = base["w_max"], base["w_min"]
        return {
            "slope_up": -_safe_div(g_up * base["dw_up"], ref_up),
            "slope_down": -_safe_div(g_down * base["dw_down"], ref_down),
        }


class SoftBounds(_AffineStep):
    """Soft bounds (aihwkit ``SoftBoundsDevice``): the step shrinks linearly to zero at each device's bound.

    ``Δ⁺ = Δw⁺_ij (1 − w/b_max_ij)``, ``Δ⁻ = Δw⁻_ij (1 − w/b_min_ij)``; c2c noise multiplies the step.
    Symmetry point (closed form): ``w* = (Δw⁺ − Δw⁻) / (Δw⁺/b_max − Δw⁻/b_min)``; F(w) and G(w) are affine
    in w, G(w*) = 0.
    """

    kind: Literal["soft_bounds"] = "soft_bounds"

    def draw_extra(self, base, gen):
        return {
            "slope_up": -_safe_div(base["dw_up"], base["w_max"]),
            "slope_down": -_safe_div(base["dw_down"], base["w_min"]),
        }


class ExpStep(PulsedDevice):
    """Exponential step (aihwkit ``ExpStepDevice``, CMOS-like / PCM-like saturation).

    ``z = 2a·w/(b_max − b_min) + b``; ``Δ⁺ = Δw⁺ max(1 − A⁺ e^{γ⁺ z}, 0)``, ``Δ⁻ = Δw⁻ max(1 − A⁻ e^{−γ⁻ z}, 0)``.
    c2c noise multiplies the step, or, when ``dw_min_std_add`` or ``dw_min_std_slope`` is set, is additive with
    std ``dw_min_std (|Δ| + dw_min_std_add + dw_min_std_slope |w|)``. Defaults of A, γ, a, b: aihwkit defaults.
    """

    kind: Literal["exp_step"] = "exp_step"
    A_up: float = Field(0.00081, description="factor A⁺ [1] (aihwkit default)")
    A_down: float = Field(0.36833, description="factor A⁻ [1] (aihwkit default)")
    gamma_up: float = Field(12.44625, description="exponent γ⁺ [1] (aihwkit default)")
    gamma_down: float = Field(12.78785, description="exponent γ⁻ [1] (aihwkit default)")
    a: float = Field(0.244, description="slope of z in w [1] (aihwkit default)")
    b: float = Field(0.2425, description="offset of z [1] (aihwkit default)")
    dw_min_std_add: float = Field(0.0, ge=0, description="additive part of the c2c std [weight units]")
    dw_min_std_slope: float = Field(0.0, ge=0, description="weight-proportional part of the c2c std [1]")

    def steps(self, w, p):
        z = 2 * self.a * _safe_div(w, p["w_max"] - p["w_min"]) + self.b
        one = torch.ones_like(z)  # A = 0 is the constant step: no 0·∞ where the exponential overflows
        up = p["dw_up"] * (one if self.A_up == 0 else torch.clamp(1 - self.A_up * torch.exp(self.gamma_up * z), min=0))
        down = p["dw_down"] * (one if self.A_down == 0 else
                               torch.clamp(1 - self.A_down * torch.exp(-self.gamma_down * z), min=0))
        span = p["w_max"] - p["w_min"]  # A < 0 can overflow the exponential: one pulse at most crosses the range
        return torch.minimum(up, span), torch.minimum(down, span)

    def noise_std(self, w, p, up, down):
        if self.dw_min_std_add > 0 or self.dw_min_std_slope > 0:
            extra = self.dw_min_std_add + self.dw_min_std_slope * w.abs()
            return self.dw_min_std * (up + extra), self.dw_min_std * (down + extra)
        return self.dw_min_std * up, self.dw_min_std * down


_A_MIN = 1.0 / 700.0  # NeuroSim nonlinearity a: e^{1/a} overflows a double below this


class PowStep(PulsedDevice):
    """Power-law step (aihwkit ``PowStepDevice``; Fusi & Abbott 2007 shifted).

    With ω = (b_max − w)/(b_max − b_min): ``Δ⁺ = Δw⁺ ω^{γ⁺_ij}``, ``Δ⁻ = Δw⁻ (1 − ω)^{γ⁻_ij}``,
    γ^d_ij = γ (1 + dβ_ij + σ_γ ξ) with β_ij = pow_up_down + pow_up_down_dtod ξ. c2c noise multiplies the step.
    """

    kind: Literal["pow_step"] = "pow_step"
    extra_params: ClassVar[tuple[str, ...]] = ("gamma_up", "gamma_down")
    pow_gamma: float = Field(1.0, gt=0, description="exponent γ [1] (aihwkit default)")
    pow_gamma_dtod: float = Field(0.1, ge=0, description="d2d spread of γ, relative [1] (aihwkit default)")
    pow_up_down: float = Field(0.0, gt=-1, lt=1, description="up/down bias of γ, relative [1]")
    pow_up_down_dtod: float = Field(0.0, ge=0, description="d2d spread of the up/down bias of γ [1]")

    def draw_extra(self, base, gen):
        shape = base["w_min"].shape
        gain = 1 + self.pow_gamma_dtod * torch.randn(shape, generator=gen, dtype=torch.float64)
        r = self.pow_up_down_dtod * torch.randn(shape, generator=gen, dtype=torch.float64)
        up_bias = min(self.pow_up_down, 0.0)
        down_bias = -max(self.pow_up_down, 0.0)
        g_up = (up_bias + gain + r) * self.pow_gamma
        g_down = (down_bias + gain - r) * self.pow_gamma
        if self.enforce_consistency:
            g_up, g_down = g_up.abs(), g_down.abs()
        bad = int(((g_up <= 0) | (g_down <= 0)).sum())
        if bad:  # ω^γ with γ ≤ 0 is infinite at the bound: the step, and then the weight, would be NaN
            raise ConfigError(f"PowStep.pow_gamma_dtod = {self.pow_gamma_dtod!r}: draws exponents γ ≤ 0 for {bad} "
                              "device(s) with enforce_consistency=False; lower the spread or enforce consistency")
        return {"gamma_up": g_up, "gamma_down": g_down}

    def steps(self, w, p):
        span = p["w_max"] - p["w_min"]
        omega = torch.clamp(_safe_div(p["w_max"] - w, span), 0.0, 1.0)
        up = p["dw_up"] * omega.pow(p["gamma_up"])
        down = p["dw_down"] * (1 - omega).pow(p["gamma_down"])
        return up, down


class PiecewiseStep(PulsedDevice):
    """Step interpolated from user-measured tables (aihwkit ``PiecewiseStepDevice``).

    ``piecewise_up`` and ``piecewise_down`` give the step, relative to Δw^d_ij, at equally spaced nodes from
    b_min_ij (first) to b_max_ij (last); between nodes the step is linearly interpolated. A one-element table
    is a constant step. c2c noise multiplies the step.
    """

    kind: Literal["piecewise_step"] = "piecewise_step"
    piecewise_up: list[float] = Field(default_factory=lambda: [1.0], description="relative up steps at the nodes [1]")
    piecewise_down: list[float] = Field(
        default_factory=lambda: [1.0], description="relative down steps at the nodes [1]"
    )

    @model_validator(mode="after")
    def _check_tables(self) -> PiecewiseStep:
        if len(self.piecewise_up) == 0 or len(self.piecewise_up) != len(self.piecewise_down):
            raise ValueError(
                f"piecewise_up ({len(self.piecewise_up)} nodes) and piecewise_down ({len(self.piecewise_down)} nodes)"
                " must be non-empty and of equal length"
            )
        if any(not math.isfinite(v) or v < 0 for v in self.piecewise_up + self.piecewise_down):
            raise ValueError("piecewise step tables must hold finite values >= 0")
        return self

    def _interp(self, table: list[float], w: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        nodes = torch.tensor(table, dtype=w.dtype, device=w.device)
        n = len(table) - 1
        if n == 0:
            return nodes[0].expand_as(w)
        ws = torch.clamp(_safe_div(w - p["w_min"], p["w_max"] - p["w_min"]) * n, min=0.0)
        idx = torch.clamp(ws.floor(), max=n - 1)
        t = torch.clamp(ws - idx, max=1.0)
        i = idx.long()
        return (1 - t) * nodes[i] + t * nodes[i + 1]

    def steps(self, w, p):
        up = p["dw_up"] * self._interp(self.piecewise_up, w, p)
        return up, p["dw_down"] * self._interp(self.piecewise_down, w, p)


class NeuroSimNonlinear(PulsedDevice):
    """NeuroSim's nonlinear LTP/LTD device (NeuroSim V3; Zhao et al. 2021, grad-decomposition note).

    Normalised conductance x = (w − b_min)/(b_max − b_min) follows, along the pulse number P ∈ [0, N]:
    ``x(P) = B (1 − e^{−P/A})``, ``B = 1/(1 − e^{−N/A})`` with A = a·N; LTP moves P up by one per pulse and
    LTD (signed A, negative for the usual convex LTD curve) moves it down by one. Per pulse this is
    ``x ← B − (B − x) e^{∓1/A}`` (closed form; n pulses: exponent ∓n/A). ``a = None`` is a linear device
    (step range/N). c2c noise: additive N(0, c2c_std·range) per pulse, i.e. ∝ sqrt(pulses) over a run.

    ``dw_min`` defaults to range/N; d2d spreads default to zero (the paper models none).
    """

    kind: Literal["neurosim"] = "neurosim"
    n_levels: int = Field(500, gt=1, description="number of pulses N from b_min to b_max [1]")
    a_ltp: float | None = Field(0.499181, description="normalised A_LTP / N (None: linear) [1]")
    a_ltd: float | None = Field(-0.200303, description="normalised A_LTD / N, signed (None: linear) [1]")
    c2c_std: float = Field(0.035, ge=0, description="c2c std of one pulse relative to the range (b_max − b_min) [1]")
    w_min: float = Field(-1.0, le=0, description="weight at the minimum conductance [weight units]")
    w_max: float = Field(1.0, ge=0, description="weight at the maximum conductance [weight units]")
    dw_min_dtod: float = Field(0.0, ge=0, description="d2d spread of the step, relative [1]")
    dw_min_std: float = Field(0.0, ge=0, description="unused by this family (see c2c_std) [1]")
    up_down_dtod: float = Field(0.0, ge=0, description="d2d spread of the up/down asymmetry, relative [1]")
    w_min_dtod: float = Field(0.0, ge=0, description="d2d spread of w_min, relative [1]")
    w_max_dtod: float = Field(0.0, ge=0, description="d2d spread of w_max, relative [1]")
    g_min: float = Field(3.0769e-9, gt=0, description="conductance at b_min, for the crossbar mapping [S]")
    g_max: float = Field(38.462e-9, gt=0, description="conductance at b_max, for the crossbar mapping [S]")

    @model_validator(mode="before")
    @classmethod
    def _default_dw_min(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dw_min" not in data:
            w_min = data.get("w_min", -1.0)
            w_max = data.get("w_max", 1.0)
            n = data.get("n_levels", 500)
            if isinstance(n, int) and n > 1 and isinstance(w_min, int | float) and isinstance(w_max, int | float):
                data = {**data, "dw_min": (w_max - w_min) / n}
        return data

    @model_validator(mode="after")
    def _check_curves(self) -> NeuroSimNonlinear:
        for name in ("a_ltp", "a_ltd"):
            a = getattr(self, name)
            if a is not None and (not math.isfinite(a) or abs(a) < _A_MIN):
                raise ValueError(f"{name} = {a}: must be finite with |{name}| >= {_A_MIN:.3g} (e^(1/a) must fit a "
                                 "double), or None for a linear curve")
        if not self.g_min < self.g_max:
            raise ValueError(f"g_min = {self.g_min} must be < g_max = {self.g_max}")
        return self

    @property
    def has_c2c(self) -> bool:
        return self.c2c_std > 0

    def _b(self, a: float) -> float:
        return -1.0 / math.expm1(-1.0 / a)  # 1/(1 − e^{−1/a}), exact also for |a| ≫ 1 (the linear limit)

    def steps(self, w, p):
        span = p["w_max"] - p["w_min"]
        x = _safe_div(w - p["w_min"], span)
        scale_up = p["dw_up"] / self.dw_min
        scale_down = p["dw_down"] / self.dw_min
        if self.a_ltp is None:
            up = p["dw_up"].expand_as(w)
        else:
            b = self._b(self.a_ltp)
            up = scale_up * span * (b - x) * (-math.expm1(-1.0 / (self.n_levels * self.a_ltp)))
        if self.a_ltd is None:
            down = p["dw_down"].expand_as(w)
        else:
            b = self._b(self.a_ltd)
            down = scale_down * span * (x - b) * (-math.expm1(1.0 / (self.n_levels * self.a_ltd)))
        return up, down

    def noise_std(self, w, p, up, down):
        std = self.c2c_std * (p["w_max"] - p["w_min"]).expand_as(w)
        return std, std

    def conductance(self, w: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        """Conductance of the device at weight ``w`` [S]: g_min + x (g_max − g_min)."""
        x = _safe_div(w - p["w_min"], p["w_max"] - p["w_min"])
        return self.g_min + x * (self.g_max - self.g_min)
