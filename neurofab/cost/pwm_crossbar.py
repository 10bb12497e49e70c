"""Energy and throughput of one matrix-vector multiplication on a crossbar driven by pulse-width-modulated inputs.

The array: ``rows`` × ``columns`` weights, each on ``devices_per_weight`` resistive devices (a differential pair:
2) of mean conductance G. An input is a signed ``input_bits``-bit integer x; the pulse-width modulator (PWM) applies
±V_read to its row for |x|·t_step (t_step the PWM step), so a device of conductance G passes the charge G·V·|x|·t_step
and the column integrates Σ_i G_ij·V·|x_i|·t_step (sign from the pulse polarity). One MVM takes ``mvm_period``; the
full-scale pulse 2^(b−1)·t_step must fit in it. Operations per MVM: 2·rows·columns (a multiply and an add per
weight), so the array delivers 2·R·C/T operations per second.

Energy of one MVM [J], by part (each a function below, each a closed form):

- **analog** — the cells: ``E = Σ_cells V²·G·t_i`` with t_i = |x_i|·t_step, i.e.
  ``R·C·n_dev·V²·G·t_step·mean|x|`` over the input distribution (:func:`analog_energy`);
- **regulators** — one column voltage regulator per column holds the column at its reference while the cells
  inject current. Its output stage passes the column current, so a class-A stage is biased at the column's full
  scale ``I_FS = R·n_dev·G·V`` (every device of the column conducting at the mean conductance) times
  ``regulator_bias``; it dissipates ``V_supply·regulator_bias·I_FS`` for the whole MVM period
  (:func:`regulator_energy`). Its power grows with rows × columns, like the cells';
- **ADC** — one conversion per column; energy per conversion = power / sampling rate of the converter
  (:func:`adc_energy_per_conversion`);
- **PWM** — per row: a b-bit input register loaded once, a (b−1)-bit down-counter clocked |x| times (gated off at
  zero), and the row line (``columns·n_dev`` devices of ``row_capacitance_per_device``) charged to V_read once
  (C·V² drawn from the V_read supply) — built from the D flip-flop of :mod:`neurofab.cost.circuits` at the node
  (:func:`pwm_energy`);
- **digital processor** — per column output: batch normalisation (a ``output_bits`` × ``output_bits`` multiply-
  accumulate), the residual addition (an ``output_bits`` ripple adder) and ReLU (a 2:1 multiplexer per bit)
  (:func:`digital_processor_energy`);
- **core** — a fixed power for the rest of the core (input memory, dataflow controller, links) × the MVM period.

Energies of the digital blocks are *raw* (every node of the module switches once per operation), an upper bound.
All quantities SI: siemens, volts, seconds, farads, watts, joules.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, DataError, UnknownNameError
from neurofab.cost.cim import digital_mac
from neurofab.cost.circuits import mux, register, ripple_adder
from neurofab.cost.technology import technology

#: Kull et al. 2017 (ISSCC 2017 paper 28.5, a 10-bit 1.5 GS/s pipelined-SAR ADC in 14 nm FinFET CMOS), as listed in
#: B. Murmann, "ADC Performance Survey 1997-2025" (ISSCC sheet, 2017 / 28.5): P = 6.92 mW, f_s = 1.5 GS/s,
#: area 0.0016 mm², SNDR 50.1 dB at Nyquist.
KULL2017_POWER = 6.92e-3  # [W]
KULL2017_RATE = 1.5e9  # [S/s]
KULL2017_AREA = 0.0016e-6  # [m²]


class PwmCrossbarConfig(Config):
    """A PWM-input crossbar with its periphery. Defaults: Dazzi et al. 2021's 256×256 PCM core (seed 001 l. 2821–
    2832 and l. 2746: differential pairs, 8-bit signed inputs, 2.5 µS, 0.2 V, the Kull et al. ADC, 14 nm at 0.8 V,
    a 100-ns timestep); the parts the paper does not state carry the defaults argued in the module docstring."""

    rows: int = Field(256, ge=1, description="crossbar rows R (inputs)")
    columns: int = Field(256, ge=1, description="crossbar columns C (outputs, one ADC conversion each)")
    devices_per_weight: int = Field(2, ge=1, le=2, description="devices per weight: 2 for a differential pair")
    g_mean: float = Field(2.5e-6, gt=0, description="mean device conductance G [S]")
    v_read: float = Field(0.2, gt=0, description="read voltage of a PWM pulse [V]")
    input_bits: int = Field(8, ge=2, le=12, description="signed input width b: |x| ≤ 2^(b-1) PWM steps [bits]")
    mvm_period: float = Field(100e-9, gt=0, description="time of one matrix-vector multiplication T [s]")
    pwm_step: float | None = Field(None, gt=0, description="PWM time step t_step [s]; None: T / 2^(b-1)")
    adc_power: float = Field(KULL2017_POWER, gt=0, description="ADC power at its full rate [W]")
    adc_rate: float = Field(KULL2017_RATE, gt=0, description="ADC sampling rate [S/s]")
    regulator_supply: float = Field(0.8, gt=0, description="supply of the column regulators [V]")
    regulator_bias: float = Field(1.0, ge=0, description="regulator quiescent current / column full-scale current")
    node_nm: int = Field(14, description="CMOS node of the PWM and the digital processor [nm]")
    row_capacitance_per_device: float = Field(
        0.1e-15, ge=0, description="row-line capacitance per device crossed [F]: ~0.5 µm of 0.2 fF/µm wire")
    output_bits: int = Field(10, ge=1, le=32, description="width of a column result in the digital processor [bits]")
    core_power: float = Field(0.0, ge=0, description="fixed power of the rest of the core, per MVM period [W]")

    @model_validator(mode="after")
    def _fits(self) -> PwmCrossbarConfig:
        try:
            technology(self.node_nm)  # an unknown node fails here, before any work
        except UnknownNameError as err:
            raise ValueError(f"PwmCrossbarConfig.node_nm = {self.node_nm!r}: {err}") from None
        full = 2 ** (self.input_bits - 1) * self.step
        if full > self.mvm_period * (1 + 1e-9):
            raise ValueError(f"PwmCrossbarConfig.pwm_step = {self.pwm_step!r}: the full-scale pulse "
                             f"2^{self.input_bits - 1} × {self.step:.3g} s = {full:.3g} s exceeds mvm_period = "
                             f"{self.mvm_period:.3g} s")
        return self

    @property
    def step(self) -> float:
        """PWM time step t_step [s]."""
        return self.pwm_step if self.pwm_step is not None else self.mvm_period / 2 ** (self.input_bits - 1)

    @property
    def max_code(self) -> int:
        """Largest |x|: 2^(b−1) (the signed range is −2^(b−1) … 2^(b−1) − 1)."""
        return 2 ** (self.input_bits - 1)

    @property
    def ops_per_mvm(self) -> int:
        """2·R·C: a multiply and an add per weight."""
        return 2 * self.rows * self.columns

    @property
    def ops_per_second(self) -> float:
        """Array throughput 2·R·C / T [op/s]."""
        return self.ops_per_mvm / self.mvm_period


# ----- the parts, each a closed form --------------------------------------------------------------------------
def cell_energy(g: float, v: float, t: float) -> float:
    """Energy one device of conductance ``g`` [S] dissipates under ``v`` [V] for ``t`` [s]: V²·G·t [J]."""
    for name, value in (("g", g), ("v", v), ("t", t)):
        if not value >= 0:
            raise ConfigError(f"cell_energy {name} = {value!r}: must be >= 0")
    return v * v * g * t


def _mean_abs(cfg: PwmCrossbarConfig, mean_abs_code: float) -> float:
    if not 0 <= mean_abs_code <= cfg.max_code:
        raise ConfigError(f"mean_abs_code = {mean_abs_code!r}: must be in [0, {cfg.max_code}] (input_bits = "
                          f"{cfg.input_bits})")
    return float(mean_abs_code)


def analog_energy(cfg: PwmCrossbarConfig, mean_abs_code: float) -> float:
    """Cells of one MVM: R·C·n_dev·V²·G·t_step·mean|x| [J] (the sum of V²·G·t over every device)."""
    m = _mean_abs(cfg, mean_abs_code)
    return cfg.rows * cfg.columns * cfg.devices_per_weight * cell_energy(cfg.g_mean, cfg.v_read, cfg.step * m)


def column_full_scale_current(cfg: PwmCrossbarConfig) -> float:
    """I_FS = R·n_dev·G·V: every device of a column conducting at the mean conductance [A]."""
    return cfg.rows * cfg.devices_per_weight * cfg.g_mean * cfg.v_read


def regulator_energy(cfg: PwmCrossbarConfig) -> float:
    """C column regulators, each V_supply · regulator_bias · I_FS for the MVM period [J]."""
    return cfg.columns * cfg.regulator_supply * cfg.regulator_bias * column_full_scale_current(cfg) * cfg.mvm_period


def adc_energy_per_conversion(power: float, rate: float) -> float:
    """Energy of one conversion of a converter of ``power`` [W] at ``rate`` [S/s]: P / f_s [J]."""
    if not (power > 0 and rate > 0):
        raise ConfigError(f"ADC power = {power!r} W and rate = {rate!r} S/s: both must be > 0")
    return power / rate


def adc_energy(cfg: PwmCrossbarConfig) -> float:
    """One conversion per column [J]."""
    return cfg.columns * adc_energy_per_conversion(cfg.adc_power, cfg.adc_rate)


def pwm_energy(cfg: PwmCrossbarConfig, mean_abs_code: float) -> float:
    """R rows × (b-bit register load + mean|x| clocks of a (b−1)-bit counter + the row line charged to V_read) [J]."""
    m = _mean_abs(cfg, mean_abs_code)
    tech = technology(cfg.node_nm)
    load = register(tech, cfg.input_bits).energy
    count = m * register(tech, cfg.input_bits - 1).energy
    c_row = cfg.columns * cfg.devices_per_weight * cfg.row_capacitance_per_device
    line = c_row * cfg.v_read**2
    return cfg.rows * (load + count + line)


def digital_processor_energy(cfg: PwmCrossbarConfig) -> float:
    """C outputs × (batch-norm multiply-accumulate + residual adder + ReLU multiplexer) [J]."""
    tech = technology(cfg.node_nm)
    per_output = (digital_mac(tech, cfg.output_bits).energy + ripple_adder(tech, cfg.output_bits).energy
                  + mux(tech, 2, cfg.output_bits).energy)
    return cfg.columns * per_output


@dataclass(frozen=True)
class MvmEnergy:
    """Energy of one MVM by part [J] and what it buys."""

    config: PwmCrossbarConfig
    mean_abs_code: float
    analog: float
    regulators: float
    adc: float
    pwm: float
    digital: float
    core: float

    @property
    def parts(self) -> dict[str, float]:
        return {"analog": self.analog, "regulators": self.regulators, "adc": self.adc, "pwm": self.pwm,
                "digital": self.digital, "core": self.core}

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    @property
    def ops_per_joule(self) -> float:
        """2·R·C / E_MVM [op/J] (= op/s per W; TOPS/W × 1e12)."""
        return self.config.ops_per_mvm / self.total

    @property
    def tops_per_watt(self) -> float:
        return self.ops_per_joule / 1e12

    @property
    def power(self) -> float:
        """Mean power at one MVM per period [W]."""
        return self.total / self.config.mvm_period

    def share(self, part: str) -> float:
        return self.parts[part] / self.total


def mvm_energy(cfg: PwmCrossbarConfig, mean_abs_code: float) -> MvmEnergy:
    """Energy of one MVM whose inputs have mean |x| = ``mean_abs_code`` (in PWM steps)."""
    m = _mean_abs(cfg, mean_abs_code)
    return MvmEnergy(config=cfg, mean_abs_code=m, analog=analog_energy(cfg, m), regulators=regulator_energy(cfg),
                     adc=adc_energy(cfg), pwm=pwm_energy(cfg, m), digital=digital_processor_energy(cfg),
                     core=cfg.core_power * cfg.mvm_period)


# ----- inputs -------------------------------------------------------------------------------------------------
def quantize_inputs(x: torch.Tensor, bits: int = 8, scale: float | None = None) -> torch.Tensor:
    """Signed ``bits``-bit codes of activations ``x``: round(x / scale), clamped to [−2^(b−1), 2^(b−1) − 1];
    ``scale`` defaults to max|x| / (2^(b−1) − 1) (the largest activation at full scale)."""
    if not isinstance(x, torch.Tensor) or x.numel() == 0 or not torch.isfinite(x).all():
        raise DataError("quantize_inputs: x must be a non-empty tensor of finite values")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 12:
        raise ConfigError(f"bits = {bits!r}: must be an integer in [2, 12]")
    top = 2 ** (bits - 1) - 1
    peak = float(x.abs().max())
    s = (peak / top if peak > 0 else 1.0) if scale is None else float(scale)
    if not s > 0:
        raise ConfigError(f"scale = {scale!r}: must be > 0")
    return torch.clamp(torch.round(x / s), -top - 1, top).to(torch.int64)


def mean_abs_code(codes: torch.Tensor) -> float:
    """Mean |x| of integer input codes [PWM steps]."""
    if not isinstance(codes, torch.Tensor) or codes.numel() == 0:
        raise DataError("mean_abs_code: codes must be a non-empty tensor")
    return float(codes.abs().to(torch.float64).mean())


def analog_energy_of(cfg: PwmCrossbarConfig, codes: torch.Tensor, conductances: torch.Tensor | None = None
                     ) -> torch.Tensor:
    """Cell energy of each MVM of a batch: ``codes`` (..., R) signed integers, ``conductances`` (R, C·n_dev) [S]
    (default: every device at G). Returns Σ_ij V²·G_ij·|x_i|·t_step per input vector [J], shape (...)."""
    if codes.shape[-1] != cfg.rows:
        raise DataError(f"codes: last dimension {codes.shape[-1]} must equal rows = {cfg.rows}")
    if int(codes.abs().max()) > cfg.max_code:
        raise DataError(f"codes exceed the {cfg.input_bits}-bit range (|x| ≤ {cfg.max_code})")
    t = codes.abs().to(torch.float64) * cfg.step  # (..., R) pulse durations
    if conductances is None:
        g_row = torch.full((cfg.rows,), cfg.g_mean * cfg.columns * cfg.devices_per_weight, dtype=torch.float64)
    else:
        if conductances.shape != (cfg.rows, cfg.columns * cfg.devices_per_weight):
            raise DataError(f"conductances: shape {tuple(conductances.shape)} must be "
                            f"({cfg.rows}, {cfg.columns * cfg.devices_per_weight})")
        if bool((conductances < 0).any()):
            raise DataError("conductances must be >= 0")
        g_row = conductances.to(torch.float64).sum(dim=1)
    return cfg.v_read**2 * (t * g_row).sum(dim=-1)
