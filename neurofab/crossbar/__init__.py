"""L2 — arrays of devices with their periphery: mapping, DAC/ADC, noise, bounds, IR drop, MVM, pulsed update."""

from neurofab.crossbar.io import IOConfig, analog_mvm, check_input, quantize
from neurofab.crossbar.mapping import (
    ConductanceMapping,
    conductances_to_weights,
    scale_weights,
    weights_to_conductances,
)

__all__ = [
    "ConductanceMapping",
    "IOConfig",
    "analog_mvm",
    "check_input",
    "conductances_to_weights",
    "quantize",
    "scale_weights",
    "weights_to_conductances",
]
