"""The asymmetric-shd reproduction in quick mode, at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro.asymmetric_shd import CLAIMS, run


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_asymmetric_shd_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0 and counts["claims"] == len(CLAIMS)
    # the SGD bias on a soft-bounds device follows Eq. 2's sign, and SGD on the asymmetric device fails
    verdict = {r.claim.key: r.verdict for r in report.rows if r.claim is not None}
    assert verdict["fig1_biased"] == "reproduces"
    assert verdict["fig4a_shd_beats_sgd"] == "reproduces"
    assert set(report.extra["network_losses"]) == {"SGD, asymmetric", "SHD, asymmetric", "SHD, symmetric",
                                                   "SGD, symmetric", "SHD, symmetric, bounds ±6"}
