"""Exact inference: variable elimination, and brute-force enumeration of the joint for checking it.

P(Q | e) ∝ Σ_{hidden} Πᵢ P(xᵢ | pa(xᵢ)) with the evidence e fixed: each CPT becomes a factor, evidence slices it,
and every hidden variable is summed out in a greedy min-size order (the variable whose elimination makes the
smallest new factor goes first). Factors are float64 tensors multiplied with ``torch.einsum``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from neurofab.bayes.network import BayesNet
from neurofab.core import DataError, record

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Factor:
    __slots__ = ("t", "vars")

    def __init__(self, vars_: tuple[int, ...], t: torch.Tensor) -> None:
        self.vars, self.t = vars_, t


def _product_sum(factors: Sequence[_Factor], keep: tuple[int, ...]) -> _Factor:
    """Π factors, summed over every variable not in ``keep`` (one einsum)."""
    letters: dict[int, str] = {}
    for f in factors:
        for v in f.vars:
            if v not in letters:
                if len(letters) >= len(_LETTERS):
                    raise DataError("variable elimination: a factor spans more than 52 variables")
                letters[v] = _LETTERS[len(letters)]
    spec = ",".join("".join(letters[v] for v in f.vars) for f in factors) + "->" + "".join(letters[v] for v in keep)
    out = torch.einsum(spec, *[f.t for f in factors])
    if out.numel() and torch.is_tensor(out):
        record("flop", float(out.numel() * max(len(factors), 1)), "fp32")
    return _Factor(keep, out)


def _elimination_size(net: BayesNet, factors: Sequence[_Factor], v: int) -> int:
    """Entries of the factor that eliminating ``v`` would create (greedy min-size order)."""
    size = 1
    for u in {u for f in factors if v in f.vars for u in f.vars}:
        size *= net.cards[u]
    return size


def variable_elimination(net: BayesNet, query: str | Sequence[str],
                         evidence: Mapping[str, str | int] | None = None) -> torch.Tensor:
    """P(query | evidence): a tensor over the query variables' states (in the order given), summing to 1."""
    qnames = [query] if isinstance(query, str) else list(query)
    if not qnames:
        raise DataError("variable_elimination: name at least one query variable")
    ev = net.evidence_indices(evidence)
    q = tuple(net.index[net.node(n).name] for n in qnames)
    if len(set(q)) != len(q):
        raise DataError(f"variable_elimination: repeated query variable in {qnames}")
    clash = [net.names[i] for i in q if i in ev]
    if clash:
        raise DataError(f"variable_elimination: {clash} are both queried and observed")
    factors: list[_Factor] = []
    for nd in net.nodes:
        vars_ = (*(net.index[p] for p in nd.parents), net.index[nd.name])
        t = nd.cpt
        keep = []
        for axis, v in enumerate(vars_):
            if v in ev:
                t = t.narrow(axis, ev[v], 1)
            else:
                keep.append(axis)
        t = t.reshape([nd.cpt.shape[a] for a in keep])
        factors.append(_Factor(tuple(vars_[a] for a in keep), t))
    hidden = {v for f in factors for v in f.vars} - set(q)
    while hidden:
        v = min(sorted(hidden), key=lambda v, fs=factors: _elimination_size(net, fs, v))
        touching = [f for f in factors if v in f.vars]
        rest = [f for f in factors if v not in f.vars]
        keep = tuple(sorted({u for f in touching for u in f.vars} - {v}))
        factors = [*rest, _product_sum(touching, keep)]
        hidden.discard(v)
    result = _product_sum(factors, q).t
    z = result.sum()
    if not z > 0:
        raise DataError(f"variable_elimination: the evidence {dict(evidence or {})} has probability 0")
    return result / z


def enumerate_query(net: BayesNet, query: str | Sequence[str],
                    evidence: Mapping[str, str | int] | None = None) -> torch.Tensor:
    """P(query | evidence) by summing the full joint table (small networks; a check on elimination)."""
    qnames = [query] if isinstance(query, str) else list(query)
    p = net.joint()
    for i, s in sorted(net.evidence_indices(evidence).items(), reverse=True):
        p = p.narrow(i, s, 1)
    q = [net.index[net.node(n).name] for n in qnames]
    other = [i for i in range(p.dim()) if i not in q]
    marg = p.sum(dim=other) if other else p
    # remaining axes are in increasing index order; put them in the query's order
    kept = sorted(q)
    marg = marg.permute([kept.index(i) for i in q]) if len(q) > 1 else marg.reshape(-1)
    z = marg.sum()
    if not z > 0:
        raise DataError(f"enumerate_query: the evidence {dict(evidence or {})} has probability 0")
    return marg / z
