"""BCPNN: discrete rule → continuous solution as dt → 0, the memristor cell against the reference, the network,
and bad input."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.devices import VTEAM, Window
from neurofab.learning import (
    BCPNNConfig,
    BCPNNHypercolumns,
    MemristorCell,
    bcpnn_continuous,
    bcpnn_init,
    bcpnn_reference_step,
    bcpnn_weights,
)
from neurofab.learning.bcpnn import _pwm_outer


def _discrete_error(dt: float, t_end: float = 0.05) -> float:
    cfg = BCPNNConfig(dt=dt)
    st = bcpnn_init(1, outer=False)
    one = torch.ones(1, dtype=torch.float64)
    steps = round(t_end / dt)
    for _ in range(steps):
        st = bcpnn_reference_step(st, one, one * 0.0 + 1.0, cfg)
    exact = bcpnn_continuous(torch.tensor([steps * dt]), 1.0, 1.0, cfg)
    return max(abs(float(getattr(st, k)) - float(exact[k][0])) for k in ("zi", "zj", "pi", "pj", "pij"))


def test_discrete_rule_converges_to_the_continuous_solution():
    errors = [_discrete_error(dt) for dt in (1e-3, 1e-4, 1e-5)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-4
    assert 5 < errors[0] / errors[1] < 20 and 5 < errors[1] / errors[2] < 20  # first order in dt


def test_continuous_solution_satisfies_the_odes():
    cfg = BCPNNConfig()
    t = torch.linspace(0.0, 0.2, 200_001, dtype=torch.float64)
    sol = bcpnn_continuous(t, 1.0, 0.0, cfg, state0=(0.2, 0.7, 0.1, 0.3, 0.05))
    h = t[1] - t[0]
    d = {k: (v[2:] - v[:-2]) / (2 * h) for k, v in sol.items()}
    mid = {k: v[1:-1] for k, v in sol.items()}
    tp = cfg.tau_p / cfg.kappa
    assert torch.allclose(d["zi"], (1.0 - mid["zi"]) / cfg.tau_zi, atol=1e-3)
    assert torch.allclose(d["pij"], (mid["zi"] * mid["zj"] - mid["pij"]) / tp, atol=1e-5)
    assert float(sol["pij"][0]) == pytest.approx(0.05)


def _trains(seed: int, steps: int, n: int):
    g = torch.Generator().manual_seed(seed)
    common = torch.rand(steps, n, generator=g) < 0.03
    pre = (common | (torch.rand(steps, n, generator=g) < 0.02)).double()
    post = (common | (torch.rand(steps, n, generator=g) < 0.02)).double()
    return pre, post


@pytest.mark.parametrize("scheme", ["pwm", "two_phase"])
def test_memristor_cell_tracks_the_reference(scheme):
    cfg = BCPNNConfig()
    cell = MemristorCell(bcpnn=cfg, scheme=scheme)
    pre, post = _trains(0, 2000, 4)
    ref, mem = bcpnn_init(4, outer=False), cell.init(4, outer=False)
    worst = {k: 0.0 for k in ("zi", "zj", "pi", "pj", "pij")}
    for t in range(pre.shape[0]):
        ref = bcpnn_reference_step(ref, pre[t], post[t], cfg)
        mem = cell.step(mem, pre[t], post[t])
        for k in worst:
            worst[k] = max(worst[k], float((getattr(ref, k) - getattr(mem, k)).abs().max()))
    assert worst["zi"] < 1e-13 and worst["zj"] < 1e-13  # the Z memristors reproduce Eq. 6 exactly
    bound = 1e-12 if scheme == "two_phase" else cfg.kp / 8  # PWM: O(kp) (docs/devices.md)
    assert max(worst["pi"], worst["pj"], worst["pij"]) < bound
    if scheme == "pwm":
        assert worst["pi"] > 1e-7  # the PWM drive is an approximation, and the test can tell
    w_ref, b_ref = bcpnn_weights(ref, cfg.eps)
    w_mem, b_mem = cell.weights(mem)
    assert torch.allclose(w_ref, w_mem, atol=5e-3) and torch.allclose(b_ref, b_mem, atol=5e-3)


def test_cell_voltages_and_the_papers_printed_values():
    cell = MemristorCell()
    v_spike, v_rest = cell.z_voltages_euler(1 / 11)
    assert round(v_spike * 1e3, 1) == 193.2 and round(v_rest * 1e3, 1) == -149.9
    v_spike, v_rest = cell.z_voltages(1 / 11)
    dev = cell.device
    assert math.exp(-float(dev.rate(torch.tensor(v_spike))) * cell.t_prog) == pytest.approx(10 / 11, rel=1e-6)
    assert math.exp(float(dev.rate(torch.tensor(v_rest))) * cell.t_prog) == pytest.approx(10 / 11, rel=1e-6)


def test_compiled_pwm_update_equals_two_exact_pulses():
    cell = MemristorCell()
    x = torch.rand(50, 7, dtype=torch.float64)
    zi, zj = torch.rand(50, dtype=torch.float64), torch.rand(7, dtype=torch.float64)
    z = zi[:, None] * zj[None, :]
    v_up, v_down = cell.p_voltage()
    two = cell.device.exact_step(x, torch.full_like(x, v_up), z * cell.t_prog)
    two = cell.device.exact_step(two, torch.full_like(x, v_down), (1 - z) * cell.t_prog)
    assert torch.allclose(_pwm_outer(x, zi, zj, cell.bcpnn.kp), two, atol=1e-14)
    assert torch.allclose(cell._p(x, z), two, atol=1e-14)


def test_silence_returns_w_to_zero_and_beta_to_log_eps():
    cfg = BCPNNConfig(tau_p=0.05)  # a short P memory keeps the test fast: 1.5 s of silence is 30 τ_p
    cell = MemristorCell(bcpnn=cfg)
    st = cell.init(2, outer=False)
    spikes = (torch.rand(300, generator=torch.Generator().manual_seed(3)) < 0.05).double()
    for t in range(300):  # identical 50 Hz trains on both sides
        s = spikes[t].expand(2)
        st = cell.step(st, s, s)
    assert float(cell.weights(st)[0].min()) > 0.01  # co-active trains raised w
    zero = torch.zeros(2, dtype=torch.float64)
    for _ in range(1500):
        st = cell.step(st, zero, zero)
    w, beta = cell.weights(st)
    assert float(w.abs().max()) < 1e-6
    assert torch.allclose(beta, torch.full_like(beta, math.log(cfg.eps)), atol=1e-6)


def test_hypercolumns_are_vectorised_reproducible_and_counted():
    def run(seed: int):
        net = BCPNNHypercolumns(40, 3, 5, rule=MemristorCell(), dtype=torch.float64, seed=seed)
        g = torch.Generator().manual_seed(9)
        with Ledger() as led:
            spikes = [net.step((torch.rand(40, generator=g) < 0.2).double()) for _ in range(50)]
        return net, torch.stack(spikes), led

    a, sa, led = run(1)
    b, sb, _ = run(1)
    assert a.state.pij.shape == (40, 15)
    assert torch.equal(sa, sb) and torch.equal(a.state.pij, b.state.pij)
    assert led.count("write_pulse") == 50 * (40 + 15 + 2 * (40 + 15 + 40 * 15))
    assert led.count("spike") == float(sa.sum())


def test_bad_input_names_the_field():
    with pytest.raises(ConfigError, match="eps"):
        BCPNNConfig(eps=0.0)
    with pytest.raises(ConfigError, match="eps"):
        BCPNNConfig(eps=-0.01)
    with pytest.raises(ConfigError, match="tau_zi"):
        BCPNNConfig(tau_zi=1e-4)
    with pytest.raises(ConfigError, match="t_prog"):
        MemristorCell(t_prog=2e-3)
    with pytest.raises(ConfigError, match="window"):
        MemristorCell(device=VTEAM(window=Window(kind="joglekar", p=2.0)))
    with pytest.raises(ConfigError, match="eps"):
        bcpnn_weights(bcpnn_init(2, outer=False), 0.0)
