"""L2 — energy, latency and area: technology tables, circuit modules, CIM chip estimates, per-event energies.

Modules: :mod:`~neurofab.cost.optoelectronic` (Primavera & Shainline's optoelectronic calculator).
"""

from neurofab.cost import optoelectronic
from neurofab.cost.optoelectronic import (
    SEMICONDUCTOR,
    SUPERCONDUCTING,
    OptoelectronicPlatform,
    SemiconductorPlatform,
    SuperconductingPlatform,
    feasibility,
    make_platform,
)

__all__ = [
    "SEMICONDUCTOR",
    "SUPERCONDUCTING",
    "OptoelectronicPlatform",
    "SemiconductorPlatform",
    "SuperconductingPlatform",
    "feasibility",
    "make_platform",
    "optoelectronic",
]
