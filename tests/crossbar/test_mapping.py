"""Weight ↔ conductance mapping round trips and weight scaling."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.crossbar.mapping import (
    ConductanceMapping,
    conductances_to_weights,
    scale_weights,
    weights_to_conductances,
)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["differential", "reference"]), st.floats(0.1, 5.0), st.integers(0, 1000))
def test_round_trip_within_range(scheme, w_max, seed):
    m = ConductanceMapping(scheme=scheme, g_min=1e-6, g_max=25e-6, w_max=w_max)
    w = (torch.rand(6, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2 - 1) * w_max
    ga, gb = weights_to_conductances(w, m)
    assert float(ga.min()) >= m.g_min - 1e-15 and float(ga.max()) <= m.g_max + 1e-15
    assert torch.allclose(conductances_to_weights(ga, gb, m), w, atol=1e-12)


def test_differential_pair_puts_sign_on_one_device():
    m = ConductanceMapping(g_min=0.0, g_max=10e-6, w_max=1.0)
    ga, gb = weights_to_conductances(torch.tensor([0.5, -0.25, 0.0, 3.0]), m)
    assert torch.allclose(ga, torch.tensor([5e-6, 0.0, 0.0, 10e-6]), atol=0)
    assert torch.allclose(gb, torch.tensor([0.0, 2.5e-6, 0.0, 0.0]), atol=0)


def test_single_device_rejects_negative_weights():
    m = ConductanceMapping(scheme="single")
    g, _ref = weights_to_conductances(torch.tensor([0.0, 0.5, 1.0]), m)
    assert torch.allclose(g, torch.tensor([0.0, 12.5e-6, 25e-6]), atol=0)
    with pytest.raises(ConfigError):
        weights_to_conductances(torch.tensor([-0.1]), m)
    with pytest.raises(ConfigError):
        ConductanceMapping(g_min=2e-6, g_max=1e-6)


def test_scale_weights():
    w = torch.tensor([[1.0, -4.0], [0.5, 0.25], [0.0, 0.0]])
    ws, s = scale_weights(w, omega=0.6)
    assert float(ws.abs().max()) == pytest.approx(0.6) and torch.allclose(ws * s, w)
    ws, s = scale_weights(w, omega=1.0, columnwise=True)
    assert torch.allclose(ws.abs().amax(dim=1), torch.tensor([1.0, 1.0, 0.0]))
    assert torch.allclose(ws * s, w)
    with pytest.raises(ConfigError):
        scale_weights(w, omega=0.0)
