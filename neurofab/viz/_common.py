"""Shared plumbing: array conversion and a figure/axes pair without pyplot."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurofab.core import DataError


def as_array(x: Any, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """A float numpy copy of a tensor/array/sequence; checks its dimensions and that it is finite."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=float)
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if dims is not None and a.ndim not in dims:
        raise DataError(f"{name}: expected {' or '.join(map(str, dims))} dimension(s), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise DataError(f"{name}: contains NaN or inf")
    return a


def axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.5)) -> tuple[Figure, Axes]:
    """The given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()
