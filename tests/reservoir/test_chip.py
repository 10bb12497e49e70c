"""The mismatched chip is deterministic for a seed, frozen across calls, forward-only; in-the-loop gradients are
backpropagation's when the chip is ideal."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neurofab.core import ConfigError, Ledger, ShapeError
from neurofab.reservoir.chip import ChipConfig, MismatchedChip, quantise
from neurofab.reservoir.in_the_loop import RateNetwork, coarsen, loop_gradients, train_in_the_loop

SIZES = [5, 7, 3]
IDEAL = ChipConfig(gain_spread=0, offset_spread=0, threshold_spread=0, synapse_error=0, weight_bits=16,
                   weight_max=4.0, temporal_noise=0)


def _net(seed: int = 0) -> RateNetwork:
    return RateNetwork.init(SIZES, seed)


def test_deterministic_for_a_seed_and_frozen_across_calls():
    x = torch.rand(4, 5, generator=torch.Generator().manual_seed(0))
    a, b = MismatchedChip(SIZES, seed=3), MismatchedChip(SIZES, seed=3)
    for chip in (a, b):
        chip.program(_net().weights, _net().biases)
    ra1, ra2 = a.run(x), a.run(x)
    rb1, rb2 = b.run(x), b.run(x)
    assert torch.equal(ra1.output, rb1.output) and torch.equal(ra2.output, rb2.output)  # same seed, same calls
    assert not torch.equal(ra1.output, ra2.output)  # temporal noise differs per run
    quiet = ChipConfig(temporal_noise=0)
    c = MismatchedChip(SIZES, quiet, seed=3)
    c.program(_net().weights, _net().biases)
    first = c.run(x).output
    c.program(_net(1).weights, _net(1).biases)
    c.run(x)
    c.program(_net().weights, _net().biases)
    assert torch.equal(c.run(x).output, first)  # the mismatch does not drift
    d = MismatchedChip(SIZES, quiet, seed=4)
    d.program(_net().weights, _net().biases)
    assert not torch.allclose(d.run(x).output, first)


def test_forward_only_and_counted():
    net = _net()
    w = [p.clone().requires_grad_(True) for p in net.weights]
    chip = MismatchedChip(SIZES, seed=0)
    with Ledger() as led:
        chip.program(w, net.biases)
        act = chip.run(torch.rand(6, 5))
    assert not act.output.requires_grad and all(not h.requires_grad for h in act.hidden)
    assert led.count("chip_forward") == 6
    assert led.count("chip_program") == 5 * 7 + 7 + 7 * 3 + 3
    assert len(act.hidden) == 1 and act.hidden[0].shape == (6, 7) and (act.hidden[0] >= 0).all()


def test_weight_resolution():
    w = torch.linspace(-2, 2, 1001)
    q = quantise(w, 4, 1.0)
    assert q.unique().numel() == 2 * 7 + 1 and q.abs().max() == 1.0


def test_ideal_chip_gradients_equal_backprop():
    raw = _net(2)  # weights on the chip's grid, so the ideal chip computes exactly the software model
    net = RateNetwork([quantise(w, 16, 4.0) for w in raw.weights], [quantise(b, 16, 4.0) for b in raw.biases])
    x = torch.rand(9, 5, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    _, (gw, gb) = loop_gradients(MismatchedChip(SIZES, IDEAL, seed=0), net, x, y)
    params = [p.clone().requires_grad_(True) for p in (*net.weights, *net.biases)]
    F.cross_entropy(RateNetwork(params[:2], params[2:]).forward(x), y).backward()
    for ours, ref in zip((*gw, *gb), params):
        assert torch.allclose(ours, ref.grad, atol=1e-5)


def test_coarse_gradients():
    g = torch.tensor([0.3, -0.1, 0.0, 0.05])
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(coarsen(g, "sign", gen), torch.tensor([1.0, -1.0, 0.0, 1.0]))
    q = coarsen(g, "bits:2", gen)
    assert all(min(abs(v - level) for level in (-0.3, 0.0, 0.3)) < 1e-6 for v in q.tolist())
    mean = torch.stack([coarsen(g, "bits:3", gen) for _ in range(4000)]).mean(0)
    assert torch.allclose(mean, g, atol=0.01)  # stochastic rounding is unbiased
    with pytest.raises(ConfigError, match="gradient"):
        coarsen(g, "bits:x", gen)


def test_bad_input():
    with pytest.raises(ConfigError, match="gain_spread"):
        ChipConfig(gain_spread=-0.1)
    with pytest.raises(ConfigError, match="temporal_noise"):
        ChipConfig(temporal_noise=-1.0)
    with pytest.raises(ConfigError, match="sizes"):
        MismatchedChip([5])
    chip = MismatchedChip(SIZES)
    with pytest.raises(ConfigError, match="program"):
        chip.run(torch.rand(2, 5))
    with pytest.raises(ShapeError):
        chip.program([torch.zeros(7, 4), torch.zeros(3, 7)], [torch.zeros(7), torch.zeros(3)])
    with pytest.raises(ConfigError, match="gradient"):
        train_in_the_loop(chip, _net(), torch.rand(4, 5), torch.zeros(4, dtype=torch.long), gradient="nope")


def test_in_the_loop_reduces_the_loss_on_a_mismatched_chip():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 5, generator=g)
    y = (x[:, 0] > x[:, 1]).long() + (x[:, 2] > 0.7).long()
    net = _net(0)
    chip = MismatchedChip(SIZES, seed=1)
    _, hist = train_in_the_loop(chip, net, x, y, iterations=40, batch=32, lr=0.03, seed=0)
    assert sum(hist.batch_accuracy[-10:]) / 10 > sum(hist.batch_accuracy[:5]) / 5 + 0.1


def test_spiking_chip_rates_follow_the_rate_chip():
    from neurofab.reservoir.chip import SpikingMismatchedChip

    quiet = ChipConfig(temporal_noise=0)
    net = _net(3)
    x = torch.rand(50, 5, generator=torch.Generator().manual_seed(2)) * 0.5
    rate = MismatchedChip(SIZES, quiet, seed=5)
    spiking = SpikingMismatchedChip(SIZES, quiet, steps=400, seed=5)  # same seed: same mismatch
    for chip in (rate, spiking):
        chip.program(net.weights, net.biases)
    a, s = rate.run(x).hidden[0], spiking.run(x).hidden[0]
    # an IF neuron under constant drive c fires at min(max(c, 0), 1) per step (±1 spike over the run)
    assert torch.allclose(s, a.clamp(max=1.0), atol=1.5 / 400)
    assert spiking.max_rate == 1.0 and rate.max_rate == float("inf")
    with pytest.raises(ConfigError, match="steps"):
        SpikingMismatchedChip(SIZES, steps=0)
