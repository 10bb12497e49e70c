"""Plastic projections: closed-form pairs, dense = CSR, bounds, learning-rate switch, monitors, ledger, errors."""

import math

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.learning import STDPConfig
from neurofab.spiking import ADEX_BRETTE_GERSTNER, CUBA_LIF, IZHIKEVICH_RS, IFConfig, Network

DT = 1e-4
RELAY = IFConfig(v_th=1e6, v_reset=0.0, synapse="delta")


def pair_network(pre_times, post_times, rule, w0=0.5, delay=1e-3):
    """One synapse from a spike source to a relay neuron that fires exactly at ``post_times``."""
    net = Network(dt=DT, seed=0)
    src = net.spike_source(1, torch.tensor(pre_times), torch.zeros(len(pre_times), dtype=torch.long))
    drv = net.spike_source(1, torch.tensor(post_times) - DT, torch.zeros(len(post_times), dtype=torch.long))
    relay = net.population(1, RELAY)
    net.connect(drv, relay, 2e6, rule="one_to_one")
    proj = net.connect(src, relay, w0, rule="one_to_one", delay=delay, plasticity=rule)
    return net, proj


def test_one_pair_closed_form():
    """pre at 10 ms, post at 15 ms (reaches the synapse at 16 ms), pre at 40 ms: Δw = A₊e^{−6/τ₊} − A₋e^{−24/τ₋}."""
    rule = STDPConfig.additive(tau_plus=17e-3, tau_minus=34e-3, a_plus=0.1, a_minus=0.05, w_min=-1.0, w_max=3.0)
    net, proj = pair_network([10e-3, 40e-3], [15e-3], rule)
    mon = net.weight_monitor(proj)
    net.run(60e-3)
    span = 4.0
    w_after_post = 0.5 + span * 0.1 * math.exp(-6e-3 / 17e-3)
    expected = w_after_post - span * 0.05 * math.exp(-24e-3 / 34e-3)
    w = mon.values[:, 0].numpy()
    assert w[158] == pytest.approx(0.5, abs=0) and w[159] == pytest.approx(w_after_post, rel=1e-12, abs=0)
    assert proj.weights().item() == pytest.approx(expected, rel=1e-12, abs=0)


def test_hard_bounds_hold():
    rule = STDPConfig.additive(a_plus=0.7, a_minus=0.9, w_max=1.0)
    pre = np.arange(1, 200) * 5e-3
    net, proj = pair_network(pre, pre + 2e-3, rule)
    mon = net.weight_monitor(proj)
    net.run(1.0)
    w = mon.values[:, 0].numpy()
    assert w.min() >= 0.0 and w.max() <= 1.0 and (w == 1.0).any()


def random_net(dense: bool, seed: int = 3):
    net = Network(dt=DT, seed=seed)
    src = net.poisson_source(20, 40.0)
    pop = net.population(5, CUBA_LIF, v=("uniform", CUBA_LIF.v_reset, CUBA_LIF.v_th))
    rule = STDPConfig.multiplicative(a_plus=0.05, a_minus=0.05, w_max=200e-12)
    w0 = torch.linspace(50e-12, 150e-12, 100, dtype=torch.float64).reshape(20, 5)
    proj = net.connect(src, pop, w0, rule="all_to_all", dense=dense, plasticity=rule, delay=2e-4)
    spikes = net.spike_monitor(pop)
    pre = net.spike_monitor(src)
    return net, proj, spikes, pre


def test_dense_equals_csr_and_ledger_counts_updates():
    results = []
    for dense in (True, False):
        net, proj, spikes, pre = random_net(dense)
        with Ledger() as led:
            net.run(0.5)
        results.append((proj.weights().numpy().reshape(20, 5), spikes.steps.numpy(), led.count("weight_update"), pre))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    assert len(results[0][1]) > 10
    # all-to-all: each presynaptic spike depresses 5 synapses; each postsynaptic spike (arrived within the run)
    # facilitates 20
    steps = results[0][1]
    arrived = int((steps + 2 < 5000).sum())
    expected = 5 * results[0][3].num_spikes + 20 * arrived
    assert results[0][2] == results[1][2] == expected
    assert not np.allclose(results[0][0], torch.linspace(50e-12, 150e-12, 100).reshape(20, 5).numpy(), atol=0)


def test_learning_rate_switch_and_monitor_subsampling():
    net, proj, _, _ = random_net(dense=False)
    mon = net.weight_monitor(proj, synapses=torch.tensor([0, 7, 99]), every=10)
    proj.learning_rate = 0.0
    w0 = proj.weights().clone()
    net.run(0.2)
    assert torch.equal(proj.weights(), w0)
    proj.learning_rate = 1.0
    net.run(0.2)
    assert not torch.equal(proj.weights(), w0)
    assert mon.values.shape == (400, 3)
    assert torch.equal(mon.values[-1], proj.weights()[[0, 7, 99]])
    assert torch.allclose(mon.times[:2], torch.tensor([DT, 11 * DT], dtype=torch.float64), atol=0)
    assert torch.equal(mon.values[199], w0[[0, 7, 99]])


@pytest.mark.parametrize("params", [IZHIKEVICH_RS, ADEX_BRETTE_GERSTNER], ids=["izhikevich", "adex"])
def test_other_neuron_kinds_learn(params):
    net = Network(dt=DT, seed=1)
    src = net.poisson_source(50, 50.0)
    pop = net.population(3, params)
    w_max = 40e-9 if params.synapse == "conductance" else 400e-12
    rule = STDPConfig.additive(a_plus=0.02, a_minus=0.02, w_max=w_max)
    proj = net.connect(src, pop, 0.9 * w_max, p=0.8, plasticity=rule)
    spikes = net.spike_monitor(pop)
    net.run(0.5)
    w = proj.weights()
    assert spikes.num_spikes > 0
    assert not torch.allclose(w, torch.full_like(w, 0.9 * w_max), atol=0)
    assert w.min() >= 0 and w.max() <= w_max


@pytest.mark.parametrize(
    ("fields", "name"),
    [({"tau_plus": -1e-3}, "tau_plus"), ({"tau_minus": 0.0}, "tau_minus"), ({"a_plus": -0.1}, "a_plus"),
     ({"a_minus": -0.1}, "a_minus"), ({"w_min": 2.0, "w_max": 1.0}, "w_min"), ({"pairing": "triplet"}, "pairing")],
)  # fmt: skip
def test_bad_rule_names_the_field(fields, name):
    with pytest.raises(ConfigError, match=name):
        STDPConfig(**fields)


def test_weights_outside_bounds_rejected_before_building():
    net = Network(dt=DT)
    src = net.poisson_source(4, 10.0)
    pop = net.population(2, CUBA_LIF)
    rule = STDPConfig(w_max=100e-12)
    with pytest.raises(ConfigError, match="w_max"):
        net.connect(src, pop, 150e-12, rule="all_to_all", plasticity=rule)
    with pytest.raises(ConfigError, match="one delay"):
        net.connect(src, pop, 50e-12, rule="one_to_one", plasticity=rule, delay=torch.tensor([1e-3, 2e-3]))
    with pytest.raises(ConfigError, match="kernel_parameters"):
        net.connect(src, pop, 50e-12, rule="all_to_all", plasticity=object())
    assert net.projections == []
    static = net.connect(src, pop, 50e-12, rule="all_to_all")
    with pytest.raises(ConfigError, match="static"):
        net.weight_monitor(static)


def test_frozen_plastic_projection_equals_static_and_survives_rebuild():
    """η = 0: the same spikes as the static network; learned weights survive a rebuild of the network."""
    runs = []
    for plastic in (False, True):
        net = Network(dt=DT, seed=11)
        pop = net.population(200, CUBA_LIF, v=("uniform", CUBA_LIF.v_reset, CUBA_LIF.v_th))
        net.poisson_input(pop, 400.0, 60e-12)
        rule = STDPConfig.additive(w_max=100e-12) if plastic else None
        proj = net.connect(pop[:160], pop, 40e-12, p=0.1, plasticity=rule, delay=5e-4)
        net.connect(pop[160:], pop, -150e-12, p=0.1, receptor="inh")
        if plastic:
            proj.learning_rate = 0.0
        mon = net.spike_monitor(pop)
        net.run(0.3)
        runs.append((mon.steps.numpy(), mon.indices.numpy(), net, proj, pop))
    assert len(runs[0][0]) > 100
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    _, _, net, proj, pop = runs[1]
    proj.learning_rate = 1.0
    net.run(0.2)
    learned = proj.weights().clone()
    assert not torch.equal(learned, torch.full_like(learned, 40e-12))
    net.population(3, CUBA_LIF)  # grows the network: rebuilt on the next run
    net.state(pop)
    assert torch.equal(proj.weights(), learned)
