"""Leakage counted as DNN+NeuroSim V1.3 counts it (leakage_model='neurosim'): each block against its closed form,
the gates against NeuroSim's own gate leakage, and the whole chip against the per-layer leakage its run printed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost import leakage as lk
from neurofab.cost.cim import CELL_PRESETS, CellConfig, CIMConfig, build_subarray, estimate, table7_config
from neurofab.cost.mapping import vgg8_cifar10
from neurofab.cost.technology import technology

T22 = technology(22)
T7 = technology(7)

#: NeuroSim V1.3 at 22 nm LSTP (its formula.cpp CalculateGateLeakage on EnlargeSize'd minimum gates, V_DD 0.85 V),
#: measured with a probe linked against its objects: a gate's leakage / a minimum inverter's (19.54 pW).
NS_RATIO_TO_INV = {("nand", 2): 0.76316, ("nand", 16): 3.94300, ("nor", 2): 1.04430, ("nor", 3): 0.75028}
NS_VDD_22 = 0.85

#: NeuroSim V1.3 on its default Param.cpp design (22 nm, RRAM 2-bit cells, 128x128, 8 columns per 5-bit MLSA),
#: VGG-8 traces of benchmarks/neurosim_peer.py (seed 0): per-block leakage of one sub-array [W] and each layer's
#: leakage power [W], printed by the run (ProcessingUnit.cpp / main.cpp).
NS_SUBARRAY = {"wl+sl switch matrices": 2 * 2.00105e-08, "mux decoder": 7.13507e-10, "encoders": 2.65614e-08,
               "shift-add": 3.32494e-08 + 6.185e-08}
NS_LAYERS_UW = (11.5718, 28.3592, 56.7185, 59.5017, 119.003, 130.445, 430.772, 13.4616)


def _ns_default() -> CIMConfig:
    cell = CELL_PRESETS["rram_he2020"].replace(area_f2=48.0, read_voltage=0.5, write_voltage=2.0)
    return CIMConfig(node_nm=22, cell=cell, adc_bits=5, pe_grid=4, tile_grid=2, output_pixels="valid",
                     access_resistance_fraction=0.25, interconnect_swing=None, op_count="neurosim",
                     leakage_energy="idle", leakage_scope="tiles", leakage_model="neurosim")


def test_inverter_and_flip_flop_closed_form():
    for t in (T22, T7):
        inv = 0.5 * (t.nmos_width + t.pmos_width) * t.i_off * t.vdd
        assert lk.inverter(t) == pytest.approx(inv, rel=1e-12, abs=0)
        assert lk.dff(t) == pytest.approx(8 * inv, rel=1e-12, abs=0)  # NeuroSim DFF.cpp: eight inverters
        assert lk.dff(t, 1024) == pytest.approx(1024 * 8 * inv, rel=1e-12, abs=0)


def test_minimum_gates_from_widths_and_stack_ratios():
    t = T22
    w, r = t.nmos_width + t.pmos_width, t.pmos_width / t.nmos_width
    unit = t.i_off * t.vdd
    assert lk.nand(t, 2) == pytest.approx(0.48 * 2 * w * r / (r + 2) * unit, rel=1e-12, abs=0)
    assert lk.nand(t, 4) == pytest.approx(0.31 * 4 * w * r / (r + 2) * unit, rel=1e-12, abs=0)
    assert lk.nor(t, 2) == pytest.approx(0.95 * 2 * w / (1 + 2 * r) * unit, rel=1e-12, abs=0)
    assert lk.nor(t, 3) == pytest.approx(0.62 * 3 * w / (1 + 3 * r) * unit, rel=1e-12, abs=0)
    assert lk.nand(t, 1) == lk.nor(t, 1) == lk.inverter(t)


def test_gates_match_neurosim_relative_to_its_inverter():
    inv = lk.inverter(T22)
    for (kind, n), ratio in NS_RATIO_TO_INV.items():
        ours = (lk.nand if kind == "nand" else lk.nor)(T22, n) / inv
        assert ours == pytest.approx(ratio, rel=5e-3)


def test_adder_tree_counts_neurosim_stages():
    """9 inputs of 20 bits: stages of 4, 2, 1 adders (integer halving) of 20, 21, 22 bits = 144 full adders."""
    fa = 9 * lk.nand(T22, 2)
    assert lk.adder_tree(T22, 9, 20) == pytest.approx((4 * 20 + 2 * 21 + 22) * fa, rel=1e-12, abs=0)
    assert lk.adder_tree(T22, 4, 18, n_trees=64) == pytest.approx(64 * (2 * 18 + 19) * fa, rel=1e-12, abs=0)
    assert lk.adder_tree(T22, 1, 18, n_trees=64) == 0.0  # a layer filling one sub-array row adds nothing


def test_mux_decoder_encoder_shift_add_closed_forms():
    t = T22
    inv, n2 = lk.inverter(t), lk.nand(t, 2)
    # 8:1 mux: 3 address inverters, 4 predecoding NAND2, 8 NOR2, and per output a NAND2 and two inverters
    assert lk.mux_decoder(t, 8) == pytest.approx(
        3 * inv + 4 * n2 + 8 * lk.nor(t, 2) + 8 * (n2 + 2 * inv), rel=1e-6, abs=0)
    assert lk.mux_decoder(t, 1) == 0.0
    # 5-bit MLSA encoder: (32 + 5)·(INV + NAND2) + 5·NAND16
    assert lk.mlsa_encoder(t, 5, 16) == pytest.approx(16 * (37 * (inv + n2) + 5 * lk.nand(t, 16)), rel=1e-6, abs=0)
    # shift-adder: a-bit adder and a + p flip-flops per unit
    assert lk.shift_add(t, 16, 5, 4) == pytest.approx(16 * (5 * 9 * n2 + 9 * lk.dff(t)), rel=1e-6, abs=0)


def test_sram_cell_and_buffer_core():
    assert lk.sram_cell(T22) == pytest.approx(3 * 22e-9 * T22.i_off * T22.vdd, rel=1e-6, abs=0)  # 2 F + 1 F
    # 2 fins + 1
    assert lk.sram_cell(T7) == pytest.approx(3 * T7.fin_electrical_width * T7.i_off * T7.vdd, rel=1e-6, abs=0)
    assert lk.register_file_core(T22, 9216) == pytest.approx(lk.dff(T22, 1024), rel=1e-6, abs=0)
    assert lk.register_file_core(T22, 640) == pytest.approx(lk.dff(T22, 640), rel=1e-6, abs=0)


@given(st.integers(min_value=-3, max_value=0))
@settings(max_examples=10, deadline=None)
def test_bad_counts_rejected(n):
    with pytest.raises(ConfigError, match="inputs"):
        lk.nand(T22, n)
    with pytest.raises(ConfigError, match="mux ratio"):
        lk.mux_decoder(T22, n)


def test_leakage_model_rejects_unknown():
    with pytest.raises(ConfigError, match="leakage_model"):
        CIMConfig(cell=CELL_PRESETS["rram_he2020"], leakage_model="measured")


def test_subarray_blocks_match_neurosim_run():
    """Each block of NeuroSim's default sub-array, on the default card's V_DD (0.80 V against its 0.85 V: every block
    0.94x; the LSTP card, roadmap='lstp', carries its 0.85 V)."""
    sub = build_subarray(_ns_default())
    parts, scale = sub.leakage_parts, T22.vdd / NS_VDD_22
    assert sum(parts.values()) == pytest.approx(sub.leakage, rel=1e-12, abs=0)
    ours = {"wl+sl switch matrices": parts["row drivers"], "mux decoder": parts["mux"], "encoders": parts["adc"],
            "shift-add": parts["shift-add"]}
    for block, ns in NS_SUBARRAY.items():
        assert ours[block] == pytest.approx(scale * ns, rel=0.02), block


def test_chip_layers_match_neurosim_run():
    est = estimate(_ns_default(), vgg8_cifar10())
    scale = T22.vdd / NS_VDD_22
    for layer, ns in zip(est.layers, NS_LAYERS_UW, strict=True):
        assert layer.leakage == pytest.approx(scale * ns * 1e-6, rel=0.01), layer.name
    assert est.leakage_power == pytest.approx(sum(r.leakage for r in est.layers), rel=1e-12, abs=0)


def test_physical_model_is_the_default_and_leaks_more():
    cfg = _ns_default()
    phys = build_subarray(cfg.replace(leakage_model="physical"))
    assert CIMConfig(cell=CELL_PRESETS["rram_he2020"]).leakage_model == "physical"
    assert sum(phys.leakage_parts.values()) == pytest.approx(phys.leakage, rel=1e-12, abs=0)
    assert phys.leakage > build_subarray(cfg).leakage
    assert table7_config("rram_wu2018").leakage_model == "neurosim"


def test_sram_subarray_closed_form():
    cell = CellConfig(kind="sram", area_f2=280, read_voltage=0.5)
    cfg = CIMConfig(node_nm=22, cell=cell, adc_bits=4, leakage_model="neurosim")
    t = T22
    parts = build_subarray(cfg).leakage_parts
    assert parts["array"] == pytest.approx(128 * 128 * lk.sram_cell(t), rel=1e-6, abs=0)
    assert parts["row drivers"] == pytest.approx(lk.dff(t, 128), rel=1e-6, abs=0)  # WL switch matrix only
    assert parts["mux"] == 0.0  # NeuroSim's SRAM sub-array leaves its mux decoder out
    assert parts["other"] == pytest.approx(128 * (0.5 * (t.nmos_width + t.pmos_width) * t.i_off * t.vdd
                                                  + 3 * lk.inverter(t)), rel=1e-6, abs=0)
    assert parts["shift-add"] == pytest.approx(lk.shift_add(t, 16, 4, 8) + lk.shift_add(t, 16, 12, 8), rel=1e-6, abs=0)
    assert math.isclose(parts["adc"], lk.mlsa_encoder(t, 4, 16))
