"""The configuration base: frozen pydantic models that validate on construction and round-trip to TOML/JSON.

Every run can be written down and repeated::

    cfg = MyConfig(rows=256)
    cfg.dump("run.toml")
    assert MyConfig.load("run.toml") == cfg

A bad value raises :class:`~neurofab.core.errors.ConfigError` naming the class, the field, the value given
and the rule it broke (e.g. ``TileConfig.rows = -1: must be > 0``).
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, Self, get_args

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from neurofab.core.errors import ConfigError, DataNotFoundError
from neurofab.core.io import atomic_write_text
from neurofab.core.units import field_unit, to_si

_RULES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "finite_number": "must be a finite number",
    "extra_forbidden": "is not a field of this config",
    "missing": "is required",
}


def format_validation_error(cls_name: str, err: ValidationError, fields: dict[str, Any] | None = None) -> str:
    """One line per problem: ``Class.field = value: rule``, the rule followed by the field's SI unit
    (``[s]``) where ``fields`` (the model's ``model_fields``) declares one."""
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(model)"
        template = _RULES.get(e["type"])
        ctx = e.get("ctx") or {}
        rule = template.format(**ctx) if template else e["msg"]
        if e["type"] == "value_error" and not e["loc"]:  # a model validator's own message names its fields
            msg = str(ctx.get("error", e["msg"])).removeprefix("Value error, ")
            lines.append(msg if msg.startswith(f"{cls_name}.") else f"{cls_name}: {msg}")
        elif e["type"] == "missing":
            lines.append(f"{cls_name}.{field}: {rule}")
        else:
            info = (fields or {}).get(str(e["loc"][0])) if e["loc"] else None
            unit = field_unit(info.description) if info is not None else None
            suffix = f" [{unit}]" if unit and e["type"] in _BOUNDS else ""
            lines.append(f"{cls_name}.{field} = {e.get('input')!r}: {rule}{suffix}")
    return "; ".join(lines)


_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
NONE_KEY = "__none__"  #: TOML has no null: a table lists its None-valued fields under this key


def _encode_none(obj: Any) -> Any:
    """Drop None values for TOML, listing their names under ``__none__`` so they come back as None, not defaults."""
    if isinstance(obj, dict):
        out = {k: _encode_none(v) for k, v in obj.items() if v is not None}
        nones = [k for k, v in obj.items() if v is None]
        if nones:
            out[NONE_KEY] = nones
        return out
    if isinstance(obj, list):
        if any(v is None for v in obj):
            raise ConfigError("a list holding None cannot be written as TOML; write JSON instead")
        return [_encode_none(v) for v in obj]
    return obj


def _decode_none(obj: Any) -> Any:
    """Inverse of :func:`_encode_none`."""
    if isinstance(obj, dict):
        out = {k: _decode_none(v) for k, v in obj.items() if k != NONE_KEY}
        nones = obj.get(NONE_KEY, [])
        if not isinstance(nones, list) or not all(isinstance(k, str) for k in nones):
            raise ConfigError(f"{NONE_KEY} must list field names, got {nones!r}")
        for k in nones:
            if k in out:
                raise ConfigError(f"field {k!r} is both given and listed under {NONE_KEY}")
            out[k] = None
        return out
    if isinstance(obj, list):
        return [_decode_none(v) for v in obj]
    return obj


def _allows_str(annotation: Any) -> bool:
    """Whether a field's type admits a plain string (then a unit string is left as it is)."""
    if annotation is str or annotation is Any:
        return True
    return any(_allows_str(a) for a in get_args(annotation))


def _allows_bool(annotation: Any) -> bool:
    """Whether a field's type admits a bool (bool itself, Any, or a union/container holding one)."""
    if annotation is bool or annotation is Any:
        return True
    return any(_allows_bool(a) for a in get_args(annotation))


class Config(BaseModel):
    """Base of every neurofab configuration: frozen, no unknown fields, finite floats, SI units.

    Subclasses declare fields with ``pydantic.Field`` bounds (``gt``, ``ge``, ``le``, …) and add cross-field
    checks with ``model_validator``; raise ``ValueError`` inside a validator and the message is kept.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise ConfigError(format_validation_error(type(self).__name__, err, type(self).model_fields)) from None

    @model_validator(mode="before")
    @classmethod
    def _numbers_at_the_edge(cls, data: Any) -> Any:
        """``True`` is not 1: a bool is accepted only where the field's type admits a bool. A unit string
        (``"20 ms"``) is converted to SI where the field declares an SI unit (:mod:`neurofab.core.units`)."""
        if not isinstance(data, dict):
            return data
        converted = None
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None:
                continue
            if isinstance(value, bool) and not _allows_bool(field.annotation):
                raise ValueError(f"{cls.__name__}.{name} = {value!r}: must be a number, not a bool")
            unit = field_unit(field.description) if isinstance(value, str) else None
            if unit is not None and not _allows_str(field.annotation):
                try:
                    si = to_si(value, unit)
                except ValueError as err:
                    raise ValueError(f"{cls.__name__}.{name} = {value!r}: {err}") from None
                converted = {**(converted or data), name: si}
        return data if converted is None else converted

    def __setattr__(self, name: str, value: Any) -> None:
        raise ConfigError(f"{type(self).__name__}.{name}: configs are frozen; use .replace({name}=...) for a "
                          "changed copy")

    def __delattr__(self, name: str) -> None:
        raise ConfigError(f"{type(self).__name__}.{name}: configs are frozen")

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied, validated like a new config."""
        return type(self)(**{**self.model_dump(), **changes})

    # ----- serialization -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible values."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        if not isinstance(data, dict):
            raise ConfigError(f"{cls.__name__}: expected a table of fields, got {type(data).__name__}")
        return cls(**data)

    @classmethod
    def _from_file_dict(cls, data: Any) -> Self:
        return cls.from_dict(_decode_none(data) if isinstance(data, dict) else data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_toml(self) -> str:
        return tomli_w.dumps(_encode_none(self.to_dict()))

    @classmethod
    def from_json(cls, text: str) -> Self:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{cls.__name__}: not valid JSON ({err})") from None

    @classmethod
    def from_toml(cls, text: str) -> Self:
        try:
            return cls._from_file_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{cls.__name__}: not valid TOML ({err})") from None

    def dump(self, path: str | Path) -> Path:
        """Write to ``path`` (``.toml`` or ``.json``, chosen by the suffix), atomically."""
        path = Path(path)
        if path.suffix == ".toml":
            return atomic_write_text(path, self.to_toml())
        if path.suffix == ".json":
            return atomic_write_text(path, self.to_json() + "\n")
        raise ConfigError(f"config file {path}: suffix must be .toml or .json, got {path.suffix!r}")

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a config written by :meth:`dump` (or by hand)."""
        path = Path(path)
        if not path.is_file():
            raise DataNotFoundError(f"config file {path} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise ConfigError(f"config file {path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        if path.suffix == ".toml":
            return cls.from_toml(text)
        if path.suffix == ".json":
            return cls.from_json(text)
        raise ConfigError(f"config file {path}: suffix must be .toml or .json, got {path.suffix!r}")


def check_finite(name: str, value: float) -> float:
    """Raise ConfigError unless ``value`` is a finite float."""
    if not math.isfinite(value):
        raise ConfigError(f"{name} = {value!r}: must be a finite number")
    return value
