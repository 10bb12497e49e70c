"""STDP realised through a pulsed device: the rule asks for a change, the device's pulse response delivers it.

The timing part is pair-based STDP (:class:`~neurofab.learning.stdp.STDPConfig`: traces, τ₊/τ₋, A₊/A₋,
pairing); its weight dependence and bounds are *not* applied. Each step the requested additive changes —
Δ⁺ = η A₊ x·R for a postsynaptic spike, Δ⁻ = η A₋ y·R for a presynaptic one, with R = w_max − w_min the device's
mean range — are turned into pulse counts n = Δ/dw_min (rounded to the nearest integer, or stochastically with
the expectation kept) and sent to a :class:`~neurofab.devices.DeviceArray`: potentiation pulses first, then
depression pulses. Whatever the device does with a pulse — its step's dependence on w (soft bounds, exponential
saturation), its bounds, cycle-to-cycle noise and device-to-device spread — is what the synapse learns. With an
ideal linear device the result is additive STDP; with a soft-bounds device, whose step shrinks as
Δ⁺ ∝ (1 − w/b_max), it becomes multiplicative.

:func:`pcm_stdp` is the review's PCM preset (seed 003 l. 104–106, Eq. 3: Δw = A e^{−Δt/τ}, a modulation of
about 1 % per event and an order of magnitude of resistance over 100 steps): 100 equal pulses span the
device's range, A₊ = A₋ = 0.01 of it (one pulse for a pair at Δt → 0), and :func:`conductance` maps the range
onto G_max/G_min = 10.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, ShapeError
from neurofab.devices import AnyDevice, DeviceArray, IdealDevice
from neurofab.learning.stdp import STDPConfig, STDPState

__all__ = ["DeviceSTDPConfig", "conductance", "device_stdp_update", "pcm_stdp"]


class DeviceSTDPConfig(Config):
    """Pair-based STDP timing (``stdp``) realised as write pulses on ``device``."""

    stdp: STDPConfig = Field(default_factory=STDPConfig, description="timing and amplitudes (μ, bounds unused)")
    device: AnyDevice = Field(default_factory=IdealDevice, description="the pulsed device that stores each weight")
    rounding: Literal["nearest", "stochastic"] = Field(
        "stochastic", description="pulse count from Δ/dw_min: nearest integer, or stochastic (unbiased)"
    )
    g_ratio: float = Field(10.0, gt=1, description="G_max/G_min of the conductance the range maps onto [1]")


def _counts(delta: torch.Tensor, dw: float, rounding: str, gen: torch.Generator | None) -> torch.Tensor:
    n = delta / dw
    if rounding == "nearest":
        return torch.round(n).to(torch.int64)
    low = torch.floor(n)
    u = torch.rand(n.shape, generator=gen, dtype=n.dtype)
    return (low + (u < n - low).to(n.dtype)).to(torch.int64)


def device_stdp_update(
    array: DeviceArray,
    pre_spikes: torch.Tensor,
    post_spikes: torch.Tensor,
    state: STDPState,
    config: DeviceSTDPConfig,
    dt: float,
    generator: torch.Generator | None = None,
    learning_rate: float | None = None,
) -> STDPState:
    """One step of device-backed STDP on ``array`` [n_post, n_pre]: traces as in
    :func:`~neurofab.learning.stdp.stdp_update`, the batch's requested changes summed, then potentiation and
    depression pulses through the device (``write_pulse`` events are counted by the device). Returns the new
    traces; the weights are ``array.get_weights()``."""
    rule = config.stdp
    if rule.a3_plus or rule.a3_minus:
        raise ConfigError("device_stdp_update: triplet terms (a3_plus, a3_minus) run only in a Network")
    if rule.pairing == "nearest_restricted":
        raise ConfigError("device_stdp_update: pairing 'nearest_restricted' needs per-synapse history")
    if dt <= 0:
        raise ConfigError(f"device_stdp_update dt = {dt!r}: must be > 0 s")
    if array.w.dim() != 2:
        raise ShapeError(f"device_stdp_update: the device array must be [n_post, n_pre], got {tuple(array.w.shape)}")
    n_post, n_pre = array.w.shape
    if pre_spikes.shape[-1] != n_pre or post_spikes.shape[-1] != n_post:
        raise ShapeError(
            f"device_stdp_update: array {tuple(array.w.shape)}, spikes {tuple(pre_spikes.shape)} and "
            f"{tuple(post_spikes.shape)}"
        )
    eta = rule.learning_rate if learning_rate is None else learning_rate
    dtype = state.pre_trace.dtype
    x = state.pre_trace * math.exp(-dt / rule.tau_plus)
    y = state.post_trace * math.exp(-dt / rule.tau_minus)
    pre = pre_spikes.to(dtype).reshape(-1, n_pre)
    post = post_spikes.to(dtype).reshape(-1, n_post)
    span = config.device.w_max - config.device.w_min
    dw = config.device.dw_min
    up = eta * rule.a_plus * span * (post.T @ x)
    down = eta * rule.a_minus * span * (y.T @ pre)
    n_up = _counts(up, dw, config.rounding, generator)
    n_down = _counts(down, dw, config.rounding, generator)
    if n_up.any():
        array.pulse(n_up.to(array.w.device), generator=generator)
    if n_down.any():
        array.pulse(-n_down.to(array.w.device), generator=generator)
    if rule.pairing == "all_to_all":
        x, y = x + pre, y + post
    else:
        x = torch.where(pre > 0, torch.ones_like(x), x)
        y = torch.where(post > 0, torch.ones_like(y), y)
    return STDPState(x, y)


def pcm_stdp(tau: float = 20e-3, **device_overrides) -> DeviceSTDPConfig:
    """The review's PCM STDP preset (seed 003 l. 104–106, Eq. 3): Δw = A e^{−Δt/τ} with A one pulse (1 % of the
    range) per event, 100 equal steps across the range [−0.5, 0.5] (10× conductance, :func:`conductance`),
    τ₊ = τ₋ = ``tau`` [s] (the review gives no value; 20 ms is the common choice). ``device_overrides`` go to
    the :class:`~neurofab.devices.IdealDevice` (e.g. ``dw_min_std`` for cycle-to-cycle noise)."""
    device = IdealDevice(**{"dw_min": 0.01, "w_min": -0.5, "w_max": 0.5, **device_overrides})
    rule = STDPConfig.additive(tau_plus=tau, tau_minus=tau, a_plus=0.01, a_minus=0.01, w_min=-0.5, w_max=0.5)
    return DeviceSTDPConfig(stdp=rule, device=device, rounding="nearest", g_ratio=10.0)


def conductance(weights: torch.Tensor, config: DeviceSTDPConfig) -> torch.Tensor:
    """Conductance relative to G_max of device weights: the range [w_min, w_max] maps linearly onto
    [G_max/g_ratio, G_max] (so the resistance spans a factor g_ratio)."""
    lo, hi = config.device.w_min, config.device.w_max
    g_min = 1.0 / config.g_ratio
    return g_min + (1.0 - g_min) * (weights - lo) / (hi - lo)
