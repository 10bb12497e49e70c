"""Energy tables built from the device registry: the review's per-event energies (seed 003) priced as ledger events.

:func:`neurofab.devices.review_figures` holds every figure the Liu/Yu/Chai review prints, each with its seed line.
The ones that are energies of one event become :class:`~neurofab.cost.energy.EventEnergy` entries here, grouped
into one table per kind of hardware (a table holds one energy per ``(kind, precision)``), source line carried over:

- ``review_rram`` — ``synop``: an RRAM synapse, "< pJ" per synaptic event (l. 52), priced at the bound 1 pJ;
- ``review_nvm`` — ``synop``: emerging NVM, "< pJ per synaptic event" (l. 60), priced at the bound 1 pJ;
- ``review_pcm`` — ``write_pulse`` at precision ``"set"``: 0.675 pJ, at ``"reset"``: ≈ 50 pJ (l. 108);
- ``review_biological`` — ``synop``: a biological synapse, 1–100 fJ (l. 52), priced at the geometric middle 10 fJ.

A bound ("< pJ") is priced at the bound, so a ledger priced by ``review_rram`` or ``review_nvm`` is an upper bound.
The review's system figures (Loihi, TrueNorth, Neurogrid per synaptic event) are the ``loihi``, ``truenorth`` and
``neurogrid`` tables of :mod:`neurofab.cost.energy`; :func:`registry_event_energies` lists those too so a test can
check that the two agree.
"""

from __future__ import annotations

from neurofab.cost.energy import EnergyTable, EventEnergy, register_energy_table
from neurofab.devices.review_figures import DeviceFigure, review_figures

__all__ = ["REVIEW_TABLES", "registry_event_energies", "review_energy_tables"]

_SEED003 = "Liu, Yu, Chai 2020 review"

#: (subject, quantity) of a registry figure → (table, ledger kind, precision, how the figure is read)
_EVENTS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("RRAM synapse", "energy per synaptic event"): ("review_rram", "synop", "", "upper bound '< pJ' priced at 1 pJ"),
    ("emerging NVM", "energy per synaptic event"): ("review_nvm", "synop", "", "upper bound '< pJ' priced at 1 pJ"),
    ("PCM", "SET energy"): ("review_pcm", "write_pulse", "set", "one SET pulse"),
    ("PCM", "RESET energy"): ("review_pcm", "write_pulse", "reset", "one RESET pulse"),
    ("biological synapse", "energy per synaptic event"): (
        "review_biological", "synop", "", "range 1–100 fJ priced at its geometric middle"),
    ("Loihi", "energy per synaptic event"): ("loihi", "synop", "", "point value (l. 54)"),
    ("TrueNorth", "energy per synaptic event"): ("truenorth", "synop", "", "point value (l. 54)"),
    ("Neurogrid", "energy per synaptic event"): ("neurogrid", "synop", "", "point value"),
}

_DESCRIPTIONS = {
    "review_rram": "RRAM synapse per synaptic event, the review's '< pJ' bound (seed 003 l. 52)",
    "review_nvm": "emerging non-volatile memory per synaptic event, the review's '< pJ' bound (seed 003 l. 60)",
    "review_pcm": "PCM synapse SET and RESET pulse energies (seed 003 l. 108)",
    "review_biological": "biological synapse per synaptic event, 1–100 fJ (seed 003 l. 52)",
}

#: the tables this module registers (the others named in ``_EVENTS`` are registered by :mod:`neurofab.cost.energy`)
REVIEW_TABLES = tuple(_DESCRIPTIONS)


def _entry(fig: DeviceFigure, kind: str, precision: str, reading: str) -> EventEnergy:
    energy = fig.hi if fig.lo is None else fig.value
    return EventEnergy(kind=kind, precision=precision, energy=float(energy), source=f"{_SEED003}, {fig.source}",
                       note=f"{fig.subject}: {fig.quantity}, printed '{fig.printed}'; {reading}")


def registry_event_energies() -> dict[str, list[EventEnergy]]:
    """``{table name: entries}`` for every registry figure that is the energy of one ledger event."""
    out: dict[str, list[EventEnergy]] = {}
    for fig in review_figures():
        key = _EVENTS.get((fig.subject, fig.quantity))
        if key is None or fig.unit != "J":
            continue
        table, kind, precision, reading = key
        out.setdefault(table, []).append(_entry(fig, kind, precision, reading))
    return out


def review_energy_tables() -> list[EnergyTable]:
    """The tables :data:`REVIEW_TABLES`, built from the registry."""
    entries = registry_event_energies()
    return [EnergyTable(name=name, description=_DESCRIPTIONS[name], entries=tuple(entries[name]))
            for name in REVIEW_TABLES]


for _table in review_energy_tables():
    register_energy_table(_table)
