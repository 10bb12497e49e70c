"""The sensing path of a CIM column: bit line, divider (voltage mode), clamp (current mode), SRAM discharge and
precharge — closed forms by hand, monotonicity, bad input."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.gates import inverter
from neurofab.cost.sensing import (
    clamp_sense,
    column_line,
    discharge_sense,
    divider_sense,
    precharger,
    read_port_current,
)
from neurofab.cost.technology import technology

T22 = technology(22)
T40 = technology(40, vdd=0.9)


def test_column_line_by_hand():
    t, pitch, w = T22, 0.19e-6, T22.nmos_width
    line = column_line(t, 128, pitch, w)
    assert line.c_line == pytest.approx(128 * (t.c_drain * w + t.wire_capacitance * pitch), rel=1e-6, abs=0)
    assert line.r_wire == pytest.approx(t.wire_resistance * 128 * pitch)
    assert line.r_access == pytest.approx(0.75 * t.vdd / (t.i_on_n * w))
    # 22 nm: c_drain ≈ 0.87 fF/µm × 0.198 µm + 0.2 fF/µm × 0.19 µm ≈ 0.21 fF per cell
    assert line.c_line / 128 == pytest.approx(0.869e-15 * 0.198 + 0.2e-15 * 0.19, rel=2e-3, abs=0)
    assert column_line(t, 256, pitch, w).c_line == pytest.approx(2 * line.c_line, rel=1e-6, abs=0)


def test_branch_and_column_conductance_by_hand():
    line = column_line(T22, 128, 0.19e-6, T22.nmos_width)
    g = line.branch_conductance(6e3)
    assert g == pytest.approx(1 / (6e3 + line.r_access))
    g_sum = 100 * g
    assert line.column_conductance(g_sum) == pytest.approx(1 / (1 / g_sum + line.r_wire / 2))
    assert line.column_conductance(0.0) == 0.0
    assert line.column_conductance(g_sum) < g_sum  # IR drop only lowers the conductance
    with pytest.raises(ConfigError, match="r_cell"):
        line.branch_conductance(0.0)
    with pytest.raises(ConfigError, match="g_sum"):
        line.column_conductance(-1e-3)


def test_divider_by_hand():
    v, g_max, bits, c = 0.2, 8e-4, 3, 100e-15
    d = divider_sense(v, 0.0, g_max, bits, c)
    step_g = g_max / 8
    assert d.g_step == pytest.approx(step_g)
    assert d.g_load == pytest.approx(math.sqrt(g_max * (g_max - step_g)))
    assert d.v_bitline(g_max) == pytest.approx(v * g_max / (g_max + d.g_load))
    assert d.current(4e-4) == pytest.approx(v * 4e-4 * d.g_load / (4e-4 + d.g_load))
    top = v * g_max / (g_max + d.g_load) - v * (g_max - step_g) / (g_max - step_g + d.g_load)
    assert d.step_min == pytest.approx(top)
    # the steps shrink towards the top: the top one is the smallest
    steps = [d.v_bitline((k + 1) * step_g) - d.v_bitline(k * step_g) for k in range(8)]
    assert min(steps) == pytest.approx(d.step_min) and steps == sorted(steps, reverse=True)
    assert d.thresholds == pytest.approx([k * step_g for k in range(1, 8)])
    assert d.reference_current == pytest.approx(sum(d.current(k * step_g) for k in range(1, 8)))
    assert d.v_span == pytest.approx(d.v_bitline(g_max))
    # about V_read/2^(N+2) for an optimal load and G_min = 0
    assert d.step_min == pytest.approx(v / 2 ** (bits + 2), rel=0.1)


def test_divider_load_maximizes_the_smallest_step():
    d = divider_sense(0.2, 1e-5, 8e-4, 4, 100e-15)
    for factor in (0.7, 0.9, 1.1, 1.4):
        other = dataclasses.replace(d, g_load=d.g_load * factor)
        assert other.step_min < d.step_min


def test_divider_settling_by_hand():
    v, g_max, c = 0.2, 8e-4, 100e-15
    d = divider_sense(v, 0.0, g_max, 1, c, c_reference=50e-15)
    half = d.step_min / 2
    centres = [0.25 * g_max, 0.75 * g_max]

    def t(cap, g):
        return cap / (g + d.g_load) * math.log(d.v_bitline(g) / half) if d.v_bitline(g) > half else 0.0

    expected = max(max(t(c, g) for g in centres), t(50e-15, 0.5 * g_max))
    assert d.t_settle == pytest.approx(expected, rel=1e-6, abs=0)


def test_divider_monotonicity():
    v, c = 0.2, 100e-15
    by_bits = [divider_sense(v, 0.0, 8e-4, b, c) for b in (2, 3, 4, 5)]
    steps = [d.step_min for d in by_bits]
    settle = [d.t_settle for d in by_bits]
    assert steps == sorted(steps, reverse=True)  # more bits: finer steps
    assert settle == sorted(settle)  # … that take longer to settle to
    # more rows on (larger full-scale conductance, same line): faster settling, more current, same relative step
    few, many = divider_sense(v, 0.0, 2e-4, 3, c), divider_sense(v, 0.0, 8e-4, 3, c)
    assert many.t_settle < few.t_settle
    assert many.current(many.g_max) > few.current(few.g_max)
    assert many.step_min == pytest.approx(few.step_min)


def test_clamp_by_hand():
    s = clamp_sense(0.2, 256e-6, 0.4, 5, 30e-15, 60e-15, r_series=500.0)
    assert s.r_load == pytest.approx(0.4 / 256e-6)
    assert s.step == pytest.approx(0.4 / 32)
    assert s.t_bitline == pytest.approx(30e-15 * 0.2 / 256e-6, rel=1e-6, abs=0)
    assert s.t_settle == pytest.approx(s.t_bitline + (0.4 / 256e-6 + 500) * 60e-15 * math.log(64), rel=1e-6, abs=0)
    # more rows on: more full-scale current, a smaller load, faster settling
    assert clamp_sense(0.2, 512e-6, 0.4, 5, 30e-15, 60e-15).t_settle < s.t_settle


def test_discharge_by_hand():
    i = read_port_current(T22, T22.nmos_width)
    assert i == pytest.approx(T22.vdd / (2 * T22.r_on_n(T22.nmos_width)))
    s = discharge_sense(i, 128, 0.4, 4, 40e-15)
    assert s.i_full_scale == pytest.approx(128 * i)
    assert s.t_develop == pytest.approx(40e-15 * 0.4 / (128 * i), rel=1e-6, abs=0)
    assert s.step == pytest.approx(0.025)
    assert s.swing(64 * i) == pytest.approx(0.2)
    assert s.swing(1.0) == pytest.approx(0.4)  # clipped at full scale
    # fewer rows at full scale → longer pulse for the same swing
    assert discharge_sense(i, 16, 0.4, 4, 40e-15).t_develop == pytest.approx(8 * s.t_develop, rel=1e-6, abs=0)


def test_precharger_by_hand():
    c = 40e-15
    pre = precharger(T22, c, 4)
    unit = inverter(T22)
    size = max(1.0, c / (4 * unit.c_in))
    p = inverter(T22, size)
    assert pre.delay == pytest.approx(
        p.r_pull_up * (c + T22.c_drain * size * T22.pmos_width) * math.log(32), rel=1e-6, abs=0)
    assert pre.energy == pytest.approx(T22.c_gate * size * T22.pmos_width * T22.vdd**2, rel=1e-6, abs=0)
    assert pre.area == pytest.approx(p.area, rel=1e-6, abs=0)
    assert precharger(T22, c, 6).delay > pre.delay  # finer LSB: restore closer


@settings(max_examples=25, deadline=None)
@given(st.floats(0.05, 0.5), st.floats(1e-5, 1e-2), st.integers(1, 8), st.floats(1e-15, 1e-12))
def test_divider_invariants(v_read, g_max, bits, c):
    d = divider_sense(v_read, 0.0, g_max, bits, c)
    assert 0 < d.step_min < d.v_span < v_read
    assert d.t_settle > 0
    assert d.reference_current < (2**bits - 1) * v_read * g_max


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: divider_sense(0.2, 1e-3, 1e-3, 3, 1e-13), "g_max"),
        (lambda: divider_sense(-0.2, 0.0, 1e-3, 3, 1e-13), "v_read"),
        (lambda: divider_sense(0.2, 0.0, 1e-3, 0, 1e-13), "ADC bits"),
        (lambda: divider_sense(0.2, 0.0, 1e-3, 3, 0.0), "c_node"),
        (lambda: clamp_sense(0.2, 0.0, 0.4, 5, 1e-14, 1e-14), "i_full_scale"),
        (lambda: discharge_sense(1e-5, 0, 0.4, 4, 1e-14), "cells_full_scale"),
        (lambda: column_line(T22, 0, 0.2e-6, 1e-7), "rows"),
        (lambda: column_line(T22, 128, float("nan"), 1e-7), "cell_pitch"),
        (lambda: precharger(T22, -1e-15, 4), "c_line"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_40nm_macro_column_orders_of_magnitude():
    """The validated macro's column (256 cells of 75 F², 7 rows on, 6 kΩ assumed): ~80 fF of line, a smallest
    3-bit step of a few mV at a 0.2 V read."""
    pitch = math.sqrt(75) * 40e-9
    line = column_line(T40, 256, pitch, T40.nmos_width)
    assert 60e-15 < line.c_line < 110e-15
    g = line.column_conductance(7 * line.branch_conductance(6e3))
    d = divider_sense(0.2, 7 * line.branch_conductance(900e3), g, 3, line.c_line)
    assert 4e-3 < d.step_min < 9e-3
