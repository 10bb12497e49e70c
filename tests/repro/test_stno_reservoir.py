"""The stno-reservoir reproduction in quick mode at two seeds, and its two helpers."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import make_generator
from neurofab.repro import get
from neurofab.repro.stno_reservoir import _memoryless_floor, _oscillator, _WithPrecedingPoint
from neurofab.reservoir.tasks import sine_square


def test_preceding_point_features_are_the_previous_steps_nodes():
    inner = _oscillator(seed=3)
    res = _WithPrecedingPoint(inner)
    u = torch.tensor([0.0, 1.0, -1.0, 0.5, -0.3], dtype=torch.float64)
    x = res.states(u, seed=5)
    own = inner.states(u, seed=5)
    assert x.shape == (1, 5, 2 * inner.n_features)
    assert torch.equal(x[..., :24], own)
    assert torch.equal(x[0, 1:, 24:], own[0, :-1])
    assert torch.equal(x[0, 0, 24:], own[0, 0])


def test_memoryless_floor_counts_the_shared_points():
    n_train, n_test, seed = 20, 30, 4
    u, y = sine_square(n_train + n_test, seed=make_generator(seed))
    periods = y.view(-1, 8)[n_train:, 0]
    n_sine = int((periods == 0).sum())
    n_square = n_test - n_sine
    # each sine period has two ±1 points; a memoryless readout calls them square unless squares are rarer
    expected = min(2 * n_sine, 8 * n_square) / (8 * n_test)
    assert _memoryless_floor(n_train, n_test, seed) == pytest.approx(expected)
    shared = ((u.abs() - 1).abs() < 1e-12) & (y == 0)
    assert int(shared[n_train * 8:].sum()) == 2 * n_sine


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_quick_reproduction_holds(seed):
    report = get("stno-reservoir").run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.ours) for r in report.failures]
    c = report.counts()
    assert c["claims"] == 3 and c["deviate_undeclared"] == 0
    rows = {r.quantity: r for r in report.rows}
    noise = report.extra["noise_sweep"]
    assert sum(noise["0.0001"]) / len(noise["0.0001"]) > 0.15  # strong noise: far from separation
    assert rows["echo-state network (24 nodes): sine/square error"].ours <= 0.01
    assert rows["oscillator readout samples (ledger)"].ours > 0
    # the separation needs the preceding point: handed its nodes, the same readout errs far less
    mem = sum(report.extra["with_memory"]) / len(report.extra["with_memory"])
    prec = sum(report.extra["preceding_point"]) / len(report.extra["preceding_point"])
    above = report.extra["above_threshold"]["preceding_point"]
    assert prec < 0.03 and prec < mem / 3
    assert sum(above) / len(above) < 0.03
    floor = report.extra["memoryless_floor"]
    assert all(0.08 < f < 0.17 for f in floor)  # ≈ 1/8: two of a sine period's eight points, half the periods
    assert report.figures
