"""An analog tile: one crossbar array of pulsed devices with its periphery.

``AnalogTile(out_size, in_size, config)`` holds a :class:`~neurofab.devices.DeviceArray` of shape
(out_size, in_size) and offers

- ``forward(x)``: y = W x through the forward IO model (DAC, noise, ADC, noise/bound management), x: (B, in);
- ``backward(d)`` (alias ``transpose``): z = Wᵀ δ through the backward IO model, δ: (B, out);
- ``update(x, d, lr)``: W ← W − lr·δᵀx. By default the configured pulsed update
  (:mod:`neurofab.crossbar.update`); an optimizer can replace it with :meth:`set_update_rule`
  (a callable ``rule(tile, x, d, lr)``; an ``nn.Module`` rule is registered as a submodule so its state is
  saved with the tile);
- ``apply_pulses(counts)``: a signed pulse count per device, applied one pulse at a time;
- ``get_weights()`` (what a read sees) / ``set_weights(w)`` (programmed directly, clipped to the bounds).

Randomness: the tile's own generator (IO noise, pulse trains) and the device array's (c2c, write noise),
both seeded from the tile's seed and saved in ``state_dict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from pydantic import Field
from torch import nn

from neurofab.core import (
    Config,
    InputTypeError,
    Seed,
    ShapeError,
    child_seeds,
    make_generator,
    record,
    recording,
    seed_from,
)
from neurofab.core.backend import use_compiled
from neurofab.crossbar.io import IOConfig, analog_mvm, check_input
from neurofab.crossbar.update import UpdateConfig, expected_total_and_net, stochastic_update
from neurofab.devices import AnyDevice, ConstantStep
from neurofab.devices.kernels import expected_update as kernel_expected_update

__all__ = ["AnalogTile", "TileConfig", "UpdateRule"]

UpdateRule = Callable[["AnalogTile", torch.Tensor, torch.Tensor, float], None]


class TileConfig(Config):
    """Everything that defines a tile: the device, the two IO directions, the update, the tile size limit.

    Defaults are aihwkit 1.1's ``SingleRPUConfig`` (ConstantStep device, forward and backward
    ``IOParameters``, bound management only forward, stochastic compressed pulse trains).
    """

    device: AnyDevice = Field(default_factory=ConstantStep, description="the pulsed device of every cross-point")
    forward: IOConfig = Field(default_factory=IOConfig, description="periphery of the forward MVM")
    backward: IOConfig = Field(
        default_factory=lambda: IOConfig(bound_management="none"), description="periphery of the transpose MVM"
    )
    update: UpdateConfig = Field(default_factory=UpdateConfig, description="how updates are written")
    max_input_size: int = Field(512, gt=0, description="largest number of tile columns (inputs) [devices]")
    max_output_size: int = Field(512, gt=0, description="largest number of tile rows (outputs) [devices]")

    @classmethod
    def ideal(cls) -> TileConfig:
        """Perfect IO both ways and floating-point updates: an analog layer that equals a digital one."""
        from neurofab.devices import IdealDevice

        perfect = IOConfig.perfect()
        return cls(device=IdealDevice(), forward=perfect, backward=perfect, update=UpdateConfig(mode="ideal"))


def _seeds(seed: Seed, n: int) -> list[Any]:
    if isinstance(seed, torch.Generator):
        return [int(torch.randint(0, 2**62, (1,), generator=seed)) for _ in range(n)]
    if seed is None:
        return [None] * n
    return child_seeds(seed, n)


class AnalogTile(nn.Module):
    """One crossbar array with periphery (see the module docstring)."""

    def __init__(
        self,
        out_size: int,
        in_size: int,
        config: TileConfig | None = None,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        config = TileConfig() if config is None else config
        if not isinstance(config, TileConfig):
            raise InputTypeError(f"config must be a TileConfig, got {type(config).__name__}")
        if out_size > config.max_output_size or in_size > config.max_input_size:
            raise ShapeError(
                f"tile {out_size}×{in_size} exceeds the maximum {config.max_output_size}×{config.max_input_size};"
                " use TileArray to split it"
            )
        self.config = config
        self.out_size, self.in_size = int(out_size), int(in_size)
        device_seed, io_seed = _seeds(seed, 2)
        self.array = config.device.build((self.out_size, self.in_size), seed=device_seed, dtype=dtype)
        self.generator = make_generator(io_seed)
        self.update_rule: UpdateRule | None = None

    # ----- state ----------------------------------------------------------------------------------------
    def _gen(self) -> torch.Generator:
        dev = self.array.w.device
        if self.generator.device != dev:
            self.generator = make_generator(int(torch.randint(0, 2**62, (1,), generator=self.generator)), dev)
        return self.generator

    def get_extra_state(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "generator_device": str(self.generator.device)}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.generator = torch.Generator(device=state.get("generator_device", "cpu"))
        self.generator.set_state(state["generator"])

    def extra_repr(self) -> str:
        return f"{self.out_size}×{self.in_size}, device={type(self.config.device).__name__}"

    def get_weights(self) -> torch.Tensor:
        """The weights a read sees [weight units], shape (out, in)."""
        return self.array.get_weights()

    def set_weights(self, w: torch.Tensor) -> None:
        """Program the weights (clipped to each device's bounds)."""
        self.array.set_weights(w)

    # ----- MVMs -------------------------------------------------------------------------------------------
    def _check(self, v: torch.Tensor, n: int, what: str) -> torch.Tensor:
        if not isinstance(v, torch.Tensor):
            raise InputTypeError(f"{what}: expected a torch.Tensor, got {type(v).__name__}")
        if v.dim() != 2 or v.shape[1] != n:
            raise ShapeError(f"{what}: expected shape (batch, {n}), got {tuple(v.shape)}")
        check_input(v, what)
        return v.to(self.array.w.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = W x for every row of x (B, in) through the forward periphery; returns (B, out)."""
        return self._forward(self._check(x, self.in_size, "AnalogTile.forward"))

    def backward(self, d: torch.Tensor) -> torch.Tensor:
        """z = Wᵀ δ for every row of δ (B, out) through the backward periphery; returns (B, in)."""
        return self._backward(self._check(d, self.out_size, "AnalogTile.backward"))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return analog_mvm(self.get_weights(), x, self.config.forward, self._gen())

    def _backward(self, d: torch.Tensor) -> torch.Tensor:
        return analog_mvm(self.get_weights(), d, self.config.backward, self._gen(), transposed=True)

    transpose = backward

    # ----- updates -----------------------------------------------------------------------------------------
    def set_update_rule(self, rule: UpdateRule | None) -> None:
        """Replace the update rule (None restores the configured pulsed SGD)."""
        if rule is not None and not callable(rule):
            raise InputTypeError(f"update rule must be callable(tile, x, d, lr), got {type(rule).__name__}")
        if "update_rule" in self._modules:
            del self._modules["update_rule"]
        self.__dict__.pop("update_rule", None)
        if isinstance(rule, nn.Module):
            self.add_module("update_rule", rule)
        else:
            object.__setattr__(self, "update_rule", rule)

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        """W ← W − lr·δᵀx for a batch (x: (B, in), δ: (B, out)), through the tile's update rule."""
        x = self._check(x, self.in_size, "AnalogTile.update x")
        d = self._check(d, self.out_size, "AnalogTile.update d")
        if x.shape[0] != d.shape[0]:
            raise ShapeError(f"AnalogTile.update: x has {x.shape[0]} rows but d has {d.shape[0]}")
        if not (isinstance(lr, int | float) and lr >= 0 and lr == lr):
            raise InputTypeError(f"AnalogTile.update: lr must be a number >= 0, got {lr!r}")
        self._update(x, d, float(lr))

    def _update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        rule = self.update_rule
        if rule is None:
            self.sgd_update(x, d, lr)
        else:
            rule(self, x, d, lr)

    def sgd_update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        """The configured update (stochastic pulse trains, expected value, or ideal float)."""
        if lr == 0:
            return
        up = self.config.update
        if up.mode == "stochastic":
            stochastic_update(self.array, x, d, lr, up, self._gen())
        elif up.mode == "expected":
            total, net = expected_total_and_net(x, d, lr, self.config.device.dw_min, up)
            if recording():
                record("write_pulse", float(total.sum()))  # the expected number of pulses (not an integer)
            if use_compiled(self.array.w) and up.backend != "torch" and hasattr(self.array, "kernel_args"):
                kernel_expected_update(self.array, total, net, seed_from(self._gen()))
            else:
                n_up = 0.5 * (total + net)
                self.array.expected_update(n_up, total - n_up)
        else:
            self.array.set_weights(self.array.w - lr * (d.T @ x))

    def apply_pulses(self, counts: torch.Tensor) -> None:
        """A signed integer pulse count per device (out, in), applied one pulse at a time."""
        self.array.pulse(counts, backend="auto" if use_compiled(self.array.w) else "torch")
