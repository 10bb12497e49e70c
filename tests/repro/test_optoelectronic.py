"""The optoelectronic reproduction: every headline number judged at the paper's premises and the physical wafer."""

from __future__ import annotations

import json

import pytest

from neurofab.repro.optoelectronic import CLAIMS, run


@pytest.mark.slow
def test_quick_run_passes(tmp_path):
    report = run(quick=True).finish()  # closed form: one run stands for every seed
    assert report.passed, [(r.quantity, r.paper, r.ours) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0 and counts["not_run"] == 0
    assert counts["claims"] + counts["consistency"] == len(CLAIMS)
    assert {"optical_power", "max_mean_rate", "planes"} <= set(report.figures)
    out = report.write(tmp_path)
    data = json.loads((out / "report.json").read_text())
    assert data["passed"] and (out / "max_mean_rate.png").stat().st_size > 0


@pytest.mark.slow
def test_printed_numbers_the_formulas_do_not_give_are_declared():
    report = run(quick=True).finish()
    declared = {r.claim.key for r in report.rows if r.verdict == "deviates (declared)"}
    assert {"carnot", "e_pd", "endurance_text", "k_6_2", "path_100", "planes_e", "k100_e30"} <= declared
    ours = {r.claim.key: r.ours for r in report.rows if r.claim is not None}
    assert ours["planes_e"] == 10  # the 300-mm disc, not the (300 mm)² square
    assert round(ours["carnot"], 1) == 70.4
