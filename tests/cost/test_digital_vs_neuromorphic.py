"""Energy of one M×M layer: digital MAC, spikes, analog with AD/DA — closed forms, orderings, bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.digital_vs_neuromorphic import (
    StyleParameters,
    crossover_density,
    layer_energy,
    mean_spike_count,
)

P = StyleParameters()


def test_per_op_energies_come_from_the_45nm_table():
    assert P.e_mac == pytest.approx(0.23e-12, rel=1e-6, abs=0)  # 8-bit multiply 0.2 pJ + add 0.03 pJ
    assert P.e_ac == pytest.approx(0.03e-12, rel=1e-6, abs=0)
    assert P.e_word == pytest.approx(10e-12 / 8, rel=1e-6, abs=0)  # a byte of a 64-bit 10 pJ read
    p4 = StyleParameters(bits=4)
    # multiply ∝ B² (at 32 bits: 3.2 pJ, table 3.1 pJ)
    assert p4.e_mac - p4.e_ac == pytest.approx(0.05e-12, rel=1e-6, abs=0)
    assert StyleParameters(bits=8).e_adc > StyleParameters(bits=4).e_adc


def test_dense_digital_closed_form():
    e = layer_energy(100, 0.3, 5.0)
    assert e.digital_dense == pytest.approx(100**2 * (P.e_mac + P.e_word) + 200 * P.e_word, rel=1e-6, abs=0)
    assert e.digital_sparse == pytest.approx(0.3 * 100**2 * (P.e_mac + P.e_word) + 200 * P.e_word, rel=1e-6, abs=0)
    assert e.spikes == pytest.approx(0.3 * 100 * 5.0 * (100 * (P.e_ac + P.e_word) + P.e_event), rel=1e-6, abs=0)
    assert e.analog_adda == pytest.approx(0.3 * 100 * P.e_dac + 100 * P.e_adc, rel=1e-6, abs=0)


def test_crossover_is_where_spikes_equal_dense_digital():
    d = crossover_density(512, 40.0)
    e = layer_energy(512, d, 40.0)
    assert e.spikes == pytest.approx(e.digital_dense, rel=1e-12, abs=0)
    assert crossover_density(512, 0.0) == math.inf


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 4096), d=st.floats(0.0, 1.0), n=st.floats(0.0, 255.0))
def test_energies_monotone_in_density(m, d, n):
    lo, hi = layer_energy(m, d * 0.5, n), layer_energy(m, d, n)
    assert lo.spikes <= hi.spikes and lo.digital_sparse <= hi.digital_sparse and lo.analog <= hi.analog
    assert hi.digital_sparse <= hi.digital_dense * (1 + 1e-12)
    assert 0.0 < hi.adda_share <= 1.0


def test_mean_spike_count_of_a_known_layer():
    a = torch.tensor([0.0, 0.0, 1.0, 0.5])  # → counts 0, 0, 255, 128 at 8 bits
    d, n = mean_spike_count(a, 8)
    assert d == 0.5 and n == pytest.approx((255 + 128) / 2)
    assert mean_spike_count(torch.zeros(3)) == (0.0, 0.0)


@pytest.mark.parametrize("args", [(0, 0.5, 1.0), (64, 1.5, 1.0), (64, -0.1, 1.0), (64, 0.5, -1.0),
                                  (64, 0.5, math.nan)])
def test_bad_input(args):
    with pytest.raises(ConfigError):
        layer_energy(*args)


def test_bad_parameters():
    with pytest.raises(ConfigError):
        StyleParameters(bits=0)
    with pytest.raises(ConfigError):
        StyleParameters(e_sram_64b=-1.0)
