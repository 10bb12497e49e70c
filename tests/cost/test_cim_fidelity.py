"""The models that bring the CIM estimator to DNN+NeuroSim V1.3's structures: multilevel sense amplifier, encoder,
driver chains, H-tree channels, novel mapping with weight duplication, register-file buffer timing, valid output
pixels, and the designs NeuroSim refuses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, ShapeError
from neurofab.cost.cim import (
    CELL_PRESETS,
    CIMConfig,
    _BufferTiming,
    _copies,
    build_subarray,
    estimate,
    novel_pes,
    place,
)
from neurofab.cost.circuits import (
    Cost,
    adder_tree,
    bus_repeater_size,
    driver_chain,
    htree_channel_area,
    register,
    ripple_adder,
    sram_buffer,
)
from neurofab.cost.gates import inverter, nand
from neurofab.cost.mapping import LayerSpec, fc, vgg8_cifar10
from neurofab.cost.periphery import (
    MLSA_DEVICES_PER_LEVEL,
    MLSA_POWER_LP,
    MLSA_POWER_LP_VOLTAGE,
    MLSA_VOLTAGE_DEVICES_PER_LEVEL,
    mlsa_adc,
    mlsa_encoder,
    mlsa_latency,
)
from neurofab.cost.technology import technology

T22, T45 = technology(22), technology(45)
CELL = CELL_PRESETS["rram_he2020"].replace(area_f2=48.0, read_voltage=0.5)
NS = CIMConfig(node_nm=22, cell=CELL, adc_bits=5, pe_grid=4, tile_grid=2, access_resistance_fraction=0.25,
               output_pixels="valid")


# ----- multilevel sense amplifier ----------------------------------------------------------------------
@pytest.mark.parametrize("bits", [3, 4, 5])
def test_mlsa_area_energy_latency_closed_form(bits):
    m = mlsa_adc(T22, bits, encoder_activity=0.05)
    enc = mlsa_encoder(T22, bits)
    levels = 2**bits - 1
    assert m.adc.cost.area == pytest.approx(
        levels * MLSA_DEVICES_PER_LEVEL * inverter(T22).area + enc.area, rel=1e-6, abs=0)
    assert m.t_conversion == pytest.approx(1e-9, rel=1e-6, abs=0)  # flat 1 ns at 22 nm and below
    assert m.adc.cost.energy == pytest.approx(1.7e-6 * levels * 1e-9 + 0.05 * enc.energy, rel=1e-6, abs=0)
    assert m.adc.cost.leakage == pytest.approx(
        enc.leakage, rel=1e-6, abs=0)  # the amplifiers' bias is inside the fitted power


def test_mlsa_area_near_neurosim_per_adc():
    # a 5-bit MLSA at 22 nm: 31 levels × 106 minimum devices of 212.8 F² each ≈ 338 µm² + encoder
    area = mlsa_adc(T22, 5).adc.cost.area * 1e12
    assert 330 < area < 400


@given(r=st.floats(100.0, 1e7), v=st.floats(0.1, 1.0))
@settings(max_examples=30)
def test_mlsa_column_term_is_the_fit(r, v):
    m = mlsa_adc(T22, 5)
    _, b, c = MLSA_POWER_LP[22]
    expected = b * math.exp(-c * math.log10(r * 0.5 / v)) * 1e-9
    assert m.column_energy(r, v) == pytest.approx(expected, rel=1e-6, abs=0)
    assert m.column_energy(math.inf, v) == 0.0


def test_mlsa_latency_above_22nm_follows_the_fit_and_clamps():
    # 45 nm: T = 0.0714·ln(R/1 kΩ) + 0.7651 ns, clamped to [1, 10] ns
    assert mlsa_latency(T45, 1e3) == pytest.approx(1e-9, rel=1e-6, abs=0)  # 0.765 ns → clamped up
    r = 1e3 * math.exp((2.0 - 0.7651) / 0.0714)
    assert mlsa_latency(T45, r) == pytest.approx(2e-9, rel=1e-6, abs=0)
    assert mlsa_latency(T45, 1e60) == pytest.approx(10e-9, rel=1e-6, abs=0)  # 0.0714·ln(1e57) + 0.77 > 10 ns → clamped


def test_mlsa_encoder_structure():
    enc = mlsa_encoder(T22, 5)
    inv, n2, wide = inverter(T22), nand(T22, 2), nand(T22, 16)
    assert enc.area == pytest.approx(31 * (2 * inv.area + n2.area) + 5 * wide.area, rel=1e-6, abs=0)


def test_mlsa_bad_input():
    with pytest.raises(ConfigError, match="encoder_activity"):
        mlsa_adc(T22, 5, encoder_activity=0.0)
    with pytest.raises(ConfigError, match="r_column"):
        mlsa_adc(T22, 5).column_energy(-1.0, 0.5)


# ----- driver chain, H-tree channels ------------------------------------------------------------------
@pytest.mark.parametrize("fanout", [1.0, 3.0, 16.0, 64.0, 1000.0])
def test_driver_chain_closed_form(fanout):
    inv = inverter(T22)
    load = fanout * inv.c_in
    first, chain = driver_chain(T22, load)
    n = max(1, round(math.log(fanout, 4))) if fanout > 1 else 1
    step = fanout ** (1 / n)
    sizes = [step**i for i in range(n)]
    delay = sum(inverter(T22, s).delay(load if i == n - 1 else inverter(T22, sizes[i + 1]).c_in)
                for i, s in enumerate(sizes))
    assert first.c_in == pytest.approx(inv.c_in, rel=1e-6, abs=0)
    assert chain.delay == pytest.approx(delay, rel=1e-6, abs=0)
    assert chain.area == pytest.approx(sum(inverter(T22, s).area for s in sizes), rel=1e-6, abs=0)


def test_driver_chain_beats_one_big_inverter():
    load = 1000 * inverter(T22).c_in
    _, chain = driver_chain(T22, load)
    assert chain.delay < inverter(T22).delay(load) / 10


def test_htree_channel_area_closed_form():
    # a 4 × 4 grid: two levels, one counted below the root, plus a main bus of two units to the nearest edge
    u, bits, fold = 100e-6, 256, 16.0
    inv = inverter(T22)
    r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
    size = math.sqrt(r0 * T22.wire_capacitance / (T22.wire_resistance * inv.c_in))
    w_rep, h_rep = inverter(T22, size).area / T22.cell_height, T22.cell_height
    level = bits * w_rep / fold * (u * 4 / 4) / 2 + bits * h_rep / fold * (u * 4 / 4) / 2
    main = bits * h_rep / fold * 2 * u
    assert htree_channel_area(T22, u, u, 4, bits, fold) == pytest.approx(level + main, rel=1e-6, abs=0)
    assert htree_channel_area(T22, u, u, 1, bits, fold) == 0.0
    assert htree_channel_area(T22, u, u, 8, bits, 4.0) > htree_channel_area(T22, u, u, 8, bits, 16.0)


# ----- mapping: NeuroSim's floorplan of VGG-8 ---------------------------------------------------------
def test_vgg8_tiles_and_speedups_match_neurosim():
    """NeuroSim V1.3's printout for its default design (2-bit cells) and for 4-bit cells."""
    plan = place(NS, vgg8_cifar10())
    assert [x.tiles for x in plan] == [1, 1, 2, 2, 4, 4, 32, 1]
    assert [x.copies for x in plan] == [16, 4, 4, 2, 2, 1, 1, 8]
    assert [x.novel for x in plan] == [False, True, True, True, True, True, False, False]
    four = place(NS.replace(cell=CELL_PRESETS["rram_wu2018"]), vgg8_cifar10())
    assert [x.tiles for x in four] == [1, 1, 1, 1, 2, 2, 16, 1]
    assert [x.copies for x in four] == [32, 8, 4, 2, 2, 1, 1, 8]
    assert novel_pes(NS, vgg8_cifar10()) == 9 and novel_pes(NS.replace(mapping="conventional"), vgg8_cifar10()) == 0


@given(r=st.integers(1, 4096), c=st.integers(1, 4096))
@settings(max_examples=40)
def test_copies_fit_the_block(r, c):
    k = _copies(r, c, 1024, 1024, 128, 128)
    assert k >= 1
    if r <= 1024 and c <= 1024:  # every copy's sub-arrays fit in the block
        assert k * math.ceil(r / 128) * math.ceil(c / 128) <= 64
    elif r <= 1024:  # wider than the block: copies only along the rows
        assert k * math.ceil(r / 128) <= 8
    elif c <= 1024:
        assert k * math.ceil(c / 128) <= 8
    else:
        assert k == 1


def test_duplication_divides_compute_only():
    layers = [LayerSpec("c", 64, 64, 3, 256, 256)]
    one = estimate(NS.replace(duplicate=False), layers)
    dup = estimate(NS, layers)
    assert dup.layers[0].copies > 1 and dup.dynamic_energy == pytest.approx(one.dynamic_energy)
    assert dup.latency < one.latency and dup.total_area == pytest.approx(one.total_area)


def test_valid_output_pixels():
    conv = LayerSpec("c", 128, 128, 3, 32 * 32, 32 * 32)
    assert conv.valid_out_pixels == 30 * 30
    assert LayerSpec("s", 3, 64, 7, 112 * 112, 224 * 224).valid_out_pixels == 109 * 109  # (224 − 7 + 1) // 2
    assert fc("f", 10, 10).valid_out_pixels == 1
    a = estimate(NS.replace(output_pixels="padded"), [conv])
    b = estimate(NS, [conv])
    assert b.energy["adc"] == pytest.approx(a.energy["adc"] * 900 / 1024)


def test_buffer_cycles_closed_form_conventional_layer():
    """conv1 of VGG-8 on NeuroSim's default design: global buffer (27 + 128)·8 bits per vector, 128 bits a line,
    12 cores in parallel, × 47 tiles sharing the bus; tile input 2·27·8 bits per vector over 2 cores of 32 bits;
    tile output 2·128·21 bits per vector over 1 core."""
    layers = vgg8_cifar10()
    plan = place(NS, layers)
    t = _BufferTiming.of(NS, plan, 9, 3)
    assert t.global_bus == 1512 and t.global_par == 12 and t.acc_bits == 20
    v = 900
    expected = (27 * 8 * v + 128 * 8 * v) / 128 / 12 * 47 + 2 * 27 * 8 * v / 32 / 2 + 2 * 128 * 21 * v / 32 / 1
    assert t.cycles(plan[0], v, 47) == pytest.approx(expected)


# ----- designs NeuroSim refuses -----------------------------------------------------------------------
def test_adc_codes_beyond_the_column_sums_are_refused():
    with pytest.raises(ConfigError, match="adc_bits"):  # 1-bit cells, 8 rows on: 9 sums, a 4-bit ADC has 16
        CIMConfig(cell=CELL_PRESETS["sram_8t"], rows_parallel=8, adc_bits=4)
    CIMConfig(cell=CELL_PRESETS["sram_8t"], rows_parallel=15, adc_bits=4)  # 16 sums: accepted
    with pytest.raises(ConfigError, match="adc = 'sar'"):  # voltage sensing needs references: flash or MLSA
        CIMConfig(cell=CELL, sensing="voltage", adc="sar")
    assert CIMConfig(cell=CELL, sensing="voltage").adc == "mlsa"  # NeuroSim's voltage-mode MLSA


@pytest.mark.parametrize("node", [22, 45])
def test_voltage_mode_mlsa_closed_form(node):
    """NeuroSim V1.3's voltage-mode MLSA: (L − 1) × (52 + 60) minimum devices + the encoder, a fixed 1 ns at every
    node (current mode is slower above 22 nm), the voltage-mode fitted power per level over that 1 ns; its column
    term is the voltage-mode fit's b·exp(−c·log10 R) at 0.5 V."""
    t = technology(node)
    bits = 3
    v = mlsa_adc(t, bits, r_column=20e3, encoder_activity=1.0, mode="voltage")
    enc = mlsa_encoder(t, bits)
    assert MLSA_VOLTAGE_DEVICES_PER_LEVEL == 112
    assert v.adc.cost.area == pytest.approx(7 * 112 * inverter(t).area + enc.area, rel=1e-12, abs=0)
    assert v.t_conversion == 1e-9
    p_level, b, c = MLSA_POWER_LP_VOLTAGE[v.node]
    assert v.adc.cost.energy == pytest.approx(p_level * 7 * 1e-9 + enc.energy, rel=1e-12, abs=0)
    assert v.column_power(20e3, 0.5) == pytest.approx(b * math.exp(-c * math.log10(20e3)), rel=1e-12, abs=0)
    cur = mlsa_adc(t, bits, r_column=20e3, encoder_activity=1.0)
    assert cur.t_conversion >= v.t_conversion and v.adc.cost.area > cur.adc.cost.area
    with pytest.raises(ConfigError, match="mode"):
        mlsa_adc(t, bits, mode="charge")


def test_voltage_sensed_subarray_uses_the_voltage_mlsa_without_reference_columns():
    cfg = CIMConfig(cell=CELL, sensing="voltage", rows_parallel=16, adc_bits=4)
    sub = build_subarray(cfg)
    assert sub.mlsa is not None and sub.mlsa.mode == "voltage"
    assert "reference columns" not in sub.area and sub.e_reference == 0.0
    assert sub.timing["adc"] == pytest.approx(1e-9 + mlsa_encoder(cfg.tech(), 4).delay, rel=1e-6, abs=0)


def test_mlsa_is_the_default_and_flash_sar_remain():
    assert CIMConfig(cell=CELL).adc == "mlsa"
    for kind in ("flash", "sar"):
        e = estimate(NS.replace(adc=kind), [fc("f", 256, 64)])
        assert e.dynamic_energy > 0 and e.area["adc"] > 0


# ----- accuracy and cost of one model in one call -----------------------------------------------------
def test_price_model_gives_accuracy_and_the_chip_driven_by_the_measured_activity():
    import torch
    from torch import nn

    from neurofab.cost import price_model
    from neurofab.cost.mapping import layers_from_model, measure_activity

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    x = torch.rand(16, 1, 8, 8)
    y = torch.randint(0, 10, (16,))
    cfg = NS.replace(cell=CELL_PRESETS["rram_wu2018"])
    out = price_model(model, x, cfg, targets=y)
    assert 0.0 <= out.accuracy <= 1.0
    assert out.accuracy == pytest.approx(float((model(x).argmax(1) == y).float().mean()))
    act = measure_activity(model, x, input_bits=8, weight_bits=8, bits_per_cell=4)
    ref = estimate(cfg, layers_from_model(model, (1, 8, 8)), act)
    assert out.chip.dynamic_energy == pytest.approx(ref.dynamic_energy, rel=1e-6, abs=0)
    assert out.chip.latency == pytest.approx(ref.latency) and out.chip.total_area == pytest.approx(ref.total_area)
    assert price_model(model, x, cfg).accuracy is None
    with pytest.raises(ShapeError, match="targets"):
        price_model(model, x, cfg, targets=y[:3])
    with pytest.raises(ShapeError, match="targets"):
        price_model(model, x, cfg, targets=y.float())


def test_neurosim_tops_accounting():
    """NeuroSim V1.3 counts 2·H_in·W_in·C_in·K²·C_out operations (stride ignored) and only the idle tiles' leakage."""
    layers = [LayerSpec("s", 64, 64, 3, 28 * 28, 56 * 56), LayerSpec("c", 64, 64, 3, 28 * 28, 28 * 28)]
    macs = estimate(NS, layers)
    ns = estimate(NS.replace(op_count="neurosim", leakage_energy="idle"), layers)
    assert macs.ops == pytest.approx(2 * 2 * 576 * 64 * 784)
    assert ns.ops == pytest.approx(2 * 576 * 64 * (56 * 56 + 28 * 28))
    per_tile = [r.tiles for r in ns.layers]
    assert ns.leakage_energy < ns.leakage_power * ns.latency  # the running layer's tiles do not count
    assert ns.leakage_energy > 0 and sum(per_tile) == ns.tiles
    assert macs.leakage_energy == pytest.approx(macs.leakage_power * macs.latency, rel=1e-6, abs=0)


def test_leakage_scope_tiles_closed_form():
    """NeuroSim's count (leakage_scope='tiles'): one fully connected layer in one sub-array, PE and tile of one
    sub-array each, leaks as the sub-array plus its PE and tile buffers (no adder trees with one input, no H-trees,
    global buffer or activation unit); the whole-chip count adds those and is larger."""
    cfg = CIMConfig(cell=CELL_PRESETS["rram_he2020"], pe_grid=1, tile_grid=1, leakage_scope="tiles")
    layer = fc("fc", 128, 128 // cfg.cells_per_weight)
    est = estimate(cfg, [layer])
    sub = build_subarray(cfg)
    t = cfg.tech()
    w_acc = sub.shift_add_bits + 1  # one row block: ceil(log2(max(2, 1)))
    buf = sram_buffer(t, 2 * (cfg.rows * cfg.input_bits + (cfg.cols // cfg.cells_per_weight) * w_acc),
                      min(cfg.bus_bits, cfg.cols))
    assert est.leakage_power == pytest.approx(sub.leakage + 2 * buf.leakage, rel=1e-12, abs=0)
    whole = estimate(cfg.replace(leakage_scope="chip"), [layer])
    assert whole.leakage_power > est.leakage_power
    assert whole.area == pytest.approx(est.area, rel=1e-6, abs=0)  # the scope changes the count, not the design


def test_leakage_scope_rejects_unknown():
    with pytest.raises(ConfigError, match="leakage_scope"):
        CIMConfig(cell=CELL_PRESETS["rram_he2020"], leakage_scope="everything")


def test_pe_adder_trees_one_per_adc_lane_closed_form():
    """A PE of 2×2 sub-arrays sums its 2 sub-array rows for every ADC output lane of its 2 sub-array columns:
    2 × cols/columns_per_adc adder trees of 2 inputs (NeuroSim V1.3 ProcessingUnit.cpp counts the same), beside one
    activation unit per sub-array column; a one-PE tile adds no tile tree."""
    cfg = CIMConfig(cell=CELL_PRESETS["rram_he2020"], pe_grid=2, tile_grid=1, mapping="conventional")
    layer = fc("fc", 2 * cfg.rows, 2 * cfg.cols // cfg.cells_per_weight)  # fills the one PE exactly
    est = estimate(cfg, [layer])
    sub = build_subarray(cfg)
    t = cfg.tech()
    lanes = 2 * (cfg.cols // cfg.columns_per_adc)
    w_acc = sub.shift_add_bits + 1  # two row blocks
    act = Cost.parallel(ripple_adder(t, w_acc), register(t, w_acc))
    expect = lanes * adder_tree(t, 2, sub.shift_add_bits).area + 2 * act.area
    assert est.area["accumulation"] == pytest.approx(expect, rel=1e-12, abs=0)


def test_bus_repeater_size_delay_tolerance_closed_form():
    """NeuroSim's bus repeaters: from the floored Bakoglu size, halved (spacing × 0.9) until the delay per length
    reaches (1 + t) × the optimum; the step before stays below it. t = 0: the optimum itself."""
    t = T22
    inv = inverter(t)
    r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
    c0, cd, rw, cw = inv.c_in, inv.c_self, t.wire_resistance, t.wire_capacitance

    def delay(s, length):
        wire = 0.5 * rw * cw * length**2 + rw * length * s * c0
        return 0.7 * (r0 / s * (s * (c0 + cd) + cw * length) + wire) / length

    s_opt = math.floor(math.sqrt(r0 * cw / (c0 * rw)))
    l_opt = math.sqrt(2 * r0 * (c0 + cd) / (rw * cw))
    assert bus_repeater_size(t) == s_opt
    s = bus_repeater_size(t, 0.1)
    k = round(math.log2(s_opt / s))
    assert k >= 1 and s == pytest.approx(s_opt / 2**k)
    assert delay(s, l_opt * 0.9**k) >= 1.1 * delay(s_opt, l_opt)
    if k > 1:
        assert delay(2 * s, l_opt * 0.9 ** (k - 1)) < 1.1 * delay(s_opt, l_opt)
    with pytest.raises(ConfigError, match="delay_tolerance"):
        bus_repeater_size(t, -0.1)
