"""The periphery of an analog matrix-vector multiplication: DAC, ADC, noise, bounds and their management.

One analog MVM of a tile (forward y = Wx, or transpose z = Wᵀδ), for every vector of a batch at once:

1. noise management: scale each input vector by 1/α_b so it fills the DAC range — α_b = max|x_b|
   (``abs_max``, optionally capped at ``nm_thres``) or a constant (``constant``: ``nm_thres``, else 1);
2. DAC: quantize to ``inp_bits`` (2^bits − 2 steps over [−inp_bound, inp_bound], round to nearest or
   stochastic), clip to ±inp_bound, add input noise;
3. the analog sum through the (read) weights, plus weight read noise referred to the output
   (``additive_constant``: σ_w‖x‖₂ξ; ``pcm_read``: σ_w sqrt(Σ_j |w_ij| x_j²) ξ);
4. output noise σ_out ξ, ADC quantization to ``out_bits`` over [−out_bound, out_bound], clipping;
5. bound management (``iterative``): a vector whose output hit the bound is recomputed with its input
   halved, again and again, until no output saturates or the reduction exceeds ``max_bm_factor`` or
   ``max_bm_res``/(DAC step) (a halved input must still span a few DAC levels);
6. digital rescale by α_b·(reduction)·out_scale.

Semantics and defaults follow IBM aihwkit 1.1's ``IOParameters`` (values marked "aihwkit default"). The
output noise and bounds are in units of the normalised weights times the normalised input (a weight of 1
driven by an input of 1 gives an output of 1).

On CPU (float32/float64) the element-wise steps run in two compiled passes around the matrix product — DAC
side (1–2) and ADC side (3–6) — with their noise from :mod:`neurofab.devices.rng` seeded by the caller's
generator; elsewhere the same steps run as torch operations (:func:`quantize` and friends).
"""

from __future__ import annotations

import math
from typing import Literal

import numba
import numpy as np
import torch
from pydantic import Field, model_validator

from neurofab.core import Config, NumericalError, ShapeError, record, recording, seed_from
from neurofab.core.backend import use_compiled
from neurofab.devices.kernels import abs_max
from neurofab.devices.rng import normal_from, stream_seed, uniform_from

__all__ = ["IOConfig", "analog_mvm", "quantize"]


class IOConfig(Config):
    """Periphery of one MVM direction (forward or transpose). Defaults: aihwkit 1.1 ``IOParameters``."""

    is_perfect: bool = Field(False, description="ideal MVM: no DAC/ADC, noise or bounds")
    inp_bound: float = Field(1.0, gt=0, description="DAC input range ±inp_bound [normalised input]")
    inp_bits: int | None = Field(
        7, ge=2, le=24, description="DAC bits: 2^bits − 2 steps over the range (aihwkit default 1/(2^7−2)); None: none"
    )
    inp_noise: float = Field(0.0, ge=0, description="std of Gaussian noise added after the DAC [normalised input]")
    inp_sto_round: bool = Field(False, description="stochastic rounding in the DAC")
    out_bound: float | None = Field(
        12.0, gt=0, description="ADC range ±out_bound [output units] (aihwkit default); None = none"
    )
    out_bits: int | None = Field(
        9, ge=2, le=24, description="ADC bits: 2^bits − 2 steps over the range (aihwkit default 1/(2^9−2)); None: none"
    )
    out_noise: float = Field(0.06, ge=0, description="std of Gaussian output noise [output units] (aihwkit default)")
    out_sto_round: bool = Field(False, description="stochastic rounding in the ADC")
    out_scale: float = Field(1.0, gt=0, description="fixed digital factor applied to the output [1]")
    w_noise: float = Field(0.0, ge=0, description="output-referred weight read noise σ_w [weight units]")
    w_noise_type: Literal["none", "additive_constant", "pcm_read"] = Field(
        "none", description="how the weight read noise scales with the input"
    )
    noise_management: Literal["abs_max", "constant", "none"] = Field(
        "abs_max", description="input scaling before the DAC (aihwkit default abs_max)"
    )
    nm_thres: float = Field(0.0, ge=0, description="cap on the abs-max scale, or the constant scale (0: off / 1)")
    bound_management: Literal["iterative", "none"] = Field(
        "iterative", description="re-run saturated vectors with a halved input (aihwkit default iterative)"
    )
    max_bm_factor: int = Field(1000, ge=1, description="largest total input reduction of bound management [1]")
    max_bm_res: float = Field(0.25, gt=0, description="stop when the reduction exceeds max_bm_res / DAC step [1]")
    bm_test_negative_bound: bool = Field(True, description="the negative bound also triggers bound management")

    @model_validator(mode="after")
    def _check(self) -> IOConfig:
        if self.noise_management != "none" and self.inp_bound != 1.0 and not self.is_perfect:
            raise ValueError(f"inp_bound = {self.inp_bound}: noise management expects inp_bound = 1")
        if self.out_bits is not None and self.out_bound is None:
            raise ValueError("out_bits is set but out_bound is None: an ADC needs a range")
        if self.w_noise > 0 and self.w_noise_type == "none":
            raise ValueError(f"w_noise = {self.w_noise} but w_noise_type = 'none': choose how the noise scales")
        return self

    @property
    def inp_step(self) -> float:
        """DAC step [normalised input] (0: no quantization)."""
        return 0.0 if self.inp_bits is None else 2 * self.inp_bound / (2**self.inp_bits - 2)

    @property
    def out_step(self) -> float:
        """ADC step [output units] (0: no quantization)."""
        if self.out_bits is None or self.out_bound is None:
            return 0.0
        return 2 * self.out_bound / (2**self.out_bits - 2)

    @classmethod
    def perfect(cls) -> IOConfig:
        """An ideal MVM (no periphery effects)."""
        return cls(is_perfect=True)


def quantize(
    v: torch.Tensor, step: float, stochastic: bool = False, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Round ``v`` to the grid ``step·k`` (nearest, or stochastically with P(up) = fractional part)."""
    if step <= 0:
        return v
    scaled = v / step
    if stochastic:
        u = torch.rand(v.shape, generator=generator, device=v.device, dtype=v.dtype)
        return torch.floor(scaled + u) * step
    return torch.round(scaled) * step


def _noise_scale(x: torch.Tensor, io: IOConfig) -> torch.Tensor:
    """Per-vector noise-management scale α_b (shape (B, 1))."""
    if io.noise_management == "abs_max":
        alpha = x.abs().amax(dim=1, keepdim=True)
        if io.nm_thres > 0:
            alpha = torch.clamp(alpha, max=io.nm_thres)
        return alpha
    if io.noise_management == "constant":
        return torch.full((x.shape[0], 1), io.nm_thres if io.nm_thres > 0 else 1.0, dtype=x.dtype, device=x.device)
    return torch.ones((x.shape[0], 1), dtype=x.dtype, device=x.device)


def _one_pass(
    w: torch.Tensor,
    x: torch.Tensor,
    scale: torch.Tensor,
    io: IOConfig,
    gen: torch.Generator,
    transposed: bool,
    need_hit: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """DAC → analog sum → noise → ADC for inputs ``x·scale`` (scale: (B, 1)); returns (y, saturated per vector).

    Written with in-place operations on fresh tensors: the periphery is a large share of a training step.
    """
    step = io.inp_step
    if step > 0 and not io.inp_sto_round:
        xq = x * (scale / step)  # in DAC steps
        xq.round_()
        lim = io.inp_bound / step
        xq.clamp_(-lim, lim)
        xq.mul_(step)
    else:
        xq = quantize(x * scale, step, io.inp_sto_round, gen)
        xq.clamp_(-io.inp_bound, io.inp_bound)
    if io.inp_noise > 0:
        xq.add_(torch.randn(xq.shape, generator=gen, device=xq.device, dtype=xq.dtype), alpha=io.inp_noise)
    y = xq @ w if transposed else xq @ w.T
    if io.w_noise > 0:
        if io.w_noise_type == "additive_constant":
            std = io.w_noise * xq.norm(dim=1, keepdim=True)
        else:  # pcm_read
            absw = w.abs()
            std = io.w_noise * torch.sqrt((xq * xq) @ (absw if transposed else absw.T))
        y.addcmul_(std, torch.randn(y.shape, generator=gen, device=y.device, dtype=y.dtype))
    if io.out_noise > 0:
        y.add_(torch.randn(y.shape, generator=gen, device=y.device, dtype=y.dtype), alpha=io.out_noise)
    ostep = io.out_step
    if ostep > 0:
        if io.out_sto_round:
            y = quantize(y, ostep, True, gen)
        else:
            y.mul_(1.0 / ostep).round_().mul_(ostep)
    if io.out_bound is None:
        return y, None
    bound = io.out_bound
    hit = None
    if need_hit:
        hit = (y.abs() if io.bm_test_negative_bound else y).amax(dim=1) >= bound
    y.clamp_(-bound, bound)
    return y, hit


_NM_CODE = {"abs_max": 0, "constant": 1, "none": 2}


@numba.njit(cache=True, nogil=True)
def _dac_kernel(
    x, rows, reduction, first, nm_code, nm_thres, step, bound, sto, inp_noise, want_norm, seed, stream, xq, alpha, zero,
    sq_norm,
):  # pragma: no cover - compiled
    """Steps 1–2: xq[k] = DAC(x[b] / (α_b·reduction)) (+ input noise) for b = rows[k] (all rows if ``rows`` is empty).

    On the first pass (``first``) α and the zero-input flags are computed per row (noise management) into
    ``alpha`` / ``zero``; later passes (bound management) reuse them. With ``want_norm``, ``sq_norm[k]``
    receives Σ_j xq² (for the additive weight read noise). Nearest rounding is half to even, as
    ``torch.round``; without stochastic rounding or input noise the loop is branch-free and vectorizes.
    Noise from stream ``stream`` of ``seed``.
    """
    z = stream_seed(seed, stream)
    n = x.shape[1]
    lim = bound / step if step > 0 else bound
    plain = not sto and inp_noise == 0
    every = rows.shape[0] == 0
    for k in range(xq.shape[0]):
        b = k if every else rows[k]
        xb = x[b]
        if first:
            if nm_code == 0:
                a = abs_max(x, b)
                if nm_thres > 0:
                    a = min(a, nm_thres)
            elif nm_code == 1:
                a = nm_thres if nm_thres > 0 else 1.0
            else:
                a = 1.0
            zero[b] = a <= 0.0
            alpha[b] = 1.0 if a <= 0.0 else a
        scale = 1.0 / (alpha[b] * reduction)
        if step > 0:
            scale = scale / step
        out = xq[k]
        if plain:
            if step > 0:
                for j in range(n):
                    out[j] = min(max(np.rint(xb[j] * scale), -lim), lim) * step
            else:
                for j in range(n):
                    out[j] = min(max(xb[j] * scale, -lim), lim)
        else:
            for j in range(n):
                v = np.float64(xb[j]) * scale
                if step > 0:
                    if sto:
                        u, z = uniform_from(z)
                        v = math.floor(v + u)
                    else:
                        v = np.rint(v)
                v = min(max(v, -lim), lim)
                if step > 0:
                    v = v * step
                if inp_noise > 0:
                    g, z = normal_from(z)
                    v += inp_noise * g
                out[j] = v
        if want_norm:
            acc = 0.0
            for j in range(n):
                acc += np.float64(out[j]) * out[j]
            sq_norm[k] = acc


@numba.njit(cache=True, nogil=True)
def _adc_kernel(
    y, rows, reduction, alpha, zero, sq_norm, elem_var, out_noise, w_noise, ostep, sto, bound, test_neg, out_scale,
    zero_out, seed, stream, hit,
):  # pragma: no cover - compiled
    """Steps 3–6 on the raw products ``y`` (in place): noise, ADC, saturation, rescale; returns the hits.

    The noise of element (k, i) is one normal: output noise and weight read noise combined (independent
    normals add in variance) — σ² = out_noise² + w_noise²·sq_norm[k] (additive), or + ``elem_var[k, i]``
    (PCM read noise, when that array is not empty). Then ADC rounding to ``ostep`` (nearest, half to even,
    or stochastic), the saturation test against ``bound`` (``hit[k]``; bound ≤ 0: no ADC range), the clip,
    and the digital factor α_b·reduction·out_scale (0 for a zero input when ``zero_out``). Normals are drawn
    first into a row buffer; the rest is branch-free and vectorizes. Noise from stream ``stream`` of ``seed``.
    """
    z = stream_seed(seed, stream)
    m, n = y.shape
    per_elem = elem_var.shape[0] > 0
    every = rows.shape[0] == 0
    inv = 1.0 / ostep if ostep > 0 else 0.0
    lim = bound if bound > 0 else np.inf
    noise = np.zeros(n, np.float64)
    hits = 0
    for k in range(m):
        b = k if every else rows[k]
        yk = y[k]
        if per_elem:
            ek = elem_var[k]
            for i in range(n):
                g, z = normal_from(z)
                noise[i] = math.sqrt(ek[i] + out_noise * out_noise) * g
        else:
            sd = math.sqrt(out_noise * out_noise + w_noise * w_noise * sq_norm[k]) if w_noise > 0 else out_noise
            for i in range(n):
                if sd > 0:
                    g, z = normal_from(z)
                    noise[i] = sd * g
                else:
                    noise[i] = 0.0
        if sto and ostep > 0:
            for i in range(n):
                u, z = uniform_from(z)
                yk[i] = math.floor((yk[i] + noise[i]) * inv + u) * ostep
        elif ostep > 0:
            for i in range(n):
                yk[i] = np.rint((yk[i] + noise[i]) * inv) * ostep
        else:
            for i in range(n):
                yk[i] = yk[i] + noise[i]
        f = 0.0 if zero_out and zero[b] else alpha[b] * reduction * out_scale
        sat = 0
        if test_neg:
            for i in range(n):
                v = yk[i]
                sat |= (v >= lim) | (v <= -lim)
                yk[i] = min(max(v, -lim), lim) * f
        else:
            for i in range(n):
                v = yk[i]
                sat |= v >= lim
                yk[i] = min(max(v, -lim), lim) * f
        hit[k] = sat != 0
        hits += sat != 0
    return hits


#: switch for the compiled periphery (tests compare it with the torch operations)
_USE_COMPILED = True


def _compiled(w: torch.Tensor, x: torch.Tensor) -> bool:
    """Whether the compiled periphery applies: CPU, one float dtype, and no autograd graph to build."""
    return (
        _USE_COMPILED
        and use_compiled(w, x)
        and x.dtype == w.dtype
        and w.dtype in (torch.float32, torch.float64)
        and not (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
    )


_EMPTY_ROWS = np.zeros(0, np.int64)
_EMPTY2 = np.zeros((0, 0), np.float64)
_CONSTANTS: dict[int, tuple] = {}


def _io_constants(io: IOConfig) -> tuple:
    """The numbers the kernels need from ``io`` (cached per config object)."""
    entry = _CONSTANTS.get(id(io))
    if entry is None or entry[0] is not io:
        additive = io.w_noise > 0 and io.w_noise_type == "additive_constant"
        dac = (_NM_CODE[io.noise_management], float(io.nm_thres), io.inp_step, float(io.inp_bound), io.inp_sto_round,
               float(io.inp_noise), additive)
        adc = (float(io.out_noise), float(io.w_noise) if additive else 0.0, io.out_step, io.out_sto_round,
               float(io.out_bound) if io.out_bound is not None else 0.0, io.bm_test_negative_bound,
               float(io.out_scale), io.inp_noise == 0)
        if len(_CONSTANTS) > 256:
            _CONSTANTS.clear()
        entry = _CONSTANTS[id(io)] = (io, dac, adc)
    return entry[1], entry[2]


def _compiled_pass(w, x, rows, reduction, io, transposed, seed, k, alpha, zero):
    """DAC kernel → matrix product → ADC kernel for rows ``rows`` of x (pass k); returns (y, saturated, hits)."""
    dac, adc = _io_constants(io)
    m = x.shape[0] if rows.shape[0] == 0 else rows.shape[0]
    xq = torch.empty((m, x.shape[1]), dtype=x.dtype)
    sq_norm = np.zeros(m, np.float64)
    _dac_kernel(x.numpy(), rows, reduction, k == 0, *dac, seed, 2 * k, xq.numpy(), alpha, zero, sq_norm)
    y = xq @ w if transposed else xq @ w.T
    elem_var = _EMPTY2
    if io.w_noise > 0 and io.w_noise_type == "pcm_read":  # σ_w² Σ_j |w_ij| x_j² per output
        absw = w.abs()
        elem_var = ((io.w_noise**2) * ((xq * xq) @ (absw if transposed else absw.T))).to(torch.float64).numpy()
    hit = np.empty(m, np.bool_)
    hits = _adc_kernel(y.numpy(), rows, reduction, alpha, zero, sq_norm, elem_var, *adc, seed, 2 * k + 1, hit)
    return y, hit, hits


def _analog_mvm_compiled(w, x, io, generator, transposed, use_bm) -> tuple[torch.Tensor, int]:
    """The compiled periphery (see the module docstring); returns (y, vector passes)."""
    n_batch = x.shape[0]
    seed = seed_from(generator)
    alpha = np.empty(n_batch, np.float64)
    zero = np.empty(n_batch, np.bool_)
    y, hit, hits = _compiled_pass(w, x, _EMPTY_ROWS, 1.0, io, transposed, seed, 0, alpha, zero)
    passes = n_batch
    if use_bm and hits:
        limit = min(float(io.max_bm_factor), io.max_bm_res / io.inp_step if io.inp_step > 0 else float("inf"))
        r = 1.0
        todo = np.flatnonzero(hit)
        k = 1
        while todo.size > 0 and r <= limit:
            r *= 2.0
            y_new, hit_new, _ = _compiled_pass(w, x, todo, r, io, transposed, seed, k, alpha, zero)
            passes += todo.size
            y[torch.from_numpy(todo)] = y_new
            todo = todo[hit_new]
            k += 1
    return y, passes


def analog_mvm(
    w: torch.Tensor,
    x: torch.Tensor,
    io: IOConfig,
    generator: torch.Generator,
    transposed: bool = False,
    bound_management: bool = True,
) -> torch.Tensor:
    """One analog MVM per row of ``x``: ``x @ Wᵀ`` (forward, x: (B, in)) or ``x @ W`` (transposed, x: (B, out)).

    ``w`` are the weights as read [weight units], shape (out, in). Returns (B, out) or (B, in).
    ``bound_management=False`` switches bound management off for this call (aihwkit does so for the
    transpose pass).
    """
    if x.dim() != 2:
        raise ShapeError(f"analog_mvm: input must be (batch, features), got shape {tuple(x.shape)}")
    n_in = w.shape[0] if transposed else w.shape[1]
    if x.shape[1] != n_in:
        raise ShapeError(f"analog_mvm: input has {x.shape[1]} features, the tile expects {n_in}")
    if io.is_perfect:
        if recording():
            record("mvm", x.shape[0])
        y = x @ w if transposed else x @ w.T
        return y * io.out_scale if io.out_scale != 1.0 else y
    use_bm = bound_management and io.bound_management == "iterative" and io.out_bound is not None
    if _compiled(w, x):
        y, passes = _analog_mvm_compiled(w.detach(), x.detach().contiguous(), io, generator, transposed, use_bm)
        if recording():
            _record_passes(io, passes, n_in, y.shape[1])
        return y
    alpha = _noise_scale(x, io)
    zero = alpha <= 0
    alpha = alpha.masked_fill(zero, 1.0)
    y, hit = _one_pass(w, x, 1.0 / alpha, io, generator, transposed, use_bm)
    passes = x.shape[0]
    if use_bm and bool(hit.any()):
        reduction = torch.ones_like(alpha)
        limit = min(float(io.max_bm_factor), io.max_bm_res / io.inp_step if io.inp_step > 0 else float("inf"))
        r = 1.0
        todo = hit.nonzero().flatten()
        while todo.numel() > 0 and r <= limit:
            r *= 2.0
            y_new, hit_new = _one_pass(w, x[todo], 1.0 / (alpha[todo] * r), io, generator, transposed, True)
            passes += todo.numel()
            y[todo] = y_new
            reduction[todo] = r
            todo = todo[hit_new]
        alpha = alpha * reduction
    y.mul_(alpha * io.out_scale if io.out_scale != 1.0 else alpha)
    if io.inp_noise == 0 and bool(zero.any()):
        y.masked_fill_(zero, 0.0)
    if recording():
        _record_passes(io, passes, n_in, y.shape[1])
    return y


def _record_passes(io: IOConfig, passes: int, n_in: int, n_out: int) -> None:
    record("mvm", passes)
    record("dac_conversion", passes * n_in, f"{io.inp_bits}b" if io.inp_bits else "analog")
    record("adc_conversion", passes * n_out, f"{io.out_bits}b" if io.out_bits else "analog")


def check_input(x: torch.Tensor, name: str = "input") -> None:
    """Raise NumericalError when ``x`` holds NaN or inf (cheap: one sum; only a non-finite sum is looked at
    element by element, so large finite inputs whose sum overflows are not mistaken for NaN/inf)."""
    if x.numel() and not math.isfinite(float(x.sum())) and not bool(torch.isfinite(x).all()):
        raise NumericalError(f"{name} contains NaN or inf values")
