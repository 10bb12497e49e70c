"""The estimator options that follow DNN+NeuroSim V1.3's first commit (weight_shift_add, sense_amp_area)."""

from __future__ import annotations

import math

import pytest

from neurofab.core import ConfigError
from neurofab.cost.cim import build_subarray, estimate, neurosim_buffer_bits, place, table7_config
from neurofab.cost.gates import inverter
from neurofab.cost.mapping import vgg8_cifar10
from neurofab.cost.periphery import MLSA_AMPLIFIER_NMOS, MLSA_DEVICES_PER_LEVEL, mlsa_adc
from neurofab.cost.technology import technology

RELEASE = table7_config("rram_he2020")  # 2-bit cells: 4 cells per 8-bit weight
FIRST = RELEASE.replace(weight_shift_add="per-column")
VGG = vgg8_cifar10()


def test_per_column_narrows_the_word_by_the_cells_of_a_weight():
    rel, first = build_subarray(RELEASE), build_subarray(FIRST)
    c = RELEASE.cells_per_weight
    assert c == 4
    assert rel.shift_add_bits == RELEASE.adc_bits + RELEASE.input_bits + c
    assert first.shift_add_bits == RELEASE.adc_bits + RELEASE.input_bits
    # one stage instead of two: less shift-add area and leakage in every sub-array
    assert first.area["shift-add"] < rel.area["shift-add"]
    assert first.leakage_parts["shift-add"] < rel.leakage_parts["shift-add"]
    # the PE output words the buffers carry are c bits narrower
    x = place(RELEASE, VGG)[0]
    b_rel, b_first = neurosim_buffer_bits(RELEASE, x, 100, 0), neurosim_buffer_bits(FIRST, x, 100, 0)
    assert b_first.pe_dff < b_rel.pe_dff


def test_per_column_counts_the_trees_once_per_column_read():
    rel, first = estimate(RELEASE, VGG), estimate(FIRST, VGG)
    assert first.area["accumulation"] < rel.area["accumulation"]
    assert first.leakage_power < rel.leakage_power
    # more tree and input-stage cycles: m column reads per vector where the release has m / c weight reads
    assert first.latency_parts["accumulation"] > rel.latency_parts["accumulation"]
    assert first.latency_parts["adc"] == pytest.approx(rel.latency_parts["adc"] * first.clock_period
                                                       / rel.clock_period, rel=1e-9, abs=0)


def test_one_cell_per_weight_has_no_weight_stage_to_drop():
    # with one cell per weight the release's weight stage is absent, so only the input stage's width differs
    cfg = table7_config("rram_he2020", weight_bits=2)
    assert cfg.cells_per_weight == 1
    rel, first = build_subarray(cfg), build_subarray(cfg.replace(weight_shift_add="per-column"))
    assert first.shift_add_bits == rel.shift_add_bits - 1


def test_sense_amp_area_leaves_out_48_nmos_per_level():
    t = technology(22)
    full, first = mlsa_adc(t, 5).adc.cost, mlsa_adc(t, 5, amplifier_nmos=False).adc.cost
    levels = 2**5 - 1
    assert math.isclose(full.area - first.area, levels * MLSA_AMPLIFIER_NMOS * inverter(t).area, rel_tol=1e-9)
    assert MLSA_AMPLIFIER_NMOS < MLSA_DEVICES_PER_LEVEL
    assert first.leakage == full.leakage and first.energy == full.energy
    # voltage mode has no such devices: unchanged
    assert (mlsa_adc(t, 5, mode="voltage", amplifier_nmos=False).adc.cost.area
            == mlsa_adc(t, 5, mode="voltage").adc.cost.area)
    rel = build_subarray(RELEASE)
    cut = build_subarray(RELEASE.replace(sense_amp_area="first-release"))
    assert cut.area["adc"] / rel.area["adc"] < 0.7
    assert cut.leakage == rel.leakage


@pytest.mark.parametrize(("field", "value"), [("weight_shift_add", "per-bit"), ("sense_amp_area", "none")])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        table7_config("rram_he2020", **{field: value})


def test_per_column_needs_the_two_stage_shift_add():
    with pytest.raises(ConfigError, match="weight_shift_add"):
        table7_config("rram_he2020", shift_add="lane", weight_shift_add="per-column")
