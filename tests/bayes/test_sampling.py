"""Samplers: reproducible for a seed, unbiased within a few standard errors, events counted."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.bayes import (
    forward_sample,
    gibbs,
    likelihood_weighting,
    load_network,
    metropolis_hastings,
    variable_elimination,
)
from neurofab.core import DataError, Ledger

EV = {"WetGrass": "T"}
SAMPLERS = {
    "forward": lambda net, seed: forward_sample(net, 40_000, EV, seed=seed),
    "lw": lambda net, seed: likelihood_weighting(net, 40_000, EV, seed=seed),
    "gibbs": lambda net, seed: gibbs(net, 500, 80, EV, burn_in=10, seed=seed),
    "mh": lambda net, seed: metropolis_hastings(net, 500, 80, EV, burn_in=10, seed=seed),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_reproducible_and_close(name):
    net = load_network("sprinkler")
    a, b = SAMPLERS[name](net, 3), SAMPLERS[name](net, 3)
    assert torch.equal(a.states, b.states)
    c = SAMPLERS[name](net, 4)
    assert not torch.equal(a.states, c.states)
    exact = variable_elimination(net, "Rain", EV)[1].item()
    est = a.marginal("Rain")[1].item()
    n_eff = 4_000 if name in ("gibbs", "mh") else 20_000  # conservative: chains are autocorrelated
    assert abs(est - exact) < 5 * math.sqrt(exact * (1 - exact) / n_eff)


def test_lw_weights_are_the_evidence_likelihood():
    net = load_network("sprinkler")
    s = likelihood_weighting(net, 2_000, EV, seed=0)
    w = torch.exp(s.log_weights)
    table = torch.tensor([[0.0, 0.9], [0.9, 0.99]], dtype=torch.float64)  # P(W=T | S, R)
    idx_s, idx_r = net.index["Sprinkler"], net.index["Rain"]
    assert torch.allclose(w, table[s.states[:, idx_s], s.states[:, idx_r]])
    assert (s.states[:, net.index["WetGrass"]] == 1).all()


def test_ledger_counts_draws():
    net = load_network("sprinkler")
    with Ledger() as led:
        gibbs(net, 10, 5, EV, burn_in=1, seed=0)
    # 3 free variables × 10 chains × 6 sweeps, plus 40 × 3 start draws
    assert led.count("sample") == 3 * 10 * 6 + 40 * 3
    assert led.count("random_bit") == 32 * led.count("sample")


def test_bad_arguments():
    net = load_network("sprinkler")
    with pytest.raises(DataError, match="n_chains"):
        gibbs(net, 0, 5)
    with pytest.raises(DataError, match="no start state"):
        gibbs(net, 4, 2, {"WetGrass": "T", "Sprinkler": "F", "Rain": "F"})
