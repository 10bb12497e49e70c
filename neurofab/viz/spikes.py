"""Spiking activity: raster plots, membrane-potential traces, firing-rate histograms."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurofab.core import DataError
from neurofab.viz._common import as_array, axes


def raster(times: Any, indices: Any | None = None, *, ax: Axes | None = None, marker_size: float = 2.0,
           title: str = "") -> Figure:
    """Spike raster: one dot per spike at (time [s], neuron index).

    ``times`` may be a spike monitor (anything with ``times`` and ``indices`` attributes), or times [s] with
    ``indices`` of equal length.
    """
    if indices is None:
        if not (hasattr(times, "times") and hasattr(times, "indices")):
            raise DataError("raster: give times and indices, or a monitor with .times and .indices")
        times, indices = times.times, times.indices
    t = as_array(times, "times", 1)
    i = as_array(indices, "indices", 1)
    if t.shape != i.shape:
        raise DataError(f"raster: {t.size} times but {i.size} indices")
    fig, ax = axes(ax)
    ax.scatter(t, i, s=marker_size, c="k", marker="|" if t.size < 20_000 else ".", linewidths=0.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("neuron")
    if title:
        ax.set_title(title)
    return fig


def membrane_traces(times: Any, values: Any, *, threshold: float | None = None, labels: list[str] | None = None,
                    ax: Axes | None = None, unit: str = "V") -> Figure:
    """Membrane potential (or any state variable) over time: ``values`` is (steps,) or (steps, neurons)."""
    t = as_array(times, "times", 1)
    v = as_array(values, "values", (1, 2))
    v = v[:, None] if v.ndim == 1 else v
    if v.shape[0] != t.size:
        raise DataError(f"membrane_traces: {t.size} times but values have {v.shape[0]} steps")
    fig, ax = axes(ax)
    for k in range(v.shape[1]):
        ax.plot(t, v[:, k], lw=0.8, label=labels[k] if labels and k < len(labels) else None)
    if threshold is not None:
        ax.axhline(threshold, color="r", ls="--", lw=0.8, label="threshold")
    ax.set_xlabel("time [s]")
    ax.set_ylabel(f"membrane potential [{unit}]")
    if labels or threshold is not None:
        ax.legend(fontsize=7)
    return fig


def rate_histogram(rates: Any, *, bins: int = 30, ax: Axes | None = None) -> Figure:
    """Histogram of per-neuron firing rates [Hz], with the mean marked."""
    r = as_array(rates, "rates", 1)
    fig, ax = axes(ax)
    ax.hist(r, bins=bins, color="0.4")
    if r.size:
        ax.axvline(float(np.mean(r)), color="r", lw=1, label=f"mean {np.mean(r):.3g} Hz")
        ax.legend(fontsize=7)
    ax.set_xlabel("firing rate [Hz]")
    ax.set_ylabel("neurons")
    return fig
