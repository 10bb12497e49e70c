"""Mapping CNN kernel matrices onto in-memory-computing cores — Dazzi et al. 2021, sections 2.2 and 2.4.4.

A convolutional layer with an F×F kernel, C_in input and C_out output channels is unrolled into a kernel matrix of
(F·F·C_in) rows × C_out columns (one weight per device, one output channel per column). Replicating the kernel
matrix n times on one crossbar computes n output pixels per matrix-vector multiplication (MVM); replicas that
compute neighbouring pixels share input rows:

- Method 1 (section 2.2.1): the n output pixels lie along one direction; each replica after the first adds F·C_in
  rows, so the aspect ratio of the collective matrix is Eq. 2,
  A(n) = F²·(C_in/C_out)·(1 + (n−1)/F)/(1 + (n−1)).
- Method 2 (section 2.2.2): the pixels fill a block at most ΔW wide; the rows are C_in × |union of the receptive
  fields| (counted here exactly), with the minimum aspect ratio of Eq. 3, (C_in·H_in·W_in)/(C_out·H_out·W_out).

Device utilization is Eq. 4, u = Σ D_K / D_A. A kernel matrix taller than the crossbar is split by input-channel
groups into partial sums on several cores (Eq. 5); one wider than the crossbar is split by output channels into
parts whose outputs are concatenated (Eq. 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError

#: Name of the network input (the image streamed from the input scratchpad) as a layer's ``source``.
NETWORK_INPUT = "input"


class CoreArray(Config):
    """The crossbar of one IMC core (Dazzi et al. 2021 use 256×256 PCM crossbars, section 3.1)."""

    rows: int = Field(256, gt=0, description="crossbar rows (inputs) per core [1]")
    columns: int = Field(256, gt=0, description="crossbar columns (outputs) per core [1]")

    @property
    def devices(self) -> int:
        """D_A of Eq. 4: devices of one crossbar."""
        return self.rows * self.columns


class ConvLayerSpec(Config):
    """One layer as the IMC mapper and the pipeline see it (Dazzi et al. 2021, Table 2 columns).

    ``global_pool=True`` is a classifier: global average pooling of the whole input map, then a C_in × C_out matrix
    (the FC row of Table 2); it produces one output pixel per image and needs every input pixel.
    """

    name: str = Field(..., min_length=1, description="layer name, unique in its network")
    in_height: int = Field(..., gt=0, description="H_in: input feature-map height [pixels]")
    in_width: int = Field(..., gt=0, description="W_in: input feature-map width [pixels]")
    in_channels: int = Field(..., gt=0, description="C_in: input channels [1]")
    out_channels: int = Field(..., gt=0, description="C_out: output channels [1]")
    kernel: int = Field(3, gt=0, description="F: kernel height and width [pixels]")
    stride: int = Field(1, gt=0, description="S: convolution stride [pixels]")
    padding: int = Field(0, ge=0, description="P: zero padding on each border [pixels]")
    global_pool: bool = Field(False, description="global average pooling before a C_in×C_out matrix (classifier)")
    source: str = Field(NETWORK_INPUT, description="name of the layer whose output is this layer's input")
    residual: str | None = Field(None, description="name of the layer whose output is added to this one's output")
    residual_hops: int = Field(1, ge=1, le=2, description="links a residual pixel crosses: 1 direct, 2 via the "
                                                          "input memory of the core that first received it [1]")

    @model_validator(mode="after")
    def _geometry(self) -> ConvLayerSpec:
        if self.global_pool:
            if (self.kernel, self.stride, self.padding) != (1, 1, 0):
                raise ValueError(f"layer {self.name!r}: a global_pool layer takes kernel=1, stride=1, padding=0, "
                                 f"got kernel={self.kernel}, stride={self.stride}, padding={self.padding}")
            return self
        if self.padding >= self.kernel:
            raise ValueError(f"layer {self.name!r}: padding {self.padding} must be < kernel {self.kernel}")
        for dim, size in (("in_height", self.in_height), ("in_width", self.in_width)):
            if size + 2 * self.padding < self.kernel:
                raise ValueError(f"layer {self.name!r}: {dim} {size} + 2·padding {self.padding} is smaller than "
                                 f"kernel {self.kernel}")
        return self

    @property
    def out_height(self) -> int:
        """H_out = ⌊(H_in + 2P − F)/S⌋ + 1 (1 for a global-pool classifier)."""
        if self.global_pool:
            return 1
        return (self.in_height + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def out_width(self) -> int:
        if self.global_pool:
            return 1
        return (self.in_width + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def in_pixels(self) -> int:
        """Input pixels per image (a pixel is one (H, W) position across all channels)."""
        return self.in_height * self.in_width

    @property
    def out_pixels(self) -> int:
        return self.out_height * self.out_width

    @property
    def kernel_rows(self) -> int:
        """Rows of the unrolled kernel matrix, F·F·C_in (C_in for a classifier)."""
        return self.kernel * self.kernel * self.in_channels

    @property
    def weights(self) -> int:
        """D_K of Eq. 4: devices (weights) of one kernel matrix."""
        return self.kernel_rows * self.out_channels

    def pixel_bits(self, bits_per_activation: int = 8) -> int:
        """Bits of one input pixel (all C_in channels), the 'Pixel Size' column of Table 2."""
        return self.in_channels * bits_per_activation


class CnnSpec(Config):
    """A CNN as a list of layers in execution order; each layer's ``source`` and ``residual`` name earlier layers.

    Shapes are checked between producer and consumer: a layer's (H_in, W_in, C_in) is its source's
    (H_out, W_out, C_out), and a residual has the consumer's output shape.
    """

    name: str = Field("cnn", description="network name")
    layers: tuple[ConvLayerSpec, ...] = Field(..., min_length=1, description="layers in execution order")

    @model_validator(mode="after")
    def _wiring(self) -> CnnSpec:
        seen: dict[str, ConvLayerSpec] = {}
        for layer in self.layers:
            if layer.name == NETWORK_INPUT or layer.name in seen:
                raise ValueError(f"layer name {layer.name!r} is reserved or used twice")
            if layer.source != NETWORK_INPUT:
                if layer.source not in seen:
                    raise ValueError(f"layer {layer.name!r}: source {layer.source!r} is not an earlier layer")
                src = seen[layer.source]
                got = (layer.in_height, layer.in_width, layer.in_channels)
                want = (src.out_height, src.out_width, src.out_channels)
                if got != want:
                    raise ValueError(f"layer {layer.name!r}: input (H, W, C) = {got} but source {src.name!r} "
                                     f"produces {want}")
            if layer.residual is not None:
                if layer.residual not in seen:
                    raise ValueError(f"layer {layer.name!r}: residual {layer.residual!r} is not an earlier layer")
                res = seen[layer.residual]
                got = (layer.out_height, layer.out_width, layer.out_channels)
                want = (res.out_height, res.out_width, res.out_channels)
                if got != want:
                    raise ValueError(f"layer {layer.name!r}: output (H, W, C) = {got} cannot add residual "
                                     f"{res.name!r} of shape {want}")
            seen[layer.name] = layer
        inputs = [la for la in self.layers if la.source == NETWORK_INPUT]
        shapes = {(la.in_height, la.in_width, la.in_channels) for la in inputs}
        if len(shapes) > 1:
            raise ValueError(f"layers reading the network input disagree on its shape: {sorted(shapes)}")
        return self

    def layer(self, name: str) -> ConvLayerSpec:
        for la in self.layers:
            if la.name == name:
                return la
        raise ConfigError(f"network {self.name!r} has no layer {name!r}; layers: "
                          f"{', '.join(la.name for la in self.layers)}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the network input."""
        first = next(la for la in self.layers if la.source == NETWORK_INPUT)
        return first.in_height, first.in_width, first.in_channels


# ----- kernel replication ----------------------------------------------------------------------------------------


def _check_positive(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} = {value!r}: must be an integer >= 1")
    return value


def replica_positions(replicas: int, delta_w: int = 1) -> list[tuple[int, int]]:
    """Output positions (row, column) of ``replicas`` parallel MVMs filling a block at most ``delta_w`` wide.

    Positions fill row by row: ``delta_w = 1`` stacks them along the height (Method 1); a wider block is Method 2.
    """
    _check_positive("replicas", replicas)
    _check_positive("delta_w", delta_w)
    return [(i // delta_w, i % delta_w) for i in range(replicas)]


def receptive_field_union(replicas: int, kernel: int, stride: int = 1, delta_w: int = 1) -> int:
    """Number of distinct input pixels read by ``replicas`` neighbouring output pixels (counted on a grid)."""
    _check_positive("kernel", kernel)
    _check_positive("stride", stride)
    pos = torch.tensor(replica_positions(replicas, delta_w), dtype=torch.int64)
    offsets = torch.arange(kernel, dtype=torch.int64)
    rows = (pos[:, 0:1] * stride + offsets)[:, :, None].expand(-1, kernel, kernel)
    cols = (pos[:, 1:2] * stride + offsets)[:, None, :].expand(-1, kernel, kernel)
    width = int(pos[:, 1].max()) * stride + kernel
    return int(torch.unique(rows * width + cols).numel())


def replicated_rows(layer: ConvLayerSpec, replicas: int, delta_w: int = 1) -> int:
    """Crossbar rows of the collective kernel matrix: C_in × |union of the replicas' receptive fields|.

    For stride 1 and ``delta_w = 1`` this is Method 1's F·C_in·(F + n − 1); for a full ΔH×ΔW block it is Method 2's
    C_in·(ΔH + F − 1)·(ΔW + F − 1) (Figure 6B: n = 20, C_in = 16 → 1,056 rows for ΔW = 1, 672 for ΔW = 5).
    A classifier's replicas share no inputs (C_in·n rows).
    """
    if layer.global_pool:
        return layer.in_channels * _check_positive("replicas", replicas)
    return layer.in_channels * receptive_field_union(replicas, layer.kernel, layer.stride, delta_w)


def aspect_ratio_method1(kernel: int, in_channels: int, out_channels: int, replicas: int) -> float:
    """Eq. 2: A(n) = F²·(C_in/C_out)·(1 + (n−1)/F)/(1 + (n−1)); A(1) = F², A(∞) = F for C_in = C_out."""
    for name, v in (("kernel", kernel), ("in_channels", in_channels), ("out_channels", out_channels),
                    ("replicas", replicas)):
        _check_positive(name, v)
    n = replicas
    return kernel**2 * in_channels / out_channels * (1 + (n - 1) / kernel) / (1 + (n - 1))


def aspect_ratio(layer: ConvLayerSpec, replicas: int, delta_w: int = 1) -> float:
    """Rows / columns of the collective kernel matrix of ``replicas`` replicas (Figure 6A)."""
    return replicated_rows(layer, replicas, delta_w) / (replicas * layer.out_channels)


def minimum_aspect_ratio(layer: ConvLayerSpec) -> float:
    """Eq. 3: (C_in·H_in·W_in)/(C_out·H_out·W_out), reached when every output pixel has its own replica."""
    return layer.in_channels * layer.in_pixels / (layer.out_channels * layer.out_pixels)


def utilization(layer: ConvLayerSpec, replicas: int, array: CoreArray, cores: int = 1) -> float:
    """Eq. 4: u = Σ_{i<n} D_K / D_A — devices holding kernel weights over the devices of the cores used."""
    _check_positive("replicas", replicas)
    _check_positive("cores", cores)
    return replicas * layer.weights / (cores * array.devices)


def max_replicas(layer: ConvLayerSpec, array: CoreArray, delta_w: int = 1) -> int:
    """The largest n whose collective kernel matrix fits one crossbar (0 when even one replica does not fit)."""
    def fits(n: int) -> bool:
        return n * layer.out_channels <= array.columns and replicated_rows(layer, n, delta_w) <= array.rows

    if not fits(1):
        return 0
    lo, hi = 1, array.columns // layer.out_channels  # rows grow with n: bisect for the last n that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# ----- splitting over cores --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerMapping:
    """Where one layer's (replicated) kernel matrix lands: row parts (partial sums) × column parts (concatenated).

    ``in_channel_groups[i]`` is the (first, stop) input-channel range of row part i; ``out_channel_groups[j]`` the
    output-channel range of column part j. Cores = row parts × column parts.
    """

    layer: ConvLayerSpec
    array: CoreArray
    replicas: int
    delta_w: int
    rows: int
    columns: int
    in_channel_groups: tuple[tuple[int, int], ...]
    out_channel_groups: tuple[tuple[int, int], ...]

    @property
    def row_parts(self) -> int:
        return len(self.in_channel_groups)

    @property
    def column_parts(self) -> int:
        return len(self.out_channel_groups)

    @property
    def cores(self) -> int:
        return self.row_parts * self.column_parts

    @property
    def utilization(self) -> float:
        """Eq. 4 over all the cores the layer occupies."""
        return utilization(self.layer, self.replicas, self.array, self.cores)

    def part_rows(self, row_part: int) -> int:
        """Crossbar rows used by row part ``row_part`` (its input channels × the receptive-field union)."""
        lo, hi = self.in_channel_groups[row_part]
        return self.rows // self.layer.in_channels * (hi - lo)

    def part_columns(self, column_part: int) -> int:
        lo, hi = self.out_channel_groups[column_part]
        return self.replicas * (hi - lo)


def _groups(total: int, per_part: int) -> tuple[tuple[int, int], ...]:
    parts = math.ceil(total / per_part)
    base, extra = divmod(total, parts)  # balanced: sizes differ by at most one
    out, lo = [], 0
    for i in range(parts):
        hi = lo + base + (1 if i < extra else 0)
        out.append((lo, hi))
        lo = hi
    return tuple(out)


def map_layer(layer: ConvLayerSpec, array: CoreArray, replicas: int = 1, delta_w: int = 1) -> LayerMapping:
    """Map ``replicas`` replicas of ``layer``'s kernel matrix, splitting by input channels when the collective
    matrix is taller than the crossbar (Eq. 5, partial sums) and by output channels when wider (Eq. 6)."""
    _check_positive("replicas", replicas)
    rows = replicated_rows(layer, replicas, delta_w)
    rows_per_channel = rows // layer.in_channels
    if rows_per_channel > array.rows:
        raise ConfigError(f"layer {layer.name!r}: one input channel needs {rows_per_channel} rows with {replicas} "
                          f"replica(s), more than the {array.rows} rows of a crossbar; use fewer replicas")
    if replicas > array.columns:
        raise ConfigError(f"layer {layer.name!r}: {replicas} replicas need at least {replicas} columns, more than "
                          f"the {array.columns} of a crossbar")
    in_groups = _groups(layer.in_channels, array.rows // rows_per_channel)
    out_groups = _groups(layer.out_channels, array.columns // replicas)
    return LayerMapping(layer, array, replicas, delta_w, rows, replicas * layer.out_channels, in_groups, out_groups)


@dataclass(frozen=True)
class NetworkMapping:
    """Every layer of a network mapped onto cores."""

    network: CnnSpec
    layers: tuple[LayerMapping, ...]

    @property
    def cores(self) -> int:
        return sum(m.cores for m in self.layers)

    def of(self, name: str) -> LayerMapping:
        for m in self.layers:
            if m.layer.name == name:
                return m
        raise ConfigError(f"no layer {name!r} in the mapping of {self.network.name!r}")

    @property
    def utilization(self) -> float:
        """Eq. 4 over the whole network: kernel devices over the devices of every core used."""
        used = sum(m.replicas * m.layer.weights for m in self.layers)
        return used / (self.cores * self.layers[0].array.devices)


def map_network(network: CnnSpec, array: CoreArray | None = None, replicas: dict[str, int] | int = 1,
                delta_w: int = 1) -> NetworkMapping:
    """Map every layer (one layer per core group, section 3.1.1). ``replicas`` is one count or a per-layer dict
    (layers left out get 1)."""
    array = array or CoreArray()
    if isinstance(replicas, dict):
        unknown = set(replicas) - {la.name for la in network.layers}
        if unknown:
            raise ConfigError(f"replicas names unknown layer(s) {sorted(unknown)} of {network.name!r}")
        counts = {la.name: replicas.get(la.name, 1) for la in network.layers}
    else:
        counts = {la.name: replicas for la in network.layers}
    return NetworkMapping(network, tuple(map_layer(la, array, counts[la.name], delta_w) for la in network.layers))
