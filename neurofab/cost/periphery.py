"""Analog and mixed-signal periphery of a compute-in-memory array: level shifter, row driver, column multiplexer,
flash ADC (a bank of latch voltage sense amplifiers with SR latches), SAR ADC and the multilevel current sense
amplifier (MLSA) of DNN+NeuroSim V1.3. The column itself — bit line,
read schemes, references, precharge — is in :mod:`neurofab.cost.sensing`.

Each returns a :class:`~neurofab.cost.circuits.Cost` (area m², delay s, energy J per operation, leakage W). The
structures are the ones Lu et al. 2021 name (Fig. 2: level shifter, voltage/current sense amplifiers, SAR ADC);
The flash and SAR ADCs are sized from first principles stated in each docstring (drive for a load, offset by
Pelgrom's law, settling to half an LSB); the MLSA takes its device count and its SPICE-fitted power and latency
from the public NeuroSim V1.3 source (file and function named at each table), so that designs can be compared
with that simulator on equal terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from neurofab.core import ConfigError
from neurofab.cost.circuits import Cost, decoder, dff, latch_comparator, register
from neurofab.cost.gates import gate_area, inverter, nand, nor, transmission_gate
from neurofab.cost.technology import PASS_R_FACTOR, Technology

BOLTZMANN_T = 1.380649e-23 * 300.0  # k·T at 300 K [J]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} = {value!r}: must be a finite number > 0")
    return float(value)


def _nonneg(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} = {value!r}: must be a finite number >= 0")
    return float(value)


def _bits(bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 12:
        raise ConfigError(f"ADC bits = {bits!r}: must be an integer in [1, 12]")
    return bits


# ----- drivers ---------------------------------------------------------------------------------------------
def level_shifter(tech: Technology, v_high: float, c_load: float, io_scale: float = 2.5,
                  v_switch: float | None = None) -> Cost:
    """Cross-coupled level shifter (Lu et al. 2021, Fig. 2A) from V_DD to ``v_high`` [V] driving ``c_load`` [F].

    A core input inverter; an I/O stage of two NMOS pull-downs (2 × the logic width, to overpower the PMOS), two
    cross-coupled PMOS and an output inverter sized for the load with a stage effort of 4. I/O transistors have
    width and length ``io_scale`` × the logic device (the paper scales the gate layout width and height by 2.5),
    so their resistance equals the logic device's and their gate and diffusion capacitance are ``io_scale`` ×;
    their layout area is ``io_scale``² × the logic-gate area. Energy of one switching event: every node of the I/O
    stage and the load charge once to ``v_switch`` (default ``v_high``), the input inverter to V_DD.
    """
    vh = _positive("v_high", v_high)
    _nonneg("c_load", c_load)
    s_io = _positive("io_scale", io_scale)
    vs = vh if v_switch is None else _positive("v_switch", v_switch)
    if vh < tech.vdd:
        raise ConfigError(f"v_high = {vh} V must be >= V_DD = {tech.vdd} V")
    core = inverter(tech)
    logic = inverter(tech)
    c_in_io = s_io * logic.c_in  # one I/O inverter-pair input
    drive = max(1.0, c_load / (4 * c_in_io))
    n_pd = 2.0
    cols_cross = 2 * math.ceil(n_pd)  # two NMOS of two fingers; the PMOS share the columns
    area_io = (gate_area(tech, cols_cross) + gate_area(tech, math.ceil(drive - 1e-9))) * s_io**2
    # cross node: NMOS drain (2 W_n) + PMOS drain + the other PMOS gate (+ output inverter input on one side)
    c_cross = s_io * (tech.c_drain * (n_pd * tech.nmos_width + tech.pmos_width)
                      + tech.c_gate * tech.pmos_width)
    c_out_inv_in = drive * c_in_io
    c_out_self = drive * s_io * logic.c_self
    e_io = (2 * c_cross + c_out_inv_in + c_out_self + c_load) * vs**2
    e_core = core.energy(s_io * tech.c_gate * n_pd * tech.nmos_width)
    r_pd = logic.r_pull_down / n_pd * vh / tech.vdd
    r_pu = logic.r_pull_up * vh / tech.vdd
    r_out = 0.5 * (logic.r_pull_down + logic.r_pull_up) / drive * vh / tech.vdd
    delay = (core.delay(s_io * tech.c_gate * n_pd * tech.nmos_width) + 0.69 * r_pd * c_cross
             + 0.69 * r_pu * (c_cross + c_out_inv_in) + 0.69 * r_out * (c_out_self + c_load))
    w_io = s_io * (n_pd * 2 * tech.nmos_width + 2 * tech.pmos_width + drive * (tech.nmos_width + tech.pmos_width))
    leak = core.leakage + vh * tech.i_off * 0.5 * w_io / s_io  # long-channel I/O devices leak ∝ W/L
    return Cost(area=core.area + area_io, delay=delay, energy=e_core + e_io, leakage=leak)


#: DNN+NeuroSim V1.3's eNVM level shifter (LevelShifter.cpp, ``validated`` layout): its three stages' NMOS and
#: PMOS widths in multiples of its minimum NMOS, 2·F — input inverter, cross-coupled latch, high-voltage pull-up —
#: fixed whatever the line it drives (each width doubled in that layout, as listed here).
NEUROSIM_LEVEL_SHIFTER_WIDTHS = ((30.0, 40.0), (64.0, 20.0), (128.0, 164.0))


def folded_columns(tech: Technology, w_n: float, w_p: float, height_factor: float = 1.0) -> int:
    """Poly columns of an inverter with an NMOS of width ``w_n`` and a PMOS of ``w_p`` [m] in a cell row
    ``height_factor`` × the standard height: the diffusion height the row leaves (its height less the fixed
    overhead of rails, N–P gap and poly extensions, which a logic inverter's two devices fill exactly) is shared
    by the two devices in proportion to their widths, so both fold into ⌈(W_n + W_p)/diffusion⌉ fingers."""
    _positive("w_n", w_n)
    _positive("w_p", w_p)
    h = _positive("height_factor", height_factor) * tech.cell_height
    diffusion = h - (tech.cell_height - tech.nmos_width - tech.pmos_width)
    if diffusion <= 0:
        raise ConfigError(f"height_factor = {height_factor}: a row of {h * 1e9:.0f} nm leaves no diffusion height")
    return max(1, math.ceil((w_n + w_p) / diffusion - 1e-9))


def fixed_level_shifter_area(tech: Technology, io_scale: float = 2.5,
                             widths: tuple[tuple[float, float], ...] = NEUROSIM_LEVEL_SHIFTER_WIDTHS) -> float:
    """Layout area [m²] of one level shifter of fixed device sizes, whatever its load (DNN+NeuroSim V1.3's eNVM
    level shifter, :data:`NEUROSIM_LEVEL_SHIFTER_WIDTHS`, in multiples of a 2·F NMOS).

    The three stages (input inverter, latch, high-voltage pull-up) sit side by side in one row ``io_scale`` × the
    cell height; each folds as :func:`folded_columns` says and takes ``cell_width·(columns + 1)/2`` of width; the
    latch (counted twice: its two halves) and the pull-up are I/O devices, ``io_scale`` × wider per column:
    area = io·h_cell · ½·w_cell · [(k_in + 1) + io·(2·(k_latch + 1) + (k_high + 1))]. A wiring factor (alpha)
    is the caller's."""
    s_io = _positive("io_scale", io_scale)
    if len(widths) != 3:
        raise ConfigError(f"widths = {widths!r}: three (NMOS, PMOS) stages expected (input, latch, high)")
    w_min = 2 * tech.feature_size
    k_in, k_latch, k_high = (folded_columns(tech, wn * w_min, wp * w_min, s_io) for wn, wp in widths)
    pitches = (k_in + 1) + s_io * (2 * (k_latch + 1) + (k_high + 1))
    return s_io * tech.cell_height * tech.cell_width / 2 * pitches


def row_driver(tech: Technology, c_load: float, r_wire: float = 0.0) -> Cost:
    """One word-line driver of the input switch matrix: an input-bit flip-flop and a two-stage inverter buffer
    (stage effort √(C_load/C_in)) onto a word line of capacitance ``c_load`` [F] and resistance ``r_wire`` [Ω]
    (distributed: 0.38·R·C Elmore term). Energy per activation: the buffer chain and the line charge once."""
    _nonneg("c_load", c_load)
    _nonneg("r_wire", r_wire)
    inv = inverter(tech)
    total_effort = max(1.0, c_load / inv.c_in)
    s1 = max(1.0, math.sqrt(total_effort))
    b1 = inverter(tech, s1)
    s2 = max(1.0, total_effort / s1) if total_effort > 16 else 1.0
    b2 = inverter(tech, s2) if total_effort > 16 else None
    flop = dff(tech)
    if b2 is None:
        area, leak = flop.area + b1.area, flop.leakage + b1.leakage
        delay = b1.delay(c_load) + 0.38 * r_wire * c_load
        energy = flop.energy + b1.energy(c_load)
    else:
        area, leak = flop.area + b1.area + b2.area, flop.leakage + b1.leakage + b2.leakage
        delay = b1.delay(b2.c_in) + b2.delay(c_load) + 0.38 * r_wire * c_load
        energy = flop.energy + b1.energy(b2.c_in) + b2.energy(c_load)
    return Cost(area=area, delay=delay, energy=energy, leakage=leak)


# ----- column selection ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnMux:
    """Analog column multiplexer: ``cost`` per switching of all its outputs, the on-resistance of one path and
    the capacitance it adds to the sensed node."""

    cost: Cost
    decoder: Cost
    r_on: float  # [Ω]
    c_node: float  # diffusion capacitance on the shared output node [F]
    size: float  # transmission-gate size (× logic width)


def column_mux(tech: Technology, n_columns: int, ratio: int, r_column: float, r_fraction: float = 0.1,
               max_size: float = 64.0, decoder_outputs: str = "sized") -> ColumnMux:
    """``n_columns`` columns share ``n_columns/ratio`` outputs through ``ratio``:1 transmission-gate muxes.

    Each gate is sized so its on-resistance is at most ``r_fraction`` × ``r_column`` [Ω], the *average* column
    resistance (Lu et al. 2021 size the mux by the average, not the all-on, column resistance), capped at
    ``max_size`` × the logic width. A mux step switches the control gates of all n_columns/ratio selected
    devices (raw energy: each charges once) through a ratio-output decoder (``decoder_outputs``: 'sized' or
    'minimum', see :func:`~neurofab.cost.circuits.decoder`); delay = R_on·C_node. A conducting switch passes the
    column's signal in its linear region, so its on-resistance (sizing, R_on, delay) keeps the ¾·V_DD/(I_on·W)
    rule (:data:`PASS_R_FACTOR`) whatever the card's switching factor ``r_eff_factor``; its gates are driven
    through the decoder at the card's drive. The switches do not
    leak: an off transmission gate sits between a column and an ADC input at the same potential when idle, so no
    subthreshold current flows through it (NeuroSim V1.3 Mux.cpp makes the same assumption); the decoder leaks."""
    if isinstance(n_columns, bool) or not isinstance(n_columns, int) or n_columns < 1:
        raise ConfigError(f"n_columns = {n_columns!r}: must be an integer >= 1")
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1 or n_columns % ratio:
        raise ConfigError(f"mux ratio = {ratio!r}: must be an integer >= 1 dividing n_columns = {n_columns}")
    _positive("r_column", r_column)
    _positive("r_fraction", r_fraction)
    pass_scale = PASS_R_FACTOR / tech.r_eff_factor  # linear-region resistance / the card's switching resistance
    base = transmission_gate(tech)
    size = min(max(1.0, pass_scale * base.r_drive / (r_fraction * r_column)), _positive("max_size", max_size))
    tg = transmission_gate(tech, size)
    r_pass = pass_scale * tg.r_drive
    n_out = n_columns // ratio
    c_node = ratio * tg.c_self
    dec = decoder(tech, ratio, n_out * 2 * tg.c_in, decoder_outputs) if ratio > 1 else Cost()
    if ratio == 1:
        cost = Cost()
    else:
        cost = Cost(area=n_columns * tg.area, delay=r_pass * c_node,
                    energy=n_out * 2 * tg.c_in * tech.vdd**2, leakage=0.0)
    return ColumnMux(cost=cost, decoder=dec, r_on=r_pass if ratio > 1 else 0.0,
                     c_node=c_node if ratio > 1 else 0.0, size=size)


# ----- converters ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Adc:
    """One ADC: ``cost`` per conversion (delay = conversion time after the input has settled) and its input
    capacitance (what the sensed node must drive)."""

    cost: Cost
    c_in: float  # [F]
    bits: int
    kind: str
    comparator_c_in: float = 0.0  # input capacitance of one comparator [F]
    step: float = 0.0  # smallest input step resolved [V]


def _thermometer_encoder(tech: Technology, bits: int) -> Cost:
    """Thermometer → binary: 2^N − 1 NAND2 transition detectors and N OR trees of 2^(N−1) inputs (as NAND2
    equivalents). Raw energy: one detector, one tree path per output bit."""
    g = nand(tech, 2)
    n_det = 2**bits - 1
    n_tree = bits * max(0, 2 ** (bits - 1) - 1)
    depth = max(1, bits - 1)
    return Cost(area=(n_det + n_tree) * g.area, delay=(1 + depth) * g.delay(2 * g.c_in),
                energy=(1 + bits * depth) * g.energy(2 * g.c_in), leakage=(n_det + n_tree) * g.leakage)


def sr_latch(tech: Technology) -> Cost:
    """Set–reset latch of two cross-coupled NAND2 that holds a StrongARM comparator's decision while the
    comparator resets (Razavi, IEEE Solid-State Circuits Magazine, 2015). Raw energy per decision: one NAND
    output switching into the other NAND and one encoder input; delay: two NAND levels."""
    g = nand(tech, 2)
    return Cost(area=2 * g.area, delay=2 * g.delay(2 * g.c_in), energy=g.energy(2 * g.c_in),
                leakage=2 * g.leakage)


def flash_adc(tech: Technology, bits: int, v_full_scale: float, offset_sigma_lsb: float = 0.5,
              step: float | None = None, ladder: bool = True) -> Adc:
    """Flash ADC of 2^N − 1 voltage sense amplifiers (StrongARM latch comparators, each followed by an SR
    latch) — NeuroSim's multi-level sense amplifier, MLSA — and a thermometer encoder.

    ``step`` [V] is the smallest input difference between adjacent code thresholds the comparators must resolve
    (default: the uniform LSB V_FS/2^N; a compressive voltage-mode bit line passes its smallest step). Sizing:
    comparator offset σ = ``offset_sigma_lsb`` × step (Pelgrom: W·L = (A_VT/σ)²). Conversion time: regeneration
    from half a step, τ·ln(V_DD/(step/2)), the SR latch and the encoder. Energy per conversion: 2^N − 1 decisions
    and SR latches, the encoder, and — with ``ladder`` — this ADC's share of a resistor-ladder reference: a
    ladder that settles its tap load C_taps to half an LSB within a conversion dissipates V_FS²·C_taps·ln 2^(N+1)
    per conversion whatever its resistance (R sized to the time, power × time constant); the ladder's resistor
    area is not counted. ``ladder=False``: the references come from elsewhere (reference columns, priced by
    :mod:`neurofab.cost.sensing`).
    """
    n = _bits(bits)
    vfs = _positive("v_full_scale", v_full_scale)
    if vfs > tech.vdd:
        raise ConfigError(f"v_full_scale = {vfs} V must be <= V_DD = {tech.vdd} V")
    _positive("offset_sigma_lsb", offset_sigma_lsb)
    lsb = vfs / 2**n if step is None else _positive("step", step)
    if lsb > vfs:
        raise ConfigError(f"step = {lsb} V must be <= v_full_scale = {vfs} V")
    comp = latch_comparator(tech, offset_sigma_lsb * lsb)
    latch = sr_latch(tech)
    n_comp = 2**n - 1
    enc = _thermometer_encoder(tech, n)
    t_decide = comp.tau * math.log(tech.vdd / (lsb / 2)) + latch.delay
    c_taps = n_comp * comp.c_in
    e_ladder = vfs**2 * c_taps * math.log(2 ** (n + 1)) if ladder else 0.0
    energy = n_comp * (comp.cost.energy + latch.energy) + enc.energy + e_ladder
    area = n_comp * (comp.cost.area + latch.area) + enc.area
    leak = n_comp * (comp.cost.leakage + latch.leakage) + enc.leakage
    return Adc(Cost(area=area, delay=t_decide + enc.delay, energy=energy, leakage=leak),
               c_in=c_taps, bits=n, kind="flash", comparator_c_in=comp.c_in, step=lsb)


def mom_capacitance_density(tech: Technology, layers: int = 4) -> float:
    """Metal-oxide-metal finger capacitor density [F/m²]: minimum-pitch fingers on ``layers`` metal layers,
    (wire capacitance per length / pitch) × layers."""
    return tech.wire_capacitance / tech.wire_pitch * layers


def sar_adc(tech: Technology, bits: int, v_full_scale: float, offset_sigma_lsb: float = 0.5,
            c_unit_min: float = 0.5e-15) -> Adc:
    """Successive-approximation ADC (Lu et al. 2021, Fig. 2D): one latch comparator, an N-bit binary-weighted
    capacitor DAC, SAR logic of 2N flip-flops.

    DAC size: total capacitance ≥ 12·k·T/LSB² (thermal noise ≤ LSB/√12) and unit ≥ ``c_unit_min`` [F];
    area by the MOM finger density. Energy per conversion: N comparator decisions, the DAC's charge
    redistribution ≈ ½·C_DAC·V_FS² (order of the conventional switching average), N clocks of the SAR logic.
    Conversion time: N × (decision + DAC settling to half an LSB through a logic switch + one flip-flop).
    """
    n = _bits(bits)
    vfs = _positive("v_full_scale", v_full_scale)
    if vfs > tech.vdd:
        raise ConfigError(f"v_full_scale = {vfs} V must be <= V_DD = {tech.vdd} V")
    _positive("c_unit_min", c_unit_min)
    lsb = vfs / 2**n
    comp = latch_comparator(tech, _positive("offset_sigma_lsb", offset_sigma_lsb) * lsb)
    c_total = max(12 * BOLTZMANN_T / lsb**2, 2**n * c_unit_min)
    logic = register(tech, 2 * n)
    sw = transmission_gate(tech)
    t_settle = sw.r_drive * c_total * math.log(2 ** (n + 1))
    t_bit = comp.tau * math.log(tech.vdd / (lsb / 2)) + t_settle + dff(tech).delay
    energy = n * comp.cost.energy + 0.5 * c_total * vfs**2 + n * logic.energy
    area = comp.cost.area + c_total / mom_capacitance_density(tech) + logic.area + n * sw.area
    leak = comp.cost.leakage + logic.leakage + n * sw.leakage
    return Adc(Cost(area=area, delay=n * t_bit, energy=energy, leakage=leak), c_in=c_total, bits=n, kind="sar",
               comparator_c_in=comp.c_in, step=lsb)


# ----- multilevel sense amplifier (NeuroSim V1.3's default ADC) ----------------------------------------------
#: Transistors of one MLSA level in current mode: a current sense amplifier of 48 NMOS + 40 PMOS
#: (NeuroSim V1.3 CurrentSenseAmp.cpp, CalculateUnitArea) and 9 NMOS + 9 PMOS of reference and latch
#: (MultilevelSenseAmp.cpp, CalculateArea), each a minimum device drawn in its own gate-height slice.
MLSA_DEVICES_PER_LEVEL = 48 + 40 + 9 + 9
#: The NMOS devices of one level's current sense amplifier, which DNN+NeuroSim V1.3's first commit (9bff361) left
#: out of the amplifier's area (``amplifier_nmos=False``; the 2023 release counts them).
MLSA_AMPLIFIER_NMOS = 48
#: Transistors of one MLSA level in voltage mode: 52 NMOS + 60 PMOS minimum devices (NeuroSim V1.3
#: MultilevelSenseAmp.cpp, CalculateArea, currentMode = false; its references are inside the amplifier).
MLSA_VOLTAGE_DEVICES_PER_LEVEL = 52 + 60

#: Fitted power of one MLSA column conversion, current mode, low-standby-power roadmap (NeuroSim V1.3
#: MultilevelSenseAmp.cpp, GetColumnPower, from its authors' SPICE runs at 0.5 V read): node [nm] →
#: (power per comparison level [W], column coefficient b, exponent c) in P = P_level·(L − 1) + b·exp(−c·log10 R),
#: R the column's resistance [Ω] referred to 0.5 V read.
MLSA_POWER_LP: dict[int, tuple[float, float, float]] = {
    130: (18.09e-6, 0.1380, 2.303), 90: (12.612e-6, 0.1023, 2.303), 65: (8.4147e-6, 0.0972, 2.303),
    45: (6.3162e-6, 0.075, 2.303), 32: (3.0875e-6, 0.0649, 2.297), 22: (1.7e-6, 0.0631, 2.303),
    14: (1.0e-6, 0.0508, 2.303), 10: (0.55e-6, 0.0315, 2.303), 7: (0.35e-6, 0.0235, 2.303),
}

#: The same fit in voltage mode (NeuroSim V1.3 MultilevelSenseAmp.cpp, GetColumnPower, currentMode = false, LP).
MLSA_POWER_LP_VOLTAGE: dict[int, tuple[float, float, float]] = {
    130: (23.4e-6, 0.169380, 2.303), 90: (14.42e-6, 0.144323, 2.303), 65: (10.18e-6, 0.121272, 2.303),
    45: (7.062e-6, 0.100225, 2.303), 32: (3.692e-6, 0.079449, 2.297), 22: (1.866e-6, 0.072341, 2.303),
    14: (1.126e-6, 0.061085, 2.303), 10: (0.6917e-6, 0.051580, 2.303), 7: (0.4211e-6, 0.043555, 2.303),
}

#: Worst-case conversion time of an MLSA at nodes above 22 nm, low-standby-power roadmap (NeuroSim V1.3
#: MultilevelSenseAmp.cpp, GetColumnLatency): node → (a [ns], b [ns]) in T = a·ln(R/1 kΩ) + b; at 22 nm and below
#: the fit is a flat 1 ns. Every conversion time is clamped to [1, 10] ns there.
MLSA_LATENCY_LP: dict[int, tuple[float, float]] = {
    130: (0.2679, 0.0478), 90: (0.0586, 1.41), 65: (0.1239, 0.6642), 45: (0.0714, 0.7651), 32: (0.0714, 0.7651),
}
MLSA_READ_VOLTAGE_FIT = 0.5  # [V], the read voltage of the fits
MLSA_T_MIN, MLSA_T_MAX = 1e-9, 10e-9  # [s], the clamp of NeuroSim's MLSA latency


def _fit_node(tech: Technology) -> int:
    """The fitted node of ``tech``: the nearest tabulated node at or above its feature size (a half node takes
    its parent's fit, e.g. 40 nm → 45 nm)."""
    nm = tech.feature_size * 1e9
    above = [n for n in MLSA_POWER_LP if n >= nm - 0.5]
    return min(above) if above else max(MLSA_POWER_LP)


@dataclass(frozen=True)
class Mlsa:
    """A multilevel current sense amplifier ADC: ``adc`` its size and fixed per-conversion cost (the level
    term of the fitted power over the conversion time, the encoder); :meth:`column_energy` the part that
    scales with the column current."""

    adc: Adc
    node: int
    t_conversion: float  # [s]
    mode: Literal["current", "voltage"] = "current"

    def column_power(self, r_column: float, read_voltage: float) -> float:
        """Column term of the fitted power [W]: b·exp(−c·log10 R'), R' = R·0.5 V/V_read (the fits' read
        voltage); an open column (R = ∞) draws nothing."""
        if not math.isfinite(r_column):
            return 0.0
        _, b, c = (MLSA_POWER_LP_VOLTAGE if self.mode == "voltage" else MLSA_POWER_LP)[self.node]
        r_eff = _positive("r_column", r_column) * MLSA_READ_VOLTAGE_FIT / _positive("read_voltage", read_voltage)
        return b * math.exp(-c * math.log10(r_eff))

    def column_energy(self, r_column: float, read_voltage: float) -> float:
        """Column term of one conversion [J]: column power × conversion time."""
        return self.column_power(r_column, read_voltage) * self.t_conversion


def mlsa_latency(tech: Technology, r_column: float) -> float:
    """MLSA conversion time [s]: 1 ns at 22 nm and below; above, the worst reference of the node's fit,
    T = a·ln(R/1 kΩ) + b [ns] at the column resistance ``r_column`` [Ω]; clamped to [1, 10] ns (NeuroSim V1.3
    MultilevelSenseAmp.cpp)."""
    node = _fit_node(tech)
    if node not in MLSA_LATENCY_LP:
        return MLSA_T_MIN
    a, b = MLSA_LATENCY_LP[node]
    t = (a * math.log(_positive("r_column", r_column) / 1e3) + b) * 1e-9
    return min(MLSA_T_MAX, max(MLSA_T_MIN, t))


def mlsa_encoder(tech: Technology, bits: int) -> Cost:
    """The MLSA's thermometer-to-binary encoder (the structure of NeuroSim V1.3 MultilevelSAEncoder.cpp):
    L − 1 rows of two inverters and a NAND2 feeding N = log2 L NAND gates of L/2 inputs. Area: the rows side by
    side with one wide NAND; raw energy per conversion: every gate of the rows and the N wide NANDs switch once;
    delay: inverter → NAND2 → wide NAND → inverter, the wide NAND timed as the ⌈log₂(L/2)⌉-level tree of
    alternating NAND2/NOR2 gates a static L/2-input gate is built from (a single stack of L/2 series devices is
    not; NeuroSim V1.3 times it as a two-device stack)."""
    n = _bits(bits)
    levels = 2**n
    inv, nand2 = inverter(tech), nand(tech, 2)
    wide = nand(tech, max(2, levels // 2))
    area = (levels - 1) * (2 * inv.area + nand2.area) + n * wide.area
    energy = ((levels - 1 + n) * (inv.energy(nand2.c_in) + nand2.energy(wide.c_in))
              + n * wide.energy(inv.c_in))
    depth = max(1, math.ceil(math.log2(max(2, levels // 2))))
    gates = [nand2 if i % 2 == 0 else nor(tech, 2) for i in range(depth)]
    t_wide = sum(g.delay(gates[i + 1].c_in if i + 1 < depth else inv.c_in) for i, g in enumerate(gates))
    delay = inv.delay(2 * nand2.c_in) + nand2.delay(levels // 2 * wide.c_in) + t_wide + inv.delay()
    leak = (levels - 1 + n) * (inv.leakage + nand2.leakage) + n * wide.leakage
    return Cost(area=area, delay=delay, energy=energy, leakage=leak)


def mlsa_adc(tech: Technology, bits: int, r_column: float = 1e3, encoder_activity: float = 1.0,
             mode: Literal["current", "voltage"] = "current", amplifier_nmos: bool = True) -> Mlsa:
    """NeuroSim V1.3's multilevel sense amplifier (MLSA) in current mode, the default ADC of its CIM arrays:
    L − 1 = 2^N − 1 current sense amplifiers compare the column current with reference currents at once; an
    encoder turns the thermometer code into N bits.

    ``mode='voltage'`` (NeuroSim's currentMode = false): L − 1 voltage sense amplifiers of
    :data:`MLSA_VOLTAGE_DEVICES_PER_LEVEL` devices each (references inside), a fixed 1 ns conversion at every node
    (NeuroSim's CalculateLatency) and the voltage-mode power fit :data:`MLSA_POWER_LP_VOLTAGE`.

    Area: (L − 1) × :data:`MLSA_DEVICES_PER_LEVEL` minimum devices, each the footprint of a minimum inverter
    cell of ``tech``, plus the encoder. Conversion time: :func:`mlsa_latency` (1 ns at ≤ 22 nm) at the design
    column resistance ``r_column`` [Ω]. Energy per conversion: the level term of the fitted power,
    P_level·(L − 1) × time (:data:`MLSA_POWER_LP`), plus the encoder's × ``encoder_activity`` (NeuroSim scales
    it by its control-logic activity ε); the column-current term is :meth:`Mlsa.column_energy`. Leakage: the
    encoder's (the amplifiers' bias is inside the fitted power and flows only while converting).
    ``amplifier_nmos=False`` (current mode): the area without each level's :data:`MLSA_AMPLIFIER_NMOS` amplifier
    NMOS, as NeuroSim V1.3's first commit counted it."""
    n = _bits(bits)
    if not 0 < encoder_activity <= 1:
        raise ConfigError(f"encoder_activity = {encoder_activity!r}: must be in (0, 1]")
    if mode not in ("current", "voltage"):
        raise ConfigError(f"mode = {mode!r}: must be 'current' or 'voltage'")
    voltage = mode == "voltage"
    node = _fit_node(tech)
    t_conv = MLSA_T_MIN if voltage else mlsa_latency(tech, r_column)
    enc = mlsa_encoder(tech, n)
    levels = 2**n - 1
    p_level = (MLSA_POWER_LP_VOLTAGE if voltage else MLSA_POWER_LP)[node][0]
    dev = inverter(tech)
    per_level = MLSA_VOLTAGE_DEVICES_PER_LEVEL if voltage else MLSA_DEVICES_PER_LEVEL
    if not amplifier_nmos and not voltage:
        per_level -= MLSA_AMPLIFIER_NMOS
    area = levels * per_level * dev.area + enc.area
    energy = p_level * levels * t_conv + enc.energy * encoder_activity
    c_in = levels * tech.c_gate * tech.nmos_width  # the mirror gates the column current feeds
    cost = Cost(area=area, delay=t_conv + enc.delay, energy=energy, leakage=enc.leakage)
    return Mlsa(Adc(cost, c_in=c_in, bits=n, kind="mlsa"), node=node, t_conversion=t_conv, mode=mode)


__all__ = [
    "MLSA_DEVICES_PER_LEVEL",
    "MLSA_LATENCY_LP",
    "MLSA_POWER_LP",
    "MLSA_POWER_LP_VOLTAGE",
    "MLSA_VOLTAGE_DEVICES_PER_LEVEL",
    "NEUROSIM_LEVEL_SHIFTER_WIDTHS",
    "Adc",
    "ColumnMux",
    "Mlsa",
    "column_mux",
    "fixed_level_shifter_area",
    "flash_adc",
    "folded_columns",
    "level_shifter",
    "mlsa_adc",
    "mlsa_encoder",
    "mlsa_latency",
    "mom_capacitance_density",
    "row_driver",
    "sar_adc",
    "sr_latch",
]
