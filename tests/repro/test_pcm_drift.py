"""The pcm-drift reproduction in quick mode, at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro.pcm_drift import CLAIMS, N_SEEDS, run


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_pcm_drift_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0 and counts["claims"] == len(CLAIMS)
    assert "accuracy_vs_time" in report.figures
    assert len(report.extra["transformer"]["plain, GDC, γ=1"]["mean"]) == 5
    assert len(report.extra["int_attention"]) == N_SEEDS
    # INT4 is the contrast: it loses accuracy where INT6 does not
    ints = report.extra["int_attention"]
    assert sum(d["INT4"] - d["FP32"] for d in ints) < sum(d["INT6"] - d["FP32"] for d in ints)
