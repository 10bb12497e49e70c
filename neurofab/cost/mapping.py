"""Networks as layer tables for the CIM estimator: a hand-written table, one read from a torch model, and the
activity (input-bit density, mean stored weight level) measured by running the model on real inputs.

A convolution of K×K kernels over C_in channels producing C_out maps unrolls to a weight matrix of
K²·C_in rows × C_out columns applied once per output pixel; a fully connected layer is the K = 1, one-pixel case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError


@dataclass(frozen=True)
class LayerSpec:
    """One weight layer. ``out_pixels`` = H_out·W_out (1 for a fully connected layer); ``in_pixels`` = H_in·W_in
    of its input feature map (for data-movement counts); ``pool`` = side of the max-pooling window after it."""

    name: str
    in_channels: int
    out_channels: int
    kernel: int = 1
    out_pixels: int = 1
    in_pixels: int = 1
    pool: int = 1

    def __post_init__(self) -> None:
        for field in ("in_channels", "out_channels", "kernel", "out_pixels", "in_pixels", "pool"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"LayerSpec({self.name!r}).{field} = {v!r}: must be an integer >= 1")

    @property
    def rows(self) -> int:
        """Rows of the unrolled weight matrix, K²·C_in."""
        return self.kernel * self.kernel * self.in_channels

    @property
    def weights(self) -> int:
        return self.rows * self.out_channels

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference."""
        return self.weights * self.out_pixels

    @property
    def ifm_values(self) -> int:
        """Values of the input feature map (H_in·W_in·C_in)."""
        return self.in_pixels * self.in_channels

    @property
    def stride(self) -> int:
        """Stride implied by the map sizes, round(√(in_pixels/out_pixels)) (1 for a fully connected layer)."""
        return max(1, round(math.sqrt(self.in_pixels / self.out_pixels)))

    @property
    def valid_out_pixels(self) -> int:
        """Output pixels without padding, ((H_in − K + 1)/stride)² for a square input map — the count NeuroSim
        V1.3 evaluates (its traces and ChipCalculatePerformance ignore padding); ``out_pixels`` when the input map
        is not square or the kernel is 1×1."""
        side = math.isqrt(self.in_pixels)
        if side * side != self.in_pixels or self.kernel == 1:
            return self.out_pixels
        return max(1, (side - self.kernel + 1) // self.stride) ** 2

    @property
    def ofm_values(self) -> int:
        """Values written after pooling: H_out·W_out·C_out / pool²."""
        return max(1, self.out_pixels // (self.pool * self.pool)) * self.out_channels


def conv(name: str, size: int, c_in: int, c_out: int, kernel: int = 3, pool: int = 1) -> LayerSpec:
    """A 'same'-padded, stride-1 K×K convolution on a size×size input."""
    return LayerSpec(name, c_in, c_out, kernel, size * size, size * size, pool)


def fc(name: str, n_in: int, n_out: int) -> LayerSpec:
    return LayerSpec(name, n_in, n_out, 1, 1, 1, 1)


def vgg8_cifar10() -> list[LayerSpec]:
    """VGG-8 for 32×32×3 CIFAR-10 as benchmarked by DNN+NeuroSim (Peng et al. 2019; Lu et al. 2021, Table 7):
    six 3×3 convolutions of 128-128-256-256-512-512 channels with 2×2 max-pooling after the 2nd, 4th and 6th,
    then fully connected 8192→1024→10. 12.97 M weights, 615.8 M MACs per image."""
    return [
        conv("conv1", 32, 3, 128),
        conv("conv2", 32, 128, 128, pool=2),
        conv("conv3", 16, 128, 256),
        conv("conv4", 16, 256, 256, pool=2),
        conv("conv5", 8, 256, 512),
        conv("conv6", 8, 512, 512, pool=2),
        fc("fc1", 8192, 1024),
        fc("fc2", 1024, 10),
    ]


def resnet18_imagenet() -> list[LayerSpec]:
    """ResNet-18 for 224×224×3 ImageNet (He et al. 2016), the second network of Lu et al. 2021, Table 7: a 7×7/2
    stem with 3×3/2 max-pooling (modelled as pool = 2), four stages of two basic blocks (3×3 convolutions,
    64-128-256-512 channels, stride 2 entering stages 2–4, with 1×1/2 projection shortcuts), fully connected
    512→1000. 11.7 M weights, 1.81 G MACs per image."""
    layers = [LayerSpec("conv1", 3, 64, 7, 112 * 112, 224 * 224, pool=2)]
    size, c_in = 56, 64
    for stage, c_out in enumerate((64, 128, 256, 512), start=1):
        out = size if stage == 1 else size // 2
        layers.append(LayerSpec(f"layer{stage}.0.conv1", c_in, c_out, 3, out * out, size * size))
        layers.append(LayerSpec(f"layer{stage}.0.conv2", c_out, c_out, 3, out * out, out * out))
        if stage > 1:
            layers.append(LayerSpec(f"layer{stage}.0.downsample", c_in, c_out, 1, out * out, size * size))
        layers.append(LayerSpec(f"layer{stage}.1.conv1", c_out, c_out, 3, out * out, out * out))
        layers.append(LayerSpec(f"layer{stage}.1.conv2", c_out, c_out, 3, out * out, out * out))
        size, c_in = out, c_out
    layers.append(fc("fc", 512, 1000))
    return layers


def check_layers(layers: list[LayerSpec]) -> list[LayerSpec]:
    if isinstance(layers, LayerSpec):
        layers = [layers]
    if not isinstance(layers, list | tuple) or not layers:
        raise ConfigError("layers must be a non-empty list of LayerSpec (e.g. vgg8_cifar10())")
    for layer in layers:
        if not isinstance(layer, LayerSpec):
            raise InputTypeError(f"layers must hold LayerSpec, got {type(layer).__name__}")
    return list(layers)


# ----- from a torch model -----------------------------------------------------------------------------------
def _is_conv(m: nn.Module) -> bool:
    """A convolution: torch's, or any layer that says what it convolves (analog and inference convolutions)."""
    return isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d) or all(
        hasattr(m, a) for a in ("in_channels", "out_channels", "kernel_size", "stride"))


def _is_dense(m: nn.Module) -> bool:
    """A matrix layer: torch's Linear, or any layer with in_features/out_features (analog and inference ones)."""
    return isinstance(m, nn.Linear) or (isinstance(getattr(m, "in_features", None), int)
                                        and isinstance(getattr(m, "out_features", None), int))


def _weight_of(m: nn.Module) -> torch.Tensor:
    """The weight matrix of a layer: its ``weight`` tensor, what an analog layer's ``get_weights()`` reads, or its
    inner matrix layer's (an inference convolution)."""
    w = getattr(m, "weight", None)
    if isinstance(w, torch.Tensor) and w.dim() >= 2:
        return w.detach()
    if callable(getattr(m, "get_weights", None)):
        return torch.as_tensor(m.get_weights()).detach()
    for child in m.children():  # a convolution that keeps its matrix in an inner matrix layer
        if _is_dense(child):
            return _weight_of(child)
    raise ConfigError(f"layer {type(m).__name__} has neither a weight tensor nor get_weights()")


def _weight_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every layer that holds a weight matrix, digital, analog or inference; a convolution's inner matrix layer
    (an inference convolution keeps one) is part of the convolution, not a layer of its own."""
    out, inside = [], set()
    for n, m in model.named_modules():
        if id(m) in inside:
            continue
        if _is_conv(m) or _is_dense(m):
            out.append((n, m))
            inside.update(id(c) for c in m.modules() if c is not m)
    return out


def layers_from_model(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerSpec]:
    """The layer table of ``model`` (convolutions and matrix layers — digital, analog or inference — in call
    order) from one forward pass on zeros of
    ``input_shape`` (without the batch dimension, e.g. (3, 32, 32)). Convolutions must be square, ungrouped;
    a max-pool directly after a layer is not detected (``pool`` = 1: pooling only changes the OFM traffic)."""
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(int(s) for s in input_shape)
    if not shape or min(shape) < 1:
        raise ShapeError(f"input_shape = {input_shape!r}: must be positive sizes without the batch dimension")
    found: list[LayerSpec] = []

    def hook(name: str):
        def fn(mod: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            x = inputs[0]
            if _is_conv(mod):
                kernel = tuple(mod.kernel_size)
                if getattr(mod, "groups", 1) != 1 or len(kernel) != 2 or kernel[0] != kernel[1]:
                    raise ConfigError(f"layer {name}: only square, ungrouped 2-d convolutions map onto arrays")
                found.append(LayerSpec(name, mod.in_channels, mod.out_channels, int(mod.kernel_size[0]),
                                       int(output.shape[-1] * output.shape[-2]), int(x.shape[-1] * x.shape[-2])))
            else:
                pixels = int(math.prod(output.shape[1:-1])) if output.dim() > 2 else 1
                found.append(LayerSpec(name, mod.in_features, mod.out_features, 1, pixels, pixels))
        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in _weight_modules(model)]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *shape)))
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    if not found:
        raise ConfigError("model has no Conv2d or Linear layer to map")
    return found


@dataclass(frozen=True)
class LayerActivity:
    """Measured activity of one layer: fraction of ones among the input bits applied to the rows (bit-serial,
    ``input_bits`` per value) and the mean stored level of the weight slices, normalized to [0, 1]."""

    input_density: float
    weight_level: float

    def __post_init__(self) -> None:
        for field in ("input_density", "weight_level"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
                raise ConfigError(f"LayerActivity.{field} = {v!r}: must be a number in [0, 1]")


def _bit_density(q: torch.Tensor, bits: int) -> float:
    q = q.to(torch.int64)
    ones = sum(((q >> b) & 1).sum().item() for b in range(bits))
    return ones / (q.numel() * bits)


def measure_activity(model: nn.Module, inputs: torch.Tensor, input_bits: int = 8, weight_bits: int = 8,
                     bits_per_cell: int = 1) -> dict[str, LayerActivity]:
    """Run ``model`` on ``inputs`` (a batch) and measure, for every Conv2d/Linear layer, the density of ones in its
    inputs quantized to ``input_bits`` unsigned bits (magnitudes, scaled by the batch maximum) and the mean level
    of its weights quantized to ``weight_bits`` (magnitudes) and cut into ``bits_per_cell`` slices."""
    if not isinstance(inputs, torch.Tensor):
        raise InputTypeError(f"inputs must be a torch.Tensor batch, got {type(inputs).__name__}")
    if not torch.isfinite(inputs).all():
        raise NumericalError("inputs contain NaN or infinite values")
    for name, v in (("input_bits", input_bits), ("weight_bits", weight_bits), ("bits_per_cell", bits_per_cell)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 16:
            raise ConfigError(f"{name} = {v!r}: must be an integer in [1, 16]")
    out: dict[str, LayerActivity] = {}
    densities: dict[str, float] = {}

    def hook(name: str):
        def fn(mod: nn.Module, args: tuple, output: torch.Tensor) -> None:
            x = args[0].detach().abs()
            scale = x.max()
            q = torch.zeros_like(x) if scale == 0 else torch.round(x / scale * (2**input_bits - 1))
            densities[name] = _bit_density(q, input_bits)
        return fn

    modules = _weight_modules(model)
    if not modules:
        raise ConfigError("model has no Conv2d or Linear layer to profile")
    handles = [m.register_forward_hook(hook(n)) for n, m in modules]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(inputs)
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    n_slices = math.ceil(weight_bits / bits_per_cell)
    top = 2**bits_per_cell - 1
    for name, mod in modules:
        w = _weight_of(mod).abs()
        wmax = w.max()
        q = torch.zeros_like(w) if wmax == 0 else torch.round(w / wmax * (2**weight_bits - 1)).to(torch.int64)
        levels = [((q >> (bits_per_cell * s)) & top).float().mean().item() / top for s in range(n_slices)]
        out[name] = LayerActivity(input_density=densities.get(name, 0.0), weight_level=sum(levels) / n_slices)
    return out


__all__ = [
    "LayerActivity",
    "LayerSpec",
    "check_layers",
    "conv",
    "fc",
    "layers_from_model",
    "measure_activity",
    "resnet18_imagenet",
    "vgg8_cifar10",
]
