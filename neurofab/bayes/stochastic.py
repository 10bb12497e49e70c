"""Stochastic computing: probabilities as Bernoulli bitstreams, gates as arithmetic.

A stream of L bits, each 1 with probability p, encodes p; its mean has standard error √(p(1 − p)/L), so precision
grows as √L (the review, seed 001 l. 4642). On independent streams

- AND multiplies: P(a ∧ b) = p_a p_b;
- a MUX with a select stream of probability ½ adds with scaling: P = (p_a + p_b)/2;
- the Muller C-element (Friedman et al. 2016; seed 001 l. 4628–4644) keeps its output while its inputs disagree
  and copies them when they agree, z_t = x_t if x_t = y_t else z_{t−1}. Its output is a two-state Markov chain
  that is reset with probability r = p_x p_y + (1 − p_x)(1 − p_y) per bit to 1 with probability
  p_x p_y / r, so its stationary probability is Eq. 15,

      P(Z) = P(X)P(Y) / [P(X)P(Y) + (1 − P(X))(1 − P(Y))],

  which is Bayes' rule (Eqs. 12–14) with P(X) = P*(E1) (Eq. 13) and P(Y) = P(V). The output is autocorrelated
  (lag-1 correlation 1 − r), so its time average has variance P(1 − P)(2 − r)/(r L): the stream-length bound
  of :func:`c_element_std`. Switching rate of an uncorrelated stream: S = 2R(1 − R) (Eq. 16).

Correlated inputs break the arithmetic: :func:`bitstreams` with ``shared=True`` draws both streams from one random
source (stream correlation +1), and AND then gives min(p_a, p_b) instead of p_a p_b.

Events: ``random_bit`` for every stream bit generated, ``gate_op`` for every gate evaluation.
"""

from __future__ import annotations

import torch

from neurofab.core import DataError, Seed, make_generator, record, register_kind

register_kind("gate_op", "one evaluation of one logic gate or C-element on one stream bit")


def _probs(p: torch.Tensor | float | list) -> torch.Tensor:
    t = torch.as_tensor(p, dtype=torch.float64)
    if not torch.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        raise DataError(f"stochastic computing: probabilities must be in [0, 1], got {t.flatten()[:6].tolist()}")
    return t


def bitstreams(p: torch.Tensor | float | list, length: int, seed: Seed = None, shared: bool = False) -> torch.Tensor:
    """Bernoulli streams of ``length`` bits for every probability in ``p``: bool tensor ``(*p.shape, length)``.
    ``shared=True`` compares every probability with the same uniform numbers (maximally correlated streams)."""
    if not isinstance(length, int) or length < 1:
        raise DataError(f"bitstreams: length must be a positive integer, got {length!r}")
    pt = _probs(p)
    gen = make_generator(seed)
    if shared:
        u = torch.rand(length, generator=gen, dtype=torch.float64).expand(*pt.shape, length)
        record("random_bit", length)
    else:
        u = torch.rand(*pt.shape, length, generator=gen, dtype=torch.float64)
        record("random_bit", u.numel())
    return u < pt[..., None]


def value(stream: torch.Tensor) -> torch.Tensor:
    """The probability a stream encodes: its fraction of ones (over the last axis)."""
    return stream.double().mean(-1)


def sc_multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """AND of two streams: P = p_a p_b for independent streams."""
    record("gate_op", a.numel())
    return a & b


def sc_scaled_add(a: torch.Tensor, b: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
    """MUX: a where the select stream is 1, else b: P = s p_a + (1 − s) p_b (s = ½: the scaled sum)."""
    record("gate_op", a.numel())
    return torch.where(select, a, b)


def c_element(x: torch.Tensor, y: torch.Tensor, z0: bool = False) -> torch.Tensor:
    """Muller C-element on two streams (last axis = time): z_t = x_t where x_t = y_t, else z_{t−1}; z_{−1} = z0.
    Vectorised: each output bit is the input at the last time the inputs agreed."""
    if x.shape != y.shape:
        raise DataError(f"c_element: streams must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    t = torch.arange(x.shape[-1]).expand(x.shape)
    agree = x == y
    last = torch.cummax(torch.where(agree, t, torch.full_like(t, -1)), dim=-1).values
    z = torch.gather(x, -1, last.clamp_min(0))
    record("gate_op", x.numel())
    return torch.where(last >= 0, z, torch.full_like(z, bool(z0)))


def fusion(px: torch.Tensor | float, py: torch.Tensor | float) -> torch.Tensor:
    """Eq. 15: P(Z) = P(X)P(Y) / [P(X)P(Y) + (1 − P(X))(1 − P(Y))]."""
    a, b = _probs(px), _probs(py)
    num = a * b
    den = num + (1 - a) * (1 - b)
    if (den <= 0).any():
        raise DataError("fusion: P(X) = 1 − P(Y) ∈ {0, 1}: the evidence contradicts the prior completely")
    return num / den


def bayes_rule(p_e_given_v: float, p_e_given_not_v: float, p_v: float) -> float:
    """Eq. 12: P(V | E1) = P(E1|V) P(V) / [P(E1|V) P(V) + P(E1|¬V) P(¬V)]."""
    num = p_e_given_v * p_v
    return num / (num + p_e_given_not_v * (1 - p_v))


def normalised_likelihood(p_e_given_v: float, p_e_given_not_v: float) -> float:
    """Eq. 13: P*(E1) = P(E1|V) / [P(E1|V) + P(E1|¬V)]."""
    return p_e_given_v / (p_e_given_v + p_e_given_not_v)


def switching_rate(p: torch.Tensor | float) -> torch.Tensor:
    """Eq. 16: S = 2R(1 − R) for an uncorrelated stream of probability R."""
    r = _probs(p)
    return 2 * r * (1 - r)


def c_element_std(px: torch.Tensor | float, py: torch.Tensor | float, length: int) -> torch.Tensor:
    """Standard error of the C-element output's time average over ``length`` bits (stationary start): the
    two-state chain's lag-1 correlation is ρ = 1 − r, so Var = P(1 − P)(1 + ρ)/((1 − ρ) L)."""
    a, b = _probs(px), _probs(py)
    r = a * b + (1 - a) * (1 - b)
    p = fusion(a, b)
    return torch.sqrt(p * (1 - p) * (2 - r) / (r * length))
