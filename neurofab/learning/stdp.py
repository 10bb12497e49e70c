"""Pair-based STDP: the rule config (NEST's ``stdp_synapse`` family) and a functional update for torch layers.

With u = (w − w_min)/(w_max − w_min) the weight's place in its range, x the presynaptic and y the postsynaptic
trace (exponential, τ₊ and τ₋; +1 per spike for all-to-all pairing, reset to 1 for nearest-spike pairing):

    at a postsynaptic spike:  u ← min(1, u + η A₊ (1 − u)^μ₊ x)
    at a presynaptic spike:   u ← max(0, u − η A₋ u^μ₋ y)

Triplet STDP (Pfister & Gerstner 2006, J. Neurosci. 26:9673, all-to-all; NEST ``stdp_triplet_synapse``) adds
slow traces r₂ (pre, τ_x) and o₂ (post, τ_y), read before they take the current spike: A₊ becomes A₊ + A₃⁺ o₂ and
A₋ becomes A₋ + A₃⁻ r₂ (``a3_plus = 0 = a3_minus``: the pair rule).

μ = 0 is additive STDP (Song, Miller & Abbott 2000, Nat. Neurosci. 3:919), μ = 1 multiplicative (van Rossum et
al. 2000), 0 < μ < 1 Gütig et al. 2003's power law (J. Neurosci. 23:3697). In NEST's names (``stdp_synapse``,
``stdp_nn_symm_synapse``, ``stdp_nn_restr_synapse``; Morrison et al. 2008, Biol. Cybern. 98:459):
A₊ = ``lambda``, A₋ = ``alpha·lambda``, μ₊ = ``mu_plus``, μ₋ = ``mu_minus``, w_max = ``Wmax`` (w_min = 0 there),
τ₋ = the postsynaptic neuron's ``tau_minus``. In Brian2 the same rule is the usual ``Apre``/``Apost`` trace
model with ``clip``.

:class:`STDPConfig` is what ``Network.connect(..., plasticity=...)`` takes (through ``kernel_parameters()``);
:func:`stdp_update` runs the rule on a dense torch weight matrix step by step (layer-wise SNNs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, ShapeError

__all__ = ["STDPConfig", "STDPState", "stdp_update"]

Pairing = Literal["all_to_all", "nearest_symmetric", "nearest_restricted"]


class STDPConfig(Config):
    """Pair-based STDP with exponential traces, hard bounds and a power-law weight dependence."""

    tau_plus: float = Field(20e-3, gt=0, description="presynaptic trace time constant τ₊ [s]")
    tau_minus: float = Field(20e-3, gt=0, description="postsynaptic trace time constant τ₋ [s]")
    a_plus: float = Field(0.01, ge=0, description="potentiation amplitude A₊, a fraction of w_max − w_min [1]")
    a_minus: float = Field(0.0105, ge=0, description="depression amplitude A₋, a fraction of w_max − w_min [1]")
    mu_plus: float = Field(0.0, ge=0, description="weight dependence of potentiation μ₊: 0 additive, 1 mult. [1]")
    mu_minus: float = Field(0.0, ge=0, description="weight dependence of depression μ₋: 0 additive, 1 mult. [1]")
    w_min: float = Field(0.0, description="lower hard bound, in the synapse's weight unit (V, A or S)")
    w_max: float = Field(1.0, description="upper hard bound, in the synapse's weight unit (V, A or S)")
    pairing: Pairing = Field(
        "all_to_all", description="'all_to_all' (stdp_synapse), 'nearest_symmetric' or 'nearest_restricted'"
    )
    learning_rate: float = Field(1.0, ge=0, description="initial learning-rate factor η on A₊ and A₋ [1]")
    a3_plus: float = Field(0.0, ge=0, description="triplet potentiation A₃⁺ (× slow post trace o₂), of the range [1]")
    a3_minus: float = Field(0.0, ge=0, description="triplet depression A₃⁻ (× slow pre trace r₂), of the range [1]")
    tau_x: float = Field(101e-3, gt=0, description="slow presynaptic trace τ_x of triplet STDP [s]")
    tau_y: float = Field(125e-3, gt=0, description="slow postsynaptic trace τ_y of triplet STDP [s]")

    @model_validator(mode="after")
    def _bounds(self) -> STDPConfig:
        if not self.w_min < self.w_max:
            raise ValueError(f"w_min = {self.w_min!r} must be < w_max = {self.w_max!r}")
        if (self.a3_plus or self.a3_minus) and self.pairing != "all_to_all":
            raise ValueError(f"a3_plus/a3_minus (triplet terms) need pairing 'all_to_all', not {self.pairing!r}")
        return self

    @classmethod
    def additive(cls, **fields) -> STDPConfig:
        """μ₊ = μ₋ = 0 (Song, Miller & Abbott 2000)."""
        return cls(**{**fields, "mu_plus": 0.0, "mu_minus": 0.0})

    @classmethod
    def multiplicative(cls, **fields) -> STDPConfig:
        """μ₊ = μ₋ = 1 (soft bounds)."""
        return cls(**{**fields, "mu_plus": 1.0, "mu_minus": 1.0})

    @classmethod
    def power_law(cls, mu: float, **fields) -> STDPConfig:
        """μ₊ = μ₋ = ``mu`` (Gütig et al. 2003)."""
        return cls(**{**fields, "mu_plus": mu, "mu_minus": mu})

    def kernel_parameters(self) -> dict[str, float | str]:
        """The named numbers the compiled simulator reads (see :mod:`neurofab.spiking.plasticity`)."""
        return self.model_dump(exclude={"learning_rate"})

    def check_weights(self, w: torch.Tensor, where: str = "weights") -> None:
        """ConfigError unless every weight lies in [w_min, w_max]."""
        if w.numel() and (w.min() < self.w_min or w.max() > self.w_max):
            raise ConfigError(
                f"{where} span [{w.min().item()!r}, {w.max().item()!r}] but the STDP bounds are "
                f"w_min = {self.w_min!r}, w_max = {self.w_max!r}"
            )


@dataclass
class STDPState:
    """Traces of :func:`stdp_update`: presynaptic [batch, n_pre] and postsynaptic [batch, n_post]."""

    pre_trace: torch.Tensor
    post_trace: torch.Tensor

    @classmethod
    def zeros(cls, batch: int, n_pre: int, n_post: int, dtype=torch.float32, device=None) -> STDPState:
        return cls(
            torch.zeros(batch, n_pre, dtype=dtype, device=device),
            torch.zeros(batch, n_post, dtype=dtype, device=device),
        )


def stdp_update(
    weight: torch.Tensor,
    pre_spikes: torch.Tensor,
    post_spikes: torch.Tensor,
    state: STDPState,
    config: STDPConfig,
    dt: float,
    learning_rate: float | None = None,
) -> tuple[torch.Tensor, STDPState]:
    """One step of STDP on a dense layer ``weight`` [n_post, n_pre] (torch ``Linear`` layout).

    ``pre_spikes`` [batch, n_pre] and ``post_spikes`` [batch, n_post] are the spikes (0/1, or counts) of this
    step. The traces decay by exp(−dt/τ), then postsynaptic spikes potentiate with the presynaptic trace and
    presynaptic spikes depress with the postsynaptic trace (neither trace yet holding this step's spikes, as in
    the network kernel), the batch's changes summed; then the traces take the spikes. Only all-to-all and
    nearest-symmetric pairing are layer-wise (nearest-restricted needs per-synapse history). Returns the new
    weight (a new tensor, clipped to [w_min, w_max]) and the new state; ``learning_rate`` overrides η."""
    if config.a3_plus or config.a3_minus:
        raise ConfigError("stdp_update: triplet terms (a3_plus, a3_minus) run only in a Network")
    if config.pairing == "nearest_restricted":
        raise ConfigError("stdp_update: pairing 'nearest_restricted' runs only in a Network (per-synapse history)")
    if dt <= 0:
        raise ConfigError(f"stdp_update dt = {dt!r}: must be > 0 s")
    if weight.dim() != 2 or pre_spikes.dim() != 2 or post_spikes.dim() != 2:
        raise ShapeError("stdp_update: weight [n_post, n_pre], spikes [batch, n]")
    n_post, n_pre = weight.shape
    if pre_spikes.shape[1] != n_pre or post_spikes.shape[1] != n_post or pre_spikes.shape[0] != post_spikes.shape[0]:
        raise ShapeError(
            f"stdp_update: weight {tuple(weight.shape)} but spikes {tuple(pre_spikes.shape)}, "
            f"{tuple(post_spikes.shape)}"
        )
    eta = config.learning_rate if learning_rate is None else learning_rate
    dtype = weight.dtype
    decay_p = torch.exp(torch.tensor(-dt / config.tau_plus, dtype=dtype))
    decay_m = torch.exp(torch.tensor(-dt / config.tau_minus, dtype=dtype))
    x = state.pre_trace * decay_p
    y = state.post_trace * decay_m
    pre = pre_spikes.to(dtype)
    post = post_spikes.to(dtype)
    span = config.w_max - config.w_min
    u = (weight - config.w_min) / span
    pot = post.T @ x  # [n_post, n_pre]
    dep = y.T @ pre
    u = u + eta * config.a_plus * (1 - u).clamp_min(0) ** config.mu_plus * pot
    u = u - eta * config.a_minus * u.clamp_min(0) ** config.mu_minus * dep
    new_w = u.clamp(0, 1) * span + config.w_min
    if config.pairing == "all_to_all":
        x, y = x + pre, y + post
    else:
        x = torch.where(pre > 0, torch.ones_like(x), x)
        y = torch.where(post > 0, torch.ones_like(y), y)
    return new_w, STDPState(x, y)
