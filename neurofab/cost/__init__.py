"""L2 — energy, latency and area: technology tables, circuit modules, CIM chip estimates, per-event energies.

Modules:

- :mod:`~neurofab.cost.technology` — CMOS node table 130 nm … 7 nm (NeuroSim Table 1, FinFET below 22 nm);
- :mod:`~neurofab.cost.gates`, :mod:`~neurofab.cost.circuits`, :mod:`~neurofab.cost.periphery`,
  :mod:`~neurofab.cost.sensing` — gate models and the digital and analog modules built from them (area, energy,
  leakage, delay), bit-line sensing;
- :mod:`~neurofab.cost.leakage` — DNN+NeuroSim V1.3's leakage count, block by block (``leakage_model='neurosim'``);
- :mod:`~neurofab.cost.mapping`, :mod:`~neurofab.cost.cim` — a network mapped onto compute-in-memory sub-arrays,
  PEs, tiles and a chip: area, latency, energy, TOPS/W (Lu et al. 2021);
- :mod:`~neurofab.cost.energy` — per-event energy tables with sources; a ledger priced in joules;
- :mod:`~neurofab.cost.device_energy` — the device registry's per-event energies (seed 003) as energy tables;
- :mod:`~neurofab.cost.pricing` — one call from a torch model (digital, analog, inference) to its chip price,
  cross-checked with the ledger of the same forward pass;
- :mod:`~neurofab.cost.optoelectronic` — Primavera & Shainline's optoelectronic supercomputing calculator;
- :mod:`~neurofab.cost.pwm_crossbar` — a crossbar driven by pulse-width-modulated inputs (Dazzi et al. 2021):
  energy per MVM by part (cells, column regulators, ADCs, PWM, digital processor).
"""

from neurofab.cost import (
    cim,
    circuits,
    device_energy,
    energy,
    gates,
    leakage,
    mapping,
    optoelectronic,
    periphery,
    pwm_crossbar,
    sensing,
    technology,
)
from neurofab.cost.cim import (
    CELL_PRESETS,
    CellConfig,
    ChipEstimate,
    CIMConfig,
    estimate,
    event_energies,
    ledger_energy,
    table7_config,
)
from neurofab.cost.energy import (
    ENERGY_TABLES,
    EnergyBreakdown,
    EnergyTable,
    EventEnergy,
    energy_table,
    energy_table_names,
    price_ledger,
    register_energy_table,
)
from neurofab.cost.mapping import LayerSpec, layers_from_model, measure_activity, resnet18_imagenet, vgg8_cifar10
from neurofab.cost.optoelectronic import (
    SEMICONDUCTOR,
    SUPERCONDUCTING,
    OptoelectronicPlatform,
    SemiconductorPlatform,
    SuperconductingPlatform,
    feasibility,
    make_platform,
)
from neurofab.cost.pricing import ModelPrice, chip_compute_from_ledger, price_ledger_as_simulated, price_model
from neurofab.cost.pwm_crossbar import MvmEnergy, PwmCrossbarConfig, mvm_energy
from neurofab.cost.technology import Technology

__all__ = [
    "CELL_PRESETS",
    "ENERGY_TABLES",
    "SEMICONDUCTOR",
    "SUPERCONDUCTING",
    "CIMConfig",
    "CellConfig",
    "ChipEstimate",
    "EnergyBreakdown",
    "EnergyTable",
    "EventEnergy",
    "LayerSpec",
    "ModelPrice",
    "MvmEnergy",
    "OptoelectronicPlatform",
    "PwmCrossbarConfig",
    "SemiconductorPlatform",
    "SuperconductingPlatform",
    "Technology",
    "chip_compute_from_ledger",
    "cim",
    "circuits",
    "device_energy",
    "energy",
    "energy_table",
    "energy_table_names",
    "estimate",
    "event_energies",
    "feasibility",
    "gates",
    "layers_from_model",
    "leakage",
    "ledger_energy",
    "make_platform",
    "mapping",
    "measure_activity",
    "mvm_energy",
    "optoelectronic",
    "periphery",
    "price_ledger",
    "price_ledger_as_simulated",
    "price_model",
    "pwm_crossbar",
    "register_energy_table",
    "resnet18_imagenet",
    "sensing",
    "table7_config",
    "technology",
    "vgg8_cifar10",
]
