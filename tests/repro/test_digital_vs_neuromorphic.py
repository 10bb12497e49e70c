"""The digital-vs-neuromorphic reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_digital_vs_neuromorphic_quick_passes(seed):
    report = get("digital-vs-neuromorphic").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    energies = report.extra["energies"]
    assert set(energies) == {"128", "256", "512", "1024", "2048", "4096"}
    shares = [energies[m]["adda_share"] for m in ("128", "4096")]
    assert shares[0] > shares[1] > 0.5  # AD/DA dominate, less so as the array grows
    for m in energies.values():
        assert m["crossover_density_rate_coded"] < 0.1  # rate-coded spikes win only at high sparsity
