"""The LSTP technology card (DNN+NeuroSim V1.3's PTM LP drive) and the timing that follows from it: effective
resistances, the repeated bus per millimetre from R, C and the repeater spacing, the mux decoder's RC, the MLSA
encoder, the clocking of the adder trees, and the SRAM column-current and mux options."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, UnknownNameError
from neurofab.cost.cim import (
    CELL_PRESETS,
    CIMConfig,
    build_subarray,
    estimate,
    table7_config,
)
from neurofab.cost.circuits import _bus_repeater, bus_wire_delay, decoder, dff, ripple_adder
from neurofab.cost.gates import inverter, nand, nor
from neurofab.cost.mapping import vgg8_cifar10
from neurofab.cost.periphery import column_mux, level_shifter, mlsa_encoder, row_driver
from neurofab.cost.technology import LSTP, PASS_R_FACTOR, technology

LOP, LSTP22 = technology(22), technology(22, roadmap="lstp")


def test_lstp_card_is_the_ptm_lp_drive_and_supply():
    """I_on 791.9 / 600.2 µA/µm, k = 1.77 and V_DD 0.85 V (Technology.cpp, 22 nm LSTP); geometry, capacitance and
    off-current (100 pA/µm, the default card's) unchanged."""
    t = LSTP22
    assert (t.i_on_n, t.i_on_p, t.r_eff_factor, t.vdd, t.roadmap) == (791.9, 600.2, 1.77, 0.85, "lstp")
    assert LOP.vdd == 0.8
    for name in ("nmos_width", "pmos_width", "c_gate", "c_drain", "i_off", "wire_resistance",
                 "wire_capacitance", "cell_width", "cell_height"):
        assert getattr(t, name) == getattr(LOP, name), name
    assert LOP.r_eff_factor == 0.75 and LOP.roadmap == "lop"
    # R = k·V_DD/(I_on·W): NeuroSim's minimum inverter (2F = 44 nm NMOS, 58 nm PMOS at its 0.85 V) is 86.4 kΩ
    # in series; at our logic widths the card gives 19.1 kΩ, 2.2× the default card's 8.6 kΩ at 0.8 V
    r_ns = t.r_on_n(44e-9) + t.r_on_p(44e-9 * 791.9 / 600.2)
    assert r_ns == pytest.approx(86.4e3, rel=2e-3)
    inv_lop, inv_lstp = inverter(LOP), inverter(LSTP22)
    assert inv_lstp.r_pull_down + inv_lstp.r_pull_up == pytest.approx(
        1.77 * 0.85 / 791.9 / 198e-9 + 1.77 * 0.85 / 600.2 / 262e-9)
    assert inv_lop.r_pull_down + inv_lop.r_pull_up == pytest.approx(8.56e3, rel=2e-3)
    assert inv_lstp.c_in == inv_lop.c_in
    assert inv_lstp.leakage == pytest.approx(inv_lop.leakage * 0.85 / 0.8, rel=1e-12, abs=0)  # V_DD·I_off·W
    assert t.width_for_resistance(t.r_on_n(300e-9)) == pytest.approx(300e-9, rel=1e-6, abs=0)
    assert technology(22, vdd=0.8, roadmap="lstp").vdd == 0.8  # an explicit supply overrides the card's


@pytest.mark.parametrize("node", [22, 20, 16, 14, 12, 10, 7])
def test_lstp_nodes_and_half_nodes(node):
    t = technology(node, roadmap="lstp")
    full = {20: 22, 16: 22, 12: 14}.get(node, node)
    assert (t.i_on_n, t.i_on_p, t.r_eff_factor, t.vdd) == LSTP[full]
    assert t.i_off == technology(node).i_off


def test_lstp_rejects_untabulated_nodes_and_names():
    with pytest.raises(UnknownNameError, match="lstp"):
        technology(45, roadmap="lstp")
    with pytest.raises(ConfigError, match="roadmap"):
        technology(22, roadmap="hp")
    with pytest.raises(ConfigError, match="roadmap"):
        CIMConfig(cell=CELL_PRESETS["rram_he2020"], node_nm=45, roadmap="lstp")
    with pytest.raises(ConfigError, match="resistance"):
        LOP.width_for_resistance(0.0)


@pytest.mark.parametrize("tech", [LOP, LSTP22], ids=["lop", "lstp"])
def test_bus_delay_per_mm_from_r_c_and_spacing(tech):
    """Delay per length 0.7·(R_d·(C_in + C_d + c·L) + ½·r_b·c·L² + r_b·L·C_in)/L from the card's R and C: the
    repeater (size s, spacing L) from the tolerance search; r_b = r_w/4 (2× wide bus wire), R_d = R_n + R_p."""
    s, spacing = _bus_repeater(tech, 0.1)
    rep = inverter(tech, s)
    r_d = tech.r_on_n(s * tech.nmos_width) + tech.r_on_p(s * tech.pmos_width)
    c_in = tech.c_gate * s * (tech.nmos_width + tech.pmos_width)
    # c_drain = c_gate per width
    assert rep.c_in == pytest.approx(c_in, rel=1e-6, abs=0) and rep.c_self == pytest.approx(c_in, rel=1e-6, abs=0)
    rb, c = tech.wire_resistance / 4, tech.wire_capacitance
    want = 0.7 * (r_d * (2 * c_in + c * spacing) + 0.5 * rb * c * spacing**2 + rb * spacing * c_in) / spacing
    assert bus_wire_delay(tech, 0.1) == pytest.approx(want, rel=1e-6, abs=0)


def test_lstp_bus_is_slower_by_the_square_root_law():
    """Optimally repeated wires scale as √(R₀C₀): 2.1× the drive resistance at the same capacitance makes the
    unconstrained (tolerance 0) bus √2.1 = 1.45× slower, within the repeater size's integer rounding; with the
    10 % tolerance the NeuroSim-style bus lands between 1 and 2.1× the default card's."""
    ratio_r = (inverter(LSTP22).r_pull_down + inverter(LSTP22).r_pull_up) / (
        inverter(LOP).r_pull_down + inverter(LOP).r_pull_up)
    d0 = bus_wire_delay(LSTP22, 0.0) / bus_wire_delay(LOP, 0.0)
    assert d0 == pytest.approx(math.sqrt(ratio_r), rel=0.08)
    d1 = bus_wire_delay(LSTP22, 0.1) / bus_wire_delay(LOP, 0.1)
    assert 1.0 < d1 < ratio_r
    # the bus of NeuroSim's card, 0.377-0.386 ns/mm: ours with its drive 0.316 ns/mm (its larger gate
    # capacitance per width, 1.43 against 0.87 fF/µm, is the remainder)
    assert 0.30e-6 < bus_wire_delay(LSTP22, 0.1) < 0.33e-6


@given(c_load=st.floats(1e-15, 1e-12))
@settings(max_examples=25, deadline=None)
def test_minimum_decoder_rc_follows_the_card(c_load):
    """A 'minimum' output: ln 2·R·(C_d + C_load) with R the card's k·V_DD/(I_on·W) of the 88 nm driver; the LSTP
    card slows that term by its resistance ratio exactly (same capacitances)."""
    w = 2 * 2 * 22e-9
    for t in (LOP, LSTP22):
        inv = inverter(t, w / t.nmos_width)
        r = max(t.r_on_n(w), t.r_on_p(w / t.nmos_width * t.pmos_width))
        assert inv.r_drive == pytest.approx(r)
        d1 = decoder(t, 8, c_load, "minimum").delay
        d2 = decoder(t, 8, 2 * c_load, "minimum").delay
        assert d2 - d1 == pytest.approx(math.log(2) * r * c_load, rel=1e-6, abs=0)
    slope = [decoder(t, 8, 2 * c_load, "minimum").delay - decoder(t, 8, c_load, "minimum").delay
             for t in (LOP, LSTP22)]
    r_ratio = max(LSTP22.r_on_n(w), LSTP22.r_on_p(w / 198e-9 * 262e-9)) / max(LOP.r_on_n(w),
                                                                              LOP.r_on_p(w / 198e-9 * 262e-9))
    assert slope[1] / slope[0] == pytest.approx(r_ratio)


def test_mlsa_encoder_wide_nand_as_a_gate_tree():
    """5 bits: 32 levels, the 16-input NAND timed as four levels NAND2 → NOR2 → NAND2 → NOR2, the last driving
    the output inverter."""
    t = LSTP22
    inv, n2, o2 = inverter(t), nand(t, 2), nor(t, 2)
    wide = nand(t, 16)
    want = (inv.delay(2 * n2.c_in) + n2.delay(16 * wide.c_in) + n2.delay(o2.c_in) + o2.delay(n2.c_in)
            + n2.delay(o2.c_in) + o2.delay(inv.c_in) + inv.delay())
    assert mlsa_encoder(t, 5).delay == pytest.approx(want, rel=1e-6, abs=0)
    # 1 bit: a one-input "tree" is one NAND2 level
    assert mlsa_encoder(t, 1).delay == pytest.approx(inv.delay(2 * n2.c_in) + n2.delay(n2.c_in) + n2.delay(inv.c_in)
                                                     + inv.delay(), rel=1e-6, abs=0)


def test_pass_devices_keep_their_sizing_rule_on_every_card():
    """Mux switches and eNVM access transistors conduct in their linear region: ¾·V_DD/(I_on·W) on both cards,
    so the mux is sized alike (same on-resistance target) while its decoder drives at the card's speed."""
    for t in (LOP, LSTP22):
        m = column_mux(t, 128, 8, r_column=20e3, r_fraction=0.1)
        rn = PASS_R_FACTOR * t.vdd / (t.i_on_n * m.size * t.nmos_width)
        rp = PASS_R_FACTOR * t.vdd / (t.i_on_p * m.size * t.pmos_width)
        assert m.r_on == pytest.approx(rn * rp / (rn + rp))
        assert m.r_on <= 0.1 * 20e3 * (1 + 1e-9) or m.size == 1.0
    cfg = table7_config("rram_he2020")
    assert cfg.roadmap == "lstp"
    assert build_subarray(cfg).line.r_access == pytest.approx(0.25 * 6e3)


def test_level_shifters_are_off_the_read_path():
    """The eNVM word line rises through its driver only: the level shifters (write path, gated off) add area but
    no read delay or read energy."""
    sub = build_subarray(table7_config("rram_he2020"))
    assert sub.area["level shifters"] > 0
    assert sub.t_sense == pytest.approx(max(sub.timing["row"], sub.timing["mux"]) + sub.timing["bit line"]
                                        + sub.timing["adc"], rel=1e-6, abs=0)
    t = sub.tech
    cell = sub.config.cell
    pitch = math.sqrt(sub.area["array"] / 128**2)
    w_acc = max(t.bitcell_width, PASS_R_FACTOR * t.vdd / (t.i_on_n * 0.25 * cell.r_on))
    c_wl = 128 * (t.c_gate * w_acc + t.wire_capacitance * pitch)
    drv = row_driver(t, c_wl, t.wire_resistance * 128 * pitch)
    assert sub.timing["row"] == pytest.approx(drv.delay, rel=1e-6, abs=0) and sub.e_row == pytest.approx(
        drv.energy, rel=1e-6, abs=0)


def test_two_stage_adder_trees_clock_a_level_per_cycle():
    """With the two-stage shift-add the trees take a cycle per level, so the clock holds the widest level
    (a ripple adder of bits + levels − 1) and a flip-flop, not the whole tree."""
    layers = vgg8_cifar10()
    cfg = table7_config("rram_he2020")
    est = estimate(cfg, layers)
    sub = build_subarray(cfg)
    t = cfg.tech()
    assert est.clock_period >= sub.t_sense * cfg.factors.beta
    lane = estimate(cfg.replace(shift_add="lane"), layers)
    assert lane.clock_period >= est.clock_period
    # the per-level bound: the 4-input PE tree of 9-bit words is a 10-bit adder + DFF
    assert ripple_adder(t, 9 + 2 - 1).delay + dff(t).delay < sub.t_sense * cfg.factors.beta


def test_sram_column_current_option():
    """'activated' counts every activated row's read port whatever its stored bit: 1/level × 'stored'."""
    cfg = table7_config("22nm-sram")
    assert cfg.sram_column_current == "activated" and cfg.mux_sizing == "all-rows"
    act, sto = build_subarray(cfg), build_subarray(cfg.replace(sram_column_current="stored"))
    for level in (0.25, 0.5, 1.0):
        assert act.column_current(128, 0.2, level) == pytest.approx(sto.column_current(128, 0.2, level) / level)
    assert act.conversion_energy(128, 0.2, 0.5)["adc"] > sto.conversion_energy(128, 0.2, 0.5)["adc"]
    with pytest.raises(ConfigError, match="sram_column_current"):
        cfg.replace(sram_column_current="all")


def test_sram_mux_sized_for_all_rows():
    """'all-rows' with fraction 0.125: the switch is sized for 0.125 × R_port/rows (NeuroSim's
    IR_DROP_TOLERANCE × R_access/rows/2); 'average' sizes it for a quarter of the rows."""
    cfg = table7_config("22nm-sram")
    sub = build_subarray(cfg)
    avg = build_subarray(cfg.replace(mux_sizing="average"))
    assert sub.mux.size > avg.mux.size
    r_all = 1 / sub.line.column_conductance(128 * sub.g_on)  # all rows' ports in parallel, through the wire
    assert sub.mux.r_on == pytest.approx(0.125 * r_all)
    r_quarter = 1 / sub.line.column_conductance(0.25 * 128 * sub.g_on)  # 'average': a quarter of the rows
    assert avg.mux.r_on == pytest.approx(0.125 * r_quarter)
    assert sub.timing["mux"] > avg.timing["mux"]
    with pytest.raises(ConfigError, match="mux_sizing"):
        cfg.replace(mux_sizing="all")


def test_sram_precharge_every_column():
    """'every-column': a conversion recharges the bit lines of all columns_per_adc columns its mux steps over
    (the word lines open every read port each step): the array term × 8, the amplifier's unchanged."""
    cfg = table7_config("22nm-sram")
    assert cfg.sram_precharge == "every-column"
    every, sensed = build_subarray(cfg), build_subarray(cfg.replace(sram_precharge="sensed"))
    e1, e0 = every.conversion_energy(128, 0.2, 0.5), sensed.conversion_energy(128, 0.2, 0.5)
    assert e0["array"] == pytest.approx(sensed.c_bitline * sensed.tech.vdd * cfg.cell.read_voltage, rel=1e-6, abs=0)
    assert e1["array"] == pytest.approx(
        cfg.columns_per_adc * e0["array"], rel=1e-6, abs=0) and e1["adc"] == pytest.approx(e0["adc"], rel=1e-6, abs=0)
    rram = table7_config("rram_he2020")
    assert build_subarray(rram.replace(sram_precharge="every-column")).conversion_energy(128, 0.2, 0.5) == \
        build_subarray(rram).conversion_energy(128, 0.2, 0.5)  # eNVM: no effect
    with pytest.raises(ConfigError, match="sram_precharge"):
        cfg.replace(sram_precharge="all")


def test_read_level_shifters_option_puts_them_back_in_the_read():
    """read_level_shifters=True (a macro whose sensing path lists them): the word-line rise and the row energy
    add the level shifter's delay and energy, nothing else changes."""
    cfg = table7_config("rram_he2020")
    off, on = build_subarray(cfg), build_subarray(cfg.replace(read_level_shifters=True))
    t = cfg.tech()
    pitch = math.sqrt(off.area["array"] / 128**2)
    w_acc = max(t.bitcell_width, PASS_R_FACTOR * t.vdd / (t.i_on_n * 0.25 * cfg.cell.r_on))
    c_wl = 128 * (t.c_gate * w_acc + t.wire_capacitance * pitch)
    ls = level_shifter(t, max(cfg.cell.write_voltage, t.vdd), c_wl, cfg.io_layout_scale, v_switch=t.vdd)
    assert on.timing["row"] == pytest.approx(off.timing["row"] + ls.delay, rel=1e-6, abs=0)
    assert on.e_row == pytest.approx(off.e_row + ls.energy, rel=1e-6, abs=0)
    assert on.area == off.area and on.leakage == off.leakage


def test_envm_mux_sized_for_all_rows_mean_resistance():
    """eNVM 'all-rows' with fraction 0.25 (NeuroSim's resMemCellAvg/rows × IR_DROP_TOLERANCE): the switch targets
    0.25 × (R_acc + (R_on + R_off)/2)/rows, through the column line; a minimum switch where that is above it."""
    cfg = table7_config("rram_he2020")
    assert (cfg.mux_sizing, cfg.mux_resistance_fraction, cfg.mux_decoder) == ("all-rows", 0.25, "minimum")
    sub = build_subarray(cfg)
    r_mean = 1.5e3 + 0.5 * 6e3 * (1 + 150)
    target = 0.25 / sub.line.column_conductance(128 / r_mean)
    assert sub.mux.r_on == pytest.approx(target)  # 0.91 kΩ, NeuroSim's 0.89 kΩ without the wire
    fefet = build_subarray(table7_config("fefet_ni2018"))
    assert fefet.mux.size == 1.0
    avg = build_subarray(cfg.replace(mux_sizing="average", mux_resistance_fraction=0.1, mux_decoder="sized"))
    assert avg.mux.size > 10 * sub.mux.size  # the average-conductance rule sized it for the on cells
