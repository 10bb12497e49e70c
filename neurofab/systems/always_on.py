"""The always-on sub-µW binary SNN (Chundi et al. 2021, seed 001 l. 2033–2408).

- **Neurons** (l. 2134–2138): an input neuron (threshold 1) relays each input spike as a request; a hidden neuron's
  FSM wakes on a ±1 spike, updates its potential by ±1, compares it with TH, and either goes back to standby or
  resets to 0 and raises a spike request (Req) held until the arbiter acknowledges it; a further crossing while the
  request waits is lost; output neurons only integrate, and the class is the output with the highest potential.
- **Synapse block** (l. 2164–2174): one fixed-priority arbiter per layer (lower index wins) serves one request per
  ``n_cyc`` cycles of its clock; the served neuron's SRAM row of ±1 weights is sent to every neuron of the next layer.
- **Starvation** (l. 2178–2188, Eqs. 1–2): requests per frame N_req,i = N_spk,i · N_nn,i / TH_i against
  N_serve,i = f_clk,a · T_frame / N_cyc,a; beyond N_serve, spikes are dropped.
- **Training** (l. 2252–2254): a binary network (weights ±1, no bias, 6-bit ReLU activations) whose activation of
  layer i is ``clamp(floor(W_i a_(i−1) / TH_i), 0, 63)`` — the spike count per frame a layer of IF neurons with
  threshold TH_i produces from input counts a_(i−1) — is trained with straight-through gradients; its weights are
  copied to the SNN.
- **Power** (l. 2289): P(r) = P_standby + r · (P_100% − P_standby); neuron gating (l. 2144–2146).

The SNN runs frame by frame in arbiter slots (one request served per slot per layer, ``slots`` = N_serve per frame),
input spikes spread evenly over the frame (l. 2236), as compiled per-sample loops run in parallel over samples.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
from numba import njit, prange
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, ShapeError, kernel_threads, record

__all__ = [
    "AlwaysOnConfig",
    "BinaryMLP",
    "FrameResult",
    "GatingFigures",
    "break_even_sleep",
    "gated_power",
    "n_req",
    "n_serve",
    "power",
    "run_frame",
]


def n_req(n_spk: float, n_nn: int, threshold: float) -> float:
    """Requests per frame of a layer, Eq. 1: N_spk · N_nn / TH [1]."""
    if threshold <= 0:
        raise ConfigError(f"threshold = {threshold!r}: must be > 0")
    return n_spk * n_nn / threshold


def n_serve(f_clk: float, t_frame: float, n_cyc: float) -> float:
    """Requests an arbiter can serve per frame, Eq. 2: f_clk,a · T_frame / N_cyc,a [1]."""
    if f_clk <= 0 or t_frame <= 0 or n_cyc <= 0:
        raise ConfigError(f"f_clk = {f_clk!r} Hz, t_frame = {t_frame!r} s, n_cyc = {n_cyc!r}: all must be > 0")
    return f_clk * t_frame / n_cyc


def power(rate: float | torch.Tensor, p_standby: float = 75e-9, p_full: float = 220e-9) -> float | torch.Tensor:
    """Chip power at input rate r ∈ [0, 1]: P_standby + r · (P_100% − P_standby) [W] (l. 2289)."""
    r = torch.as_tensor(rate, dtype=torch.float64)
    if r.numel() and (float(r.min()) < 0 or float(r.max()) > 1):
        raise ConfigError(f"rate = {rate!r}: the input rate is a fraction in [0, 1]")
    out = p_standby + r * (p_full - p_standby)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class GatingFigures:
    """A hidden neuron's standby power with and without gating (l. 2144)."""

    p_ungated: float = 1.16e-9  #: [W]
    clock_saving: float = 0.746  #: fraction saved by clock gating
    power_saving: float = 0.1768  #: further fraction saved by power gating, of what clock gating leaves


def gated_power(g: GatingFigures = GatingFigures()) -> tuple[float, float]:
    """(clock-gated, clock- and power-gated) standby power [W]: P·(1 − s_c), P·(1 − s_c)·(1 − s_p)."""
    clock = g.p_ungated * (1 - g.clock_saving)
    return clock, clock * (1 - g.power_saving)


def break_even_sleep(e_overhead: float, p_before: float, p_after: float) -> float:
    """Sleep time beyond which gating saves energy: E_overhead / (P_before − P_after) [s]."""
    if not p_before > p_after:
        raise ConfigError("break_even_sleep: gating must lower the power (p_before > p_after)")
    return e_overhead / (p_before - p_after)


class AlwaysOnConfig(Config):
    """Thresholds and arbiter timing of the SNN."""

    thresholds: tuple[int, ...] = Field((1, 32, 16, 14), description="TH of the input and hidden layers [spikes]; "
                                        "MNIST (1, 32, 16, 14), KWS (1, 28, 18, 10) (l. 2196)")
    f_clk: float = Field(70e3, gt=0, description="arbiter (synapse block) clock f_clk,a [Hz] (70 kHz, l. 2322)")
    t_frame: float = Field(0.5, gt=0, description="frame T_frame [s] (0.5 s for MNIST, l. 2267)")
    n_cyc: int = Field(4, ge=1, description="arbiter cycles per served request N_cyc,a [cycles]")

    @model_validator(mode="after")
    def _check(self) -> AlwaysOnConfig:
        if not self.thresholds or any(t <= 0 for t in self.thresholds):
            raise ValueError(f"thresholds = {self.thresholds}: every threshold must be > 0")
        if self.f_clk * self.t_frame < self.n_cyc:
            raise ValueError(f"t_frame = {self.t_frame} s is too short for the clock: f_clk · t_frame = "
                             f"{self.f_clk * self.t_frame:g} cycles < n_cyc = {self.n_cyc}")
        return self

    @property
    def slots(self) -> int:
        """Requests one arbiter serves per frame, ⌊N_serve⌋."""
        return math.floor(n_serve(self.f_clk, self.t_frame, self.n_cyc))


# ----- the BNN of the training flow ------------------------------------------------------------------------------
class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):  # type: ignore[override]
        ctx.save_for_backward(w)
        return torch.where(w >= 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        (w,) = ctx.saved_tensors
        return g * (w.abs() <= 1).to(g.dtype)


class _CountSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, th, top):  # type: ignore[override]
        ctx.save_for_backward(z)
        ctx.th, ctx.top = th, top
        return torch.clamp(torch.floor(z / th), 0, top)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        (z,) = ctx.saved_tensors
        inside = (z > 0) & (z < (ctx.top + 1) * ctx.th)
        return g * inside.to(g.dtype) / ctx.th, None, None


class BinaryMLP(torch.nn.Module):
    """±1 weights, no bias, activations clamp(⌊W a / TH⌋, 0, 2^bits − 1); the last layer's output is W a (the
    output neurons' potentials). ``thresholds`` are those of the hidden layers."""

    def __init__(self, sizes: tuple[int, ...], thresholds: tuple[int, ...], bits: int = 6,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if len(thresholds) != len(sizes) - 2 or any(t <= 0 for t in thresholds):
            raise ConfigError(f"thresholds = {thresholds}: one positive threshold per hidden layer "
                              f"({len(sizes) - 2})")
        self.sizes, self.thresholds, self.top = tuple(sizes), tuple(thresholds), 2**bits - 1
        self.latent = torch.nn.ParameterList(
            torch.nn.Parameter(torch.rand(b, a, generator=generator) * 0.2 - 0.1) for a, b in itertools.pairwise(sizes))

    def binary_weights(self) -> list[torch.Tensor]:
        return [torch.where(w >= 0, 1, -1).to(torch.int64) for w in self.latent]

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        a = counts.to(torch.float32)
        for i, w in enumerate(self.latent):
            z = a @ _SignSTE.apply(w).T
            if i == len(self.latent) - 1:
                return z
            a = _CountSTE.apply(z, float(self.thresholds[i]), float(self.top))
        return a

    def post_step(self) -> None:
        with torch.no_grad():
            for w in self.latent:
                w.clamp_(-1, 1)


# ----- the SNN, frame by frame --------------------------------------------------------------------------------------
@njit(cache=True, parallel=True)
def _frame_kernel(counts, w_flat, w_off, sizes, thr, slots):
    n_samples = counts.shape[0]
    n_layers = sizes.shape[0] - 1  # weight layers
    max_n = 0
    for s_ in range(sizes.shape[0]):
        max_n = max(max_n, sizes[s_])
    n_out = sizes[n_layers]
    pot_out = np.zeros((n_samples, n_out), np.int64)
    requests = np.zeros((n_samples, n_layers), np.int64)
    served = np.zeros((n_samples, n_layers), np.int64)
    dropped = np.zeros((n_samples, n_layers), np.int64)
    for s in prange(n_samples):
        pend = np.zeros((n_layers, max_n), np.bool_)
        npend = np.zeros(n_layers, np.int64)
        pot = np.zeros((n_layers, max_n), np.int64)  # potential of the neurons fed by weight layer l
        new = np.zeros((n_layers, max_n), np.bool_)
        # input spikes spread evenly: count c fires at slots floor((k + 0.5)·slots/c), k < c
        n_in = sizes[0]
        n_ev = 0
        for j in range(n_in):
            n_ev += counts[s, j]
        ev_t = np.empty(n_ev, np.int64)
        ev_c = np.empty(n_ev, np.int64)
        e = 0
        for j in range(n_in):
            c = counts[s, j]
            for q in range(c):
                ev_t[e] = math.floor((q + 0.5) * slots / c)
                ev_c[e] = j
                e += 1
        order = np.argsort(ev_t, kind="mergesort")
        ev_t = ev_t[order]
        ev_c = ev_c[order]
        e = 0
        k = ev_t[0] if n_ev > 0 else slots
        while k < slots:
            while e < n_ev and ev_t[e] == k:  # input neurons (threshold 1) raise a request per input spike
                j = ev_c[e]
                e += 1
                requests[s, 0] += 1
                if pend[0, j]:
                    dropped[s, 0] += 1
                else:
                    pend[0, j] = True
                    npend[0] += 1
            for layer in range(n_layers):
                if npend[layer] == 0:
                    continue
                i = 0
                while not pend[layer, i]:
                    i += 1  # fixed priority: the lowest index wins
                pend[layer, i] = False
                npend[layer] -= 1
                served[s, layer] += 1
                n_next = sizes[layer + 1]
                base = w_off[layer]
                last = layer == n_layers - 1
                for o in range(n_next):
                    p = pot[layer, o] + w_flat[base + o * sizes[layer] + i]
                    if not last and p >= thr[layer + 1]:
                        p = 0
                        new[layer + 1, o] = True
                    pot[layer, o] = p
            for layer in range(1, n_layers):  # latch this slot's spike requests
                for o in range(sizes[layer]):
                    if new[layer, o]:
                        new[layer, o] = False
                        requests[s, layer] += 1
                        if pend[layer, o]:
                            dropped[s, layer] += 1
                        else:
                            pend[layer, o] = True
                            npend[layer] += 1
            busy = False
            for layer in range(n_layers):
                if npend[layer] > 0:
                    busy = True
            if busy:
                k += 1
            else:  # nothing pending: jump to the next input spike (event-driven)
                k = ev_t[e] if e < n_ev else slots
        for layer in range(n_layers):
            dropped[s, layer] += npend[layer]  # not served within the frame
        for o in range(n_out):
            pot_out[s, o] = pot[n_layers - 1, o]
    return pot_out, requests, served, dropped


@dataclass(frozen=True)
class FrameResult:
    """One frame per sample: output potentials, and per layer of requests, served and dropped spike requests."""

    potentials: torch.Tensor  #: (N, n_out)
    requests: torch.Tensor  #: (N, layers) requests raised by the neurons feeding each weight layer
    served: torch.Tensor  #: (N, layers)
    dropped: torch.Tensor  #: (N, layers)

    @property
    def prediction(self) -> torch.Tensor:
        return self.potentials.argmax(1)


def run_frame(weights: list[torch.Tensor], counts: torch.Tensor, cfg: AlwaysOnConfig,
              slots: int | None = None) -> FrameResult:
    """Run one frame of input spike ``counts`` (N × n_in, integers ≥ 0) through ±1 ``weights`` (n_out × n_in each).

    ``cfg.thresholds`` holds the input threshold (1: relay) and one per hidden layer. Counts into the open ledgers:
    ``spike`` (served requests) and ``synop`` (served requests × fan-out)."""
    if len(cfg.thresholds) != len(weights):
        raise ConfigError(f"thresholds: need {len(weights)} (input + hidden layers), got {len(cfg.thresholds)}")
    if cfg.thresholds[0] != 1:
        raise ConfigError("thresholds[0]: the input neurons relay every spike (threshold 1)")
    sizes = [int(weights[0].shape[1])] + [int(w.shape[0]) for w in weights]
    for i, w in enumerate(weights):
        if int(w.shape[1]) != sizes[i]:
            raise ShapeError(f"weights[{i}] has {int(w.shape[1])} inputs, the layer before has {sizes[i]}")
        if not bool(((w == 1) | (w == -1)).all()):
            raise ConfigError(f"weights[{i}]: binary weights must be +1 or −1")
    counts = torch.as_tensor(counts)
    if counts.ndim != 2 or counts.shape[1] != sizes[0] or counts.is_floating_point() or bool((counts < 0).any()):
        raise ShapeError(f"counts must be non-negative integers of shape (N, {sizes[0]})")
    n_slots = cfg.slots if slots is None else int(slots)
    if n_slots < 1:
        raise ConfigError(f"slots = {n_slots}: the frame holds no arbiter slot")
    w_flat = np.concatenate([w.reshape(-1).numpy() for w in weights]).astype(np.int64)
    w_off = np.cumsum([0] + [w.numel() for w in weights[:-1]]).astype(np.int64)
    thr = np.array([*cfg.thresholds, 1], np.int64)  # last entry unused (output neurons only integrate)
    kernel_threads()
    pot, req, srv, drop = _frame_kernel(counts.numpy().astype(np.int64), w_flat, w_off, np.array(sizes, np.int64),
                                        thr, n_slots)
    res = FrameResult(*(torch.from_numpy(a) for a in (pot, req, srv, drop)))
    fan = torch.tensor(sizes[1:], dtype=torch.int64)
    record("spike", int(res.served.sum()))
    record("synop", int((res.served * fan).sum()))
    return res
