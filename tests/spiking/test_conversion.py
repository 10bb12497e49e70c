"""ANN→SNN conversion: IF rates approach ReLU activations as T grows; data-based normalization; refusals."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import ConfigError, InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.data import digits
from neurofab.spiking.conversion import ConversionConfig, ann_macs, convert, evaluate
from neurofab.spiking.layers import repeat_over_time


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small tensors: one thread avoids spin-waiting on the shared cores (results do not depend on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _toy_net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3))
    with torch.no_grad():
        net[0].bias.add_(0.3)  # most hidden units active
    return net


@pytest.mark.parametrize("v0", [0.0, 0.5, 0.9])
def test_first_layer_rate_error_is_bounded_by_one_over_t(v0):
    """Constant-current IF with reset by subtraction: |N(T)/T − clip(a, 0, 1)| ≤ max(v0, 1 − v0)/T."""
    net = _toy_net()
    x = torch.rand(50, 6, generator=torch.Generator().manual_seed(1))
    snn = convert(net, x, ConversionConfig(normalization="max", initial_membrane=v0))
    acts, _ = snn.ann_activations(x)
    steps = [4, 16, 64, 512]
    errors = []
    for cp in snn.simulate(x, steps[-1], steps):
        err = (cp.counts[0] / cp.steps - acts[0].clamp(0, 1)).abs().max().item()
        assert err <= max(v0, 1 - v0) / cp.steps + 1e-5
        errors.append(err)
    assert errors[-1] < errors[0] / 25


def test_max_normalization_scales_weights_and_activations():
    net = _toy_net()
    x = torch.rand(40, 6, generator=torch.Generator().manual_seed(2))
    snn = convert(net, x, ConversionConfig(normalization="max"))
    lam = torch.relu(net[0](x)).max().item()
    assert snn.stages[0].scale == pytest.approx(lam)
    torch.testing.assert_close(snn.stages[0].ops[0].weight, net[0].weight / lam)
    torch.testing.assert_close(snn.stages[0].ops[0].bias, net[0].bias / lam)
    torch.testing.assert_close(snn.stages[1].ops[0].weight, net[2].weight * lam)  # λ_{l−1}/λ_l with λ_out = 1
    acts, logits = snn.ann_activations(x)
    assert acts[0].max().item() == pytest.approx(1.0)
    torch.testing.assert_close(logits, net(x))  # the membrane readout keeps the ANN's logits
    assert not any(p is q for p, q in zip(net.parameters(), snn.parameters()))  # the ANN is untouched


def test_percentile_normalization_is_below_max():
    net = _toy_net()
    x = torch.rand(200, 6, generator=torch.Generator().manual_seed(3))
    hi = convert(net, x, ConversionConfig(normalization="max")).stages[0].scale
    lo = convert(net, x, ConversionConfig(normalization="percentile", percentile=50.0)).stages[0].scale
    positive = torch.relu(net[0](x)).flatten()
    positive = positive[positive > 0]
    assert lo < hi
    assert lo == pytest.approx(torch.kthvalue(positive, (positive.numel() + 1) // 2).values.item())


def test_output_converges_to_ann_logits():
    net = _toy_net()
    x = torch.rand(30, 6, generator=torch.Generator().manual_seed(4))
    snn = convert(net, x)
    errs = [((cp.output / cp.steps) - net(x)).abs().mean().item() for cp in snn.simulate(x, 512, [8, 64, 512])]
    assert errs[2] < errs[1] < errs[0]
    assert errs[2] < 0.02


def test_spike_readout_and_poisson_encoding_are_seeded():
    net = _toy_net()
    x = torch.rand(30, 6, generator=torch.Generator().manual_seed(5))
    snn = convert(net, x, ConversionConfig(readout="spikes", encoding="poisson"))
    a = snn(x, n_steps=64)
    b = snn(x, n_steps=64)
    assert torch.equal(a, b)
    assert a.sum() > 0 and torch.all(a == a.round())  # spike counts
    c = list(snn.simulate(x, 64, generator=7))[-1].output
    assert not torch.equal(a, c)


@pytest.mark.slow
def test_mlp_on_digits_matches_ann_as_t_grows():
    torch.manual_seed(0)
    d = digits()
    ann = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(ann.parameters(), 3e-3)
    for _ in range(15):
        for i in range(0, len(d.x_train), 64):
            opt.zero_grad()
            F.cross_entropy(ann(d.x_train[i:i + 64]), d.y_train[i:i + 64]).backward()
            opt.step()
    snn = convert(ann, d.x_train)
    res = evaluate(snn, ann, d.x_test, d.y_test, [8, 32, 128, 256])
    assert res.ann_accuracy > 0.93
    assert abs(res.snn_accuracy[256] - res.ann_accuracy) <= 0.01
    for layer in res.layers:
        assert layer.correlation[256] > 0.99
        errs = [layer.mean_abs_error[t] for t in res.steps]
        assert errs == sorted(errs, reverse=True)
    synops = [res.synops_per_inference[t] for t in res.steps]
    assert synops == sorted(synops)
    assert res.ann_macs_per_inference == 64 * 64 + 64 * 32 + 32 * 10
    assert res.input_macs_per_inference == 64 * 64


def test_cnn_conversion_counts_synaptic_operations():
    torch.manual_seed(0)
    ann = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(36, 5), nn.ReLU(),
                        nn.Linear(5, 3))
    x = torch.rand(8, 1, 8, 8)
    snn = convert(ann, x)
    with Ledger() as led:
        cps = list(snn.simulate(x, 20, [1, 20]))
    first, last = cps
    # step 1: every spike of the conv layer reaches one pooled cell with 5 synapses; the second layer's 3 each
    expected = first.counts[0].sum().item() * 5 + first.counts[1].sum().item() * 3
    assert first.synops == pytest.approx(expected)
    assert led.count("synop") == pytest.approx(last.synops)
    assert led.count("synop", "fp32") == led.count("synop")
    assert led.count("mac", "fp32") == ann_macs(nn.Sequential(ann[0]), (1, 8, 8)) * 8
    assert ann_macs(ann, (1, 8, 8)) == 36 * 4 * 9 + 36 * 5 + 5 * 3


def test_to_spiking_sequential_runs_the_same_network():
    net = _toy_net()
    x = torch.rand(10, 6, generator=torch.Generator().manual_seed(6))
    snn = convert(net, x, ConversionConfig(initial_membrane=0.0))
    out = list(snn.simulate(x, 40))[-1].output
    seq = snn.to_spiking_sequential()
    trace = seq(repeat_over_time(x, 40))  # the output LI (β = 1) holds Σ_t z_t
    torch.testing.assert_close(trace[-1], out, rtol=1e-5, atol=1e-4)


def test_refusals_and_bad_input():
    x = torch.rand(10, 6)
    with pytest.raises(InputTypeError, match="AvgPool2d"):
        convert(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 2)),
                torch.rand(4, 1, 6, 6))
    with pytest.raises(InputTypeError, match="fold batch"):
        convert(nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)), x)
    with pytest.raises(InputTypeError, match="Sigmoid"):
        convert(nn.Sequential(nn.Linear(6, 4), nn.Sigmoid(), nn.Linear(4, 2)), x)
    with pytest.raises(InputTypeError, match="Sequential"):
        convert(nn.Linear(6, 2), x)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="follow"):
        convert(nn.Sequential(nn.ReLU(), nn.Linear(6, 2)), x)
    with pytest.raises(ConfigError, match="end with"):
        convert(nn.Sequential(nn.Linear(6, 2), nn.ReLU()), x)
    with pytest.raises(ShapeError, match="do not fit"):
        convert(_toy_net(), torch.rand(10, 7))
    with pytest.raises(NumericalError, match="NaN"):
        convert(_toy_net(), torch.full((3, 6), float("nan")))
    dead = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        dead[0].weight.zero_()
        dead[0].bias.fill_(-1.0)
    with pytest.raises(NumericalError, match="never activates"):
        convert(dead, x)
    with pytest.raises(ConfigError, match="percentile"):
        ConversionConfig(percentile=0.0)
    with pytest.raises(ConfigError, match="initial_membrane"):
        ConversionConfig(initial_membrane=1.0)
    snn = convert(_toy_net(), x)
    with pytest.raises(ShapeError, match="shape"):
        list(snn.simulate(torch.rand(3, 5), 10))
    with pytest.raises(ConfigError, match="checkpoints"):
        list(snn.simulate(x, 10, [0, 5]))
    with pytest.raises(ConfigError, match="n_steps"):
        list(snn.simulate(x, 0))
    poisson = convert(_toy_net(), x, ConversionConfig(encoding="poisson"))
    with pytest.raises(ShapeError, match=r"\[0, 1\]"):
        list(poisson.simulate(x * 2, 10))
    with pytest.raises(ShapeError, match="labels"):
        evaluate(snn, _toy_net(), x, torch.zeros(9, dtype=torch.int64), [4])
