"""Named analog presets: RPU-config-like bundles of device + periphery + algorithm, each with its source.

``presets.get(name)`` returns an :class:`AnalogPreset` (``presets.names()`` lists them); ``preset.tile`` is the
:class:`~neurofab.crossbar.TileConfig` to build layers with (training presets), ``preset.algorithm`` what to
install with :func:`~neurofab.analog.optimizers.use_algorithm`, ``preset.inference`` the
:class:`~neurofab.analog.inference.InferenceConfig` for :func:`~neurofab.analog.inference.convert_to_inference`
(inference presets). Every preset names its source; values that are another library's defaults say so.
"""

from __future__ import annotations

from pydantic import Field

from neurofab.analog.chopped import ChoppedConfig, agad_config, chopped_ttv2_config
from neurofab.analog.inference import InferenceConfig
from neurofab.analog.mixed_precision import MixedPrecisionAlgorithm
from neurofab.analog.optimizers import SGDAlgorithm
from neurofab.analog.tiki_taka import tiki_taka_config, ttv2_config
from neurofab.core import Config, Registry, UnknownNameError
from neurofab.crossbar import IOConfig, TileConfig
from neurofab.crossbar.compound import CompoundConfig
from neurofab.crossbar.inference_tile import InferenceTileConfig
from neurofab.crossbar.noise_models import PCMNoiseModel, ReRAMCMONoiseModel
from neurofab.devices import ConstantStep, ReferenceDevice, SoftBounds, device_presets

__all__ = ["AnalogPreset", "get", "names", "presets"]


class AnalogPreset(Config):
    """A named bundle: tile (device + periphery + update) and algorithm for training, or an inference config."""

    name: str = Field(description="registry name")
    source: str = Field(description="where the numbers come from")
    tile: TileConfig | None = Field(None, description="training tile (None for inference presets)")
    algorithm: SGDAlgorithm | CompoundConfig | ChoppedConfig | MixedPrecisionAlgorithm | None = Field(
        None, description="training algorithm for use_algorithm (None for inference presets)"
    )
    inference: InferenceConfig | None = Field(None, description="inference configuration (None for training presets)")


presets: Registry[AnalogPreset] = Registry("analog preset")


def _reg(name: str, source: str, **kw) -> None:
    presets.add(name, lambda: AnalogPreset(name=name, source=source, **kw), source)


_reg("ideal", "neurofab: perfect periphery, floating-point update (a digital layer on tiles)",
     tile=TileConfig.ideal(), algorithm=SGDAlgorithm())
_reg("constant_step_sgd", "aihwkit SingleRPUConfig defaults: ConstantStep device, IOParameters, pulse trains",
     tile=TileConfig(device=ConstantStep()), algorithm=SGDAlgorithm())
_reg("reram_sb_sgd", "aihwkit ReRamSBPreset-like soft bounds (device_presets 'reram_soft_bounds'), analog SGD",
     tile=TileConfig(device=device_presets.create("reram_soft_bounds")), algorithm=SGDAlgorithm())
_reg("reference_sb_sgd", "aihwkit SoftBoundsReferenceDevice with subtract_symmetry_point: weight zero at w*",
     tile=TileConfig(device=ReferenceDevice(device=SoftBounds(), subtract_symmetry_point=True)),
     algorithm=SGDAlgorithm())
_reg("tiki_taka", "Gokmen & Haensch 2020 (Tiki-Taka v1, ttv2 note Alg. 1) on the TTv2 array model",
     tile=TileConfig(device=device_presets.create("ttv2_array")), algorithm=tiki_taka_config(lr_c=0.1))
_reg("ttv2", "Gokmen 2021 (TTv2, ttv2 note Alg. 2) on its simulated array (μ_s = 1.66, 1,200 states)",
     tile=TileConfig(device=device_presets.create("ttv2_array")), algorithm=ttv2_config(lr_c=0.1, every=1))
_reg("c_ttv2", "Rasch et al. 2023 chopped TTv2 (aihwkit ChoppedTransferCompound semantics), TTv2 array",
     tile=TileConfig(device=device_presets.create("ttv2_array")), algorithm=chopped_ttv2_config(lr_c=0.1))
_reg("agad", "Rasch et al. 2023 AGAD (aihwkit DynamicTransferCompound semantics, tail weightening 5), TTv2 array",
     tile=TileConfig(device=device_presets.create("ttv2_array")), algorithm=agad_config(lr_c=0.1))
_reg("mixed_precision", "Nandakumar et al. 2020 mixed precision: digital χ, whole device steps, PCM-like pair",
     tile=TileConfig(device=device_presets.create("pcm_pair")), algorithm=MixedPrecisionAlgorithm())
_reg("pcm_inference", "aihwkit PCMLikeNoiseModel defaults (Joshi 2020, Nandakumar 2019), 7-bit DAC / 9-bit ADC",
     inference=InferenceConfig(tile=InferenceTileConfig(noise_model=PCMNoiseModel(read_noise="at_drift"))))
_reg("reram_cmo_inference", "aihwkit ReRamCMONoiseModel coefficients (CMO/HfOx, 0.2 % acceptance), 1 % read noise",
     inference=InferenceConfig(tile=InferenceTileConfig(
         noise_model=ReRAMCMONoiseModel(),
         forward=IOConfig(w_noise=0.01, w_noise_type="additive_constant"))))
_reg("ideal_inference", "neurofab: noise-free devices and periphery (the digital reference of an inference run)",
     inference=InferenceConfig(tile=InferenceTileConfig(forward=IOConfig.perfect())))



def get(name: str) -> AnalogPreset:
    """The preset ``name`` (see :func:`names`)."""
    if name not in presets:
        raise UnknownNameError(f"unknown analog preset {name!r}; known: {', '.join(presets.names())}")
    return presets.create(name)


def names() -> list[str]:
    """Every preset name, sorted."""
    return presets.names()
