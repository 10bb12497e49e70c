"""DNN+NeuroSim V1.3's counts as options: word lines pulsed once per mux step (CIMConfig.word_line_pulses),
adder-tree stages of two cycles (CIMConfig.adder_stage_cycles) and H-tree energy priced as it prices it
(CIMConfig.htree_energy, circuits.htree_trip_energy)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.cim import (
    BUS_DELAY_TOLERANCE,
    CELL_PRESETS,
    NEUROSIM_ADDER_STAGE_CYCLES,
    NEUROSIM_BUS_ACTIVITY,
    NEUROSIM_HTREE_CYCLE,
    CIMConfig,
    build_subarray,
    estimate,
    event_energies,
    table7_config,
)
from neurofab.cost.circuits import NEUROSIM_22NM_BUS, htree_trip_energy
from neurofab.cost.mapping import LayerSpec, vgg8_cifar10
from neurofab.cost.technology import PASS_R_FACTOR, technology

T22 = technology(22)

#: One 3×3 conv layer filling a 128-row sub-array (16 input channels · 9 = 144 rows: two row blocks).
LAYER = LayerSpec(name="c", in_channels=16, out_channels=32, kernel=3, in_pixels=64, out_pixels=64)


def _envm() -> CIMConfig:
    return table7_config("rram_he2020")


def test_word_line_charge_closed_form():
    """e_wordline = C_WL·V_DD² with C_WL = cols·(C_gate·W_acc + c_wire·pitch): an SRAM cell's read port is the
    bit-cell device, its pitch √(area)."""
    cfg = table7_config("22nm-sram")
    sub = build_subarray(cfg)
    t = sub.tech
    pitch = math.sqrt(cfg.cell.area_f2 * t.feature_size**2) if cfg.cell.area_f2 else math.sqrt(t.sram_8t_area)
    c_wl = cfg.cols * (t.c_gate * t.bitcell_width + t.wire_capacitance * pitch)
    assert sub.e_wordline == pytest.approx(c_wl * t.vdd**2, rel=1e-12, abs=0)
    assert 0 < sub.e_wordline < sub.e_row  # the driver chain and its flip-flop come on top


def test_neurosim_word_line_charge_per_subarray_read():
    """NeuroSim V1.3's default eNVM sub-array (6 kΩ 1T1R, access at 0.25·R_on), printed from its SubArray.cpp
    (a probe linking its objects): C_WL 53.1 fF; its array read energy of one 128-column call with 27 of 128
    rows on, 8 mux steps, 8.36 pJ (the word lines' charge at every step; the bit lines add 0.07 pJ). Both at its
    0.85 V. Ours is 1.20× its C_WL, from the access transistor's sizing: ours carries R_acc at ¾·V_DD/(I_on·W)
    (PASS_R_FACTOR), its at LINEAR_REGION_RATIO·k·V_DD/(I_on·W) = 0.2 × 1.77, so ours is 2.12× wider, at 0.61×
    its gate capacitance per width (0.87 against 1.43 fF/µm: capIdealGate + capFringe + capOverlap of its card)."""
    sub = build_subarray(_envm().replace(cell=CELL_PRESETS["rram_he2020"].replace(area_f2=48.0, read_voltage=0.5)))
    t = sub.tech
    assert t.vdd == 0.85
    w_ours = PASS_R_FACTOR * t.vdd / (t.i_on_n * 0.25 * 6e3)
    w_ns = 0.2 * 1.77 * t.vdd / (t.i_on_n * 0.25 * 6e3)
    assert w_ours / w_ns == pytest.approx(2.119, rel=1e-3)
    c_wl = sub.e_wordline / t.vdd**2
    assert c_wl / 53.1e-15 == pytest.approx(1.198, abs=0.01)
    assert 27 * 8 * sub.e_wordline / 8.36e-12 == pytest.approx(1.187, abs=0.01)


@pytest.mark.parametrize("device", ["rram_he2020", "22nm-sram"])
def test_per_mux_step_pulses_closed_form(device):
    """Per mux step the rows are charged ``steps`` times per input bit: eNVM books the lines' own charge with the
    array read and the drivers' with row drive, SRAM all of it with row drive; nothing else changes."""
    once = table7_config(device)
    each = once.replace(word_line_pulses="per-mux-step")
    a = estimate(once, [LAYER]).layers[0].energy
    b = estimate(each, [LAYER]).layers[0].energy
    sub = build_subarray(once)
    steps = once.columns_per_adc  # 128 used columns per sub-array: every mux step is taken
    line = sub.e_wordline / sub.e_row if once.cell.kind != "sram" else 0.0
    assert b["array"] - a["array"] == pytest.approx(steps * a["row drive"] * line, rel=1e-9, abs=0)
    assert b["row drive"] == pytest.approx(steps * a["row drive"] * (1 - line), rel=1e-9, abs=0)
    for part in ("adc", "mux", "shift-add", "accumulation", "buffers", "interconnect"):
        assert b[part] == pytest.approx(a[part], rel=1e-12, abs=0)


def test_event_energies_count_the_pulses():
    once = _envm()
    each = once.replace(word_line_pulses="per-mux-step")
    sub = build_subarray(once)
    d = event_energies(each).per_kind["mvm"] - event_energies(once).per_kind["mvm"]
    rows = math.ceil(once.rows / sub.rows_on) * sub.rows_on
    expected = rows * once.input_bits * once.input_density * sub.e_row * (once.columns_per_adc - 1)
    assert d == pytest.approx(expected, rel=1e-9, abs=0)


def test_bad_options_raise():
    with pytest.raises(ConfigError, match="word_line_pulses"):
        _envm().replace(word_line_pulses="per-row")
    with pytest.raises(ConfigError, match="htree_energy"):
        _envm().replace(htree_energy="manhattan")


# ----- H-tree energy ----------------------------------------------------------------------------------------
def test_trip_energy_closed_form():
    """Grid 4: two levels, (2² − 1)·(h + w)/2 of branches plus the main bus min(4 − 2, 2)·w = 2w, at
    activity·(C_in + C_d + c_w·L)·V_DD²/L per metre; grid 9: (2⁴ − 1)·(h + w)/2 + 3w."""
    h, w = 120e-6, 80e-6
    per_m = htree_trip_energy(T22, 1.0, 0.0, 2, rc=NEUROSIM_22NM_BUS) / 0.5  # grid 2: (h + w)/2 + w, h = 1 m
    assert htree_trip_energy(T22, h, w, 4, rc=NEUROSIM_22NM_BUS) == pytest.approx(
        (1.5 * (h + w) + 2 * w) * per_m, rel=1e-6, abs=0)
    assert htree_trip_energy(T22, h, w, 9, rc=NEUROSIM_22NM_BUS) == pytest.approx(
        (7.5 * (h + w) + 3 * w) * per_m, rel=1e-6, abs=0)
    assert htree_trip_energy(T22, h, w, 1) == 0.0


def test_trip_energy_per_metre_neurosim_bus():
    """Per metre at activity 1: (C_in + C_d + c_w·L)·V_DD²/L with NeuroSim's 22 nm bus: its repeaters (10 of
    our inverters, 1.43 fF/µm of gate, 0.149 fF/µm of drain) every L; at least the bare wire's c_w·V_DD² and
    at most twice it (repeaters spaced for the wire to dominate)."""
    e = htree_trip_energy(T22, 1.0, 0.0, 2, activity=1.0, rc=NEUROSIM_22NM_BUS) / 0.5
    wire = NEUROSIM_22NM_BUS.c_wire * T22.vdd**2
    assert wire < e < 2 * wire


@settings(max_examples=25, deadline=None)
@given(st.floats(1e-6, 1e-3), st.floats(1e-6, 1e-3), st.integers(2, 64), st.floats(0.01, 1.0))
def test_trip_energy_scales_with_activity_and_size(h, w, grid, activity):
    one = htree_trip_energy(T22, h, w, grid, BUS_DELAY_TOLERANCE, 1.0, NEUROSIM_22NM_BUS)
    assert htree_trip_energy(T22, h, w, grid, BUS_DELAY_TOLERANCE, activity, NEUROSIM_22NM_BUS) == pytest.approx(
        activity * one, rel=1e-12, abs=0)
    assert htree_trip_energy(T22, 2 * h, 2 * w, grid, BUS_DELAY_TOLERANCE, 1.0, NEUROSIM_22NM_BUS) == pytest.approx(
        2 * one, rel=1e-12, abs=0)


@pytest.mark.parametrize("bad", [0.0, 1.5, float("nan")])
def test_trip_energy_bad_activity_raises(bad):
    with pytest.raises(ConfigError, match="activity"):
        htree_trip_energy(T22, 1e-4, 1e-4, 4, activity=bad)


def test_htree_energy_option_changes_interconnect_only():
    base = _envm()
    a = estimate(base, [LAYER]).layers[0].energy
    b = estimate(base.replace(htree_energy="neurosim"), [LAYER]).layers[0].energy
    assert NEUROSIM_BUS_ACTIVITY == 0.25
    assert b["interconnect"] != a["interconnect"]
    for part in ("array", "adc", "row drive", "mux", "shift-add", "accumulation", "buffers"):
        assert b[part] == pytest.approx(a[part], rel=1e-12, abs=0)


# ----- adder-tree stages ----------------------------------------------------------------------------------------
#: NeuroSim V1.3's ripple adder on its 22 nm LSTP card, printed from its Adder.cpp (a probe linking its objects,
#: asynchronous): 16 bits 1.0068 ns, 17 bits 1.0707 ns, 24 bits 1.5186 ns.
NS_ADDER_DELAY = {16: 1.0068e-9, 17: 1.0707e-9, 24: 1.5186e-9}


def test_neurosim_stage_cycles_from_its_adders():
    """Its stages of 16-24 bits round up to two periods of its 1 GHz initialization clock."""
    assert {math.ceil(d / NEUROSIM_HTREE_CYCLE) for d in NS_ADDER_DELAY.values()} == {NEUROSIM_ADDER_STAGE_CYCLES}


def test_adder_stage_cycles_scale_the_tree_time_only():
    """Accumulation time = shift-add cycles + k × tree cycles: linear in k; ADC time and energy unchanged."""
    base = table7_config("rram_he2020")
    est = {k: estimate(base.replace(adder_stage_cycles=k), vgg8_cifar10()) for k in (1, 2, 3)}
    acc = {k: e.latency_parts["accumulation"] for k, e in est.items()}
    assert acc[2] - acc[1] > 0
    assert acc[3] - acc[2] == pytest.approx(acc[2] - acc[1], rel=1e-9, abs=0)
    assert est[2].latency - est[1].latency == pytest.approx(acc[2] - acc[1], rel=1e-9, abs=0)
    assert est[2].latency_parts["adc"] == pytest.approx(est[1].latency_parts["adc"], rel=1e-12, abs=0)
    assert est[2].dynamic_energy == pytest.approx(est[1].dynamic_energy, rel=1e-12, abs=0)


def test_bad_stage_cycles_raise():
    with pytest.raises(ConfigError, match="adder_stage_cycles"):
        _envm().replace(adder_stage_cycles=0)
