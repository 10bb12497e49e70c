"""L3 — torch layers on analog tiles, analog optimizers, inference over time, hardware-aware training."""

from neurofab.analog.convert import convert_to_analog
from neurofab.analog.layers import AnalogConv2d, AnalogLayer, AnalogLinear
from neurofab.analog.optim import AnalogSGD, analog_layer_of

__all__ = ["AnalogConv2d", "AnalogLayer", "AnalogLinear", "AnalogSGD", "analog_layer_of", "convert_to_analog"]
