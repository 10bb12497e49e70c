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
from neurofab.devices.memristors import VTEAM
from neurofab.devices.models import PiecewiseStep
from neurofab.devices.waveforms import PulseTrain

__all__ = ["ConductanceCurve", "conductance_curve", "nonlinearity", "potentiation_schemes", "to_pulsed_device"]


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
        return nonlinearity(self.up)


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


def nonlinearity(g: torch.Tensor) -> float:
    """Largest deviation of a normalised response curve (first → last value) from the straight line, in [0, 1]."""
    g = torch.as_tensor(g, dtype=torch.float64)
    x = (g - g[0]) / (g[-1] - g[0])
    return float((x - torch.linspace(0, 1, len(g), dtype=torch.float64)).abs().max())


def potentiation_schemes(model: Any, n_pulses: int = 60, amplitude: float = -0.1, width: float = 1e-3,
                         counter: tuple[float, float] = (-0.12, 0.05)) -> dict[str, torch.Tensor]:
    """Conductance after each potentiation event under the review's three pulse schemes (seed 003 l. 147, Fig. 3),
    from the lowest conductance of a VTEAM device (R grows with x: potentiation drives x down):

    - ``identical``: ``n_pulses`` identical pulses of ``amplitude`` and ``width``;
    - ``compensated``: each event is a stronger potentiating pulse followed by an opposite one meant to cancel the
      overshoot (``counter`` = (potentiating, compensating) amplitudes, both ``width`` long);
    - ``adapted``: pulse widths set from the state so every event adds the same conductance, over the same range
      as ``identical`` (needs the Xu window with p = 1, whose exact solution inverts in closed form).
    """
    if not isinstance(model, VTEAM):
        raise ConfigError(f"potentiation_schemes: a VTEAM model is required, got {type(model).__name__}")
    w = model.window
    if not (w.kind == "xu" and w.p == 1.0):
        raise ConfigError("potentiation_schemes: the adapted scheme needs window kind 'xu' with p = 1")
    one = torch.ones((), dtype=torch.float64)
    x = one.clone()
    ident = [x]
    for _ in range(n_pulses):
        x = model.exact_step(x, amplitude * one, width)
        ident.append(x)
    x = one.clone()
    comp = [x]
    for _ in range(n_pulses):
        x = model.exact_step(model.exact_step(x, counter[0] * one, width), counter[1] * one, width)
        comp.append(x)
    g_ident = model.conductance(torch.stack(ident))
    targets = torch.linspace(float(g_ident[0]), float(g_ident[-1]), n_pulses + 1, dtype=torch.float64)
    x_targets = model.state_of_resistance(1.0 / targets)
    rate = abs(float(model.rate(amplitude * one))) * w.j
    widths = torch.log(x_targets[:-1] / x_targets[1:]) / rate
    x = one.clone()
    adapt = [x]
    for t in widths.tolist():
        x = model.exact_step(x, amplitude * one, t)
        adapt.append(x)
    return {"identical": g_ident, "compensated": model.conductance(torch.stack(comp)),
            "adapted": model.conductance(torch.stack(adapt)), "adapted_widths": widths}
