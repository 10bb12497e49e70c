"""L1 — one synaptic element: pulse response, variability, noise, drift; physical memristor models; presets."""

from neurofab.devices.models import (
    AnyDevice,
    ConstantStep,
    ExpStep,
    IdealDevice,
    LinearStep,
    NeuroSimNonlinear,
    PiecewiseStep,
    PowStep,
    SoftBounds,
)
from neurofab.devices.pulsed import DeviceArray, PulsedDevice

__all__ = [
    "AnyDevice",
    "ConstantStep",
    "DeviceArray",
    "ExpStep",
    "IdealDevice",
    "LinearStep",
    "NeuroSimNonlinear",
    "PiecewiseStep",
    "PowStep",
    "PulsedDevice",
    "SoftBounds",
]
