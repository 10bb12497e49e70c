"""Pulsed devices against closed forms: state counts, Eq. 2–3 (F, G), symmetry points, curves, d2d and c2c."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError
from neurofab.devices import (
    ConstantStep,
    ExpStep,
    LinearStep,
    NeuroSimNonlinear,
    PiecewiseStep,
    PowStep,
    SoftBounds,
)

NO_D2D = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)

FAMILIES = [
    ConstantStep(),
    LinearStep(gamma_up=0.5, gamma_down=0.3),
    LinearStep(gamma_up=0.5, gamma_down=0.3, mult_noise=False),
    SoftBounds(),
    SoftBounds(up_down=0.2),
    ExpStep(),
    ExpStep(dw_min_std_add=0.001, dw_min_std_slope=0.5),
    PowStep(pow_gamma=2.0),
    PiecewiseStep(piecewise_up=[1.5, 1.0, 0.5], piecewise_down=[0.4, 1.0, 1.6]),
    NeuroSimNonlinear(),
]


def test_number_of_states_is_range_over_dw_min():
    dev = ConstantStep(dw_min=0.01, w_min=-1.0, w_max=1.0, dw_min_std=0.0, **NO_D2D)
    assert dev.n_states == pytest.approx(200)
    arr = dev.build((3, 4), seed=0)
    arr.set_weights(torch.full((3, 4), -1.0))
    steps = 0
    while (arr.w < 1.0 - 1e-3).any():
        arr.pulse(torch.ones(3, 4, dtype=torch.int64))
        steps += 1
    assert steps == 200
    assert torch.allclose(arr.n_states(), torch.full((3, 4), 200.0))


@pytest.mark.parametrize("dev", FAMILIES, ids=lambda d: f"{type(d).__name__}")
def test_one_pulse_mean_follows_eq2_and_F_G(dev):
    """E[one pulse] = Δ⁺ (up) / −Δ⁻ (down) per device, and Δ⁺ = dw_min(F − G), Δ⁻ = dw_min(F + G)."""
    n = 20000
    arr = dev.build((n,), seed=3)
    w0 = (torch.rand(n, generator=torch.Generator().manual_seed(1)) - 0.5) * 0.6
    w0 = torch.clamp(w0, arr.w_min * 0.9, arr.w_max * 0.9)
    arr.set_weights(w0)
    up, down = arr.steps()
    F, G = arr.F(), arr.G()
    assert torch.allclose(up, dev.dw_min * (F - G), rtol=1e-4, atol=1e-9)
    assert torch.allclose(down, dev.dw_min * (F + G), rtol=1e-4, atol=1e-9)
    arr.pulse(torch.ones(n, dtype=torch.int64))
    change = (arr.w - w0).double()
    nstd, _ = dev.noise_std(w0, arr.params, up, down)
    resid = change - up.double()
    tol = 5 * float(nstd.double().pow(2).mean().sqrt()) / math.sqrt(n) + 1e-7
    assert abs(float(resid.mean())) < tol
    arr.set_weights(w0)
    arr.pulse(-torch.ones(n, dtype=torch.int64))
    resid = (arr.w - w0).double() + down.double()
    assert abs(float(resid.mean())) < tol


@pytest.mark.parametrize("dev", FAMILIES, ids=lambda d: f"{type(d).__name__}")
def test_many_small_pulses_follow_eq3(dev):
    """Random up/down trains on identical devices: mean change = η[δx]F − η|δx|G (Eq. 3) to first order."""
    dev = dev.replace(**NO_D2D)
    n, k, p_up = 20000, 6, 0.7
    arr = dev.build((n,), seed=5)
    w0 = torch.full((n,), 0.1 * dev.w_max)
    arr.set_weights(w0)
    g = torch.Generator().manual_seed(9)
    for _ in range(k):
        sign = torch.where(torch.rand(n, generator=g) < p_up, 1, -1)
        arr.pulse(sign)
    eta_dx = dev.dw_min * k * (2 * p_up - 1)  # η[δx]: expected net signed pulses × dw_min
    eta_abs = dev.dw_min * k  # η|δx|
    expected = eta_dx * arr.F(w0) - eta_abs * arr.G(w0)
    up, down = arr.steps(w0)
    nstd, _ = dev.noise_std(w0, arr.params, up, down)
    spread = math.sqrt(k) * (float(up[0]) + float(down[0]) + float(nstd[0]))
    change = (arr.w - w0).double().mean()
    # second-order drift k²·Δ·|dΔ/dw| bounds the Euler error of Eq. 3
    slope = float(((arr.steps(w0 + 1e-3)[0] - up) / 1e-3).abs().max()) + float(
        ((arr.steps(w0 + 1e-3)[1] - down) / 1e-3).abs().max()
    )
    tol = 5 * spread / math.sqrt(n) + k * k * float(up[0] + down[0]) * slope
    assert abs(float(change) - float(expected[0])) < tol


def test_soft_bounds_symmetry_point_closed_form_and_zero_shifting():
    dev = SoftBounds(up_down=0.3, dw_min=0.01, dw_min_std=0.0)
    arr = dev.build((50,), seed=2)
    ws = arr.symmetry_point()
    dw_up, dw_down, bmax, bmin = arr.dw_up, arr.dw_down, arr.w_max, arr.w_min
    closed = (dw_up - dw_down) / (dw_up / bmax - dw_down / bmin)
    assert torch.allclose(ws, closed, atol=1e-6)
    assert arr.G(ws).abs().max() < 1e-5
    # alternating up/down pulses converge to the symmetry point (zero-shifting, SHD note M1)
    arr.set_weights(arr.w_max * 0.9)
    for _ in range(3000):
        arr.pulse(torch.ones(50, dtype=torch.int64))
        arr.pulse(-torch.ones(50, dtype=torch.int64))
    assert torch.allclose(arr.w, ws, atol=2 * dev.dw_min)


def test_exp_step_curve_matches_equation():
    dev = ExpStep(dw_min=0.005, dw_min_std=0.0, **NO_D2D)
    arr = dev.build((1,), seed=0)
    arr.set_weights(torch.tensor([dev.w_min]))
    w = dev.w_min
    for _ in range(300):
        z = 2 * dev.a * w / (dev.w_max - dev.w_min) + dev.b
        w = min(w + dev.dw_min * max(1 - dev.A_up * math.exp(dev.gamma_up * z), 0.0), dev.w_max)
        arr.pulse(torch.ones(1, dtype=torch.int64))
        assert float(arr.w[0]) == pytest.approx(w, abs=2e-5)
    for _ in range(300):
        z = 2 * dev.a * w / (dev.w_max - dev.w_min) + dev.b
        w = max(w - dev.dw_min * max(1 - dev.A_down * math.exp(-dev.gamma_down * z), 0.0), dev.w_min)
        arr.pulse(-torch.ones(1, dtype=torch.int64))
        assert float(arr.w[0]) == pytest.approx(w, abs=2e-5)


def test_neurosim_curves_match_ltp_ltd_equations():
    """x(P) = B(1 − e^{−P/A}) along LTP from G_min; LTD walks the signed-A curve back down."""
    dev = NeuroSimNonlinear(c2c_std=0.0)
    arr = dev.build((1,), seed=0, dtype=torch.float64)
    arr.set_weights(torch.tensor([dev.w_min], dtype=torch.float64))
    n = dev.n_levels
    a_p = dev.a_ltp * n
    b_p = 1 / (1 - math.exp(-n / a_p))
    for p in (1, 10, 100, 250, 500):
        while True:
            x = float((arr.w[0] - dev.w_min) / (dev.w_max - dev.w_min))
            done = getattr(arr, "_count", 0)
            if done == p:
                break
            arr.pulse(torch.ones(1, dtype=torch.int64))
            arr._count = done + 1
        assert x == pytest.approx(b_p * (1 - math.exp(-p / a_p)), abs=1e-9)
    assert float(arr.w[0]) == pytest.approx(dev.w_max, abs=1e-9)  # N pulses span the range
    a_d = dev.a_ltd * n
    b_d = 1 / (1 - math.exp(-n / a_d))
    arr.pulse(-torch.full((1,), 200, dtype=torch.int64))
    x = float((arr.w[0] - dev.w_min) / (dev.w_max - dev.w_min))
    assert x == pytest.approx(b_d * (1 - math.exp(-(n - 200) / a_d)), abs=1e-9)
    # 500 levels from G_min to G_max: the Ag:Si device range of Zhao et al.
    assert float(dev.conductance(arr.w, arr.params)[0]) == pytest.approx(
        dev.g_min + x * (dev.g_max - dev.g_min), rel=1e-6, abs=0)


def test_neurosim_c2c_grows_with_sqrt_pulses():
    dev = NeuroSimNonlinear(a_ltp=None, a_ltd=None, c2c_std=0.01)
    arr = dev.build((20000,), seed=1)
    arr.pulse(torch.full((20000,), 16, dtype=torch.int64))
    expected = 0.01 * (dev.w_max - dev.w_min) * 4.0  # σ·range·sqrt(16)
    assert float(arr.w.std()) == pytest.approx(expected, rel=0.05)
    assert float(arr.w.mean()) == pytest.approx(16 * dev.dw_min, abs=4 * expected / math.sqrt(20000))


def test_d2d_statistics():
    dev = ConstantStep(dw_min=0.002, dw_min_dtod=0.2, up_down=0.0, up_down_dtod=0.05, w_max_dtod=0.1, w_min_dtod=0.1)
    arr = dev.build((200, 200), seed=4, dtype=torch.float64)
    for t, mean, std in (
        (arr.dw_up, 0.002, 0.002 * math.hypot(0.2, 0.05)),
        (arr.dw_down, 0.002, 0.002 * math.hypot(0.2, 0.05)),
        (arr.w_max, 0.6, 0.06),
        (arr.w_min, -0.6, 0.06),
    ):
        assert float(t.mean()) == pytest.approx(mean, rel=0.01)
        assert float(t.std()) == pytest.approx(std, rel=0.03)
    # the up/down difference carries only the up_down_dtod part
    assert float((arr.dw_up - arr.dw_down).std()) == pytest.approx(2 * 0.002 * 0.05, rel=0.03)


def test_up_down_bias_follows_aihwkit_convention():
    dev = ConstantStep(up_down=0.2, **NO_D2D)
    arr = dev.build((2,), seed=0)
    assert torch.allclose(arr.dw_up, torch.full((2,), 0.001))
    assert torch.allclose(arr.dw_down, torch.full((2,), 0.0008), atol=0)


def test_c2c_statistics_of_one_pulse():
    dev = ConstantStep(dw_min=0.01, dw_min_std=0.3, **NO_D2D)
    arr = dev.build((40000,), seed=7, dtype=torch.float64)
    arr.pulse(torch.ones(40000, dtype=torch.int64))
    assert float(arr.w.mean()) == pytest.approx(0.01, rel=0.01)
    assert float(arr.w.std()) == pytest.approx(0.003, rel=0.02)


def test_write_noise_is_seen_by_reads_only():
    dev = ConstantStep(write_noise_std=2.0, dw_min_std=0.0, **NO_D2D)
    arr = dev.build((10000,), seed=0)
    arr.pulse(torch.ones(10000, dtype=torch.int64))
    assert torch.allclose(arr.w, torch.full((10000,), 0.001))
    assert float((arr.get_weights() - arr.w).std()) == pytest.approx(0.002, rel=0.05)


def test_pulse_count_matches_closed_form_runs_and_clips_per_pulse():
    dev = ConstantStep(dw_min=0.1, dw_min_std=0.0, w_min=-1.0, w_max=1.0, **NO_D2D)
    arr = dev.build((4,), seed=0, dtype=torch.float64)
    arr.pulse(torch.tensor([3, -2, 25, -40]))
    assert torch.allclose(arr.w, torch.tensor([0.3, -0.2, 1.0, -1.0], dtype=torch.float64))


def test_state_dict_round_trip_is_bit_identical():
    dev = SoftBounds(write_noise_std=1.0)
    a = dev.build((8, 8), seed=11)
    a.pulse(torch.randint(-3, 4, (8, 8), generator=torch.Generator().manual_seed(0)))
    saved = {k: v.clone() if torch.is_tensor(v) else v for k, v in a.state_dict().items()}
    counts = torch.randint(-3, 4, (8, 8), generator=torch.Generator().manual_seed(1))
    a.pulse(counts)
    b = dev.build((8, 8), seed=999)
    b.load_state_dict(saved)
    b.pulse(counts)
    assert torch.equal(a.w, b.w) and torch.equal(a.get_weights(), b.get_weights())


def test_expected_update_is_eq3_euler_step():
    dev = SoftBounds()
    arr = dev.build((30,), seed=0)
    arr.set_weights(torch.linspace(-0.3, 0.3, 30))
    w0 = arr.w.clone()
    up, down = arr.steps()
    arr.expected_update(torch.full((30,), 2.5), torch.full((30,), 1.0))
    assert torch.allclose(arr.w, w0 + 2.5 * up - 1.0 * down)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(w_min=0.5),
        dict(w_max=-0.1),
        dict(dw_min=0.0),
        dict(dw_min=-1e-3),
        dict(dw_min_std=-0.1),
        dict(w_min=float("nan")),
    ],
)
def test_bad_configs_raise(kwargs):
    with pytest.raises(ConfigError):
        ConstantStep(**kwargs)


def test_bad_tables_and_curves_raise():
    with pytest.raises(ConfigError):
        PiecewiseStep(piecewise_up=[1, 2], piecewise_down=[1])
    with pytest.raises(ConfigError):
        NeuroSimNonlinear(a_ltp=0.0)
    with pytest.raises(ConfigError):
        NeuroSimNonlinear(g_min=1e-6, g_max=1e-7)


def test_bad_pulse_input_raises():
    arr = ConstantStep().build((3,), seed=0)
    with pytest.raises(ShapeError):
        arr.pulse(torch.ones(4, dtype=torch.int64))
    with pytest.raises(InputTypeError):
        arr.pulse(torch.tensor([0.5, 1.0, 2.0]))
    with pytest.raises(NumericalError):
        arr.set_weights(torch.tensor([0.0, float("nan"), 0.0]))


def test_config_round_trip(tmp_path):
    from pydantic import TypeAdapter

    from neurofab.devices import AnyDevice

    adapter = TypeAdapter(AnyDevice)
    for dev in FAMILIES:
        back = adapter.validate_python(dev.to_dict())
        assert back == dev
    path = tmp_path / "dev.toml"
    FAMILIES[8].dump(path)
    assert PiecewiseStep.load(path) == FAMILIES[8]
    assert np.isclose(FAMILIES[-1].dw_min, 2 / 500)


def test_symmetry_point_of_symmetric_and_one_sided_constant_steps():
    # G ≡ 0: every state is symmetric, the reference state 0 is returned (not a bound)
    sym = ConstantStep(up_down_dtod=0.0, dw_min_dtod=0.0, dw_min_std=0.0).build((4,), seed=0)
    assert torch.equal(sym.symmetry_point(), torch.zeros(4))
    # up steps larger than down steps everywhere: the device drifts to its upper bound
    up = ConstantStep(up_down=0.2, up_down_dtod=0.0, dw_min_std=0.0).build((4,), seed=0)
    assert torch.allclose(up.symmetry_point(), up.w_max)
    # a soft-bounds device is never flat: its closed form is kept
    soft = SoftBounds(dw_min_std=0.0).build((4,), seed=0)
    assert soft.G(soft.symmetry_point()).abs().max() < 1e-5
