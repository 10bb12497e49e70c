"""L3 — local learning rules: STDP family, BCPNN, equilibrium propagation, compound stochastic synapses."""

from neurofab.learning.device_stdp import DeviceSTDPConfig, conductance, device_stdp_update, pcm_stdp
from neurofab.learning.stdp import STDPConfig, STDPState, stdp_update
from neurofab.learning.stochastic_stdp import (
    LFSR,
    LFSR_TAPS,
    StochasticSTDPConfig,
    StochasticSTDPState,
    history_step,
    stochastic_stdp_update,
)

__all__ = [
    "LFSR",
    "LFSR_TAPS",
    "DeviceSTDPConfig",
    "STDPConfig",
    "STDPState",
    "StochasticSTDPConfig",
    "StochasticSTDPState",
    "conductance",
    "device_stdp_update",
    "history_step",
    "pcm_stdp",
    "stdp_update",
    "stochastic_stdp_update",
]
