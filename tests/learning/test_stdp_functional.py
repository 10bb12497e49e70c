"""Functional STDP for torch layers, and STDP through pulsed devices (ideal = additive, soft bounds = mult.)."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, Ledger, ShapeError
from neurofab.devices import IdealDevice, SoftBounds
from neurofab.learning import (
    DeviceSTDPConfig,
    STDPConfig,
    STDPState,
    conductance,
    device_stdp_update,
    pcm_stdp,
    stdp_update,
)

DT = 1e-3


def test_stdp_update_closed_form_pair():
    rule = STDPConfig.additive(tau_plus=20e-3, tau_minus=30e-3, a_plus=0.1, a_minus=0.05, w_min=-1.0, w_max=1.0)
    w = torch.zeros(1, 1, dtype=torch.float64)
    st = STDPState.zeros(1, 1, 1, dtype=torch.float64)
    spikes = {0: (1, 0), 5: (0, 1), 12: (1, 0)}  # pre at 0, post at 5, pre at 12
    for t in range(13):
        pre, post = spikes.get(t, (0, 0))
        w, st = stdp_update(w, torch.tensor([[pre]]), torch.tensor([[post]]), st, rule, DT)
    expected = 2.0 * (0.1 * math.exp(-5e-3 / 20e-3) - 0.05 * math.exp(-7e-3 / 30e-3))
    assert w.item() == pytest.approx(expected, rel=1e-12, abs=0)


def test_stdp_update_multiplicative_stays_in_bounds_and_checks_shapes():
    rule = STDPConfig.multiplicative(a_plus=0.5, a_minus=0.5)
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(4, 6, generator=gen)
    st = STDPState.zeros(2, 6, 4)
    for _ in range(200):
        pre = (torch.rand(2, 6, generator=gen) < 0.3).float()
        post = (torch.rand(2, 4, generator=gen) < 0.3).float()
        w, st = stdp_update(w, pre, post, st, rule, DT)
    assert 0 <= w.min() and w.max() <= 1
    with pytest.raises(ShapeError):
        stdp_update(w, torch.zeros(2, 5), torch.zeros(2, 4), st, rule, DT)
    with pytest.raises(ConfigError, match="nearest_restricted"):
        stdp_update(w, pre, post, st, rule.replace(pairing="nearest_restricted"), DT)


def random_trains(steps, n_pre, n_post, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, 1, n_pre, generator=gen) < 0.05).double(), (
        torch.rand(steps, 1, n_post, generator=gen) < 0.05
    ).double()


def test_ideal_device_equals_additive_rule():
    rule = STDPConfig.additive(a_plus=0.01, a_minus=0.012, w_min=-1.0, w_max=1.0)
    dw = 1e-5
    cfg = DeviceSTDPConfig(stdp=rule, device=IdealDevice(dw_min=dw, w_min=-1.0, w_max=1.0), rounding="nearest")
    array = cfg.device.build((4, 8), dtype=torch.float64)
    pre, post = random_trains(400, 8, 4)
    w = torch.zeros(4, 8, dtype=torch.float64)
    st_ref = STDPState.zeros(1, 8, 4, dtype=torch.float64)
    st_dev = STDPState.zeros(1, 8, 4, dtype=torch.float64)
    events = torch.zeros(4, 8)
    with Ledger() as led:
        for t in range(400):
            w, st_ref = stdp_update(w, pre[t], post[t], st_ref, rule, DT)
            st_dev = device_stdp_update(array, pre[t], post[t], st_dev, cfg, DT)
            events += post[t, 0][:, None] + pre[t, 0][None, :]
    err = (array.get_weights() - w).abs()
    assert w.abs().max() > 0.05
    assert (err <= events * dw / 2 + 1e-12).all()
    assert led.count("write_pulse") > 1000


def response_slope(device, direction):
    """Δw of one requested event (50 pulses' worth) at 19 weights across the range: slope/Δw(0) of a line fit."""
    rule = STDPConfig.additive(a_plus=0.025, a_minus=0.025)
    cfg = DeviceSTDPConfig(stdp=rule, device=device, rounding="nearest")
    w0 = torch.linspace(-0.9, 0.9, 19, dtype=torch.float64).reshape(1, 19)
    array = device.build((1, 19), dtype=torch.float64)
    array.set_weights(w0)
    ones, zeros = torch.ones(1, 19, dtype=torch.float64), torch.zeros(1, 19, dtype=torch.float64)
    trace = math.exp(DT / rule.tau_plus)  # undoes one step's decay: x = 1 at the update
    if direction == "up":
        st = STDPState(ones * trace, torch.zeros(1, 1, dtype=torch.float64))
        device_stdp_update(array, zeros, torch.ones(1, 1), st, cfg, DT)
    else:
        st = STDPState(zeros, torch.ones(1, 1, dtype=torch.float64) * trace)
        device_stdp_update(array, ones, torch.zeros(1, 1), st, cfg, DT)
    delta = (array.get_weights() - w0).flatten()
    x = w0.flatten()
    slope = ((x - x.mean()) * (delta - delta.mean())).sum() / ((x - x.mean()) ** 2).sum()
    return float(slope / delta[9]), delta


def test_soft_bounds_device_makes_the_rule_multiplicative():
    ideal = IdealDevice(dw_min=1e-3, w_min=-1.0, w_max=1.0)
    soft = SoftBounds(
        dw_min=1e-3, dw_min_dtod=0.0, dw_min_std=0.0, up_down_dtod=0.0, w_min=-1.0, w_max=1.0,
        w_min_dtod=0.0, w_max_dtod=0.0,
    )  # fmt: skip
    s_ideal, d_ideal = response_slope(ideal, "up")
    assert abs(s_ideal) < 1e-9 and torch.allclose(d_ideal, torch.full_like(d_ideal, 0.05))
    # multiplicative: Δw⁺ ∝ (1 − w/w_max), Δw⁻ ∝ (1 − w/w_min): slope/Δw(0) = −1/w_max and −1/w_min
    s_up, _ = response_slope(soft, "up")
    s_down, d_down = response_slope(soft, "down")
    assert s_up == pytest.approx(-1.0, rel=0.03)
    assert s_down == pytest.approx(1.0, rel=0.03)  # Δw⁻ < 0, its size growing with w
    assert (d_down < 0).all()


def test_pcm_preset_one_percent_per_event_and_tenfold_over_100():
    cfg = pcm_stdp()
    array = cfg.device.build((1, 1), dtype=torch.float64)
    array.set_weights(torch.full((1, 1), -0.5, dtype=torch.float64))
    st = STDPState.zeros(1, 1, 1, dtype=torch.float64)
    g = [conductance(array.get_weights(), cfg).item()]
    one, zero = torch.ones(1, 1), torch.zeros(1, 1)
    for _ in range(100):  # pre, then post one step later, then a long gap
        st = device_stdp_update(array, one, zero, st, cfg, 1e-4)
        st = device_stdp_update(array, zero, one, st, cfg, 1e-4)
        g.append(conductance(array.get_weights(), cfg).item())
        for _ in range(3):
            st = device_stdp_update(array, zero, zero, st, cfg, 20e-3)
    g = torch.tensor(g, dtype=torch.float64)
    assert g[-1] / g[0] == pytest.approx(10.0, rel=1e-9)
    steps = g.diff()
    assert torch.allclose(steps, torch.full_like(steps, 0.009), rtol=1e-9, atol=0)  # 0.9 % of G_max per event
    # Eq. 3 in expectation: with stochastic rounding, E[Δw] = A e^{−Δt/τ}
    cfg_s = cfg.replace(rounding="stochastic")
    n, lag = 4000, 20e-3
    array = cfg_s.device.build((1, n), dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    st = STDPState(
        torch.full((1, n), math.exp(-(lag - 1e-3) / 20e-3), dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    )
    device_stdp_update(array, torch.zeros(1, n), torch.ones(1, 1), st, cfg_s, 1e-3, generator=gen)
    mean = array.get_weights().mean().item()
    p = math.exp(-1.0)
    assert mean == pytest.approx(0.01 * p, abs=4 * 0.01 * math.sqrt(p * (1 - p) / n))


@settings(max_examples=25, deadline=None)
@given(
    mu=st.floats(0.0, 1.0),
    a_plus=st.floats(0.0, 2.0),
    a_minus=st.floats(0.0, 2.0),
    w_min=st.floats(-2.0, 0.5),
    seed=st.integers(0, 1000),
)
def test_stdp_update_respects_bounds_for_any_rule(mu, a_plus, a_minus, w_min, seed):
    rule = STDPConfig.power_law(mu, a_plus=a_plus, a_minus=a_minus, w_min=w_min, w_max=w_min + 1.5)
    gen = torch.Generator().manual_seed(seed)
    w = w_min + 1.5 * torch.rand(3, 5, generator=gen, dtype=torch.float64)
    state = STDPState.zeros(2, 5, 3, dtype=torch.float64)
    for _ in range(30):
        pre = (torch.rand(2, 5, generator=gen) < 0.4).double()
        post = (torch.rand(2, 3, generator=gen) < 0.4).double()
        w, state = stdp_update(w, pre, post, state, rule, DT)
    assert torch.isfinite(w).all() and w.min() >= w_min and w.max() <= w_min + 1.5
