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
    # on PCM at 1 month as well (HWA models trained alike): INT4 below INT6, each with its own programmings
    assert sum(sum(d["PCM INT4"]) for d in ints) < sum(sum(d["PCM INT6"]) for d in ints)
    assert all(len(d["PCM INT6"]) == len(d["PCM INT6 paired"]) == len(d["PCM INT4"]) == 3 for d in ints)
    # the 1-month FP32 reference of the INT6 claim is the HWA, GDC, γ = 1 condition
    assert report.extra["transformer"]["HWA, GDC, γ=1"]["times_s"][-1] == 2592000.0


@pytest.mark.slow
def test_gap_vs_width_side_experiment():
    """The side experiment behind the HWA-gap deviation runs at any width, gives every (γ, time) gap in points, and
    gives the same numbers for the same seed (its figures are quoted in the claims table)."""
    import math

    from neurofab.repro.pcm_drift import gap_vs_width

    first = gap_vs_width(seed=3, widths=((8, 16),), repeats=1)
    assert set(first) == {(8, 16)}
    assert set(first[(8, 16)]) == {f"γ={g}, {t}" for g in ("1", "0.5") for t in ("1 s", "1 month")}
    assert all(math.isfinite(v) and -100 <= v <= 100 for v in first[(8, 16)].values())
    assert gap_vs_width(seed=3, widths=((8, 16),), repeats=1) == first
