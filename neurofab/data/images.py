"""Flattened square images resized for a network's input: bilinear resampling and central cropping."""

from __future__ import annotations

import torch

from neurofab.core import ShapeError

__all__ = ["center_crop", "resample"]


def _squares(x: torch.Tensor, side: int) -> torch.Tensor:
    if x.dim() != 2 or x.shape[1] != side * side:
        raise ShapeError(f"images of shape {tuple(x.shape)} are not N flattened {side} × {side} images")
    return x.reshape(x.shape[0], 1, side, side)


def resample(x: torch.Tensor, side: int, out_side: int, antialias: bool = False) -> torch.Tensor:
    """N flattened ``side`` × ``side`` images resampled bilinearly (pixel centres, ``align_corners=False``) to
    N flattened ``out_side`` × ``out_side`` images; ``antialias`` low-pass filters a reduction first."""
    if out_side < 1:
        raise ShapeError(f"cannot resample to {out_side} × {out_side} images")
    img = torch.nn.functional.interpolate(_squares(x, side), size=(out_side, out_side), mode="bilinear",
                                          align_corners=False, antialias=antialias)
    return img.reshape(x.shape[0], out_side * out_side)


def center_crop(x: torch.Tensor, side: int, out_side: int) -> torch.Tensor:
    """The central ``out_side`` × ``out_side`` pixels of N flattened ``side`` × ``side`` images (for odd margins the
    extra pixel is cut on the far side), flattened."""
    if not 0 < out_side <= side:
        raise ShapeError(f"a {out_side} × {out_side} crop does not fit {side} × {side} images")
    lo = (side - out_side) // 2
    return _squares(x, side)[:, :, lo : lo + out_side, lo : lo + out_side].reshape(x.shape[0], out_side * out_side)
