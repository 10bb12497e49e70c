"""The event-driven convolution on small maps (spiking/event_conv.py): the unrolled map is the convolution, the
event-driven forward and gradients equal ``nn.Conv2d``'s to rounding, it declines where it should, and
SpikingSequential uses it."""

from __future__ import annotations

import copy
from unittest import mock

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.spiking import event_conv, layers
from neurofab.spiking.event_conv import MAX_UNROLLED, event_conv2d, unrolled_map
from neurofab.spiking.layers import LIF, SpikingSequential, leaky


def _spikes(shape, density, gen, dtype=torch.float64):
    return (torch.rand(shape, generator=gen, dtype=dtype) < density).to(dtype)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.integers(1, 4), h=st.integers(2, 6), w=st.integers(2, 6),
       k=st.integers(1, 3), pad=st.integers(0, 2), stride=st.integers(1, 2), dilation=st.integers(1, 2),
       groups=st.sampled_from((1, 2)), pad_same=st.booleans(), bias=st.booleans())
def test_equals_conv2d_forward_and_gradients(seed, c, h, w, k, pad, stride, dilation, groups, pad_same, bias):
    """Any stride, zero padding (numbers or "same"), dilation and groups: the same outputs and gradients (input,
    weight, bias) as the module itself, float64, to rounding (the density limit lifted, so that it always runs)."""
    gen = torch.Generator().manual_seed(seed)
    c, out = c * groups, 8 * groups
    span = dilation * (k - 1) + 1
    if pad_same and k % 2 == 0:  # torch pads even kernels asymmetrically (with a warning): left out
        return
    if pad_same:
        stride, pad = 1, "same"
    elif h + 2 * pad < span or w + 2 * pad < span:
        return
    torch.manual_seed(seed)
    conv = nn.Conv2d(c, out, k, stride, pad, dilation, groups, bias).double()
    sample = (c, h, w)
    p = 0 if pad_same else pad
    n_out = out * (h if pad_same else (h + 2 * p - span) // stride + 1) * (w if pad_same else
                                                                           (w + 2 * p - span) // stride + 1)
    if n_out < 64:
        return
    x = _spikes((3, 5, *sample), 0.3, gen).requires_grad_()
    with mock.patch.object(event_conv, "max_density", lambda conv, sample: 1.0):
        y = event_conv2d(x, conv)
    assert y is not None
    ref = conv(x.reshape(15, *sample)).reshape(y.shape)
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    wanted = [x, conv.weight] + ([conv.bias] if bias else [])
    got = torch.autograd.grad(y, wanted, g)
    want = torch.autograd.grad(ref, wanted, g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_unrolled_map_is_the_convolution_and_exact():
    """A x equals the convolution of x (no bias) and every entry of A is a weight or zero (no rounding)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 3, padding=1, stride=2).double()
    a = unrolled_map(conv, (3, 5, 4))
    x = torch.randn(7, 3, 5, 4, dtype=torch.float64)
    torch.testing.assert_close(x.reshape(7, -1) @ a.t(), F.conv2d(x, conv.weight, None, 2, 1).reshape(7, -1),
                               rtol=1e-12, atol=1e-12)
    values = set(conv.weight.detach().flatten().tolist()) | {0.0}
    assert set(a.detach().flatten().tolist()) <= values


def test_declines_dense_large_foreign_or_hooked():
    gen = torch.Generator().manual_seed(1)
    conv = nn.Conv2d(12, 32, 3, padding=1)
    sparse = _spikes((2, 4, 12, 4, 4), 0.05, gen, torch.float32)
    assert event_conv2d(sparse, conv) is not None
    assert event_conv2d(_spikes((2, 4, 12, 4, 4), 0.6, gen, torch.float32), conv) is None  # dense
    assert event_conv2d(sparse.double(), conv) is None  # float64 input, float32 weights
    assert event_conv2d(sparse, nn.Conv2d(12, 2, 3)) is None  # 2 × 2 × 2 = 8 outputs per sample
    big = nn.Conv2d(16, 32, 3, padding=1)
    assert 16 * 32 * 32 * 32 * 32 * 32 > MAX_UNROLLED
    assert event_conv2d(_spikes((1, 2, 16, 32, 32), 0.001, gen, torch.float32), big) is None  # map too large
    hooked = nn.Conv2d(12, 32, 3, padding=1)
    hooked.register_forward_hook(lambda m, i, o: None)
    assert event_conv2d(sparse, hooked) is None


def _conv_net_grads(threads: int):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(2)
        neuron = leaky(0.8, snntorch_compat=True)
        net = SpikingSequential(nn.Conv2d(1, 6, 3, padding=1), LIF(neuron, learn_beta=True),
                                nn.Conv2d(6, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 16, 5)).double()
        dense = copy.deepcopy(net)
        dense[2].register_forward_hook(lambda m, i, o: None)  # a hooked Conv2d runs the module itself
        x = _spikes((6, 40, 1, 4, 4), 0.15, torch.Generator().manual_seed(3)) * 1.5
        used = []

        def spy(inp, conv):
            out = event_conv2d(inp, conv)
            used.append(out is not None)
            return out

        with mock.patch.object(layers, "event_conv2d", spy):
            y, y_ref = net(x), dense(x)
        y.square().sum().backward()
        y_ref.square().sum().backward()
        return used, y, y_ref, net, dense
    finally:
        torch.set_num_threads(before)


def test_spiking_sequential_uses_it_and_matches_the_dense_network():
    """Both Conv2d layers run event-driven inside SpikingSequential (sparse input, small maps): outputs and every
    parameter gradient equal those of the same network with its second convolution run densely (a hooked copy),
    float64; the weight gradient is the same with 1 and 2 threads, bit for bit."""
    used, y, y_ref, net, dense = _conv_net_grads(1)
    assert used == [True, True, True, False]  # ours: both convolutions; the copy: its first (the second is hooked)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    for (name, p), q in zip(net.named_parameters(), dense.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=name)
    net2 = _conv_net_grads(2)[3]
    assert torch.equal(net[2].weight.grad, net2[2].weight.grad)
