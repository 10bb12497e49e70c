"""The moneta-performance reproduction: the paper's arithmetic closes except where its printed values do not."""

from __future__ import annotations

import pytest

from neurofab.repro import get
from neurofab.repro.moneta_performance import CLAIMS


@pytest.mark.slow
def test_moneta_performance_quick_passes(tmp_path):
    report = get("moneta-performance").run(quick=True)  # deterministic: one seed
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0
    assert counts["consistency"] == sum(c.consistency for c in CLAIMS) and counts["inconsistent"] == 0
    assert (counts["claims"], counts["deviate_declared"]) == (2, 2)
    rows = {r.quantity: r.ours for r in report.rows}
    assert rows["inference throughput"] == 2.304
    assert rows["required parameters (hybrid)"] == 2304
    assert round(rows["TOPS/W, hybrid learning"], 2) == 10.31  # one inferring + one learning chip
    assert round(rows["hybrid chip area (two chips)"], 2) == 22.31
    report.write(tmp_path)
    assert (tmp_path / "learning_throughput.png").stat().st_size > 0
