"""eNVM write-path periphery as DNN+NeuroSim V1.3 lays it: fixed-size level shifters (folded in a tall row) and a
source-line switch per column — closed forms, the sub-array's area parts, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.cim import CELL_PRESETS, CIMConfig, build_subarray
from neurofab.cost.circuits import dff
from neurofab.cost.gates import transmission_gate
from neurofab.cost.periphery import (
    NEUROSIM_LEVEL_SHIFTER_WIDTHS,
    fixed_level_shifter_area,
    folded_columns,
    level_shifter,
)
from neurofab.cost.technology import technology

T22 = technology(22, roadmap="lstp")


def test_logic_inverter_fills_one_standard_row_without_folding():
    assert folded_columns(T22, T22.nmos_width, T22.pmos_width) == 1
    # a hair wider than the row holds: two fingers
    assert folded_columns(T22, 1.01 * T22.nmos_width, 1.01 * T22.pmos_width) == 2


@settings(max_examples=40, deadline=None)
@given(wn=st.floats(0.05e-6, 10e-6), wp=st.floats(0.05e-6, 10e-6), h=st.floats(1.0, 4.0))
def test_folding_closed_form(wn, wp, h):
    diffusion = h * T22.cell_height - (T22.cell_height - T22.nmos_width - T22.pmos_width)
    k = folded_columns(T22, wn, wp, h)
    assert k == max(1, math.ceil((wn + wp) / diffusion - 1e-9))
    assert (k - 1) * diffusion < wn + wp + 1e-15  # no spare finger


def test_neurosim_level_shifter_area_closed_form_at_22nm():
    # 2F = 44 nm devices; a 2.5 x 616 nm row leaves 1540 - 156 = 1384 nm of diffusion:
    # input 30/40 -> 3080 nm (3 fingers), latch 64/20 -> 3696 nm (3), pull-up 128/164 -> 12848 nm (10)
    w_min = 2 * T22.feature_size
    cols = [folded_columns(T22, wn * w_min, wp * w_min, 2.5) for wn, wp in NEUROSIM_LEVEL_SHIFTER_WIDTHS]
    assert cols == [3, 3, 10]
    pitches = (3 + 1) + 2.5 * (2 * (3 + 1) + (10 + 1))  # 51.5 half-cell-width pitches
    expected = 2.5 * T22.cell_height * T22.cell_width / 2 * pitches
    assert fixed_level_shifter_area(T22) == pytest.approx(expected, rel=1e-12, abs=0)
    # NeuroSim V1.3's own layout of the same devices: 1281.43 µm² for 128 shifters with alpha = 1.44
    assert fixed_level_shifter_area(T22) * 1.44 == pytest.approx(1281.43e-12 / 128, rel=0.06, abs=0)


def test_fixed_level_shifter_bad_input():
    with pytest.raises(ConfigError, match="io_scale"):
        fixed_level_shifter_area(T22, io_scale=0.0)
    with pytest.raises(ConfigError, match="widths"):
        fixed_level_shifter_area(T22, widths=((1.0, 1.0),))
    with pytest.raises(ConfigError, match="height_factor"):
        folded_columns(T22, 1e-7, 1e-7, height_factor=0.2)
    with pytest.raises(ConfigError, match="w_n"):
        folded_columns(T22, -1e-7, 1e-7)


def _cfg(cell: str, **kw) -> CIMConfig:
    return CIMConfig(node_nm=22, cell=CELL_PRESETS[cell].replace(area_f2=48.0), rows=128, cols=128, adc="mlsa",
                     columns_per_adc=8, adc_bits=5, access_resistance_fraction=0.25, roadmap="lstp", **kw)


def test_subarray_level_shifters_fixed_or_sized_for_the_word_line():
    n_ls = 128 + 2 * 128  # WL per row, BL and SL per column
    fixed = {c: build_subarray(_cfg(c, level_shifter_sizing="neurosim")) for c in ("rram_he2020", "rram_wu2018")}
    sized = {c: build_subarray(_cfg(c)) for c in ("rram_he2020", "rram_wu2018")}
    alpha = fixed["rram_he2020"].config.factors.alpha
    for sub in fixed.values():
        assert sub.area["level shifters"] == pytest.approx(
            n_ls * fixed_level_shifter_area(sub.tech) * alpha, rel=1e-6, abs=0)
    # sized for its load, the 6 kΩ cell's wide access devices need a larger shifter than the 100 kΩ cell's
    assert sized["rram_he2020"].area["level shifters"] > 2 * sized["rram_wu2018"].area["level shifters"]
    ls = level_shifter(T22, 2.0, 0.0, 2.5, v_switch=T22.vdd)
    assert sized["rram_wu2018"].area["level shifters"] >= n_ls * ls.area * alpha
    # the timing and energy of a read do not depend on how the write path is sized
    assert fixed["rram_wu2018"].t_sense == sized["rram_wu2018"].t_sense
    assert fixed["rram_wu2018"].e_row == sized["rram_wu2018"].e_row


def test_source_line_switches_one_per_column():
    off, on = build_subarray(_cfg("rram_wu2018")), build_subarray(_cfg("rram_wu2018", source_line_switches=True))
    assert "source-line switches" not in off.area
    assert on.area["source-line switches"] == pytest.approx(
        128 * (dff(T22).area + 2 * transmission_gate(T22).area), rel=1e-6, abs=0)
    assert on.leakage - off.leakage == pytest.approx(128 * dff(T22).leakage, rel=1e-6, abs=0)
    # SRAM has no source lines: the option changes nothing
    sram = CIMConfig(node_nm=22, cell=CELL_PRESETS["sram_8t"], adc="mlsa", adc_bits=4)
    assert build_subarray(sram.replace(source_line_switches=True)).area == build_subarray(sram).area


def test_bad_level_shifter_sizing_names_the_field():
    with pytest.raises(ConfigError, match="level_shifter_sizing"):
        _cfg("rram_wu2018", level_shifter_sizing="huge")
