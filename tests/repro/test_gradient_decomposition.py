"""The gradient-decomposition reproduction in quick mode, at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro.gradient_decomposition import CLAIMS, run


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_decomposition_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0
    assert counts["claims"] == sum(not c.full_only for c in CLAIMS)
    assert counts["not_run"] == sum(c.full_only for c in CLAIMS)
    assert counts["consistency"] == 2 and counts["inconsistent"] == 0
