"""The compiled stochastic update: thread-count independence, long (multi-word) trains, every family's path."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import Ledger
from neurofab.crossbar import AnalogTile, TileConfig, UpdateConfig
from neurofab.crossbar import update as update_module
from neurofab.devices import ConstantStep, ExpStep, PowStep, SoftBounds

NO_D2D = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def rand(*shape, seed=0, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


@pytest.mark.parametrize(
    "device",
    [SoftBounds(write_noise_std=1.0), ConstantStep(), PowStep(pow_gamma=2.0)],
    ids=["affine+write-noise", "constant", "general"],
)
def test_update_is_bit_identical_on_one_and_two_threads(device, monkeypatch):
    """Rows draw from their own streams, so splitting them across threads changes nothing."""
    monkeypatch.setattr(update_module, "_PARALLEL_MIN_VISITS", 0)
    x, d = rand(6, 40, seed=1).abs(), rand(6, 30, seed=2, scale=0.05)
    finals = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        tile = AnalogTile(30, 40, TileConfig(device=device), seed=5)
        tile.set_weights(rand(30, 40, seed=3, scale=0.1))
        with Ledger() as led:
            for _ in range(3):
                tile.update(x, d, 0.5)
        finals.append((tile.get_weights().clone(), tile.array.w.clone(), led.count("write_pulse")))
    assert finals[0][2] > 0 and finals[0][2] == finals[1][2]
    assert torch.equal(finals[0][0], finals[1][0]) and torch.equal(finals[0][1], finals[1][1])


def test_same_seed_same_result_and_other_seed_differs():
    x, d = rand(8, 20, seed=1).abs(), rand(8, 10, seed=2, scale=0.05)
    out = []
    for seed in (4, 4, 5):
        tile = AnalogTile(10, 20, TileConfig(device=SoftBounds()), seed=seed)
        tile.update(x, d, 0.5)
        out.append(tile.get_weights())
    assert torch.equal(out[0], out[1]) and not torch.equal(out[0], out[2])


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_trains_longer_than_one_mask_word_are_unbiased(backend):
    """Trains of up to 100 slots (two 64-bit words): the mean written change is still −lr δᵀx.

    Constant step, no noise, no d2d; lr chosen so that k = lr·max|x|·max|δ|/dw_min ≈ 48, 95 and 76 for the
    three samples: BL = ⌈k⌉ = 48, 96, 77, no probability clips, and two samples need the second mask word.
    """
    torch.set_num_threads(1)
    dev = ConstantStep(dw_min=0.001, dw_min_std=0.0, w_min=-10.0, w_max=10.0, **NO_D2D)
    up = UpdateConfig(desired_bl=100, backend=backend)
    x, d = rand(3, 5, seed=1).abs() * 0.5, rand(3, 4, seed=2, scale=0.01)
    lr = 12.0
    tile = AnalogTile(4, 5, TileConfig(device=dev, update=up), seed=0)
    reps = 120
    total = torch.zeros(4, 5)
    for _ in range(reps):
        tile.set_weights(torch.zeros(4, 5))
        tile.update(x, d, lr)
        total += tile.get_weights()
    target = -lr * d.T @ x
    n = lr * d.abs().T @ x.abs() / 0.001  # expected pulses per device (≈ 10²–10³)
    sd = 0.001 * torch.sqrt(n + 1) / reps**0.5
    assert ((total / reps - target).abs() < 5 * sd + 1e-6).all()


@pytest.mark.parametrize(
    "device", [ExpStep(dw_min=0.01), SoftBounds(dw_min=0.01)], ids=["exp-step", "soft-bounds"]
)
@pytest.mark.parametrize("desired_bl", [31, 80])
def test_compiled_update_matches_torch_backend_in_distribution(device, desired_bl):
    """Both compiled kernels (affine one-word and general) against the torch trains, for one and two words."""
    torch.set_num_threads(1)
    x, d = rand(8, 16, seed=3).abs(), rand(8, 8, seed=4, scale=0.05)
    finals = {}
    for backend in ("numba", "torch"):
        ws = []
        for rep in range(30):
            cfg = TileConfig(device=device, update=UpdateConfig(backend=backend, desired_bl=desired_bl))
            tile = AnalogTile(8, 16, cfg, seed=rep)
            tile.set_weights(torch.full((8, 16), 0.1))
            tile.update(x, d, 2.0)
            ws.append(tile.get_weights())
        finals[backend] = torch.stack(ws)
    m_n, m_t = finals["numba"].mean(0), finals["torch"].mean(0)
    s = finals["numba"].std(0) + finals["torch"].std(0) + 1e-6
    assert ((m_n - m_t).abs() < 2.5 * s).float().mean() > 0.97


def test_sparse_slots_list_each_fired_index_once_across_mask_words():
    """A train longer than 64 slots spans two mask words; on the sparse (thinning) path an index that fired in the
    first word is not listed again when it fires in the second (the list is sized for one entry per index)."""
    import numpy as np

    n = 400
    v = np.full((1, n), 0.05)  # every probability 0.05 < 0.1: the geometric-skip path
    mask = np.zeros((2, n), np.uint64)
    fired = np.zeros(2 * n, np.int64)  # room for the duplicates the list must not contain
    n_fired, z = 0, np.uint64(7)
    for k in range(100):
        n_fired, z = update_module._draw_slot(v, 0, 1.0, 0.05, k // 64, np.uint64(1) << np.uint64(k % 64), mask,
                                              fired, n_fired, z)
    listed = fired[:n_fired]
    assert len(set(listed.tolist())) == n_fired  # no index twice
    assert set(listed.tolist()) == set(np.flatnonzero((mask != 0).any(axis=0)).tolist())
    assert ((mask[0] != 0) & (mask[1] != 0)).sum() > 100  # many indices fire in both words: the case tested


@pytest.mark.parametrize("p_max", [0.0, 1e-300, float("nan")])
def test_sparse_slot_with_a_vanishing_probability_touches_nothing(p_max):
    """p_max that underflowed to 0 (or is tiny, or nan) makes the geometric gap inf or nan: the slot must end
    without an index, not convert the gap to an integer (undefined for inf and nan) and write out of bounds."""
    import numpy as np

    v = np.zeros((1, 50))
    mask = np.zeros((1, 50), np.uint64)
    fired = np.zeros(50, np.int64)
    n_fired, _ = update_module._draw_slot(v, 0, 1.0, p_max, 0, np.uint64(1), mask, fired, 0, np.uint64(3))
    assert n_fired == 0 and not mask.any()


def test_update_with_a_denormal_error_sample_completes():
    """A sample whose δ is denormal (a saturated sigmoid's derivative, 4e-40 in float32) makes its pulse
    probabilities ≈ 1e-19 under update management: the compiled draw once turned the resulting gap into an
    out-of-range index and crashed (MNIST, BL 100). Now that sample writes nothing and the update completes."""
    torch.set_num_threads(1)
    tile = AnalogTile(32, 392, TileConfig(device=ConstantStep(dw_min=0.001), update=UpdateConfig(
        desired_bl=100, backend="numba")), seed=0)
    x = torch.rand(16, 392, generator=torch.Generator().manual_seed(1))
    d = rand(16, 32, seed=2, scale=1e-3)
    d[10] = 4.1e-40  # denormal
    d[12] = 2.9e-27
    before = tile.get_weights().clone()
    for _ in range(20):
        tile.update(x, d, 0.03)
    after = tile.get_weights()
    assert torch.isfinite(after).all() and not torch.equal(after, before)  # the other samples did write
