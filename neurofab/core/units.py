"""Unit strings at the edges: ``"20 ms"``, ``"1 nF"``, ``"5 kHz"`` → SI floats, checked against a field's unit.

Config fields hold SI floats and name their unit in brackets at the end of their description (``"membrane time
constant [s]"``). Where that unit is one of :data:`SI_UNITS`, a string with a value, an optional SI prefix and a
unit of the same dimension is accepted and converted: ``LIFConfig(tau_m="20 ms")`` is ``tau_m=0.02``. A string
of another dimension (``"20 mV"`` for a time) is an error that names both units.
"""

from __future__ import annotations

import re

#: the SI units a field may declare, with the spellings a string may use for them
SI_UNITS: dict[str, tuple[str, ...]] = {
    "s": ("s",), "V": ("V",), "A": ("A",), "F": ("F",), "S": ("S",), "Ω": ("Ω", "Ohm", "ohm"), "Hz": ("Hz",),
    "m": ("m",), "J": ("J",), "W": ("W",), "K": ("K",),
}
PREFIXES = {"T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "μ": 1e-6,
            "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18}
_SPELLINGS = sorted(((s, unit) for unit, spellings in SI_UNITS.items() for s in spellings), key=lambda t: -len(t[0]))
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")
_FIELD_UNIT = re.compile(r"\[([^\]]+)\]\s*(?:\([^)]*\))?\s*$")


def field_unit(description: str | None) -> str | None:
    """The SI unit a field's description declares at its end (``[s]``), or None."""
    m = _FIELD_UNIT.search(description or "")
    return m.group(1).strip() if m and m.group(1).strip() in SI_UNITS else None


def parse_quantity(text: str) -> tuple[float, str]:
    """``"20 ms"`` → (0.02, "s"); raises ValueError when the string is not a number with a known unit."""
    m = _NUMBER.match(text)
    if not m or not m.group(2):
        raise ValueError(f"{text!r} is not a number with a unit (e.g. '20 ms', '1 nF', '5 kHz')")
    value, symbol = float(m.group(1)), m.group(2)
    for spelling, unit in _SPELLINGS:
        if symbol.endswith(spelling) and symbol[: -len(spelling)] in PREFIXES:
            return value * PREFIXES[symbol[: -len(spelling)]], unit
    raise ValueError(f"{text!r}: unknown unit {symbol!r} (known: {', '.join(SI_UNITS)} with SI prefixes)")


def to_si(text: str, unit: str) -> float:
    """The SI value of ``text`` in ``unit``; raises ValueError naming both units when the dimensions differ."""
    value, got = parse_quantity(text)
    if got != unit:
        raise ValueError(f"{text!r} is in {got}, the field is in {unit}")
    return value
