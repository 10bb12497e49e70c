"""An inference tile: one logical weight matrix programmed onto PCM/ReRAM arrays, drifted, and read.

``InferenceTile(out_size, in_size, config)`` splits the (out, in) matrix into physical arrays of at most
``max_output_size × max_input_size`` (512 × 512 by default); the partial outputs of the arrays of one block row
are added digitally. The life of a tile:

1. :meth:`program(w, generator)` — per array, the weights are scaled so their abs-max (per array, or per
   output column) maps to the converter's w_max (g_max, as aihwkit's single-pair converter does), turned into
   a conductance pair, and programmed by the noise model. The periphery then sees either the weights in their
   own units (``weight_scaling="none"``, aihwkit's default mapping) or the rescaled ones, the factor applied
   digitally to the output (``"tile"``, ``"column"``: the full conductance range drives the ADC).
   The drift-compensation baseline is read with the one-hot probe through the periphery.
2. :meth:`drift_to(t, generator)` — per array, the conductances at ``t`` seconds after programming, the
   effective matrix under IR drop (if configured), the per-device read-noise std, and the drift
   compensation factor from the same probe at t. All of this is computed once per (programming, t).
3. :meth:`forward(x)` — every MVM: the drifted weights, per-device read noise (when the model has per-read
   noise) drawn anew for every input vector, DAC, output noise, ADC, noise and bound management, then the
   digital scale and the compensation factor.

Before :meth:`program` the tile reads its reference weights exactly (periphery effects only): the
"software weights on ideal devices" case.

The MVM is :func:`forward_mvm`: the semantics of the analog-arrays periphery
(:func:`~neurofab.crossbar.io.analog_mvm`, aihwkit's ``IOParameters``) plus per-device read noise drawn
independently for every input vector, computed with fewer passes over the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator
from torch import nn

from neurofab.core import (
    Config,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    kernel_threads,
    make_generator,
    record,
    recording,
    seed_from,
)
from neurofab.core.backend import use_compiled
from neurofab.crossbar import inference_kernels as kern
from neurofab.crossbar.drift import DriftCompensationKind, compensation_factor, probe_inputs, probe_readout
from neurofab.crossbar.io import IOConfig
from neurofab.crossbar.ir_drop import IRDropConfig, effective_conductance
from neurofab.crossbar.mapping import scale_weights
from neurofab.crossbar.noise_models import AnyNoiseModel, PCMNoiseModel, Programmed
from neurofab.crossbar.tiling import split_sizes

__all__ = ["InferenceTile", "InferenceTileConfig", "bound_management_on", "forward_mvm"]


def _round(v: torch.Tensor, stochastic: bool, gen: torch.Generator) -> torch.Tensor:
    """Round in place to integers (nearest, or stochastic with P(up) = fractional part)."""
    if stochastic:
        return v.add_(torch.rand(v.shape, generator=gen, device=v.device, dtype=v.dtype)).floor_()
    return v.round_()


def _pass(
    w: torch.Tensor,
    x: torch.Tensor,
    scale: torch.Tensor,
    io: IOConfig,
    gen: torch.Generator,
    w_var: torch.Tensor | None,
    needs_clip: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """DAC → analog sum (+ read noise) → output noise → ADC for inputs ``x / scale``; (y, saturated rows).

    The operations and their order on the input match :func:`~neurofab.crossbar.io.quantize` (divide by the
    scale, then by the step, then round), so DAC codes agree bit for bit, ties included.
    """
    step = io.inp_step
    if step > 0:
        codes = _round((x / scale).div_(step), io.inp_sto_round, gen)
        if needs_clip:
            lim = io.inp_bound / step
            codes.clamp_(-lim, lim)
        if io.inp_noise > 0:
            xq = codes.mul_(step)
            xq += io.inp_noise * torch.randn(xq.shape, generator=gen, device=xq.device, dtype=xq.dtype)
            y, unit = xq @ w.T, 1.0
        else:
            xq, unit = codes, step
            y = codes @ w.T
    else:
        xq = torch.clamp(x / scale, -io.inp_bound, io.inp_bound)
        if io.inp_noise > 0:
            xq = xq + io.inp_noise * torch.randn(xq.shape, generator=gen, device=xq.device, dtype=xq.dtype)
        y, unit = xq @ w.T, 1.0
    if w_var is not None or (io.w_noise > 0):
        var = None
        if w_var is not None:
            var = (xq * xq) @ w_var.T
        if io.w_noise > 0:
            if io.w_noise_type == "additive_constant":
                extra = io.w_noise**2 * (xq * xq).sum(dim=1, keepdim=True)
            else:  # pcm_read
                extra = io.w_noise**2 * ((xq * xq) @ w.abs().T)
            var = extra if var is None else var + extra
        y += var.sqrt_() * torch.randn(y.shape, generator=gen, device=y.device, dtype=y.dtype)
    if unit != 1.0:
        y *= unit
    if io.out_noise > 0:
        y += io.out_noise * torch.randn(y.shape, generator=gen, device=y.device, dtype=y.dtype)
    if io.out_step > 0:
        y = _round(y.div_(io.out_step), io.out_sto_round, gen).mul_(io.out_step)
    if io.out_bound is None:
        return y, torch.zeros(y.shape[0], dtype=torch.bool, device=y.device)
    bound = io.out_bound
    hit = y.amax(dim=1) >= bound
    if io.bm_test_negative_bound:
        hit |= y.amin(dim=1) <= -bound
    return y.clamp_(-bound, bound), hit


def forward_mvm(
    w: torch.Tensor,
    x: torch.Tensor,
    io: IOConfig,
    generator: torch.Generator,
    w_var: torch.Tensor | None = None,
    col_scale: torch.Tensor | None = None,
    compiled: bool | None = None,
    in_cols: slice | None = None,
) -> torch.Tensor:
    """``x @ Wᵀ`` through the forward periphery (x: (B, in), w: (out, in)) → (B, out).

    The semantics of :func:`~neurofab.crossbar.io.analog_mvm` (noise management, DAC, output-referred weight
    noise, output noise, ADC, iterative bound management, digital rescale), computed with fewer passes
    over the data: the DAC codes are kept as integers through the matmul and the DAC step is applied to the
    (smaller) output. ``w_var`` (out, in) [weight units²] adds per-device read noise for every input vector,
    referred to the output: σ_b,i² = Σ_j w_var_ij xq_bj² (exact for independent Gaussian device noise).
    ``col_scale`` (out,) is a digital factor per output column applied last. ``in_cols`` reads only those
    columns of ``x`` (an array of a larger tile; saves the slice).

    On CPU float32 with deterministic rounding and no input noise, the two passes over the data run as
    compiled kernels (:mod:`neurofab.crossbar.inference_kernels`; ``compiled=False`` forces the torch path).
    Both paths give the same DAC codes and ADC levels; their Gaussian numbers come from different generators.
    An input holding NaN or inf raises :class:`~neurofab.core.NumericalError` (the compiled DAC pass checks
    it as it reads the input, so a network's layers need no separate check).
    """
    if in_cols is not None:
        if x.dim() != 2 or len(range(*in_cols.indices(x.shape[1]))) != w.shape[1] or in_cols.step not in (None, 1):
            raise ShapeError(f"forward_mvm: columns {in_cols} of {tuple(x.shape)} do not give {w.shape[1]} inputs")
        if compiled is None and _compiled_ok(w, x, io) and x.is_contiguous():
            return _record(*_forward_compiled(w, x, io, generator, w_var, col_scale, in_cols.start or 0), w, io)
        x = x[:, in_cols]
    if x.dim() != 2 or x.shape[1] != w.shape[1]:
        raise ShapeError(f"forward_mvm: input must be (batch, {w.shape[1]}), got shape {tuple(x.shape)}")
    if compiled is None:
        compiled = _compiled_ok(w, x, io)
    if compiled and not io.is_perfect:  # the DAC kernel checks the input for NaN and inf as it reads it
        return _record(*_forward_compiled(w, x.contiguous(), io, generator, w_var, col_scale, 0), w, io)
    if x.numel():
        lo, hi = torch.aminmax(x)
        if not bool(torch.isfinite(lo) & torch.isfinite(hi)):
            raise NumericalError("forward_mvm: the input contains NaN or inf")
    if io.is_perfect:
        if recording():
            record("mvm", x.shape[0])
        y = x @ w.T
        if w_var is not None:
            y += ((x * x) @ w_var.T).sqrt_() * torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
        if io.out_scale != 1.0:
            y = y * io.out_scale
        return y * col_scale if col_scale is not None else y
    return _record(*_forward_torch(w, x, io, generator, w_var, col_scale), w, io)


def _record(y: torch.Tensor, passes: int, w: torch.Tensor, io: IOConfig) -> torch.Tensor:
    if recording():
        record("mvm", passes)
        record("dac_conversion", passes * w.shape[1], f"{io.inp_bits}b" if io.inp_bits else "analog")
        record("adc_conversion", passes * y.shape[1], f"{io.out_bits}b" if io.out_bits else "analog")
    return y


def _compiled_ok(w: torch.Tensor, x: torch.Tensor, io: IOConfig) -> bool:
    return (
        not io.is_perfect and use_compiled(x, w)
        and x.dtype == torch.float32 and w.dtype == torch.float32
        and io.inp_step > 0 and io.inp_noise == 0 and not io.inp_sto_round and not io.out_sto_round
        and io.w_noise == 0 and not x.requires_grad
    )


def _noise_scale(x: torch.Tensor, io: IOConfig) -> torch.Tensor:
    """Per-vector scale α_b (B, 1); all-zero vectors get 0 (the caller maps them to 1 and zeroes their output)."""
    if io.noise_management == "abs_max":
        lo, hi = torch.aminmax(x, dim=1, keepdim=True)
        alpha = torch.maximum(-lo, hi)
        return alpha.clamp(max=io.nm_thres) if io.nm_thres > 0 else alpha
    value = (io.nm_thres if io.nm_thres > 0 else 1.0) if io.noise_management == "constant" else 1.0
    return torch.full((x.shape[0], 1), value, dtype=x.dtype, device=x.device)


def _needs_clip(io: IOConfig) -> bool:
    # |x / α| <= 1 = inp_bound under uncapped abs-max scaling: the DAC cannot clip then
    return not (io.noise_management == "abs_max" and io.nm_thres == 0 and io.inp_bound == 1.0)


def _bm_limit(io: IOConfig) -> float:
    return min(float(io.max_bm_factor), io.max_bm_res / io.inp_step if io.inp_step > 0 else float("inf"))


def _forward_torch(w, x, io, generator, w_var, col_scale) -> tuple[torch.Tensor, int]:
    alpha = _noise_scale(x, io)
    zero = alpha <= 0
    any_zero = bool(zero.any())
    if any_zero:
        alpha = torch.where(zero, torch.ones_like(alpha), alpha)
    needs_clip = _needs_clip(io)
    y, hit = _pass(w, x, alpha, io, generator, w_var, needs_clip)
    passes = x.shape[0]
    scale = alpha
    if bound_management_on(io) and bool(hit.any()):
        scale = alpha.clone()
        limit, r = _bm_limit(io), 1.0
        todo = hit.nonzero().flatten()
        while todo.numel() > 0 and r <= limit:
            r *= 2.0
            y_new, hit_new = _pass(w, x[todo], alpha[todo] * r, io, generator, w_var, needs_clip)
            passes += todo.numel()
            y[todo] = y_new
            scale[todo] = alpha[todo] * r
            todo = todo[hit_new]
    y *= scale * io.out_scale if io.out_scale != 1.0 else scale
    if col_scale is not None:
        y *= col_scale
    if any_zero and io.inp_noise == 0:
        y.masked_fill_(zero, 0.0)
    return y, passes


def _cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 matrices natively (x86 AVX-512 BF16 or AMX; Linux /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


#: opt-in (``NEUROFAB_BF16_VARIANCE=1``): results then depend on the CPU (which path it takes) by ≲ 0.3 % in σ
_BF16_VARIANCE = os.environ.get("NEUROFAB_BF16_VARIANCE") == "1" and _cpu_has_bf16()


def _read_noise_variance(squares: torch.Tensor, w_var: torch.Tensor, bf16: bool | None = None) -> torch.Tensor:
    """σ²_b,i = Σ_j w_var_ij q_bj² (B, out) [weight units² × codes²] for the codes' squares q² (B, in), float32.

    Float32 by default. With ``NEUROFAB_BF16_VARIANCE=1`` (or ``bf16=True``) and a CPU with native bfloat16
    matrix instructions the operands are rounded to bfloat16 (8 significant bits) and the sum is accumulated in
    float32: the matmul runs ≈ 2× faster and the variance carries a relative error ≲ 0.6 % (rms 0.2 %; half
    that on the noise σ, far below the spread of the device data the σ comes from).
    It sets only the size of the read noise, never the signal.
    """
    if _BF16_VARIANCE if bf16 is None else bf16:
        return (squares.to(torch.bfloat16) @ w_var.to(torch.bfloat16).T).to(torch.float32)
    return squares @ w_var.T


def _forward_compiled(w, x, io, generator, w_var, col_scale, col0: int) -> tuple[torch.Tensor, int]:
    """The compiled path on columns col0 … col0 + in − 1 of a C-contiguous x."""
    kernel_threads()
    xn = x.detach().numpy()
    n_rows = x.shape[0]
    compute = io.noise_management == "abs_max"
    if compute:
        scale = np.empty(n_rows, np.float32)
    else:
        value = (io.nm_thres if io.nm_thres > 0 else 1.0) if io.noise_management == "constant" else 1.0
        scale = np.full(n_rows, value, np.float32)
    step = np.float32(io.inp_step)
    lim = np.float32(io.inp_bound / io.inp_step)
    clip = _needs_clip(io)
    nm_thres = np.float32(io.nm_thres)
    out_scale = np.float32(io.out_scale)
    cf = (col_scale.detach().to(torch.float32).contiguous().numpy() if col_scale is not None
          else np.ones(w.shape[0], np.float32))
    wt = w.detach().T
    has_bound = io.out_bound is not None
    bound = np.float32(io.out_bound if has_bound else 0.0)

    def run_pass(rows: np.ndarray, row_scale: np.ndarray, out: torch.Tensor | None) -> tuple[torch.Tensor, np.ndarray]:
        """DAC → matmul → noise/ADC for x[rows]; results go to out[rows] (or a new tensor when out is None)."""
        codes = np.empty((rows.size, w.shape[1]), np.float32)
        squares = np.empty_like(codes) if w_var is not None else None
        first = out is None
        bad = np.empty(rows.size, np.bool_) if first else None
        kern.dac_codes(xn, rows, col0, row_scale, compute and first, nm_thres, step, lim, clip, codes, squares, bad)
        if first and bad.any():
            raise NumericalError("forward_mvm: the input contains NaN or inf")
        y = torch.from_numpy(codes) @ wt
        var = _read_noise_variance(torch.from_numpy(squares), w_var) if w_var is not None else y
        target = y if out is None else out
        hit = np.empty(rows.size, np.bool_)
        kern.adc_finish(
            y.numpy(), target.numpy(), rows if out is not None else np.arange(rows.size), step, var.numpy(),
            w_var is not None, np.float32(io.out_noise), np.float32(io.out_step), bound, has_bound,
            io.bm_test_negative_bound, row_scale_zeroed(row_scale) * out_scale, cf,
            np.uint64(seed_from(generator)), hit,
        )
        return target, hit

    def row_scale_zeroed(row_scale: np.ndarray) -> np.ndarray:
        return np.where(row_scale > 0, row_scale, np.float32(1.0)).astype(np.float32)

    all_rows = np.arange(n_rows)
    y, hit = run_pass(all_rows, scale, None)  # computes the noise-management scale into ``scale``
    zero = scale <= 0
    passes = n_rows
    if bound_management_on(io) and hit.any():
        limit, r = _bm_limit(io), 1.0
        todo = np.flatnonzero(hit)
        base = row_scale_zeroed(scale)
        while todo.size > 0 and r <= limit:
            r *= 2.0
            _, hit_new = run_pass(todo, base[todo] * np.float32(r), y)
            passes += todo.size
            todo = todo[hit_new]
    if zero.any():
        y[torch.from_numpy(zero)] = 0.0
    return y, passes


def bound_management_on(io: IOConfig) -> bool:
    """Whether the forward periphery re-runs saturated vectors."""
    return io.bound_management == "iterative" and io.out_bound is not None


class InferenceTileConfig(Config):
    """Devices, periphery and compensation of an inference tile.

    Defaults are aihwkit 1.1's ``InferenceRPUConfig``: the PCM-like noise model (g_max 25 µS), the default
    forward ``IOParameters`` (7-bit DAC, 9-bit ADC over ±12, output noise 0.06, abs-max noise management,
    iterative bound management), no weight rescaling for the periphery (``MappingParameter`` omega 0), global
    drift compensation, tiles of at most 512 × 512.
    """

    noise_model: AnyNoiseModel = Field(default_factory=PCMNoiseModel, description="device statistics")
    forward: IOConfig = Field(default_factory=IOConfig, description="periphery of the forward MVM")
    drift_compensation: DriftCompensationKind = Field("global", description="output rescaling after drift")
    weight_scaling: Literal["none", "tile", "column"] = Field(
        "none",
        description="periphery sees the weights as they are (aihwkit default, omega 0), or rescaled to abs-max "
        "w_max per array or per output column with the factor applied digitally",
    )
    ir_drop: IRDropConfig | None = Field(None, description="wire resistance (None: ideal wires)")
    max_input_size: int = Field(512, gt=0, description="largest number of array inputs (rows) [devices]")
    max_output_size: int = Field(512, gt=0, description="largest number of array outputs (columns) [devices]")

    @model_validator(mode="after")
    def _check(self) -> InferenceTileConfig:
        if self.ir_drop is not None and self.noise_model.converter.scheme != "differential":
            raise ValueError("ir_drop is modelled for the differential scheme only")
        return self


@dataclass
class _ArrayState:
    """What one physical array holds after programming / drifting (weights in normalised units)."""

    rows: slice
    cols: slice
    scale: torch.Tensor  # digital factor: scalar or (out_block, 1)
    unit: torch.Tensor  # MVM weights per normalised weight: the abs-max with weight_scaling="none", else 1
    prog: Programmed
    w_read: torch.Tensor  # (out_block, in_block): weights a noiseless read sees now
    read_var: torch.Tensor | None = None  # (out_block, in_block): per-read variance of the weight [weight units²]
    baseline: torch.Tensor | None = None
    alpha: torch.Tensor | None = None  # compensation factor: scalar or (out_block,)
    _col_factor: torch.Tensor | None = field(default=None, repr=False)  # cache of col_factor

    def __setattr__(self, name: str, value) -> None:
        if name in ("scale", "w_read", "alpha"):  # what col_factor depends on: drop the cached factor
            object.__setattr__(self, "_col_factor", None)
        object.__setattr__(self, name, value)

    @property
    def col_factor(self) -> torch.Tensor:
        """The digital factor of every output column: weight scale × drift compensation, shape (out_block,).
        Computed once per programming and drift time (every MVM of the array uses it)."""
        if self._col_factor is None:
            n = self.w_read.shape[0]
            f = self.scale.reshape(-1) if self.scale.dim() else self.scale.expand(n)
            if self.alpha is not None:
                f = f * (self.alpha if self.alpha.dim() else self.alpha.expand(n))
            self._col_factor = f.to(self.w_read.dtype).contiguous()
        return self._col_factor


class InferenceTile(nn.Module):
    """One logical (out, in) matrix on physical arrays (module docstring)."""

    def __init__(
        self, out_size: int, in_size: int, config: InferenceTileConfig | None = None, seed: Seed = 0
    ) -> None:
        super().__init__()
        config = InferenceTileConfig() if config is None else config
        if not isinstance(config, InferenceTileConfig):
            raise InputTypeError(f"config must be an InferenceTileConfig, got {type(config).__name__}")
        if out_size <= 0 or in_size <= 0:
            raise ShapeError(f"InferenceTile: sizes must be positive, got {out_size}×{in_size}")
        self.config = config
        self.out_size, self.in_size = int(out_size), int(in_size)
        self.row_sizes = split_sizes(self.out_size, config.max_output_size)
        self.col_sizes = split_sizes(self.in_size, config.max_input_size)
        self.generator = make_generator(seed)
        self._arrays: list[_ArrayState] | None = None
        self.t_inference: float | None = None

    # ----- state ----------------------------------------------------------------------------------------
    @property
    def programmed(self) -> bool:
        return self._arrays is not None

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.row_sizes), len(self.col_sizes)

    def extra_repr(self) -> str:
        return f"{self.out_size}×{self.in_size}, arrays={self.grid}, model={type(self.config.noise_model).__name__}"

    def _blocks(self) -> list[tuple[slice, slice]]:
        out, r0 = [], 0
        for r in self.row_sizes:
            c0 = 0
            for c in self.col_sizes:
                out.append((slice(r0, r0 + r), slice(c0, c0 + c)))
                c0 += c
            r0 += r
        return out

    # ----- checkpoints ------------------------------------------------------------------------------------
    def get_extra_state(self) -> dict:
        """What ``state_dict`` saves beside the buffers: the programmed, drifted arrays (conductances, drift
        exponents, stuck devices, read-noise variances, compensation), the time since programming and the
        read-noise generator's state, so a reloaded model reads bit-identically."""
        arrays = None
        if self._arrays is not None:
            arrays = []
            for a in self._arrays:
                p = a.prog
                arrays.append({
                    "rows": (a.rows.start, a.rows.stop), "cols": (a.cols.start, a.cols.stop),
                    "scale": a.scale, "unit": a.unit, "w_read": a.w_read, "read_var": a.read_var,
                    "baseline": a.baseline, "alpha": a.alpha,
                    "prog": {"g_target": p.g_target, "g_prog": p.g_prog, "params": p.params, "stuck": p.stuck,
                             "stuck_g": p.stuck_g},
                })
        return {"shape": (self.out_size, self.in_size), "arrays": arrays, "t_inference": self.t_inference,
                "generator": self.generator.get_state()}

    def set_extra_state(self, state: dict) -> None:
        if not isinstance(state, dict) or tuple(state.get("shape", ())) != (self.out_size, self.in_size):
            got = state.get("shape") if isinstance(state, dict) else type(state).__name__
            raise ShapeError(f"InferenceTile {self.out_size}×{self.in_size}: the checkpoint holds a tile of shape "
                             f"{got}")
        arrays = state["arrays"]
        if arrays is not None and len(arrays) != len(self._blocks()):
            raise ShapeError(f"InferenceTile: the checkpoint holds {len(arrays)} arrays, this tile has "
                             f"{len(self._blocks())} (max_input_size / max_output_size differ)")
        self._arrays = None if arrays is None else [
            _ArrayState(slice(*a["rows"]), slice(*a["cols"]), a["scale"], a["unit"], Programmed(**a["prog"]),
                        a["w_read"], a["read_var"], a["baseline"], a["alpha"]) for a in arrays]
        self.t_inference = state["t_inference"]
        self.generator.set_state(state["generator"])

    def reset(self) -> None:
        """Forget the programmed state (the tile reads its reference weights exactly again)."""
        self._arrays = None
        self.t_inference = None

    # ----- programming and drift ------------------------------------------------------------------------
    @torch.no_grad()
    def program(self, w: torch.Tensor, generator: Seed = None) -> None:
        """Program the reference weights ``w`` (out, in) [weight units] onto the arrays (programming noise)."""
        self._check_weights(w)
        gen = make_generator(generator, device=w.device)  # draws happen where the weights live
        model = self.config.noise_model
        omega = model.converter.w_max
        arrays = []
        for rows, cols in self._blocks():
            block = w[rows, cols].detach()
            w_norm, scale = scale_weights(block, omega, columnwise=self.config.weight_scaling == "column")
            unit = torch.ones_like(scale)
            if self.config.weight_scaling == "none":
                scale, unit = unit, scale
            prog = model.program(model.to_conductances(w_norm), gen)
            arrays.append(_ArrayState(rows, cols, scale, unit, prog, self._read_weights(prog.g_prog) * unit))
        self._arrays = arrays
        self.t_inference = None
        if self.config.drift_compensation != "none":
            for a in arrays:
                a.baseline = probe_readout(self._probe(a), self.config.drift_compensation)

    @torch.no_grad()
    def drift_to(self, t_inference: float, generator: Seed = None) -> None:
        """Conductances, IR drop, read-noise std and compensation ``t_inference`` s after programming."""
        if self._arrays is None:
            raise NumericalError("InferenceTile.drift_to: program the tile first")
        gen = make_generator(generator, device=self._arrays[0].prog.g_prog.device)
        model = self.config.noise_model
        k = model.converter.siemens_per_weight
        for a in self._arrays:
            g_t = model.conductance_at(a.prog, t_inference, gen)
            a.w_read = self._read_weights(g_t) * a.unit
            std = model.read_std(a.prog, g_t, float(t_inference))
            a.read_var = None if std is None else (std[0] ** 2 + std[1] ** 2) * (a.unit / k) ** 2
            if a.baseline is not None:
                a.alpha = compensation_factor(a.baseline, probe_readout(self._probe(a), self.config.drift_compensation))
        self.t_inference = float(t_inference)

    def _read_weights(self, g: torch.Tensor) -> torch.Tensor:
        """Weights [normalised] of a conductance pair (2, out, in), through the IR-drop network if any."""
        model = self.config.noise_model
        if self.config.ir_drop is None:
            return model.to_weights(g)
        # physical layout: inputs on rows, outputs on columns → the array is gᵀ
        eff = torch.stack([effective_conductance(g[i].T, self.config.ir_drop).T for i in range(2)])
        return model.to_weights(eff)

    def _probe(self, a: _ArrayState) -> torch.Tensor:
        """The one-hot probe through array ``a`` and the periphery: (in_block, out_block) outputs."""
        w = a.w_read
        x = probe_inputs(w.shape[1], dtype=w.dtype, device=w.device)
        return forward_mvm(w, x, self.config.forward, self._gen(w.device), a.read_var)

    def _gen(self, device: torch.device | None = None) -> torch.Generator:
        """The read-noise generator; when the data live on another device, a generator there seeded from it
        (deterministically), which replaces it."""
        if device is not None and self.generator.device != device:
            self.generator = make_generator(seed_from(self.generator), device=device)
        return self.generator

    # ----- reading --------------------------------------------------------------------------------------
    def effective_weights(self) -> torch.Tensor:
        """The weights [weight units] a noiseless read sees now, with digital scale and compensation: (out, in)."""
        if self._arrays is None:
            raise NumericalError("InferenceTile.effective_weights: the tile is not programmed")
        first = self._arrays[0].w_read
        w = torch.zeros(self.out_size, self.in_size, dtype=first.dtype, device=first.device)
        for a in self._arrays:
            block = a.w_read * a.scale
            if a.alpha is not None:
                block = block * (a.alpha.reshape(-1, 1) if a.alpha.dim() else a.alpha)
            w[a.rows, a.cols] = block
        return w

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """y = W x for every row of x (B, in) → (B, out).

        Programmed: through the arrays' read weights. Not programmed: ``reference`` (out, in) weights are
        read exactly (periphery effects only).
        """
        if x.dim() != 2 or x.shape[1] != self.in_size:
            raise ShapeError(f"InferenceTile.forward: expected shape (batch, {self.in_size}), got {tuple(x.shape)}")
        io = self.config.forward
        gen = self._gen(x.device)
        if self._arrays is None:
            if reference is None:
                raise NumericalError("InferenceTile.forward: not programmed and no reference weights given")
            return self.read_reference(x, reference)
        if len(self._arrays) == 1:
            a = self._arrays[0]
            return forward_mvm(a.w_read, x, io, gen, a.read_var, col_scale=a.col_factor)
        if len(self.row_sizes) == 1:  # one block row: the first array's output is the accumulator
            y = None
            for a in self._arrays:
                part = forward_mvm(a.w_read, x, io, gen, a.read_var, col_scale=a.col_factor, in_cols=a.cols)
                y = part if y is None else y.add_(part)
            return y
        y = torch.zeros(x.shape[0], self.out_size, dtype=x.dtype, device=x.device)
        for a in self._arrays:
            y[:, a.rows] += forward_mvm(a.w_read, x, io, gen, a.read_var, col_scale=a.col_factor, in_cols=a.cols)
        return y

    def read_reference(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """``x @ wᵀ`` with weights ``w`` (out, in) read exactly through the arrays' periphery (no devices)."""
        self._check_weights(w)
        io, gen = self.config.forward, self._gen(x.device)
        omega = self.config.noise_model.converter.w_max
        y = torch.zeros(x.shape[0], self.out_size, dtype=x.dtype, device=x.device)
        for rows, cols in self._blocks():
            if self.config.weight_scaling == "none":
                y[:, rows] += forward_mvm(w[rows, cols], x[:, cols], io, gen)
                continue
            w_norm, scale = scale_weights(w[rows, cols], omega, columnwise=self.config.weight_scaling == "column")
            part = forward_mvm(w_norm, x[:, cols], io, gen)
            y[:, rows] += part * (scale.reshape(1, -1) if scale.dim() else scale)
        return y

    def _check_weights(self, w: torch.Tensor) -> None:
        if not isinstance(w, torch.Tensor):
            raise InputTypeError(f"InferenceTile: weights must be a torch.Tensor, got {type(w).__name__}")
        if w.shape != (self.out_size, self.in_size):
            raise ShapeError(f"InferenceTile: weights must be {(self.out_size, self.in_size)}, got {tuple(w.shape)}")
        lo, hi = torch.aminmax(w)
        if not bool(torch.isfinite(lo) & torch.isfinite(hi)):
            raise NumericalError("InferenceTile: weights contain NaN or inf")
