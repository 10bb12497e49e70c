"""Plots (matplotlib) of what the stack computes: spike rasters, membrane traces, firing-rate histograms, weight
matrices and histograms, accuracy over time, energy breakdowns.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state, no display
needed), or draws into an ``ax`` it is given. Inputs are plain tensors/arrays, or objects with the same attributes
as the monitors and reports that produce them (``times``/``indices``, ``by_kind``), so this package depends on
nothing above ``core``.
"""

from neurofab.viz.curves import accuracy_over_time, energy_breakdown
from neurofab.viz.spikes import membrane_traces, raster, rate_histogram
from neurofab.viz.weights import weight_histogram, weight_matrix

__all__ = [
    "accuracy_over_time",
    "energy_breakdown",
    "membrane_traces",
    "raster",
    "rate_histogram",
    "weight_histogram",
    "weight_matrix",
]
