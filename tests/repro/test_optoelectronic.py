"""The optoelectronic reproduction holds on every row in quick mode and writes its report and figures."""

from __future__ import annotations

import json

import pytest

from neurofab.repro import get
from neurofab.repro.optoelectronic import run


@pytest.mark.slow
def test_quick_run_passes(tmp_path):
    report = run(quick=True).finish()
    assert report.passed, [(r.quantity, r.paper, r.ours) for r in report.failures]
    assert len(report.rows) >= 30
    assert {"optical_power", "max_mean_rate", "planes"} <= set(report.figures)
    out = report.write(tmp_path)
    data = json.loads((out / "report.json").read_text())
    assert data["passed"] and (out / "max_mean_rate.png").stat().st_size > 0


@pytest.mark.slow
def test_every_flagged_discrepancy_is_stated():
    report = get("optoelectronic").run(quick=True)
    flagged = {r.quantity for r in report.rows if "⚠" in r.note}
    for key in ("Carnot specific power, 4.2 K", "R = 1 A/W", "endurance", "k̄ for 10⁶ neurons, L̄ = 2 "):
        assert any(key in q for q in flagged), key
