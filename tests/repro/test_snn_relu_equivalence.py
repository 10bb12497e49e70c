"""The snn-relu-equivalence reproduction in quick mode (bundled digits)."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_quick_reproduction_holds(seed):
    report = get("snn-relu-equivalence").run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.ours) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0 and counts["claims"] == 4
    for label in ("MLP", "CNN"):
        per_seed = report.extra[label]["per_seed"]
        assert len(per_seed) == 3  # three trained networks per run, judged on their mean
        same = next(r for r in report.rows if r.claim is not None and r.claim.key == f"{label.lower()}_same")
        assert abs(same.tolerance.lhs - same.tolerance.rhs) <= 0.5  # points
    assert report.figures


def test_full_mode_names_its_data(monkeypatch, tmp_path):
    from neurofab.core import DataNotFoundError
    from neurofab.repro.snn_relu_equivalence import run

    monkeypatch.delenv("NEUROFAB_DATA", raising=False)
    with pytest.raises(DataNotFoundError):
        run(quick=False, data=str(tmp_path / "nowhere"))
