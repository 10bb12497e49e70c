"""CIM estimator: invariants of the chip estimate, monotonicity (ADC bits, array size, activity, calibration),
ledger pricing, bad input."""

from __future__ import annotations

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
    e = estimate(RRAM, VGG)
    assert e.ops == pytest.approx(2 * 615_917_568)
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
    cfg = SRAM  # 8 columns per weight; a tile is 4 × 4 sub-arrays of 128 × 128 = 512 × 512 cells
    layer = LayerSpec("full", in_channels=512, out_channels=64)
    e = estimate(cfg, [layer])
    assert e.tiles == 1 and e.utilization == pytest.approx(1.0)
    half = estimate(cfg, [LayerSpec("half", 256, 64)])
    assert half.utilization == pytest.approx(0.5)


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
    e_quiet, e_busy = estimate(RRAM, VGG, quiet), estimate(RRAM, VGG, busy)
    assert e_busy.energy["array"] > e_quiet.energy["array"]
    assert e_busy.energy["row drive"] == pytest.approx(9 * e_quiet.energy["row drive"])
    assert e_busy.energy["adc"] == pytest.approx(e_quiet.energy["adc"])  # every conversion happens
    default = estimate(RRAM, VGG)
    half = {layer.name: LayerActivity(0.5, 0.5) for layer in VGG}
    assert estimate(RRAM, VGG, half).dynamic_energy == pytest.approx(default.dynamic_energy)


def test_resistance_and_sensing_physics():
    sub = build_subarray(RRAM)
    assert sub.g_on == pytest.approx(1e-5) and sub.g_off == pytest.approx(1e-6)
    assert sub.i_full_scale == pytest.approx(128 * 0.2 * 1e-5)
    i = sub.column_current(128, 0.5, 0.5)
    assert i == pytest.approx(64 * 0.2 * (1e-6 + 0.5 * 9e-6))
    ce = sub.conversion_energy(128, 0.5, 0.5)
    assert ce["array"] == pytest.approx(RRAM.tech().vdd * i * sub.t_current + sub.c_bitline * 0.8 * 0.2)
    high_r = build_subarray(RRAM.replace(cell=RRAM.cell.replace(r_on=1e6)))
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
    with pytest.raises(ConfigError, match="vdd"):
        RRAM.replace(vdd=-0.8)
    with pytest.raises(UnknownNameError, match="not tabulated"):
        estimate(RRAM.replace(node_nm=5), VGG)
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
    assert out.total == pytest.approx(10 * table.per_kind["mvm"] + 100 * table.per_kind["adc_conversion"])
    assert out.unpriced == ["spike"]
    assert ledger_energy(led, RRAM).total == pytest.approx(out.total)
    with pytest.raises(UnknownNameError, match="spike"):
        ledger_energy(led, table, strict=True)
    assert table.priced("adc_conversion", "3b") < table.priced("adc_conversion", "5b")
    assert table.priced("mac", "4b") < table.priced("mac", "8b") == pytest.approx(table.per_kind["mac"])
    assert table.per_kind["mac"] == pytest.approx(digital_mac(RRAM.tech(), 8, LU2021).energy)
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
