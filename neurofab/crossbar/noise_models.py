"""Inference noise models: what happens to programmed conductances between programming and each read.

A model acts on the conductances of a :class:`~neurofab.crossbar.mapping.ConductanceMapping` (its
``converter``; a differential pair with g_max = 25 µS by default) in three steps, vectorised over all devices:

1. :meth:`NoiseModel.program` — targets g_T [S] → programmed g_prog (programming noise), plus whatever the
   model draws once per device at programming (PCM drift exponents ν, RRAM retention exponents);
2. :meth:`NoiseModel.conductance_at` — g_prog → g(t) at ``t`` seconds after programming (drift, retention,
   accumulated noise);
3. :meth:`NoiseModel.read_std` — the standard deviation [S] of the noise of one read at time ``t``, drawn anew
   for every MVM (None: the model has no per-read noise).

Every model shares two options applied around its own physics: ``levels`` (targets rounded to N evenly
spaced conductances in [g_min, g_max] before programming) and ``faults`` (stuck-at devices that ignore
programming, drift and retention).

Models
------
- :class:`PCMNoiseModel` — Joshi et al. 2020 / Nandakumar et al. 2019 as used by Spoon et al. 2021
  (pcm-transformer note); semantics and defaults of IBM aihwkit 1.1's ``PCMLikeNoiseModel``:

  * programming: g_prog = g_T + γ σ_prog(ĝ) ξ, σ_prog = max(c₀ + c₁ĝ + c₂ĝ², 0) µS · (g_max / 25 µS),
    ĝ = g_T/g_max, (c₀, c₁, c₂) = (0.26348, 1.9650, −1.1731); clipped at 0;
  * drift: g_drift(t) = g_prog ((t + t₀)/t₀)^(−ν), ν = |μ_ν + σ_ν ξ|,
    μ_ν = clip(−0.0155 ln ĝ + 0.0244, 0.049, 0.1), σ_ν = clip(−0.0125 ln ĝ − 0.0059, 0.008, 0.045), t₀ = 20 s;
  * 1/f read noise: σ_nG = γ |g_drift| Q_s sqrt(ln((t + t₀ + t_read)/(2 t_read))), t_read = 250 ns,
    Q_s = min(0.0088 / max((g_prog/g_max)^0.65, 10⁻³), 0.2).

  ``read_noise="per_mvm"`` draws σ_nG on every MVM; ``"at_drift"`` draws it once in ``conductance_at`` and
  freezes it (what aihwkit does). ``drift_of="devices"`` drifts each device of the pair from its own programmed
  conductance; ``"net"`` is aihwkit 1.1's ``apply_drift_noise``: the programmed pair is read as one weight
  d = g_prog,a − g_prog,b, re-split into a pair (g_min + k·max(±d, 0), k = (g_max − g_min)/max|d| over the
  array), and that pair drifts and takes the read noise (Q_s of the re-split pair), with the drift exponents
  drawn at programming; the weight is its difference over k. A device whose target was 0 then keeps no
  programming noise of its own to drift and read.
- :class:`GaussianNoiseModel` — programming and read noise, each a constant [S] plus a part proportional to g.
- :class:`ReRAMPolynomialNoiseModel` — the deviation from target after 1 s, 1 day, 2 days fitted by 4th-order
  polynomials in ĝ (Wan et al. 2022 data, coefficients of aihwkit's ``ReRamWan2022NoiseModel``).
- :class:`ReRAMCMONoiseModel` — CMO/HfOx ReRAM (aihwkit's ``ReRamCMONoiseModel``): programming noise linear in
  g_T for a 0.2 % or 2 % acceptance range, and a decay whose mean and spread are linear in ln t.
- :class:`RRAMRetentionNoiseModel` — Gaussian programming noise and power-law retention toward g_min:
  g(t) = g_min + (g_prog − g_min)(1 + t/t₀)^(−ν), ν = |ν̄ + σ_ν ξ| per device.

Physical conductances are in siemens; weights are the mapping's normalised weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, NumericalError, ShapeError, make_generator
from neurofab.crossbar.mapping import ConductanceMapping, conductances_to_weights, weights_to_conductances

__all__ = [
    "AnyNoiseModel",
    "GaussianNoiseModel",
    "NoiseModel",
    "PCMNoiseModel",
    "Programmed",
    "RRAMRetentionNoiseModel",
    "ReRAMCMONoiseModel",
    "ReRAMPolynomialNoiseModel",
    "StuckAtFaults",
    "pcm_drift_factor",
    "pcm_read_noise_factor",
]

MICROSIEMENS = 1e-6
_ZERO_CLIP = 1e-7  # ĝ floor inside the logarithms (aihwkit's _ZERO_CLIP)


def pcm_read_noise_factor(t_inference: float | torch.Tensor, t_0: float = 20.0, t_read: float = 250e-9):
    """sqrt(ln((t + t₀ + t_read)/(2 t_read))) of the 1/f read noise at ``t_inference`` s after programming."""
    t = torch.as_tensor(t_inference, dtype=torch.float64) + t_0
    if bool(torch.any(t < t_read)):
        raise ConfigError(f"1/f read noise: t_inference + t_0 must be >= t_read = {t_read!r} s "
                          f"(got t_0 = {t_0!r} and t_inference down to {float(t.min()) - t_0!r})")
    return torch.sqrt(torch.log((t + t_read) / (2 * t_read)))


def pcm_drift_factor(t_inference: float | torch.Tensor, nu: float | torch.Tensor, t_0: float = 20.0):
    """((t + t₀)/t₀)^(−ν): the factor a conductance drifts by ``t_inference`` s after programming."""
    t = torch.as_tensor(t_inference, dtype=torch.float64) + t_0
    return (t / t_0) ** (-torch.as_tensor(nu, dtype=torch.float64))


@dataclass
class Programmed:
    """The state of programmed devices, shape (pairs, *weight_shape) with pairs = 2 (g⁺, g⁻).

    ``g_target`` and ``g_prog`` in siemens; ``params`` the per-device quantity drawn at programming (drift or
    retention exponent ν [1]; None when the model draws none); ``stuck`` a boolean mask of stuck devices and
    ``stuck_g`` their conductance [S] (None without faults).
    """

    g_target: torch.Tensor
    g_prog: torch.Tensor
    params: torch.Tensor | None = None
    stuck: torch.Tensor | None = None
    stuck_g: torch.Tensor | None = None

    def apply_faults(self, g: torch.Tensor) -> torch.Tensor:
        """``g`` with the stuck devices at their stuck value."""
        if self.stuck is None:
            return g
        return torch.where(self.stuck, self.stuck_g, g)


class StuckAtFaults(Config):
    """Stuck devices: probabilities per device of being stuck off (g_min), on (g_max) or at a random value.

    Stuck devices ignore programming and keep their value through drift and retention; a random-stuck device
    sits at a uniform draw in [g_min, g_max]. Each device of a pair fails independently.
    """

    p_off: float = Field(0.0, ge=0, le=1, description="probability of a device stuck at g_min [1]")
    p_on: float = Field(0.0, ge=0, le=1, description="probability of a device stuck at g_max [1]")
    p_random: float = Field(0.0, ge=0, le=1, description="probability of a device stuck at a random value [1]")

    @model_validator(mode="after")
    def _check(self) -> StuckAtFaults:
        total = self.p_off + self.p_on + self.p_random
        if total > 1.0:
            raise ValueError(f"p_off + p_on + p_random = {total}: must be <= 1")
        return self

    @property
    def any(self) -> bool:
        return self.p_off + self.p_on + self.p_random > 0


class NoiseModel(Config):
    """Base of the inference noise models (see the module docstring for the three steps)."""

    converter: ConductanceMapping = Field(
        default_factory=ConductanceMapping, description="weight ↔ conductance mapping (differential, g_max 25 µS)"
    )
    levels: int | None = Field(
        None, ge=2, description="targets rounded to this many evenly spaced conductances in [g_min, g_max] [1]"
    )
    faults: StuckAtFaults = Field(default_factory=StuckAtFaults, description="stuck-at device faults")

    @property
    def g_max(self) -> float:
        """Highest conductance [S]."""
        return self.converter.g_max

    @property
    def g_min(self) -> float:
        """Lowest conductance [S]."""
        return self.converter.g_min

    # ----- weights ↔ conductances --------------------------------------------------------------------
    def to_conductances(self, w: torch.Tensor) -> torch.Tensor:
        """Normalised weights (…) → target conductances [S] of the pair, shape (2, …)."""
        g_a, g_b = weights_to_conductances(w, self.converter)
        return torch.stack((g_a, g_b))

    def to_weights(self, g: torch.Tensor) -> torch.Tensor:
        """Conductances (2, …) [S] → normalised weights (…)."""
        if g.shape[0] != 2:
            raise ShapeError(f"{type(self).__name__}.to_weights: expected a pair (2, ...), got {tuple(g.shape)}")
        return conductances_to_weights(g[0], g[1], self.converter)

    def quantize_levels(self, g: torch.Tensor) -> torch.Tensor:
        """Round conductances to the nearest of ``levels`` evenly spaced values in [g_min, g_max] (no-op if None)."""
        if self.levels is None:
            return g
        step = (self.g_max - self.g_min) / (self.levels - 1)
        return self.g_min + torch.round((g - self.g_min).clamp(0, self.g_max - self.g_min) / step) * step

    # ----- the three steps --------------------------------------------------------------------------------
    def program(self, g_target: torch.Tensor, generator: torch.Generator | int | None = None) -> Programmed:
        """Program target conductances [S]: level rounding, programming noise, per-device draws, faults."""
        lo, hi = torch.aminmax(g_target) if g_target.numel() else (torch.zeros(()), torch.zeros(()))
        if not bool(torch.isfinite(lo) & torch.isfinite(hi)):
            raise NumericalError(f"{type(self).__name__}.program: target conductances contain NaN or inf")
        gen = make_generator(generator, device=g_target.device)
        g_t = self.quantize_levels(g_target)
        g_prog, params = self._program(g_t, gen)
        prog = Programmed(g_target=g_t, g_prog=g_prog, params=params)
        if self.faults.any:
            u = torch.rand(g_t.shape, generator=gen, device=g_t.device, dtype=g_t.dtype)
            f = self.faults
            stuck_g = torch.where(u < f.p_off, torch.full_like(g_t, self.g_min), torch.full_like(g_t, self.g_max))
            rand_g = self.g_min + (self.g_max - self.g_min) * torch.rand(
                g_t.shape, generator=gen, device=g_t.device, dtype=g_t.dtype
            )
            stuck_g = torch.where(u >= f.p_off + f.p_on, rand_g, stuck_g)
            prog.stuck = u < f.p_off + f.p_on + f.p_random
            prog.stuck_g = stuck_g
            prog.g_prog = prog.apply_faults(prog.g_prog)
        return prog

    def conductance_at(
        self, prog: Programmed, t_inference: float, generator: torch.Generator | int | None = None
    ) -> torch.Tensor:
        """Conductances [S] ``t_inference`` seconds after programming (stuck devices unchanged)."""
        if not (isinstance(t_inference, int | float) and math.isfinite(t_inference) and t_inference >= 0):
            raise NumericalError(f"t_inference = {t_inference!r}: must be a finite number of seconds >= 0")
        g = self._at_time(prog, float(t_inference), make_generator(generator, device=prog.g_prog.device))
        return prog.apply_faults(g)

    def read_std(self, prog: Programmed, g_t: torch.Tensor, t_inference: float) -> torch.Tensor | None:
        """Std [S] of the noise of one read of each device at ``t_inference`` s (None: no per-read noise)."""
        return None

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        """Std [S] of the programming noise at target conductances [S] (used to shape training noise)."""
        raise NotImplementedError

    # ----- model physics (subclasses) -------------------------------------------------------------------------
    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        raise NotImplementedError

    def _at_time(self, prog: Programmed, t: float, gen: torch.Generator) -> torch.Tensor:
        return prog.g_prog


def _randn(like: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return torch.randn(like.shape, generator=gen, device=like.device, dtype=like.dtype)


class PCMNoiseModel(NoiseModel):
    """Phase-change memory (Joshi 2020 / Nandakumar 2019, Spoon 2021); aihwkit 1.1 ``PCMLikeNoiseModel`` defaults.

    ``gamma`` is the paper's γ (1: today's devices, 0.5: "improved devices"): it scales programming and read
    noise. ``prog_noise_scale``, ``read_noise_scale``, ``drift_scale`` are aihwkit's separate factors.
    """

    kind: Literal["pcm"] = "pcm"
    prog_coeff: tuple[float, float, float] = Field(
        (0.26348, 1.9650, -1.1731),
        description="programming-noise polynomial c₀ + c₁ĝ + c₂ĝ² [µS at the reference g_max] (aihwkit default)",
    )
    prog_coeff_g_max_reference: float = Field(
        25e-6, gt=0, description="g_max at which prog_coeff were fitted; σ_prog scales by g_max/this [S] (aihwkit)"
    )
    gamma: float = Field(1.0, ge=0, description="γ: scale of programming and read noise [1] (Spoon et al.)")
    prog_noise_scale: float = Field(1.0, ge=0, description="extra scale of the programming noise [1]")
    read_noise_scale: float = Field(1.0, ge=0, description="extra scale of the 1/f read noise [1]")
    drift_scale: float = Field(1.0, ge=0, description="scale of the drift exponents ν [1]")
    t_0: float = Field(20.0, gt=0, description="first read after programming, the drift reference [s] (aihwkit)")
    t_read: float = Field(250e-9, gt=0, description="read duration of the 1/f noise fit [s] (aihwkit default)")
    read_noise: Literal["per_mvm", "at_drift"] = Field(
        "per_mvm", description="1/f noise drawn on every MVM, or once at drift and frozen (aihwkit)"
    )
    drift_of: Literal["devices", "net"] = Field(
        "devices",
        description="what drifts and reads noisy: each programmed device of the pair, or the programmed weight "
        "re-split into a pair with its abs-max at g_max (aihwkit 1.1's apply_drift_noise) [module docstring]",
    )

    @model_validator(mode="after")
    def _first_read_after_read_window(self) -> PCMNoiseModel:
        # the 1/f noise integrates from 2 t_read to t + t_0 + t_read: below t_0 = t_read the log is negative
        if self.t_0 < self.t_read:
            raise ValueError(f"{type(self).__name__}.t_0 = {self.t_0!r}: must be >= t_read = {self.t_read!r} "
                             "(the first read cannot come before one read window)")
        if self.drift_of == "net" and self.converter.scheme != "differential":
            raise ValueError(f"{type(self).__name__}.drift_of = 'net' re-splits a differential pair: "
                             f"converter.scheme must be 'differential', got {self.converter.scheme!r}")
        if self.drift_of == "net" and self.faults.any:
            raise ValueError(f"{type(self).__name__}.drift_of = 'net' re-splits every pair: it cannot keep stuck "
                             "devices (set faults to none or drift_of = 'devices')")
        return self

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        """σ_prog [S] for target conductances [S] (including γ and prog_noise_scale)."""
        g_hat = g_target / self.g_max
        c0, c1, c2 = self.prog_coeff
        poly = torch.clamp(c0 + c1 * g_hat + c2 * g_hat * g_hat, min=0.0)
        scale = self.gamma * self.prog_noise_scale * MICROSIEMENS * self.g_max / self.prog_coeff_g_max_reference
        return poly * scale

    def drift_stats(self, g_target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_ν, σ_ν) [1] of the drift exponent for target conductances [S]."""
        log_g = torch.log(torch.clamp((g_target / self.g_max).abs(), min=_ZERO_CLIP))
        mu = torch.clamp(-0.0155 * log_g + 0.0244, min=0.049, max=0.1)
        sig = torch.clamp(-0.0125 * log_g - 0.0059, min=0.008, max=0.045)
        return mu, sig

    def q_s(self, g_prog: torch.Tensor) -> torch.Tensor:
        """Q_s [1] of the 1/f noise for programmed conductances [S]."""
        ratio = torch.clamp((g_prog.abs() / self.g_max) ** 0.65, min=1e-3)
        return torch.clamp(0.0088 / ratio, max=0.2)

    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        g_prog = torch.clamp(g_t + self.programming_std(g_t) * _randn(g_t, gen), min=0.0)
        mu, sig = self.drift_stats(g_t)
        nu = torch.clamp((mu + sig * _randn(g_t, gen)).abs(), min=0.0) * self.drift_scale
        return g_prog, nu

    def _base(self, prog: Programmed) -> tuple[torch.Tensor, float | torch.Tensor]:
        """(g, k): the pair [S] that drifts and its scale to the programmed one (conductances returned are g(t)/k).

        ``drift_of="devices"``: the programmed pair, k = 1. ``"net"``: d = g_a − g_b re-split as
        (g_min + k·max(d, 0), g_min + k·max(−d, 0)), k = (g_max − g_min)/max|d| (aihwkit's re-conversion)."""
        if self.drift_of == "devices":
            return prog.g_prog, 1.0
        d = prog.g_prog[0] - prog.g_prog[1]
        k = (self.g_max - self.g_min) / d.abs().amax().clamp(min=_ZERO_CLIP * self.g_max)
        return self.g_min + torch.stack((torch.relu(d * k), torch.relu(-d * k))), k

    def _drifted(self, prog: Programmed, t: float) -> torch.Tensor:
        g, k = self._base(prog)
        if t > 0:
            g = g * ((t + self.t_0) / self.t_0) ** (-prog.params)
        return g / k if self.drift_of == "net" else g

    def _read_std(self, prog: Programmed, g_drift: torch.Tensor, t: float) -> torch.Tensor:
        factor = float(pcm_read_noise_factor(t, self.t_0, self.t_read))
        return (self.gamma * self.read_noise_scale * factor) * g_drift.abs() * self.q_s(self._base(prog)[0])

    def _at_time(self, prog: Programmed, t: float, gen: torch.Generator) -> torch.Tensor:
        g = self._drifted(prog, t)
        if self.read_noise == "at_drift":
            g = torch.clamp(g + self._read_std(prog, g, t) * _randn(g, gen), min=0.0)
        return g

    def read_std(self, prog: Programmed, g_t: torch.Tensor, t_inference: float) -> torch.Tensor | None:
        if self.read_noise != "per_mvm" or self.gamma * self.read_noise_scale == 0:
            return None
        return self._read_std(prog, g_t, t_inference)


class GaussianNoiseModel(NoiseModel):
    """Gaussian programming and read noise, each σ = constant + relative·g; no drift.

    Programming: g_prog = g_T + (prog_std_abs + prog_std_rel·g_T) ξ, clipped to [g_min, g_max].
    Read (every MVM): σ_read = read_std_abs + read_std_rel·|g|.
    """

    kind: Literal["gaussian"] = "gaussian"
    prog_std_abs: float = Field(0.0, ge=0, description="constant part of the programming noise [S]")
    prog_std_rel: float = Field(0.0, ge=0, description="programming noise proportional to the target [1]")
    read_std_abs: float = Field(0.0, ge=0, description="constant part of the per-read noise [S]")
    read_std_rel: float = Field(0.0, ge=0, description="per-read noise proportional to the conductance [1]")

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        return self.prog_std_abs + self.prog_std_rel * g_target

    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, None]:
        if self.prog_std_abs == 0 and self.prog_std_rel == 0:
            return g_t.clone(), None
        std = self.programming_std(g_t)
        return torch.clamp(g_t + std * _randn(g_t, gen), self.g_min, self.g_max), None

    def read_std(self, prog: Programmed, g_t: torch.Tensor, t_inference: float) -> torch.Tensor | None:
        if self.read_std_abs == 0 and self.read_std_rel == 0:
            return None
        return self.read_std_abs + self.read_std_rel * g_t.abs()


WAN2022_COEFFS: tuple[tuple[float, tuple[float, ...]], ...] = (
    (1.0, (0.348, 16.030, -43.853, 45.393, -16.815)),
    (86400.0, (0.701, 22.086, -50.773, 47.095, -16.458)),
    (172800.0, (0.782, 20.274, -43.507, 37.062, -11.934)),
)
"""(t [s], (c₀ … c₄) [µS at g_max = 40 µS]) of the ReRAM deviation fits: aihwkit 1.1 ``ReRamWan2022NoiseModel``
defaults (Wan et al., Nature 2022)."""


class ReRAMPolynomialNoiseModel(NoiseModel):
    """ReRAM deviation from target: σ(ĝ, t) = Σ_k c_k(t) ĝ^k [µS · g_max/g_max_ref], drawn around the target.

    Programming draws with the first fit (1 s). At time t the conductance is a fresh draw around the target
    with σ at t (aihwkit semantics: the fits describe the spread at each time, not a trajectory). aihwkit
    accepts only the fitted times; here σ is interpolated linearly in ln t between them and held constant
    before the first and after the last. Defaults: aihwkit's Wan 2022 fits, g_max = 40 µS.
    """

    kind: Literal["reram_poly"] = "reram_poly"
    converter: ConductanceMapping = Field(
        default_factory=lambda: ConductanceMapping(g_max=40e-6), description="mapping (differential, g_max 40 µS)"
    )
    coeffs: tuple[tuple[float, tuple[float, ...]], ...] = Field(
        WAN2022_COEFFS, description="(t [s], polynomial c₀…c_n [µS]) fits, increasing t (aihwkit default)"
    )
    coeff_g_max_reference: float = Field(40e-6, gt=0, description="g_max of the fits [S] (Wan et al. 2022)")
    noise_scale: float = Field(1.0, ge=0, description="scale of all deviations [1]")

    @model_validator(mode="after")
    def _check_times(self) -> ReRAMPolynomialNoiseModel:
        times = [t for t, _ in self.coeffs]
        if not times or any(t <= 0 for t in times) or times != sorted(set(times)):
            raise ValueError(f"coeffs times {times}: need at least one, all > 0, strictly increasing")
        return self

    def _poly(self, g_t: torch.Tensor, c: tuple[float, ...]) -> torch.Tensor:
        g_hat = g_t / self.g_max
        out = torch.zeros_like(g_t)
        for ck in reversed(c):
            out = out * g_hat + ck
        return out.clamp(min=0.0) * (MICROSIEMENS * self.g_max / self.coeff_g_max_reference * self.noise_scale)

    def std_at(self, g_t: torch.Tensor, t: float) -> torch.Tensor:
        """σ [S] of the deviation from target at time ``t`` [s]."""
        times = [tt for tt, _ in self.coeffs]
        if t <= times[0]:
            return self._poly(g_t, self.coeffs[0][1])
        if t >= times[-1]:
            return self._poly(g_t, self.coeffs[-1][1])
        k = next(i for i, tt in enumerate(times) if tt >= t)
        if times[k] == t:
            return self._poly(g_t, self.coeffs[k][1])
        lo, hi = self._poly(g_t, self.coeffs[k - 1][1]), self._poly(g_t, self.coeffs[k][1])
        frac = (math.log(t) - math.log(times[k - 1])) / (math.log(times[k]) - math.log(times[k - 1]))
        return lo + frac * (hi - lo)

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        return self.std_at(g_target, 0.0)

    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, None]:
        return torch.clamp(g_t + self.std_at(g_t, 0.0) * _randn(g_t, gen), min=0.0), None

    def _at_time(self, prog: Programmed, t: float, gen: torch.Generator) -> torch.Tensor:
        if t <= 0:
            return prog.g_prog
        g_t = prog.g_target
        return torch.clamp(g_t + self.std_at(g_t, t) * _randn(g_t, gen), min=0.0)


class RRAMRetentionNoiseModel(NoiseModel):
    """RRAM with Gaussian programming noise and power-law retention toward g_min.

    g_prog = clip(g_T + (prog_std_abs + prog_std_rel·g_T) ξ, g_min, g_max);
    g(t) = g_min + (g_prog − g_min)(1 + t/t₀)^(−ν), ν = |ν̄ + σ_ν ξ| drawn per device at programming.
    (``prog_std_abs`` + ``prog_std_rel``·g_T is the programming noise std.)
    The retention constants are device data: they have no defaults.
    """

    kind: Literal["rram_retention"] = "rram_retention"
    nu_mean: float = Field(..., ge=0, description="mean retention exponent ν̄ [1]")
    nu_std: float = Field(..., ge=0, description="device-to-device spread of ν [1]")
    t_0: float = Field(..., gt=0, description="retention time constant t₀ [s]")
    prog_std_abs: float = Field(0.0, ge=0, description="constant part of the programming noise [S]")
    prog_std_rel: float = Field(0.0, ge=0, description="programming noise proportional to the target [1]")

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        return self.prog_std_abs + self.prog_std_rel * g_target

    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        std = self.programming_std(g_t)
        g_prog = torch.clamp(g_t + std * _randn(g_t, gen), self.g_min, self.g_max)
        nu = (self.nu_mean + self.nu_std * _randn(g_t, gen)).abs()
        return g_prog, nu

    def _at_time(self, prog: Programmed, t: float, gen: torch.Generator) -> torch.Tensor:
        if t <= 0:
            return prog.g_prog
        return self.g_min + (prog.g_prog - self.g_min) * (1.0 + t / self.t_0) ** (-prog.params)


class ReRAMCMONoiseModel(NoiseModel):
    """CMO/HfOx ReRAM (Falcone et al.; aihwkit ``ReRamCMONoiseModel`` coefficients and semantics).

    One device per weight read against a reference (aihwkit's single-device converter; here the ``reference``
    mapping over [g_min, g_max] = [9, 88.19] µS, the reference g_ref a fixed conductance that neither takes
    noise nor drifts when ``fixed_reference``). With g in µS:

    - programming: g_prog = g_T + (a₀ + a₁ g_T) ξ; (a₀, a₁) = (0.00081107, 0.00106879) for the 0.2 %
      acceptance range of the program-and-verify loop, (0.0112185391, 0.01129027418) for 2 %;
    - conductance decay (independent of the programming draw, as aihwkit):
      g(t) = m₀ ln t + m₁ g_T / g_ref,drift + (s₀ ln t + s₁) ξ, clipped below at g_min, with
      (m₀, m₁) = (−0.08900206, 49.92383444), (s₀, s₁) = (0.04201137, 0.41183342), g_ref,drift = 50 µS;
      ln t is taken at t ≥ 1 s (the fit's range starts at 1 s; aihwkit would extrapolate below).
    - short-term read noise is not part of the model (aihwkit suggests forward weight noise ≈ 1 %).

    aihwkit's default ``tol=2e-2`` is not one of its coefficient keys (0.2 and 2, in percent), so its
    programming falls back to the smallest key, 0.2 %: that is this model's default ``acceptance``.
    """

    kind: Literal["reram_cmo"] = "reram_cmo"
    converter: ConductanceMapping = Field(
        default_factory=lambda: ConductanceMapping(scheme="reference", g_min=9.0e-6, g_max=88.19e-6),
        description="one device against a reference over [9, 88.19] µS (aihwkit defaults)",
    )
    acceptance: Literal[0.2, 2.0] = Field(0.2, description="program-and-verify acceptance range [%]")
    prog_coeff: dict[float, tuple[float, float]] = Field(
        {0.2: (0.00081107, 0.00106879), 2.0: (0.0112185391, 0.01129027418)},
        description="(a₀ [µS], a₁ [1]) of σ_prog = a₀ + a₁ g_T per acceptance range [%] (aihwkit)",
    )
    decay_mean: tuple[float, float] = Field(
        (-0.08900206, 49.92383444), description="(m₀ [µS], m₁ [µS]) of the mean decay (aihwkit)"
    )
    decay_std: tuple[float, float] = Field((0.04201137, 0.41183342), description="(s₀, s₁) [µS] of the spread")
    decay_reference: float = Field(50e-6, gt=0, description="g_ref,drift of the mean-decay fit [S] (aihwkit)")
    noise_scale: float = Field(1.0, ge=0, description="scale of the programming noise [1]")
    fixed_reference: bool = Field(True, description="the reference conductance takes no noise and no decay")

    @model_validator(mode="after")
    def _check_acceptance(self) -> ReRAMCMONoiseModel:
        if self.acceptance not in self.prog_coeff:
            raise ValueError(f"acceptance = {self.acceptance}: no programming coefficients for it "
                             f"(have {sorted(self.prog_coeff)})")
        return self

    def programming_std(self, g_target: torch.Tensor) -> torch.Tensor:
        a0, a1 = self.prog_coeff[self.acceptance]
        return self.noise_scale * (a0 * MICROSIEMENS + a1 * g_target)

    def _keep_reference(self, g_new: torch.Tensor, g_t: torch.Tensor) -> torch.Tensor:
        if self.fixed_reference and self.converter.scheme == "reference" and g_t.dim() > 0 and g_t.shape[0] == 2:
            return torch.stack((g_new[0], g_t[1]))
        return g_new

    def _program(self, g_t: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, None]:
        g_prog = g_t + self.programming_std(g_t) * _randn(g_t, gen)
        return self._keep_reference(g_prog, g_t), None

    def mean_at(self, g_target: torch.Tensor, t: float) -> torch.Tensor:
        """Mean conductance [S] at ``t`` s (t ≥ 1 s in the logarithm)."""
        m0, m1 = self.decay_mean
        lt = math.log(max(t, 1.0))
        return (m0 * lt + m1 * g_target / self.decay_reference) * MICROSIEMENS

    def std_at(self, t: float) -> float:
        """Spread [S] of the conductance at ``t`` s."""
        s0, s1 = self.decay_std
        return max(s0 * math.log(max(t, 1.0)) + s1, 0.0) * MICROSIEMENS

    def _at_time(self, prog: Programmed, t: float, gen: torch.Generator) -> torch.Tensor:
        if t <= 0:
            return prog.g_prog
        g_t = prog.g_target
        g = torch.clamp(self.mean_at(g_t, t) + self.std_at(t) * _randn(g_t, gen), min=self.g_min)
        return self._keep_reference(g, g_t)


AnyNoiseModel = Annotated[
    PCMNoiseModel | GaussianNoiseModel | ReRAMPolynomialNoiseModel | RRAMRetentionNoiseModel | ReRAMCMONoiseModel,
    Field(discriminator="kind"),
]
"""Any inference noise model; the ``kind`` field tells which (configs round-trip through TOML/JSON)."""
