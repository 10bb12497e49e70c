"""Always-on binary SNN: starvation against Eqs. 1–2, BNN layer vs SNN argmax, power and gating, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.systems.always_on import (
    AlwaysOnConfig,
    BinaryMLP,
    GatingFigures,
    break_even_sleep,
    gated_power,
    n_req,
    n_serve,
    power,
    run_frame,
)


def test_equations_1_and_2():
    assert n_req(63, 128, 32) == 63 * 128 / 32
    assert n_serve(70e3, 0.5, 4) == 8750.0
    assert AlwaysOnConfig().slots == 8750


def test_dropped_requests_equal_the_formula_when_the_arbiter_starves():
    # 40 input neurons with 10 spikes each → N_req = 400 requests in a frame of N_serve slots (the first spikes
    # arrive in slot 0, so the arbiter is busy all frame): exactly max(0, N_req − N_serve) are dropped
    w = [torch.ones(1, 40, dtype=torch.int64)]
    counts = torch.full((1, 40), 10, dtype=torch.int64)
    for slots in (5, 10, 19, 1000, 5000):
        res = run_frame(w, counts, AlwaysOnConfig(thresholds=(1,)), slots=slots)
        req = 40 * 10
        assert int(res.requests[0, 0]) == req
        assert int(res.dropped[0, 0]) == max(0, req - slots)
        assert int(res.served[0, 0]) == min(req, slots)
        assert int(res.potentials[0, 0]) == min(req, slots)  # output neurons integrate every served spike


def test_fixed_priority_serves_the_lowest_index_first():
    # two inputs spike in the same slot; with one slot only the lower index is served
    w = [torch.tensor([[1, -1]])]
    res = run_frame(w, torch.tensor([[1, 1]]), AlwaysOnConfig(thresholds=(1,)), slots=1)
    assert res.potentials.tolist() == [[1]]  # input 0 (+1) won, input 1 (−1) was dropped
    assert res.dropped.tolist() == [[1]]


def test_bnn_layer_and_snn_agree_when_nothing_is_dropped():
    gen = torch.Generator().manual_seed(0)
    w = torch.where(torch.rand(10, 64, generator=gen) < 0.5, 1, -1)
    counts = torch.randint(0, 64, (50, 64), generator=gen)
    res = run_frame([w], counts, AlwaysOnConfig(thresholds=(1,)), slots=10_000)
    assert int(res.dropped.sum()) == 0
    bnn = counts @ w.T
    assert torch.equal(res.potentials, bnn)  # integrate-only outputs: exact
    assert torch.equal(res.prediction, bnn.argmax(1))


def test_hidden_neuron_fires_every_threshold_crossing_and_resets_to_zero():
    # one input with 20 spikes, +1 weight into a hidden neuron with TH 4 → 5 spikes → the output sees 5 × (+1)
    w = [torch.tensor([[1]]), torch.tensor([[1]])]
    res = run_frame(w, torch.tensor([[20]]), AlwaysOnConfig(thresholds=(1, 4)), slots=1000)
    assert res.requests.tolist() == [[20, 5]] and int(res.potentials[0, 0]) == 5


def test_binary_mlp_matches_the_count_model():
    net = BinaryMLP((8, 6, 3), (4,), generator=torch.Generator().manual_seed(1))
    x = torch.randint(0, 64, (5, 8))
    w1, w2 = net.binary_weights()
    a1 = torch.clamp(torch.div(x @ w1.T, 4, rounding_mode="floor"), 0, 63)
    assert torch.equal(net(x).round().long(), a1 @ w2.T)


def test_power_model_and_gating():
    assert power(0.0) == pytest.approx(75e-9, rel=1e-6, abs=0) and power(1.0) == pytest.approx(220e-9, rel=1e-6, abs=0)
    assert power(0.5) == pytest.approx(147.5e-9, rel=1e-6, abs=0)
    clock, both = gated_power(GatingFigures())
    assert clock == pytest.approx(1.16e-9 * 0.254, rel=1e-6, abs=0)
    assert both == pytest.approx(1.16e-9 * 0.254 * 0.8232, rel=1e-6, abs=0)
    assert 1.16e-9 / both == pytest.approx(4.8, abs=0.05)
    assert break_even_sleep(1e-12, 2e-9, 1e-9) == pytest.approx(1e-3)


@pytest.mark.parametrize("kw", [dict(thresholds=(1, 0, 16)), dict(thresholds=(1, -3)), dict(thresholds=()),
                                dict(f_clk=10.0, t_frame=0.1, n_cyc=4), dict(n_cyc=0)])
def test_bad_config(kw):
    with pytest.raises(ConfigError):
        AlwaysOnConfig(**kw)


def test_bad_input():
    cfg = AlwaysOnConfig(thresholds=(1,))
    with pytest.raises(ConfigError, match="binary"):
        run_frame([torch.tensor([[2, 1]])], torch.tensor([[1, 1]]), cfg)
    with pytest.raises(ConfigError):
        power(1.5)
    with pytest.raises(ConfigError):
        n_req(10, 4, 0)
    with pytest.raises(ConfigError):
        break_even_sleep(1e-12, 1e-9, 2e-9)


def test_ledger_counts_served_spikes():
    w = [torch.ones(2, 3, dtype=torch.int64)]
    with Ledger() as led:
        res = run_frame(w, torch.tensor([[2, 0, 1]]), AlwaysOnConfig(thresholds=(1,)), slots=100)
    assert led.count("spike") == 3 == int(res.served.sum())
    assert led.count("synop") == 6
    assert math.isfinite(float(res.potentials.sum()))


def test_keyword_substitute_is_reproducible_and_6_bit():
    from neurofab.data.keywords import keyword_counts

    a, ya = keyword_counts(n_per_class=4, seed=2)
    b, yb = keyword_counts(n_per_class=4, seed=2)
    assert a.shape == (16, 256) and torch.equal(a, b) and torch.equal(ya, yb)
    assert int(a.min()) >= 0 and int(a.max()) <= 63
