"""The in-the-loop reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_quick_reproduction_holds(seed):
    report = get("in-the-loop").run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.ours) for r in report.failures]
    c = report.counts()
    assert (c["claims"], c["reproduce"]) == (5, 5)
    assert len(report.extra["spiking_gaps"]) == 9
    gaps = report.extra["gaps"]
    transfer = report.extra["transfer"]
    assert len(transfer) == 21 and all(len(g) == 21 for g in gaps.values())
    # in-the-loop training closes most of each chip's transfer gap
    before = report.extra["transfer_gap"]
    assert sum(gaps["exact"]) < 0.5 * sum(before)
    assert sum(a < b for a, b in zip(gaps["exact"], before)) >= 18
    rows = {r.quantity: r for r in report.rows}
    assert rows["chip forward passes per in-the-loop run (ledger, exact gradient)"].ours == 40 * 256
