"""A one-sided device pair with refresh: w = g⁺ − g⁻, both devices only ever potentiated.

PCM-like devices potentiate gradually but depress abruptly (a reset), so each weight uses two of them: an
up pulse on the weight is an up pulse on g⁺, a down pulse is an up pulse on g⁻ (aihwkit's
``OneSidedUnitCell`` scheme, Nandakumar et al. 2020). Both halves drift towards saturation; when either
exceeds ``refresh_threshold``·(its upper bound) the pair is *refreshed*: the weight is read, both devices are
reset, and the weight is programmed back onto one of them with up pulses (closed loop, a few rounds).

:class:`PairArray` offers the :class:`~neurofab.devices.pulsed.DeviceArray` interface (``pulse``,
``expected_update``, ``get_weights``/``set_weights``, ``steps``/``F``/``G``, ``reset``), so tiles use it like
any device array; its state is two ``DeviceArray`` halves.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import nn

from neurofab.core import InputTypeError, NumericalError, Seed, ShapeError, child_seeds, record, recording
from neurofab.devices.models import ConstantStep, ExpStep, LinearStep, PiecewiseStep, PowStep, SoftBounds
from neurofab.devices.pulsed import PulsedDevice

__all__ = ["OneSidedPair", "PairArray"]


class OneSidedPair(PulsedDevice):
    """Two one-sided devices per weight, w = g⁺ − g⁻, refreshed when a half nears saturation.

    The common fields (dw_min, bounds …) describe the *weight*: ``dw_min`` is the half-device's nominal step
    and ``w_max`` its upper bound (the weight range is ±w_max); the halves are built from ``device``.
    """

    kind: Literal["one_sided_pair"] = "one_sided_pair"
    device: ExpStep | ConstantStep | LinearStep | SoftBounds | PowStep | PiecewiseStep = Field(
        default_factory=lambda: ExpStep(w_min=0.0, w_max=2.0), discriminator="kind",
        description="the half device (one-sided: w_min = 0)",
    )
    refresh_threshold: float = Field(0.75, gt=0, le=1, description="refresh when a half exceeds this × its bound")
    refresh_rounds: int = Field(3, ge=1, description="closed-loop programming rounds of a refresh")

    def model_post_init(self, __context) -> None:  # keep the weight-level fields consistent with the halves
        object.__setattr__(self, "dw_min", self.device.dw_min)
        object.__setattr__(self, "w_max", self.device.w_max)
        object.__setattr__(self, "w_min", -self.device.w_max)

    def build(self, shape, seed: Seed = 0, dtype: torch.dtype = torch.float32, device="cpu") -> PairArray:
        return PairArray(self, shape, seed=seed, dtype=dtype, device=device)


class PairArray(nn.Module):
    """State of an array of one-sided pairs: ``plus`` and ``minus`` device arrays."""

    def __init__(self, model: OneSidedPair, shape, seed: Seed = 0, dtype=torch.float32, device="cpu") -> None:
        super().__init__()
        if not isinstance(model, OneSidedPair):
            raise InputTypeError(f"model must be a OneSidedPair config, got {type(model).__name__}")
        self.model = model
        self.shape = tuple(int(s) for s in shape)
        s_plus, s_minus = child_seeds(seed, 2) if isinstance(seed, int) else (None, None)
        self.plus = model.device.build(self.shape, seed=s_plus, dtype=dtype, device=device)
        self.minus = model.device.build(self.shape, seed=s_minus, dtype=dtype, device=device)
        self.refreshes = 0

    # ----- the DeviceArray interface ------------------------------------------------------------------
    @property
    def w(self) -> torch.Tensor:
        return self.plus.w - self.minus.w

    @property
    def w_min(self) -> torch.Tensor:
        return -self.minus.w_max

    @property
    def w_max(self) -> torch.Tensor:
        return self.plus.w_max

    @property
    def generator(self) -> torch.Generator:
        return self.plus.generator

    def get_weights(self) -> torch.Tensor:
        return self.plus.get_weights() - self.minus.get_weights()

    def set_weights(self, w: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Program w: reset both halves, write the positive part on g⁺ and the negative part on g⁻."""
        w = torch.as_tensor(w, dtype=self.plus.w.dtype, device=self.plus.w.device)
        if w.shape != self.shape:
            raise ShapeError(f"set_weights: expected shape {self.shape}, got {tuple(w.shape)}")
        if not torch.isfinite(w).all():
            raise NumericalError("set_weights: weights contain NaN or inf")
        self.plus.set_weights(torch.clamp(w, min=0), generator)
        self.minus.set_weights(torch.clamp(-w, min=0), generator)

    def steps(self, w: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(Δ⁺, Δ⁻) at the present state of the halves (an up pulse on g⁺, an up pulse on g⁻)."""
        return self.plus.steps()[0], self.minus.steps()[0]

    def F(self, w: torch.Tensor | None = None) -> torch.Tensor:
        up, down = self.steps()
        return (up + down) / (2 * self.model.dw_min)

    def G(self, w: torch.Tensor | None = None) -> torch.Tensor:
        up, down = self.steps()
        return (down - up) / (2 * self.model.dw_min)

    def n_states(self) -> torch.Tensor:
        return self.plus.n_states() + self.minus.n_states()

    def pulse(self, counts: torch.Tensor, generator: torch.Generator | None = None, backend: str = "auto") -> None:
        """Positive counts potentiate g⁺, negative counts potentiate g⁻; then refresh saturated pairs."""
        counts = torch.as_tensor(counts, device=self.plus.w.device)
        if counts.shape != self.shape:
            raise ShapeError(f"pulse: counts must have shape {self.shape}, got {tuple(counts.shape)}")
        self.plus.pulse(torch.clamp(counts, min=0), generator, backend)
        self.minus.pulse(torch.clamp(-counts, min=0), generator, backend)
        self.refresh()

    def _apply_runs(self, index: torch.Tensor, n: torch.Tensor, gen: torch.Generator) -> None:
        pos = n > 0
        if pos.any():
            self.plus._apply_runs(index[pos], n[pos], gen)
        if (~pos).any():
            self.minus._apply_runs(index[~pos], -n[~pos], gen)
        self.refresh()

    def expected_update(self, n_up: torch.Tensor, n_down: torch.Tensor) -> None:
        zero = torch.zeros((), dtype=self.plus.w.dtype, device=self.plus.w.device)
        self.plus.expected_update(n_up, zero)
        self.minus.expected_update(n_down, zero)
        self.refresh()

    def reset(self, mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> None:
        self.plus.reset(mask, generator)
        self.minus.reset(mask, generator)

    # ----- refresh -------------------------------------------------------------------------------------------
    def refresh(self) -> int:
        """Reset and reprogram the pairs whose g⁺ or g⁻ exceeds the threshold; returns how many."""
        thr = self.model.refresh_threshold
        mask = (self.plus.w > thr * self.plus.w_max) | (self.minus.w > thr * self.minus.w_max)
        n = int(mask.sum())
        if n == 0:
            return 0
        target = self.w.clone()
        self.plus.reset(mask)
        self.minus.reset(mask)
        for _ in range(self.model.refresh_rounds):
            err = torch.where(mask, target - self.w, torch.zeros_like(target))
            up_plus = self.plus.steps()[0]
            up_minus = self.minus.steps()[0]
            pos = torch.where(err > 0, torch.round(err / torch.clamp(up_plus, min=1e-12)), torch.zeros_like(err))
            neg = torch.where(err < 0, torch.round(-err / torch.clamp(up_minus, min=1e-12)), torch.zeros_like(err))
            if not (pos.any() or neg.any()):
                break
            self.plus.pulse(pos.to(torch.int64))
            self.minus.pulse(neg.to(torch.int64))
        self.refreshes += n
        if recording():
            record("device_read", n)
        return n
