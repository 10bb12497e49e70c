"""Static CMOS gates — INV, NAND, NOR, transmission gate — from a :class:`Technology`: area, capacitance, RC delay,
C·V² energy and leakage. These are the bricks every circuit module of :mod:`neurofab.cost.circuits` is built from.

Layout. A gate sits in one standard-cell row of the node's height; its width counts poly columns: an inverter is
one column and occupies the Table-1 cell width, and every further column adds half that width, so a gate with
``k`` gate columns is ``cell_width·(k + 1)/2`` wide (an n-input NAND/NOR has k = n, so NAND2 = 1.5 × INV — the
ratio the per-bit adder areas of the paper's Table 5 imply). A transistor wider than one logic device (the Table-1
width or fin count, the most one cell row holds) is folded into ``ceil(W/W_logic)`` fingers, each a column.

Electrical. Sizes are multiples of the Table-1 logic widths (NeuroSim's fixed-size logic gates: series stacks are
not widened). Input capacitance = (W_n + W_p)·c_gate; self (output diffusion) capacitance counts the drains on the
output node; pull-down / pull-up resistances add in series (n·R for an n-stack). Delay is the Elmore 50 % point of a
step, ``t = ln2·R·(C_self + C_load)``, with R the worse of pull-up and pull-down. Energy per operation counts one
full charge–discharge of the output node, ``E = (C_self + C_load)·V_DD²`` (multiply by an activity factor for
realistic switching). Leakage is ``V_DD·I_off·W_off`` averaged over the input states, with a stack of n off
devices leaking 1/n of one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from neurofab.core import ConfigError
from neurofab.cost.technology import Technology

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Gate:
    """One sized gate. SI units: area m², capacitance F, resistance Ω, power W."""

    name: str
    area: float
    c_in: float  # capacitance seen at one input [F]
    c_self: float  # diffusion capacitance on the output node [F]
    r_pull_down: float  # worst-case pull-down resistance [Ω]
    r_pull_up: float  # worst-case pull-up resistance [Ω]
    leakage: float  # static power [W]
    vdd: float  # supply [V]

    @property
    def r_drive(self) -> float:
        """The worse of pull-up and pull-down resistance [Ω]."""
        return max(self.r_pull_down, self.r_pull_up)

    def delay(self, c_load: float = 0.0) -> float:
        """50 % step-response delay driving ``c_load`` [F]: ln2·R·(C_self + C_load) [s]."""
        _check_nonneg("c_load", c_load)
        return LN2 * self.r_drive * (self.c_self + c_load)

    def energy(self, c_load: float = 0.0) -> float:
        """Energy of one charge–discharge of the output driving ``c_load`` [J]: (C_self + C_load)·V_DD²."""
        _check_nonneg("c_load", c_load)
        return (self.c_self + c_load) * self.vdd**2


def _check_nonneg(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} = {value!r}: must be a finite number >= 0")


def _check_size(size: float) -> float:
    if not (isinstance(size, int | float) and math.isfinite(size) and size > 0):
        raise ConfigError(f"gate size = {size!r}: must be a finite number > 0 (multiple of the logic width)")
    return float(size)


def fingers(size: float) -> int:
    """Poly fingers a device of ``size`` × the logic width needs in one cell row (folding)."""
    return max(1, math.ceil(_check_size(size) - 1e-9))


def gate_area(tech: Technology, columns: int, height_factor: float = 1.0) -> float:
    """Area of a gate with ``columns`` poly columns [m²]: cell_width·(columns + 1)/2 × cell_height × height_factor."""
    if columns < 1:
        raise ConfigError(f"gate columns = {columns}: must be >= 1")
    return tech.cell_width * (columns + 1) / 2 * tech.cell_height * height_factor


def inverter(tech: Technology, size: float = 1.0, height_factor: float = 1.0) -> Gate:
    """An inverter whose NMOS and PMOS are ``size`` × the Table-1 logic widths."""
    s = _check_size(size)
    wn, wp = s * tech.nmos_width, s * tech.pmos_width
    return Gate(
        name=f"INV×{s:g}", area=gate_area(tech, fingers(s), height_factor),
        c_in=tech.c_gate * (wn + wp), c_self=tech.c_drain * (wn + wp),
        r_pull_down=tech.r_on_n(wn), r_pull_up=tech.r_on_p(wp),
        leakage=tech.vdd * tech.i_off * 0.5 * (wn + wp), vdd=tech.vdd,
    )


def nand(tech: Technology, n_inputs: int = 2, size: float = 1.0) -> Gate:
    """An n-input NAND: n series NMOS (pull-down n·R_n), n parallel PMOS."""
    n = _check_inputs(n_inputs)
    s = _check_size(size)
    wn, wp = s * tech.nmos_width, s * tech.pmos_width
    # output off-leakage: pull-up off (output low, all inputs high) → n PMOS leak; pull-down off → stack of ≥1
    leak = tech.vdd * tech.i_off * 0.5 * (n * wp + wn / n)
    return Gate(
        name=f"NAND{n}×{s:g}", area=gate_area(tech, n * fingers(s)),
        c_in=tech.c_gate * (wn + wp), c_self=tech.c_drain * (n * wp + wn),
        r_pull_down=n * tech.r_on_n(wn), r_pull_up=tech.r_on_p(wp), leakage=leak, vdd=tech.vdd,
    )


def nor(tech: Technology, n_inputs: int = 2, size: float = 1.0) -> Gate:
    """An n-input NOR: n parallel NMOS, n series PMOS (pull-up n·R_p)."""
    n = _check_inputs(n_inputs)
    s = _check_size(size)
    wn, wp = s * tech.nmos_width, s * tech.pmos_width
    leak = tech.vdd * tech.i_off * 0.5 * (n * wn + wp / n)
    return Gate(
        name=f"NOR{n}×{s:g}", area=gate_area(tech, n * fingers(s)),
        c_in=tech.c_gate * (wn + wp), c_self=tech.c_drain * (n * wn + wp),
        r_pull_down=tech.r_on_n(wn), r_pull_up=n * tech.r_on_p(wp), leakage=leak, vdd=tech.vdd,
    )


def transmission_gate(tech: Technology, size: float = 1.0) -> Gate:
    """A CMOS transmission gate (NMOS ∥ PMOS, complementary gates). ``c_in`` is the capacitance of one control
    input (one device gate); ``c_self`` the diffusion capacitance on one terminal; the on-resistance is
    R_n ∥ R_p, the same for both directions. Layout: one column, like an inverter."""
    s = _check_size(size)
    wn, wp = s * tech.nmos_width, s * tech.pmos_width
    rn, rp = tech.r_on_n(wn), tech.r_on_p(wp)
    r = rn * rp / (rn + rp)
    return Gate(
        name=f"TG×{s:g}", area=gate_area(tech, fingers(s)),
        c_in=tech.c_gate * 0.5 * (wn + wp), c_self=tech.c_drain * (wn + wp),
        r_pull_down=r, r_pull_up=r, leakage=tech.vdd * tech.i_off * 0.5 * (wn + wp), vdd=tech.vdd,
    )


def _check_inputs(n_inputs: int) -> int:
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise ConfigError(f"n_inputs = {n_inputs!r}: must be an integer >= 1")
    return n_inputs
