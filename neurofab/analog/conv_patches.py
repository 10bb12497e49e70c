"""Convolutions as matrix-vector products on patches (im2col), for 1-, 2- and 3-d inputs.

A convolution with C_in input channels and kernel k₁×…×k_d is one (C_out × C_in·Πk) matrix applied to every patch:
:func:`patches` cuts the zero-padded input into patch rows (N·Πout, C_in·Πk) in the order of ``weight.reshape(
C_out, -1)``, and :func:`unpatch` folds the products back to (N, C_out, out₁, …, out_d). Only groups = 1 and zero
padding, as on a crossbar that stores one weight matrix.

A transposed convolution (stride s, padding p, output padding a, dilation d) is the ordinary convolution, with
stride 1 and dilation d, of the input with s − 1 zeros inserted between its samples and padded by d(k − 1) − p
before and d(k − 1) − p + a after (cropped where that is negative), under the kernel flipped in space with its
channel axes swapped: :func:`transposed_patches` builds those patches and :func:`transposed_matrix` that matrix
(C_out × C_in·Πk) from a ``ConvTranspose`` weight (C_in, C_out, *k). Output extent: (n − 1)s − 2p + d(k − 1) + a + 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from neurofab.core import ShapeError

__all__ = ["output_size", "patches", "transposed_matrix", "transposed_patches", "unpatch"]


def output_size(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                dilation: tuple[int, ...]) -> tuple[int, ...]:
    """Output extent per spatial dimension: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 (PyTorch's Conv formula)."""
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise ShapeError(f"input of spatial size {size} is smaller than the dilated kernel {kernel} "
                         f"(padding {padding}, dilation {dilation})")
    return out


def patches(x: torch.Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
            dilation: tuple[int, ...]) -> tuple[torch.Tensor, tuple[int, ...]]:
    """(patch rows of shape (N·Πout, C·Πk), output spatial size) of ``x`` (N, C, *spatial)."""
    d = len(kernel)
    if x.ndim != d + 2:
        raise ShapeError(f"a {d}-d convolution expects (N, C, {'×'.join('·' * d)}) input, got {tuple(x.shape)}")
    out = output_size(tuple(x.shape[2:]), kernel, stride, padding, dilation)
    n, c = x.shape[:2]
    if d == 2:
        cols = F.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)  # (N, C·Πk, L)
        return cols.transpose(1, 2).reshape(n * out[0] * out[1], -1), out
    if d == 1:
        cols = F.unfold(x.unsqueeze(2), (1, kernel[0]), dilation=(1, dilation[0]), padding=(0, padding[0]),
                        stride=(1, stride[0]))
        return cols.transpose(1, 2).reshape(n * out[0], -1), out
    xp = F.pad(x, [p for q in reversed(padding) for p in (q, q)])
    for axis, (k, s, dl) in enumerate(zip(kernel, stride, dilation)):
        xp = xp.unfold(2 + axis, dl * (k - 1) + 1, s)[..., ::dl]  # windows appended as trailing dims
    # (N, C, o1, o2, o3, k1, k2, k3) → (N, o1, o2, o3, C, k1, k2, k3)
    rows = xp.permute(0, 2, 3, 4, 1, 5, 6, 7).reshape(n * out[0] * out[1] * out[2], c * kernel[0] * kernel[1]
                                                     * kernel[2])
    return rows, out


def unpatch(y: torch.Tensor, n: int, out: tuple[int, ...]) -> torch.Tensor:
    """Fold products (N·Πout, C_out) back to (N, C_out, *out)."""
    c_out = y.shape[-1]
    return y.reshape(n, *out, c_out).movedim(-1, 1).contiguous()


def transposed_matrix(weight: torch.Tensor) -> torch.Tensor:
    """The (C_out × C_in·Πk) matrix of a transposed convolution's weight (C_in, C_out, *k): kernel flipped in space,
    channel axes swapped, so that :func:`transposed_patches` rows times its transpose give the transposed conv."""
    spatial = tuple(range(2, weight.ndim))
    return weight.transpose(0, 1).flip(spatial).reshape(weight.shape[1], -1)


def transposed_patches(x: torch.Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                       output_padding: tuple[int, ...], dilation: tuple[int, ...]
                       ) -> tuple[torch.Tensor, tuple[int, ...]]:
    """(patch rows (N·Πout, C·Πk), output spatial size) of a transposed convolution of ``x`` (N, C, *spatial)."""
    d = len(kernel)
    if x.ndim != d + 2:
        raise ShapeError(f"a {d}-d transposed convolution expects (N, C, {'×'.join('·' * d)}) input, "
                         f"got {tuple(x.shape)}")
    size = tuple(x.shape[2:])
    out = tuple((n - 1) * s - 2 * p + dl * (k - 1) + a + 1
                for n, k, s, p, a, dl in zip(size, kernel, stride, padding, output_padding, dilation))
    if any(o < 1 for o in out):
        raise ShapeError(f"transposed convolution of spatial size {size} with kernel {kernel}, stride {stride} "
                         f"and padding {padding} has no output")
    if any(s > 1 for s in stride):  # s − 1 zeros between samples
        spread = x.new_zeros(*x.shape[:2], *((n - 1) * s + 1 for n, s in zip(size, stride)))
        spread[(slice(None), slice(None), *(slice(None, None, s) for s in stride))] = x
        x = spread
    pads = []
    for k, p, a, dl in reversed(list(zip(kernel, padding, output_padding, dilation))):
        edge = dl * (k - 1) - p
        pads += [edge, edge + a]  # negative entries crop
    x = F.pad(x, pads)
    rows, got = patches(x, kernel, (1,) * d, (0,) * d, dilation)
    assert got == out
    return rows, out
