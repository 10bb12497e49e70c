"""Drift compensation: rescale a tile's outputs so their magnitude after drift matches that at programming.

Global drift compensation (Spoon et al. 2021; aihwkit 1.1 ``GlobalDriftCompensation``): right after programming,
run a fixed probe through the tile — the one-hot input vectors, i.e. the identity — and keep the mean absolute
output (the baseline). At time t run the same probe and keep its readout; every later output of the tile is
multiplied by α = baseline / readout(t). The per-column variant (aihwkit ``PerColumnDriftCompensation``) keeps
one readout per output column, the mean |output| over the probe vectors, and so one α per column.

The pcm-transformer note flags the printed text (⚠ "delayed/initial"); the ratio that restores the scale is
initial/delayed, as here.
"""

from __future__ import annotations

import functools
from typing import Literal

import torch

from neurofab.core import ConfigError

__all__ = ["DriftCompensationKind", "compensation_factor", "probe_inputs", "probe_readout"]

DriftCompensationKind = Literal["global", "per_column", "none"]

READOUT_FLOOR = 1e-4
"""Smallest readout a ratio is taken against [output units] (aihwkit clamps at 0.0001 too)."""


def probe_inputs(in_size: int, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
    """The probe: the ``in_size`` one-hot input vectors as rows, shape (in_size, in_size) (cached; do not modify)."""
    if in_size <= 0:
        raise ConfigError(f"probe_inputs: in_size = {in_size}: must be > 0")
    return _eye(in_size, dtype, str(device))


@functools.lru_cache(maxsize=16)
def _eye(n: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.eye(n, dtype=dtype, device=device)


def probe_readout(y: torch.Tensor, kind: DriftCompensationKind) -> torch.Tensor:
    """Readout of the probe outputs ``y`` (probes, out): mean |y| (global, a scalar) or per column (out,)."""
    if kind == "global":
        return y.abs().mean().clamp(min=READOUT_FLOOR)
    if kind == "per_column":
        return y.abs().mean(dim=0).clamp(min=READOUT_FLOOR)
    raise ConfigError(f"probe_readout: kind = {kind!r}: must be 'global' or 'per_column'")


def compensation_factor(baseline: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
    """α = baseline / current: the factor on the outputs that restores their programmed scale."""
    return baseline / current
