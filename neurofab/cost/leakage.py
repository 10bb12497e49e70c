"""Static power counted block by block as DNN+NeuroSim V1.3 counts it (``CIMConfig.leakage_model='neurosim'``).

Our own model (``leakage_model='physical'``, the default) lets every static CMOS gate leak
``V_DD·I_off·W_off`` averaged over its input states (:mod:`neurofab.cost.gates`), counts every device the circuit
holds (a flip-flop's transmission gates, a driver sized for its load, every bank of a buffer, every adder of a
tree) and is the sounder estimate of a chip that is powered but idle. NeuroSim makes different modelling choices,
collected here with the file each comes from (the public repository ``neurosim/DNN_NeuroSim_V1.3``,
``Inference_pytorch/NeuroSIM``), so a design can be compared with it on equal terms:

- **Gates** (formula.cpp, CalculateGateLeakage; constant.h): an inverter leaks ``½·(W_n + W_p)·I_off·V_DD``
  (as ours); an n-input NAND ``r_n·n·W_p·I_off·V_DD`` and an n-input NOR ``r_n·n·W_n·I_off·V_DD`` with the
  average stack ratios of :data:`STACK_RATIO` (constant.h AVG_RATIO_LEAK_2INPUT_NAND = 0.48, _3INPUT_NAND = 0.31,
  _2INPUT_NOR = 0.95, _3INPUT_NOR = 0.62; three inputs and more use the 3-input ratio). Every logic gate is
  drawn with minimum devices (NMOS 2·F, PMOS ``pn``·2·F), a NAND with its NMOS stack doubled and a NOR with its
  PMOS stack n-fold, then widened to fill the standard-cell row at the same P/(P + N) split (formula.cpp,
  EnlargeSize); the row holds the devices of our minimum inverter, ``W = W_n + W_p`` (Table 1 of Lu et al. 2021
  is that filled row: NeuroSim's inverter leaks as ours at the same V_DD), so a NAND's PMOS is
  ``W·r/(r + 2)`` and an n-input NOR's NMOS ``W/(1 + n·r)``, r = W_p/W_n.
- **Flip-flop** (DFF.cpp, CalculatePower): eight inverters; its four transmission gates do not leak.
- **Switch matrices** (SwitchMatrix.cpp, NewSwitchMatrix.cpp): only their flip-flops leak, one per line; the
  word-line buffers and transmission gates do not. An eNVM sub-array has one per row (WL) and one per column
  (SL); an SRAM sub-array one per row.
- **Column mux** (Mux.cpp): no leakage; its decoder (RowDecoder.cpp, MUX mode, minimum gates): k = ⌈log₂ m⌉
  address inverters, 4·⌊k/2⌋ predecoding NAND2, 2^k NOR of ⌈k/2⌉ inputs (k > 2) and, per NOR, a NAND2 and two
  inverters. NeuroSim's SRAM sub-array leaves the mux decoder out of its leakage sum (SubArray.cpp).
- **Multilevel sense amplifier** (MultilevelSenseAmp.cpp): no leakage; its encoder (MultilevelSAEncoder.cpp) per
  ADC: (L + g)·(INV + NAND2) + g·NAND(L/2), L = 2^bits levels, g = bits.
- **Shift-adders** (ShiftAdd.cpp): per ADC an a-bit ripple adder of nine NAND2 per bit and a + p flip-flops (p:
  the operations it shifts over); the same widths as our two-stage shift-add.
- **Adder trees** (AdderTree.cpp, CalculatePower): per tree, stage s of ⌊j/2⌋ adders of (b + s − 1) bits over
  ⌈log₂ n⌉ stages (j halved with integer division, so an odd input's adder is not counted); NeuroSim counts a
  PE tree over the sub-array rows the layer occupies in that PE (none when it fills one), so a PE's leakage
  depends on the layer mapped to it (ProcessingUnit.cpp).
- **Register files** (DFF.cpp, Buffer.cpp): a PE's input and output buffers are flip-flops, n_in·rows and
  n_ADC·(shift-add width + tree stages); a tile's are 32 × 32-bit register-file cores (Param.cpp
  tileBufferCoreSizeRow/Col) of which NeuroSim counts the leakage of one core, min(bits, 1024) flip-flops
  (Tile.cpp, Buffer.cpp; its row decoder, under 1 % of it, is left out here).
- **SRAM sub-array** (SubArray.cpp, Precharger.cpp, SRAMWriteDriver.cpp): each cell leaks as two inverters of the
  bit-cell devices (Param.cpp widthSRAMCellNMOS = 2 F, widthSRAMCellPMOS = 1 F; at ≤ 14 nm two fins and one in
  the release, one and one in V1.3's first commit);
  a precharge PMOS per column that fills the cell row (counted here as W_n + W_p, the row less its P–N gap);
  three minimum inverters per column of write driver.
- **What does not leak**: level shifters (gated with the write supply, as in our model), sense amplifiers,
  transmission gates; with ``leakage_scope='tiles'`` H-trees, the global buffer and activation units.
"""

from __future__ import annotations

import math

from neurofab.core import ConfigError
from neurofab.cost.technology import Technology

#: Average leakage of a stack over its input states, relative to n parallel off devices (NeuroSim V1.3
#: constant.h AVG_RATIO_LEAK_2INPUT_NAND/_3INPUT_NAND/_2INPUT_NOR/_3INPUT_NOR; ≥ 3 inputs use the 3-input ratio).
STACK_RATIO = {("nand", 2): 0.48, ("nand", 3): 0.31, ("nor", 2): 0.95, ("nor", 3): 0.62}
#: Inverters that leak in one flip-flop (NeuroSim V1.3 DFF.cpp: "leakage ... * 8 * numDff").
DFF_INVERTERS = 8
#: Bits of one tile register-file core, whose leakage NeuroSim counts once per buffer (Param.cpp
#: tileBufferCoreSizeRow × tileBufferCoreSizeCol = 32 × 32).
BUFFER_CORE_BITS = 32 * 32
#: SRAM bit-cell pull-down and pull-up widths [F] (NeuroSim V1.3 Param.cpp widthSRAMCellNMOS, widthSRAMCellPMOS).
SRAM_CELL_WIDTHS_F = (2, 1)
#: Minimum inverters of write driver per SRAM column (NeuroSim V1.3 SRAMWriteDriver.cpp).
SRAM_WRITE_DRIVER_INVERTERS = 3
#: Full-adder NAND2 gates per bit (NeuroSim V1.3 Adder.cpp; Lu et al. 2021).
ADDER_NANDS_PER_BIT = 9


def _count(name: str, n: int, minimum: int = 0) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ConfigError(f"{name} = {n!r}: must be an integer >= {minimum}")
    return n


def _stack(kind: str, n: int) -> float:
    return STACK_RATIO[(kind, min(n, 3))]


def inverter(t: Technology) -> float:
    """A minimum inverter [W]: ½·(W_n + W_p)·I_off·V_DD."""
    return 0.5 * (t.nmos_width + t.pmos_width) * t.i_off * t.vdd


def nand(t: Technology, n_inputs: int = 2) -> float:
    """An n-input NAND [W]: r_n·n·W_p·I_off·V_DD, W_p = (W_n + W_p)·r/(r + 2) (NMOS stack drawn 2× wide, the pair
    widened to the cell row), r = W_p/W_n of the logic devices; one input is an inverter."""
    n = _count("NAND inputs", n_inputs, 1)
    if n == 1:
        return inverter(t)
    r = t.pmos_width / t.nmos_width
    wp = (t.nmos_width + t.pmos_width) * r / (r + 2)
    return _stack("nand", n) * n * wp * t.i_off * t.vdd


def nor(t: Technology, n_inputs: int = 2) -> float:
    """An n-input NOR [W]: r_n·n·W_n·I_off·V_DD, W_n = (W_n + W_p)/(1 + n·r) (PMOS stack drawn n× wide)."""
    n = _count("NOR inputs", n_inputs, 1)
    if n == 1:
        return inverter(t)
    r = t.pmos_width / t.nmos_width
    wn = (t.nmos_width + t.pmos_width) / (1 + n * r)
    return _stack("nor", n) * n * wn * t.i_off * t.vdd


def dff(t: Technology, n: int = 1) -> float:
    """``n`` flip-flops [W]: eight inverters each."""
    return _count("flip-flops", n) * DFF_INVERTERS * inverter(t)


def adder(t: Technology, bits: int, n: int = 1) -> float:
    """``n`` ripple adders of ``bits`` bits [W]: nine NAND2 per bit."""
    return _count("adders", n) * _count("adder bits", bits) * ADDER_NANDS_PER_BIT * nand(t, 2)


def adder_tree(t: Technology, n_inputs: int, bits: int, n_trees: int = 1) -> float:
    """``n_trees`` adder trees over ``n_inputs`` words of ``bits`` bits [W], NeuroSim's count: ⌈log₂ n⌉ stages,
    stage s of ⌊j/2⌋ adders of bits + s − 1 bits, j halved with integer division from n."""
    n = _count("adder-tree inputs", n_inputs)
    _count("adder-tree bits", bits, 1)
    total, j, width = 0.0, n, bits
    for _ in range(math.ceil(math.log2(n)) if n > 1 else 0):
        total += adder(t, width, j // 2)
        width += 1
        j //= 2
    return _count("adder trees", n_trees) * total


def shift_add(t: Technology, units: int, adder_bits: int, pulses: int) -> float:
    """``units`` shift-adders [W]: an ``adder_bits`` adder and adder_bits + ``pulses`` flip-flops each."""
    return _count("shift-add units", units) * (adder(t, adder_bits) + dff(t, adder_bits + _count("pulses", pulses)))


def mux_decoder(t: Technology, ratio: int) -> float:
    """The decoder of a ``ratio``:1 column mux [W] (RowDecoder.cpp, MUX mode): k = ⌈log₂ ratio⌉ inverters,
    4·⌊k/2⌋ NAND2, 2^k NOR(⌈k/2⌉) when k > 2, and per NOR a NAND2 and two inverters; 0 for ratio 1."""
    m = _count("mux ratio", ratio, 1)
    if m == 1:
        return 0.0
    k = math.ceil(math.log2(m))
    n_nor = 2**k if k > 2 else 0
    return (k * inverter(t) + 4 * (k // 2) * nand(t, 2) + n_nor * nor(t, math.ceil(k / 2))
            + n_nor * (nand(t, 2) + 2 * inverter(t)))


def mlsa_encoder(t: Technology, bits: int, n: int = 1) -> float:
    """``n`` encoders of a ``bits``-bit multilevel sense amplifier [W]: (L + g)·(INV + NAND2) + g·NAND(L/2)."""
    b = _count("encoder bits", bits, 1)
    levels = 2**b
    per = (levels + b) * (inverter(t) + nand(t, 2)) + b * nand(t, max(1, levels // 2))
    return _count("encoders", n) * per


def sram_cell(t: Technology, finfet_widths: str = "doubled") -> float:
    """One SRAM bit cell [W]: two inverters of the bit-cell devices, (W_pd + W_pu)·I_off·V_DD, W_pd = 2·F and
    W_pu = F in bulk. At FinFET nodes NeuroSim rounds each device up to whole fins: ``finfet_widths='doubled'``
    (its release, which doubles the F-widths at ≤ 14 nm: two fins and one) or ``'as-drawn'`` (V1.3's first commit
    9bff361: 2·F and F are each one fin)."""
    if finfet_widths not in ("doubled", "as-drawn"):
        raise ConfigError(f"finfet_widths = {finfet_widths!r}: must be 'doubled' or 'as-drawn'")
    pd, pu = SRAM_CELL_WIDTHS_F
    if t.device == "finfet":
        fins = pd + pu if finfet_widths == "doubled" else 2
        w = fins * t.fin_electrical_width
    else:
        w = (pd + pu) * t.feature_size
    return w * t.i_off * t.vdd


def sram_column(t: Technology) -> float:
    """Precharge PMOS (filling the cell row, W_n + W_p, half of it off on average) and write driver of one SRAM
    column [W]."""
    return 0.5 * (t.nmos_width + t.pmos_width) * t.i_off * t.vdd + SRAM_WRITE_DRIVER_INVERTERS * inverter(t)


def register_file_core(t: Technology, bits: int) -> float:
    """A tile register file as NeuroSim counts its leakage [W]: one core, min(bits, 1024) flip-flops."""
    return dff(t, min(_count("buffer bits", bits), BUFFER_CORE_BITS))


__all__ = [
    "ADDER_NANDS_PER_BIT",
    "BUFFER_CORE_BITS",
    "DFF_INVERTERS",
    "SRAM_CELL_WIDTHS_F",
    "SRAM_WRITE_DRIVER_INVERTERS",
    "STACK_RATIO",
    "adder",
    "adder_tree",
    "dff",
    "inverter",
    "mlsa_encoder",
    "mux_decoder",
    "nand",
    "nor",
    "register_file_core",
    "shift_add",
    "sram_cell",
    "sram_column",
]
