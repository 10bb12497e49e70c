"""Every public config class, an example instance of each, and hypothesis strategies drawn from field definitions."""

from __future__ import annotations

import importlib
import math
import pkgutil
import types
import typing
from typing import Any, Literal

import annotated_types as at
from hypothesis import strategies as st

import neurofab
from neurofab.core import Config


def all_config_classes() -> list[type[Config]]:
    """Every concrete Config subclass defined in the package (all modules imported)."""
    for info in pkgutil.walk_packages(neurofab.__path__, "neurofab."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)

    def subclasses(cls: type) -> typing.Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {c for c in subclasses(Config) if c.__module__.startswith("neurofab.")
             and not getattr(c, "__abstractmethods__", None)}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def examples() -> dict[str, Any]:
    """Valid instances of the configs that have required fields (built from the package's own presets)."""
    from neurofab.cost import CELL_PRESETS, CIMConfig
    from neurofab.cost.energy import EnergyTable, EventEnergy
    from neurofab.cost.technology import technology
    from neurofab.crossbar.ir_drop import IRDropConfig
    from neurofab.crossbar.noise_models import RRAMRetentionNoiseModel
    from neurofab.sweep import SweepSpec

    out: dict[str, Any] = {
        "CIMConfig": CIMConfig(cell=CELL_PRESETS["rram_wu2018"]),
        "CellConfig": CELL_PRESETS["rram_wu2018"],
        "EventEnergy": EventEnergy(kind="mvm", energy=1e-12, source="a test"),
        "Technology": technology(22),
        "IRDropConfig": IRDropConfig(r_wire=1.0),
        "SweepSpec": SweepSpec(target="math:sqrt"),
    }
    out["EnergyTable"] = EnergyTable(name="t", entries=[out["EventEnergy"]])
    from neurofab.devices.waveforms import PulseTrain, SineSweep

    out["PulseTrain"] = PulseTrain(amplitudes=[1.0, -1.0], width=1e-6)
    out["SineSweep"] = SineSweep(amplitude=1.0, frequency=1e3)
    from neurofab.systems.ubrain import UBrainLayer

    out["UBrainLayer"] = UBrainLayer(n_in=256, n_out=64)
    from neurofab.spiking.layers import leaky

    out["SteppedLIFConfig"] = leaky(0.9, 1e-4)
    out["SnnTorchLIFConfig"] = leaky(0.9, 1e-4, snntorch_compat=True)
    from neurofab.systems.imc_pipeline import resnet32
    from neurofab.systems.moneta_performance import moneta_convsnn

    out["CnnSpec"] = resnet32()
    out["ConvLayerSpec"] = out["CnnSpec"].layers[0]
    out["MonetaNetwork"] = moneta_convsnn()
    out["SnnConvLayer"] = out["MonetaNetwork"].layers[0]
    out["RRAMRetentionNoiseModel"] = RRAMRetentionNoiseModel(nu_mean=0.01, nu_std=0.001, t_0=1.0)
    from neurofab.analog.presets import get as analog_preset

    out["AnalogPreset"] = analog_preset("pcm_inference")
    return out


def _bounds(metadata: list[Any]) -> tuple[float, float, bool, bool]:
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for m in metadata:
        if isinstance(m, at.Gt):
            lo, lo_open = float(m.gt), True
        elif isinstance(m, at.Ge):
            lo, lo_open = float(m.ge), False
        elif isinstance(m, at.Lt):
            hi, hi_open = float(m.lt), True
        elif isinstance(m, at.Le):
            hi, hi_open = float(m.le), False
    return lo, hi, lo_open, hi_open


def scalar_kind(annotation: Any) -> str | None:
    """'int', 'float', 'bool' or 'literal' for a plain scalar field (Optional allowed), else None."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return scalar_kind(rest[0]) if len(rest) == 1 else None
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if typing.get_origin(annotation) is Literal:
        return "literal"
    return None


def numeric_fields(cls: type[Config]) -> dict[str, tuple[str, tuple[float, float, bool, bool]]]:
    out = {}
    for name, field in cls.model_fields.items():
        kind = scalar_kind(field.annotation)
        if kind in ("int", "float"):
            out[name] = (kind, _bounds(field.metadata))
    return out


def valid_value(kind: str, bounds: tuple[float, float, bool, bool], default: Any) -> st.SearchStrategy:
    """Values the field definition admits, around the default's scale (cross-field checks may still refuse)."""
    lo, hi, lo_open, hi_open = bounds
    scale = abs(float(default)) if isinstance(default, int | float) and default else 1.0
    lo_eff = max(lo, -1e3 * scale) if math.isfinite(lo) else -1e3 * scale
    hi_eff = min(hi, 1e3 * scale) if math.isfinite(hi) else 1e3 * scale
    if kind == "int":
        a = math.floor(lo_eff) + (1 if lo_open and lo_eff == lo and float(lo).is_integer() else 0)
        b = math.ceil(hi_eff) - (1 if hi_open and hi_eff == hi and float(hi).is_integer() else 0)
        a, b = math.ceil(max(a, lo_eff)), math.floor(min(b, hi_eff))
        return st.integers(min_value=int(a), max_value=int(max(a, b)))
    return st.floats(min_value=lo_eff, max_value=hi_eff, exclude_min=lo_open and lo_eff == lo,
                     exclude_max=hi_open and hi_eff == hi, allow_nan=False, allow_infinity=False)


def invalid_values(kind: str, bounds: tuple[float, float, bool, bool]) -> list[Any]:
    """Values the field definition refuses: beyond each bound, NaN, inf, a bool, a string."""
    lo, hi, lo_open, hi_open = bounds
    bad: list[Any] = [True, "12 parsecs"]
    if kind == "float":
        bad += [math.nan, math.inf]
    if math.isfinite(lo):
        bad.append(lo if lo_open else lo - (1 if kind == "int" else max(1e-6, abs(lo) * 1e-3)))
    if math.isfinite(hi):
        bad.append(hi if hi_open else hi + (1 if kind == "int" else max(1e-6, abs(hi) * 1e-3)))
    if kind == "int":
        bad.append(1.5)
    return bad
