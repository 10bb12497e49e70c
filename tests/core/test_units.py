"""Unit strings at the edges: converted to SI where a field declares its unit, refused with both units named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.core.units import field_unit, parse_quantity
from neurofab.spiking.neurons import LIFConfig


def test_strings_become_si():
    assert LIFConfig(tau_m="20 ms").tau_m == pytest.approx(0.02)
    assert LIFConfig(c_m="250 pF").c_m == pytest.approx(250e-12, rel=1e-6, abs=0)
    assert LIFConfig(v_th="-50 mV").v_th == pytest.approx(-0.05)
    assert parse_quantity("5 kHz") == (5e3, "Hz") and parse_quantity("1e3Ohm") == (1e3, "Ω")
    assert parse_quantity("2 µS")[1] == "S" and parse_quantity("3 mm") == (pytest.approx(3e-3), "m")
    assert field_unit("membrane time constant [s]") == "s" and field_unit("a ratio [1]") is None


def test_wrong_dimension_or_unknown_unit_names_the_field():
    with pytest.raises(ConfigError, match=r"tau_m = '20 mV'.*in V, the field is in s"):
        LIFConfig(tau_m="20 mV")
    with pytest.raises(ConfigError, match="unknown unit"):
        LIFConfig(tau_m="20 fortnights")
    with pytest.raises(ConfigError, match="tau_m"):
        LIFConfig(tau_m="twenty")


@given(st.floats(min_value=1e-6, max_value=1e3), st.sampled_from(["", "m", "u", "µ", "n"]))
def test_round_trip_through_strings(value, prefix):  # v_th: a field without an upper bound
    scale = {"": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "n": 1e-9}[prefix]
    assert LIFConfig(v_th=f"{value!r} {prefix}V").v_th == pytest.approx(value * scale, rel=1e-12, abs=0)
