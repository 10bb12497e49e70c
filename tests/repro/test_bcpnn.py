"""The bcpnn reproduction: every claim holds at two seeds; the Z traces are exact and the paper's voltages follow."""

from __future__ import annotations

import math

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_bcpnn_quick_passes(seed, tmp_path):
    report = get("bcpnn").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    counts = report.counts()
    assert counts["claims"] == 33 and counts["reproduce"] == 33 and counts["consistency"] == 2
    table = report.extra["table2_ours_mean_over_seeds"]
    assert table["zi"]["max"] < 1e-12 and table["zj"]["corr"] == pytest.approx(1.0, abs=1e-12)
    assert 0 < table["pi"]["max"] < 0.002 / 8 + 1e-12  # kp/8: the PWM drive's bound, and not zero
    assert table["w"]["corr"] > 0.999
    rows = {r.quantity: r.ours for r in report.rows}
    assert round(rows["spike voltage from Eq. 18 (Euler, t_prog = 0.5 ms)"], 1) == 193.2
    assert math.isfinite(rows["10,000 inputs × 100 MCUs, memristor cell: wall time"])
    if seed == 0:
        report.write(tmp_path)
        assert (tmp_path / "bcpnn_traces.png").stat().st_size > 0
