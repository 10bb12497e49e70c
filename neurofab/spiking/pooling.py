"""2 × 2 max-pooling (stride 2) compiled: the values, the gradient routing and the tie rule of ``nn.MaxPool2d(2)``
at a fraction of its cost on the small feature maps of spiking convolutional networks.

With the four entries of a window in row-major order, a₀ a₁ / a₂ a₃, the output is y = max(a₀, a₁, a₂, a₃) and the
gradient goes to one entry only, the first (row-major) that attains the maximum — the entry ``max_pool2d``'s
index names (its CPU kernel replaces the running maximum only on a strictly greater value; a tie keeps the earlier
entry, which matters for maps with equal values, e.g. a convolution's bias over empty input). The index
k ∈ {0, 1, 2, 3} is kept as one byte per output (``max_pool2d_with_indices`` keeps eight) and the backward writes
∂L/∂a_k = [k = index] ∂L/∂y into every entry of the input gradient in one pass (no zero fill, no scatter; the
selection by a bit mask on the gradient's bit pattern, so that the copy is exact and the others are +0). A
maximum rounds nothing, so a network using it gives the same numbers as with ``nn.MaxPool2d(2)`` (NaN inputs
aside). One numba kernel each way over the row pairs of all maps (:func:`pool_forward`, :func:`pool_backward`).

Used by :class:`~neurofab.spiking.layers.SpikingSequential` for each ``nn.MaxPool2d`` with kernel 2, stride 2, no
padding, dilation 1, no ceil mode and no hooks (:func:`pool_applies`), on all T · batch maps at once (CPU, float32 or
float64), unless it runs fused with the convolution before it (:mod:`neurofab.spiking.conv_pool`). Cost on one
thread, (3200, 12, 8, 8) float32 (the first pool of the digits network of ``benchmarks/snn_train.py --workload
conv``), process CPU time, min of 20: forward 0.6 ms, forward and backward 2.3 ms;
torch's ``max_pool2d`` 12–15 ms forward, 16–18 ms both (docs/spiking.md).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import nn

from neurofab.core import kernel_threads

__all__ = ["max_pool2x2", "pool_applies", "pool_backward", "pool_forward"]


def pool_applies(module: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``module`` is a plain ``nn.MaxPool2d(2)`` (stride 2, no padding, dilation 1, floor mode, no indices,
    no hooks) and ``x`` a float32/float64 CPU tensor (N, C, H, W) or (C, H, W) with H, W ≥ 2."""
    if type(module) is not nn.MaxPool2d or module._forward_hooks or module._forward_pre_hooks:
        return False

    def pair(v, want: int) -> bool:
        return v == want if isinstance(v, int) else tuple(v) == (want, want)

    return (x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and x.dim() in (3, 4)
            and x.shape[-1] >= 2 and x.shape[-2] >= 2 and pair(module.kernel_size, 2)
            and pair(module.stride if module.stride is not None else 2, 2) and pair(module.padding, 0)
            and pair(module.dilation, 1) and not module.ceil_mode and not module.return_indices)


_ROWS = 4096  # window rows per parallel work item


@numba.njit(cache=True, parallel=True, nogil=True)
def pool_forward(x, y, index):  # pragma: no cover - compiled
    """x (R, 2, W) (the row pairs of all maps) → y (R, W//2) and index (R, W//2) uint8: each window's maximum and the
    row-major position (0–3) of its first occurrence (a later entry replaces the running maximum only when strictly
    greater)."""
    n_rows, w2 = y.shape
    for c in numba.prange((n_rows + _ROWS - 1) // _ROWS):
        for r in range(c * _ROWS, min(n_rows, (c + 1) * _ROWS)):
            for j in range(w2):
                best = x[r, 0, 2 * j]
                k = 0
                v = x[r, 0, 2 * j + 1]
                if v > best:
                    best, k = v, 1
                v = x[r, 1, 2 * j]
                if v > best:
                    best, k = v, 2
                v = x[r, 1, 2 * j + 1]
                if v > best:
                    best, k = v, 3
                y[r, j] = best
                index[r, j] = k


@numba.njit(cache=True, parallel=True, nogil=True)
def pool_backward(g, index, out):  # pragma: no cover - compiled
    """g (R, W//2) → out (R, 2, W): each window's gradient at its indexed entry, +0 elsewhere (the last column of
    odd-width maps, outside every window, included). ``g`` and ``out`` are integer views (int32 for float32, int64
    for float64) of the float data: each entry is the gradient's bit pattern ANDed with an all-ones or all-zeros
    mask, which copies it exactly (NaN and ±inf included) or writes +0, in branch-free loops over the windows."""
    n_rows, w2 = g.shape
    w = out.shape[2]
    nil = np.zeros(1, dtype=g.dtype)[0]
    for c in numba.prange((n_rows + _ROWS - 1) // _ROWS):
        lo, hi = c * _ROWS, min(n_rows, (c + 1) * _ROWS)
        g_c, k_c = g[lo:hi].reshape(-1), index[lo:hi].reshape(-1)
        for r in range(hi - lo):
            top, bottom = out[lo + r, 0], out[lo + r, 1]
            base = r * w2
            for j in range(w2):
                gv, k = g_c[base + j], k_c[base + j]
                top[2 * j] = gv & (nil - (k == 0))
                top[2 * j + 1] = gv & (nil - (k == 1))
                bottom[2 * j] = gv & (nil - (k == 2))
                bottom[2 * j + 1] = gv & (nil - (k == 3))
            if w > 2 * w2:
                top[w - 1] = nil
                bottom[w - 1] = nil


_BITS = {torch.float32: np.int32, torch.float64: np.int64}  #: the integer view of each float dtype's bit patterns


class _MaxPool2x2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        h2, w2 = h // 2, w // 2
        kept = x.detach()[:, :, : 2 * h2].contiguous()  # a view unless H is odd (its last row is in no window)
        y = torch.empty((n, c, h2, w2), dtype=x.dtype)
        index = torch.empty((n, c, h2, w2), dtype=torch.uint8)
        kernel_threads()
        pool_forward(kept.view(n * c * h2, 2, w).numpy(), y.view(-1, w2).numpy(), index.view(-1, w2).numpy())
        ctx.save_for_backward(index)
        ctx.shape = (n, c, h, w)
        return y

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:
        (index,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        h2, w2 = h // 2, w // 2
        kept = torch.empty((n, c, 2 * h2, w), dtype=g.dtype)
        kernel_threads()
        bits = _BITS[g.dtype]
        pool_backward(g.contiguous().view(-1, w2).numpy().view(bits), index.view(-1, w2).numpy(),
                      kept.view(n * c * h2, 2, w).numpy().view(bits))
        if h == 2 * h2:
            return kept
        out = torch.zeros((n, c, h, w), dtype=g.dtype)
        out[:, :, : 2 * h2] = kept
        return out


def max_pool2x2(x: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(x, 2)`` for x (N, C, H, W) or (C, H, W) (CPU, float32/float64): the same values and the same
    gradient (to the first row-major maximum of each window), compiled (the module docstring)."""
    if x.dim() == 3:
        return _MaxPool2x2.apply(x.unsqueeze(0)).squeeze(0)
    return _MaxPool2x2.apply(x)
