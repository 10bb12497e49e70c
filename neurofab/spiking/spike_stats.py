"""Spike-train statistics: firing rates, inter-spike intervals (ISI), coefficient of variation (CV).

Spikes come as *spike arrays* — ``times`` [s] and ``indices`` (which neuron), of equal length, in any order —
the form a :class:`~neurofab.spiking.monitors.SpikeMonitor` gives, or as a list of per-neuron spike-time tensors.
Everything is vectorized over neurons (sort, diff, scatter), with no Python loop per neuron or per spike.

Definitions (as in Brunel 2000 and the Brian2/NEST examples):

    rate_i = n_i / T                                   spikes of neuron i per second of observation
    ISI_i  = differences of neuron i's sorted spike times
    CV_i   = std(ISI_i) / mean(ISI_i)                  population standard deviation (ddof = 0)
    CV     = mean of CV_i over neurons with at least ``min_spikes`` spikes
"""

from __future__ import annotations

import torch

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError

__all__ = ["cv_isi", "firing_rates", "isi", "mean_cv", "population_rate", "spike_arrays", "spike_trains"]


def _check_arrays(times: torch.Tensor, indices: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    times = torch.as_tensor(times, dtype=torch.float64).flatten()
    indices = torch.as_tensor(indices).flatten()
    if times.shape != indices.shape:
        raise ShapeError(f"spike arrays: {times.numel()} times but {indices.numel()} indices")
    if indices.is_floating_point() or indices.dtype == torch.bool:
        raise InputTypeError("spike arrays: indices must be integers")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"number of neurons n = {n!r}: must be a positive integer")
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        raise ShapeError(f"spike arrays: indices must lie in [0, {n})")
    if not torch.isfinite(times).all():
        raise NumericalError("spike arrays: times hold NaN or infinite values")
    return times, indices.to(torch.int64)


def _check_duration(duration: float) -> float:
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not duration > 0:
        raise ConfigError(f"duration = {duration!r}: must be a positive number of seconds")
    return float(duration)


def firing_rates(times: torch.Tensor, indices: torch.Tensor, n: int, duration: float) -> torch.Tensor:
    """Firing rate of each of ``n`` neurons over an observation of ``duration`` [s] → [n] in Hz."""
    _, indices = _check_arrays(times, indices, n)
    return torch.bincount(indices, minlength=n).double() / _check_duration(duration)


def isi(times: torch.Tensor) -> torch.Tensor:
    """Inter-spike intervals [s] of one spike train (sorted first)."""
    t = torch.as_tensor(times, dtype=torch.float64).flatten()
    return torch.diff(torch.sort(t).values)


def cv_isi(times: torch.Tensor, indices: torch.Tensor, n: int, min_spikes: int = 3) -> torch.Tensor:
    """CV of the inter-spike intervals of each of ``n`` neurons → [n]; NaN for neurons with fewer than
    ``min_spikes`` spikes (at least 3: two intervals)."""
    if isinstance(min_spikes, bool) or not isinstance(min_spikes, int) or min_spikes < 3:
        raise ConfigError(f"min_spikes = {min_spikes!r}: must be an integer >= 3 (two intervals)")
    times, indices = _check_arrays(times, indices, n)
    order = torch.argsort(times, stable=True)
    order = order[torch.argsort(indices[order], stable=True)]  # by neuron, then time
    t, idx = times[order], indices[order]
    same = idx[1:] == idx[:-1]
    intervals = (t[1:] - t[:-1])[same]
    owner = idx[1:][same]
    k = torch.bincount(owner, minlength=n).double()
    s1 = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, intervals)
    s2 = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, intervals * intervals)
    mean = s1 / k
    var = torch.clamp(s2 / k - mean * mean, min=0.0)
    cv = torch.sqrt(var) / mean
    return torch.where(k >= min_spikes - 1, cv, torch.full_like(cv, float("nan")))


def mean_cv(times: torch.Tensor, indices: torch.Tensor, n: int, min_spikes: int = 3) -> float:
    """The mean of :func:`cv_isi` over neurons with at least ``min_spikes`` spikes (NaN when none has)."""
    cv = cv_isi(times, indices, n, min_spikes)
    valid = ~torch.isnan(cv)
    return float(cv[valid].mean()) if valid.any() else float("nan")


def population_rate(
    times: torch.Tensor, n: int, duration: float, bin_width: float, start: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Population rate histogram: (bin left edges [s], spikes per neuron per second in each bin [Hz])."""
    duration = _check_duration(duration)
    bin_width = _check_duration(bin_width)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"number of neurons n = {n!r}: must be a positive integer")
    n_bins = max(1, round(duration / bin_width))
    t = torch.as_tensor(times, dtype=torch.float64).flatten()
    b = torch.floor((t - start) / bin_width).to(torch.int64)
    b = b[(b >= 0) & (b < n_bins)]
    counts = torch.bincount(b, minlength=n_bins).double()
    edges = start + torch.arange(n_bins, dtype=torch.float64) * bin_width
    return edges, counts / (n * bin_width)


def spike_trains(times: torch.Tensor, indices: torch.Tensor, n: int) -> list[torch.Tensor]:
    """Spike arrays → one sorted tensor of spike times per neuron."""
    times, indices = _check_arrays(times, indices, n)
    order = torch.argsort(times, stable=True)
    order = order[torch.argsort(indices[order], stable=True)]
    counts = torch.bincount(indices, minlength=n).tolist()
    return list(torch.split(times[order], counts))


def spike_arrays(trains: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One spike-time tensor per neuron → spike arrays (times, indices)."""
    if not isinstance(trains, list | tuple):
        raise InputTypeError(f"spike_arrays: expected a list of tensors, got {type(trains).__name__}")
    parts = [torch.as_tensor(t, dtype=torch.float64).flatten() for t in trains]
    if not parts:
        return torch.zeros(0, dtype=torch.float64), torch.zeros(0, dtype=torch.int64)
    counts = torch.tensor([len(p) for p in parts])
    return torch.cat(parts), torch.repeat_interleave(torch.arange(len(parts)), counts)
