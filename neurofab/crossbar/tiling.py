"""Weight matrices larger than one tile: a grid of tiles with digital accumulation.

``TileArray(out, in, config)`` splits the matrix into ⌈out/max_output_size⌉ × ⌈in/max_input_size⌉ tiles of
near-equal size. Forward: each tile column block receives its slice of x; the partial outputs of a tile row
are added digitally. Transpose: the same with rows and columns swapped. Update: each tile gets its slices
of x and δ. It offers the same interface as :class:`~neurofab.crossbar.tile.AnalogTile`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from neurofab.core import InputTypeError, Seed, ShapeError
from neurofab.crossbar.io import check_input
from neurofab.crossbar.tile import AnalogTile, TileConfig, UpdateRule, _seeds

__all__ = ["TileArray", "split_sizes"]


def split_sizes(total: int, limit: int) -> list[int]:
    """Near-equal block sizes ≤ ``limit`` covering ``total`` (e.g. 784 with 512 → [392, 392])."""
    n = math.ceil(total / limit)
    base, extra = divmod(total, n)
    return [base + 1] * extra + [base] * (n - extra)


class TileArray(nn.Module):
    """A grid of :class:`AnalogTile` for one logical (out, in) weight matrix."""

    def __init__(
        self, out_size: int, in_size: int, config: TileConfig | None = None, seed: Seed = 0, dtype=torch.float32
    ) -> None:
        super().__init__()
        config = TileConfig() if config is None else config
        if out_size <= 0 or in_size <= 0:
            raise ShapeError(f"TileArray: sizes must be positive, got {out_size}×{in_size}")
        self.config = config
        self.out_size, self.in_size = int(out_size), int(in_size)
        self.row_sizes = split_sizes(self.out_size, config.max_output_size)
        self.col_sizes = split_sizes(self.in_size, config.max_input_size)
        seeds = iter(_seeds(seed, len(self.row_sizes) * len(self.col_sizes)))
        self.tiles = nn.ModuleList(
            [AnalogTile(r, c, config, seed=next(seeds), dtype=dtype) for r in self.row_sizes for c in self.col_sizes]
        )

    def tile(self, i: int, j: int) -> AnalogTile:
        return self.tiles[i * len(self.col_sizes) + j]

    @property
    def dtype(self) -> torch.dtype:
        """The devices' dtype: it follows the module (``.to(torch.float64)``, ``.double()``)."""
        return self.tiles[0].array.w.dtype

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.row_sizes), len(self.col_sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_size:
            raise ShapeError(f"TileArray.forward: expected shape (batch, {self.in_size}), got {tuple(x.shape)}")
        check_input(x, "TileArray.forward")
        x = x.to(self.dtype)
        if len(self.tiles) == 1:
            return self.tiles[0]._forward(x)
        xs = torch.split(x, self.col_sizes, dim=1)
        rows = []
        for i in range(len(self.row_sizes)):
            acc = self.tile(i, 0)._forward(xs[0])
            for j in range(1, len(self.col_sizes)):
                acc = acc + self.tile(i, j)._forward(xs[j])
            rows.append(acc)
        return rows[0] if len(rows) == 1 else torch.cat(rows, dim=1)

    def backward(self, d: torch.Tensor) -> torch.Tensor:
        if d.dim() != 2 or d.shape[1] != self.out_size:
            raise ShapeError(f"TileArray.backward: expected shape (batch, {self.out_size}), got {tuple(d.shape)}")
        check_input(d, "TileArray.backward")
        d = d.to(self.dtype)
        if len(self.tiles) == 1:
            return self.tiles[0]._backward(d)
        ds = torch.split(d, self.row_sizes, dim=1)
        cols = []
        for j in range(len(self.col_sizes)):
            acc = self.tile(0, j)._backward(ds[0])
            for i in range(1, len(self.row_sizes)):
                acc = acc + self.tile(i, j)._backward(ds[i])
            cols.append(acc)
        return cols[0] if len(cols) == 1 else torch.cat(cols, dim=1)

    transpose = backward

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        if x.dim() != 2 or d.dim() != 2 or x.shape[1] != self.in_size or d.shape[1] != self.out_size:
            raise ShapeError(
                f"TileArray.update: expected x (batch, {self.in_size}) and d (batch, {self.out_size}),"
                f" got {tuple(x.shape)} and {tuple(d.shape)}"
            )
        if x.shape[0] != d.shape[0]:
            raise ShapeError(f"TileArray.update: x has {x.shape[0]} rows but d has {d.shape[0]}")
        if not (isinstance(lr, int | float) and lr >= 0 and lr == lr):
            raise InputTypeError(f"TileArray.update: lr must be a number >= 0, got {lr!r}")
        check_input(x, "TileArray.update x")
        check_input(d, "TileArray.update d")
        x, d = x.to(self.dtype), d.to(self.dtype)
        xs = torch.split(x, self.col_sizes, dim=1)
        ds = torch.split(d, self.row_sizes, dim=1)
        for i in range(len(self.row_sizes)):
            for j in range(len(self.col_sizes)):
                self.tile(i, j)._update(xs[j].contiguous(), ds[i].contiguous(), float(lr))

    def set_update_rule(self, factory: Callable[[AnalogTile], UpdateRule | None] | None) -> None:
        """Give every tile its own rule: ``factory(tile)`` returns the rule (None: configured pulsed SGD)."""
        for t in self.tiles:
            t.set_update_rule(None if factory is None else factory(t))

    def _blocks(self, w: torch.Tensor) -> list[list[torch.Tensor]]:
        return [list(torch.split(r, self.col_sizes, dim=1)) for r in torch.split(w, self.row_sizes, dim=0)]

    def get_weights(self) -> torch.Tensor:
        rows = [torch.cat([self.tile(i, j).get_weights() for j in range(len(self.col_sizes))], dim=1)
                for i in range(len(self.row_sizes))]
        return torch.cat(rows, dim=0)

    def set_weights(self, w: torch.Tensor) -> None:
        if w.shape != (self.out_size, self.in_size):
            raise ShapeError(f"TileArray.set_weights: expected {(self.out_size, self.in_size)}, got {tuple(w.shape)}")
        for i, row in enumerate(self._blocks(w)):
            for j, block in enumerate(row):
                self.tile(i, j).set_weights(block.contiguous())

    def apply_pulses(self, counts: torch.Tensor) -> None:
        if counts.shape != (self.out_size, self.in_size):
            expected = (self.out_size, self.in_size)
            raise ShapeError(f"TileArray.apply_pulses: expected {expected}, got {tuple(counts.shape)}")
        for i, row in enumerate(self._blocks(counts)):
            for j, block in enumerate(row):
                self.tile(i, j).apply_pulses(block.contiguous())
