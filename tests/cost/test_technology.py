"""Technology table: Table 1 of Lu et al. 2021 verbatim, derived electrical quantities by hand, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, UnknownNameError
from neurofab.cost.technology import EPS_OX, FULL_NODES_NM, HALF_NODES_NM, Technology, technology

NM = 1e-9
# node: gate length, cell width, cell height (Table 1)
TABLE1 = {130: (75, 988, 3640), 90: (55, 684, 2520), 65: (35, 494, 1820), 45: (30, 342, 1260),
          32: (28, 243, 896), 22: (26, 167, 616), 14: (22, 143, 462), 10: (20, 104, 336), 7: (18, 78, 250)}
BULK_WIDTHS = {130: (907, 1809), 90: (689, 1191), 65: (507, 850), 45: (352, 587), 32: (267, 401), 22: (198, 262)}
FINFET = {14: (3, 48, 37, 8), 10: (3, 36, 42, 6), 7: (2, 30, 52, 6)}  # fins, pitch, height, width


@pytest.mark.parametrize("node", FULL_NODES_NM)
def test_table1_geometry(node):
    t = technology(node)
    lg, cw, ch = TABLE1[node]
    assert t.gate_length == pytest.approx(lg * NM, rel=1e-6, abs=0)
    assert t.cell_width == pytest.approx(cw * NM, rel=1e-6, abs=0)
    assert t.cell_height == pytest.approx(ch * NM, rel=1e-6, abs=0)
    assert t.feature_size == pytest.approx(node * NM, rel=1e-6, abs=0)
    if node in BULK_WIDTHS:
        assert t.device == "bulk"
        assert t.nmos_width == pytest.approx(BULK_WIDTHS[node][0] * NM, rel=1e-6, abs=0)
        assert t.pmos_width == pytest.approx(BULK_WIDTHS[node][1] * NM, rel=1e-6, abs=0)
    else:
        fins, pitch, height, width = FINFET[node]
        assert t.device == "finfet"
        assert (t.fins_nmos, t.fins_pmos) == (fins, fins)
        assert t.fin_pitch == pytest.approx(pitch * NM, rel=1e-6, abs=0)
        assert t.fin_electrical_width == pytest.approx((2 * height + width) * NM, rel=1e-6, abs=0)
        assert t.nmos_width == pytest.approx(fins * (2 * height + width) * NM, rel=1e-6, abs=0)


def test_supplies_are_ptm_nominal():
    assert [technology(n).vdd for n in FULL_NODES_NM] == [1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.75, 0.7]


def test_derived_electrical_quantities_by_hand():
    t = technology(22)
    c_gate = EPS_OX * 26e-9 / (1.05e-9 + 0.4e-9) + 0.25e-9
    assert t.c_gate == pytest.approx(c_gate, rel=1e-12, abs=0)
    assert t.c_gate * 1e9 == pytest.approx(0.869, abs=0.001)  # ≈ 0.87 fF/µm
    assert t.c_drain == t.c_gate
    assert t.r_on_n(198e-9) == pytest.approx(0.75 * 0.8 / (800.0 * 198e-9))
    assert t.r_on_p(262e-9) == pytest.approx(0.75 * 0.8 / (480.0 * 262e-9))
    assert t.pelgrom_avt == pytest.approx(1e-3 * 1e-6 * 1.45, rel=1e-6, abs=0)  # 1.45 mV·µm
    w, th = 45e-9, 90e-9
    rho = 1.72e-8 * (1 + 0.375 * 39e-9 * (1 / w + 1 / th))
    assert t.wire_resistance == pytest.approx(rho / (w * th))
    assert t.sram_8t_area == pytest.approx(1.3 * 0.092e-12, rel=1e-6, abs=0)


def test_half_node_is_an_optical_shrink():
    t40, t45 = technology(40), technology(45)
    s = 40 / 45
    assert t40.cell_width == pytest.approx(t45.cell_width * s, rel=1e-6, abs=0)
    assert t40.nmos_width == pytest.approx(t45.nmos_width * s, rel=1e-6, abs=0)
    assert t40.i_on_n == t45.i_on_n and t40.vdd == t45.vdd
    # the 0.3404 µm² inverter of the paper's Table 5 (1,336 µm² / 2,133 / 1.84)
    assert t40.inverter_area * 1e12 == pytest.approx(1336 / 2133 / 1.84, rel=2e-3)
    assert set(HALF_NODES_NM) == {40, 28, 20, 16, 12}


def test_scaling_trends():
    areas = [technology(n).inverter_area for n in FULL_NODES_NM]
    assert areas == sorted(areas, reverse=True)
    assert technology(130).fo4_delay > technology(45).fo4_delay > technology(7).fo4_delay
    assert technology(130).wire_resistance < technology(7).wire_resistance


@pytest.mark.parametrize("bad", [5, 180, 33, 22.5, 0, -22])
def test_unknown_node_raises(bad):
    with pytest.raises(UnknownNameError, match="not tabulated"):
        technology(bad)


@pytest.mark.parametrize("bad", ["22", None, float("nan"), True])
def test_non_numeric_node_raises(bad):
    with pytest.raises(ConfigError):
        technology(bad)


@pytest.mark.parametrize("vdd", [-0.8, 0.0, float("inf")])
def test_bad_supply_raises(vdd):
    with pytest.raises(ConfigError, match="vdd"):
        technology(22, vdd=vdd)


def test_config_checks_and_roundtrip(tmp_path):
    t = technology(7)
    assert Technology.load(t.dump(tmp_path / "t.toml")) == t
    with pytest.raises(ConfigError, match="i_off"):
        t.replace(i_off=t.i_on_n * 2)
    with pytest.raises(ConfigError, match="fins"):
        t.replace(fins_nmos=0)
    with pytest.raises(ConfigError, match="vdd"):
        t.replace(vdd=-1.0)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(FULL_NODES_NM), st.floats(0.3, 1.5))
def test_switching_resistance_scales_with_supply(node, vdd):
    base, scaled = technology(node), technology(node, vdd=vdd)
    ratio = scaled.r_on_n(base.nmos_width) / base.r_on_n(base.nmos_width)
    assert math.isclose(ratio, vdd / base.vdd, rel_tol=1e-12)


def test_bitcell_width():
    assert technology(22).bitcell_width == pytest.approx(44e-9, rel=1e-6, abs=0)  # 2·F in bulk
    assert technology(7).bitcell_width == pytest.approx((2 * 52 + 6) * 1e-9, rel=1e-6, abs=0)  # one fin
    for node in FULL_NODES_NM:
        t = technology(node)
        assert t.bitcell_width <= t.nmos_width  # never wider than the standard-cell logic device
