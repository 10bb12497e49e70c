"""L1 — one synaptic element: pulse response, variability, noise, drift; physical memristor models; presets."""
