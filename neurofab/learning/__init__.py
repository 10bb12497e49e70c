"""L3 — local learning rules: STDP family, BCPNN, equilibrium propagation, compound stochastic synapses."""
