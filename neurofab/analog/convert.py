"""convert_to_analog: a copy of a model with its nn.Linear and nn.Conv2d layers moved onto analog tiles."""

from __future__ import annotations

import copy

import torch
from torch import nn

from neurofab.analog.layers import AnalogConv2d, AnalogLinear
from neurofab.core import InputTypeError, child_seeds
from neurofab.crossbar import TileConfig

__all__ = ["convert_to_analog"]


def convert_to_analog(model: nn.Module, config: TileConfig | None = None, seed: int = 0) -> nn.Module:
    """A deep copy of ``model`` in which every ``nn.Linear`` / ``nn.Conv2d`` is an analog layer.

    Weights are programmed onto the devices (clipped to their bounds), biases stay digital. Each converted
    layer gets its own seed derived from ``seed`` in module order. Other modules are copied unchanged.
    Conv2d layers with groups ≠ 1 or non-zero padding modes other than 'zeros' are not supported.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"convert_to_analog: expected an nn.Module, got {type(model).__name__}")
    config = TileConfig() if config is None else config
    model = copy.deepcopy(model)
    targets = [(name, m) for name, m in model.named_modules() if type(m) in (nn.Linear, nn.Conv2d)]
    if isinstance(model, nn.Linear | nn.Conv2d):
        return _convert(model, config, child_seeds(seed, 1)[0])
    seeds = child_seeds(seed, max(len(targets), 1))
    for (name, module), s in zip(targets, seeds):
        parent = model
        *path, last = name.split(".")
        for part in path:
            parent = getattr(parent, part)
        setattr(parent, last, _convert(module, config, s))
    return model


def _convert(module: nn.Module, config: TileConfig, seed: int) -> nn.Module:
    if isinstance(module, nn.Linear):
        new = AnalogLinear(module.in_features, module.out_features, module.bias is not None, config, seed=seed)
    else:
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise InputTypeError(
                f"convert_to_analog: Conv2d with groups={module.groups}, padding={module.padding!r},"
                f" padding_mode={module.padding_mode!r} is not supported (groups=1, numeric zero padding only)"
            )
        new = AnalogConv2d(
            module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
            module.dilation, module.bias is not None, config, seed=seed,
        )
    with torch.no_grad():
        new.set_weights(module.weight.detach().reshape(module.weight.shape[0], -1).float())
        if module.bias is not None:
            new.bias.copy_(module.bias.detach())
    return new
