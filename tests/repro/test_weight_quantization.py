"""The weight-quantization reproduction in quick mode."""

from __future__ import annotations

import pytest

from neurofab.repro.weight_quantization import run


@pytest.mark.slow
def test_weight_quantization_quick_passes():
    report = run(quick=True)
    assert report.passed, [r.quantity for r in report.failures]
    assert set(report.extra["drops_points"]) == {"2", "3", "5"}
