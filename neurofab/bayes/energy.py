"""The energy table ``bayes45nm``: one price per ledger event of every inference style, so styles compare on one scale.

Digital arithmetic and memory come from Horowitz's 45 nm figures [ext]; the review prints no per-event energies
(seed 001 l. 4349–5045 quotes only ratios), so the stochastic and analog events are **stated assumptions**, each
derived in its note from a device or circuit figure. ``sample`` events are counters (a draw's energy is in its
random bits, CPT reads and arithmetic) and are not priced.
"""

from __future__ import annotations

import neurofab.bayes.pbits
import neurofab.bayes.sampling
import neurofab.bayes.stochastic  # noqa: F401  (they register the event kinds priced here)
from neurofab.cost.energy import PJ, EnergyTable, EventEnergy, register_energy_table

_H = "Horowitz, ISSCC 2014, Fig. 1.1.9 (45 nm, 0.9 V) [ext]"
_A = "assumption (this table)"

TABLE = "bayes45nm"

register_energy_table(EnergyTable(
    name=TABLE,
    description="Bayesian inference styles on one scale: 45 nm digital, stochastic-MTJ and crossbar events",
    entries=(
        EventEnergy(kind="flop", precision="fp32", energy=0.9 * PJ, source=_H,
                    note="one fp32 add (log-domain products, weights, normalisation)"),
        EventEnergy(kind="sram_read", energy=10 * PJ, source=_H, note="one word from an 8 kB SRAM (a CPT entry)"),
        EventEnergy(kind="random_bit", energy=0.1 * PJ / 32, source=f"{_A}, from {_H}",
                    note="one LFSR bit ≈ one bit-slice of a 32-bit adder: 0.1 pJ / 32"),
        EventEnergy(kind="gate_op", energy=0.03 * PJ / 8, source=f"{_A}, from {_H}",
                    note="one gate on one stream bit ≈ one bit-slice of an 8-bit adder: 0.03 pJ / 8"),
        EventEnergy(kind="pbit_update", energy=(0.03 + 0.1 / 32) * PJ, source=f"{_A}, from {_H}",
                    note="CMOS-emulated p-bit: one int8 compare (0.03 pJ) with one random bit"),
        EventEnergy(kind="synop", precision="int8", energy=0.03 * PJ, source=_H,
                    note="one int8 accumulate of a coupling J_ij m_j"),
        EventEnergy(kind="write_pulse", energy=0.25 * PJ, source=_A,
                    note="stochastic-MTJ write: 50 µA × 0.5 V × 10 ns (I_c, an assumed write voltage, t_p)"),
        EventEnergy(kind="spike", energy=0.03 * PJ, source=f"{_A}, from {_H}",
                    note="one spike counted: one int8 increment"),
        EventEnergy(kind="mvm", energy=10 * PJ, source=_A,
                    note="one small analog MVM (≤ 16 columns): ~1 pJ per 8-bit ADC conversion × columns, "
                         "cell currents (25 µS × (0.2 V)² × 10 ns = 10 fJ per cell) negligible"),
        EventEnergy(kind="adc_conversion", energy=1 * PJ, source=_A, note="one 8–9 bit SAR conversion"),
        EventEnergy(kind="dac_conversion", energy=0.1 * PJ, source=_A, note="one 7-bit input DAC conversion"),
    ),
))
