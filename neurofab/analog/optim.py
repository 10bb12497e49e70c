"""AnalogSGD: digital parameters by ordinary SGD, analog weights through their tiles' update rules.

Each analog layer exposes an empty parameter (``analog_handle``) whose gradient marks that a backward pass
queued (x, δ) pairs. :meth:`AnalogSGD.step` writes them through the layer's tiles with the group's learning
rate — the configured pulsed update, or whatever rule was installed with ``layer.set_update_rule`` (Tiki-Taka,
TTv2, SHD, gradient decomposition …) — and lets ``torch.optim.SGD`` update every other parameter (momentum,
weight decay and the like apply to digital parameters only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from neurofab.core import ConfigError

__all__ = ["AnalogSGD", "analog_layer_of"]


def analog_layer_of(param: torch.Tensor) -> Any:
    """The analog layer a parameter is the handle of, or None for a digital parameter."""
    return getattr(param, "analog_layer", None)


class AnalogSGD(torch.optim.SGD):
    """``torch.optim.SGD`` for digital parameters plus the analog update for analog layers' handles."""

    def __init__(self, params: Iterable[Any], lr: float = 0.01, **kwargs: Any) -> None:
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not (0 < lr < math.inf):
            raise ConfigError(f"AnalogSGD.lr = {lr!r}: must be a finite number > 0")
        super().__init__(params, lr=lr, **kwargs)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                layer = analog_layer_of(p)
                if layer is None:
                    continue
                if p.grad is not None:
                    layer.apply_update(group["lr"])
                    p.grad = None
                else:
                    layer.discard_update()
        super().step()
        return loss
