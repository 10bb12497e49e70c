"""Spike encoders: values or signals → spike tensors of shape [steps, *shape] (time first).

- :func:`poisson_rate` — a Bernoulli draw per step with probability rate·dt (the discrete-time Poisson process;
  inter-spike intervals are geometric with CV = sqrt(1 − rate·dt));
- :func:`regular_rate` — the same number of spikes per frame spread evenly (a phase accumulator, no noise);
- :func:`latency` — time to first spike: one spike per input, earlier for larger values (linear map, or the
  charging time of an RC membrane, t = τ ln(x / (x − θ)));
- :func:`delta` — send-on-delta modulation of a signal: +1 when it has risen by ``threshold`` since the last
  event, −1 when it has fallen by it.

Spikes are returned as float tensors of 0/1 (±1 for :func:`delta`), ready to be multiplied by weights.
"""

from __future__ import annotations

import math

import torch

from neurofab.core import ConfigError, NumericalError, Seed, ShapeError, make_generator

__all__ = ["delta", "latency", "poisson_rate", "regular_rate"]


def _check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"steps = {steps!r}: must be a positive integer")
    return steps


def _check_dt(dt: float) -> float:
    if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")
    return float(dt)


def _rates(rates: torch.Tensor | float, dt: float) -> torch.Tensor:
    r = torch.as_tensor(rates)
    if not r.is_floating_point():
        r = r.to(torch.get_default_dtype())
    if not torch.isfinite(r).all():
        raise NumericalError("encoder rates hold NaN or infinite values")
    if (r < 0).any():
        raise ConfigError(f"encoder rates must be >= 0 Hz, got a minimum of {r.min().item()!r}")
    if (r * dt > 1).any():
        raise ConfigError(
            f"encoder rate {r.max().item()!r} Hz exceeds one spike per step (1/dt = {1 / dt!r} Hz); use a smaller dt"
        )
    return r


def poisson_rate(rates: torch.Tensor | float, steps: int, dt: float, generator: Seed = None) -> torch.Tensor:
    """Poisson spike trains of ``rates`` [Hz] (any shape) for ``steps`` steps of ``dt`` [s] → [steps, *shape]:
    a spike in each step with probability rate·dt (≤ 1). Randomness from ``generator`` (a seed or a
    ``torch.Generator``)."""
    steps, dt = _check_steps(steps), _check_dt(dt)
    r = _rates(rates, dt)
    gen = make_generator(generator, device=r.device)
    u = torch.rand((steps, *r.shape), generator=gen, dtype=r.dtype, device=r.device)
    return (u < r * dt).to(r.dtype)


def regular_rate(rates: torch.Tensor | float, steps: int, dt: float, phase: float = 0.5) -> torch.Tensor:
    """Regular spike trains of ``rates`` [Hz] for ``steps`` steps of ``dt`` [s] → [steps, *shape]: a phase
    accumulator advancing by rate·dt per step emits a spike each time it passes a whole number, so a frame of
    T = steps·dt holds floor(rate·T + phase) spikes spread evenly (``phase`` in [0, 1) sets where they fall)."""
    steps, dt = _check_steps(steps), _check_dt(dt)
    if not 0 <= phase < 1:
        raise ConfigError(f"phase = {phase!r}: must be in [0, 1)")
    r = _rates(rates, dt)
    k = torch.arange(steps + 1, dtype=torch.float64, device=r.device).reshape(-1, *([1] * r.dim()))
    level = torch.floor(k * (r.double() * dt) + phase + 1e-9)
    return torch.diff(level, dim=0).to(r.dtype)


def latency(
    x: torch.Tensor,
    steps: int,
    *,
    mode: str = "linear",
    threshold: float = 0.0,
    tau: float = 1.0,
    dt: float = 1.0,
) -> torch.Tensor:
    """Time-to-first-spike code of ``x`` (any shape) → [steps, *shape], one spike or none per element.

    ``mode="linear"``: x in [0, 1] (clipped) spikes at step round((1 − x)(steps − 1)); values ≤ ``threshold``
    do not spike. ``mode="rc"``: x is the input driving an RC membrane of time constant ``tau`` [s] from 0 to
    ``threshold`` (> 0): it spikes at t = τ ln(x / (x − θ)), step floor(t / dt), or never when x ≤ θ or
    the time falls beyond the window."""
    steps = _check_steps(steps)
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if not torch.isfinite(x).all():
        raise NumericalError("latency: x holds NaN or infinite values")
    if mode == "linear":
        fires = x > threshold
        when = torch.round((1 - x.clamp(0, 1)) * (steps - 1)).to(torch.int64)
    elif mode == "rc":
        if not threshold > 0:
            raise ConfigError(f"latency rc: threshold = {threshold!r} must be > 0")
        if not tau > 0:
            raise ConfigError(f"latency rc: tau = {tau!r} s must be > 0")
        _check_dt(dt)
        fires = x > threshold
        safe = torch.where(fires, x, torch.full_like(x, 2 * threshold + 1.0))
        t = tau * torch.log(safe / (safe - threshold))
        when = torch.floor(t / dt).to(torch.int64)
        fires = fires & (when < steps)
    else:
        raise ConfigError(f"latency mode = {mode!r}: must be 'linear' or 'rc'")
    out = torch.zeros((steps, *x.shape), dtype=x.dtype, device=x.device)
    out.scatter_(0, when.clamp(0, steps - 1).unsqueeze(0), fires.to(x.dtype).unsqueeze(0))
    return out


def delta(signal: torch.Tensor, threshold: float, *, reference: torch.Tensor | None = None) -> torch.Tensor:
    """Send-on-delta code of ``signal`` [steps, *shape] → [steps, *shape] of −1/0/+1.

    A reference level (the first sample unless ``reference`` is given) follows the signal in steps of
    ``threshold``: +1 when signal − reference ≥ threshold (reference += threshold), −1 when reference − signal ≥
    threshold (reference −= threshold); at most one event per step and element."""
    signal = torch.as_tensor(signal)
    if not signal.is_floating_point():
        signal = signal.to(torch.get_default_dtype())
    if signal.dim() < 1 or signal.shape[0] < 1:
        raise ShapeError("delta: signal must have a leading time dimension of at least one step")
    if not torch.isfinite(signal).all():
        raise NumericalError("delta: signal holds NaN or infinite values")
    if not (isinstance(threshold, int | float) and math.isfinite(threshold) and threshold > 0):
        raise ConfigError(f"delta: threshold = {threshold!r} must be a positive number")
    ref = signal[0].clone() if reference is None else torch.as_tensor(reference, dtype=signal.dtype).clone()
    try:
        ref = torch.broadcast_to(ref, signal.shape[1:]).clone()
    except RuntimeError:
        raise ShapeError(
            f"delta: reference of shape {tuple(ref.shape)} does not fit {tuple(signal.shape[1:])}"
        ) from None
    out = torch.zeros_like(signal)
    for k in range(signal.shape[0]):  # a loop over time; every element of a step at once
        up = signal[k] - ref >= threshold
        down = ref - signal[k] >= threshold
        out[k] = up.to(signal.dtype) - down.to(signal.dtype)
        ref = ref + threshold * out[k]
    return out
