"""L2 — arrays of devices with their periphery: mapping, DAC/ADC, noise, bounds, IR drop, MVM, pulsed update,
compound (multi-array) weights, weight extraction, inference noise models and drift."""

from neurofab.crossbar.compound import (
    CompoundConfig,
    CompoundTile,
    TransferConfig,
    hadamard_vectors,
    outer_update,
    symmetry_point,
    zero_shift,
)
from neurofab.crossbar.drift import (
    DriftCompensationKind,
    compensation_factor,
    probe_inputs,
    probe_readout,
)
from neurofab.crossbar.extraction import (
    LinearExtractor,
    WeightAverager,
    disturb,
    extract_weights,
    random_prune_mask,
    snr_prune_mask,
)
from neurofab.crossbar.inference_kernels import (
    adc_finish,
    dac_codes,
    standard_normal_fill,
    standard_normal_fill32,
)
from neurofab.crossbar.inference_tile import (
    InferenceTile,
    InferenceTileConfig,
    bound_management_on,
    forward_mvm,
)
from neurofab.crossbar.io import IOConfig, analog_mvm, check_input, quantize
from neurofab.crossbar.ir_drop import (
    IRDropConfig,
    effective_conductance,
    effective_conductance_exact,
    effective_conductance_first_order,
    ir_drop_scale,
)
from neurofab.crossbar.mapping import (
    ConductanceMapping,
    conductances_to_weights,
    scale_weights,
    weights_to_conductances,
)
from neurofab.crossbar.noise_models import (
    AnyNoiseModel,
    GaussianNoiseModel,
    NoiseModel,
    PCMNoiseModel,
    Programmed,
    ReRAMCMONoiseModel,
    ReRAMPolynomialNoiseModel,
    RRAMRetentionNoiseModel,
    StuckAtFaults,
    pcm_drift_factor,
    pcm_read_noise_factor,
)
from neurofab.crossbar.tile import AnalogTile, TileConfig, UpdateRule
from neurofab.crossbar.tiling import TileArray, split_sizes
from neurofab.crossbar.update import UpdateConfig, expected_coincidences, pulse_train_parameters, stochastic_update

__all__ = [
    "AnalogTile",
    "AnyNoiseModel",
    "CompoundConfig",
    "CompoundTile",
    "ConductanceMapping",
    "DriftCompensationKind",
    "GaussianNoiseModel",
    "IOConfig",
    "IRDropConfig",
    "InferenceTile",
    "InferenceTileConfig",
    "LinearExtractor",
    "NoiseModel",
    "PCMNoiseModel",
    "Programmed",
    "RRAMRetentionNoiseModel",
    "ReRAMCMONoiseModel",
    "ReRAMPolynomialNoiseModel",
    "StuckAtFaults",
    "TileArray",
    "TileConfig",
    "TransferConfig",
    "UpdateConfig",
    "UpdateRule",
    "WeightAverager",
    "adc_finish",
    "analog_mvm",
    "bound_management_on",
    "check_input",
    "compensation_factor",
    "conductances_to_weights",
    "dac_codes",
    "disturb",
    "effective_conductance",
    "effective_conductance_exact",
    "effective_conductance_first_order",
    "expected_coincidences",
    "extract_weights",
    "forward_mvm",
    "hadamard_vectors",
    "ir_drop_scale",
    "outer_update",
    "pcm_drift_factor",
    "pcm_read_noise_factor",
    "probe_inputs",
    "probe_readout",
    "pulse_train_parameters",
    "quantize",
    "random_prune_mask",
    "scale_weights",
    "snr_prune_mask",
    "split_sizes",
    "standard_normal_fill",
    "standard_normal_fill32",
    "stochastic_update",
    "symmetry_point",
    "weights_to_conductances",
    "zero_shift",
]
