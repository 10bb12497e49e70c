"""The imc-cnn reproduction in quick mode: claims judged at the paper's hardware, the headline numbers simulated."""

from __future__ import annotations

import math

import pytest

from neurofab.repro import get


@pytest.mark.slow
def test_imc_cnn_quick_passes(tmp_path):
    report = get("imc-cnn").run(quick=True)  # deterministic: one seed
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    assert report.counts()["unclaimed"] == 0
    rows = {r.quantity: r for r in report.rows}
    claims = {r.claim.key: r for r in report.rows if r.claim is not None}
    assert claims["cores"].ours == 43 and claims["t1_cycles"].ours == 18
    assert rows["IMC cores, Table 2 as printed"].ours == 44
    # Table 1 counted as the bits the data spans: 8 of 9 memory and % empty cells; whole words gave 2 of 9
    assert claims["t1_memory"].ours == 8 and claims["t1_empty"].ours == 8
    assert rows["Table 1 N=56 H=8 WL=160 KLIP: memory / % empty / reads / writes"].ours.startswith("1.428 / 5.88")
    assert "whole words, 1000 B/kB: 2 of 9" in rows[
        "Table 1 memory cells equal under other counts (whole words; 1 kB = 1,024 B)"].ours
    latency = claims["latency"].ours
    assert isinstance(latency, int) and latency == len(report.extra["curves_normal"]["FC"])
    assert report.extra["curves_normal"]["FC"][-1] == 1
    assert rows["latency, identity shortcuts over one link hop (not two)"].ours == latency == 1661
    # the paper's hardware (256×256 crossbars, 448-bit links) caps the speed-up below the paper's
    assert claims["su_throughput"].ours < 38600 and claims["su_latency"].ours > 526
    # section 3.2 from the PWM-crossbar model: finite, judged, and the 512×512 array more efficient
    e256, e512 = report.extra["mvm_energy_256"], report.extra["mvm_energy_512"]
    assert claims["tpw_256"].ours == pytest.approx(2 * 256**2 / sum(e256.values()) / 1e12)
    assert claims["tpw_512"].ours > claims["tpw_256"].ours
    assert e512["regulators"] == pytest.approx(4 * e256["regulators"], rel=1e-9, abs=0)  # [J]
    assert e512["adc"] == pytest.approx(2 * e256["adc"], rel=1e-9, abs=0)
    assert e512["core"] == pytest.approx(e256["core"], rel=1e-9, abs=0)
    assert claims["tops"].ours == pytest.approx(2 * 256**2 / 100e-9 / 1e12)
    assert math.isnan(claims["tops_mm2"].ours) and claims["tops_mm2"].verdict == "deviates (declared)"
    assert "activation_curves" in report.figures
    out = report.write(tmp_path)
    assert (out / "activation_curves.png").stat().st_size > 0
