"""Circuit modules built from the gates of :mod:`neurofab.cost.gates`: flip-flop, adders, shift-add, accumulator,
adder tree, multiplexer, decoder, latch comparator, SRAM buffer, repeated wire and H-tree.

Every module returns a :class:`Cost`: area [m²], the delay of one operation [s], the energy of one operation [J]
and the static power [W]. Module energies are *raw*: every internal node makes one full charge–discharge per
operation (an upper bound); real switching activity multiplies them (the γ, δ, ε, ζ factors of Lu et al. 2021, or
a measured activity).

Structures follow Lu et al. 2021 where the paper names them: the D flip-flop is four transmission gates, four
inverters and four clock inverters; the full adder is nine NAND2 gates per bit. Elsewhere: textbook structures
(Weste & Harris, *CMOS VLSI Design*, 4th ed.; Rabaey, *Digital Integrated Circuits*, 2nd ed.), named in each
docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from neurofab.core import ConfigError
from neurofab.cost.gates import Gate, gate_area, inverter, nand, transmission_gate
from neurofab.cost.technology import Technology

#: Minimum devices (2·F wide at bulk nodes, one fin at FinFET nodes: Technology.bitcell_width) in the NMOS of a
#: 'minimum' decoder output (DNN+NeuroSim V1.3 RowDecoder.cpp: widthDriverInvN = 2·MIN_NMOS_SIZE·F).
MINIMUM_DRIVER_DEVICES = 2


@dataclass(frozen=True)
class Cost:
    """Area [m²], delay of one operation [s], energy per operation [J], leakage power [W]."""

    area: float = 0.0
    delay: float = 0.0
    energy: float = 0.0
    leakage: float = 0.0

    def times(self, n: float) -> Cost:
        """``n`` copies working in parallel: area, energy and leakage × n, delay unchanged."""
        if n < 0 or not math.isfinite(n):
            raise ConfigError(f"number of copies = {n!r}: must be a finite number >= 0")
        return Cost(self.area * n, self.delay, self.energy * n, self.leakage * n)

    def scale_energy(self, factor: float) -> Cost:
        """The same module with its energy per operation × ``factor`` (an activity factor)."""
        return Cost(self.area, self.delay, self.energy * factor, self.leakage)

    def scale_area(self, factor: float) -> Cost:
        return Cost(self.area * factor, self.delay, self.energy, self.leakage)

    @staticmethod
    def series(*parts: Cost) -> Cost:
        """Modules on one path: everything adds, delays included."""
        return Cost(sum(p.area for p in parts), sum(p.delay for p in parts),
                    sum(p.energy for p in parts), sum(p.leakage for p in parts))

    @staticmethod
    def parallel(*parts: Cost) -> Cost:
        """Modules side by side: areas, energies and leakages add; the delay is the slowest part's."""
        return Cost(sum(p.area for p in parts), max((p.delay for p in parts), default=0.0),
                    sum(p.energy for p in parts), sum(p.leakage for p in parts))


def _check_count(name: str, n: int, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ConfigError(f"{name} = {n!r}: must be an integer >= {minimum}")
    return n


# ----- sequential ------------------------------------------------------------------------------------------
def dff(tech: Technology) -> Cost:
    """Master–slave D flip-flop: 4 transmission gates, 4 inverters, 4 clock inverters (Lu et al. 2021).

    Area = 4·A_TG + 8·A_INV (12 inverter areas: 719 µm²/176 DFF = 4.085 µm² in the paper's Table 5 at 40 nm).
    Raw energy per clock cycle: the clock inverters charge the eight TG control gates, the four data inverters
    their outputs with the next TG diffusion and inverter input. Delay = clock-to-Q + setup = 2 TG + 3 INV.
    """
    inv, tg = inverter(tech), transmission_gate(tech)
    e_clock = 4 * inv.energy(2 * tg.c_in)
    e_data = 4 * inv.energy(inv.c_in + tg.c_self)
    delay = 2 * tg.delay(inv.c_in + tg.c_self) + 3 * inv.delay(inv.c_in + tg.c_self)
    return Cost(area=4 * tg.area + 8 * inv.area, delay=delay, energy=e_clock + e_data,
                leakage=4 * tg.leakage + 8 * inv.leakage)


# ----- arithmetic ------------------------------------------------------------------------------------------
#: Fan-out of each of the nine NAND2 outputs of the full adder (n1 → n2, n3, cout; h → n5, n6; n5 → n6, n7,
#: cout; s → one external input; cout → the next bit's n5, n7), 15 gate inputs in all.
_FA_FANOUT = (3, 1, 1, 2, 3, 1, 1, 1, 2)


def full_adder(tech: Technology) -> Cost:
    """One full-adder bit of nine NAND2 gates (Lu et al. 2021). Delay is the carry path c_in → c_out (two NAND
    levels); the sum path (a → s) is six levels and enters :func:`ripple_adder`."""
    g = nand(tech, 2)
    energy = sum(g.energy(f * g.c_in) for f in _FA_FANOUT)
    return Cost(area=9 * g.area, delay=2 * g.delay(2 * g.c_in), energy=energy, leakage=9 * g.leakage)


def half_adder(tech: Technology) -> Cost:
    """Half adder: a four-NAND2 XOR for the sum and an inverter on its first NAND for the carry."""
    g, inv = nand(tech, 2), inverter(tech)
    energy = g.energy(3 * g.c_in + inv.c_in) + 2 * g.energy(g.c_in) + g.energy(g.c_in) + inv.energy(g.c_in)
    return Cost(area=4 * g.area + inv.area, delay=3 * g.delay(2 * g.c_in), energy=energy,
                leakage=4 * g.leakage + inv.leakage)


def ripple_adder(tech: Technology, bits: int) -> Cost:
    """An n-bit ripple-carry adder of nine-NAND full adders. Critical path: a₀ → c₁ (five NAND levels), the
    carry through n − 2 bits (two levels each), c → s of the top bit (three levels): 2n + 4 NAND delays."""
    n = _check_count("adder bits", bits)
    g = nand(tech, 2)
    fa = full_adder(tech)
    return Cost(area=n * fa.area, delay=(2 * n + 4) * g.delay(2 * g.c_in), energy=n * fa.energy,
                leakage=n * fa.leakage)


def adder_tree(tech: Technology, n_inputs: int, bits: int) -> Cost:
    """Binary tree summing ``n_inputs`` words of ``bits`` bits: level k holds ⌊m/2⌋ adders of (bits + k − 1)
    bits (m words entering the level; an odd word passes through). Delay = Σ of one ripple adder per level."""
    m = _check_count("adder-tree inputs", n_inputs)
    _check_count("adder-tree bits", bits)
    parts: list[Cost] = []
    level = 0
    while m > 1:
        level += 1
        adder = ripple_adder(tech, bits + level - 1)
        parts.append(adder.times(m // 2))
        m = m // 2 + m % 2
    if not parts:
        return Cost()
    return Cost.series(*parts)


def register(tech: Technology, bits: int) -> Cost:
    """``bits`` D flip-flops clocked together."""
    return dff(tech).times(_check_count("register bits", bits))


def shift_add(tech: Technology, bits: int) -> Cost:
    """Shift-and-add unit of width ``bits``: a ``bits``-bit ripple adder and a ``bits``-bit register holding the
    running sum (the shift is wiring). One operation = one add + one register update; delay = adder + DFF."""
    adder, reg = ripple_adder(tech, bits), register(tech, bits)
    return Cost(area=adder.area + reg.area, delay=adder.delay + dff(tech).delay,
                energy=adder.energy + reg.energy, leakage=adder.leakage + reg.leakage)


def accumulator(tech: Technology, bits: int) -> Cost:
    """Accumulator of width ``bits``: adder + register, structurally the shift-add without the shift."""
    return shift_add(tech, bits)


# ----- selection -------------------------------------------------------------------------------------------
def mux(tech: Technology, n_inputs: int, bits: int = 1) -> Cost:
    """Digital n:1 multiplexer per bit: n transmission gates onto one node and an output inverter."""
    n = _check_count("mux inputs", n_inputs)
    b = _check_count("mux bits", bits)
    tg, inv = transmission_gate(tech), inverter(tech)
    c_node = n * tg.c_self + inv.c_in
    one = Cost(area=n * tg.area + inv.area, delay=tg.delay(c_node) + inv.delay(inv.c_in),
               energy=tg.energy(c_node) + inv.energy(inv.c_in) + 2 * tg.c_in * tech.vdd**2,
               leakage=n * tg.leakage + inv.leakage)
    return one.times(b)


def driver_chain(tech: Technology, c_load: float) -> tuple[Gate, Cost]:
    """Tapered inverter chain from a unit input to ``c_load`` [F] (logical effort: N = max(1, round(log₄ F))
    stages, F = c_load / C_in of a unit inverter, each stage F^(1/N) larger than the one before). Returns the
    first stage (its input is what the chain presents) and the chain's cost: delay Σ stage delays, raw energy one
    transition of every internal node and the load, leakage of all stages."""
    inv = inverter(tech)
    fan = max(1.0, c_load / inv.c_in)
    n = max(1, round(math.log(fan, 4))) if fan > 1 else 1
    step = fan ** (1.0 / n)
    area = delay = energy = leak = 0.0
    for i in range(n):
        g = inverter(tech, step**i)
        load = c_load if i == n - 1 else inverter(tech, step ** (i + 1)).c_in
        area += g.area
        delay += g.delay(load)
        energy += g.energy(load)
        leak += g.leakage
    return inv, Cost(area=area, delay=delay, energy=energy, leakage=leak)


def decoder(tech: Technology, n_outputs: int, c_load: float = 0.0, outputs: str = "sized") -> Cost:
    """Address decoder to ``n_outputs`` lines, each driving ``c_load`` [F].

    k = ⌈log₂ n⌉ address bits with true/complement inverters; k ≤ 3: one NAND-k + inverter per output; larger:
    two predecoders of ⌈k/2⌉ and ⌊k/2⌋ bits (NAND + inverter per predecoded line) and one NAND2 + inverter per
    output. ``outputs`` 'sized': each output drives ``c_load`` through a tapered inverter chain of stage effort
    about 4 (:func:`driver_chain`); 'minimum': through one minimum-size inverter (delay ln 2·R·(C_d + c_load)),
    as DNN+NeuroSim V1.3's mux decoder drives the mux gates (RowDecoder.cpp outside its parallel mode, which
    widens them 8×: an output inverter of :data:`MINIMUM_DRIVER_DEVICES` minimum devices, 2·F wide each at bulk
    nodes, one fin at FinFET nodes — narrower than a logic inverter, its only gate not widened to the cell
    height), no wider than a logic inverter.
    One operation selects one line: the address inverters, one path and one output load switch.
    """
    n = _check_count("decoder outputs", n_outputs)
    if outputs not in ("sized", "minimum"):
        raise ConfigError(f"decoder outputs = {outputs!r}: must be 'sized' or 'minimum'")
    k = max(1, math.ceil(math.log2(n))) if n > 1 else 1
    inv = inverter(tech)
    if outputs == "minimum":
        out_inv = inverter(tech, min(1.0, MINIMUM_DRIVER_DEVICES * tech.bitcell_width / tech.nmos_width))
        chain = Cost(area=out_inv.area, delay=out_inv.delay(c_load), energy=out_inv.energy(c_load),
                     leakage=out_inv.leakage)
    else:
        out_inv, chain = driver_chain(tech, c_load)
    addr_leak = k * inv.leakage
    addr_e = k * inv.energy(inv.c_in * (n if k <= 3 else 2 ** math.ceil(k / 2)) / 2)
    if k <= 3:
        g = nand(tech, k) if k > 1 else inverter(tech)
        area = k * inv.area + n * (g.area + chain.area)
        delay = inv.delay(inv.c_in * n / 2) + g.delay(out_inv.c_in) + chain.delay
        energy = addr_e + g.energy(out_inv.c_in) + chain.energy
        leak = addr_leak + n * (g.leakage + chain.leakage)
    else:
        k1, k2 = math.ceil(k / 2), k // 2
        g1, g2 = nand(tech, k1), nand(tech, k2) if k2 > 1 else inverter(tech)
        n1, n2 = 2**k1, 2**k2
        final = nand(tech, 2)
        pre_area = n1 * (g1.area + inv.area) + n2 * (g2.area + inv.area)
        area = k * inv.area + pre_area + n * (final.area + chain.area)
        pre_load = final.c_in * max(n1, n2)
        delay = (inv.delay(inv.c_in * max(n1, n2) / 2) + g1.delay(inv.c_in) + inv.delay(pre_load)
                 + final.delay(out_inv.c_in) + chain.delay)
        energy = (addr_e + g1.energy(inv.c_in) + g2.energy(inv.c_in) + 2 * inv.energy(pre_load)
                  + final.energy(out_inv.c_in) + chain.energy)
        leak = (addr_leak + n1 * (g1.leakage + inv.leakage) + n2 * (g2.leakage + inv.leakage)
                + n * (final.leakage + chain.leakage))
    return Cost(area=area, delay=delay, energy=energy, leakage=leak)


# ----- comparison ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparator:
    """A sized StrongARM latch comparator: its cost per decision, input capacitance and offset."""

    cost: Cost
    c_in: float  # capacitance of one input [F]
    offset_sigma: float  # input-referred offset, one standard deviation [V]
    tau: float  # regeneration time constant [s]


def latch_comparator(tech: Technology, offset_sigma: float | None = None) -> Comparator:
    """StrongARM latch comparator (Razavi, IEEE SSC Magazine 2015): input pair, tail, cross-coupled inverter
    pair, four precharge devices, two output inverters.

    The input pair is sized for ``offset_sigma`` [V] by Pelgrom's law, W·L = (A_VT/σ)² at minimum L (minimum
    logic width if that already meets it, or if ``offset_sigma`` is None). Nodes: a latch output carries its
    inverter's drains, the other latch inverter's gates, a precharge PMOS and the output inverter's input; an
    input-pair drain (the StrongARM's inner node) carries the input device, the latch NMOS source and a precharge
    PMOS. Raw energy per decision: both latch outputs, both inner nodes, the clock load (tail of 2·W_in and four
    precharge gates) and the two output inverters charge once. Regeneration τ = C_out·R_inv (the latch pair, not
    the input pair, regenerates).
    """
    wn = tech.nmos_width
    if offset_sigma is None:
        s_in = 1.0
    else:
        if not (isinstance(offset_sigma, int | float) and math.isfinite(offset_sigma) and offset_sigma > 0):
            raise ConfigError(f"offset_sigma = {offset_sigma!r}: must be a positive number of volts")
        w_needed = (tech.pelgrom_avt / offset_sigma) ** 2 / tech.gate_length
        s_in = max(1.0, w_needed / wn)
    w_in = s_in * wn
    inv = inverter(tech)
    n_fingers_in = max(1, math.ceil(s_in - 1e-9))
    # columns: 2 input fingers-sets, tail, 2 latch inverters, 2 precharge pairs, plus two output inverters
    area = gate_area(tech, 2 * n_fingers_in + 1 + 2 + 2) + 2 * inv.area
    c_node = inv.c_self + 2 * inv.c_in + tech.c_drain * tech.pmos_width  # one latch output
    c_mid = tech.c_drain * (w_in + tech.nmos_width + tech.pmos_width)  # one input-pair drain node
    c_clock = tech.c_gate * (2 * w_in + 4 * tech.pmos_width)  # tail (2·W_in) + 4 precharge gates
    energy = (2 * c_node + 2 * c_mid + c_clock + 2 * (inv.c_self + inv.c_in)) * tech.vdd**2
    tau = c_node * 0.5 * (inv.r_pull_down + inv.r_pull_up)
    sigma = tech.pelgrom_avt / math.sqrt(w_in * tech.gate_length)
    leak = tech.vdd * tech.i_off * (w_in + 2 * tech.pmos_width) + 2 * inv.leakage
    delay = tau * math.log(tech.vdd / max(sigma, 1e-6)) + inv.delay(inv.c_in)
    return Comparator(Cost(area=area, delay=delay, energy=energy, leakage=leak), tech.c_gate * w_in, sigma, tau)


# ----- memory ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SramAccess:
    """An SRAM buffer: its area and leakage, and the cost of one word read and one word write."""

    read: Cost
    write: Cost
    capacity_bits: int
    word_bits: int

    @property
    def area(self) -> float:
        return self.read.area

    @property
    def leakage(self) -> float:
        return self.read.leakage


def sram_buffer(tech: Technology, capacity_bits: int, word_bits: int, bank_rows: int = 128,
                bank_cols: int = 128, read_swing: float = 0.1) -> SramAccess:
    """An on-chip SRAM buffer of 6T cells in banks of ``bank_rows`` × ``bank_cols``, split into small banks as in
    NeuroSim's block buffers. One access opens one word line of one bank.

    Cell transistors are :attr:`~neurofab.cost.technology.Technology.bitcell_width` wide (one fin, or 2·F in bulk).
    Read: every bit line of the bank swings ``read_swing`` [V] (energy C_BL·V_DD·ΔV), the word line swings fully,
    ``word_bits`` latch sense amplifiers fire, the row decoder selects one line. Write: ``word_bits`` bit lines
    swing fully. Delay: decoder + word-line RC + bit-line development C_BL·ΔV/I_cell + sense amplifier.
    Leakage: three off devices per cell (pull-down, pull-up, access) at V_DD.
    """
    cap = _check_count("SRAM capacity bits", capacity_bits)
    word = _check_count("SRAM word bits", word_bits)
    rows = _check_count("bank rows", bank_rows)
    cols = _check_count("bank cols", bank_cols)
    if word > cols:
        raise ConfigError(f"SRAM word_bits = {word} must be <= bank_cols = {cols}")
    if not (0 < read_swing <= tech.vdd):
        raise ConfigError(f"read_swing = {read_swing!r}: must be in (0, V_DD = {tech.vdd}] V")
    n_banks = math.ceil(cap / (rows * cols))
    pitch = math.sqrt(tech.sram_6t_area)
    w_min = tech.bitcell_width
    c_bl = rows * (tech.c_drain * w_min + tech.wire_capacitance * pitch)
    c_wl = cols * (2 * tech.c_gate * w_min + tech.wire_capacitance * pitch)
    r_wl = tech.wire_resistance * cols * pitch
    dec = decoder(tech, rows, c_wl)
    sa = latch_comparator(tech)
    col_mux = mux(tech, max(1, cols // word), word) if cols // word > 1 else Cost()
    write_driver = inverter(tech, max(1.0, c_bl / (4 * inverter(tech).c_in)))
    periphery_area = dec.area + col_mux.area + word * (sa.cost.area + write_driver.area)
    area = n_banks * (rows * cols * tech.sram_6t_area + periphery_area)
    cell_leak = 3 * w_min * tech.i_off * tech.vdd
    leak = n_banks * (rows * cols * cell_leak + dec.leakage + col_mux.leakage
                      + word * (sa.cost.leakage + write_driver.leakage))
    i_cell = tech.vdd / (2 * tech.r_on_n(w_min))  # two series devices: access + pull-down
    t_wl = 0.38 * r_wl * c_wl
    t_bl = c_bl * read_swing / i_cell
    e_read = cols * c_bl * tech.vdd * read_swing + dec.energy + col_mux.energy + word * sa.cost.energy
    e_write = word * write_driver.energy(c_bl) + dec.energy + col_mux.energy
    read = Cost(area=area, delay=dec.delay + t_wl + t_bl + sa.cost.delay, energy=e_read, leakage=leak)
    write = Cost(area=area, delay=dec.delay + t_wl + write_driver.delay(c_bl), energy=e_write, leakage=leak)
    return SramAccess(read=read, write=write, capacity_bits=cap, word_bits=word)


# ----- interconnect ----------------------------------------------------------------------------------------
def repeated_wire(tech: Technology, length: float, bits: int = 1, swing: float | None = None) -> Cost:
    """``bits`` wires of ``length`` [m] with optimally spaced repeaters (Bakoglu: segment
    l = √(2·R₀C₀/(r·c)), size h = √(R₀·c/(r·C₀)), delay 2.5·L·√(R₀C₀·r·c)). Energy per transferred bit
    C_wire·L·V_DD·V_swing plus the repeaters' own capacitance; ``swing`` [V] None = full V_DD swing (a
    low-swing link adds one latch receiver per bit). Wires are routed over logic: only repeater area counts."""
    if not (isinstance(length, int | float) and math.isfinite(length) and length >= 0):
        raise ConfigError(f"wire length = {length!r}: must be a finite number of metres >= 0")
    b = _check_count("wire bits", bits)
    if length == 0:
        return Cost()
    v_swing = tech.vdd if swing is None else swing
    if not (0 < v_swing <= tech.vdd):
        raise ConfigError(f"swing = {swing!r}: must be in (0, V_DD = {tech.vdd}] V")
    inv = inverter(tech)
    r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
    c0 = inv.c_in
    r, c = tech.wire_resistance, tech.wire_capacitance
    seg = math.sqrt(2 * r0 * c0 / (r * c))
    h = max(1.0, math.sqrt(r0 * c / (r * c0)))
    n_rep = max(1, math.ceil(length / seg))
    rep = inverter(tech, h)
    delay = 2.5 * length * math.sqrt(r0 * c0 * r * c)
    e_bit = c * length * tech.vdd * v_swing + n_rep * (rep.c_in + rep.c_self) * tech.vdd * v_swing
    area = n_rep * rep.area
    leak = n_rep * rep.leakage
    if swing is not None:
        rx = latch_comparator(tech)
        e_bit += rx.cost.energy
        area += rx.cost.area
        leak += rx.cost.leakage
        delay += rx.cost.delay
    return Cost(area=area * b, delay=delay, energy=e_bit * b, leakage=leak * b)


@dataclass(frozen=True)
class BusRC:
    """Electrical parameters a repeated bus is sized and timed with in place of the card's (SI per metre).

    ``r_sizing`` [Ω/m]: the wire resistance the repeater size and spacing are optimised for; ``r_bus`` [Ω/m]:
    the resistance of the bus wire itself; ``c_wire`` [F/m]; ``c_gate`` [F/m]: repeater input capacitance per
    gate width (NMOS + PMOS); ``c_drain`` [F/m]: a sized (folded) repeater's output capacitance per gate width.
    The spacing keeps the card's minimum-inverter drain; driver resistances are the card's, summed (R_n + R_p)."""

    r_sizing: float
    r_bus: float
    c_wire: float
    c_gate: float
    c_drain: float


#: DNN+NeuroSim V1.3's bus at 22 nm (its PTM LSTP card): repeaters sized for its local wire, Param.cpp's
#: ρ/(AR·w²) = 4.03e-8 Ω·m / (1.9 · (40 nm)²) = 13.26 Ω/µm; H-tree wires twice as wide, HTree.cpp
#: GetUnitLengthRes: 2.52e-8 Ω·m / (1.6 · (80 nm)²) = 2.46 Ω/µm (its ×4 width above 10⁵ F of stage length is
#: not modelled); 0.2 fF/µm of wire (HTree.cpp); gate capacitance 1.430 fF/µm (formula.cpp CalculateGateCap:
#: ideal gate + fringe, 0.525 + 0.800 fF/µm, plus overlap); its 47 × minimum repeater's folded output
#: 0.714 fF over 4.80 µm of gate width, 0.149 fF/µm (CalculateGateCapacitance).
NEUROSIM_22NM_BUS = BusRC(r_sizing=4.03e-8 / (1.9 * 40e-9**2), r_bus=2.52e-8 / (1.6 * 80e-9**2), c_wire=0.2e-9,
                          c_gate=1.430e-9, c_drain=0.714e-15 / (47 * (44e-9 + 58.05e-9)))


def _bus_parts(tech: Technology, rc: BusRC | None) -> tuple[float, float, float, float, float, float]:
    """(R₀, C_in, C_d of a minimum repeater, C_d per size of a sized one, r_w for sizing, c_w)."""
    inv = inverter(tech)
    if rc is None:
        r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
        return r0, inv.c_in, inv.c_self, inv.c_self, tech.wire_resistance, tech.wire_capacitance
    w = tech.nmos_width + tech.pmos_width
    return (inv.r_pull_down + inv.r_pull_up, rc.c_gate * w, inv.c_self, rc.c_drain * w, rc.r_sizing, rc.c_wire)


def _bus_repeater(tech: Technology, delay_tolerance: float, rc: BusRC | None = None) -> tuple[float, float]:
    """(size × a minimum inverter, spacing [m]) of a bus repeater; see :func:`bus_repeater_size`."""
    if not (isinstance(delay_tolerance, int | float) and math.isfinite(delay_tolerance) and delay_tolerance >= 0):
        raise ConfigError(f"delay_tolerance = {delay_tolerance!r}: must be a finite number >= 0")
    r0, c0, cd_min, cd, rw, cw = _bus_parts(tech, rc)
    size = max(1.0, math.floor(math.sqrt(r0 * cw / (c0 * rw))))
    spacing = math.sqrt(2 * r0 * (c0 + cd_min) / (rw * cw))

    def delay(s: float, length: float) -> float:
        wire = 0.5 * rw * cw * length**2 + rw * length * s * c0
        return 0.7 * (r0 / s * (s * (c0 + cd) + cw * length) + wire) / length

    if delay_tolerance > 0:
        target = delay(size, spacing) * (1 + delay_tolerance)
        d = 0.0
        while d < target and size > 1e-3:
            size, spacing = size / 2, spacing * 0.9
            d = delay(size, spacing)
    return max(1.0, size), spacing


def bus_repeater_size(tech: Technology, delay_tolerance: float = 0.0, rc: BusRC | None = None) -> float:
    """Repeater size (× a minimum inverter) of a bus wire: the Bakoglu optimum ⌊√(R₀·c_w/(C₀·r_w))⌋; with
    ``delay_tolerance`` t > 0, DNN+NeuroSim V1.3's trade (HTree.cpp, Initialize): halve the size and shorten the
    spacing by 0.9, repeatedly, until the delay per length reaches (1 + t) × the optimum (Param.cpp: t = 0.1).
    Delay per length of size s at spacing L: 0.7·(R₀/s·(s·(C₀ + C_d) + c_w·L) + ½·r_w·c_w·L² + r_w·L·s·C₀)/L.
    ``rc``: :class:`BusRC` parameters in place of the card's (R₀ then R_n + R_p, NeuroSim's convention)."""
    return _bus_repeater(tech, delay_tolerance, rc)[0]


def bus_wire_delay(tech: Technology, delay_tolerance: float = 0.1, width_factor: float = 2.0,
                   series_driver: bool = True, rc: BusRC | None = None) -> float:
    """Delay per length [s/m] of a repeated bus wire, the Elmore form DNN+NeuroSim V1.3 times its H-trees with
    (HTree.cpp, CalculateLatency): 0.7·(R_d·(C_in + C_d + c_w·L) + ½·r_b·c_w·L² + r_b·L·C_in)/L for repeaters of
    :func:`bus_repeater_size` (size s, input C_in, drain C_d) every L [m] (the Bakoglu spacing shortened 0.9× per
    halving for the ``delay_tolerance``). ``width_factor``: the bus wire is that many times the local wire's
    width and thickness, r_b = r_w / width_factor² (NeuroSim widens H-tree wires 2× below 10⁵ F of length,
    HTree.cpp GetUnitLengthRes); ``series_driver``: R_d = R_n + R_p of the repeater, NeuroSim's convention
    (pull-down and pull-up resistances summed), else their mean (one transition). ``rc``: :class:`BusRC`
    parameters in place of the card's (then r_b = rc.r_bus, and ``width_factor`` is not used)."""
    if not (isinstance(width_factor, int | float) and math.isfinite(width_factor) and width_factor >= 1):
        raise ConfigError(f"width_factor = {width_factor!r}: must be a finite number >= 1")
    size, spacing = _bus_repeater(tech, delay_tolerance, rc)
    rep = inverter(tech, size)
    r_d = rep.r_pull_down + rep.r_pull_up if series_driver else 0.5 * (rep.r_pull_down + rep.r_pull_up)
    if rc is None:
        c_in, c_d, rb, cw = rep.c_in, rep.c_self, tech.wire_resistance / width_factor**2, tech.wire_capacitance
    else:
        w = size * (tech.nmos_width + tech.pmos_width)
        c_in, c_d, rb, cw = rc.c_gate * w, rc.c_drain * w, rc.r_bus, rc.c_wire
    return 0.7 * (r_d * (c_in + c_d + cw * spacing) + 0.5 * rb * cw * spacing**2 + rb * spacing * c_in) / spacing


def bus_energy_per_metre(tech: Technology, delay_tolerance: float = 0.1, activity: float = 0.25,
                         rc: BusRC | None = None) -> float:
    """Energy [J/m] of one bit sent along a repeated bus wire, as DNN+NeuroSim V1.3 prices its H-trees and PE
    buses (HTree.cpp, Bus.cpp CalculatePower): ``activity``·(C_in + C_d + c_w·L)·V_DD²/L for repeaters of
    :func:`bus_repeater_size` (size s, input C_in, drain C_d) every L [m]. ``activity``: the share of transfers
    that charge a line (NeuroSim: 0.25); ``rc``: :class:`BusRC` parameters in place of the card's."""
    if not (isinstance(activity, int | float) and 0 < activity <= 1):
        raise ConfigError(f"activity = {activity!r}: must be in (0, 1]")
    size, spacing = _bus_repeater(tech, delay_tolerance, rc)
    if rc is None:
        rep = inverter(tech, size)
        c_in, c_d, cw = rep.c_in, rep.c_self, tech.wire_capacitance
    else:
        w = size * (tech.nmos_width + tech.pmos_width)
        c_in, c_d, cw = rc.c_gate * w, rc.c_drain * w, rc.c_wire
    return activity * (c_in + c_d + cw * spacing) * tech.vdd**2 / spacing


def htree_trip_energy(tech: Technology, unit_height: float, unit_width: float, grid: int,
                      delay_tolerance: float = 0.1, activity: float = 0.25, rc: BusRC | None = None) -> float:
    """Energy [J] of one bit sent root to leaf through an H-tree over a ``grid`` × ``grid`` array of units, as
    DNN+NeuroSim V1.3 prices it (HTree.cpp, CalculatePower): per length of repeated wire
    ``activity``·(C_in + C_d + c_w·L)·V_DD²/L for the bus repeaters of :func:`bus_repeater_size` (size s, input
    C_in, drain C_d) every L [m], over the branches it charges — each level's vertical and horizontal branch
    at half the length its timing walks (its energy loop starts from half the first stage), so
    (2^N − 1)·(unit_height + unit_width)/2 over N = ⌈log₂ grid⌉ levels — plus the main bus of
    :func:`htree_trip_length`. ``activity``: the share of transfers that charge a line (NeuroSim: 0.25)."""
    n = _check_count("H-tree grid", grid)
    if not (isinstance(activity, int | float) and 0 < activity <= 1):
        raise ConfigError(f"activity = {activity!r}: must be in (0, 1]")
    for name, v in (("unit_height", unit_height), ("unit_width", unit_width)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise ConfigError(f"{name} = {v!r}: must be a finite number of metres >= 0")
    if n == 1:
        return 0.0
    per_m = bus_energy_per_metre(tech, delay_tolerance, activity, rc)
    levels = math.ceil(math.log2(n))
    c = _htree_centre(n)
    length = (2**levels - 1) * (unit_height + unit_width) / 2 + min(n - c, c) * unit_width
    return length * per_m


def _htree_centre(n: int) -> int:
    centre = math.floor(math.log2(n))
    return centre - 1 if n - centre < 1 else centre


def htree_trip_length(unit_height: float, unit_width: float, grid: int) -> float:
    """Wire length [m] of one root-to-leaf trip through an H-tree over a ``grid`` × ``grid`` array of units,
    as DNN+NeuroSim V1.3 routes it (HTree.cpp, CalculateLatency): over N = ⌈log₂ grid⌉ levels a vertical and a
    horizontal branch each, of unit_height·2^(N−1−i) and unit_width·2^(N−1−i) at level i, so
    (2^N − 1)·(unit_height + unit_width), plus the main bus from the edge, min(grid − c, c)·unit_width with
    c = ⌊log₂ grid⌋ (moved in by one where it would leave the array)."""
    n = _check_count("H-tree grid", grid)
    for name, v in (("unit_height", unit_height), ("unit_width", unit_width)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise ConfigError(f"{name} = {v!r}: must be a finite number of metres >= 0")
    if n == 1:
        return 0.0
    levels = math.ceil(math.log2(n))
    c = _htree_centre(n)
    return (2**levels - 1) * (unit_height + unit_width) + min(n - c, c) * unit_width


def htree_channel_area(tech: Technology, unit_height: float, unit_width: float, grid: int, bits: int,
                       fold: float = 4.0, delay_tolerance: float = 0.0, rc: BusRC | None = None) -> float:
    """Area [m²] of the routing channels a ``bits``-wide H-tree bus occupies over a ``grid`` × ``grid`` array of
    units (``unit_height`` × ``unit_width`` [m]), as DNN+NeuroSim V1.3 accounts it (HTree.cpp, CalculateArea):
    from the centre out, level by level, the channel of the vertical (horizontal) branches widens by
    bits × the repeater's cell width (height) / ``fold`` and spans half the branch length (L/2 at the first
    level below the root, halving per level; the last level lies over the units), plus a main bus
    bits × cell height / ``fold`` wide from the centre to the nearest edge. Repeaters of the Bakoglu size of
    :func:`repeated_wire`, or shrunk for a ``delay_tolerance`` as :func:`bus_repeater_size` says (NeuroSim: 0.1);
    ``fold``: layout folding of the bus (NeuroSim: 4 at chip level, 16 inside tiles); ``rc``: repeaters sized
    with :class:`BusRC` parameters (:func:`bus_repeater_size`)."""
    n = _check_count("H-tree grid", grid)
    b = _check_count("H-tree bits", bits)
    if not (isinstance(fold, int | float) and math.isfinite(fold) and fold > 0):
        raise ConfigError(f"fold = {fold!r}: must be a finite number > 0")
    for name, v in (("unit_height", unit_height), ("unit_width", unit_width)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise ConfigError(f"{name} = {v!r}: must be a finite number of metres >= 0")
    if n == 1:
        return 0.0
    if delay_tolerance or rc is not None:
        size = bus_repeater_size(tech, delay_tolerance, rc)
    else:
        inv = inverter(tech)
        r0 = 0.5 * (inv.r_pull_down + inv.r_pull_up)
        size = max(1.0, math.sqrt(r0 * tech.wire_capacitance / (tech.wire_resistance * inv.c_in)))
    rep = inverter(tech, size)
    w_rep, h_rep = rep.area / tech.cell_height, tech.cell_height
    levels = math.ceil(math.log2(n))
    lv, lh = unit_height * 2**levels / 2, unit_width * 2**levels / 2
    wv = wh = area = 0.0
    for _ in range(1, levels):
        lv, lh = lv / 2, lh / 2
        wv += b * w_rep / fold
        wh += b * h_rep / fold
        area += wv * lv / 2 + wh * lh / 2
    centre = _htree_centre(n)
    return area + b * h_rep / fold * min(n - centre, centre) * unit_width


def htree(tech: Technology, side: float, n_leaves: int, bits: int, swing: float | None = None) -> Cost:
    """H-tree over a square of ``side`` [m] to ``n_leaves`` (rounded up to a power of 4) leaves, ``bits`` wide.

    One operation moves one ``bits``-wide word from the root to one leaf: path length side·(1 − 2^−k) for k
    levels. Repeater area counts the whole tree, total wire length 1.5·side·(2^k − 1) per bit."""
    if not (isinstance(side, int | float) and math.isfinite(side) and side >= 0):
        raise ConfigError(f"H-tree side = {side!r}: must be a finite number of metres >= 0")
    n = _check_count("H-tree leaves", n_leaves)
    if n == 1 or side == 0:
        return Cost()
    k = math.ceil(math.log(n, 4) - 1e-12)
    path = side * (1 - 2.0**-k)
    total = 1.5 * side * (2**k - 1)
    one_path = repeated_wire(tech, path, bits, swing)
    whole = repeated_wire(tech, total, bits, swing)
    return Cost(area=whole.area, delay=one_path.delay, energy=one_path.energy, leakage=whole.leakage)


__all__ = [
    "NEUROSIM_22NM_BUS",
    "BusRC",
    "Comparator",
    "Cost",
    "SramAccess",
    "accumulator",
    "adder_tree",
    "bus_energy_per_metre",
    "bus_repeater_size",
    "bus_wire_delay",
    "decoder",
    "dff",
    "driver_chain",
    "full_adder",
    "half_adder",
    "htree",
    "htree_channel_area",
    "htree_trip_energy",
    "htree_trip_length",
    "latch_comparator",
    "mux",
    "register",
    "repeated_wire",
    "ripple_adder",
    "shift_add",
    "sram_buffer",
]
