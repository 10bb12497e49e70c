"""Compiled training paths: the LIF scan kernels and the event-driven linear product against plain autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.core import NumericalError
from neurofab.spiking import train_kernels as kern
from neurofab.spiking.event_linear import event_linear
from neurofab.spiking.layers import LIF, SpikingNeurons, SpikingSequential, count_cross_entropy, leaky
from neurofab.spiking.neurons import IFConfig
from neurofab.spiking.surrogate import SURROGATES, FastSigmoid, surrogate


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _reference_scan(x, neuron, sg, detach):
    """The unfused reference: a loop of the neurons module's step with plain autograd."""
    return SpikingNeurons(neuron, 1e-3, sg, detach, "step").run(x)


class _NamedLike(FastSigmoid):
    """A user surrogate with a built-in name but its own formula: must not take the built-in kernel formula."""

    def grad(self, x):
        return torch.exp(-x.abs())


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("detach", [True, False])
@pytest.mark.parametrize("sg_name", [*SURROGATES.names(), "custom"])
def test_compiled_scan_equals_autograd_reference(sg_name, detach, reset):
    gen = torch.Generator().manual_seed(2)
    x = (torch.rand(40, 3, 50, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()
    weights = torch.randn(40, 3, 50, generator=gen, dtype=torch.float64)
    sg = _NamedLike() if sg_name == "custom" else surrogate(sg_name)
    neuron = leaky(0.9, reset=reset)
    fused = SpikingNeurons(neuron, 1e-3, sg, detach, "fused")
    s1, st1 = fused.run(x)
    s2, st2 = _reference_scan(x, neuron, sg, detach)
    assert torch.equal(s1, s2)
    assert 0.05 < s1.mean() < 0.9
    torch.testing.assert_close(st1.u, st2.u, rtol=0, atol=1e-12)
    (g1,) = torch.autograd.grad((s1 * weights).sum(), x)
    (g2,) = torch.autograd.grad((s2 * weights).sum(), x)
    torch.testing.assert_close(g1, g2, rtol=1e-9, atol=1e-12)


def test_compiled_scan_float32_and_if_neurons_with_bias():
    gen = torch.Generator().manual_seed(3)
    x = (torch.rand(30, 4, 33, generator=gen) * 0.6).requires_grad_()
    neuron = IFConfig(v_th=1.0, reset_mode="subtract", i_bias=2e-11)
    s1, st1 = SpikingNeurons(neuron, 1e-3, "fast_sigmoid").run(x)
    s2, st2 = _reference_scan(x, neuron, "fast_sigmoid", True)
    assert torch.equal(s1, s2)
    torch.testing.assert_close(st1.u, st2.u, rtol=0, atol=1e-5)
    (g1,) = torch.autograd.grad(s1.sum(), x)
    (g2,) = torch.autograd.grad(s2.sum(), x)
    torch.testing.assert_close(g1, g2, rtol=1e-5, atol=1e-6)


def _sparse_input(shape, density, gen, dtype=torch.float64):
    values = torch.rand(shape, generator=gen, dtype=dtype) + 0.5
    return values * (torch.rand(shape, generator=gen, dtype=dtype) < density)


@pytest.mark.parametrize("sliced", [False, True])
def test_event_linear_equals_dense_forward_and_gradients(sliced):
    gen = torch.Generator().manual_seed(4)
    full = _sparse_input((7, 12, 90), 0.2, gen)
    x = full[:, 3:8] if sliced else full[:, :5]  # 35 rows: not a multiple of the 32 rows of a block
    x = x.clone().requires_grad_() if not sliced else x.requires_grad_()
    lin = nn.Linear(90, 70).double()
    y = event_linear(x, lin)
    assert y is not None and y.shape == (7, 5, 70)
    ref = F.linear(x, lin.weight, lin.bias)
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn(7, 5, 70, generator=gen, dtype=torch.float64)
    got = torch.autograd.grad(y, (x, lin.weight, lin.bias), g)
    want = torch.autograd.grad(ref, (x, lin.weight, lin.bias), g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_event_linear_declines_dense_narrow_or_foreign_input():
    gen = torch.Generator().manual_seed(5)
    lin = nn.Linear(40, 80)
    assert event_linear(torch.rand(3, 4, 40, generator=gen), lin) is None  # dense
    assert event_linear(_sparse_input((3, 4, 40), 0.1, gen, torch.float32), nn.Linear(40, 10)) is None  # narrow
    assert event_linear(_sparse_input((3, 4, 40), 0.1, gen), lin) is None  # float64 input, float32 weights
    assert event_linear(_sparse_input((3, 4, 40), 0.1, gen, torch.float32), lin) is not None


@settings(max_examples=25, deadline=None)
@given(n_steps=st.integers(1, 4), batch=st.integers(1, 40), k_in=st.integers(1, 30),
       density=st.floats(0.0, 1.0), seed=st.integers(0, 2**31 - 1))
def test_block_masks_mark_every_nonzero(n_steps, batch, k_in, density, seed):
    rng = np.random.default_rng(seed)
    x = (rng.random((n_steps, batch + 3, k_in)) < density).astype(np.float32)
    if seed % 2:
        x *= rng.integers(1, 5, x.shape)
    view = x[:, 2:2 + batch]  # strided rows, as a slice of a larger batch
    if seed % 3 == 0:
        x[-1, -1, -1] = np.inf if seed % 2 else np.nan  # outside the view: not seen
        x[0, 2, 0] = np.nan if seed % 2 else -np.inf
    masks, nnz, binary, finite = kern.block_masks(x.reshape(-1), 2 * k_in, (batch + 3) * k_in, k_in, n_steps, batch,
                                                  k_in)
    flat = view.reshape(-1, k_in)
    rows = np.arange(flat.shape[0])
    bits = (masks[rows // kern.ROWS_PER_BLOCK] >> (rows % kern.ROWS_PER_BLOCK)[:, None].astype(np.uint32)) & 1
    assert np.array_equal(bits.astype(bool), flat != 0)
    assert nnz == np.count_nonzero(flat)
    assert binary == bool(np.all((flat == 0) | (flat == 1)))
    assert finite == bool(np.all(np.isfinite(flat)))


@pytest.mark.parametrize("binary", [True, False])
def test_weight_gradient_does_not_depend_on_the_thread_split(binary):
    gen = torch.Generator().manual_seed(6)
    x = _sparse_input((5, 20, 50), 0.3, gen, torch.float32)
    if binary:
        x = (x != 0).float()
    flat = x.numpy().reshape(-1)
    masks, _, is_binary, _ = kern.block_masks(flat, 0, 20 * 50, 50, 5, 20, 50)
    assert is_binary == binary
    g = torch.randn(100, 64, generator=gen)
    parts = []
    for n_parts in (1, 2, 3):
        out = np.empty((50, 64), np.float32)
        kern.event_weight_grad(masks, is_binary, flat, 0, 20 * 50, 50, 20, g.numpy(), n_parts, out)
        parts.append(out)
    assert np.array_equal(parts[0], parts[1]) and np.array_equal(parts[0], parts[2])
    torch.testing.assert_close(torch.from_numpy(parts[0]), x.reshape(100, 50).t() @ g, rtol=1e-5, atol=1e-5)


def test_spiking_mlp_step_equals_the_dense_unfused_network():
    """A training step of the benchmark's network (event-driven product, compiled scans) against the same network
    run with dense products and the step-by-step reference neurons: same loss and gradients."""
    torch.manual_seed(0)
    fast = SpikingSequential(nn.Linear(100, 80), LIF(leaky(0.95)), nn.Linear(80, 10), LIF(leaky(0.95)))
    x = (torch.rand(25, 16, 100) < 0.2).float() * 3.0
    y = torch.randint(0, 10, (16,))

    def reference(inp):
        h = F.linear(inp, fast[0].weight, fast[0].bias)
        s = SpikingNeurons(leaky(0.95), mode="step").run(h)[0]
        return SpikingNeurons(leaky(0.95), mode="step").run(F.linear(s, fast[2].weight, fast[2].bias))[0]

    loss = count_cross_entropy(fast(x), y)
    grads = torch.autograd.grad(loss, list(fast.parameters()))
    ref_loss = count_cross_entropy(reference(x), y)
    ref_grads = torch.autograd.grad(ref_loss, list(fast.parameters()))
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-6)
    for a, b in zip(grads, ref_grads):
        assert b.abs().max() > 0
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("density", [0.2, 1.0])  # event-driven first layer, dense first layer
@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_non_finite_input_still_raises(density, bad):
    net = SpikingSequential(nn.Linear(100, 80), LIF())
    x = (torch.rand(3, 2, 100) < density).float()
    x[1, 0, 5] = bad
    with pytest.raises(NumericalError, match="NaN"):
        net(x)
    with pytest.raises(NumericalError, match="NaN"):
        SpikingSequential(LIF(), nn.Linear(100, 80))(x)
