"""Tiles and tile arrays: ideal equals digital, tiled equals untiled, pulsed updates in expectation, hooks, state."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.core import ConfigError, Ledger, NumericalError, ShapeError
from neurofab.crossbar import (
    AnalogTile,
    IOConfig,
    TileArray,
    TileConfig,
    UpdateConfig,
    expected_coincidences,
    pulse_train_parameters,
    split_sizes,
)
from neurofab.devices import ConstantStep, SoftBounds

NO_D2D = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small ops on a shared 2-core machine run far faster on one intra-op thread; restore afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def rand(*shape, seed=0, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


def test_ideal_tile_equals_linear_both_directions():
    lin = nn.Linear(20, 7, bias=False)
    tile = AnalogTile(7, 20, TileConfig.ideal())
    tile.set_weights(lin.weight.detach())
    x, d = rand(5, 20), rand(5, 7, seed=1)
    assert torch.allclose(tile.forward(x), lin(x), atol=1e-6)
    assert torch.allclose(tile.backward(d), d @ lin.weight.detach(), atol=1e-6)


def test_tiled_equals_untiled_for_an_ideal_device():
    small = TileConfig.ideal().replace(max_input_size=16, max_output_size=8)
    tiled = TileArray(30, 50, small)
    one = TileArray(30, 50, TileConfig.ideal())
    assert tiled.grid == (4, 4) and one.grid == (1, 1)
    w = rand(30, 50, seed=3, scale=0.3)
    tiled.set_weights(w)
    one.set_weights(w)
    assert torch.equal(tiled.get_weights(), w)
    x, d = rand(6, 50, seed=4), rand(6, 30, seed=5)
    assert torch.allclose(tiled(x), one(x), atol=1e-5)
    assert torch.allclose(tiled.backward(d), one.backward(d), atol=1e-5)
    tiled.update(x, d, 0.1)
    one.update(x, d, 0.1)
    assert torch.allclose(tiled.get_weights(), one.get_weights(), atol=1e-6)
    assert torch.allclose(one.get_weights(), w - 0.1 * d.T @ x, atol=1e-5)


def test_split_sizes():
    assert split_sizes(784, 512) == [392, 392]
    assert split_sizes(512, 512) == [512]
    assert split_sizes(1000, 300) == [250, 250, 250, 250]
    assert sum(split_sizes(1001, 300)) == 1001


def test_tile_larger_than_maximum_raises():
    with pytest.raises(ShapeError):
        AnalogTile(600, 10, TileConfig())


def test_pulse_train_parameters_follow_update_management():
    up = UpdateConfig()
    bl, a, b = pulse_train_parameters(torch.tensor([1.0, 0.5, 0.0]), torch.tensor([0.02, 10.0, 1.0]), 0.1, 0.001, up)
    assert bl.tolist() == [2, 31, 0]  # k = 0.1·1·0.02/0.001 = 2; k = 500 clips at desired_bl; zero x → none
    # probability of the largest x and δ: sqrt(k/BL) each (= 1 when BL = k)
    assert float(b[0] * 1.0) == pytest.approx(1.0) and float(a[0] * 0.02) == pytest.approx(1.0)
    # k > BL: δ's scale shrinks by BL/k so that x is not clipped
    assert float(b[1] * 0.5) == pytest.approx(1.0)
    off = UpdateConfig(update_management=False, update_bl_management=False)
    bl, a, b = pulse_train_parameters(torch.tensor([1.0]), torch.tensor([0.02]), 0.1, 0.001, off)
    assert bl.tolist() == [31] and float(a[0]) == pytest.approx((0.1 / (0.001 * 31)) ** 0.5)


def test_expected_coincidences_equal_the_gradient_without_clipping():
    x, d = rand(8, 12, seed=1).abs() * 0.5, rand(8, 5, seed=2, scale=0.01)
    n_up, n_down = expected_coincidences(x, d, 0.05, 0.001, UpdateConfig())
    assert torch.allclose((n_up - n_down) * 0.001, -0.05 * d.T @ x, atol=1e-6)
    assert torch.allclose((n_up + n_down) * 0.001, 0.05 * d.abs().T @ x.abs(), atol=1e-6)


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_stochastic_update_is_unbiased(backend):
    """Mean over repeated trains of the written change = −lr δᵀx (constant step, no c2c, no clipping)."""
    dev = ConstantStep(dw_min=0.001, dw_min_std=0.0, **NO_D2D)
    cfg = TileConfig(device=dev, update=UpdateConfig(backend=backend))
    x, d = rand(4, 6, seed=1) * 0.5, rand(4, 3, seed=2, scale=0.01)
    reps = 400
    tile = AnalogTile(3, 6, cfg, seed=0)
    total = torch.zeros(3, 6)
    with Ledger() as led:
        for _ in range(reps):
            tile.set_weights(torch.zeros(3, 6))
            tile.update(x, d, 0.05)
            total += tile.get_weights()
    mean = total / reps
    target = -0.05 * d.T @ x
    # Poisson-like spread of the count: sd ≈ dw_min·sqrt(E[n]) per device
    sd = 0.001 * torch.sqrt((0.05 * d.abs().T @ x.abs()) / 0.001 + 1) / reps**0.5
    assert ((mean - target).abs() < 5 * sd + 1e-6).all()
    expected_pulses = reps * float((0.05 * d.abs().T @ x.abs()).sum()) / 0.001
    assert led.count("write_pulse") == pytest.approx(expected_pulses, rel=0.05)


def test_numba_and_torch_backends_agree_in_distribution():
    dev = SoftBounds(dw_min=0.01)
    x, d = rand(16, 20, seed=3).abs(), rand(16, 10, seed=4, scale=0.05)
    finals = {}
    for backend in ("numba", "torch"):
        ws = []
        for rep in range(30):
            tile = AnalogTile(10, 20, TileConfig(device=dev, update=UpdateConfig(backend=backend)), seed=rep)
            tile.set_weights(torch.full((10, 20), 0.2))
            tile.update(x, d, 0.5)
            ws.append(tile.get_weights())
        finals[backend] = torch.stack(ws)
    m_n, m_t = finals["numba"].mean(0), finals["torch"].mean(0)
    s = finals["numba"].std(0) + finals["torch"].std(0) + 1e-6
    assert ((m_n - m_t).abs() < 2.5 * s).float().mean() > 0.97


def test_expected_mode_matches_stochastic_mean():
    """Same expected coincidences; the difference is the spread of the count and the Euler step of Eq. 3."""
    dev = SoftBounds(dw_min=0.002, dw_min_std=0.0, **NO_D2D)
    x, d = rand(8, 12, seed=5).abs(), rand(8, 6, seed=6, scale=0.02)
    w0 = rand(6, 12, seed=7, scale=0.1)
    exp_tile = AnalogTile(6, 12, TileConfig(device=dev, update=UpdateConfig(mode="expected")), seed=1)
    exp_tile.set_weights(w0)
    exp_tile.update(x, d, 0.05)
    acc = torch.zeros(6, 12)
    reps = 400
    sto = AnalogTile(6, 12, TileConfig(device=dev), seed=1)
    for _ in range(reps):
        sto.set_weights(w0)
        sto.update(x, d, 0.05)
        acc += sto.get_weights()
    n = (0.05 * d.abs().T @ x.abs()) / 0.002  # expected pulses per device
    sd = 0.002 * torch.sqrt(n + 1) / reps**0.5
    euler = n**2 * 0.002 * (0.002 / 0.6)
    diff = (acc / reps - exp_tile.get_weights()).abs()
    assert (diff < 4.5 * sd + euler).all()


def test_update_hook_replaces_the_rule_and_saves_its_state():
    class Counting(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("calls", torch.zeros(()))

        def forward(self, tile, x, d, lr):
            self.calls += 1
            tile.set_weights(tile.get_weights() + lr)

    tile = AnalogTile(3, 4, TileConfig.ideal())
    tile.set_update_rule(Counting())
    tile.update(torch.ones(2, 4), torch.ones(2, 3), 0.5)
    assert torch.allclose(tile.get_weights(), torch.full((3, 4), 0.5))
    assert "update_rule.calls" in tile.state_dict()
    tile.set_update_rule(None)
    tile.update(torch.ones(1, 4), torch.ones(1, 3), 0.5)
    assert torch.allclose(tile.get_weights(), torch.zeros(3, 4))


def test_apply_pulses_on_a_tile_array():
    dev = ConstantStep(dw_min=0.01, dw_min_std=0.0, **NO_D2D)
    arr = TileArray(5, 9, TileConfig(device=dev, max_input_size=4, max_output_size=2))
    counts = torch.arange(45).reshape(5, 9) % 7 - 3
    arr.apply_pulses(counts)
    assert torch.allclose(arr.get_weights(), 0.01 * counts.float(), atol=1e-6)


def test_tile_state_dict_resume_is_bit_identical():
    cfg = TileConfig(device=SoftBounds(write_noise_std=1.0))
    x, d = rand(8, 10, seed=1).abs(), rand(8, 4, seed=2, scale=0.05)
    a = AnalogTile(4, 10, cfg, seed=3)
    a.update(x, d, 0.3)
    state = {k: v.clone() if torch.is_tensor(v) else v for k, v in a.state_dict().items()}
    ya = a(x)
    a.update(x, d, 0.3)
    b = AnalogTile(4, 10, cfg, seed=77)
    b.load_state_dict(state)
    assert torch.equal(b(x), ya)
    b.update(x, d, 0.3)
    assert torch.equal(a.get_weights(), b.get_weights())


def test_forward_counts_ledger_events():
    tile = AnalogTile(4, 10, TileConfig(forward=IOConfig(out_noise=0.0)))
    with Ledger() as led:
        tile(torch.rand(3, 10) * 0.1)
    assert led.count("mvm") == 3 and led.count("dac_conversion") == 30 and led.count("adc_conversion") == 12


def test_bad_input_raises():
    tile = AnalogTile(4, 10)
    with pytest.raises(NumericalError):
        tile(torch.full((2, 10), float("nan")))
    with pytest.raises(ShapeError):
        tile(torch.ones(2, 11))
    with pytest.raises(ShapeError):
        tile.update(torch.ones(2, 10), torch.ones(3, 4), 0.1)
    with pytest.raises(ConfigError):
        UpdateConfig(desired_bl=0)
    with pytest.raises(ConfigError):
        UpdateConfig(desired_bl=-3)
    with pytest.raises(ConfigError):
        TileConfig(device=dict(kind="soft_bounds", w_min=0.5, w_max=-0.5))


def test_expected_mode_counts_the_expected_pulses():
    dev = ConstantStep(dw_min=0.001, dw_min_std=0.0, **NO_D2D)
    tile = AnalogTile(3, 6, TileConfig(device=dev, update=UpdateConfig(mode="expected")), seed=0)
    x, d = rand(4, 6, seed=1) * 0.5, rand(4, 3, seed=2, scale=0.01)
    with Ledger() as led:
        tile.update(x, d, 0.05)
    # no probability clips at these sizes: E[pulses] = η Σ|δ x| / dw_min
    assert led.count("write_pulse") == pytest.approx(float((0.05 * d.abs().T @ x.abs()).sum()) / 0.001, rel=1e-5)
