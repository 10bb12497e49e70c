"""Performance model of MONETA, the 8T-SRAM processing-in-memory ConvSNN chip — Kim et al. 2022, sections 3–4.

The chip (``MonetaChipConfig``) has 8 synaptic cores of nine 128×128 8T-SRAM arrays at 1 GHz. A weight is 8
consecutive cells of a row, so a wordline holds 128/8 = 16 weights; a 3×3 filter is cut into nine 1×1×I_D slices,
one per array (NeuroSim-V2 mapping), and each core holds O_D/8 filters. Rows are read one per clock, each read
multiplying one input spike by the 16 weights of the row in all arrays of all cores:

- peak throughput = 2 ops × 16 weights/wordline × 9 arrays × 8 cores × f_clk (section 4.4);
- learning: every output spike costs a 17-cycle weight update (8 reads + 1 compute + 8 writes), so the throughput
  falls to peak / (1 + 17·r_out), r_out the output spike rate;
- a ConvSNN layer takes 100·(I_R/S)·(I_C/S)·I_D clock cycles per image (100 time steps, the I_D rows of every
  output position read one per cycle), its image rate is f_clk over that;
- the weight memory needed is that of the largest layer (layers are trained one at a time); a hybrid network runs
  its backpropagation-trained and STDP blocks side by side, so it needs that memory once per block.

Energy efficiency and compute density come from the post-layout power and area the paper states (Table 3).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError

Mode = Literal["inference", "learning"]


class MonetaChipConfig(Config):
    """One MONETA chip: its PIM macro, clock, learning cost, area and power (defaults: Kim et al. 2022).

    Array geometry and clock: sections 3.2.2, 4.2 and 4.4; update cycles: 8 weight-bit reads, 1 computation,
    8 writes (section 4.4, '17 cycles'); areas: section 4.2 (core 1.394 mm², STDP controller 0.025 mm²) and
    Table 3 (chip 11.155 mm²); powers: section 4.5 and Table 3, post-layout at 1 V, 1 GHz with CONV4's spike
    activity (input 0.0092, output 0.0028).
    """

    cores: int = Field(8, gt=0, description="synaptic cores per chip [1]")
    arrays_per_core: int = Field(9, gt=0, description="8T-SRAM synaptic arrays per core [1]")
    array_rows: int = Field(128, gt=0, description="rows (wordlines) per array [1]")
    array_columns: int = Field(128, gt=0, description="columns (SRAM cells per row) per array [1]")
    weight_bits: int = Field(8, gt=0, description="bits (cells) per weight, sign + magnitude [bit]")
    clock_frequency: float = Field(1e9, gt=0, description="accelerator clock; one SNN time step per cycle [Hz]")
    time_steps: int = Field(100, gt=0, description="SNN time steps an image is shown for (T_total/T_unit) [1]")
    update_read_cycles: int = Field(8, ge=0, description="cycles to read a weight for an STDP update [cycles]")
    update_compute_cycles: int = Field(1, ge=0, description="cycles to compute the stochastic STDP update [cycles]")
    update_write_cycles: int = Field(8, ge=0, description="cycles to write the updated weight back [cycles]")
    core_area: float = Field(1.394e-6, gt=0, description="area of one synaptic core [m^2]")
    controller_area: float = Field(0.025e-6, gt=0, description="area of the central STDP controller [m^2]")
    chip_area: float = Field(11.155e-6, gt=0, description="area of the chip as laid out (Table 3) [m^2]")
    inference_power: float = Field(0.12328, gt=0, description="chip power in inference mode [W]")
    learning_power: float = Field(0.30352, gt=0, description="chip power in learning mode [W]")

    @model_validator(mode="after")
    def _whole_weights(self) -> MonetaChipConfig:
        if self.array_columns % self.weight_bits:
            raise ValueError(f"array_columns {self.array_columns} must hold whole {self.weight_bits}-bit weights "
                             f"(a multiple of weight_bits)")
        return self

    @property
    def weights_per_wordline(self) -> int:
        """Weights one row read multiplies: array columns / weight bits (16)."""
        return self.array_columns // self.weight_bits

    @property
    def capacity_bits(self) -> int:
        """Synaptic memory of the chip [bit]: cores × arrays × rows × columns."""
        return self.cores * self.arrays_per_core * self.array_rows * self.array_columns

    @property
    def update_cycles(self) -> int:
        """Clock cycles one STDP weight update stalls the array (17)."""
        return self.update_read_cycles + self.update_compute_cycles + self.update_write_cycles

    @property
    def ops_per_cycle(self) -> int:
        """Operations per clock: 2 (multiply + accumulate) per weight of a wordline, all arrays of all cores."""
        return 2 * self.weights_per_wordline * self.arrays_per_core * self.cores

    @property
    def peak_throughput(self) -> float:
        """Inference throughput [op/s] (2.304 TOPS for the defaults)."""
        return self.ops_per_cycle * self.clock_frequency

    def learning_throughput(self, output_spike_rate: float) -> float:
        """On-line learning throughput [op/s]: peak / (1 + update_cycles · r_out) (section 4.4)."""
        _check_rate(output_spike_rate)
        return self.peak_throughput / (1.0 + self.update_cycles * output_spike_rate)

    def power(self, mode: Mode) -> float:
        """Chip power in ``mode`` [W]."""
        return {"inference": self.inference_power, "learning": self.learning_power}[_check_mode(mode)]

    @property
    def block_area(self) -> float:
        """Sum of the block areas: cores × core area + controller [m^2] (11.177 mm² for the defaults)."""
        return self.cores * self.core_area + self.controller_area


def _check_rate(rate: float) -> float:
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not math.isfinite(rate) or not 0 <= rate <= 1:
        raise ConfigError(f"output_spike_rate = {rate!r}: must be a number in [0, 1] (spikes per neuron per step)")
    return float(rate)


def _check_mode(mode: str) -> Mode:
    if mode not in ("inference", "learning"):
        raise ConfigError(f"mode = {mode!r}: must be 'inference' or 'learning'")
    return mode  # type: ignore[return-value]


class SnnConvLayer(Config):
    """One convolutional layer of a ConvSNN in MONETA's terms: TIFM I_R×I_C×I_D, O_D filters of F×F×I_D, stride S."""

    name: str = Field(..., min_length=1, description="layer name")
    in_rows: int = Field(..., gt=0, description="I_R: input feature-map rows [pixels]")
    in_columns: int = Field(..., gt=0, description="I_C: input feature-map columns [pixels]")
    in_depth: int = Field(..., gt=0, description="I_D: input channels (= rows used in each synaptic array) [1]")
    filters: int = Field(..., gt=0, description="O_D: number of filters (output channels) [1]")
    kernel: int = Field(3, gt=0, description="F_R = F_C: filter height and width [pixels]")
    stride: int = Field(1, gt=0, description="S: stride [pixels]")

    @property
    def out_rows(self) -> int:
        """I_R / S output rows (rounded up)."""
        return math.ceil(self.in_rows / self.stride)

    @property
    def out_columns(self) -> int:
        return math.ceil(self.in_columns / self.stride)

    @property
    def parameter_bits(self) -> int:
        """F_R·F_C·I_D·O_D weights × 8 bit — the weight memory of the layer [bit]."""
        return self.kernel * self.kernel * self.in_depth * self.filters * 8

    def cycles_per_image(self, chip: MonetaChipConfig) -> int:
        """Clock cycles to process one image: time_steps · (I_R/S) · (I_C/S) · I_D (section 4.4)."""
        return chip.time_steps * self.out_rows * self.out_columns * self.in_depth

    def frames_per_second(self, chip: MonetaChipConfig, output_spike_rate: float | None = None) -> float:
        """Images per second through this layer [1/s]; in learning mode (``output_spike_rate`` given) every output
        spike adds the update stall, as for the throughput."""
        rate = 1.0 if output_spike_rate is None else 1.0 + chip.update_cycles * _check_rate(output_spike_rate)
        return chip.clock_frequency / (self.cycles_per_image(chip) * rate)

    def fits(self, chip: MonetaChipConfig) -> bool:
        """Whether the layer maps on one chip: one F×F slice position per array, I_D rows, O_D·8/cores columns."""
        return (self.kernel * self.kernel <= chip.arrays_per_core
                and self.in_depth <= chip.array_rows
                and math.ceil(self.filters / chip.cores) * chip.weight_bits <= chip.array_columns)


class MonetaNetwork(Config):
    """A ConvSNN run on MONETA: its on-chip convolutional layers and how many such blocks run side by side
    (1 for a homogeneous network, 2 for the hybrid network of a backpropagation-trained and an STDP block)."""

    name: str = Field("convsnn", description="network name")
    layers: tuple[SnnConvLayer, ...] = Field(..., min_length=1, description="on-chip layers in order")
    parallel_blocks: int = Field(1, gt=0, description="identical blocks that run side by side [1]")

    @model_validator(mode="after")
    def _chained(self) -> MonetaNetwork:
        for a, b in zip(self.layers, self.layers[1:]):
            if (b.in_rows, b.in_columns, b.in_depth) != (a.out_rows, a.out_columns, a.filters):
                raise ValueError(f"layer {b.name!r} reads {(b.in_rows, b.in_columns, b.in_depth)} but layer "
                                 f"{a.name!r} produces {(a.out_rows, a.out_columns, a.filters)}")
        return self

    def layer(self, name: str) -> SnnConvLayer:
        for la in self.layers:
            if la.name == name:
                return la
        raise ConfigError(f"network {self.name!r} has no layer {name!r}; layers: "
                          f"{', '.join(la.name for la in self.layers)}")

    @property
    def required_parameter_bits(self) -> int:
        """On-chip weight memory [bit]: the largest layer (layer-by-layer training), once per parallel block."""
        return self.parallel_blocks * max(la.parameter_bits for la in self.layers)

    @property
    def output_features(self) -> int:
        """Inputs of the off-chip classifier: the last layer's output volume, per block, concatenated."""
        last = self.layers[-1]
        return self.parallel_blocks * last.out_rows * last.out_columns * last.filters


class MonetaSystem:
    """A network on as many MONETA chips as its weights need; all chips run in lockstep on the same image."""

    def __init__(self, network: MonetaNetwork, chip: MonetaChipConfig | None = None) -> None:
        if not isinstance(network, MonetaNetwork):
            raise ConfigError(f"network must be a MonetaNetwork, got {type(network).__name__}")
        self.network = network
        self.chip = chip or MonetaChipConfig()
        too_big = [la.name for la in network.layers if not la.fits(self.chip)]
        if too_big:
            raise ConfigError(f"layer(s) {too_big} do not map on one chip ({self.chip.arrays_per_core} arrays of "
                              f"{self.chip.array_rows}×{self.chip.array_columns}, {self.chip.cores} cores)")

    @property
    def chips(self) -> int:
        """Chips needed for the weights: ⌈required parameter bits / chip capacity⌉."""
        return math.ceil(self.network.required_parameter_bits / self.chip.capacity_bits)

    def throughput(self, mode: Mode = "inference", output_spike_rate: float | None = None) -> float:
        """Throughput of all chips [op/s]; in learning mode each chip is slowed by the update stalls at
        ``output_spike_rate`` (section 4.4; a hybrid's two chips run in lockstep, so both go at the learning rate)."""
        if _check_mode(mode) == "inference":
            return self.chips * self.chip.peak_throughput
        if output_spike_rate is None:
            raise ConfigError("learning throughput needs output_spike_rate (spikes per neuron per step, e.g. 0.0028)")
        return self.chips * self.chip.learning_throughput(output_spike_rate)

    @property
    def area(self) -> float:
        """Silicon of all chips [m^2]."""
        return self.chips * self.chip.chip_area

    def power(self, mode: Mode) -> float:
        """Power of all chips in ``mode`` [W] (every chip in the same mode)."""
        return self.chips * self.chip.power(mode)

    def frames_per_second(self, name: str, output_spike_rate: float | None = None) -> float:
        return self.network.layer(name).frames_per_second(self.chip, output_spike_rate)


def _check_throughput(throughput: float) -> float:
    if not throughput >= 0 or not math.isfinite(throughput):
        raise ConfigError(f"throughput = {throughput!r}: must be a finite number >= 0 [op/s]")
    return throughput


def tops_per_watt(throughput: float, power: float) -> float:
    """Energy efficiency [TOPS/W] from a throughput [op/s] and a power [W]."""
    _check_throughput(throughput)
    if not power > 0 or not math.isfinite(power):
        raise ConfigError(f"power = {power!r}: must be a finite number > 0 [W]")
    return throughput / 1e12 / power


def tops_per_mm2(throughput: float, area: float) -> float:
    """Compute density [TOPS/mm²] from a throughput [op/s] and an area [m^2]."""
    _check_throughput(throughput)
    if not area > 0 or not math.isfinite(area):
        raise ConfigError(f"area = {area!r}: must be a finite number > 0 [m^2]")
    return throughput / 1e12 / (area * 1e6)


def moneta_convsnn(hybrid: bool = False, image_size: int = 32, image_channels: int = 3) -> MonetaNetwork:
    """The four-layer ConvSNN of Kim et al. 2022, Table 1: 3×3 filters, depths 64, 64, 128, 128, on CIFAR images.

    The paper prints the filters but not the strides or feature-map sizes; stride 2 in every layer is what its
    per-layer image rates (Section 4.4) and its classifier input (FC 1×1×512 = 2×2×128; hybrid 1,024) require.
    ``hybrid=True`` runs two such blocks side by side (backpropagation-trained and STDP-trained, Figure 6C).
    """
    depths = (64, 64, 128, 128)
    layers = []
    size, depth = image_size, image_channels
    for i, filters in enumerate(depths, start=1):
        la = SnnConvLayer(name=f"CONV{i}", in_rows=size, in_columns=size, in_depth=depth, filters=filters,
                          kernel=3, stride=2)
        layers.append(la)
        size, depth = la.out_rows, filters
    return MonetaNetwork(name="moneta-hybrid" if hybrid else "moneta-homogeneous", layers=tuple(layers),
                         parallel_blocks=2 if hybrid else 1)
