"""Curves and breakdowns: accuracy over (drift) time, energy per component."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurofab.core import DataError
from neurofab.viz._common import as_array, axes


def accuracy_over_time(times: Any, accuracies: Mapping[str, Any] | Any, *, ax: Axes | None = None,
                       log_time: bool = True, spread: Mapping[str, Any] | None = None) -> Figure:
    """Accuracy against time (e.g. after programming, drift): one curve per named series.

    ``accuracies`` is one sequence or ``{name: sequence}``; ``spread`` optionally gives ``{name: std}`` per point
    for a shaded band. Times in seconds; a log axis by default.
    """
    t = as_array(times, "times", 1)
    series = dict(accuracies) if isinstance(accuracies, Mapping) else {"accuracy": accuracies}
    fig, ax = axes(ax)
    for name, acc in series.items():
        a = as_array(acc, f"accuracies[{name!r}]", 1)
        if a.size != t.size:
            raise DataError(f"accuracy_over_time: {t.size} times but {a.size} values for {name!r}")
        ax.plot(t, a, marker="o", ms=3, label=name)
        if spread is not None and name in spread:
            s = as_array(spread[name], f"spread[{name!r}]", 1)
            ax.fill_between(t, a - s, a + s, alpha=0.2)
    if log_time and t.size and np.all(t > 0):
        ax.set_xscale("log")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    return fig


def energy_breakdown(parts: Mapping[str, float] | Any, *, ax: Axes | None = None, unit: str = "J",
                     title: str = "") -> Figure:
    """Horizontal bars of energy per component, largest first, each labelled with its share of the total.

    ``parts`` is ``{component: joules}`` or an object with a ``by_kind`` mapping (an energy breakdown).
    """
    if not isinstance(parts, Mapping):
        if not hasattr(parts, "by_kind"):
            raise DataError("energy_breakdown: give {component: energy} or an object with .by_kind")
        parts = parts.by_kind
    names = list(parts)
    values = as_array([float(parts[n]) for n in names], "energies", 1)
    if np.any(values < 0):
        raise DataError("energy_breakdown: energies must be ≥ 0")
    order = np.argsort(values)
    total = float(values.sum())
    fig, ax = axes(ax)
    bars = ax.barh([names[k] for k in order], values[order], color="0.4")
    for bar, v in zip(bars, values[order]):
        share = 100 * v / total if total > 0 else 0.0
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {share:.1f} %", va="center", fontsize=7)
    ax.set_xlabel(f"energy [{unit}]")
    ax.set_title(title or f"total {total:.3g} {unit}")
    return fig
