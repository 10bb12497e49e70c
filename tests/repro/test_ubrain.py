"""The ubrain reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_ubrain_quick_passes(seed):
    report = get("ubrain").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    acc = report.extra["snn_accuracy"]
    assert min(acc["4"]) > 85.0  # the 4-bit chip classifies digits
    assert sum(acc["2"]) < sum(acc["4"])
    window = report.extra["window"]
    assert abs(window["inputs"][0] - 6400) < 100  # the presentation holds the seed's 6,400 input events
    assert window["energy"][0] == pytest.approx(window["spikes"][0] * 26e-3, rel=1e-9)  # [nJ] at 26 pJ/spike
