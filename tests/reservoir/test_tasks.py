"""Task generators and the shared evaluation on the echo-state and memristor reservoirs."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import ConfigError
from neurofab.reservoir.esn import EchoStateConfig, EchoStateNetwork
from neurofab.reservoir.memristor import MemristorReservoir
from neurofab.reservoir.tasks import (
    memory_capacity,
    narma10,
    sine_square,
    sine_square_error,
    spoken_digits,
)


def test_sine_square_sequence():
    u, y = sine_square(20, seed=1)
    assert u.shape == y.shape == (160,)
    periods = u.view(20, 8)
    for row, lab in zip(periods, y.view(20, 8)[:, 0]):
        if lab == 1:
            assert torch.equal(row, torch.tensor([1.0] * 4 + [-1.0] * 4, dtype=torch.float64))
        else:
            assert torch.allclose(row, torch.sin(2 * math.pi * torch.arange(8, dtype=torch.float64) / 8), atol=1e-12)


def test_narma10_follows_its_recurrence():
    u, y = narma10(60, seed=0)
    t = 30
    expected = 0.3 * y[t] + 0.05 * y[t] * y[t - 9:t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
    assert float(y[t + 1]) == pytest.approx(float(expected))
    assert (u >= 0).all() and (u <= 0.5).all()
    with pytest.raises(ConfigError):
        narma10(5)


def test_spoken_digits_shapes_and_classes():
    x, y = spoken_digits(3, seed=0)
    assert x.shape == (30, 20, 13) and sorted(y.tolist()) == sorted(list(range(10)) * 3)
    assert (x >= 0).all()
    x2, _ = spoken_digits(3, seed=0)
    assert torch.equal(x, x2)


def test_esn_spectral_radius_and_memory_bound():
    esn = EchoStateNetwork(EchoStateConfig(n_nodes=20, spectral_radius=0.8), seed=2)
    assert torch.linalg.eigvals(esn.w).abs().max().item() == pytest.approx(0.8)
    mc, r2 = memory_capacity(esn, max_delay=25, n_train=800, n_test=400, seed=0)
    assert 1.0 < mc <= 20 + 1e-6  # Jaeger's bound: MC ≤ N
    assert r2[0] > r2[-1]


def test_reservoirs_share_the_readout():
    assert sine_square_error(EchoStateNetwork(), n_train=60, n_test=30) < 0.05
    assert 0.0 <= sine_square_error(MemristorReservoir(), n_train=60, n_test=30) <= 1.0
