"""Song, Miller & Abbott 2000 (Nat. Neurosci. 3:919): additive STDP on 1,000 Poisson inputs to one LIF neuron.

Song's set-up (conductance LIF: τ_m 20 ms, V_rest −70 mV, V_th −54 mV, V_reset −60 mV; excitatory conductance
τ 5 ms, E 0 mV, g_max 0.015 of the leak conductance; τ₊ = τ₋ = 20 ms, A₋/A₊ = 1.05), with A₊ = 0.02 (Song: 0.005)
and 100 s (Song: minutes) to keep the test short, and no inhibitory inputs. Checks: the weights split towards
both bounds (a U-shaped, bimodal distribution); the output rate is regulated (doubling the input rate changes
the learned output rate much less than the initial one); a correlated input group takes the strong weights.
"""

import numpy as np
import pytest
import torch

from neurofab.learning import STDPConfig
from neurofab.spiking import LIFConfig, Network

DT = 1e-4
T = 100.0
N = 1000
SONG = LIFConfig(
    c_m=200e-12, tau_m=20e-3, v_rest=-70e-3, v_th=-54e-3, v_reset=-60e-3, t_ref=0.0,
    synapse="conductance", tau_syn_exc=5e-3, e_exc=0.0,
)  # fmt: skip
G_MAX = 0.015 * SONG.c_m / SONG.tau_m


def poisson_inputs(rate: float, n_corr: int, c: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Spike times [s] and indices of N Poisson inputs at ``rate``; the first ``n_corr`` share a mother train
    (each copies each mother spike with probability c, the rest of their rate independent)."""
    steps = int(T / DT)
    rates = torch.full((N,), rate, dtype=torch.float64)
    rates[:n_corr] *= 1 - c
    counts = torch.poisson(rates * T, generator=gen).long()
    idx = torch.repeat_interleave(torch.arange(N), counts)
    st = torch.randint(0, steps, (int(counts.sum()),), generator=gen)
    if n_corr:
        mother = torch.randint(0, steps, (int(torch.poisson(torch.tensor(rate * T), generator=gen)),), generator=gen)
        ii, mm = torch.nonzero(torch.rand(n_corr, len(mother), generator=gen) < c, as_tuple=True)
        idx, st = torch.cat([idx, ii]), torch.cat([st, mother[mm]])
    return (st + 1).double() * DT, idx


def song_run(rate: float, n_corr: int = 0, c: float = 0.3, seed: int = 0) -> tuple[np.ndarray, float, float]:
    """Final weights / g_max, output rate over the first 10 s and over the last 20 s [Hz]."""
    gen = torch.Generator().manual_seed(seed)
    times, idx = poisson_inputs(rate, n_corr, c, gen)
    net = Network(dt=DT, seed=seed)
    src = net.spike_source(N, times, idx)
    neuron = net.population(1, SONG)
    rule = STDPConfig.additive(tau_plus=20e-3, tau_minus=20e-3, a_plus=0.02, a_minus=0.021, w_max=G_MAX)
    w0 = torch.rand(N, 1, generator=gen, dtype=torch.float64) * G_MAX
    proj = net.connect(src, neuron, w0, rule="all_to_all", dense=False, plasticity=rule)
    mon = net.spike_monitor(neuron)
    net.run(T)
    out = mon.times.numpy()
    return proj.weights().numpy() / G_MAX, (out < 10.0).sum() / 10.0, (out > T - 20.0).sum() / 20.0


@pytest.fixture(scope="module")
def uncorrelated():
    return song_run(10.0)


def test_weights_become_bimodal(uncorrelated):
    w, _, _ = uncorrelated
    low, mid, high = (w < 0.2).mean(), ((w > 0.4) & (w < 0.6)).mean(), (w > 0.8).mean()
    assert min(low, high) > 1.5 * mid  # U-shaped: both bounds hold more weights than the middle
    assert low + high > 0.5


def test_output_rate_is_regulated(uncorrelated):
    _, r10_start, r10_end = uncorrelated
    _, r20_start, r20_end = song_run(20.0)
    assert r10_end < r10_start and r20_end < r20_start
    assert r20_start / r10_start > 1.6  # without learning, double input → about double output
    assert r20_end / r10_end < 0.75 * (r20_start / r10_start)


def test_correlated_group_wins():
    w, _, _ = song_run(10.0, n_corr=500)
    corr, uncorr = w[:500].mean(), w[500:].mean()
    assert corr > 0.8 and uncorr < 0.5
    assert (w[:500] > 0.8).mean() > 2 * (w[500:] > 0.8).mean()
