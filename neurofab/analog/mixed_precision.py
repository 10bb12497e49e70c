"""Mixed-precision training (Nandakumar et al. 2020; aihwkit's ``MixedPrecisionCompound``).

The weight lives on one device array W; the gradient is accumulated at high precision in a digital matrix χ,
and only whole device steps are written to the array:

    χ ← χ − η Σ_s δ_s x_sᵀ                                   (digital accumulation, every batch)
    p_ij = sign(χ_ij) ⌊|χ_ij| / ε⌋   (capped at max_pulses)   where |χ_ij| ≥ ε, ε = granularity (Δw_min)
    W_ij ← W_ij + p_ij pulses;  χ_ij ← χ_ij − p_ij ε

so the device only ever sees programming pulses the gradient has earned, and updates smaller than one device
step are remembered instead of being lost or written stochastically. With ``x_bits`` / ``d_bits`` the
activations and errors are quantized (abs-max, round to nearest) before the outer product, as the paper's
low-precision datapath. Every ``every`` batches the accumulated χ is written (1: after each batch).

Install with :func:`~neurofab.analog.optimizers.use_algorithm` (``MixedPrecisionAlgorithm``). Counting:
``flop`` 2·B·out·in per batch for the digital outer product (B·out·in multiplies and adds), ``sram_read`` and
``sram_write`` one word per χ element per batch, ``write_pulse`` by the device array.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from neurofab.core import Config, InputTypeError, Seed, make_generator, record, recording
from neurofab.crossbar import AnalogTile

__all__ = ["MixedPrecisionAlgorithm", "MixedPrecisionRule", "quantize_abs_max"]


class MixedPrecisionAlgorithm(Config):
    """Digital χ accumulation with transfers of whole device steps (Nandakumar 2020)."""

    granularity: float | None = Field(
        None, gt=0, description="ε, the weight change one pulse stands for (None: the device's dw_min) [weight units]"
    )
    every: int = Field(1, ge=1, description="batches between two writes of χ to the array [batches]")
    max_pulses: int | None = Field(None, ge=1, description="most pulses per device per write (None: no cap) [pulses]")
    x_bits: int | None = Field(None, ge=1, le=32, description="quantization of x before the outer product [bits]")
    d_bits: int | None = Field(None, ge=1, le=32, description="quantization of δ before the outer product [bits]")


def quantize_abs_max(v: torch.Tensor, bits: int | None) -> torch.Tensor:
    """Round each row of ``v`` to 2^(bits−1) − 1 levels per sign of its abs-max (None: unchanged)."""
    if bits is None:
        return v
    levels = 2 ** (bits - 1) - 1
    if levels < 1:
        return torch.sign(v) * v.abs().amax(dim=-1, keepdim=True)
    scale = v.abs().amax(dim=-1, keepdim=True) / levels
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.round(v / scale) * scale


class MixedPrecisionRule(nn.Module):
    """A tile update rule holding χ (buffer ``chi``, out × in) and the batch counter (buffer ``batches``)."""

    def __init__(self, tile: AnalogTile, algorithm: MixedPrecisionAlgorithm, seed: Seed = 0) -> None:
        super().__init__()
        if not isinstance(algorithm, MixedPrecisionAlgorithm):
            raise InputTypeError(f"algorithm must be a MixedPrecisionAlgorithm, got {type(algorithm).__name__}")
        self.algorithm = algorithm
        self.generator = make_generator(seed)  # for the device pulses' c2c noise
        w = tile.array.w
        self.register_buffer("chi", torch.zeros(tile.out_size, tile.in_size, dtype=torch.float64, device=w.device))
        self.register_buffer("batches", torch.zeros((), dtype=torch.int64))

    def get_extra_state(self) -> dict:
        return {"generator": self.generator.get_state(), "generator_device": str(self.generator.device)}

    def set_extra_state(self, state: dict) -> None:
        self.generator = torch.Generator(device=state.get("generator_device", "cpu"))
        self.generator.set_state(state["generator"])

    def granularity(self, tile: AnalogTile) -> float:
        """ε [weight units]: the configured one, else the device's dw_min."""
        g = self.algorithm.granularity
        return float(tile.array.model.dw_min) if g is None else g

    def forward(self, tile: AnalogTile, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        a = self.algorithm
        xq = quantize_abs_max(x.to(torch.float64), a.x_bits)
        dq = quantize_abs_max(d.to(torch.float64), a.d_bits)
        self.chi -= lr * (dq.T @ xq)
        if recording():
            n = tile.out_size * tile.in_size
            record("flop", 2 * x.shape[0] * n, "fp64")
            record("sram_read", n)
            record("sram_write", n)
        self.batches += 1
        if int(self.batches) % a.every == 0:
            self.write(tile)

    def write(self, tile: AnalogTile) -> int:
        """Pulse the whole steps of χ into the array and keep the remainder; returns the pulses written."""
        eps = self.granularity(tile)
        p = torch.trunc(self.chi / eps)
        if self.algorithm.max_pulses is not None:
            p = p.clamp(-self.algorithm.max_pulses, self.algorithm.max_pulses)
        counts = p.to(torch.int64)
        if bool((counts != 0).any()):
            gen = self.generator
            if gen.device != tile.array.w.device:
                self.generator = gen = make_generator(int(torch.randint(0, 2**62, (1,), generator=gen)),
                                                      tile.array.w.device)
            tile.array.pulse(counts, gen)
            self.chi -= p * eps
        return int(counts.abs().sum())
