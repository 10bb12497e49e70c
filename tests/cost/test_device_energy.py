"""Energy tables built from the device registry (seed 003) price a ledger; they agree with the system tables."""

from __future__ import annotations

import pytest

from neurofab.core import Ledger, UnknownNameError
from neurofab.cost import energy_table, energy_table_names, price_ledger
from neurofab.cost.device_energy import REVIEW_TABLES, registry_event_energies
from neurofab.cost.energy import PJ


def test_review_tables_are_registered_with_their_source_lines():
    names = set(energy_table_names())
    assert set(REVIEW_TABLES) <= names
    for name in REVIEW_TABLES:
        for e in energy_table(name).entries:
            assert "seed 003 l. " in e.source and e.note


def test_review_tables_price_a_ledger():
    led = Ledger()
    led.add("write_pulse", 10, "set")
    led.add("write_pulse", 2, "reset")
    pcm = price_ledger(led, "review_pcm")
    assert pcm.total == pytest.approx(10 * 0.675 * PJ + 2 * 50 * PJ, rel=1e-6, abs=0)
    assert pcm.by_event[("write_pulse", "reset")] == pytest.approx(100 * PJ, rel=1e-6, abs=0)
    syn = Ledger()
    syn.add("synop", 1000, "int1")
    assert price_ledger(syn, "review_rram").total == pytest.approx(1000 * PJ, rel=1e-6, abs=0)  # the '< pJ' bound
    # √(1 fJ · 100 fJ)
    assert price_ledger(syn, "review_biological").total == pytest.approx(1000 * 10e-15, rel=1e-6, abs=0)
    with pytest.raises(UnknownNameError, match="review_pcm"):
        price_ledger(syn, "review_pcm")


def test_registry_agrees_with_the_hand_written_system_tables():
    entries = registry_event_energies()
    for name in ("loihi", "truenorth", "neurogrid"):
        (e,) = entries[name]  # the §4.1 readings (⚠) are kept apart under another quantity
        assert energy_table(name).energy("synop") == pytest.approx(e.energy, rel=1e-6, abs=0)
