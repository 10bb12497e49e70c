"""The weight-quantization reproduction in quick mode, at two seeds."""

from __future__ import annotations

import statistics

import pytest

from neurofab.repro.weight_quantization import CLAIMS, N_SEEDS, mlp, run


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
