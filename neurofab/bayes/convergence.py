"""Error against samples: running estimates of one query from every sampling style, and the fitted slope.

For a query P(target = state | evidence), each style runs ``replicas`` independent estimators side by side and
returns their running estimates after 1 … N draws, shape (replicas, N). A "draw" is one joint sample of the network
(rejected ones included: the cost of a rejection sampler is the draws it makes). The RMS error over replicas at a
grid of N, fitted on log–log axes, gives the slope; Monte Carlo estimators have slope −½:
RMS ≈ σ_eff / √N.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from neurofab.bayes.mtj import MTJConfig, mtj_sample
from neurofab.bayes.network import BayesNet
from neurofab.bayes.pbits import compile_network
from neurofab.bayes.sampling import forward_sample, gibbs, likelihood_weighting, metropolis_hastings
from neurofab.core import DataError, Seed, make_generator

STYLES = ("forward", "likelihood weighting", "gibbs", "metropolis-hastings", "p-bits", "mtj spikes")


def _ratio(hit: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Running Σ w·hit / Σ w along the last axis (0 while no weight has arrived)."""
    num, den = torch.cumsum(weight * hit, -1), torch.cumsum(weight, -1)
    return torch.where(den > 0, num / den.clamp_min(1e-300), torch.zeros_like(num))


def running_estimates(style: str, net: BayesNet, target: str, state: str | int, n: int, replicas: int,
                      evidence: Mapping[str, str | int] | None = None, seed: Seed = None,
                      mtj: MTJConfig | None = None) -> torch.Tensor:
    """(replicas, n) running estimates of P(target = state | evidence) by ``style`` (one of :data:`STYLES`).

    MCMC styles (Gibbs, MH) run ``replicas`` chains for ``n`` sweeps after a burn-in of n // 10 sweeps."""
    if style not in STYLES:
        raise DataError(f"running_estimates: style must be one of {STYLES}, got {style!r}")
    gen = make_generator(seed)
    t = net.index[net.node(target).name]
    s = net.state(target, state)
    ev = net.evidence_indices(evidence)

    def agree(x: torch.Tensor) -> torch.Tensor:
        ok = torch.ones(x.shape[:-1], dtype=torch.bool)
        for i, v in ev.items():
            ok &= x[..., i] == v
        return ok.double()

    if style == "forward":
        x = forward_sample(net, n * replicas, seed=gen).states.reshape(replicas, n, -1)
        return _ratio((x[..., t] == s).double(), agree(x))
    if style == "likelihood weighting":
        smp = likelihood_weighting(net, n * replicas, evidence, seed=gen)
        x = smp.states.reshape(replicas, n, -1)
        return _ratio((x[..., t] == s).double(), torch.exp(smp.log_weights).reshape(replicas, n))
    if style in ("gibbs", "metropolis-hastings"):
        fn = gibbs if style == "gibbs" else metropolis_hastings
        x = fn(net, replicas, n, evidence, burn_in=n // 10, seed=gen).states.reshape(n, replicas, -1)
        return _ratio((x[..., t] == s).double().T, torch.ones(replicas, n, dtype=torch.float64))
    if style == "p-bits":
        x = compile_network(net).sample(replicas, n, "parallel", seed=gen).reshape(n, replicas, -1)
        x = x.transpose(0, 1)
        return _ratio((x[..., t] == s).double(), agree(x))
    x = mtj_sample(net, n * replicas, mtj, seed=gen).states.reshape(replicas, n, -1)
    return _ratio((x[..., t] == s).double(), agree(x))


def rms_error(estimates: torch.Tensor, exact: float, grid: list[int]) -> torch.Tensor:
    """RMS error over replicas after each N in ``grid`` (1-based draw counts)."""
    return torch.stack([((estimates[:, k - 1] - exact) ** 2).mean().sqrt() for k in grid])


def fit_slope(grid: list[int], err: torch.Tensor) -> float:
    """Least-squares slope of log err against log N."""
    x = torch.log(torch.tensor(grid, dtype=torch.float64))
    y = torch.log(err.double())
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc**2).sum())


def log_grid(n_min: int, n_max: int, points: int) -> list[int]:
    """``points`` draw counts spaced evenly in log N between n_min and n_max."""
    if not 1 <= n_min < n_max or points < 2:
        raise DataError(f"log_grid: need 1 ≤ n_min < n_max and points ≥ 2, got {n_min}, {n_max}, {points}")
    return sorted({round(math.exp(math.log(n_min) + k * (math.log(n_max) - math.log(n_min)) / (points - 1)))
                   for k in range(points)})
