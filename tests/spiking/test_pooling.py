"""The compiled 2 × 2 max-pool (spiking/pooling.py): values and gradients bit-identical to ``F.max_pool2d(x, 2)``
(ties included: the gradient goes to the first row-major maximum), and SpikingSequential's use of it."""

from __future__ import annotations

from unittest import mock

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.spiking import layers
from neurofab.spiking.layers import LIF, SpikingSequential, leaky
from neurofab.spiking.pooling import max_pool2x2, pool_applies


def _both(x: torch.Tensor, g: torch.Tensor):
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    ya, yb = F.max_pool2d(a, 2), max_pool2x2(b)
    ya.backward(g)
    yb.backward(g)
    return ya, yb, a.grad, b.grad


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 5), c=st.integers(1, 4), h=st.integers(2, 9),
       w=st.integers(2, 9), kind=st.sampled_from(("normal", "binary", "few", "constant")),
       dtype=st.sampled_from((torch.float32, torch.float64)))
def test_equals_max_pool2d(seed, n, c, h, w, kind, dtype):
    """Random, binary (many ties), few-valued and constant maps of even and odd sizes, float32 and float64: the
    same values and the same input gradient as ``F.max_pool2d(x, 2)``, bit for bit."""
    g = torch.Generator().manual_seed(seed)
    shape = (n, c, h, w)
    if kind == "normal":
        x = torch.randn(shape, generator=g, dtype=dtype)
    elif kind == "binary":
        x = torch.randint(0, 2, shape, generator=g).to(dtype)
    elif kind == "few":
        x = torch.randint(-2, 3, shape, generator=g).to(dtype) * 0.5
    else:
        x = torch.full(shape, -0.25, dtype=dtype)
    grad = torch.randn(n, c, h // 2, w // 2, generator=g, dtype=dtype)
    ya, yb, ga, gb = _both(x, grad)
    assert yb.dtype == dtype
    assert torch.equal(ya, yb)
    assert torch.equal(ga, gb)


def test_three_dim_input_and_tie_rule():
    """(C, H, W) input works; in a window of equal values the gradient goes to the top-left entry, and with the
    maximum twice in the bottom row to the bottom-left one."""
    x = torch.tensor([[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0]]])
    xr = x.clone().requires_grad_(True)
    y = max_pool2x2(xr)
    assert y.tolist() == [[[1.0, 2.0]]]
    y.sum().backward()
    assert xr.grad.tolist() == [[[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]]
    x2 = torch.tensor([[[0.0, 1.0], [3.0, 3.0]]], requires_grad=True)
    max_pool2x2(x2).sum().backward()
    assert x2.grad.tolist() == [[[0.0, 0.0], [1.0, 0.0]]]


def test_pool_applies_only_to_plain_2x2():
    """Only ``nn.MaxPool2d(2)`` (stride 2 or None, no padding, dilation 1, floor mode, no indices, no hooks) on
    float CPU maps is taken over."""
    x = torch.zeros(2, 3, 4, 4)
    assert pool_applies(nn.MaxPool2d(2), x)
    assert pool_applies(nn.MaxPool2d((2, 2), stride=(2, 2)), x)
    for module in (nn.MaxPool2d(3), nn.MaxPool2d(2, stride=1), nn.MaxPool2d(2, padding=1),
                   nn.MaxPool2d(2, ceil_mode=True), nn.MaxPool2d(2, return_indices=True),
                   nn.MaxPool2d(2, dilation=2), nn.AvgPool2d(2)):
        assert not pool_applies(module, x)
    hooked = nn.MaxPool2d(2)
    hooked.register_forward_hook(lambda *a: None)
    assert not pool_applies(hooked, x)
    assert not pool_applies(nn.MaxPool2d(2), x.to(torch.float16))
    assert not pool_applies(nn.MaxPool2d(2), torch.zeros(2, 3, 1, 4))


class _TorchPool(nn.MaxPool2d):
    """A MaxPool2d subclass: SpikingSequential leaves it to torch (the reference)."""


def test_spiking_sequential_unchanged():
    """A convolutional spiking network gives the same spikes and parameter gradients with its pools taken over
    as with torch's ``max_pool2d`` (bit for bit; the first convolution unfused, so that it runs the same dense
    convolution on both sides — the fused one is checked in test_conv_pool.py)."""
    torch.manual_seed(0)
    x = (torch.rand(6, 4, 1, 8, 8) < 0.3).float()

    def net(pool):
        torch.manual_seed(1)
        return SpikingSequential(nn.Conv2d(1, 4, 3, padding=1), pool(2), LIF(leaky(0.8), learn_beta=True),
                                 nn.Conv2d(4, 8, 3, padding=1), pool(2), nn.Flatten(), nn.Linear(32, 5),
                                 LIF(leaky(0.8)))

    ours, ref = net(nn.MaxPool2d), net(_TorchPool)
    assert not pool_applies(ref[1], torch.zeros(1, 1, 2, 2))
    with mock.patch.object(layers, "conv_pool_applies", return_value=False):
        ya, yb = ours(x), ref(x)
    assert torch.equal(ya, yb)
    w = torch.randn(ya.shape)
    (ya * w).sum().backward()
    (yb * w).sum().backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        assert torch.equal(p.grad, q.grad), name
