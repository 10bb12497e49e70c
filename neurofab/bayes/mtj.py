"""Stochastic-MTJ spike generators: a Bayesian network sampled by write pulses (Shim et al. 2017; the review,
seed 001 l. 4486–4496).

Each variable is a magnetic tunnel junction written once per cycle with a current chosen from its CPT by its parents'
spikes of that cycle; it spikes when it switches. A probability is the spike count per window ("30 spikes in 100
write cycles → 30 %", l. 4494). Switching is thermally activated (Néel–Brown):

    P_sw(I) = 1 − exp(−t_p / τ(I)),   τ(I) = τ₀ exp(Δ (1 − I / I_c))

so the write current for a target probability p is I = I_c [1 + ln(−ln(1 − p) τ₀ / t_p) / Δ], clipped to
[0, I_max] and quantised by the current DAC; the probability actually realised is P_sw of the quantised current.
The MTJ is reset after every read. Events: ``write_pulse`` per MTJ write, ``spike`` per switching event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from pydantic import Field

from neurofab.bayes.network import BayesNet
from neurofab.bayes.sampling import Samples
from neurofab.core import Config, DataError, Seed, make_generator, record


class MTJConfig(Config):
    """A stochastic MTJ and its write-current DAC."""

    delta: float = Field(40.0, gt=0, description="thermal stability factor Δ = E_b / k_B T [1]")
    tau0: float = Field(1e-9, gt=0, description="attempt time τ₀ [s]")
    t_pulse: float = Field(10e-9, gt=0, description="write pulse width t_p [s]")
    i_c: float = Field(50e-6, gt=0, description="critical switching current I_c [A]")
    i_max: float = Field(100e-6, gt=0, description="largest write current the driver gives [A]")
    dac_bits: int | None = Field(10, ge=2, le=24, description="write-current DAC bits over [0, i_max] (None: exact)")

    def switching_probability(self, current: torch.Tensor) -> torch.Tensor:
        """P_sw(I) for write currents [A]."""
        rate = (self.t_pulse / self.tau0) * torch.exp(-self.delta * (1 - current / self.i_c))
        return -torch.expm1(-rate)

    def current_for(self, p: torch.Tensor) -> torch.Tensor:
        """The (clipped, quantised) write current [A] whose switching probability is closest to ``p``."""
        p = p.clamp(1e-300, 1 - 1e-16)
        i = self.i_c * (1 + torch.log(-torch.log1p(-p) * self.tau0 / self.t_pulse) / self.delta)
        i = i.clamp(0.0, self.i_max)
        if self.dac_bits is not None:
            step = self.i_max / (2**self.dac_bits - 1)
            i = torch.round(i / step) * step
        return i

    def realised(self, p: torch.Tensor) -> torch.Tensor:
        """The probability a target ``p`` becomes on this device (0 and 1 map to no pulse / the largest pulse)."""
        out = self.switching_probability(self.current_for(p))
        return torch.where(p <= 0, torch.zeros_like(out), out)


def mtj_sample(net: BayesNet, n_cycles: int, config: MTJConfig | None = None,
               evidence: Mapping[str, str | int] | None = None, seed: Seed = None) -> Samples:
    """``n_cycles`` write cycles of a network of binary MTJ nodes; cycles whose spikes disagree with the evidence
    are dropped (the counters gate on the evidence nodes)."""
    cfg = config or MTJConfig()
    if not isinstance(n_cycles, int) or n_cycles < 1:
        raise DataError(f"mtj_sample: n_cycles must be a positive integer, got {n_cycles!r}")
    for nd in net.nodes:
        if nd.card != 2:
            raise DataError(f"mtj_sample: node {nd.name!r} has {nd.card} states; an MTJ node is binary")
    gen = make_generator(seed)
    x = torch.zeros(n_cycles, len(net), dtype=torch.long)
    for i, nd in enumerate(net.nodes):
        table = cfg.realised(nd.cpt[..., 1].reshape(-1))  # P(spike | parent configuration)
        row = torch.zeros(n_cycles, dtype=torch.long)
        for p in nd.parents:
            row = row * 2 + x[:, net.index[p]]
        u = torch.rand(n_cycles, generator=gen, dtype=torch.float64)
        x[:, i] = (u < table[row]).long()
    record("write_pulse", n_cycles * len(net))
    record("spike", int(x.sum()))
    ev = net.evidence_indices(evidence)
    if ev:
        keep = torch.ones(n_cycles, dtype=torch.bool)
        for i, s in ev.items():
            keep &= x[:, i] == s
        x = x[keep]
    return Samples(net, x)


def spike_rate_error(p: float, window: int) -> float:
    """Standard error of a spike-count estimate of p over ``window`` write cycles: √(p(1 − p)/window)."""
    return math.sqrt(p * (1 - p) / window)
