"""The binarized CNN: Eq. 12's XNOR-popcount identity, the 2N × M signed-pair crossbar, the straight-through
estimator, and crossbar inference that equals software on ideal devices."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.analog.binarized import (
    BinarizedCNN,
    BinarizedCNNConfig,
    binary_dot,
    bitline_currents,
    crossbar_logits,
    read_signed_pairs,
    sign_ste,
    signed_pair_crossbar,
    train_binarized_cnn,
    xnor_popcount,
)
from neurofab.core import ConfigError, DataError, Ledger
from neurofab.crossbar import ConductanceMapping, GaussianNoiseModel, InferenceTileConfig, IOConfig


def _pm1(shape, gen):
    return torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(b=st.integers(1, 6), m=st.integers(1, 6), n=st.integers(1, 300), seed=st.integers(0, 2**31))
def test_xnor_popcount_equals_pm1_dot_product(b, m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    a, w = _pm1((b, n), gen), _pm1((m, n), gen)
    s = xnor_popcount(a, w)
    assert torch.equal(s, binary_dot(a, w).to(s.dtype))  # Eq. 12: 2·popcount(XNOR) − N = Σ a_i w_i
    assert torch.equal(xnor_popcount(a > 0, w > 0), s)  # bits in, same sums
    assert bool(((s + n) % 2 == 0).all()) and int(s.abs().max()) <= n


def test_xnor_popcount_rejects_non_binary_inputs():
    with pytest.raises(DataError, match="a must hold only"):
        xnor_popcount(torch.tensor([[0.5, 1.0]]), torch.ones(1, 2))


@settings(max_examples=20, deadline=None)
@given(m=st.integers(1, 8), n=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_signed_pair_crossbar_reads_back_the_weights(m, n, seed):
    gen = torch.Generator().manual_seed(seed)
    mapping = ConductanceMapping(g_min=2e-6, g_max=40e-6)
    w = _pm1((m, n), gen).double()
    g = signed_pair_crossbar(w, mapping)
    assert g.shape == (2 * n, m)
    assert set(g.unique().tolist()) <= {2e-6, 40e-6}
    assert torch.allclose(g[0::2] + g[1::2], torch.full((n, m), 42e-6, dtype=g.dtype), atol=0)  # one device on per pair
    assert torch.allclose(read_signed_pairs(g, mapping), w)
    a = _pm1((3, n), gen).double()
    k = mapping.siemens_per_weight
    assert torch.allclose(bitline_currents(g, a, v_read=0.2), 0.2 * k * binary_dot(a, w), rtol=1e-6, atol=1e-12)


def test_sign_ste_passes_the_gradient_only_where_abs_x_le_1():
    x = torch.tensor([-2.0, -1.0, -0.3, 0.0, 0.7, 1.0, 1.5], requires_grad=True)
    y = sign_ste(x)
    assert y.tolist() == [-1, -1, -1, 1, 1, 1, 1]
    (y * torch.arange(1.0, 8.0)).sum().backward()
    assert x.grad.tolist() == [0, 2, 3, 4, 5, 6, 0]


def test_config_rejects_bad_input_naming_the_field():
    with pytest.raises(ConfigError, match="side"):
        BinarizedCNNConfig(side=3)
    with pytest.raises(ConfigError, match="input_threshold"):
        BinarizedCNNConfig(input_threshold=1.5)


@pytest.fixture(scope="module")
def trained():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(96, 1, 8, 8, generator=gen)
    y = torch.randint(0, 10, (96,), generator=gen)
    return train_binarized_cnn(BinarizedCNNConfig(channels=(8, 16), epochs=2, batch_size=32), x, y, seed=1), x


def test_layers_compute_xnor_popcount_sums(trained):
    net, x = trained
    a0 = net.encode(x[:4])
    w = net.weights("conv1").reshape(8, -1)
    patches = torch.nn.functional.unfold(a0, 3).transpose(1, 2).reshape(-1, 9)
    s = torch.nn.functional.conv2d(a0, net.weights("conv1")).flatten(2).transpose(1, 2).reshape(-1, 8)
    assert torch.equal(s, xnor_popcount(patches, w).to(s.dtype))


def test_crossbar_on_ideal_devices_equals_software_and_counts_synops(trained):
    net, x = trained
    ideal = InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=IOConfig(is_perfect=True),
                                drift_compensation="none")
    with Ledger() as led:
        z = crossbar_logits(net, x, ideal, seed=3)
    with torch.no_grad():
        ref = net(x)
    assert torch.allclose(z, ref, atol=1e-4)
    # per image: conv1 36 patches × 9 × 8, conv2 1 patch × 72 × 16, fc 16 × 10
    assert led.count("synop") == 96 * (36 * 9 * 8 + 72 * 16 + 16 * 10)


def test_crossbar_noise_is_reproducible_for_a_seed(trained):
    net, x = trained
    a, b, c = (crossbar_logits(net, x, seed=s) for s in (5, 5, 6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_float_network_is_the_same_architecture():
    f = BinarizedCNN(BinarizedCNNConfig(binary=False, channels=(8, 16)))
    b = BinarizedCNN(BinarizedCNNConfig(channels=(8, 16)))
    assert [p.shape for p in f.parameters()] == [p.shape for p in b.parameters()]
    with pytest.raises(DataError, match="not binary"):
        crossbar_logits(f.eval(), torch.rand(2, 1, 8, 8))
