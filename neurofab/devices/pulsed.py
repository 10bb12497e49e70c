"""The pulsed synaptic device: one model (a config) and the state of a whole array of such devices (tensors).

A *pulsed device* changes its weight by one discrete step per programming pulse. The step depends on the
direction (up = potentiation, down = depression), on the present weight (saturation, nonlinearity), on the
device (device-to-device, d2d, variation drawn once) and on the pulse (cycle-to-cycle, c2c, noise drawn anew
for every pulse). Gokmen's Eq. 2 (ttv2 note) writes one pulse as

    w ← w ∓ Δw_min·F(w) − |Δw_min|·G(w)                                                   (Eq. 2)

with F the symmetric and G the antisymmetric part of the response; its expectation over many small pulses is

    w ← w + η[δx]·F(w) − η|δx|·G(w)                                                        (Eq. 3)

With Δ⁺(w), Δ⁻(w) the up and down step magnitudes: F = (Δ⁺ + Δ⁻)/(2Δw_min), G = (Δ⁻ − Δ⁺)/(2Δw_min).

Weights here are in normalised *weight units* (dimensionless, like aihwkit's): the crossbar's mapping turns
them into conductances (siemens). Sign convention throughout neurofab: a positive pulse count moves the
weight up.

:class:`PulsedDevice` holds the parameters common to every family (names and defaults follow IBM aihwkit's
``PulsedDevice``, marked "aihwkit default" where a value is theirs); subclasses in
:mod:`neurofab.devices.models` add the step formula. :meth:`PulsedDevice.build` draws the d2d parameters for
an array and returns a :class:`DeviceArray` that owns them with the state.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import (
    Config,
    ConfigError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    make_generator,
    record,
    recording,
    seed_from,
)

__all__ = ["DeviceArray", "PulsedDevice"]


class PulsedDevice(Config):
    """Parameters shared by every pulsed-device family (defaults: aihwkit 1.1 ``PulsedDevice`` defaults).

    d2d draws (once per device, ξ standard normal, aihwkit's ``populate`` semantics):

    - bounds ``b_max = w_max (1 + w_max_dtod ξ)``, ``b_min = w_min (1 + w_min_dtod ξ)``;
    - step sizes ``Δw⁺ = dw_min (1 + min(up_down, 0) + dw_min_dtod ξ₁ + up_down_dtod ξ₂)``,
      ``Δw⁻ = dw_min (1 − max(up_down, 0) + dw_min_dtod ξ₁ − up_down_dtod ξ₂)``;
    - with ``enforce_consistency`` the steps are made positive and the bounds put on their own side of zero.

    c2c: every pulse's step is multiplied by ``(1 + dw_min_std ξ)`` (families with additive noise say so).
    """

    dw_min: float = Field(0.001, gt=0, description="mean step size per pulse at w = 0 [weight units] (aihwkit default)")
    dw_min_dtod: float = Field(0.3, ge=0, description="d2d spread of dw_min, relative [1] (aihwkit default)")
    dw_min_std: float = Field(0.3, ge=0, description="c2c noise of each step, relative [1] (aihwkit default)")
    up_down: float = Field(0.0, gt=-1, lt=1, description="systematic up/down asymmetry of the step, relative [1]")
    up_down_dtod: float = Field(0.01, ge=0, description="d2d spread of the up/down asymmetry [1] (aihwkit default)")
    w_min: float = Field(-0.6, le=0, description="mean lower bound of the weight [weight units] (aihwkit default)")
    w_max: float = Field(0.6, ge=0, description="mean upper bound of the weight [weight units] (aihwkit default)")
    w_min_dtod: float = Field(0.3, ge=0, description="d2d spread of w_min, relative [1] (aihwkit default)")
    w_max_dtod: float = Field(0.3, ge=0, description="d2d spread of w_max, relative [1] (aihwkit default)")
    write_noise_std: float = Field(
        0.0, ge=0, description="std of the read-visible write noise redrawn at every write, in units of dw_min [1]"
    )
    reset: float = Field(0.0, description="mean weight a reset returns the device to [weight units]")
    reset_dtod: float = Field(0.0, ge=0, description="d2d spread of the reset value [weight units]")
    reset_std: float = Field(0.01, ge=0, description="c2c spread of each reset [weight units] (aihwkit default)")
    enforce_consistency: bool = Field(True, description="make drawn steps positive and bounds straddle zero")

    @model_validator(mode="after")
    def _check_bounds(self) -> PulsedDevice:
        if not self.w_min < self.w_max:
            raise ValueError(f"w_min = {self.w_min} must be < w_max = {self.w_max} (bounds reversed or empty)")
        return self

    # ----- family interface (overridden in models.py) ------------------------------------------
    #: names of the extra per-device parameter tensors a family draws
    extra_params: ClassVar[tuple[str, ...]] = ()
    #: True when the c2c noise is additive (dw·σ·ξ independent of the state-dependent factor)
    additive_noise: ClassVar[bool] = False

    def draw_extra(self, base: dict[str, torch.Tensor], gen: torch.Generator) -> dict[str, torch.Tensor]:
        """Family-specific d2d parameters, drawn after the common ones (override)."""
        return {}

    def steps(self, w: torch.Tensor, p: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Deterministic magnitudes (Δ⁺(w), Δ⁻(w)) of one up and one down pulse at state ``w`` [weight units].

        ``p`` holds the per-device parameters, broadcastable to ``w``. The base is a constant step.
        """
        return p["dw_up"].expand_as(w), p["dw_down"].expand_as(w)

    def noise_std(
        self, w: torch.Tensor, p: dict[str, torch.Tensor], up: torch.Tensor, down: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Std of the c2c noise of one up / one down pulse [weight units] (default: dw_min_std × step)."""
        if self.additive_noise:
            return self.dw_min_std * p["dw_up"].expand_as(w), self.dw_min_std * p["dw_down"].expand_as(w)
        return self.dw_min_std * up, self.dw_min_std * down

    @property
    def has_c2c(self) -> bool:
        """Whether pulses carry cycle-to-cycle noise."""
        return self.dw_min_std > 0

    def symmetry_point_closed_form(self, p: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """w* where Δ⁺(w*) = Δ⁻(w*) when a closed form exists (override), else None (found numerically)."""
        return None

    # ----- derived numbers -----------------------------------------------------------------------
    @property
    def n_states(self) -> float:
        """Nominal number of states: range / dw_min (ttv2 note: 2/(μ_s μ_Δw) for the TTv2 array model)."""
        return (self.w_max - self.w_min) / self.dw_min

    @property
    def write_noise(self) -> float:
        """Write-noise std in weight units (write_noise_std · dw_min, aihwkit's scaling)."""
        return self.write_noise_std * self.dw_min

    def build(
        self,
        shape: tuple[int, ...] | torch.Size,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> DeviceArray:
        """Draw the d2d parameters of an array of ``shape`` devices and return it, weights at zero."""
        return DeviceArray(self, shape, seed=seed, dtype=dtype, device=device)

    def draw_params(self, shape: tuple[int, ...], gen: torch.Generator, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """All per-device parameters (d2d) of an array, drawn from ``gen`` on the CPU."""

        def randn() -> torch.Tensor:
            return torch.randn(shape, generator=gen, dtype=torch.float64)

        w_max = self.w_max * (1 + self.w_max_dtod * randn())
        w_min = self.w_min * (1 + self.w_min_dtod * randn())
        gain = 1 + self.dw_min_dtod * randn()
        r = self.up_down_dtod * randn()
        up_bias = min(self.up_down, 0.0)
        down_bias = -max(self.up_down, 0.0)
        dw_up = (up_bias + gain + r) * self.dw_min
        dw_down = (down_bias + gain - r) * self.dw_min
        if self.enforce_consistency:
            dw_up, dw_down = dw_up.abs(), dw_down.abs()
            lo, hi = torch.minimum(w_min, w_max), torch.maximum(w_min, w_max)
            w_min, w_max = -lo.abs(), hi.abs()
        else:
            swap = w_min > w_max
            mid = 0.5 * (w_min + w_max)
            w_min, w_max = torch.where(swap, mid, w_min), torch.where(swap, mid, w_max)
        reset_bias = self.reset + self.reset_dtod * randn()
        base = {"w_min": w_min, "w_max": w_max, "dw_up": dw_up, "dw_down": dw_down, "reset_bias": reset_bias}
        extra = self.draw_extra(base, gen)
        params = {k: v.to(dtype) for k, v in {**base, **extra}.items()}
        for k, v in params.items():  # a drawn parameter the dtype cannot hold would give NaN weights later
            exact = {**base, **extra}[k]
            lost = ~torch.isfinite(v) | ((v == 0) & (exact != 0))
            if bool(lost.any()):
                raise ConfigError(f"{type(self).__name__}: drawn {k} is not representable in {dtype} for "
                                  f"{int(lost.sum())} device(s) (values like {float(exact[lost][0]):.3g}); "
                                  "rescale the weight units or use float64")
        return params


class DeviceArray(nn.Module):
    """An array of pulsed devices: the state ``w`` and every drawn d2d parameter, as tensors on one object.

    Buffers (moved by ``.to(device)``, saved by ``state_dict`` together with the generator state):
    ``w`` (persistent weight), ``w_read`` (what a read sees: ``w`` plus write noise, when there is any) and one
    buffer per parameter (``w_min``, ``w_max``, ``dw_up``, ``dw_down``, ``reset_bias`` and the family's extras).

    Public operations, all vectorized over the array:

    - :meth:`pulse` — a signed integer number of pulses per device, applied one pulse at a time (saturation and
      c2c noise act per pulse);
    - :meth:`expected_update` — the deterministic expected change for real-valued numbers of up and down
      pulses (Eq. 3), no noise;
    - :meth:`steps`, :meth:`F`, :meth:`G`, :meth:`symmetry_point`, :meth:`n_states`;
    - :meth:`set_weights` / :meth:`get_weights`, :meth:`reset`.
    """

    def __init__(
        self,
        model: PulsedDevice,
        shape: tuple[int, ...] | torch.Size,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> None:
        super().__init__()
        if not isinstance(model, PulsedDevice):
            raise InputTypeError(f"model must be a PulsedDevice config, got {type(model).__name__}")
        shape = tuple(int(s) for s in shape)
        if any(s <= 0 for s in shape):
            raise ShapeError(f"device array shape must be positive, got {shape}")
        self.model = model
        self.shape = shape
        self.generator = make_generator(seed)
        params = model.draw_params(shape, self.generator, dtype)
        self.param_names = tuple(params)
        for name, value in params.items():
            self.register_buffer(name, value.to(device))
        self.register_buffer("w", torch.zeros(shape, dtype=dtype, device=device))
        self.register_buffer("w_read", torch.zeros(shape, dtype=dtype, device=device) if self.has_write_noise else None)
        self.set_weights(torch.zeros(shape, dtype=dtype))

    # ----- bookkeeping -----------------------------------------------------------------------------
    @property
    def has_write_noise(self) -> bool:
        return self.model.write_noise_std > 0

    @property
    def params(self) -> dict[str, torch.Tensor]:
        """The per-device parameter tensors by name."""
        return {n: getattr(self, n) for n in self.param_names}

    def _gen(self, generator: torch.Generator | None) -> torch.Generator:
        gen = generator if generator is not None else self.generator
        if gen.device != self.w.device:
            if generator is None:  # follow the array to its device, deterministically
                self.generator = make_generator(int(torch.randint(0, 2**62, (1,), generator=gen)), self.w.device)
                gen = self.generator
            else:
                raise InputTypeError(f"generator on {gen.device} but the device array is on {self.w.device}")
        return gen

    def kernel_args(self) -> tuple:
        """(w, w_read, packed parameters, constants, family code) for the compiled kernels (CPU only).

        The packed array holds (w_min, w_max, dw_up, dw_down, extra1, extra2) per device, contiguous, so a
        pulse touches one cache line of parameters. It is rebuilt when any buffer changes (storage or version).
        """
        buffers = self._buffers
        w, w_read = buffers["w"], buffers["w_read"]
        key = [w.data_ptr(), w.dtype, None if w_read is None else w_read.data_ptr()]
        for name in self.param_names:
            b = buffers[name]
            key += (b.data_ptr(), b._version)
        cached = self.__dict__.get("_kernel_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        from neurofab.devices.kernels import kernel_spec

        code, e1, e2, consts = kernel_spec(self.model, self.params)
        p = self.params
        packed = torch.stack([p["w_min"], p["w_max"], p["dw_up"], p["dw_down"], e1, e2], dim=-1).contiguous()
        w_read = self.w_read if self.w_read is not None else self.w
        args = (self.w.numpy(), w_read.numpy(), packed.numpy(), consts, code)
        self.__dict__["_kernel_cache"] = (key, args)
        return args

    def get_extra_state(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "generator_device": str(self.generator.device)}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.generator = torch.Generator(device=state.get("generator_device", "cpu"))
        self.generator.set_state(state["generator"])

    def extra_repr(self) -> str:
        return f"{type(self.model).__name__}, shape={self.shape}"

    # ----- reading and writing ---------------------------------------------------------------------
    def get_weights(self) -> torch.Tensor:
        """The weights a read sees (write noise included) [weight units]."""
        w_read = self._buffers["w_read"]
        return w_read if w_read is not None else self._buffers["w"]

    def set_weights(self, w: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Program the weights directly (clipped to each device's bounds); write noise is redrawn."""
        w = torch.as_tensor(w, dtype=self.w.dtype, device=self.w.device)
        if w.shape != self.w.shape:
            raise ShapeError(f"set_weights: expected shape {tuple(self.w.shape)}, got {tuple(w.shape)}")
        if not torch.isfinite(w).all():
            raise NumericalError("set_weights: weights contain NaN or inf")
        self.w.copy_(torch.clamp(w, self.w_min, self.w_max))
        self._refresh_read(None, generator)

    def _refresh_read(self, index: torch.Tensor | None, generator: torch.Generator | None) -> None:
        """Redraw the write noise of the devices at flat ``index`` (all when None)."""
        if self.w_read is None:
            return
        gen = self._gen(generator)
        std = self.model.write_noise
        if index is None:
            noise = torch.randn(self.shape, generator=gen, device=self.w.device, dtype=self.w.dtype)
            self.w_read.copy_(self.w + std * noise)
        else:
            noise = std * torch.randn(index.shape, generator=gen, device=self.w.device, dtype=self.w.dtype)
            self.w_read.view(-1)[index] = self.w.view(-1)[index] + noise

    def reset(self, mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> None:
        """Return devices (all, or where ``mask``) to their reset value ``reset_bias + reset_std ξ``, clipped."""
        gen = self._gen(generator)
        new = self.reset_bias + self.model.reset_std * torch.randn(
            self.shape, generator=gen, device=self.w.device, dtype=self.w.dtype
        )
        new = torch.clamp(new, self.w_min, self.w_max)
        if mask is None:
            self.w.copy_(new)
            self._refresh_read(None, gen)
        else:
            mask = torch.as_tensor(mask, dtype=torch.bool, device=self.w.device).expand(self.shape)
            self.w.copy_(torch.where(mask, new, self.w))
            self._refresh_read(mask.view(-1).nonzero().flatten(), gen)

    # ----- response functions ----------------------------------------------------------------------
    def steps(self, w: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(Δ⁺, Δ⁻): magnitude of one noise-free up and down pulse at ``w`` (default: the present state)."""
        return self.model.steps(self.w if w is None else w, self.params)

    def F(self, w: torch.Tensor | None = None) -> torch.Tensor:
        """Symmetric part of the response (Eq. 2–3): (Δ⁺ + Δ⁻) / (2 dw_min)."""
        up, down = self.steps(w)
        return (up + down) / (2 * self.model.dw_min)

    def G(self, w: torch.Tensor | None = None) -> torch.Tensor:
        """Antisymmetric part of the response (Eq. 2–3): (Δ⁻ − Δ⁺) / (2 dw_min); zero at the symmetry point."""
        up, down = self.steps(w)
        return (down - up) / (2 * self.model.dw_min)

    def n_states(self) -> torch.Tensor:
        """Per-device number of states: (b_max − b_min) / mean step at w = 0."""
        zero = torch.zeros_like(self.w)
        up, down = self.steps(zero)
        return (self.w_max - self.w_min) / (0.5 * (up + down))

    def symmetry_point(self, iterations: int = 60) -> torch.Tensor:
        """Per-device w* with Δ⁺(w*) = Δ⁻(w*): closed form where the family has one, else bisection on G.

        Devices whose G does not change sign inside their bounds get the bound G pushes them to. A device
        whose G is zero at both bounds (a symmetric constant step: every state is symmetric) gets 0, the
        state a reference is normally programmed to, clipped to its bounds.
        """
        flat = (self.G(self.w_min) == 0) & (self.G(self.w_max) == 0)
        zero = torch.clamp(torch.zeros_like(self.w), self.w_min, self.w_max)
        closed = self.model.symmetry_point_closed_form(self.params)
        if closed is not None:
            return torch.where(flat, zero, torch.clamp(closed, self.w_min, self.w_max))
        lo, hi = self.w_min.clone(), self.w_max.clone()
        g_lo = self.G(lo)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            g_mid = self.G(mid)
            same = torch.sign(g_mid) == torch.sign(g_lo)
            lo = torch.where(same, mid, lo)
            hi = torch.where(same, hi, mid)
            g_lo = torch.where(same, g_mid, g_lo)
        return torch.where(flat, zero, 0.5 * (lo + hi))

    # ----- updates -----------------------------------------------------------------------------------
    def pulse(self, counts: torch.Tensor, generator: torch.Generator | None = None, backend: str = "auto") -> None:
        """Apply ``counts[i]`` pulses to device ``i`` (positive: up, negative: down), one pulse at a time.

        Each pulse draws its own c2c noise and is clipped to the device's bounds, so saturation and noise act
        per pulse. Only devices with a non-zero count are touched. ``backend``: ``"numba"`` (compiled loop,
        CPU), ``"torch"`` (vectorized over a compact, shrinking active set; any torch device) or ``"auto"``
        (numba on CPU).
        """
        if backend not in ("auto", "numba", "torch"):
            raise InputTypeError(f"pulse: backend must be 'auto', 'numba' or 'torch', got {backend!r}")
        counts = torch.as_tensor(counts, device=self.w.device)
        if counts.shape != self.w.shape:
            raise ShapeError(f"pulse: counts must have shape {tuple(self.w.shape)}, got {tuple(counts.shape)}")
        if counts.is_floating_point():
            if not torch.isfinite(counts).all() or not torch.equal(counts, counts.round()):
                raise InputTypeError("pulse: counts must be integers (round or sample them first)")
        counts = counts.to(torch.int64).view(-1)
        index = counts.nonzero().flatten()
        if index.numel() == 0:
            return
        n = counts[index]
        if recording():
            record("write_pulse", int(n.abs().sum()))
        gen = self._gen(generator)
        if backend == "numba" or (backend == "auto" and self.w.device.type == "cpu"):
            if self.w.device.type != "cpu":
                raise InputTypeError("pulse: the numba backend runs on CPU tensors only")
            from neurofab.devices.kernels import apply_counts

            apply_counts(self, index, n, seed_from(gen))
        else:
            self._apply_runs(index, n, gen)

    def _apply_runs(self, index: torch.Tensor, n: torch.Tensor, gen: torch.Generator) -> None:
        """Run ``|n|`` same-sign pulses on each device at flat ``index`` (compact, shrinking active set)."""
        w_flat = self.w.view(-1)
        p = {k: v.view(-1)[index] for k, v in self.params.items()}
        w = w_flat[index]
        remaining = n.abs()
        positive = n > 0
        noisy = self.model.has_c2c
        live = torch.arange(index.numel(), device=w.device)
        while live.numel() > 0:
            pl = {k: v[live] for k, v in p.items()}
            wl = w[live]
            pos = positive[live]
            up, down = self.model.steps(wl, pl)
            step = torch.where(pos, up, down)
            if noisy:
                nup, ndown = self.model.noise_std(wl, pl, up, down)
                std = torch.where(pos, nup, ndown)
                step = step + std * torch.randn(wl.shape, generator=gen, device=wl.device, dtype=wl.dtype)
            wl = torch.where(pos, wl + step, wl - step)
            w[live] = torch.minimum(torch.maximum(wl, pl["w_min"]), pl["w_max"])
            remaining[live] -= 1
            live = live[remaining[live] > 0]
        w_flat[index] = w
        self._refresh_read(index, gen)

    def expected_update(self, n_up: torch.Tensor, n_down: torch.Tensor) -> None:
        """Deterministic expected change for ``n_up`` up and ``n_down`` down pulses (real-valued, ≥ 0).

        Eq. 3 as one explicit Euler step from the present state: ``w += n_up·Δ⁺(w) − n_down·Δ⁻(w)``, then
        clipped. Exact for a constant step away from the bounds; for a state-dependent step the error of
        ``n`` pulses is O(n²·Δ·|dΔ/dw|) (second order), e.g. < 0.5 % of the change for n·dw_min/range < 1 %.
        """
        n_up = torch.as_tensor(n_up, dtype=self.w.dtype, device=self.w.device)
        n_down = torch.as_tensor(n_down, dtype=self.w.dtype, device=self.w.device)
        up, down = self.steps()
        new = self.w + n_up * up - n_down * down
        self.w.copy_(torch.minimum(torch.maximum(new, self.w_min), self.w_max))
        if self.w_read is not None:
            touched = ((n_up != 0) | (n_down != 0)).expand(self.shape).reshape(-1).nonzero().flatten()
            self._refresh_read(touched, None)

