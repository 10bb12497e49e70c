"""Weights stored on several device arrays: a fast gradient accumulator A, a slow weight C, static references.

The training algorithms for asymmetric devices (Tiki-Taka, TTv2, SHD; ttv2 and asymmetric-shd notes) keep one
logical weight on up to four devices per cross-point:

    W = γ·(A_main − A_ref) + (C_main − C_ref)                     (ttv2 Eq. 1 with K = 1, per array)

- ``A_main`` receives the pulsed outer-product updates of SGD (the gradient accumulator);
- ``C_main`` holds the weight and is written only by *transfers* from A;
- ``A_ref`` is zero (an ideal reference) or A's symmetry point (after zero-shifting, M1 of Onen et al.);
- ``C_ref`` is zero, C's own symmetry point (the 4-device Tiki-Taka), or the same device as A_ref
  (``"shared"``: 3 devices per weight, SHD and TTv2 with a shared reference).

References are static after calibration: they are stored as the conductance values they were programmed to,
in weight units (the crossbar reads differences, so a reference is one tensor, not an array of state machines).

Transfers (:class:`TransferConfig`), every ``transfer_every`` samples, each reading one column of A through an
analog MVM with a one-hot (or Hadamard) input u, v = (A_main − A_ref)·u:

- ``"pulsed"`` (Tiki-Taka Alg. 1, SHD M2): C ← C + η_c f(v) uᵀ written with the same pulsed outer-product
  update as A (f(v) = v where |v| ≥ threshold, else 0);
- ``"buffered"`` (TTv2 Alg. 2): H[:, t] += η_c v / Δw_C in a digital buffer H (units of C pulses); where
  |H_it| ≥ 1 one pulse of sign(H_it) is applied to c_it and H_it ← 0 (or sign(H_it)·hysteresis, making the
  same-sign threshold 1 − h and the reversal threshold 1 + h).

Columns are read in cyclic order t = 0, 1, …, n_in − 1 (⚠ Alg. 2 says "row"; with v = Au a one-hot u reads a
column). Counting: every column read is one ``mvm`` and one ``transfer`` on the ledger; pulses are counted by
the device arrays (``write_pulse``).

The outer-product update itself is not defined here: :class:`CompoundWeight` takes an *updater* callable
``updater(array, x, d, lr)`` (W ← W − lr·dᵀx as pulses on ``array``) so the tile's pulse-train update (per-pulse
or expected value) can be plugged in; :func:`expected_outer_update` is the deterministic Eq. 3 form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import (
    Config,
    ConfigError,
    NumericalError,
    Seed,
    ShapeError,
    child_seeds,
    make_generator,
    record,
    recording,
)
from neurofab.crossbar.io import IOConfig, analog_mvm
from neurofab.devices import AnyDevice, DeviceArray, SoftBounds

__all__ = [
    "CompoundConfig",
    "CompoundWeight",
    "TransferConfig",
    "Updater",
    "expected_outer_update",
    "hadamard_vectors",
    "zero_shift",
]

Updater = Callable[[DeviceArray, torch.Tensor, torch.Tensor, float], Any]


def expected_outer_update(array: DeviceArray, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
    """W ← W − lr·dᵀx in expectation (Eq. 3): n_up = lr·Σ relu(−dᵀx)/Δw, n_down = lr·Σ relu(dᵀx)/Δw.

    Up and down coincidences of each sample are counted separately (a sample's +1 and another's −1 do not
    cancel on a device: both pulses are applied), then written with one Euler step of the device response.
    """
    if lr == 0:
        return
    dw = array.model.dw_min
    xp, xn = torch.clamp(x, min=0), torch.clamp(-x, min=0)
    dp, dn = torch.clamp(d, min=0), torch.clamp(-d, min=0)
    n_down = (dp.T @ xp + dn.T @ xn) * (lr / dw)
    n_up = (dp.T @ xn + dn.T @ xp) * (lr / dw)
    if recording():
        record("write_pulse", round(float((n_up + n_down).sum())))
    array.expected_update(n_up, n_down)


def hadamard_vectors(n: int) -> torch.Tensor:
    """The n rows of the Sylvester-Hadamard matrix of order n (n a power of two), entries ±1."""
    if n <= 0 or n & (n - 1):
        raise ConfigError(f"hadamard read vectors need a power-of-two number of inputs, got {n}")
    h = torch.ones(1, 1)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


def zero_shift(
    array: DeviceArray,
    n_pairs: int,
    mode: Literal["pulse", "expected"] = "pulse",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Zero-shifting (Onen et al. M1): ``n_pairs`` up/down pulse pairs on every device; returns the final weights.

    Each pair moves a device by Δ⁺(w) − Δ⁻(w + Δ⁺(w)) ≈ −2Δw_min G(w), which vanishes at the symmetry point,
    so the array drifts to its symmetry point w* and then jitters around it (c2c noise). ``mode="expected"``
    iterates the noise-free map (no c2c noise, no pulse counting).
    """
    if n_pairs < 0:
        raise ConfigError(f"zero_shift: n_pairs = {n_pairs} must be ≥ 0")
    if mode == "expected":
        one = torch.ones_like(array.w)
        zero = torch.zeros_like(array.w)
        for _ in range(n_pairs):
            array.expected_update(one, zero)
            array.expected_update(zero, one)
        return array.get_weights().clone()
    if mode != "pulse":
        raise ConfigError(f"zero_shift: mode = {mode!r}: must be 'pulse' or 'expected'")
    up = torch.ones(array.shape, dtype=torch.int64, device=array.w.device)
    for _ in range(n_pairs):
        array.pulse(up, generator)
        array.pulse(-up, generator)
    return array.get_weights().clone()


class TransferConfig(Config):
    """How A is transferred to C (Tiki-Taka Alg. 1, TTv2 Alg. 2, SHD M2)."""

    mode: Literal["pulsed", "buffered"] = Field(
        "buffered", description="'pulsed': outer-product write of f(v)uᵀ (TT v1, SHD); 'buffered': TTv2's digital H"
    )
    every: int = Field(1, ge=1, description="samples between two column transfers, n_s (τ in SHD) [samples]")
    columns_per_transfer: int = Field(1, ge=1, description="columns read at each transfer [columns]")
    lr: float = Field(
        0.01, gt=0, description="η_c: weight change written to C per unit of A read [1]; TTv2's paper η_c = lr/Δw_C"
    )
    read_vectors: Literal["one_hot", "hadamard"] = Field("one_hot", description="read vectors u (pulsed mode)")
    threshold: float = Field(
        0.0, ge=0, description="pulsed mode: |v| below it is not transferred, f(v) (T; MVM noise) [weight units]"
    )
    hysteresis: float = Field(
        0.0, ge=0, lt=1, description="buffered mode: H ← sign(H)·h after a pulse (TTv2 hysteretic: 0.6) [C pulses]"
    )
    io: IOConfig = Field(default_factory=IOConfig, description="periphery of the transfer read v = A u")

    @model_validator(mode="after")
    def _check(self) -> TransferConfig:
        if self.mode == "buffered" and self.read_vectors != "one_hot":
            raise ValueError("read_vectors = 'hadamard' needs mode = 'pulsed' (TTv2 reads one column at a time)")
        return self


class CompoundConfig(Config):
    """Devices, references and transfer of a multi-array weight."""

    a_device: AnyDevice = Field(default_factory=SoftBounds, description="device of the gradient accumulator A")
    c_device: AnyDevice | None = Field(None, description="device of C (None: the same model as A)")
    gamma: float = Field(0.0, ge=0, description="weight of A in the forward weight, γ (TTv2, SHD: 0) [1]")
    a_reference: Literal["zero", "symmetry_point"] = Field(
        "symmetry_point", description="A_ref: an ideal zero, or A's symmetry point found by zero-shifting"
    )
    c_reference: Literal["zero", "symmetry_point", "shared"] = Field(
        "shared", description="C_ref: zero, C's own symmetry point (4 devices), or the device of A_ref (3 devices)"
    )
    zero_shift_pairs: int = Field(
        2000, ge=0, description="up/down pulse pairs of the zero-shifting calibration (0: analytic w*) [pairs]"
    )
    zero_shift_mode: Literal["pulse", "expected"] = Field("pulse", description="calibration with noisy pulses or not")
    reference_write_noise: float = Field(
        0.0, ge=0, description="std of the error of copying a calibrated value into a reference [weight units]"
    )
    transfer: TransferConfig = Field(default_factory=TransferConfig, description="A → C transfer")

    @property
    def c_model(self):
        return self.a_device if self.c_device is None else self.c_device

    @property
    def devices_per_weight(self) -> int:
        """Physical devices per cross-point: A, C and 1 (shared) or 2 references."""
        return 3 if self.c_reference == "shared" else 4


class CompoundWeight(nn.Module):
    """One logical (out × in) weight on arrays A and C with references, transfers and the TTv2 buffer H.

    ``updater(array, x, d, lr)`` writes W ← W − lr·dᵀx on an array (default :func:`expected_outer_update`).
    State (``state_dict``): both arrays with their generators, the references, H, the sample counter, the next
    column, and this object's generator (transfer-read noise, reference write noise).
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        config: CompoundConfig | None = None,
        seed: Seed = 0,
        updater: Updater | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        config = CompoundConfig() if config is None else config
        if not isinstance(config, CompoundConfig):
            raise ConfigError(f"config must be a CompoundConfig, got {type(config).__name__}")
        if out_size <= 0 or in_size <= 0:
            raise ShapeError(f"CompoundWeight: sizes must be positive, got {out_size}×{in_size}")
        self.config = config
        self.out_size, self.in_size = int(out_size), int(in_size)
        if config.transfer.read_vectors == "hadamard":
            hadamard_vectors(self.in_size)  # validates the size
        s_a, s_c, s_io = child_seeds(seed, 3) if isinstance(seed, int) else (seed, seed, seed)
        shape = (self.out_size, self.in_size)
        self.a = config.a_device.build(shape, seed=s_a, dtype=dtype)
        self.c = config.c_model.build(shape, seed=s_c, dtype=dtype)
        self.generator = make_generator(s_io)
        self.updater: Updater = expected_outer_update if updater is None else updater
        self.register_buffer("a_ref", torch.zeros(shape, dtype=dtype))
        self.register_buffer("c_ref", torch.zeros(shape, dtype=dtype))
        self.register_buffer("h", torch.zeros(shape, dtype=dtype))
        self.samples = 0
        self.next_column = 0
        self.transfers = 0

    # ----- state ------------------------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "samples": self.samples, "next_column": self.next_column,
                "transfers": self.transfers}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.samples, self.next_column = int(state["samples"]), int(state["next_column"])
        self.transfers = int(state["transfers"])

    # ----- calibration --------------------------------------------------------------------------------------
    def _calibrated(self, array: DeviceArray) -> torch.Tensor:
        cfg = self.config
        if cfg.zero_shift_pairs == 0:
            target = array.symmetry_point()
            array.set_weights(target)
        else:
            zero_shift(array, cfg.zero_shift_pairs, cfg.zero_shift_mode)
        value = array.get_weights().clone()
        if cfg.reference_write_noise > 0:
            value = value + cfg.reference_write_noise * torch.randn(
                value.shape, generator=self.generator, dtype=value.dtype
            )
        return value

    def calibrate(self) -> None:
        """Program the references: zero-shift A (and C for its own reference) and copy the results.

        Afterwards A reads zero (A_main = A_ref); C is left at its reference (weight zero) — call
        :meth:`set_weights` to program a starting weight.
        """
        cfg = self.config
        if cfg.a_reference == "symmetry_point":
            self.a_ref.copy_(self._calibrated(self.a))
        else:
            self.a_ref.zero_()
            self.a.set_weights(torch.zeros_like(self.a.w))
        if cfg.c_reference == "shared":
            self.c_ref.copy_(self.a_ref)
        elif cfg.c_reference == "symmetry_point":
            self.c_ref.copy_(self._calibrated(self.c))
        else:
            self.c_ref.zero_()
        self.c.set_weights(self.c_ref.clone())
        self.h.zero_()

    # ----- weights ----------------------------------------------------------------------------------------------
    def a_weights(self) -> torch.Tensor:
        """A as read against its reference: A_main − A_ref [weight units]."""
        return self.a.get_weights() - self.a_ref

    def c_weights(self) -> torch.Tensor:
        """C as read against its reference: C_main − C_ref [weight units]."""
        return self.c.get_weights() - self.c_ref

    def weights(self) -> torch.Tensor:
        """The forward weight W = γ·(A_main − A_ref) + (C_main − C_ref), shape (out, in)."""
        w = self.c_weights()
        return w + self.config.gamma * self.a_weights() if self.config.gamma != 0 else w

    def set_weights(self, w: torch.Tensor) -> None:
        """Program C so that C_main − C_ref = w (clipped to C's bounds); A, H untouched."""
        w = torch.as_tensor(w, dtype=self.c.w.dtype)
        if w.shape != (self.out_size, self.in_size):
            raise ShapeError(
                f"CompoundWeight.set_weights: expected {(self.out_size, self.in_size)}, got {tuple(w.shape)}"
            )
        if not torch.isfinite(w).all():
            raise NumericalError("CompoundWeight.set_weights: weights contain NaN or inf")
        self.c.set_weights(w + self.c_ref)

    # ----- update and transfer ---------------------------------------------------------------------------------
    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        """SGD on A (A ← A − lr·dᵀx through ``updater``), then the transfers due after these samples."""
        if x.dim() != 2 or d.dim() != 2 or x.shape[1] != self.in_size or d.shape[1] != self.out_size:
            raise ShapeError(
                f"CompoundWeight.update: expected x (B, {self.in_size}) and d (B, {self.out_size}), "
                f"got {tuple(x.shape)} and {tuple(d.shape)}"
            )
        if x.shape[0] != d.shape[0]:
            raise ShapeError(f"CompoundWeight.update: x has {x.shape[0]} rows, d has {d.shape[0]}")
        self.updater(self.a, x, d, lr)
        every = self.config.transfer.every
        before = self.samples // every
        self.samples += x.shape[0]
        n_transfers = self.samples // every - before
        if n_transfers > 0:
            self.transfer(n_transfers * self.config.transfer.columns_per_transfer)

    def _read_vectors(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The next ``n`` read vectors (n × in) in cyclic order, and their column indices."""
        cols = (self.next_column + torch.arange(n)) % self.in_size
        self.next_column = int((self.next_column + n) % self.in_size)
        if self.config.transfer.read_vectors == "hadamard":
            u = hadamard_vectors(self.in_size)[cols]
        else:
            u = torch.nn.functional.one_hot(cols, self.in_size)
        return u.to(self.a.w.dtype), cols

    def read_a(self, u: torch.Tensor) -> torch.Tensor:
        """v = (A_main − A_ref)·u for read vectors u (k × in) through the transfer periphery; returns (k × out)."""
        return analog_mvm(self.a_weights(), u, self.config.transfer.io, self.generator)

    def transfer(self, n_columns: int = 1) -> None:
        """Read ``n_columns`` columns of A (cyclically) and write them to C (pulsed or buffered)."""
        tc = self.config.transfer
        remaining = n_columns
        while remaining > 0:
            k = min(remaining, self.in_size)  # distinct columns per pass
            remaining -= k
            u, cols = self._read_vectors(k)
            v = self.read_a(u)
            self.transfers += k
            if recording():
                record("transfer", k)
            if tc.mode == "pulsed":
                if tc.threshold > 0:
                    v = torch.where(v.abs() >= tc.threshold, v, torch.zeros_like(v))
                self.updater(self.c, u, -v, tc.lr)  # C ← C + η_c f(v) uᵀ
            else:
                self._buffered_write(cols, v)

    def _buffered_write(self, cols: torch.Tensor, v: torch.Tensor) -> None:
        """TTv2: H[:, t] += η_c v / Δw_C; single pulses where |H| ≥ 1; H reset (or hysteretic)."""
        tc = self.config.transfer
        hc = self.h[:, cols] + (tc.lr / self.config.c_model.dw_min) * v.T.to(self.h.dtype)
        fire = hc.abs() >= 1.0
        sign = torch.sign(hc)
        counts = torch.zeros(self.out_size, self.in_size, dtype=torch.int64)
        if bool(fire.any()):
            counts[:, cols] = (sign * fire).to(torch.int64)
            self.c.pulse(counts)
        hc = torch.where(fire, sign * tc.hysteresis, hc)
        self.h[:, cols] = hc
