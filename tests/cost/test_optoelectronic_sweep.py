"""The example sweep spec runs the feasibility target over its grid and records one result per point."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurofab.cost import optoelectronic as oe
from neurofab.sweep import SweepSpec, run_sweep

SPEC = Path(__file__).resolve().parents[2] / "examples" / "sweep_optoelectronic.toml"


def test_example_sweep_runs_serially(tmp_path):
    spec = SweepSpec.load(SPEC)
    records = run_sweep(spec, executor="serial", out=tmp_path / "opto.jsonl", show_progress=False)
    assert len(records) == len(list(spec.points())) == 12
    for rec in records:
        assert rec["error"] is None
        direct = oe.feasibility(**rec["params"])
        assert rec["result"] == pytest.approx(direct, rel=1e-12, abs=0)
    # resuming finds every point done and computes nothing new
    again = run_sweep(spec, executor="serial", out=tmp_path / "opto.jsonl", show_progress=False)
    assert [r["key"] for r in again] == [r["key"] for r in records]
    assert len((tmp_path / "opto.jsonl").read_text().splitlines()) == 12


@pytest.mark.ray
@pytest.mark.slow
def test_example_sweep_identical_on_local_pool_and_ray(tmp_path):
    pytest.importorskip("ray")
    from neurofab.sweep import results_table

    spec = SweepSpec.load(SPEC)
    local = run_sweep(spec, executor="process", out=tmp_path / "local.jsonl", show_progress=False)
    on_ray = run_sweep(spec, executor="ray", out=tmp_path / "ray.jsonl", show_progress=False)
    assert len(local) == 12 and results_table(local) == results_table(on_ray)
