"""A reservoir of volatile (short-term-memory) memristors, each fed the input through one mask entry.

Each device has a state w ∈ [0, 1] that a positive voltage raises and that relaxes back with time constant τ
(the WOx devices of Du et al., Nat. Commun. 8, 2204, 2017, behave this way). Over one input step of length Δt at
voltage v = V_in (M u_t)_j:

    w ← w e^{−Δt/τ} + (1 − w e^{−Δt/τ}) (1 − e^{−k·max(v, 0)·Δt}),

and the readout is the device current at a fixed read voltage, ∝ G(w) = G_off + (G_on − G_off) w, normalised to
G_on. The nonlinearity is the saturation in w; the memory the decay e^{−Δt/τ}.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, make_generator, record, recording
from neurofab.core.seeding import Seed
from neurofab.reservoir.base import Reservoir


class MemristorReservoirConfig(Config):
    """Volatile memristors driven through a mask."""

    n_devices: int = Field(24, gt=0, description="number of devices")
    step_time: float = Field(1e-3, gt=0, description="input step Δt [s]")
    decay_time: float = Field(3e-3, gt=0, description="state relaxation time τ [s]")
    rate: float = Field(500.0, gt=0, description="programming rate k [1/(V·s)]")
    voltage: float = Field(1.0, gt=0, description="input voltage scale V_in [V]")
    on_off_ratio: float = Field(10.0, ge=1, description="G_on / G_off")


class MemristorReservoir(Reservoir):
    """``n_devices`` volatile memristors; mask entries uniform in [0, 1] and random sign, drawn from ``seed``."""

    def __init__(self, config: MemristorReservoirConfig | None = None, n_inputs: int = 1, seed: Seed = 0) -> None:
        self.config = c = config or MemristorReservoirConfig()
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ConfigError(f"n_inputs = {n_inputs!r}: must be an integer >= 1")
        gen = make_generator(seed)
        self.mask = torch.rand(c.n_devices, n_inputs, generator=gen, dtype=torch.float64) * 2 - 1
        self.offset = torch.rand(c.n_devices, generator=gen, dtype=torch.float64)
        self.n_inputs = n_inputs
        self.n_features = c.n_devices

    def _run(self, inputs: torch.Tensor, seed: Seed) -> torch.Tensor:
        c = self.config
        b, t, _ = inputs.shape
        decay = math.exp(-c.step_time / c.decay_time)
        v = c.voltage * (inputs @ self.mask.T + self.offset)
        gain = 1 - torch.exp(-c.rate * v.clamp(min=0) * c.step_time)  # (B, T, N)
        w = torch.zeros(b, self.n_features, dtype=torch.float64)
        out = torch.empty(b, t, self.n_features, dtype=torch.float64)
        g_off = 1.0 / c.on_off_ratio
        for k in range(t):
            w = w * decay
            w = w + (1 - w) * gain[:, k]
            out[:, k] = g_off + (1 - g_off) * w
        if recording():
            record("device_read", b * t * self.n_features)
        return out
