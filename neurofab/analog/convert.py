"""convert_to_analog: a copy of a model with its nn.Linear and nn.Conv2d layers moved onto analog tiles, and a report
of what was converted and what stayed digital."""

from __future__ import annotations

import copy

import torch
from torch import nn

from neurofab.analog.layers import AnalogConv2d, AnalogLinear
from neurofab.core import ConfigError, InputTypeError, child_seeds
from neurofab.crossbar import TileConfig

__all__ = ["convert_to_analog"]


#: layers with a weight matrix that have no analog training layer yet: refused unless left digital on purpose
UNSUPPORTED = (nn.RNNBase, nn.MultiheadAttention, nn.Bilinear, nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d,
               nn.ConvTranspose2d, nn.ConvTranspose3d)
#: layers that stay digital by design (as in aihwkit): normalisation and lookup tables
DIGITAL_BY_DESIGN = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.Embedding, nn.EmbeddingBag)


def convert_to_analog(model: nn.Module, config: TileConfig | None = None, seed: int = 0,
                      unsupported: str = "error") -> nn.Module:
    """A deep copy of ``model`` in which every ``nn.Linear`` (and subclass) and ``nn.Conv2d`` is an analog layer.

    Weights are programmed onto the devices (clipped to their bounds), biases stay digital. Each converted
    layer gets its own seed derived from ``seed`` in module order. Layers with a weight matrix and no analog
    training layer (recurrent layers, attention's fused projections, 1-d/3-d and transposed convolutions,
    bilinear) raise :class:`ConfigError` naming them, unless ``unsupported="digital"`` leaves them digital on
    purpose; normalisation and embeddings stay digital by design. The copy's ``conversion_report`` lists what
    went where. Conv2d layers with groups ≠ 1 or padding modes other than 'zeros' are refused.
    """
    from neurofab.analog.inference import ConversionReport

    if not isinstance(model, nn.Module):
        raise InputTypeError(f"convert_to_analog: expected an nn.Module, got {type(model).__name__}")
    if unsupported not in ("error", "digital"):
        raise ConfigError(f"convert_to_analog: unsupported = {unsupported!r}: must be 'error' or 'digital'")
    config = TileConfig() if config is None else config
    if isinstance(model, nn.Linear | nn.Conv2d):
        new = _convert(copy.deepcopy(model), config, child_seeds(seed, 1)[0])
        new.conversion_report = ConversionReport([type(model).__name__], [], [])
        return new
    blocked = [name or type(model).__name__ for name, m in model.named_modules() if isinstance(m, UNSUPPORTED)]
    if blocked and unsupported == "error":
        raise ConfigError(f"convert_to_analog: {blocked} have weight matrices with no analog layer; pass "
                          "unsupported='digital' to leave them digital")
    model = copy.deepcopy(model)
    report = ConversionReport([], [], blocked)
    inside = {id(c) for m in model.modules() if isinstance(m, UNSUPPORTED) for c in m.modules()}
    targets = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear | nn.Conv2d) and id(m) not in inside:
            targets.append((name, m))
        elif isinstance(m, DIGITAL_BY_DESIGN):
            report.digital_by_design.append(name)
    seeds = child_seeds(seed, max(len(targets), 1))
    for (name, module), s in zip(targets, seeds):
        parent = model
        *path, last = name.split(".")
        for part in path:
            parent = getattr(parent, part)
        setattr(parent, last, _convert(module, config, s))
        report.converted.append(name)
    model.conversion_report = report
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
