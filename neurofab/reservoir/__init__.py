"""L3 — physical reservoirs (spin-torque oscillator, echo-state network, volatile memristors) behind one
``Reservoir`` interface with shared readouts and tasks, and chip-in-the-loop training on mismatched substrates."""

from neurofab.reservoir.base import Reservoir
from neurofab.reservoir.chip import ChipActivity, ChipConfig, MismatchedChip, SpikingMismatchedChip, quantise
from neurofab.reservoir.esn import EchoStateConfig, EchoStateNetwork
from neurofab.reservoir.in_the_loop import (
    LoopHistory,
    RateNetwork,
    chip_accuracy,
    coarsen,
    loop_gradients,
    train_in_the_loop,
    train_software,
)
from neurofab.reservoir.memristor import MemristorReservoir, MemristorReservoirConfig
from neurofab.reservoir.oscillator import OscillatorReservoir, OscillatorReservoirConfig
from neurofab.reservoir.readout import OnlineReadout, RidgeReadout, nrmse
from neurofab.reservoir.stno import STNOConfig, integrate_power
from neurofab.reservoir.tasks import (
    memory_capacity,
    narma10,
    narma10_nrmse,
    sine_square,
    sine_square_error,
    spoken_digit_accuracy,
    spoken_digits,
)

__all__ = [
    "ChipActivity",
    "ChipConfig",
    "EchoStateConfig",
    "EchoStateNetwork",
    "LoopHistory",
    "MemristorReservoir",
    "MemristorReservoirConfig",
    "MismatchedChip",
    "OnlineReadout",
    "OscillatorReservoir",
    "OscillatorReservoirConfig",
    "RateNetwork",
    "Reservoir",
    "RidgeReadout",
    "STNOConfig",
    "SpikingMismatchedChip",
    "chip_accuracy",
    "coarsen",
    "integrate_power",
    "loop_gradients",
    "memory_capacity",
    "narma10",
    "narma10_nrmse",
    "nrmse",
    "quantise",
    "sine_square",
    "sine_square_error",
    "spoken_digit_accuracy",
    "spoken_digits",
    "train_in_the_loop",
    "train_software",
]
