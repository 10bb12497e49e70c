"""L3 — spiking neurons, encoders, network simulation, surrogate-gradient layers, ANN→SNN conversion, NIR."""
