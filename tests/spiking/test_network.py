"""The network simulator against closed forms, the torch step functions, and its own invariants."""

import math

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError, InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.spiking.network import Network, bernoulli_pairs
from neurofab.spiking.neurons import (
    IZHIKEVICH_RS,
    AdExConfig,
    IFConfig,
    IntegerIFConfig,
    LIFConfig,
    SynapticInput,
    init_state,
    propagators,
    step,
)
from neurofab.spiking.spike_stats import cv_isi, isi

F64 = torch.float64


def lif_rate(p: LIFConfig, current: float) -> float:
    """1 / [t_ref + τ ln((R I − V_r)/(R I − θ))], potentials relative to rest."""
    ri = p.r_m * current
    vr, th = p.v_reset - p.v_rest, p.v_th - p.v_rest
    return 1.0 / (p.t_ref + p.tau_m * math.log((ri - vr) / (ri - th))) if ri > th else 0.0


def test_lif_rate_matches_analytic_over_currents():
    p = LIFConfig(tau_m=20e-3, c_m=250e-12, v_rest=-70e-3, v_th=-54e-3, v_reset=-65e-3, t_ref=2e-3)
    rheobase = (p.v_th - p.v_rest) / p.r_m
    currents = rheobase * torch.tensor([1.02, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 8.0])
    net = Network(dt=1e-5, seed=0)
    pop = net.population(len(currents), p)
    net.dc(pop, currents)
    mon = net.spike_monitor(pop)
    net.run(2.0)
    trains = mon.spike_trains()
    for current, train in zip(currents.tolist(), trains):
        expected = lif_rate(p, current)
        measured = 1.0 / isi(train[1:]).mean().item()  # the first interval starts from rest, not from reset
        assert measured == pytest.approx(expected, rel=0.01), (current, expected, measured)
    assert 13 < lif_rate(p, currents[0].item()) < 14 and lif_rate(p, currents[-1].item()) > 250


def _torch_reference(params, dt, steps, dc, exc_at=None):
    """The same single neuron advanced by the torch step function."""
    prop = propagators(params, dt)
    s = init_state(params, 1, dtype=F64)
    vs = []
    for k in range(steps):
        exc = exc_at.get(k, 0.0) if exc_at else 0.0
        s = step(s, SynapticInput(exc=torch.tensor([exc], dtype=F64), i_ext=dc), params, prop)
        vs.append(s.v.item())
    return torch.tensor(vs, dtype=F64)


@pytest.mark.parametrize(
    "params",
    [
        LIFConfig(tau_syn_exc=3e-3, t_ref=1e-3),
        LIFConfig(synapse="delta", t_ref=1e-3),
        LIFConfig(synapse="conductance", t_ref=1e-3),
        IFConfig(synapse="current", c_m=250e-12, v_th=10e-3, t_ref=1e-3),
        IZHIKEVICH_RS,
        AdExConfig(t_ref=1e-3),
    ],
    ids=["lif-current", "lif-delta", "lif-conductance", "if-current", "izhikevich", "adex"],
)
def test_network_kernel_equals_torch_step(params):
    dt, steps = 1e-4, 600
    weight = {"delta": 5e-3, "current": 400e-12, "conductance": 20e-9}[params.synapse]
    dc = 150e-12 if isinstance(params, IFConfig) else 400e-12 if not isinstance(params, LIFConfig) else 300e-12
    net = Network(dt=dt, seed=0)
    pop = net.population(1, params)
    net.dc(pop, dc)
    spike_steps = [20, 100, 101, 250, 400]
    src = net.spike_source(1, (torch.tensor(spike_steps) + 1) * dt, torch.zeros(5, dtype=torch.int64))
    net.connect(src, pop, weight, rule="one_to_one", delay=3 * dt)
    mon = net.state_monitor(pop, "v")
    net.run(steps * dt)
    # the source spike of step s arrives in step s + 3
    ref = _torch_reference(params, dt, steps, dc, {s + 3: weight for s in spike_steps})
    torch.testing.assert_close(mon.values[:, 0], ref, rtol=1e-9, atol=1e-12)


def test_delays_shift_the_response():
    dt = 1e-4
    net = Network(dt=dt, seed=0)
    p = LIFConfig(synapse="delta", t_ref=0.0)
    pop = net.population(3, p)
    src = net.spike_source(1, torch.tensor([10 * dt]), torch.tensor([0]))
    delays = torch.tensor([1, 4, 9]) * dt
    net.connect(src, pop, 1e-3, rule="arrays", pre_indices=torch.zeros(3, dtype=torch.int64),
                post_indices=torch.arange(3), delay=delays)  # fmt: skip
    mon = net.state_monitor(pop, "v")
    net.run(30 * dt)
    first = (mon.values > p.v_rest + 1e-4).double().argmax(0)
    assert first.tolist() == [9 + 1, 9 + 4, 9 + 9]


def test_poisson_source_rate_and_cv():
    net = Network(dt=1e-4, seed=3)
    src = net.poisson_source(400, 20.0)
    mon = net.spike_monitor(src)
    net.run(5.0)
    n = mon.num_spikes
    expected = 400 * 20.0 * 5.0
    assert abs(n - expected) < 4 * math.sqrt(expected)
    cv = cv_isi(mon.times, mon.indices, 400)
    assert cv.nanmean().item() == pytest.approx(1.0, abs=0.03)


def test_poisson_input_drives_membrane_mean():
    # shot noise: mean of V − v_rest = rate · w · τ_s · R (Campbell's theorem) for current synapses
    p = LIFConfig(tau_m=10e-3, tau_syn_exc=2e-3, v_th=0.0, t_ref=0.0)
    net = Network(dt=1e-4, seed=5)
    pop = net.population(200, p)
    net.poisson_input(pop, 1000.0, 50e-12)
    net.run(0.1)
    mon = net.state_monitor(pop, "v", every=5)
    net.run(1.0)
    mean_dv = (mon.values - p.v_rest).mean().item()
    assert mean_dv == pytest.approx(1000.0 * 50e-12 * 2e-3 * p.r_m, rel=0.02)


def build_random(seed):
    net = Network(dt=1e-4, seed=seed)
    p = LIFConfig(t_ref=2e-3)
    a = net.population(100, p, v=("uniform", -70e-3, -56e-3))
    net.dc(a, 380e-12)
    net.connect(a, a, 30e-12, p=0.1)
    net.connect(net.poisson_source(50, 10.0), a, 100e-12, p=0.2)
    return net, a


def test_same_seed_same_run_and_ledger_counts():
    runs = []
    for seed in (7, 7, 8):
        net, a = build_random(seed)
        mon = net.spike_monitor(a)
        with Ledger() as led:
            net.run(0.3)
            net.run(0.2)
        runs.append((mon.steps, mon.indices, led))
    assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    assert not torch.equal(runs[0][1][:50], runs[2][1][:50])
    led = runs[0][2]
    assert led.count("spike") == len(runs[0][0])
    assert led.count("neuron_update") == 100 * 5000


def test_synop_count_is_spikes_times_outdegree():
    net, a = build_random(1)
    mon = net.spike_monitor(a)
    src_mon = net.spike_monitor(net.populations[1])
    with Ledger() as led:
        net.run(0.3)
    pre_rec, _ = net.projections[0].indices()
    pre_src, _ = net.projections[1].indices()
    out_rec = torch.bincount(pre_rec, minlength=100)
    out_src = torch.bincount(pre_src, minlength=50)
    expected = out_rec[mon.indices].sum() + out_src[src_mon.indices].sum()
    assert led.count("synop") == expected.item()


def test_dense_equals_sparse():
    results = []
    for dense in (True, False):
        net = Network(dt=1e-4, seed=2)
        p = LIFConfig(t_ref=2e-3)
        src = net.poisson_source(30, 40.0)
        pop = net.population(20, p)
        w = torch.rand(30, 20, generator=torch.Generator().manual_seed(0), dtype=F64) * 200e-12
        net.connect(src, pop, w, rule="all_to_all", dense=dense, delay=2e-4)
        net.dc(pop, 300e-12)
        mon = net.spike_monitor(pop)
        net.run(0.5)
        results.append((mon.steps, mon.indices, net.state(pop, "v")))
    assert len(results[0][0]) > 10
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])
    torch.testing.assert_close(results[0][2], results[1][2], rtol=1e-12, atol=1e-15)


def test_connection_rules():
    net = Network(dt=1e-4, seed=0)
    a = net.population(50, LIFConfig())
    b = net.population(40, LIFConfig())
    full = net.connect(a, b, 1e-12, rule="all_to_all", dense=False)
    assert full.num_synapses == 2000
    one = net.connect(a[:40], b, torch.arange(40, dtype=F64) * 1e-12, rule="one_to_one")
    pre, post = one.indices()
    assert torch.equal(pre, post) and one.weights()[5].item() == pytest.approx(5e-12, rel=1e-6, abs=0)
    m = torch.zeros(50, 40, dtype=F64)
    m[3, 7], m[10, 0] = 1e-12, 2e-12
    mat = net.connect(a, b, m, rule="matrix", dense=False)
    assert mat.num_synapses == 2 and mat.indices()[0].tolist() == [3, 10]
    arr = net.connect(a, b, 1e-12, rule="arrays", pre_indices=torch.tensor([4, 1]), post_indices=torch.tensor([0, 2]))
    assert arr.indices()[0].tolist() == [1, 4]  # sorted by presynaptic neuron
    rec = net.connect(a, a, 1e-12, p=0.5, allow_autapses=False)
    pre, post = rec.indices()
    assert not torch.any(pre == post)


def test_fixed_probability_statistics():
    gen = torch.Generator().manual_seed(0)
    pre, post = bernoulli_pairs(2000, 1500, 0.02, gen)
    expected = 2000 * 1500 * 0.02
    assert abs(len(pre) - expected) < 4 * math.sqrt(expected)
    assert torch.all(pre[1:] >= pre[:-1])
    flat = pre * 1500 + post
    assert len(torch.unique(flat)) == len(flat)  # no pair twice
    in_degree = torch.bincount(post, minlength=1500).double()
    assert in_degree.mean().item() == pytest.approx(40.0, rel=0.02)
    assert in_degree.var().item() == pytest.approx(2000 * 0.02 * 0.98, rel=0.15)  # binomial variance
    all_pairs = bernoulli_pairs(3, 4, 1.0, gen)
    assert len(all_pairs[0]) == 12


def test_spike_record_grows_and_state_monitor_subsamples():
    net = Network(dt=1e-4, seed=0)
    pop = net.population(500, LIFConfig(t_ref=0.0))
    net.dc(pop, 3e-9)  # fast regular firing: more spikes than the initial record holds
    mon = net.spike_monitor(pop)
    sm = net.state_monitor(pop, "v", indices=torch.tensor([0, 499]), every=7)
    net.run(0.2)
    assert mon.num_spikes == int(net.spike_counts(pop).sum()) > 20000
    assert sm.values.shape == (len(range(0, 2000, 7)), 2)
    torch.testing.assert_close(sm.times[:2], torch.tensor([1e-4, 8e-4], dtype=F64))


def test_dc_window_and_state_access():
    dt = 1e-4
    p = LIFConfig(t_ref=0.0, v_th=0.0)
    net = Network(dt=dt, seed=0)
    pop = net.population(1, p)
    net.dc(pop, 1e-9, start=10 * dt, stop=20 * dt)
    sm = net.state_monitor(pop, "i_ext")
    net.run(30 * dt)
    i = sm.values[:, 0]
    assert torch.all(i[:10] == 0) and torch.all(i[10:20] == 1e-9) and torch.all(i[20:] == 0)
    assert net.state(pop, "v").item() > p.v_rest


def test_bad_network_input():
    net = Network(dt=1e-4, seed=0)
    a = net.population(10, LIFConfig())
    cond = net.population(10, LIFConfig(synapse="conductance"))
    with pytest.raises(ConfigError, match="dt"):
        Network(dt=0.0)
    with pytest.raises(ConfigError, match="size"):
        net.population(0, LIFConfig())
    with pytest.raises(InputTypeError, match="integer"):
        net.population(3, IntegerIFConfig())
    with pytest.raises(ConfigError, match="one time step"):
        net.connect(a, a, 1e-12, p=0.1, delay=1e-5)
    with pytest.raises(ConfigError, match="p"):
        net.connect(a, a, 1e-12, p=1.5)
    with pytest.raises(ConfigError, match="receptor"):
        net.connect(a, a, 1e-12, p=0.1, receptor="gaba")
    with pytest.raises(ConfigError, match="rule"):
        net.connect(a, a, 1e-12, rule="small_world")
    with pytest.raises(ConfigError, match="conductance"):
        net.connect(a, cond, -1e-9, p=0.1)
    with pytest.raises(ShapeError, match="one_to_one"):
        net.connect(a, a[:5], 1e-12, rule="one_to_one")
    with pytest.raises(ShapeError):
        net.connect(a, a, torch.zeros(3, 3), rule="matrix")
    with pytest.raises(NumericalError):
        net.connect(a, a, float("nan"), p=0.1)
    with pytest.raises(ShapeError):
        net.dc(a, torch.ones(3) * 1e-12)
    with pytest.raises(ShapeError):
        net.population(4, LIFConfig(), v=torch.zeros(3))
    with pytest.raises(ConfigError, match="whole number"):
        net.population(4, LIFConfig(t_ref=1.05e-4))
    with pytest.raises(ShapeError, match="indices"):
        net.spike_source(2, torch.tensor([1e-3]), torch.tensor([2]))
    with pytest.raises(ConfigError, match="variable"):
        net.state_monitor(a, "u")
    with pytest.raises(ConfigError, match="duration"):
        net.run(-1.0)
    with pytest.raises(ConfigError, match="another network"):
        Network().connect(a, a, 1e-12, p=0.1)
    with pytest.raises(InputTypeError):
        a[::2]


def test_network_grows_between_runs():
    net = Network(dt=1e-4, seed=0)
    a = net.population(5, LIFConfig(t_ref=0.0))
    net.dc(a, 1e-9)
    net.run(0.05)
    v_before = net.state(a)
    b = net.population(5, LIFConfig(t_ref=0.0))
    net.connect(a, b, 3e-9, rule="one_to_one", delay=1e-3)
    assert torch.equal(net.state(a), v_before)  # growing the network keeps the state
    net.run(0.05)
    assert net.spike_counts(b).sum() > 0
    np.testing.assert_array_equal(net.spike_counts(a).numpy() > 0, True)
