"""Event-driven 2-D convolution on small feature maps: the convolution as the linear map it is, applied from the
input's nonzeros.

A convolution (any stride, zero padding, dilation, groups) maps one sample's input of
K = C·H·W values linearly to its N = O·H'·W' outputs: y = A x + b with a fixed N × K matrix A whose column k is the
convolution (without bias) of the k-th unit image, and b the bias repeated over the output pixels. Each entry of A
is one weight or zero: :func:`map_index` finds once per geometry which weight sits where, and A is then gathered
from the weight at each call (exact). On the small maps of a spiking convolutional network (4 × 4 after two
poolings of the 8 × 8 digits, …) A is small (Conv2d(12, 32, 3, padding=1) on 4 × 4 maps: 512 × 192), and the input
is spikes (a few per cent nonzero): the event-driven product of :mod:`neurofab.spiking.event_linear` then visits
only the input events, forward (row r of the output = b + Σ_{k: x_rk ≠ 0} x_rk A_{:,k}) and for the gradient of A
(Σ_r (∂L/∂y_r) ⊗ x_r, summed into ∂L/∂W over the entries that hold each weight), with no im2col and the output
written directly in the (O, H', W') order. ∂L/∂x, when the input requires it, is torch's dense transposed
convolution.

The sums are those of the convolution, added in another order (with additions of exact zeros where A has none):
the results agree with ``nn.Conv2d`` to float rounding.

:func:`event_conv2d` returns ``None`` where it does not apply — another device or dtype, an unrolled map of more
than :data:`MAX_UNROLLED` entries, fewer than :data:`~neurofab.spiking.event_linear.MIN_OUTPUTS` outputs per sample,
or a density of nonzero inputs above :func:`max_density` (where the dense convolution is faster) — and the caller
then runs the module itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import kernel_threads
from neurofab.spiking import train_kernels as kern
from neurofab.spiking.event_linear import MAX_DENSITY, MIN_OUTPUTS, find_events

__all__ = ["MAX_UNROLLED", "event_conv2d", "map_index", "max_density", "unrolled_map"]

MAX_UNROLLED = 1 << 20  #: largest unrolled map A (entries, K·N) taken; larger convolutions run dense

_INDEX_CACHE: dict[tuple, tuple[torch.Tensor, tuple[int, int, int]]] = {}


def map_index(conv: nn.Conv2d, sample: tuple[int, int, int]) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """For each entry of Aᵀ (K, N) the position of its weight in ``conv.weight.flatten()``, or ``weight.numel()``
    where input k does not reach output n, and the output shape (O, H', W') of one sample (found once per geometry
    by convolving the unit images with the weights numbered 1, 2, … in float64, exact; each input-output pair is
    joined by at most one weight)."""
    w = conv.weight
    key = (tuple(w.shape), tuple(conv.stride), tuple(conv.padding) if not isinstance(conv.padding, str)
           else conv.padding, tuple(conv.dilation), conv.groups, conv.padding_mode, sample)
    if key not in _INDEX_CACHE:
        k = sample[0] * sample[1] * sample[2]
        numbered = torch.arange(1, w.numel() + 1, dtype=torch.float64).reshape(w.shape)
        basis = torch.eye(k, dtype=torch.float64).reshape(k, *sample)
        with torch.no_grad():
            out = conv._conv_forward(basis, numbered, None)
        pos = out.reshape(k, -1).round().long() - 1
        _INDEX_CACHE[key] = (torch.where(pos < 0, w.numel(), pos).contiguous(), tuple(out.shape[1:]))
    return _INDEX_CACHE[key]


def unrolled_map(conv: nn.Conv2d, sample: tuple[int, int, int]) -> torch.Tensor:
    """The matrix A (N, K) of ``conv`` without its bias on samples of shape ``sample`` = (C, H, W): A x is the
    convolution of a flattened sample x (K = C·H·W) flattened (N = O·H'·W'). Differentiable in the weight."""
    w = conv.weight.reshape(-1)
    index = map_index(conv, sample)[0]
    return torch.cat([w, w.new_zeros(1)])[index.reshape(-1)].reshape(index.shape).t()


def max_density(conv: nn.Conv2d, sample: tuple[int, int, int]) -> float:
    """The density of nonzero inputs below which the event-driven convolution is taken: the event product costs
    ∝ nonzeros × N, the dense convolution ∝ samples × N × (C/groups)·kh·kw, so the event product's density limit for a
    linear layer (:data:`~neurofab.spiking.event_linear.MAX_DENSITY`, K inputs per output) scales by
    (C/groups)·kh·kw / K = kh·kw / (groups·H·W)."""
    kh, kw = conv.kernel_size
    return min(MAX_DENSITY, MAX_DENSITY * kh * kw / (conv.groups * sample[1] * sample[2]))


def _conv_applies(conv: nn.Module, x: torch.Tensor) -> bool:
    if type(conv) is not nn.Conv2d or conv._forward_hooks or conv._forward_pre_hooks:
        return False
    w = conv.weight
    return (x.dim() == 5 and x.device.type == "cpu" and w.device.type == "cpu" and w.dtype == x.dtype
            and x.dtype in (torch.float32, torch.float64) and x.shape[2] == w.shape[1] * conv.groups
            and conv.padding_mode == "zeros")  # other modes repeat pixels: one input may meet a weight twice


class _EventConv(torch.autograd.Function):
    """y = A x + b over the events of x; ∂L/∂x by torch's transposed convolution, ∂L/∂W by summing ∂L/∂A (from the
    events) over the entries that hold each weight."""

    @staticmethod
    def forward(ctx, x, weight, bias, conv, sample, out_shape, events):
        index = map_index(conv, sample)[0]  # (K, N)
        w = weight.detach().reshape(-1)
        a_t = torch.cat([w, w.new_zeros(1)]).index_select(0, index.reshape(-1)).reshape(index.shape)
        n = a_t.shape[1]
        b = (bias.detach().repeat_interleave(out_shape[1] * out_shape[2]) if bias is not None
             else torch.zeros(n, dtype=x.dtype))
        out = torch.empty(x.shape[0] * x.shape[1], n, dtype=x.dtype)
        kern.event_matmul(*events, a_t.numpy(), b.numpy(), out.numpy())
        ctx.events, ctx.conv_args = events, (conv.stride, conv.padding, conv.dilation, conv.groups)
        ctx.sample, ctx.out_shape, ctx.index, ctx.has_bias = sample, out_shape, index, bias is not None
        ctx.save_for_backward(x, weight)
        return out.reshape(x.shape[0], x.shape[1], *out_shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = grad_out.reshape(x.shape[0] * x.shape[1], -1).contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            stride, padding, dilation, groups = ctx.conv_args
            g4 = g.reshape(-1, *ctx.out_shape)
            shape = (g4.shape[0], *ctx.sample)
            if not isinstance(padding, str) and tuple(stride) == (1, 1):
                grad_x = F.conv_transpose2d(g4, weight.detach(), None, 1, padding, 0, groups, dilation)
            elif not isinstance(padding, str):
                grad_x = torch.nn.grad.conv2d_input(shape, weight.detach(), g4, stride, padding, dilation, groups)
            else:  # padding "same"/"valid": the dense transposed product with A
                w_all = torch.cat([weight.detach().reshape(-1), weight.new_zeros(1)])
                grad_x = g @ w_all.index_select(0, ctx.index.reshape(-1)).reshape(ctx.index.shape).t()
            grad_x = grad_x.reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_a_t = torch.empty(ctx.index.shape, dtype=g.dtype)
            kern.event_weight_grad(*ctx.events, g.numpy(), kernel_threads(), grad_a_t.numpy())
            grad_w = torch.zeros(weight.numel() + 1, dtype=g.dtype)
            grad_w.index_add_(0, ctx.index.reshape(-1), grad_a_t.reshape(-1))
            grad_w = grad_w[:-1].reshape(weight.shape)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum(0).reshape(ctx.out_shape[0], -1).sum(1)
        return grad_x, grad_w, grad_b, None, None, None, None


def event_conv2d(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor | None:
    """``conv`` applied to every step of ``x`` (T, batch, C, H, W) from the input events: (T, batch, O, H', W'), or
    ``None`` when the event-driven convolution does not apply (the module docstring) and the caller should run
    ``conv`` itself. Gradients reach ``x``, the weight and the bias."""
    if not _conv_applies(conv, x):
        return None
    sample = (x.shape[2], x.shape[3], x.shape[4])
    k = sample[0] * sample[1] * sample[2]
    pad = conv.kernel_size if isinstance(conv.padding, str) else conv.padding
    bound = conv.out_channels * (sample[1] + 2 * pad[0]) * (sample[2] + 2 * pad[1])  # ≥ N (stride ≥ 1)
    if k * max(k, bound) > MAX_UNROLLED:  # the map (and the unit images that find it) would be too large
        return None
    out_shape = map_index(conv, sample)[1]
    if out_shape[0] * out_shape[1] * out_shape[2] < MIN_OUTPUTS:
        return None
    flat = x.reshape(x.shape[0], x.shape[1], k)
    events = find_events(flat, max_density=max_density(conv, sample))
    if events is None:
        return None
    return _EventConv.apply(flat, conv.weight, conv.bias, conv, sample, tuple(out_shape), events)
