"""Monitors of a spiking network: spikes of a population, state variables of chosen neurons (subsampled).

A monitor is created by :meth:`Network.spike_monitor <neurofab.spiking.network.Network.spike_monitor>` or
:meth:`Network.state_monitor <neurofab.spiking.network.Network.state_monitor>`; the simulator fills it during
``run``. Times follow NEST's convention: a spike emitted in step ``t`` (the interval [t·dt, (t+1)·dt)) is stamped
(t+1)·dt, and a state sample taken after step ``t`` is the state at (t+1)·dt.
"""

from __future__ import annotations

import numpy as np
import torch

from neurofab.core import ConfigError, ShapeError

__all__ = ["SampledMonitor", "SpikeMonitor", "StateMonitor"]


class SpikeMonitor:
    """Spikes of one population (or a contiguous slice of one): step indices and neuron indices (local)."""

    def __init__(self, name: str, start: int, size: int, dt: float) -> None:
        self.name = name
        self.start = start  # global index of local neuron 0
        self.size = size
        self.dt = dt
        self._steps: list[np.ndarray] = []
        self._indices: list[np.ndarray] = []

    def _append(self, steps: np.ndarray, global_indices: np.ndarray) -> None:
        keep = (global_indices >= self.start) & (global_indices < self.start + self.size)
        if keep.any():
            self._steps.append(steps[keep].astype(np.int64))
            self._indices.append((global_indices[keep] - self.start).astype(np.int64))

    @property
    def steps(self) -> torch.Tensor:
        """Step of each spike (int64), in the order emitted."""
        return torch.from_numpy(np.concatenate(self._steps)) if self._steps else torch.zeros(0, dtype=torch.int64)

    @property
    def times(self) -> torch.Tensor:
        """Time stamp of each spike, (step + 1)·dt [s] (float64)."""
        return (self.steps + 1).double() * self.dt

    @property
    def indices(self) -> torch.Tensor:
        """Neuron of each spike, local to the monitored population (int64)."""
        if not self._indices:
            return torch.zeros(0, dtype=torch.int64)
        return torch.from_numpy(np.concatenate(self._indices))

    @property
    def num_spikes(self) -> int:
        return int(sum(len(s) for s in self._steps))

    def counts(self) -> torch.Tensor:
        """Number of spikes of each neuron (int64, shape [size])."""
        return torch.bincount(self.indices, minlength=self.size)

    def spike_trains(self) -> list[torch.Tensor]:
        """Spike times [s] of each neuron, sorted."""
        times, idx = self.times, self.indices
        order = torch.argsort(idx, stable=True)
        bounds = torch.bincount(idx, minlength=self.size).cumsum(0).tolist()
        sorted_times = times[order]
        out, lo = [], 0
        for hi in bounds:
            out.append(sorted_times[lo:hi])
            lo = hi
        return out

    def clear(self) -> None:
        self._steps.clear()
        self._indices.clear()

    def __repr__(self) -> str:
        return f"SpikeMonitor({self.name!r}, size={self.size}, spikes={self.num_spikes})"


class SampledMonitor:
    """Samples of ``width`` quantities taken after every ``every``-th step: their steps, times and values.

    The shared part of :class:`StateMonitor` and the plastic projections' weight monitor."""

    def __init__(self, width: int, every: int, dt: float, who: str) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"{who} every = {every!r}: must be an integer number of steps >= 1")
        self.width = width
        self.every = every
        self.dt = dt
        self._steps: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def _append(self, steps: np.ndarray, values: np.ndarray) -> None:
        if len(steps):
            self._steps.append(np.asarray(steps, dtype=np.int64))
            self._values.append(values.reshape(len(steps), self.width).copy())

    @property
    def steps(self) -> torch.Tensor:
        """Step after which each sample was taken (int64)."""
        return torch.from_numpy(np.concatenate(self._steps)) if self._steps else torch.zeros(0, dtype=torch.int64)

    @property
    def times(self) -> torch.Tensor:
        """Time of each sample, (step + 1)·dt [s]."""
        return (self.steps + 1).double() * self.dt

    @property
    def values(self) -> torch.Tensor:
        """Samples [n_samples, width]."""
        if not self._values:
            return torch.zeros(0, self.width, dtype=torch.float64)
        return torch.from_numpy(np.concatenate(self._values))

    def clear(self) -> None:
        self._steps.clear()
        self._values.clear()


class StateMonitor(SampledMonitor):
    """Samples of one state variable of chosen neurons every ``every`` steps, in SI units (V, A or S)."""

    VARIABLES = ("v", "syn_exc", "syn_inh", "w", "i_ext")

    def __init__(self, name: str, variable: str, global_indices: np.ndarray, every: int, dt: float,
                 custom_row: int | None = None) -> None:
        if variable not in self.VARIABLES and custom_row is None:
            raise ConfigError(f"state monitor variable = {variable!r}: must be one of {', '.join(self.VARIABLES)}")
        if global_indices.ndim != 1 or len(global_indices) == 0:
            raise ShapeError("state monitor: indices must be a non-empty 1-D list of neurons")
        super().__init__(len(global_indices), every, dt, "state monitor")
        self.name = name
        self.variable = variable
        #: the row of a custom model's variable in its population's state block (None: a built-in variable)
        self.custom_row = custom_row
        self.population = None  #: the custom-model population whose variable this is (set by the network)
        self.var_code = len(self.VARIABLES) if custom_row is not None else self.VARIABLES.index(variable)
        self.global_indices = global_indices.astype(np.int64)

    def __repr__(self) -> str:
        return f"StateMonitor({self.name!r}, {self.variable!r}, neurons={len(self.global_indices)})"
