"""The always-on-snn reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ShapeError
from neurofab.repro import get


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_always_on_snn_quick_passes(seed):
    report = get("always-on-snn").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    assert min(report.extra["snn_accuracy"]) > 85.0
    drops = report.extra["sweep_dropped"]
    assert drops[1] > drops[2] > drops[32]  # starvation grows as TH1 falls
    # Fig. 7B's premise: the frame holds the input, so at the design threshold (almost) nothing is dropped
    assert drops[32] < 1e-3 * min(report.extra["sweep_slots"])
    # where the first hidden layer overloads its arbiter (TH1 = 1: about twice its slots), accuracy falls
    assert report.extra["sweep_accuracy"][1] < report.extra["sweep_accuracy"][32]
    # spikes scale by the ratio of the thresholds (l. 2254): doubling TH1 halves the first hidden layer's spikes
    for design, high in zip(report.extra["spikes_per_neuron_design"], report.extra["spikes_per_neuron_high"],
                            strict=True):
        assert 0.4 < high / design < 0.6
    rows = {r.quantity: r.ours for r in report.rows}
    assert rows["overall reduction 1.16 nW / (clock × (1 − 0.1768))"] == pytest.approx(4.7826, abs=1e-4)


def test_mnist_is_padded_and_max_pooled_to_16_by_16():
    from neurofab.repro.always_on_snn import _resample

    img = torch.zeros(1, 28, 28)
    img[0, 0, 0], img[0, 0, 1], img[0, 27, 27] = 0.3, 0.9, 0.5  # padded by 2: (2, 2), (2, 3) and (29, 29)
    out = _resample(img.reshape(1, 784), 28).reshape(16, 16)
    assert out[1, 1] == pytest.approx(0.9, rel=1e-6, abs=0) and out[14, 14] == pytest.approx(0.5, rel=1e-6, abs=0)
    assert int((out > 0).sum()) == 2  # a block's maximum, nothing spread to its neighbours
    small = _resample(torch.rand(3, 64), 8)  # the 8 × 8 digits are still upsampled
    assert small.shape == (3, 256)
    with pytest.raises(ShapeError, match="pad evenly"):
        _resample(torch.zeros(1, 27 * 27), 27)
