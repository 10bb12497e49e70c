"""Convergent ConvNet: Φ's gradient is the dynamics (conv, flipped-kernel transpose, pool/unpool), the indices
round-trip, the symmetric estimate approaches BPTT, bad architectures are refused."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, ShapeError
from neurofab.learning import (
    ConvergentConvNet,
    ConvNetConfig,
    EPConfig,
    bptt_gradient,
    ep_estimate,
    grad_rel_error,
    max_pool,
    max_unpool,
)


def _batch(b=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 1, 8, 8, generator=g, dtype=torch.float64), torch.randint(0, 10, (b,), generator=g)


def test_pool_unpool_indices_round_trip():
    g = torch.Generator().manual_seed(1)
    u = torch.randn(3, 4, 6, 8, generator=g)
    v, idx = max_pool(u)
    back = max_unpool(v, idx, u.shape)
    assert back.shape == u.shape
    # every 2×2 window keeps exactly its maximum, in place; pooling the unpooled map gives the same values and indices
    assert torch.equal((back != 0).reshape(3, 4, 3, 2, 4, 2).sum((3, 5)), torch.ones(3, 4, 3, 4, dtype=torch.long))
    assert torch.equal(back[back != 0], u[back != 0])
    v2, idx2 = max_pool(back + (back == 0) * (u.min() - 1))
    assert torch.equal(v2, v) and torch.equal(idx2, idx)


@pytest.mark.parametrize("loss,hidden", [("mse", ()), ("ce", ()), ("mse", (12,))])
def test_conv_phi_gradient_is_the_dynamics(loss, hidden):
    net = ConvergentConvNet(ConvNetConfig(channels=(3, 4), hidden=hidden), loss=loss, activation="sigmoid",
                            dtype=torch.float64, seed=2)
    x, _ = _batch()
    g = torch.Generator().manual_seed(3)
    s = [torch.rand(z.shape, generator=g, dtype=torch.float64).requires_grad_(True) for z in net.zero_state(6)]
    auto = torch.autograd.grad(net.phi(x, s), s)
    for a, b in zip(auto, net.preactivation(x, [v.detach() for v in s])):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    p = {k: v.clone().requires_grad_(True) for k, v in net.tensors().items() if k not in ("w_out", "b_out")}
    auto_t = dict(zip(p, torch.autograd.grad(net.phi(x, [v.detach() for v in s], {**net.params, **p}),
                                             list(p.values()))))
    for k, v in net.dphi_dtheta(x, [v.detach() for v in s]).items():
        torch.testing.assert_close(auto_t[k] / 6, v, rtol=1e-12, atol=1e-12)


def test_conv_symmetric_estimate_approaches_bptt():
    net = ConvergentConvNet(ConvNetConfig(channels=(3, 4)), activation="sigmoid", dtype=torch.float64, seed=4)
    x, y = _batch()
    ref = bptt_gradient(net, x, y, T=80)
    errs = {est: grad_rel_error(ep_estimate(net, x, y, EPConfig(T=80, K=80, beta=0.01, estimator=est)).grads, ref)
            for est in ("one_sided", "symmetric")}
    assert errs["symmetric"] < 1e-3 and errs["symmetric"] < errs["one_sided"] / 10


def test_conv_bad_input():
    with pytest.raises(ConfigError, match="pooled"):
        ConvergentConvNet(ConvNetConfig(in_shape=(1, 6, 6), channels=(4, 4)))
    with pytest.raises(ConfigError, match="kernel"):
        ConvergentConvNet(ConvNetConfig(kernel=2))
    with pytest.raises(ConfigError, match="channels"):
        ConvNetConfig(channels=())
    net = ConvergentConvNet(ConvNetConfig(channels=(3,)))
    with pytest.raises(ShapeError, match="x"):
        ep_estimate(net, torch.zeros(2, 64), torch.zeros(2, dtype=torch.long), EPConfig())
