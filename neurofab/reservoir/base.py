"""The interface every reservoir shares: inputs (batch, time, channels) in, states (batch, time, features) out.

A reservoir is a fixed dynamical system; only a linear readout on its states is trained
(:mod:`neurofab.reservoir.readout`), so the spin-torque oscillator, the echo-state network and the memristor
reservoir are evaluated by the same code (:mod:`neurofab.reservoir.tasks`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch

from neurofab.core import NumericalError, ShapeError
from neurofab.core.seeding import Seed


class Reservoir(ABC):
    """A fixed dynamical system driven by an input sequence; ``states`` is all a readout sees."""

    #: number of input channels the reservoir takes
    n_inputs: int
    #: number of state features per time step (the readout's input width)
    n_features: int

    @abstractmethod
    def _run(self, inputs: torch.Tensor, seed: Seed) -> torch.Tensor:
        """States (batch, time, n_features) for checked float64 inputs (batch, time, n_inputs)."""

    def states(self, inputs: torch.Tensor, seed: Seed = None) -> torch.Tensor:
        """Run the reservoir on ``inputs`` (time,), (batch, time) or (batch, time, channels), from rest.

        Returns float64 states (batch, time, n_features); ``seed`` drives any noise (same seed, same states).
        """
        x = torch.as_tensor(inputs, dtype=torch.float64)
        if x.dim() == 1:
            x = x.view(1, -1, 1)
        elif x.dim() == 2:
            x = x.unsqueeze(-1)
        if x.dim() != 3 or x.shape[-1] != self.n_inputs or x.shape[1] == 0:
            raise ShapeError(f"{type(self).__name__}: inputs must be (batch, time, {self.n_inputs}), got "
                             f"{tuple(torch.as_tensor(inputs).shape)}")
        if not torch.isfinite(x).all():
            raise NumericalError(f"{type(self).__name__}: inputs contain NaN or infinite values")
        return self._run(x, seed)
