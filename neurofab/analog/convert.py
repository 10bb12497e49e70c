"""convert_to_analog / convert_to_inference: a copy of a model with every layer that has a weight matrix moved onto
tiles, and a report of what was converted and what stayed digital.

What maps where (training layer · inference layer):

- ``nn.Linear`` (and subclasses) → :class:`AnalogLinear` · :class:`InferenceLinear`;
- ``nn.Conv1d/2d/3d`` → :class:`AnalogConv1d/2d/3d` · :class:`InferenceConv` (patches through one tile);
- ``nn.ConvTranspose1d/2d/3d`` → :class:`AnalogConvTranspose1d/2d/3d` · :class:`InferenceConv` (transposed);
- ``nn.RNN/LSTM/GRU`` → :class:`AnalogRNN/LSTM/GRU` · :class:`InferenceRNN/LSTM/GRU` (W_ih, W_hh per layer and
  direction on tiles);
- ``nn.MultiheadAttention`` → :class:`AnalogMultiheadAttention` · :class:`InferenceMultiheadAttention` (q, k, v and
  output projections on tiles).

:func:`convert_to_digital` goes back: every analog or inference layer becomes its torch layer holding the weights
a read sees now (analog) or the reference weights (inference), e.g. to deploy an analog-trained model on inference
tiles (``convert_to_inference(convert_to_digital(trained))``).

Normalisation and lookup tables stay digital by design (as in aihwkit). Layers with a weight matrix that cannot
map (bilinear, grouped or non-zero-padded convolutions, LSTM projections, attention with add_bias_kv, other
recurrent kinds) raise :class:`ConfigError` naming each and why, unless ``unsupported="digital"`` leaves them
digital on purpose; the report lists them either way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import torch
from torch import nn

from neurofab.analog.conv_patches import transposed_matrix
from neurofab.analog.inference import ConversionReport, InferenceConfig, InferenceConv, InferenceLinear
from neurofab.analog.layers import (
    AnalogConv1d,
    AnalogConv2d,
    AnalogConv3d,
    AnalogConvTranspose1d,
    AnalogConvTranspose2d,
    AnalogConvTranspose3d,
    AnalogLinear,
    _AnalogConvNd,
)
from neurofab.analog.multihead import _Multihead, attention_from_torch
from neurofab.analog.recurrent import _Recurrent, recurrent_from_torch
from neurofab.core import ConfigError, InputTypeError, child_seeds
from neurofab.crossbar import TileConfig

__all__ = ["convert_to_analog", "convert_to_digital", "convert_to_inference_model", "unsupported_reason"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
#: layers converted whole (their inner linear layers are part of the conversion, not converted again)
_COMPOSITE = (nn.RNNBase, nn.MultiheadAttention)
#: layers with a weight matrix: converted when :func:`unsupported_reason` has nothing against them
_MATRIX = (nn.Linear, *_CONV, *_CONV_T, *_COMPOSITE, nn.Bilinear)
#: layers that stay digital by design (as in aihwkit): normalisation and lookup tables
DIGITAL_BY_DESIGN = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.Embedding, nn.EmbeddingBag)


def unsupported_reason(module: nn.Module) -> str | None:
    """Why a layer with a weight matrix has no tile mapping (None: it has one)."""
    if isinstance(module, nn.Bilinear):
        return "a bilinear form x₁ᵀ A x₂ is not a matrix-vector product"
    if isinstance(module, _CONV + _CONV_T):
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            return (f"groups={module.groups}, padding={module.padding!r}, padding_mode={module.padding_mode!r}: "
                    "only groups=1 and numeric zero padding map onto one weight matrix")
    if isinstance(module, nn.RNNBase):
        if not isinstance(module, nn.RNN | nn.LSTM | nn.GRU):
            return "only nn.RNN, nn.LSTM and nn.GRU have recurrent tile layers"
        if getattr(module, "proj_size", 0):
            return f"proj_size={module.proj_size}: LSTM projections are not supported"
    if isinstance(module, nn.MultiheadAttention) and (module.bias_k is not None or module.add_zero_attn):
        return "add_bias_kv / add_zero_attn have no tile mapping"
    return None


def _walk(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """(name, module) in module order, not descending into layers converted whole."""
    for name, child in module.named_children():
        full = f"{prefix}.{name}" if prefix else name
        yield full, child
        if not isinstance(child, _COMPOSITE):
            yield from _walk(child, full)


def _convert_model(model: nn.Module, make: Callable[[nn.Module, int], nn.Module], seed: int, unsupported: str,
                   verb: str) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"{verb}: expected an nn.Module, got {type(model).__name__}")
    if unsupported not in ("error", "digital"):
        raise ConfigError(f"{verb}: unsupported = {unsupported!r}: must be 'error' or 'digital'")
    entries = [("", model)] if isinstance(model, _MATRIX) else list(_walk(model))
    blocked = {name or type(model).__name__: why for name, m in entries
               if isinstance(m, _MATRIX) and (why := unsupported_reason(m)) is not None}
    if blocked and unsupported == "error":
        listed = "; ".join(f"{n}: {why}" for n, why in blocked.items())
        raise ConfigError(f"{verb}: no tile mapping for {listed} — pass unsupported='digital' to leave them digital")
    report = ConversionReport([], [], list(blocked))
    if isinstance(model, _MATRIX):
        if blocked:
            new = copy.deepcopy(model)
        else:
            new = _placed_like(make(model, child_seeds(seed, 1)[0]), model)
            report.converted.append(type(model).__name__)
        new.conversion_report = report  # type: ignore[assignment]
        return new
    model = copy.deepcopy(model)
    targets = []
    for name, m in _walk(model):
        if isinstance(m, _MATRIX) and name not in blocked:
            targets.append((name, m))
        elif isinstance(m, DIGITAL_BY_DESIGN):
            report.digital_by_design.append(name)
    for (name, module), s in zip(targets, child_seeds(seed, max(len(targets), 1))):
        parent = model
        *path, last = name.split(".")
        for part in path:
            parent = getattr(parent, part)
        setattr(parent, last, _placed_like(make(module, s), module))
        report.converted.append(name)
    model.conversion_report = report  # type: ignore[assignment]
    return model


def _placed_like(new: nn.Module, old: nn.Module) -> nn.Module:
    """``new`` on the device and in the floating dtype of ``old``'s parameters (the copy runs where the source did)."""
    p = next(old.parameters(), None)
    if p is None:
        return new
    return new.to(device=p.device, dtype=p.dtype) if p.dtype.is_floating_point else new.to(p.device)


def convert_to_analog(model: nn.Module, config: TileConfig | None = None, seed: int = 0,
                      unsupported: str = "error") -> nn.Module:
    """A deep copy of ``model`` with every layer that has a weight matrix on analog training tiles (module
    docstring for the mapping). Weights are programmed onto the devices (clipped to their bounds), biases stay
    digital; each converted layer gets its own seed derived from ``seed`` in module order. The copy's
    ``conversion_report`` lists what went where."""
    config = TileConfig() if config is None else config
    if not isinstance(config, TileConfig):
        raise InputTypeError(f"convert_to_analog: config must be a TileConfig, got {type(config).__name__}")

    def make(module: nn.Module, s: int) -> nn.Module:
        return _to_analog(module, config, s)

    return _convert_model(model, make, seed, unsupported, "convert_to_analog")


def convert_to_inference_model(model: nn.Module, config: InferenceConfig | None = None, seed: int = 0,
                               unsupported: str = "error") -> nn.Module:
    """:func:`~neurofab.analog.inference.convert_to_inference`: every layer with a weight matrix on inference
    tiles (module docstring for the mapping)."""
    config = InferenceConfig() if config is None else config
    if not isinstance(config, InferenceConfig):
        raise InputTypeError(f"convert_to_inference: config must be an InferenceConfig, got {type(config).__name__}")

    def make(module: nn.Module, s: int) -> nn.Module:
        return _to_inference(module, config, s)

    return _convert_model(model, make, seed, unsupported, "convert_to_inference")


def _to_analog(module: nn.Module, config: TileConfig, seed: int) -> nn.Module:
    if isinstance(module, nn.RNNBase):
        return recurrent_from_torch(module, config, seed)
    if isinstance(module, nn.MultiheadAttention):
        return attention_from_torch(module, config, seed)
    if isinstance(module, nn.Linear):
        new = AnalogLinear(module.in_features, module.out_features, module.bias is not None, config, seed=seed)
        matrix = module.weight
    elif isinstance(module, _CONV_T):
        cls = (AnalogConvTranspose1d, AnalogConvTranspose2d, AnalogConvTranspose3d)[_CONV_T.index(type(module))]
        new = cls(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                  module.output_padding, module.bias is not None, module.dilation, config, seed=seed)
        matrix = transposed_matrix(module.weight.detach())
    else:
        cls = (AnalogConv1d, AnalogConv2d, AnalogConv3d)[module.weight.ndim - 3]
        new = cls(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                  module.dilation, module.bias is not None, config, seed=seed)
        matrix = module.weight
    with torch.no_grad():
        new.set_weights(matrix.detach().reshape(matrix.shape[0], -1).float())
        if module.bias is not None:
            new.bias.copy_(module.bias.detach())
    return new


def _to_inference(module: nn.Module, config: InferenceConfig, seed: int) -> nn.Module:
    if isinstance(module, nn.RNNBase):
        return recurrent_from_torch(module, config, seed, inference=True)
    if isinstance(module, nn.MultiheadAttention):
        return attention_from_torch(module, config, seed, inference=True)
    if isinstance(module, _CONV + _CONV_T):
        return InferenceConv(module, config, seed=seed)
    new = InferenceLinear(module.in_features, module.out_features, module.bias is not None, config, seed=seed)
    with torch.no_grad():
        new.weight.copy_(module.weight.detach())
        if module.bias is not None:
            new.bias.copy_(module.bias.detach())
    return new


def _linear_weights(lin: nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(W, b) of an analog or inference linear layer as a digital layer computing the same map would hold them
    (an inference layer's learned output scale and offset folded in; its input range clipping is not kept)."""
    if isinstance(lin, AnalogLinear):
        return lin.get_weights().detach(), None if lin.bias is None else lin.bias.detach()
    w = lin.weight.detach()
    b = None if lin.bias is None else lin.bias.detach()
    if getattr(lin, "out_scale", None) is not None:
        w = w * lin.out_scale.detach()[:, None]
        b = lin.out_offset.detach() + (0 if b is None else b)
    return w, b


def _to_digital(module: nn.Module) -> nn.Module | None:
    """The torch layer equivalent to an analog or inference layer (None: not one)."""
    if not isinstance(module, AnalogLinear | InferenceLinear | _AnalogConvNd | InferenceConv | _Recurrent | _Multihead):
        return None
    first = next(module.parameters(), None)
    dev = dict(device=first.device, dtype=first.dtype) if first is not None else {}
    if isinstance(module, AnalogLinear | InferenceLinear):
        w, b = _linear_weights(module)
        new = nn.Linear(module.in_features, module.out_features, b is not None)
    elif isinstance(module, _AnalogConvNd | InferenceConv):
        d, transposed = module.dims, module.transposed
        kwargs = dict(stride=module.stride, padding=module.padding, dilation=module.dilation)
        if transposed:
            cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[d - 1]
            kwargs["output_padding"] = module.output_padding
        else:
            cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[d - 1]
        if isinstance(module, InferenceConv):
            matrix, b = _linear_weights(module.linear)
        else:
            matrix, b = module.get_weights().detach(), None if module.bias is None else module.bias.detach()
        new = cls(module.in_channels, module.out_channels, module.kernel_size, bias=b is not None, **kwargs)
        w = matrix.reshape(module.out_channels, module.in_channels, *module.kernel_size)
        if transposed:
            w = w.flip(tuple(range(2, w.ndim))).transpose(0, 1)
    elif isinstance(module, _Recurrent):
        kind = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(module.mode, nn.RNN)
        extra = {"nonlinearity": module.nonlinearity} if kind is nn.RNN else {}
        new = kind(module.input_size, module.hidden_size, module.num_layers, bias=module.bias,
                   batch_first=module.batch_first, dropout=module.dropout, bidirectional=module.bidirectional,
                   **extra)
        with torch.no_grad():
            for layer in range(module.num_layers):
                for direction in range(module.num_directions):
                    sfx = f"l{layer}" + ("_reverse" if direction else "")
                    cell = module.cell(layer, direction)
                    for part in ("ih", "hh"):
                        w, b = _linear_weights(getattr(cell, part))
                        getattr(new, f"weight_{part}_{sfx}").copy_(w)
                        if b is not None:
                            getattr(new, f"bias_{part}_{sfx}").copy_(b)
        return new.to(**dev)
    else:  # multi-head attention
        parts = [_linear_weights(p) for p in (module.q_proj, module.k_proj, module.v_proj, module.out_proj)]
        bias = parts[0][1] is not None
        new = nn.MultiheadAttention(module.embed_dim, module.num_heads, module.dropout, bias, kdim=module.kdim,
                                    vdim=module.vdim, batch_first=module.batch_first)
        with torch.no_grad():
            if new._qkv_same_embed_dim:
                new.in_proj_weight.copy_(torch.cat([w for w, _ in parts[:3]]))
            else:
                for name, (w, _) in zip(("q_proj_weight", "k_proj_weight", "v_proj_weight"), parts[:3]):
                    getattr(new, name).copy_(w)
            if bias:
                new.in_proj_bias.copy_(torch.cat([b for _, b in parts[:3]]))
                new.out_proj.bias.copy_(parts[3][1])
            new.out_proj.weight.copy_(parts[3][0])
        return new.to(**dev)
    with torch.no_grad():
        new.weight.copy_(w)
        if b is not None:
            new.bias.copy_(b)
    return new.to(**dev)


def convert_to_digital(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every analog and inference layer replaced by its torch layer (module docstring);
    everything else (normalisation, activations, digital layers) copied as it is."""
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"convert_to_digital: expected an nn.Module, got {type(model).__name__}")
    top = _to_digital(model)
    if top is not None:
        return top
    model = copy.deepcopy(model)
    swaps = []

    def visit(module: nn.Module, prefix: str) -> None:
        for name, child in module.named_children():
            new = _to_digital(child)
            if new is not None:
                swaps.append((module, name, new))
            else:
                visit(child, f"{prefix}{name}.")

    visit(model, "")
    for parent, name, new in swaps:
        setattr(parent, name, new)
    if hasattr(model, "conversion_report"):
        del model.conversion_report
    return model
