"""Event ledger: arithmetic, scopes, serialization, bad kinds."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError, DataError, Ledger, record, recording, register_kind

KINDS = ["mac", "synop", "spike", "adc_conversion", "write_pulse"]
counts = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10**9), st.sampled_from(["", "8b", "fp32"])),
                  max_size=20)


def test_counts_by_kind_and_precision():
    led = Ledger()
    led.add("mac", 100, "8b")
    led.add("mac", 50, "fp32")
    led.add("spike", 3)
    assert led.count("mac") == 150
    assert led.count("mac", "8b") == 100
    assert led.count("spike") == 3
    assert led.count("synop") == 0
    assert led.kinds() == ["mac", "spike"]


def test_tensor_counts_are_numbers():
    led = Ledger()
    led.add("spike", torch.tensor(7))
    assert led.count("spike") == 7 and isinstance(led.count("spike"), int)


@given(a=counts, b=counts)
def test_merge_is_addition(a, b):
    la, lb = Ledger(), Ledger()
    for k, n, p in a:
        la.add(k, n, p)
    for k, n, p in b:
        lb.add(k, n, p)
    merged = la + lb
    for k in KINDS:
        assert merged.count(k) == la.count(k) + lb.count(k)
    assert merged == lb + la
    assert Ledger.from_json(merged.to_json()) == merged


def test_nested_scopes_both_receive_and_close():
    assert not recording()
    with Ledger() as outer:
        record("synop", 10)
        with Ledger() as inner:
            assert recording()
            record("synop", 5)
            record("adc_conversion", 2, "8b")
        record("spike", 1)
    assert not recording()
    assert inner.count("synop") == 5 and inner.count("spike") == 0
    assert outer.count("synop") == 15 and outer.count("spike") == 1
    assert outer.count("adc_conversion", "8b") == 2
    record("spike", 1)  # no open scope: nothing counted, no error
    assert outer.count("spike") == 1


def test_scope_closes_on_exception():
    with pytest.raises(RuntimeError), Ledger():
        raise RuntimeError
    assert not recording()


def test_scaled():
    led = Ledger()
    led.add("mac", 1000)
    assert led.scaled(1 / 100).count("mac") == 10


def test_bad_kind_and_negative_count():
    with pytest.raises(ConfigError, match="unknown event kind 'photons'"):
        Ledger().add("photons", 1)
    with pytest.raises(ConfigError, match="unknown event kind"):
        record("photons", 1)
    with pytest.raises(ConfigError, match=">= 0"):
        Ledger().add("mac", -1)
    with pytest.raises(DataError):
        Ledger.from_dict({"mac": 3})  # type: ignore[dict-item]


def test_register_kind():
    register_kind("photon_detection", "one photon detected by a receiver")
    led = Ledger()
    led.add("photon_detection", 7)
    assert led.count("photon_detection") == 7
    with pytest.raises(ConfigError):
        register_kind("not an identifier", "x")
