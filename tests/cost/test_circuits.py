"""Gate and circuit-module formulas against hand values, monotonicity, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost import circuits as c
from neurofab.cost.gates import LN2, fingers, gate_area, inverter, nand, nor, transmission_gate
from neurofab.cost.technology import technology

T22 = technology(22)
T40 = technology(40, vdd=0.9)


# ----- gates -----------------------------------------------------------------------------------------------
def test_inverter_by_hand():
    t = T22
    inv = inverter(t)
    w = t.nmos_width + t.pmos_width
    assert inv.area == pytest.approx(t.cell_width * t.cell_height, rel=1e-6, abs=0)
    assert inv.c_in == pytest.approx(t.c_gate * w, rel=1e-6, abs=0)
    assert inv.c_self == pytest.approx(t.c_drain * w, rel=1e-6, abs=0)
    assert inv.r_pull_down == pytest.approx(t.r_on_n(t.nmos_width))
    load = 3e-15
    assert inv.delay(load) == pytest.approx(
        LN2 * max(inv.r_pull_down, inv.r_pull_up) * (inv.c_self + load), rel=1e-6, abs=0)
    assert inv.energy(load) == pytest.approx((inv.c_self + load) * t.vdd**2, rel=1e-6, abs=0)
    assert inv.leakage == pytest.approx(t.vdd * t.i_off * w / 2, rel=1e-6, abs=0)


def test_nand_nor_by_hand():
    t = T22
    g2, g3, n3 = nand(t, 2), nand(t, 3), nor(t, 3)
    inv = inverter(t)
    assert g2.area == pytest.approx(1.5 * inv.area, rel=1e-6, abs=0)  # (k + 1)/2 cell widths
    assert g3.area == pytest.approx(2.0 * inv.area, rel=1e-6, abs=0)
    assert g3.r_pull_down == pytest.approx(3 * inv.r_pull_down)
    assert g3.r_pull_up == pytest.approx(inv.r_pull_up)
    assert n3.r_pull_up == pytest.approx(3 * inv.r_pull_up)
    assert g2.c_self == pytest.approx(t.c_drain * (2 * t.pmos_width + t.nmos_width), rel=1e-6, abs=0)
    assert g2.c_in == pytest.approx(inv.c_in, rel=1e-6, abs=0)


def test_folding_and_transmission_gate():
    t = T22
    assert fingers(1.0) == 1 and fingers(2.5) == 3 and fingers(3.0) == 3
    assert inverter(t, 2.5).area == pytest.approx(gate_area(t, 3), rel=1e-6, abs=0)
    assert gate_area(t, 3) == pytest.approx(2 * t.cell_width * t.cell_height, rel=1e-6, abs=0)
    tg = transmission_gate(t)
    rn, rp = t.r_on_n(t.nmos_width), t.r_on_p(t.pmos_width)
    assert tg.r_drive == pytest.approx(rn * rp / (rn + rp))
    assert tg.area == pytest.approx(inverter(t).area, rel=1e-6, abs=0)
    assert transmission_gate(t, 4).r_drive == pytest.approx(tg.r_drive / 4)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_gate_size_raises(bad):
    with pytest.raises(ConfigError, match="size"):
        inverter(T22, bad)


def test_bad_gate_inputs_raise():
    with pytest.raises(ConfigError, match="n_inputs"):
        nand(T22, 0)
    with pytest.raises(ConfigError, match="c_load"):
        inverter(T22).delay(-1e-15)
    with pytest.raises(ConfigError, match="columns"):
        gate_area(T22, 0)


# ----- Cost -----------------------------------------------------------------------------------------------
def test_cost_algebra():
    a = c.Cost(area=1.0, delay=2.0, energy=3.0, leakage=4.0)
    b = c.Cost(area=10.0, delay=1.0, energy=30.0, leakage=40.0)
    assert a.times(3) == c.Cost(3.0, 2.0, 9.0, 12.0)
    assert c.Cost.series(a, b) == c.Cost(11.0, 3.0, 33.0, 44.0)
    assert c.Cost.parallel(a, b) == c.Cost(11.0, 2.0, 33.0, 44.0)
    assert a.scale_energy(0.5).energy == 1.5 and a.scale_area(2).area == 2.0
    with pytest.raises(ConfigError, match="copies"):
        a.times(-1)


# ----- digital modules ------------------------------------------------------------------------------------
def test_dff_is_twelve_inverter_areas_and_matches_table5():
    flop = c.dff(T40)
    assert flop.area == pytest.approx(12 * inverter(T40).area, rel=1e-6, abs=0)
    assert 176 * flop.area * 1e12 == pytest.approx(719, rel=2e-3)  # Lu et al. 2021, Table 5
    inv, tg = inverter(T40), transmission_gate(T40)
    e = 4 * inv.energy(2 * tg.c_in) + 4 * inv.energy(inv.c_in + tg.c_self)
    assert flop.energy == pytest.approx(e, rel=1e-6, abs=0)


def test_full_adder_by_hand():
    g = nand(T40, 2)
    fa = c.full_adder(T40)
    assert fa.area == pytest.approx(9 * g.area, rel=1e-6, abs=0)
    assert 144 * fa.area * 1e12 == pytest.approx(662, rel=2e-3)  # Table 5
    assert fa.energy == pytest.approx((9 * g.c_self + 15 * g.c_in) * T40.vdd**2, rel=1e-6, abs=0)
    assert fa.delay == pytest.approx(2 * g.delay(2 * g.c_in), rel=1e-6, abs=0)


def test_ripple_adder_and_tree():
    g = nand(T22, 2)
    for n in (1, 4, 16):
        add = c.ripple_adder(T22, n)
        assert add.delay == pytest.approx((2 * n + 4) * g.delay(2 * g.c_in), rel=1e-6, abs=0)
        assert add.area == pytest.approx(n * c.full_adder(T22).area, rel=1e-6, abs=0)
    tree = c.adder_tree(T22, 4, 8)  # two 8-bit adders, one 9-bit
    assert tree.area == pytest.approx(25 * c.full_adder(T22).area, rel=1e-6, abs=0)
    assert tree.delay == pytest.approx(c.ripple_adder(T22, 8).delay + c.ripple_adder(T22, 9).delay, rel=1e-6, abs=0)
    odd = c.adder_tree(T22, 3, 8)  # one 8-bit adder, then one 9-bit (odd word passes)
    assert odd.area == pytest.approx(17 * c.full_adder(T22).area, rel=1e-6, abs=0)
    assert c.adder_tree(T22, 1, 8) == c.Cost()
    hadd = c.half_adder(T22)
    assert hadd.area == pytest.approx(4 * g.area + inverter(T22).area, rel=1e-6, abs=0)


def test_shift_add_register_mux_decoder():
    sa = c.shift_add(T22, 16)
    assert sa.area == pytest.approx(c.ripple_adder(T22, 16).area + 16 * c.dff(T22).area, rel=1e-6, abs=0)
    assert sa.delay == pytest.approx(c.ripple_adder(T22, 16).delay + c.dff(T22).delay, rel=1e-6, abs=0)
    assert c.accumulator(T22, 16) == sa
    assert c.register(T22, 8).energy == pytest.approx(8 * c.dff(T22).energy, rel=1e-6, abs=0)
    assert c.mux(T22, 4, 8).area == pytest.approx(8 * c.mux(T22, 4).area, rel=1e-6, abs=0)
    areas = [c.decoder(T22, n).area for n in (2, 8, 64, 256)]
    assert areas == sorted(areas)
    assert c.decoder(T22, 128, 100e-15).energy > c.decoder(T22, 128, 10e-15).energy


@pytest.mark.parametrize("call", [lambda: c.ripple_adder(T22, 0), lambda: c.adder_tree(T22, 0, 8),
                                  lambda: c.register(T22, -1), lambda: c.mux(T22, 0),
                                  lambda: c.decoder(T22, 0), lambda: c.shift_add(T22, 1.5)])
def test_bad_module_sizes_raise(call):
    with pytest.raises(ConfigError, match=">= 1"):
        call()


# ----- comparator, memory, wires ----------------------------------------------------------------------------
def test_latch_comparator_offset_sizing():
    loose, tight = c.latch_comparator(T22, 0.02), c.latch_comparator(T22, 0.002)
    assert tight.offset_sigma == pytest.approx(0.002, rel=1e-9)  # sized exactly to the target
    assert loose.offset_sigma <= 0.02
    assert tight.cost.area > loose.cost.area and tight.cost.energy > loose.cost.energy
    assert tight.c_in > loose.c_in
    w = (T22.pelgrom_avt / 0.002) ** 2 / T22.gate_length
    assert tight.c_in == pytest.approx(T22.c_gate * w, rel=1e-6, abs=0)
    with pytest.raises(ConfigError, match="offset_sigma"):
        c.latch_comparator(T22, -0.01)


def test_latch_comparator_nodes_by_hand():
    t = T22
    inv = inverter(t)
    w_in = (t.pelgrom_avt / 0.004) ** 2 / t.gate_length
    comp = c.latch_comparator(t, 0.004)
    c_out = inv.c_self + 2 * inv.c_in + t.c_drain * t.pmos_width
    c_mid = t.c_drain * (w_in + t.nmos_width + t.pmos_width)
    c_clock = t.c_gate * (2 * w_in + 4 * t.pmos_width)
    assert comp.cost.energy == pytest.approx((2 * c_out + 2 * c_mid + c_clock + 2 * (inv.c_self + inv.c_in))
                                             * t.vdd**2, rel=1e-6, abs=0)
    assert comp.tau == pytest.approx(c_out * 0.5 * (inv.r_pull_down + inv.r_pull_up), rel=1e-6, abs=0)
    # the latch, not the input pair, regenerates
    assert comp.tau == pytest.approx(c.latch_comparator(t, 0.04).tau, rel=1e-6, abs=0)


def test_sram_buffer():
    small, big = c.sram_buffer(T22, 16384, 64), c.sram_buffer(T22, 8 * 16384, 64)
    assert big.area == pytest.approx(8 * small.area, rel=1e-6, abs=0)
    assert big.read.energy == pytest.approx(small.read.energy, rel=1e-6, abs=0)  # one bank per access
    assert small.area > 16384 * T22.sram_6t_area
    assert small.write.energy > 0 and small.read.delay > 0
    with pytest.raises(ConfigError, match="word_bits"):
        c.sram_buffer(T22, 16384, 256)
    with pytest.raises(ConfigError, match="read_swing"):
        c.sram_buffer(T22, 16384, 64, read_swing=-0.1)


def test_repeated_wire_and_htree():
    one, two = c.repeated_wire(T22, 1e-3), c.repeated_wire(T22, 2e-3)
    assert two.delay == pytest.approx(2 * one.delay, rel=1e-6, abs=0)
    r0 = 0.5 * (inverter(T22).r_pull_down + inverter(T22).r_pull_up)
    c0 = inverter(T22).c_in
    assert one.delay == pytest.approx(
        2.5 * 1e-3 * math.sqrt(r0 * c0 * T22.wire_resistance * T22.wire_capacitance), rel=1e-6, abs=0)
    assert c.repeated_wire(T22, 1e-3, bits=8).energy == pytest.approx(8 * one.energy, rel=1e-6, abs=0)
    assert c.repeated_wire(T22, 0.0) == c.Cost()
    low = c.repeated_wire(T22, 5e-3, swing=0.1)
    assert low.energy < c.repeated_wire(T22, 5e-3).energy
    assert c.htree(T22, 1e-3, 1, 64) == c.Cost()
    h16, h64 = c.htree(T22, 1e-3, 16, 64), c.htree(T22, 1e-3, 64, 64)
    assert h64.delay > h16.delay  # path side·(1 − 2^−k) grows with levels
    with pytest.raises(ConfigError, match="length"):
        c.repeated_wire(T22, -1.0)
    with pytest.raises(ConfigError, match="swing"):
        c.repeated_wire(T22, 1e-3, swing=-0.2)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([130, 65, 45, 22, 14, 7]), st.integers(2, 64))
def test_adders_grow_with_width(node, bits):
    t = technology(node)
    a, b = c.ripple_adder(t, bits), c.ripple_adder(t, bits + 1)
    assert b.area > a.area and b.energy > a.energy and b.delay > a.delay
