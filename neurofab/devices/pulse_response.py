"""From physics to a pulsed device: pulse trains → conductance curves → a :class:`PiecewiseStep` response.

:func:`conductance_curve` drives a voltage-driven model (VTEAM, RRAMGap) with a train of identical potentiating
pulses from its lowest conductance and a train of depressing pulses from its highest, and samples the conductance
after every pulse. :func:`to_pulsed_device` turns the two curves into the step tables of
:class:`neurofab.devices.PiecewiseStep`: the step of one pulse as a function of the (normalised) weight, so the same
physics drives crossbar training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from neurofab.core import ConfigError
from neurofab.devices.integrate import simulate
from neurofab.devices.models import PiecewiseStep
from neurofab.devices.waveforms import PulseTrain

__all__ = ["ConductanceCurve", "conductance_curve", "to_pulsed_device"]


@dataclass
class ConductanceCurve:
    """Conductance after each pulse [S]: ``up[k]`` after k potentiating pulses (from the lowest conductance),
    ``down[k]`` after k depressing pulses (from the highest); index 0 is the starting conductance."""

    up: torch.Tensor
    down: torch.Tensor

    @property
    def g_min(self) -> float:
        return float(min(self.up.min(), self.down.min()))

    @property
    def g_max(self) -> float:
        return float(max(self.up.max(), self.down.max()))

    def nonlinearity(self) -> float:
        """Largest deviation of the normalised potentiation curve from the straight line, in [0, 1]."""
        g = self.up.double()
        x = (g - g[0]) / (g[-1] - g[0])
        k = torch.linspace(0, 1, len(g), dtype=torch.float64)
        return float((x - k).abs().max())


def _state_at_conductance_extremes(model: Any) -> tuple[float, float]:
    """(state of lowest conductance, state of highest conductance)."""
    lo, hi = model.lower, model.upper
    g_lo = float(model.conductance(torch.tensor(lo, dtype=torch.float64)))
    g_hi = float(model.conductance(torch.tensor(hi, dtype=torch.float64)))
    return (lo, hi) if g_lo < g_hi else (hi, lo)


def conductance_curve(model: Any, up: PulseTrain, down: PulseTrain, dtype: torch.dtype = torch.float64
                      ) -> ConductanceCurve:
    """Conductance after every pulse of ``up`` (from the lowest conductance) and of ``down`` (from the highest).

    The pulse trains carry their own polarity: for VTEAM (R grows with x) a potentiating pulse is negative, for
    RRAMGap (the gap closes under V > 0) positive. Integration is exact (pulses are piecewise constant).
    """
    s_low, s_high = _state_at_conductance_extremes(model)
    curves = []
    for train, s0 in ((up, s_low), (down, s_high)):
        if not isinstance(train, PulseTrain):
            raise ConfigError(f"conductance_curve: pulse trains must be PulseTrain, got {type(train).__name__}")
        ends = torch.tensor([0.0] + [(k * train.period + train.width) for k in range(len(train.amplitudes))],
                            dtype=torch.float64)
        traj = simulate(model, torch.tensor([s0], dtype=dtype), train, t_eval=ends)
        curves.append(model.conductance(traj.s[:, 0]))
    return ConductanceCurve(up=curves[0], down=curves[1])


def to_pulsed_device(curve: ConductanceCurve, nodes: int = 21, w_min: float = -1.0, w_max: float = 1.0,
                     **overrides: Any) -> PiecewiseStep:
    """A :class:`PiecewiseStep` whose step per pulse follows ``curve``.

    The weight maps linearly onto conductance, w = w_min + (w_max − w_min)(G − G_min)/(G_max − G_min); the step of
    one pulse at weight w is the curve's finite difference at that conductance, interpolated onto ``nodes`` equally
    spaced weights. ``dw_min`` is the largest step (so the tables are ≤ 1); d2d and c2c spreads default to zero
    (the model has none), ``overrides`` sets them.
    """
    if nodes < 2:
        raise ConfigError(f"to_pulsed_device: nodes = {nodes}: must be >= 2")
    g_lo, g_hi = curve.g_min, curve.g_max
    if not g_hi > g_lo:
        raise ConfigError("to_pulsed_device: the curves do not change the conductance (pulses below threshold?)")
    span = w_max - w_min

    def to_w(g: torch.Tensor) -> np.ndarray:
        return (w_min + span * (g.double() - g_lo) / (g_hi - g_lo)).numpy()

    grid = np.linspace(w_min, w_max, nodes)
    wu, wd = to_w(curve.up), to_w(curve.down)
    du = np.diff(wu)  # up steps, at states wu[:-1] (increasing)
    dd = -np.diff(wd)  # down step magnitudes, at states wd[:-1] (decreasing)
    up_tab = np.interp(grid, wu[:-1], du, left=du[0], right=0.0)
    order = np.argsort(wd[:-1])
    down_tab = np.interp(grid, wd[:-1][order], dd[order], left=0.0, right=dd[0])
    up_tab[-1], down_tab[0] = 0.0, 0.0  # nothing moves past the bounds
    dw = float(max(up_tab.max(), down_tab.max()))
    if not dw > 0:
        raise ConfigError("to_pulsed_device: all steps are zero")
    params = dict(dw_min=dw, dw_min_dtod=0.0, dw_min_std=0.0, up_down=0.0, up_down_dtod=0.0, w_min=w_min,
                  w_max=w_max, w_min_dtod=0.0, w_max_dtod=0.0, reset_std=0.0,
                  piecewise_up=[float(v / dw) for v in up_tab], piecewise_down=[float(v / dw) for v in down_tab])
    params.update(overrides)
    return PiecewiseStep(**params)
