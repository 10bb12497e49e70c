"""Every documented exit code of the command line: 0 holds, 1 an undeclared deviation / stale declaration / failed
run or sweep point, 2 a usage error — checked before any work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from neurofab.cli import app
from neurofab.core import DataError
from neurofab.repro import Absolute, Claim, Claims, ModelUncertainty, Report, reproduction
from neurofab.repro import registry as repro_registry

runner = CliRunner()
CLAIM = Claims([Claim("x", "x", 1.0, "nowhere l. 1", ModelUncertainty("test", abs=0.1), tolerance=Absolute(0.1))])
DECLARED = Claims([Claim("x", "x", 1.0, "nowhere l. 1", ModelUncertainty("test", abs=0.1), tolerance=Absolute(0.1),
                         deviation="measured: ours is 2 because the test says so")])


@pytest.fixture
def dummies():
    def make(name: str, claims: Claims, value: float, raises: bool = False):
        @reproduction(name, paper="Nobody", summary=name)
        def run(quick: bool = True, seed: int = 0) -> Report:
            if raises:
                raise DataError("no data here")
            r = Report(name, name, "Nobody", claims=claims)
            r.judge("x", value)
            return r

    cases = {"exit-holds": (CLAIM, 1.0), "exit-deviates": (CLAIM, 2.0), "exit-declared": (DECLARED, 2.0),
             "exit-stale": (DECLARED, 1.0)}
    for name, (claims, value) in cases.items():
        make(name, claims, value)
    make("exit-cannot-run", CLAIM, 1.0, raises=True)
    yield
    for name in [*cases, "exit-cannot-run"]:
        repro_registry._REGISTRY.pop(name)


@pytest.mark.parametrize("name, code", [("exit-holds", 0), ("exit-deviates", 1), ("exit-declared", 0),
                                        ("exit-stale", 1), ("exit-cannot-run", 1)])
def test_reproduce_exit_codes(dummies, tmp_path, name, code):
    result = runner.invoke(app, ["reproduce", name, "--out", str(tmp_path)])
    assert result.exit_code == code, result.output
    if code == 0 or name != "exit-cannot-run":
        assert "1 claims:" in result.output


def test_usage_errors_are_two_and_write_nothing(dummies, tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("")
    for args in (["reproduce"], ["reproduce", "nope"], ["reproduce", "exit-holds", "--all"],
                 ["reproduce", "exit-holds", "--seed", "-1"], ["reproduce", "exit-holds", "--seed", str(2**64)],
                 ["reproduce", "exit-holds", "--out", str(a_file)], ["sweep", str(tmp_path / "none.toml")],
                 ["sweep", str(a_file), "--executor", "threads"], ["bogus"]):
        assert runner.invoke(app, args).exit_code == 2, args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_bad_sweep_specs_are_usage_errors(tmp_path):
    for text in ("target = ", 'target = "nodots"', 'target = "math:sqrt"\nseeds = [-1]',
                 'target = "math:sqrt"\nworkers = 0', 'target = "math:sqrt"\n[grid]\nx = []'):
        spec = tmp_path / "s.toml"
        spec.write_text(text)
        assert runner.invoke(app, ["sweep", str(spec), "--executor", "serial"]).exit_code == 2, text
