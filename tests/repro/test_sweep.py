"""Sweeps: grid expansion, results on every executor, resume after an interruption, bad specs."""

from __future__ import annotations

import json

import pytest

from neurofab.core import ConfigError, UnknownNameError
from neurofab.core.seeding import child_seeds
from neurofab.sweep import SweepSpec, load_results, results_table, run_sweep

TARGET = "neurofab.core.seeding:child_seeds"  # child_seeds(n, seed): a deterministic function of (params, seed)


def spec(**kw) -> SweepSpec:
    return SweepSpec(target=TARGET, grid={"n": [1, 2, 3]}, seeds=[0, 5], workers=2, **kw)


def test_grid_points_in_order():
    pts = list(spec().points())
    assert [(i, p["n"], s) for i, p, s in pts] == [(0, 1, 0), (1, 1, 5), (2, 2, 0), (3, 2, 5), (4, 3, 0), (5, 3, 5)]
    with_fixed = SweepSpec(target=TARGET, grid={"n": [2]}, fixed={"extra": 1})
    assert next(with_fixed.points())[1] == {"extra": 1, "n": 2}


def test_serial_results_are_the_function_values(tmp_path):
    records = run_sweep(spec(), executor="serial", out=tmp_path / "s.jsonl", show_progress=False)
    assert [r["result"] for r in records] == [child_seeds(s, n) for n in (1, 2, 3) for s in (0, 5)]


def test_process_pool_matches_serial(tmp_path):
    serial = run_sweep(spec(), executor="serial", out=tmp_path / "a.jsonl", show_progress=False)
    pooled = run_sweep(spec(), executor="process", out=tmp_path / "b.jsonl", show_progress=False)
    assert results_table(serial) == results_table(pooled)


@pytest.mark.ray
@pytest.mark.slow
def test_ray_matches_local(tmp_path):
    pytest.importorskip("ray")
    local = run_sweep(spec(), executor="process", out=tmp_path / "local.jsonl", show_progress=False)
    on_ray = run_sweep(spec(), executor="ray", out=tmp_path / "ray.jsonl", show_progress=False)
    assert results_table(local) == results_table(on_ray)


def test_interrupted_sweep_resumes_only_unfinished_points(tmp_path):
    out = tmp_path / "r.jsonl"
    full = run_sweep(spec(), executor="serial", out=out, show_progress=False)
    lines = out.read_text().splitlines(keepends=True)
    # an interruption: two points never written, a third torn in the middle of its line
    out.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    kept = {json.loads(line)["key"]: line for line in lines[:3]}
    assert len(load_results(out)) == 3
    resumed = run_sweep(spec(), executor="serial", out=out, show_progress=False)
    assert results_table(resumed) == results_table(full)
    new_lines = out.read_text().splitlines(keepends=True)
    assert new_lines[:3] == lines[:3]  # finished points untouched (their elapsed_s too)
    assert len(new_lines) == 6  # exactly the three unfinished points computed again
    assert all(kept[json.loads(x)["key"]] == x for x in new_lines[:3])
    # a finished sweep run again computes nothing
    run_sweep(spec(), executor="serial", out=out, show_progress=False)
    assert out.read_text().splitlines(keepends=True) == new_lines


def test_failed_points_are_recorded_and_retried(tmp_path):
    bad = SweepSpec(target=TARGET, grid={"n": [2, -1]}, seeds=[0])
    out = tmp_path / "f.jsonl"
    records = run_sweep(bad, executor="serial", out=out, show_progress=False)
    assert len(records) == 1
    errors = [json.loads(x) for x in out.read_text().splitlines() if json.loads(x)["error"]]
    assert len(errors) == 1 and "n" in json.dumps(errors[0]["params"])


def test_bad_specs(tmp_path):
    with pytest.raises(ConfigError, match="target"):
        SweepSpec(target="no_colon")
    with pytest.raises(ConfigError, match="no values"):
        SweepSpec(target=TARGET, grid={"n": []})
    with pytest.raises(ConfigError, match="seeds"):
        SweepSpec(target=TARGET, seeds=[])
    with pytest.raises(UnknownNameError, match="no function"):
        run_sweep(SweepSpec(target="neurofab.core:nothing_here"), out=tmp_path / "x.jsonl")
    with pytest.raises(UnknownNameError, match="cannot import"):
        run_sweep(SweepSpec(target="neurofab.nowhere:f"), out=tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="executor"):
        run_sweep(spec(), executor="cluster", out=tmp_path / "x.jsonl", show_progress=False)  # type: ignore[arg-type]


def test_spec_round_trips_through_toml(tmp_path):
    path = spec().dump(tmp_path / "spec.toml")
    assert SweepSpec.load(path) == spec()
