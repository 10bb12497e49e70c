"""Bayesian-network core: validation names the node and row, elimination equals enumeration, BIF round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.bayes import (
    BayesNet,
    enumerate_query,
    format_bif,
    load_network,
    network_names,
    node,
    parse_bif,
    variable_elimination,
)
from neurofab.core import DataError, DataNotFoundError


def test_sprinkler_posteriors_murphy():
    net = load_network("sprinkler")
    assert variable_elimination(net, "WetGrass")[1].item() == pytest.approx(0.6471, abs=1e-12)
    ps = variable_elimination(net, "Sprinkler", {"WetGrass": "T"})[1].item()
    pr = variable_elimination(net, "Rain", {"WetGrass": "T"})[1].item()
    # closed form: P(S, W) = Σ_c,r P(c) P(S|c) P(r|c) P(W|S, r)
    p_sw = 0.5 * 0.5 * (0.2 * 0.99 + 0.8 * 0.9) + 0.5 * 0.1 * (0.8 * 0.99 + 0.2 * 0.9)
    assert ps == pytest.approx(p_sw / 0.6471, rel=1e-12, abs=0)
    assert round(ps, 4) == 0.4298 and round(pr, 4) == 0.7079


def test_cpt_row_error_names_node_and_row():
    c = node("C", [0.5, 0.5], states=["F", "T"])
    bad = node("S", [[0.5, 0.5], [0.9, 0.2]], parents=["C"], states=["F", "T"])
    with pytest.raises(DataError, match=r"node 'S', row \(C=T\): probabilities sum to 1\.1"):
        BayesNet([c, bad])
    neg = node("S", [[0.5, 0.5], [1.2, -0.2]], parents=["C"])
    with pytest.raises(DataError, match=r"node 'S', row \(C=T\).*not a probability"):
        BayesNet([c, neg])


def test_structure_errors():
    c = node("C", [0.5, 0.5])
    with pytest.raises(DataError, match="parent 'X' is not a node"):
        BayesNet([c, node("S", [[0.5, 0.5], [0.5, 0.5]], parents=["X"])])
    with pytest.raises(DataError, match="CPT shape"):
        BayesNet([c, node("S", [0.5, 0.5], parents=["C"])])
    a = node("A", [[0.5, 0.5], [0.5, 0.5]], parents=["B"])
    b = node("B", [[0.5, 0.5], [0.5, 0.5]], parents=["A"])
    with pytest.raises(DataError, match="cycle"):
        BayesNet([a, b])
    with pytest.raises(DataError, match="appears twice"):
        BayesNet([c, c])
    net = BayesNet([c])
    with pytest.raises(DataError, match="no state 'maybe'"):
        variable_elimination(net, "C", {"C": "maybe"})


@st.composite
def small_networks(draw):
    n = draw(st.integers(2, 6))
    cards = [draw(st.integers(2, 3)) for _ in range(n)]
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    nodes = []
    for i in range(n):
        parents = [j for j in range(i) if draw(st.booleans())][:3]
        shape = [cards[j] for j in parents] + [cards[i]]
        t = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.05
        nodes.append(node(f"x{i}", t / t.sum(-1, keepdim=True), parents=[f"x{j}" for j in parents]))
    order = draw(st.permutations(list(range(n))))  # any listing order: the network sorts them
    net = BayesNet([nodes[k] for k in order])
    q = f"x{draw(st.integers(0, n - 1))}"
    ev = {f"x{j}": draw(st.integers(0, cards[j] - 1)) for j in range(n) if f"x{j}" != q and draw(st.booleans())}
    return net, q, ev


@settings(max_examples=40, deadline=None)
@given(small_networks())
def test_elimination_matches_enumeration(case):
    net, q, ev = case
    ve = variable_elimination(net, q, ev)
    en = enumerate_query(net, q, ev)
    assert torch.allclose(ve, en, atol=1e-12)
    assert ve.sum().item() == pytest.approx(1.0)


def test_joint_queries_and_clashes():
    net = load_network("asia")
    pair = variable_elimination(net, ["lung", "tub"], {"xray": "yes"})
    assert torch.allclose(pair, enumerate_query(net, ["lung", "tub"], {"xray": "yes"}), atol=1e-12)
    with pytest.raises(DataError, match="both queried and observed"):
        variable_elimination(net, "lung", {"lung": "yes"})
    with pytest.raises(DataError, match="probability 0"):
        variable_elimination(net, "asia", {"either": "no", "lung": "yes"})


def test_bif_round_trip_and_bundled():
    assert {"asia", "sprinkler"} <= set(network_names())
    for name in network_names():
        net = load_network(name)
        back = parse_bif(format_bif(net, header="round trip"))
        assert back.names == net.names
        for a, b in zip(net.nodes, back.nodes):
            assert a.states == b.states and a.parents == b.parents and torch.equal(a.cpt, b.cpt)
    with pytest.raises(DataNotFoundError):
        load_network("nowhere")


def test_bif_errors_name_the_variable():
    text = (Path(__file__).parents[2] / "neurofab/bayes/networks/sprinkler.bif").read_text()
    with pytest.raises(DataError, match="'WetGrass', row"):
        parse_bif(text.replace("(T, T) 0.01, 0.99;", "(T, T) 0.02, 0.99;"))
    with pytest.raises(DataError, match="variable 'Rain'.*no probabilities given for row"):
        parse_bif(text.replace("(T) 0.2, 0.8;", ""))
    with pytest.raises(DataError, match="unknown state"):
        parse_bif(text.replace("(T) 0.2, 0.8;", "(X) 0.2, 0.8;"))
