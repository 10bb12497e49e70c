"""Buffer and interconnect traffic counted and priced as DNN+NeuroSim V1.3 does (CIMConfig.buffer_energy,
transfer_count, pe_bus_cell_aspect, row_flip_flops; cim.neurosim_buffer_bits, neurosim_buffer_energy,
neurosim_transfer_bits; circuits.bus_energy_per_metre)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.cim import (
    CIMConfig,
    NeuroSimBufferBits,
    build_subarray,
    estimate,
    neurosim_buffer_areas,
    neurosim_buffer_bits,
    neurosim_buffer_energy,
    neurosim_transfer_bits,
    place,
    table7_config,
)
from neurofab.cost.cim import _subarray_box as _subarray_box
from neurofab.cost.circuits import NEUROSIM_22NM_BUS, bus_energy_per_metre, decoder, dff, htree_trip_energy
from neurofab.cost.gates import inverter
from neurofab.cost.mapping import LayerSpec, vgg8_cifar10
from neurofab.cost.technology import technology

#: 16 → 32 channels, 3×3 on an 8×8 map: 144 weight rows, 36 valid output pixels.
LAYER = LayerSpec(name="c", in_channels=16, out_channels=32, kernel=3, in_pixels=64, out_pixels=64)
POOLED = LayerSpec(name="p", in_channels=16, out_channels=32, kernel=3, in_pixels=64, out_pixels=64, pool=2)


_PEER = "neurosim_peer_designs"


def _peer():
    """The peer benchmark's module (benchmarks/neurosim_peer.py), for its designs."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "neurosim_peer.py"
    if _PEER not in sys.modules:
        spec = importlib.util.spec_from_file_location(_PEER, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[_PEER] = mod
        spec.loader.exec_module(mod)
    return sys.modules[_PEER]


def _cfg(**kw) -> CIMConfig:
    """128×128 sub-arrays, 2×2 per PE, 2×2 PEs per tile, 8-bit weights on 2-bit cells (4 columns), 5-bit ADC,
    8-bit inputs."""
    base = table7_config("rram_he2020")
    return base.replace(rows=128, cols=128, pe_grid=2, tile_grid=2, adc_bits=5, input_bits=8, weight_bits=8,
                        output_pixels="valid", **kw)


def _placement(cfg: CIMConfig, layer: LayerSpec, novel: bool):
    x = place(cfg, [layer])[0]
    return x if x.novel == novel else type(x)(layer, novel, x.row_blocks, x.col_blocks, x.tiles, x.copies)


def test_conventional_layer_closed_form():
    """V = 36 vectors, b = 8 bits (vb = 288), R = 144 rows, C_out = 32; one PE column and row, one tile.
    PE word 5 + 8 + 4 + 1 = 18 bits, tile word 18 + log₂2 + 1 = 20."""
    cfg = _cfg()
    assert cfg.cells_per_weight == 4
    bits = neurosim_buffer_bits(cfg, _placement(cfg, LAYER, novel=False), 36, 0)
    assert bits.pe_dff == 144 * 288 + 32 * 18 * 36
    assert bits.tile_rf == 144 * 288 + 32 * 20 * 36
    assert bits.global_read == 144 * 288
    assert bits.global_write == 32 * 288


def test_novel_layer_closed_form():
    """A 9-PE tile: every PE clocks out all 32 outputs (9 × 32 × 18 × 36), the tile's input traffic ÷ √9, its
    output traffic ÷ 9, the global read ÷ K."""
    cfg = _cfg()
    bits = neurosim_buffer_bits(cfg, _placement(cfg, LAYER, novel=True), 36, 9)
    assert bits.pe_dff == 144 * 288 + 9 * 32 * 18 * 36
    assert bits.tile_rf == pytest.approx(144 * 288 / 3 + 32 * 20 * 36 / 9, rel=1e-12)
    assert bits.global_read == pytest.approx(144 * 288 / 3, rel=1e-12)
    assert bits.global_write == 32 * 288


def test_pooling_quarters_the_global_write():
    cfg = _cfg()
    a = neurosim_buffer_bits(cfg, _placement(cfg, LAYER, novel=False), 36, 0)
    b = neurosim_buffer_bits(cfg, _placement(cfg, POOLED, novel=False), 36, 0)
    assert b.global_write == pytest.approx(a.global_write / 4, rel=1e-12)
    assert (b.pe_dff, b.tile_rf, b.global_read) == (a.pe_dff, a.tile_rf, a.global_read)


def test_wide_layer_counts_every_pe_column_and_row():
    """600 outputs × 4 cells = 2,400 columns: 10 PE columns of 256, 5 tile columns of 512; 1,152 rows: 5 PE
    rows of 256, 3 tile rows of 512."""
    cfg = _cfg()
    wide = LayerSpec(name="w", in_channels=128, out_channels=600, kernel=3, in_pixels=16, out_pixels=16)
    bits = neurosim_buffer_bits(cfg, _placement(cfg, wide, novel=False), 4, 0)
    assert bits.pe_dff == 1152 * 10 * 32 + 600 * 5 * 18 * 4
    assert bits.tile_rf == 1152 * 5 * 32 + 600 * 3 * 20 * 4


def test_energy_closed_form():
    """A PE flip-flop bit costs one flip-flop; a register-file bit written and read costs a flip-flop and two
    decoder operations per 32-bit line; a global bit read a flip-flop and one 128-line decoder operation per
    128-bit line, written the decoder only."""
    t = technology(22, roadmap="lstp")
    e_ff = dff(t).energy
    c = inverter(t).c_in
    d32 = decoder(t, 32, 32 * c).energy / 32
    d128 = decoder(t, 128, 128 * c).energy / 128
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(1, 0, 0, 0)) == pytest.approx(e_ff, rel=1e-12, abs=0)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 1, 0, 0)) == pytest.approx(e_ff + 2 * d32, rel=1e-12, abs=0)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 1, 0)) == pytest.approx(e_ff + d128, rel=1e-12, abs=0)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 0, 1)) == pytest.approx(d128, rel=1e-12, abs=0)


def test_per_bit_prices_against_neurosim():
    """NeuroSim V1.3 on its 22 nm card (0.85 V), printed from its DFF.cpp and Buffer.cpp (a probe linking its
    objects): 5.10 fJ per PE flip-flop bit, 5.12-5.14 fJ per register-file bit read, 0.27-0.72 fJ per bit written.
    Ours at the same supply: a flip-flop bit 5.78 fJ (1.13×: our master-slave count, circuits.dff, charges the
    data inverters' outputs with the next stage on every clock), a bit written 0.77 fJ (128-bit global core) and
    0.86 fJ (32-bit tile core): its decoder only, as in its count, but our decoder, above its largest 0.72."""
    t = technology(22, roadmap="lstp")
    e_ff = dff(t).energy
    assert e_ff == pytest.approx(5.10e-15, rel=0.15, abs=0.0)
    write = [neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 0, 1)),
             (neurosim_buffer_energy(t, NeuroSimBufferBits(0, 1, 0, 0)) - e_ff) / 2]
    assert write[0] == pytest.approx(0.77e-15, rel=0.01, abs=0.0) and write[1] == pytest.approx(0.86e-15, rel=0.01,
                                                                                                abs=0.0)
    assert all(w < e_ff / 5 for w in write)  # a write clocks no flip-flop: a decoder operation per line


@settings(max_examples=20, deadline=None)
@given(vectors=st.integers(1, 10_000), novel=st.booleans())
def test_bits_scale_with_vectors(vectors, novel):
    cfg = _cfg()
    x = _placement(cfg, LAYER, novel)
    one = neurosim_buffer_bits(cfg, x, 1, 9)
    many = neurosim_buffer_bits(cfg, x, vectors, 9)
    for f in ("pe_dff", "tile_rf", "global_read", "global_write"):
        assert getattr(many, f) == pytest.approx(vectors * getattr(one, f), rel=1e-12)


def test_option_changes_buffer_energy_only_and_equals_the_count():
    cfg = _cfg()
    a = estimate(cfg, [LAYER])
    b = estimate(cfg.replace(buffer_energy="neurosim"), [LAYER])
    x = place(cfg, [LAYER])[0]
    t = build_subarray(cfg).tech
    expected = neurosim_buffer_energy(t, neurosim_buffer_bits(cfg, x, LAYER.valid_out_pixels, 0 if not x.novel
                                                              else LAYER.kernel**2))
    assert b.layers[0].energy["buffers"] == pytest.approx(expected, rel=1e-12, abs=0)
    for part, v in a.layers[0].energy.items():
        if part != "buffers":
            assert b.layers[0].energy[part] == pytest.approx(v, rel=1e-12, abs=0)
    assert b.latency == a.latency
    assert b.area == a.area


def test_weight_copies_do_not_change_the_count():
    """NeuroSim moves the same data whatever the speed-up: duplication leaves the buffer energy unchanged."""
    cfg = _cfg(buffer_energy="neurosim")
    a = estimate(cfg.replace(duplicate=False), [LAYER]).layers[0]
    b = estimate(cfg.replace(duplicate=True), [LAYER]).layers[0]
    assert b.copies > a.copies
    assert b.energy["buffers"] == pytest.approx(a.energy["buffers"], rel=1e-12, abs=0)


def test_bad_option_raises():
    with pytest.raises(ConfigError, match="buffer_energy"):
        _cfg(buffer_energy="registers")


# ----- interconnect traffic and its pricing ------------------------------------------------------------------
def test_transfer_bits_closed_form():
    """The chip tree carries the global buffer's traffic, the tile trees the tile buffers' (one way), the PE
    input bus R·b·V per PE column, the output bus C_out · adc_bits · V per PE row (every PE of a novel tile)."""
    cfg = _cfg()
    for novel, n_pe, pe_rows in ((False, 0, 1), (True, 9, 9)):
        x = _placement(cfg, LAYER, novel)
        moved = neurosim_transfer_bits(cfg, x, 36, n_pe)
        buf = neurosim_buffer_bits(cfg, x, 36, n_pe)
        assert moved.chip == buf.global_read + buf.global_write
        assert moved.tile == buf.tile_rf
        assert moved.pe_input == 144 * 288
        assert moved.pe_output == 32 * pe_rows * 5 * 36


def test_vgg8_conv2_interconnect_at_neurosim_prices():
    """NeuroSim V1.3's default design, VGG-8 conv2 (novel 9-PE tiles): its per-bit prices printed from its
    objects (a probe linking its HTree.cpp and Bus.cpp: tile tree 0.38835 pJ, chip tree over a novel tile
    0.64148 pJ, PE input bus 49.597 fJ, output bus 46.598 fJ) times our counts give the interconnect energy its
    run printed for the layer, 3.75245 µJ."""
    cfg = table7_config("rram_he2020", tile_grid=2)
    assert (cfg.pe_grid, cfg.cells_per_weight, cfg.adc_bits, cfg.input_bits) == (4, 4, 5, 8)
    layers = vgg8_cifar10()
    x = place(cfg, layers)[1]
    assert x.novel
    moved = neurosim_transfer_bits(cfg, x, x.layer.valid_out_pixels, 9)
    e = (moved.tile * 0.38835e-12 + moved.chip * 0.64148e-12 + moved.pe_input * 49.597e-15
         + moved.pe_output * 46.598e-15)
    assert e == pytest.approx(3.75245e-6, rel=2e-3)


def test_bus_energy_per_metre_closed_form():
    """activity·(C_in + C_d + c_w·L)·V_DD²/L; an H-tree trip is its length times it; against NeuroSim's PE
    input bus (49.597 fJ over 3 × 282.72 µm at 0.85 V, its card's supply and ours) within 3 %."""
    t = technology(22, roadmap="lstp")
    per_m = bus_energy_per_metre(t, 0.1, 0.25, NEUROSIM_22NM_BUS)
    assert bus_energy_per_metre(t, 0.1, 1.0, NEUROSIM_22NM_BUS) == pytest.approx(4 * per_m, rel=1e-12, abs=0)
    h, w = 300e-6, 200e-6
    length = (2**2 - 1) * (h + w) / 2 + 2 * w  # grid 4 (see tests/cost/test_neurosim_counts.py)
    assert htree_trip_energy(t, h, w, 4, 0.1, 0.25, NEUROSIM_22NM_BUS) == pytest.approx(
        length * per_m, rel=1e-12, abs=0)
    assert t.vdd == 0.85
    ours = bus_energy_per_metre(t, 0.0, 0.25, NEUROSIM_22NM_BUS)
    assert ours == pytest.approx(49.597e-15 / (3 * 282.72e-6), rel=0.03)
    with pytest.raises(ConfigError, match="activity"):
        bus_energy_per_metre(t, 0.1, 0.0)


def test_subarray_box_closed_form():
    """Cells of area A, h/w = a: the array rows·√(A·a) tall, cols·√(A/a) wide; beside it the row drivers and
    two thirds of the level shifters at its height, the rest of the periphery below at its width. None: √area."""
    cfg = table7_config("rram_he2020")
    sub = build_subarray(cfg)
    side = math.sqrt(sub.total_area)
    assert _subarray_box(cfg, sub) == (pytest.approx(side), pytest.approx(side))
    boxed = cfg.replace(pe_bus_cell_aspect=1 / 3)
    a = sub.area["array"] / (128 * 128)
    h, w = 128 * math.sqrt(a / 3), 128 * math.sqrt(3 * a)
    row = sub.area["row drivers"] + 2 / 3 * sub.area["level shifters"]
    col = sub.total_area - sub.area["array"] - row
    assert _subarray_box(boxed, sub) == (pytest.approx(w + row / h, rel=1e-12, abs=0), pytest.approx(
        h + col / w, rel=1e-12, abs=0))


def test_neurosim_default_subarray_box():
    """NeuroSim V1.3's default sub-array (printed from its SubArray.cpp: 282.72 µm wide, 265.62 µm tall); ours on
    the peer benchmark's default design within 10 %."""
    cfg = _peer().ours_config("default")
    w, h = _subarray_box(cfg, build_subarray(cfg))
    assert w == pytest.approx(282.72e-6, rel=0.10)
    assert h == pytest.approx(265.62e-6, rel=0.10)


def test_transfer_count_changes_interconnect_only():
    cfg = _cfg(htree_energy="neurosim")
    a = estimate(cfg, [LAYER]).layers[0].energy
    b = estimate(cfg.replace(transfer_count="neurosim"), [LAYER]).layers[0].energy
    c = estimate(cfg.replace(transfer_count="neurosim", pe_bus_cell_aspect=1 / 3), [LAYER]).layers[0].energy
    assert b["interconnect"] != a["interconnect"] and c["interconnect"] != b["interconnect"]
    for part in a:
        if part != "interconnect":
            assert b[part] == pytest.approx(a[part], rel=1e-12, abs=0)
            assert c[part] == pytest.approx(a[part], rel=1e-12, abs=0)


def test_row_flip_flops_closed_form():
    """'all': at every pulse the idle rows' flip-flops of the sub-array are clocked too, (rows − active·ρ) · E_dff
    per pulse; conventional mapping of 144 rows: row blocks of 128 and 16, one pulse per input bit and column
    block."""
    cfg = _cfg(mapping="conventional", input_density=0.25)
    x = place(cfg, [LAYER])[0]
    a = estimate(cfg, [LAYER]).layers[0].energy
    b = estimate(cfg.replace(row_flip_flops="all"), [LAYER]).layers[0].energy
    e_ff = dff(build_subarray(cfg).tech).energy
    pulses = 36 * 8 * x.col_blocks
    expected = pulses * ((128 - 128 * 0.25) + (128 - 16 * 0.25)) * e_ff
    assert b["row drive"] - a["row drive"] == pytest.approx(expected, rel=1e-9, abs=0)
    for part in a:
        if part != "row drive":
            assert b[part] == pytest.approx(a[part], rel=1e-12, abs=0)


@pytest.mark.parametrize(("field", "value"), [("transfer_count", "bits"), ("row_flip_flops", "none"),
                                              ("pe_bus_cell_aspect", 0.0), ("pe_bus_cell_aspect", -1.0)])
def test_bad_interconnect_options_raise(field, value):
    with pytest.raises(ConfigError, match=field):
        _cfg(**{field: value})


# ----- buffer area ------------------------------------------------------------------------------------------
def test_buffer_areas_closed_form():
    """NeuroSim V1.3's SRAM design (4-bit ADC, 1-bit cells: 8 columns a weight): a PE's 8 · 128 input and
    16 · (4 + 8 + 8 + 2) = 352 output flip-flops; a tile's ⌈2 · 8 · 128 / 1024⌉ = 2 input and
    ⌈23 · 2 · 128 / 8 / 1024⌉ = 1 output cores of 1,024 flip-flops; VGG-8's largest input map (32 · 32 · 128 values
    of 8 bits) in 64 global cores of 16,384. Its own areas (a probe of its objects on that design): a global core
    2.040e-8 m², a tile input core 2.592e-9 / 2 = 1.296e-9 m²; ours within 5 %."""
    cfg = _peer().ours_config("sram")
    t = build_subarray(cfg).tech
    pe, tile, glob = neurosim_buffer_areas(cfg, t, vgg8_cifar10())
    ff = dff(t).area
    assert pe == pytest.approx((1024 + 352) * ff, rel=1e-12, abs=0)
    assert tile == pytest.approx(3 * (1024 * ff + decoder(t, 32).area), rel=1e-12, abs=0)
    assert glob == pytest.approx(64 * (16384 * ff + decoder(t, 128).area), rel=1e-12, abs=0)
    assert glob / 64 == pytest.approx(2.0397e-8, rel=0.05)
    assert tile / 3 == pytest.approx(2.5917e-9 / 2, rel=0.05)


def test_buffer_area_option_moves_buffers_and_leaves_leakage():
    cfg = _peer().ours_config("sram").replace(buffer_area="banks")
    layers = vgg8_cifar10()
    a = estimate(cfg, layers)
    b = estimate(cfg.replace(buffer_area="neurosim"), layers)
    t = build_subarray(cfg).tech
    pe, tile, glob = neurosim_buffer_areas(cfg, t, layers)
    tiles = sum(r.tiles for r in b.layers)
    pes = sum(r.tiles * (9 if i in (1, 2, 3, 4, 5) else 4) for i, r in enumerate(b.layers))  # novel: 9 PEs
    assert b.area["buffers"] == pytest.approx(pes * pe + tiles * tile + glob, rel=1e-9, abs=0)
    for part in ("array", "adc", "shift-add", "accumulation"):
        assert b.area[part] == pytest.approx(a.area[part], rel=1e-12, abs=0)
    assert b.leakage_power == pytest.approx(a.leakage_power, rel=1e-12, abs=0)
    with pytest.raises(ConfigError, match="buffer_area"):
        cfg.replace(buffer_area="flops")
