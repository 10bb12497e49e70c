"""The ep reproduction in quick mode at two seeds: every claim holds, and the values come from the run."""

from __future__ import annotations

import itertools

import pytest

from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_ep_quick_passes(seed):
    report = get("ep").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    bias = report.extra["bias"]["mse"]
    assert bias["residual"] < 1e-12
    one, sym = bias["one_sided"], bias["symmetric"]  # errors grow with β (BETAS ascend)
    assert all(b > a for a, b in itertools.pairwise(one)) and all(b > a for a, b in itertools.pairwise(sym))
    assert sym[0] < one[0] / 10  # at β = 1e-3 the symmetric bias is far below the one-sided one
    acc = report.extra["mlp_accuracy"]
    assert len(acc["ep"]) == 3 and min(acc["ep"]) > 90
    counts = report.counts()
    assert counts["claims"] == 6 and counts["reproduce"] == 6 and counts["not_run"] == 5
    conv = report.extra["conv_error"]
    assert min(conv["one_sided"]) > max(conv["symmetric"])
