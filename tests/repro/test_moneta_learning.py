"""The moneta-learning reproduction in quick mode at two seeds: every claim holds or deviates as declared, and the
measured activity and dataflow counts are the schedules' own."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_moneta_learning_quick_passes(seed):
    report = get("moneta-learning").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    counts = report.counts()
    assert (counts["claims"], counts["reproduce"], counts["not_run"]) == (3, 3, 1)
    acc = report.extra["accuracy"]
    assert all(len(v) == 3 for v in acc.values())
    assert min(min(v) for v in acc.values()) > 75  # every network reads digits well above chance
    # the dataflows: (a) fetches every IFM every step, (b) each IFM once, the table adds one re-fetch per filter
    per_image = report.extra["per_image"]
    assert per_image["standard"]["fetches"] == 100 * 16
    assert per_image["sequential"]["fetches"] == 16
    assert per_image["pim"]["fetches"] == 16 + 16
    # the order bias: without the table the first winners take the updates; the table spreads them over the filters
    eff = report.extra["effective_filters"]
    assert max(e[0] for e in eff["sequential"]) < 2 < 10 < min(e[0] for e in eff["pim"])
    # the sequential bias on IFM positions: without the table the first quarter of the processing order controls a
    # larger share of the updates than with it, at every inner seed; shares over the four quarters add up to 1
    early = report.extra["early_share"]
    assert all(a > b for a, b in zip(early["sequential"], early["pim"]))
    assert all(0 <= e < 1 for v in early.values() for e in v)
    for k, v in report.extra["quarter_shares"].items():
        assert all(abs(sum(q) - 1) < 1e-9 and q[0] == pytest.approx(e) for q, e in zip(v, early[k]))
    r_out = report.extra["r_out"]
    assert all(0 < r[0] <= 1 / 16 for v in r_out.values() for r in v)
