"""Analog weights under any torch optimizer; AnalogSGD for closures.

Each analog layer exposes an empty parameter (``analog_handle``) whose gradient marks that a backward pass
queued (x, δ) pairs. :meth:`AnalogSGD.step` writes them through the layer's tiles with the group's learning
rate — the configured pulsed update, or whatever rule was installed with ``layer.set_update_rule`` (Tiki-Taka,
TTv2, SHD, gradient decomposition …) — and lets ``torch.optim.SGD`` update every other parameter (momentum,
weight decay and the like apply to digital parameters only).

Any other ``torch.optim`` optimizer works too, with the semantics of aihwkit 1.1's ``AnalogOptimizerMixin``
(``AnalogSGD``, ``AnalogAdam``, ``AnalogOptimizer(cls, …)``): a global step pre-hook writes the queued analog
updates through the tiles with the parameter group's learning rate — the tile's pulsed update of the raw
(x, δ), never the optimizer's rule (no Adam step size, moments, momentum or weight decay on the tiles) — and
clears the handles' gradients before the optimizer's own step sees them; a group at lr 0 drops its layers'
updates. (In aihwkit a plain torch optimizer leaves the tiles unchanged; here it trains them as AnalogAdam
would.)

The analog update and the optimizer's rule rarely want the same learning rate: a pulsed update of η·δxᵀ needs
an η of SGD's size (0.1–1), Adam's steps want 1e-3–1e-2. :func:`analog_param_groups` gives the analog layers'
handles their own parameter group (the pre-hook reads the group's ``lr``), so one optimizer serves both::

    opt = torch.optim.Adam(analog_param_groups(model, lr=0.01, analog_lr=0.5))

A learning-rate scheduler scales both groups alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from neurofab.core import ConfigError, InputTypeError

__all__ = ["AnalogSGD", "analog_layer_of", "analog_param_groups", "apply_analog_updates"]


def analog_layer_of(param: torch.Tensor) -> Any:
    """The analog layer a parameter is the handle of, or None for a digital parameter."""
    return getattr(param, "analog_layer", None)


def apply_analog_updates(optimizer: torch.optim.Optimizer, *_: Any) -> None:
    """Write every analog layer's queued update with its group's learning rate; drop updates with no gradient."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            layer = analog_layer_of(p)
            if layer is None:
                continue
            if p.grad is not None:
                layer.apply_update(float(group["lr"]))
                p.grad = None
            else:
                layer.discard_update()


def _positive(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < math.inf):
        raise ConfigError(f"analog_param_groups: {name} = {v!r}: must be a finite number > 0")
    return float(v)


def analog_param_groups(model: nn.Module, lr: float, analog_lr: float, **options: Any) -> list[dict[str, Any]]:
    """Parameter groups for any ``torch.optim`` optimizer: the digital parameters (biases, BatchNorm, digital
    layers) at ``lr`` with ``options`` (e.g. ``weight_decay``), and the analog layers' handles at ``analog_lr`` —
    the learning rate η of the tiles' pulsed update W ← W − η·Σ δxᵀ (or of the installed rule). The optimizer's
    own rule (Adam's moments, momentum …) never touches the handles: the step pre-hook writes their updates and
    clears their gradients first. Parameters shared by several modules are listed once."""
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"analog_param_groups: model must be a torch.nn.Module, got {type(model).__name__}")
    lr, analog_lr = _positive("lr", lr), _positive("analog_lr", analog_lr)
    digital, analog = [], []
    for p in model.parameters():  # unique parameters, in module order
        (analog if analog_layer_of(p) is not None else digital).append(p)
    if not analog:
        raise ConfigError("analog_param_groups: the model has no analog layers (convert_to_analog, AnalogLinear …); "
                          "use model.parameters() with one learning rate")
    groups: list[dict[str, Any]] = [{"params": analog, "lr": analog_lr}]
    if digital:
        groups.insert(0, {"params": digital, "lr": lr, **options})
    return groups


def _global_pre_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    if not isinstance(optimizer, AnalogSGD):  # AnalogSGD applies them itself, after its closure
        apply_analog_updates(optimizer)


register_optimizer_step_pre_hook(_global_pre_step)


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
        apply_analog_updates(self)
        super().step()
        return loss
