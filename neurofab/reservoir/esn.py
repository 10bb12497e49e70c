"""An echo-state network (Jaeger 2001): the software reservoir the oscillator is compared with.

    x_t = (1 − λ) x_{t−1} + λ tanh(W_in u_t + W x_{t−1} + b),

with W a sparse random matrix scaled to spectral radius ρ < 1 (fading memory) and W_in uniform in
[−s_in, s_in]. Leak λ = 1 is the classic ESN.
"""

from __future__ import annotations

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, make_generator, record, recording
from neurofab.core.seeding import Seed
from neurofab.reservoir.base import Reservoir


class EchoStateConfig(Config):
    """Size and scaling of an echo-state network."""

    n_nodes: int = Field(24, gt=0, description="reservoir neurons")
    spectral_radius: float = Field(0.9, gt=0, description="spectral radius ρ of the recurrent matrix")
    input_scaling: float = Field(0.5, ge=0, description="input weights uniform in [−s_in, s_in]")
    bias_scaling: float = Field(0.1, ge=0, description="biases uniform in [−s_b, s_b]")
    leak: float = Field(1.0, gt=0, le=1, description="leak rate λ (1: no leak)")
    density: float = Field(0.2, gt=0, le=1, description="fraction of non-zero recurrent weights")


class EchoStateNetwork(Reservoir):
    """Random tanh reservoir; weights drawn once from ``seed`` at construction."""

    def __init__(self, config: EchoStateConfig | None = None, n_inputs: int = 1, seed: Seed = 0) -> None:
        self.config = c = config or EchoStateConfig()
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ConfigError(f"n_inputs = {n_inputs!r}: must be an integer >= 1")
        gen = make_generator(seed)
        n = c.n_nodes
        w = torch.rand(n, n, generator=gen, dtype=torch.float64) * 2 - 1
        w = w * (torch.rand(n, n, generator=gen, dtype=torch.float64) < c.density)
        radius = torch.linalg.eigvals(w).abs().max().item()
        self.w = w * (c.spectral_radius / radius) if radius > 0 else w
        self.w_in = (torch.rand(n, n_inputs, generator=gen, dtype=torch.float64) * 2 - 1) * c.input_scaling
        self.bias = (torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1) * c.bias_scaling
        self.n_inputs = n_inputs
        self.n_features = n

    def _run(self, inputs: torch.Tensor, seed: Seed) -> torch.Tensor:
        b, t, _ = inputs.shape
        lam = self.config.leak
        drive = inputs @ self.w_in.T + self.bias  # (B, T, N)
        x = torch.zeros(b, self.n_features, dtype=torch.float64)
        out = torch.empty(b, t, self.n_features, dtype=torch.float64)
        wt = self.w.T
        for k in range(t):
            x = (1 - lam) * x + lam * torch.tanh(drive[:, k] + x @ wt)
            out[:, k] = x
        if recording():
            record("neuron_update", b * t * self.n_features)
        return out
