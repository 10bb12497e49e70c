"""Readouts: ridge equals its closed form (and scikit-learn's), recursive least squares equals ridge."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, ShapeError
from neurofab.reservoir.readout import OnlineReadout, RidgeReadout, nrmse


def _data(seed: int, n: int = 80, f: int = 6, k: int = 2):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, f, generator=g, dtype=torch.float64) + 1.0
    y = x @ torch.randn(f, k, generator=g, dtype=torch.float64) + 0.3 + 0.1 * torch.randn(n, k, generator=g,
                                                                                             dtype=torch.float64)
    return x, y


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), alpha=st.floats(1e-4, 10.0))
def test_ridge_equals_closed_form_with_unpenalised_bias(seed, alpha):
    x, y = _data(seed)
    ro = RidgeReadout(alpha).fit(x, y)
    # closed form on [x, 1] with the penalty on the weights only
    xa = torch.cat([x, torch.ones(len(x), 1, dtype=torch.float64)], 1)
    pen = alpha * torch.eye(xa.shape[1], dtype=torch.float64)
    pen[-1, -1] = 0
    w = torch.linalg.solve(xa.T @ xa + pen, xa.T @ y)
    assert torch.allclose(ro.weight, w[:-1], atol=1e-9)
    assert torch.allclose(ro.bias, w[-1], atol=1e-9)


def test_ridge_matches_scikit_learn():
    from sklearn.linear_model import Ridge

    x, y = _data(1)
    ro = RidgeReadout(0.5).fit(x, y)
    sk = Ridge(alpha=0.5).fit(x.numpy(), y.numpy())
    assert torch.allclose(ro.weight.T, torch.from_numpy(sk.coef_), atol=1e-9)
    assert torch.allclose(ro.predict(x), torch.from_numpy(sk.predict(x.numpy())), atol=1e-9)


@pytest.mark.parametrize("block", [1, 7, 80])
def test_online_readout_equals_ridge_on_augmented_states(block):
    x, y = _data(2)
    alpha = 0.3
    on = OnlineReadout(x.shape[1], y.shape[1], alpha=alpha)
    for i in range(0, len(x), block):
        on.update(x[i:i + block], y[i:i + block])
    xa = torch.cat([x, torch.ones(len(x), 1, dtype=torch.float64)], 1)
    w = torch.linalg.solve(xa.T @ xa + alpha * torch.eye(xa.shape[1], dtype=torch.float64), xa.T @ y)
    assert torch.allclose(on.w, w, atol=1e-8)
    assert on.samples == len(x)


def test_readout_errors_and_nrmse():
    with pytest.raises(ConfigError, match="alpha"):
        RidgeReadout(-1.0)
    with pytest.raises(ConfigError, match="fit"):
        RidgeReadout().predict(torch.ones(2, 2))
    with pytest.raises(ShapeError):
        RidgeReadout().fit(torch.ones(5, 2), torch.ones(4, 1))
    t = torch.tensor([0.0, 1.0, 2.0, 3.0])
    assert nrmse(t, t) == 0.0
    assert nrmse(torch.full((4,), float(t.mean())), t) == pytest.approx((3 / 4) ** 0.5, rel=1e-9)
