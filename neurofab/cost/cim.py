"""Compute-in-memory chip estimator: sub-array → processing element → tile → chip, a network mapped layer by layer,
and area, clock, latency, energy, leakage, TOPS/W, TOPS/mm² and utilization out of one description.

Architecture (the hierarchy of Lu et al. 2021 / DNN+NeuroSim, with our own models of each part):

- **Sub-array**: rows × cols cells; one input bit per row per cycle (bit-serial inputs, ``input_bits`` cycles per
  vector); up to ``rows_parallel`` rows on at once; ``columns_per_adc`` columns share one ADC through an analog
  mux; the ``ceil(weight_bits/bits_per_cell)`` slices of a weight sit in adjacent columns of one mux group; behind
  each ADC a weight shift-adder and an input shift-adder (NeuroSim V1.3's two stages; ``shift_add='lane'``: one
  exact lane of adc + input + weight bits). Row drivers (input flip-flop + buffer) and, for eNVMs, three level
  shifters per row/column pair (WL, BL, SL) as in the validated macro.
- **PE**: ``pe_grid``² sub-arrays, one adder tree per sub-array column summing the vertically split partial
  sums, an input/output SRAM buffer. **Tile**: ``tile_grid``² PEs, adder trees, a tile buffer, an H-tree.
  **Chip**: tiles, a global buffer holding the largest layer's input and output maps, a global H-tree.
- **Mapping** (:func:`place`): each layer gets whole tiles (weights stay on chip; layer-by-layer dataflow):
  NeuroSim's novel K²-PE tiles for convolutions or conventional square tiles, weights duplicated into the space
  left empty; utilization = weight cells (copies included) / cells of the tiles allocated.
- **Timing**: compute cycles, NeuroSim's synchronous register-file buffer cycles and H-tree traversals in whole
  cycles (or whole ``htree_cycle`` periods), layer by layer (``_BufferTiming``); with the 'channels' layout a
  traversal takes NeuroSim's root-to-leaf path at its repeated-bus delay per length
  (:func:`~neurofab.cost.circuits.htree_trip_length` × :func:`~neurofab.cost.circuits.bus_wire_delay`).
- **Data movement energy**: by default the input map down the chip H-tree, each tile's input vectors through its
  tree, buffers and PEs, the output map back, priced as SRAM bank accesses and straight repeated wires; or as
  DNN+NeuroSim V1.3 counts it — ``buffer_energy='neurosim'`` (:func:`neurosim_buffer_bits`: PE flip-flops, tile
  and global register files), ``transfer_count='neurosim'`` (:func:`neurosim_transfer_bits`: the same traffic
  through the chip and tile H-trees, every PE's bits along its buses), ``htree_energy='neurosim'`` (its price per
  trip), ``pe_bus_cell_aspect`` (its sub-array bounding box), ``row_flip_flops='all'`` (its switch matrix).

Sensing (what sets the clock; the circuits are in :mod:`neurofab.cost.sensing`):

- Bit line: rows × (drain of the access / read-port transistor + wire of one cell pitch); each cell branch is the
  cell in series with its access transistor; the column is seen through half its wire (IR drop).
- eNVM, ``sensing='current'`` (default) with ``adc='mlsa'`` (default): the bit line is clamped at ``read_voltage``
  and its current sensed by NeuroSim V1.3's multilevel current sense amplifier (SPICE-fitted power and latency,
  :func:`~neurofab.cost.periphery.mlsa_adc`); window = max(word-line rise, mux decoder) + clamp + the amplifier's
  conversion + encoder. With a flash/SAR ADC the column current is converted on R_L = V_FS/I_FS at the ADC node
  (mux + comparator inputs); window = max(word-line rise through the driver (and the level shifter with
  ``read_level_shifters``), mux decoder) + clamp (C_BL·V_read/I_FS) + ADC node settled to half an LSB
  ((R_L + R_mux)·C·ln 2^(N+1)) + the flash decision (regeneration from half an LSB, SR latch, encoder).
  References: a resistor ladder per ADC. Energy per conversion: V_DD·I·t_on + C_BL·V_DD·V_read + ADC.
- eNVM, ``sensing='voltage'`` (the validated macro): the bit line, reset to 0, is a divider against a load
  G_L = √(G_top·G_top−1); its smallest code step (the top one) sizes the comparators and sets the settling
  (half a step); 2^N − 1 reference columns (shared by ``reference_sharing`` ADCs) draw their divider currents for
  the window. Energy: V_DD·I·t_on + C_node·V_DD·V(G) + ADC with its share of the references.
- 8T SRAM: precharge (a PMOS restoring the read bit line to half an LSB), word-line rise, development of full scale
  (every read port of bit-cell width conducting swings V_FS: C·V_FS/I_FS), mux settling, ADC. Energy: the
  precharge restores C·V_DD·ΔV. The write path (write-word-line decoder, bit-line drivers) counts in the area.
- eNVM level shifters serve the write path only (gated off during inference): area, no read delay, energy or
  leakage; ``read_level_shifters=True`` puts them in the read path (a macro whose sensing path lists them).
- Clock period = max(sensing window × β, digital stage: shift-add adder + flip-flop, an adder tree's widest level
  + flip-flop with the two-stage shift-add (its trees take a cycle per level), else the whole tree + flip-flop).
- Drive: every RC delay follows the technology card's effective resistance k·V_DD/(I_on·W); ``roadmap='lstp'``
  is DNN+NeuroSim V1.3's PTM LP card (neurofab.cost.technology.LSTP).

Calibration (the ``validated`` switch): the factors of Lu et al. 2021 — α = 1.44 level-shifter area, β = 1.4
sensing latency, γ = 0.5 and δ = 0.15 activity of flip-flops and adders in shift-add/accumulators, η = 1.22
post-layout energy. They were fitted by the paper to one 40 nm RRAM macro against NeuroSim's models, not ours;
``validated=False`` gives the raw model (every node switches once per operation). ε and ζ (control logic) apply to
the macro's control gates only (see :mod:`neurofab.repro.neurosim`); the chip model has no separate control block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, Ledger, NeurofabError, UnknownNameError
from neurofab.cost import leakage as lk
from neurofab.cost.circuits import (
    NEUROSIM_22NM_BUS,
    Cost,
    SramAccess,
    adder_tree,
    bus_energy_per_metre,
    bus_wire_delay,
    decoder,
    dff,
    htree,
    htree_channel_area,
    htree_trip_energy,
    htree_trip_length,
    latch_comparator,
    register,
    ripple_adder,
    shift_add,
    sram_buffer,
)
from neurofab.cost.gates import inverter, nand, transmission_gate
from neurofab.cost.mapping import LayerActivity, LayerSpec, check_layers
from neurofab.cost.periphery import (
    Adc,
    ColumnMux,
    Mlsa,
    column_mux,
    fixed_level_shifter_area,
    flash_adc,
    level_shifter,
    mlsa_adc,
    row_driver,
    sar_adc,
)
from neurofab.cost.sensing import (
    ClampSense,
    ColumnLine,
    DischargeSense,
    DividerSense,
    clamp_sense,
    column_line,
    discharge_sense,
    divider_sense,
    precharger,
    read_port_current,
)
from neurofab.cost.technology import PASS_R_FACTOR, Technology, technology

CellKind = Literal["sram", "rram", "pcm", "fefet"]


class CellConfig(Config):
    """A memory cell for CIM. eNVMs need ``r_on`` and ``on_off_ratio``; SRAM derives its read current from the
    node's transistors (8T, decoupled read port of two series NMOS)."""

    kind: CellKind = Field(description="cell technology")
    bits_per_cell: int = Field(1, ge=1, le=8, description="bits stored per cell [bit]")
    r_on: float | None = Field(None, gt=0, description="on-state (lowest) resistance [Ω]")
    on_off_ratio: float | None = Field(None, gt=1, description="G_on/G_off [1]")
    area_f2: float | None = Field(None, gt=0, description="cell area [F²]; None: 8T SRAM of the node, 75 F² eNVM")
    read_voltage: float = Field(0.2, gt=0, le=1.5, description="bit-line read (clamp) voltage of eNVM cells [V]")
    write_voltage: float = Field(2.0, gt=0, le=6, description="programming voltage the level shifters switch [V]")
    label: str = Field("", description="where the values come from")

    @model_validator(mode="after")
    def _check(self) -> CellConfig:
        if self.kind == "sram":
            if self.bits_per_cell != 1:
                raise ValueError("an SRAM cell stores 1 bit (bits_per_cell = 1)")
        elif self.r_on is None or self.on_off_ratio is None:
            raise ValueError(f"a {self.kind} cell needs r_on [Ω] and on_off_ratio")
        return self


#: Cells of Lu et al. 2021, Table 7 (the eNVM areas are not in the paper: the validated macro's 75 F² is used).
CELL_PRESETS: dict[str, CellConfig] = {
    "sram_8t": CellConfig(kind="sram", label="8T SRAM (Lu et al. 2021, Table 7)"),
    "rram_he2020": CellConfig(kind="rram", bits_per_cell=2, r_on=6e3, on_off_ratio=150,
                              label="HfOx RRAM, He et al. 2020 (Lu et al. 2021, Table 7: 2 bit, 6 kΩ, 150)"),
    "rram_wu2018": CellConfig(kind="rram", bits_per_cell=4, r_on=100e3, on_off_ratio=10,
                              label="TaOx/HfOx RRAM, Wu et al. 2018 (Table 7: 4 bit, 100 kΩ, 10)"),
    "pcm_kim2019": CellConfig(kind="pcm", bits_per_cell=4, r_on=40e3, on_off_ratio=12.5,
                              label="confined PCM, Kim et al. 2019 (Table 7: 4 bit, 40 kΩ, 12.5)"),
    "fefet_ni2018": CellConfig(kind="fefet", bits_per_cell=4, r_on=240e3, on_off_ratio=100,
                               label="HKMG FeFET, Ni et al. 2018 (Table 7: 4 bit, 240 kΩ, 100)"),
}


class Calibration(Config):
    """Adjustment factors of Lu et al. 2021 (symbols of the paper)."""

    alpha: float = Field(1.0, gt=0, description="level-shifter wiring area factor [1]")
    beta: float = Field(1.0, gt=0, description="sensing-cycle latency factor [1]")
    gamma: float = Field(1.0, gt=0, le=1, description="flip-flop switching activity in shift-add/accumulators [1]")
    delta: float = Field(1.0, gt=0, le=1, description="adder switching activity in shift-add/accumulators [1]")
    epsilon: float = Field(1.0, gt=0, le=1, description="control-logic inverter switching activity [1]")
    zeta: float = Field(1.0, gt=0, le=1, description="control-logic flip-flop switching activity [1]")
    eta: float = Field(1.0, gt=0, description="post-layout energy factor [1]")


#: The factors of Lu et al. 2021 (validation against the 40 nm RRAM macro).
LU2021 = Calibration(alpha=1.44, beta=1.4, gamma=0.5, delta=0.15, epsilon=0.05, zeta=0.11, eta=1.22)
RAW = Calibration()
#: Delay tolerance of the H-tree buses in the 'channels' accounting: repeaters shrunk until the wire is 10 % slower
#: than its optimum (NeuroSim V1.3 Param.cpp globalBusDelayTolerance = localBusDelayTolerance = 0.1).
BUS_DELAY_TOLERANCE = 0.1
#: Share of transferred bits that charge an H-tree line in DNN+NeuroSim V1.3's bus energy (HTree.cpp
#: CalculatePower: a random bit charges its line a quarter of the time); see CIMConfig.htree_energy.
NEUROSIM_BUS_ACTIVITY = 0.25

#: Cell height over width in DNN+NeuroSim V1.3's layout (Param.cpp: 1T1R 4F × 12F, SRAM 10F × 28F), for
#: CIMConfig.pe_bus_cell_aspect.
NEUROSIM_1T1R_ASPECT = 4 / 12
NEUROSIM_SRAM_ASPECT = 10 / 28

#: DNN+NeuroSim V1.3's SRAM column-mux switch resistance as a fraction of all rows' access resistance in parallel:
#: IR_DROP_TOLERANCE (0.25, constant.h) × ½ (SubArray.cpp: mux.Initialize(..., resCellAccess/numRow/2)).
NEUROSIM_SRAM_MUX_FRACTION = 0.125
#: Its eNVM column-mux switch resistance as a fraction of all rows' mean cell resistance in parallel,
#: (R_acc + (R_on + R_off)/2)/rows: IR_DROP_TOLERANCE (SubArray.cpp: mux.Initialize(..., resMemCellAvg/numRow)).
NEUROSIM_ENVM_MUX_FRACTION = 0.25

#: The period [s] DNN+NeuroSim V1.3 rounds an H-tree trip to (Param.cpp clkFreq = 1e9, the value its H-trees are
#: initialized with before the clock is set from the sensing path); see CIMConfig.htree_cycle.
NEUROSIM_HTREE_CYCLE = 1e-9
#: Clock cycles a PE or tile adder-tree stage takes in DNN+NeuroSim V1.3 at 22 nm: its 16-24-bit ripple adders
#: take 1.01-1.52 ns on its LSTP card (Adder.cpp, Horowitz timing of the carry NANDs at fan-out 2-3; ours
#: 0.64-0.93 ns), rounded up to whole periods of its 1 GHz initialization clock; see CIMConfig.adder_stage_cycles.
NEUROSIM_ADDER_STAGE_CYCLES = 2


class CIMConfig(Config):
    """One CIM accelerator design. Defaults: the Table-7 set-up of Lu et al. 2021 (128×128 sub-arrays, 8 columns
    per ADC, all rows in parallel, 8-bit weights and activations)."""

    node_nm: float = Field(22, description="technology node [nm], see neurofab.cost.technology")
    vdd: float | None = Field(None, gt=0, le=5, description="supply override [V]; None: the node's")
    roadmap: Literal["lop", "lstp"] = Field(
        "lop", description="transistor drive of the technology card: 'lop' (the table's) or 'lstp' (the PTM LP "
        "cards DNN+NeuroSim V1.3 runs with: its on-currents and effective-resistance factor, so every RC delay "
        "- repeated buses, decoders, mux switches, SRAM read ports - follows its drive; see "
        "neurofab.cost.technology.LSTP)")
    cell: CellConfig = Field(description="memory cell")
    rows: int = Field(128, ge=1, le=4096, description="sub-array rows [1]")
    cols: int = Field(128, ge=1, le=4096, description="sub-array columns [1]")
    rows_parallel: int | None = Field(None, ge=1, description="rows turned on at once; None: all rows")
    adc_bits: int = Field(5, ge=1, le=12, description="ADC precision [bit]")
    adc: Literal["mlsa", "flash", "sar"] = Field(
        "mlsa", description="ADC architecture: 'mlsa' (multilevel current sense amplifier with SPICE-fitted power "
        "and latency, NeuroSim V1.3's default; needs current sensing), 'flash' (offset-sized latch comparators) or "
        "'sar' (see neurofab.cost.periphery)")
    shift_add: Literal["two-stage", "lane"] = Field(
        "two-stage", description="digital combination of the ADC outputs: 'two-stage' (NeuroSim V1.3 SubArray.cpp: a "
        "weight shift-adder of adc_bits over the cell slices, then an input shift-adder of adc_bits + cells per "
        "weight over the input bits, NeuroSim's widths) or 'lane' (one shift-add lane per ADC of adc + input + "
        "weight bits, wide enough for the exact sum)")
    weight_shift_add: Literal["per-weight", "per-column"] = Field(
        "per-weight", description="how shift_add='two-stage' combines the cells of one weight: 'per-weight' (the "
        "current DNN+NeuroSim V1.3, since its 2021-09 changes: a weight shift-adder per ADC joins a weight's "
        "cells before the input shift-adder, so the adder trees, accumulators and output buffers above it are "
        "cells_per_weight bits wider, adc + input + cells + 1, and work once per weight read) or 'per-column' "
        "(V1.3's first commit 9bff361, the version Lu et al. 2021's Table 7 ran: no weight stage, one input "
        "shift-adder per ADC, adc_bits + 1 bits wide, trees and buffers adc + input + 1 bits wide and working "
        "once per column read)")
    sense_amp_area: Literal["all-devices", "first-release"] = Field(
        "all-devices", description="area of the MLSA current sense amplifiers: 'all-devices' (every device of a "
        "level, neurofab.cost.periphery.MLSA_DEVICES_PER_LEVEL; DNN+NeuroSim V1.3 since its 2023 fix) or "
        "'first-release' (without the 48 NMOS of each level, which V1.3's first commit 9bff361 - the version "
        "behind Lu et al. 2021's Table 7 - left out of its area; current-mode MLSA only)")
    sram_cell_fins: Literal["doubled", "as-drawn"] = Field(
        "doubled", description="SRAM bit-cell leakage at FinFET nodes (leakage_model='neurosim'): DNN+NeuroSim "
        "V1.3's release doubles the cell's F-widths at ≤ 14 nm, two fins and one ('doubled'); its first commit "
        "9bff361, behind Lu et al. 2021's Table 7, rounds 2·F and F to one fin each ('as-drawn'). Bulk: the same")
    adder_stage_cycles: int = Field(
        1, ge=1, le=8, description="clock cycles each stage of the PE and tile adder trees takes with "
        "shift_add='two-stage' (synchronous trees, one stage a cycle). DNN+NeuroSim V1.3 rounds each stage's ripple "
        "delay up to whole periods of the 1 GHz clock its adders are initialized with (Adder.cpp, "
        "CalculateLatency) and charges each as a cycle of the chip clock; its 16-24-bit adders take 1.01-1.52 ns "
        "on its 22 nm LSTP card (printed from its Adder.cpp), so 2 (NEUROSIM_ADDER_STAGE_CYCLES)")
    sensing: Literal["current", "voltage"] = Field(
        "current", description="eNVM read scheme: 'current' (bit line clamped at the read voltage, current "
        "converted on a load; NeuroSim V1.3's default MLSA mode) or 'voltage' (bit line as a divider against a "
        "load, sensed by voltage sense amplifiers: adc = 'flash' with reference columns, or adc = 'mlsa', NeuroSim "
        "V1.3's voltage-mode MLSA with its references inside); SRAM ignores it")
    reference_sharing: int | None = Field(
        None, ge=1, description="voltage mode: ADCs sharing one set of 2^N − 1 reference columns; None: all "
        "ADCs of a sub-array (they sense the same rows at once); the validated macro has 1 (one Vref per VSA)")
    columns_per_adc: int = Field(8, ge=1, description="columns sharing one ADC through the mux [1]")
    weight_bits: int = Field(8, ge=1, le=16, description="weight precision [bit]")
    input_bits: int = Field(8, ge=1, le=16, description="activation precision, applied bit-serially [bit]")
    pe_grid: int = Field(2, ge=1, le=16, description="sub-arrays per PE side (PE = pe_grid² sub-arrays)")
    tile_grid: int = Field(2, ge=1, le=16, description="PEs per tile side (tile = tile_grid² PEs)")
    bus_bits: int = Field(128, ge=8, le=4096, description="width of the global bus and buffer words [bit]")
    mapping: Literal["novel", "conventional"] = Field(
        "novel", description="'novel' (NeuroSim V1.3's default: a convolution gets tiles of K² PEs, one per kernel "
        "position) or 'conventional' (every layer's unrolled matrix cut into square tiles)")
    duplicate: bool = Field(True, description="copy a layer's weights into the PEs and sub-arrays its tiles "
                            "would leave empty, dividing its compute time (NeuroSim V1.3's speed-up)")
    op_count: Literal["macs", "neurosim"] = Field(
        "macs", description="operations behind TOPS: 2 × the MACs ('macs'), or NeuroSim V1.3's "
        "2·H_in·W_in·C_in·K²·C_out per layer, which ignores the stride ('neurosim', main.cpp)")
    leakage_energy: Literal["chip", "idle"] = Field(
        "chip", description="leakage energy behind TOPS/W: the whole chip over the latency ('chip'), or NeuroSim "
        "V1.3's count, the tiles of the other layers over each layer's latency, each leaking as a tile of the "
        "running layer ('idle', main.cpp)")
    leakage_model: Literal["physical", "neurosim"] = Field(
        "physical", description="how blocks leak: 'physical' (every gate of every block, sized as built: flip-flops "
        "with their transmission gates, drivers sized for their loads, all buffer banks and adders) or "
        "'neurosim' (DNN+NeuroSim V1.3's count, neurofab.cost.leakage: switch-matrix flip-flops only, minimum "
        "decoder gates, eight-inverter flip-flops, its stack ratios, PE adder trees over the rows a layer "
        "occupies, register-file buffers of which one core leaks)")
    leakage_scope: Literal["chip", "tiles"] = Field(
        "chip", description="blocks counted in the leakage power: all of them ('chip'), or NeuroSim V1.3's count "
        "('tiles', Chip.cpp/Tile.cpp/ProcessingUnit.cpp): the tiles' sub-arrays, adder trees and buffers only - no "
        "H-tree repeaters, no global buffer, no activation or pooling units")
    output_pixels: Literal["padded", "valid"] = Field(
        "padded", description="input vectors per convolution: its output pixels with 'same' padding, or "
        "NeuroSim V1.3's (H − K + 1)² ('valid', padding ignored)")
    validated: bool = Field(True, description="apply the calibration factors of Lu et al. 2021")
    calibration: Calibration | None = Field(None, description="explicit factors (overrides `validated`)")
    io_layout_scale: float = Field(2.5, gt=0, description="I/O transistor layout scale in level shifters [1]")
    adc_full_scale: float = Field(0.5, gt=0, le=1, description="ADC input range as a fraction of V_DD [1]")
    adc_offset_sigma_lsb: float = Field(0.5, gt=0, description="comparator offset σ allowed, in LSB [1]")
    access_resistance_fraction: float | None = Field(
        None, gt=0, le=10, description="eNVM access transistor sized so its on-resistance is this fraction of the "
        "cell's r_on [1] (NeuroSim V1.3: 0.25, its IR_DROP_TOLERANCE in constant.h, Param.cpp resistanceAccess); "
        "None: one logic NMOS")
    min_sense_voltage: float = Field(
        0.1, gt=0, le=1, description="SRAM read with the MLSA: the precharged read bit line must develop half of "
        "this from one conducting cell before it is sensed [V] (NeuroSim V1.3 Param.cpp minSenseVoltage)")
    mux_resistance_fraction: float = Field(0.1, gt=0, le=1,
                                           description="mux on-resistance / average column resistance [1]")
    read_level_shifters: bool = Field(
        False, description="eNVM: a read word line rises through its level shifter (delay and energy in every "
        "read; a macro whose sensing path lists it, e.g. Lu et al. 2021 Table 3), or the level shifters serve the "
        "write path only, gated off during inference (False; NeuroSim V1.3's Table 7 chips): area only")
    level_shifter_sizing: Literal["load", "neurosim"] = Field(
        "load", description="eNVM level shifters (WL per row, BL and SL per column): output stage sized for the "
        "word line it drives ('load', neurofab.cost.periphery.level_shifter), or DNN+NeuroSim V1.3's fixed device "
        "sizes whatever the cell ('neurosim', LevelShifter.cpp; periphery.fixed_level_shifter_area): with a "
        "minimum access transistor (a high-R_on cell) the sized shifter is 2.4x smaller")
    source_line_switches: bool = Field(
        False, description="eNVM: a source-line switch per column (a flip-flop and two transmission gates that "
        "select the line's write bias; DNN+NeuroSim V1.3 SubArray.cpp slSwitchMatrix, whose flip-flops its leakage "
        "count already holds), or none (the source lines held at ground by the array's own wiring)")
    sram_column_current: Literal["stored", "activated"] = Field(
        "stored", description="SRAM column current behind the ADC energy: the read ports that conduct (input bit "
        "1 and stored bit 1, 'stored'), or every activated row's port whatever its stored bit ('activated': "
        "DNN+NeuroSim V1.3 SubArray.cpp, whose SRAM column resistance is the activated rows' access resistance "
        "in parallel)")
    sram_precharge: Literal["sensed", "every-column"] = Field(
        "sensed", description="SRAM read bit lines recharged per conversion: the sensed column's ('sensed'), or "
        "every column's at every mux step ('every-column': the word lines open all columns' read ports each "
        "step, so a conversion recharges columns_per_adc bit lines; DNN+NeuroSim V1.3 Precharger.cpp also "
        "recharges all columns each step, counting the bit line and its complement at full swing)")
    bitline_energy: Literal["supply", "neurosim"] = Field(
        "supply", description="eNVM MLSA read: charge of the bit line clamped at read_voltage, drawn from V_DD "
        "through the clamp, C_BL·V_DD·V_read ('supply'), or from an ideal read-voltage rail, C_BL·V_read² "
        "('neurosim', DNN+NeuroSim V1.3 SubArray.cpp: capBL·readVoltage²); SRAM ignores it")
    htree_energy: Literal["straight", "neurosim"] = Field(
        "straight", description="energy of a word sent through a tile's or the chip's H-tree (htree_area = "
        "'channels'): one straight repeated wire across the tree, every bit a full charge ('straight'), or as "
        "DNN+NeuroSim V1.3 prices it ('neurosim', HTree.cpp CalculatePower: its Manhattan branches, at half the "
        "length its timing walks, plus the main bus, at activity 0.25 per bit with the bus repeaters; "
        "circuits.htree_trip_energy)")
    buffer_energy: Literal["banks", "neurosim"] = Field(
        "banks", description="dynamic energy of the buffers: SRAM banks holding the input vectors a layer's tiles "
        "and PEs take ('banks'), or as DNN+NeuroSim V1.3 counts and prices them ('neurosim', :func:`neurosim_buffer_"
        "bits`: PE flip-flops clocked by every input bit of every PE and every PE output word, tile and global "
        "register files of flip-flops read and written in both directions; a flip-flop bit clocked or read costs one "
        "circuits.dff, a register-file line written or read one decoder operation)")
    buffer_area: Literal["banks", "neurosim"] = Field(
        "banks", description="area of the buffers: 6T SRAM banks holding two vectors of a PE's or tile's inputs and "
        "outputs and the largest layer's input and output maps ('banks'), or as DNN+NeuroSim V1.3 lays them "
        "('neurosim', :func:`neurosim_buffer_areas`: flip-flops for a PE's input bits and output words, register-file "
        "cores of 32 × 32 flip-flops for a tile, of 128 × 128 for the global buffer holding the largest input map; "
        "their leakage stays the banks' with leakage_model='physical')")
    transfer_count: Literal["maps", "neurosim"] = Field(
        "maps", description="data an inference sends through the H-trees and PE buses: the input map once down "
        "the chip tree, each tile's input vectors and the output map back, partial sums between row-split tiles, "
        "the input vectors through the PE trees ('maps'), or as DNN+NeuroSim V1.3 counts it ('neurosim', "
        ":func:`neurosim_transfer_bits`: the global buffer's unrolled input vectors and outputs through the chip "
        "tree, each tile buffer's traffic through its tree, every PE's input bits along its input bus and its ADC "
        "codes along its output bus, the buses a sub-array pitch × (pe_grid − 1) long)")
    row_flip_flops: Literal["active", "all"] = Field(
        "active", description="input flip-flops of the word-line switch matrix clocked at a pulse: the activated "
        "rows' only ('active', inside each row activation), or every row's of the sub-array ('all': DNN+NeuroSim "
        "V1.3 SwitchMatrix.cpp clocks all its rows' flip-flops at every read, numOutput per call)")
    pe_bus_cell_aspect: float | None = Field(
        None, gt=0, le=100, description="PE buses (transfer_count='neurosim') one sub-array pitch √(sub-array area) "
        "long per step (None), or as DNN+NeuroSim V1.3 lays them (its SubArray.cpp bounding box, Bus.cpp): the "
        "array of cells this tall over wide [1] (its 1T1R 4F × 12F: 1/3; its SRAM 10F × 28F), the row-side "
        "periphery (row drivers, word- and bit-line level shifters) beside it at the array's height, the column "
        "periphery below it at the array's width; the input bus crosses pe_grid − 1 box widths, the output bus "
        "pe_grid − 1 heights")
    word_line_pulses: Literal["per-input", "per-mux-step"] = Field(
        "per-input", description="how often an input bit's word lines are pulsed: once for all the mux steps that "
        "read it ('per-input'), or once per mux step ('per-mux-step': the rows are switched off while the mux moves "
        "on, so each activated line is charged columns_per_adc times per input bit, as DNN+NeuroSim V1.3 counts it "
        "in SubArray.cpp; there an eNVM line's charge C_WL·V_DD² is booked with the array read, the driver's with "
        "the switch matrix)")
    mux_sizing: Literal["average", "all-rows"] = Field(
        "average", description="column-mux switches sized for mux_resistance_fraction × the average column "
        "resistance ('average': half the rows on at mid level; SRAM a quarter of the read ports; Lu et al. 2021) "
        "or × all rows' cells in parallel ('all-rows', DNN+NeuroSim V1.3 SubArray.cpp/Mux.cpp: SRAM R_access/rows, "
        "eNVM (R_acc + (R_on + R_off)/2)/rows, with the fractions 0.125 and 0.25 it applies)")
    bitline_delay: Literal["settle", "neurosim"] = Field(
        "settle", description="eNVM current-mode read: time for the clamped bit line to settle to half the smallest "
        "step ('settle') or DNN+NeuroSim V1.3's fixed fraction of the column's RC with the cells' mean resistance, "
        "0.2·C_BL·(R_acc + (R_on + R_off)/2)/(rows/2) ('neurosim', SubArray.cpp CalculateLatency: 'the 15~20 % "
        "voltage drop is enough for sensing'), which grows with the cell's off-resistance")
    mux_decoder: Literal["sized", "minimum"] = Field(
        "sized", description="outputs of the column-mux decoder: 'sized' (a tapered chain for the mux gates' load) "
        "or 'minimum' (one minimum inverter driving them, DNN+NeuroSim V1.3's SRAM mux decoder, RowDecoder.cpp)")
    interconnect_swing: float | None = Field(0.2, gt=0, description="H-tree signal swing [V]; None: full V_DD")
    htree_area: Literal["channels", "repeaters"] = Field(
        "channels", description="H-tree area: 'channels' (the routing channels of the buses, NeuroSim V1.3's "
        "accounting, see neurofab.cost.circuits.htree_channel_area; folded 16× in tiles, 4× on chip; a trip "
        "timed over NeuroSim's path, htree_trip_length × bus_wire_delay) or 'repeaters' (wires routed over "
        "logic, only the repeaters count; a trip timed as one optimally repeated wire across the tree)")
    htree_cycle: float | None = Field(
        None, gt=0, description="period [s] an H-tree trip is rounded up to, in whole periods each charged as one "
        "chip clock cycle; None: the chip's clock. DNN+NeuroSim V1.3 rounds to 1 ns: its H-trees are initialized "
        "with Param.cpp's clkFreq = 1 GHz (HTree.cpp, Initialize; Chip.cpp, Tile.cpp) before main.cpp sets the "
        "clock from the sensing path, and their cycle counts are then charged at that clock")
    htree_rc: Literal["card", "neurosim"] = Field(
        "card", description="electrical parameters the H-tree buses are sized and timed with: the card's ('card') "
        "or DNN+NeuroSim V1.3's at 22 nm ('neurosim', neurofab.cost.circuits.NEUROSIM_22NM_BUS: repeaters sized "
        "for its 13.3 Ω/µm local wire, its 1.43 fF/µm gate capacitance, its 2.46 Ω/µm bus wire; 22 nm only)")
    input_density: float = Field(0.5, ge=0, le=1, description="fraction of ones among input bits when no "
                                 "measured activity is given [1]")
    weight_level: float = Field(0.5, ge=0, le=1, description="mean stored level of a weight slice in [0, 1] "
                                "when no measured activity is given [1]")

    @model_validator(mode="after")
    def _check(self) -> CIMConfig:
        if self.cols % self.columns_per_adc:
            raise ValueError(f"columns_per_adc = {self.columns_per_adc} must divide cols = {self.cols}")
        if self.rows_parallel is not None and self.rows_parallel > self.rows:
            raise ValueError(f"rows_parallel = {self.rows_parallel} exceeds rows = {self.rows}")
        if self.cells_per_weight > self.cols:
            raise ValueError(f"a weight needs {self.cells_per_weight} columns, more than cols = {self.cols}")
        if self.sensing == "voltage" and self.adc == "sar" and self.cell.kind != "sram":
            raise ValueError(f"adc = {self.adc!r}: sensing = 'voltage' compares the bit line with references "
                             "and needs adc = 'flash' (reference columns) or 'mlsa' (references inside)")
        levels = (self.rows_parallel or self.rows) * (2**self.cell.bits_per_cell - 1) + 1
        if 2**self.adc_bits > levels:  # NeuroSim V1.3 refuses such designs too
            raise ValueError(f"adc_bits = {self.adc_bits}: {2**self.adc_bits} codes exceed the {levels} distinct "
                             f"column sums of {self.rows_parallel or self.rows} rows of "
                             f"{self.cell.bits_per_cell}-bit cells")
        try:
            self.tech()  # an untabulated node or a vdd the node cannot take: refused here, not at estimate()
        except NeurofabError as err:
            raise ValueError(f"node_nm = {self.node_nm!r}, vdd = {self.vdd!r}, roadmap = {self.roadmap!r}: "
                             f"{err}") from None
        if self.per_column_shift_add and self.shift_add != "two-stage":
            raise ValueError("weight_shift_add = 'per-column' describes shift_add = 'two-stage', not "
                             f"shift_add = {self.shift_add!r}")
        if self.htree_rc == "neurosim" and self.node_nm != 22:
            raise ValueError(f"htree_rc = 'neurosim' is tabulated at 22 nm only, not node_nm = {self.node_nm}")
        return self

    @property
    def cells_per_weight(self) -> int:
        return math.ceil(self.weight_bits / self.cell.bits_per_cell)

    @property
    def per_column_shift_add(self) -> bool:
        """The first commit's two-stage accounting (``weight_shift_add='per-column'``): no weight stage, the trees
        and buffers above the input stage cells_per_weight bits narrower and working once per column read."""
        return self.weight_shift_add == "per-column"

    @property
    def factors(self) -> Calibration:
        if self.calibration is not None:
            return self.calibration
        return LU2021 if self.validated else RAW

    def tech(self) -> Technology:
        return technology(self.node_nm, vdd=self.vdd, roadmap=self.roadmap)


def table7_config(device: str, **changes) -> CIMConfig:
    """The designs of Lu et al. 2021, Table 7: ``device`` one of '7nm-sram', '22nm-sram', 'rram_he2020',
    'rram_wu2018', 'pcm_kim2019', 'fefet_ni2018' (eNVMs at 22 nm; 4-bit ADC for SRAM, 5-bit for eNVM). The paper
    ran them on NeuroSim V1.3, so its conventions are kept: multilevel sense amplifiers, novel mapping with weight
    duplication, (H − K + 1)² input vectors, full-swing interconnect, eNVM access transistors at 0.25·R_on, the
    floorplan it picks for VGG-8 (512 × 512 PEs, 1024 × 1024 tiles: pe_grid = 4) on every design we ran, and its
    TOPS/W accounting (operations 2·H_in·W_in·C_in·K²·C_out, leakage energy of the idle tiles), its leakage count
    (``leakage_scope='tiles'``, ``leakage_model='neurosim'``: :mod:`neurofab.cost.leakage`), its H-tree trips
    counted in 1 ns periods (``htree_cycle``), its transistors and supply (the PTM LP card, ``roadmap='lstp'``:
    0.85 V at 22 nm), its minimum-size mux decoder outputs (``mux_decoder``) and its mux switches
    (``mux_sizing='all-rows'``: all rows' mean cell resistance × 0.25, SRAM read ports × 0.125); eNVM designs with
    its bit-line read delay (``bitline_delay``: 0.2 × the column's RC at the mean cell) and bit-line charge from
    the read rail (``bitline_energy``); SRAM designs with its column current (every activated
    row's read port, ``sram_column_current='activated'``) and its precharge of every column at every mux step
    (``sram_precharge='every-column'``); the 22 nm designs with its bus wire and repeater parameters
    (``htree_rc='neurosim'``: :data:`~neurofab.cost.circuits.NEUROSIM_22NM_BUS`) and its adder-tree stages of two
    cycles (``adder_stage_cycles``: its 22 nm adders rounded to its 1 GHz initialization clock); both measured at
    22 nm only, so the 7 nm SRAM, and a design moved to another node, keeps the card's bus and one cycle a stage.
    Every design counts and prices its buffers as it does (``buffer_energy='neurosim'``: flip-flops and register
    files; every Table 7 energy moves by under 1 %).
    Its fixed-size level shifters and source-line switches (``level_shifter_sizing='neurosim'``,
    ``source_line_switches``) are left out: the public V1.3 code with them prices the 4-bit 100 kΩ RRAM chip at
    32.8 mm² where the paper prints 25.57 mm² (ours without them 25.6). So are its word lines pulsed at every mux
    step (``word_line_pulses``): with them the 6 kΩ RRAM chip's energy is 59.6 µJ where the paper prints 37.75.
    The accounting is the current release's; ``weight_shift_add='per-column'``, ``sense_amp_area='first-release'``
    and ``sram_cell_fins='as-drawn'`` give that of V1.3's first commit, the version the paper ran (the neurosim
    reproduction judges Table 7 on it)."""
    if device in ("7nm-sram", "22nm-sram"):
        base = CIMConfig(node_nm=int(device.split("nm")[0]), cell=CELL_PRESETS["sram_8t"], adc_bits=4,
                         output_pixels="valid", interconnect_swing=None, pe_grid=4, op_count="neurosim",
                         leakage_energy="idle", leakage_scope="tiles", leakage_model="neurosim",
                         htree_cycle=NEUROSIM_HTREE_CYCLE, mux_decoder="minimum", roadmap="lstp",
                         sram_column_current="activated", sram_precharge="every-column", mux_sizing="all-rows",
                         mux_resistance_fraction=NEUROSIM_SRAM_MUX_FRACTION,
                         htree_rc="neurosim" if device == "22nm-sram" else "card",
                         adder_stage_cycles=NEUROSIM_ADDER_STAGE_CYCLES if device == "22nm-sram" else 1,
                         buffer_energy="neurosim")
    elif device in CELL_PRESETS and device != "sram_8t":
        base = CIMConfig(node_nm=22, cell=CELL_PRESETS[device], adc_bits=5, access_resistance_fraction=0.25,
                         output_pixels="valid", interconnect_swing=None, pe_grid=4, op_count="neurosim",
                         leakage_energy="idle", leakage_scope="tiles", leakage_model="neurosim",
                         htree_cycle=NEUROSIM_HTREE_CYCLE, roadmap="lstp", mux_decoder="minimum",
                         mux_sizing="all-rows", mux_resistance_fraction=NEUROSIM_ENVM_MUX_FRACTION,
                         bitline_delay="neurosim", bitline_energy="neurosim",
                         htree_rc="neurosim", adder_stage_cycles=NEUROSIM_ADDER_STAGE_CYCLES,
                         buffer_energy="neurosim")
    else:
        raise UnknownNameError(f"unknown Table 7 design {device!r}; known: 7nm-sram, 22nm-sram, "
                               + ", ".join(k for k in CELL_PRESETS if k != "sram_8t"))
    if changes.get("node_nm", base.node_nm) != 22:  # NeuroSim's bus and adder timing: measured at 22 nm only
        changes = {"htree_rc": "card", "adder_stage_cycles": 1, **changes}
    return base.replace(**changes) if changes else base


#: DNN+NeuroSim V1.3's eNVM bit-line delay: this fraction of the column's RC time constant (SubArray.cpp: "assume the
#: 15~20% voltage drop is enough for sensing"), used with ``bitline_delay='neurosim'``.
NEUROSIM_BITLINE_DROP = 0.2


# ===== the sub-array ========================================================================================
@dataclass(frozen=True)
class SubArray:
    """A sized sub-array and its periphery at one node, with per-event energies (J) and delays (s).

    ``timing`` breaks the sensing window into its parts [s]: 'row' (word-line driver + level shifter), 'mux'
    (mux decoder + switch), 'precharge' (SRAM), 'bit line' (development or settling), 'adc' (decision + encoder).
    """

    config: CIMConfig
    tech: Technology
    area: dict[str, float]  # m², by part
    leakage: float  # W
    t_sense: float  # sensing window before β [s]
    t_current: float  # part of it during which the cells conduct [s]
    t_digital: float  # shift-add stage [s]
    c_bitline: float  # bit line alone [F]
    c_node: float  # sensed node: bit line (eNVM voltage mode, SRAM) or ADC node (eNVM current mode) [F]
    i_full_scale: float  # column current at the top code [A]
    g_on: float  # one conducting branch at the lowest resistance [S] (SRAM: read port at V_DD)
    g_off: float  # one branch at the highest resistance [S]
    e_adc: float  # one conversion, references included [J]
    e_row: float  # one row activation for a read: the driver (+ level shifter if read_level_shifters) [J]
    e_mux_step: float  # one mux step of all ADC inputs [J]
    e_shift_add: float  # one shift-add operation, raw [J]
    e_shift_add_dff: float  # flip-flop part of it, raw [J]
    shift_add_bits: int
    line: ColumnLine
    sense: DividerSense | ClampSense | DischargeSense
    r_mux: float  # mux on-resistance [Ω]
    mux: ColumnMux
    adc: Adc
    timing: dict[str, float] = field(default_factory=dict)
    e_reference: float = 0.0  # reference columns' share of one conversion (voltage mode), inside e_adc [J]
    mlsa: Mlsa | None = None  # the multilevel sense amplifier when adc = 'mlsa' (its column-current term)
    leakage_parts: dict[str, float] = field(default_factory=dict)  # leakage by block [W], summing to leakage
    e_wordline: float = 0.0  # the word line's own charge in one activation, C_WL·V_DD², inside e_row [J]

    @property
    def total_area(self) -> float:
        return sum(self.area.values())

    @property
    def rows_on(self) -> int:
        return self.config.rows_parallel or self.config.rows

    @property
    def n_adc(self) -> int:
        return self.config.cols // self.config.columns_per_adc

    def column_conductance(self, active_rows: float, input_density: float, weight_level: float) -> float:
        """Mean column conductance seen at the line's end [S]: ``active_rows``·density conducting branches at the
        mean level G_off + (G_on − G_off)·level, through half the wire (eNVM only)."""
        g_sum = active_rows * input_density * (self.g_off + (self.g_on - self.g_off) * weight_level)
        return self.line.column_conductance(g_sum)

    def column_current(self, active_rows: float, input_density: float, weight_level: float) -> float:
        """Mean column current of one conversion [A] with ``active_rows`` rows mapped and switched on."""
        cfg = self.config
        if cfg.cell.kind == "sram":  # conducting read ports: input bit 1 and stored bit 1 (or, with
            # sram_column_current='activated', every activated row's port: NeuroSim V1.3's count)
            v = cfg.cell.read_voltage if self.mlsa is not None else self.tech.vdd
            stored = weight_level if cfg.sram_column_current == "stored" else 1.0
            return active_rows * input_density * stored * self.g_on * v
        g = self.column_conductance(active_rows, input_density, weight_level)
        if isinstance(self.sense, DividerSense):
            return self.sense.current(_series(g, self.r_mux))
        return cfg.cell.read_voltage * g

    def conversion_energy(self, active_rows: float, input_density: float, weight_level: float) -> dict[str, float]:
        """Energy of one column conversion [J] by part: 'array' (column current and bit-line charge) and 'adc'
        (comparators, encoder, references).

        SRAM: the precharge restores the swing, C·V_DD·ΔV. Current mode: V_DD·I·t_on (the read voltage is
        regulated from V_DD) + C_BL·V_DD·V_read. Voltage mode: V_DD·I·t_on + C_node·V_DD·V(G) (the node, reset to 0,
        charges to the divider voltage). MLSA: C_BL·V_DD·V_read (``bitline_energy='neurosim'``: C_BL·V_read²; SRAM
        with sram_precharge='every-column': × the columns per ADC), and in 'adc' the fitted power of the amplifier
        (its column term, ∝ 1/R_column, carries the cell current) over its conversion time."""
        t = self.tech
        i_col = self.column_current(active_rows, input_density, weight_level)
        sense = self.sense
        if self.mlsa is not None:  # the fitted MLSA power holds the column current's (NeuroSim's split)
            v_read = self.config.cell.read_voltage
            r_col = v_read / i_col if i_col > 0 else math.inf
            cfg = self.config
            # SRAM, 'every-column': the word lines open every column's read port at each mux step, so each
            # conversion recharges its own bit line and the columns_per_adc − 1 it does not sense
            lines = (cfg.columns_per_adc if cfg.cell.kind == "sram" and cfg.sram_precharge == "every-column"
                     else 1)
            v_source = v_read if cfg.bitline_energy == "neurosim" and cfg.cell.kind != "sram" else t.vdd
            return {"array": lines * self.c_bitline * v_source * v_read,
                    "adc": self.e_adc + self.mlsa.column_energy(r_col, v_read)}
        if isinstance(sense, DischargeSense):
            e_array = self.c_node * t.vdd * sense.swing(i_col)
        elif isinstance(sense, DividerSense):
            g = _series(self.column_conductance(active_rows, input_density, weight_level), self.r_mux)
            e_array = t.vdd * i_col * self.t_current + self.c_node * t.vdd * sense.v_bitline(g)
        else:
            e_array = t.vdd * i_col * self.t_current + self.c_bitline * t.vdd * self.config.cell.read_voltage
        return {"array": e_array, "adc": self.e_adc}


def _series(g: float, r: float) -> float:
    """Conductance ``g`` [S] in series with a resistance ``r`` [Ω]."""
    return 0.0 if g == 0 else 1.0 / (1.0 / g + r)


def _cell_area(cfg: CIMConfig, tech: Technology) -> float:
    if cfg.cell.area_f2 is not None:
        return cfg.cell.area_f2 * tech.feature_size**2
    if cfg.cell.kind == "sram":
        return tech.sram_8t_area
    return 75 * tech.feature_size**2


def build_subarray(cfg: CIMConfig) -> SubArray:
    """Size one sub-array of ``cfg`` and compute its per-event costs (see :mod:`neurofab.cost.sensing` for the
    read schemes)."""
    t = cfg.tech()
    f = cfg.factors
    cell = cfg.cell
    a_cell = _cell_area(cfg, t)
    pitch = math.sqrt(a_cell)
    is_sram = cell.kind == "sram"
    # SRAM read port: bit-cell devices (one fin / 2·F); eNVM access transistor: one logic NMOS (it must also carry
    # the programming current)
    w_acc = t.bitcell_width if is_sram else t.nmos_width
    r_acc = None  # the card's k·V_DD/(I_on·W)
    if not is_sram and cfg.access_resistance_fraction is not None:  # sized so that R_acc = fraction·R_on, no
        # narrower than a minimum device (a high-R_on cell then sees less than that fraction). A read leaves the
        # access transistor in its linear region, so its resistance and width keep the sizing rule
        # R_acc = ¾·V_DD/(I_on·W) on every card (NeuroSim V1.3: R_acc = 0.25·R_on whatever its card)
        w_acc = max(t.bitcell_width, PASS_R_FACTOR * t.vdd / (t.i_on_n * cfg.access_resistance_fraction
                                                                  * cell.r_on))
        r_acc = PASS_R_FACTOR * t.vdd / (t.i_on_n * w_acc)
    rows, cols, m, bits = cfg.rows, cfg.cols, cfg.columns_per_adc, cfg.adc_bits
    rows_on = cfg.rows_parallel or rows
    n_adc = cols // m
    line = column_line(t, rows, pitch, w_acc, r_acc)
    c_wl = cols * (t.c_gate * w_acc + t.wire_capacitance * pitch)
    r_wl = t.wire_resistance * cols * pitch
    v_fs = cfg.adc_full_scale * t.vdd
    sigma = cfg.adc_offset_sigma_lsb
    ln_half_lsb = math.log(2 ** (bits + 1))
    # ----- row drive -----
    driver = row_driver(t, c_wl, r_wl)
    ls = None
    t_row, e_row = driver.delay, driver.energy
    if not is_sram:
        ls = level_shifter(t, max(cell.write_voltage, t.vdd), c_wl, cfg.io_layout_scale, v_switch=t.vdd)
        if cfg.read_level_shifters:  # a read word line driven through the level shifter
            t_row, e_row = t_row + ls.delay, e_row + ls.energy
        # else write path only: its high-voltage supply is gated off during inference, so a read neither waits
        # for nor charges it (NeuroSim V1.3 SubArray.cpp counts the level shifters in area only)
    # ----- column, mux, ADC, sensing -----
    timing: dict[str, float] = {"row": t_row}
    e_reference = 0.0
    extra_area: dict[str, float] = {}
    extra_leak = 0.0
    n_ref_cols = 0
    mlsa = None
    if cfg.adc == "mlsa":
        g_ref = read_port_current(t, w_acc) / t.vdd if is_sram else None
        if g_ref is None:
            g_on0 = line.branch_conductance(cell.r_on)
            g_off0 = line.branch_conductance(cell.r_on * cell.on_off_ratio)
            g_design = line.column_conductance(0.5 * rows_on * (g_off0 + 0.5 * (g_on0 - g_off0)))
        else:
            g_design = line.column_conductance(0.25 * rows_on * g_ref)
        mlsa = mlsa_adc(t, bits, r_column=1.0 / g_design, encoder_activity=f.epsilon,
                        mode="voltage" if not is_sram and cfg.sensing == "voltage" else "current",
                        amplifier_nmos=cfg.sense_amp_area == "all-devices")
    if is_sram and mlsa is None:
        i_cell = read_port_current(t, w_acc)
        g_on, g_off = i_cell / t.vdd, t.i_off * w_acc / t.vdd
        # charge-domain read: no DC current through the mux
        cmux = column_mux(t, cols, m, r_column=1e12, decoder_outputs=cfg.mux_decoder)
        adc = _make_adc(cfg, t, v_fs, sigma)
        c_node = line.c_line + cmux.c_node + adc.c_in
        sense = discharge_sense(i_cell, rows_on, v_fs, bits, c_node)
        pre = precharger(t, c_node, bits)
        timing["precharge"] = pre.delay
        timing["bit line"] = sense.t_develop + line.settle_time(bits) + cmux.r_on * c_node * ln_half_lsb
        i_fs = sense.i_full_scale
        extra_area["precharge"] = cols * pre.area
        extra_leak += cols * pre.leakage
        e_pre = pre.energy  # one column's precharge gate per conversion (the bit lines hold their charge)
    elif is_sram:  # precharged read bit line, read ports conducting, the column sensed by the MLSA
        i_cell = read_port_current(t, w_acc)
        g_on, g_off = i_cell / t.vdd, t.i_off * w_acc / t.vdd
        on_design = rows_on if cfg.mux_sizing == "all-rows" else 0.25 * rows_on
        cmux = column_mux(t, cols, m, 1.0 / line.column_conductance(on_design * g_on),
                          cfg.mux_resistance_fraction, decoder_outputs=cfg.mux_decoder)
        adc = mlsa.adc
        c_node = cmux.c_node + adc.c_in
        sense = clamp_sense(cell.read_voltage, cell.read_voltage * line.column_conductance(rows_on * g_on), v_fs,
                            bits, line.c_line, c_node, cmux.r_on)
        i_fs = sense.i_full_scale
        pre = precharger(t, line.c_line + c_node, bits)
        timing["precharge"] = pre.delay
        # one conducting cell (the smallest step) must move the line by half the minimum sense voltage
        timing["bit line"] = ((line.c_line + c_node) * 0.5 * cfg.min_sense_voltage / i_cell
                              + line.settle_time(bits))
        extra_area["precharge"] = cols * pre.area
        extra_leak += cols * pre.leakage
        e_pre = pre.energy
    else:
        g_on, g_off = line.branch_conductance(cell.r_on), line.branch_conductance(cell.r_on * cell.on_off_ratio)
        g_top = line.column_conductance(rows_on * g_on)
        g_avg_design = line.column_conductance(0.5 * rows_on * (g_off + 0.5 * (g_on - g_off)))
        if cfg.mux_sizing == "all-rows":  # NeuroSim: the cell's mean resistance, R_acc + (R_on + R_off)/2, per row
            r_cell_mean = line.r_access + 0.5 * cell.r_on * (1 + cell.on_off_ratio)
            g_avg_design = line.column_conductance(rows_on / r_cell_mean)
        cmux = column_mux(t, cols, m, 1.0 / g_avg_design, cfg.mux_resistance_fraction,
                          decoder_outputs=cfg.mux_decoder)
        e_pre = 0.0
        if cfg.sensing == "current":
            adc = mlsa.adc if mlsa is not None else _make_adc(cfg, t, v_fs, sigma)
            c_node = cmux.c_node + adc.c_in
            sense = clamp_sense(cell.read_voltage, cell.read_voltage * g_top, v_fs, bits, line.c_line, c_node,
                                cmux.r_on)
            i_fs = sense.i_full_scale
            # the MLSA's fitted conversion time includes its input settling; a voltage ADC waits for its node
            timing["bit line"] = (sense.t_bitline if mlsa is not None else sense.t_settle) + line.settle_time(bits)
            if cfg.bitline_delay == "neurosim":  # its column RC at the mean cell, to a 20 % drop
                r_cell_mean = line.r_access + 0.5 * cell.r_on * (1 + cell.on_off_ratio)
                timing["bit line"] = NEUROSIM_BITLINE_DROP * line.c_line * r_cell_mean / (rows / 2)
        elif mlsa is not None:  # voltage-mode MLSA: the divided bit line sensed against its internal references
            g_hi = _series(g_top, cmux.r_on)
            adc = mlsa.adc
            c_node = line.c_line + cmux.c_node + adc.c_in
            sense = divider_sense(cell.read_voltage, 0.0, g_hi, bits, c_node)
            i_fs = sense.current(g_hi)
            timing["bit line"] = sense.t_settle + line.settle_time(bits)
        else:
            g_hi = _series(g_top, cmux.r_on)
            probe = divider_sense(cell.read_voltage, 0.0, g_hi, bits, line.c_line)
            adc = flash_adc(t, bits, probe.v_span, sigma, step=probe.step_min, ladder=False)
            sharing = cfg.reference_sharing or n_adc
            c_node = line.c_line + cmux.c_node + adc.c_in
            c_ref = line.c_line + sharing * adc.comparator_c_in
            sense = divider_sense(cell.read_voltage, 0.0, g_hi, bits, c_node, c_ref)
            i_fs = sense.current(g_hi)
            timing["bit line"] = sense.t_settle + line.settle_time(bits)
            n_ref_cols = (2**bits - 1) * math.ceil(n_adc / sharing)
            extra_area["reference columns"] = rows * n_ref_cols * a_cell
    if is_sram:
        # write path that programs the weights: a write-word-line decoder onto the 6T access gates and a driver
        # per bit line of each complementary pair (sized with a stage effort of 4 for the line)
        c_wwl = cols * (2 * t.c_gate * w_acc + t.wire_capacitance * pitch)
        wdec = decoder(t, rows, c_wwl)
        wdrv = inverter(t, max(1.0, line.c_line / (4 * inverter(t).c_in)))
        extra_area["write path"] = wdec.area + 2 * cols * wdrv.area
        extra_leak += wdec.leakage + 2 * cols * wdrv.leakage
    timing["mux"] = cmux.decoder.delay + cmux.cost.delay
    timing["adc"] = adc.cost.delay
    t_current = timing["bit line"] + adc.cost.delay  # cells conduct from the word-line rise to the decision
    t_sense = timing.get("precharge", 0.0) + max(t_row, timing["mux"]) + t_current
    e_adc = adc.cost.energy + e_pre
    if isinstance(sense, DividerSense) and mlsa is None:  # reference columns: DC current for the window, nodes
        # charged once
        sharing = cfg.reference_sharing or n_adc
        e_reference = (t.vdd * sense.reference_current * t_current
                       + sense.c_reference * t.vdd * sense.reference_charge_voltage) / sharing
        e_adc += e_reference
    # ----- digital: shift-add over weight slices and input bits -----
    lanes = _shift_add_lanes(cfg, t)
    # ----- area and leakage -----
    area = {
        "array": rows * cols * a_cell,
        "row drivers": rows * driver.area,
        "mux": cmux.cost.area + cmux.decoder.area,
        "adc": n_adc * adc.cost.area,
        "shift-add": n_adc * lanes.area,
    }
    area.update(extra_area)
    if not is_sram and cfg.source_line_switches:  # write-bias select per source line: flip-flop + two TGs
        sl = dff(t)
        area["source-line switches"] = cols * (sl.area + 2 * transmission_gate(t).area)
        extra_leak += cols * sl.leakage
    leak_parts = {"row drivers": rows * driver.leakage, "mux": cmux.cost.leakage + cmux.decoder.leakage,
                  "adc": n_adc * adc.cost.leakage, "shift-add": n_adc * lanes.leakage, "other": extra_leak}
    if is_sram:
        leak_parts["array"] = rows * cols * 4 * w_acc * t.i_off * t.vdd  # 6T core (3 off devices) + read port
    if cfg.leakage_model == "neurosim":
        leak_parts = _neurosim_subarray_leakage(cfg, t, adc)
    leak = sum(leak_parts.values())
    if ls is not None:
        n_ls = rows + 2 * (cols + n_ref_cols)  # WL, and BL + SL of every data and reference column
        a_ls = fixed_level_shifter_area(t, cfg.io_layout_scale) if cfg.level_shifter_sizing == "neurosim" else ls.area
        area["level shifters"] = n_ls * a_ls * f.alpha
        # the level shifters serve the write path: their high-voltage supply is gated off during inference, so
        # they do not leak (NeuroSim V1.3 SubArray.cpp counts them in area only)
    e_mux_step = cmux.cost.energy + cmux.decoder.energy
    return SubArray(
        config=cfg, tech=t, area=area, leakage=leak, t_sense=t_sense, t_current=t_current, t_digital=lanes.delay,
        c_bitline=line.c_line, c_node=c_node, i_full_scale=i_fs, g_on=g_on, g_off=g_off, e_adc=e_adc,
        e_row=e_row, e_mux_step=e_mux_step, e_shift_add=lanes.energy, e_shift_add_dff=lanes.energy_dff,
        shift_add_bits=lanes.out_bits, line=line, sense=sense, r_mux=cmux.r_on, mux=cmux, adc=adc, timing=timing,
        e_reference=e_reference, mlsa=mlsa, leakage_parts=leak_parts, e_wordline=c_wl * t.vdd**2,
    )


def _neurosim_subarray_leakage(cfg: CIMConfig, t: Technology, adc: Adc) -> dict[str, float]:
    """One sub-array's leakage by block [W] as NeuroSim V1.3 counts it (SubArray.cpp; see
    :mod:`neurofab.cost.leakage`): switch-matrix flip-flops (WL per row; eNVM also SL per column), the mux decoder
    (eNVM), the MLSA encoders (its amplifiers do not leak; a flash or SAR ADC keeps our own leakage), the two
    shift-add stages (with ``shift_add='lane'``, which NeuroSim does not have, our lanes' own leakage), and for
    SRAM the cells, precharge PMOS and write drivers."""
    rows, cols, m = cfg.rows, cfg.cols, cfg.columns_per_adc
    n_adc, bits, c, n_in = cols // m, cfg.adc_bits, cfg.cells_per_weight, cfg.input_bits
    sram = cfg.cell.kind == "sram"
    parts = {"row drivers": lk.dff(t, rows if sram else rows + cols),
             "mux": 0.0 if sram else lk.mux_decoder(t, m),
             "adc": lk.mlsa_encoder(t, bits, n_adc) if cfg.adc == "mlsa" else n_adc * adc.cost.leakage}
    sa = 0.0
    if cfg.shift_add == "lane":
        lanes = _shift_add_lanes(cfg, t)
        sa = n_adc * lanes.leakage
    else:
        per_column = cfg.per_column_shift_add
        if c > 1 and not per_column:
            sa += lk.shift_add(t, n_adc, bits, c)
        if n_in > 1:
            sa += lk.shift_add(t, n_adc, bits + 1 if per_column else bits + c, n_in)
    parts["shift-add"] = sa
    if sram:
        parts["array"] = rows * cols * lk.sram_cell(t, cfg.sram_cell_fins)
        parts["other"] = cols * lk.sram_column(t)
    return parts


@dataclass(frozen=True)
class ShiftAddLanes:
    """The digital lanes behind one ADC: area [m²], leakage [W], stage delay [s]; ``energy`` (raw, of which
    ``energy_dff`` in flip-flops) per column conversion [J]; ``out_bits`` the width handed to the adder trees."""

    area: float
    leakage: float
    delay: float
    energy: float
    energy_dff: float
    out_bits: int


def _tree_step(t: Technology, n_inputs: int, bits: int, per_level: bool) -> float:
    """Time [s] one clock cycle must hold for an adder tree of ``n_inputs`` words of ``bits`` bits and the
    flip-flop that catches its result: its slowest level, the widest ripple adder (``per_level``: the tree is
    clocked a level per cycle, as NeuroSim V1.3 counts its synchronous adder trees), else the whole tree."""
    if n_inputs < 2:
        return 0.0
    if per_level:
        return ripple_adder(t, bits + math.ceil(math.log2(n_inputs)) - 1).delay + dff(t).delay
    return adder_tree(t, n_inputs, bits).delay + dff(t).delay


def _shift_add_lanes(cfg: CIMConfig, t: Technology) -> ShiftAddLanes:
    """Shift-add lanes of one ADC.

    'two-stage' (NeuroSim V1.3 SubArray.cpp, ShiftAdd.cpp): a weight shift-adder — an adc_bits adder and
    adc_bits + c flip-flops, c = cells per weight — combines the c slices of a weight as the mux steps through
    them (one operation per conversion); an input shift-adder — an (adc_bits + c)-bit adder and
    adc_bits + c + input_bits flip-flops — combines the input bits (one operation per weight, i.e. per c
    conversions). Stages are left out when c = 1 or input_bits = 1. These are NeuroSim's widths; the exact
    weighted sum needs adc + (c − 1)·cell bits in the first stage ('lane').
    'lane': one shift-add of adc + input + weight bits per ADC, plus a register per extra weight the mux
    serves."""
    bits, c, n_in, m = cfg.adc_bits, cfg.cells_per_weight, cfg.input_bits, cfg.columns_per_adc
    if cfg.per_column_shift_add:  # the first commit: the input stage alone, once per conversion
        if n_in == 1:
            return ShiftAddLanes(area=0.0, leakage=0.0, delay=0.0, energy=0.0, energy_dff=0.0, out_bits=bits)
        add, reg = ripple_adder(t, bits + 1), register(t, bits + 1 + n_in)
        return ShiftAddLanes(area=add.area + reg.area, leakage=add.leakage + reg.leakage,
                             delay=add.delay + dff(t).delay, energy=add.energy + reg.energy,
                             energy_dff=reg.energy, out_bits=bits + n_in)
    if cfg.shift_add == "lane":
        w = bits + n_in + cfg.weight_bits
        sa, reg = shift_add(t, w), register(t, w)
        extra = max(1, m // c) - 1
        return ShiftAddLanes(area=sa.area + extra * reg.area, leakage=sa.leakage + extra * reg.leakage,
                             delay=sa.delay, energy=sa.energy, energy_dff=reg.energy, out_bits=w)
    area = leak = e = e_dff = 0.0
    delay = 0.0
    width = bits
    if c > 1:
        add, reg = ripple_adder(t, bits), register(t, bits + c)
        area += add.area + reg.area
        leak += add.leakage + reg.leakage
        e += add.energy + reg.energy
        e_dff += reg.energy
        delay = max(delay, add.delay + dff(t).delay)
        width = bits + c
    if n_in > 1:
        add, reg = ripple_adder(t, bits + c), register(t, bits + c + n_in)
        area += add.area + reg.area
        leak += add.leakage + reg.leakage
        per = 1.0 / min(c, m)  # one input-stage operation per weight read through the mux
        e += (add.energy + reg.energy) * per
        e_dff += reg.energy * per
        delay = max(delay, add.delay + dff(t).delay)
        width = bits + c + n_in
    return ShiftAddLanes(area=area, leakage=leak, delay=delay, energy=e, energy_dff=e_dff, out_bits=width)


def _make_adc(cfg: CIMConfig, t: Technology, v_fs: float, sigma: float) -> Adc:
    if cfg.adc == "flash":
        return flash_adc(t, cfg.adc_bits, v_fs, sigma)
    return sar_adc(t, cfg.adc_bits, v_fs, sigma)


# ===== the chip =============================================================================================
@dataclass(frozen=True)
class LayerResult:
    """One layer on the chip."""

    name: str
    tiles: int
    subarrays: int
    utilization: float
    cycles: float
    latency: float  # [s]
    energy: dict[str, float]  # [J] by part
    ops: float
    copies: int = 1  # weight copies (the layer's speed-up)
    leakage: float = 0.0  # [W] of the layer's tiles


@dataclass
class ChipEstimate:
    """What :func:`estimate` returns. SI units: m², s, J, W."""

    config: CIMConfig
    area: dict[str, float]
    clock_period: float
    sensing_window: float
    cycles: float
    latency: float
    energy: dict[str, float]
    leakage_power: float
    ops: float
    utilization: float
    tiles: int
    layers: list[LayerResult] = field(default_factory=list)
    latency_parts: dict[str, float] = field(default_factory=dict)  # [s]: adc, accumulation, buffers, interconnect
    idle_leakage_energy: float = 0.0  # [J] tiles of the other layers leaking while each layer runs

    @property
    def total_area(self) -> float:
        return sum(self.area.values())

    @property
    def dynamic_energy(self) -> float:
        return sum(self.energy.values())

    @property
    def leakage_energy(self) -> float:
        """Leakage energy of one inference [J]: the chip's leakage power × latency, or with
        ``leakage_energy='idle'`` NeuroSim V1.3's count (main.cpp): only the tiles of the other layers, over each
        layer's latency, each counted at the leakage of one tile of the running layer: Σᵢ (N − nᵢ)·ℓᵢ·Tᵢ for N
        tiles, layer i on nᵢ tiles leaking ℓᵢ each for Tᵢ."""
        if self.config.leakage_energy == "idle":
            return self.idle_leakage_energy
        return self.leakage_power * self.latency

    @property
    def total_energy(self) -> float:
        """Pre-layout energy of one inference [J]: dynamic + leakage over the latency."""
        return self.dynamic_energy + self.leakage_energy

    @property
    def tops_per_w(self) -> float:
        """Pre-layout energy efficiency: ops / (E_dyn + P_leak·latency) [TOPS/W]."""
        return self.ops / self.total_energy / 1e12

    @property
    def tops_per_w_post_layout(self) -> float:
        """Post-layout energy efficiency: pre-layout / η (η of the calibration in use) [TOPS/W]."""
        return self.tops_per_w / self.config.factors.eta

    @property
    def tops_per_mm2(self) -> float:
        """Compute density: ops / (latency · area) [TOPS/mm²]."""
        return self.ops / self.latency / (self.total_area * 1e6) / 1e12

    def summary(self) -> dict[str, float]:
        """The headline numbers in the units of the paper's Table 7."""
        return {
            "area_mm2": self.total_area * 1e6,
            "utilization": self.utilization,
            "clock_ns": self.clock_period * 1e9,
            "latency_ms": self.latency * 1e3,
            "dynamic_energy_uJ": self.dynamic_energy * 1e6,
            "leakage_mW": self.leakage_power * 1e3,
            "tops_per_mm2": self.tops_per_mm2,
            "tops_per_w": self.tops_per_w,
            "tops_per_w_post_layout": self.tops_per_w_post_layout,
        }


def _activity(cfg: CIMConfig, layer: LayerSpec, activity: dict[str, LayerActivity] | None) -> tuple[float, float]:
    if activity and layer.name in activity:
        a = activity[layer.name]
        return a.input_density, a.weight_level
    return cfg.input_density, cfg.weight_level


def _copies(r: int, c: int, block_r: int, block_c: int, unit_r: int, unit_c: int) -> int:
    """Copies of an r × c weight matrix that a block of block_r × block_c cells holds when it is built of
    unit_r × unit_c units and the matrix fits the block along at least one side (NeuroSim V1.3 Chip.cpp,
    PEDesign and SubArrayDup): along each side floor(units of the block / units the matrix needs), at least 1."""
    if r > block_r and c > block_c:
        return 1
    dr = max(1, (block_r // unit_r) // math.ceil(r / unit_r))
    dc = max(1, (block_c // unit_c) // math.ceil(c / unit_c))
    return dr * dc


@dataclass(frozen=True)
class Placement:
    """Where one layer sits: ``novel`` (one PE per kernel position in a K²-PE tile) or conventional tiles;
    ``row_blocks`` × ``col_blocks`` sub-arrays of one weight copy, ``tiles`` allocated, ``copies`` of the weights
    in the space those tiles would leave empty (the layer's speed-up)."""

    layer: LayerSpec
    novel: bool
    row_blocks: int
    col_blocks: int
    tiles: int
    copies: int


def novel_pes(cfg: CIMConfig, layers: list[LayerSpec]) -> int:
    """PEs of a novel-mapped tile: the most frequent K² > 1 among the layers (first in order on a tie; NeuroSim
    V1.3 Chip.cpp, ChipDesignInitialize); 0 with conventional mapping or no convolution."""
    k2 = [lay.kernel**2 for lay in layers if lay.kernel > 1]
    return max(k2, key=k2.count) if k2 and cfg.mapping == "novel" else 0


def place(cfg: CIMConfig, layers: list[LayerSpec]) -> list[Placement]:
    """Map every layer onto tiles. Conventional: the K²·C_in × C_out·cells matrix cut into square tiles of
    (tile_grid·pe_grid)² sub-arrays. Novel (``mapping='novel'``, NeuroSim V1.3's default): a convolution whose K²
    is the chip's K²-PE tile and whose K²·C_in fills at least one sub-array's rows puts each kernel position's
    C_in × C_out·cells slice in its own PE of pe_grid² sub-arrays; other layers are conventional. With
    ``duplicate``, a layer's weights are copied into the PEs and sub-arrays its tiles would leave empty
    (:func:`_copies`), dividing its compute time."""
    rows, cols, p, g, n_cw = cfg.rows, cfg.cols, cfg.pe_grid, cfg.tile_grid, cfg.cells_per_weight
    pe_r, pe_c = p * rows, p * cols
    tile_r, tile_c = g * pe_r, g * pe_c
    n_pe = novel_pes(cfg, layers)
    out = []
    for layer in layers:
        width = layer.out_channels * n_cw
        c_blocks = math.ceil(width / cols)
        if n_pe and layer.kernel**2 == n_pe and layer.rows >= rows:
            r_blocks = layer.kernel**2 * math.ceil(layer.in_channels / rows)
            tiles = math.ceil(layer.in_channels / pe_r) * math.ceil(width / pe_c)
            copies = _copies(layer.in_channels, width, pe_r, pe_c, rows, cols)
            out.append(Placement(layer, True, r_blocks, c_blocks, tiles, copies if cfg.duplicate else 1))
        else:
            r_blocks = math.ceil(layer.rows / rows)
            tiles = math.ceil(layer.rows / tile_r) * math.ceil(width / tile_c)
            copies = (_copies(layer.rows, width, tile_r, tile_c, pe_r, pe_c)
                      * _copies(layer.rows, width, pe_r, pe_c, rows, cols))
            out.append(Placement(layer, False, r_blocks, c_blocks, tiles, copies if cfg.duplicate else 1))
    return out


@dataclass(frozen=True)
class _TileKind:
    """One kind of tile: its PEs, area [m²], leakage [W], sub-arrays, buffer and H-tree."""

    pes: int
    area: float
    core: float
    accumulation: float
    buffers: float
    interconnect: float
    leakage: float
    subarrays: int
    buf: SramAccess
    ht: Cost
    outer_leakage: float = 0.0  # [W] H-trees and activation units (counted with leakage_scope='chip')


def _neurosim_tile_leakage(cfg: CIMConfig, sub: SubArray, x: Placement, kind: _TileKind) -> float:
    """Leakage of one tile holding layer ``x`` [W] as NeuroSim V1.3 counts it (Tile.cpp, ProcessingUnit.cpp; see
    :mod:`neurofab.cost.leakage`): its PEs' sub-arrays, the PE adder trees over the sub-array rows the layer
    occupies in a PE (adc + input + cells + 1 bits, one per ADC lane of a PE), the PE flip-flop buffers
    (input_bits × rows in; per ADC the shift-add width + tree stages out), the tile's adder trees (K² or
    tile_grid inputs, adc + input + cells + 1 + log₂ pe_grid bits, one per ADC lane of K² or tile_grid PEs) and
    one register-file core of each tile buffer."""
    t, p, g, rows = sub.tech, cfg.pe_grid, cfg.tile_grid, cfg.rows
    n_adc, n_in = sub.n_adc, cfg.input_bits
    stages = math.ceil(math.log2(p)) if p > 1 else 0
    tree_bits = sub.shift_add_bits + 1
    rows_in_pe = min(x.layer.in_channels if x.novel else x.layer.rows, p * rows)
    used = min(p, math.ceil(rows_in_pe / rows))
    pe = (p * p * sub.leakage + lk.adder_tree(t, used, tree_bits, p * n_adc)
          + lk.dff(t, n_in * rows) + lk.dff(t, n_adc * (sub.shift_add_bits + stages)))
    width = kind.pes if x.novel else g  # NeuroSim's numPENM (K²) or numPECM (PEs per tile side)
    tile_bits = tree_bits + stages
    tree = lk.adder_tree(t, width, tile_bits, width * n_adc)
    buffers = lk.register_file_core(t, width * n_in * rows) + lk.register_file_core(t, width * n_adc * tile_bits)
    return kind.pes * pe + tree + buffers


def _global_bus(cfg: CIMConfig, plan: list[Placement], side_nm: int) -> float:
    """Global bus width [bit] (NeuroSim V1.3 Chip.cpp): Σ over layers of (tile side + tile side / columns per
    ADC) cells, halved while above 2,048 bits (Param.cpp maxGlobalBusWidth)."""
    bus = 0.0
    for x in plan:
        w = (side_nm if x.novel else cfg.tile_grid) * cfg.pe_grid * cfg.rows
        bus += w + w / cfg.columns_per_adc
    while bus > _BufferTiming.MAX_GLOBAL_BUS:
        bus /= 2
    return bus


@dataclass(frozen=True)
class NeuroSimBufferBits:
    """Bits one layer moves through DNN+NeuroSim V1.3's buffers (per inference) [bit].

    ``pe_dff``: bits clocked through the PE flip-flop buffers (input and output); ``tile_rf``: bits written to the
    tile register files (each is read once too); ``global_read`` / ``global_write``: bits read from / written to the
    global register file."""

    pe_dff: float
    tile_rf: float
    global_read: float
    global_write: float


def neurosim_buffer_bits(cfg: CIMConfig, x: Placement, vectors: int, n_pe_nm: int) -> NeuroSimBufferBits:
    """Buffer traffic of one layer as DNN+NeuroSim V1.3 counts it (``vectors`` input vectors, V; b input bits;
    R = K²·C_in weight rows; C_out outputs; weight copies do not change it):

    - PE flip-flops (ProcessingUnit.cpp bufferInput/bufferOutput): every PE takes its rows of every input bit,
      R · b · V over a layer's PE columns, ⌈C_out·cells / PE columns⌉ of them; every PE clocks out its adder
      tree's words, C_out · (adc + b + cells + 1) · V per PE row (⌈R / PE rows⌉ conventional; a novel tile's K²
      PEs each give every output of its ⌈C_in / PE rows⌉ tile rows);
    - tile register files (Tile.cpp numBitToLoadOut / numBitToLoadIn, each written and read): the tile's inputs,
      R · b · V over the tile columns (÷ √K² novel), and its outputs at the accumulation width + 1,
      C_out · (1 + adc + b + cells + 1 + log₂ pe_grid) · V over the tile rows (÷ K² novel);
    - global register file (Chip.cpp): R · b · V read (÷ K novel), C_out · b · V written (÷ 4 after pooling).
    """
    cfg_rows, cols, p, g = cfg.rows, cfg.cols, cfg.pe_grid, cfg.tile_grid
    lay, n_cw, b = x.layer, cfg.cells_per_weight, cfg.input_bits
    used_cols = lay.out_channels * n_cw
    pe_cols = math.ceil(used_cols / (p * cols))
    pe_word = cfg.adc_bits + b + (0 if cfg.per_column_shift_add else n_cw) + 1
    acc = pe_word + math.ceil(math.log2(max(1, p)))
    vb = vectors * b
    if x.novel:
        tile_rows = math.ceil(lay.in_channels / (p * cfg_rows))
        pe_dff = lay.rows * pe_cols * vb + n_pe_nm * lay.out_channels * tile_rows * pe_word * vectors
        tile_rf = (lay.rows * pe_cols * vb / math.sqrt(n_pe_nm)
                   + lay.out_channels * tile_rows * (1 + acc) * vectors / n_pe_nm)
        g_read = lay.rows * vb / lay.kernel
    else:
        pe_rows = math.ceil(lay.rows / (p * cfg_rows))
        tile_cols = math.ceil(used_cols / (g * p * cols))
        tile_rows = math.ceil(lay.rows / (g * p * cfg_rows))
        pe_dff = lay.rows * pe_cols * vb + lay.out_channels * pe_rows * pe_word * vectors
        tile_rf = lay.rows * tile_cols * vb + lay.out_channels * tile_rows * (1 + acc) * vectors
        g_read = lay.rows * vb
    g_write = lay.out_channels * vb / (4 if lay.pool > 1 else 1)
    return NeuroSimBufferBits(pe_dff, tile_rf, g_read, g_write)


@dataclass(frozen=True)
class NeuroSimTransfers:
    """Bits one layer sends through DNN+NeuroSim V1.3's interconnect (per inference) [bit]: ``chip`` through the
    chip H-tree, ``tile`` through the tile H-trees, ``pe_input`` / ``pe_output`` along the PE input and output
    buses."""

    chip: float
    tile: float
    pe_input: float
    pe_output: float


def neurosim_transfer_bits(cfg: CIMConfig, x: Placement, vectors: int, n_pe_nm: int) -> NeuroSimTransfers:
    """Interconnect traffic of one layer as DNN+NeuroSim V1.3 counts it: the chip H-tree carries the global
    buffer's reads and writes (Chip.cpp: numBitToLoadOut + numBitToLoadIn), a tile's H-tree its buffers' traffic
    one way (Tile.cpp, the same bits as its register files), a PE's input bus the rows of every input bit,
    R · b · V over the layer's PE columns (ProcessingUnit.cpp busInput), its output bus the ADC codes,
    C_out · adc_bits · V per PE row (busOutput; every PE of a novel tile); see :func:`neurosim_buffer_bits`."""
    buf = neurosim_buffer_bits(cfg, x, vectors, n_pe_nm)
    lay, p = x.layer, cfg.pe_grid
    pe_cols = math.ceil(lay.out_channels * cfg.cells_per_weight / (p * cfg.cols))
    if x.novel:
        pe_rows = n_pe_nm * math.ceil(lay.in_channels / (p * cfg.rows))
    else:
        pe_rows = math.ceil(lay.rows / (p * cfg.rows))
    return NeuroSimTransfers(chip=buf.global_read + buf.global_write, tile=buf.tile_rf,
                             pe_input=lay.rows * pe_cols * vectors * cfg.input_bits,
                             pe_output=lay.out_channels * pe_rows * cfg.adc_bits * vectors)


#: Sub-array area parts laid beside the array (at its height) in NeuroSim V1.3's SubArray.cpp bounding box; the
#: level shifters count 2/3 here (word and bit line; the source line's sits below).
_ROW_SIDE = {"row drivers": 1.0, "level shifters": 2 / 3}


def _subarray_box(cfg: CIMConfig, sub: SubArray) -> tuple[float, float]:
    """(width, height) [m] of a sub-array: √area each (``pe_bus_cell_aspect`` None), or NeuroSim V1.3's bounding
    box: the array rows·h × cols·w with cells of area A, h/w = aspect (h = √(A·aspect)); width = its width +
    the row-side periphery area / its height; height = its height + the rest of the periphery / its width."""
    aspect = cfg.pe_bus_cell_aspect
    if aspect is None:
        side = math.sqrt(sub.total_area)
        return side, side
    a_cell = sub.area["array"] / (cfg.rows * cfg.cols)
    h_arr, w_arr = cfg.rows * math.sqrt(a_cell * aspect), cfg.cols * math.sqrt(a_cell / aspect)
    row_side = sum(a * _ROW_SIDE.get(k, 0.0) for k, a in sub.area.items())
    col_side = sub.total_area - sub.area["array"] - row_side
    return w_arr + row_side / h_arr, h_arr + col_side / w_arr


def neurosim_buffer_areas(cfg: CIMConfig, t: Technology, layers: list[LayerSpec]) -> tuple[float, float, float]:
    """(PE, tile, global) buffer areas [m²] as DNN+NeuroSim V1.3 lays them (ProcessingUnit.cpp, Tile.cpp,
    Chip.cpp, Buffer.cpp with its register files): a PE's input_bits · rows input flip-flops and
    (cols / columns_per_adc) · (adc + input + cells + log₂ pe_grid) output flip-flops; a tile's register-file cores
    of 32 × 32 flip-flops and a 32-line decoder, ⌈tile_grid · input_bits · rows / 1024⌉ for inputs and
    ⌈(adc + input + cells + 1 + log₂ pe_grid) · tile_grid · cols / columns_per_adc / 1024⌉ for outputs (sized by the
    conventional tile for both kinds, as it does); the global buffer's cores of 128 × 128 flip-flops and a
    128-line decoder, enough for the largest layer's input map at input_bits."""
    ff = dff(t).area
    p, g, b = cfg.pe_grid, cfg.tile_grid, cfg.input_bits
    stages = math.ceil(math.log2(max(1, p)))
    word = cfg.adc_bits + b + cfg.cells_per_weight
    pe = (b * cfg.rows + cfg.cols // cfg.columns_per_adc * (word + stages)) * ff
    tc, gc = _BufferTiming.TILE_CORE, _BufferTiming.GLOBAL_CORE
    cores = (math.ceil(g * b * cfg.rows / tc**2)
             + math.ceil((word + 1 + stages) * g * cfg.cols / cfg.columns_per_adc / tc**2))
    tile = cores * (tc**2 * ff + decoder(t, tc).area)
    g_cores = math.ceil(max(layer.ifm_values for layer in layers) * b / gc**2)
    return pe, tile, g_cores * (gc**2 * ff + decoder(t, gc).area)


def neurosim_buffer_energy(t: Technology, bits: NeuroSimBufferBits) -> float:
    """Dynamic energy [J] of :func:`neurosim_buffer_bits`' traffic, priced as DNN+NeuroSim V1.3 prices its
    flip-flop buffers (DFF.cpp, Buffer.cpp): a PE flip-flop bit E_dff (clocked with its data); a register-file bit
    read E_dff + E_dec/w (the core's flip-flops clocked out, one decoder operation per line of w bits), written
    E_dec/w (the decoder only). Tile cores 32 lines × 32 bits, global cores 128 × 128; a line's decoder output
    drives the line's w flip-flop enables (w minimum inverter inputs)."""
    return _price_buffer_bits(bits, _buffer_bit_prices(t))


def _buffer_bit_prices(t: Technology) -> tuple[float, float, float]:
    """(E_dff, tile decoder per bit, global decoder per bit) [J] of :func:`neurosim_buffer_energy`."""
    c_in = inverter(t).c_in
    tc, gc = _BufferTiming.TILE_CORE, _BufferTiming.GLOBAL_CORE
    return dff(t).energy, decoder(t, tc, tc * c_in).energy / tc, decoder(t, gc, gc * c_in).energy / gc


def _price_buffer_bits(bits: NeuroSimBufferBits, prices: tuple[float, float, float]) -> float:
    e_dff, e_dec_tile, e_dec_glob = prices
    return (bits.pe_dff * e_dff + bits.tile_rf * (e_dff + 2 * e_dec_tile)
            + bits.global_read * (e_dff + e_dec_glob) + bits.global_write * e_dec_glob)


@dataclass(frozen=True)
class _BufferTiming:
    """Synchronous register-file buffers (NeuroSim V1.3 Buffer.cpp: one core line per clock cycle; Param.cpp: cores
    of 128 × 128 bits at chip level and 32 × 32 in the tiles; Chip.cpp and Tile.cpp for their sizes, counts and
    bus widths). A layer's buffer time, serial with its compute (layer-by-layer dataflow):

    - global buffer: the input vectors out (K²·C_in·bits per vector; ÷ K for a novel-mapped layer, whose K
      column-neighbour windows share rows) and the outputs in (C_out·bits per vector, ÷ 4 after 2×2 pooling),
      128 bits a line, over min(cores, global bus / 128) cores at once, × ceil(total tiles / the layer's tiles)
      (only the layer's share of the bus serves it);
    - tile buffers: the tile's input rows written and read (bits per vector; ÷ √PEs in a novel tile), 32 bits a
      line, and its outputs written and read at the accumulation width + 1 (÷ PEs in a novel tile), over
      min(cores, tile bus / 32) cores. NeuroSim sizes the cores of both tile kinds by the conventional tile (its
      TileInitialize sets the shared core counts last); that is kept, so both sides time the same buffers.
    The global bus is Σ over layers of (tile side + tile side / columns per ADC) bits, halved while above 2,048."""

    cfg: CIMConfig
    global_bus: float
    global_par: int
    n_pe_nm: int
    side_nm: int
    acc_bits: int

    GLOBAL_CORE = 128  # bits a line (and lines a core) of a global-buffer core
    TILE_CORE = 32  # the same for a tile-buffer core
    MAX_GLOBAL_BUS = 2048  # [bit]

    @classmethod
    def of(cls, cfg: CIMConfig, plan: list[Placement], n_pe_nm: int, side_nm: int) -> _BufferTiming:
        p = cfg.pe_grid
        bus = _global_bus(cfg, plan, side_nm)
        cores = math.ceil(max(x.layer.ifm_values for x in plan) * cfg.input_bits / cls.GLOBAL_CORE**2)
        par = max(1, min(cores, math.ceil(bus / cls.GLOBAL_CORE)))
        acc = cfg.adc_bits + cfg.input_bits + cfg.cells_per_weight + 1 + math.ceil(math.log2(max(1, p)))
        return cls(cfg, bus, par, n_pe_nm, side_nm, acc)

    def tile_bus(self, x: Placement) -> float:
        """Width of the tile's H-tree [bit]: PEs (per side of a conventional tile) × sub-array rows."""
        return (self.n_pe_nm if x.novel else self.cfg.tile_grid) * self.cfg.rows

    def _tile_share(self, x: Placement) -> tuple[float, float]:
        """(input rows, outputs) one tile's buffers serve per vector."""
        cfg, lay = self.cfg, x.layer
        c, rows, cols, p, g = cfg.cells_per_weight, cfg.rows, cfg.cols, cfg.pe_grid, cfg.tile_grid
        if x.novel:
            return (lay.kernel**2 * min(lay.in_channels, p * rows) / math.sqrt(self.n_pe_nm),
                    (min(lay.out_channels * c, p * cols) // c or 1) / self.n_pe_nm)
        return min(lay.rows, g * p * rows), min(lay.out_channels * c, g * p * cols) // c or 1

    def ic_cycles(self, x: Placement, vectors: int, t_chip: float, t_tile: float, period: float) -> float:
        """Bus transfers × whole cycles per traversal (synchronous, at least one): the global bus carries the
        global buffer's bits, the tile's H-tree its buffers' (NeuroSim V1.3 HTree.cpp rounds every traversal up
        to whole periods); ``period`` [s]: the clock, or CIMConfig.htree_cycle."""
        cfg, lay = self.cfg, x.layer
        bits = cfg.input_bits
        glob = (lay.rows * bits * vectors / (lay.kernel if x.novel else 1)
                + lay.out_channels * bits * vectors / (4 if lay.pool > 1 else 1)) / self.global_bus
        rows_t, outs_t = self._tile_share(x)
        tile = (rows_t * bits * vectors + outs_t * (1 + self.acc_bits) * vectors) / self.tile_bus(x)
        return (glob * max(1, math.ceil(t_chip / period - 1e-9))
                + tile * max(1, math.ceil(t_tile / period - 1e-9)))

    def cycles(self, x: Placement, vectors: int, total_tiles: int) -> float:
        cfg, lay = self.cfg, x.layer
        bits, rows, cols = cfg.input_bits, cfg.rows, cfg.cols
        out_bits = lay.rows * bits * vectors / (lay.kernel if x.novel else 1)
        in_bits = lay.out_channels * bits * vectors / (4 if lay.pool > 1 else 1)
        share = math.ceil(total_tiles / x.tiles)
        t_global = (out_bits + in_bits) / self.GLOBAL_CORE / self.global_par * share
        g, line = cfg.tile_grid, self.TILE_CORE
        rows_t, outs_t = self._tile_share(x)
        cores_in = math.ceil(g * bits * rows / line**2)
        cores_out = math.ceil(self.acc_bits * g * cols / cfg.columns_per_adc / line**2)
        bus_lines = self.tile_bus(x) / line
        t_in = 2 * rows_t * bits * vectors / line / max(1, min(cores_in, bus_lines))
        t_out = 2 * outs_t * (1 + self.acc_bits) * vectors / line / max(1, min(cores_out, bus_lines))
        return t_global + t_in + t_out


def estimate(cfg: CIMConfig, layers: list[LayerSpec], activity: dict[str, LayerActivity] | None = None
             ) -> ChipEstimate:
    """Map ``layers`` onto the accelerator ``cfg`` (:func:`place`) and estimate one inference.

    ``activity`` (from :func:`~neurofab.cost.mapping.measure_activity`) gives each layer's measured input-bit
    density and weight level; layers without it use ``cfg.input_density`` and ``cfg.weight_level``.
    Input vectors per layer: its output pixels (``output_pixels='padded'``) or NeuroSim's (H − K + 1)²
    (``'valid'``). Compute cycles per input bit and row group: the mux steps (one conversion each) and, with the
    two-stage shift-add, NeuroSim's synchronous count of its stages (weight stage one cycle per step, input stage
    one per weight); divided by the layer's weight copies. With the two-stage shift-add the adder trees are counted
    as NeuroSim counts them too: one cycle per stage for every vector and weight per mux group, in the PE (over its
    sub-array rows, divided by the copies) and in the tile (over its PEs).
    """
    if not isinstance(cfg, CIMConfig):
        raise ConfigError(f"cfg must be a CIMConfig, got {type(cfg).__name__}")
    layers = check_layers(layers)
    sub = build_subarray(cfg)
    t, f = sub.tech, cfg.factors
    rows, cols, m, n_cw = cfg.rows, cfg.cols, cfg.columns_per_adc, cfg.cells_per_weight
    p, g = cfg.pe_grid, cfg.tile_grid
    side = p * g  # sub-arrays per conventional tile side
    plan = place(cfg, layers)
    n_pe_nm = novel_pes(cfg, layers)
    side_nm = math.isqrt(n_pe_nm - 1) + 1 if n_pe_nm else 0  # PEs per side of a novel tile, ceil(√K²)
    n_tiles = sum(x.tiles for x in plan)
    cells_alloc = sum(x.tiles * (n_pe_nm if x.novel else g * g) * p * p for x in plan) * rows * cols
    cells_used = sum(x.layer.weights * n_cw * x.copies for x in plan)
    # ----- digital blocks -----
    w_acc = sub.shift_add_bits + math.ceil(math.log2(max(2, max(x.row_blocks for x in plan))))
    pe_tree = adder_tree(t, p, sub.shift_add_bits) if p > 1 else Cost()
    acc_add, acc_reg = ripple_adder(t, w_acc), register(t, w_acc)
    e_accumulate = acc_add.energy * f.delta + acc_reg.energy * f.gamma  # one partial-sum addition
    act_unit = Cost.parallel(ripple_adder(t, w_acc), register(t, w_acc))  # ReLU / max-pool compare + hold
    e_activation = act_unit.energy * f.delta  # adder-dominated compare; the register is counted in e_accumulate
    in_bits, word = cfg.input_bits, cfg.bus_bits
    pe_buf = sram_buffer(t, 2 * (p * rows * in_bits + p * (cols // n_cw) * w_acc), min(word, cols))
    global_bits = max(2 * (layer.ifm_values + layer.ofm_values) * in_bits for layer in layers)
    glob_buf = sram_buffer(t, global_bits, word)
    # ----- areas -----
    sa_area = sub.total_area
    # one adder tree per ADC output lane of a PE column of sub-arrays: p columns × n_adc lanes (NeuroSim V1.3
    # ProcessingUnit.cpp: numSubArrayCol·numCol/numColMuxed trees), each summing the p sub-array rows
    lanes_pe = p * sub.n_adc
    if cfg.buffer_area == "neurosim":
        a_pe_buf, a_tile_buf, a_glob_buf = neurosim_buffer_areas(cfg, t, layers)
    else:
        a_pe_buf, a_glob_buf = pe_buf.area, glob_buf.area
        a_tile_buf = None
    pe_area = p * p * sa_area + lanes_pe * pe_tree.area + a_pe_buf
    pe_ht = htree(t, math.sqrt(pe_area), p * p, min(word, cols), cfg.interconnect_swing)
    pe_area += pe_ht.area
    tiles_only = cfg.leakage_scope == "tiles"  # NeuroSim's count: no H-trees, global buffer or activation units
    pe_leak = (p * p * sub.leakage + lanes_pe * pe_tree.leakage + pe_buf.leakage
               + (0.0 if tiles_only else pe_ht.leakage))

    bus_rc = NEUROSIM_22NM_BUS if cfg.htree_rc == "neurosim" else None
    t_wire = bus_wire_delay(t, BUS_DELAY_TOLERANCE, rc=bus_rc)
    t_rx = 0.0 if cfg.interconnect_swing is None else latch_comparator(t).cost.delay

    def trip(unit: float, grid: int) -> float:
        """One root-to-leaf trip [s] through an H-tree laid as NeuroSim lays it (its Manhattan path, its
        repeaters shrunk for the bus delay tolerance, its wider bus wires), plus a low-swing receiver."""
        return htree_trip_length(unit, unit, grid) * t_wire + t_rx

    def trip_energy(unit: float, grid: int, straight: float) -> float:
        """One word's trip [J]: ``straight`` (one straight repeated wire, a full charge per bit), or with
        htree_energy='neurosim' NeuroSim's Manhattan branches at its activity (htree_trip_energy)."""
        if cfg.htree_energy == "straight":
            return straight
        return word * htree_trip_energy(t, unit, unit, grid, BUS_DELAY_TOLERANCE, NEUROSIM_BUS_ACTIVITY, bus_rc)

    def tile_kind(n_pes: int, pe_side: int, novel: bool) -> _TileKind:
        lanes = pe_side * p  # sub-array columns across the tile
        # one tree per output lane: a novel tile sums its K² PEs lane by lane (a PE's lanes), a conventional one
        # its g PE rows for every lane of its g PE columns
        tree = adder_tree(t, n_pes if novel else g, sub.shift_add_bits + math.ceil(math.log2(max(2, p))))
        n_tree = (lanes_pe if novel else g * lanes_pe) if n_pes > 1 else 0
        buf = sram_buffer(t, 2 * (lanes * rows * in_bits + lanes * (cols // n_cw) * w_acc), min(word, cols))
        buf_area = buf.area if a_tile_buf is None else a_tile_buf
        core = n_pes * pe_area + n_tree * tree.area + lanes * act_unit.area + buf_area
        ht = htree(t, math.sqrt(core), n_pes, word, cfg.interconnect_swing)
        if cfg.htree_area == "channels":  # NeuroSim lays a novel tile's tree over a K² × K² grid of PEs, a bus of
            # K² PE rows wide (Tile.cpp: hTreeNM over numPENM × numPENM, numPENM·numRowSubArray bits)
            grid = n_pes if novel else pe_side
            bus = grid * rows
            ht = Cost(area=htree_channel_area(t, math.sqrt(pe_area), math.sqrt(pe_area), grid, bus, 16.0,
                                              BUS_DELAY_TOLERANCE, bus_rc),
                      delay=trip(math.sqrt(pe_area), grid), energy=trip_energy(math.sqrt(pe_area), grid, ht.energy),
                      leakage=ht.leakage)
        acc = n_pes * lanes_pe * pe_tree.area + n_tree * tree.area + lanes * act_unit.area
        leak = n_pes * pe_leak + n_tree * tree.leakage + buf.leakage
        outer = lanes * act_unit.leakage + ht.leakage + n_pes * pe_ht.leakage
        if not tiles_only:
            leak += lanes * act_unit.leakage + ht.leakage
        return _TileKind(pes=n_pes, area=core + ht.area, core=core, accumulation=acc,
                         buffers=n_pes * a_pe_buf + buf_area, interconnect=n_pes * pe_ht.area + ht.area,
                         leakage=leak, subarrays=n_pes * p * p, buf=buf, ht=ht, outer_leakage=outer)

    conv_tile = tile_kind(g * g, g, novel=False)
    nm_tile = tile_kind(n_pe_nm, side_nm, novel=True) if n_pe_nm else conv_tile
    kinds = [nm_tile if x.novel else conv_tile for x in plan]
    chip_core = sum(x.tiles * k.area for x, k in zip(plan, kinds, strict=True)) + a_glob_buf
    chip_ht = htree(t, math.sqrt(chip_core), n_tiles, word, cfg.interconnect_swing)
    grid_chip = math.isqrt(n_tiles - 1) + 1 if n_tiles > 1 else 1
    if cfg.htree_area == "channels":
        tile_side = math.sqrt(max(k.area for k in kinds))
        grid = grid_chip
        chip_ht = Cost(area=htree_channel_area(t, tile_side, tile_side, grid, round(_global_bus(cfg, plan,
                       side_nm)), 4.0, BUS_DELAY_TOLERANCE, bus_rc), delay=trip(tile_side, grid),
                       energy=trip_energy(tile_side, grid, chip_ht.energy), leakage=chip_ht.leakage)
    area: dict[str, float] = {}
    n_sub = sum(x.tiles * k.subarrays for x, k in zip(plan, kinds, strict=True))
    for part, a in sub.area.items():
        area[part] = n_sub * a
    area["accumulation"] = sum(x.tiles * k.accumulation for x, k in zip(plan, kinds, strict=True))
    area["buffers"] = sum(x.tiles * k.buffers for x, k in zip(plan, kinds, strict=True)) + a_glob_buf
    area["interconnect"] = sum(x.tiles * k.interconnect for x, k in zip(plan, kinds, strict=True)) + chip_ht.area
    if cfg.leakage_model == "neurosim":
        per_tile = [_neurosim_tile_leakage(cfg, sub, x, k) + (0.0 if tiles_only else k.outer_leakage)
                    for x, k in zip(plan, kinds, strict=True)]
    else:
        per_tile = [k.leakage for k in kinds]
    leakage = sum(x.tiles * v for x, v in zip(plan, per_tile, strict=True))
    if not tiles_only:
        leakage += glob_buf.leakage + chip_ht.leakage
    # ----- clock -----
    two_stage_tree = cfg.shift_add == "two-stage"  # trees clocked a level per cycle (see tree_cycles below)
    t_digital = max(sub.t_digital, _tree_step(t, p, sub.shift_add_bits, two_stage_tree),
                    max(_tree_step(t, max(2, k.pes), w_acc, two_stage_tree) for k in (conv_tile, nm_tile)))
    clock = max(sub.t_sense * f.beta, t_digital)
    timing = _BufferTiming.of(cfg, plan, n_pe_nm, side_nm)
    # one bit along a PE bus (NeuroSim V1.3 Bus.cpp: repeated at the optimum, pe_grid − 1 sub-arrays long)
    bus_activity = NEUROSIM_BUS_ACTIVITY if cfg.htree_energy == "neurosim" else 1.0
    box_w, box_h = _subarray_box(cfg, sub)
    e_bus = bus_energy_per_metre(t, 0.0, bus_activity, bus_rc) * (p - 1)
    e_pe_in, e_pe_out = e_bus * box_w, e_bus * box_h
    # ----- per layer -----
    results: list[LayerResult] = []
    energy_total: dict[str, float] = {}
    cycles_total = 0.0
    parts = dict.fromkeys(("adc", "accumulation", "buffers", "interconnect"), 0.0)  # [cycles]
    two_stage = cfg.shift_add == "two-stage"
    per_column = cfg.per_column_shift_add
    per_step = cfg.word_line_pulses == "per-mux-step"
    # per-mux-step pulses on eNVM: the line's own charge counted with the array read (NeuroSim V1.3's split)
    e_line_array = sub.e_wordline if per_step and cfg.cell.kind != "sram" else 0.0
    e_row_dff = dff(t).energy
    buffer_prices = _buffer_bit_prices(t) if cfg.buffer_energy == "neurosim" else (0.0, 0.0, 0.0)
    # a word through the chip tree over each tile kind, as NeuroSim prices it (Chip.cpp: the NM or CM tile)
    chip_trip = ({k.pes: trip_energy(math.sqrt(k.area), grid_chip, chip_ht.energy) for k in (conv_tile, nm_tile)}
                 if cfg.htree_area == "channels" else dict.fromkeys((conv_tile.pes, nm_tile.pes), chip_ht.energy))
    for x, kind, tile_leak in zip(plan, kinds, per_tile, strict=True):
        layer, n_r, n_c = x.layer, x.row_blocks, x.col_blocks
        pix = layer.valid_out_pixels if cfg.output_pixels == "valid" else layer.out_pixels
        rho, wl = _activity(cfg, layer, activity)
        used_cols = layer.out_channels * n_cw  # over all column splits
        rows_in_block = ([min(rows, layer.in_channels - rows * j) for j in range(math.ceil(layer.in_channels / rows))]
                         * layer.kernel**2 if x.novel
                         else [min(rows, layer.rows - rows * j) for j in range(n_r)])
        e: dict[str, float] = dict.fromkeys(("array", "adc", "row drive", "mux", "shift-add", "accumulation",
                                             "buffers", "interconnect"), 0.0)
        groups_max = 0
        e_sa = (sub.e_shift_add - sub.e_shift_add_dff) * f.delta + sub.e_shift_add_dff * f.gamma
        steps = min(m, math.ceil(used_cols / (n_c * sub.n_adc))) if n_c else 0  # mux steps per input bit
        for r_here in rows_in_block:  # vertical splits: a row-block may hold fewer rows
            groups = math.ceil(r_here / sub.rows_on)
            groups_max = max(groups_max, groups)
            for j in range(groups):
                active = min(sub.rows_on, r_here - j * sub.rows_on)
                conv = pix * in_bits * used_cols  # conversions of this row group
                ce = sub.conversion_energy(active, rho, wl)
                e["array"] += conv * ce["array"]
                e["adc"] += conv * ce["adc"]
                e["shift-add"] += conv * e_sa
                pulses = pix * in_bits * n_c * (steps if per_step else 1)  # once per input bit, or per mux step
                lines = pulses * active * rho  # word-line activations
                e["array"] += lines * e_line_array
                e["row drive"] += lines * (sub.e_row - e_line_array)
                if cfg.row_flip_flops == "all":  # the idle rows' flip-flops clocked too, at every pulse
                    e["row drive"] += pulses * max(0.0, rows - active * rho) * e_row_dff
                e["mux"] += pix * in_bits * n_c * steps * sub.e_mux_step
        outputs = pix * layer.out_channels
        extra_groups = max(0, groups_max - 1)
        e["accumulation"] += outputs * ((n_r - 1) + extra_groups) * e_accumulate + outputs * e_activation
        # data movement: the input map once down the chip H-tree (its branches broadcast it to the tile columns),
        # input vectors into every tile, partial sums between row-split tiles, the output map back
        tile_cols = math.ceil(used_cols / (p * cols)) if x.novel else math.ceil(n_c / side)
        tile_rows = max(1, x.tiles // tile_cols)
        vec_bits = pix * layer.rows * in_bits * tile_cols
        if x.novel:  # a K²-PE tile reuses the overlapping windows: each step along a row brings K new columns
            vec_bits /= layer.kernel
        psum_bits = outputs * w_acc * max(0, tile_rows - 1)
        ifm_bits = layer.ifm_values * in_bits
        ofm_bits = layer.ofm_values * in_bits
        tbuf, tht = kind.buf, kind.ht
        if cfg.buffer_energy == "neurosim":
            e["buffers"] += _price_buffer_bits(neurosim_buffer_bits(cfg, x, pix, n_pe_nm), buffer_prices)
        else:
            e["buffers"] += (ifm_bits / word * glob_buf.read.energy + ofm_bits / word * glob_buf.write.energy
                             + vec_bits / word * (tbuf.write.energy + tbuf.read.energy)
                             + vec_bits / min(word, cols) * (pe_buf.write.energy + pe_buf.read.energy))
        if cfg.transfer_count == "neurosim":
            moved = neurosim_transfer_bits(cfg, x, pix, n_pe_nm)
            e["interconnect"] += (moved.chip / word * chip_trip[kind.pes] + moved.tile / word * tht.energy
                                  + moved.pe_input * e_pe_in + moved.pe_output * e_pe_out)
        else:
            e["interconnect"] += ((ifm_bits + ofm_bits + psum_bits) / word * chip_ht.energy
                                  + vec_bits / word * tht.energy + vec_bits / min(word, cols) * pe_ht.energy)
        per_bit = steps
        if two_stage and per_column:  # the first commit: an input-stage step per conversion, no weight stage
            per_bit += steps if in_bits > 1 else 0
        elif two_stage:
            per_bit += (steps if n_cw > 1 else 0) + (math.ceil(steps / min(n_cw, m)) if in_bits > 1 else 0)
        compute_cycles = pix * in_bits * groups_max * per_bit / x.copies
        tree_cycles = 0.0
        if two_stage:  # NeuroSim's synchronous adder trees: one cycle per stage, per vector and weight per mux
            reads = pix * (m if per_column else math.ceil(m / n_cw))  # trees work per column or per weight read
            pe_rows = (min(math.ceil(layer.in_channels / rows), p) if x.novel
                       else min(math.ceil(layer.rows / rows), p))
            tile_inputs = n_pe_nm if x.novel else g
            tree_cycles = cfg.adder_stage_cycles * (reads * math.ceil(math.log2(max(1, pe_rows))) / x.copies
                                                    + reads * math.ceil(math.log2(max(1, tile_inputs))))
        buffer_cycles = timing.cycles(x, pix, n_tiles)
        # NeuroSim times the chip H-tree over the layer's own tile kind (Chip.cpp: NM or CM tile height and width)
        t_chip = trip(math.sqrt(kind.area), grid_chip) if cfg.htree_area == "channels" else chip_ht.delay
        ic_cycles = timing.ic_cycles(x, pix, t_chip, tht.delay, cfg.htree_cycle or clock)
        cycles = compute_cycles + tree_cycles + buffer_cycles + ic_cycles
        cycles_total += cycles
        parts["adc"] += compute_cycles * steps / per_bit if per_bit else 0.0
        parts["accumulation"] += (compute_cycles * (per_bit - steps) / per_bit if per_bit else 0.0) + tree_cycles
        parts["buffers"] += buffer_cycles
        parts["interconnect"] += ic_cycles
        for k, v in e.items():
            energy_total[k] = energy_total.get(k, 0.0) + v
        util = layer.weights * n_cw * x.copies / (x.tiles * kind.subarrays * rows * cols)
        results.append(LayerResult(layer.name, x.tiles, n_r * n_c, util, cycles, cycles * clock, e,
                                   2.0 * layer.macs, x.copies, x.tiles * tile_leak))
    if cfg.op_count == "neurosim":
        ops = 2.0 * sum(layer.in_pixels * layer.rows * layer.out_channels for layer in layers)
    else:
        ops = 2.0 * sum(layer.macs for layer in layers)
    idle = sum((n_tiles - x.tiles) * v * r.latency for x, v, r in zip(plan, per_tile, results, strict=True))
    return ChipEstimate(
        config=cfg, area=area, clock_period=clock, sensing_window=sub.t_sense, cycles=cycles_total,
        latency=cycles_total * clock, energy=energy_total, leakage_power=leakage, ops=ops,
        utilization=cells_used / cells_alloc, tiles=n_tiles, layers=results,
        latency_parts={k: v * clock for k, v in parts.items()}, idle_leakage_energy=idle,
    )


# ===== per-event energies for a ledger ======================================================================
def _precision_bits(precision: str, default: int) -> int:
    s = precision.strip().lower().removesuffix("bit").removesuffix("b")
    if not s:
        return default
    if not s.isdigit() or not 1 <= int(s) <= 32:
        raise ConfigError(f"precision tag {precision!r}: expected e.g. '8b' (1–32 bits) or ''")
    return int(s)


def digital_mac(tech: Technology, bits: int, calibration: Calibration = RAW) -> Cost:
    """A ``bits``×``bits`` array multiplier ((bits − 1)·bits full adders, bits² AND gates as NAND + INV) feeding a
    (2·bits + 8)-bit accumulator; adder energy × δ, register energy × γ."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 32:
        raise ConfigError(f"MAC bits = {bits!r}: must be an integer in [1, 32]")
    fa = ripple_adder(tech, 1)
    and_gate = Cost.series(Cost(area=nand(tech, 2).area, energy=nand(tech, 2).energy(inverter(tech).c_in),
                                leakage=nand(tech, 2).leakage),
                           Cost(area=inverter(tech).area, energy=inverter(tech).energy(nand(tech, 2).c_in),
                                leakage=inverter(tech).leakage))
    acc = shift_add(tech, 2 * bits + 8)
    adders = (bits - 1) * bits
    energy = (adders * fa.energy + bits * bits * and_gate.energy) * calibration.delta + acc.energy * calibration.gamma
    area = adders * fa.area + bits * bits * and_gate.area + acc.area
    return Cost(area=area, delay=ripple_adder(tech, 2 * bits).delay + acc.delay, energy=energy,
                leakage=adders * fa.leakage + bits * bits * and_gate.leakage + acc.leakage)


@dataclass(frozen=True)
class EventEnergies:
    """Energy of one ledger event of each kind at one design point [J]; ``priced(kind, precision)`` handles the
    precision tags (ADC and MAC energies are recomputed for the tagged bit width)."""

    config: CIMConfig
    per_kind: dict[str, float]

    def priced(self, kind: str, precision: str = "") -> float:
        cfg = self.config
        if kind == "adc_conversion" and precision:
            bits = _precision_bits(precision, cfg.adc_bits)
            if bits != cfg.adc_bits:
                return build_subarray(cfg.replace(adc_bits=bits)).e_adc
        if kind == "mac" and precision:
            bits = _precision_bits(precision, 8)
            return digital_mac(cfg.tech(), bits, cfg.factors).energy
        if kind not in self.per_kind:
            raise UnknownNameError(f"no CIM energy for event kind {kind!r}; priced kinds: "
                                   + ", ".join(sorted(self.per_kind)))
        return self.per_kind[kind]


def event_energies(cfg: CIMConfig, input_density: float | None = None, weight_level: float | None = None
                   ) -> EventEnergies:
    """Per-event energies [J] of design ``cfg`` for ledger kinds: ``mvm`` (one input vector through one full
    sub-array: every row group, input bit and column), ``adc_conversion``, ``dac_conversion`` (one row
    activation: the bit-serial input "DAC"), ``device_read`` (one cell's share of a column read), ``sram_read`` /
    ``sram_write`` (one ``bus_bits`` word of a 1 Mb buffer), ``mac`` (digital 8×8-bit MAC; tag e.g. '4b')."""
    sub = build_subarray(cfg)
    t, f = sub.tech, cfg.factors
    rho = cfg.input_density if input_density is None else input_density
    wl = cfg.weight_level if weight_level is None else weight_level
    ce = sub.conversion_energy(sub.rows_on, rho, wl)
    groups = math.ceil(cfg.rows / sub.rows_on)
    e_sa = (sub.e_shift_add - sub.e_shift_add_dff) * f.delta + sub.e_shift_add_dff * f.gamma
    conversions = groups * cfg.input_bits * cfg.cols
    pulses = cfg.columns_per_adc if cfg.word_line_pulses == "per-mux-step" else 1  # word-line pulses per input bit
    e_mvm = (conversions * (ce["array"] + ce["adc"] + e_sa)
             + groups * cfg.input_bits * (sub.rows_on * rho * sub.e_row * pulses
                                          + cfg.columns_per_adc * sub.e_mux_step))
    buf = sram_buffer(t, 1 << 20, cfg.bus_bits)
    per_kind = {
        "mvm": e_mvm,
        "adc_conversion": sub.e_adc,
        "dac_conversion": sub.e_row,
        "device_read": ce["array"] / max(1.0, sub.rows_on * rho),
        "sram_read": buf.read.energy,
        "sram_write": buf.write.energy,
        "mac": digital_mac(t, 8, f).energy,
    }
    return EventEnergies(cfg, per_kind)


@dataclass(frozen=True)
class LedgerEnergy:
    """Joules of a ledger: ``total``, by kind, and the kinds the CIM table cannot price (left out)."""

    total: float
    by_kind: dict[str, float]
    unpriced: list[str]


def ledger_energy(ledger: Ledger, energies: EventEnergies | CIMConfig, strict: bool = False) -> LedgerEnergy:
    """Turn a ledger of events into joules with the per-event energies of a CIM design. Kinds without a CIM
    energy (spike, synop, …) are listed in ``unpriced`` — or raise with ``strict=True``."""
    if not isinstance(ledger, Ledger):
        raise ConfigError(f"ledger must be a neurofab.core.Ledger, got {type(ledger).__name__}")
    table = event_energies(energies) if isinstance(energies, CIMConfig) else energies
    if not isinstance(table, EventEnergies):
        raise ConfigError("energies must be an EventEnergies or a CIMConfig")
    by_kind: dict[str, float] = {}
    unpriced: list[str] = []
    for (kind, precision), n in ledger.items():
        try:
            e = table.priced(kind, precision)
        except UnknownNameError:
            if strict:
                raise
            if kind not in unpriced:
                unpriced.append(kind)
            continue
        by_kind[kind] = by_kind.get(kind, 0.0) + n * e
    return LedgerEnergy(total=sum(by_kind.values()), by_kind=by_kind, unpriced=unpriced)


__all__ = [
    "CELL_PRESETS",
    "LU2021",
    "NEUROSIM_1T1R_ASPECT",
    "NEUROSIM_ADDER_STAGE_CYCLES",
    "NEUROSIM_BUS_ACTIVITY",
    "NEUROSIM_HTREE_CYCLE",
    "NEUROSIM_SRAM_ASPECT",
    "RAW",
    "CIMConfig",
    "Calibration",
    "CellConfig",
    "ChipEstimate",
    "EventEnergies",
    "LayerResult",
    "LedgerEnergy",
    "NeuroSimBufferBits",
    "NeuroSimTransfers",
    "SubArray",
    "build_subarray",
    "digital_mac",
    "estimate",
    "event_energies",
    "ledger_energy",
    "neurosim_buffer_areas",
    "neurosim_buffer_bits",
    "neurosim_buffer_energy",
    "neurosim_transfer_bits",
    "table7_config",
]
