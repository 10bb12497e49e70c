"""One spin-torque oscillator as a reservoir of N virtual nodes connected in time (Torrejon et al. 2017).

Each input step u_k (a vector of ``n_inputs`` channels) is held for ``N · θ`` seconds; during the j-th slice of
length θ (the j-th *virtual node*) the oscillator is driven by

    I(t) = I_dc + ΔI · (M u_k)_j,            M: the (N × n_inputs) input mask,

and the readout samples the rectified oscillator voltage at the end of the slice: the amplitude ``√p``, since a
diode rectifying ``V ∝ √p cos ωt`` gives its envelope. The node spacing θ is a fraction of the amplitude
relaxation time τ_p (:meth:`STNOConfig.relaxation_time`), so each node's amplitude depends on the nodes and input
steps before it: this transient is the reservoir's nonlinearity *and* its memory. With θ ≫ τ_p each node sits at
its steady state, a memoryless function of the present input.
"""

from __future__ import annotations

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, make_generator, record, recording
from neurofab.core.seeding import Seed
from neurofab.reservoir.base import Reservoir
from neurofab.reservoir.stno import TORREJON_VORTEX, STNOConfig, integrate_power


class OscillatorReservoirConfig(Config):
    """Time multiplexing of one oscillator into virtual nodes, and its drive and readout."""

    n_nodes: int = Field(24, gt=0, description="number of virtual nodes N per input step")
    node_time: float = Field(40e-9, gt=0, description="virtual-node spacing θ [s] (one input step lasts N·θ)")
    bias_current: float = Field(4.4e-3, gt=0, description="dc drive I_dc [A]")
    input_current: float = Field(3.5e-3, ge=0, description="input current scale ΔI [A] per unit of masked input")
    substeps: int = Field(4, gt=0, description="noise increments per virtual node")
    readout_noise: float = Field(0.0, ge=0, description="additive noise on each rectified sample, in units of √p")


class OscillatorReservoir(Reservoir):
    """A spin-torque oscillator, its input mask and its rectified readout; ``n_features`` = N virtual nodes.

    ``mask`` (N × n_inputs) defaults to random ±1 entries drawn from ``seed`` (a binary mask, as in delay-based
    reservoirs); a given mask must have N rows.
    """

    def __init__(self, config: OscillatorReservoirConfig | None = None, oscillator: STNOConfig = TORREJON_VORTEX,
                 n_inputs: int = 1, mask: torch.Tensor | None = None, seed: Seed = 0) -> None:
        self.config = config or OscillatorReservoirConfig()
        self.oscillator = oscillator
        n = self.config.n_nodes
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ConfigError(f"n_inputs = {n_inputs!r}: must be an integer >= 1")
        if mask is None:
            gen = make_generator(seed)
            mask = torch.randint(0, 2, (n, n_inputs), generator=gen, dtype=torch.float64) * 2 - 1
        mask = torch.as_tensor(mask, dtype=torch.float64)
        if mask.dim() == 1:
            mask = mask.unsqueeze(1)
        if mask.shape != (n, n_inputs):
            raise ConfigError(f"mask has shape {tuple(mask.shape)}: needs one row per virtual node "
                              f"(n_nodes = {n}) and one column per input ({n_inputs})")
        if not torch.isfinite(mask).all():
            raise ConfigError("mask: must be finite")
        self.mask = mask
        self.n_inputs = n_inputs
        self.n_features = n

    @property
    def step_time(self) -> float:
        """Duration of one input step, N·θ [s]."""
        return self.config.n_nodes * self.config.node_time

    def currents(self, inputs: torch.Tensor) -> torch.Tensor:
        """Drive current per virtual node (batch, time·N) [A] for inputs (batch, time, n_inputs)."""
        c = self.config
        masked = inputs @ self.mask.T  # (B, T, N)
        return (c.bias_current + c.input_current * masked).reshape(inputs.shape[0], -1)

    def _run(self, inputs: torch.Tensor, seed: Seed) -> torch.Tensor:
        c = self.config
        b, t, _ = inputs.shape
        gen = make_generator(seed)
        p_rest = torch.full((b,), float(self.oscillator.steady_power(c.bias_current)), dtype=torch.float64)
        p = integrate_power(self.oscillator, self.currents(inputs), c.node_time, p0=p_rest, substeps=c.substeps,
                            seed=gen)
        amp = p.sqrt().view(b, t, c.n_nodes)
        if c.readout_noise > 0:
            amp = amp + c.readout_noise * torch.randn(amp.shape, generator=gen, dtype=torch.float64)
        if recording():
            record("oscillator_sample", b * t * c.n_nodes)
        return amp
