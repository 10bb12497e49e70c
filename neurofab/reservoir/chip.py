"""A mismatched analog substrate ("chip") for a rate network: frozen fixed-pattern variation, limited weight
resolution and temporal noise, that can only be programmed, run forward and observed.

Layer l of the chip computes, for input activity a_{l−1} (the input x for l = 1),

    h_i = Σ_j Q(W_ij) (1 + ε_ij) a_j + b_i + o_i + ξ_i,
    a_i = g_i · max(h_i − θ_i, 0)          (hidden layers)
    z_i = g_i · h_i                         (output layer: the readout of the last layer's inputs)

with, per neuron, a gain g_i ~ 1 + N(0, σ_g²), an offset o_i ~ N(0, σ_o²) and a threshold θ_i ~ N(0, σ_θ²); per
synapse a multiplicative error ε_ij ~ N(0, σ_w²); Q the uniform quantiser to ``weight_bits`` bits (signed,
2^(bits−1) − 1 levels per sign, clipped at ±``weight_max``); and temporal noise ξ_i ~ N(0, σ_t²) drawn anew on every
run. The defaults are a strongly mismatched substrate: 4-bit weights as in the BrainScaleS-1 synapse
(Schmitt et al. 2017), spreads of 20–30 % chosen so that a transferred network loses several points. The fixed
pattern is drawn once from the chip's seed and never changes; the temporal noise comes from the
chip's own generator, so the same seed and the same sequence of calls give the same results. The chip offers no
gradients and no access to its mismatch: :meth:`MismatchedChip.run` returns the recorded activity of every layer
(what the BrainScaleS system reads back), detached.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, ShapeError, make_generator, record, register_kind
from neurofab.core.seeding import Seed

register_kind("chip_forward", "one input sample run forward through a whole mismatched chip")
register_kind("chip_program", "one weight written to a mismatched chip")


class ChipConfig(Config):
    """Fixed-pattern mismatch, weight resolution and temporal noise of the analog substrate (dimensionless)."""

    gain_spread: float = Field(0.3, ge=0, lt=1, description="relative s.d. σ_g of the per-neuron gain")
    offset_spread: float = Field(0.2, ge=0, description="s.d. σ_o of the per-neuron offset (input units)")
    threshold_spread: float = Field(0.2, ge=0, description="s.d. σ_θ of the per-neuron threshold (input units)")
    synapse_error: float = Field(0.3, ge=0, description="s.d. σ_w of the multiplicative per-synapse error")
    weight_bits: int = Field(4, ge=2, le=16, description="signed weight resolution [bits]")
    weight_max: float = Field(1.0, gt=0, description="largest programmable |weight|")
    temporal_noise: float = Field(0.02, ge=0, description="s.d. σ_t of the per-run noise on h (input units)")


def quantise(w: torch.Tensor, bits: int, w_max: float) -> torch.Tensor:
    """Uniform signed quantiser: clip to ±w_max, round to 2^(bits−1) − 1 levels per sign."""
    levels = 2 ** (bits - 1) - 1
    return torch.round(w.clamp(-w_max, w_max) / w_max * levels) * (w_max / levels)


@dataclass(frozen=True)
class ChipActivity:
    """What one run of the chip reads back: hidden-layer rates (one tensor per hidden layer) and the output."""

    hidden: tuple[torch.Tensor, ...]
    output: torch.Tensor


class MismatchedChip:
    """A rate network on a mismatched substrate with layer sizes ``sizes`` (inputs first); frozen for ``seed``."""

    #: the largest rate a hidden neuron can read back (none for the rate chip)
    max_rate: float = float("inf")

    def __init__(self, sizes: list[int] | tuple[int, ...], config: ChipConfig | None = None, seed: Seed = 0) -> None:
        if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
            raise ConfigError(f"sizes = {sizes!r}: need >= 2 positive integer layer sizes (inputs first)")
        self.config = c = config or ChipConfig()
        self.sizes = tuple(sizes)
        gen = make_generator(seed)
        self._gain, self._offset, self._threshold, self._synapse = [], [], [], []
        for n_in, n_out in itertools.pairwise(sizes):
            self._gain.append(1 + c.gain_spread * torch.randn(n_out, generator=gen))
            self._offset.append(c.offset_spread * torch.randn(n_out, generator=gen))
            self._threshold.append(c.threshold_spread * torch.randn(n_out, generator=gen))
            self._synapse.append(1 + c.synapse_error * torch.randn(n_out, n_in, generator=gen))
        self._noise = make_generator(int(torch.randint(0, 2**62, (1,), generator=gen)))
        self._weights: list[torch.Tensor] | None = None
        self._biases: list[torch.Tensor] | None = None

    def program(self, weights: list[torch.Tensor], biases: list[torch.Tensor]) -> None:
        """Write weights (out × in per layer) and biases; they are quantised and clipped as the chip stores them."""
        if len(weights) != len(self.sizes) - 1 or len(biases) != len(weights):
            raise ShapeError(f"the chip has {len(self.sizes) - 1} layers; got {len(weights)} weights, "
                             f"{len(biases)} biases")
        c = self.config
        ws, bs = [], []
        for k, (w, b) in enumerate(zip(weights, biases)):
            shape = (self.sizes[k + 1], self.sizes[k])
            if tuple(w.shape) != shape or tuple(b.shape) != (shape[0],):
                raise ShapeError(f"layer {k}: weights must be {shape} and biases ({shape[0]},), got "
                                 f"{tuple(w.shape)} and {tuple(b.shape)}")
            ws.append(quantise(w.detach().float(), c.weight_bits, c.weight_max))
            bs.append(quantise(b.detach().float(), c.weight_bits, c.weight_max))
        self._weights, self._biases = ws, bs
        record("chip_program", sum(w.numel() + b.numel() for w, b in zip(ws, bs)))

    @torch.no_grad()
    def run(self, x: torch.Tensor) -> ChipActivity:
        """Run a batch (batch × inputs) forward; returns every layer's activity, detached (no gradients)."""
        if self._weights is None or self._biases is None:
            raise ConfigError("MismatchedChip: program weights before running")
        x = torch.as_tensor(x, dtype=torch.float32)
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ShapeError(f"inputs must be (batch, {self.sizes[0]}), got {tuple(x.shape)}")
        c = self.config
        a = x
        hidden = []
        last = len(self._weights) - 1
        for k, (w, b) in enumerate(zip(self._weights, self._biases)):
            h = a @ (w * self._synapse[k]).T + b + self._offset[k]
            if c.temporal_noise > 0:
                h = h + c.temporal_noise * torch.randn(h.shape, generator=self._noise)
            if k == last:
                out = self._gain[k] * h
            else:
                a = self._gain[k] * torch.relu(h - self._threshold[k])
                hidden.append(a)
        record("chip_forward", x.shape[0])
        return ChipActivity(tuple(hidden), out)


class SpikingMismatchedChip(MismatchedChip):
    """The same mismatched substrate with integrate-and-fire neurons run for ``steps`` time steps.

    Hidden neurons are :class:`neurofab.spiking.IF` neurons (threshold 1, reset by subtraction) driven each step by
    the current ``g_i (Σ_j Q(W_ij)(1 + ε_ij) s_j(t) + b_i + o_i − θ_i + ξ_i(t))``, where ``s_j(t)`` are the spikes
    of the layer below at step t (the input layer sends its analog values as constant currents). What the chip reads
    back is each hidden neuron's firing rate (spikes per step) — the rate of an IF neuron under a constant drive c
    is ≈ min(max(c, 0), 1), the ReLU of the rate model, saturating at one spike per step — and the output layer's
    drive averaged over the run (a membrane readout). Temporal noise ξ is drawn per neuron and step.
    """

    def __init__(self, sizes: list[int] | tuple[int, ...], config: ChipConfig | None = None, steps: int = 32,
                 seed: Seed = 0) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ConfigError(f"steps = {steps!r}: must be an integer >= 1")
        super().__init__(sizes, config, seed)
        self.steps = steps
        self.max_rate = 1.0  # one spike per step

    @torch.no_grad()
    def run(self, x: torch.Tensor) -> ChipActivity:
        from neurofab.spiking import IF

        if self._weights is None or self._biases is None:
            raise ConfigError("SpikingMismatchedChip: program weights before running")
        x = torch.as_tensor(x, dtype=torch.float32)
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ShapeError(f"inputs must be (batch, {self.sizes[0]}), got {tuple(x.shape)}")
        c = self.config
        t = self.steps
        s = x.unsqueeze(0).expand(t, -1, -1)  # (T, B, inputs): constant analog input
        hidden = []
        last = len(self._weights) - 1
        neurons = IF()
        for k, (w, b) in enumerate(zip(self._weights, self._biases)):
            h = s @ (w * self._synapse[k]).T + b + self._offset[k]
            if c.temporal_noise > 0:
                h = h + c.temporal_noise * torch.randn(h.shape, generator=self._noise)
            if k == last:
                out = self._gain[k] * h.mean(0)
            else:
                s = neurons(self._gain[k] * (h - self._threshold[k]))
                hidden.append(s.mean(0))
        record("chip_forward", x.shape[0])
        return ChipActivity(tuple(hidden), out)
