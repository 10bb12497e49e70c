"""Voltage waveforms that drive memristor models: pulse trains (piecewise constant) and sine sweeps.

A waveform is a function of time v(t) [V] shared by every device of an array (a per-device ``gain`` in
:func:`neurofab.devices.integrate.simulate` scales it device by device). Piecewise-constant waveforms list their
segments, so models with a closed-form state equation integrate them exactly.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import Config

__all__ = ["PulseTrain", "SineSweep", "Waveform"]


class PulseTrain(Config):
    """Rectangular pulses: pulse k has amplitude ``amplitudes[k]`` [V] for ``width`` seconds, then the ``rest``
    voltage until the next pulse starts ``interval`` seconds after it (interval = width: back to back)."""

    kind: Literal["pulse_train"] = "pulse_train"
    amplitudes: list[float] = Field(min_length=1, description="amplitude of each pulse [V]")
    width: float = Field(gt=0, description="pulse width [s]")
    interval: float | None = Field(None, gt=0, description="start-to-start interval, ≥ width (default 2·width) [s]")
    rest: float = Field(0.0, description="voltage between pulses [V]")

    @model_validator(mode="after")
    def _check(self) -> PulseTrain:
        if self.interval is not None and self.interval < self.width:
            raise ValueError(f"interval = {self.interval} must be >= width = {self.width}")
        return self

    @classmethod
    def uniform(cls, amplitude: float, width: float, n: int, interval: float | None = None) -> PulseTrain:
        """``n`` identical pulses."""
        return cls(amplitudes=[amplitude] * int(n), width=width, interval=interval)

    @property
    def period(self) -> float:
        return self.interval if self.interval is not None else 2 * self.width

    @property
    def duration(self) -> float:
        return len(self.amplitudes) * self.period

    @property
    def piecewise_constant(self) -> bool:
        return True

    def segments(self) -> list[tuple[float, float, float]]:
        """(start, end, voltage) of every constant piece, in time order [s, s, V]."""
        out: list[tuple[float, float, float]] = []
        for k, a in enumerate(self.amplitudes):
            t0 = k * self.period
            out.append((t0, t0 + self.width, a))
            if self.period > self.width:
                out.append((t0 + self.width, t0 + self.period, self.rest))
        return out

    def voltage(self, t: torch.Tensor) -> torch.Tensor:
        """v(t) [V]; a pulse includes its start and excludes its end."""
        t = torch.as_tensor(t, dtype=torch.float64)
        k = torch.floor(t / self.period).long().clamp(0, len(self.amplitudes) - 1)
        amp = torch.tensor(self.amplitudes, dtype=torch.float64)[k]
        inside = (t - k.to(t.dtype) * self.period) < self.width
        return torch.where(inside & (t >= 0) & (t < self.duration), amp, torch.full_like(t, self.rest))


class SineSweep(Config):
    """v(t) = amplitude · sin(2π f t) for ``cycles`` periods."""

    kind: Literal["sine"] = "sine"
    amplitude: float = Field(gt=0, description="peak voltage [V]")
    frequency: float = Field(gt=0, description="frequency f [Hz]")
    cycles: float = Field(1.0, gt=0, description="number of periods [1]")

    @property
    def duration(self) -> float:
        return self.cycles / self.frequency

    @property
    def piecewise_constant(self) -> bool:
        return False

    def voltage(self, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        return self.amplitude * torch.sin(2 * math.pi * self.frequency * t)


Waveform = PulseTrain | SineSweep
