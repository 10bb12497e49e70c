"""HMM tracking with spiking sequential Monte Carlo (Thakur et al. 2016; the review, seed 001 l. 4566–4600).

A target moves on a ring of M positions (stay with probability 1 − 2q, step ±1 with q each). M sensory Poisson
neurons fire each time step: neuron k with probability α when the target is at k, α β when it is not (a distractor).
The exact filter is Eq. 11,

    P(X_t | Y_1:t) ∝ P(Y_t | X_t) Σ_{X_{t−1}} P(X_t | X_{t−1}) P(X_{t−1} | Y_1:t−1),

with P(Y_t | X_t = k) = Π_j P(y_j | k) (independent sensory neurons).

The spiking filter represents the posterior by S spikes over the M states (a state's probability ∝ its spikes):

1. resampling (RS) block — every spike moves to a new state drawn from P(X_t | X_{t−1}) by inverse-transform
   sampling (Eq. 9);
2. coincidence detectors (CD) — a spike at state k survives when it coincides with a spike of a likelihood Poisson
   neuron firing with probability P(Y_t | k) / max_j P(Y_t | j) (an AND gate, Eq. 10's numerator);
3. normalisation (norm) — the survivors are resampled back to S spikes (Eq. 10's denominator).

The MAP estimate is the state with the most spikes (a WTA). Events: ``spike`` for every spike handled,
``random_bit`` for the RNG bits (16 per inverse-transform draw, 8 per likelihood spike), ``gate_op`` per CD.
"""

from __future__ import annotations

import torch
from pydantic import Field

import neurofab.bayes.stochastic  # noqa: F401  (registers the gate_op event kind)
from neurofab.core import Config, DataError, Seed, make_generator, record


class RingHMM(Config):
    """Target on a ring of ``states`` positions observed by one Poisson sensory neuron per position."""

    states: int = Field(16, ge=3, description="positions on the ring M [1]")
    move: float = Field(0.15, ge=0, le=0.5, description="probability q of a step to each neighbour per step [1]")
    alpha: float = Field(0.6, gt=0, le=1, description="firing probability of the neuron at the target α [1]")
    beta: float = Field(0.2, gt=0, le=1, description="distractor factor β: firing probability α β elsewhere [1]")

    def transition(self) -> torch.Tensor:
        """P(X_t = j | X_{t−1} = i): (M, M), rows sum to 1."""
        m = self.states
        t = torch.eye(m, dtype=torch.float64) * (1 - 2 * self.move)
        idx = torch.arange(m)
        t[idx, (idx + 1) % m] += self.move
        t[idx, (idx - 1) % m] += self.move
        return t

    def simulate(self, steps: int, seed: Seed = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(positions (T,), sensory spikes (T, M) bool)."""
        if steps < 1:
            raise DataError(f"RingHMM.simulate: steps must be ≥ 1, got {steps}")
        gen = make_generator(seed)
        cdf = torch.cumsum(self.transition(), 1)
        x = torch.zeros(steps, dtype=torch.long)
        x[0] = torch.randint(0, self.states, (1,), generator=gen)
        for t in range(1, steps):
            u = torch.rand(1, generator=gen, dtype=torch.float64)
            x[t] = int((cdf[x[t - 1]] < u).sum().clamp_max(self.states - 1))
        rate = torch.full((steps, self.states), self.alpha * self.beta, dtype=torch.float64)
        rate[torch.arange(steps), x] = self.alpha
        y = torch.rand(steps, self.states, generator=gen, dtype=torch.float64) < rate
        return x, y

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """P(Y_t | X_t = k) for every step and state: (T, M)."""
        a, ab = self.alpha, self.alpha * self.beta
        yd = y.double()
        # log P(y | k) = Σ_j log P(y_j | background) + [y_k log(a/ab) + (1 − y_k) log((1 − a)/(1 − ab))]
        base = (yd * torch.log(torch.tensor(ab)) + (1 - yd) * torch.log1p(torch.tensor(-ab))).sum(1, keepdim=True)
        lift = yd * (torch.log(torch.tensor(a / ab))) + (1 - yd) * (torch.log1p(torch.tensor(-a))
                                                                    - torch.log1p(torch.tensor(-ab)))
        return torch.exp(base + lift)


def exact_filter(hmm: RingHMM, y: torch.Tensor) -> torch.Tensor:
    """Eq. 11 from a uniform prior: P(X_t | Y_1:t), (T, M)."""
    trans, lik = hmm.transition(), hmm.likelihood(y)
    post = torch.full((hmm.states,), 1.0 / hmm.states, dtype=torch.float64)
    out = []
    for t in range(len(y)):
        prior = post @ trans if t else post
        post = lik[t] * prior
        post = post / post.sum()
        out.append(post)
    return torch.stack(out)


def spiking_filter(hmm: RingHMM, y: torch.Tensor, spikes: int, seed: Seed = None) -> torch.Tensor:
    """The spiking SMC filter with ``spikes`` spikes (module docstring): spike-count posteriors (T, M)."""
    if spikes < 1:
        raise DataError(f"spiking_filter: spikes must be ≥ 1, got {spikes}")
    gen = make_generator(seed)
    m = hmm.states
    cdf = torch.cumsum(hmm.transition(), 1)
    lik = hmm.likelihood(y)
    pos = torch.randint(0, m, (spikes,), generator=gen)
    out = []
    for t in range(len(y)):
        if t:
            u = torch.rand(spikes, 1, generator=gen, dtype=torch.float64)
            pos = (cdf[pos] < u).sum(1).clamp_max(m - 1)  # RS block: inverse-transform move
        p_fire = lik[t] / lik[t].max()
        survive = torch.rand(spikes, generator=gen, dtype=torch.float64) < p_fire[pos]  # CD: AND gate
        kept = pos[survive]
        if len(kept) == 0:
            kept = pos  # nothing coincided: keep the prediction
        pick = torch.randint(0, len(kept), (spikes,), generator=gen)  # norm block: back to S spikes
        pos = kept[pick]
        out.append(torch.bincount(pos, minlength=m).double() / spikes)
    n = len(y) * spikes
    record("spike", 3 * n)
    record("random_bit", n * (16 + 8 + 16))
    record("gate_op", n)
    return torch.stack(out)


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """½ Σ |p − q| per row."""
    return 0.5 * (p - q).abs().sum(-1)
