"""L3 — hardware for Bayesian-network inference: samplers, p-bits, stochastic computing, crossbar naive Bayes.

One network core (:mod:`~neurofab.bayes.network`, BIF files in :mod:`~neurofab.bayes.bif`, exact inference in
:mod:`~neurofab.bayes.exact`) and one simulator per hardware style of Bagheriye & Kwisthout's review
(seed 001 l. 4349–5045), each counting its events in the ledger.
"""

from neurofab.bayes.bif import format_bif, load_network, network_names, parse_bif, read_bif, write_bif
from neurofab.bayes.exact import enumerate_query, variable_elimination
from neurofab.bayes.network import BayesNet, Node, node
from neurofab.bayes.pbits import CompiledNetwork, PBitNetwork, colour_classes, compile_network
from neurofab.bayes.sampling import (
    Samples,
    forward_sample,
    gibbs,
    likelihood_weighting,
    metropolis_hastings,
)

__all__ = [
    "BayesNet",
    "CompiledNetwork",
    "Node",
    "PBitNetwork",
    "Samples",
    "colour_classes",
    "compile_network",
    "enumerate_query",
    "format_bif",
    "forward_sample",
    "gibbs",
    "likelihood_weighting",
    "load_network",
    "metropolis_hastings",
    "network_names",
    "node",
    "parse_bif",
    "read_bif",
    "variable_elimination",
    "write_bif",
]
