"""Gradient decomposition: SBPCA recovery, NMF non-negativity and descent, unbiased rounding, pulse transfer."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.analog.decomposition import (
    NMFDecomposition,
    StreamingBatchPCA,
    decomposition_flops,
    decomposition_memory,
    pulse_counts,
    round_pulses,
    stochastic_round,
    transfer_components,
)
from neurofab.core import ConfigError, NumericalError, ShapeError
from neurofab.devices import ConstantStep


def _low_rank_batch(m, n, r, batch, seed=1):
    g = torch.Generator().manual_seed(seed)
    u = torch.linalg.qr(torch.randn(m, r, generator=g, dtype=torch.float64))[0]
    v = torch.linalg.qr(torch.randn(n, r, generator=g, dtype=torch.float64))[0]
    scale = torch.arange(r, 0, -1, dtype=torch.float64)
    a = torch.randn(batch, r, generator=g, dtype=torch.float64) * scale
    return a @ u.T, a @ v.T


def test_sbpca_recovers_rank_one_batch_exactly():
    g = torch.Generator().manual_seed(0)
    u, v = torch.randn(30, dtype=torch.float64, generator=g), torch.randn(7, dtype=torch.float64, generator=g)
    c = torch.randn(64, generator=g, dtype=torch.float64)
    x, d = c[:, None] * u, c[:, None] * v  # every sample's gradient is parallel to u vᵀ
    sb = StreamingBatchPCA(30, 7, rank=1, block=8, seed=3)
    sb.update(x, d)
    true = x.T @ d / 64
    assert torch.allclose(sb.gradient(), true, atol=1e-10 * float(true.abs().max()))


def test_sbpca_sufficient_rank_beats_insufficient_and_reaches_small_error():
    x, d = _low_rank_batch(40, 12, 3, 512)
    true = x.T @ d / 512
    errs = {}
    for k in (2, 3):
        sb = StreamingBatchPCA(40, 12, rank=k, block=8, seed=0)
        for _ in range(5):  # warm start across batches
            sb.reset_batch()
            sb.update(x, d)
        errs[k] = float((sb.gradient() - true).norm() / true.norm())
    s = torch.linalg.svdvals(true)
    eckart_young = float(s[2:].norm() / s.norm())
    assert errs[3] < 0.01
    assert errs[2] >= eckart_young * 0.99  # no rank-2 matrix does better
    assert errs[2] > 10 * errs[3]


def test_sbpca_partial_blocks_and_shapes():
    sb = StreamingBatchPCA(5, 4, rank=2, block=3)
    x, d = torch.randn(4, 5), torch.randn(4, 4)
    sb.update(x, d)
    assert sb.i == 1
    sb.flush()
    assert sb.i == 2
    assert len(sb.components()) == 2 and sb.components()[0].shape == (4, 5)
    with pytest.raises(ShapeError):
        sb.update(torch.randn(2, 6), torch.randn(2, 4))
    with pytest.raises(ConfigError):
        StreamingBatchPCA(5, 4, rank=6, block=2)


def test_nmf_factors_nonnegative_and_error_decreases():
    g = torch.Generator().manual_seed(2)
    grad = torch.randn(20, 8, generator=g, dtype=torch.float64) @ torch.randn(8, 15, generator=g, dtype=torch.float64)
    pos = torch.clamp(grad, min=0)
    errors = []
    nmf = NMFDecomposition(20, 15, rank=4, iterations=1, seed=0)
    for _ in range(30):
        xf, df = nmf.factorize(pos, "P")
        assert (xf >= 0).all() and (df >= 0).all()
        errors.append(float((pos - xf @ df).norm()))
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(errors))  # HALS never increases the error
    assert errors[-1] < 0.7 * errors[0]
    nmf.decompose(grad)
    assert float((nmf.gradient() - grad).norm()) < float(grad.norm())
    assert len(nmf.components()) == 8
    with pytest.raises(NumericalError):
        nmf.factorize(grad, "P")


@settings(max_examples=25, deadline=None)
@given(st.floats(-5, 5, allow_nan=False), st.integers(0, 1000))
def test_stochastic_rounding_unbiased(value, seed):
    g = torch.Generator().manual_seed(seed)
    r = torch.full((20000,), value, dtype=torch.float64)
    out = stochastic_round(r, g)
    assert set(out.unique().tolist()) <= {int(torch.floor(r[0])), int(torch.floor(r[0])) + 1}
    assert abs(float(out.double().mean()) - value) < 0.02


def test_round_to_nearest_and_pulse_counts():
    r = torch.tensor([0.4, 0.6, -1.6, 2.5])
    assert round_pulses(r, "nearest").tolist() == [0, 1, -2, 2]  # ties to even
    assert pulse_counts(torch.tensor([0.01, -0.03]), 0.01, "nearest").tolist() == [1, -3]
    with pytest.raises(ConfigError):
        round_pulses(r, "floor")  # type: ignore[arg-type]
    with pytest.raises(NumericalError):
        pulse_counts(torch.tensor([float("nan")]), 0.01, "nearest")


def test_rank_sum_and_rank_seq_on_an_ideal_device_agree():
    dev = ConstantStep(dw_min=0.01, dw_min_dtod=0, dw_min_std=0, up_down_dtod=0, w_min_dtod=0, w_max_dtod=0)
    comps = [torch.full((3, 4), 0.2), torch.full((3, 4), -0.05)]
    a, b = dev.build((3, 4), seed=0), dev.build((3, 4), seed=0)
    n_sum = transfer_components(a, comps, 1.0, "rank-sum", "nearest")
    n_seq = transfer_components(b, comps, 1.0, "rank-seq", "nearest")
    assert torch.allclose(a.w, torch.full((3, 4), -0.15), atol=1e-6)
    assert torch.allclose(a.w, b.w, atol=1e-6)
    assert n_sum == 12 * 15 and n_seq == 12 * 25  # rank-seq writes 20 up and 5 down per device


def test_memory_and_flops():
    assert decomposition_memory("mbgd", 400, 100) == 40000
    assert decomposition_memory("sbpca", 400, 100, rank=10) == 10 * 501
    assert decomposition_flops("mbgd", 400, 100, batch=128) == 2 * 128 * 400 * 100
    assert decomposition_flops("sbpca", 400, 100, batch=128, rank=3, block=32) == 4 * 128 * 3 * 500 + 4 * 4 * 3 * 500
    with pytest.raises(ConfigError):
        decomposition_memory("svd", 1, 1)
