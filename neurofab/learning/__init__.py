"""L3 — local learning rules: STDP family, BCPNN, equilibrium propagation, compound stochastic synapses."""

from neurofab.learning.bcpnn import (
    BCPNNConfig,
    BCPNNHypercolumns,
    BCPNNState,
    MemristorCell,
    bcpnn_continuous,
    bcpnn_init,
    bcpnn_reference_step,
    bcpnn_weights,
)

__all__ = [
    "BCPNNConfig",
    "BCPNNHypercolumns",
    "BCPNNState",
    "MemristorCell",
    "bcpnn_continuous",
    "bcpnn_init",
    "bcpnn_reference_step",
    "bcpnn_weights",
]
