"""Per-event energies: named tables of joules per ledger event, and a ledger turned into joules.

A table maps an event ``(kind, precision)`` of the :class:`~neurofab.core.Ledger` to the energy of one such event
on one kind of hardware, each entry with the source it comes from. :func:`price_ledger` multiplies every count of a
ledger by its entry and returns the total with a per-kind breakdown:

    E = Σ_(kind, precision) N(kind, precision) · e(kind, precision)        [J]

Lookup of ``(kind, precision)``: the entry with exactly that (normalized) precision if the table has one, else the
table's precision-independent entry for the kind (precision ``""``). Precision tags are normalized so that
``"8b"``, ``"int8"`` and ``"8-bit"`` name the same thing, as do ``"fp32"``, ``"float32"`` and ``"f32"``.
A ledger event the table does not cover raises :class:`UnknownNameError` unless it is explicitly ignored.

Registered tables (``energy_table_names()``):

- ``horowitz45nm`` — 45 nm CMOS at 0.9 V arithmetic and memory access energies [ext: M. Horowitz, "Computing's
  energy problem (and what we can do about it)", ISSCC 2014, Fig. 1.1.9]. A synaptic operation on a digital
  datapath is one accumulate, so ``synop`` at a precision costs that precision's add.
- ``loihi`` — 23.6 pJ per synaptic event (seed 003, Liu et al. 2020 review, l. 54; ⚠ its §4.1, l. 155, says 24 pJ).
- ``truenorth`` — 26 pJ per synaptic event (seed 003 l. 54 and seed 001 l. 2330 table; ⚠ seed 003 §4.1, l. 155,
  says 45 pJ, the figure of the 2011 45 nm core of Merolla et al. cited at seed 001 l. 967).
- ``ubrain`` — 26 pJ per spike, communication, accumulation and synaptic read included (seed 001 l. 861).
- ``always_on`` — 1.5 pJ per synaptic operation (Chundi et al. 2021, seed 001 l. 2330).
- ``chen18`` — 3.8 pJ per synaptic operation, 10 nm FinFET (seed 001 l. 929 and l. 2330).
- ``neurogrid`` — 941 pJ per synaptic event (seed 003 l. 328).
- ``review_rram``, ``review_nvm``, ``review_pcm``, ``review_biological`` — the device registry's per-event energies
  (seed 003), built and registered by :mod:`neurofab.cost.device_energy`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pydantic import Field, model_validator

from neurofab.core import EVENT_KINDS, Config, InputTypeError, Ledger, Registry, UnknownNameError

PJ = 1e-12  #: one picojoule [J]

_INT_RE = re.compile(r"^(?:u?int|i|u)?(\d+)(?:b|-?bits?)?$")
_FLOAT_RE = re.compile(r"^(?:fp|float|f)(\d+)$")


def normalize_precision(precision: str) -> str:
    """The canonical precision tag: ``"8b"``/``"int8"``/``"8-bit"`` → ``"int8"``; ``"float32"``/``"f32"`` → ``"fp32"``.

    ``"half"``/``"single"``/``"double"`` → ``"fp16"``/``"fp32"``/``"fp64"``; ``""`` (no precision) stays ``""``;
    any other tag (``"bf16"``, ``"analog"``) is returned lower-cased and stripped.
    """
    if not isinstance(precision, str):
        raise InputTypeError(f"precision must be a string such as 'int8' or 'fp32', got {type(precision).__name__}")
    p = precision.strip().lower()
    named = {"half": "fp16", "single": "fp32", "double": "fp64", "float": "fp32", "binary": "int1"}
    if p in named:
        return named[p]
    if m := _FLOAT_RE.match(p):
        return f"fp{int(m.group(1))}"
    if m := _INT_RE.match(p):
        return f"int{int(m.group(1))}"
    return p


class EventEnergy(Config):
    """The energy of one ledger event of ``kind`` at ``precision`` on one kind of hardware."""

    kind: str = Field(..., description="ledger event kind, e.g. 'synop', 'mac' (see neurofab.core.EVENT_KINDS)")
    precision: str = Field("", description="precision tag ('int8', 'fp32'); '' applies to every precision")
    energy: float = Field(..., gt=0.0, description="energy of one event [J]")
    source: str = Field(..., min_length=1, description="where the figure comes from (paper, table, seed line)")
    note: str = Field("", description="what the figure includes or assumes")

    @model_validator(mode="after")
    def _known_kind(self) -> EventEnergy:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind {self.kind!r} is not a ledger event kind; known: {', '.join(sorted(EVENT_KINDS))}")
        if normalize_precision(self.precision) != self.precision:
            raise ValueError(f"precision {self.precision!r} is not canonical; write "
                             f"{normalize_precision(self.precision)!r}")
        return self


class EnergyTable(Config):
    """A named set of per-event energies (one entry per ``(kind, precision)``)."""

    name: str = Field(..., min_length=1, description="table name")
    description: str = Field("", description="the hardware the table describes")
    entries: tuple[EventEnergy, ...] = Field(..., min_length=1, description="per-event energies")

    @model_validator(mode="after")
    def _unique(self) -> EnergyTable:
        seen: set[tuple[str, str]] = set()
        for e in self.entries:
            key = (e.kind, e.precision)
            if key in seen:
                raise ValueError(f"entry {key} appears twice")
            seen.add(key)
        return self

    def lookup(self, kind: str, precision: str = "") -> EventEnergy | None:
        """The entry used for ``(kind, precision)``: the exact precision, else the precision-independent one."""
        p = normalize_precision(precision)
        by_key = {(e.kind, e.precision): e for e in self.entries}
        return by_key.get((kind, p)) or by_key.get((kind, ""))

    def energy(self, kind: str, precision: str = "") -> float:
        """Joules of one ``(kind, precision)`` event; raises :class:`UnknownNameError` when not covered."""
        entry = self.lookup(kind, precision)
        if entry is None:
            raise UnknownNameError(f"energy table {self.name!r} has no energy for event kind {kind!r} at precision "
                                   f"{precision!r}; it covers {self.covered()}")
        return entry.energy

    def covered(self) -> str:
        """The entries as ``kind[precision]`` text, for messages."""
        return ", ".join(f"{e.kind}[{e.precision}]" if e.precision else e.kind for e in self.entries)


@dataclass(frozen=True)
class EnergyBreakdown:
    """A ledger's energy under one table: total, per kind and per (kind, precision), plus what was ignored."""

    table: str
    total: float  #: [J]
    by_kind: dict[str, float] = field(default_factory=dict)  #: [J] per event kind
    by_event: dict[tuple[str, str], float] = field(default_factory=dict)  #: [J] per (kind, precision)
    ignored: dict[tuple[str, str], float] = field(default_factory=dict)  #: counts the table did not cover

    def to_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "total_J": self.total,
            "by_kind_J": dict(self.by_kind),
            "by_event_J": {f"{k}[{p}]" if p else k: v for (k, p), v in self.by_event.items()},
            "ignored_counts": {f"{k}[{p}]" if p else k: v for (k, p), v in self.ignored.items()},
        }


ENERGY_TABLES: Registry[EnergyTable] = Registry("energy table")


def energy_table(name: str) -> EnergyTable:
    """The registered table ``name`` (see :func:`energy_table_names`)."""
    return ENERGY_TABLES.create(name)


def energy_table_names() -> list[str]:
    return ENERGY_TABLES.names()


def register_energy_table(table: EnergyTable, description: str = "") -> None:
    """Add a table to the registry under ``table.name``."""
    ENERGY_TABLES.add(table.name, lambda: table, description or table.description)


def price_ledger(ledger: Ledger, table: str | EnergyTable,
                  ignore_unknown: bool | Collection[str] = False) -> EnergyBreakdown:
    """Joules of every event in ``ledger`` priced by ``table`` (a name or an :class:`EnergyTable`).

    ``ignore_unknown``: ``False`` (default) raises :class:`UnknownNameError` for an event the table does not cover;
    ``True`` skips every such event; a collection of kinds skips only those kinds. Skipped counts are reported in
    :attr:`EnergyBreakdown.ignored`.
    """
    if not isinstance(ledger, Ledger):
        raise InputTypeError(f"ledger must be a neurofab.core.Ledger, got {type(ledger).__name__}")
    if isinstance(table, str):
        table = energy_table(table)
    elif not isinstance(table, EnergyTable):
        raise InputTypeError(f"table must be a table name or an EnergyTable, got {type(table).__name__}")
    if isinstance(ignore_unknown, str) or not isinstance(ignore_unknown, bool | Collection):
        raise InputTypeError("ignore_unknown must be True, False or a collection of event kinds, "
                             f"got {ignore_unknown!r}")
    skip_kinds = set(ignore_unknown) if not isinstance(ignore_unknown, bool) else set()
    for kind in skip_kinds:
        if kind not in EVENT_KINDS:
            raise UnknownNameError(f"ignore_unknown names {kind!r}, which is not a ledger event kind; "
                                   f"known: {', '.join(sorted(EVENT_KINDS))}")
    by_kind: dict[str, float] = {}
    by_event: dict[tuple[str, str], float] = {}
    ignored: dict[tuple[str, str], float] = {}
    for (kind, precision), count in ledger.items():
        entry = table.lookup(kind, precision)
        if entry is None:
            if ignore_unknown is True or kind in skip_kinds:
                ignored[(kind, precision)] = count
                continue
            raise UnknownNameError(
                f"energy table {table.name!r} has no energy for {count:g} ledger event(s) of kind {kind!r} at "
                f"precision {precision!r}; it covers {table.covered()}. Use another table, or pass "
                f"ignore_unknown=True (or ignore_unknown={{{kind!r}}}) to leave them out")
        joules = count * entry.energy
        by_event[(kind, precision)] = by_event.get((kind, precision), 0.0) + joules
        by_kind[kind] = by_kind.get(kind, 0.0) + joules
    return EnergyBreakdown(table.name, sum(by_event.values()), by_kind, by_event, ignored)


def energy_per_event(table: str | EnergyTable) -> Mapping[tuple[str, str], float]:
    """``{(kind, precision): joules}`` of a table."""
    t = energy_table(table) if isinstance(table, str) else table
    return {(e.kind, e.precision): e.energy for e in t.entries}


# ----- the registered tables ---------------------------------------------------------------------------------------
_HOROWITZ = "Horowitz, ISSCC 2014, 'Computing's energy problem', Fig. 1.1.9 (45 nm, 0.9 V) [ext]"
_ADD = {"int8": 0.03, "int16": 0.05, "int32": 0.1, "fp16": 0.4, "fp32": 0.9}  # [pJ]
_MULT = {"int8": 0.2, "int32": 3.1, "fp16": 1.1, "fp32": 3.7}  # [pJ]


def _horowitz() -> EnergyTable:
    entries = []
    for p, e in _ADD.items():
        entries.append(EventEnergy(kind="ac", precision=p, energy=e * PJ, source=_HOROWITZ, note=f"{p} add"))
        entries.append(EventEnergy(kind="synop", precision=p, energy=e * PJ, source=_HOROWITZ,
                                   note=f"one synaptic operation = one {p} accumulate of the weight"))
    for p, e in _MULT.items():
        entries.append(EventEnergy(kind="mac", precision=p, energy=(e + _ADD[p]) * PJ, source=_HOROWITZ,
                                   note=f"{p} multiply {e} pJ + add {_ADD[p]} pJ"))
    entries += [
        EventEnergy(kind="sram_read", precision="", energy=10 * PJ, source=_HOROWITZ,
                    note="64-bit read from an 8 kB SRAM (32 kB: 20 pJ, 1 MB: 100 pJ)"),
        EventEnergy(kind="dram_access", precision="", energy=1.3e-9, source=_HOROWITZ,
                    note="64-bit DRAM access, low end of the printed 1.3-2.6 nJ"),
    ]
    return EnergyTable(name="horowitz45nm", description="45 nm CMOS arithmetic and memory access",
                       entries=tuple(entries))


_SEED003 = "Liu, Yu, Chai 2020 review (seed 003)"
_SEED001 = "seed 001"

register_energy_table(_horowitz())
register_energy_table(EnergyTable(
    name="loihi", description="Intel Loihi (14 nm) per synaptic event",
    entries=(EventEnergy(kind="synop", energy=23.6 * PJ, source=f"{_SEED003}, line 54",
                         note="⚠ the review's §4.1 (line 155) says 24 pJ"),)))
register_energy_table(EnergyTable(
    name="truenorth", description="IBM TrueNorth (28 nm) per synaptic event",
    entries=(EventEnergy(kind="synop", energy=26 * PJ,
                         source=f"{_SEED003}, line 54; Chundi et al. 2021 Table ({_SEED001}, line 2330)",
                         note="⚠ the review's §4.1 (line 155) says 45 pJ, the 2011 45 nm core's figure"),)))
register_energy_table(EnergyTable(
    name="ubrain", description="μBrain (40 nm, event-driven, clockless) per spike",
    entries=(EventEnergy(kind="spike", energy=26 * PJ, source=f"Stuijt et al. 2021 ({_SEED001}, line 861)",
                         note="includes communication, neuron accumulation and synaptic read; 30 % static"),)))
register_energy_table(EnergyTable(
    name="always_on", description="Chundi et al. 2021 always-on binary SNN (65 nm, 0.52 V) per synaptic operation",
    entries=(EventEnergy(kind="synop", energy=1.5 * PJ, source=f"Chundi et al. 2021 Table ({_SEED001}, line 2330)"),)))
register_energy_table(EnergyTable(
    name="chen18", description="Chen et al. 2018 4096-neuron SNN (10 nm FinFET) per synaptic operation",
    entries=(EventEnergy(kind="synop", energy=3.8 * PJ, source=f"{_SEED001}, lines 929 and 2330"),)))
register_energy_table(EnergyTable(
    name="neurogrid", description="Neurogrid (180 nm, mixed analog-digital) per synaptic event",
    entries=(EventEnergy(kind="synop", energy=941 * PJ, source=f"{_SEED003}, line 328"),)))
