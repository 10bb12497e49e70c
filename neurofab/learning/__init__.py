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
    "BCPNNConfig",
    "BCPNNHypercolumns",
    "BCPNNState",
    "DeviceSTDPConfig",
    "MemristorCell",
    "STDPConfig",
    "STDPState",
    "StochasticSTDPConfig",
    "StochasticSTDPState",
    "bcpnn_continuous",
    "bcpnn_init",
    "bcpnn_reference_step",
    "bcpnn_weights",
    "conductance",
    "device_stdp_update",
    "history_step",
    "pcm_stdp",
    "stdp_update",
    "stochastic_stdp_update",
]
