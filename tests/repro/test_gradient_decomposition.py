"""The gradient-decomposition reproduction in quick mode, at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro.gradient_decomposition import CLAIMS, run


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_decomposition_quick_passes(seed):
    report = run(quick=True, seed=seed)
    assert report.passed, [(r.quantity, r.verdict) for r in report.failures]
    counts = report.counts()
    assert counts["unclaimed"] == 0
    assert counts["claims"] == sum(not c.full_only for c in CLAIMS)
    assert counts["not_run"] == sum(c.full_only for c in CLAIMS)
    assert counts["consistency"] == 2 and counts["inconsistent"] == 0
    ex = report.extra
    assert ex["big_batch"] == 1024 and ex["big_writes"] == 120  # the paper's B, every write a full batch
    assert ex["sizes"] == [400, 100, 10]  # the paper's network, on digits resampled to 20×20
    sr_mean = {lr: sum(ex["mbgd"][f"{lr:g} stochastic"]) for lr in ex["eta_grid"]}
    assert ex["lr_dec"] == max(sr_mean, key=sr_mean.get)  # the decompositions run at MBGD's best η (l. 4164)
    for rounding in ("nearest", "stochastic"):  # each rounding judged at its best η of the grid, per network
        runs = [ex["mbgd"][f"{lr:g} {rounding}"] for lr in ex["eta_grid"]]
        assert ex["best"][rounding] == [max(v) for v in zip(*runs)]


def test_large_batch_writes_are_full_batches(monkeypatch):
    """Every write of a `writes=` run is the mean gradient of exactly B images (no partial last batch)."""
    import torch

    from neurofab.analog.optimizers import DecompositionAlgorithm, DecompositionRule
    from neurofab.repro import gradient_decomposition as gd

    seen: list[int] = []
    forward = DecompositionRule.forward

    def spy(self, tile, x, d, lr):
        seen.append(int(x.shape[0]))
        return forward(self, tile, x, d, lr)

    monkeypatch.setattr(DecompositionRule, "forward", spy)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(250, 16, generator=g) > 0.5).float()
    y = torch.randint(0, 10, (250,), generator=g)
    alg = DecompositionAlgorithm(method="mbgd", rounding="nearest")
    gd._device_run([16, 4, 10], alg, x, y, x, y, 0, 1.0, 100, 1, writes=3)
    assert seen == [100] * 6  # 3 writes × 2 layers, each of B = 100 images
    seen.clear()
    gd._device_run([16, 4, 10], alg, x, y, x, y, 1, 1.0, 100, 1)  # a pass over 250 images: 100, 100, then 50
    assert sorted(set(seen)) == [50, 100]


def test_inputs_are_the_papers_20x20():
    """MNIST's 28×28 is cropped to its central 20×20, untouched; digits' 8×8 is resampled, a uniform image stays
    uniform and the left half of a half-lit image stays lit."""
    import torch

    from neurofab.repro.gradient_decomposition import _to_side

    big = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 28 * 28)
    crop = _to_side(big, 28).reshape(2, 20, 20)
    assert torch.equal(crop, big.reshape(2, 28, 28)[:, 4:24, 4:24])
    flat = torch.full((3, 64), 0.7)
    assert torch.allclose(_to_side(flat, 8), torch.full((3, 400), 0.7), rtol=0, atol=1e-6)
    half = torch.zeros(1, 8, 8)
    half[:, :, :4] = 1.0
    up = _to_side(half.reshape(1, 64), 8).reshape(20, 20)
    assert (up[:, :9] > 1 - 1e-6).all() and (up[:, 11:].abs() < 1e-6).all()
    assert torch.allclose(up[:, 9] + up[:, 10], torch.ones(20), rtol=0, atol=1e-6)  # the edge, symmetric
