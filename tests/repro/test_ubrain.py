"""The ubrain reproduction in quick mode at two seeds."""

from __future__ import annotations

import pytest

from neurofab.repro import get
from neurofab.repro.ubrain import N_BITS


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_ubrain_quick_passes(seed):
    report = get("ubrain").run(quick=True, seed=seed)
    assert report.passed, [f"{r.quantity}: paper {r.paper}, ours {r.ours}" for r in report.failures]
    acc = report.extra["snn_accuracy"]
    assert min(acc["4"]) > 85.0  # the 4-bit chip classifies digits
    assert len(acc["4"]) == len(acc["3"]) == N_BITS and len(acc["2"]) == 3  # bit-width orderings over N_BITS
    assert sum(acc["2"]) < sum(acc["4"])
    window = report.extra["window"]
    assert abs(window["inputs"][0] - 6400) < 100  # the presentation holds the seed's 6,400 input events
    assert window["energy"][0] == pytest.approx(window["spikes"][0] * 26e-3, rel=1e-9)  # [nJ] at 26 pJ/spike


def test_run_on_equals_one_long_run():
    """Classifications undecided at t_max, run on with the same phases, end as one run at the longest t_max does."""
    import torch

    from neurofab.repro.ubrain import RUN_ON, T_CYCLE, _decide
    from neurofab.systems.ubrain import UBrainLayer, UBrainNet, UBrainRun, input_events, simulate

    w0 = torch.zeros(64, 256, dtype=torch.int64)
    for h in range(64):
        w0[h, 4 * h : 4 * h + 4] = 1  # each hidden neuron counts the events of 4 channels
    w1 = torch.zeros(10, 64, dtype=torch.int64)
    for o in range(10):
        w1[o, 6 * o : 6 * o + 6] = 7
    net = UBrainNet((UBrainLayer(n_in=256, n_out=64, weight_bits=4), UBrainLayer(n_in=64, n_out=10, weight_bits=4)),
                    (w0, w1))
    x = torch.rand(24, 256, generator=torch.Generator().manual_seed(3)) * torch.linspace(0.0, 1.0, 24)[:, None]
    chip = UBrainRun(t_cycle=T_CYCLE, t_max=0.1e-3)
    got = _decide(net, x, chip, 5)
    _, phases = input_events(x, chip, 5)
    ref = simulate(net, x, UBrainRun(t_cycle=T_CYCLE, t_max=RUN_ON[-1]), phases=phases)
    assert int((got.end_cycle > round(chip.t_max / T_CYCLE)).sum()) > 0  # some runs were run on
    for f in ("prediction", "first_spikes", "out_counts", "served", "fired", "end_cycle"):
        assert torch.equal(getattr(got, f), getattr(ref, f)), f
