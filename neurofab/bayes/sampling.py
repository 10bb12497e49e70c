"""Batched samplers on a :class:`~neurofab.bayes.network.BayesNet`: many samples or chains at once, in torch.

- :func:`forward_sample` — ancestral sampling in topological order: xᵢ ~ P(xᵢ | pa(xᵢ)); queries with evidence
  by rejection (keep the samples that agree with it).
- :func:`likelihood_weighting` — evidence clamped, every sample weighted by w = Π_{e} P(e | pa(e)).
- :func:`gibbs` — each chain resamples every free variable from its Markov-blanket conditional
  P(xᵢ | mb) ∝ P(xᵢ | pa(xᵢ)) Π_{c ∈ ch(i)} P(x_c | pa(x_c)), sweeping in topological order.
- :func:`metropolis_hastings` — independence sampler: the proposal is the evidence-clamped ancestral draw, so
  π(x)/q(x) = w(x) and a move is accepted with probability min(1, w(x′)/w(x)).

Every sampler returns :class:`Samples` (states ``(n, n_nodes)`` and optional log-weights) and records its events:
``sample`` (one variable drawn), ``random_bit`` (32 per uniform draw), ``sram_read`` (one CPT entry read) and
``flop`` (log-domain adds of the Markov-blanket products and weights).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from neurofab.bayes.network import BayesNet
from neurofab.core import DataError, Seed, make_generator, record, register_kind

register_kind("sample", "one draw of one discrete random variable from a conditional distribution")
register_kind("random_bit", "one random bit from an entropy source (LFSR, stochastic MTJ, p-bit)")

UNIFORM_BITS = 32  #: random bits consumed by one uniform draw of a digital sampler


@dataclass
class Samples:
    """Sampled states ``(n, n_nodes)`` (long, columns in ``net.names`` order) and optional log-weights ``(n,)``."""

    net: BayesNet
    states: torch.Tensor
    log_weights: torch.Tensor | None = None

    def marginal(self, name: str) -> torch.Tensor:
        """The (weighted) estimate of P(name) from these samples."""
        i = self.net.index[self.net.node(name).name]
        x = self.states[:, i]
        w = torch.ones(len(x), dtype=torch.float64) if self.log_weights is None else \
            torch.exp(self.log_weights - self.log_weights.max())
        out = torch.zeros(self.net.cards[i], dtype=torch.float64).index_add_(0, x, w)
        z = out.sum()
        if not z > 0:
            raise DataError(f"Samples.marginal({name!r}): no sample has positive weight")
        return out / z

    def running_marginal(self, name: str, state: int) -> torch.Tensor:
        """The estimate of P(name = state) after 1, 2, … n samples (weighted): shape (n,)."""
        i = self.net.index[self.net.node(name).name]
        hit = (self.states[:, i] == state).double()
        w = torch.ones_like(hit) if self.log_weights is None else torch.exp(self.log_weights - self.log_weights.max())
        return torch.cumsum(w * hit, 0) / torch.cumsum(w, 0).clamp_min(1e-300)


class _Compiled:
    """Flat CPTs and row strides, so a node's row for a batch is Σ parent_state × stride (one gather)."""

    def __init__(self, net: BayesNet) -> None:
        self.net = net
        self.cpt: list[torch.Tensor] = []  # (rows, card)
        self.logcpt: list[torch.Tensor] = []
        self.parents: list[list[int]] = []
        self.strides: list[list[int]] = []
        self.children: list[list[int]] = [[] for _ in net.nodes]
        for i, nd in enumerate(net.nodes):
            flat = nd.cpt.reshape(-1, nd.card)
            self.cpt.append(flat)
            self.logcpt.append(torch.log(flat))
            pa = [net.index[p] for p in nd.parents]
            st, s = [], 1
            for p in reversed(pa):
                st.append(s)
                s *= net.cards[p]
            self.parents.append(pa)
            self.strides.append(list(reversed(st)))
            for p in pa:
                self.children[p].append(i)

    def row(self, i: int, x: torch.Tensor) -> torch.Tensor:
        r = torch.zeros(x.shape[0], dtype=torch.long)
        for p, s in zip(self.parents[i], self.strides[i]):
            r += x[:, p] * s
        return r


def _categorical(p: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One draw per row of probabilities ``p`` (n, k) by the inverse CDF."""
    u = torch.rand(p.shape[0], 1, generator=gen, dtype=p.dtype)
    cdf = torch.cumsum(p, 1)
    return (cdf < u * cdf[:, -1:]).sum(1).clamp_max(p.shape[1] - 1)


def _check_n(n: int, what: str) -> None:
    if not isinstance(n, int) or n < 1:
        raise DataError(f"{what} must be a positive integer, got {n!r}")


def _clamped_draw(c: _Compiled, n: int, ev: Mapping[int, int], gen: torch.Generator) -> tuple[torch.Tensor,
                                                                                             torch.Tensor]:
    """Ancestral draw of n samples with evidence clamped; returns (states, log-likelihood of the evidence)."""
    x = torch.zeros(n, len(c.net), dtype=torch.long)
    logw = torch.zeros(n, dtype=torch.float64)
    for i in range(len(c.net)):
        r = c.row(i, x)
        if i in ev:
            x[:, i] = ev[i]
            logw += c.logcpt[i][r, ev[i]]
        else:
            x[:, i] = _categorical(c.cpt[i][r], gen)
    free = len(c.net) - len(ev)
    record("sample", n * free)
    record("random_bit", n * free * UNIFORM_BITS)
    record("sram_read", n * len(c.net))
    if ev:
        record("flop", n * len(ev), "fp32")
    return x, logw


def _start(c: _Compiled, n: int, ev: Mapping[int, int], gen: torch.Generator, what: str) -> tuple[torch.Tensor,
                                                                                              torch.Tensor]:
    """Chain start states inside the support: n picks, by weight, from 4n evidence-clamped ancestral draws."""
    x, logw = _clamped_draw(c, 4 * n, ev, gen)
    if not torch.isfinite(logw).any():
        raise DataError(f"{what}: no start state with positive probability under the evidence (is it impossible?)")
    idx = torch.multinomial(torch.softmax(logw, 0), n, replacement=True, generator=gen)
    return x[idx], logw[idx]


def forward_sample(net: BayesNet, n: int, evidence: Mapping[str, str | int] | None = None,
                   seed: Seed = None) -> Samples:
    """n ancestral samples; with ``evidence``, only those that agree with it are kept (rejection)."""
    _check_n(n, "forward_sample: n")
    gen = make_generator(seed)
    c = _Compiled(net)
    x, _ = _clamped_draw(c, n, {}, gen)
    ev = net.evidence_indices(evidence)
    if ev:
        keep = torch.ones(n, dtype=torch.bool)
        for i, s in ev.items():
            keep &= x[:, i] == s
        x = x[keep]
    return Samples(net, x)


def likelihood_weighting(net: BayesNet, n: int, evidence: Mapping[str, str | int] | None = None,
                         seed: Seed = None) -> Samples:
    """n samples with the evidence clamped and log-weights log Π_e P(e | pa(e))."""
    _check_n(n, "likelihood_weighting: n")
    c = _Compiled(net)
    x, logw = _clamped_draw(c, n, net.evidence_indices(evidence), make_generator(seed))
    return Samples(net, x, logw)


def _blanket_logp(c: _Compiled, x: torch.Tensor, i: int) -> torch.Tensor:
    """log P(xᵢ = v | Markov blanket) up to a constant, for every state v: (n, card)."""
    card = c.net.cards[i]
    lp = c.logcpt[i][c.row(i, x)]  # (n, card)
    for ch in c.children[i]:
        k = c.parents[ch].index(i)
        base = c.row(ch, x) - x[:, i] * c.strides[ch][k]
        rows_v = base[:, None] + torch.arange(card)[None, :] * c.strides[ch][k]  # (n, card)
        lp = lp + c.logcpt[ch][rows_v, x[:, ch][:, None]]
    return lp


def gibbs(net: BayesNet, n_chains: int, n_sweeps: int, evidence: Mapping[str, str | int] | None = None,
          burn_in: int = 0, seed: Seed = None) -> Samples:
    """``n_chains`` Gibbs chains run ``burn_in + n_sweeps`` sweeps; the states after each kept sweep are returned
    sweep-major: ``states[s * n_chains + k]`` is chain k after kept sweep s. Chains start from an
    evidence-clamped ancestral draws resampled by weight (so they start inside the support).

    Note: deterministic CPT entries (0/1) can make single-site Gibbs non-ergodic (e.g. an OR node).
    """
    _check_n(n_chains, "gibbs: n_chains")
    _check_n(n_sweeps, "gibbs: n_sweeps")
    if burn_in < 0:
        raise DataError(f"gibbs: burn_in must be ≥ 0, got {burn_in}")
    gen = make_generator(seed)
    c = _Compiled(net)
    ev = net.evidence_indices(evidence)
    x, _ = _start(c, n_chains, ev, gen, "gibbs")
    free = [i for i in range(len(net)) if i not in ev]
    kept = []
    lookups = sum(1 + len(c.children[i]) for i in free)
    flops = sum(net.cards[i] * (1 + len(c.children[i])) for i in free)
    for s in range(burn_in + n_sweeps):
        for i in free:
            lp = _blanket_logp(c, x, i)
            x[:, i] = _categorical(torch.softmax(lp, 1), gen)
        if s >= burn_in:
            kept.append(x.clone())
    total = burn_in + n_sweeps
    record("sample", n_chains * total * len(free))
    record("random_bit", n_chains * total * len(free) * UNIFORM_BITS)
    record("sram_read", n_chains * total * lookups)
    record("flop", n_chains * total * flops, "fp32")
    return Samples(net, torch.cat(kept))


def metropolis_hastings(net: BayesNet, n_chains: int, n_steps: int, evidence: Mapping[str, str | int] | None = None,
                        burn_in: int = 0, seed: Seed = None) -> Samples:
    """``n_chains`` independence-proposal Metropolis–Hastings chains (module docstring); states are returned
    step-major as in :func:`gibbs`. Without evidence every proposal is accepted (it is exact ancestral sampling)."""
    _check_n(n_chains, "metropolis_hastings: n_chains")
    _check_n(n_steps, "metropolis_hastings: n_steps")
    if burn_in < 0:
        raise DataError(f"metropolis_hastings: burn_in must be ≥ 0, got {burn_in}")
    gen = make_generator(seed)
    c = _Compiled(net)
    ev = net.evidence_indices(evidence)
    x, logw = _start(c, n_chains, ev, gen, "metropolis_hastings")
    kept = []
    for s in range(burn_in + n_steps):
        y, logw_y = _clamped_draw(c, n_chains, ev, gen)
        u = torch.rand(n_chains, generator=gen, dtype=torch.float64)
        accept = torch.log(u) < (logw_y - logw)
        accept |= ~torch.isfinite(logw)  # leave a start state outside the support
        x = torch.where(accept[:, None], y, x)
        logw = torch.where(accept, logw_y, logw)
        if s >= burn_in:
            kept.append(x.clone())
    total = burn_in + n_steps
    record("random_bit", n_chains * total * UNIFORM_BITS)
    record("flop", n_chains * total * 2, "fp32")
    return Samples(net, torch.cat(kept))
