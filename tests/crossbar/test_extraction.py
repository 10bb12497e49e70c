"""Model extraction by linear regression from noisy MVMs; weight averaging, SNR pruning, disturbance."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import ConfigError, NumericalError, ShapeError
from neurofab.crossbar import IOConfig, analog_mvm
from neurofab.crossbar.extraction import (
    LinearExtractor,
    WeightAverager,
    disturb,
    extract_weights,
    random_prune_mask,
    snr_prune_mask,
)


def test_noise_free_extraction_is_exact():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(5, 8, generator=g) - 0.5
    ext = extract_weights(lambda x: x.double() @ w.double().T, 8, 5, n_mvm=40, seed=1)
    assert torch.allclose(ext.weights(), w.double(), atol=1e-10)
    assert float(ext.weight_std().max()) < 1e-6


def test_extraction_error_falls_as_one_over_sqrt_mvms():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(16, 32, generator=g) - 0.5
    io = IOConfig(out_bits=None, out_bound=None, inp_bits=None, noise_management="none", bound_management="none")
    gen = torch.Generator().manual_seed(5)
    rms = {}
    for n in (512, 8192):
        errs = []
        for rep in range(4):
            ext = extract_weights(lambda x: analog_mvm(w, x, io, gen), 32, 16, n_mvm=n, seed=rep)
            errs.append(float((ext.weights() - w.double()).pow(2).mean()))
        rms[n] = math.sqrt(sum(errs) / len(errs))
        predicted = io.out_noise * math.sqrt(3.0 / n)  # σ / sqrt(N·var(U[−1,1]))
        assert rms[n] == pytest.approx(predicted, rel=0.15)
    assert rms[512] / rms[8192] == pytest.approx(4.0, rel=0.15)


def test_weight_std_matches_actual_error():
    w = torch.zeros(8, 16)
    io = IOConfig(out_bits=None, out_bound=None, inp_bits=None, noise_management="none", bound_management="none")
    gen = torch.Generator().manual_seed(1)
    ext = extract_weights(lambda x: analog_mvm(w, x, io, gen), 16, 8, n_mvm=4096, seed=2)
    err = float(ext.weights().pow(2).mean().sqrt())
    assert float(ext.weight_std().mean()) == pytest.approx(err, rel=0.15)


def test_extractor_errors():
    ext = LinearExtractor(4, 2)
    with pytest.raises(ShapeError):
        ext.add(torch.zeros(3, 5), torch.zeros(3, 2))
    with pytest.raises(NumericalError):
        ext.add(torch.full((3, 4), float("nan")), torch.zeros(3, 2))
    ext.add(torch.randn(2, 4), torch.randn(2, 2))
    with pytest.raises(NumericalError):
        ext.weights()
    with pytest.raises(ConfigError):
        extract_weights(lambda x: x, 2, 2, n_mvm=0)


def test_averager_and_pruning():
    avg = WeightAverager()
    for v in (1.0, 3.0):
        avg.add(torch.tensor([v, 2 * v, 0.0]))
    assert torch.allclose(avg.mean, torch.tensor([2.0, 4.0, 0.0], dtype=torch.float64))
    assert torch.allclose(avg.std, torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64))
    mean = torch.tensor([0.1, 1.0, -3.0, 0.0])
    std = torch.tensor([1.0, 0.5, 1.0, 0.0])
    assert snr_prune_mask(mean, std, 1.0).tolist() == [False, True, True, True]
    keep = random_prune_mask((10, 10), 0.3, seed=1)
    assert int((~keep).sum()) == 30
    d = disturb(torch.zeros(10000, dtype=torch.float64), torch.full((10000,), 2.0, dtype=torch.float64), seed=0)
    assert float(d.std()) == pytest.approx(2.0, rel=0.05)
    with pytest.raises(NumericalError):
        _ = WeightAverager().std
