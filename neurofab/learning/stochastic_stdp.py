"""Stochastic STDP with integer weights (She et al. 2019, as MONETA's weight-update module runs it).

Each presynaptic input keeps a 4-slot spike-history queue T[3:0] (seed 001 l. 5761): T[3] is set when the input
spikes; every T_threshold steps T[3] is cleared and the queue is pushed, T[3:1] → T[2:0] (the oldest slot drops
out). When a postsynaptic neuron fires, each of its synapses draws a random number RND and compares it with a
threshold chosen by the history (l. 5765): P1 if T[3] is set (the input spiked in the newest slot), else P2 for
T[2], P3 for T[1], P4 for T[0], and PD when the queue is empty. UP = RND < threshold. UP with any history bit
adds one LSB to the weight (potentiation), UP with an empty history subtracts one (depression), no UP leaves it
(l. 5763). The chip's RND comes from a linear-feedback shift register (l. 5759); :class:`LFSR` is a maximal-length
Galois LFSR of 8, 16, 24 or 32 bits, and ``generator='torch'`` draws RND from a ``torch.Generator`` instead.
The mapping of the four history slots to P1..P4 (newest slot → P1) is our reading of the text; the figure that
shows it (Fig. 3B of the paper) is not in the seed.

With an LFSR of b bits, RND runs through 1 … 2^b − 1 once per period, so over a whole period the fraction of UPs
at threshold θ = round(P·2^b) is exactly (θ − 1)/(2^b − 1); with the torch generator RND is uniform on
0 … 2^b − 1 and P(UP) = θ/2^b.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from numba import njit
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, Seed, ShapeError, make_generator, record, recording, register_kind

__all__ = [
    "LFSR",
    "LFSR_TAPS",
    "StochasticSTDPConfig",
    "StochasticSTDPState",
    "history_step",
    "stochastic_stdp_update",
]

register_kind("weight_update", "one plasticity update (potentiation or depression) of one synapse's weight")

#: Galois toggle masks of maximal-length LFSRs (polynomials x^8+x^6+x^5+x^4+1, x^16+x^14+x^13+x^11+1,
#: x^24+x^23+x^22+x^17+1, x^32+x^22+x^2+x+1)
LFSR_TAPS = {8: 0xB8, 16: 0xB400, 24: 0xE10000, 32: 0x80200003}


@njit(cache=True)
def _lfsr_run(state, n, mask):  # pragma: no cover - compiled
    out = np.empty(n, dtype=np.int64)
    for k in range(n):
        lsb = state & 1
        state >>= 1
        if lsb:
            state ^= mask
        out[k] = state
    return out, state


class LFSR:
    """A Galois linear-feedback shift register of ``bits`` bits: period 2^bits − 1, never 0."""

    def __init__(self, bits: int = 16, seed: int = 1) -> None:
        if bits not in LFSR_TAPS:
            raise ConfigError(f"LFSR bits = {bits!r}: must be one of {', '.join(map(str, LFSR_TAPS))}")
        state = int(seed) % (2**bits)
        if state == 0:
            raise ConfigError(f"LFSR seed = {seed!r}: the state must not be 0 (mod 2^{bits})")
        self.bits = bits
        self.state = state

    def next(self, n: int) -> torch.Tensor:
        """The next ``n`` states (int64), advancing the register."""
        out, self.state = _lfsr_run(np.int64(self.state), int(n), np.int64(LFSR_TAPS[self.bits]))
        self.state = int(self.state)
        return torch.from_numpy(out)


class StochasticSTDPConfig(Config):
    """The stochastic STDP rule. Probabilities are illustrative defaults (the seed gives none)."""

    p1: float = Field(0.9, ge=0, le=1, description="potentiation probability, input spiked in slot T[3] (newest)")
    p2: float = Field(0.6, ge=0, le=1, description="potentiation probability, newest spike in slot T[2]")
    p3: float = Field(0.3, ge=0, le=1, description="potentiation probability, newest spike in slot T[1]")
    p4: float = Field(0.1, ge=0, le=1, description="potentiation probability, newest spike in slot T[0]")
    pd: float = Field(0.2, ge=0, le=1, description="depression probability, empty history")
    t_threshold: int = Field(5, ge=1, description="steps between pushes of the history queue (T_threshold)")
    weight_bits: int = Field(8, ge=2, le=32, description="sign + magnitude weight width; |w| ≤ 2^(bits−1) − 1")
    w_min: int | None = Field(None, description="lowest weight level [LSB]; None: −(2^(bits−1) − 1)")
    w_max: int | None = Field(None, description="highest weight level [LSB]; None: 2^(bits−1) − 1")
    generator: Literal["lfsr", "torch"] = Field("lfsr", description="RND source: the chip's LFSR or torch")
    rnd_bits: int = Field(16, description="width of RND (and of the LFSR): 8, 16, 24 or 32")
    lsb: float = Field(1.0, gt=0, description="weight of one level in a Network, in the synapse's unit (V, A, S)")
    seed: int = Field(1, ge=1, description="initial LFSR state in a Network (non-zero mod 2^rnd_bits)")

    @model_validator(mode="after")
    def _check(self) -> StochasticSTDPConfig:
        if self.rnd_bits not in LFSR_TAPS:
            raise ValueError(f"rnd_bits = {self.rnd_bits!r} must be one of {', '.join(map(str, LFSR_TAPS))}")
        if self.seed % 2**self.rnd_bits == 0:
            raise ValueError(f"seed = {self.seed!r} must be non-zero mod 2^{self.rnd_bits}")
        lo, hi = self.levels
        top = 2 ** (self.weight_bits - 1) - 1
        if not -top <= lo < hi <= top:
            raise ValueError(f"w_min = {lo!r}, w_max = {hi!r}: need −{top} <= w_min < w_max <= {top}")
        return self

    @property
    def levels(self) -> tuple[int, int]:
        """(lowest, highest) weight level [LSB]."""
        top = 2 ** (self.weight_bits - 1) - 1
        return (-top if self.w_min is None else self.w_min), (top if self.w_max is None else self.w_max)

    def thresholds(self) -> torch.Tensor:
        """RND threshold θ = round(P·2^rnd_bits) of every 4-bit history code 0..15 (int64)."""
        return _thresholds(self.p1, self.p2, self.p3, self.p4, self.pd, self.rnd_bits).clone()

    def kernel_parameters(self) -> dict[str, float | str]:
        """The named numbers the compiled simulator reads (see :mod:`neurofab.spiking.plasticity`)."""
        lo, hi = self.levels
        return {
            "pairing": "stochastic", "p1": self.p1, "p2": self.p2, "p3": self.p3, "p4": self.p4, "pd": self.pd,
            "t_threshold": self.t_threshold, "rnd_bits": self.rnd_bits, "lsb": self.lsb, "seed": self.seed,
            "w_min": lo * self.lsb, "w_max": hi * self.lsb,
        }  # fmt: skip


@lru_cache(maxsize=64)
def _thresholds(p1: float, p2: float, p3: float, p4: float, pd: float, rnd_bits: int) -> torch.Tensor:
    p = torch.full((16,), pd, dtype=torch.float64)
    codes = torch.arange(16)
    for bit, prob in ((0, p4), (1, p3), (2, p2), (3, p1)):  # newest set bit wins
        p[(codes >> bit) & 1 == 1] = prob
    return torch.round(p * 2**rnd_bits).to(torch.int64)


@dataclass
class StochasticSTDPState:
    """History codes T[3:0] per input (uint8, bit 3 newest), the step counter and the random source."""

    history: torch.Tensor
    counter: int
    lfsr: LFSR | None
    generator: torch.Generator | None

    @classmethod
    def create(
        cls, shape: int | tuple[int, ...], config: StochasticSTDPConfig, seed: Seed | None = None
    ) -> StochasticSTDPState:
        """Empty histories of ``shape`` inputs; the LFSR starts at state ``seed`` (default ``config.seed``), the
        torch generator from ``seed``."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        hist = torch.zeros(shape, dtype=torch.uint8)
        seed = config.seed if seed is None else seed
        if config.generator == "lfsr":
            if not isinstance(seed, int):
                seed = int(torch.randint(1, 2**config.rnd_bits, (1,), generator=seed))
            return cls(hist, 0, LFSR(config.rnd_bits, seed), None)
        return cls(hist, 0, None, make_generator(seed))


def history_step(state: StochasticSTDPState, pre_spikes: torch.Tensor, config: StochasticSTDPConfig) -> None:
    """One step of the history queues: when ``t_threshold`` steps have passed since the last push, the queue is
    pushed (T[3:1] → T[2:0], T[3] cleared); then T[3] of the inputs spiking in this step is set. Call it before
    :func:`stochastic_stdp_update` of the same step (the input that makes a neuron fire is in T[3])."""
    if pre_spikes.shape != state.history.shape:
        raise ShapeError(f"history_step: spikes {tuple(pre_spikes.shape)}, history {tuple(state.history.shape)}")
    if state.counter >= config.t_threshold:
        state.history >>= 1
        state.counter = 0
    state.history |= (pre_spikes > 0).to(torch.uint8) << 3
    state.counter += 1


def stochastic_stdp_update(
    weight: torch.Tensor,
    history: torch.Tensor,
    post_spikes: torch.Tensor,
    config: StochasticSTDPConfig,
    state: StochasticSTDPState,
) -> torch.Tensor:
    """Update the integer weight levels ``weight`` [n_post, n_pre] of the neurons that fire (``post_spikes``
    [n_post], 0/1) from the input histories ``history`` [n_pre] (or [n_post, n_pre], e.g. an unfolded conv
    patch per output): one RND per synapse of each firing neuron, drawn in row-major order. Returns the new
    levels (int64, clipped to [w_min, w_max]); counts the ``weight_update`` events (changes made) in open
    ledgers. Use ``state.history`` as ``history`` in a plain layer."""
    if weight.dim() != 2:
        raise ShapeError(f"stochastic_stdp_update: weight must be [n_post, n_pre], got {tuple(weight.shape)}")
    n_post, n_pre = weight.shape
    if post_spikes.shape != (n_post,) or history.shape not in ((n_pre,), (n_post, n_pre)):
        raise ShapeError(
            f"stochastic_stdp_update: weight {tuple(weight.shape)}, post spikes {tuple(post_spikes.shape)}, "
            f"history {tuple(history.shape)}"
        )
    if weight.is_floating_point():
        raise ShapeError("stochastic_stdp_update: weights are integer levels (use an integer tensor)")
    fired = torch.nonzero(post_spikes > 0).flatten()
    new = weight.to(torch.int64).clone()
    if len(fired) == 0:
        return new
    hist = history.to(torch.int64)
    hist = hist.expand(n_post, n_pre)[fired] if hist.dim() == 1 else hist[fired]
    n = hist.numel()
    if state.lfsr is not None:
        rnd = state.lfsr.next(n).reshape(hist.shape)
    else:
        rnd = torch.randint(0, 2**config.rnd_bits, hist.shape, generator=state.generator, dtype=torch.int64)
    up = rnd < _thresholds(config.p1, config.p2, config.p3, config.p4, config.pd, config.rnd_bits)[hist]
    step = torch.where(hist > 0, 1, -1) * up
    lo, hi = config.levels
    rows = (new[fired] + step).clamp(lo, hi)
    if recording():
        record("weight_update", int((rows != new[fired]).sum()))
    new[fired] = rows
    return new
