"""A spin-torque nano-oscillator (STNO): the power of its auto-oscillation under a driving current, with thermal noise.

The model is the universal nonlinear auto-oscillator of Slavin & Tiberkevich (IEEE Trans. Magn. 45, 1875, 2009,
eqs. 1 and 24–27) written for the normalised power ``p = |c|²``. With the positive (natural) damping
``Γ₊(p) = Γ_G (1 + Q p)`` and the negative damping of the spin-transfer torque ``Γ₋(p) = σ I (1 − p)`` (their
linear-in-p forms, eq. 26 of the review), the noise-free power obeys

    dp/dt = −2 [Γ₊(p) − Γ₋(p)] p = a p − b p²,   a = 2 (σ I − Γ_G),  b = 2 (Γ_G Q + σ I).

The threshold current is ``I_th = Γ_G / σ``; with the supercriticality ``ζ = I / I_th`` the steady state is

    p₀ = (ζ − 1) / (ζ + Q)   for ζ > 1,      p₀ = 0 otherwise,

and small deviations from p₀ relax at the rate ``Γ_p = 2 Γ_G (ζ − 1)`` (linearising the equation above at p₀), so
the amplitude relaxation time is ``τ_p = 1 / Γ_p``.

Thermal noise enters the complex amplitude as a white force of strength ``⟨f f*⟩ = 2 D δ(t − t′)`` with
``D = Γ_G p_T``, ``p_T = k_B T / E₀`` the thermal power in units of the normalised power (Slavin & Tiberkevich
eq. 44; ``E₀`` the oscillation energy at p = 1). In Itô form the power then obeys

    dp = (a p − b p² + 2 D) dt + 2 √(D p) dW,

whose stationary mean below threshold and without the nonlinear term is ``D / (Γ_G (1 − ζ)) = p_T / (1 − ζ)``.
The noise-free part is integrated exactly over each sub-step (the equation is a Bernoulli/logistic equation at
constant current); the noise is added per sub-step (Euler–Maruyama), reflecting at p = 0.

Parameters (:data:`TORREJON_VORTEX`) describe a vortex oscillator at the scale of the FeB/MgO nanopillars of
Torrejon et al., Nature 547, 428 (2017): frequency 300 MHz, threshold 4 mA, and an effective damping α = 0.0027
(Γ_G = α·2πf ≈ 5.1 × 10⁶ s⁻¹) chosen so that the amplitude relaxes in ≈ 200 ns at 6 mA and ≈ 1 µs at 4.4 mA
(ζ = 1.1). None of them is fitted to the paper's device; Q and p_T are not printed there: Q = 2 is an order-one
value (chosen) and p_T = 1e-7 a choice (its effect is swept in ``stno-reservoir``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, ShapeError, make_generator, register_kind
from neurofab.core.seeding import Seed

register_kind("oscillator_sample", "one rectified readout sample of an oscillator (one virtual node, one input)")


class STNOConfig(Config):
    """One spin-torque nano-oscillator in the universal auto-oscillator model (Slavin & Tiberkevich 2009)."""

    frequency: float = Field(3.0e8, gt=0, description="oscillation frequency f [Hz] (sets Γ_G = α·2πf)")
    damping: float = Field(0.0027, gt=0, le=1,
                           description="effective damping α of the oscillation mode (dimensionless)")
    nonlinear_damping: float = Field(2.0, ge=0, description="nonlinear damping coefficient Q (dimensionless)")
    threshold_current: float = Field(4.0e-3, gt=0, description="threshold current I_th [A]")
    thermal_power: float = Field(1e-7, ge=0, description="thermal power p_T = k_B T / E₀ (dimensionless)")

    @property
    def gamma_g(self) -> float:
        """Γ_G = α ω [1/s]: the linear positive damping rate."""
        return self.damping * 2.0 * math.pi * self.frequency

    @property
    def sigma(self) -> float:
        """σ = Γ_G / I_th [1/(A·s)]: the spin-transfer efficiency."""
        return self.gamma_g / self.threshold_current

    def steady_power(self, current: float | torch.Tensor) -> float | torch.Tensor:
        """Noise-free steady-state power p₀ = (ζ − 1)/(ζ + Q) above threshold (ζ = I/I_th > 1), 0 below."""
        if isinstance(current, torch.Tensor):
            zeta = current / self.threshold_current
            return torch.clamp((zeta - 1.0) / (zeta + self.nonlinear_damping), min=0.0)
        zeta = float(current) / self.threshold_current
        return max((zeta - 1.0) / (zeta + self.nonlinear_damping), 0.0)

    def relaxation_time(self, current: float) -> float:
        """Amplitude relaxation time τ_p = 1 / (2 Γ_G |ζ − 1|) [s] around the steady state at ``current``."""
        zeta = float(current) / self.threshold_current
        if zeta == 1.0:
            return math.inf
        return 1.0 / (2.0 * self.gamma_g * abs(zeta - 1.0))


#: A vortex STNO at Torrejon et al. 2017 scale (f ≈ 300 MHz, I_th 4 mA; see the module docstring).
TORREJON_VORTEX = STNOConfig()


@numba.njit(cache=True)
def _integrate(p0, currents, normals, dt, gamma_g, sigma, q, diff):  # pragma: no cover - runs compiled
    """p at the end of every interval: p0 (B,), currents (B, S), normals (B, S, M) or (0, 0, 0) without noise."""
    n_b, n_s = currents.shape
    m = normals.shape[2] if normals.shape[0] else 1
    h = dt / m
    out = np.empty((n_b, n_s))
    noisy = normals.shape[0] > 0
    for b in range(n_b):
        p = p0[b]
        for s in range(n_s):
            cur = currents[b, s]
            a = 2.0 * (sigma * cur - gamma_g)
            bb = 2.0 * (gamma_g * q + sigma * cur)
            if noisy:
                steps = m
                hh = h
            else:
                steps = 1
                hh = dt
            e = math.exp(a * hh) if abs(a * hh) > 1e-12 else 1.0
            for k in range(steps):
                # exact logistic step at constant current
                if abs(a * hh) > 1e-12:
                    den = a + bb * p * (e - 1.0)
                    p = a * p * e / den if den != 0.0 else 0.0
                else:
                    p = p / (1.0 + bb * p * hh)
                if noisy:
                    p = p + 2.0 * diff * hh + 2.0 * math.sqrt(diff * max(p, 0.0) * hh) * normals[b, s, k]
                    p = abs(p)
            out[b, s] = p
    return out


def integrate_power(config: STNOConfig, currents: torch.Tensor, dt: float, p0: torch.Tensor | None = None,
                    substeps: int = 4, seed: Seed = None, noise: bool = True) -> torch.Tensor:
    """Power at the end of each of S intervals of length ``dt`` [s] at constant current ``currents`` (B, S) [A].

    ``p0`` (B,) is the starting power (default: the noise-free steady state at the first interval's current);
    ``substeps`` noise increments per interval (the noise-free part is exact whatever the count).
    """
    if not dt > 0 or not math.isfinite(dt):
        raise ConfigError(f"dt = {dt!r}: the interval length must be > 0 seconds")
    if substeps < 1:
        raise ConfigError(f"substeps = {substeps!r}: must be >= 1")
    if currents.dim() != 2:
        raise ShapeError(f"currents must be (batch, intervals), got shape {tuple(currents.shape)}")
    cur = currents.detach().to(torch.float64).cpu().numpy()
    if not np.isfinite(cur).all():
        raise ConfigError("currents: must be finite")
    if p0 is None:
        p_start = config.steady_power(currents[:, 0].to(torch.float64)).cpu().numpy()
    else:
        p_start = p0.detach().to(torch.float64).cpu().numpy().reshape(-1)
        if p_start.shape[0] != cur.shape[0] or (p_start < 0).any():
            raise ConfigError("p0: one non-negative starting power per batch row")
    diff = config.gamma_g * config.thermal_power
    if noise and diff > 0:
        gen = make_generator(seed)
        normals = torch.randn(cur.shape[0], cur.shape[1], substeps, generator=gen, dtype=torch.float64).numpy()
    else:
        normals = np.zeros((0, 0, 0))
    out = _integrate(np.ascontiguousarray(p_start), np.ascontiguousarray(cur), normals, float(dt), config.gamma_g,
                     config.sigma, config.nonlinear_damping, diff)
    return torch.from_numpy(out)
