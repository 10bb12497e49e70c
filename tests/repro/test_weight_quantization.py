"""The weight-quantization reproduction in quick mode, at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro.weight_quantization import CLAIMS, N_SEEDS, run


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_weight_quantization_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0
    assert counts["claims"] == len(CLAIMS)
    assert set(report.extra["drops_points"]) == {"2", "5"}
    assert len(report.extra["drops_n2_per_seed"]) == N_SEEDS
    # one-level precision with no method costs accuracy; all three together recover most of it
    drops = report.extra["drops_points"]["2"]
    assert drops["none"] > 0 and drops["all"] < drops["none"]
