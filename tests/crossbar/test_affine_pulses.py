"""The pulse kernels for affine-step devices, per pulse and composed: hand-built trains against a pulse-by-pulse
trace, and the composed kernel's weights against the per-pulse distribution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurofab.crossbar.affine_pulses import apply_trains_affine
from neurofab.crossbar.composed_pulses import apply_trains_composed, column_masks


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


# ----- composed kernel -----------------------------------------------------------------------------------------
def composed(w, w_read, prm, sigma, mult, wn, d, col_start, col_idx, col_mask, col_neg, *rows, seed=7, split=1):
    """Run the composed kernel over all rows, with the rows split into ``split`` interleaved sets."""
    masks = column_masks(col_start, col_idx, col_mask, col_neg, w.shape[1])
    out = [
        apply_trains_composed(w, w_read, prm, sigma, mult, wn, d, *masks, *rows, seed, k, split) for k in range(split)
    ]
    return sum(o[0] for o in out), sum(o[1] for o in out)


def test_noise_free_visits_equal_the_pulse_by_pulse_trace_including_clips():
    samples = [
        (0b1111, {0: 0b0001, 1: 0b0111, 3: 0b1111}),
        (0b0110, {0: 0b0110, 2: 0b0100, 3: 0b1000}),
        (0b1111, {0: 0b1111, 1: 0b0011}),
    ]
    d, *tr = trains(samples, d_signs=[1.0, -1.0, -1.0], x_neg=[False, False, True, False])
    prm = params(4)
    prm[0, 1, 4:] = 0.0  # column 1: a constant step; its down pulses reach the bound and clip
    prm[0, 3, 5] = 1.5  # column 3: a down slope steeper than the range (q < 0): pulse by pulse always
    w0 = np.array([[0.5, -0.95, 0.2, 0.3]], np.float32)
    w = w0.copy()
    total, one_by_one = composed(w, w.copy(), prm, 0.0, False, 0.0, d, *tr)
    expected = []
    for j in range(4):
        v = float(w0[0, j])
        for s, (row_mask, cols) in enumerate(samples):
            n = bin(row_mask & cols.get(j, 0)).count("1")
            v = trace(v, n, (d[s, 0] < 0) != (j == 2), prm[0, j])
        expected.append(v)
    assert total == (1 + 3 + 4) + (2 + 1 + 0) + (4 + 2)
    np.testing.assert_allclose(w[0], expected, rtol=0, atol=1e-6)
    assert w[0, 1] == pytest.approx(-1.0 + 2 * 0.1)  # clipped at −1 in sample 0, then two up pulses
    assert one_by_one >= 2  # column 1's clipped visit and column 3's down visit


def _many_devices(n_in, masks, signs, x_neg=False):
    """The same visits (row mask, column mask, δ sign per sample) on every column of one row."""
    samples = [(row, {j: col for j in range(n_in)}) for row, col in masks]
    return trains(samples, d_signs=signs, x_neg=[x_neg] * n_in)


def _ks(a, b):
    """Two-sample Kolmogorov–Smirnov statistic."""
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return np.abs(fa - fb).max()


@pytest.mark.parametrize("start", [0.0, 0.9])  # far from the bounds; at 0.9 the upper clip binds often
def test_composed_weights_have_the_distribution_of_per_pulse_application(start):
    n_in, sigma = 20_000, 1.5
    visits = [(0b11111, 0b10111), (0b0111, 0b0110), (0b111111, 0b111111), (0b1, 0b1)]
    d, *tr = _many_devices(n_in, visits, signs=[-1.0, 1.0, -1.0, -1.0])  # up 4, down 2, up 6, up 1
    prm = params(n_in, up=0.05, down=0.04, slope_up=-0.05, slope_down=0.04)
    finals = []
    for kernel in ("composed", "per-pulse"):
        w = np.full((1, n_in), start, np.float32)
        if kernel == "composed":
            composed(w, w.copy(), prm, sigma, False, 0.0, d, *tr, seed=5)
        else:
            apply_trains_affine(w, w.copy(), prm, sigma, False, 0.0, d, *tr, 6, 0, 1)
        finals.append(w[0].astype(np.float64))
    ours, reference = finals
    assert _ks(ours, reference) < 1.95 * np.sqrt(2 / n_in)  # α = 0.001
    if start == 0.0:  # no clip within 8 σ: the Gaussian of the module docstring, mean and variance
        q_up, q_dn, m, v = 1 - 0.05, 1 - 0.04, 0.0, 0.0
        for n, up in ((4, True), (2, False), (6, True), (1, True)):
            q, a0 = (q_up, 0.05) if up else (q_dn, -0.04)
            for _ in range(n):
                m, v = q * m + a0, q * q * v + (sigma * a0) ** 2
        assert ours.mean() == pytest.approx(m, abs=4 * np.sqrt(v / n_in))
        assert ours.var() == pytest.approx(v, rel=0.05)
    else:
        assert (reference >= 1.0 - 1e-6).mean() > 0.1  # the bound does bind here
        assert (ours >= 1.0 - 1e-6).mean() == pytest.approx((reference >= 1.0 - 1e-6).mean(), abs=0.02)


def test_result_is_independent_of_the_thread_split_and_follows_the_seed():
    rng = np.random.default_rng(0)
    n_out, n_in, n_batch = 6, 40, 5
    samples = [
        (int(rng.integers(1, 2**10)), {j: int(rng.integers(0, 2**10)) for j in range(n_in)}) for _ in range(n_batch)
    ]
    _, col_start, col_idx, col_mask, col_neg, _, _, _ = trains(samples, [1.0] * n_batch, [False] * n_in)
    d = rng.choice([-1.0, 1.0], size=(n_batch, n_out)).astype(np.float32)
    row_ptr = np.arange(0, n_out * n_batch + 1, n_batch, dtype=np.int64)  # every row fires in every sample
    row_sample = np.tile(np.arange(n_batch, dtype=np.int32), n_out)
    row_bits = rng.integers(1, 2**10, size=(1, n_out * n_batch)).astype(np.uint64)
    prm = np.repeat(params(n_in, up=0.02, down=0.02, slope_up=-0.02, slope_down=0.02), n_out, axis=0)
    out = []
    for split, seed in ((1, 3), (2, 3), (3, 3), (1, 4)):
        w = np.full((n_out, n_in), 0.1, np.float32)
        w_read = w.copy()
        composed(w, w_read, prm, 0.8, False, 0.05, d, col_start, col_idx, col_mask, col_neg, row_ptr, row_sample,
                 row_bits, seed=seed, split=split)
        out.append((w, w_read))
    for w, w_read in out[1:3]:
        assert np.array_equal(w, out[0][0]) and np.array_equal(w_read, out[0][1])
    assert not np.array_equal(out[3][0], out[0][0])
    assert np.all(out[0][1] != out[0][0])  # write noise drawn for every touched device


def test_tile_update_chooses_the_composed_kernel_only_where_it_is_exact():
    from neurofab.crossbar import AnalogTile, TileConfig, UpdateConfig
    from neurofab.devices import ConstantStep, SoftBounds

    x = torch.rand(16, 24)
    d = torch.randn(16, 12) * 0.1
    results = {}
    for device in (SoftBounds(mult_noise=False, dw_min_std=0.3), SoftBounds(mult_noise=True, dw_min_std=0.3),
                   ConstantStep(dw_min_std=0.3)):
        for compose in (True, False):
            tile = AnalogTile(12, 24, TileConfig(device=device, update=UpdateConfig(compose_pulses=compose)), seed=1)
            tile.update(x, d, lr=0.05)
            results[type(device).__name__, getattr(device, "mult_noise", True), compose] = tile.get_weights().clone()
    # multiplicative noise on a state-dependent step has no closed form: the same per-pulse kernel either way
    assert torch.equal(results["SoftBounds", True, True], results["SoftBounds", True, False])
    # additive noise (and a constant step): composed, so other random numbers than the per-pulse kernel
    assert not torch.equal(results["SoftBounds", False, True], results["SoftBounds", False, False])
    assert not torch.equal(results["ConstantStep", True, True], results["ConstantStep", True, False])
