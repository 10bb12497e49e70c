"""L3 — hardware for Bayesian-network inference: samplers, p-bits, stochastic computing, crossbar naive Bayes."""
