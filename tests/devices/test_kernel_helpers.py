"""Kernel helpers: counter-based draws equal sequential ones, sub-streams, popcount, vectorized abs-max."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from neurofab.devices.kernels import abs_max, popcount
from neurofab.devices.rng import (
    new_state,
    normal,
    normal_from,
    skip_ahead,
    stream_seed,
    uniform,
    uniform_ahead,
    uniform_from,
)


@numba.njit
def _sequential(z, n):
    out = np.empty(n)
    for k in range(n):
        out[k], z = uniform_from(z)
    return out, z


@numba.njit
def _ahead(z, n):
    out = np.empty(n)
    for k in range(n):
        out[k] = uniform_ahead(z, k)
    return out, skip_ahead(z, n)


@numba.njit
def _array_state(seed, n):
    st = new_state(seed)
    out = np.empty(2 * n)
    for k in range(n):
        out[2 * k] = uniform(st)
        out[2 * k + 1] = normal(st)
    return out


@numba.njit
def _scalar_state(seed, n):
    z = np.uint64(seed)
    out = np.empty(2 * n)
    for k in range(n):
        out[2 * k], z = uniform_from(z)
        out[2 * k + 1], z = normal_from(z)
    return out


@numba.njit
def _streams(seed, n):
    return np.array([stream_seed(seed, k) for k in range(n)])


@numba.njit
def _popcounts(v):
    return np.array([popcount(x) for x in v])


@numba.njit
def _row_abs_max(x):
    return np.array([abs_max(x, b) for b in range(x.shape[0])])


def test_counter_based_uniforms_equal_sequential_draws():
    seq, z_seq = _sequential(np.uint64(12345), 1000)
    ahead, z_ahead = _ahead(np.uint64(12345), 1000)
    assert np.array_equal(seq, ahead) and z_seq == z_ahead


def test_array_and_scalar_states_draw_the_same_numbers():
    assert np.array_equal(_array_state(77, 5000), _scalar_state(77, 5000))


def test_sub_streams_are_distinct_and_reproducible():
    a = _streams(9, 4096)
    assert len(set(a.tolist())) == 4096
    assert np.array_equal(a, _streams(9, 4096)) and not np.array_equal(a, _streams(10, 4096))


def test_popcount():
    v = np.array([0, 1, 0xFF, 2**63, 2**64 - 1, 0x5555555555555555], dtype=np.uint64)
    assert _popcounts(v).tolist() == [0, 1, 8, 1, 64, 32]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_abs_max_matches_numpy(dtype):
    x = np.random.default_rng(0).normal(size=(7, 133)).astype(dtype)
    x[2] = 0.0
    x[3, 5] = -40.0
    x[4, 0] = np.inf
    assert np.array_equal(_row_abs_max(x), np.abs(x).max(axis=1).astype(np.float64))
    x[5, 9] = np.nan
    assert np.isnan(_row_abs_max(x)[5])
