"""The imc-cnn reproduction in quick mode: every row holds, and the headline numbers come from the simulation."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
def test_imc_cnn_quick_passes(tmp_path):
    report = get("imc-cnn").run(quick=True)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    rows = {r.quantity: r for r in report.rows}
    assert rows["IMC cores, ResNet-32 with consistent channels"].ours == 43
    assert rows["IMC cores, Table 2 as printed"].ours == 44
    latency = rows["latency"].ours
    assert isinstance(latency, int) and latency == len(report.extra["curves_normal"]["FC"])
    assert report.extra["curves_normal"]["FC"][-1] == 1
    assert "activation_curves" in report.figures
    out = report.write(tmp_path)
    assert (out / "activation_curves.png").stat().st_size > 0
