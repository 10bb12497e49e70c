"""Compute-in-memory chip estimator: sub-array → processing element → tile → chip, a network mapped layer by layer,
and area, clock, latency, energy, leakage, TOPS/W, TOPS/mm² and utilization out of one description.

Architecture (the hierarchy of Lu et al. 2021 / DNN+NeuroSim, with our own models of each part):

- **Sub-array**: rows × cols cells; one input bit per row per cycle (bit-serial inputs, ``input_bits`` cycles per
  vector); up to ``rows_parallel`` rows on at once; ``columns_per_adc`` columns share one ADC through an analog
  mux; the ``ceil(weight_bits/bits_per_cell)`` slices of a weight sit in adjacent columns of one mux group, so one
  shift-add lane per ADC combines input bits *and* weight slices (width adc + input + weight bits). Row drivers
  (input flip-flop + buffer) and, for eNVMs, three level shifters per row/column pair (WL, BL, SL) as in the
  validated macro.
- **PE**: ``pe_grid``² sub-arrays, one adder tree per sub-array column summing the vertically split partial
  sums, an input/output SRAM buffer. **Tile**: ``tile_grid``² PEs, adder trees, a tile buffer, an H-tree.
  **Chip**: tiles, a global buffer holding the largest layer's input and output maps, a global H-tree.
- **Mapping**: each layer gets whole tiles (weights stay on chip; layer-by-layer dataflow). The K²·C_in × C_out·
  slices weight matrix is cut into sub-arrays; utilization = weight cells / cells of the tiles allocated.

Sensing (what sets the clock):

- eNVM (RRAM, PCM, FeFET): the bit line is clamped at ``read_voltage``; the column current I = V_read·Σ x_i·G_i
  flows from V_DD for the sensing window and is converted to a voltage on the ADC node by a load
  R_L = V_FS/I_FS (I_FS = rows_on·V_read·G_on). Window = word-line rise + settling of the bit line
  (C_BL·V_read/I_FS) and ADC node (R_L·C_ADC) to half an LSB (× ln 2^(N+1)) + the ADC's decision.
  Energy per conversion = V_DD·I·window + C_BL·V_DD·V_read (bit-line charge) + ADC.
- 8T SRAM: the read bit line is precharged and discharged by the read ports (current V_DD/(2·R_eq) per
  conducting cell); integration until the full-scale current swings V_FS, then the ADC decides. Energy = recharge
  C·V_DD·ΔV + ADC.
- Clock period = max(sensing window × β, digital stage: shift-add adder + flip-flop).

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

from neurofab.core import Config, ConfigError, Ledger, UnknownNameError
from neurofab.cost.circuits import Cost, adder_tree, dff, htree, register, ripple_adder, shift_add, sram_buffer
from neurofab.cost.gates import inverter, nand
from neurofab.cost.mapping import LayerActivity, LayerSpec, check_layers
from neurofab.cost.periphery import column_mux, flash_adc, level_shifter, row_driver, sar_adc
from neurofab.cost.technology import Technology, technology

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


class CIMConfig(Config):
    """One CIM accelerator design. Defaults: the Table-7 set-up of Lu et al. 2021 (128×128 sub-arrays, 8 columns
    per ADC, all rows in parallel, 8-bit weights and activations)."""

    node_nm: float = Field(22, description="technology node [nm], see neurofab.cost.technology")
    vdd: float | None = Field(None, gt=0, le=5, description="supply override [V]; None: the node's")
    cell: CellConfig = Field(description="memory cell")
    rows: int = Field(128, ge=1, le=4096, description="sub-array rows [1]")
    cols: int = Field(128, ge=1, le=4096, description="sub-array columns [1]")
    rows_parallel: int | None = Field(None, ge=1, description="rows turned on at once; None: all rows")
    adc_bits: int = Field(5, ge=1, le=12, description="ADC precision [bit]")
    adc: Literal["flash", "sar"] = Field("flash", description="ADC architecture")
    columns_per_adc: int = Field(8, ge=1, description="columns sharing one ADC through the mux [1]")
    weight_bits: int = Field(8, ge=1, le=16, description="weight precision [bit]")
    input_bits: int = Field(8, ge=1, le=16, description="activation precision, applied bit-serially [bit]")
    pe_grid: int = Field(2, ge=1, le=16, description="sub-arrays per PE side (PE = pe_grid² sub-arrays)")
    tile_grid: int = Field(2, ge=1, le=16, description="PEs per tile side (tile = tile_grid² PEs)")
    bus_bits: int = Field(128, ge=8, le=4096, description="width of the global bus and buffer words [bit]")
    validated: bool = Field(True, description="apply the calibration factors of Lu et al. 2021")
    calibration: Calibration | None = Field(None, description="explicit factors (overrides `validated`)")
    io_layout_scale: float = Field(2.5, gt=0, description="I/O transistor layout scale in level shifters [1]")
    adc_full_scale: float = Field(0.5, gt=0, le=1, description="ADC input range as a fraction of V_DD [1]")
    adc_offset_sigma_lsb: float = Field(0.5, gt=0, description="comparator offset σ allowed, in LSB [1]")
    mux_resistance_fraction: float = Field(0.1, gt=0, le=1,
                                           description="mux on-resistance / average column resistance [1]")
    interconnect_swing: float | None = Field(0.2, gt=0, description="H-tree signal swing [V]; None: full V_DD")
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
        return self

    @property
    def cells_per_weight(self) -> int:
        return math.ceil(self.weight_bits / self.cell.bits_per_cell)

    @property
    def factors(self) -> Calibration:
        if self.calibration is not None:
            return self.calibration
        return LU2021 if self.validated else RAW

    def tech(self) -> Technology:
        return technology(self.node_nm, vdd=self.vdd)


def table7_config(device: str, **changes) -> CIMConfig:
    """The designs of Lu et al. 2021, Table 7: ``device`` one of '7nm-sram', '22nm-sram', 'rram_he2020',
    'rram_wu2018', 'pcm_kim2019', 'fefet_ni2018' (eNVMs at 22 nm; 4-bit ADC for SRAM, 5-bit for eNVM)."""
    if device in ("7nm-sram", "22nm-sram"):
        base = CIMConfig(node_nm=int(device.split("nm")[0]), cell=CELL_PRESETS["sram_8t"], adc_bits=4)
    elif device in CELL_PRESETS and device != "sram_8t":
        base = CIMConfig(node_nm=22, cell=CELL_PRESETS[device], adc_bits=5)
    else:
        raise UnknownNameError(f"unknown Table 7 design {device!r}; known: 7nm-sram, 22nm-sram, "
                               + ", ".join(k for k in CELL_PRESETS if k != "sram_8t"))
    return base.replace(**changes) if changes else base


# ===== the sub-array ========================================================================================
@dataclass(frozen=True)
class SubArray:
    """A sized sub-array and its periphery at one node, with per-event energies (J) and delays (s)."""

    config: CIMConfig
    tech: Technology
    area: dict[str, float]  # m², by part
    leakage: float  # W
    t_sense: float  # sensing window before β [s]
    t_current: float  # part of it during which the cells conduct [s]
    t_digital: float  # shift-add stage [s]
    c_bitline: float  # [F]
    i_full_scale: float  # [A]
    g_on: float  # [S] (SRAM: read-port conductance at V_DD)
    g_off: float  # [S]
    e_adc: float  # one conversion [J]
    e_row: float  # one row activation: driver (+ level shifter) [J]
    e_mux_step: float  # one mux step of all ADC inputs [J]
    e_shift_add: float  # one shift-add operation, raw [J]
    e_shift_add_dff: float  # flip-flop part of it, raw [J]
    shift_add_bits: int

    @property
    def total_area(self) -> float:
        return sum(self.area.values())

    @property
    def rows_on(self) -> int:
        return self.config.rows_parallel or self.config.rows

    @property
    def n_adc(self) -> int:
        return self.config.cols // self.config.columns_per_adc

    def column_current(self, active_rows: float, input_density: float, weight_level: float) -> float:
        """Mean column current of one conversion [A] with ``active_rows`` rows mapped and switched on."""
        cfg = self.config
        x = active_rows * input_density
        if cfg.cell.kind == "sram":
            return x * weight_level * self.g_on * self.tech.vdd
        return x * cfg.cell.read_voltage * (self.g_off + (self.g_on - self.g_off) * weight_level)

    def conversion_energy(self, active_rows: float, input_density: float, weight_level: float) -> dict[str, float]:
        """Energy of one column conversion [J] by part: 'array' (column current / bit-line charge) and 'adc'."""
        cfg, t = self.config, self.tech
        i_col = self.column_current(active_rows, input_density, weight_level)
        if cfg.cell.kind == "sram":
            v_fs = cfg.adc_full_scale * t.vdd
            swing = v_fs * min(1.0, i_col / self.i_full_scale)
            e_array = self.c_bitline * t.vdd * swing
        else:
            e_array = t.vdd * i_col * self.t_current + self.c_bitline * t.vdd * cfg.cell.read_voltage
        return {"array": e_array, "adc": self.e_adc}


def _cell_area(cfg: CIMConfig, tech: Technology) -> float:
    if cfg.cell.area_f2 is not None:
        return cfg.cell.area_f2 * tech.feature_size**2
    if cfg.cell.kind == "sram":
        return tech.sram_8t_area
    return 75 * tech.feature_size**2


def build_subarray(cfg: CIMConfig) -> SubArray:
    """Size one sub-array of ``cfg`` and compute its per-event costs."""
    t = cfg.tech()
    f = cfg.factors
    cell = cfg.cell
    a_cell = _cell_area(cfg, t)
    pitch = math.sqrt(a_cell)
    w_acc = t.nmos_width  # access / read-port transistor: one logic NMOS
    rows, cols, m = cfg.rows, cfg.cols, cfg.columns_per_adc
    rows_on = cfg.rows_parallel or rows
    n_adc = cols // m
    is_sram = cell.kind == "sram"
    if is_sram:
        g_on = 1.0 / (2 * t.r_on_n(w_acc))
        g_off = t.i_off * w_acc / t.vdd
    else:
        g_on = 1.0 / cell.r_on
        g_off = g_on / cell.on_off_ratio
    # lines
    c_bl = rows * (t.c_drain * w_acc + t.wire_capacitance * pitch)
    c_wl = cols * (t.c_gate * w_acc + t.wire_capacitance * pitch)
    r_wl = t.wire_resistance * cols * pitch
    # ADC
    v_fs = cfg.adc_full_scale * t.vdd
    if cfg.adc == "flash":
        adc = flash_adc(t, cfg.adc_bits, v_fs, cfg.adc_offset_sigma_lsb)
    else:
        adc = sar_adc(t, cfg.adc_bits, v_fs, cfg.adc_offset_sigma_lsb)
    # column current range and mux
    v_read = t.vdd if is_sram else cell.read_voltage
    i_fs = rows_on * g_on * v_read
    g_avg_design = g_off + (g_on - g_off) * 0.5
    if is_sram:  # charge-domain read: the mux carries no DC current, minimum-size gates suffice
        cmux = column_mux(t, cols, m, r_column=1e12)
    else:  # sized by the average column resistance (half the rows on, mid-level cells)
        cmux = column_mux(t, cols, m, 1.0 / (rows_on * 0.5 * g_avg_design), cfg.mux_resistance_fraction)
    # row drive
    driver = row_driver(t, c_wl, r_wl)
    if is_sram:
        ls = None
        t_row = driver.delay
        e_row = driver.energy
    else:
        ls = level_shifter(t, max(cell.write_voltage, t.vdd), c_wl, cfg.io_layout_scale, v_switch=t.vdd)
        t_row = driver.delay + ls.delay
        e_row = driver.energy + ls.energy
    # sensing window
    ln_settle = math.log(2 ** (cfg.adc_bits + 1))
    c_adc_node = adc.c_in + cmux.c_node
    if is_sram:  # integrate until full scale swings V_FS; a word-line pulse is no shorter than its rise
        t_analog = max((c_bl + c_adc_node) * v_fs / i_fs, t_row) + cmux.r_on * c_adc_node * ln_settle
    else:
        r_load = v_fs / i_fs
        tau_bl = c_bl * cell.read_voltage / i_fs
        t_analog = (tau_bl + (r_load + cmux.r_on) * c_adc_node) * ln_settle
    t_mux = cmux.decoder.delay + cmux.cost.delay
    t_current = t_analog + adc.cost.delay  # cells conduct from the end of the word-line rise to the decision
    t_sense = max(t_row, t_mux) + t_current
    # digital lane: shift-add over input bits and weight slices
    sa_bits = cfg.adc_bits + cfg.input_bits + cfg.weight_bits
    sa = shift_add(t, sa_bits)
    regs_per_lane = max(1, m // cfg.cells_per_weight)
    sa_lane = Cost(area=sa.area + (regs_per_lane - 1) * register(t, sa_bits).area, delay=sa.delay,
                   energy=sa.energy, leakage=sa.leakage + (regs_per_lane - 1) * register(t, sa_bits).leakage)
    e_sa_dff = register(t, sa_bits).energy
    # area
    area = {
        "array": rows * cols * a_cell,
        "row drivers": rows * driver.area,
        "mux": cmux.cost.area + cmux.decoder.area,
        "adc": n_adc * adc.cost.area,
        "shift-add": n_adc * sa_lane.area,
    }
    leak = rows * driver.leakage + cmux.cost.leakage + cmux.decoder.leakage + n_adc * (adc.cost.leakage
                                                                                        + sa_lane.leakage)
    if ls is not None:
        area["level shifters"] = (rows + 2 * cols) * ls.area * f.alpha
        leak += (rows + 2 * cols) * ls.leakage
    if is_sram:
        leak += rows * cols * 4 * w_acc * t.i_off * t.vdd  # 6T core (3 off devices) + read port
    e_mux_step = cmux.cost.energy + cmux.decoder.energy
    return SubArray(
        config=cfg, tech=t, area=area, leakage=leak, t_sense=t_sense, t_current=t_current, t_digital=sa.delay,
        c_bitline=c_bl,
        i_full_scale=i_fs, g_on=g_on, g_off=g_off, e_adc=adc.cost.energy, e_row=e_row, e_mux_step=e_mux_step,
        e_shift_add=sa.energy, e_shift_add_dff=e_sa_dff, shift_add_bits=sa_bits,
    )


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

    @property
    def total_area(self) -> float:
        return sum(self.area.values())

    @property
    def dynamic_energy(self) -> float:
        return sum(self.energy.values())

    @property
    def leakage_energy(self) -> float:
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


def estimate(cfg: CIMConfig, layers: list[LayerSpec], activity: dict[str, LayerActivity] | None = None
             ) -> ChipEstimate:
    """Map ``layers`` onto the accelerator ``cfg`` and estimate one inference.

    ``activity`` (from :func:`~neurofab.cost.mapping.measure_activity`) gives each layer's measured input-bit
    density and weight level; layers without it use ``cfg.input_density`` and ``cfg.weight_level``.
    """
    if not isinstance(cfg, CIMConfig):
        raise ConfigError(f"cfg must be a CIMConfig, got {type(cfg).__name__}")
    layers = check_layers(layers)
    sub = build_subarray(cfg)
    t, f = sub.tech, cfg.factors
    rows, cols, m, n_cw = cfg.rows, cfg.cols, cfg.columns_per_adc, cfg.cells_per_weight
    p, g = cfg.pe_grid, cfg.tile_grid
    side = p * g  # sub-arrays per tile side
    # ----- mapping -----
    plan = []
    for layer in layers:
        n_r = math.ceil(layer.rows / rows)
        n_c = math.ceil(layer.out_channels * n_cw / cols)
        tiles = math.ceil(n_r / side) * math.ceil(n_c / side)
        plan.append((layer, n_r, n_c, tiles))
    n_tiles = sum(x[3] for x in plan)
    cells_alloc = n_tiles * side * side * rows * cols
    cells_used = sum(layer.weights * n_cw for layer, *_ in plan)
    # ----- digital blocks -----
    w_acc = sub.shift_add_bits + math.ceil(math.log2(max(2, max(x[1] for x in plan))))
    pe_tree = adder_tree(t, p, sub.shift_add_bits) if p > 1 else Cost()
    tile_tree = adder_tree(t, g, sub.shift_add_bits + math.ceil(math.log2(max(2, p)))) if g > 1 else Cost()
    acc_add, acc_reg = ripple_adder(t, w_acc), register(t, w_acc)
    e_accumulate = acc_add.energy * f.delta + acc_reg.energy * f.gamma  # one partial-sum addition
    act_unit = Cost.parallel(ripple_adder(t, w_acc), register(t, w_acc))  # ReLU / max-pool compare + hold
    e_activation = act_unit.energy * f.delta  # adder-dominated compare; the register is counted in e_accumulate
    in_bits, word = cfg.input_bits, cfg.bus_bits
    pe_buf = sram_buffer(t, 2 * (p * rows * in_bits + p * (cols // n_cw) * w_acc), min(word, cols))
    tile_buf = sram_buffer(t, 2 * (side * rows * in_bits + side * (cols // n_cw) * w_acc), min(word, cols))
    global_bits = max(2 * (layer.ifm_values + layer.ofm_values) * in_bits for layer in layers)
    glob_buf = sram_buffer(t, global_bits, word)
    # ----- areas -----
    sa_area = sub.total_area
    pe_area = p * p * sa_area + p * pe_tree.area + pe_buf.area
    pe_ht = htree(t, math.sqrt(pe_area), p * p, min(word, cols), cfg.interconnect_swing)
    pe_area += pe_ht.area
    tile_core = g * g * pe_area + g * tile_tree.area + side * act_unit.area + tile_buf.area
    tile_ht = htree(t, math.sqrt(tile_core), g * g, word, cfg.interconnect_swing)
    tile_area = tile_core + tile_ht.area
    chip_core = n_tiles * tile_area + glob_buf.area
    chip_ht = htree(t, math.sqrt(chip_core), n_tiles, word, cfg.interconnect_swing)
    area: dict[str, float] = {}
    n_sub = n_tiles * side * side
    for part, a in sub.area.items():
        area[part] = n_sub * a
    area["accumulation"] = n_tiles * (g * g * p * pe_tree.area + g * tile_tree.area + side * act_unit.area)
    area["buffers"] = n_tiles * (g * g * pe_buf.area + tile_buf.area) + glob_buf.area
    area["interconnect"] = n_tiles * (g * g * pe_ht.area + tile_ht.area) + chip_ht.area
    leakage = (n_sub * sub.leakage + n_tiles * (g * g * (p * pe_tree.leakage + pe_buf.leakage + pe_ht.leakage)
               + g * tile_tree.leakage + side * act_unit.leakage + tile_buf.leakage + tile_ht.leakage)
               + glob_buf.leakage + chip_ht.leakage)
    # ----- clock -----
    t_digital = max(sub.t_digital, pe_tree.delay + dff(t).delay, tile_tree.delay + dff(t).delay)
    clock = max(sub.t_sense * f.beta, t_digital)
    # one global-bus word: buffer access + H-tree traversal, unpipelined, in whole clock cycles
    bus_cycles = max(1, math.ceil((max(glob_buf.read.delay, glob_buf.write.delay) + chip_ht.delay) / clock))
    # ----- per layer -----
    results: list[LayerResult] = []
    energy_total: dict[str, float] = {}
    cycles_total = 0.0
    for layer, n_r, n_c, tiles in plan:
        rho, wl = _activity(cfg, layer, activity)
        used_cols = layer.out_channels * n_cw  # over all column splits
        rows_left = layer.rows
        e: dict[str, float] = dict.fromkeys(("array", "adc", "row drive", "mux", "shift-add", "accumulation",
                                             "buffers", "interconnect"), 0.0)
        groups_max = 0
        for _ in range(n_r):  # vertical splits: the last row-block may hold fewer rows
            r_here = min(rows, rows_left)
            rows_left -= r_here
            groups = math.ceil(r_here / sub.rows_on)
            groups_max = max(groups_max, groups)
            for j in range(groups):
                active = min(sub.rows_on, r_here - j * sub.rows_on)
                conv = layer.out_pixels * in_bits * used_cols  # conversions of this row group
                ce = sub.conversion_energy(active, rho, wl)
                e["array"] += conv * ce["array"]
                e["adc"] += conv * ce["adc"]
                e["shift-add"] += conv * ((sub.e_shift_add - sub.e_shift_add_dff) * f.delta
                                          + sub.e_shift_add_dff * f.gamma)
                e["row drive"] += layer.out_pixels * in_bits * n_c * active * rho * sub.e_row
                mux_groups = min(m, math.ceil(used_cols / n_c / sub.n_adc)) if n_c else 0
                e["mux"] += layer.out_pixels * in_bits * n_c * mux_groups * sub.e_mux_step
        outputs = layer.out_pixels * layer.out_channels
        extra_groups = max(0, groups_max - 1)
        e["accumulation"] += outputs * ((n_r - 1) + extra_groups) * e_accumulate + outputs * e_activation
        # data movement: input vectors to every tile column, partial sums between row-split tiles, OFM out
        tile_cols = math.ceil(n_c / side)
        tile_rows = math.ceil(n_r / side)
        vec_bits = layer.out_pixels * layer.rows * in_bits * tile_cols
        psum_bits = outputs * w_acc * max(0, tile_rows - 1)
        ifm_bits = layer.ifm_values * in_bits
        ofm_bits = layer.ofm_values * in_bits
        e["buffers"] += (ifm_bits / word * glob_buf.read.energy + ofm_bits / word * glob_buf.write.energy
                         + vec_bits / word * (tile_buf.write.energy + tile_buf.read.energy)
                         + vec_bits / min(word, cols) * (pe_buf.write.energy + pe_buf.read.energy))
        e["interconnect"] += ((ifm_bits * tile_cols + ofm_bits + psum_bits) / word * chip_ht.energy
                              + vec_bits / word * tile_ht.energy + vec_bits / min(word, cols) * pe_ht.energy)
        compute_cycles = layer.out_pixels * in_bits * groups_max * min(m, math.ceil(n_cw * layer.out_channels
                                                                                  / (n_c * sub.n_adc)))
        move_cycles = (ifm_bits * tile_cols + ofm_bits + psum_bits) / word * bus_cycles
        cycles = compute_cycles + move_cycles
        cycles_total += cycles
        for k, v in e.items():
            energy_total[k] = energy_total.get(k, 0.0) + v
        util = layer.weights * n_cw / (tiles * side * side * rows * cols)
        results.append(LayerResult(layer.name, tiles, n_r * n_c, util, cycles, cycles * clock, e, 2.0 * layer.macs))
    ops = 2.0 * sum(layer.macs for layer in layers)
    return ChipEstimate(
        config=cfg, area=area, clock_period=clock, sensing_window=sub.t_sense, cycles=cycles_total,
        latency=cycles_total * clock, energy=energy_total, leakage_power=leakage, ops=ops,
        utilization=cells_used / cells_alloc, tiles=n_tiles, layers=results,
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
    e_mvm = (conversions * (ce["array"] + ce["adc"] + e_sa)
             + groups * cfg.input_bits * (sub.rows_on * rho * sub.e_row + cfg.columns_per_adc * sub.e_mux_step))
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
    "RAW",
    "CIMConfig",
    "Calibration",
    "CellConfig",
    "ChipEstimate",
    "EventEnergies",
    "LayerResult",
    "LedgerEnergy",
    "SubArray",
    "build_subarray",
    "digital_mac",
    "estimate",
    "event_energies",
    "ledger_energy",
    "table7_config",
]
