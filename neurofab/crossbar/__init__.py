"""L2 — arrays of devices with their periphery: mapping, DAC/ADC, noise, bounds, IR drop, MVM, pulsed update."""

from neurofab.crossbar.io import IOConfig, analog_mvm, check_input, quantize
from neurofab.crossbar.mapping import (
    ConductanceMapping,
    conductances_to_weights,
    scale_weights,
    weights_to_conductances,
)
from neurofab.crossbar.tile import AnalogTile, TileConfig, UpdateRule
from neurofab.crossbar.tiling import TileArray, split_sizes
from neurofab.crossbar.update import UpdateConfig, expected_coincidences, pulse_train_parameters, stochastic_update

__all__ = [
    "AnalogTile",
    "ConductanceMapping",
    "IOConfig",
    "TileArray",
    "TileConfig",
    "UpdateConfig",
    "UpdateRule",
    "analog_mvm",
    "check_input",
    "conductances_to_weights",
    "expected_coincidences",
    "pulse_train_parameters",
    "quantize",
    "scale_weights",
    "split_sizes",
    "stochastic_update",
    "weights_to_conductances",
]
