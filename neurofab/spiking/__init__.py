"""L3 — spiking neurons, encoders, network simulation, surrogate-gradient layers, ANN→SNN conversion, NIR."""

from neurofab.spiking.neurons import (
    CUBA_LIF,
    IFConfig,
    LIFConfig,
    LIFState,
    Propagators,
    SynapticInput,
    heaviside,
    if_step,
    init_state,
    lif_step,
    propagators,
    step,
)

__all__ = [
    "CUBA_LIF",
    "IFConfig",
    "LIFConfig",
    "LIFState",
    "Propagators",
    "SynapticInput",
    "heaviside",
    "if_step",
    "init_state",
    "lif_step",
    "propagators",
    "step",
]
