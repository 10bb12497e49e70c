"""p-bits (compiled CPTs, unit equivalence, colouring) and stochastic computing (gates, C-element, Eq. 15)."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.bayes import load_network, node, variable_elimination
from neurofab.bayes.network import BayesNet
from neurofab.bayes.pbits import PBitNetwork, colour_classes, compile_network
from neurofab.bayes.stochastic import (
    bayes_rule,
    bitstreams,
    c_element,
    c_element_std,
    fusion,
    normalised_likelihood,
    sc_multiply,
    sc_scaled_add,
    switching_rate,
    value,
)
from neurofab.core import DataError, Ledger


def _conditional(c, child: str, parents: dict[str, int]) -> float:
    """P(child = 1 | parents) of the compiled network, from h and J with ideal AND auxiliaries."""
    pb = c.pbits.as_unit("sigmoid")
    x = torch.zeros(pb.n, dtype=torch.float64)
    for name, v in parents.items():
        x[c.variable[name]] = v
    for aux, ins in c.auxiliary.items():
        x[pb.names.index(aux)] = float(all(parents[i] for i in ins))
    i = c.variable[child]
    return torch.sigmoid(pb.J[i] @ x + pb.h[i]).item()


def test_compiled_cpts_reproduce_the_tables():
    net = load_network("sprinkler")
    c = compile_network(net, eps=1e-4)
    assert len(c.auxiliary) == 1  # the review's auxiliary node X for W (Fig. 2D)
    w = net.node("WetGrass").cpt[..., 1]
    for s in (0, 1):
        for r in (0, 1):
            want = min(max(w[s, r].item(), 1e-4), 1 - 1e-4)
            assert _conditional(c, "WetGrass", {"Sprinkler": s, "Rain": r}) == pytest.approx(want, rel=1e-9, abs=0)
    # one parent: h = logit(a), J = logit(b) − logit(a)
    i, j = c.variable["Sprinkler"], c.variable["Cloudy"]
    assert c.pbits.h[i].item() == pytest.approx(0.0, abs=1e-12)
    assert c.pbits.J[i, j].item() == pytest.approx(math.log(0.1 / 0.9), rel=1e-12)


def test_three_parents_need_auxiliaries_per_interaction():
    gen = torch.Generator().manual_seed(0)
    roots = [node(n, [0.4, 0.6]) for n in "ABC"]
    t = torch.rand(2, 2, 2, generator=gen, dtype=torch.float64) * 0.8 + 0.1
    child = node("D", torch.stack([1 - t, t], -1), parents=list("ABC"))
    c = compile_network(BayesNet([*roots, child]))
    assert len(c.auxiliary) == 4  # AB, AC, BC, ABC
    for a in (0, 1):
        for b in (0, 1):
            for d in (0, 1):
                got = _conditional(c, "D", {"A": a, "B": b, "C": d})
                assert got == pytest.approx(t[a, b, d].item(), rel=1e-9)


def test_tanh_and_sigmoid_units_sample_identically():
    c_sig = compile_network(load_network("sprinkler"), unit="sigmoid")
    c_tanh = compile_network(load_network("sprinkler"), unit="tanh")
    a = c_sig.sample(200, 5, "sequential", seed=1)
    b = c_tanh.sample(200, 5, "sequential", seed=1)
    assert torch.equal(a, b)


def test_pbit_posteriors_and_parallel_sweeps():
    net = load_network("sprinkler")
    c = compile_network(net)
    s = c.sample(2000, 20, "parallel", seed=0)
    wet = s[:, net.index["WetGrass"]] == 1
    est = s[wet][:, net.index["Rain"]].double().mean().item()
    exact = variable_elimination(net, "Rain", {"WetGrass": "T"})[1].item()
    assert abs(est - exact) < 5 * math.sqrt(exact * (1 - exact) / wet.sum().item())
    assert c.pbits.colours == [[0], [1, 2], [3], [4]]
    with Ledger() as led:
        c.sample(10, 2, "parallel", seed=0)
    assert led.count("pbit_update") == 10 * 2 * 5


def test_colouring_of_a_symmetric_network():
    J = torch.zeros(4, 4, dtype=torch.float64)
    for i, j in [(0, 1), (1, 2), (2, 3), (3, 0)]:
        J[i, j] = J[j, i] = 0.5
    classes = colour_classes(J)
    assert sorted(map(sorted, classes)) == [[0, 2], [1, 3]]
    with pytest.raises(DataError, match="zero diagonal"):
        PBitNetwork(torch.zeros(2), torch.eye(2))
    with pytest.raises(DataError, match="binary"):
        compile_network(BayesNet([node("A", [0.2, 0.3, 0.5])]))


def test_gates_and_c_element_truth_table():
    x = torch.tensor([0, 1, 1, 0, 1, 0], dtype=torch.bool)
    y = torch.tensor([0, 0, 1, 1, 1, 0], dtype=torch.bool)
    assert c_element(x, y).tolist() == [False, False, True, True, True, False]
    assert c_element(x[1:2], y[1:2], z0=True).tolist() == [True]
    a = bitstreams([0.3, 0.6], 20000, seed=0)
    assert value(sc_multiply(a[0], a[1])).item() == pytest.approx(0.18, abs=0.015)
    sel = bitstreams(0.5, 20000, seed=1)
    assert value(sc_scaled_add(a[0], a[1], sel)).item() == pytest.approx(0.45, abs=0.015)
    shared = bitstreams([0.3, 0.6], 20000, seed=0, shared=True)
    assert value(sc_multiply(shared[0], shared[1])).item() == pytest.approx(0.3, abs=0.015)  # min, not product


def test_eq15_is_bayes_rule_and_the_c_element_converges_to_it():
    pe_v, pe_nv, pv = 0.8, 0.3, 0.25
    assert fusion(normalised_likelihood(pe_v, pe_nv), pv).item() == pytest.approx(bayes_rule(pe_v, pe_nv, pv))
    assert switching_rate(0.5).item() == 0.5
    px, py, length = torch.tensor([0.2, 0.7, 0.9]), torch.tensor([0.6, 0.4, 0.3]), 40000
    z = c_element(bitstreams(px, length, seed=2), bitstreams(py, length, seed=3))
    err = (value(z) - fusion(px, py)).abs()
    assert (err < 4 * c_element_std(px, py, length)).all()
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        bitstreams([1.2], 10)
