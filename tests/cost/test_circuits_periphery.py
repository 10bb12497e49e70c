"""Analog periphery: level shifter, row driver, column mux, flash and SAR ADC — hand values, monotonicity,
bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.circuits import latch_comparator
from neurofab.cost.gates import gate_area, inverter, nand, transmission_gate
from neurofab.cost.periphery import (
    column_mux,
    flash_adc,
    level_shifter,
    mom_capacitance_density,
    row_driver,
    sar_adc,
    sr_latch,
)
from neurofab.cost.technology import technology

T22 = technology(22)
T40 = technology(40, vdd=0.9)


def test_level_shifter_area_uses_io_scale_squared():
    ls1 = level_shifter(T40, 2.0, 0.0, io_scale=1.0)
    ls25 = level_shifter(T40, 2.0, 0.0, io_scale=2.5)
    core = inverter(T40).area
    io1 = gate_area(T40, 4) + gate_area(T40, 1)  # cross-coupled stage (2 × 2 fingers) + output inverter
    assert ls1.area == pytest.approx(core + io1, rel=1e-6, abs=0)
    assert ls25.area == pytest.approx(core + 6.25 * io1, rel=1e-6, abs=0)


def test_level_shifter_energy_and_checks():
    small, big = level_shifter(T22, 1.8, 10e-15), level_shifter(T22, 1.8, 100e-15)
    assert big.energy > small.energy and big.area >= small.area
    at_vdd = level_shifter(T22, 1.8, 50e-15, v_switch=T22.vdd)
    assert at_vdd.energy < level_shifter(T22, 1.8, 50e-15).energy
    with pytest.raises(ConfigError, match="v_high"):
        level_shifter(T22, -1.0, 10e-15)
    with pytest.raises(ConfigError, match="V_DD"):
        level_shifter(T22, 0.5, 10e-15)
    with pytest.raises(ConfigError, match="c_load"):
        level_shifter(T22, 1.8, -1e-15)


def test_row_driver_grows_with_load():
    light, heavy = row_driver(T22, 5e-15), row_driver(T22, 500e-15, 1e3)
    assert heavy.energy > light.energy and heavy.delay > light.delay and heavy.area > light.area
    with pytest.raises(ConfigError, match="r_wire"):
        row_driver(T22, 5e-15, -1.0)


def test_column_mux_sizing():
    tg = transmission_gate(T22)
    m = column_mux(T22, 128, 8, r_column=tg.r_drive * 5, r_fraction=0.1)  # needs R ≤ R_tg/2 → size 2
    assert m.size == pytest.approx(2.0)
    assert m.r_on == pytest.approx(tg.r_drive / 2)
    assert m.cost.area == pytest.approx(128 * transmission_gate(T22, 2.0).area, rel=1e-6, abs=0)
    low_r = column_mux(T22, 128, 8, r_column=1.0)
    assert low_r.size == 64.0  # capped
    assert column_mux(T22, 128, 1, 1e4).cost.area == 0.0
    with pytest.raises(ConfigError, match="divid"):
        column_mux(T22, 128, 3, 1e4)
    with pytest.raises(ConfigError, match="r_column"):
        column_mux(T22, 128, 8, -5.0)


def test_flash_adc_by_hand():
    bits, vfs = 4, 0.4
    adc = flash_adc(T22, bits, vfs, offset_sigma_lsb=0.5)
    comp = latch_comparator(T22, 0.5 * vfs / 2**bits)
    sr = sr_latch(T22)
    assert adc.c_in == pytest.approx(
        15 * comp.c_in, rel=1e-6, abs=0) and adc.comparator_c_in == pytest.approx(comp.c_in, rel=1e-6, abs=0)
    assert adc.step == pytest.approx(vfs / 16)
    ladder = vfs**2 * 15 * comp.c_in * math.log(2 ** (bits + 1))
    decisions = 15 * (comp.cost.energy + sr.energy)
    assert adc.cost.energy > decisions + ladder
    assert adc.cost.energy < decisions + ladder + 20e-15  # + a small encoder
    assert adc.cost.area > 15 * (comp.cost.area + sr.area)
    # decision time: regeneration from half an LSB, then the SR latch (+ encoder)
    assert adc.cost.delay > comp.tau * math.log(T22.vdd / (vfs / 32)) + sr.delay
    no_ladder = flash_adc(T22, bits, vfs, ladder=False)
    assert adc.cost.energy - no_ladder.cost.energy == pytest.approx(ladder, rel=1e-6, abs=0)


def test_sr_latch_by_hand():
    g = nand(T22, 2)
    sr = sr_latch(T22)
    assert sr.area == pytest.approx(2 * g.area, rel=1e-6, abs=0)
    assert sr.energy == pytest.approx((g.c_self + 2 * g.c_in) * T22.vdd**2, rel=1e-6, abs=0)
    assert sr.delay == pytest.approx(2 * g.delay(2 * g.c_in), rel=1e-6, abs=0)


def test_flash_step_sizes_the_comparators():
    coarse = flash_adc(T22, 3, 0.4)  # uniform LSB 50 mV
    fine = flash_adc(T22, 3, 0.4, step=0.005)  # a compressive line passing 5 mV steps
    assert fine.step == 0.005 and fine.comparator_c_in > coarse.comparator_c_in
    assert fine.cost.area > coarse.cost.area and fine.cost.energy > coarse.cost.energy
    with pytest.raises(ConfigError, match="step"):
        flash_adc(T22, 3, 0.4, step=0.5)
    with pytest.raises(ConfigError, match="step"):
        flash_adc(T22, 3, 0.4, step=-0.01)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([130, 65, 40, 22, 14, 7]), st.integers(1, 7), st.sampled_from(["flash", "sar"]))
def test_more_adc_bits_cost_more(node, bits, kind):
    t = technology(node)
    make = flash_adc if kind == "flash" else sar_adc
    lo, hi = make(t, bits, 0.5 * t.vdd), make(t, bits + 1, 0.5 * t.vdd)
    assert hi.cost.energy > lo.cost.energy
    assert hi.cost.area > lo.cost.area
    assert hi.cost.delay > lo.cost.delay


def test_sar_adc_by_hand():
    adc = sar_adc(T22, 8, 0.4)
    lsb = 0.4 / 256
    c_total = max(12 * 1.380649e-23 * 300 / lsb**2, 256 * 0.5e-15)
    assert adc.c_in == pytest.approx(c_total, rel=1e-6, abs=0)
    assert adc.cost.area > c_total / mom_capacitance_density(T22)
    assert flash_adc(T22, 8, 0.4).cost.area > adc.cost.area  # 255 comparators vs one


@pytest.mark.parametrize("bad", [0, 13, 2.5, True])
def test_bad_adc_bits_raise(bad):
    with pytest.raises(ConfigError, match="ADC bits"):
        flash_adc(T22, bad, 0.4)


def test_bad_adc_range_raises():
    with pytest.raises(ConfigError, match="v_full_scale"):
        flash_adc(T22, 4, -0.4)
    with pytest.raises(ConfigError, match="V_DD"):
        sar_adc(T22, 4, 2.0)
    with pytest.raises(ConfigError, match="offset_sigma_lsb"):
        flash_adc(T22, 4, 0.4, offset_sigma_lsb=0.0)
