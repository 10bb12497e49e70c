"""μBrain (Stuijt et al. 2021, seed 001 l. 590–995): an event-driven, clockless digital spiking chip.

The chip's arithmetic, as the seed describes it (l. 784–786, l. 690–699):

- every neuron is a physical unsigned accumulator; an arriving spike from source j adds ``g · w_ij``
  (``g`` the layer's global scale, 1 or 8); when the sum reaches the threshold (64) the accumulator *wraps*
  (overflows): the neuron spikes and keeps the overflow amount, ``V ← V + g·w − 64``; an underflow is clamped,
  ``V ← max(V, 0)`` (l. 784);
- weights are W-bit two's-complement codes in [−(2^(W−1) − 1), 2^(W−1) − 1] (l. 690; ⚠ the seed prints
  [−2^(W−1) − 1, …], which is not a W-bit range), decoded on a linear grid (code c adds c) or a logarithmic one
  (code c adds sign(c) · 2^(|c| − 1));
- leak is a periodic bias input: every ``bias_period`` cycles a bias event adds ``g · b_i`` to every neuron (l. 694,
  l. 784);
- one spike arbiter per layer (l. 702–704): spikes latched in its register are served one per cycle by a
  round-robin or a linear (lowest index first) priority encoder; the served spike indexes the fan-out weights. A
  spike that arrives while its own register bit is still set merges with it (is lost), and every served spike is
  delayed by the queue it waited in: the arbiter does not preserve inter-arrival timing;
- AER in/out: inputs are (time, address) events, outputs are the output layer's (time, address) spikes.

Time is counted in arbiter cycles of ``t_cycle`` seconds (the prototype's delay cell: 100 ns, l. 719). A spike
served by layer l's arbiter at cycle k updates layer l's neurons at cycle k; the spikes it causes are latched in
layer l+1's arbiter and can be served from cycle k+1. The simulation is event-driven: only cycles in which some
arbiter holds a spike, or an input or bias event arrives, are visited. Samples run in parallel (numba ``prange``).

The offline flow (l. 806–812): a ReLU MLP without biases trained in float, its weights quantized to W bits per
layer (the layer's largest |w| ↔ the largest code, "[−1, 1] → [−7, +7]"), pixels rate-coded to
[100 kHz, 655 kHz] (l. 806), the class read out as the output neuron with the shortest inter-spike interval
(l. 810).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from numba import njit, prange
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, DataError, ShapeError, kernel_threads, make_generator, record

__all__ = [
    "PROTOTYPE_FC_SYNAPSES",
    "UBrainLayer",
    "UBrainNet",
    "UBrainResult",
    "UBrainRun",
    "ann_inputs",
    "convert",
    "decode_weights",
    "input_events",
    "mlp",
    "prototype",
    "prototype_bits",
    "prototype_synapses",
    "quantize_weights",
    "radar_frontend",
    "registers",
    "simulate",
    "weight_code_range",
]

Grid = Literal["linear", "log"]
ArbiterKind = Literal["round_robin", "linear"]


def weight_code_range(bits: int) -> tuple[int, int]:
    """The W-bit symmetric two's-complement code range (−(2^(W−1) − 1), 2^(W−1) − 1)."""
    c = (1 << (bits - 1)) - 1
    return -c, c


def decode_weights(codes: torch.Tensor, bits: int, grid: Grid = "linear") -> torch.Tensor:
    """Integer weight added per spike for each code: ``c`` (linear) or ``sign(c)·2^(|c|−1)`` (log) [LSB]."""
    lo, hi = weight_code_range(bits)
    codes = torch.as_tensor(codes)
    if codes.is_floating_point() or (codes.numel() and (int(codes.min()) < lo or int(codes.max()) > hi)):
        raise ConfigError(f"weights must be integer codes in the {bits}-bit range [{lo}, {hi}]")
    codes = codes.to(torch.int64)
    if grid == "linear":
        return codes
    mag = codes.abs()
    return torch.where(mag > 0, torch.sign(codes) * (1 << (mag - 1).clamp(min=0)), 0)


def quantize_weights(w: torch.Tensor, bits: int, grid: Grid = "linear") -> torch.Tensor:
    """Codes of a float weight matrix: the layer's largest |w| maps to the largest level, then nearest level.

    Linear grid: c = round(w / max|w| · (2^(W−1) − 1)). Log grid: the magnitude is rounded to the nearest power of
    two level in log space (|w| below half the smallest level → code 0)."""
    if bits < 2:
        raise ConfigError(f"bits = {bits}: a weight needs at least 2 bits (sign and one level)")
    w = torch.as_tensor(w, dtype=torch.float64)
    scale = float(w.abs().max())
    _, c = weight_code_range(bits)
    if scale == 0.0:
        return torch.zeros_like(w, dtype=torch.int64)
    if grid == "linear":
        return torch.round(w / scale * c).to(torch.int64)
    top = 2.0 ** (c - 1)  # largest decoded magnitude
    m = w.abs() / scale * top
    code = torch.round(torch.log2(m.clamp(min=1e-30))) + 1
    code = torch.where(m < 0.5, torch.zeros_like(code), code.clamp(1, c))
    return (torch.sign(w) * code).to(torch.int64)


class UBrainLayer(Config):
    """One μBrain layer: integer weight codes (n_out × n_in), the arithmetic and the arbiter of its input."""

    n_in: int = Field(..., gt=0, description="sources feeding the layer (its arbiter's request lines)")
    n_out: int = Field(..., gt=0, description="neurons in the layer")
    weight_bits: int = Field(4, ge=2, le=8, description="weight word W [bits], two's complement")
    grid: Grid = Field("linear", description="weight grid: 'linear' (code c adds c) or 'log' (adds ±2^(|c|−1))")
    scale: int = Field(1, description="global scale g (1 or 8): weights are multiplied by g before accumulation")
    threshold: int = Field(64, gt=0, description="accumulator overflow level [LSB]; 64 on the prototype")
    arbiter: ArbiterKind = Field("round_robin", description="priority encoder: 'round_robin' or 'linear'")
    bias_period: int = Field(0, ge=0, description="cycles between bias (leak) events; 0 = no bias input [cycles]")
    recurrent: bool = Field(False, description="lateral connections: the layer's own spikes are its last n_out "
                                               "sources (n_in = feed-forward sources + n_out)")

    @model_validator(mode="after")
    def _check(self) -> UBrainLayer:
        if self.scale not in (1, 8):
            raise ValueError(f"scale = {self.scale}: the global scale input selects 1 or 8")
        if self.recurrent and self.n_in <= self.n_out:
            raise ValueError(f"n_in = {self.n_in}: a recurrent layer needs feed-forward sources besides its "
                             f"{self.n_out} lateral ones")
        return self

    @property
    def n_ff(self) -> int:
        """Feed-forward sources (inputs or the previous layer's neurons)."""
        return self.n_in - (self.n_out if self.recurrent else 0)


@dataclass(frozen=True)
class UBrainNet:
    """Layers with their weight codes (``codes[l]``: n_out × n_in int) and bias codes (n_out, or None)."""

    layers: tuple[UBrainLayer, ...]
    codes: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor | None, ...] = ()

    def __post_init__(self) -> None:
        if not self.layers or len(self.layers) != len(self.codes):
            raise ConfigError("UBrainNet: give one weight-code matrix per layer (and at least one layer)")
        biases = self.biases or (None,) * len(self.layers)
        if len(biases) != len(self.layers):
            raise ConfigError("UBrainNet.biases: one entry (or None) per layer")
        object.__setattr__(self, "biases", tuple(biases))
        for i, (layer, w, b) in enumerate(zip(self.layers, self.codes, biases)):
            if tuple(w.shape) != (layer.n_out, layer.n_in):
                raise ShapeError(f"UBrainNet.codes[{i}] has shape {tuple(w.shape)}, layer needs "
                                 f"({layer.n_out}, {layer.n_in})")
            decode_weights(w, layer.weight_bits, layer.grid)  # range check
            if b is not None:
                if tuple(b.shape) != (layer.n_out,):
                    raise ShapeError(f"UBrainNet.biases[{i}] must have shape ({layer.n_out},)")
                decode_weights(b, layer.weight_bits, layer.grid)
            if i and layer.n_ff != self.layers[i - 1].n_out:
                raise ShapeError(f"layer {i} has {layer.n_ff} feed-forward sources but layer {i - 1} has n_out = "
                                 f"{self.layers[i - 1].n_out}")

    @property
    def n_in(self) -> int:
        """External input channels."""
        return self.layers[0].n_ff

    @property
    def n_out(self) -> int:
        return self.layers[-1].n_out

    def synapses(self) -> int:
        """Weight registers: every weight plus one bias weight per neuron of a layer with a bias input."""
        return sum(int(w.numel()) + (layer.n_out if b is not None else 0)
                   for layer, w, b in zip(self.layers, self.codes, self.biases))


class UBrainRun(Config):
    """How inputs are coded and how long a classification may run."""

    t_cycle: float = Field(100e-9, gt=0, description="arbiter cycle (delay-cell period) [s]")
    f_min: float = Field(100e3, ge=0, description="input rate of a black (0) pixel [Hz]")
    f_max: float = Field(655e3, gt=0, description="input rate of a white (1) pixel [Hz]")
    t_max: float = Field(2e-3, gt=0, description="longest presentation of one input [s]")
    readout: Literal["first_isi", "window"] = Field(
        "first_isi", description="'first_isi': stop when an output neuron completes its first inter-spike interval; "
                                 "'window': run t_max, then the shortest first ISI wins")

    @model_validator(mode="after")
    def _check(self) -> UBrainRun:
        if not self.f_min <= self.f_max:
            raise ValueError(f"f_min = {self.f_min} must not exceed f_max = {self.f_max}")
        if self.t_max < 2.0 * self.t_cycle:
            raise ValueError(f"t_max = {self.t_max} s is shorter than two arbiter cycles ({self.t_cycle} s each)")
        return self

    @property
    def max_cycles(self) -> int:
        return math.floor(self.t_max / self.t_cycle)


@dataclass(frozen=True)
class UBrainResult:
    """Per-sample outcome of :func:`simulate` (tensors over samples; times in cycles unless named in seconds)."""

    prediction: torch.Tensor  #: class (output index) read out, −1 if no output neuron fired
    first_spikes: torch.Tensor  #: (N, n_out, 2) cycles of each output neuron's first two spikes, −1 if none
    out_counts: torch.Tensor  #: (N, n_out) output spikes
    served: torch.Tensor  #: (N, L) spikes served by each layer's arbiter (input events for layer 0)
    fired: torch.Tensor  #: (N, L) spikes emitted by each layer's neurons
    merged: torch.Tensor  #: (N, L) requests lost because their register bit was still set
    wait_cycles: torch.Tensor  #: (N, L) summed cycles spikes waited in each arbiter (timing distortion)
    end_cycle: torch.Tensor  #: (N,) cycle at which the classification ended
    t_cycle: float
    lateral: torch.Tensor | None = None  #: (N, L) lateral (recurrent) spikes served by each layer's arbiter

    @property
    def latency(self) -> torch.Tensor:
        """Time per classification [s]."""
        return self.end_cycle.to(torch.float64) * self.t_cycle

    @property
    def spikes(self) -> torch.Tensor:
        """Spikes per classification: input events plus every neuron spike [1] (the seed's count, l. 860)."""
        return self.served[:, 0] + self.fired.sum(1)


def input_events(x: torch.Tensor, run: UBrainRun, generator: torch.Generator | int | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Rates and phases of the rate-coded AER input: rate = f_min + (f_max − f_min)·x [Hz] (x in [0, 1]; a pixel
    at exactly 0 with ``f_min = 0`` never fires); each channel fires regularly from a uniform random phase.
    Returns (rates (N, n_in) float64 [Hz], phases (N, n_in) float64 in [0, 1))."""
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim != 2:
        raise ShapeError(f"inputs must be (samples, channels), got shape {tuple(x.shape)}")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0 or not torch.isfinite(x).all()):
        raise DataError("input intensities must lie in [0, 1]")
    gen = generator if isinstance(generator, torch.Generator) else make_generator(generator)
    rates = run.f_min + (run.f_max - run.f_min) * x
    phases = torch.rand(x.shape, generator=gen, dtype=torch.float64)
    return rates, phases


# ----- the compiled event-driven kernel -------------------------------------------------------------------------
@njit(cache=True)
def _select(pending, n, pointer, linear):
    """Index served this cycle: the lowest pending index (linear) or the first at/after ``pointer`` (round robin)."""
    start = 0 if linear else pointer
    for k in range(n):
        i = start + k
        if i >= n:
            i -= n
        if pending[i]:
            return i
    return -1


@njit(cache=True, parallel=True)
def _simulate_kernel(rates, phases, t_cycle, max_cycles, first_isi,  # inputs
                     w_flat, w_off, n_in, n_ff, n_out, scale, thr, linear, bias_w, bias_period):
    n_samples, n_chan = rates.shape
    n_layers = n_in.shape[0]
    max_src = 0
    max_out = 0
    for layer in range(n_layers):
        max_src = max(max_src, n_in[layer] + 1)
        max_out = max(max_out, n_out[layer])
    max_out = max(max_out, max_src)
    n_final = n_out[n_layers - 1]
    first = -np.ones((n_samples, n_final, 2), np.int64)
    counts = np.zeros((n_samples, n_final), np.int64)
    served = np.zeros((n_samples, n_layers), np.int64)
    fired = np.zeros((n_samples, n_layers), np.int64)
    merged = np.zeros((n_samples, n_layers), np.int64)
    waited = np.zeros((n_samples, n_layers), np.int64)
    lateral = np.zeros((n_samples, n_layers), np.int64)
    end = np.zeros(n_samples, np.int64)
    for s in prange(n_samples):
        # input event list of this sample, sorted by cycle
        n_ev = 0
        for j in range(n_chan):
            r = rates[s, j]
            if r > 0.0:
                n_ev += math.floor(max_cycles * t_cycle * r - phases[s, j]) + 1
        ev_t = np.empty(n_ev, np.int64)
        ev_c = np.empty(n_ev, np.int64)
        e = 0
        for j in range(n_chan):
            r = rates[s, j]
            if r > 0.0:
                m = math.floor(max_cycles * t_cycle * r - phases[s, j]) + 1
                for q in range(m):
                    ev_t[e] = math.floor((phases[s, j] + q) / r / t_cycle + 1e-9)
                    ev_c[e] = j
                    e += 1
        order = np.argsort(ev_t, kind="mergesort")
        ev_t = ev_t[order]
        ev_c = ev_c[order]
        v = np.zeros((n_layers, max_out), np.int64)
        pending = np.zeros((n_layers, max_src), np.bool_)
        req_t = np.zeros((n_layers, max_src), np.int64)
        n_pend = np.zeros(n_layers, np.int64)
        pointer = np.zeros(n_layers, np.int64)
        staged = np.zeros((n_layers, max_out), np.bool_)
        n_staged = np.zeros(n_layers, np.int64)
        e = 0
        k = ev_t[0] if n_ev > 0 else max_cycles
        done = False
        while k < max_cycles and not done:
            # latch input events and bias events of this cycle
            while e < n_ev and ev_t[e] == k:
                c = ev_c[e]
                if pending[0, c]:
                    merged[s, 0] += 1
                else:
                    pending[0, c] = True
                    req_t[0, c] = k
                    n_pend[0] += 1
                e += 1
            for layer in range(n_layers):
                bp = bias_period[layer]
                if bp > 0 and k % bp == 0:
                    b = n_in[layer]
                    if pending[layer, b]:
                        merged[s, layer] += 1
                    else:
                        pending[layer, b] = True
                        req_t[layer, b] = k
                        n_pend[layer] += 1
            # every arbiter serves one spike
            for layer in range(n_layers):
                if n_pend[layer] == 0:
                    continue
                nsrc = n_in[layer] + 1
                i = _select(pending[layer], nsrc, pointer[layer], linear[layer])
                pending[layer, i] = False
                n_pend[layer] -= 1
                pointer[layer] = i + 1 if i + 1 < nsrc else 0
                waited[s, layer] += k - req_t[layer, i]
                if i < n_ff[layer]:
                    served[s, layer] += 1
                elif i < n_in[layer]:
                    lateral[s, layer] += 1
                g = scale[layer]
                th = thr[layer]
                base = w_off[layer]
                no = n_out[layer]
                for o in range(no):
                    if i < n_in[layer]:
                        dv = g * w_flat[base + o * n_in[layer] + i]
                    else:
                        dv = g * bias_w[layer, o]
                    x = v[layer, o] + dv
                    if x < 0:
                        x = 0
                    if x >= th:
                        x = x % th
                        fired[s, layer] += 1
                        if n_ff[layer] < n_in[layer]:  # lateral: back into the layer's own arbiter
                            staged[layer, n_ff[layer] + o] = True
                            n_staged[layer] += 1
                        if layer + 1 < n_layers:
                            staged[layer + 1, o] = True
                            n_staged[layer + 1] += 1
                        else:
                            counts[s, o] += 1
                            if first[s, o, 0] < 0:
                                first[s, o, 0] = k
                            elif first[s, o, 1] < 0:
                                first[s, o, 1] = k
                                if first_isi:
                                    done = True
                    v[layer, o] = x
            # latch the spikes of this cycle into the next layers' arbiters (served from the next cycle)
            for layer in range(n_layers):
                if n_staged[layer] == 0:
                    continue
                for o in range(n_in[layer]):
                    if staged[layer, o]:
                        staged[layer, o] = False
                        if pending[layer, o]:
                            merged[s, layer] += 1
                        else:
                            pending[layer, o] = True
                            req_t[layer, o] = k + 1
                            n_pend[layer] += 1
                n_staged[layer] = 0
            end[s] = k + 1
            # next cycle with work: the next one if any arbiter holds a spike, else the next input/bias event
            busy = False
            for layer in range(n_layers):
                if n_pend[layer] > 0:
                    busy = True
            if busy:
                k += 1
            else:
                nxt = ev_t[e] if e < n_ev else max_cycles
                for layer in range(n_layers):
                    bp = bias_period[layer]
                    if bp > 0:
                        nb = (k // bp + 1) * bp
                        if nb < nxt:
                            nxt = nb
                k = nxt
        if not done:
            end[s] = max_cycles
    return first, counts, served, fired, merged, waited, end, lateral


def _readout(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Shortest first ISI wins; ties and neurons with < 2 spikes fall back to the most output spikes."""
    isi = np.where(first[:, :, 1] >= 0, first[:, :, 1] - first[:, :, 0], np.inf)
    key = isi - counts * 1e-6  # among equal ISIs, more spikes first
    pred = np.argmin(key, axis=1)
    no_isi = (first[:, :, 1] < 0).all(1)
    pred = np.where(no_isi, np.argmax(counts, axis=1), pred)
    pred = np.where(counts.sum(1) == 0, -1, pred)
    return pred


def simulate(net: UBrainNet, x: torch.Tensor, run: UBrainRun | None = None,
             generator: torch.Generator | int | None = None, phases: torch.Tensor | None = None) -> UBrainResult:
    """Classify each row of ``x`` (intensities in [0, 1], one per input channel) on the chip, event by event.

    ``phases`` (same shape as ``x``, in [0, 1)) fixes each channel's first event at phase/rate; drawn from
    ``generator`` when None.

    Counts into the open ledgers: ``spike`` (input events + neuron spikes), ``synop`` (served spikes × fan-out) and
    ``neuron_update`` (the same accumulations)."""
    run = run or UBrainRun()
    x = torch.as_tensor(x)
    if x.ndim != 2 or x.shape[1] != net.n_in:
        raise ShapeError(f"inputs must have shape (samples, {net.n_in}), got {tuple(x.shape)}")
    rates, drawn = input_events(x, run, generator)
    if phases is None:
        phases = drawn
    else:
        phases = torch.as_tensor(phases, dtype=torch.float64)
        if phases.shape != rates.shape or (phases.numel() and (phases.min() < 0 or phases.max() >= 1)):
            raise ShapeError(f"phases must have the inputs' shape {tuple(rates.shape)} and lie in [0, 1)")
    layers = net.layers
    decoded = [decode_weights(w, layer.weight_bits, layer.grid) for layer, w in zip(layers, net.codes)]
    w_flat = np.concatenate([d.reshape(-1).numpy() for d in decoded]).astype(np.int64)
    w_off = np.cumsum([0] + [d.numel() for d in decoded[:-1]]).astype(np.int64)
    max_out = max(layer.n_out for layer in layers)
    bias_w = np.zeros((len(layers), max_out), np.int64)
    for i, (layer, b) in enumerate(zip(layers, net.biases)):
        if b is not None:
            bias_w[i, :layer.n_out] = decode_weights(b, layer.weight_bits, layer.grid).numpy()
    arr = lambda f, dt=np.int64: np.array([f(layer) for layer in layers], dtype=dt)  # noqa: E731
    bias_period = np.array([layer.bias_period if b is not None else 0 for layer, b in zip(layers, net.biases)],
                           np.int64)
    kernel_threads()
    first, counts, served, fired, merged, waited, end, lateral = _simulate_kernel(
        rates.numpy(), phases.numpy(), run.t_cycle, run.max_cycles, run.readout == "first_isi",
        w_flat, w_off, arr(lambda la: la.n_in), arr(lambda la: la.n_ff), arr(lambda la: la.n_out),
        arr(lambda la: la.scale),
        arr(lambda la: la.threshold), arr(lambda la: la.arbiter == "linear", np.bool_), bias_w, bias_period)
    pred = _readout(first, counts)
    res = UBrainResult(torch.from_numpy(pred), torch.from_numpy(first), torch.from_numpy(counts),
                       torch.from_numpy(served), torch.from_numpy(fired), torch.from_numpy(merged),
                       torch.from_numpy(waited), torch.from_numpy(end), run.t_cycle, torch.from_numpy(lateral))
    fanout = torch.tensor([layer.n_out for layer in layers], dtype=torch.int64)
    synops = int(((res.served + res.lateral) * fanout).sum())
    record("spike", int(res.spikes.sum()))
    record("synop", synops)
    record("neuron_update", synops)
    return res


# ----- the prototype's synapse memory (seed 001 l. 782) ---------------------------------------------------------
#: FC part of the prototype: 256→64 and 64→16 weights plus one bias weight per FC neuron (l. 782, l. 784).
PROTOTYPE_FC_SYNAPSES = 256 * 64 + 64 * 16 + 64 + 16


def prototype_synapses(rfc: int = 19_878, fc: int = PROTOTYPE_FC_SYNAPSES) -> int:
    """Weight registers of the 336-neuron prototype: RFC (printed, random ≈ 30 %) + FC [1]."""
    return rfc + fc


def prototype_bits(synapses: int, weight_bits: int = 4) -> int:
    """Distributed weight-memory bits: one W-bit register per synapse [bit]."""
    return synapses * weight_bits


# ----- the offline flow (seed 001 l. 785–787) -------------------------------------------------------------------
def ann_inputs(x: torch.Tensor, run: UBrainRun) -> torch.Tensor:
    """What the ANN is trained on: the input rates relative to f_max, (f_min + (f_max − f_min)·x)/f_max.

    A network without biases sees the chip's rate code only up to a common factor ("only the frequency ratios
    matter", l. 802), so training on the rate ratios keeps the black-pixel rate f_min in the model."""
    return (run.f_min + (run.f_max - run.f_min) * torch.as_tensor(x, dtype=torch.float32)) / run.f_max


def mlp(sizes: tuple[int, ...]) -> torch.nn.Sequential:
    """The ReLU MLP of the offline flow, without biases (l. 785): Linear–ReLU–…–Linear."""
    if len(sizes) < 2 or min(sizes) < 1:
        raise ConfigError(f"sizes = {sizes}: need at least an input and an output size, all ≥ 1")
    mods: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        if i:
            mods.append(torch.nn.ReLU())
        mods.append(torch.nn.Linear(a, b, bias=False))
    return torch.nn.Sequential(*mods)


def convert(model: torch.nn.Sequential, bits: int = 4, grid: Grid = "linear", scales: tuple[int, ...] | None = None,
            threshold: int = 64, arbiter: ArbiterKind = "round_robin") -> UBrainNet:
    """Map a trained bias-free MLP onto μBrain: each Linear layer's weights quantized to W-bit codes."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    if not linears or any(m.bias is not None for m in linears):
        raise ConfigError("convert: the model must be Linear layers without biases (the offline flow, l. 785)")
    scales = scales or (1,) * len(linears)
    if len(scales) != len(linears):
        raise ConfigError(f"scales: one per layer ({len(linears)}), got {len(scales)}")
    layers, codes = [], []
    for m, g in zip(linears, scales):
        layers.append(UBrainLayer(n_in=m.in_features, n_out=m.out_features, weight_bits=bits, grid=grid, scale=g,
                                  threshold=threshold, arbiter=arbiter))
        codes.append(quantize_weights(m.weight.detach(), bits, grid))
    return UBrainNet(tuple(layers), tuple(codes))


def prototype(generator: torch.Generator | int | None = None, connectivity: float = 0.30, bits: int = 4) -> UBrainNet:
    """The 336-neuron prototype (l. 760–784): a recurrent layer of 256 (one input weight per neuron, lateral weights
    on a random ``connectivity`` fraction of the 256·255 pairs (non-zero codes), the rest pruned) → FC 64 → FC 16,
    FC layers with a bias input; weights drawn uniformly from the W-bit codes (a reservoir: only the readout would
    be trained)."""
    if not 0.0 <= connectivity <= 1.0:
        raise ConfigError(f"connectivity = {connectivity!r}: must lie in [0, 1]")
    gen = generator if isinstance(generator, torch.Generator) else make_generator(generator)
    lo, hi = weight_code_range(bits)
    draw = lambda *shape: torch.randint(lo, hi + 1, shape, generator=gen)  # noqa: E731
    lateral = (torch.rand(256, 256, generator=gen) < connectivity) & ~torch.eye(256, dtype=torch.bool)
    sign = torch.randint(0, 2, (256, 256), generator=gen) * 2 - 1
    nonzero = torch.randint(1, hi + 1, (256, 256), generator=gen) * sign
    rfc = torch.cat([torch.diag(draw(256)), torch.where(lateral, nonzero, 0)], dim=1)
    layers = (UBrainLayer(n_in=512, n_out=256, weight_bits=bits, recurrent=True),
              UBrainLayer(n_in=256, n_out=64, weight_bits=bits, bias_period=1000),
              UBrainLayer(n_in=64, n_out=16, weight_bits=bits, bias_period=1000))
    return UBrainNet(layers, (rfc, draw(64, 256), draw(16, 64)), (None, draw(64), draw(16)))


def registers(net: UBrainNet) -> int:
    """Weight registers a synthesis would keep: the non-pruned connections of a recurrent layer (its input weights
    and its drawn lateral pairs), all weights of a feed-forward layer, one per bias input."""
    total = 0
    for layer, w, b in zip(net.layers, net.codes, net.biases):
        if layer.recurrent:
            total += layer.n_out + int((w[:, layer.n_ff:] != 0).sum())
        else:
            total += int(w.numel())
        total += layer.n_out if b is not None else 0
    return total


def radar_frontend(maps: torch.Tensor, s: float = 0.15, side: int = 16) -> torch.Tensor:
    """Micro-Doppler maps (N, H, W) → binary 16×16 images flattened (N, 256) (l. 830): each map thresholded at
    Thr = μ + s·σ (its own mean and standard deviation), pixels above → 1, the rest → 0, then scaled to side × side
    (area average, a scaled pixel is 1 when at least half of its source pixels are)."""
    maps = torch.as_tensor(maps, dtype=torch.float32)
    if maps.ndim != 3:
        raise ShapeError(f"maps must be (N, H, W), got shape {tuple(maps.shape)}")
    mu = maps.mean(dim=(1, 2), keepdim=True)
    sigma = maps.std(dim=(1, 2), keepdim=True)
    binary = (maps > mu + s * sigma).to(torch.float32)
    scaled = torch.nn.functional.adaptive_avg_pool2d(binary.unsqueeze(1), (side, side)).squeeze(1)
    return (scaled >= 0.5).to(torch.float32).reshape(len(maps), side * side)
