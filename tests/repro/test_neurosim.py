"""The neurosim reproduction in quick mode: every headline claim judged, the misses declared with their causes."""

from __future__ import annotations

import pytest

from neurofab.repro import get
from neurofab.repro.neurosim import CLAIMS


@pytest.mark.slow
def test_neurosim_reproduction_passes(tmp_path):
    report = get("neurosim").run(quick=True)  # deterministic: one seed
    failures = [(r.quantity, r.paper, r.ours) for r in report.failures]
    assert report.passed, failures
    counts = report.counts()
    assert counts["unclaimed"] == 0 and counts["inconsistent"] == 0
    assert counts["claims"] == len(CLAIMS) and counts["consistency"] >= 30
    claims = {r.claim.key: r for r in report.rows if r.claim is not None}
    # Table 3 is judged: the digital blocks and level shifters hold, the ADC is an order of magnitude off
    assert claims["t5_area"].verdict == "reproduces" and claims["t3_ls_area"].verdict == "reproduces"
    assert claims["t3_adc_energy"].verdict == "deviates (declared)" and claims["t3_adc_energy"].ours < 74.5 / 3
    # the macro's ADC is NeuroSim's voltage-mode sense amplifier: 16 ADCs × 7 levels × 112 devices = Table 3's area
    assert claims["t3_adc_area"].verdict == "reproduces" and 4271 <= claims["t3_adc_area"].ours < 4271 * 1.1
    # no row restates the η input: post-layout TOPS/W is not judged on its own
    assert not any("post-layout = pre-layout" in r.quantity for r in report.rows)
    assert "energy_breakdown" in report.figures
    assert set(report.extra["table7_vgg8"]) == {"7nm-sram", "22nm-sram", "rram_he2020", "rram_wu2018",
                                                 "pcm_kim2019", "fefet_ni2018"}
    report.write(tmp_path)
    assert (tmp_path / "report.json").is_file() and (tmp_path / "energy_breakdown.png").is_file()


@pytest.mark.slow
def test_table7_judged_on_the_papers_neurosim_version():
    report = get("neurosim").run(quick=True)
    assert report.passed
    claims = {r.claim.key: r for r in report.rows if r.claim is not None}
    info = {r.quantity: r for r in report.rows if r.claim is None}
    # on the first commit's accounting the RRAM [12] chip area and leakage reproduce Table 7 ...
    for key in ("vgg_area_mm2_rram_he2020", "vgg_leakage_mW_rram_he2020", "resnet_area_mm2_rram_he2020"):
        assert claims[key].verdict == "reproduces", key
    # ... where the release's accounting, kept beside them as info, is outside the ±15 % band
    release_area = info["T7 VGG-8 RRAM [12] 6 kΩ: area, NeuroSim release accounting"].ours
    release_leak = info["T7 VGG-8 RRAM [12] 6 kΩ: leakage power, NeuroSim release accounting"].ours
    assert release_area > 45.55 * 1.15 and release_leak > 0.63 * 1.15
    assert claims["vgg_area_mm2_rram_he2020"].ours < release_area


def test_resnet_area_growth_follows_table7_per_design():
    """The declared cause of the area-growth miss: our ResNet-18 / VGG-8 area growth tracks the growth of Table 7's
    own printed areas design by design (within 2 points), and the table's largest exceeds the text's 50 %."""
    from neurofab.cost.mapping import resnet18_imagenet, vgg8_cifar10
    from neurofab.repro.neurosim import DESIGNS, TABLE7_RESNET18, TABLE7_VGG8, _estimates

    vgg, res = _estimates(vgg8_cifar10()), _estimates(resnet18_imagenet())
    for i, dev in enumerate(DESIGNS):
        ours = 100 * (res[dev].total_area / vgg[dev].total_area - 1)
        printed = 100 * (TABLE7_RESNET18["area_mm2"][i] / TABLE7_VGG8["area_mm2"][i] - 1)
        assert abs(ours - printed) < 2.0, (dev, ours, printed)
    assert max(100 * (r / v - 1) for r, v in zip(TABLE7_RESNET18["area_mm2"], TABLE7_VGG8["area_mm2"],
                                                  strict=True)) > 50
