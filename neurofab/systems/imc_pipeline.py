"""Timestep-level simulation of a CNN pipelined across IMC cores — Dazzi et al. 2021, Algorithms 1–2, section 3.1.

Every core runs the Dataflow Controller of Algorithm 1 once per timestep:

1. store the pixels that arrived over its links — what their cores computed ``hop_timesteps`` earlier (1: delivered
   at the end of the timestep, Figure 2), at most ``link_bits_per_step`` bits per link when that is set;
2. if the pixels in its Input Memory cover the receptive field of its next output pixels, read them and run up to
   ``replicas`` MVMs' worth of output pixels on its crossbar (one crossbar activation; column-major order, the
   ``for i from nr_parallel−1 downto 0`` loop of Algorithm 1);
3. deliver the output pixels, which the consumer cores store at the next timestep.

A residual addition waits for its residual pixel too (read from the Input Memory of the core that received the
block input, Algorithm 1 lines 21–22, or sent by a resampling core); a layer split by rows sums the partial results
of its other cores, which arrive one timestep after they are computed (section 2.4.4: 'not different from having
two separate layers'). Images stream back to back. The run also records how many input pixels each core had to
hold, to check the paper's claim that an Input Memory of H·F pixels (a ring of F columns) suffices.

Two engines advance the same per-timestep recurrences — for every core, c(t) = min(c(t−1) + replicas,
available(t)), where available(t) counts the output pixels whose inputs have all arrived by t, and for every link
r(t) = min(r(t−1) + capacity, c_source(t − delay)), delay = hops × hop_timesteps:

- ``engine="step"`` loops over timesteps and updates every core and link at once (vectorized across cores);
- ``engine="scan"`` (default) walks the cores in dataflow order and solves each core's recurrence over the whole
  time axis with a cumulative-minimum scan, x(t) = k·t + min(k, min_{u≤t}(s(u) − k·u)) — the exact closed solution
  of x(t) = min(x(t−1) + k, s(t)) for every t, so both engines give identical per-timestep curves (tested).

What the pipeline does is counted into the event ledger: crossbar activations (``mvm``), ADC/DAC conversions,
Input-Memory word reads and writes (``sram_read``/``sram_write``, per the core's activation layout) and the bits
sent over inter-core links (``link_bit``, registered here).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, Ledger, record, recording, register_kind
from neurofab.systems.imc_mapping import (
    NETWORK_INPUT,
    CnnSpec,
    ConvLayerSpec,
    CoreArray,
    NetworkMapping,
    map_network,
)
from neurofab.systems.imc_memory import Layout, layout_metrics

register_kind("link_bit", "one bit sent over an inter-core communication link")

_INPUT = -1  # source index of the network input (the input scratchpad)


class PipelineConfig(Config):
    """Timing and storage of the pipelined dataflow (defaults: Dazzi et al. 2021, section 3.1)."""

    timestep: float = Field(100e-9, gt=0, description="duration of one timestep [s]")
    bits_per_activation: int = Field(8, gt=0, description="bits of one activation (one channel of a pixel) [bit]")
    partial_sum_bits: int = Field(8, gt=0, description="bits per channel of a partial sum sent between the cores "
                                                       "of a row-split layer [bit]")
    input_pixels_per_step: int = Field(1, gt=0, description="pixels the input scratchpad delivers per timestep [1]")
    link_bits_per_step: int | None = Field(None, gt=0, description="capacity of every link per timestep [bit]; "
                                                                    "None: a link carries whatever its core sends")
    hop_timesteps: int = Field(1, ge=0, le=1, description="timesteps from a core computing a pixel to the next core "
                                                          "using it: 1 (delivered at the end of the timestep, Figure "
                                                          "2) or 0 (usable within the same timestep) [1]")
    word_bits: int = Field(128, gt=0, description="Input Memory word length [bit]")
    input_layout: Layout = Field("IWAP", description="activation layout of the cores reading the network input")
    layout: Layout = Field("PLIP", description="activation layout of every other core")


# ----- the network of the paper ----------------------------------------------------------------------------------


def resnet32(channels: tuple[int, int, int] = (16, 28, 56), blocks_per_stage: int = 5, image_size: int = 32,
             image_channels: int = 3, classes: int = 10) -> CnnSpec:
    """ResNet-32 for CIFAR-10 as mapped by Dazzi et al. 2021 (Table 2, Figure 9): 34 layers.

    A 3×3 stem (layer 1), three stages of ``blocks_per_stage`` basic blocks (two 3×3 convolutions, padding 1) with
    ``channels`` = (16, 28, 56) (the pruned 16/32/64 of Joshi et al. 2020), 1×1 stride-2 resampling layers RS1 and
    RS2 on the shortcut into stages 2 and 3, the first convolution of those stages with stride 2, and a classifier
    FC after global average pooling. Layers are named "1"…"31", "RS1", "RS2", "FC". Channels are consistent
    producer to consumer (layer 12 reads layer 11's 16 channels; Table 2 prints C_in = 28 and 252 rows for it).
    Identity shortcuts reach the adding core through the Input Memory of the block's first core (2 hops).
    """
    for name, v in (("blocks_per_stage", blocks_per_stage), ("image_size", image_size),
                    ("image_channels", image_channels), ("classes", classes), *zip(("channels",) * 3, channels)):
        if not isinstance(v, int) or v < 1:
            raise ConfigError(f"resnet32: {name} = {v!r} must be an integer >= 1")
    layers: list[ConvLayerSpec] = []
    size = image_size

    def conv(name: str, source: str, cin: int, cout: int, stride: int = 1, residual: str | None = None,
             hops: int = 1, kernel: int = 3) -> str:
        layers.append(ConvLayerSpec(name=name, in_height=size, in_width=size, in_channels=cin, out_channels=cout,
                                    kernel=kernel, stride=stride, padding=(kernel - 1) // 2, source=source,
                                    residual=residual, residual_hops=hops))
        return name

    block_input = conv("1", NETWORK_INPUT, image_channels, channels[0])
    index = 2
    for stage, width in enumerate(channels):
        prev_width = channels[stage - 1] if stage else channels[0]
        for block in range(blocks_per_stage):
            downsample = stage > 0 and block == 0
            if downsample:
                rs = conv(f"RS{stage}", block_input, prev_width, width, stride=2, kernel=1)
                first = conv(str(index), block_input, prev_width, width, stride=2)
                size //= 2
                second = conv(str(index + 1), first, width, width, residual=rs, hops=1)
            else:
                first = conv(str(index), block_input, width, width)
                second = conv(str(index + 1), first, width, width, residual=block_input, hops=2)
            block_input, index = second, index + 2
    layers.append(ConvLayerSpec(name="FC", in_height=size, in_width=size, in_channels=channels[-1],
                                out_channels=classes, kernel=1, global_pool=True, source=block_input))
    return CnnSpec(name="resnet32", layers=tuple(layers))


def channel_groups(network: CnnSpec) -> dict[str, int]:
    """Group of every convolution by output channels (1 = fewest); the classifier gets the last group."""
    widths = sorted({la.out_channels for la in network.layers if not la.global_pool})
    last = len(widths)
    return {la.name: (last if la.global_pool else widths.index(la.out_channels) + 1) for la in network.layers}


def link_bandwidth_eq7(network: CnnSpec, config: PipelineConfig) -> float:
    """Eq. 7: B = n_bits·C_out^max / T_timestep [bit/s] — one pixel of the widest convolution per timestep."""
    c_max = max(la.out_channels for la in network.layers if not la.global_pool)
    return config.bits_per_activation * c_max / config.timestep


def speedup_replicas(network: CnnSpec, per_group: tuple[int, ...] | None = None,
                     config: PipelineConfig | None = None) -> dict[str, int]:
    """Replicas per layer for the speed-up dataflow (section 3.1.4).

    With ``per_group`` given (the paper: (4, 2, 1) for its three channel groups) each layer of group g gets
    ``per_group[g−1]``; otherwise each layer gets the pixels per timestep its output link carries at the Eq. 7
    bandwidth, ⌊C_out^max / C_out⌋. The classifier (one output per image) keeps one.
    """
    groups = channel_groups(network)
    out: dict[str, int] = {}
    c_max = max(la.out_channels for la in network.layers if not la.global_pool)
    for la in network.layers:
        if la.global_pool:
            out[la.name] = 1
        elif per_group is not None:
            g = groups[la.name]
            if len(per_group) < g:
                raise ConfigError(f"per_group {per_group} has no entry for channel group {g} (layer {la.name!r})")
            out[la.name] = per_group[g - 1]
        else:
            out[la.name] = max(1, c_max // la.out_channels)
    return out


# ----- dataflow graph --------------------------------------------------------------------------------------------


def feed_need(layer: ConvLayerSpec) -> torch.Tensor:
    """For each output pixel (column-major: j = o_y·H_out + o_x), how many input pixels of the column-major input
    stream must have arrived before it can be computed (running maximum, since outputs are produced in order).

    The last input a window needs is (min(o_x·S − P + F − 1, H_in − 1), min(o_y·S − P + F − 1, W_in − 1)); for
    output (0, 0) this is the paper's H·(F − P − 1) + (F − P) pixels (2H + 3 for F = 3, P = 0).
    """
    if layer.global_pool:
        return torch.tensor([layer.in_pixels], dtype=torch.int64)
    s, p, f = layer.stride, layer.padding, layer.kernel
    ox = torch.arange(layer.out_height, dtype=torch.int64)
    oy = torch.arange(layer.out_width, dtype=torch.int64)
    row = torch.clamp(ox * s - p + f - 1, max=layer.in_height - 1)
    col = torch.clamp(oy * s - p + f - 1, max=layer.in_width - 1)
    need = (col[:, None] * layer.in_height + row[None, :] + 1).reshape(-1)
    return torch.cummax(need, 0).values


def first_needed(layer: ConvLayerSpec) -> torch.Tensor:
    """For each output pixel j, the stream index of the earliest input pixel any output ≥ j still reads."""
    if layer.global_pool:
        return torch.zeros(1, dtype=torch.int64)
    s, p = layer.stride, layer.padding
    ox = torch.arange(layer.out_height, dtype=torch.int64)
    oy = torch.arange(layer.out_width, dtype=torch.int64)
    row = torch.clamp(ox * s - p, min=0)
    col = torch.clamp(oy * s - p, min=0)
    first = (col[:, None] * layer.in_height + row[None, :]).reshape(-1)
    return torch.flip(torch.cummin(torch.flip(first, (0,)), 0).values, (0,))


def kernel_row_reads(layer: ConvLayerSpec) -> torch.Tensor:
    """For each output pixel, the valid input rows it newly brings into the crossbar buffers, as a (H_out·W_out,
    H_in) 0/1 matrix: the first output of a column loads its whole window, the next ones the rows they add
    (Figure 2: one new kernel row per timestep for stride 1). Padding rows are zeros and read no memory."""
    if layer.global_pool:
        return torch.zeros(1, layer.in_height, dtype=torch.int64)
    s, p, f = layer.stride, layer.padding, layer.kernel
    x = torch.arange(layer.in_height)
    ox = torch.arange(layer.out_height)
    lo, hi = ox * s - p, ox * s - p + f - 1
    inside = (x[None, :] >= lo[:, None]) & (x[None, :] <= hi[:, None])
    previous = torch.zeros_like(inside)
    previous[1:] = inside[:-1]
    new_rows = (inside & ~previous).to(torch.int64)
    return new_rows.repeat(layer.out_width, 1)


@dataclass(frozen=True)
class CoreNode:
    """One core of the pipeline: part (row_part, column_part) of a layer's mapping."""

    layer: ConvLayerSpec
    row_part: int
    column_part: int
    is_adder: bool  # last row part: sums partial results, adds the residual, sends the layer's output
    replicas: int
    rows: int
    columns: int
    in_channels: tuple[int, int]
    out_channels: tuple[int, int]

    @property
    def name(self) -> str:
        return f"{self.layer.name}[{self.row_part},{self.column_part}]"


@dataclass(frozen=True)
class Link:
    """A communication channel: ``src`` core (``-1`` = input scratchpad) to ``dst`` core."""

    src: int
    dst: int
    kind: Literal["feed", "residual", "partial"]
    hops: int
    bits_per_pixel: int
    need: torch.Tensor  # per destination output pixel of one image: source pixels needed (non-decreasing)
    source_pixels: int  # source pixels per image (the stream offset between images)


@dataclass(frozen=True)
class PipelineGraph:
    """Cores and links of a mapped network."""

    network: CnnSpec
    mapping: NetworkMapping
    config: PipelineConfig
    nodes: tuple[CoreNode, ...]
    links: tuple[Link, ...]

    @property
    def sink(self) -> list[int]:
        """Adder cores of the last layer (their outputs are the classification)."""
        last = self.network.layers[-1].name
        return [i for i, n in enumerate(self.nodes) if n.layer.name == last and n.is_adder]

    def layer_node(self, name: str) -> int:
        """Index of the core that sends layer ``name``'s output (first column part)."""
        for i, n in enumerate(self.nodes):
            if n.layer.name == name and n.is_adder and n.column_part == 0:
                return i
        raise ConfigError(f"no layer {name!r} in network {self.network.name!r}")


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def build_graph(mapping: NetworkMapping, config: PipelineConfig | None = None) -> PipelineGraph:
    """Cores and links of ``mapping``: one core per (row part, column part) of every layer."""
    config = config or PipelineConfig()
    net = mapping.network
    nodes: list[CoreNode] = []
    adders: dict[str, list[int]] = {}
    links: list[Link] = []
    bits = config.bits_per_activation
    for m in mapping.layers:
        la = m.layer
        first_of_layer = len(nodes)
        for k, out_group in enumerate(m.out_channel_groups):
            for i, in_group in enumerate(m.in_channel_groups):
                nodes.append(CoreNode(la, i, k, i == m.row_parts - 1, m.replicas, m.part_rows(i),
                                      m.part_columns(k), in_group, out_group))
        adders[la.name] = [j for j in range(first_of_layer, len(nodes)) if nodes[j].is_adder]
        need = feed_need(la)
        identity = torch.arange(1, la.out_pixels + 1, dtype=torch.int64)
        for j in range(first_of_layer, len(nodes)):
            node = nodes[j]
            if la.source == NETWORK_INPUT:
                links.append(Link(_INPUT, j, "feed", 1, (node.in_channels[1] - node.in_channels[0]) * bits, need,
                                  la.in_pixels))
            else:
                for src in adders[la.source]:
                    shared = _overlap(nodes[src].out_channels, node.in_channels)
                    if shared:
                        links.append(Link(src, j, "feed", 1, shared * bits, need, la.in_pixels))
            if node.is_adder:
                if la.residual is not None:
                    for src in adders[la.residual]:
                        shared = _overlap(nodes[src].out_channels, node.out_channels)
                        if shared:
                            links.append(Link(src, j, "residual", la.residual_hops, shared * bits, identity,
                                              la.out_pixels))
                for part in range(first_of_layer, len(nodes)):
                    other = nodes[part]
                    if other.column_part == node.column_part and not other.is_adder:
                        width = node.out_channels[1] - node.out_channels[0]
                        links.append(Link(part, j, "partial", 1, width * config.partial_sum_bits, identity,
                                          la.out_pixels))
    return PipelineGraph(net, mapping, config, tuple(nodes), tuple(links))


# ----- simulation ------------------------------------------------------------------------------------------------


@dataclass
class PipelineResult:
    """Per-timestep outputs of every core for a batch of images, and what the run measured."""

    graph: PipelineGraph
    batch: int
    counts: torch.Tensor  # (cores, T): output pixels computed by each core up to and including timestep t
    received: torch.Tensor  # (links,): pixels each link delivered over the run
    max_pixels_per_step: torch.Tensor  # (links,): most pixels a link delivered in one timestep
    max_buffered: torch.Tensor  # (cores,): most input pixels a core had to keep in its Input Memory
    activations: torch.Tensor  # (cores,): timesteps in which the core ran its crossbar
    completion: torch.Tensor  # (batch,): timestep at which each image's classification was computed
    engine: str
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def timesteps(self) -> int:
        return int(self.counts.shape[1])

    @property
    def latency_steps(self) -> int:
        """Timesteps from the first input pixel to the first image's classification, both inclusive."""
        return int(self.completion[0]) + 1

    @property
    def latency(self) -> float:
        """Latency of one classification [s]."""
        return self.latency_steps * self.graph.config.timestep

    @property
    def batch_steps(self) -> int:
        """Timesteps to classify the whole batch."""
        return int(self.completion[-1]) + 1

    @property
    def throughput(self) -> float:
        """Images per second over the batch: batch / (batch_steps · timestep)."""
        return self.batch / (self.batch_steps * self.graph.config.timestep)

    @property
    def steady_interval_steps(self) -> float:
        """Timesteps between consecutive classifications in the steady state (NaN for one image)."""
        if self.batch < 2:
            return math.nan
        return float(self.completion[-1] - self.completion[0]) / (self.batch - 1)

    def layer_curve(self, name: str) -> torch.Tensor:
        """Output pixels computed by layer ``name`` up to each timestep (Figure 10)."""
        return self.counts[self.graph.layer_node(name)]

    def link_bandwidth(self, kind: str | None = None) -> float:
        """Largest bit rate any link (of ``kind``) carried in one timestep [bit/s]."""
        bits = torch.tensor([ln.bits_per_pixel for ln in self.graph.links], dtype=torch.float64)
        use = torch.tensor([kind is None or ln.kind == kind for ln in self.graph.links])
        rate = self.max_pixels_per_step.to(torch.float64) * bits
        return float(rate[use].max()) / self.graph.config.timestep if bool(use.any()) else 0.0

    def ring_capacity(self) -> torch.Tensor:
        """Pixels an Input Memory of H_in·F pixels holds, per core (section 2.4.2)."""
        return torch.tensor([n.layer.in_height * n.layer.kernel if not n.layer.global_pool else n.layer.in_pixels
                             for n in self.graph.nodes])


def _scan(s: torch.Tensor, k: int | None, t: torch.Tensor | None = None) -> torch.Tensor:
    """x(t) = min(x(t−1) + k, s(t)) with x(−1) = 0, for every t at once (k = None: x = s); ``t`` = arange(T)."""
    if k is None:
        return s
    kt = k * (torch.arange(s.shape[-1], dtype=s.dtype) if t is None else t)
    return kt + torch.clamp(torch.cummin(s - kt, dim=-1).values, max=k)


def _link_capacity(link: Link, config: PipelineConfig) -> int | None:
    if config.link_bits_per_step is None or link.src == _INPUT:
        return None
    cap = config.link_bits_per_step // link.bits_per_pixel
    if cap < 1:
        raise ConfigError(f"link_bits_per_step = {config.link_bits_per_step} cannot carry one "
                          f"{link.bits_per_pixel}-bit pixel per timestep; raise it to at least {link.bits_per_pixel}")
    return cap


def _batched(values: torch.Tensor, per_image: int, batch: int) -> torch.Tensor:
    offsets = torch.arange(batch, dtype=torch.int64)[:, None] * per_image
    return (values[None, :] + offsets).reshape(-1)


def _upper_bound_steps(graph: PipelineGraph, batch: int) -> int:
    """A horizon every run finishes within: each core finishing after all its inputs did."""
    cfg = graph.config
    finish = [0] * len(graph.nodes)
    into: dict[int, list[Link]] = {}
    for ln in graph.links:
        into.setdefault(ln.dst, []).append(ln)
    n_in = graph.network.input_shape[0] * graph.network.input_shape[1]
    for j, node in enumerate(graph.nodes):
        ready = 0
        for ln in into.get(j, []):
            ready = max(ready, math.ceil(batch * n_in / cfg.input_pixels_per_step) if ln.src == _INPUT
                        else finish[ln.src] + ln.hops * cfg.hop_timesteps)
        finish[j] = ready + math.ceil(batch * node.layer.out_pixels / node.replicas)
    return max(finish) + 2


def _count_dtype(graph: PipelineGraph, batch: int, horizon: int) -> torch.dtype:
    """int32 when every count and scan term fits (halves the memory the scans stream through), else int64."""
    largest = max([batch * graph.network.input_shape[0] * graph.network.input_shape[1],
                   *(batch * n.layer.out_pixels for n in graph.nodes)])
    fastest = max([graph.config.input_pixels_per_step, *(n.replicas for n in graph.nodes)])
    return torch.int32 if 2 * (largest + fastest * horizon) < 2**31 else torch.int64


def _simulate_scan(graph: PipelineGraph, batch: int, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    cfg = graph.config
    dtype = _count_dtype(graph, batch, horizon)
    n_in = graph.network.input_shape[0] * graph.network.input_shape[1]
    t = torch.arange(horizon, dtype=dtype)
    feed_in = torch.clamp(cfg.input_pixels_per_step * (t + 1), max=batch * n_in)
    pad = max([1, *(ln.hops * cfg.hop_timesteps for ln in graph.links)])
    counts = torch.zeros(len(graph.nodes), pad + horizon, dtype=dtype)  # `pad` zero timesteps before t = 0
    received = torch.zeros(len(graph.links), horizon, dtype=dtype)
    into: dict[int, list[int]] = {}
    for e, ln in enumerate(graph.links):
        into.setdefault(ln.dst, []).append(e)
    needs: dict[tuple[int, int], torch.Tensor] = {}
    for j, node in enumerate(graph.nodes):
        avail: torch.Tensor | None = None
        seen: dict[tuple, torch.Tensor] = {}  # links that carry the same stream to the same need share the work
        for e in into.get(j, []):
            ln = graph.links[e]
            delay = ln.hops * cfg.hop_timesteps
            cap = _link_capacity(ln, cfg)
            key = (ln.src, delay, cap, id(ln.need), ln.source_pixels)
            if key not in seen:
                sent = feed_in if ln.src == _INPUT else counts[ln.src, pad - delay : pad - delay + horizon]
                got = _scan(sent, cap, t)
                nk = (id(ln.need), ln.source_pixels)
                if nk not in needs:
                    needs[nk] = _batched(ln.need, ln.source_pixels, batch).to(dtype)
                ready = torch.searchsorted(needs[nk], got, right=True).to(dtype)
                seen[key] = got
                avail = ready if avail is None else torch.minimum(avail, ready)
            received[e] = seen[key]
        if avail is None:
            avail = torch.full((horizon,), batch * node.layer.out_pixels, dtype=dtype)
        counts[j, pad:] = _scan(avail, node.replicas, t)
    return counts[:, pad:], received


def _simulate_step(graph: PipelineGraph, batch: int, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    cfg = graph.config
    n_nodes, n_links = len(graph.nodes), len(graph.links)
    n_in = graph.network.input_shape[0] * graph.network.input_shape[1]
    needs = [_batched(ln.need, ln.source_pixels, batch) for ln in graph.links]
    longest = max(len(n) for n in needs)
    big = torch.iinfo(torch.int64).max
    need_table = torch.full((n_links, longest), big, dtype=torch.int64)
    for e, n in enumerate(needs):
        need_table[e, : len(n)] = n
    src = torch.tensor([max(ln.src, 0) for ln in graph.links])
    from_input = torch.tensor([ln.src == _INPUT for ln in graph.links])
    delay = torch.tensor([ln.hops * cfg.hop_timesteps for ln in graph.links])
    if bool((delay[~from_input] < 1).any()):
        raise ConfigError("the step engine advances every core at once and needs hop_timesteps = 1; "
                          "use engine='scan' for hop_timesteps = 0")
    dst = torch.tensor([ln.dst for ln in graph.links])
    caps = [_link_capacity(ln, cfg) for ln in graph.links]
    cap = torch.tensor([big // 4 if c is None else c for c in caps], dtype=torch.int64)
    replicas = torch.tensor([n.replicas for n in graph.nodes], dtype=torch.int64)
    totals = torch.tensor([batch * n.layer.out_pixels for n in graph.nodes], dtype=torch.int64)
    history = torch.zeros(horizon + 1, n_nodes, dtype=torch.int64)  # row t + 1 holds counts at timestep t
    received = torch.zeros(n_links, horizon, dtype=torch.int64)
    r = torch.zeros(n_links, dtype=torch.int64)
    c = torch.zeros(n_nodes, dtype=torch.int64)
    for step in range(horizon):
        # 1. links deliver what their source computed `delay` timesteps ago (the scratchpad: its schedule)
        sent = history[torch.clamp(step + 1 - delay, min=0), src]
        sent = torch.where(from_input, torch.clamp(torch.tensor(cfg.input_pixels_per_step * (step + 1)),
                                                   max=batch * n_in), sent)
        r = torch.minimum(r + cap, sent)
        received[:, step] = r
        # 2. each core computes the outputs whose inputs have all arrived, at most `replicas` of them
        ready = torch.searchsorted(need_table, r[:, None], right=True)[:, 0]
        avail = totals.clone().scatter_reduce(0, dst, ready, reduce="amin")
        c = torch.minimum(c + replicas, avail)
        history[step + 1] = c
    return history[1:].T.contiguous(), received


@contextmanager
def _one_intra_op_thread() -> Iterator[None]:
    """Run torch ops on one thread, then restore the caller's setting. The scans walk the cores one after another
    over vectors of ~10⁵ timesteps: memory-bound work that intra-op threads only slow down (a batch of 100
    ResNet-32 images: 1.2 s on one thread, 4–5 s on two, on a loaded 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def simulate(mapping: NetworkMapping | CnnSpec, config: PipelineConfig | None = None, batch: int = 1,
             engine: Literal["scan", "step"] = "scan", max_steps: int | None = None) -> PipelineResult:
    """Run ``batch`` images through the pipeline of ``mapping`` (a bare network is mapped on 256×256 cores with one
    replica per layer) and record the ledger of what the cores and links did."""
    if isinstance(mapping, CnnSpec):
        mapping = map_network(mapping, CoreArray())
    if not isinstance(mapping, NetworkMapping):
        raise ConfigError(f"simulate needs a NetworkMapping or CnnSpec, got {type(mapping).__name__}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ConfigError(f"batch = {batch!r}: must be an integer >= 1")
    if engine not in ("scan", "step"):
        raise ConfigError(f"engine = {engine!r}: must be 'scan' or 'step'")
    graph = build_graph(mapping, config)
    bound = _upper_bound_steps(graph, batch) if max_steps is None else max_steps
    n_in = graph.network.input_shape[0] * graph.network.input_shape[1]
    horizon = min(bound, math.ceil(1.25 * batch * n_in / graph.config.input_pixels_per_step) + 4096)
    run = _simulate_scan if engine == "scan" else _simulate_step
    sink = graph.sink
    sink_total = batch * graph.nodes[sink[0]].layer.out_pixels
    with _one_intra_op_thread():
        while True:
            counts, received = run(graph, batch, horizon)
            done = counts[sink, -1].min() >= sink_total
            if done or horizon >= bound:
                break
            horizon = min(bound, horizon * 2)
        if not done:
            raise ConfigError(f"the pipeline did not finish within max_steps = {bound} timesteps; raise max_steps")
        # trim after the last timestep in which anything happened
        moving = torch.nonzero((counts != counts[:, -1:]).any(0) | (received != received[:, -1:]).any(0))
        last = int(moving.max()) + 2 if len(moving) else 1
        return _finish(graph, batch, counts[:, :last], received[:, :last], engine)


def _finish(graph: PipelineGraph, batch: int, counts: torch.Tensor, received: torch.Tensor,
            engine: str) -> PipelineResult:
    counts, received = counts.to(torch.int64), received.to(torch.int64)
    sink = graph.sink
    per_image = graph.nodes[sink[0]].layer.out_pixels
    done_count = counts[sink].min(0).values
    targets = torch.arange(1, batch + 1, dtype=torch.int64) * per_image
    completion = torch.searchsorted(done_count, targets)
    delivered = torch.diff(received, dim=1, prepend=torch.zeros(len(graph.links), 1, dtype=torch.int64))
    computed = torch.diff(counts, dim=1, prepend=torch.zeros(len(graph.nodes), 1, dtype=torch.int64))
    activations = (computed > 0).sum(1)
    buffered = _max_buffered(graph, batch, counts, received)
    result = PipelineResult(graph, batch, counts.to(torch.int32), received[:, -1].clone(),
                            delivered.max(1).values, buffered, activations, completion, engine)
    with Ledger() as led:
        _record_events(result)
    result.ledger = led
    return result


def _max_buffered(graph: PipelineGraph, batch: int, counts: torch.Tensor, received: torch.Tensor) -> torch.Tensor:
    """Most input pixels each core held: received − earliest pixel its next output still reads (checked when it
    stores, before it computes, as in Algorithm 1)."""
    out = torch.zeros(len(graph.nodes), dtype=torch.int64)
    for e, ln in enumerate(graph.links):
        if ln.kind != "feed":
            continue
        node = graph.nodes[ln.dst]
        first = _batched(first_needed(node.layer), ln.source_pixels, batch)
        first = torch.cat([first, torch.tensor([batch * ln.source_pixels])])
        before = torch.cat([torch.zeros(1, dtype=torch.int64), counts[ln.dst, :-1]])
        held = received[e] - first[before]
        out[ln.dst] = torch.maximum(out[ln.dst], held.max())
    return out


def _record_events(result: PipelineResult) -> None:
    """Ledger of the run: crossbar activations, conversions, Input-Memory words, link bits."""
    if not recording():
        return
    graph, cfg = result.graph, result.graph.config
    computed = result.counts[:, -1].to(torch.int64)
    for j, node in enumerate(graph.nodes):
        record("mvm", int(result.activations[j]), f"{cfg.bits_per_activation}b")
        record("dac_conversion", int(result.activations[j]) * node.rows, f"{cfg.bits_per_activation}b")
        width = node.out_channels[1] - node.out_channels[0]
        record("adc_conversion", int(computed[j]) * width, f"{cfg.bits_per_activation}b")
    for e, ln in enumerate(graph.links):
        n = int(result.received[e])
        record("link_bit", n * ln.bits_per_pixel)
        node = graph.nodes[ln.dst]
        la = node.layer
        if ln.kind == "residual" and ln.hops == 2:  # read back from the Input Memory that first stored it
            record("sram_read", n * math.ceil(ln.bits_per_pixel / cfg.word_bits))
        if ln.kind != "feed" or la.global_pool:  # partial sums and residuals go to the digital processor;
            continue  # the classifier accumulates its global pool there too
        layout = cfg.input_layout if la.source == NETWORK_INPUT else cfg.layout
        channels = node.in_channels[1] - node.in_channels[0]
        metrics = layout_metrics(layout, channels, la.in_height, la.kernel, cfg.word_bits, cfg.bits_per_activation)
        # writes: pixel k of an image lands in slot (k mod H, (k // H) mod F) of the ring
        k = torch.arange(la.in_pixels)
        slot_writes = metrics.write_cycles[k % la.in_height, (k // la.in_height) % la.kernel]
        record("sram_write", _prefix_total(slot_writes, n))
        # reads: the kernel rows each computed output brings in, at that row's read cycles
        reads = kernel_row_reads(la) @ metrics.read_cycles
        record("sram_read", _prefix_total(reads, int(computed[ln.dst])))


def _prefix_total(per_item: torch.Tensor, done: int) -> int:
    """Sum of ``per_item`` over the first ``done`` items of a stream that repeats it image after image."""
    whole, rest = divmod(done, len(per_item))
    return int(whole * per_item.sum() + per_item[:rest].sum())

