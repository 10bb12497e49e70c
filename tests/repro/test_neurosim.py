"""The neurosim reproduction runs in quick mode and every row holds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
def test_neurosim_reproduction_passes(tmp_path):
    report = get("neurosim").run(quick=True)
    failures = [(r.quantity, r.paper, r.ours) for r in report.failures]
    assert report.passed, failures
    assert len(report.rows) > 150
    assert "energy_breakdown" in report.figures
    assert set(report.extra["table7_vgg8"]) == {"7nm-sram", "22nm-sram", "rram_he2020", "rram_wu2018",
                                                 "pcm_kim2019", "fefet_ni2018"}
    report.write(tmp_path)
    assert (tmp_path / "report.json").is_file() and (tmp_path / "energy_breakdown.png").is_file()
