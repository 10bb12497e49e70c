"""The weight-quantization reproduction in quick mode, at two seeds."""

from __future__ import annotations

import statistics

import pytest
import torch

from neurofab.analog.quantization import quantizable_layers
from neurofab.core import ConfigError
from neurofab.repro.weight_quantization import CLAIMS, N_SEEDS, _network, mlp, rule_sets, run, train_with_qr


def test_mlp_has_the_two_hidden_layers_of_the_premise():
    net = mlp(64, (500, 300))
    shapes = [tuple(m.weight.shape) for m in net if hasattr(m, "weight")]
    assert shapes == [(500, 64), (300, 500), (10, 300)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_weight_quantization_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0
    full_only = sum(c.full_only for c in CLAIMS)
    assert full_only == 1 and counts["not_run"] == full_only
    assert counts["claims"] == len(CLAIMS) - full_only
    assert counts["deviate_undeclared"] == 0 and counts["stale_declarations"] == 0
    assert set(report.extra["drops_points"]) == {"2", "5"}
    per_seed = report.extra["drops_n2_per_seed"]
    assert len(per_seed) == N_SEEDS
    # one-level precision with no method costs accuracy; all three together recover most of it (network means)
    mean = {m: statistics.fmean(d[m] for d in per_seed) for m in per_seed[0]}
    assert mean["none"] > 0 and mean["all"] < 0.5 * mean["none"]


def _discreteness(net, rule):
    sets = rule_sets(net, 2, rule)
    return sum(float(((m.weight - ls.quantize(m.weight)).abs() / ls.step).sum())
               for m, ls in zip(quantizable_layers(net), sets, strict=True)) / sum(
        m.weight.numel() for m in quantizable_layers(net))


@pytest.mark.parametrize("rule", ["network", "DAQ"])
def test_qr_is_the_float_training_plus_a_pull_to_the_levels(rule):
    st = dict(hidden=(24, 16), epochs=4, bt_epochs=1)
    trained = _network(True, 3, None, st)
    same = train_with_qr(trained, st, 2, rule, 0.0)  # λ = 0: the float network's own training, step for step
    for a, b in zip(same.parameters(), trained.net.parameters(), strict=True):
        assert torch.equal(a, b)
    pulled = train_with_qr(trained, st, 2, rule, 0.1)  # a pull far above the task gradient (~1e-3)
    assert _discreteness(pulled, rule) < 0.5 * _discreteness(trained.net, rule)
    with pytest.raises(ConfigError, match="level-set rule"):
        rule_sets(trained.net, 2, "layer")
