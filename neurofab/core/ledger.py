"""The event ledger: simulations count what the hardware would do; ``cost/`` turns the counts into joules.

Counts are keyed by an event *kind* (``mac``, ``synop``, ``spike``, ``adc_conversion`` …) and a *precision*
tag (``"8b"``, ``"fp32"``, ``""`` when it does not apply). Code that simulates hardware calls
:func:`record`; every ledger opened with ``with Ledger() as led:`` around it receives the counts, so nested
scopes each see what ran inside them::

    with Ledger() as total:
        with Ledger() as layer1:
            record("mac", 784 * 256, "8b")
    assert total.count("mac") == layer1.count("mac")
"""

from __future__ import annotations

import contextvars
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from neurofab.core.errors import ConfigError, DataError

#: Kinds every part of neurofab agrees on; :func:`register_kind` adds more.
EVENT_KINDS: dict[str, str] = {
    "mac": "multiply-accumulate in a digital datapath",
    "ac": "accumulate (add) in a digital datapath, e.g. a spike-driven weight addition",
    "synop": "synaptic operation: one spike delivered through one synapse",
    "spike": "one spike emitted by a neuron",
    "neuron_update": "one state update of one neuron",
    "mvm": "one analog matrix-vector multiplication on a tile",
    "adc_conversion": "one analog-to-digital conversion",
    "dac_conversion": "one digital-to-analog conversion",
    "device_read": "one device (cell) read",
    "write_pulse": "one programming pulse on one device",
    "transfer": "one transfer operation between arrays (e.g. Tiki-Taka)",
    "sram_read": "one SRAM word read",
    "sram_write": "one SRAM word write",
    "dram_access": "one off-chip memory word access",
    "flop": "one floating-point operation in the digital host",
}

_ACTIVE: contextvars.ContextVar[tuple[Ledger, ...]] = contextvars.ContextVar("neurofab_ledgers", default=())


def register_kind(kind: str, description: str) -> None:
    """Add an event kind (e.g. ``"photon"``) with a one-line description."""
    if not kind.isidentifier():
        raise ConfigError(f"event kind must be an identifier, got {kind!r}")
    EVENT_KINDS.setdefault(kind, description)


def _check_kind(kind: str) -> None:
    if kind not in EVENT_KINDS:
        raise ConfigError(f"unknown event kind {kind!r}; known: {', '.join(sorted(EVENT_KINDS))}")


class Ledger:
    """Counts of hardware events by (kind, precision). Merge with ``+``/``+=``; serialize with to_dict/to_json."""

    __slots__ = ("_counts", "_token")

    def __init__(self, counts: Mapping[tuple[str, str], float] | None = None) -> None:
        self._counts: dict[tuple[str, str], float] = {}
        self._token: contextvars.Token | None = None
        for (kind, precision), n in (counts or {}).items():
            self.add(kind, n, precision)

    # ----- counting ------------------------------------------------------------------------------
    def add(self, kind: str, count: float = 1, precision: str = "") -> None:
        """Add ``count`` events of ``kind`` at ``precision`` (a tensor count is turned into a number)."""
        _check_kind(kind)
        n = count.item() if hasattr(count, "item") else count
        if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 0:
            raise ConfigError(f"ledger count for {kind!r} must be a finite number >= 0, got {n!r}")
        if n == 0:
            return
        key = (kind, str(precision))
        self._counts[key] = self._counts.get(key, 0) + n

    def count(self, kind: str, precision: str | None = None) -> float:
        """Total of ``kind`` (over every precision when ``precision`` is None)."""
        _check_kind(kind)
        return sum(n for (k, p), n in self._counts.items() if k == kind and (precision is None or p == precision))

    def kinds(self) -> list[str]:
        return sorted({k for k, _ in self._counts})

    def items(self) -> Iterable[tuple[tuple[str, str], float]]:
        return sorted(self._counts.items())

    def scaled(self, factor: float) -> Ledger:
        """A ledger with every count multiplied by ``factor`` (e.g. per inference from a batch)."""
        return Ledger({k: n * factor for k, n in self._counts.items()})

    def clear(self) -> None:
        self._counts.clear()

    # ----- algebra -------------------------------------------------------------------------------
    def merge(self, other: Ledger) -> Ledger:
        """Add every count of ``other`` into this ledger (in place) and return it."""
        for (kind, precision), n in other._counts.items():
            self.add(kind, n, precision)
        return self

    def __add__(self, other: Ledger) -> Ledger:
        return Ledger(self._counts).merge(other)

    def __iadd__(self, other: Ledger) -> Ledger:
        return self.merge(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ledger) and self._counts == other._counts

    def __repr__(self) -> str:
        body = ", ".join(f"{k}[{p}]={n:g}" if p else f"{k}={n:g}" for (k, p), n in self.items())
        return f"Ledger({body})"

    # ----- scope ---------------------------------------------------------------------------------
    def __enter__(self) -> Ledger:
        if self._token is not None:
            raise ConfigError("this ledger is already open as a scope")
        self._token = _ACTIVE.set((*_ACTIVE.get(), self))
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._token is not None
        _ACTIVE.reset(self._token)
        self._token = None

    # ----- serialization -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{kind: {precision: count}}``."""
        out: dict[str, dict[str, float]] = {}
        for (kind, precision), n in self.items():
            out.setdefault(kind, {})[precision] = n
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float]]) -> Ledger:
        try:
            return cls({(k, p): n for k, by_p in data.items() for p, n in by_p.items()})
        except (AttributeError, TypeError) as err:
            raise DataError(f"ledger data must be {{kind: {{precision: count}}}}: {err}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Ledger:
        return cls.from_dict(json.loads(text))


def record(kind: str, count: float = 1, precision: str = "") -> None:
    """Count events into every open ledger scope (a no-op, after the kind check, when none is open)."""
    ledgers = _ACTIVE.get()
    if not ledgers:
        _check_kind(kind)
        return
    for led in ledgers:
        led.add(kind, count, precision)


def recording() -> bool:
    """True when a ledger scope is open (lets hot paths skip computing counts nobody reads)."""
    return bool(_ACTIVE.get())
