"""Tiles whose weight lives on several device arrays: a fast gradient accumulator A, a slow weight C, references.

The training algorithms for asymmetric devices (Tiki-Taka, TTv2, SHD; ttv2 and asymmetric-shd notes) keep one
logical weight on up to four devices per cross-point:

    W = γ·(A_main − A_ref) + (C_main − C_ref)                     (ttv2 Eq. 1 with K = 1, per array)

- ``A_main`` is the tile's own device array (:attr:`CompoundTile.array`): it receives the tile's configured
  outer-product update — stochastic pulse trains, their expected value or floating point
  (:class:`~neurofab.crossbar.update.UpdateConfig`) — exactly as a plain :class:`~neurofab.crossbar.tile.AnalogTile`;
- ``C_main`` (:attr:`CompoundTile.c`) holds the weight and is written only by *transfers* from A;
- ``A_ref`` is zero (an ideal reference) or A's symmetry point (zero-shifting, M1 of Onen et al.);
- ``C_ref`` is zero, C's own symmetry point (the 4-device Tiki-Taka), or the same device as A_ref
  (``"shared"``: 3 devices per weight, SHD and TTv2 with a shared reference).

References are static after calibration: they are stored as the values they were programmed to, in weight
units (the crossbar reads differences, so a reference is one tensor, not an array of state machines).

Forward and transpose MVMs of the tile read W through the tile's periphery. Transfers
(:class:`TransferConfig`), every ``every`` samples, each read one column t of A through an analog MVM with a
one-hot (or Hadamard) input u, v = (A_main − A_ref)·u, with the transfer periphery, and write it to C:

- ``"pulsed"`` (Tiki-Taka Alg. 1, SHD M2): C ← C + η_c f(v) uᵀ written with the pulsed outer-product update
  of the transfer's :class:`~neurofab.crossbar.update.UpdateConfig` (f(v) = v where |v| ≥ threshold, else 0);
- ``"buffered"`` (TTv2 Alg. 2): H[:, t] += η_c v / Δw_C in a digital buffer H (units of C pulses); where
  |H_it| ≥ 1 one pulse of sign(H_it) is applied to c_it and H_it ← 0 (or sign(H_it)·hysteresis, making the
  same-sign threshold 1 − h and the reversal threshold 1 + h).

Schedule: the batch's outer-product update is written to A first, then the transfers that fell due during the
batch are made in order (for batch 1 this is Alg. 1/2 exactly; for batch B a read sees A up to B − 1 samples
later than the per-sample schedule would). Columns are read in cyclic order t = 0, 1, …, n_in − 1 (⚠ Alg. 2
says "row"; with v = Au a one-hot u reads a column). A one-hot read of k columns is computed on the k columns
only (the same result as the full MVM while the transfer periphery has no input noise; the DAC conversions of
the zero inputs are still counted). Counting: every column read is one ``transfer`` and one ``mvm`` on the
ledger; pulses are counted by the update and the device arrays (``write_pulse``).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import (
    Config,
    ConfigError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    child_seeds,
    make_generator,
    record,
    recording,
    seed_from,
)
from neurofab.core.backend import use_compiled
from neurofab.crossbar.io import IOConfig, analog_mvm
from neurofab.crossbar.tile import AnalogTile, TileConfig
from neurofab.crossbar.update import UpdateConfig, expected_total_and_net, stochastic_update
from neurofab.devices import AnyDevice, DeviceArray
from neurofab.devices.kernels import expected_update as kernel_expected_update

__all__ = [
    "CompoundConfig",
    "CompoundTile",
    "TransferConfig",
    "hadamard_vectors",
    "outer_update",
    "symmetry_point",
    "zero_shift",
]


def outer_update(
    array: DeviceArray, x: torch.Tensor, d: torch.Tensor, lr: float, up: UpdateConfig, generator: torch.Generator
) -> None:
    """W ← W − lr·dᵀx on any device array, in the tile's update modes (x: (B, in), d: (B, out)).

    ``stochastic``: pulse trains, one pulse at a time (:func:`~neurofab.crossbar.update.stochastic_update`);
    ``expected``: the trains' expected up/down coincidences written with one Eq. 3 step (counted on the ledger
    as the rounded expected number of pulses); ``ideal``: floating point, clipped to the bounds.
    """
    if lr == 0:
        return
    if up.mode == "stochastic":
        stochastic_update(array, x, d, lr, up, generator)
        return
    if up.mode == "expected":
        total, net = expected_total_and_net(x, d, lr, array.model.dw_min, up)
        if recording():
            record("write_pulse", round(float(total.sum())))
        compiled = use_compiled(array.w) and array.w.dim() == 2 and hasattr(array, "kernel_args")
        if compiled and up.backend != "torch":
            kernel_expected_update(array, total, net, seed_from(generator))
        else:
            n_up = 0.5 * (total + net)
            array.expected_update(n_up, total - n_up)
        return
    array.set_weights(array.w - lr * (d.T @ x).to(array.w.dtype))


def hadamard_vectors(n: int) -> torch.Tensor:
    """The n rows of the Sylvester-Hadamard matrix of order n (n a power of two), entries ±1."""
    if n <= 0 or n & (n - 1):
        raise ConfigError(f"hadamard read vectors need a power-of-two number of inputs, got {n}")
    h = torch.ones(1, 1)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


def symmetry_point(array: DeviceArray) -> torch.Tensor:
    """Per-device symmetry point w* (Δ⁺(w*) = Δ⁻(w*)): :meth:`DeviceArray.symmetry_point` (0 for a device
    symmetric everywhere, the bound it drifts to for a device whose G has one sign)."""
    return array.symmetry_point()


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
    every: int = Field(1, ge=1, description="samples between two transfers, n_s (τ in SHD) [samples]")
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
    update: UpdateConfig | None = Field(
        None, description="pulsed mode: how f(v)uᵀ is written to C (None: the tile's own update configuration)"
    )

    @model_validator(mode="after")
    def _check(self) -> TransferConfig:
        if self.mode == "buffered" and self.read_vectors != "one_hot":
            raise ValueError("read_vectors = 'hadamard' needs mode = 'pulsed' (TTv2 reads one column at a time)")
        return self


class CompoundConfig(Config):
    """C's device, the references and the transfer of a multi-array tile (A's device is the tile's)."""

    c_device: AnyDevice | None = Field(None, description="device of C (None: the tile's device, as A)")
    gamma: float = Field(0.0, ge=0, description="weight of A in the forward weight, γ (TTv2, SHD: 0) [1]")
    a_reference: Literal["zero", "symmetry_point"] = Field(
        "symmetry_point", description="A_ref: an ideal zero, or A's symmetry point (zero-shifting or analytic)"
    )
    c_reference: Literal["zero", "symmetry_point", "shared"] = Field(
        "shared", description="C_ref: zero, C's own symmetry point (4 devices), or the device of A_ref (3 devices)"
    )
    zero_shift_pairs: int = Field(
        0, ge=0, description="up/down pulse pairs of the zero-shifting calibration (0: the analytic w*) [pairs]"
    )
    zero_shift_mode: Literal["pulse", "expected"] = Field("pulse", description="calibration with noisy pulses or not")
    reference_write_noise: float = Field(
        0.0, ge=0, description="std of the error of copying a calibrated value into a reference [weight units]"
    )
    transfer: TransferConfig = Field(default_factory=TransferConfig, description="A → C transfer")

    @property
    def devices_per_weight(self) -> int:
        """Physical devices per cross-point: A, C and 1 (shared) or 2 references."""
        return 3 if self.c_reference == "shared" else 4


def _three_seeds(seed: Seed) -> list[Any]:
    if isinstance(seed, torch.Generator):
        return [int(torch.randint(0, 2**62, (1,), generator=seed)) for _ in range(3)]
    if seed is None:
        return [None] * 3
    return child_seeds(seed, 3)


class CompoundTile(AnalogTile):
    """An analog tile whose weight is γ(A − A_ref) + (C − C_ref), with transfers from A to C.

    ``CompoundTile(out, in, config, compound, seed)``: ``config`` is the tile's :class:`TileConfig` (A's device,
    forward/backward periphery, the update written to A), ``compound`` the :class:`CompoundConfig`. Everything
    an :class:`AnalogTile` offers works unchanged: ``forward``/``backward`` read W, ``update`` writes the batch
    to A and then makes the transfers due, an installed update rule replaces both. Call :meth:`calibrate` once
    before training (references), then ``set_weights`` to program C.

    State (``state_dict``): A (``array``) and C (``c``) with their generators, the references, H, the tile's
    and the transfer's generators, the sample counter, the next column and the number of column reads.
    ``apply_pulses(counts)`` pulses A (the array that takes the updates).
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        config: TileConfig | None = None,
        compound: CompoundConfig | None = None,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        compound = CompoundConfig() if compound is None else compound
        if not isinstance(compound, CompoundConfig):
            raise InputTypeError(f"compound must be a CompoundConfig, got {type(compound).__name__}")
        s_tile, s_c, s_transfer = _three_seeds(seed)
        super().__init__(out_size, in_size, config, seed=s_tile, dtype=dtype)
        if compound.transfer.read_vectors == "hadamard":
            hadamard_vectors(self.in_size)  # validates the size
        self.compound = compound
        c_model = self.config.device if compound.c_device is None else compound.c_device
        shape = (self.out_size, self.in_size)
        self.c = c_model.build(shape, seed=s_c, dtype=dtype)
        self.transfer_generator = make_generator(s_transfer)
        self.register_buffer("a_ref", torch.zeros(shape, dtype=dtype))
        self.register_buffer("c_ref", torch.zeros(shape, dtype=dtype))
        self.register_buffer("h", torch.zeros(shape, dtype=dtype))
        self.samples = 0
        self.next_column = 0
        self.transfers = 0
        self.calibrated = False

    # ----- state ------------------------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        state = super().get_extra_state()
        state.update(transfer_generator=self.transfer_generator.get_state(),
                     transfer_generator_device=str(self.transfer_generator.device), samples=self.samples,
                     next_column=self.next_column, transfers=self.transfers, calibrated=self.calibrated)
        return state

    def set_extra_state(self, state: dict[str, Any]) -> None:
        super().set_extra_state(state)
        self.transfer_generator = torch.Generator(device=state.get("transfer_generator_device", "cpu"))
        self.transfer_generator.set_state(state["transfer_generator"])
        self.samples, self.next_column = int(state["samples"]), int(state["next_column"])
        self.transfers, self.calibrated = int(state["transfers"]), bool(state["calibrated"])

    def _transfer_gen(self) -> torch.Generator:
        """The transfer's generator, following the arrays to their torch device (deterministically)."""
        dev = self.array.w.device
        if self.transfer_generator.device != dev:
            seed = int(torch.randint(0, 2**62, (1,), generator=self.transfer_generator))
            self.transfer_generator = make_generator(seed, dev)
        return self.transfer_generator

    def extra_repr(self) -> str:
        tc = self.compound.transfer
        return f"{super().extra_repr()}, transfer={tc.mode} every {tc.every}, γ={self.compound.gamma}"

    # ----- calibration --------------------------------------------------------------------------------------
    def _calibrated(self, array: DeviceArray) -> torch.Tensor:
        cfg = self.compound
        if cfg.zero_shift_pairs == 0:
            value = symmetry_point(array)
            array.set_weights(value)
        else:
            zero_shift(array, cfg.zero_shift_pairs, cfg.zero_shift_mode)
            value = array.get_weights().clone()
        if cfg.reference_write_noise > 0:
            value = value + cfg.reference_write_noise * torch.randn(
                value.shape, generator=self._transfer_gen(), dtype=value.dtype, device=value.device
            )
        return value

    def calibrate(self) -> None:
        """Program the references: A (and C for its own reference) to their symmetry points, copies kept.

        Afterwards A reads zero against its reference and C sits at its reference (weight zero): call
        :meth:`set_weights` to program a starting weight. H is cleared.
        """
        cfg = self.compound
        if cfg.a_reference == "symmetry_point":
            self.a_ref.copy_(self._calibrated(self.array))
        else:
            self.a_ref.zero_()
            self.array.set_weights(torch.zeros_like(self.array.w))
        if cfg.c_reference == "shared":
            self.c_ref.copy_(self.a_ref)
        elif cfg.c_reference == "symmetry_point":
            self.c_ref.copy_(self._calibrated(self.c))
        else:
            self.c_ref.zero_()
        self.c.set_weights(self.c_ref.clone())
        self.h.zero_()
        self.calibrated = True

    # ----- weights ----------------------------------------------------------------------------------------------
    def a_weights(self) -> torch.Tensor:
        """A as read against its reference: A_main − A_ref [weight units]."""
        return self.array.get_weights() - self.a_ref

    def c_weights(self) -> torch.Tensor:
        """C as read against its reference: C_main − C_ref [weight units]."""
        return self.c.get_weights() - self.c_ref

    def get_weights(self) -> torch.Tensor:
        """The weight the MVMs see: W = γ·(A_main − A_ref) + (C_main − C_ref), shape (out, in)."""
        w = self.c_weights()
        return w + self.compound.gamma * self.a_weights() if self.compound.gamma != 0 else w

    def set_weights(self, w: torch.Tensor) -> None:
        """Program C so that C_main − C_ref = w (clipped to C's bounds); A and H untouched."""
        w = torch.as_tensor(w, dtype=self.c.w.dtype, device=self.c.w.device)
        if w.shape != (self.out_size, self.in_size):
            expected = (self.out_size, self.in_size)
            raise ShapeError(f"CompoundTile.set_weights: expected {expected}, got {tuple(w.shape)}")
        if not torch.isfinite(w).all():
            raise NumericalError("CompoundTile.set_weights: weights contain NaN or inf")
        self.c.set_weights(w + self.c_ref)

    # ----- update and transfer ---------------------------------------------------------------------------------
    def _update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        if self.update_rule is not None:
            self.update_rule(self, x, d, lr)
            return
        self.sgd_update(x, d, lr)  # the tile's pulsed update, on A
        every = self.compound.transfer.every
        before = self.samples // every
        self.samples += x.shape[0]
        n_transfers = self.samples // every - before
        if n_transfers > 0:
            self.transfer(n_transfers * self.compound.transfer.columns_per_transfer)

    def read_a(self, cols: torch.Tensor) -> torch.Tensor:
        """v = (A_main − A_ref)·u for the read vectors of columns ``cols`` through the transfer periphery: (k, out)."""
        tc = self.compound.transfer
        k = cols.numel()
        gen = self._transfer_gen()
        if tc.read_vectors == "hadamard" or tc.io.inp_noise > 0:
            if tc.read_vectors == "hadamard":
                u = hadamard_vectors(self.in_size)[cols.cpu()]
            else:
                u = torch.nn.functional.one_hot(cols.cpu(), self.in_size)
            return analog_mvm(self.a_weights(), u.to(self.array.w), tc.io, gen)
        a_cols = self.array.get_weights()[:, cols] - self.a_ref[:, cols]
        eye = torch.eye(k, dtype=a_cols.dtype, device=a_cols.device)
        v = analog_mvm(a_cols, eye, tc.io, gen)
        if recording() and not tc.io.is_perfect:
            record("dac_conversion", k * (self.in_size - k), f"{tc.io.inp_bits}b" if tc.io.inp_bits else "analog")
        return v

    def transfer(self, n_columns: int = 1) -> None:
        """Read ``n_columns`` columns of A (cyclically) and write them to C (pulsed or buffered)."""
        tc = self.compound.transfer
        dev = self.array.w.device
        remaining = int(n_columns)
        while remaining > 0:
            k = min(remaining, self.in_size)  # distinct columns per pass
            remaining -= k
            cols = (self.next_column + torch.arange(k, device=dev)) % self.in_size
            self.next_column = int((self.next_column + k) % self.in_size)
            v = self.read_a(cols)
            self.transfers += k
            if recording():
                record("transfer", k)
            if tc.mode == "pulsed":
                if tc.threshold > 0:
                    v = torch.where(v.abs() >= tc.threshold, v, torch.zeros_like(v))
                if tc.read_vectors == "hadamard":
                    u = hadamard_vectors(self.in_size)[cols.cpu()].to(v)
                else:
                    u = torch.nn.functional.one_hot(cols, self.in_size).to(v.dtype)
                up = self.config.update if tc.update is None else tc.update
                outer_update(self.c, u, -v, tc.lr, up, self._transfer_gen())  # C ← C + η_c f(v) uᵀ
            else:
                self._buffered_write(cols, v)

    def _buffered_write(self, cols: torch.Tensor, v: torch.Tensor) -> None:
        """TTv2: H[:, t] += η_c v / Δw_C; single pulses where |H| ≥ 1; H reset (or hysteretic)."""
        tc = self.compound.transfer
        hc = self.h[:, cols] + (tc.lr / self.c.model.dw_min) * v.T.to(self.h.dtype)
        fire = hc.abs() >= 1.0
        sign = torch.sign(hc)
        if bool(fire.any()):
            counts = torch.zeros(self.out_size, self.in_size, dtype=torch.int64, device=self.h.device)
            counts[:, cols] = (sign * fire).to(torch.int64)
            self.c.pulse(counts, self._transfer_gen())
            hc = torch.where(fire, sign * tc.hysteresis, hc)
        self.h[:, cols] = hc
