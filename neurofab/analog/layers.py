"""Torch layers whose weights live on analog tiles: ``AnalogLinear`` and ``AnalogConv2d``.

Forward passes run through the tiles' forward MVM (with its periphery); backward passes compute the input
gradient through the tiles' transpose MVM and keep (x, δ) for the weight update, which
:class:`~neurofab.analog.optim.AnalogSGD` writes through the tiles (pulsed update or any rule installed with
:meth:`AnalogLayer.set_update_rule`). The bias is digital (an ordinary parameter), as in aihwkit's default
mapping. ``AnalogConv2d`` unfolds its input into patches (im2col) and runs the patches through one tile array:
every patch of every image is one MVM and one rank-1 update.

State (``state_dict``): the devices' weights and drawn parameters, the generators of tiles and devices, the
digital bias; a run resumed from a checkpoint continues bit-identically.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import ConfigError, InputTypeError, Seed, ShapeError
from neurofab.crossbar import TileArray, TileConfig

__all__ = ["AnalogConv2d", "AnalogHandle", "AnalogLayer", "AnalogLinear"]


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

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        self._pending = []
        super()._load_from_state_dict(*args, **kwargs)


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


def _pair(v: int | tuple[int, int], name: str = "size", minimum: int = 1) -> tuple[int, int]:
    pair = (v, v) if not isinstance(v, tuple | list) else tuple(v)
    if len(pair) != 2:
        raise ConfigError(f"{name} = {v!r}: must be an integer or a pair of integers")
    return _count(name, pair[0], minimum), _count(name, pair[1], minimum)


class AnalogConv2d(AnalogLayer):
    """2-d convolution with its (out, in·kh·kw) kernel matrix on analog tiles; patches unfolded onto the tiles."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        config: TileConfig | None = None,
        seed: Seed = 0,
    ) -> None:
        super().__init__()
        self.in_channels = _count("AnalogConv2d.in_channels", in_channels)
        self.out_channels = _count("AnalogConv2d.out_channels", out_channels)
        self.kernel_size = _pair(kernel_size, "AnalogConv2d.kernel_size")
        self.stride = _pair(stride, "AnalogConv2d.stride")
        self.padding = _pair(padding, "AnalogConv2d.padding", minimum=0)
        self.dilation = _pair(dilation, "AnalogConv2d.dilation")
        self.fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        self._setup(self.out_channels, self.fan_in, config, seed)
        self.bias = nn.Parameter(torch.zeros(self.out_channels)) if bias else None
        self.reset_parameters(seed)

    def reset_parameters(self, seed: Seed = 0) -> None:
        """nn.Conv2d's initialisation (uniform ±1/sqrt(fan_in)), drawn from ``seed``."""
        gen = torch.Generator().manual_seed(seed if isinstance(seed, int) else 0)
        bound = 1.0 / math.sqrt(self.fan_in)
        self.set_weights((torch.rand(self.out_channels, self.fan_in, generator=gen) * 2 - 1) * bound)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.copy_((torch.rand(self.out_channels, generator=gen) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ShapeError(f"AnalogConv2d: expected (N, {self.in_channels}, H, W), got shape {tuple(x.shape)}")
        n, _, h, w = x.shape
        kh, kw = self.kernel_size
        h_out = (h + 2 * self.padding[0] - self.dilation[0] * (kh - 1) - 1) // self.stride[0] + 1
        w_out = (w + 2 * self.padding[1] - self.dilation[1] * (kw - 1) - 1) // self.stride[1] + 1
        if h_out <= 0 or w_out <= 0:
            raise ShapeError(f"AnalogConv2d: input {h}×{w} is smaller than the kernel {kh}×{kw}")
        cols = F.unfold(x, self.kernel_size, dilation=self.dilation, padding=self.padding, stride=self.stride)
        patches = cols.transpose(1, 2).reshape(-1, self.fan_in)
        y = self._mvm(patches).reshape(n, h_out * w_out, self.out_channels).transpose(1, 2)
        y = y.reshape(n, self.out_channels, h_out, w_out)
        return y + self.bias.view(1, -1, 1, 1) if self.bias is not None else y

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride},"
            f" padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}"
        )
