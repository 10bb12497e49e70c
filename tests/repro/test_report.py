"""Report rows, tolerances, rendering and files."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest
from rich.console import Console

from neurofab.core import ConfigError
from neurofab.repro import Absolute, Exact, Info, Relative, Report, Rounded, Within


def test_tolerances():
    assert Exact().holds(6.58, 6.58) and not Exact().holds(6.58, 6.5800001)
    assert Rounded(sig=3).holds(6.58, 6.5788) and not Rounded(sig=3).holds(6.58, 6.5749)
    assert Rounded(decimals=1).holds(74.0, 74.04) and not Rounded(decimals=1).holds(74.0, 70.4)
    assert Relative(0.05).holds(100, 104.9) and not Relative(0.05).holds(100, 105.1)
    assert Absolute(0.5).holds(-1, -0.6) and not Absolute(0.5).holds(-1, 0)
    assert Within(0, 1).holds(None, 0.5) and not Within(hi=1).holds(None, 1.5)
    assert Info().holds("anything", "else")
    with pytest.raises(ConfigError):
        Rounded()


def test_report_verdicts_and_orderings():
    r = Report("demo", "a demonstration", "Someone 2024")
    r.add("photons for 99 %", 6.58, 6.579, Rounded(sig=3), note="ln(100)/0.7")
    r.ordering("TTv2 beats SGD", "TTv2 > SGD", 0.95, ">", 0.80)
    r.ordering("close", "A ≈ B", 1.0, "≈", 1.05, margin=0.1)
    r.add("dataset", "MNIST", "digits", Info(), note="substitute")
    assert r.passed and not r.failures
    r.ordering("wrong way", "A < B", 2.0, "<", 1.0)
    assert not r.passed and [x.quantity for x in r.failures] == ["wrong way"]
    assert r.rows[1].ours_text() == "0.95 > 0.8"
    assert r.rows[-1].verdict == "FAIL" and r.rows[3].verdict == "info"


def test_non_numeric_ours_fails_instead_of_raising():
    r = Report("x", "y", "z")
    r.add("bad", 1.0, "not a number", Relative(0.1))
    assert not r.passed


def test_render_and_write(tmp_path):
    r = Report("demo", "a demonstration", "Someone 2024")
    r.add("energy", 0.9, 0.905, Relative(0.01), unit="aJ")
    r.notes.append("hν at 1.5 µm")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    r.add_figure("curve", fig)
    r.finish()
    console = Console(record=True, width=160)
    r.print(console)
    text = console.export_text()
    assert "energy" in text and "0.905" in text and "1 rows outside the claims table (0 failing)" in text
    out = r.write(tmp_path / "demo")
    data = json.loads((out / "report.json").read_text())
    assert data["passed"] and data["rows"][0]["ours"] == 0.905 and data["rows"][0]["tolerance"]["rel"] == 0.01
    md = (out / "report.md").read_text()
    assert "| energy | 0.9 | 0.905 | aJ |" in md and "![curve](curve.png)" in md
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["curve.png", "report.json", "report.md"]
