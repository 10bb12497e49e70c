"""p-bits (probabilistic spin logic): binary stochastic units driven by I_i = Σ_j J_ij m_j + h_i.

Two unit styles of the review's Table 1 (seed 001 l. 4470–4478):

- ``"sigmoid"`` (Debashis et al., Eq. 4B): m_i ∈ {0, 1}, P(m_i = 1) = σ(I_i);
- ``"tanh"`` (Faria et al., Eq. 4A): m_i ∈ {−1, +1}, m_i = sgn(tanh(I_i) − r), r uniform in (−1, 1), so
  P(m_i = +1) = (1 + tanh I_i)/2 = σ(2 I_i).

:func:`compile_network` turns a Bayesian network of binary variables into (h, J). With {0, 1} units a child with
one parent whose CPT gives P(1 | 0) = a, P(1 | 1) = b has h = logit(a), J = logit(b) − logit(a) (l. 4474). With
k parents, logit P(1 | x) is written exactly as a multilinear polynomial Σ_S c_S Π_{j∈S} x_j (the Möbius
transform of the 2^k logits): c_∅ is the bias, c_{j} the coupling to parent j, and every higher-order term S with
c_S ≠ 0 gets an auxiliary p-bit X_S = AND(x_S) (a p-bit with large gain) coupled to the child with c_S — the
auxiliary node X of the review's Fig. 2D for the sprinkler's W (l. 4480–4482). CPT entries of 0 or 1 have
infinite logits and are clipped to [ε, 1 − ε].

Updates: ``"sequential"`` updates one p-bit at a time in the network's order; ``"parallel"`` updates a whole
colour class at once. For a directed (feed-forward) coupling matrix the classes are the DAG levels; otherwise a
greedy colouring of the coupling graph (no two coupled p-bits share a colour). A directed p-bit network run one
sweep from any state draws one ancestral sample; conditional queries keep the sweeps that agree with the evidence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch

from neurofab.bayes.network import BayesNet
from neurofab.core import DataError, Seed, make_generator, record, register_kind

register_kind("pbit_update", "one stochastic update of one p-bit (a stochastic-MTJ binary neuron)")

Unit = Literal["sigmoid", "tanh"]


def colour_classes(J: torch.Tensor) -> list[list[int]]:
    """Sets of p-bits that can update together: DAG levels when J is strictly lower-triangular (directed, in
    order), else a greedy colouring of the undirected coupling graph."""
    n = J.shape[0]
    nz = J != 0
    if not torch.triu(nz).any():
        level = [0] * n
        for i in range(n):
            pa = torch.nonzero(nz[i]).flatten().tolist()
            level[i] = 1 + max((level[j] for j in pa), default=-1)
        return [[i for i in range(n) if level[i] == lv] for lv in range(max(level, default=-1) + 1)]
    adj = nz | nz.T
    colour = [-1] * n
    for i in range(n):
        used = {colour[j] for j in torch.nonzero(adj[i]).flatten().tolist() if colour[j] >= 0}
        colour[i] = next(c for c in itertools.count() if c not in used)
    return [[i for i in range(n) if colour[i] == c] for c in range(max(colour, default=-1) + 1)]


@dataclass
class PBitNetwork:
    """Biases ``h`` (n,) and couplings ``J`` (n, n), J[i, j] from p-bit j into p-bit i [dimensionless]."""

    h: torch.Tensor
    J: torch.Tensor
    unit: Unit = "sigmoid"
    names: tuple[str, ...] = ()
    colours: list[list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.h = torch.as_tensor(self.h, dtype=torch.float64)
        self.J = torch.as_tensor(self.J, dtype=torch.float64)
        n = self.h.shape[0] if self.h.dim() == 1 else -1
        if n < 1 or tuple(self.J.shape) != (n, n):
            raise DataError(f"PBitNetwork: h must be (n,) and J (n, n); got {tuple(self.h.shape)} and "
                            f"{tuple(self.J.shape)}")
        if not (torch.isfinite(self.h).all() and torch.isfinite(self.J).all()):
            raise DataError("PBitNetwork: h and J must be finite (clip 0/1 CPT entries before taking logits)")
        if self.unit not in ("sigmoid", "tanh"):
            raise DataError(f"PBitNetwork: unit must be 'sigmoid' or 'tanh', got {self.unit!r}")
        if torch.diagonal(self.J).abs().max() > 0:
            raise DataError("PBitNetwork: J must have a zero diagonal (no self-coupling)")
        if not self.names:
            self.names = tuple(f"m{i}" for i in range(n))
        self.colours = colour_classes(self.J)
        self._nnz = (self.J != 0).sum(1)

    @property
    def n(self) -> int:
        return self.h.shape[0]

    def initial(self, n_chains: int, seed: Seed = None) -> torch.Tensor:
        """Random start states (n_chains, n) in the unit's alphabet."""
        m = torch.randint(0, 2, (n_chains, self.n), generator=make_generator(seed)).double()
        return m if self.unit == "sigmoid" else 2 * m - 1

    def update(self, m: torch.Tensor, idx: Sequence[int], gen: torch.Generator) -> torch.Tensor:
        """Update p-bits ``idx`` of every chain at once from the current state (in place; returns m)."""
        idx_t = torch.as_tensor(list(idx), dtype=torch.long)
        current = m @ self.J[idx_t].T + self.h[idx_t]  # (chains, |idx|)
        r = torch.rand(current.shape, generator=gen, dtype=torch.float64)
        if self.unit == "sigmoid":
            m[:, idx_t] = (r < torch.sigmoid(current)).double()
        else:
            m[:, idx_t] = torch.sign(torch.tanh(current) - (2 * r - 1))
        record("pbit_update", m.shape[0] * len(idx_t))
        record("synop", m.shape[0] * int(self._nnz[idx_t].sum()), "int8")
        return m

    def sweep(self, m: torch.Tensor, mode: Literal["sequential", "parallel"], gen: torch.Generator,
              clamp: Mapping[int, float] | None = None) -> torch.Tensor:
        """One sweep: every free p-bit updated once (sequentially, or colour class by colour class)."""
        clamp = clamp or {}
        if mode == "sequential":
            groups = [[i] for i in range(self.n) if i not in clamp]
        elif mode == "parallel":
            groups = [[i for i in c if i not in clamp] for c in self.colours]
        else:
            raise DataError(f"sweep: mode must be 'sequential' or 'parallel', got {mode!r}")
        for g in groups:
            if g:
                self.update(m, g, gen)
        return m

    def run(self, n_chains: int, n_sweeps: int, mode: Literal["sequential", "parallel"] = "sequential",
            burn_in: int = 0, clamp: Mapping[int, float] | None = None, seed: Seed = None) -> torch.Tensor:
        """States after each kept sweep, sweep-major: (n_sweeps × n_chains, n)."""
        if n_chains < 1 or n_sweeps < 1 or burn_in < 0:
            raise DataError(f"run: need n_chains ≥ 1, n_sweeps ≥ 1, burn_in ≥ 0; got {n_chains}, {n_sweeps}, "
                            f"{burn_in}")
        gen = make_generator(seed)
        m = self.initial(n_chains, gen)
        for i, v in (clamp or {}).items():
            m[:, i] = v
        out = []
        for s in range(burn_in + n_sweeps):
            self.sweep(m, mode, gen, clamp)
            if s >= burn_in:
                out.append(m.clone())
        return torch.cat(out)

    def as_unit(self, unit: Unit) -> PBitNetwork:
        """The same distribution with the other unit: x = (m + 1)/2 turns σ(h + J x) into σ(2 (h′ + J′ m)) with
        h′ = (h + Σ_j J_ij / 2)/2 and J′ = J/4."""
        if unit == self.unit:
            return self
        if self.unit == "sigmoid":
            return PBitNetwork((self.h + self.J.sum(1) / 2) / 2, self.J / 4, "tanh", self.names)
        return PBitNetwork(2 * self.h - 2 * self.J.sum(1), 4 * self.J, "sigmoid", self.names)


@dataclass
class CompiledNetwork:
    """A p-bit network compiled from a Bayesian network: which p-bit is which variable, and the auxiliaries."""

    pbits: PBitNetwork
    net: BayesNet
    variable: dict[str, int]  # variable name → p-bit index
    auxiliary: dict[str, tuple[str, ...]]  # auxiliary p-bit name → the parents it ANDs

    def sample(self, n_chains: int, n_sweeps: int, mode: Literal["sequential", "parallel"] = "parallel",
               seed: Seed = None) -> torch.Tensor:
        """Variable states (n_sweeps × n_chains, n_variables) in {0, 1}, columns in ``net.names`` order."""
        m = self.pbits.run(n_chains, n_sweeps, mode, seed=seed)
        if self.pbits.unit == "tanh":
            m = (m + 1) / 2
        return m[:, [self.variable[n] for n in self.net.names]].long()


def _logit(p: torch.Tensor) -> torch.Tensor:
    return torch.log(p) - torch.log1p(-p)


def compile_network(net: BayesNet, eps: float = 1e-4, and_gain: float = 40.0, unit: Unit = "sigmoid",
                    tol: float = 1e-9) -> CompiledNetwork:
    """(h, J) for a network of binary variables (module docstring). ``eps``: CPT entries are clipped to
    [eps, 1 − eps] [1]; ``and_gain``: the auxiliary AND p-bits' gain β (h = −β(|S| − ½), J = β to each input), so
    an AND fires wrongly with probability σ(−β/2); Möbius coefficients below ``tol`` need no auxiliary p-bit."""
    if not 0 < eps < 0.5:
        raise DataError(f"compile_network: eps must be in (0, 0.5), got {eps}")
    if not and_gain > 0:
        raise DataError(f"compile_network: and_gain must be > 0, got {and_gain}")
    for nd in net.nodes:
        if nd.card != 2:
            raise DataError(f"compile_network: node {nd.name!r} has {nd.card} states; p-bits encode binary "
                            "variables only")
    names: list[str] = []
    bias: list[float] = []
    edges: list[tuple[int, int, float]] = []  # (into, from, weight)
    variable: dict[str, int] = {}
    auxiliary: dict[str, tuple[str, ...]] = {}
    for nd in net.nodes:
        k = len(nd.parents)
        p1 = nd.cpt[..., 1].clamp(eps, 1 - eps)
        logits = _logit(p1)  # (2,)*k
        coeffs: dict[tuple[int, ...], float] = {}
        for subset in itertools.chain.from_iterable(itertools.combinations(range(k), r) for r in range(k + 1)):
            c = 0.0
            for r in range(len(subset) + 1):
                for t in itertools.combinations(subset, r):
                    idx = tuple(1 if j in t else 0 for j in range(k))
                    c += (-1) ** (len(subset) - r) * float(logits[idx] if k else logits)
            coeffs[subset] = c
        child_edges: list[tuple[int, float]] = []
        for subset, c in coeffs.items():
            if len(subset) == 1:
                child_edges.append((variable[nd.parents[subset[0]]], c))
            elif len(subset) >= 2 and abs(c) > tol:
                aux = f"{nd.name}|AND({','.join(nd.parents[j] for j in subset)})"
                a = len(names)
                names.append(aux)
                bias.append(-and_gain * (len(subset) - 0.5))
                auxiliary[aux] = tuple(nd.parents[j] for j in subset)
                edges += [(a, variable[nd.parents[j]], and_gain) for j in subset]
                child_edges.append((a, c))
        i = len(names)
        names.append(nd.name)
        variable[nd.name] = i
        bias.append(coeffs[()])
        edges += [(i, j, c) for j, c in child_edges]
    n = len(names)
    J = torch.zeros(n, n, dtype=torch.float64)
    for i, j, w in edges:
        J[i, j] = w
    pb = PBitNetwork(torch.tensor(bias, dtype=torch.float64), J, "sigmoid", tuple(names))
    return CompiledNetwork(pb.as_unit(unit), net, variable, auxiliary)


def clipping_error_bound(eps: float, and_gain: float, n_aux: int) -> float:
    """A bound on how far one compiled CPT entry can be from the original: ε from clipping plus σ(−β/2) per
    auxiliary AND feeding it (each can fire wrongly and shift the child's logit)."""
    return eps + n_aux / (1 + math.exp(and_gain / 2))
