"""The float32 Gaussian sampler of the inference ADC kernel (1024-layer ziggurat, two numbers per hash)."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from scipy import stats

from neurofab.crossbar import inference_kernels as kern


def _normals(n: int, seed: int) -> np.ndarray:
    out = np.empty(n, np.float32)
    kern.standard_normal_fill32(out, np.uint64(seed))
    return out.astype(np.float64)


@numba.njit(cache=True)
def _rows(n_rows, cols, seed):  # pragma: no cover - compiled
    """normals32_into on each row of a (n_rows, cols) array, as the ADC kernel draws them."""
    out = np.full((n_rows, cols), np.nan, np.float32)
    retry = np.empty(cols, np.bool_)
    half = cols - cols // 2
    for b in range(n_rows):
        kern.normals32_into(out[b], retry, seed, b * half)
    return out


def _adc_noise(seed: int, threads: int | None = None, n: int = 3000, cols: int = 37) -> np.ndarray:
    """Output noise alone (σ = 1, no ADC rounding or bound) from adc_finish: the standard normals it adds."""
    y = np.zeros((n, cols), np.float32)
    out = np.empty_like(y)
    hit = np.empty(n, np.bool_)
    old = numba.get_num_threads()
    try:
        if threads is not None:
            numba.set_num_threads(threads)
        kern.adc_finish(y, out, np.arange(n), np.float32(1.0), y, False, np.float32(1.0), np.float32(0.0),
                        np.float32(0.0), False, False, np.ones(n, np.float32), np.ones(cols, np.float32),
                        np.uint64(seed), hit)
    finally:
        numba.set_num_threads(old)
    return out


def test_tables_have_equal_layer_areas_and_reach_the_top():
    x, f, v = kern.ZIG32_X64, kern.ZIG32_F, kern._V32
    assert x.shape == (1025,) and x[1] == kern._R32 and x[1024] == 0.0
    assert np.allclose(x[1:1024] * (f[2:1025] - f[1:1024]), v, rtol=1e-9, atol=0)  # every layer, the top one included
    tail = math.sqrt(math.pi / 2) * math.erfc(kern._R32 / math.sqrt(2))
    assert x[0] * f[1] == pytest.approx(v, rel=1e-6, abs=0) and kern._R32 * f[1] + tail == pytest.approx(
        v, rel=1e-12, abs=0)
    assert np.all(np.diff(x) < 0)
    assert np.array_equal(kern.ZIG32_X, x.astype(np.float32))


def test_draws_are_standard_normal():
    z = _normals(1_000_000, 11)
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert z.var() == pytest.approx(1.0, abs=5 * math.sqrt(2 / n))
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / n)  # excess kurtosis of a normal: 0
    assert stats.kstest(z[:300_000], "norm").pvalue > 1e-3
    for k in (1.0, 2.0, 3.0, 4.0, 4.5):  # tails, beyond the base strip (|z| > r = 4.04) included
        p = 2 * stats.norm.sf(k)
        assert (np.abs(z) > k).mean() == pytest.approx(p, abs=5 * math.sqrt(p / n) + 1 / n)
    assert (z > kern._R32).sum() > 0 and (z < -kern._R32).sum() > 0


def test_rejected_first_tries_are_finished_as_normal_numbers():
    """The rare draws that leave the vectorised first try (wedges, tail) still follow the normal law there."""
    z = _normals(2_000_000, 5)
    wedge = np.abs(z)[(np.abs(z) > 1.0) & (np.abs(z) < kern._R32)]
    # the conditional law on 1 < |z| < r: compare with the normal truncated there
    lo, hi = stats.norm.cdf(1.0), stats.norm.cdf(kern._R32)
    cdf = lambda t: (stats.norm.cdf(t) - lo) / (hi - lo)  # noqa: E731
    assert stats.kstest(wedge[:200_000], cdf).pvalue > 1e-3
    tail = np.abs(z)[np.abs(z) > kern._R32]
    assert tail.size > 40  # ≈ 108 expected
    assert stats.kstest(tail, lambda t: 1 - stats.norm.sf(t) / stats.norm.sf(kern._R32)).pvalue > 1e-3


def test_same_seed_same_numbers_any_thread_count():
    a = _normals(50_000, 3)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        b = _normals(50_000, 3)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a, b)
    assert np.array_equal(_adc_noise(4, threads=1), _adc_noise(4))
    assert not np.array_equal(_adc_noise(4), _adc_noise(5))


def test_rows_halves_blocks_and_seeds_are_independent():
    z = _normals(100 * 4096, 8)
    blocks = z.reshape(-1, 4096)  # the fill's blocks of 4,096 (hashes 2048·c …), each next to the following one
    assert abs(np.corrcoef(blocks[:-1].ravel(), blocks[1:].ravel())[0, 1]) < 5 / math.sqrt(blocks[1:].size)
    low, high = z[: 4096 // 2], z[2048:4096]  # the two halves of the same hashes in a block
    assert abs(np.corrcoef(low, high)[0, 1]) < 5 / math.sqrt(low.size)
    assert abs(np.corrcoef(z, _normals(100 * 4096, 9))[0, 1]) < 5 / math.sqrt(z.size)
    noise = _adc_noise(7).astype(np.float64)  # rows of an odd width (37 = 19 + 18 per hash pair)
    assert abs(np.corrcoef(noise[:-1].ravel(), noise[1:].ravel())[0, 1]) < 5 / math.sqrt(noise.size)
    assert abs(np.corrcoef(noise[:, :18].ravel(), noise[:, 19:].ravel())[0, 1]) < 5 / math.sqrt(noise.size / 2)
    col_mean = noise.mean(axis=0)  # every column (low half, middle, high half) standard normal
    assert np.all(np.abs(col_mean) < 5 / math.sqrt(noise.shape[0]))
    assert np.allclose(noise.std(axis=0), 1.0, atol=5 * math.sqrt(0.5 / noise.shape[0]))


@pytest.mark.parametrize("cols", [1, 2, 7, 8, 9, 256])
def test_every_element_of_a_row_is_drawn_once(cols):
    z = _rows(400, cols, np.uint64(2))
    assert np.isfinite(z).all()
    assert np.unique(z).size > 0.99 * z.size  # no element copied from another
    assert np.array_equal(z, _rows(400, cols, np.uint64(2)))
