"""L1 — one synaptic element: pulse response, variability, noise, drift; physical memristor models; presets."""

from neurofab.devices.any import AnyDevice
from neurofab.devices.integrate import Trajectory, simulate
from neurofab.devices.memristors import VTEAM, RRAMGap, Window
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
from neurofab.devices.pulse_response import ConductanceCurve, conductance_curve, to_pulsed_device
from neurofab.devices.pulsed import DeviceArray, PulsedDevice
from neurofab.devices.reference import ReferenceDevice, soft_bounds_pmax
from neurofab.devices.waveforms import PulseTrain, SineSweep

__all__ = [
    "VTEAM",
    "AnyDevice",
    "ConductanceCurve",
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
    "PulseTrain",
    "PulsedDevice",
    "RRAMGap",
    "ReferenceDevice",
    "SineSweep",
    "SoftBounds",
    "Trajectory",
    "Window",
    "conductance_curve",
    "device_presets",
    "simulate",
    "soft_bounds_pmax",
    "to_pulsed_device",
]
