"""The command line: exit codes, listing, report files (typer's test runner)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from neurofab.cli import app
from neurofab.repro import Relative, Report, reproduction
from neurofab.repro import registry as repro_registry

runner = CliRunner()


@pytest.fixture
def dummy_reproductions():
    @reproduction("selftest-holds", paper="Nobody 2000", summary="one row that holds")
    def holds(quick: bool = True, seed: int = 0) -> Report:
        r = Report("selftest-holds", "holds", "Nobody 2000")
        r.add("two", 2.0, 1.0 + 1.0 + seed, Relative(0.01))
        return r

    @reproduction("selftest-fails", paper="Nobody 2000", summary="one row that fails")
    def fails(quick: bool = True, seed: int = 0) -> Report:
        r = Report("selftest-fails", "fails", "Nobody 2000")
        r.add("two", 2.0, 3.0, Relative(0.01))
        return r

    yield
    repro_registry._REGISTRY.pop("selftest-holds")
    repro_registry._REGISTRY.pop("selftest-fails")


def test_list_names_reproductions(dummy_reproductions):
    result = runner.invoke(app, ["list"], terminal_width=200)
    assert result.exit_code == 0
    assert "selftest-holds" in result.output and "Nobody 2000" in result.output


def test_reproduce_writes_reports_and_exit_zero(dummy_reproductions, tmp_path):
    result = runner.invoke(app, ["reproduce", "selftest-holds", "--quick", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "selftest-holds" / "report.json").read_text())
    assert data["passed"] and data["quick"] and data["seed"] == 0
    assert (tmp_path / "selftest-holds" / "report.md").exists()


def test_reproduce_exit_one_when_a_row_fails(dummy_reproductions, tmp_path):
    result = runner.invoke(app, ["reproduce", "selftest-fails", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL" in result.output
    # the seed reaches the run: seed 1 makes selftest-holds compute 3 and fail
    result = runner.invoke(app, ["reproduce", "selftest-holds", "--seed", "1", "--out", str(tmp_path)])
    assert result.exit_code == 1


def test_usage_errors_exit_two(dummy_reproductions, tmp_path):
    assert runner.invoke(app, ["reproduce", "no-such-thing"]).exit_code == 2
    assert runner.invoke(app, ["reproduce"]).exit_code == 2
    assert runner.invoke(app, ["reproduce", "selftest-holds", "--all"]).exit_code == 2
    assert runner.invoke(app, ["reproduce", "selftest-holds", "--seed", "-1"]).exit_code == 2
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2
    assert runner.invoke(app, ["sweep", str(tmp_path / "missing.toml")]).exit_code == 2
    assert not any(tmp_path.iterdir())


def test_info():
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0 and "torch" in result.output
