"""L1 — one synaptic element: pulse response, variability, noise, drift; physical memristor models; presets."""

from neurofab.devices.any import AnyDevice
from neurofab.devices.models import (
    ConstantStep,
    ExpStep,
    IdealDevice,
    LinearStep,
    NeuroSimNonlinear,
    PiecewiseStep,
    PowStep,
    SoftBounds,
)
from neurofab.devices.pair import OneSidedPair, PairArray
from neurofab.devices.presets import device_presets
from neurofab.devices.pulsed import DeviceArray, PulsedDevice

__all__ = [
    "AnyDevice",
    "ConstantStep",
    "DeviceArray",
    "ExpStep",
    "IdealDevice",
    "LinearStep",
    "NeuroSimNonlinear",
    "OneSidedPair",
    "PairArray",
    "PiecewiseStep",
    "PowStep",
    "PulsedDevice",
    "SoftBounds",
    "device_presets",
]
