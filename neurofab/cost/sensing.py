"""The analog sensing path of a compute-in-memory column: bit line, cell branches, the signal the column develops
for the ADC, and how long that takes.

Lu et al. 2021 set the clock of a CIM macro by the *sensing cycle* — the critical path from the input reaching
the array to the ADC producing the partial sum — because it is an analog process with no register in between.
This module models the column part of that cycle from the node's transistors and wires; the comparators and
converters are in :mod:`neurofab.cost.periphery`.

The bit line (:func:`column_line`): ``rows`` cells of pitch p hang on one metal line; each adds the drain
capacitance of its access (or read-port) transistor, c_drain·W, and p of wire, c_wire·p, so
``C_BL = rows·(c_drain·W + c_wire·p)``; the wire resistance end to end is ``r_wire·rows·p``. A cell branch is the
cell in series with its access transistor in triode, ``g = 1/(R_cell + R_acc)`` with R_acc the node's effective
switching resistance ¾·V_DD/(I_on·W) (an upper estimate of the deep-triode resistance at the small read drop).
The cells of a column are spread along the line, so on average a cell current crosses half of it: the column's
conductance seen at its end is ``1/(1/ΣG + R_wire/2)`` (first-order IR drop). The line's own distributed RC settles
with its slowest mode, τ₁ = 4·R_wire·C_line/π², added to every scheme's development time (picoseconds at 128 rows).

Three read schemes:

- :func:`divider_sense` — **voltage mode** (the validated macro: voltage sense amplifiers whose references are
  reference columns, Lu et al. 2021 Fig. 2B and §"CIM macro configurations"). The selected rows' source lines are
  driven at V_read; the bit line, reset to 0 before the word lines rise, charges through the column conductance G
  against a load G_L to ground: ``V(G) = V_read·G/(G + G_L)``, time constant ``τ = C/(G + G_L)``. The divider is
  compressive, so the smallest difference between adjacent codes is the top one; the load that maximizes it is
  ``G_L = √(G_top·G_top−1)`` (set d/dG_L of the step to zero). Each reference column is the same divider at a
  threshold conductance, so the thresholds track the compression. The node must settle to half the smallest step.
- :func:`clamp_sense` — **current mode**: the bit line is held at V_read by a clamp and the column current
  ``I = V_read·G`` is converted on a load ``R_L = V_FS/I_FS`` at the ADC node (linear codes, LSB = V_FS/2^N); the
  clamp restores the bit line in ``C_BL·V_read/I_FS`` and the ADC node settles to half an LSB in
  ``R_L·C_node·ln 2^(N+1)``.
- :func:`discharge_sense` — **8T SRAM**: the read bit line is precharged to V_DD and discharged by the conducting
  read ports; full scale (every row's port conducting) swings V_FS in ``C·V_FS/I_FS``; afterwards a precharge
  device restores the line to within half an LSB (:func:`precharger`).

All quantities SI: siemens, volts, farads, seconds, amperes, joules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from neurofab.core import ConfigError
from neurofab.cost.circuits import Cost
from neurofab.cost.gates import inverter
from neurofab.cost.technology import Technology


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} = {value!r}: must be a finite number > 0")
    return float(value)


def _nonneg(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} = {value!r}: must be a finite number >= 0")
    return float(value)


def _count(name: str, n: int, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ConfigError(f"{name} = {n!r}: must be an integer >= {minimum}")
    return n


def _bits(bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 12:
        raise ConfigError(f"ADC bits = {bits!r}: must be an integer in [1, 12]")
    return bits


# ----- the line ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnLine:
    """One bit line: capacitance [F], end-to-end wire resistance [Ω], per-cell access resistance [Ω]."""

    rows: int
    c_line: float
    r_wire: float
    r_access: float

    def settle_time(self, bits: int) -> float:
        """Time for the distributed RC of the line itself to settle to half an LSB of a ``bits``-bit code [s]:
        its slowest mode has τ₁ = 4·R_wire·C_line/π² (diffusion equation of an RC line driven at one end), so
        t = τ₁·ln 2^(N+1)."""
        return 4 * self.r_wire * self.c_line / math.pi**2 * math.log(2 ** (_bits(bits) + 1))

    def branch_conductance(self, r_cell: float) -> float:
        """Conductance of one cell in series with its access transistor, 1/(R_cell + R_acc) [S]."""
        return 1.0 / (_positive("r_cell", r_cell) + self.r_access)

    def column_conductance(self, g_sum: float) -> float:
        """Conductance of the column at its end for a sum ``g_sum`` [S] of conducting branches spread along the
        line: 1/(1/ΣG + R_wire/2) (each cell current crosses half the wire on average)."""
        _nonneg("g_sum", g_sum)
        if g_sum == 0:
            return 0.0
        return 1.0 / (1.0 / g_sum + 0.5 * self.r_wire)


def column_line(tech: Technology, rows: int, cell_pitch: float, access_width: float,
                r_access: float | None = None) -> ColumnLine:
    """The bit line of ``rows`` cells of pitch ``cell_pitch`` [m] whose access (read-port) transistors are
    ``access_width`` [m] wide: C_BL = rows·(c_drain·W + c_wire·p), R_wire = r_wire·rows·p, R_acc the card's
    k·V_DD/(I_on·W), or ``r_access`` [Ω] where the transistor was sized for a given resistance."""
    n = _count("rows", rows)
    p = _positive("cell_pitch", cell_pitch)
    w = _positive("access_width", access_width)
    r_acc = tech.r_on_n(w) if r_access is None else _positive("r_access", r_access)
    return ColumnLine(rows=n, c_line=n * (tech.c_drain * w + tech.wire_capacitance * p),
                      r_wire=tech.wire_resistance * n * p, r_access=r_acc)


# ----- voltage mode: a divider against a load, reference columns ------------------------------------------
@dataclass(frozen=True)
class DividerSense:
    """A bit line read as a voltage divider V(G) = V_read·G/(G + G_L) with 2^N − 1 reference columns at the code
    thresholds. Conductances are column conductances seen at the line's end [S]."""

    v_read: float  # [V]
    g_load: float  # [S]
    g_min: float  # column conductance of the lowest code (every conducting cell at its lowest level) [S]
    g_max: float  # column conductance of the highest code [S]
    bits: int
    c_node: float  # sensed node: bit line + mux + comparator inputs [F]
    c_reference: float  # one reference column's node [F]

    @property
    def g_step(self) -> float:
        """Column conductance of one code, (G_max − G_min)/2^N [S]."""
        return (self.g_max - self.g_min) / 2**self.bits

    def v_bitline(self, g: float) -> float:
        """Settled bit-line voltage for column conductance ``g`` [V]."""
        return self.v_read * g / (g + self.g_load)

    def current(self, g: float) -> float:
        """Current through the divider at column conductance ``g`` [A]: V_read·G·G_L/(G + G_L)."""
        return self.v_read * g * self.g_load / (g + self.g_load)

    @property
    def thresholds(self) -> list[float]:
        """Reference-column conductances: the 2^N − 1 code boundaries G_min + k·ΔG, k = 1 … 2^N − 1 [S]."""
        return [self.g_min + k * self.g_step for k in range(1, 2**self.bits)]

    @property
    def step_min(self) -> float:
        """Smallest voltage difference between adjacent code boundaries (the top one, the divider being
        compressive) [V]: what a comparator must resolve."""
        return self.v_bitline(self.g_max) - self.v_bitline(self.g_max - self.g_step)

    @property
    def v_span(self) -> float:
        """Voltage range of the codes, V(G_max) − V(G_min) [V]."""
        return self.v_bitline(self.g_max) - self.v_bitline(self.g_min)

    @property
    def reference_current(self) -> float:
        """Sum of the DC currents of the 2^N − 1 reference columns [A]."""
        return sum(self.current(g) for g in self.thresholds)

    @property
    def reference_charge_voltage(self) -> float:
        """Σ_k V(G_k): the reference nodes charge to their thresholds each read; × C_ref gives the charge [V]."""
        return sum(self.v_bitline(g) for g in self.thresholds)

    def _settle(self, c: float, g: float) -> float:
        v_final = self.v_bitline(g)
        half = 0.5 * self.step_min
        if v_final <= half:
            return 0.0
        return c / (g + self.g_load) * math.log(v_final / half)

    @property
    def t_settle(self) -> float:
        """Time for the data node (reset to 0) and every reference node to come within half the smallest step of
        their final values, the slowest over code centres and thresholds [s]: τ(G)·ln(V(G)/(step/2)),
        τ(G) = C/(G + G_L)."""
        centres = [self.g_min + (c + 0.5) * self.g_step for c in range(2**self.bits)]
        t_data = max(self._settle(self.c_node, g) for g in centres)
        t_ref = max((self._settle(self.c_reference, g) for g in self.thresholds), default=0.0)
        return max(t_data, t_ref)


def divider_sense(v_read: float, g_min: float, g_max: float, bits: int, c_node: float,
                  c_reference: float | None = None) -> DividerSense:
    """Voltage-mode read of a column whose codes span column conductances [``g_min``, ``g_max``] [S] with a
    ``bits``-bit flash of voltage sense amplifiers, source lines at ``v_read`` [V]. The load is the one that
    maximizes the smallest code step, G_L = √(G_top·G_top−1) with G_top = G_max and G_top−1 = G_max − ΔG.
    ``c_node`` [F] is the sensed node, ``c_reference`` [F] one reference column's node (default: ``c_node``)."""
    v = _positive("v_read", v_read)
    n = _bits(bits)
    lo, hi = _nonneg("g_min", g_min), _positive("g_max", g_max)
    if hi <= lo:
        raise ConfigError(f"g_max = {hi!r} S must exceed g_min = {lo!r} S (no signal range)")
    c = _positive("c_node", c_node)
    c_ref = c if c_reference is None else _positive("c_reference", c_reference)
    step = (hi - lo) / 2**n
    g_load = math.sqrt(hi * (hi - step))
    return DividerSense(v_read=v, g_load=g_load, g_min=lo, g_max=hi, bits=n, c_node=c, c_reference=c_ref)


# ----- current mode: clamped bit line, transimpedance load -------------------------------------------------
@dataclass(frozen=True)
class ClampSense:
    """A bit line clamped at V_read whose current is converted on R_L = V_FS/I_FS at the ADC node."""

    v_read: float  # [V]
    i_full_scale: float  # [A]
    v_full_scale: float  # ADC input range [V]
    bits: int
    c_bitline: float  # [F]
    c_node: float  # ADC node: mux + comparator inputs [F]
    r_series: float = 0.0  # mux on-resistance between the line and the ADC node [Ω]

    @property
    def r_load(self) -> float:
        """Transimpedance load V_FS/I_FS [Ω]."""
        return self.v_full_scale / self.i_full_scale

    @property
    def step(self) -> float:
        """LSB at the ADC input, V_FS/2^N [V]."""
        return self.v_full_scale / 2**self.bits

    @property
    def t_bitline(self) -> float:
        """Clamp restoring the bit line: the time the full-scale current takes to move it by V_read [s]."""
        return self.c_bitline * self.v_read / self.i_full_scale

    @property
    def t_settle(self) -> float:
        """Bit line, then the ADC node settling to half an LSB: C_BL·V_read/I_FS + (R_L + R_mux)·C_node·ln 2^(N+1)
        [s]."""
        return self.t_bitline + (self.r_load + self.r_series) * self.c_node * math.log(2 ** (self.bits + 1))


def clamp_sense(v_read: float, i_full_scale: float, v_full_scale: float, bits: int, c_bitline: float,
                c_node: float, r_series: float = 0.0) -> ClampSense:
    """Current-mode read: bit line clamped at ``v_read`` [V], full-scale column current ``i_full_scale`` [A]
    converted to ``v_full_scale`` [V] at an ADC node of ``c_node`` [F] behind ``r_series`` [Ω] of mux."""
    return ClampSense(v_read=_positive("v_read", v_read), i_full_scale=_positive("i_full_scale", i_full_scale),
                      v_full_scale=_positive("v_full_scale", v_full_scale), bits=_bits(bits),
                      c_bitline=_nonneg("c_bitline", c_bitline), c_node=_nonneg("c_node", c_node),
                      r_series=_nonneg("r_series", r_series))


# ----- SRAM: precharged read bit line discharged by the read ports ------------------------------------------
def precharger(tech: Technology, c_line: float, bits: int) -> Cost:
    """A PMOS that restores a read bit line of ``c_line`` [F] to V_DD after a read, sized with a stage effort of
    4 for its load (size = max(1, C/(4·C_inv))). Delay: restoring to within half an LSB of a ``bits``-bit code,
    R_p·(C_line + C_self)·ln 2^(N+1). Energy per restore: its gate (the line's charge is the array's energy)."""
    c = _positive("c_line", c_line)
    n = _bits(bits)
    unit = inverter(tech)
    size = max(1.0, c / (4 * unit.c_in))
    pmos = inverter(tech, size)
    c_gate_p = tech.c_gate * size * tech.pmos_width
    delay = pmos.r_pull_up * (c + tech.c_drain * size * tech.pmos_width) * math.log(2 ** (n + 1))
    return Cost(area=pmos.area, delay=delay, energy=c_gate_p * tech.vdd**2,
                leakage=tech.vdd * tech.i_off * size * tech.pmos_width)


@dataclass(frozen=True)
class DischargeSense:
    """A precharged read bit line discharged by conducting read ports; full scale swings V_FS."""

    i_cell: float  # one conducting read port [A]
    cells_full_scale: int  # conducting ports at full scale
    v_full_scale: float  # [V]
    bits: int
    c_node: float  # bit line + mux + comparator inputs [F]

    @property
    def i_full_scale(self) -> float:
        return self.cells_full_scale * self.i_cell

    @property
    def step(self) -> float:
        """LSB at the ADC input, V_FS/2^N [V]."""
        return self.v_full_scale / 2**self.bits

    @property
    def t_develop(self) -> float:
        """Word-line pulse during which full scale discharges V_FS: C·V_FS/I_FS [s]."""
        return self.c_node * self.v_full_scale / self.i_full_scale

    def swing(self, i_column: float) -> float:
        """Bit-line swing for a column current ``i_column`` [A] after the pulse: V_FS·I/I_FS, at most V_FS [V]."""
        return self.v_full_scale * min(1.0, _nonneg("i_column", i_column) / self.i_full_scale)


def read_port_current(tech: Technology, width: float) -> float:
    """Current of an 8T read port — two series logic NMOS (read word line, stored bit) of ``width`` [m] at
    V_DD: V_DD/(2·R_eq) [A]."""
    return tech.vdd / (2 * tech.r_on_n(_positive("width", width)))


def discharge_sense(i_cell: float, cells_full_scale: int, v_full_scale: float, bits: int, c_node: float
                    ) -> DischargeSense:
    """Precharged read bit line: ``cells_full_scale`` ports of ``i_cell`` [A] swing ``v_full_scale`` [V] on
    ``c_node`` [F] at full scale; a ``bits``-bit ADC reads it."""
    return DischargeSense(i_cell=_positive("i_cell", i_cell), cells_full_scale=_count("cells_full_scale",
                                                                                        cells_full_scale),
                          v_full_scale=_positive("v_full_scale", v_full_scale), bits=_bits(bits),
                          c_node=_positive("c_node", c_node))


__all__ = [
    "ClampSense",
    "ColumnLine",
    "DischargeSense",
    "DividerSense",
    "clamp_sense",
    "column_line",
    "discharge_sense",
    "divider_sense",
    "precharger",
    "read_port_current",
]
