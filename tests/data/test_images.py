"""Image resizing for network inputs: closed forms and bad shapes refused before any work."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ShapeError
from neurofab.data.images import center_crop, resample


def test_center_crop_takes_the_middle_pixels():
    x = torch.arange(3 * 28 * 28, dtype=torch.float32).reshape(3, 28 * 28)
    out = center_crop(x, 28, 20)
    assert out.shape == (3, 400)
    assert torch.equal(out.reshape(3, 20, 20), x.reshape(3, 28, 28)[:, 4:24, 4:24])
    assert torch.equal(center_crop(x, 28, 28), x)


def test_resample_keeps_constants_and_edges():
    flat = torch.full((2, 64), 0.3)
    assert torch.allclose(resample(flat, 8, 16), torch.full((2, 256), 0.3), rtol=0, atol=1e-6)
    ramp = torch.arange(4, dtype=torch.float32).repeat(4).reshape(1, 16)  # columns 0, 1, 2, 3
    up = resample(ramp, 4, 8).reshape(8, 8)
    # pixel centres: output column c sits at input (c + 0.5)/2 − 0.5, clamped to the edge
    expected = torch.tensor([0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0])
    assert torch.allclose(up[0], expected, rtol=0, atol=1e-6) and torch.allclose(up, up[0].expand(8, 8))


@pytest.mark.parametrize("call", [
    lambda x: resample(x, 7, 16),  # 64 pixels are not 7 × 7
    lambda x: center_crop(x, 8, 9),  # crop larger than the image
    lambda x: center_crop(x, 8, 0),
    lambda x: resample(x, 8, 0),  # an empty output image
    lambda x: resample(x.reshape(-1), 8, 16),  # not N × pixels
])
def test_bad_shapes_are_refused(call):
    with pytest.raises(ShapeError):
        call(torch.zeros(2, 64))
