"""Torch layers whose weights live on analog tiles: ``AnalogLinear``, ``AnalogConv1d/2d/3d`` and
``AnalogConvTranspose1d/2d/3d``.

Forward passes run through the tiles' forward MVM (with its periphery); backward passes compute the input
gradient through the tiles' transpose MVM and keep (x, δ) for the weight update, which
:class:`~neurofab.analog.optim.AnalogSGD` writes through the tiles (pulsed update or any rule installed with
:meth:`AnalogLayer.set_update_rule`). The bias is digital (an ordinary parameter), as in aihwkit's default
mapping. The convolutions unfold their input into patches (im2col) and run the patches through one tile array:
every patch of every image is one MVM and one rank-1 update; a transposed convolution is the convolution of the
zero-inserted input with the flipped kernel (:mod:`neurofab.analog.conv_patches`).

State (``state_dict``): the devices' weights and drawn parameters, the generators of tiles and devices, the
digital bias; a run resumed from a checkpoint continues bit-identically.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from neurofab.analog.conv_patches import patches, transposed_patches, unpatch
from neurofab.core import ConfigError, InputTypeError, Seed, ShapeError
from neurofab.crossbar import TileArray, TileConfig

__all__ = [
    "AnalogConv1d",
    "AnalogConv2d",
    "AnalogConv3d",
    "AnalogConvTranspose1d",
    "AnalogConvTranspose2d",
    "AnalogConvTranspose3d",
    "AnalogHandle",
    "AnalogLayer",
    "AnalogLinear",
]


class _AnalogMVM(torch.autograd.Function):
    """y = tiles(x) forward; grad_x = tilesᵀ(δ) backward, and (x, δ) queued for the analog update."""

    @staticmethod
    def forward(ctx, handle: torch.Tensor, x: torch.Tensor, layer: AnalogLayer) -> torch.Tensor:
        ctx.layer = layer
        ctx.save_for_backward(x)
        with torch.no_grad():
            return layer.tiles(x)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (x,) = ctx.saved_tensors
        layer: AnalogLayer = ctx.layer
        grad_out = grad_out.contiguous()
        grad_x = layer.tiles.backward(grad_out) if ctx.needs_input_grad[1] else None
        if ctx.needs_input_grad[0]:
            layer._queue_update(x.detach(), grad_out.detach())
        grad_handle = torch.zeros_like(layer.analog_handle) if ctx.needs_input_grad[0] else None
        return grad_handle, grad_x, None


class AnalogHandle(nn.Parameter):
    """The empty parameter an optimizer sees for an analog layer; it knows its layer, also through
    ``copy.deepcopy`` (the copy's handle points at the copied layer, so a copied model trains)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> AnalogHandle:
        result = super().__deepcopy__(memo)
        layer = getattr(self, "analog_layer", None)
        if layer is not None:
            result.analog_layer = copy.deepcopy(layer, memo)  # the layer being copied is already in memo
        return result


class AnalogLayer(nn.Module):
    """Common machinery of analog layers: the tile array, the optimizer handle, pending updates."""

    tiles: TileArray

    def _setup(self, out_size: int, in_size: int, config: TileConfig | None, seed: Seed) -> None:
        config = TileConfig() if config is None else config
        if not isinstance(config, TileConfig):
            raise InputTypeError(f"config must be a TileConfig, got {type(config).__name__}")
        self.config = config
        self.tiles = TileArray(out_size, in_size, config, seed=seed)
        # the handle the optimizer sees: empty, its gradient tells that an analog update is pending
        self.analog_handle = AnalogHandle(torch.zeros(0))
        self.analog_handle.analog_layer = self  # type: ignore[attr-defined]
        self._pending: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._pass_id = -1  # the backward pass that queued the last pending pair

    def _queue_update(self, x: torch.Tensor, d: torch.Tensor) -> None:
        """Queue (x, δ) of one backward use of the tiles. Pairs queued by an earlier backward pass whose
        gradient was since cleared (``zero_grad`` without an optimizer step) are dropped first, so the queue
        holds exactly what the handle's gradient stands for: it never grows without bound."""
        pass_id = torch._C._current_graph_task_id()
        if pass_id != self._pass_id and self.analog_handle.grad is None:
            self._pending.clear()
        self._pass_id = pass_id
        self._pending.append((x, d))

    def _mvm(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.tiles.tiles[0].array.w
        if x.device != weights.device:
            raise InputTypeError(f"{type(self).__name__}: input on {x.device} but its tiles on {weights.device}; "
                                 "move the model or the input with .to(device)")
        if torch.is_grad_enabled() and (x.requires_grad or self.analog_handle.requires_grad):
            return _AnalogMVM.apply(self.analog_handle, x, self)
        return self.tiles(x)

    # ----- weights ---------------------------------------------------------------------------------------
    def get_weights(self) -> torch.Tensor:
        """The analog weights as read, shape (out, in) [weight units]."""
        return self.tiles.get_weights()

    def set_weights(self, w: torch.Tensor) -> None:
        """Program the analog weights (clipped to the device bounds)."""
        self.tiles.set_weights(torch.as_tensor(w, dtype=self.tiles.dtype).reshape(self.tiles.out_size, -1))

    def set_update_rule(self, factory) -> None:
        """Install an update rule on every tile: ``factory(tile)`` → rule(tile, x, d, lr) (None: pulsed SGD)."""
        self.tiles.set_update_rule(factory)

    # ----- update ----------------------------------------------------------------------------------------
    def apply_update(self, lr: float) -> None:
        """Write the queued (x, δ) updates through the tiles, in the order the backward passes ran."""
        pending, self._pending = self._pending, []
        for x, d in pending:
            self.tiles.update(x, d, lr)

    def discard_update(self) -> None:
        self._pending = []

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors) -> None:
        self._pending = []
        self._check_checkpoint(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    def _check_checkpoint(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Refuse, before this layer loads anything, a checkpoint whose tiles were saved with another device model, tile
        grid or layer size: loading it (even with ``strict=False``) would leave the tiles half-programmed."""
        mine = {k: v for k, v in self.tiles.state_dict().items() if isinstance(v, torch.Tensor)}
        head = prefix + "tiles."
        theirs = {k[len(head):]: v for k, v in state_dict.items() if k.startswith(head) and isinstance(v, torch.Tensor)}
        if not theirs:
            return
        name = f"{type(self).__name__} {prefix[:-1]!r}" if prefix else type(self).__name__
        advice = ("it was saved with another device model, tile grid or layer size — build the layer with the "
                  "sizes and TileConfig it was trained with")
        if set(theirs) != set(mine):
            only_there, only_here = sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))
            raise ConfigError(f"{name}: the checkpoint's tiles do not match this layer's (only in the checkpoint: "
                              f"{only_there[:4]}{' …' * (len(only_there) > 4)}, only here: {only_here[:4]}"
                              f"{' …' * (len(only_here) > 4)}); {advice}")
        for k, v in mine.items():
            if theirs[k].shape != v.shape:
                raise ConfigError(f"{name}: the checkpoint's tiles.{k} has shape {tuple(theirs[k].shape)}, this "
                                  f"layer's {tuple(v.shape)}; {advice}")


class AnalogLinear(AnalogLayer):
    """y = W x + b with W on analog tiles (split into tiles of at most the config's maximum size)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        config: TileConfig | None = None,
        seed: Seed = 0,
    ) -> None:
        super().__init__()
        self.in_features = _count("AnalogLinear.in_features", in_features)
        self.out_features = _count("AnalogLinear.out_features", out_features)
        self._setup(self.out_features, self.in_features, config, seed)
        self.bias = nn.Parameter(torch.zeros(self.out_features)) if bias else None
        self.reset_parameters(seed)

    def reset_parameters(self, seed: Seed = 0) -> None:
        """nn.Linear's initialisation (uniform ±1/sqrt(in)), drawn from ``seed``, written to the devices."""
        gen = torch.Generator().manual_seed(seed if isinstance(seed, int) else 0)
        bound = 1.0 / math.sqrt(self.in_features)
        w = (torch.rand(self.out_features, self.in_features, generator=gen) * 2 - 1) * bound
        self.set_weights(w)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.copy_((torch.rand(self.out_features, generator=gen) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_features:
            raise ShapeError(f"AnalogLinear: expected {self.in_features} input features, got shape {tuple(x.shape)}")
        lead = x.shape[:-1]
        y = self._mvm(x.reshape(-1, self.in_features))
        y = y.reshape(*lead, self.out_features)
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _count(name: str, v: Any, minimum: int = 1) -> int:
    """An integer size/stride argument, checked (no silent truncation of 8.7 to 8, no bools)."""
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise ConfigError(f"{name} = {v!r}: must be an integer >= {minimum}")
    n = v.__index__()
    if n < minimum:
        raise ConfigError(f"{name} = {v!r}: must be an integer >= {minimum}")
    return n


def _tuple(v: Any, d: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """An integer or a d-tuple of integers, each checked (``_count``)."""
    t = (v,) * d if not isinstance(v, tuple | list) else tuple(v)
    if len(t) != d:
        raise ConfigError(f"{name} = {v!r}: must be an integer or a tuple of {d} integers")
    return tuple(_count(name, e, minimum) for e in t)


class _AnalogConvNd(AnalogLayer):
    """A d-dimensional convolution (or transposed convolution) with its (C_out × C_in·Πk) kernel matrix on analog
    tiles; every patch of every input is one MVM and, in training, one rank-1 update (im2col,
    :mod:`neurofab.analog.conv_patches`). Only groups = 1 and zero padding, as on one stored weight matrix."""

    dims = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        bias: bool = True,
        config: TileConfig | None = None,
        seed: Seed = 0,
        output_padding: Any = 0,
    ) -> None:
        super().__init__()
        name, d = type(self).__name__, self.dims
        self.in_channels = _count(f"{name}.in_channels", in_channels)
        self.out_channels = _count(f"{name}.out_channels", out_channels)
        self.kernel_size = _tuple(kernel_size, d, f"{name}.kernel_size")
        self.stride = _tuple(stride, d, f"{name}.stride")
        if isinstance(padding, str):
            raise ConfigError(f"{name}.padding = {padding!r}: only numeric zero padding maps onto one weight matrix")
        self.padding = _tuple(padding, d, f"{name}.padding", minimum=0)
        self.dilation = _tuple(dilation, d, f"{name}.dilation")
        self.output_padding = _tuple(output_padding, d, f"{name}.output_padding", minimum=0)
        if not self.transposed and any(self.output_padding):
            raise ConfigError(f"{name}.output_padding = {output_padding!r}: only transposed convolutions have one")
        for a, s, dl in zip(self.output_padding, self.stride, self.dilation):
            if a >= s and a >= dl:
                raise ConfigError(f"{name}.output_padding = {self.output_padding}: must be smaller than the stride "
                                  "or the dilation")
        self.fan_in = self.in_channels * math.prod(self.kernel_size)
        self._setup(self.out_channels, self.fan_in, config, seed)
        self.bias = nn.Parameter(torch.zeros(self.out_channels)) if bias else None
        self.reset_parameters(seed)

    def reset_parameters(self, seed: Seed = 0) -> None:
        """torch's convolution initialisation (uniform ±1/sqrt(fan_in) of the torch weight), drawn from ``seed``."""
        gen = torch.Generator().manual_seed(seed if isinstance(seed, int) else 0)
        torch_fan_in = (self.out_channels if self.transposed else self.in_channels) * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(torch_fan_in)
        self.set_weights((torch.rand(self.out_channels, self.fan_in, generator=gen) * 2 - 1) * bound)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.copy_((torch.rand(self.out_channels, generator=gen) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != self.dims + 2 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ShapeError(f"{type(self).__name__}: expected (N, {self.in_channels}, …) with {self.dims} spatial "
                             f"dimension(s), got {shape}")
        if self.transposed:
            rows, out = transposed_patches(x, self.kernel_size, self.stride, self.padding, self.output_padding,
                                           self.dilation)
        else:
            rows, out = patches(x, self.kernel_size, self.stride, self.padding, self.dilation)
        y = unpatch(self._mvm(rows), x.shape[0], out)
        return y + self.bias.view(1, -1, *(1,) * self.dims) if self.bias is not None else y

    def torch_weight(self) -> torch.Tensor:
        """The analog weights in torch's layout: (C_out, C_in, *k), or (C_in, C_out, *k) when transposed."""
        w = self.get_weights()
        if not self.transposed:
            return w.reshape(self.out_channels, self.in_channels, *self.kernel_size)
        w = w.reshape(self.out_channels, self.in_channels, *self.kernel_size)
        return w.flip(tuple(range(2, w.ndim))).transpose(0, 1)

    def extra_repr(self) -> str:
        extra = f", output_padding={self.output_padding}" if self.transposed else ""
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride},"
            f" padding={self.padding}, dilation={self.dilation}{extra}, bias={self.bias is not None}"
        )


class AnalogConv1d(_AnalogConvNd):
    """1-d convolution with its (out, in·k) kernel matrix on analog tiles."""

    dims = 1


class AnalogConv2d(_AnalogConvNd):
    """2-d convolution with its (out, in·kh·kw) kernel matrix on analog tiles; patches unfolded onto the tiles."""

    dims = 2


class AnalogConv3d(_AnalogConvNd):
    """3-d convolution with its (out, in·kd·kh·kw) kernel matrix on analog tiles."""

    dims = 3


class _AnalogConvTransposeNd(_AnalogConvNd):
    """Transposed convolution: the tile holds the flipped, channel-swapped kernel (C_out × C_in·Πk) and sees the
    zero-inserted, padded input's patches (:func:`~neurofab.analog.conv_patches.transposed_patches`)."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        bias: bool = True,
        dilation: Any = 1,
        config: TileConfig | None = None,
        seed: Seed = 0,
    ) -> None:  # torch's argument order (output_padding before bias, dilation after)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias, config, seed,
                         output_padding=output_padding)


class AnalogConvTranspose1d(_AnalogConvTransposeNd):
    """1-d transposed convolution on analog tiles."""

    dims = 1


class AnalogConvTranspose2d(_AnalogConvTransposeNd):
    """2-d transposed convolution on analog tiles."""

    dims = 2


class AnalogConvTranspose3d(_AnalogConvTransposeNd):
    """3-d transposed convolution on analog tiles."""

    dims = 3
