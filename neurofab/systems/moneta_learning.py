"""MONETA's learning: a convolutional SNN with the chip's LIF form, cross-depth inhibition, stochastic STDP under the
two dataflow schedules, the central filter-update table, and the hybrid BP + STDP network — Kim et al. 2022,
sections 2.1, 3.1, 3.3–3.5 and 4.1–4.3 (seed 001 l. 5620–5622, 5681–5692, 5717, 5721–5727, 5755, 5775, 5807, 5814).

**Input** (l. 5814, 5681): a pixel is quantized to 4 bits, q ∈ 0..15, and becomes a spike train of rate
f = f_min + (f_max − f_min)·q/15 (10–50 Hz) shown for 100 steps; a step is T_spike = 1/f_max (l. 5681), so a pixel
spikes in a step with probability f·T_spike (Bernoulli, from an explicit generator).

**Neuron** (l. 5717, the hardware LIF form): per step, with VMM = Σ input spike × integer weight level [LSB],

    V ← V + VMM;   V ← V − (a + b·V);   V ← max(V, 0);   spike where V > V_th, then V ← 0.

The paper gives none of a, b, V_th; ours are in :class:`ConvSpec` (the floor at 0 is ours too). **Cross-depth
inhibition** (l. 5622): at one (x, y) at most one filter fires per step — the one with the largest V among those
above threshold — and the membranes of all filters at that (x, y) are reset to 0. **Lateral inhibition** (l. 5622):
one neuron per filter (depth) per step drives its filter's update — in schedule (a) the neuron of that depth with the
largest V over the whole TIFM, if above threshold (l. 5725's ideal case; V before the cross-depth reset). It acts on
learning only: it must, for the chip's schedule (b) processes one IFM (input patch) at a time and cannot see the
other positions of a step; so inference is per position and schedules (a) and (b) give the same spikes.

**Learning** (stochastic STDP, :func:`neurofab.learning.stochastic_stdp_update`, 8-bit levels, ±1 LSB) runs layer
by layer (l. 5807) under three schedules:

- ``"standard"`` — schedule (a), spike cycles over all IFMs (Figure 8A, the paper's "standard STDP", Type 1):
  in each step every filter with a lateral winner is updated from that winner's input history;
- ``"sequential"`` — schedule (b), one IFM at a time through all steps (Figure 8B) with the update applied when a
  neuron fires (the cross-depth winner): the order bias of l. 5725 (IFMs early in the raster order shape the
  filters, later ones meet weights already changed; measured: the first winner keeps winning and takes the updates,
  :meth:`LearnStats.effective_filters`; which IFM positions control the updates, :meth:`LearnStats.early_share`);
- ``"pim"`` — schedule (b) with the central filter-update table (l. 5727, 5775; Type 2): an inference pass records,
  per filter, the IFM that gave its largest V; an update pass re-fetches only those IFMs and runs each filter alone
  on its IFM for all steps, updating it whenever it fires.

Images of a batch are learned side by side from the same weights and their updates summed (the batch is ours:
``batch = 1`` is the one-image-at-a-time chip). Every pass counts its hardware events in open ledgers: IFM fetches
from off-chip memory, active array rows, clock cycles (100·positions·I_D per image plus 17 per weight update,
section 4.4), filter updates, transposable weight reads/writes, filter-update-table accesses and output spikes, so
the performance model can be driven by the measured output rate r_out (:attr:`LearnStats.output_rate`).

The hybrid network (Figure 6C, l. 5648, 5785): :func:`train_bp` trains a BP ConvSNN block of the same shapes
(``neurofab.spiking.LIF`` neurons, surrogate-gradient BPTT, Adam) and the FC layer, reading the STDP block's spike
counts beside its own (Type 5) or alone with a block twice as wide (Type 3, BP-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from numba import njit
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import (
    Config,
    ConfigError,
    Ledger,
    Seed,
    ShapeError,
    make_generator,
    one_thread,
    record,
    recording,
    register_kind,
)
from neurofab.learning import StochasticSTDPConfig, StochasticSTDPState, stochastic_stdp_update
from neurofab.learning.stochastic_stdp import history_step
from neurofab.spiking import LIF, leaky

__all__ = [
    "SCHEDULES",
    "ConvSNN",
    "ConvSNNConfig",
    "ConvSpec",
    "EncoderConfig",
    "HybridResult",
    "LearnStats",
    "Schedule",
    "bp_branch",
    "cross_depth_step",
    "encode",
    "fit_readout",
    "output_rate",
    "readout_accuracy",
    "train_bp",
]

register_kind("ifm_fetch", "one input feature map (an F×F×I_D input patch) fetched from off-chip memory")
register_kind("array_row_read", "one synaptic-array row (wordline) read with an input spike on it (PIM VMM)")
register_kind("clock_cycle", "one accelerator clock cycle")
register_kind("filter_update", "one STDP update of one filter triggered by one output spike (17 cycles on MONETA)")
register_kind("table_access", "one read or write of the central filter-update table")

Schedule = Literal["standard", "sequential", "pim"]
SCHEDULES: tuple[Schedule, ...] = ("standard", "sequential", "pim")
UPDATE_CYCLES = 17  #: 8 reads + 1 compute + 8 writes per weight update (seed 001 l. 5849)


class EncoderConfig(Config):
    """Rate encoding of an image (seed 001 l. 5814, 5681): 4-bit pixels, 10–50 Hz, 100 steps of 1/f_max."""

    f_min: float = Field(10.0, ge=0, description="spike rate of a black pixel [Hz]")
    f_max: float = Field(50.0, gt=0, description="spike rate of a white pixel [Hz]")
    bits: int = Field(4, ge=1, le=16, description="input precision: pixels quantized to 2^bits levels [bit]")
    steps: int = Field(100, ge=1, description="time steps an image is shown for (T_total/T_spike) [1]")
    step_duration: float | None = Field(None, gt=0, description="one time step [s]; None: T_spike = 1/f_max")

    @model_validator(mode="after")
    def _rates(self) -> EncoderConfig:
        if self.f_min > self.f_max:
            raise ValueError(f"EncoderConfig.f_min = {self.f_min!r}: must be <= f_max = {self.f_max!r}")
        if self.f_max * self.dt > 1 + 1e-12:
            raise ValueError(f"EncoderConfig.step_duration = {self.step_duration!r}: f_max·dt must be <= 1 "
                             "(at most one spike per step)")
        return self

    @property
    def dt(self) -> float:
        """The time step [s]."""
        return 1.0 / self.f_max if self.step_duration is None else self.step_duration


def encode(images: torch.Tensor, enc: EncoderConfig, generator: Seed = None) -> torch.Tensor:
    """Spike trains (steps, N, C, H, W) as float32 0/1 of ``images`` (N, C, H, W) in [0, 1]."""
    if images.dim() != 4:
        raise ShapeError(f"encode: images must be (N, C, H, W), got {tuple(images.shape)}")
    if not torch.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ConfigError("encode: images must be finite and in [0, 1]")
    levels = 2**enc.bits - 1
    q = torch.round(images.float() * levels) / levels
    p = (enc.f_min + (enc.f_max - enc.f_min) * q) * enc.dt
    gen = make_generator(generator)
    u = torch.rand((enc.steps, *images.shape), generator=gen)
    return (u < p).float()


class ConvSpec(Config):
    """One convolutional layer of LIF neurons in MONETA's hardware form (a, b, V_th: ours; the paper gives none)."""

    filters: int = Field(16, gt=0, description="O_D: number of filters [1]")
    kernel: int = Field(3, gt=0, description="F_R = F_C: filter size [pixels]")
    stride: int = Field(2, gt=0, description="S: stride [pixels]")
    padding: int = Field(1, ge=0, description="zero padding on each side [pixels]")
    v_th: float = Field(800.0, gt=0, description="firing threshold V_th [weight LSB]")
    a: float = Field(0.0, ge=0, description="constant leak a per step [weight LSB]")
    b: float = Field(0.05, ge=0, lt=1, description="proportional leak b per step [1]")


class ConvSNNConfig(Config):
    """A MONETA ConvSNN: input geometry, layers, encoding, stochastic STDP rule and initial weights."""

    in_channels: int = Field(1, gt=0, description="I_D of the image [1]")
    image_size: int = Field(8, gt=0, description="image height = width [pixels]")
    layers: tuple[ConvSpec, ...] = Field((ConvSpec(),), min_length=1,
                                         description="the convolutional layers in order")
    encoder: EncoderConfig = Field(default_factory=EncoderConfig, description="rate encoder")
    stdp: StochasticSTDPConfig = Field(
        default_factory=lambda: StochasticSTDPConfig(p1=0.5, p2=0.25, p3=0.1, p4=0.05, pd=0.15, t_threshold=2,
                                                     w_min=0, generator="torch"),
        description="stochastic STDP rule (She 2019) with its weight levels")
    init_low: int = Field(0, description="lowest initial weight level [LSB]")
    init_high: int = Field(48, description="highest initial weight level [LSB]")

    @model_validator(mode="after")
    def _fit(self) -> ConvSNNConfig:
        lo, hi = self.stdp.levels
        if not lo <= self.init_low <= self.init_high <= hi:
            raise ValueError(f"ConvSNNConfig.init_low = {self.init_low!r}, init_high = {self.init_high!r}: need "
                             f"{lo} <= init_low <= init_high <= {hi} (the STDP weight levels)")
        size = self.image_size
        for i, la in enumerate(self.layers):
            out = (size + 2 * la.padding - la.kernel) // la.stride + 1
            if out < 1:
                raise ValueError(f"ConvSNNConfig.layers[{i}]: a {la.kernel}×{la.kernel} filter does not fit a "
                                 f"{size}×{size} input with padding {la.padding}")
            size = out
        return self

    def shapes(self) -> list[tuple[int, int, int]]:
        """(depth, rows, columns) of the input of every layer and of the last output."""
        out = [(self.in_channels, self.image_size, self.image_size)]
        for la in self.layers:
            size = (out[-1][1] + 2 * la.padding - la.kernel) // la.stride + 1
            out.append((la.filters, size, size))
        return out


def cross_depth_step(v: torch.Tensor, drive: torch.Tensor, spec: ConvSpec) -> tuple[torch.Tensor, torch.Tensor,
                                                                                       torch.Tensor]:
    """One step of the chip's LIF with cross-depth inhibition on membranes ``v`` (..., F, positions…): the filter
    axis is dim 1 of (N, F, …). Returns (new v, the v before firing, spikes 0/1): at most one spike per location."""
    z = (v + drive) * (1 - spec.b) - spec.a  # V += VMM; V −= a + b·V
    z = z.clamp_min(0.0)
    top, idx = z.max(dim=1, keepdim=True)
    fire = top > spec.v_th
    spikes = torch.zeros_like(z).scatter_(1, idx, fire.to(z.dtype))
    new = torch.where(fire, torch.zeros_like(z), z)  # the winner resets, and inhibits its location's other depths
    return new, z, spikes


@njit(cache=True)
def _scan_kernel(drive, keep, a, v_th, spikes, vpre):  # pragma: no cover - compiled
    """:func:`cross_depth_step` over all steps of drive (steps, N, F, P), float32 throughout."""
    steps, n, nf, npos = drive.shape
    v = np.zeros((n, nf, npos), dtype=np.float32)
    top = np.empty(npos, dtype=np.float32)
    best = np.empty(npos, dtype=np.int64)
    for t in range(steps):
        for i in range(n):
            top[:] = -1.0
            for f in range(nf):
                for p in range(npos):
                    z = (v[i, f, p] + drive[t, i, f, p]) * keep - a
                    if z < 0:
                        z = np.float32(0.0)
                    vpre[t, i, f, p] = z
                    v[i, f, p] = z
                    if z > top[p]:
                        top[p] = z
                        best[p] = f
            for p in range(npos):
                if top[p] > v_th:
                    spikes[t, i, best[p], p] = 1.0
                    for f in range(nf):
                        v[i, f, p] = 0


def _scan(drive: torch.Tensor, spec: ConvSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and pre-firing membranes of :func:`cross_depth_step` run over the steps of ``drive`` (compiled)."""
    d = drive.detach().to(torch.float32).contiguous().numpy()
    spikes, vpre = np.zeros_like(d), np.empty_like(d)
    _scan_kernel(d, np.float32(1 - spec.b), np.float32(spec.a), np.float32(spec.v_th), spikes, vpre)
    return torch.from_numpy(spikes), torch.from_numpy(vpre)


@dataclass
class LearnStats:
    """What one learning run of one layer did (counts also go to open ledgers)."""

    images: int = 0
    updates: int = 0
    ifm_fetches: int = 0
    output_spikes: float = 0.0
    neuron_steps: float = 0.0
    cycles: float = 0.0
    filter_updates: torch.Tensor | None = None  #: updates per filter, summed over images and IFMs
    #: updates per controlling IFM (raster index y·w + x in the processing order), summed over images and filters
    position_updates: torch.Tensor | None = None
    ledger: Ledger = field(default_factory=Ledger)

    def count_updates(self, fired: torch.Tensor, ifm: int | torch.Tensor, positions: int) -> None:
        """Add the updates of the firing rows ``fired`` (N, F) to :attr:`filter_updates` and, by the IFM that
        controls each of them — ``ifm`` one raster index for all, or one per row (N, F) — out of ``positions``
        IFMs, to :attr:`position_updates`."""
        counts = fired.double().sum(0)
        self.filter_updates = counts if self.filter_updates is None else self.filter_updates + counts
        if self.position_updates is None:
            self.position_updates = torch.zeros(positions, dtype=torch.float64)
        if isinstance(ifm, int):
            self.position_updates[ifm] += float(counts.sum())
        else:
            self.position_updates.index_add_(0, ifm[fired], torch.ones(int(fired.sum()), dtype=torch.float64))

    def early_share(self, fraction: float = 0.25) -> float:
        """Share of the updates controlled by IFMs in the first ``fraction`` of the processing order (raster index
        < fraction · positions): ``fraction`` when every IFM position controls as many updates, more when the
        earliest IFMs take the updates (the sequential bias of l. 5591, 5725); nan with no update."""
        if self.position_updates is None or float(self.position_updates.sum()) == 0:
            return float("nan")
        first = max(1, round(fraction * len(self.position_updates)))
        return float(self.position_updates[:first].sum() / self.position_updates.sum())

    def effective_filters(self) -> float:
        """exp(entropy) of how the updates spread over the filters: F when every filter learns equally, 1 when one
        filter takes every update (the order bias of schedule (b) concentrates learning on early winners)."""
        if self.filter_updates is None or float(self.filter_updates.sum()) == 0:
            return 0.0
        p = self.filter_updates / self.filter_updates.sum()
        p = p[p > 0]
        return float(torch.exp(-(p * p.log()).sum()))

    @property
    def output_rate(self) -> float:
        """Output spikes per neuron per step in the (inference) passes of the run."""
        return self.output_spikes / self.neuron_steps if self.neuron_steps else 0.0


def output_rate(spikes: torch.Tensor) -> float:
    """r_out: output spikes per neuron per time step of a (steps, N, …) spike tensor."""
    return float(spikes.float().mean())


def _histories(spikes: torch.Tensor, stdp: StochasticSTDPConfig) -> torch.Tensor:
    """History codes T[3:0] (steps, N, C, H, W) uint8 of every input after each step (:func:`history_step`)."""
    state = StochasticSTDPState(torch.zeros(spikes.shape[1:], dtype=torch.uint8), 0, None, None)
    out = torch.empty(spikes.shape, dtype=torch.uint8)
    for t in range(spikes.shape[0]):
        history_step(state, spikes[t], stdp)
        out[t] = state.history
    return out


class ConvSNN:
    """The ConvSNN: integer weight levels per layer (F, C, k, k), inference and layer-wise STDP learning."""

    def __init__(self, config: ConvSNNConfig, seed: Seed = 0) -> None:
        if not isinstance(config, ConvSNNConfig):
            raise ConfigError(f"config must be a ConvSNNConfig, got {type(config).__name__}")
        self.config = config
        gen = make_generator(seed)
        shapes = config.shapes()
        self.weights = [torch.randint(config.init_low, config.init_high + 1, (la.filters, shapes[i][0], la.kernel,
                                                                              la.kernel), generator=gen)
                        for i, la in enumerate(config.layers)]
        self._stdp_seed = int(torch.randint(1, 2**31, (1,), generator=gen))

    # ----- inference ---------------------------------------------------------------------------------------------
    def _patches(self, x: torch.Tensor, layer: int) -> torch.Tensor:
        """Unfolded input (steps, N, C·k·k, positions) of ``x`` (steps, N, C, H, W) for ``layer``."""
        la = self.config.layers[layer]
        s, n = x.shape[:2]
        p = F.unfold(x.reshape(s * n, *x.shape[2:]).float(), la.kernel, padding=la.padding, stride=la.stride)
        return p.reshape(s, n, *p.shape[1:])

    def _check_input(self, x: torch.Tensor, layer: int) -> None:
        c, h, w = self.config.shapes()[layer]
        if x.dim() != 5 or tuple(x.shape[2:]) != (c, h, w):
            raise ShapeError(f"layer {layer} takes spikes (steps, N, {c}, {h}, {w}), got {tuple(x.shape)}")

    def layer_forward(self, x: torch.Tensor, layer: int, schedule: Literal["a", "b"] = "a",
                      counted_as: Literal["a", "b"] | None = None, count: bool = True
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """Output spikes (steps, N, F, h, w) and the pre-firing membrane (same shape) of ``layer`` for input spikes
        ``x`` (steps, N, C, H, W). ``schedule`` "a" runs all IFMs step by step (a compiled kernel), "b" one IFM
        through all steps after another (torch, :func:`cross_depth_step`): the same arithmetic in another order
        (inference does not depend on it). The ledger counts the IFM
        fetches of ``counted_as`` (default: ``schedule``): steps × positions per image for (a), positions for (b);
        ``count=False`` records nothing."""
        self._check_input(x, layer)
        la = self.config.layers[layer]
        w = self.weights[layer].float()
        c, h, _ = self.config.shapes()[layer + 1]
        steps, n = x.shape[:2]
        patches = self._patches(x, layer)  # (steps, N, n_pre, P)
        drive = torch.matmul(w.reshape(la.filters, -1), patches)  # (steps, N, F, P)
        if schedule == "a":
            spikes, vpre = _scan(drive, la)  # compiled: the steps of all IFMs in lockstep
        elif schedule == "b":
            spikes, vpre = torch.empty_like(drive), torch.empty_like(drive)
            for p in range(drive.shape[-1]):
                v = torch.zeros_like(drive[0, :, :, p])
                for t in range(steps):
                    v, vpre[t, :, :, p], spikes[t, :, :, p] = cross_depth_step(v, drive[t, :, :, p], la)
        else:
            raise ConfigError(f"schedule = {schedule!r}: must be 'a' or 'b'")
        if count and recording():
            positions, depth = drive.shape[-1], x.shape[2]
            record("array_row_read", float(patches.sum()))
            record("clock_cycle", steps * n * positions * depth)
            record("ifm_fetch", n * positions * (steps if (counted_as or schedule) == "a" else 1))
            record("spike", float(spikes.sum()))
        shape = (steps, n, c, h, h)
        return spikes.reshape(shape), vpre.reshape(shape)

    def forward(self, images: torch.Tensor, generator: Seed = None, upto: int | None = None,
                count: bool = True) -> list[torch.Tensor]:
        """Spikes of the input and of every layer (up to ``upto`` layers) for ``images`` (N, C, H, W) in [0, 1];
        events go to open ledgers unless ``count`` is False."""
        out = [encode(images, self.config.encoder, generator)]
        for i in range(len(self.config.layers) if upto is None else upto):
            out.append(self.layer_forward(out[-1], i, count=count)[0])
        return out

    def features(self, images: torch.Tensor, generator: Seed = None, batch: int = 256) -> torch.Tensor:
        """Spike counts of the last layer, flattened (N, F·h·w) — the off-chip classifier's input."""
        gen = make_generator(generator)
        return torch.cat([self.forward(images[i:i + batch], gen)[-1].sum(0).flatten(1)
                          for i in range(0, len(images), batch)])

    # ----- learning ----------------------------------------------------------------------------------------------
    def _update(self, layer: int, weight: torch.Tensor, hist: torch.Tensor, fired: torch.Tensor,
                state: StochasticSTDPState) -> torch.Tensor:
        """Apply the stochastic STDP rule to rows (n, F) of firing neurons: ``hist`` (n, F, n_pre) their input
        histories; the updates of the n images are summed. Returns the new weight levels (F, n_pre)."""
        cfg = self.config.stdp
        n, f, k = hist.shape
        rows = weight.unsqueeze(0).expand(n, f, k).reshape(n * f, k)
        new = stochastic_stdp_update(rows, hist.reshape(n * f, k), fired.reshape(n * f), cfg, state)
        delta = (new - rows).reshape(n, f, k).sum(0)
        updates = int(fired.sum())
        if recording() and updates:
            record("filter_update", updates)
            record("clock_cycle", UPDATE_CYCLES * updates)
            record("sram_read", updates * k)
            record("sram_write", updates * k)
        lo, hi = cfg.levels
        return (weight + delta).clamp(lo, hi)

    def learn_layer(self, images: torch.Tensor, layer: int, schedule: Schedule, generator: Seed = None,
                    batch: int = 16, epochs: int = 1) -> LearnStats:
        """Train ``layer`` (earlier layers fixed) by stochastic STDP on ``images`` under ``schedule``, ``batch``
        images side by side, for ``epochs`` passes. Open ledgers (and the returned stats) count the learning of this
        layer; the inference of the layers below that feeds it is not counted here."""
        if schedule not in SCHEDULES:
            raise ConfigError(f"schedule = {schedule!r}: must be one of {', '.join(SCHEDULES)}")
        if not 0 <= layer < len(self.config.layers):
            raise ConfigError(f"layer = {layer!r}: the network has {len(self.config.layers)} layers")
        if batch < 1 or epochs < 1:
            raise ConfigError(f"batch = {batch!r}, epochs = {epochs!r}: both must be >= 1")
        gen = make_generator(generator)
        stdp = self.config.stdp
        seed = self._stdp_seed + layer
        if stdp.generator == "lfsr":  # a non-zero register state
            seed = 1 + seed % (2**stdp.rnd_bits - 1)
        state = StochasticSTDPState.create((1,), stdp, seed=seed)
        stats = LearnStats()
        with stats.ledger, one_thread():  # small tensors: a second thread only spins
            for _ in range(epochs):
                order = torch.randperm(len(images), generator=gen)
                for i in range(0, len(images), batch):
                    x = self.forward(images[order[i:i + batch]], gen, upto=layer, count=False)[-1]
                    step = {"standard": self._learn_standard, "sequential": self._learn_sequential,
                            "pim": self._learn_pim}[schedule]
                    step(x, layer, state, stats)
                    stats.images += len(x[0])
        stats.updates = int(stats.ledger.count("filter_update"))
        stats.ifm_fetches = int(stats.ledger.count("ifm_fetch"))
        stats.cycles = stats.ledger.count("clock_cycle")
        return stats

    def _learn_standard(self, x: torch.Tensor, layer: int, state: StochasticSTDPState, stats: LearnStats) -> None:
        """Schedule (a): every step over all IFMs; per filter (depth) the neuron with the largest V over the whole
        TIFM, if above threshold, controls its update (l. 5725, the ideal case): V before the cross-depth reset, so
        every filter can learn; lateral inhibition leaves one update per filter per step."""
        la = self.config.layers[layer]
        w = self.weights[layer].reshape(la.filters, -1)
        patches = self._patches(x, layer)  # (steps, N, n_pre, P)
        hist = self._patches(_histories(x, self.config.stdp), layer).to(torch.int64)
        steps, n, k, npos = patches.shape
        v = torch.zeros(n, la.filters, npos)
        for t in range(steps):
            v, vpre, spikes = cross_depth_step(v, torch.einsum("fk,nkp->nfp", w.float(), patches[t]), la)
            score = torch.where(vpre > la.v_th, vpre, torch.full_like(vpre, -1.0))
            best, pos = score.max(dim=2)  # per filter, the largest V over all IFMs above threshold (l. 5725)
            fired = best >= 0
            if fired.any():
                h = torch.gather(hist[t], 2, pos.unsqueeze(1).expand(n, k, la.filters)).transpose(1, 2)
                w = self._update(layer, w, h, fired, state)
                stats.count_updates(fired, pos, npos)
            stats.output_spikes += float(spikes.sum())
            stats.neuron_steps += spikes.numel()
        if recording():
            record("array_row_read", float(patches.sum()))
            record("clock_cycle", steps * n * npos * x.shape[2])
            record("ifm_fetch", n * npos * steps)
        self.weights[layer] = w.reshape(self.weights[layer].shape)

    def _learn_sequential(self, x: torch.Tensor, layer: int, state: StochasticSTDPState, stats: LearnStats) -> None:
        """Schedule (b) without the table: IFM after IFM (raster order), all steps each; the neuron that fires
        (the cross-depth winner) updates its filter at once, so later IFMs meet weights the earlier ones changed."""
        la = self.config.layers[layer]
        w = self.weights[layer].reshape(la.filters, -1)
        patches = self._patches(x, layer)
        hist = self._patches(_histories(x, self.config.stdp), layer).to(torch.int64)
        steps, n, k, npos = patches.shape
        for p in range(npos):
            v = torch.zeros(n, la.filters)
            for t in range(steps):
                v, _, spikes = cross_depth_step(v, patches[t, :, :, p] @ w.T.float(), la)
                fired = spikes > 0
                if fired.any():
                    w = self._update(layer, w, hist[t, :, :, p].unsqueeze(1).expand(n, la.filters, k), fired, state)
                    stats.count_updates(fired, p, npos)
                stats.output_spikes += float(spikes.sum())
                stats.neuron_steps += spikes.numel()
        if recording():
            record("array_row_read", float(patches.sum()))
            record("clock_cycle", steps * n * npos * x.shape[2])
            record("ifm_fetch", n * npos)
        self.weights[layer] = w.reshape(self.weights[layer].shape)

    def _learn_pim(self, x: torch.Tensor, layer: int, state: StochasticSTDPState, stats: LearnStats) -> None:
        """Schedule (b) with the central filter-update table: an inference pass fills the table (per filter the
        IFM with the largest V), an update pass re-fetches those IFMs and runs each filter alone on its own."""
        la = self.config.layers[layer]
        w = self.weights[layer].reshape(la.filters, -1)
        spikes, vpre = self.layer_forward(x, layer, "a", counted_as="b")  # the same numbers as IFM by IFM
        n = x.shape[1]
        table = self.filter_update_table(vpre)  # (N, F)
        stats.output_spikes += float(spikes.sum())
        stats.neuron_steps += spikes.numel()
        patches = self._patches(x, layer)
        hist = self._patches(_histories(x, self.config.stdp), layer).to(torch.int64)
        steps, _, k, npos = patches.shape
        if recording():
            record("table_access", 2 * n * npos * la.filters)  # compare (read) and possibly write per IFM, filter
            record("ifm_fetch", n * la.filters)  # the update pass re-fetches one IFM per filter
        idx = table.unsqueeze(1).expand(n, k, la.filters)
        v = torch.zeros(n, la.filters)
        for t in range(steps):
            mine = torch.gather(patches[t], 2, idx).transpose(1, 2)  # (N, F, n_pre): each filter's own IFM
            z = ((v + (mine * w.float()).sum(2)) * (1 - la.b) - la.a).clamp_min(0.0)
            fired = z > la.v_th
            v = torch.where(fired, torch.zeros_like(z), z)
            if fired.any():
                h = torch.gather(hist[t], 2, idx).transpose(1, 2)
                w = self._update(layer, w, h, fired, state)
                stats.count_updates(fired, table, npos)
            if recording():
                record("array_row_read", float(mine.sum()))
                record("clock_cycle", n * la.filters * x.shape[2])
        self.weights[layer] = w.reshape(self.weights[layer].shape)

    @staticmethod
    def filter_update_table(vpre: torch.Tensor) -> torch.Tensor:
        """The central filter-update table (l. 5727, 5775) from pre-firing membranes (steps, N, F, h, w): per
        image and filter, the IFM (raster index y·w + x) where the filter's V_mem was largest over all steps."""
        if vpre.dim() != 5:
            raise ShapeError(f"filter_update_table: membranes must be (steps, N, F, h, w), got {tuple(vpre.shape)}")
        return vpre.amax(0).flatten(2).argmax(2)


# ----- off-chip classifier and the hybrid network --------------------------------------------------------------------
def fit_readout(features: torch.Tensor, labels: torch.Tensor, n_classes: int = 10, epochs: int = 60,
                lr: float = 0.1, generator: Seed = 0) -> nn.Linear:
    """The off-chip FC classifier (l. 5814): a linear layer on standardized spike counts, trained by SGD
    (momentum 0.9, mini-batches of 64, cross-entropy). Returns the layer with the standardization folded in."""
    if features.dim() != 2 or len(features) != len(labels):
        raise ShapeError(f"fit_readout: features (N, D) and labels (N,), got {tuple(features.shape)} and "
                         f"{tuple(labels.shape)}")
    gen = make_generator(generator)
    mu, sd = features.mean(0), features.std(0).clamp_min(1e-6)
    z = (features - mu) / sd
    fc = nn.Linear(features.shape[1], n_classes)
    with torch.no_grad():
        fc.weight.normal_(0, 0.01, generator=gen)
        fc.bias.zero_()
    opt = torch.optim.SGD(fc.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    for _ in range(epochs):
        order = torch.randperm(len(z), generator=gen)
        for i in range(0, len(z), 64):
            j = order[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(fc(z[j]), labels[j]).backward()
            opt.step()
    out = nn.Linear(features.shape[1], n_classes)
    with torch.no_grad():
        out.weight.copy_(fc.weight / sd)
        out.bias.copy_(fc.bias - (fc.weight / sd) @ mu)
    return out


def readout_accuracy(fc: nn.Linear, features: torch.Tensor, labels: torch.Tensor) -> float:
    """Test accuracy [%] of the classifier."""
    with torch.no_grad():
        return 100.0 * float((fc(features).argmax(1) == labels).float().mean())


class _BPBranch(nn.Module):
    """A ConvSNN block trained by surrogate-gradient BPTT: conv → LIF per layer, spike counts out."""

    def __init__(self, config: ConvSNNConfig, width: int = 1) -> None:
        super().__init__()
        convs, lifs = [], []
        c = config.in_channels
        for la in config.layers:
            convs.append(nn.Conv2d(c, la.filters * width, la.kernel, la.stride, la.padding))
            lifs.append(LIF(leaky(beta=1 - max(la.b, 1e-3), reset="zero")))
            c = la.filters * width
        self.convs, self.lifs = nn.ModuleList(convs), nn.ModuleList(lifs)

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        x = spikes
        for conv, lif in zip(self.convs, self.lifs):
            s, n = x.shape[:2]
            y = conv(x.reshape(s * n, *x.shape[2:]))
            x = lif(y.reshape(s, n, *y.shape[1:]), check=False)
        return x.sum(0).flatten(1)


def bp_branch(config: ConvSNNConfig, width: int = 1, seed: int = 0) -> nn.Module:
    """A BP ConvSNN block with the same layer shapes as ``config`` (``width`` × the filters), LIF neurons of
    :mod:`neurofab.spiking.layers` with decay 1 − b and reset to zero; ``forward`` maps input spikes
    (steps, N, C, H, W) to spike counts (N, features)."""
    with torch.random.fork_rng(devices=[]):  # nn.Module initialisation draws from the global generator
        torch.manual_seed(seed)
        return _BPBranch(config, width)


@dataclass
class HybridResult:
    """Test accuracy [%] of a BP-trained network and the epochs it trained."""

    accuracy: float
    epochs: int


def train_bp(config: ConvSNNConfig, x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor,
             y_test: torch.Tensor, stdp_train: torch.Tensor | None = None, stdp_test: torch.Tensor | None = None,
             width: int = 1, epochs: int = 5, lr: float = 1e-2, batch: int = 64, seed: int = 0) -> HybridResult:
    """Train a BP ConvSNN block and the FC classifier by BPTT (Adam, off-chip). With ``stdp_train``/``stdp_test``
    (the STDP block's spike counts, fixed) the classifier reads both blocks concatenated: the hybrid network
    (Figure 6C); without, the BP-only network (Type 3: ``width`` = 2 stands for the BP block that replaces the STDP
    block)."""
    if (stdp_train is None) != (stdp_test is None):
        raise ConfigError("train_bp: give the STDP block's features for both train and test images, or neither")
    if stdp_train is not None and (len(stdp_train) != len(x_train) or len(stdp_test) != len(x_test)):
        raise ShapeError("train_bp: one row of STDP features per train and per test image")
    if epochs < 1 or batch < 1 or width < 1 or not lr > 0:
        raise ConfigError(f"train_bp: epochs = {epochs!r}, batch = {batch!r}, width = {width!r} must be >= 1 and "
                          f"lr = {lr!r} > 0")
    gen = make_generator(seed)
    enc = config.encoder
    extra = 0 if stdp_train is None else stdp_train.shape[1]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _BPBranch(config, width)
        with torch.no_grad():
            n_bp = net(encode(x_train[:2], enc, 0)).shape[1]
        head = nn.Linear(n_bp + extra, 10)
    if stdp_train is not None and stdp_test is not None:
        mu, sd = stdp_train.mean(0), stdp_train.std(0).clamp_min(1e-6)
        s_train, s_test = (stdp_train - mu) / sd, (stdp_test - mu) / sd
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=lr)
    scale = 1.0 / enc.steps
    for _ in range(epochs):
        order = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(x_train), batch):
            j = order[i:i + batch]
            feats = net(encode(x_train[j], enc, gen)) * scale
            if stdp_train is not None:
                feats = torch.cat([feats, s_train[j]], 1)
            opt.zero_grad()
            F.cross_entropy(head(feats), y_train[j]).backward()
            opt.step()
    with torch.no_grad():
        correct = 0
        for i in range(0, len(x_test), 256):
            feats = net(encode(x_test[i:i + 256], enc, gen)) * scale
            if stdp_test is not None:
                feats = torch.cat([feats, s_test[i:i + 256]], 1)
            correct += int((head(feats).argmax(1) == y_test[i:i + 256]).sum())
    return HybridResult(100.0 * correct / len(x_test), epochs)
