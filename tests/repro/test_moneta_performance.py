"""The moneta-performance reproduction: every row holds."""

from __future__ import annotations

import pytest

from neurofab.repro import get


@pytest.mark.slow
def test_moneta_performance_quick_passes(tmp_path):
    report = get("moneta-performance").run(quick=True)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    rows = {r.quantity: r.ours for r in report.rows}
    assert rows["inference throughput"] == 2.304
    assert rows["required parameters (hybrid)"] == 2304
    report.write(tmp_path)
    assert (tmp_path / "learning_throughput.png").stat().st_size > 0
