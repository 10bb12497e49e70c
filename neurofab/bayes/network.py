"""Discrete Bayesian networks: a DAG of named variables, each with a conditional probability table (CPT).

A node's CPT is a tensor of shape ``(*parent_cards, card)``: entry ``[a, b, …, v]`` is
P(node = v | parent₁ = a, parent₂ = b, …) [1]. The joint distribution factorises as

    P(x₁ … xₙ) = Πᵢ P(xᵢ | pa(xᵢ))                      (the review, seed 001 l. 4419–4430)

Validation happens once, at construction, and names the node and the CPT row that is wrong: shapes against the
parents' cardinalities, entries in [0, 1], every row summing to 1, unknown parents, cycles.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from neurofab.core import DataError, UnknownNameError

ROW_TOL = 1e-6  #: a CPT row may differ from a sum of 1 by this much [1]


@dataclass(frozen=True)
class Node:
    """One variable: its name, state names, parent names and CPT (``(*parent_cards, card)``, float64)."""

    name: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    cpt: torch.Tensor

    @property
    def card(self) -> int:
        return len(self.states)


def node(name: str, table: Sequence | torch.Tensor, parents: Sequence[str] = (),
         states: Sequence[str] | None = None) -> Node:
    """A :class:`Node` from nested lists (last axis: the node's own states; default states ``("0", "1", …)``)."""
    cpt = torch.as_tensor(table, dtype=torch.float64)
    if cpt.dim() == 0:
        raise DataError(f"node {name!r}: the CPT needs at least one axis (the node's states)")
    states = tuple(str(s) for s in states) if states is not None else tuple(str(i) for i in range(cpt.shape[-1]))
    return Node(str(name), states, tuple(str(p) for p in parents), cpt)


class BayesNet:
    """A validated discrete Bayesian network (module docstring). Nodes are kept in a topological order."""

    def __init__(self, nodes: Sequence[Node], name: str = "network") -> None:
        self.name = name
        by_name: dict[str, Node] = {}
        for nd in nodes:
            if not isinstance(nd, Node):
                raise DataError(f"{name}: expected Node objects, got {type(nd).__name__}")
            if not nd.name:
                raise DataError(f"{name}: a node has an empty name")
            if nd.name in by_name:
                raise DataError(f"{name}: node {nd.name!r} appears twice")
            if len(nd.states) < 1 or len(set(nd.states)) != len(nd.states):
                raise DataError(f"node {nd.name!r}: states must be distinct and at least one, got {nd.states}")
            by_name[nd.name] = nd
        for nd in by_name.values():
            for p in nd.parents:
                if p not in by_name:
                    raise DataError(f"node {nd.name!r}: parent {p!r} is not a node of the network")
            if len(set(nd.parents)) != len(nd.parents):
                raise DataError(f"node {nd.name!r}: repeated parent in {nd.parents}")
        order = _topological(by_name)
        for nd in by_name.values():
            _check_cpt(nd, [by_name[p] for p in nd.parents])
        self.nodes: tuple[Node, ...] = tuple(by_name[n] for n in order)
        self.names: tuple[str, ...] = tuple(order)
        self.index: dict[str, int] = {n: i for i, n in enumerate(order)}
        self.cards: tuple[int, ...] = tuple(nd.card for nd in self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"BayesNet({self.name!r}, {len(self)} nodes, {self.n_parameters} free parameters)"

    def node(self, name: str) -> Node:
        try:
            return self.nodes[self.index[name]]
        except KeyError:
            raise UnknownNameError(f"{self.name}: no node {name!r}; nodes: {', '.join(self.names)}") from None

    def children(self, name: str) -> tuple[str, ...]:
        self.node(name)
        return tuple(nd.name for nd in self.nodes if name in nd.parents)

    @property
    def n_parameters(self) -> int:
        """Free CPT parameters: Σ rows × (card − 1)."""
        return sum(nd.cpt.numel() // nd.card * (nd.card - 1) for nd in self.nodes)

    def state(self, name: str, value: str | int) -> int:
        """The index of ``value`` (a state name or an index) of node ``name``."""
        nd = self.node(name)
        if isinstance(value, bool | int) and not isinstance(value, str):
            if not 0 <= int(value) < nd.card:
                raise DataError(f"node {name!r}: state index {value} outside 0…{nd.card - 1}")
            return int(value)
        if value in nd.states:
            return nd.states.index(value)
        raise DataError(f"node {name!r}: no state {value!r}; states: {nd.states}")

    def evidence_indices(self, evidence: Mapping[str, str | int] | None) -> dict[int, int]:
        """Evidence ``{name: state}`` as ``{node index: state index}`` (checked)."""
        return {self.index[self.node(k).name]: self.state(k, v) for k, v in (evidence or {}).items()}

    def joint(self) -> torch.Tensor:
        """The full joint table, axes in ``self.names`` order (small networks only: Π cards ≤ 2²⁴)."""
        size = 1
        for c in self.cards:
            size *= c
        if size > 2**24:
            raise DataError(f"{self.name}: the joint has {size} entries; use variable elimination instead")
        p = torch.ones(self.cards, dtype=torch.float64)
        n = len(self)
        for nd in self.nodes:
            axes = [self.index[q] for q in nd.parents] + [self.index[nd.name]]
            view = [1] * n
            perm = sorted(range(len(axes)), key=lambda k: axes[k])
            t = nd.cpt.permute(perm)
            for k in perm:
                view[axes[k]] = nd.cpt.shape[k]
            p = p * t.reshape(view)
        return p


def _topological(by_name: Mapping[str, Node]) -> list[str]:
    """Kahn's algorithm in insertion order; a cycle is named."""
    indeg = {n: len(nd.parents) for n, nd in by_name.items()}
    kids: dict[str, list[str]] = {n: [] for n in by_name}
    for n, nd in by_name.items():
        for p in nd.parents:
            kids[p].append(n)
    ready = [n for n, d in indeg.items() if d == 0]
    order: list[str] = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for k in kids[n]:
            indeg[k] -= 1
            if indeg[k] == 0:
                ready.append(k)
    if len(order) != len(by_name):
        cyc = sorted(n for n, d in indeg.items() if d > 0)
        raise DataError(f"the graph has a cycle through nodes {cyc}; a Bayesian network must be acyclic")
    return order


def _check_cpt(nd: Node, parents: Sequence[Node]) -> None:
    want = (*(p.card for p in parents), nd.card)
    if tuple(nd.cpt.shape) != want:
        raise DataError(f"node {nd.name!r}: CPT shape {tuple(nd.cpt.shape)} does not match (parent cards…, "
                        f"card) = {want} for parents {nd.parents}")
    t = nd.cpt
    if not torch.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        bad = torch.nonzero(~torch.isfinite(t) | (t < 0) | (t > 1))[0].tolist()
        raise DataError(f"node {nd.name!r}, row {_row_text(nd, parents, bad[:-1])}: entry "
                        f"{nd.states[bad[-1]]!r} = {t[tuple(bad)].item():g} is not a probability in [0, 1]")
    sums = t.sum(-1)
    off = (sums - 1).abs() > ROW_TOL
    if off.any():
        row = torch.nonzero(off)[0].tolist()
        raise DataError(f"node {nd.name!r}, row {_row_text(nd, parents, row)}: probabilities sum to "
                        f"{sums[tuple(row)].item():.6g}, not 1")


def _row_text(nd: Node, parents: Sequence[Node], row: Sequence[int]) -> str:
    if not parents:
        return "(no parents)"
    return "(" + ", ".join(f"{p.name}={p.states[i]}" for p, i in zip(parents, row)) + ")"


def rows(nd: Node) -> list[tuple[int, ...]]:
    """Every parent configuration of ``nd`` in C order (the order of the flattened CPT rows)."""
    return list(itertools.product(*(range(s) for s in nd.cpt.shape[:-1])))
