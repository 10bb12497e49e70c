"""Integrate a memristor's state equation under a voltage waveform, exactly where the ODE allows.

``simulate(model, s0, waveform)`` advances an array of devices (state tensor ``s0``, any shape):

- ``method="exact"`` — piecewise-constant waveforms on models with a closed form (``model.exact_step``): one
  closed-form update per segment, no discretisation error;
- ``method="adaptive"`` — the Bogacki–Shampine 3(2) embedded Runge–Kutta pair with step-size control, one step
  size shared by the array, error per step ≤ atol·(upper − lower) + rtol·|s| for every device; piecewise-constant
  waveforms are integrated segment by segment, so their jumps never fall inside a step;
- ``"auto"`` — exact when possible, else adaptive.

The state is kept inside [model.lower, model.upper] (the right-hand side is evaluated on the clipped state).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch

from neurofab.core import ConfigError, InputTypeError, NumericalError, record, recording, register_kind
from neurofab.devices.waveforms import PulseTrain, SineSweep

__all__ = ["Trajectory", "simulate"]

register_kind("device_state_update", "one state update of one voltage-driven device (one closed-form or RK step)")


@dataclass
class Trajectory:
    """Sampled trajectory: times ``t`` (T,) [s], voltage ``v`` (T,) [V] (before the per-device gain), states
    ``s`` (T, *shape) and currents ``i`` (T, *shape) [A]; ``steps`` counts the accepted integration steps."""

    t: torch.Tensor
    v: torch.Tensor
    s: torch.Tensor
    i: torch.Tensor
    steps: int

    @property
    def final(self) -> torch.Tensor:
        return self.s[-1]


def _check_waveform(waveform: Any) -> None:
    if not isinstance(waveform, PulseTrain | SineSweep):
        raise InputTypeError(f"waveform must be a PulseTrain or SineSweep, got {type(waveform).__name__}")


def _bs23_interval(model, s, v_of_t, t0: float, t1: float, h: float, rtol: float, atol: float,
                   max_steps: int) -> tuple[torch.Tensor, float, int]:
    """Advance ``s`` from t0 to t1 with Bogacki–Shampine 3(2); returns (state, last step size, steps)."""
    lo, hi = model.lower, model.upper
    scale = atol * (hi - lo)

    def f(t: float, y: torch.Tensor) -> torch.Tensor:
        return model.dstate(y.clamp(lo, hi), v_of_t(t))

    t, steps = t0, 0
    k1 = f(t, s)
    while t < t1 - 1e-15 * max(1.0, abs(t1)):
        h = min(h, t1 - t)
        k2 = f(t + h / 2, s + (h / 2) * k1)
        k3 = f(t + 3 * h / 4, s + (3 * h / 4) * k2)
        y = (s + h * (2 / 9 * k1 + 1 / 3 * k2 + 4 / 9 * k3)).clamp(lo, hi)
        k4 = f(t + h, y)
        err = h * (-5 / 72 * k1 + 1 / 12 * k2 + 1 / 9 * k3 - 1 / 8 * k4)
        ratio = float((err.abs() / (scale + rtol * y.abs())).max()) if err.numel() else 0.0
        if ratio <= 1.0:
            t, s, k1 = t + h, y, k4
            steps += 1
            if steps > max_steps:
                raise NumericalError(f"simulate: more than max_steps = {max_steps} steps; loosen rtol/atol")
        h = h * min(5.0, max(0.2, 0.9 * ratio ** (-1 / 3))) if ratio > 0 else h * 5.0
    return s, h, steps


def simulate(
    model: Any,
    s0: torch.Tensor,
    waveform: PulseTrain | SineSweep,
    *,
    gain: torch.Tensor | float = 1.0,
    method: Literal["auto", "exact", "adaptive"] = "auto",
    t_eval: torch.Tensor | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 10_000_000,
) -> Trajectory:
    """Drive devices in state ``s0`` with ``gain · waveform(t)``; returns the sampled :class:`Trajectory`.

    Samples: at ``t_eval`` (adaptive, or sorted times for any method) or, for exact integration without
    ``t_eval``, at every segment end (t = 0 first). ``gain`` broadcasts to ``s0`` (per-device amplitude).
    """
    _check_waveform(waveform)
    if method not in ("auto", "exact", "adaptive"):
        raise ConfigError(f"simulate: method = {method!r}: must be 'auto', 'exact' or 'adaptive'")
    if not (rtol > 0 and atol > 0):
        raise ConfigError(f"simulate: rtol = {rtol}, atol = {atol}: must be > 0")
    s0 = torch.as_tensor(s0)
    if not s0.is_floating_point():
        raise InputTypeError("simulate: s0 must be a floating-point tensor (float32 or float64)")
    if not torch.isfinite(s0).all():
        raise NumericalError("simulate: s0 contains NaN or inf")
    gain = torch.as_tensor(gain, dtype=s0.dtype)
    if not torch.isfinite(gain).all():
        raise NumericalError("simulate: gain contains NaN or inf")
    s = s0.clamp(model.lower, model.upper).clone()
    pwc = waveform.piecewise_constant
    exact_ok = pwc and bool(model.has_exact)
    if method == "exact" and not exact_ok:
        raise ConfigError(f"simulate: method='exact' needs a piecewise-constant waveform and a model with a closed "
                          f"form; {type(model).__name__} under {type(waveform).__name__} has none")
    use_exact = exact_ok and method != "adaptive"

    if t_eval is None:
        if pwc:
            t_eval = torch.tensor([0.0] + [seg[1] for seg in waveform.segments()], dtype=torch.float64)
        else:
            t_eval = torch.linspace(0.0, waveform.duration, 201, dtype=torch.float64)
    t_eval = torch.as_tensor(t_eval, dtype=torch.float64)
    if t_eval.dim() != 1 or t_eval.numel() < 1 or not torch.isfinite(t_eval).all() \
            or bool((t_eval.diff() < 0).any()) or float(t_eval[0]) < 0:
        raise ConfigError("simulate: t_eval must be a 1-D, finite, sorted tensor of times >= 0")

    def v_at(t: float) -> torch.Tensor:
        return gain * float(waveform.voltage(torch.tensor(t, dtype=torch.float64)))

    # breakpoints: segment ends of a piecewise-constant waveform (never integrate across a jump)
    breaks = [seg[1] for seg in waveform.segments()] if pwc else []
    states, steps = [], 0
    t_now, h = 0.0, (waveform.duration / 1000 if not pwc else min(seg[1] - seg[0] for seg in waveform.segments()))
    bi = 0
    for te in t_eval.tolist():
        while t_now < te:
            while bi < len(breaks) and breaks[bi] <= t_now + 1e-18:
                bi += 1
            t_next = min(te, breaks[bi]) if bi < len(breaks) else te
            if pwc:
                v_const = gain * float(waveform.voltage(torch.tensor(0.5 * (t_now + t_next), dtype=torch.float64)))
                if use_exact:
                    s = model.exact_step(s, v_const, t_next - t_now)  # a 0-d voltage broadcasts
                    steps += 1
                else:
                    s, h, n = _bs23_interval(model, s, lambda _t, vc=v_const: vc, t_now, t_next, h, rtol, atol,
                                             max_steps)
                    steps += n
            else:
                s, h, n = _bs23_interval(model, s, v_at, t_now, t_next, h, rtol, atol, max_steps)
                steps += n
            t_now = t_next
        states.append(s.clone())
    if recording():
        record("device_state_update", steps * s.numel())
    st = torch.stack(states)
    v = waveform.voltage(t_eval).to(s.dtype)
    vv = v.reshape((-1,) + (1,) * s.dim()) * gain
    if pwc:  # the voltage in force just before each sample (the segment that ended there)
        v_before = waveform.voltage((t_eval - 1e-12).clamp(min=0)).to(s.dtype)
        v = torch.where(t_eval > 0, v_before, v)
        vv = v.reshape((-1,) + (1,) * s.dim()) * gain
    return Trajectory(t=t_eval, v=v, s=st, i=model.current(st, vv), steps=steps)
