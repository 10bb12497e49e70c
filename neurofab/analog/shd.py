"""Stochastic Hamiltonian descent (SHD, Onen, Gokmen et al. 2022) and the one-parameter dynamics behind it.

SHD keeps each weight on three devices (asymmetric-shd note): A_main (a fast gradient accumulator), A_ref (a
static reference programmed to A's symmetry point by zero-shifting) and C_main (the weight), read as
C_main − A_ref. A takes the SGD updates, and every τ samples one column of A − A_ref is added to C:

    Ȧ = −η_A[∂E/∂C + ε] − η_A κ_A |∂E/∂C + ε| (A_main − A_sym)       (Eq. 3)
    Ċ = η_C (A_main − A_ref)                                         (Eq. 4, ⚠ sign, see the note)

C is a position and A a velocity: with A_ref = A_sym the device asymmetry acts as a drag force on A, so the
pair spirals into the minimum; on a perfectly symmetric device there is no drag and it orbits for ever.
:func:`shd_config` builds that as a :class:`~neurofab.crossbar.compound.CompoundConfig` (and the original
4-device Tiki-Taka with ``four_devices=True``). :func:`single_parameter_sgd` and :func:`single_parameter_shd`
run the scalar problems E = ½(W − W₀)² of Figs. 1–2, vectorized over many independent runs (one device each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from neurofab.analog.decomposition import stochastic_round
from neurofab.core import ConfigError, Seed, ShapeError, make_generator
from neurofab.crossbar import IOConfig
from neurofab.crossbar.compound import CompoundConfig, TransferConfig
from neurofab.devices import AnyDevice, DeviceArray, PulsedDevice

__all__ = ["PhaseTrajectory", "shd_config", "single_parameter_sgd", "single_parameter_shd"]


def shd_config(
    lr_c: float,
    every: int = 1,
    c_device: AnyDevice | None = None,
    four_devices: bool = False,
    zero_shift_pairs: int = 0,
    threshold: float = 0.0,
    io: IOConfig | None = None,
    columns_per_transfer: int = 1,
) -> CompoundConfig:
    """SHD (3 devices: A_main, A_ref = A's symmetry point, C_main read against A_ref; γ = 0), or with
    ``four_devices`` the original Tiki-Taka layout (C read against its own zero-shifted reference C_ref).

    ``lr_c`` is η_C (weight written to C per unit of A read), ``every`` is τ [samples]; A's device is the tile's.
    """
    return CompoundConfig(
        c_device=c_device,
        gamma=0.0,
        a_reference="symmetry_point",
        c_reference="symmetry_point" if four_devices else "shared",
        zero_shift_pairs=zero_shift_pairs,
        transfer=TransferConfig(
            mode="pulsed", lr=lr_c, every=every, threshold=threshold, io=io if io is not None else IOConfig(),
            columns_per_transfer=columns_per_transfer,
        ),
    )


def _write(array: DeviceArray, dw: torch.Tensor, mode: str, gen: torch.Generator) -> None:
    """Change ``array`` by ``dw`` [weight units]: stochastic-rounded pulses, or the Eq. 3 expectation."""
    r = dw / array.model.dw_min
    if mode == "pulse":
        array.pulse(stochastic_round(r.to(torch.float64), gen).reshape(array.shape), gen)
    else:
        array.expected_update(torch.clamp(r, min=0), torch.clamp(-r, min=0))


def _check(target: torch.Tensor, array: DeviceArray) -> torch.Tensor:
    target = torch.as_tensor(target, dtype=array.w.dtype)
    if target.shape != array.w.shape:
        raise ShapeError(f"target shape {tuple(target.shape)} must equal the device array's {tuple(array.w.shape)}")
    return target


def single_parameter_sgd(
    array: DeviceArray,
    target: torch.Tensor,
    steps: int,
    lr: float,
    noise: float,
    mode: Literal["pulse", "expected"] = "pulse",
    seed: Seed = 0,
    record_every: int = 0,
) -> torch.Tensor:
    """SGD on E = ½(W − W₀)² with gradient noise ε ~ N(0, noise²), W the device weight (Eq. 2, Fig. 1).

    Each step writes ΔW = −lr (W − W₀ + ε) to every device of ``array`` (one independent run per device).
    Returns the weights every ``record_every`` steps (T × shape), or the final weights when 0.
    """
    if steps < 0 or lr <= 0 or noise < 0:
        raise ConfigError(f"single_parameter_sgd: steps = {steps} ≥ 0, lr = {lr} > 0, noise = {noise} ≥ 0 required")
    target = _check(target, array)
    gen = make_generator(seed)
    out = []
    for t in range(steps):
        eps = noise * torch.randn(array.shape, generator=gen, dtype=array.w.dtype)
        _write(array, -lr * (array.get_weights() - target + eps), mode, gen)
        if record_every and (t + 1) % record_every == 0:
            out.append(array.get_weights().clone())
    return torch.stack(out) if record_every else array.get_weights().clone()


@dataclass
class PhaseTrajectory:
    """SHD trajectory of one-parameter problems: C − C₀ (position) and A − A_ref (velocity) per recorded step."""

    position: torch.Tensor
    velocity: torch.Tensor
    lr_a: float
    lr_c: float

    def energy(self) -> torch.Tensor:
        """η_A (C − C₀)² + η_C (A − A_ref)²: conserved by the undamped dynamics Ȧ = −η_A(C − C₀), Ċ = η_C A."""
        return self.lr_a * self.position**2 + self.lr_c * self.velocity**2


def single_parameter_shd(
    a: DeviceArray,
    c: DeviceArray,
    a_ref: torch.Tensor,
    target: torch.Tensor,
    steps: int,
    lr_a: float,
    lr_c: float,
    noise: float = 0.0,
    every: int = 1,
    mode: Literal["pulse", "expected"] = "expected",
    seed: Seed = 0,
) -> PhaseTrajectory:
    """SHD on E = ½(W − W₀)², W = C − A_ref: A ← A − η_A(W − W₀ + ε); every τ steps C ← C + η_C (A − A_ref).

    ``target`` is W₀ per run. Returns the (W − W₀, A − A_ref) trajectory (one row per step).
    """
    if steps < 0 or lr_a <= 0 or lr_c <= 0 or every < 1:
        raise ConfigError(f"single_parameter_shd: steps={steps}, lr_a={lr_a}, lr_c={lr_c}, every={every} out of range")
    if not isinstance(a.model, PulsedDevice) or a.shape != c.shape:
        raise ShapeError(f"A {a.shape} and C {c.shape} must be device arrays of one shape")
    target = _check(target, a)
    a_ref = _check(a_ref, a)
    gen = make_generator(seed)
    pos, vel = [], []
    for t in range(steps):
        w = c.get_weights() - a_ref
        eps = noise * torch.randn(a.shape, generator=gen, dtype=a.w.dtype) if noise > 0 else 0.0
        _write(a, -lr_a * (w - target + eps), mode, gen)
        if (t + 1) % every == 0:
            _write(c, lr_c * (a.get_weights() - a_ref), mode, gen)
        pos.append(c.get_weights() - a_ref - target)
        vel.append(a.get_weights() - a_ref)
    return PhaseTrajectory(torch.stack(pos), torch.stack(vel), lr_a, lr_c)
