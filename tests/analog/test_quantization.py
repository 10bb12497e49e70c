"""Limited-precision weights: level sets, the distribution-aware fit, the regularizer's gradient, bias tuning."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.analog.quantization import (
    LevelSet,
    apply_levels,
    bias_parameters,
    fit_level_set,
    quantizable_layers,
    quantization_regularizer,
    shared_level_set,
)
from neurofab.core import ConfigError, ShapeError


def test_one_level_precision_is_ternary():
    ls = LevelSet(step=0.5, n_levels=2)
    assert torch.equal(ls.levels(), torch.tensor([-0.5, 0.0, 0.5], dtype=torch.float64))
    w = torch.tensor([0.24, 0.26, -0.7, 3.0, -0.1])
    assert torch.equal(ls.quantize(w), torch.tensor([0.0, 0.5, -0.5, 0.5, 0.0]))
    assert LevelSet(step=0.1, n_levels=5).w_max == pytest.approx(0.4)
    assert len(LevelSet(step=1.0, n_levels=5).levels()) == 9
    with pytest.raises(ConfigError):
        LevelSet(step=0.1, n_levels=1)
    with pytest.raises(ConfigError):
        LevelSet(step=0.0, n_levels=3)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 9), st.floats(0.01, 2.0), st.integers(0, 10_000))
def test_quantize_picks_the_nearest_level(n, step, seed):
    ls = LevelSet(step=step, n_levels=n)
    w = (torch.rand(200, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2 - 1) * 1.5 * ls.w_max
    q = ls.quantize(w)
    levels = ls.levels()
    nearest = levels[(w[:, None] - levels[None, :]).abs().argmin(dim=1)]
    assert torch.allclose(q, nearest)


def test_fit_level_set_finds_an_exact_grid():
    w = torch.tensor([-0.2, -0.1, 0.0, 0.1, 0.2] * 20)
    ls = fit_level_set(w, n_levels=3)
    assert ls.step == pytest.approx(0.1)
    assert torch.allclose(ls.quantize(w), w)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 9), st.integers(1, 400), st.floats(0.01, 3.0), st.integers(0, 10_000))
def test_fit_level_set_is_the_grid_search_minimum(n, size, scale, seed):
    """The running-sums fit picks the same Δ as rounding every weight at every candidate Δ."""
    gen = torch.Generator().manual_seed(seed)
    w = scale * torch.randn(size, generator=gen, dtype=torch.float64) ** 3
    amax = float(w.abs().max())
    steps = torch.linspace(1 / 200, 1.0, 200, dtype=torch.float64) * amax / (n - 1)
    k = torch.clamp(torch.round(w[None, :] / steps[:, None]), -(n - 1), n - 1)
    err = ((k * steps[:, None] - w[None, :]) ** 2).mean(dim=1)
    fitted = fit_level_set(w, n)
    best = float(err.min())
    got = float(((fitted.quantize(w) - w) ** 2).mean())
    assert got <= best * (1 + 1e-9) + 1e-300


def test_fit_level_set_beats_the_abs_max_grid_on_heavy_tails():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(5000, generator=gen, dtype=torch.float64)
    w[0] = 12.0  # one outlier stretches the abs-max grid
    fitted = fit_level_set(w, n_levels=3)
    naive = LevelSet(step=float(w.abs().max()) / 2, n_levels=3)
    assert float(((fitted.quantize(w) - w) ** 2).mean()) < 0.5 * float(((naive.quantize(w) - w) ** 2).mean())
    with pytest.raises(ShapeError):
        fit_level_set(torch.zeros(0), 3)


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def test_shared_level_set_maps_the_largest_weight_to_gmax():
    net = _net()
    with torch.no_grad():
        net[2].weight[0, 0] = 5.0
    ls = shared_level_set(net, 3)
    assert ls.w_max == pytest.approx(5.0)
    assert len(quantizable_layers(net)) == 2


def test_regularizer_gradient_is_a_constant_pull_to_the_nearest_level():
    layer = nn.Linear(4, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.12, 0.38, -0.26, 0.5]]))
    ls = LevelSet(step=0.25, n_levels=3)  # levels −0.5, −0.25, 0, 0.25, 0.5; nearest: 0, 0.5, −0.25, 0.5
    reg = quantization_regularizer(layer, [ls], strength=0.01)
    assert float(reg.detach()) == pytest.approx(0.01 * (0.12 + 0.12 + 0.01 + 0.0))
    reg.backward()
    assert torch.allclose(layer.weight.grad, torch.tensor([[0.01, -0.01, -0.01, 0.0]]))
    with pytest.raises(ShapeError):
        quantization_regularizer(_net(), [ls], 0.01)
    with pytest.raises(ConfigError):
        quantization_regularizer(layer, [ls], -1.0)


def test_apply_levels_rounds_a_copy_and_bias_parameters():
    net = _net()
    sets = [fit_level_set(m.weight, 2) for m in quantizable_layers(net)]
    q = apply_levels(net, sets)
    for m, ls in zip(quantizable_layers(q), sets):
        assert len(torch.unique(m.weight.detach())) <= 3
        assert torch.allclose(m.weight, ls.quantize(m.weight))
    assert not torch.equal(q[0].weight, net[0].weight)
    biases = bias_parameters(q)
    assert [b.shape for b in biases] == [torch.Size([8]), torch.Size([3])]
