"""Activation layouts in an IMC core's Input Memory — Dazzi et al. 2021, sections 2.3 and 2.4.2, Table 1.

The Input Memory of a core (an SRAM of words ``word_bits`` wide) caches H·F pixels of its layer's input — F
columns of H pixels, used as a ring (a new column overwrites the oldest). A pixel is one (H, W) position across all
N channels, ``N·bits`` bits. Per timestep the core writes one received pixel and reads one kernel row (F pixels of
one input row, one per cached column). Three layouts:

- IWAP (intra-word adjacent placing): pixels packed back to back, kernel row by kernel row — least memory, but a
  pixel or a kernel row may straddle a varying number of words;
- KLIP (kernel-level interleaved placing): each kernel row of F pixels starts on a fresh word;
- PLIP (pixel-level interleaved placing): each pixel starts on a fresh word — constant read and write cycles, the
  layout Algorithm 2 addresses.

A cycle is one word access; the cycles of an access are the words its bit range touches.

Memory is counted two ways. ``memory_kb`` allocates whole words (what an SRAM must provide). ``extent_kb`` is the
memory the layout's data spans: from the first bit to the end of the last cached pixel, so the empty bits that
interleaving leaves after the last pixel are not counted (nothing follows them). Table 1 of the paper counts the
extent: it gives 1.344 kB for IWAP at WL = 160 (67.2 words) and, with the same count, its KLIP and PLIP cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from neurofab.core import ConfigError

Layout = Literal["IWAP", "KLIP", "PLIP"]
LAYOUTS: tuple[Layout, ...] = ("IWAP", "KLIP", "PLIP")


def _positive(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} = {value!r}: must be an integer >= 1")
    return value


def _check_layout(layout: str) -> Layout:
    if layout not in LAYOUTS:
        raise ConfigError(f"layout = {layout!r}: must be one of {', '.join(LAYOUTS)}")
    return layout  # type: ignore[return-value]


def words_spanned(start_bit: torch.Tensor, length_bits: int, word_bits: int) -> torch.Tensor:
    """Words touched by the bit range [start, start + length): the cycles one access takes."""
    return (start_bit + length_bits - 1) // word_bits - start_bit // word_bits + 1


def pixel_bit_addresses(layout: str, height: int, kernel: int, pixel_bits: int, word_bits: int) -> torch.Tensor:
    """Bit address of every cached pixel slot, shape (H, F): slot (x, c) holds input row x of cached column c.

    IWAP: (x·F + c)·p;  KLIP: x·⌈F·p/WL⌉·WL + c·p;  PLIP: (x·F + c)·⌈p/WL⌉·WL  (p = pixel bits, WL = word bits).
    """
    _check_layout(layout)
    for name, v in (("height", height), ("kernel", kernel), ("pixel_bits", pixel_bits), ("word_bits", word_bits)):
        _positive(name, v)
    x = torch.arange(height, dtype=torch.int64)[:, None]
    c = torch.arange(kernel, dtype=torch.int64)[None, :]
    if layout == "IWAP":
        return (x * kernel + c) * pixel_bits
    if layout == "KLIP":
        return x * math.ceil(kernel * pixel_bits / word_bits) * word_bits + c * pixel_bits
    return (x * kernel + c) * math.ceil(pixel_bits / word_bits) * word_bits


def memory_words(layout: str, height: int, kernel: int, pixel_bits: int, word_bits: int) -> int:
    """Words needed to cache H·F pixels in ``layout``."""
    _check_layout(layout)
    if layout == "IWAP":
        return math.ceil(height * kernel * pixel_bits / word_bits)
    if layout == "KLIP":
        return height * math.ceil(kernel * pixel_bits / word_bits)
    return height * kernel * math.ceil(pixel_bits / word_bits)


@dataclass(frozen=True)
class LayoutMetrics:
    """Table 1 metrics of one layout: memory, empty share, and the distinct cycle counts of reads and writes.

    ``write_cycles[x, c]`` is the words written to store slot (x, c); ``read_cycles[x]`` the words read to fetch
    kernel row x (all F cached columns of input row x).
    """

    layout: Layout
    channels: int
    height: int
    kernel: int
    word_bits: int
    pixel_bits: int
    words: int
    extent_bits: int
    write_cycles: torch.Tensor
    read_cycles: torch.Tensor

    @property
    def memory_bits(self) -> int:
        return self.words * self.word_bits

    @property
    def memory_kb(self) -> float:
        """Memory in kB (1 kB = 1,000 bytes, as Table 1 counts: 96 pixels × 24 bit = 0.288 kB)."""
        return self.memory_bits / 8 / 1000

    @property
    def empty_fraction(self) -> float:
        """Share of the allocated bits that hold no pixel data."""
        return 1.0 - self.height * self.kernel * self.pixel_bits / self.memory_bits

    @property
    def extent_kb(self) -> float:
        """Memory the data spans, first bit to the end of the last pixel, in kB (1 kB = 1,000 bytes)."""
        return self.extent_bits / 8 / 1000

    @property
    def extent_empty_fraction(self) -> float:
        """Share of the spanned bits that hold no pixel data: 1 − H·F·p / extent (Table 1's % empty)."""
        return 1.0 - self.height * self.kernel * self.pixel_bits / self.extent_bits

    @property
    def read_cycle_values(self) -> tuple[int, ...]:
        """Distinct cycle counts of a kernel-row read (one value: constant; two: varies with the row)."""
        return tuple(int(v) for v in torch.unique(self.read_cycles))

    @property
    def write_cycle_values(self) -> tuple[int, ...]:
        return tuple(int(v) for v in torch.unique(self.write_cycles))


def layout_metrics(layout: str, channels: int, height: int, kernel: int = 3, word_bits: int = 128,
                   bits_per_activation: int = 8) -> LayoutMetrics:
    """Metrics of caching an H·F·N volume in ``layout`` (Table 1: F = 3, 8-bit activations)."""
    _positive("channels", channels)
    _positive("bits_per_activation", bits_per_activation)
    pixel_bits = channels * bits_per_activation
    addr = pixel_bit_addresses(layout, height, kernel, pixel_bits, word_bits)
    writes = words_spanned(addr, pixel_bits, word_bits)
    # A kernel row is the F slots of one input row; with the ring of columns, the read may start at any cached
    # column, but the row's slots are contiguous in IWAP/KLIP and word-aligned in PLIP, so the words touched are
    # those of the row's whole bit range (IWAP/KLIP) or F times one pixel's words (PLIP).
    if layout == "PLIP":
        reads = kernel * words_spanned(addr[:, 0], pixel_bits, word_bits)
    else:
        reads = words_spanned(addr[:, 0], kernel * pixel_bits, word_bits)
    words = memory_words(layout, height, kernel, pixel_bits, word_bits)
    extent = int(addr.max()) + pixel_bits
    return LayoutMetrics(_check_layout(layout), channels, height, kernel, word_bits, pixel_bits, words, extent,
                         writes, reads)


def input_memory_words(layout: str, channels: int, height: int, kernel: int, word_bits: int = 128,
                       bits_per_activation: int = 8) -> int:
    """Words of Input Memory a core needs for its layer's H·F pixel ring (section 2.4.2)."""
    return memory_words(layout, height, kernel, channels * bits_per_activation, word_bits)


class PlipMemoryControl:
    """Algorithm 2 — the Dataflow Controller's address generation for a PLIP Input Memory (word addresses).

    Pixels arrive column by column (x fastest). ``store(x, y)`` returns the word address the pixel (x, y) is written
    to: within a column the address steps by Δkernel (the words of F pixels), and at a new column it restarts at
    Δpix[y mod F], so column y overwrites column y − F. ``read(x, y)`` returns the word addresses of kernel row x
    when column y is the newest cached column: F pixels at addr_r_0 + Δpix[(y + i) mod F], i = 1..F, oldest column
    first; addr_r_0 then advances by Δkernel. (The printed Algorithm 2 sets ``addr_r_0 = Δkernel``; the text and
    Figure 8 need ``addr_r_0 += Δkernel``, implemented here.)
    """

    def __init__(self, height: int, kernel: int, pixel_bits: int, word_bits: int = 128) -> None:
        self.height = _positive("height", height)
        self.kernel = _positive("kernel", kernel)
        self.words_per_pixel = math.ceil(_positive("pixel_bits", pixel_bits) / _positive("word_bits", word_bits))
        self.delta_kernel = kernel * self.words_per_pixel
        self.delta_pix = [c * self.words_per_pixel for c in range(kernel)]
        self.addr_w_0 = 0
        self.addr_r_0 = 0
        self._next_store: tuple[int, int] = (0, 0)
        self._next_read_row = 0

    @property
    def words(self) -> int:
        return self.height * self.delta_kernel

    def store(self, x: int, y: int) -> int:
        """Word address where pixel (x, y) is written (pixels must come in stream order)."""
        if (x, y) != self._next_store:
            raise ConfigError(f"pixel ({x}, {y}) arrived out of order; expected {self._next_store}")
        addr = self.addr_w_0
        if x == self.height - 1:  # column complete: next pixel starts the next column's ring slot
            self.addr_w_0 = self.delta_pix[(y + 1) % self.kernel]
            self._next_store = (0, y + 1)
        else:
            self.addr_w_0 += self.delta_kernel
            self._next_store = (x + 1, y)
        return addr

    def read(self, x: int, y: int) -> list[int]:
        """Start addresses of the F pixels of kernel row x, newest cached column y (oldest column first)."""
        if x != self._next_read_row:
            raise ConfigError(f"kernel row {x} read out of order; expected row {self._next_read_row}")
        addrs = [self.addr_r_0 + self.delta_pix[(y + i) % self.kernel] for i in range(1, self.kernel + 1)]
        if x == self.height - 1:
            self.addr_r_0 = self.delta_pix[0]
            self._next_read_row = 0
        else:
            self.addr_r_0 += self.delta_kernel
            self._next_read_row = x + 1
        return addrs
