"""CIM estimator: invariants of the chip estimate, monotonicity (ADC bits, array size, activity, calibration),
ledger pricing, bad input."""

from __future__ import annotations

import itertools
import math

import pytest

from neurofab.core import ConfigError, Ledger, UnknownNameError, record
from neurofab.cost.cim import (
    CELL_PRESETS,
    LU2021,
    RAW,
    CellConfig,
    CIMConfig,
    build_subarray,
    digital_mac,
    estimate,
    event_energies,
    ledger_energy,
    table7_config,
)
from neurofab.cost.mapping import LayerActivity, LayerSpec, vgg8_cifar10

VGG = vgg8_cifar10()
RRAM = table7_config("rram_wu2018")
SRAM = table7_config("22nm-sram")


def test_table7_presets():
    assert SRAM.cell.kind == "sram" and SRAM.adc_bits == 4 and SRAM.cells_per_weight == 8
    assert RRAM.cell.r_on == 100e3 and RRAM.adc_bits == 5 and RRAM.cells_per_weight == 2
    assert table7_config("7nm-sram").node_nm == 7
    assert table7_config("rram_he2020").cells_per_weight == 4
    assert table7_config("fefet_ni2018", adc_bits=6).adc_bits == 6
    assert LU2021.alpha == 1.44 and LU2021.eta == 1.22 and RAW.gamma == 1.0
    with pytest.raises(UnknownNameError, match="Table 7 design"):
        table7_config("mram")


def test_estimate_invariants():
    e = estimate(RRAM.replace(leakage_energy="chip"), VGG)
    assert e.ops == pytest.approx(2 * 615_917_568)  # VGG-8: stride 1, 'same' padding — both op counts agree
    assert e.total_area == pytest.approx(sum(e.area.values()))
    assert e.dynamic_energy == pytest.approx(sum(e.energy.values()))
    assert e.tops_per_w == pytest.approx(e.ops / (e.dynamic_energy + e.leakage_power * e.latency) / 1e12)
    assert e.tops_per_w_post_layout == pytest.approx(e.tops_per_w / 1.22)
    assert e.tops_per_mm2 == pytest.approx(e.ops / e.latency / (e.total_area * 1e6) / 1e12)
    assert e.latency == pytest.approx(e.cycles * e.clock_period)
    assert 0 < e.utilization <= 1
    assert e.clock_period >= e.sensing_window * LU2021.beta - 1e-18
    assert sum(layer.ops for layer in e.layers) == pytest.approx(e.ops)
    assert e.tiles == sum(layer.tiles for layer in e.layers)
    s = e.summary()
    assert s["area_mm2"] == pytest.approx(e.total_area * 1e6)
    assert all(v > 0 for v in s.values())


def test_exactly_filled_tiles_have_full_utilization():
    cfg = SRAM.replace(pe_grid=2)  # 8 columns per weight; a tile: 4 × 4 sub-arrays of 128 × 128 = 512 × 512 cells
    layer = LayerSpec("full", in_channels=512, out_channels=64)
    e = estimate(cfg, [layer])
    assert e.tiles == 1 and e.utilization == pytest.approx(1.0)
    half = estimate(cfg.replace(duplicate=False), [LayerSpec("half", 256, 64)])
    assert half.utilization == pytest.approx(0.5)
    # duplication fills the empty half with a second copy of the weights and halves the compute time
    dup = estimate(cfg, [LayerSpec("half", 256, 64)])
    assert dup.layers[0].copies == 2 and dup.utilization == pytest.approx(1.0)
    assert dup.latency < half.latency and dup.dynamic_energy == pytest.approx(half.dynamic_energy, rel=1e-6, abs=0)


def test_more_adc_bits_more_adc_energy_and_area():
    energies, areas = [], []
    for bits in (3, 4, 5, 6):
        e = estimate(RRAM.replace(adc_bits=bits), VGG)
        energies.append(e.energy["adc"])
        areas.append(e.area["adc"])
    assert energies == sorted(energies) and len(set(energies)) == 4
    assert areas == sorted(areas) and len(set(areas)) == 4


def test_larger_arrays_need_fewer_tiles():
    tiles = [estimate(RRAM.replace(rows=n, cols=n), VGG).tiles for n in (64, 128, 256, 512)]
    assert tiles == sorted(tiles, reverse=True) and len(set(tiles)) == 4


def test_calibration_switch():
    raw, cal = estimate(RRAM.replace(validated=False), VGG), estimate(RRAM, VGG)
    assert cal.area["level shifters"] == pytest.approx(1.44 * raw.area["level shifters"])
    assert cal.energy["shift-add"] < raw.energy["shift-add"]  # γ, δ < 1
    assert cal.clock_period >= raw.clock_period
    assert raw.tops_per_w_post_layout == pytest.approx(raw.tops_per_w)  # η = 1
    custom = estimate(RRAM.replace(calibration=LU2021.replace(alpha=2.0)), VGG)
    assert custom.area["level shifters"] == pytest.approx(2.0 * raw.area["level shifters"])
    assert "level shifters" not in estimate(SRAM, VGG).area


def test_activity_changes_energy():
    quiet = {layer.name: LayerActivity(0.1, 0.5) for layer in VGG}
    busy = {layer.name: LayerActivity(0.9, 0.5) for layer in VGG}
    flash = RRAM.replace(adc="flash")
    e_quiet, e_busy = estimate(flash, VGG, quiet), estimate(flash, VGG, busy)
    assert e_busy.energy["array"] > e_quiet.energy["array"]
    assert e_busy.energy["row drive"] == pytest.approx(9 * e_quiet.energy["row drive"], rel=1e-6, abs=0)
    assert e_busy.energy["adc"] == pytest.approx(e_quiet.energy["adc"])  # every conversion happens
    # MLSA: the column current is inside the amplifier's fitted power, the bit-line charge does not depend on it
    m_quiet, m_busy = estimate(RRAM, VGG, quiet), estimate(RRAM, VGG, busy)
    assert m_busy.energy["adc"] > m_quiet.energy["adc"]
    assert m_busy.energy["array"] == pytest.approx(m_quiet.energy["array"], rel=1e-6, abs=0)
    default = estimate(RRAM, VGG)
    half = {layer.name: LayerActivity(0.5, 0.5) for layer in VGG}
    assert estimate(RRAM, VGG, half).dynamic_energy == pytest.approx(default.dynamic_energy)


def test_access_transistor_sized_to_a_fraction_of_r_on():
    sub = build_subarray(table7_config("rram_he2020"))  # Table 7 designs: R_acc = 0.25·R_on (NeuroSim's rule)
    assert sub.line.r_access == pytest.approx(0.25 * 6e3)
    assert sub.g_on == pytest.approx(1 / 7.5e3) and sub.g_off == pytest.approx(1 / (900e3 + 1.5e3))
    high = build_subarray(RRAM)  # 100 kΩ: 0.25·R_on would need a device narrower than the minimum
    t = RRAM.tech()  # the sizing rule's ¾·V_DD/(I_on·W) on every card (a read leaves it in its linear region)
    assert high.line.r_access == pytest.approx(0.75 * t.vdd / (t.i_on_n * t.bitcell_width))
    assert high.line.r_access < 25e3
    # the drive card does not move the access resistance; its width, and so the line's drain load, follow the card
    lop_cfg = table7_config("rram_he2020", roadmap="lop")
    lop, t_lop = build_subarray(lop_cfg), lop_cfg.tech()
    assert lop.line.r_access == pytest.approx(sub.line.r_access, rel=1e-12, abs=0)
    w_lop = 0.75 * t_lop.vdd / (t_lop.i_on_n * 0.25 * 6e3)
    assert lop_cfg.cell.area_f2 is None  # the 1T1R default cell, 75 F²
    pitch = math.sqrt(75) * t_lop.feature_size
    assert lop.line.c_line == pytest.approx(lop_cfg.rows * (t_lop.c_drain * w_lop + t_lop.wire_capacitance * pitch),
                                            rel=1e-9, abs=0)


def test_mlsa_conversion_energy_closed_form():
    sub = build_subarray(RRAM)
    assert sub.mlsa is not None and sub.adc.kind == "mlsa"
    t = RRAM.tech()
    g = sub.column_conductance(128, 0.5, 0.5)
    ce = sub.conversion_energy(128, 0.5, 0.5)
    r_eff = (1 / g) * 0.5 / RRAM.cell.read_voltage  # the fits are at 0.5 V read
    column = 0.0631 * math.exp(-2.303 * math.log10(r_eff)) * 1e-9  # 22 nm LSTP fit over 1 ns
    assert ce["adc"] == pytest.approx(sub.e_adc + column, rel=1e-6, abs=0)
    # Table 7 eNVM designs charge the bit line from the read rail (bitline_energy='neurosim'): C_BL·V_read²
    assert RRAM.bitline_energy == "neurosim"
    assert ce["array"] == pytest.approx(sub.c_bitline * RRAM.cell.read_voltage**2, rel=1e-12, abs=0)
    supply = build_subarray(RRAM.replace(bitline_energy="supply"))  # regulated from V_DD: C_BL·V_DD·V_read
    assert supply.conversion_energy(128, 0.5, 0.5)["array"] == pytest.approx(
        supply.c_bitline * t.vdd * RRAM.cell.read_voltage, rel=1e-12, abs=0)


def test_resistance_and_sensing_physics():
    cfg = RRAM.replace(adc="flash", access_resistance_fraction=None)
    sub = build_subarray(cfg)
    t = RRAM.tech()
    r_acc = t.r_on_n(t.nmos_width)  # access transistor in series with each cell
    g_on, g_off = 1 / (100e3 + r_acc), 1 / (1e6 + r_acc)
    assert sub.g_on == pytest.approx(g_on, rel=1e-6, abs=0) and sub.g_off == pytest.approx(g_off, rel=1e-6, abs=0)
    r_wire = sub.line.r_wire
    assert sub.i_full_scale == pytest.approx(0.2 / (1 / (128 * g_on) + r_wire / 2))
    i = 0.2 / (1 / (64 * (g_off + 0.5 * (g_on - g_off))) + r_wire / 2)
    assert sub.column_current(128, 0.5, 0.5) == pytest.approx(i)
    ce = sub.conversion_energy(128, 0.5, 0.5)
    assert ce["array"] == pytest.approx(t.vdd * i * sub.t_current + sub.c_bitline * t.vdd * 0.2, rel=1e-6, abs=0)
    assert sub.t_current == pytest.approx(sub.timing["bit line"] + sub.timing["adc"], rel=1e-6, abs=0)
    assert sub.t_sense == pytest.approx(max(sub.timing["row"], sub.timing["mux"]) + sub.t_current, rel=1e-6, abs=0)
    high_r = build_subarray(cfg.replace(cell=RRAM.cell.replace(r_on=1e6)))
    assert high_r.t_sense > sub.t_sense  # smaller currents settle slower
    assert high_r.column_current(128, 0.5, 0.5) < i


def test_cell_and_config_validation():
    with pytest.raises(ConfigError, match="r_on"):
        CellConfig(kind="rram")
    with pytest.raises(ConfigError, match="1 bit"):
        CellConfig(kind="sram", bits_per_cell=2)
    with pytest.raises(ConfigError, match="read_voltage"):
        CellConfig(kind="pcm", r_on=4e4, on_off_ratio=10, read_voltage=-0.2)
    with pytest.raises(ConfigError, match="rows"):
        RRAM.replace(rows=0)
    with pytest.raises(ConfigError, match="columns_per_adc"):
        RRAM.replace(columns_per_adc=3)
    with pytest.raises(ConfigError, match="rows_parallel"):
        RRAM.replace(rows_parallel=256)
    with pytest.raises(ConfigError, match="sensing"):
        RRAM.replace(sensing="charge")
    with pytest.raises(ConfigError, match="reference_sharing"):
        RRAM.replace(sensing="voltage", adc="flash", reference_sharing=0)
    with pytest.raises(ConfigError, match="vdd"):
        RRAM.replace(vdd=-0.8)
    with pytest.raises(ConfigError, match="not tabulated"):  # refused at construction, before any estimate
        RRAM.replace(node_nm=5)
    with pytest.raises(ConfigError, match="non-empty"):
        estimate(RRAM, [])
    with pytest.raises(ConfigError, match="CIMConfig"):
        estimate("rram", VGG)


def test_config_roundtrip(tmp_path):
    cfg = RRAM.replace(rows_parallel=64, adc="sar")
    assert CIMConfig.load(cfg.dump(tmp_path / "chip.toml")) == cfg
    assert estimate(cfg, VGG).energy["adc"] > 0


def test_other_design_points_run():
    for name in CELL_PRESETS:
        if name == "sram_8t":
            continue
        e = estimate(table7_config(name, rows_parallel=32, node_nm=14), VGG)
        assert math.isfinite(e.tops_per_w) and e.tops_per_w > 0


# ----- ledger ----------------------------------------------------------------------------------------------
def test_ledger_energy():
    table = event_energies(RRAM)
    with Ledger() as led:
        record("mvm", 10)
        record("adc_conversion", 100, "5b")
        record("spike", 3)
    out = ledger_energy(led, table)
    assert out.total == pytest.approx(
        10 * table.per_kind["mvm"] + 100 * table.per_kind["adc_conversion"], rel=1e-6, abs=0)
    assert out.unpriced == ["spike"]
    assert ledger_energy(led, RRAM).total == pytest.approx(out.total, rel=1e-6, abs=0)
    with pytest.raises(UnknownNameError, match="spike"):
        ledger_energy(led, table, strict=True)
    assert table.priced("adc_conversion", "3b") < table.priced("adc_conversion", "5b")
    assert table.priced("mac", "4b") < table.priced("mac", "8b") == pytest.approx(
        table.per_kind["mac"], rel=1e-6, abs=0)
    assert table.per_kind["mac"] == pytest.approx(digital_mac(RRAM.tech(), 8, LU2021).energy, rel=1e-6, abs=0)
    with pytest.raises(ConfigError, match="precision"):
        table.priced("mac", "eight")
    with pytest.raises(ConfigError, match="MAC bits"):
        digital_mac(RRAM.tech(), 0)


def test_event_energies_consistent():
    table = event_energies(RRAM)
    k = table.per_kind
    assert k["mvm"] > RRAM.cols * RRAM.input_bits * k["adc_conversion"]
    assert k["sram_write"] > 0 and k["sram_read"] > 0 and k["device_read"] > 0
    assert set(k) == {"mvm", "adc_conversion", "dac_conversion", "device_read", "sram_read", "sram_write", "mac"}
    with pytest.raises(ConfigError, match="Ledger"):
        ledger_energy({"mvm": 1}, table)


# ----- read schemes ----------------------------------------------------------------------------------------
VOLT = RRAM.replace(sensing="voltage", adc="flash", rows_parallel=16, adc_bits=4)


def test_voltage_mode_subarray():
    sub = build_subarray(VOLT)
    sense = sub.sense
    assert sense.bits == 4 and sense.g_load > 0
    assert sub.adc.step == pytest.approx(sense.step_min)  # comparators sized for the smallest divider step
    # references: 15 columns shared by the 16 ADCs of the sub-array, priced inside the ADC energy
    assert sub.area["reference columns"] == pytest.approx(128 * 15 * sub.area["array"] / (128 * 128), rel=1e-6, abs=0)
    t = VOLT.tech()
    e_ref = (t.vdd * sense.reference_current * sub.t_current
             + sense.c_reference * t.vdd * sense.reference_charge_voltage) / 16
    assert sub.e_reference == pytest.approx(e_ref, rel=1e-6, abs=0)
    assert sub.e_adc == pytest.approx(sub.adc.cost.energy + e_ref, rel=1e-6, abs=0)
    own = build_subarray(VOLT.replace(reference_sharing=1))  # one reference set per ADC, as in the macro
    assert own.area["reference columns"] == pytest.approx(16 * sub.area["reference columns"], rel=1e-6, abs=0)
    assert own.e_reference > sub.e_reference
    # the data column: divider current through the mux, node charged to the divider voltage
    g = sub.column_conductance(16, 0.5, 0.5)
    g_eff = 1 / (1 / g + sub.r_mux)
    assert sub.column_current(16, 0.5, 0.5) == pytest.approx(sense.current(g_eff))
    ce = sub.conversion_energy(16, 0.5, 0.5)
    assert ce["array"] == pytest.approx(t.vdd * sense.current(g_eff) * sub.t_current
                                        + sub.c_node * t.vdd * sense.v_bitline(g_eff), rel=1e-6, abs=0)
    e = estimate(VOLT, VGG)
    assert e.energy["adc"] > 0 and math.isfinite(e.tops_per_w)
    with pytest.raises(ConfigError, match="flash"):
        VOLT.replace(adc="sar")


@pytest.mark.parametrize("sensing", ["current", "voltage"])
def test_more_adc_bits_cost_more_in_both_schemes(sensing):
    subs = [build_subarray(RRAM.replace(sensing=sensing, adc="flash", rows_parallel=32, adc_bits=b)) for b in (3, 4, 5)]
    for lo, hi in itertools.pairwise(subs):
        assert hi.e_adc > lo.e_adc
        assert hi.area["adc"] > lo.area["adc"]
        assert hi.t_sense > lo.t_sense


@pytest.mark.parametrize("sensing", ["current", "voltage"])
def test_more_rows_on_more_current_faster_settling(sensing):
    few, many = (build_subarray(RRAM.replace(sensing=sensing, adc="flash", rows_parallel=n, adc_bits=4,
                                             bitline_delay="settle")) for n in (16, 64))
    assert many.i_full_scale > few.i_full_scale
    assert many.timing["bit line"] < few.timing["bit line"]  # a larger full-scale conductance settles faster
    assert many.column_current(64, 0.5, 0.5) > few.column_current(16, 0.5, 0.5)


def test_sram_read_path():
    sub = build_subarray(SRAM.replace(adc="flash"))
    t = SRAM.tech()
    w = t.bitcell_width  # read port of bit-cell devices (2·F in bulk)
    assert w == pytest.approx(44e-9, rel=1e-6, abs=0)
    pitch = math.sqrt(t.sram_8t_area)
    assert sub.c_bitline == pytest.approx(128 * (t.c_drain * w + t.wire_capacitance * pitch), rel=1e-6, abs=0)
    assert sub.i_full_scale == pytest.approx(128 * t.vdd / (2 * t.r_on_n(w)))
    assert set(sub.timing) == {"row", "precharge", "bit line", "mux", "adc"}
    assert sub.t_sense == pytest.approx(sub.timing["precharge"] + max(sub.timing["row"], sub.timing["mux"])
                                        + sub.timing["bit line"] + sub.timing["adc"], rel=1e-6, abs=0)
    assert sub.area["precharge"] > 0 and sub.area["write path"] > 0
    # Table 7 SRAM counts every activated row's port (NeuroSim V1.3): half the ports conduct, half of full scale
    assert SRAM.sram_column_current == "activated"
    ce = sub.conversion_energy(128, 0.5, 0.5)
    assert ce["array"] == pytest.approx(sub.c_node * t.vdd * 0.5 * SRAM.adc_full_scale * t.vdd, rel=1e-9, abs=0)
    stored = build_subarray(SRAM.replace(adc="flash", sram_column_current="stored"))  # input 1 and stored 1: a quarter
    assert stored.conversion_energy(128, 0.5, 0.5)["array"] == pytest.approx(
        stored.c_node * t.vdd * 0.25 * SRAM.adc_full_scale * t.vdd, rel=1e-9, abs=0)
