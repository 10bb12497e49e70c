"""Equilibrium propagation: Φ's gradient is the dynamics, the fixed point is reached, Eq. 4 / Eq. 12 against the
analytic gradient of a quadratic Φ, BPTT truncations, estimators, bad input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, ShapeError
from neurofab.learning import (
    ConvergentNet,
    EPConfig,
    bptt_gradient,
    bptt_truncated,
    ep_estimate,
    grad_cosine,
    grad_rel_error,
)


def _batch(n_in: int, n_out: int, b: int = 8, seed: int = 0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, n_in, generator=g, dtype=dtype), torch.randint(0, n_out, (b,), generator=g)


@settings(max_examples=12, deadline=None)
@given(hidden=st.lists(st.integers(1, 7), min_size=1, max_size=3), loss=st.sampled_from(["mse", "ce"]),
       uni=st.booleans(), seed=st.integers(0, 100))
def test_phi_gradient_is_the_dynamics(hidden, loss, uni, seed):
    """autograd ∂Φ/∂s equals the hand-written pre-activation (Eq. 8) and ∂Φ/∂θ equals the local rule (bidirectional)."""
    sizes = [5, *hidden, 3]
    net = ConvergentNet(sizes, loss=loss, activation="sigmoid", unidirectional=uni, seed=seed, dtype=torch.float64)
    x, _ = _batch(5, 3, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    s = [torch.rand(8, h, generator=g, dtype=torch.float64).requires_grad_(True) for h in net.state_sizes]
    if uni:  # Φ of the forward weights; the dynamics use B for the feedback: equal only when B = W
        for n in range(2, net.n_layers + 1):
            net.params[f"B{n}"] = net.params[f"W{n}"].clone()
    phi = net.phi(x, s)
    auto = torch.autograd.grad(phi, s)
    for a, b in zip(auto, net.preactivation(x, [v.detach() for v in s])):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    p = {k: v.clone().requires_grad_(True) for k, v in net.tensors().items() if k[0] in "Wb" and k != "b_out"}
    p = {k: v for k, v in p.items() if k not in ("w_out",)}
    phi = net.phi(x, [v.detach() for v in s], {**net.params, **p})
    auto_t = dict(zip(p, torch.autograd.grad(phi, list(p.values()))))
    local = net.dphi_dtheta(x, [v.detach() for v in s])
    for k in local:
        torch.testing.assert_close(auto_t[k] / 8, local[k], rtol=1e-12, atol=1e-12)


def test_fixed_point_is_reached():
    net = ConvergentNet([64, 32, 10], activation="sigmoid", seed=3, dtype=torch.float64)
    x, _ = _batch(64, 10, 16)
    s, res = net.relax(x, net.zero_state(16), 150)
    assert res < 1e-12
    again = net.step(x, s)
    assert max(float((a - b).abs().max()) for a, b in zip(again, s)) < 1e-12
    assert all(float(v.min()) >= 0 and float(v.max()) <= 1 for v in s)


def _quadratic_net():
    """A linear regime of the clamp: small weights, biases ½, so every state stays inside (0, 1) and Φ − ½‖s‖² is
    quadratic: s_* = (I − M)⁻¹ c in closed form."""
    net = ConvergentNet([6, 5, 4], activation="hard", seed=1, dtype=torch.float64)
    for k, v in net.tensors().items():
        net.params[k] = (0.15 * v) if k.startswith("W") else torch.full_like(v, 0.5)
    return net


def _analytic_gradient(net, x, y):
    """∂L*/∂θ of L* = ℓ(s_*) with s_* solved exactly (no iteration) and differentiated by autograd."""
    p = {k: v.clone().requires_grad_(True) for k, v in net.tensors().items()}
    w1, b1, w2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    h, o = w1.shape[0], w2.shape[0]
    # s1 = W1 x + b1 + W2ᵀ s2, s2 = W2 s1 + b2  →  [[I, −W2ᵀ], [−W2, I]] [s1; s2] = [W1 x + b1; b2]
    m = torch.eye(h + o, dtype=torch.float64)
    m = m - torch.cat([torch.cat([torch.zeros(h, h, dtype=torch.float64), w2.T], 1),
                       torch.cat([w2, torch.zeros(o, o, dtype=torch.float64)], 1)], 0)
    c = torch.cat([x @ w1.T + b1, b2.expand(len(x), o)], 1)
    s = torch.linalg.solve(m, c.T).T
    loss = net.loss_value([s[:, :h], s[:, h:]], y, p)
    assert float(s.detach().min()) > 0.01 and float(s.detach().max()) < 0.99
    return dict(zip(p, torch.autograd.grad(loss, list(p.values()))))


def test_eq4_and_eq12_against_the_analytic_gradient_of_a_quadratic_phi():
    net = _quadratic_net()
    x, y = _batch(6, 4, 10)
    exact = _analytic_gradient(net, x, y)
    # quadratic Φ − ½‖s‖² and ℓ: Eq. 13's one-sided error is c₁β + O(β²), Eq. 14's symmetric one c₂β² + O(β⁴)
    def err(beta, est):
        return grad_rel_error(ep_estimate(net, x, y, EPConfig(T=200, K=200, beta=beta, estimator=est)).grads, exact)

    one = [err(b, "one_sided") for b in (0.005, 0.01, 0.02)]
    sym = [err(b, "symmetric") for b in (0.005, 0.01, 0.02)]
    assert 1e-5 < one[0] < 0.1 and sym[0] < 1e-4 * one[0] / 0.005
    assert one[1] / one[0] == pytest.approx(2.0, rel=0.05) and one[2] / one[1] == pytest.approx(2.0, rel=0.05)
    assert sym[1] / sym[0] == pytest.approx(4.0, rel=0.05) and sym[2] / sym[1] == pytest.approx(4.0, rel=0.05)
    full = bptt_gradient(net, x, y, T=200)
    assert grad_rel_error(full, exact) < 1e-9


def test_bptt_truncations_are_consistent():
    net = ConvergentNet([6, 5, 4], activation="sigmoid", seed=2, dtype=torch.float64)
    x, y = _batch(6, 4, 10)
    trunc = bptt_truncated(net, x, y, T=40, K=5)
    for k in (1, 3, 5):
        direct = bptt_gradient(net, x, y, T=40, K=k)
        for name in direct:
            torch.testing.assert_close(trunc[k - 1][name], direct[name], rtol=1e-10, atol=1e-12)


def test_cross_entropy_symmetric_estimate_matches_bptt():
    net = ConvergentNet([6, 8, 4], loss="ce", activation="sigmoid", seed=4, dtype=torch.float64)
    x, y = _batch(6, 4, 10)
    ref = bptt_gradient(net, x, y, T=120)
    est = ep_estimate(net, x, y, EPConfig(T=120, K=120, beta=0.01, loss="ce")).grads
    assert set(est) == set(ref)
    assert grad_rel_error(est, ref) < 1e-3


def test_random_sign_is_reproducible_and_unbiased_on_average():
    net = ConvergentNet([6, 8, 4], activation="sigmoid", seed=5, dtype=torch.float64)
    x, y = _batch(6, 4, 10)
    cfg = EPConfig(T=80, K=80, beta=0.1, estimator="random_sign")
    a = [ep_estimate(net, x, y, cfg, torch.Generator().manual_seed(7)).phases.beta for _ in range(2)]
    assert a[0] == a[1]
    signs = {ep_estimate(net, x, y, cfg, g).phases.beta for g in [torch.Generator().manual_seed(1)] for _ in range(12)}
    assert signs == {0.1, -0.1}
    plus = ep_estimate(net, x, y, cfg.replace(estimator="one_sided")).grads
    minus_cfg = cfg.replace(estimator="one_sided", beta=0.1)
    ref = bptt_gradient(net, x, y, T=80)
    sym = ep_estimate(net, x, y, minus_cfg.replace(estimator="symmetric")).grads
    assert grad_rel_error(sym, ref) < grad_rel_error(plus, ref)


def test_unidirectional_estimators():
    net = ConvergentNet([6, 8, 5, 4], activation="sigmoid", unidirectional=True, seed=6, dtype=torch.float64)
    x, y = _batch(6, 4, 10)
    kp = ep_estimate(net, x, y, EPConfig(T=60, K=20, beta=0.1, estimator="kp_vf_sym")).grads
    vf = ep_estimate(net, x, y, EPConfig(T=60, K=20, beta=0.1, estimator="vf_sym")).grads
    for n in (2, 3):
        torch.testing.assert_close(kp[f"B{n}"], kp[f"W{n}"])  # Eq. 21: the same update in both directions
        assert not torch.allclose(vf[f"B{n}"], vf[f"W{n}"])   # Eq. 10: different forward and backward updates
    assert grad_cosine(vf, kp, ["W1"]) > 0.9


def test_bad_input():
    with pytest.raises(ConfigError, match="beta"):
        EPConfig(beta=0.0)
    with pytest.raises(ConfigError, match="T"):
        EPConfig(T=0)
    with pytest.raises(ConfigError, match="K"):
        EPConfig(K=0)
    with pytest.raises(ConfigError, match="sizes"):
        ConvergentNet([4])
    with pytest.raises(ConfigError, match="sizes"):
        ConvergentNet([4, 0, 3])
    net = ConvergentNet([6, 5, 4])
    x, y = _batch(6, 4, 3, dtype=torch.float32)
    with pytest.raises(ShapeError, match="x"):
        ep_estimate(net, torch.zeros(3, 7), y, EPConfig())
    with pytest.raises(ShapeError, match="y"):
        ep_estimate(net, x, y[:2], EPConfig())
    with pytest.raises(ShapeError, match="labels"):
        ep_estimate(net, x, y + 10, EPConfig())
    with pytest.raises(ConfigError, match="unidirectional"):
        ep_estimate(net, x, y, EPConfig(estimator="kp_vf_sym"))
    with pytest.raises(ConfigError, match="loss"):
        ep_estimate(net, x, y, EPConfig(loss="ce"))
    with pytest.raises(ConfigError, match="K"):
        bptt_gradient(net, x, y, T=5, K=6)
    with pytest.raises(ConfigError, match="Generator"):
        ep_estimate(net, x, y, EPConfig(estimator="random_sign"))


@pytest.mark.parametrize("activation", ["sigmoid", "hard"])
@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("uni", [False, True])
def test_dense_relax_equals_the_generic_step(activation, loss, uni):
    """The fused free/nudged loop (scaled weights, in-place σ) follows ConvergentNet.step exactly."""
    net = ConvergentNet([7, 6, 5, 4], loss=loss, activation=activation, unidirectional=uni, dtype=torch.float64,
                        seed=1)
    x, y = _batch(7, 4, 5)
    y1h = net.targets(y)
    s0 = [torch.rand(5, h, dtype=torch.float64, generator=torch.Generator().manual_seed(h)) for h in net.state_sizes]
    fast, _ = net.relax(x, s0, 7, y1h, 0.3)
    slow = s0
    for _ in range(7):
        slow = net.step(x, slow, y1h, 0.3)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


@pytest.mark.parametrize("sizes", [[7, 4], [7, 6, 4]])
def test_dense_relax_shallow_nets_and_zero_steps(sizes):
    """One and two state layers (the branches of the transposed loop); zero steps returns the state unchanged."""
    net = ConvergentNet(sizes, activation="sigmoid", dtype=torch.float64, seed=2)
    x, y = _batch(7, 4, 5)
    y1h = net.targets(y)
    s0 = [torch.rand(5, h, dtype=torch.float64, generator=torch.Generator().manual_seed(h)) for h in net.state_sizes]
    fast, _ = net.relax(x, s0, 5, y1h, -0.4)
    slow = s0
    for _ in range(5):
        slow = net.step(x, slow, y1h, -0.4)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)
    same, res = net.relax(x, s0, 0)
    assert res == float("inf") and all(torch.equal(a, b) for a, b in zip(same, s0))
