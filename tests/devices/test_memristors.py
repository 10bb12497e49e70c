"""Voltage-driven memristors: closed forms, thresholds, bounds under any drive, exact vs adaptive integration,
pinched hysteresis, the pulse-train → pulsed-device converter, and bad input."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, Ledger
from neurofab.devices import (
    VTEAM,
    PulseTrain,
    RRAMGap,
    SineSweep,
    Window,
    conductance_curve,
    simulate,
    to_pulsed_device,
)

CLOSED = [Window(kind="xu"), Window(kind="xu", p=2.0), Window(kind="xu", p=3.0, j=0.5), Window(kind="joglekar"),
          Window(kind="biolek"), Window(kind="prodromakis", j=2.0), Window(kind="none")]
ALL = [*CLOSED, Window(kind="joglekar", p=2.0), Window(kind="biolek", p=3.0), Window(kind="prodromakis", p=2.0)]


def test_xu_pulse_matches_hand_closed_form():
    m = VTEAM()
    x0 = torch.tensor([0.0, 0.3, 0.9], dtype=torch.float64)
    x = simulate(m, x0, PulseTrain(amplitudes=[0.1], width=1e-3, interval=1e-3), method="exact").final
    g = 21.0 * (0.1 / 0.02 - 1)  # k_off/W (v/v_off − 1) [1/s]
    assert torch.allclose(x, 1 - (1 - x0) * math.exp(-g * 1e-3), rtol=0, atol=1e-14)
    x = simulate(m, x0, PulseTrain(amplitudes=[-0.1], width=1e-3, interval=1e-3), method="exact").final
    assert torch.allclose(x, x0 * math.exp(-28.0 * (0.1 / 0.02 - 1) * 1e-3), rtol=0, atol=1e-14)


@pytest.mark.parametrize("method", ["exact", "adaptive"])
def test_below_threshold_does_not_move(method):
    x0 = torch.linspace(0, 1, 7, dtype=torch.float64)
    for w in CLOSED:
        m = VTEAM(window=w)
        wf = PulseTrain(amplitudes=[0.0199, -0.0199, 0.01, -0.005], width=1e-2, interval=1e-2)
        assert torch.equal(simulate(m, x0, wf, method=method).final, x0)
    # a sine whose peak stays inside the thresholds
    tr = simulate(VTEAM(), x0, SineSweep(amplitude=0.0199, frequency=50.0, cycles=2))
    assert torch.equal(tr.s, x0.expand_as(tr.s))


@pytest.mark.parametrize("window", CLOSED, ids=lambda w: f"{w.kind}-p{w.p:g}")
def test_exact_and_adaptive_agree_and_the_error_is_controlled(window):
    m = VTEAM(window=window)
    x0 = torch.linspace(0.05, 0.95, 9, dtype=torch.float64)
    wf = PulseTrain(amplitudes=[0.1, -0.08, 0.2, -0.05, 0.03], width=1e-3, interval=1.5e-3)
    exact = simulate(m, x0, wf, method="exact").final
    loose = simulate(m, x0, wf, method="adaptive", rtol=1e-4, atol=1e-6)
    tight = simulate(m, x0, wf, method="adaptive", rtol=1e-9, atol=1e-11)
    err_tight = float((tight.final - exact).abs().max())
    err_loose = float((loose.final - exact).abs().max())
    assert err_tight < 1e-7
    assert err_loose < 1e-3
    if window.kind != "none":  # (a constant rate is integrated exactly by any step)
        assert tight.steps > loose.steps  # tighter tolerance, smaller steps


def test_rram_gap_exact_vs_adaptive_and_switching_times():
    r = RRAMGap()
    g0 = torch.tensor([1.7e-9, 1.0e-9, 0.3e-9], dtype=torch.float64)
    wf = PulseTrain(amplitudes=[1.1, -1.0, 0.9], width=2e-7, interval=3e-7)
    exact = simulate(r, g0, wf, method="exact").final
    adaptive = simulate(r, g0, wf, method="adaptive", rtol=1e-9, atol=1e-9).final
    assert float((exact - adaptive).abs().max()) < 1e-12 * 1.5  # metres: < 1.5e-3 nm
    t_set = [r.switching_time(v) for v in (0.9, 1.1, 1.3, 1.5)]
    t_reset = [r.switching_time(-v) for v in (0.9, 1.1, 1.3, 1.5)]
    assert all(a > b for a, b in itertools.pairwise(t_set)) and all(a > b for a, b in itertools.pairwise(t_reset))
    # Eq. 2 with E_ag = E_ar is an odd function of V: the speed of the gap is antisymmetric
    v = torch.tensor([0.5, 1.0], dtype=torch.float64)
    assert torch.allclose(r.speed(v), -r.speed(-v), atol=0)


@settings(max_examples=25, deadline=None)
@given(amps=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=6), width=st.floats(1e-5, 5e-2),
       widx=st.integers(0, len(ALL) - 1), x0=st.floats(0.0, 1.0), exp_r=st.booleans())
def test_state_stays_in_bounds_under_any_drive(amps, width, widx, x0, exp_r):
    m = VTEAM(window=ALL[widx], resistance="exponential" if exp_r else "linear")
    wf = PulseTrain(amplitudes=amps, width=width)
    tr = simulate(m, torch.tensor([x0, 1 - x0], dtype=torch.float32), wf, rtol=1e-4, atol=1e-6)
    assert tr.s.dtype == torch.float32
    assert bool((tr.s >= 0).all()) and bool((tr.s <= 1).all())
    assert bool(torch.isfinite(tr.i).all())


def _lobe_area(model, x0: float, frequency: float, amplitude: float) -> tuple[float, float]:
    wf = SineSweep(amplitude=amplitude, frequency=frequency, cycles=1)
    t = torch.linspace(0, wf.duration, 801, dtype=torch.float64)
    tr = simulate(model, torch.tensor([x0], dtype=torch.float64), wf, t_eval=t, rtol=1e-7, atol=1e-9)
    v, i = tr.v, tr.i[:, 0]
    half = 400
    dv = v.diff()
    mid = 0.5 * (i[1:] + i[:-1])
    area = float((mid[:half] * dv[:half]).sum().abs() + (mid[half:] * dv[half:]).sum().abs())
    zero_cross = float(i[[0, half, -1]].abs().max())  # current at V = 0: the loop is pinched
    return area, zero_cross


def test_pinched_hysteresis_lobes_shrink_with_frequency():
    m = VTEAM()
    areas = []
    for f in (10.0, 100.0, 1000.0, 10000.0):  # above the frequency at which the state saturates each half-cycle
        area, at_zero = _lobe_area(m, 0.5, f, 0.3)
        assert at_zero < 1e-12
        areas.append(area)
    assert all(a > b for a, b in itertools.pairwise(areas)), areas
    r = RRAMGap()
    rram = [_lobe_area(r, 1.0e-9, f, 1.2)[0] for f in (1e4, 1e6, 1e8)]
    assert all(a > b for a, b in itertools.pairwise(rram)), rram


def test_conductance_curve_to_pulsed_device_follows_the_physics():
    m = VTEAM()
    curve = conductance_curve(m, PulseTrain.uniform(-0.1, 1e-3, 60), PulseTrain.uniform(0.1, 1e-3, 60))
    assert bool((curve.up.diff() > 0).all()) and bool((curve.down.diff() < 0).all())
    assert curve.nonlinearity() > 0.1  # the window makes the response nonlinear
    dev = to_pulsed_device(curve, nodes=101)
    arr = dev.build((1,), seed=0, dtype=torch.float64)
    arr.set_weights(torch.tensor([-1.0], dtype=torch.float64))
    ws = []
    for _ in range(60):
        arr.pulse(torch.tensor([1]))
        ws.append(float(arr.w))
    target = -1 + 2 * (curve.up[1:] - curve.g_min) / (curve.g_max - curve.g_min)
    assert float((torch.tensor(ws, dtype=torch.float64) - target).abs().max()) < 0.02


def test_ledger_counts_state_updates():
    with Ledger() as led:
        simulate(VTEAM(), torch.zeros(4, 5), PulseTrain.uniform(0.1, 1e-3, 3, interval=1e-3), method="exact")
    assert led.count("device_state_update") == 3 * 20


def test_bad_input_names_the_field():
    with pytest.raises(ConfigError, match="v_on"):
        VTEAM(v_on=0.0)
    with pytest.raises(ConfigError, match="v_off"):
        VTEAM(v_off=-0.1)
    with pytest.raises(ConfigError, match="r_on"):
        VTEAM(r_on=3e5)
    with pytest.raises(ConfigError, match="k_on"):
        VTEAM(k_on=1e-9)
    with pytest.raises(ConfigError, match="amplitudes"):
        PulseTrain(amplitudes=[0.1, float("nan")], width=1e-3)
    with pytest.raises(ConfigError, match="amplitude"):
        SineSweep(amplitude=float("nan"), frequency=1.0)
    with pytest.raises(ConfigError, match="interval"):
        PulseTrain(amplitudes=[0.1], width=1e-3, interval=1e-4)
    with pytest.raises(ConfigError, match="g_min"):
        RRAMGap(g_min=2e-9)
    with pytest.raises(ConfigError, match="exact"):
        simulate(VTEAM(window=Window(kind="joglekar", p=2.0)), torch.zeros(2), PulseTrain.uniform(0.1, 1e-3, 1),
                 method="exact")


def test_pulse_schemes_adapted_is_linear_and_identical_is_not():
    from neurofab.devices.pulse_response import nonlinearity, potentiation_schemes

    s = potentiation_schemes(VTEAM(), n_pulses=30)
    assert nonlinearity(s["adapted"]) < 1e-9 < 0.1 < nonlinearity(s["identical"])
    assert float(s["adapted"][-1]) == pytest.approx(float(s["identical"][-1]), rel=1e-9, abs=0)  # same range
    assert bool((s["adapted_widths"] > 0).all())
    with pytest.raises(ConfigError, match="xu"):
        potentiation_schemes(VTEAM(window=Window(kind="joglekar")))


@pytest.mark.parametrize("counter", [(-0.12, 0.05), (-0.1, 0.03), (-0.2, 0.1)])
def test_pulse_pair_is_affine_towards_a_floor(counter):
    """Xu window, p = 1: a potentiating pulse maps x → a_p x, the cancelling one x → 1 − a_c (1 − x), so a pair is
    x → x* + a_p a_c (x − x*) with x* = (1 − a_c)/(1 − a_p a_c): geometric, faster than the potentiating pulse alone."""
    from neurofab.devices.pulse_response import potentiation_schemes

    model, width, n = VTEAM(), 1e-3, 40
    x = model.state_of_resistance(1.0 / potentiation_schemes(model, n_pulses=n, width=width, counter=counter)[
        "compensated"])
    a_p, a_c = (math.exp(-abs(float(model.rate(torch.tensor(v)))) * width * model.window.j) for v in counter)
    floor, ratio = (1 - a_c) / (1 - a_p * a_c), a_p * a_c
    expected = floor + ratio ** torch.arange(n + 1, dtype=torch.float64) * (1 - floor)
    torch.testing.assert_close(x, expected, rtol=1e-9, atol=1e-12)
    assert ratio < a_p and floor > 0


@settings(max_examples=15, deadline=None)
@given(amps=st.lists(st.floats(-1.6, 1.6), min_size=1, max_size=5), width=st.floats(1e-9, 1e-5),
       g0=st.floats(0.2e-9, 1.7e-9))
def test_rram_gap_stays_in_range_under_any_drive(amps, width, g0):
    r = RRAMGap()
    tr = simulate(r, torch.tensor([g0], dtype=torch.float64), PulseTrain(amplitudes=amps, width=width))
    assert bool((tr.s >= r.g_min).all()) and bool((tr.s <= r.g_max).all())
    assert bool(torch.isfinite(tr.i).all())
