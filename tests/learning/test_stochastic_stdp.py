"""Stochastic STDP (She et al. 2019 / MONETA): LFSR period and values, UP rates per history, Network = layer."""

import numpy as np
import pytest
import torch
from scipy.stats import binomtest

from neurofab.core import ConfigError, Ledger
from neurofab.learning import (
    LFSR,
    StochasticSTDPConfig,
    StochasticSTDPState,
    history_step,
    stochastic_stdp_update,
)
from neurofab.spiking import IFConfig, Network


@pytest.mark.parametrize("bits", [8, 16])
def test_lfsr_is_maximal(bits):
    reg = LFSR(bits, seed=1)
    seq = reg.next(2**bits - 1).numpy()
    assert reg.state == 1  # back to the start after 2^bits − 1 steps, and not before
    assert len(np.unique(seq)) == 2**bits - 1 and seq.min() == 1 and seq.max() == 2**bits - 1


def test_lfsr_values_by_hand():
    reg = LFSR(16, seed=0xACE1)  # 1010110011100001: lsb 1 → shift right, xor 0xB400
    assert reg.next(2).tolist() == [0xE270, 0x7138]  # 0x5670 ^ 0xB400; then lsb 0 → 0x7138
    with pytest.raises(ConfigError, match="seed"):
        LFSR(16, seed=65536)
    with pytest.raises(ConfigError, match="bits"):
        LFSR(12)


CFG = StochasticSTDPConfig(p1=0.875, p2=0.5, p3=0.25, p4=0.0625, pd=0.3)
EXPECTED = {0b0000: -CFG.pd, 0b1000: CFG.p1, 0b1011: CFG.p1, 0b0100: CFG.p2, 0b0111: CFG.p2, 0b0010: CFG.p3,
            0b0011: CFG.p3, 0b0001: CFG.p4}  # fmt: skip


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_mean_change_per_history_is_the_probability(code):
    """torch RND: n synapses of one firing neuron with the same history; binomial test of the UP count."""
    cfg = CFG.replace(generator="torch")
    n = 20_000
    state = StochasticSTDPState.create(n, cfg, seed=code)
    w = torch.zeros(1, n, dtype=torch.int64)
    hist = torch.full((n,), code, dtype=torch.uint8)
    new = stochastic_stdp_update(w, hist, torch.ones(1), cfg, state)
    moved = int((new != 0).sum())
    assert set(new.unique().tolist()) <= {0, 1 if code else -1}
    assert binomtest(moved, n, abs(EXPECTED[code])).pvalue > 1e-3


def test_lfsr_full_period_gives_exact_counts():
    """One LFSR period of draws at one history code: exactly θ − 1 UPs, θ = round(P·2^16)."""
    n = 2**16 - 1
    for code, p in ((0b1000, CFG.p1), (0b0001, CFG.p4), (0, CFG.pd)):
        state = StochasticSTDPState.create(n, CFG)
        new = stochastic_stdp_update(
            torch.zeros(1, n, dtype=torch.int64), torch.full((n,), code, dtype=torch.uint8), torch.ones(1), CFG, state
        )
        assert int((new != 0).sum()) == round(p * 2**16) - 1


def test_history_queue_pushes_every_t_threshold():
    cfg = CFG.replace(t_threshold=3)
    state = StochasticSTDPState.create(2, cfg)
    codes = []
    for t in range(8):
        history_step(state, torch.tensor([1 if t == 0 else 0, 1 if t == 4 else 0]), cfg)
        codes.append(state.history.tolist())
    # input 0 spiked at step 0 (T[3]), pushed at steps 3 and 6; input 1 spiked at step 4
    assert codes == [[8, 0], [8, 0], [8, 0], [4, 0], [4, 8], [4, 8], [2, 4], [2, 4]]


def test_bounds_and_errors():
    cfg = StochasticSTDPConfig(p1=1.0, pd=1.0, w_min=-2, w_max=3)
    state = StochasticSTDPState.create(4, cfg)
    w = torch.tensor([[3, -2, 0, 1]])
    with Ledger() as led:
        new = stochastic_stdp_update(w, torch.tensor([8, 0, 8, 0], dtype=torch.uint8), torch.ones(1), cfg, state)
    assert new.tolist() == [[3, -2, 1, 0]]
    assert led.count("weight_update") == 2
    with pytest.raises(ConfigError, match="p1"):
        StochasticSTDPConfig(p1=1.5)
    with pytest.raises(ConfigError, match="w_min"):
        StochasticSTDPConfig(w_min=5, w_max=3)
    with pytest.raises(ConfigError, match="rnd_bits"):
        StochasticSTDPConfig(rnd_bits=12)


def test_network_equals_layer_replay():
    """A dense stochastic projection in a Network and the functional update on the same spikes agree exactly."""
    steps, n_pre, n_post, dt = 3000, 12, 3, 1e-3
    gen = torch.Generator().manual_seed(5)
    pre = torch.rand(steps, n_pre, generator=gen) < 0.05
    post = torch.rand(steps, n_post, generator=gen) < 0.03
    cfg = StochasticSTDPConfig(t_threshold=4, lsb=1e-9, w_min=-20, w_max=20, seed=77)
    w0 = torch.randint(-10, 11, (n_post, n_pre), generator=gen)
    net = Network(dt=dt, seed=0)
    t_pre, i_pre = torch.nonzero(pre, as_tuple=True)
    t_post, i_post = torch.nonzero(post, as_tuple=True)
    src = net.spike_source(n_pre, (t_pre + 1).double() * dt, i_pre)
    drv = net.spike_source(n_post, t_post.double() * dt, i_post)  # fires the relay one step later: shift by one
    relay = net.population(n_post, IFConfig(v_th=1e6, v_reset=0.0, synapse="delta"))
    net.connect(drv, relay, 2e6, rule="one_to_one")
    proj = net.connect(src, relay, w0.T.double() * 1e-9, rule="all_to_all", plasticity=cfg)
    net.run(steps * dt)
    state = StochasticSTDPState.create(n_pre, cfg)
    w = w0.clone()
    post_steps = torch.zeros(steps, n_post)
    post_steps[t_post, i_post] = 1  # driver spike stamped t·dt is emitted in step t − 1, the relay fires in step t
    for t in range(steps):
        history_step(state, pre[t].to(torch.uint8), cfg)
        w = stochastic_stdp_update(w, state.history, post_steps[t], cfg, state)
    learned = torch.round(proj.weights() / 1e-9).to(torch.int64).T
    assert (learned != w0).sum() > 10
    assert torch.equal(learned, w)
