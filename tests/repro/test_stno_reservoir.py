"""The stno-reservoir reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_quick_reproduction_holds(seed):
    report = get("stno-reservoir").run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.ours) for r in report.failures]
    c = report.counts()
    assert c["claims"] == 3 and c["deviate_undeclared"] == 0
    rows = {r.quantity: r for r in report.rows}
    noise = report.extra["noise_sweep"]
    assert sum(noise["0.0001"]) / len(noise["0.0001"]) > 0.15  # strong noise: far from separation
    assert rows["echo-state network (24 nodes): sine/square error"].ours <= 0.01
    assert rows["oscillator readout samples (ledger)"].ours > 0
    assert report.figures
