"""The pcm-drift reproduction in quick mode."""

from __future__ import annotations

import pytest

from neurofab.repro.pcm_drift import run


@pytest.mark.slow
def test_pcm_drift_quick_passes():
    report = run(quick=True)
    assert report.passed, [r.quantity for r in report.failures]
    assert "accuracy_vs_time" in report.figures
    assert len(report.extra["transformer"]["plain, GDC, γ=1"]["mean"]) == 5
