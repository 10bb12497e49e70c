"""Chopped TTv2 (c-TTv2) and AGAD (Rasch et al. 2023, "Fast and robust analog in-memory deep neural network
training"; aihwkit's ``ChoppedTransferCompound`` and ``DynamicTransferCompound``).

Both keep TTv2's two arrays (:mod:`neurofab.crossbar.compound`): a fast accumulator A that takes the pulsed
SGD update and a slow weight C written by single pulses from a digital buffer H. They add an **input chopper**
c_j ∈ {±1} per input column j:

- the SGD update onto A is written with the chopped input, A ← A − η (δ)(c ⊙ x)ᵀ, so column j of A
  integrates c_j × its gradient;
- the transfer read of column t, v = A e_t, is sign-corrected with c_t before it enters H, so the gradient is
  recovered while anything in v that does not follow the chopper — the offset of A's reference from its
  symmetry point, the drift of A towards its symmetry point, read offsets — alternates in sign and averages
  out in H;
- after each read of column t its chopper flips: with probability ``in_chop_prob`` (random) or every
  n = max(⌈1/in_chop_prob⌉, 2) reads of that column (regular).

**c-TTv2** (``dynamic_reference=False``): H[:, t] += (η_c/Δw_C) c_t (A e_t − A_ref e_t), the rest as TTv2.

**AGAD** (``dynamic_reference=True``): A needs no calibrated reference; each column's reference is computed on
the fly from its own past reads. A running mean m ← (1 − β) m + β v with β = min(tail_weightening / n, 1)
follows every read; when the chopper of column t has flipped, the mean of the period that just ended becomes the
reference p_t. The transfer is H[:, t] += (η_c/Δw_C) c_t (v − p_t): the change of A since the last period,
which is the chopped gradient, not A's level. Writes to C start once the column has been read n times (a full
chopper period gives the first reference). Choppers are regular by default (aihwkit's default for AGAD).

Configure with :func:`chopped_ttv2_config` or :func:`agad_config` and install with
:func:`~neurofab.analog.optimizers.use_algorithm`. The chopper state (signs, running and past means, read
counts) is in ``state_dict``.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, InputTypeError, Seed
from neurofab.crossbar import IOConfig, TileConfig
from neurofab.crossbar.compound import CompoundConfig, CompoundTile, TransferConfig
from neurofab.devices import AnyDevice

__all__ = ["ChoppedConfig", "ChoppedTile", "agad_config", "chopped_ttv2_config"]


class ChoppedConfig(Config):
    """A buffered (TTv2) compound configuration with input choppers; AGAD with ``dynamic_reference``."""

    compound: CompoundConfig = Field(default_factory=CompoundConfig, description="arrays, references and transfer")
    in_chop_prob: float = Field(
        0.1, gt=0, le=1, description="chopper switching probability (random) or frequency (regular) per column read [1]"
    )
    in_chop_random: bool = Field(True, description="switch at random (c-TTv2 default) or every ⌈1/p⌉ reads (AGAD)")
    dynamic_reference: bool = Field(False, description="AGAD: reference of A from the previous chopper period's mean")
    tail_weightening: float = Field(
        5.0, gt=0, description="AGAD: running-mean weight β = min(tail/n, 1) (aihwkit default 5) [1]"
    )

    @model_validator(mode="after")
    def _check(self) -> ChoppedConfig:
        if self.compound.transfer.mode != "buffered":
            raise ValueError("compound.transfer.mode must be 'buffered' (the chopper corrects the buffered read)")
        return self

    @property
    def period(self) -> int:
        """Reads per chopper period of a column in regular mode, n = max(⌈1/p⌉, 2)."""
        return max(math.ceil(1.0 / self.in_chop_prob - 1e-12), 2)


def chopped_ttv2_config(
    lr_c: float,
    every: int = 1,
    in_chop_prob: float = 0.01,
    in_chop_random: bool = False,
    c_device: AnyDevice | None = None,
    io: IOConfig | None = None,
    zero_shift_pairs: int = 0,
    reference_write_noise: float = 0.0,
    columns_per_transfer: int = 1,
) -> ChoppedConfig:
    """c-TTv2: TTv2 (A at its symmetry point, shared reference, buffered single-pulse transfer) with choppers.

    Regular switching every ⌈1/p⌉ reads by default: in the small regression of the tests random switching
    (aihwkit's default for this compound) let A's level flip sign in the sign-corrected read at random times
    and kept C from converging, while regular switching converged as TTv2 does.
    """
    compound = CompoundConfig(
        c_device=c_device, gamma=0.0, a_reference="symmetry_point", c_reference="shared",
        zero_shift_pairs=zero_shift_pairs, reference_write_noise=reference_write_noise,
        transfer=TransferConfig(mode="buffered", lr=lr_c, every=every, io=io if io is not None else IOConfig(),
                                columns_per_transfer=columns_per_transfer),
    )
    return ChoppedConfig(compound=compound, in_chop_prob=in_chop_prob, in_chop_random=in_chop_random)


def agad_config(
    lr_c: float,
    every: int = 1,
    in_chop_prob: float = 0.1,
    in_chop_random: bool = False,
    tail_weightening: float = 5.0,
    c_device: AnyDevice | None = None,
    io: IOConfig | None = None,
    columns_per_transfer: int = 1,
) -> ChoppedConfig:
    """AGAD: choppers and an on-the-fly reference of A; A is not zero-shifted (its reference is an ideal zero)."""
    compound = CompoundConfig(
        c_device=c_device, gamma=0.0, a_reference="zero", c_reference="zero",
        transfer=TransferConfig(mode="buffered", lr=lr_c, every=every, io=io if io is not None else IOConfig(),
                                columns_per_transfer=columns_per_transfer),
    )
    return ChoppedConfig(compound=compound, in_chop_prob=in_chop_prob, in_chop_random=in_chop_random,
                         dynamic_reference=True, tail_weightening=tail_weightening)


class ChoppedTile(CompoundTile):
    """A :class:`CompoundTile` with input choppers on A's update and the chopper-corrected buffered transfer.

    ``ChoppedTile(out, in, config, chopped, seed)``: ``chopped`` is a :class:`ChoppedConfig`. Buffers beyond the
    compound tile's: ``chopper`` (±1 per input), ``reads`` (column reads per input), and for AGAD
    ``running_mean``, ``past_mean`` (out × in) and ``switched`` (per input).
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        config: TileConfig | None = None,
        chopped: ChoppedConfig | None = None,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        chopped = ChoppedConfig() if chopped is None else chopped
        if not isinstance(chopped, ChoppedConfig):
            raise InputTypeError(f"chopped must be a ChoppedConfig, got {type(chopped).__name__}")
        super().__init__(out_size, in_size, config, chopped.compound, seed=seed, dtype=dtype)
        self.chopped = chopped
        n_in, shape = self.in_size, (self.out_size, self.in_size)
        self.register_buffer("chopper", torch.ones(n_in, dtype=dtype))
        self.register_buffer("reads", torch.zeros(n_in, dtype=torch.int64))
        self.register_buffer("switched", torch.zeros(n_in, dtype=torch.bool))
        self.register_buffer("running_mean", torch.zeros(shape, dtype=dtype) if chopped.dynamic_reference else None)
        self.register_buffer("past_mean", torch.zeros(shape, dtype=dtype) if chopped.dynamic_reference else None)

    def extra_repr(self) -> str:
        c = self.chopped
        kind = "AGAD" if c.dynamic_reference else "c-TTv2"
        mode = "random" if c.in_chop_random else "regular"
        return f"{super().extra_repr()}, {kind}, chop p={c.in_chop_prob} ({mode})"

    def calibrate(self) -> None:
        """The compound calibration, then choppers to +1 and the AGAD means cleared."""
        super().calibrate()
        self.chopper.fill_(1.0)
        self.reads.zero_()
        self.switched.zero_()
        if self.running_mean is not None:
            self.running_mean.zero_()
            self.past_mean.zero_()

    def sgd_update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        """The tile's pulsed update onto A with the chopped input c ⊙ x."""
        super().sgd_update(x * self.chopper.to(x.dtype), d, lr)

    def _buffered_write(self, cols: torch.Tensor, v: torch.Tensor) -> None:
        """Chopper-corrected (and for AGAD reference-corrected) read into H, then the choppers of ``cols`` flip."""
        c = self.chopped
        sign = self.chopper[cols].to(v.dtype)  # (k,)
        self.reads[cols] += 1
        if c.dynamic_reference:
            vt = v.T.to(self.running_mean.dtype)  # (out, k)
            sw = self.switched[cols]
            past = torch.where(sw, self.running_mean[:, cols], self.past_mean[:, cols])
            self.past_mean[:, cols] = past
            self.switched[cols] = False
            ready = (self.reads[cols] > c.period).to(vt.dtype)  # a full period read before: the reference exists
            corrected = ((vt - past) * sign * ready).T
            beta = min(c.tail_weightening / c.period, 1.0)
            self.running_mean[:, cols] = (1 - beta) * self.running_mean[:, cols] + beta * vt
        else:
            corrected = v * sign
        super()._buffered_write(cols, corrected)
        if c.in_chop_random:
            u = torch.rand(cols.numel(), generator=self._transfer_gen(), device=cols.device, dtype=torch.float64)
            flip = u < c.in_chop_prob
        else:
            flip = self.reads[cols] % c.period == 0
        self.chopper[cols] = torch.where(flip, -self.chopper[cols], self.chopper[cols])
        self.switched[cols] = self.switched[cols] | flip
