"""Per-event energy tables and the ledger → joules arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError, Ledger, UnknownNameError, record
from neurofab.cost.energy import (
    PJ,
    EnergyTable,
    EventEnergy,
    energy_per_event,
    energy_table,
    energy_table_names,
    normalize_precision,
    price_ledger,
)


def test_registered_tables_and_printed_figures():
    assert {"horowitz45nm", "loihi", "truenorth", "ubrain", "always_on", "chen18", "neurogrid"} <= set(
        energy_table_names())
    assert energy_table("loihi").energy("synop") == pytest.approx(23.6e-12, rel=1e-6, abs=0)
    assert energy_table("truenorth").energy("synop", "int8") == pytest.approx(26e-12, rel=1e-6, abs=0)
    assert energy_table("ubrain").energy("spike") == pytest.approx(26e-12, rel=1e-6, abs=0)
    assert energy_table("always_on").energy("synop") == pytest.approx(1.5e-12, rel=1e-6, abs=0)
    h = energy_table("horowitz45nm")
    assert h.energy("mac", "fp32") == pytest.approx(4.6e-12, rel=1e-6, abs=0)  # 3.7 mult + 0.9 add
    assert h.energy("ac", "fp32") == pytest.approx(0.9e-12, rel=1e-6, abs=0)
    assert h.energy("mac", "int8") == pytest.approx(0.23e-12, rel=1e-6, abs=0)
    assert h.energy("ac", "8b") == pytest.approx(0.03e-12, rel=1e-6, abs=0)
    assert h.energy("ac", "int32") == pytest.approx(0.1e-12, rel=1e-6, abs=0)
    assert h.energy("synop", "fp32") == h.energy("ac", "fp32")
    for name in energy_table_names():
        for e in energy_table(name).entries:
            assert e.source


def test_ledger_energy_hand_computed():
    with Ledger() as led:
        record("mac", 1000, "fp32")
        record("mac", 500, "8b")
        record("synop", 200, "fp32")
    br = price_ledger(led, "horowitz45nm")
    expected_mac = 1000 * 4.6 * PJ + 500 * 0.23 * PJ
    assert br.by_kind["mac"] == pytest.approx(expected_mac, rel=1e-6, abs=0)
    assert br.by_kind["synop"] == pytest.approx(200 * 0.9 * PJ, rel=1e-6, abs=0)
    assert br.total == pytest.approx(expected_mac + 200 * 0.9 * PJ, rel=1e-6, abs=0)
    assert br.by_event[("mac", "8b")] == pytest.approx(500 * 0.23 * PJ, rel=1e-6, abs=0)
    assert br.to_dict()["total_J"] == br.total


def test_precision_independent_entry_applies_to_every_precision():
    led = Ledger({("synop", "int8"): 10, ("synop", ""): 5})
    assert price_ledger(led, "loihi").total == pytest.approx(15 * 23.6 * PJ, rel=1e-6, abs=0)


def test_unknown_kind_raises_unless_ignored():
    led = Ledger({("synop", ""): 100, ("adc_conversion", "8b"): 3})
    with pytest.raises(UnknownNameError, match="adc_conversion"):
        price_ledger(led, "loihi")
    br = price_ledger(led, "loihi", ignore_unknown=True)
    assert br.total == pytest.approx(100 * 23.6 * PJ, rel=1e-6, abs=0)
    assert br.ignored == {("adc_conversion", "8b"): 3}
    br = price_ledger(led, "loihi", ignore_unknown={"adc_conversion"})
    assert br.ignored == {("adc_conversion", "8b"): 3}
    with pytest.raises(UnknownNameError, match="spike"):
        price_ledger(Ledger({("spike", ""): 1}), "loihi", ignore_unknown={"adc_conversion"})


def test_precision_not_in_table_raises():
    with pytest.raises(UnknownNameError, match="mac"):
        price_ledger(Ledger({("mac", ""): 1}), "horowitz45nm")
    with pytest.raises(UnknownNameError, match="no energy"):
        energy_table("horowitz45nm").energy("mac", "int4")


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="known"):
        energy_table("no-such-chip")
    with pytest.raises(InputTypeError):
        price_ledger({"mac": 1}, "loihi")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        price_ledger(Ledger(), 3.0)  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError):
        price_ledger(Ledger(), "loihi", ignore_unknown={"not_a_kind"})
    with pytest.raises(ConfigError, match="energy"):
        EventEnergy(kind="synop", energy=-1.0, source="x")
    with pytest.raises(ConfigError, match="not a ledger event kind"):
        EventEnergy(kind="photon_burst", energy=1e-12, source="x")
    with pytest.raises(ConfigError, match="canonical"):
        EventEnergy(kind="mac", precision="8b", energy=1e-12, source="x")
    e = EventEnergy(kind="synop", energy=1e-12, source="x")
    with pytest.raises(ConfigError, match="twice"):
        EnergyTable(name="dup", entries=(e, e))


def test_table_round_trips_through_json(tmp_path):
    t = energy_table("horowitz45nm")
    assert EnergyTable.load(t.dump(tmp_path / "t.json")) == t
    assert energy_per_event(t)[("mac", "fp32")] == pytest.approx(4.6e-12, rel=1e-6, abs=0)


@pytest.mark.parametrize(("tag", "canonical"), [
    ("8b", "int8"), ("int8", "int8"), ("8-bit", "int8"), ("32b", "int32"), ("fp32", "fp32"), ("float32", "fp32"),
    ("f16", "fp16"), ("half", "fp16"), ("", ""), ("BF16", "bf16")])
def test_precision_normalization(tag, canonical):
    assert normalize_precision(tag) == canonical


@given(st.dictionaries(st.sampled_from(["synop", "spike", "mac"]), st.floats(0, 1e9), max_size=3),
       st.floats(0.1, 10.0))
def test_energy_is_linear_in_counts(counts, factor):
    led = Ledger({(k, "fp32"): n for k, n in counts.items()})
    t = energy_table("horowitz45nm")
    a = price_ledger(led, t, ignore_unknown=True).total
    b = price_ledger(led.scaled(factor), t, ignore_unknown=True).total
    assert math.isclose(b, factor * a, rel_tol=1e-9, abs_tol=1e-30)
