"""One M×M layer three ways — digital MAC array, spikes, analog crossbar with AD/DA — as a function of sparsity.

Culurciello's comparison (seed 002 l. 25–66): a layer is an M×M matrix times an M vector, 2M² operations
(l. 25); a digital system computes it with B-bit words and multipliers; a neuromorphic one sends 1-bit spikes that
only *add* weights (l. 27, l. 31); 8-bit values enter and leave as spike rates (l. 39); an analog array multiplies
with a handful of transistors but needs AD/DA at its memory ports (l. 47–49); sparsity helps every style that can
skip zeros (l. 62–66). Energy per layer evaluation [J], with ``d`` the fraction of non-zero input activations and
``n̄`` the mean spike count of a non-zero activation:

    digital, dense          E = M²·(e_mac(B) + e_w(B)) + M·B·(e_act_r + e_act_w)
    digital, zero-skipping  E = d·M²·(e_mac(B) + e_w(B)) + M·B·(e_act_r + e_act_w)
    spikes                  E = d·M·n̄·(M·(e_ac(B) + e_w(B)) + e_event)
    analog crossbar         E = d·M·e_dac(B) + d·M²·e_cell + M·e_adc(B)

Per-operation energies, each a named parameter with its source (:data:`PARAMETER_SOURCES`):

- ``e_mac(B)``, ``e_ac(B)``: 45 nm multiply and add (Horowitz, ISSCC 2014, the ``horowitz45nm`` table of
  :mod:`neurofab.cost.energy`): 8-bit multiply 0.2 pJ, add 0.03 pJ, scaled to B bits as an array multiplier
  (∝ B²) and a ripple adder (∝ B) — the scaling gives 3.2 pJ / 0.12 pJ at 32 bits against the table's 3.1 / 0.1;
- ``e_w(B)``: a B-bit word read from an 8 kB SRAM, 10 pJ per 64 bits (same table), B/64 of it;
- ``e_event``: routing one spike event (address decode and a 1-bit word on the bus), one 8-bit add's worth
  (0.03 pJ) by default — an assumption, stated in the report;
- ``e_dac(B)``, ``e_adc(B)``: the capacitor DAC ½·C·V² and the SAR ADC of :mod:`neurofab.cost.periphery` at
  45 nm and V_FS = V_DD (first-principles sizing: thermal noise ≤ LSB/√12, 0.5 fF unit capacitor);
- ``e_cell``: one crossbar cell read, G·V²·t = 1 µS · (0.2 V)² · 10 ns = 0.4 fJ (assumed mid-range device).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError
from neurofab.cost.energy import energy_table
from neurofab.cost.periphery import BOLTZMANN_T, sar_adc
from neurofab.cost.technology import technology

__all__ = [
    "PARAMETER_SOURCES",
    "LayerEnergy",
    "StyleParameters",
    "crossover_density",
    "layer_energy",
    "mean_spike_count",
]

_HOROWITZ = energy_table("horowitz45nm")
_MULT8 = _HOROWITZ.energy("mac", "int8") - _HOROWITZ.energy("ac", "int8")  # 0.2 pJ
_ADD8 = _HOROWITZ.energy("ac", "int8")  # 0.03 pJ
_SRAM64 = _HOROWITZ.energy("sram_read")  # 10 pJ per 64-bit word

PARAMETER_SOURCES: dict[str, str] = {
    "e_mult_8b": "Horowitz ISSCC 2014 Fig. 1.1.9, 45 nm: 8-bit multiply 0.2 pJ (cost.energy 'horowitz45nm')",
    "e_add_8b": "Horowitz ISSCC 2014 Fig. 1.1.9, 45 nm: 8-bit add 0.03 pJ",
    "e_sram_64b": "Horowitz ISSCC 2014 Fig. 1.1.9, 45 nm: 64-bit read from an 8 kB SRAM, 10 pJ",
    "e_event": "assumed: one spike's routing ≈ one 8-bit add (address decode, 1-bit bus word)",
    "e_adc": "cost.periphery.sar_adc at 45 nm, V_FS = V_DD (first-principles SAR ADC)",
    "e_dac": "½·C_DAC·V_FS², C_DAC = max(12kT/LSB², 2^B · 0.5 fF), the SAR ADC's capacitor DAC alone",
    "e_cell": "assumed: G·V²·t = 1 µS · (0.2 V)² · 10 ns = 0.4 fJ per cell read",
    "transistors": "seed 002 l. 31: digital multiplier 30–300 transistors per bit; analog 1 to multiply + 5–10 bias",
}


class StyleParameters(Config):
    """Word width and per-operation energies of the three styles (defaults: 45 nm, see the module docstring)."""

    bits: int = Field(8, ge=1, le=12, description="word width B of activations and weights [bits]")
    e_mult_8b: float = Field(_MULT8, gt=0, description="8-bit multiply [J]; scaled ∝ B²")
    e_add_8b: float = Field(_ADD8, gt=0, description="8-bit add [J]; scaled ∝ B")
    e_sram_64b: float = Field(_SRAM64, gt=0, description="64-bit SRAM word read [J]; B/64 of it per B-bit word")
    e_event: float = Field(_ADD8, ge=0, description="routing one spike event [J]")
    e_cell: float = Field(0.4e-15, ge=0, description="one analog crossbar cell read [J]")
    node_nm: float = Field(45, gt=0, description="technology node of the converters [nm]")

    @property
    def e_mac(self) -> float:
        """B-bit multiply-accumulate [J]."""
        return self.e_mult_8b * (self.bits / 8) ** 2 + self.e_ac

    @property
    def e_ac(self) -> float:
        """B-bit accumulate [J]."""
        return self.e_add_8b * self.bits / 8

    @property
    def e_word(self) -> float:
        """One B-bit word moved from/to SRAM [J]."""
        return self.e_sram_64b * self.bits / 64

    @property
    def e_adc(self) -> float:
        """One B-bit SAR conversion [J]."""
        tech = technology(self.node_nm)
        return sar_adc(tech, self.bits, tech.vdd).cost.energy

    @property
    def e_dac(self) -> float:
        """One B-bit capacitor-DAC conversion ½·C_DAC·V² [J]."""
        tech = technology(self.node_nm)
        lsb = tech.vdd / 2**self.bits
        c = max(12 * BOLTZMANN_T / lsb**2, 2**self.bits * 0.5e-15)
        return 0.5 * c * tech.vdd**2


@dataclass(frozen=True)
class LayerEnergy:
    """Energy of one M×M layer evaluation per style [J], with the analog style's AD/DA part."""

    m: int
    density: float
    spikes_per_active: float
    digital_dense: float
    digital_sparse: float
    spikes: float
    analog: float
    analog_adda: float

    @property
    def adda_share(self) -> float:
        """Fraction of the analog layer's energy spent in its DACs and ADCs [1]."""
        return self.analog_adda / self.analog


def _check(m: int, density: float, spikes_per_active: float) -> None:
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ConfigError(f"m = {m!r}: the layer size must be an integer ≥ 1")
    if not (0.0 <= density <= 1.0):
        raise ConfigError(f"density = {density!r}: the fraction of non-zero activations must lie in [0, 1]")
    if not (spikes_per_active >= 0.0) or not math.isfinite(spikes_per_active):
        raise ConfigError(f"spikes_per_active = {spikes_per_active!r}: must be a finite number ≥ 0")


def layer_energy(m: int, density: float, spikes_per_active: float,
                 params: StyleParameters | None = None) -> LayerEnergy:
    """The four energies of one M×M layer at input density ``density`` (see the module docstring) [J]."""
    _check(m, density, spikes_per_active)
    p = params or StyleParameters()
    io = m * 2 * p.e_word  # read the M inputs, write the M outputs (digital styles)
    dense = m * m * (p.e_mac + p.e_word) + io
    sparse = density * m * m * (p.e_mac + p.e_word) + io
    events = density * m * spikes_per_active
    spikes = events * (m * (p.e_ac + p.e_word) + p.e_event)
    adda = density * m * p.e_dac + m * p.e_adc
    analog = adda + density * m * m * p.e_cell
    return LayerEnergy(m, density, spikes_per_active, dense, sparse, spikes, analog, adda)


def crossover_density(m: int, spikes_per_active: float, params: StyleParameters | None = None) -> float:
    """Input density below which the spiking layer costs less than the dense digital one (inf: always) [1]."""
    _check(m, 1.0, spikes_per_active)
    p = params or StyleParameters()
    per_density = m * spikes_per_active * (m * (p.e_ac + p.e_word) + p.e_event)
    dense = layer_energy(m, 1.0, spikes_per_active, p).digital_dense
    return math.inf if per_density == 0 else dense / per_density


def mean_spike_count(activations: torch.Tensor, bits: int = 8) -> tuple[float, float]:
    """(density, n̄) of a layer's measured activations rate-coded to ``bits``-bit spike counts.

    Each layer's activations are scaled so their largest value is 2^B − 1 spikes and rounded; density is the
    fraction of non-zero counts, n̄ their mean over the non-zero ones."""
    a = torch.as_tensor(activations, dtype=torch.float64).clamp(min=0)
    top = float(a.max())
    if top == 0.0:
        return 0.0, 0.0
    counts = torch.round(a / top * (2**bits - 1))
    nz = counts > 0
    density = float(nz.double().mean())
    return density, float(counts[nz].mean()) if density > 0 else 0.0
