"""The fused first convolution and 2 × 2 max pool (spiking/conv_pool.py): values, the pooled positions and the
weight and bias gradients equal ``F.max_pool2d(F.conv2d(...), 2)``'s, it declines where it should, the weight
gradient does not depend on the thread count, and SpikingSequential uses it."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.spiking import layers
from neurofab.spiking.conv_pool import MAX_TAPS, conv_pool, conv_pool_applies
from neurofab.spiking.layers import LIF, SpikingSequential, leaky


def _reference(x, conv, g):
    """Values and (weight, bias) gradients of the dense modules."""
    ref = copy.deepcopy(conv)
    y = F.max_pool2d(ref(x), 2)
    y.backward(g)
    return y.detach(), ref.weight.grad, None if ref.bias is None else ref.bias.grad


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), c=st.integers(1, 3), h=st.integers(2, 9),
       w=st.integers(2, 9), kh=st.integers(1, 3), kw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       bias=st.booleans(), binary=st.booleans())
def test_equals_conv_then_pool_exactly_on_integers(seed, n, c, h, w, kh, kw, ph, pw, bias, binary):
    """Integer weights, bias and inputs (every sum exact in float64, so equal maxima tie in both and go to the first
    entry of their window): the same pooled values exactly, and the same weight and bias gradients to rounding, for
    any kernel size, padding, odd map sizes and a last block of samples that is not full."""
    if h + 2 * ph < kh + 1 or w + 2 * pw < kw + 1:  # the convolution's output must be at least 2 × 2
        return
    gen = torch.Generator().manual_seed(seed)
    conv = nn.Conv2d(c, 5, (kh, kw), padding=(ph, pw), bias=bias).double()
    with torch.no_grad():
        conv.weight.copy_(torch.randint(-4, 5, conv.weight.shape, generator=gen).double())
        if bias:
            conv.bias.copy_(torch.randint(-4, 5, conv.bias.shape, generator=gen).double())
    x = (torch.randint(0, 2, (n, c, h, w), generator=gen) if binary
         else torch.randint(-3, 4, (n, c, h, w), generator=gen)).double()
    assert conv_pool_applies(conv, nn.MaxPool2d(2), x)
    y = conv_pool(x, conv)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    y.backward(g)
    y_ref, gw_ref, gb_ref = _reference(x, conv, g)
    assert torch.equal(y.detach(), y_ref)
    torch.testing.assert_close(conv.weight.grad, gw_ref, rtol=1e-12, atol=1e-10)
    if bias:
        torch.testing.assert_close(conv.bias.grad, gb_ref, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_values_and_gradients_to_rounding(dtype):
    """Random real weights and inputs (no ties): the benchmark's first layer, Conv2d(1, 12, 3, padding=1) on 8 × 8,
    and a 3-channel 5 × 5 kernel, in float32 and float64, agree with the dense modules to the dtype's rounding (the
    weight gradient sums ≈ 10⁴ terms in another order: float32 to 10⁻⁴ relative, 10⁻³ absolute)."""
    gen = torch.Generator().manual_seed(3)
    torch.manual_seed(3)  # the modules' initial weights
    tol = {torch.float32: (1e-4, 1e-3), torch.float64: (1e-12, 1e-10)}[dtype]
    for c, k, pad, hw in ((1, 3, 1, 8), (3, 5, 2, 11)):
        conv = nn.Conv2d(c, 12, k, padding=pad).to(dtype)
        x = torch.rand((200, c, hw, hw), generator=gen, dtype=dtype)
        y = conv_pool(x, conv)
        g = torch.randn(y.shape, generator=gen, dtype=dtype)
        y.backward(g)
        y_ref, gw_ref, gb_ref = _reference(x, conv, g)
        torch.testing.assert_close(y.detach(), y_ref, rtol=1e-6 if dtype == torch.float32 else 1e-12,
                                   atol=1e-6 if dtype == torch.float32 else 1e-12)
        torch.testing.assert_close(conv.weight.grad, gw_ref, rtol=tol[0], atol=tol[1])
        torch.testing.assert_close(conv.bias.grad, gb_ref, rtol=tol[0], atol=tol[1])


def test_declines_where_it_does_not_apply():
    x = torch.rand(4, 1, 8, 8)
    pool = nn.MaxPool2d(2)
    assert conv_pool_applies(nn.Conv2d(1, 4, 3, padding=1), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3, stride=2), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3, dilation=2), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3, padding="same"), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3), nn.MaxPool2d(3), x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3), nn.AvgPool2d(2), x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3), pool, x.requires_grad_())  # its input needs a gradient
    x = torch.rand(4, 4, 8, 8)
    assert 4 * 3 * 3 > MAX_TAPS and not conv_pool_applies(nn.Conv2d(4, 4, 3), pool, x)  # a long reduction: dense
    assert not conv_pool_applies(nn.Conv2d(4, 4, 3, groups=2), pool, x)
    assert not conv_pool_applies(nn.Conv2d(1, 4, 3).double(), pool, torch.rand(4, 1, 8, 8))  # dtypes differ
    assert not conv_pool_applies(nn.Conv2d(1, 4, 7), pool, torch.rand(4, 1, 7, 7))  # a 1 × 1 output


def test_weight_gradient_does_not_depend_on_threads():
    gen = torch.Generator().manual_seed(5)
    conv = nn.Conv2d(1, 12, 3, padding=1)
    x = (torch.rand((1000, 1, 8, 8), generator=gen) < 0.3).float()
    g = torch.randn((1000, 12, 4, 4), generator=gen)
    grads = []
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            conv.zero_grad()
            conv_pool(x, conv).backward(g)
            grads.append(conv.weight.grad.clone())
    finally:
        torch.set_num_threads(before)
    assert torch.equal(grads[0], grads[1])


def test_spiking_sequential_fuses_the_first_layer():
    """The benchmark's first stage (Conv2d(1, 12, 3, padding=1) → MaxPool2d(2) → LIF) runs fused, the pool is not
    run again, and spikes and all gradients equal those of the same network run densely (float64)."""
    torch.manual_seed(0)
    net = SpikingSequential(nn.Conv2d(1, 12, 3, padding=1), nn.MaxPool2d(2), LIF(leaky(0.5, snntorch_compat=True)),
                            nn.Flatten(), nn.Linear(192, 10)).double()
    dense = copy.deepcopy(net)
    x = (torch.rand(6, 20, 1, 8, 8) < 0.3).double()
    with mock.patch.object(layers, "conv_pool", wraps=layers.conv_pool) as fused, \
            mock.patch.object(layers, "max_pool2x2", wraps=layers.max_pool2x2) as pooled:
        out = net(x)
    assert fused.call_count == 1 and pooled.call_count == 0
    with mock.patch.object(layers, "conv_pool_applies", return_value=False):
        out_dense = dense(x)
    torch.testing.assert_close(out, out_dense, rtol=1e-12, atol=1e-12)
    g = torch.randn(out.shape, dtype=torch.float64)
    out.backward(g)
    out_dense.backward(g)
    for (name, p), q in zip(net.named_parameters(), dense.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=name)
