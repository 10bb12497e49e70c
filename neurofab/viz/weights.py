"""Synaptic weights: the matrix as an image and the distribution as a histogram."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurofab.viz._common import as_array, axes


def weight_matrix(weights: Any, *, ax: Axes | None = None, unit: str = "", symmetric: bool | None = None) -> Figure:
    """The (post × pre) weight matrix as an image with a colour bar; a diverging map when weights change sign."""
    w = as_array(weights, "weights", 2)
    fig, ax = axes(ax, figsize=(5.0, 4.0))
    signed = bool(np.any(w < 0) and np.any(w > 0)) if symmetric is None else symmetric
    if signed:
        lim = float(np.max(np.abs(w))) or 1.0
        image = ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
    else:
        image = ax.imshow(w, cmap="viridis", aspect="auto", interpolation="nearest")
    fig.colorbar(image, ax=ax, label=f"weight [{unit}]" if unit else "weight")
    ax.set_xlabel("presynaptic")
    ax.set_ylabel("postsynaptic")
    return fig


def weight_histogram(weights: Any, *, bins: int = 40, ax: Axes | None = None, unit: str = "",
                     bounds: tuple[float, float] | None = None) -> Figure:
    """Distribution of weights (any shape), with the bounds marked when given (e.g. an STDP rule's w_min/w_max)."""
    w = as_array(weights, "weights").ravel()
    fig, ax = axes(ax)
    ax.hist(w, bins=bins, color="0.4")
    if bounds is not None:
        for b in bounds:
            ax.axvline(b, color="r", ls="--", lw=0.8)
    ax.set_xlabel(f"weight [{unit}]" if unit else "weight")
    ax.set_ylabel("synapses")
    return fig
