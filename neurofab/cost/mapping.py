"""Networks as layer tables for the CIM estimator: a hand-written table, one read from a torch model, and the
activity (input-bit density, mean stored weight level) measured by running the model on real inputs.

A convolution of K×K kernels over C_in channels producing C_out maps unrolls to a weight matrix of
K²·C_in rows × C_out columns applied once per output pixel; a fully connected layer is the K = 1, one-pixel case.
A 1-d or 3-d (or non-square) kernel of sizes k₁…k_d unrolls to Πk·C_in rows. Every other layer with a stored
matrix is a matrix applied to a number of vectors per inference (``out_pixels``): a recurrent layer's W_ih and W_hh
once per time step (per layer and direction), attention's four projections once per query (q, output) or key/value
(k, v) token; a transposed convolution, as the analog tiles run it, once per output pixel on the zero-inserted input
(so its MAC count includes the inserted zeros: about stride^d times torch's count of useful MACs).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

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
    kernel: int | tuple[int, ...] = 1
    out_pixels: int = 1
    in_pixels: int = 1
    pool: int = 1

    def __post_init__(self) -> None:
        for field in ("in_channels", "out_channels", "out_pixels", "in_pixels", "pool"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"LayerSpec({self.name!r}).{field} = {v!r}: must be an integer >= 1")
        k = self.kernel
        sizes = k if isinstance(k, tuple) else (k,)
        if not sizes or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in sizes):
            raise ConfigError(f"LayerSpec({self.name!r}).kernel = {k!r}: must be an integer >= 1 (a square K×K "
                              "kernel) or a non-empty tuple of integers >= 1 (kernel sizes k₁…k_d)")

    @property
    def rows(self) -> int:
        """Rows of the unrolled weight matrix: K²·C_in for an integer K, Πk·C_in for a tuple of sizes."""
        k = self.kernel
        return (math.prod(k) if isinstance(k, tuple) else k * k) * self.in_channels

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
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _is_conv(m: nn.Module) -> bool:
    """A convolution: torch's, or any layer that says what it convolves (analog and inference convolutions)."""
    return isinstance(m, nn.modules.conv._ConvNd) or all(
        hasattr(m, a) for a in ("in_channels", "out_channels", "kernel_size", "stride"))


def _is_dense(m: nn.Module) -> bool:
    """A matrix layer: torch's Linear, or any layer with in_features/out_features (analog and inference ones)."""
    return isinstance(m, nn.Linear) or (isinstance(getattr(m, "in_features", None), int)
                                        and isinstance(getattr(m, "out_features", None), int))


def _is_fused(m: nn.Module) -> bool:
    """torch's recurrent layers and multi-head attention: their matrices are parameters, not called modules."""
    return isinstance(m, nn.RNNBase | nn.MultiheadAttention)


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


def _rnn_cells(m: nn.RNNBase) -> list[tuple[str, int, int, torch.Tensor]]:
    """(suffix, rows, columns, weight) of every matrix of a torch recurrent layer, named like the cells of the
    analog twins (``cells.{layer·directions + d}.ih`` / ``.hh``; ``.hr``: an LSTM's projection)."""
    dirs = 2 if m.bidirectional else 1
    out = []
    for layer in range(m.num_layers):
        for d in range(dirs):
            sfx, k = f"l{layer}" + ("_reverse" if d else ""), layer * dirs + d
            for part in ("ih", "hh", "hr"):
                w = getattr(m, f"weight_{part}_{sfx}", None)
                if w is not None:
                    out.append((f"cells.{k}.{part}", w.shape[1], w.shape[0], w.detach()))
    return out


def _mha_matrices(m: nn.MultiheadAttention) -> list[tuple[str, torch.Tensor]]:
    """The four projections of torch's multi-head attention, named like the analog twins' (q/k/v/out_proj)."""
    if m._qkv_same_embed_dim:
        q, k, v = m.in_proj_weight.detach().split(m.embed_dim, dim=0)
    else:
        q, k, v = (w.detach() for w in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight))
    return [("q_proj", q), ("k_proj", k), ("v_proj", v), ("out_proj", m.out_proj.weight.detach())]


def _matrices(name: str, m: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """(layer-table name, stored weight matrix) of every matrix a mapped module holds."""
    join = (lambda s: f"{name}.{s}") if name else (lambda s: s)
    if isinstance(m, nn.RNNBase):
        return [(join(s), w) for s, _, _, w in _rnn_cells(m)]
    if isinstance(m, nn.MultiheadAttention):
        return [(join(s), w) for s, w in _mha_matrices(m)]
    return [(name, _weight_of(m))]


def mapped_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every layer that holds a weight matrix, digital, analog or inference; a convolution's inner matrix layer
    (an inference convolution keeps one) is part of the convolution, not a layer of its own, and the modules
    inside torch's recurrent and attention layers (whose matrices torch uses without calling them) are part of
    those."""
    out, inside = [], set()
    for n, m in model.named_modules():
        if id(m) in inside:
            continue
        if _is_fused(m) or _is_conv(m) or _is_dense(m):
            out.append((n, m))
            inside.update(id(c) for c in m.modules() if c is not m)
    return out


def _first(args: tuple, kwargs: dict, i: int, key: str) -> torch.Tensor:
    return args[i] if len(args) > i else kwargs[key]


def _rnn_vectors(m: nn.RNNBase, x: torch.Tensor) -> int:
    """Time steps × sequences of one call of a torch recurrent layer (each matrix is applied to that many
    vectors per layer and direction)."""
    if isinstance(x, nn.utils.rnn.PackedSequence):
        return int(x.data.shape[0])
    return int(x.numel() // m.input_size)


def _specs_of_call(name: str, m: nn.Module, args: tuple, kwargs: dict, output) -> list[LayerSpec]:
    """The layer-table rows of one call of a mapped module (per input of the forward: batch 1)."""
    join = (lambda s: f"{name}.{s}") if name else (lambda s: s)
    if isinstance(m, nn.RNNBase):
        n = _rnn_vectors(m, _first(args, kwargs, 0, "input"))
        return [LayerSpec(join(s), rows, cols, 1, n, n) for s, rows, cols, _ in _rnn_cells(m)]
    if isinstance(m, nn.MultiheadAttention):
        q, k, v = (_first(args, kwargs, i, key) for i, key in enumerate(("query", "key", "value")))
        n_q, n_k, n_v = q.numel() // m.embed_dim, k.numel() // m.kdim, v.numel() // m.vdim
        e = m.embed_dim
        return [LayerSpec(join("q_proj"), e, e, 1, n_q, n_q), LayerSpec(join("k_proj"), m.kdim, e, 1, n_k, n_k),
                LayerSpec(join("v_proj"), m.vdim, e, 1, n_v, n_v), LayerSpec(join("out_proj"), e, e, 1, n_q, n_q)]
    x = _first(args, kwargs, 0, "input")
    if _is_conv(m):
        kernel = tuple(int(k) for k in m.kernel_size)
        if getattr(m, "groups", 1) != 1:
            raise ConfigError(f"layer {name!r}: groups = {m.groups}; only ungrouped convolutions map onto one "
                              "weight matrix")
        d = len(kernel)
        k: int | tuple[int, ...] = kernel[0] if d == 2 and kernel[0] == kernel[1] else kernel
        out_px = int(output.shape[0] * math.prod(output.shape[2:]))
        in_px = int(x.shape[0] * math.prod(x.shape[2:]))
        return [LayerSpec(name, int(m.in_channels), int(m.out_channels), k, out_px, in_px)]
    n = int(output.numel() // m.out_features)
    return [LayerSpec(name, int(m.in_features), int(m.out_features), 1, n, n)]


@contextlib.contextmanager
def _no_fastpath() -> Iterator[None]:
    """torch's transformer layers skip calling their attention module on the fused inference path: switch it off
    so the hooks see every projection."""
    mha = getattr(torch.backends, "mha", None)
    if mha is None or not hasattr(mha, "set_fastpath_enabled"):
        yield
        return
    was = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(was)


def layers_from_model(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerSpec]:
    """The layer table of ``model`` — every layer with a stored matrix, digital, analog or inference, in call
    order — from one forward pass on zeros of ``input_shape`` (without the batch dimension, e.g. (3, 32, 32);
    the model is called on a batch of one, so recurrent layers should be ``batch_first``).

    Rows: convolutions (1-, 2-, 3-d and transposed; ungrouped), ``nn.Linear`` and every layer with
    ``in_features``/``out_features``; torch's recurrent layers as one row per matrix (W_ih, W_hh, and W_hr of
    a projected LSTM, per layer and direction, named like the analog twins' ``cells.{i}.ih``), torch's
    multi-head attention as its four projections. ``out_pixels`` counts the vectors a matrix is applied to in
    the whole forward pass (a layer called several times — a recurrent cell's W_hh once per time step — sums its
    calls). A max-pool directly after a layer is not detected (``pool`` = 1: pooling only changes the OFM
    traffic); the attention scores and context (activation × activation products) hold no stored matrix and
    are not rows."""
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(int(s) for s in input_shape)
    if not shape or min(shape) < 1:
        raise ShapeError(f"input_shape = {input_shape!r}: must be positive sizes without the batch dimension")
    found: dict[str, LayerSpec] = {}

    def hook(name: str):
        def fn(mod: nn.Module, args: tuple, kwargs: dict, output) -> None:
            for spec in _specs_of_call(name, mod, args, kwargs, output):
                old = found.get(spec.name)
                if old is not None:  # another call of the same matrix: its vectors add up
                    spec = replace(old, out_pixels=old.out_pixels + spec.out_pixels,
                                   in_pixels=old.in_pixels + spec.in_pixels)
                found[spec.name] = spec
        return fn

    handles = [m.register_forward_hook(hook(n), with_kwargs=True) for n, m in mapped_modules(model)]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad(), _no_fastpath():
            model(torch.zeros((1, *shape)))
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    if not found:
        raise ConfigError("model has no layer with a weight matrix (convolution, linear, recurrent, attention) "
                          "to map")
    return list(found.values())


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


def _ones(x: torch.Tensor, bits: int) -> tuple[int, int]:
    """Ones among the ``bits``-bit unsigned codes of |x| scaled by its maximum, and the number of bits."""
    x = x.detach().abs()
    if not x.numel():
        return 0, 0
    scale = x.max()
    q = torch.zeros_like(x, dtype=torch.int64) if scale == 0 else torch.round(x / scale * (2**bits - 1)).long()
    return int(sum(((q >> b) & 1).sum().item() for b in range(bits))), q.numel() * bits


def _call_inputs(m: nn.Module, args: tuple, kwargs: dict) -> dict[str, torch.Tensor]:
    """The input each matrix of a mapped module sees, as far as a hook can observe it: torch's attention's q, k, v
    projections their own inputs; the output projection and a recurrent layer's inner matrices (hidden state,
    context) are not observable and take the module's first input."""
    first = _first(args, kwargs, 0, "query" if isinstance(m, nn.MultiheadAttention) else "input")
    if isinstance(first, nn.utils.rnn.PackedSequence):
        first = first.data
    if isinstance(m, nn.MultiheadAttention):
        key, value = _first(args, kwargs, 1, "key"), _first(args, kwargs, 2, "value")
        return {"q_proj": first, "k_proj": key, "v_proj": value, "out_proj": first}
    if isinstance(m, nn.RNNBase):
        return {s: first for s, *_ in _rnn_cells(m)}
    return {"": first}


def measure_activity(model: nn.Module, inputs: torch.Tensor, input_bits: int = 8, weight_bits: int = 8,
                     bits_per_cell: int = 1) -> dict[str, LayerActivity]:
    """Run ``model`` on ``inputs`` (a batch) and measure, for every matrix of :func:`layers_from_model`'s table,
    the density of ones in its inputs quantized to ``input_bits`` unsigned bits (magnitudes, scaled by each call's
    maximum; a matrix used several times — a recurrent W_hh at every step — pools its calls) and the mean level
    of its weights quantized to ``weight_bits`` (magnitudes) and cut into ``bits_per_cell`` slices. The inner
    matrices of torch's fused recurrent and attention layers take the layer's input density (convert the model
    for per-matrix measurements)."""
    if not isinstance(inputs, torch.Tensor):
        raise InputTypeError(f"inputs must be a torch.Tensor batch, got {type(inputs).__name__}")
    if not torch.isfinite(inputs).all():
        raise NumericalError("inputs contain NaN or infinite values")
    for name, v in (("input_bits", input_bits), ("weight_bits", weight_bits), ("bits_per_cell", bits_per_cell)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 16:
            raise ConfigError(f"{name} = {v!r}: must be an integer in [1, 16]")
    out: dict[str, LayerActivity] = {}
    counts: dict[str, list[int]] = {}

    def hook(name: str):
        def fn(mod: nn.Module, args: tuple, kwargs: dict, output) -> None:
            for sfx, x in _call_inputs(mod, args, kwargs).items():
                key = name if not sfx else (f"{name}.{sfx}" if name else sfx)
                ones, total = _ones(x, input_bits)
                acc = counts.setdefault(key, [0, 0])
                acc[0] += ones
                acc[1] += total
        return fn

    modules = mapped_modules(model)
    if not modules:
        raise ConfigError("model has no layer with a weight matrix to profile")
    handles = [m.register_forward_hook(hook(n), with_kwargs=True) for n, m in modules]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad(), _no_fastpath():
            model(inputs)
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    n_slices = math.ceil(weight_bits / bits_per_cell)
    top = 2**bits_per_cell - 1
    for mname, mod in modules:
        for name, w in _matrices(mname, mod):
            w = w.abs()
            wmax = w.max()
            q = torch.zeros_like(w, dtype=torch.int64) if wmax == 0 else torch.round(
                w / wmax * (2**weight_bits - 1)).to(torch.int64)
            levels = [((q >> (bits_per_cell * s)) & top).float().mean().item() / top for s in range(n_slices)]
            ones, total = counts.get(name, (0, 0))
            out[name] = LayerActivity(input_density=ones / total if total else 0.0,
                                      weight_level=sum(levels) / n_slices)
    return out


__all__ = [
    "LayerActivity",
    "LayerSpec",
    "check_layers",
    "conv",
    "fc",
    "layers_from_model",
    "mapped_modules",
    "measure_activity",
    "resnet18_imagenet",
    "vgg8_cifar10",
]
