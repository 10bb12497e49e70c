"""The weight interface: every algorithm builds, reads, updates; a small network trains; bad input raises."""

from __future__ import annotations

import pytest
import torch

from neurofab.analog.optimizers import DecompositionAlgorithm, SGDAlgorithm, WeightMLP, build_weight
from neurofab.analog.shd import shd_config
from neurofab.analog.tiki_taka import tiki_taka_config, ttv2_config, ttv2_device
from neurofab.core import ConfigError, InputTypeError, Ledger
from neurofab.crossbar import IOConfig
from neurofab.devices import ConstantStep, NeuroSimNonlinear


def test_ttv2_device_model_states():
    dev = ttv2_device(states=1200)
    assert dev.dw_min == pytest.approx(0.001, rel=0.01)
    arr = dev.build((50, 50), seed=0)
    up, _down = arr.steps(torch.full((50, 50), 0.3))
    assert float((up / arr.dw_up).mean()) == pytest.approx(1 - 1.66 * 0.3, abs=0.03)  # slope μ_s = 1.66


@pytest.mark.parametrize(
    "alg",
    [
        SGDAlgorithm(device=ConstantStep()),
        tiki_taka_config(ConstantStep(), lr_c=0.1, io=IOConfig.perfect()),
        ttv2_config(ttv2_device(120), lr_c=0.1, zero_shift_pairs=0),
        shd_config(ttv2_device(120), lr_c=0.1, zero_shift_pairs=0),
        DecompositionAlgorithm(device=NeuroSimNonlinear(), method="sbpca", rank=2, block=2),
        DecompositionAlgorithm(device=NeuroSimNonlinear(), method="nmf", rank=2, iterations=5, transfer="rank-seq"),
    ],
)
def test_every_algorithm_moves_the_weight_down_the_gradient(alg):
    w = build_weight(alg, 3, 4, seed=0)
    assert torch.allclose(w.weights(), torch.zeros(3, 4), atol=0.02)
    x = torch.ones(8, 4)
    d = torch.ones(8, 3)  # gradient dᵀx > 0 everywhere → weights must go down
    with Ledger() as led:
        for _ in range(20):
            w.update(x, d, 0.05)
    assert float(w.weights().mean()) < -0.005
    assert led.count("write_pulse") > 0


def test_bad_input():
    with pytest.raises(InputTypeError):
        build_weight("sgd", 2, 2)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        WeightMLP([4], SGDAlgorithm())
    with pytest.raises(ConfigError):
        DecompositionAlgorithm(rank=0)
