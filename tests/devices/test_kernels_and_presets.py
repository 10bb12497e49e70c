"""Compiled kernels against the torch path, the kernel RNG, presets and the one-sided pair."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
import torch

from neurofab.core import UnknownNameError
from neurofab.devices import (
    ConstantStep,
    ExpStep,
    LinearStep,
    NeuroSimNonlinear,
    OneSidedPair,
    PiecewiseStep,
    PowStep,
    SoftBounds,
    device_presets,
)
from neurofab.devices.rng import new_state, normal, uniform

FAMILIES = [
    ConstantStep(),
    LinearStep(gamma_up=0.5, gamma_down=0.3, mult_noise=False),
    SoftBounds(write_noise_std=1.0),
    ExpStep(dw_min_std_add=0.001, dw_min_std_slope=0.5),
    PowStep(pow_gamma=2.0),
    PiecewiseStep(piecewise_up=[1.5, 1.0, 0.5], piecewise_down=[0.4, 1.0, 1.6]),
    NeuroSimNonlinear(),
]


@numba.njit
def _moments(seed, n):
    st = new_state(seed)
    su = su2 = sn = sn2 = sn4 = 0.0
    for _ in range(n):
        u = uniform(st)
        g = normal(st)
        su += u
        su2 += u * u
        sn += g
        sn2 += g * g
        sn4 += g**4
    return su / n, su2 / n, sn / n, sn2 / n, sn4 / n


def test_kernel_rng_moments():
    mu, mu2, mn, mn2, mn4 = _moments(12345, 400_000)
    assert mu == pytest.approx(0.5, abs=0.003) and mu2 == pytest.approx(1 / 3, abs=0.003)
    assert mn == pytest.approx(0.0, abs=0.008) and mn2 == pytest.approx(1.0, abs=0.01)
    assert mn4 == pytest.approx(3.0, abs=0.06)


@pytest.mark.parametrize("dev", FAMILIES, ids=lambda d: type(d).__name__)
def test_compiled_and_torch_pulses_agree_in_distribution(dev):
    """The numba kernel and the torch path implement the same per-pulse response (mean and spread)."""
    n = 6000
    counts = torch.where(torch.arange(n) % 2 == 0, 7, -5)
    out = {}
    for backend in ("numba", "torch"):
        arr = dev.build((n,), seed=4, dtype=torch.float64)
        arr.set_weights(torch.full((n,), 0.1 * dev.w_max))
        arr.pulse(counts, backend=backend)
        out[backend] = arr.get_weights()
    for sel in (slice(0, None, 2), slice(1, None, 2)):
        a, b = out["numba"][sel], out["torch"][sel]
        spread = float(torch.sqrt(a.var() + b.var())) + 1e-9
        assert abs(float(a.mean() - b.mean())) < 5 * spread / math.sqrt(n / 2)
        assert float(a.std()) == pytest.approx(float(b.std()), rel=0.15, abs=1e-7)


def test_pulse_is_reproducible_from_the_seed():
    a = SoftBounds().build((50, 40), seed=9)
    b = SoftBounds().build((50, 40), seed=9)
    counts = torch.randint(-4, 5, (50, 40), generator=torch.Generator().manual_seed(0))
    a.pulse(counts)
    b.pulse(counts)
    assert torch.equal(a.w, b.w)


def test_presets_are_named_and_documented():
    names = device_presets.names()
    for name in ("ttv2_array", "zhao_ag_si", "reram_soft_bounds", "ecram", "pcm_like", "pcm_pair", "ideal"):
        assert name in names and device_presets.describe(name)
    with pytest.raises(UnknownNameError):
        device_presets.create("no_such_device")


def test_ttv2_array_number_of_states_follows_the_paper():
    """2/(μ_s μ_Δw): 1,200 states at μ_Δw = 0.001; 8 at 0.15; 20,000 at 0.6e-4 (ttv2 note)."""
    for mu_dw, states in ((0.001, 1200), (0.15, 8), (0.6e-4, 20000)):
        dev = device_presets.create("ttv2_array", mu_dw=mu_dw)
        assert dev.n_states == pytest.approx(states, rel=0.01)
    arr = device_presets.create("ttv2_array").build((200, 200), seed=0, dtype=torch.float64)
    assert float(arr.dw_up.std() / arr.dw_up.mean()) == pytest.approx(0.3, rel=0.05)
    slope = 1 / arr.w_max  # the soft-bound slope 1/b
    assert float(slope.median()) == pytest.approx(1.66, rel=0.02)


def test_zhao_device_matches_the_paper_numbers():
    dev = device_presets.create("zhao_ag_si")
    assert dev.n_levels == 500 and dev.c2c_std == pytest.approx(0.035)
    assert dev.g_min == pytest.approx(3.0769e-9, rel=1e-6, abs=0) and dev.g_max == pytest.approx(
        38.462e-9, rel=1e-6, abs=0)
    assert dev.a_ltp * 500 == pytest.approx(249.59, abs=0.01) and dev.a_ltd * 500 == pytest.approx(-100.15, abs=0.01)


def test_one_sided_pair_potentiates_both_halves_and_refreshes():
    half = ConstantStep(w_min=0.0, w_max=1.0, dw_min=0.01, dw_min_std=0.0, dw_min_dtod=0.0, up_down_dtod=0.0,
                        w_max_dtod=0.0, reset_std=0.0)
    arr = OneSidedPair(device=half, refresh_threshold=0.5).build((3,), seed=0, dtype=torch.float64)
    arr.pulse(torch.tensor([10, -10, 0]))
    assert torch.allclose(arr.get_weights(), torch.tensor([0.1, -0.1, 0.0], dtype=torch.float64))
    assert torch.allclose(arr.plus.w, torch.tensor([0.1, 0.0, 0.0], dtype=torch.float64))
    assert torch.allclose(arr.minus.w, torch.tensor([0.0, 0.1, 0.0], dtype=torch.float64))
    arr.pulse(torch.tensor([30, 0, 0]))
    arr.pulse(torch.tensor([-30, 0, 0]))  # g⁺ = 0.4, g⁻ = 0.3: w = 0.1, no refresh yet
    assert arr.refreshes == 0 and float(arr.get_weights()[0]) == pytest.approx(0.1)
    arr.pulse(torch.tensor([15, 0, 0]))  # g⁺ = 0.55 > 0.5: refresh keeps w = 0.25 on g⁺ alone
    assert arr.refreshes == 1
    assert float(arr.plus.w[0]) == pytest.approx(0.25, abs=1e-9) and float(arr.minus.w[0]) == pytest.approx(0.0)
    assert float(arr.get_weights()[0]) == pytest.approx(0.25, abs=1e-9)


def test_pcm_pair_trains_a_tile():
    from neurofab.crossbar import AnalogTile, TileConfig

    tile = AnalogTile(4, 6, TileConfig(device=device_presets.create("pcm_pair")), seed=1)
    tile.set_weights(torch.zeros(4, 6))
    x = torch.rand(8, 6, generator=torch.Generator().manual_seed(0))
    d = torch.ones(8, 4) * 0.05
    for _ in range(5):
        tile.update(x, d, 0.1)
    assert (tile.get_weights() < 0).float().mean() > 0.9  # W ← W − η δᵀx with δ, x > 0 lowers every weight
    assert np.isfinite(tile.get_weights().numpy()).all()
