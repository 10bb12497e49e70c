"""Crossbar naive Bayes, the Bayesian MLP on tiles, MTJ spike generators and the convergence helpers."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.bayes import load_network, variable_elimination
from neurofab.bayes.bnn import CrossbarBNN, entropy, train_bnn
from neurofab.bayes.convergence import fit_slope, log_grid, rms_error, running_estimates
from neurofab.bayes.energy import TABLE
from neurofab.bayes.mtj import MTJConfig, mtj_sample
from neurofab.bayes.naive_bayes import CrossbarNaiveBayes, NaiveBayes, binarise, tile_config
from neurofab.core import ConfigError, DataError, Ledger
from neurofab.cost.energy import price_ledger


def _toy(n=300, f=12, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=gen)
    proto = torch.rand(3, f, generator=gen)
    x = (torch.rand(n, f, generator=gen) < proto[y]).long()
    return x, y


def test_software_nb_matches_closed_form():
    x, y = _toy()
    nb = NaiveBayes.fit(x, y, alpha=1.0)
    c = 1
    sel = x[y == c].double()
    assert torch.allclose(nb.theta[c], (sel.sum(0) + 1) / (len(sel) + 2))
    manual = nb.log_prior[c] + (x[0].double() * nb.theta[c].log() + (1 - x[0].double()) * (1 - nb.theta[c]).log()).sum()
    assert nb.log_scores(x[:1])[0, c].item() == pytest.approx(manual.item())
    with pytest.raises(DataError, match="binary"):
        NaiveBayes.fit(x.double() * 0.5, y)


@pytest.mark.parametrize("domain", ["neglog", "linear"])
def test_ideal_crossbar_nb_equals_software(domain):
    x, y = _toy()
    nb = NaiveBayes.fit(x, y)
    cb = CrossbarNaiveBayes(nb, domain, tile_config())
    assert torch.equal(cb.predict(x), nb.predict(x))
    if domain == "neglog":
        assert torch.allclose(cb.scores(x).double(), -nb.log_scores(x), atol=1e-3)
    with Ledger() as led:
        cb.predict(x[:5])
    assert led.count("mvm") >= 1


def test_noisy_tiles_are_seeded_and_differ():
    x, y = _toy()
    nb = NaiveBayes.fit(x, y)
    a = CrossbarNaiveBayes(nb, "neglog", tile_config(prog_noise=0.3), seed=4).scores(x)
    b = CrossbarNaiveBayes(nb, "neglog", tile_config(prog_noise=0.3), seed=4).scores(x)
    c = CrossbarNaiveBayes(nb, "neglog", tile_config(), seed=4).scores(x)
    assert torch.equal(a, b) and not torch.allclose(a, c)
    with pytest.raises(DataError, match="domain"):
        CrossbarNaiveBayes(nb, "log")
    assert binarise(torch.tensor([0.2, 0.7])).tolist() == [0, 1]


def test_bnn_on_tiles_and_entropy():
    x, y = _toy(n=200, f=10)
    model = train_bnn(x.float(), y, hidden=16, epochs=40, seed=0)
    for mode in ("gaussian", "nsm"):
        cb = CrossbarBNN(model, tile_config(), mode, seed=1)
        p = cb.predict_proba(x.float()[:20], samples=8)
        assert p.shape == (20, 3) and torch.allclose(p.sum(1), torch.ones(20), atol=1e-5)
    assert entropy(torch.full((1, 4), 0.25)).item() == pytest.approx(math.log(4))
    with pytest.raises(DataError, match="keep"):
        CrossbarBNN(model, tile_config(), "nsm", keep=0.0)


def test_mtj_switching_inverts_and_samples():
    cfg = MTJConfig(dac_bits=None)
    p = torch.tensor([0.01, 0.3, 0.5, 0.97], dtype=torch.float64)
    assert torch.allclose(cfg.switching_probability(cfg.current_for(p)), p, rtol=1e-9, atol=0)
    coarse = MTJConfig(dac_bits=6)
    assert (coarse.realised(p) - p).abs().max() > 1e-3  # the DAC step shows
    with pytest.raises(ConfigError, match="delta"):
        MTJConfig(delta=-1)
    net = load_network("sprinkler")
    s = mtj_sample(net, 40_000, cfg, {"WetGrass": "T"}, seed=0)
    exact = variable_elimination(net, "Rain", {"WetGrass": "T"})[1].item()
    assert abs(s.marginal("Rain")[1].item() - exact) < 5 * math.sqrt(exact * (1 - exact) / len(s.states))


def test_slope_of_forward_sampling_and_energy_pricing():
    net = load_network("sprinkler")
    grid = log_grid(20, 1000, 5)
    with Ledger() as led:
        est = running_estimates("likelihood weighting", net, "Rain", "T", 1000, 100, {"WetGrass": "T"}, seed=0)
    exact = variable_elimination(net, "Rain", {"WetGrass": "T"})[1].item()
    slope = fit_slope(grid, rms_error(est, exact, grid))
    assert -0.6 < slope < -0.4
    energy = price_ledger(led, TABLE, ignore_unknown=["sample"])
    assert energy.total > 0 and set(energy.by_kind) >= {"random_bit", "sram_read"}
    with pytest.raises(DataError, match="style"):
        running_estimates("magic", net, "Rain", "T", 10, 2)


def test_compound_synapse_stdp_fixed_point_and_purity():
    from neurofab.bayes.wta import CompoundWTA, WTAConfig, purity

    y = torch.tensor([[1, 0, 1, 1, 0, 0]])
    cfg = WTAConfig(n_outputs=2, devices=4, p_up=0.5, p_down=0.5, epochs=200, bias_rate=0.0)
    w = CompoundWTA(6, cfg, seed=0).fit(y)
    k = int(w.winners(y)[0])
    code = CompoundWTA.code(y)[0].bool()
    # ⟨Δm⟩ = (M − m) π_up y − m π_down (1 − y): active inputs fill up, inactive ones empty, on the winner
    assert (w.m[k, code] == 4).all() and (w.m[k, ~code] == 0).all()
    with pytest.raises(DataError, match="binary"):
        w.fit(torch.tensor([[2, 0, 0, 0, 0, 0]]))
    a_tr, l_tr = torch.tensor([0, 0, 1, 1]), torch.tensor([3, 3, 5, 2])
    assert purity(a_tr, l_tr, torch.tensor([0, 1]), torch.tensor([3, 2]), 2) in (0.5, 1.0)
    assert purity(a_tr, l_tr, torch.tensor([0]), torch.tensor([3]), 2) == 1.0


def test_compound_synapse_held_by_fewer_devices():
    from neurofab.bayes.wta import CompoundWTA, WTAConfig
    from neurofab.core import ConfigError

    w = CompoundWTA(50, WTAConfig(n_outputs=4, devices=64), seed=3)
    w.m = torch.arange(4 * 100).reshape(4, 100) % 65
    q = w.m.double() / 64
    r = w.held_by(4, stochastic=False)
    assert r.config.devices == 4 and r.config.w_max == w.config.w_max
    assert torch.equal(r.m, torch.round(4 * q).long())
    assert torch.equal(r.bias, w.bias) and r.bias is not w.bias
    # m' ~ Binomial(4, m/64): the count stays in {0 … 4}, q = 0 and q = 1 are exact, and the mean over draws is 4q
    draws = torch.stack([w.held_by(4, seed=s).m for s in range(400)]).double()
    assert draws.min() >= 0 and draws.max() <= 4
    assert (draws[:, q == 0] == 0).all() and (draws[:, q == 1] == 4).all()
    se = (4 * q * (1 - q) / 400).sqrt().clamp_min(1e-9)
    assert ((draws.mean(0) - 4 * q).abs() <= 5 * se + 1e-9).all()
    assert torch.equal(w.held_by(4, seed=7).m, w.held_by(4, seed=7).m)
    with pytest.raises(ConfigError, match="devices"):
        w.held_by(0)


def test_hmm_exact_filter_and_spiking_smc():
    import itertools

    from neurofab.bayes.hmm import RingHMM, exact_filter, spiking_filter, total_variation

    hmm = RingHMM(states=4, move=0.2, alpha=0.7, beta=0.3)
    _, y = hmm.simulate(3, seed=1)
    trans, lik = hmm.transition(), hmm.likelihood(y)
    joint = torch.zeros(4, dtype=torch.float64)  # brute force over all paths: P(X_3, Y_1:3)
    for path in itertools.product(range(4), repeat=3):
        p = 0.25 * lik[0, path[0]]
        for t in (1, 2):
            p = p * trans[path[t - 1], path[t]] * lik[t, path[t]]
        joint[path[-1]] += p
    assert torch.allclose(exact_filter(hmm, y)[-1], joint / joint.sum())
    big = RingHMM()
    _, yb = big.simulate(120, seed=2)
    ex = exact_filter(big, yb)
    tv = [total_variation(spiking_filter(big, yb, n, seed=3), ex).mean().item() for n in (32, 512)]
    assert tv[1] < 0.6 * tv[0]  # √16 = 4 times more spikes: about a quarter of the error
