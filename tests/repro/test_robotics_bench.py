"""The robotics-bench reproduction: paths on every map, none shorter than BFS, stage times and counts reported."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_robotics_bench_quick_passes(seed, tmp_path):
    report = get("robotics-bench").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    counts = report.counts()
    assert counts["claims"] == 2 and counts["unclaimed"] == 0
    rows = {r.quantity: r.ours for r in report.rows}
    assert rows["fraction of maps on which the wavefront finds a path"] == 1.0
    assert rows["n = 20: neurons"] == 8000 and rows["n = 20: synapses 6n²(n−1)"] == 6 * 400 * 19
    stages = ["create_neurons", "create_synapses", "simulate", "build_svf", "find_path"]
    assert abs(sum(rows[f"n = 20: {s}"] for s in stages) - rows["n = 20: total time"]) < 5e-3
    assert 0 < rows["n = 20: synapse creation share of total"] < 100
    assert all(p["length"] is not None for p in report.extra["paths"].values())
    report.write(tmp_path)
