"""H-tree buses sized and timed with DNN+NeuroSim V1.3's 22 nm wire and repeater parameters (BusRC,
CIMConfig.htree_rc='neurosim') — closed forms against its HTree.cpp numbers, the card path unchanged, bad input."""

from __future__ import annotations

import math

import pytest

from neurofab.core import ConfigError
from neurofab.cost.cim import estimate, table7_config
from neurofab.cost.circuits import (
    NEUROSIM_22NM_BUS,
    BusRC,
    bus_repeater_size,
    bus_wire_delay,
    htree_channel_area,
)
from neurofab.cost.gates import inverter
from neurofab.cost.mapping import vgg8_cifar10
from neurofab.cost.technology import technology

T = technology(22, roadmap="lstp")
RC = NEUROSIM_22NM_BUS


def test_neurosim_bus_parameters_from_its_wire_tables():
    # Param.cpp: ρ = 4.03e-8 Ω·m, 40 nm wide, aspect ratio 1.9 → 13.26 Ω/µm; HTree.cpp GetUnitLengthRes for the
    # 2x-wide bus wire: 2.52e-8 Ω·m, AR 1.6, 80 nm → 2.46 Ω/µm
    assert RC.r_sizing * 1e-6 == pytest.approx(13.26, rel=1e-3)
    assert RC.r_bus * 1e-6 == pytest.approx(2.461, rel=1e-3)
    assert RC.c_wire == pytest.approx(0.2e-15 / 1e-6, rel=1e-6, abs=0)
    assert RC.c_drain == pytest.approx(0.714e-15 / 4.797e-6, rel=1e-3, abs=0)


def test_repeater_size_and_spacing_closed_form():
    """Optimum ⌊√(R₀·c_w/(C₀·r_w))⌋ with R₀ = R_n + R_p and C₀ = c_gate·(W_n + W_p); then halved (spacing × 0.9)
    until 10 % slower than the optimum."""
    inv = inverter(T)
    r0 = inv.r_pull_down + inv.r_pull_up
    c0 = RC.c_gate * (T.nmos_width + T.pmos_width)
    opt = math.floor(math.sqrt(r0 * RC.c_wire / (c0 * RC.r_sizing)))
    assert opt == 20
    cd = RC.c_drain * (T.nmos_width + T.pmos_width)

    def delay(s, length):
        return 0.7 * (r0 / s * (s * (c0 + cd) + RC.c_wire * length) + 0.5 * RC.r_sizing * RC.c_wire * length**2
                      + RC.r_sizing * length * s * c0) / length

    spacing = math.sqrt(2 * r0 * (c0 + inv.c_self) / (RC.r_sizing * RC.c_wire))
    target = 1.1 * delay(opt, spacing)
    size, d = float(opt), 0.0
    while d < target:
        size, spacing = size / 2, spacing * 0.9
        d = delay(size, spacing)
    assert bus_repeater_size(T, 0.1, RC) == size == 10.0
    # the same total gate width as NeuroSim's 47 × (44 + 58 nm) repeater within 5 %
    assert size * (T.nmos_width + T.pmos_width) == pytest.approx(47 * 102.05e-9, rel=0.05)
    # delay per length: 0.7·(R_d·(C_in + C_d + c·L) + ½·r_b·c·L² + r_b·L·C_in)/L, R_d = (R_n + R_p)/s
    w = size * (T.nmos_width + T.pmos_width)
    r_d = r0 / size
    c_in, c_d = RC.c_gate * w, RC.c_drain * w
    want = 0.7 * (r_d * (c_in + c_d + RC.c_wire * spacing) + 0.5 * RC.r_bus * RC.c_wire * spacing**2
                  + RC.r_bus * spacing * c_in) / spacing
    assert bus_wire_delay(T, 0.1, rc=RC) == pytest.approx(want, rel=1e-9, abs=0)
    # NeuroSim's own HTree on its 22 nm LSTP card: 0.377 ns/mm, repeaters every 108.8 µm
    assert bus_wire_delay(T, 0.1, rc=RC) * 1e-3 * 1e9 == pytest.approx(0.377, rel=0.05)
    assert spacing == pytest.approx(108.8e-6, rel=0.05)


def test_card_path_unchanged_without_rc():
    assert bus_wire_delay(T, 0.1, rc=None) == bus_wire_delay(T, 0.1)
    assert bus_repeater_size(T, 0.1) == 13.5  # the card's drive at its 0.85 V: optimum 27, halved once
    a_card = htree_channel_area(T, 4e-4, 4e-4, 9, 1152, 16.0, 0.1)
    a_ns = htree_channel_area(T, 4e-4, 4e-4, 9, 1152, 16.0, 0.1, RC)
    # vertical channels go with the repeater's cell width (10 fingers against 13.5), horizontal
    # ones and the main bus with its cell height (unchanged)
    assert 11 / 14 < a_ns / a_card < 1


def test_a_heavier_wire_gets_larger_slower_repeaters():
    heavy = BusRC(r_sizing=RC.r_sizing, r_bus=4 * RC.r_bus, c_wire=2 * RC.c_wire, c_gate=RC.c_gate,
                  c_drain=RC.c_drain)
    assert bus_repeater_size(T, 0.0, heavy) >= bus_repeater_size(T, 0.0, RC)
    assert bus_wire_delay(T, 0.1, rc=heavy) > bus_wire_delay(T, 0.1, rc=RC)


def test_htree_rc_in_the_estimate_and_its_node():
    base = table7_config("rram_wu2018")
    assert base.htree_rc == "neurosim"
    card = estimate(base.replace(htree_rc="card"), vgg8_cifar10())
    ns = estimate(base, vgg8_cifar10())
    assert ns.area["interconnect"] < card.area["interconnect"]
    assert ns.area["array"] == card.area["array"] and ns.area["adc"] == card.area["adc"]
    assert table7_config("7nm-sram").htree_rc == "card"
    with pytest.raises(ConfigError, match="htree_rc"):
        base.replace(node_nm=14)
