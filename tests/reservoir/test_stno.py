"""The oscillator's power equation against its closed forms, its noise, and the time-multiplexed reservoir."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, Ledger, ShapeError
from neurofab.reservoir.oscillator import OscillatorReservoir, OscillatorReservoirConfig
from neurofab.reservoir.stno import TORREJON_VORTEX, STNOConfig, integrate_power

OSC = TORREJON_VORTEX


@settings(max_examples=25, deadline=None)
@given(zeta=st.floats(0.2, 3.0))
def test_steady_state_power_matches_closed_form(zeta):
    current = zeta * OSC.threshold_current
    closed = (zeta - 1) / (zeta + OSC.nonlinear_damping) if zeta > 1 else 0.0
    assert OSC.steady_power(current) == pytest.approx(closed, abs=1e-15)
    # integrate the noise-free equation for 60 relaxation times from a nonzero start
    horizon = 60 * max(OSC.relaxation_time(current), 1e-9) if abs(zeta - 1) > 0.05 else 1e-3
    cur = torch.full((1, 200), current, dtype=torch.float64)
    p = integrate_power(OSC, cur, horizon / 200, p0=torch.tensor([0.3]), noise=False)
    assert float(p[0, -1]) == pytest.approx(closed, abs=1e-6 if abs(zeta - 1) > 0.05 else 2e-2)


def test_relaxation_rate_is_two_gamma_g_times_supercriticality():
    current = 1.5 * OSC.threshold_current
    p0 = OSC.steady_power(current)
    t = 0.5 * OSC.relaxation_time(current)
    cur = torch.full((1, 1), current, dtype=torch.float64)
    p = integrate_power(OSC, cur, t, p0=torch.tensor([p0 * 1.001]), noise=False)
    ratio = (float(p[0, 0]) - p0) / (p0 * 0.001)
    assert ratio == pytest.approx(math.exp(-0.5), rel=2e-3)
    assert OSC.relaxation_time(current) == pytest.approx(1 / (2 * OSC.gamma_g * 0.5), rel=1e-6, abs=0)


def test_thermal_power_below_threshold():
    # below threshold, the stationary mean is p_T/(1 − ζ) when p ≪ 1 (linear damping dominates)
    osc = OSC.replace(thermal_power=1e-5)
    zeta = 0.5
    n = 4000
    cur = torch.full((n, 60), zeta * osc.threshold_current, dtype=torch.float64)
    tau = osc.relaxation_time(zeta * osc.threshold_current)
    p = integrate_power(osc, cur, tau / 3, p0=torch.zeros(n), substeps=8, seed=3)
    mean = float(p[:, 30:].mean())
    assert mean == pytest.approx(1e-5 / (1 - zeta), rel=0.05)


def test_noise_is_reproducible_for_a_seed():
    cur = torch.full((2, 50), 5e-3, dtype=torch.float64)
    a = integrate_power(OSC, cur, 1e-8, seed=7)
    b = integrate_power(OSC, cur, 1e-8, seed=7)
    c = integrate_power(OSC, cur, 1e-8, seed=8)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_virtual_nodes_count_spacing_and_mask():
    # all nodes above threshold (ζ ≥ 1.5) and θ = 25 τ_p: each node sits at its steady state
    cfg = OscillatorReservoirConfig(n_nodes=6, node_time=5e-6, bias_current=8e-3, input_current=2e-3)
    mask = torch.tensor([1.0, -1.0, 0.5, 0.0, -0.5, 1.0])
    res = OscillatorReservoir(cfg, oscillator=OSC.replace(thermal_power=0.0), mask=mask)
    assert res.step_time == pytest.approx(6 * 5e-6)
    u = torch.tensor([0.3, -0.6, 0.9])
    with Ledger() as led:
        x = res.states(u)
    assert x.shape == (1, 3, 6)
    assert led.count("oscillator_sample") == 18
    current = cfg.bias_current + cfg.input_current * u[:, None] * mask[None, :]
    expected = OSC.steady_power(current.to(torch.float64)).sqrt()
    assert torch.allclose(x[0], expected, atol=1e-6)
    assert res.currents(u.view(1, 3, 1).double()).shape == (1, 18)


def test_bad_input_is_refused():
    with pytest.raises(ConfigError, match="node_time"):
        OscillatorReservoirConfig(node_time=0.0)
    with pytest.raises(ConfigError, match="node_time"):
        OscillatorReservoirConfig(node_time=-1e-9)
    with pytest.raises(ConfigError, match="thermal_power"):
        STNOConfig(thermal_power=-1e-6)
    with pytest.raises(ConfigError, match="readout_noise"):
        OscillatorReservoirConfig(readout_noise=-0.1)
    with pytest.raises(ConfigError, match="mask"):
        OscillatorReservoir(OscillatorReservoirConfig(n_nodes=4), mask=torch.ones(5))
    with pytest.raises(ConfigError, match="dt"):
        integrate_power(OSC, torch.ones(1, 3) * 5e-3, 0.0)
    with pytest.raises(ShapeError):
        OscillatorReservoir().states(torch.ones(2, 3, 2))
