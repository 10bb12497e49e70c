"""Compiled inference kernels: the Gaussian sampler, and the compiled MVM path against the torch path."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
import torch
from scipy import stats

from neurofab.core import ShapeError
from neurofab.crossbar import inference_kernels as kern
from neurofab.crossbar.inference_tile import forward_mvm
from neurofab.crossbar.io import IOConfig


def _normals(n: int, seed: int) -> np.ndarray:
    out = np.empty(n)
    kern.standard_normal_fill(out, np.uint64(seed))
    return out


def test_ziggurat_tables_have_equal_layer_areas():
    x, f = kern.ZIG_X, kern.ZIG_F
    areas = x[1:256] * (f[2:257] - f[1:256])
    assert np.allclose(areas, kern._V, rtol=1e-9, atol=0)
    assert x[1] == kern._R and x[256] == 0.0
    assert x[0] * f[1] == pytest.approx(kern._V)  # the base strip: rectangle plus tail


def test_sampler_is_standard_normal():
    z = _normals(1_000_000, 7)
    assert abs(z.mean()) < 5 / 1000
    assert z.std() == pytest.approx(1.0, abs=5 * math.sqrt(0.5 / 1e6))
    assert stats.kstest(z[:200_000], "norm").pvalue > 1e-3
    for k in (2.0, 3.0, 4.0):  # tails, including draws from beyond the base strip (|z| > 3.65)
        p = 2 * stats.norm.sf(k)
        assert (np.abs(z) > k).mean() == pytest.approx(p, abs=5 * math.sqrt(p / 1e6))
    assert (z > 3.7).sum() > 0 and (z < -3.7).sum() > 0


def test_sampler_is_reproducible_and_independent_of_threads():
    a = _normals(10_000, 3)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        b = _normals(10_000, 3)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(a, b)
    c = _normals(10_000, 4)
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.05


@pytest.mark.parametrize(
    "io",
    [
        IOConfig(out_noise=0.0),
        IOConfig(out_noise=0.0, out_bound=3.0, bm_test_negative_bound=False),
        IOConfig(out_noise=0.0, noise_management="constant", nm_thres=0.5),
        IOConfig(out_noise=0.0, noise_management="abs_max", nm_thres=0.3),
        IOConfig(out_noise=0.0, noise_management="none", inp_bits=8, out_bits=10, out_bound=10.0,
                 bound_management="none", out_scale=2.0),
    ],
)
def test_compiled_path_equals_the_torch_path_without_noise(io):
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(40, 70, generator=gen) * 2 - 1
    x = torch.rand(200, 70, generator=gen) * 2 - 1
    x[5] = 0.0
    col = torch.rand(40, generator=gen) + 0.5
    a = forward_mvm(w, x, io, torch.Generator().manual_seed(1), col_scale=col, compiled=False)
    b = forward_mvm(w, x, io, torch.Generator().manual_seed(1), col_scale=col, compiled=True)
    assert float((a - b).abs().max()) <= 1e-5 * float(a.abs().max())
    strided = forward_mvm(w[:, :35], x[:, ::2], io, torch.Generator().manual_seed(1), compiled=True)
    dense = forward_mvm(w[:, :35], x[:, ::2].contiguous(), io, torch.Generator().manual_seed(1), compiled=False)
    assert float((strided - dense).abs().max()) <= 1e-5 * float(dense.abs().max())


def test_compiled_path_noise_statistics():
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(16, 30, generator=gen) * 2 - 1
    x = torch.rand(20000, 30, generator=gen) * 2 - 1
    io = IOConfig(noise_management="none", out_noise=0.05, out_bits=None, out_bound=None, inp_bits=10,
                  bound_management="none")
    codes = torch.round(x / io.inp_step) * io.inp_step
    y = forward_mvm(w, x, io, torch.Generator().manual_seed(2), compiled=True)
    assert float((y - codes @ w.T).std()) == pytest.approx(0.05, rel=0.02)
    var = torch.rand(16, 30, generator=gen) * 0.01
    y = forward_mvm(w, x, io.replace(out_noise=0.0), torch.Generator().manual_seed(3), w_var=var, compiled=True)
    z = (y - codes @ w.T) / torch.sqrt((codes * codes) @ var.T)
    assert float(z.std()) == pytest.approx(1.0, rel=0.02)
    again = forward_mvm(w, x, io.replace(out_noise=0.0), torch.Generator().manual_seed(3), w_var=var, compiled=True)
    assert torch.equal(y, again)


def test_reading_a_column_block_equals_slicing_it():
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(12, 30, generator=gen) * 2 - 1
    x = torch.rand(50, 80, generator=gen) * 2 - 1
    io = IOConfig()
    a = forward_mvm(w, x, io, torch.Generator().manual_seed(4), in_cols=slice(20, 50))
    b = forward_mvm(w, x[:, 20:50].contiguous(), io, torch.Generator().manual_seed(4))
    c = forward_mvm(w, x, io, torch.Generator().manual_seed(4), in_cols=slice(20, 50), compiled=False)
    d = forward_mvm(w, x[:, 20:50], io, torch.Generator().manual_seed(4), compiled=False)
    assert torch.equal(a, b) and torch.equal(c, d)
    with pytest.raises(ShapeError):
        forward_mvm(w, x, io, gen, in_cols=slice(0, 10))


def test_dac_kernel_scale_codes_and_finiteness_on_a_column_block():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((60, 90)) * rng.uniform(0.01, 100, (60, 1))).astype(np.float32)
    x[4] = 0.0
    x[5, 30] = -0.0
    x[7, 40], x[8, 41], x[9, 42], x[10, 43] = np.nan, np.inf, -np.inf, -np.nan
    x[11, 10] = np.inf  # outside the block read (columns 20 … 69): the row is finite there
    x[12, 50] = -1e30  # the largest magnitude is negative
    rows = np.arange(3, 60, 2)  # a subset of the rows, as a bound-management pass reads
    col0, cols = 20, 50
    step, lim = np.float32(1 / 63), np.float32(63.0)
    codes = np.empty((rows.size, cols), np.float32)
    squares = np.empty_like(codes)
    scale = np.empty(rows.size, np.float32)
    bad = np.empty(rows.size, np.bool_)
    kern.dac_codes(x, rows, col0, scale, True, np.float32(0), step, lim, False, codes, squares, bad)
    block = x[rows, col0:col0 + cols]
    assert np.array_equal(bad, ~np.isfinite(block).all(axis=1))
    ok = ~bad
    assert np.array_equal(scale[ok], np.abs(block[ok]).max(axis=1))
    s = np.where(scale > 0, scale, np.float32(1))[:, None]
    with np.errstate(invalid="ignore"):  # the non-finite rows
        expect = np.rint((block / s) / step)
    assert np.array_equal(codes[ok], expect[ok]) and np.array_equal(squares[ok], expect[ok] ** 2)
    # capped scale, clipped codes: the torch path's float32 operations
    cap = np.float32(0.5)
    kern.dac_codes(x, rows, col0, scale, True, cap, step, lim, True, codes, None, bad)
    assert np.array_equal(scale[ok], np.minimum(np.abs(block[ok]).max(axis=1), cap))
    s = np.where(scale > 0, scale, np.float32(1))[:, None]
    assert np.array_equal(codes[ok], np.clip(np.rint((block / s) / step), -lim, lim)[ok])


def test_compiled_read_and_output_noise_add_in_variance():
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(16, 30, generator=gen) * 2 - 1
    x = torch.rand(20000, 30, generator=gen) * 2 - 1
    io = IOConfig(noise_management="none", out_noise=0.05, out_bits=None, out_bound=None, inp_bits=10,
                  bound_management="none")
    codes = torch.round(x / io.inp_step) * io.inp_step
    var = torch.rand(16, 30, generator=gen) * 0.01
    y = forward_mvm(w, x, io, torch.Generator().manual_seed(3), w_var=var, compiled=True)
    z = (y - codes @ w.T) / torch.sqrt((codes * codes) @ var.T + 0.05**2)
    assert float(z.mean()) == pytest.approx(0.0, abs=0.01)
    assert float(z.std()) == pytest.approx(1.0, rel=0.02)
    assert abs(stats.kurtosis(z.flatten().numpy())) < 0.1  # one Gaussian: no excess kurtosis
