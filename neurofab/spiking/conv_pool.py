"""A convolution with few input channels followed by a 2 × 2 max pool, fused and compiled: the first layer of a
convolutional spiking network on images.

For ``nn.Conv2d(C, O, (kh, kw), padding=(ph, pw))`` (stride 1, dilation 1, one group, zero padding) on input that
needs no gradient (the encoded data) and ``nn.MaxPool2d(2)`` after it,

    c_{r,o,h,w} = b_o + Σ_{c,i,j} W_{o,c,i,j} x_{r,c,h+i−ph,w+j−pw},     y_{r,o,p,q} = max_{a,b∈{0,1}} c_{r,o,2p+a,2q+b}

:func:`conv_pool_forward` computes y and the position (0–3, row-major; the first of equal maxima, as
:func:`neurofab.spiking.pooling.pool_forward`) of each window's maximum without writing the convolution's output
(four times the pooled one) to memory, and :func:`conv_pool_backward` the weight gradient straight from the pooled
gradient and those positions,

    ∂L/∂W_{o,c,i,j} = Σ_{r,p,q} ∂L/∂y_{r,o,p,q} x_{r,c,h*+i−ph,w*+j−pw}     ((h*, w*) the maximum of window (p, q)),

with ∂L/∂b_o = Σ_{r,p,q} ∂L/∂y_{r,o,p,q} — the gradient the pool would route back and the convolution's backward
would reduce, with no (R, O, H, W) gradient in between. Both kernels keep the samples innermost (x is rearranged
once per call into blocks of :data:`_BLOCK` samples, (blocks, C, H, W, B)): every multiply-add of a weight tap runs
over a row of a block's map in one vectorized loop — where a convolution with C·kh·kw ≤ :data:`MAX_TAPS` gives a
dense kernel too short a reduction to run well — and each window's maximum is picked by selects, not branches.
Blocks of samples run in parallel; the weight gradient is summed per block and the blocks added in a fixed order,
so it does not depend on the thread count. The sums are the convolution's, added in
another order: values and gradients agree with ``nn.Conv2d`` + ``nn.MaxPool2d(2)`` to float rounding (a maximum
tied to rounding may go to another entry of its window).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import nn

from neurofab.core import kernel_threads
from neurofab.spiking.pooling import pool_applies

__all__ = ["MAX_TAPS", "conv_pool", "conv_pool_applies", "conv_pool_backward", "conv_pool_forward"]

MAX_TAPS = 32  #: largest C·kh·kw taken (a first layer on 1–3-channel images); longer reductions run dense
_BLOCK = 128  # samples per vectorized block (one parallel work item)


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def conv_pool_forward(xt, n_h, n_w, weight, bias, ph, pw, y, index):  # pragma: no cover - compiled
    """xt (blocks, C·H·W·B) (each block of B = :data:`_BLOCK` samples with the samples innermost, the last block
    padded with zeros), weight (O, C, kh, kw), bias (O,) → y (blocks, O·(H'//2)·(W'//2)·B) and index (same shape,
    uint8), in the same layout: the 2 × 2 maxima of the convolution (H' = H + 2 ph − kh + 1, W' likewise) and their
    positions."""
    n_o, n_c, kh, kw = weight.shape
    ho, wo = n_h + 2 * ph - kh + 1, n_w + 2 * pw - kw + 1
    h2, w2 = ho // 2, wo // 2
    for blk in numba.prange(xt.shape[0]):
        xb, yb, kb = xt[blk], y[blk], index[blk]
        buf = np.empty(ho * wo * _BLOCK, dtype=y.dtype)  # the convolution of this block: (H', W', B)
        for o in range(n_o):
            bo = bias[o]
            for e in range(ho * wo * _BLOCK):
                buf[e] = bo
            for h in range(ho):  # one output row (W'·B values, in L1) gets all its taps
                for c in range(n_c):
                    for i in range(kh):
                        hi = h + i - ph
                        if hi < 0 or hi >= n_h:
                            continue
                        for j in range(kw):
                            wv = weight[o, c, i, j]
                            w_lo, w_hi = max(0, pw - j), min(wo, n_w + pw - j)
                            run = (w_hi - w_lo) * _BLOCK  # a contiguous run of buf and of x
                            start = (h * wo + w_lo) * _BLOCK
                            src = ((c * n_h + hi) * n_w + w_lo + j - pw) * _BLOCK
                            dst, xr = buf[start:start + run], xb[src:src + run]
                            for e in range(run):
                                dst[e] += wv * xr[e]
            down = wo * _BLOCK
            for p in range(h2):
                for q in range(w2):
                    top = (2 * p * wo + 2 * q) * _BLOCK
                    at = ((o * h2 + p) * w2 + q) * _BLOCK
                    yr, kr = yb[at:at + _BLOCK], kb[at:at + _BLOCK]
                    b0, b1 = buf[top:top + _BLOCK], buf[top + _BLOCK:top + 2 * _BLOCK]
                    b2, b3 = buf[top + down:top + down + _BLOCK], buf[top + down + _BLOCK:top + down + 2 * _BLOCK]
                    for lane in range(_BLOCK):  # selects, no branches: the loop vectorizes
                        best, k = b0[lane], np.uint8(0)
                        v = b1[lane]
                        up = v > best
                        best, k = (v if up else best), (np.uint8(1) if up else k)
                        v = b2[lane]
                        up = v > best
                        best, k = (v if up else best), (np.uint8(2) if up else k)
                        v = b3[lane]
                        up = v > best
                        best, k = (v if up else best), (np.uint8(3) if up else k)
                        yr[lane] = best
                        kr[lane] = k


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract", "reassoc"})
def conv_pool_backward(xt, n_h, n_w, g, index, ph, pw, kh, kw, partial):  # pragma: no cover - compiled
    """The weight gradient of :func:`conv_pool_forward` from the pooled gradient g (R, O·(H'//2)·(W'//2)) and the
    positions ``index`` (in the forward's layout): per block of samples into ``partial`` (blocks, O, C, kh, kw) (the
    caller sums the blocks in order)."""
    n_o, n_c = partial.shape[1], partial.shape[2]
    ho, wo = n_h + 2 * ph - kh + 1, n_w + 2 * pw - kw + 1
    h2, w2 = ho // 2, wo // 2
    for blk in numba.prange(xt.shape[0]):
        lo = blk * _BLOCK
        nb = min(g.shape[0], lo + _BLOCK) - lo
        xb, kb = xt[blk], index[blk]
        # the convolution's gradient for this block, (H', W', B); rows and columns outside every window, and the
        # lanes past the last sample, stay 0
        gbuf = np.zeros(ho * wo * _BLOCK, dtype=g.dtype)
        down = wo * _BLOCK
        for o in range(n_o):
            for p in range(h2):
                for q in range(w2):
                    top = (2 * p * wo + 2 * q) * _BLOCK
                    at = ((o * h2 + p) * w2 + q) * _BLOCK
                    f = (o * h2 + p) * w2 + q
                    kr = kb[at:at + _BLOCK]
                    for lane in range(nb):
                        gv, k = g[lo + lane, f], kr[lane]
                        e = top + lane
                        gbuf[e] = gv if k == 0 else 0.0
                        gbuf[e + _BLOCK] = gv if k == 1 else 0.0
                        gbuf[e + down] = gv if k == 2 else 0.0
                        gbuf[e + down + _BLOCK] = gv if k == 3 else 0.0
            taps = partial[blk, o]
            taps[:] = 0.0
            for h in range(ho):  # one row of the gradient (in L1) meets every tap
                for c in range(n_c):
                    for i in range(kh):
                        hi = h + i - ph
                        if hi < 0 or hi >= n_h:
                            continue
                        for j in range(kw):
                            w_lo, w_hi = max(0, pw - j), min(wo, n_w + pw - j)
                            run = (w_hi - w_lo) * _BLOCK
                            start = (h * wo + w_lo) * _BLOCK
                            src = ((c * n_h + hi) * n_w + w_lo + j - pw) * _BLOCK
                            gr, xr = gbuf[start:start + run], xb[src:src + run]
                            part = gr[0] * xr[0]
                            for e in range(1, run):
                                part += gr[e] * xr[e]
                            taps[c, i, j] += part


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_pool_applies(conv: nn.Module, pool: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``conv`` then ``pool`` on x (N, C, H, W) run fused: a plain ``nn.Conv2d`` (no hooks; stride 1,
    dilation 1, one group, integer zero padding, C·kh·kw ≤ :data:`MAX_TAPS`, weight of x's dtype on the CPU), a plain
    ``nn.MaxPool2d(2)`` (:func:`~neurofab.spiking.pooling.pool_applies`), x a CPU float32/float64 tensor that needs no
    gradient, and a convolution output of at least 2 × 2."""
    if type(conv) is not nn.Conv2d or conv._forward_hooks or conv._forward_pre_hooks:
        return False
    if x.dim() != 4 or x.requires_grad or not pool_applies(pool, x):
        return False
    w = conv.weight
    if (w.device.type != "cpu" or w.dtype != x.dtype or isinstance(conv.padding, str) or conv.padding_mode != "zeros"
            or _pair(conv.stride) != (1, 1) or _pair(conv.dilation) != (1, 1) or conv.groups != 1
            or x.shape[1] != w.shape[1] or w.shape[1] * w.shape[2] * w.shape[3] > MAX_TAPS):
        return False
    ph, pw = _pair(conv.padding)
    return x.shape[2] + 2 * ph - w.shape[2] + 1 >= 2 and x.shape[3] + 2 * pw - w.shape[3] + 1 >= 2


def _to_blocks(t: torch.Tensor, blocks: int) -> torch.Tensor:
    """(R, F) → (blocks, F·B): each block of B samples with the samples innermost, zero past the last sample."""
    padded = t.new_zeros((blocks * _BLOCK, t.shape[1]))
    padded[: t.shape[0]] = t
    return padded.reshape(blocks, _BLOCK, -1).transpose(1, 2).reshape(blocks, -1)


def _from_blocks(t: torch.Tensor, n: int) -> torch.Tensor:
    """(blocks, F·B) → (R, F), the inverse of :func:`_to_blocks`."""
    return t.reshape(t.shape[0], -1, _BLOCK).transpose(1, 2).reshape(-1, t.shape[1] // _BLOCK)[:n]


class _ConvPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, padding):
        n, _, h, w = x.shape
        n_o, _, kh, kw = weight.shape
        ph, pw = padding
        h2, w2 = (h + 2 * ph - kh + 1) // 2, (w + 2 * pw - kw + 1) // 2
        blocks = (n + _BLOCK - 1) // _BLOCK
        xt = _to_blocks(x.detach().reshape(n, -1), blocks)
        b = bias.detach() if bias is not None else torch.zeros(n_o, dtype=x.dtype)
        y = torch.empty((blocks, n_o * h2 * w2 * _BLOCK), dtype=x.dtype)
        index = torch.empty((blocks, n_o * h2 * w2 * _BLOCK), dtype=torch.uint8)
        kernel_threads()
        conv_pool_forward(xt.numpy(), h, w, weight.detach().contiguous().numpy(), b.contiguous().numpy(), ph, pw,
                          y.numpy(), index.numpy())
        ctx.save_for_backward(xt, index)
        ctx.geometry = (n, h, w, ph, pw, kh, kw, tuple(weight.shape))
        ctx.has_bias = bias is not None
        return _from_blocks(y, n).reshape(n, n_o, h2, w2)

    @staticmethod
    def backward(ctx, g):
        xt, index = ctx.saved_tensors
        n, h, w, ph, pw, kh, kw, w_shape = ctx.geometry
        grad_w = grad_b = None
        if ctx.needs_input_grad[1]:
            partial = torch.empty((xt.shape[0], *w_shape), dtype=g.dtype)
            kernel_threads()
            conv_pool_backward(xt.numpy(), h, w, g.reshape(n, -1).contiguous().numpy(), index.numpy(),
                               ph, pw, kh, kw, partial.numpy())
            grad_w = partial.sum(0)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum((0, 2, 3))
        return None, grad_w, grad_b, None


def conv_pool(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """``F.max_pool2d(conv(x), 2)`` for x (N, C, H, W) where :func:`conv_pool_applies` holds, fused and compiled (the
    module docstring); gradients reach ``conv``'s weight and bias (x needs none)."""
    return _ConvPool.apply(x, conv.weight, conv.bias, _pair(conv.padding))
