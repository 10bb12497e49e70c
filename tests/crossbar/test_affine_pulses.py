"""The pulse kernel for affine-step devices: hand-built trains against a pulse-by-pulse trace."""

from __future__ import annotations

import numpy as np
import pytest

from neurofab.crossbar.affine_pulses import apply_trains_affine


def trains(masks_per_sample, d_signs, x_neg):
    """Trains of one row (row 0) over samples: masks_per_sample[s] = (row mask, {column: column mask})."""
    col_start, col_idx, col_mask, col_neg = [0], [], [], []
    row_sample, row_bits = [], []
    for s, (row_mask, cols) in enumerate(masks_per_sample):
        for j, m in sorted(cols.items()):
            col_idx.append(j)
            col_mask.append(m)
            col_neg.append(x_neg[j])
        col_start.append(len(col_idx))
        row_sample.append(s)
        row_bits.append(row_mask)
    d = np.array([[sign] for sign in d_signs], np.float32)
    return (
        d,
        np.array(col_start, np.int64),
        np.array(col_idx, np.uint32),
        np.array([col_mask], np.uint64),
        np.array(col_neg, np.bool_),
        np.array([0, len(row_sample)], np.int64),
        np.array(row_sample, np.int32),
        np.array([row_bits], np.uint64),
    )


def params(n_in, lo=-1.0, hi=1.0, up=0.1, down=0.1, slope_up=-0.1, slope_down=0.1):
    prm = np.zeros((1, n_in, 6), np.float32)
    prm[..., 0], prm[..., 1], prm[..., 2], prm[..., 3], prm[..., 4], prm[..., 5] = (
        lo, hi, up, down, slope_up, slope_down,
    )
    return prm


def trace(w, n, up, prm):
    """n noise-free pulses one at a time: w ← clip(w ± (Δ + slope·w)) (float32 parameters, as the kernel)."""
    lo, hi, dwu, dwd, su, sd = (float(v) for v in prm)
    for _ in range(n):
        step = (dwu + su * w) if up else -(dwd + sd * w)
        w = min(max(w + step, lo), hi)
    return w


def test_noise_free_pulses_follow_the_pulse_by_pulse_trace_with_clipping():
    # sample 0: δ > 0, x ≥ 0 → down pulses; sample 1: δ < 0 → up. Masks give n = popcount(row & column).
    samples = [
        (0b1111, {0: 0b0001, 1: 0b0111, 3: 0b1111}),
        (0b0110, {0: 0b0110, 2: 0b0100, 3: 0b1000}),
    ]
    d, *tr = trains(samples, d_signs=[1.0, -1.0], x_neg=[False, False, True, False])
    prm = params(4)
    prm[0, 1, 4:] = 0.0  # column 1: a constant step, so its down pulses reach the bound
    w0 = np.array([[0.5, -0.95, 0.2, 0.0]], np.float32)
    w = w0.copy()
    total = apply_trains_affine(w, w, prm, 0.0, False, 0.0, d, *tr, 7, 0, 1)
    expected = []
    for j in range(4):
        v = float(w0[0, j])
        for s, (row_mask, cols) in enumerate(samples):
            n = bin(row_mask & cols.get(j, 0)).count("1")
            up = (d[s, 0] < 0) != (j == 2)  # −sign(δ x) > 0
            v = trace(v, n, up, prm[0, j])
        expected.append(v)
    assert total == 1 + 3 + 4 + 2 + 1 + 0
    np.testing.assert_allclose(w[0], expected, rtol=0, atol=1e-6)
    assert w[0, 1] == pytest.approx(-1.0)  # three down pulses of 0.1 from −0.95: clipped at the first
    assert w[0, 2] == pytest.approx(0.2 - (0.1 + 0.1 * 0.2))  # sample 1 only; x < 0 makes δ < 0 a down pulse


def test_each_pulse_draws_its_own_c2c_noise_and_write_noise_is_drawn_once_per_touched_device():
    n_in, sigma, wn = 4000, 0.5, 0.03
    samples = [(0b111, {j: 0b111 if j < n_in // 2 else 0 for j in range(n_in)})]
    d, *tr = trains(samples, d_signs=[-1.0], x_neg=[False] * n_in)  # three up pulses on the first half
    prm = params(n_in, lo=-10.0, hi=10.0, up=0.01, slope_up=0.0)
    w = np.zeros((1, n_in), np.float32)
    w_read = np.full((1, n_in), 5.0, np.float32)
    total = apply_trains_affine(w, w_read, prm, sigma, False, wn, d, *tr, 11, 0, 1)
    assert total == 3 * (n_in // 2)
    moved = w[0, : n_in // 2]
    # three independent additive draws: mean 3Δw, std √3·σΔw
    assert moved.mean() == pytest.approx(0.03, abs=4 * np.sqrt(3) * 0.005 / np.sqrt(n_in // 2))
    assert moved.std() == pytest.approx(np.sqrt(3) * 0.005, rel=0.1)
    assert np.all(w[0, n_in // 2:] == 0) and np.all(w_read[0, n_in // 2:] == 5.0)  # untouched: no redraw
    read_noise = w_read[0, : n_in // 2] - moved
    assert read_noise.std() == pytest.approx(wn, rel=0.1) and abs(read_noise.mean()) < 4 * wn / np.sqrt(n_in // 2)


def test_same_seed_same_pulses_other_seed_differs():
    samples = [(0b1011, {j: 0b1111 for j in range(64)})]
    d, *tr = trains(samples, d_signs=[1.0], x_neg=[False] * 64)
    out = []
    for seed in (3, 3, 4):
        w = np.zeros((1, 64), np.float32)
        apply_trains_affine(w, w, params(64), 0.3, True, 0.0, d, *tr, seed, 0, 1)
        out.append(w.copy())
    assert np.array_equal(out[0], out[1]) and not np.array_equal(out[0], out[2])
