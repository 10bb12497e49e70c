"""``AnyDevice``: the tagged union of every device config, for fields that accept any device."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

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
from neurofab.devices.pair import OneSidedPair
from neurofab.devices.reference import ReferenceDevice

__all__ = ["AnyDevice"]

AnyDevice = Annotated[
    ConstantStep
    | IdealDevice
    | LinearStep
    | SoftBounds
    | ExpStep
    | PowStep
    | PiecewiseStep
    | NeuroSimNonlinear
    | OneSidedPair
    | ReferenceDevice,
    Field(discriminator="kind"),
]
"""Any device config; its ``kind`` field tells which, so configs round-trip through TOML/JSON."""
