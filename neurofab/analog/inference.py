"""Analog inference over time for whole models: program → drift → read, with Monte Carlo repeats.

``convert_to_inference(model, config)`` copies a model with every ``nn.Linear`` replaced by an
:class:`InferenceLinear`, every convolution (and transposed convolution) by an :class:`InferenceConv` (patches
through one ``InferenceLinear``), recurrent layers and multi-head attention by twins whose matrices are
``InferenceLinear`` layers (:mod:`neurofab.analog.recurrent`, :mod:`neurofab.analog.multihead`). Each
``InferenceLinear`` holds digital reference weights (trainable, for hardware-aware training) plus an
:class:`~neurofab.crossbar.inference_tile.InferenceTile` that holds their programmed, drifted conductances.

- training mode: hardware-aware forward (:mod:`neurofab.analog.hwa`): weight noise, the periphery with a
  straight-through backward, a learned input range;
- evaluation mode, not programmed: the reference weights read exactly through the periphery;
- evaluation mode, programmed: the tile's drifted conductances with read noise on every MVM.

Model-level verbs: :func:`program` (programming noise, drift exponents, drift-compensation baseline),
:func:`drift_to` (conductances and compensation ``t`` seconds later), :func:`reset` (back to the reference
weights), :func:`monte_carlo` (independent repeats of program → drift_to(t) → evaluate for each t).

Digital parts of a layer: the bias, an optional learned per-column output scale and offset
(``output_affine``), the learned input range (``input_range``) that sets the DAC full scale.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from pydantic import Field, model_validator
from torch import nn

from neurofab.analog.conv_patches import patches, transposed_matrix, transposed_patches, unpatch
from neurofab.analog.hwa import HWAConfig, InputRangeConfig, clip_input_range, straight_through, weight_noise
from neurofab.core import (
    Config,
    ConfigError,
    DataError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    child_seeds,
    make_generator,
    seed_from,
)
from neurofab.core import progress as progress_bar
from neurofab.crossbar.inference_tile import InferenceTile, InferenceTileConfig
from neurofab.crossbar.io import IOConfig
from neurofab.crossbar.noise_models import PCMNoiseModel

__all__ = [
    "ConversionReport",
    "InferenceConfig",
    "InferenceConv",
    "InferenceLinear",
    "MonteCarloResult",
    "accuracy",
    "calibrate_input_ranges",
    "convert_to_inference",
    "drift_to",
    "inference_layers",
    "monte_carlo",
    "program",
    "reconfigure",
    "reset",
]


class InferenceConfig(Config):
    """Everything about one inference layer: the tile (devices, periphery, compensation), training noise,
    the learned input range and the learned per-column output scale and offset."""

    tile: InferenceTileConfig = Field(default_factory=InferenceTileConfig, description="devices and periphery")
    hwa: HWAConfig = Field(default_factory=HWAConfig, description="training-time non-idealities")
    input_range: InputRangeConfig | None = Field(
        None, description="learned DAC range (None: the periphery's own noise management)"
    )
    output_affine: bool = Field(False, description="learned per-column digital output scale and offset")

    @model_validator(mode="after")
    def _check(self) -> InferenceConfig:
        io = self.tile.forward
        if self.input_range is not None and not io.is_perfect:
            if io.noise_management != "none" or io.inp_bound != 1.0:
                raise ValueError(
                    "input_range replaces noise management: set tile.forward.noise_management = 'none' and "
                    f"inp_bound = 1 (got {io.noise_management!r}, {io.inp_bound})"
                )
        if self.hwa.remap != "none" and not self.output_affine:
            raise ValueError(f"hwa.remap = {self.hwa.remap!r} moves weight scale into the output: set output_affine")
        return self

    @classmethod
    def spoon2021(cls, gamma: float = 1.0, weight_noise_std: float = 1.0) -> InferenceConfig:
        """The periphery of Spoon et al. 2021 (pcm-transformer note) on the PCM model with noise scale γ.

        8-bit DAC with a learned input range, 10-bit ADC over ±10 with 0.5 LSB Gaussian output noise, no
        bound management, learned per-column digital scale and offset, weights clipped to ±1 and mapped per
        column (1 ↔ g_max), 512 × 512 arrays, global drift compensation; hardware-aware training with
        programming-shaped weight noise of scale ``weight_noise_std``.
        """
        out_step = 2 * 10.0 / (2**10 - 2)
        io = IOConfig(
            inp_bits=8, out_bits=10, out_bound=10.0, out_noise=0.5 * out_step,
            noise_management="none", bound_management="none",
        )
        tile = InferenceTileConfig(
            noise_model=PCMNoiseModel(gamma=gamma), forward=io, weight_scaling="column",
            drift_compensation="global",
        )
        hwa = HWAConfig(weight_noise="programming", weight_noise_std=weight_noise_std, clip="fixed", clip_value=1.0)
        return cls(tile=tile, hwa=hwa, input_range=InputRangeConfig(), output_affine=True)


class InferenceLinear(nn.Module):
    """y = W x + b with W read from PCM/ReRAM arrays (module docstring for the three modes)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        config: InferenceConfig | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        config = InferenceConfig() if config is None else config
        if not isinstance(config, InferenceConfig):
            raise InputTypeError(f"config must be an InferenceConfig, got {type(config).__name__}")
        if in_features <= 0 or out_features <= 0:
            raise ShapeError(f"InferenceLinear: sizes must be positive, got {in_features}→{out_features}")
        self.config = config
        self.in_features, self.out_features = int(in_features), int(out_features)
        gen = make_generator(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = nn.Parameter((torch.rand(self.out_features, self.in_features, generator=gen) * 2 - 1) * bound)
        self.bias = nn.Parameter((torch.rand(self.out_features, generator=gen) * 2 - 1) * bound) if bias else None
        if config.output_affine:
            self.out_scale = nn.Parameter(torch.ones(self.out_features))
            self.out_offset = nn.Parameter(torch.zeros(self.out_features))
        else:
            self.out_scale = self.out_offset = None
        ir = config.input_range
        self.input_range = None if ir is None else nn.Parameter(torch.tensor(ir.init_value))
        self.register_buffer("range_batches", torch.zeros((), dtype=torch.int64))
        self.tile = InferenceTile(self.out_features, self.in_features, config.tile, seed=seed_from(gen))
        self.noise_generator = make_generator(seed_from(gen))

    def get_extra_state(self) -> dict:
        """The training-noise generator's state (the tile saves its own programmed state)."""
        return {"noise_generator": self.noise_generator.get_state()}

    def set_extra_state(self, state: dict) -> None:
        self.noise_generator.set_state(state["noise_generator"])

    # ----- forward ----------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_features:
            raise ShapeError(f"InferenceLinear: expected {self.in_features} input features, got shape {tuple(x.shape)}")
        if x.device != self.weight.device:
            raise InputTypeError(f"InferenceLinear: input on {x.device} but its weights on {self.weight.device}; "
                                 "move the model or the input with .to(device)")
        if self.training and x.numel() and not _finite(x):  # evaluation: forward_mvm checks as its DAC reads x
            raise NumericalError("InferenceLinear: input contains NaN or inf")
        lead = x.shape[:-1]
        x2 = x.reshape(-1, self.in_features)
        y = self._forward_train(x2) if self.training else self._forward_eval(x2)
        if self.out_scale is not None:
            y = y * self.out_scale + self.out_offset
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*lead, self.out_features)

    def _range(self, x: torch.Tensor) -> torch.Tensor:
        """The input range, first initialised from the data (running mean of α·std(x))."""
        cfg = self.config.input_range
        idx = int(self.range_batches)
        if self.training and idx < cfg.init_from_data:
            std = float(x.detach().std())
            if std > 0:
                with torch.no_grad():
                    self.input_range.copy_((self.input_range * idx + cfg.init_std_alpha * std) / (idx + 1))
                    self.range_batches += 1
        return self.input_range

    def _forward_eval(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            w = self.weight.detach()
            if self.input_range is None:
                return self.tile(x, reference=w)
            r = self.input_range.detach().abs().clamp(min=1e-12)
            return self.tile(x / r, reference=w) * r

    def _forward_train(self, x: torch.Tensor) -> torch.Tensor:
        hwa = self.config.hwa
        r = None
        if self.input_range is not None:
            r = self._range(x)
            x = clip_input_range(x, r, self.config.input_range)
        if self.noise_generator.device != self.weight.device:  # follow the weights (seeded from the old one)
            self.noise_generator = make_generator(seed_from(self.noise_generator), device=self.weight.device)
        noise = weight_noise(self.weight, hwa, self.config.tile.noise_model, self.noise_generator)
        w = self.weight if noise is None else self.weight + noise
        surrogate = x @ w.T
        if not hwa.periphery:
            return surrogate
        with torch.no_grad():
            wd, xd = w.detach(), x.detach()
            if r is None:
                hardware = self.tile.read_reference(xd, wd)
            else:
                rd = r.detach().abs().clamp(min=1e-12)
                hardware = self.tile.read_reference(xd / rd, wd) * rd
        return straight_through(hardware, surrogate)

    # ----- after every optimizer step ------------------------------------------------------------------------
    @torch.no_grad()
    def post_step(self) -> None:
        """Weight clipping and remapping of the HWA config (call after each optimizer step)."""
        hwa = self.config.hwa
        w = self.weight
        if hwa.clip == "fixed":
            w.clamp_(-hwa.clip_value, hwa.clip_value)
        elif hwa.clip == "gaussian":
            limit = float(hwa.clip_sigma * w.std())
            w.clamp_(-limit, limit)
        if hwa.remap != "none":
            m = w.abs().amax(dim=1) if hwa.remap == "column" else w.abs().amax().expand(self.out_features)
            m = torch.where(m > 0, m, torch.ones_like(m))
            w.div_(m[:, None])
            self.out_scale.mul_(m)

    # ----- programming ----------------------------------------------------------------------------------------
    def program(self, seed: Seed = None) -> None:
        """Program the current weights onto the tile (new programming noise and drift exponents)."""
        device = self.weight.device  # generators live where the weights do (CPU, CUDA, …)
        gen = make_generator(seed, device=device)
        self.tile.generator = make_generator(seed_from(gen), device=device)
        self.tile.program(self.weight.detach(), gen)

    def drift_to(self, t_inference: float, seed: Seed = None) -> None:
        """Conductances and compensation ``t_inference`` seconds after programming."""
        self.tile.drift_to(t_inference, seed)

    def reset(self) -> None:
        """Forget the programmed state: evaluation reads the reference weights again."""
        self.tile.reset()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _finite(x: torch.Tensor) -> bool:
    """No NaN or inf in ``x`` (one reduction pass, no temporary of the input's size)."""
    lo, hi = torch.aminmax(x)
    return bool(torch.isfinite(lo) & torch.isfinite(hi))


# ----- model-level verbs ---------------------------------------------------------------------------------------------
def inference_layers(model: nn.Module) -> list[InferenceLinear]:
    """The inference layers of ``model`` in module order."""
    return [m for m in model.modules() if isinstance(m, InferenceLinear)]


class InferenceConv(nn.Module):
    """A 1-, 2- or 3-d convolution (or transposed convolution) whose (C_out × C_in·Πk) weight matrix is one
    :class:`InferenceLinear`, applied to every patch of the input (im2col, :mod:`neurofab.analog.conv_patches`):
    each patch is one MVM on the tile.
    Its ``linear`` is an ordinary inference layer, so program / drift_to / reset / Monte Carlo see it."""

    def __init__(self, conv: nn.Module, config: InferenceConfig, seed: int = 0) -> None:
        super().__init__()
        if not isinstance(conv, nn.modules.conv._ConvNd):
            raise InputTypeError(f"InferenceConv: expected a torch convolution, got {type(conv).__name__}")
        if conv.groups != 1 or conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ConfigError(f"{type(conv).__name__} with groups={conv.groups}, padding={conv.padding!r}, "
                              f"padding_mode={conv.padding_mode!r}: only groups=1 and numeric zero padding map onto "
                              "one weight matrix")
        self.dims = conv.weight.ndim - 2
        self.transposed = bool(conv.transposed)
        self.kernel_size, self.stride = tuple(conv.kernel_size), tuple(conv.stride)
        self.padding, self.dilation = tuple(conv.padding), tuple(conv.dilation)
        self.output_padding = tuple(conv.output_padding)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        w = conv.weight.detach()
        matrix = transposed_matrix(w) if self.transposed else w.reshape(conv.out_channels, -1)
        self.linear = InferenceLinear(matrix.shape[1], matrix.shape[0], conv.bias is not None, config, seed=seed)
        with torch.no_grad():
            self.linear.weight.copy_(matrix)
            if conv.bias is not None:
                self.linear.bias.copy_(conv.bias.detach())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != self.dims + 2 or x.shape[1] != self.in_channels:
            kind = f"InferenceConv{'Transpose' if self.transposed else ''}{self.dims}d"
            raise ShapeError(f"{kind}: expected (N, {self.in_channels}, …) with {self.dims} spatial dimension(s), "
                             f"got {tuple(x.shape)}")
        if self.transposed:
            rows, out = transposed_patches(x, self.kernel_size, self.stride, self.padding, self.output_padding,
                                           self.dilation)
        else:
            rows, out = patches(x, self.kernel_size, self.stride, self.padding, self.dilation)
        return unpatch(self.linear(rows), x.shape[0], out)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}")


@dataclass
class ConversionReport:
    """What :func:`convert_to_inference` put on tiles and what stayed digital (module names)."""

    converted: list[str]
    digital_by_design: list[str]
    left_digital: list[str]

    def __str__(self) -> str:
        return (f"{len(self.converted)} layer(s) on tiles; digital by design: {self.digital_by_design or 'none'}; "
                f"left digital: {self.left_digital or 'none'}")


def convert_to_inference(model: nn.Module, config: InferenceConfig | None = None, seed: int = 0,
                         unsupported: str = "error") -> nn.Module:
    """A deep copy of ``model`` with every layer that has a weight matrix on inference tiles (weights kept):
    ``nn.Linear`` → :class:`InferenceLinear`; ``nn.Conv1d/2d/3d`` and ``nn.ConvTranspose1d/2d/3d`` →
    :class:`InferenceConv`; ``nn.RNN/LSTM/GRU`` → ``InferenceRNN/LSTM/GRU`` and ``nn.MultiheadAttention`` →
    ``InferenceMultiheadAttention``, whose matrices are :class:`InferenceLinear` layers.

    Layers with a weight matrix that cannot map (bilinear, grouped convolutions, LSTM projections, …) raise
    :class:`ConfigError` naming them, unless ``unsupported="digital"`` leaves them digital on purpose.
    Normalisation and embedding layers stay digital by design. The copy's ``conversion_report``
    (:class:`ConversionReport`) lists what went where (:mod:`neurofab.analog.convert`).
    """
    from neurofab.analog.convert import convert_to_inference_model

    return convert_to_inference_model(model, config, seed, unsupported)


def reconfigure(model: nn.Module, config: InferenceConfig, seed: int = 0) -> nn.Module:
    """A deep copy of ``model`` whose inference layers use ``config`` (weights, ranges, output scales kept).

    The new config must keep the layers' parameters: the same ``input_range`` presence and ``output_affine``.
    The copy is not programmed.
    """
    if not isinstance(config, InferenceConfig):
        raise InputTypeError(f"reconfigure: config must be an InferenceConfig, got {type(config).__name__}")
    model = copy.deepcopy(model)
    layers = _layers_or_raise(model, "reconfigure")
    for layer, s in zip(layers, child_seeds(seed, len(layers))):
        old = layer.config
        if (old.input_range is None) != (config.input_range is None) or old.output_affine != config.output_affine:
            raise InputTypeError("reconfigure: the new config must keep input_range and output_affine as they are")
        layer.config = config
        layer.tile = InferenceTile(layer.out_features, layer.in_features, config.tile, seed=s)
    return model


@torch.no_grad()
def calibrate_input_ranges(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> None:
    """Set every learned input range to α·std of the layer's inputs on ``x`` (α = ``init_std_alpha``).

    Layer by layer in module order, so each layer sees inputs shaped by the ranges already set — the
    calibration a model trained without hardware awareness gets before deployment.
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[0] < 2:
        raise DataError(f"calibrate_input_ranges: needs a tensor of at least 2 samples, got "
                        f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"calibrate_input_ranges: batch_size = {batch_size!r}: must be an integer >= 1")
    layers = [m for m in inference_layers(model) if m.input_range is not None]
    was = model.training
    model.eval()
    try:
        for layer in layers:
            seen: list[torch.Tensor] = []

            def keep(_module, args, seen=seen):
                seen.append(args[0].detach().flatten())

            handle = layer.register_forward_pre_hook(keep)
            try:
                for i in range(0, x.shape[0], batch_size):
                    model(x[i : i + batch_size])
            finally:
                handle.remove()
            std = float(torch.cat(seen).std())
            if std > 0:
                layer.input_range.fill_(layer.config.input_range.init_std_alpha * std)
            layer.range_batches.fill_(layer.config.input_range.init_from_data)
    finally:
        model.train(was)


def _layers_or_raise(model: nn.Module, verb: str) -> list[InferenceLinear]:
    layers = inference_layers(model)
    if not layers:
        raise InputTypeError(f"{verb}: the model has no InferenceLinear layers (use convert_to_inference)")
    return layers


def program(model: nn.Module, seed: int = 0) -> None:
    """Program every inference layer (each with its own seed derived from ``seed``)."""
    layers = _layers_or_raise(model, "program")
    for layer, s in zip(layers, child_seeds(seed, len(layers))):
        layer.program(s)


def drift_to(model: nn.Module, t_inference: float, seed: int = 0) -> None:
    """Drift every programmed inference layer to ``t_inference`` seconds after programming."""
    layers = _layers_or_raise(model, "drift_to")
    for layer, s in zip(layers, child_seeds(seed, len(layers))):
        layer.drift_to(t_inference, s)


def reset(model: nn.Module) -> None:
    """Forget the programmed state of every inference layer."""
    for layer in inference_layers(model):
        layer.reset()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy [1] of ``model`` (evaluation mode) on (x, y)."""
    if x.shape[0] != y.shape[0]:
        raise ShapeError(f"accuracy: x has {x.shape[0]} samples but y has {y.shape[0]}")
    was = model.training
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch_size):
        correct += int((model(x[i : i + batch_size]).argmax(dim=-1) == y[i : i + batch_size]).sum())
    model.train(was)
    return correct / max(x.shape[0], 1)


@dataclass
class MonteCarloResult:
    """Metric of every (repeat, time): ``values`` has shape (repeats, len(times))."""

    times: list[float]
    values: torch.Tensor

    @property
    def mean(self) -> torch.Tensor:
        return self.values.mean(dim=0)

    @property
    def sem(self) -> torch.Tensor:
        """Standard error of the mean over repeats (0 with one repeat)."""
        n = self.values.shape[0]
        if n < 2:
            return torch.zeros(self.values.shape[1], dtype=self.values.dtype)
        return self.values.std(dim=0) / math.sqrt(n)

    def to_dict(self) -> dict[str, list]:
        return {"times_s": self.times, "mean": self.mean.tolist(), "sem": self.sem.tolist(),
                "values": self.values.tolist()}


def monte_carlo(
    model: nn.Module,
    evaluate: Callable[[nn.Module], float],
    times: Sequence[float],
    repeats: int,
    seed: int = 0,
    progress: bool | None = None,
) -> MonteCarloResult:
    """For each of ``repeats`` independent programmings: drift to each t in ``times`` and ``evaluate(model)``.

    Repeat k programs with its own seed (from ``seed``); the drift to each t is a fresh draw of that
    programming's trajectory (drift exponents fixed, read noise new). The model is reset afterwards.
    ``progress``: a bar over the repeats × times evaluations (None: when standard error is a terminal).
    """
    if repeats <= 0 or not times:
        raise InputTypeError(f"monte_carlo: need repeats > 0 and at least one time, got {repeats}, {list(times)}")
    _layers_or_raise(model, "monte_carlo")
    values = torch.zeros(repeats, len(times), dtype=torch.float64)
    was = model.training
    model.eval()
    try:
        with progress_bar(repeats * len(times), "monte_carlo", enabled=progress, unit="evaluations") as advance:
            for k, s in enumerate(child_seeds(seed, repeats)):
                prog_seed, *drift_seeds = child_seeds(s, len(times) + 1)
                program(model, prog_seed)
                for j, (t, ds) in enumerate(zip(times, drift_seeds)):
                    drift_to(model, float(t), ds)
                    values[k, j] = float(evaluate(model))
                    advance(1)
    finally:
        reset(model)
        model.train(was)
    return MonteCarloResult([float(t) for t in times], values)
