"""The snn-relu-equivalence reproduction in quick mode (bundled digits)."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
def test_quick_reproduction_holds():
    report = get("snn-relu-equivalence").run(quick=True, seed=0)
    assert report.passed, [(r.quantity, r.ours) for r in report.failures]
    judged = [r for r in report.rows if r.verdict != "info"]
    assert len(judged) >= 10
    assert "MLP" in report.extra and "CNN" in report.extra
    assert report.figures


def test_full_mode_names_its_data(monkeypatch, tmp_path):
    from neurofab.core import DataNotFoundError
    from neurofab.repro.snn_relu_equivalence import run

    monkeypatch.delenv("NEUROFAB_DATA", raising=False)
    with pytest.raises(DataNotFoundError):
        run(quick=False, data=str(tmp_path / "nowhere"))
