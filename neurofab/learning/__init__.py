"""L3 — local learning rules: STDP family, BCPNN, equilibrium propagation, compound stochastic synapses."""

from neurofab.learning.stdp import STDPConfig, STDPState, stdp_update

__all__ = ["STDPConfig", "STDPState", "stdp_update"]
