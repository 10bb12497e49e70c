"""Activation layouts IWAP/KLIP/PLIP (Dazzi et al. 2021, Table 1) and the PLIP address generator (Algorithm 2)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.systems.imc_memory import (
    LAYOUTS,
    PlipMemoryControl,
    layout_metrics,
    pixel_bit_addresses,
    words_spanned,
)

# Table 1: (N, H, WL, layout) -> (read cycles, write cycles); a pair means "varies between the two"
TABLE1 = {
    (3, 32, 128, "IWAP"): ((1, 2), (1, 2)),
    (3, 32, 128, "KLIP"): ((1,), (1,)),
    (3, 32, 128, "PLIP"): ((3,), (1,)),
    (56, 8, 160, "IWAP"): ((9, 10), (3, 4)),
    (56, 8, 160, "KLIP"): ((9,), (3, 4)),
    (56, 8, 160, "PLIP"): ((9,), (3,)),
    (56, 8, 128, "IWAP"): ((11,), (4,)),
    (56, 8, 128, "KLIP"): ((11,), (4,)),
    (56, 8, 128, "PLIP"): ((12,), (4,)),
}


@pytest.mark.parametrize(("key", "cycles"), list(TABLE1.items()), ids=lambda v: str(v))
def test_table1_cycle_counts(key, cycles):
    n, h, wl, layout = key
    m = layout_metrics(layout, n, h, kernel=3, word_bits=wl)
    assert (m.read_cycle_values, m.write_cycle_values) == cycles


def test_memory_hand_values():
    # 96 pixels × 24 bit = 2,304 bit = 0.288 kB packed; KLIP one 128-bit word per kernel row; PLIP one per pixel
    assert layout_metrics("IWAP", 3, 32).memory_kb == 0.288
    assert layout_metrics("KLIP", 3, 32).memory_kb == 32 * 16 / 1000
    assert layout_metrics("PLIP", 3, 32).memory_kb == 96 * 16 / 1000
    assert layout_metrics("PLIP", 3, 32).empty_fraction == 1 - 24 / 128
    assert layout_metrics("IWAP", 56, 8).empty_fraction == 0.0


def test_spanned_memory_hand_values():
    # the data spans up to the end of the last pixel: the empty bits after it are not counted
    klip = layout_metrics("KLIP", 3, 32)  # 31 rows of one 128-bit word + a 72-bit kernel row
    assert klip.extent_bits == 31 * 128 + 72 and klip.extent_kb == 0.505
    plip = layout_metrics("PLIP", 56, 8, word_bits=160)  # 23 pixels of 3 words of 160 bit + 448 bit
    assert plip.extent_bits == 23 * 480 + 448
    assert plip.extent_empty_fraction == 1 - 24 * 448 / (23 * 480 + 448)
    iwap = layout_metrics("IWAP", 56, 8, word_bits=160)  # 67.2 words: the span is the bits, the SRAM 68 words
    assert iwap.extent_kb == 1.344 and iwap.words == 68 and iwap.extent_empty_fraction == 0.0


@given(n=st.integers(1, 128), h=st.integers(1, 40), f=st.integers(1, 5), wl=st.sampled_from([32, 64, 128, 160, 256]))
def test_spanned_memory_bounds(n, h, f, wl):
    # the span holds all the data and lies within the allocated words; it leaves out only the empty bits of the
    # last word, fewer than one word
    p = n * 8
    for lay in LAYOUTS:
        m = layout_metrics(lay, n, h, f, wl)
        assert h * f * p <= m.extent_bits <= m.memory_bits < m.extent_bits + wl
        assert 0.0 <= m.extent_empty_fraction <= m.empty_fraction
    assert layout_metrics("IWAP", n, h, f, wl).extent_bits == h * f * p


@given(n=st.integers(1, 128), h=st.integers(1, 40), f=st.integers(1, 5), wl=st.sampled_from([32, 64, 128, 160, 256]))
def test_memory_ordering_and_cycle_bounds(n, h, f, wl):
    iwap, klip, plip = (layout_metrics(lay, n, h, f, wl) for lay in LAYOUTS)
    assert iwap.words <= klip.words <= plip.words
    p = n * 8
    assert iwap.words == math.ceil(h * f * p / wl)
    # PLIP: constant cycles, the fewest words per pixel any word-aligned layout can reach
    assert plip.write_cycle_values == (math.ceil(p / wl),)
    assert plip.read_cycle_values == (f * math.ceil(p / wl),)
    # KLIP reads a kernel row in a constant ⌈F·p/WL⌉ cycles
    assert klip.read_cycle_values == (math.ceil(f * p / wl),)
    for m in (iwap, klip, plip):
        assert 0.0 <= m.empty_fraction < 1.0
        assert min(m.write_cycle_values) >= math.ceil(p / wl)


@given(k=st.integers(1, 8), h=st.integers(1, 20), f=st.integers(1, 4), wl=st.sampled_from([64, 128]))
def test_pixels_that_are_whole_words_map_identically(k, h, f, wl):
    pixel_bits = k * wl
    a, b, c = (pixel_bit_addresses(lay, h, f, pixel_bits, wl) for lay in LAYOUTS)
    assert torch.equal(a, b) and torch.equal(b, c)


def test_words_spanned():
    assert words_spanned(torch.tensor([0, 100, 128, 127]), 24, 128).tolist() == [1, 1, 1, 2]


def test_bad_layout_and_sizes_raise():
    with pytest.raises(ConfigError, match="layout = 'ALIP': must be one of IWAP, KLIP, PLIP"):
        layout_metrics("ALIP", 3, 32)
    with pytest.raises(ConfigError, match="height = 0"):
        layout_metrics("PLIP", 3, 0)
    with pytest.raises(ConfigError, match="channels = -1"):
        layout_metrics("PLIP", -1, 8)


@given(h=st.integers(1, 12), w=st.integers(1, 9), f=st.integers(1, 4), n=st.integers(1, 40))
def test_algorithm2_addresses_follow_the_plip_layout(h, w, f, n):
    pixel_bits, wl = 8 * n, 128
    ctrl = PlipMemoryControl(h, f, pixel_bits, wl)
    slots = pixel_bit_addresses("PLIP", h, f, pixel_bits, wl) // wl  # word address of slot (x, c)
    where: dict[tuple[int, int], int] = {}
    for y in range(w):
        for x in range(h):
            addr = ctrl.store(x, y)
            assert addr == int(slots[x, y % f])
            where[(x, y)] = addr
        if y >= f - 1:  # read every kernel row once column y is complete: oldest column first
            for x in range(h):
                got = ctrl.read(x, y)
                assert got == [where[(x, yy)] for yy in range(y - f + 1, y + 1)]
    assert max(where.values()) + ctrl.words_per_pixel <= ctrl.words


def test_algorithm2_rejects_out_of_order_pixels():
    ctrl = PlipMemoryControl(4, 3, 128)
    ctrl.store(0, 0)
    with pytest.raises(ConfigError, match=r"pixel \(2, 0\) arrived out of order; expected \(1, 0\)"):
        ctrl.store(2, 0)
    with pytest.raises(ConfigError, match="kernel row 1 read out of order"):
        ctrl.read(1, 0)
