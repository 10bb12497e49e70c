"""Buffer traffic counted and priced as DNN+NeuroSim V1.3 does (CIMConfig.buffer_energy='neurosim',
cim.neurosim_buffer_bits, cim.neurosim_buffer_energy)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.cost.cim import (
    CIMConfig,
    NeuroSimBufferBits,
    build_subarray,
    estimate,
    neurosim_buffer_bits,
    neurosim_buffer_energy,
    place,
    table7_config,
)
from neurofab.cost.circuits import decoder, dff
from neurofab.cost.gates import inverter
from neurofab.cost.mapping import LayerSpec
from neurofab.cost.technology import technology

#: 16 → 32 channels, 3×3 on an 8×8 map: 144 weight rows, 36 valid output pixels.
LAYER = LayerSpec(name="c", in_channels=16, out_channels=32, kernel=3, in_pixels=64, out_pixels=64)
POOLED = LayerSpec(name="p", in_channels=16, out_channels=32, kernel=3, in_pixels=64, out_pixels=64, pool=2)


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
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(1, 0, 0, 0)) == pytest.approx(e_ff, rel=1e-12)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 1, 0, 0)) == pytest.approx(e_ff + 2 * d32, rel=1e-12)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 1, 0)) == pytest.approx(e_ff + d128, rel=1e-12)
    assert neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 0, 1)) == pytest.approx(d128, rel=1e-12)


def test_per_bit_prices_against_neurosim():
    """NeuroSim V1.3 on its 22 nm card, printed from its DFF.cpp and Buffer.cpp (a probe linking its objects):
    5.10 fJ per PE flip-flop bit, 5.12-5.14 fJ per register-file bit read, 0.27-0.72 fJ per bit written."""
    t = technology(22, roadmap="lstp")
    e_ff = dff(t).energy
    assert e_ff == pytest.approx(5.10e-15, rel=0.05)
    write = [neurosim_buffer_energy(t, NeuroSimBufferBits(0, 0, 0, 1)),
             (neurosim_buffer_energy(t, NeuroSimBufferBits(0, 1, 0, 0)) - e_ff) / 2]
    assert all(0.2e-15 < w < 0.8e-15 for w in write)


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
    assert b.layers[0].energy["buffers"] == pytest.approx(expected, rel=1e-12)
    for part, v in a.layers[0].energy.items():
        if part != "buffers":
            assert b.layers[0].energy[part] == pytest.approx(v, rel=1e-12)
    assert b.latency == a.latency
    assert b.area == a.area


def test_weight_copies_do_not_change_the_count():
    """NeuroSim moves the same data whatever the speed-up: duplication leaves the buffer energy unchanged."""
    cfg = _cfg(buffer_energy="neurosim")
    a = estimate(cfg.replace(duplicate=False), [LAYER]).layers[0]
    b = estimate(cfg.replace(duplicate=True), [LAYER]).layers[0]
    assert b.copies > a.copies
    assert b.energy["buffers"] == pytest.approx(a.energy["buffers"], rel=1e-12)


def test_bad_option_raises():
    with pytest.raises(ConfigError, match="buffer_energy"):
        _cfg(buffer_energy="registers")
