"""H-tree trip time as DNN+NeuroSim V1.3 lays and times its buses (the Manhattan root-to-leaf path, the Elmore delay
per length of a bus repeated for its delay tolerance, the whole periods a trip then takes in the chip) and its
minimum-size mux decoder outputs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.cim import (
    CELL_PRESETS,
    NEUROSIM_HTREE_CYCLE,
    CIMConfig,
    build_subarray,
    estimate,
    table7_config,
)
from neurofab.cost.circuits import (
    bus_repeater_size,
    bus_wire_delay,
    decoder,
    driver_chain,
    htree_trip_length,
)
from neurofab.cost.gates import inverter, nand
from neurofab.cost.mapping import vgg8_cifar10
from neurofab.cost.technology import technology

T22 = technology(22)


def test_trip_length_closed_form():
    """Grid 4: two levels of a vertical and a horizontal branch (h + w, then 2h + 2w halves: 3·(h + w)) plus the
    main bus min(4 − 2, 2)·w = 2w; grid 9: four levels, 15·(h + w), centre 3, main bus 3·w."""
    h, w = 100e-6, 150e-6
    assert htree_trip_length(h, w, 4) == pytest.approx(3 * (h + w) + 2 * w)
    assert htree_trip_length(h, w, 9) == pytest.approx(15 * (h + w) + 3 * w)
    assert htree_trip_length(h, w, 1) == 0.0
    # grid 2: one level; centre ⌊log₂ 2⌋ = 1, main bus min(1, 1)·w
    assert htree_trip_length(h, w, 2) == pytest.approx(h + w + w)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 64), st.floats(1e-6, 1e-3), st.floats(1e-6, 1e-3))
def test_trip_length_scales_with_unit_and_spans_the_grid(grid, h, w):
    """Linear in the unit size; at least the span of the tree's levels, (2^N − 1)·(h + w) ≥ (grid − 1)·(h + w)."""
    one = htree_trip_length(h, w, grid)
    assert htree_trip_length(2 * h, 2 * w, grid) == pytest.approx(2 * one)
    assert one >= (grid - 1) * (h + w) * (1 - 1e-12)


def test_bus_wire_delay_closed_form():
    """0.7·(R_d·(C_in + C_d + c·L) + ½·r_b·c·L² + r_b·L·C_in)/L with the tolerance-shrunk repeater (size from
    bus_repeater_size, spacing the Bakoglu one × 0.9 per halving), R_d = R_n + R_p, r_b = r_w / 2²."""
    t = T22
    inv = inverter(t)
    r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
    spacing = math.sqrt(2 * r0 * (inv.c_in + inv.c_self) / (t.wire_resistance * t.wire_capacitance))
    s_opt = math.floor(math.sqrt(r0 * t.wire_capacitance / (inv.c_in * t.wire_resistance)))
    s = bus_repeater_size(t, 0.1)
    spacing *= 0.9 ** round(math.log2(s_opt / s))
    rep = inverter(t, s)
    rd = rep.r_pull_down + rep.r_pull_up
    rb, c = t.wire_resistance / 4, t.wire_capacitance
    want = 0.7 * (rd * (rep.c_in + rep.c_self + c * spacing) + 0.5 * rb * c * spacing**2
                  + rb * spacing * rep.c_in) / spacing
    assert bus_wire_delay(t, 0.1) == pytest.approx(want, rel=1e-6, abs=0)
    # the mean of the two transitions drives with half the series resistance: faster, never by more than 2×
    mean = bus_wire_delay(t, 0.1, series_driver=False)
    assert bus_wire_delay(t, 0.1) / 2 < mean < bus_wire_delay(t, 0.1)
    # a wider wire has less resistance: never slower
    assert bus_wire_delay(t, 0.1, width_factor=4.0) <= bus_wire_delay(t, 0.1, width_factor=1.0)


def test_bus_wire_delay_rejects_bad_input():
    with pytest.raises(ConfigError, match="width_factor"):
        bus_wire_delay(T22, 0.1, width_factor=0.5)
    with pytest.raises(ConfigError, match="delay_tolerance"):
        bus_wire_delay(T22, -1.0)
    with pytest.raises(ConfigError, match="unit_height"):
        htree_trip_length(-1.0, 1e-6, 4)


def test_interconnect_cycles_follow_the_trip_time():
    """With the channels layout a trip is timed over NeuroSim's path and takes more than the one cycle the
    straight repeated wire took; each traversal is at least one whole cycle either way."""
    layers = vgg8_cifar10()
    base = dict(cell=CELL_PRESETS["rram_he2020"], node_nm=22, output_pixels="valid", interconnect_swing=None,
                pe_grid=4)
    new = estimate(CIMConfig(**base), layers)
    old = estimate(CIMConfig(**base, htree_area="repeaters"), layers)
    assert new.latency_parts["interconnect"] > 1.5 * old.latency_parts["interconnect"]
    assert new.latency_parts["adc"] == pytest.approx(old.latency_parts["adc"])


def test_htree_cycle_counts_trips_in_its_periods():
    """NeuroSim's convention: a trip rounded up to whole 1 ns periods, each charged as one chip clock cycle. With
    a clock above 1 ns that charges at least as many cycles as rounding to the clock, and, when every trip fits
    one period, exactly as many transfers as with the clock (one cycle each)."""
    layers = vgg8_cifar10()
    base = CIMConfig(cell=CELL_PRESETS["rram_he2020"], node_nm=22, output_pixels="valid", interconnect_swing=None,
                     pe_grid=4)
    ns = estimate(base.replace(htree_cycle=NEUROSIM_HTREE_CYCLE), layers)
    own = estimate(base, layers)
    assert own.clock_period > NEUROSIM_HTREE_CYCLE
    assert ns.latency_parts["interconnect"] >= own.latency_parts["interconnect"] * (1 - 1e-12)
    assert ns.latency_parts["adc"] == pytest.approx(own.latency_parts["adc"])
    slow = estimate(base.replace(htree_cycle=1.0), layers)  # every trip within one period: one cycle per transfer
    fast = estimate(base.replace(htree_area="repeaters", htree_cycle=1.0), layers)
    assert slow.latency_parts["interconnect"] == pytest.approx(fast.latency_parts["interconnect"])


def test_htree_cycle_rejects_bad_input():
    with pytest.raises(ConfigError, match="htree_cycle"):
        CIMConfig(cell=CELL_PRESETS["rram_he2020"], htree_cycle=0.0)
    assert table7_config("rram_he2020").htree_cycle == NEUROSIM_HTREE_CYCLE


def test_minimum_decoder_output_closed_form():
    """'minimum' outputs: the sized chain replaced by one minimum-size inverter (an NMOS of two 2·F devices, 88 nm
    at 22 nm, below the 198 nm logic width) driving the load, so the delay differs by exactly
    ln 2·R·(C_d + C_load) − the chain's delay, and grows linearly with the load."""
    c = 200e-15
    inv = inverter(T22, 2 * 2 * 22e-9 / T22.nmos_width)
    assert inv.r_pull_down == pytest.approx(T22.r_on_n(88e-9))
    sized, small = decoder(T22, 8, c), decoder(T22, 8, c, "minimum")
    _, chain = driver_chain(T22, c)
    g, unit = nand(T22, 3), inverter(T22)  # 8 outputs: a NAND3 per output before its driver
    assert small.delay - sized.delay == pytest.approx(math.log(2) * inv.r_drive * (inv.c_self + c) - chain.delay
                                                      + g.delay(inv.c_in) - g.delay(unit.c_in), rel=1e-6, abs=0)
    assert small.delay > sized.delay
    d1, d2 = decoder(T22, 8, c, "minimum").delay, decoder(T22, 8, 2 * c, "minimum").delay
    assert d2 - d1 == pytest.approx(math.log(2) * inv.r_drive * c, rel=1e-6, abs=0)
    with pytest.raises(ConfigError, match="decoder outputs"):
        decoder(T22, 8, c, "tiny")


def test_mux_decoder_option_slows_the_sram_sensing_cycle_only_through_the_mux():
    cfg = table7_config("22nm-sram")
    assert cfg.mux_decoder == "minimum" and table7_config("rram_he2020").mux_decoder == "minimum"
    small, sized = build_subarray(cfg), build_subarray(cfg.replace(mux_decoder="sized"))
    assert small.timing["mux"] > sized.timing["mux"]
    assert small.timing["adc"] == pytest.approx(sized.timing["adc"], rel=1e-6, abs=0)
    assert small.t_sense - sized.t_sense == pytest.approx(
        max(small.timing["row"], small.timing["mux"]) - max(sized.timing["row"], sized.timing["mux"]), rel=1e-6, abs=0)
    with pytest.raises(ConfigError, match="mux_decoder"):
        cfg.replace(mux_decoder="tiny")
