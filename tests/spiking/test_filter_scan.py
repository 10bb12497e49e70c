"""The compiled decay filter (spiking/filter_scan.py): j_t = α j_{t−1} + x_t and its gradients with respect to x,
α (per layer or per neuron) and j_{−1} equal plain autograd through the step-by-step recursion, and decay_filter
uses it on the CPU."""

from __future__ import annotations

from unittest import mock

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.spiking import filter_scan
from neurofab.spiking.filter_scan import filter_applies, fused_decay_filter
from neurofab.spiking.neuron_layers import decay_filter


def _loop(x, decay, j0):
    j = torch.zeros_like(x[0]) if j0 is None else j0
    out = []
    for t in range(x.shape[0]):
        j = decay * j + x[t]
        out.append(j)
    return torch.stack(out)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 30), batch=st.integers(1, 5),
       shape=st.sampled_from(((3,), (2, 3), (4, 2, 2))), per_neuron=st.booleans(), with_j0=st.booleans())
def test_equals_the_recursion_with_gradients(seed, steps, batch, shape, per_neuron, with_j0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((steps, batch, *shape), generator=gen, dtype=torch.float64, requires_grad=True)
    decay = torch.rand(shape if per_neuron else (), generator=gen, dtype=torch.float64).requires_grad_()
    j0 = torch.randn((batch, *shape), generator=gen, dtype=torch.float64).requires_grad_() if with_j0 else None
    assert filter_applies(x, decay)
    j = fused_decay_filter(x, decay, j0)
    j_ref = _loop(x, decay, j0)
    torch.testing.assert_close(j, j_ref, rtol=1e-12, atol=1e-12)
    g = torch.randn(j.shape, generator=gen, dtype=torch.float64)
    inputs = [x, decay] + ([j0] if with_j0 else [])
    got = torch.autograd.grad(j, inputs, g)
    want = torch.autograd.grad(j_ref, inputs, g)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_float32_and_no_decay_gradient():
    """float32 to its rounding; a decay that needs no gradient gets none (and the input's is unchanged)."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn((25, 16, 32, 2, 2), generator=gen, requires_grad=True)
    decay = torch.tensor(0.5)
    j = fused_decay_filter(x, decay)
    torch.testing.assert_close(j, _loop(x, decay, None), rtol=1e-5, atol=1e-5)
    (gx,) = torch.autograd.grad(j, [x], torch.ones_like(j))
    # Σ_{t' ≥ t} α^(t'−t) for a unit gradient at every step
    want = (1 - 0.5 ** torch.arange(25, 0, -1, dtype=torch.float32)) / 0.5
    torch.testing.assert_close(gx[:, 0, 0, 0, 0], want, rtol=1e-6, atol=1e-6)


def test_decay_filter_dispatch():
    """decay_filter takes the compiled filter on the CPU for a decay of shape () or of one sample's neurons, and
    the torch path for another shape (which agrees with it)."""
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    with mock.patch.object(filter_scan._DecayFilter, "apply", wraps=filter_scan._DecayFilter.apply) as fused:
        decay_filter(x, torch.tensor(0.3, dtype=torch.float64))
        decay_filter(x, torch.full((3,), 0.3, dtype=torch.float64))
        assert fused.call_count == 2
        odd = decay_filter(x, torch.full((2, 3), 0.3, dtype=torch.float64))  # broadcast over the batch: torch path
        assert fused.call_count == 2
    assert not filter_applies(x, torch.full((2, 3), 0.3))
    torch.testing.assert_close(odd, _loop(x, torch.full((3,), 0.3, dtype=torch.float64), None))
