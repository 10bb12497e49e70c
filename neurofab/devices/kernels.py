"""Compiled (numba) per-pulse device response, for CPU hot loops.

:func:`pulse_once` is the scalar twin of the families' ``steps`` and ``noise_std`` in
:mod:`neurofab.devices.models`: one pulse on one device, with its c2c noise and the clip to the device's
bounds. :func:`pulse_run` applies a run of same-sign pulses to one device, pulse by pulse (the constant
and affine families on a short path, :func:`affine_run`, the others through :func:`pulse_once`). A family
describes itself to the kernels with :func:`kernel_spec` (a family code, two extra per-device parameter arrays
and a vector of constants). :func:`apply_counts` applies a signed pulse count to each device of a flat array
(the compiled path of ``DeviceArray.pulse``). Low-level helpers for the kernels: :func:`popcount`,
:func:`abs_max` (vectorized) and :func:`prefetch`.

Randomness: each call seeds a :mod:`neurofab.devices.rng` generator with an integer drawn from the caller's
``torch.Generator``, so results are reproducible from the torch seed.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from neurofab.devices.rng import new_state, normal, normal_from

__all__ = [
    "CONSTANT",
    "abs_max",
    "affine_run",
    "apply_counts",
    "expected_update",
    "kernel_spec",
    "popcount",
    "prefetch",
    "pulse_once",
    "pulse_run",
    "step_and_std",
]

CONSTANT, AFFINE, EXP, POW, PIECEWISE, NEUROSIM = 0, 1, 2, 3, 4, 5


@intrinsic
def _ctpop(typingctx, v):
    if v != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@numba.njit(cache=True, inline="always")
def popcount(v):  # pragma: no cover - compiled
    """Number of set bits of a uint64 (one instruction where the CPU has it)."""
    return np.int64(_ctpop(np.uint64(v)))


@intrinsic
def _abs_bits(typingctx, v):
    """The bit pattern of |v| (sign bit cleared) as an unsigned integer of the same width."""
    if v not in (types.float32, types.float64):
        return None
    out = types.uint32 if v == types.float32 else types.uint64
    width = 32 if v == types.float32 else 64

    def codegen(context, builder, signature, args):
        bits = builder.bitcast(args[0], ir.IntType(width))
        return builder.and_(bits, ir.Constant(ir.IntType(width), (1 << (width - 1)) - 1))

    return out(v), codegen


@intrinsic
def _bits_float(typingctx, v):
    """The float whose bit pattern is the unsigned integer v (32 bits: float32, 64 bits: float64)."""
    if v not in (types.uint32, types.uint64):
        return None
    out = types.float32 if v == types.uint32 else types.float64

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(out))

    return out(v), codegen


@numba.njit(cache=True, inline="always")
def abs_max(x, b):  # pragma: no cover - compiled
    """max_j |x[b, j]| of a float32/float64 array with at least one column, as a float64.

    For non-negative floats the order of the values is the order of their bit patterns, so the maximum is
    taken on the integers with the sign bit cleared — a reduction the compiler vectorizes (a float maximum
    does not vectorize without relaxed NaN semantics). A NaN comes out as NaN.
    """
    m = _abs_bits(x[b, 0])
    for j in range(1, x.shape[1]):
        v = _abs_bits(x[b, j])
        m = v if v > m else m
    return np.float64(_bits_float(m))


@intrinsic
def _prefetch(typingctx, arr, k):
    if not isinstance(arr, types.Array) or not isinstance(k, types.Integer):
        return None
    itemsize = arr.dtype.bitwidth // 8

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i64, i32 = ir.IntType(64), ir.IntType(32)
        offset = builder.mul(context.cast(builder, args[1], signature.args[1], types.int64), ir.Constant(i64, itemsize))
        ptr = builder.inttoptr(builder.add(builder.ptrtoint(ary.data, i64), offset), ary.data.type)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, k), codegen


@numba.njit(cache=True, inline="always")
def prefetch(arr, k):  # pragma: no cover - compiled
    """Ask the CPU to bring element ``k`` (flat, C order) of a contiguous array into cache.

    A hint only (no effect on results, no fault out of range): sparse device updates wait on memory, and
    issuing the loads of the rows ahead lets them overlap.
    """
    _prefetch(arr, k)


def kernel_spec(model, params: dict[str, torch.Tensor]) -> tuple[int, torch.Tensor, torch.Tensor, np.ndarray]:
    """(family code, extra parameter 1, extra parameter 2, constants) for the compiled kernels."""
    from neurofab.devices import models as m  # local: models imports pulsed, which imports this lazily

    zero = torch.zeros_like(params["w_min"])
    sigma = float(model.dw_min_std)
    wn = float(model.write_noise)
    if isinstance(model, m.LinearStep | m.SoftBounds):
        consts = np.array([sigma, wn, 1.0 if model.mult_noise else 0.0])
        return AFFINE, params["slope_up"], params["slope_down"], consts
    if isinstance(model, m.ExpStep):
        consts = np.array(
            [sigma, wn, model.A_up, model.A_down, model.gamma_up, model.gamma_down, model.a, model.b,
             model.dw_min_std_add, model.dw_min_std_slope]
        )
        return EXP, zero, zero, consts
    if isinstance(model, m.PowStep):
        return POW, params["gamma_up"], params["gamma_down"], np.array([sigma, wn])
    if isinstance(model, m.PiecewiseStep):
        consts = np.array([sigma, wn, float(len(model.piecewise_up)), *model.piecewise_up, *model.piecewise_down])
        return PIECEWISE, zero, zero, consts
    if isinstance(model, m.NeuroSimNonlinear):
        a_p = 0.0 if model.a_ltp is None else model.a_ltp
        a_d = 0.0 if model.a_ltd is None else model.a_ltd
        consts = np.array([float(model.c2c_std), wn, float(model.n_levels), a_p, a_d, model.dw_min])
        return NEUROSIM, zero, zero, consts
    return CONSTANT, zero, zero, np.array([sigma, wn])


@numba.njit(cache=True, inline="always")
def step_and_std(code, sign, w, wmin, wmax, dwu, dwd, e1, e2, c):  # pragma: no cover - compiled
    """(magnitude, c2c std) of one pulse (sign +1 up, −1 down) at weight ``w`` [weight units]."""
    sigma = c[0]
    if code == 0:
        step = dwu if sign > 0 else dwd
        std = sigma * step
    elif code == 1:
        if sign > 0:
            step = dwu + e1 * w
            std = sigma * (step if c[2] > 0 else dwu)
        else:
            step = dwd + e2 * w
            std = sigma * (step if c[2] > 0 else dwd)
    elif code == 2:
        span = wmax - wmin
        z = (2.0 * c[6] * w / span if span != 0 else 0.0) + c[7]
        if sign > 0:
            step = dwu * (1.0 if c[2] == 0.0 else max(1.0 - c[2] * math.exp(c[4] * z), 0.0))  # no 0·∞
        else:
            step = dwd * (1.0 if c[3] == 0.0 else max(1.0 - c[3] * math.exp(-c[5] * z), 0.0))
        if c[8] > 0 or c[9] > 0:
            std = sigma * (step + c[8] + c[9] * abs(w))
        else:
            std = sigma * step
    elif code == 3:
        span = wmax - wmin
        omega = (wmax - w) / span if span != 0 else 0.0
        omega = min(max(omega, 0.0), 1.0)
        if sign > 0:
            step = dwu * omega**e1
        else:
            step = dwd * (1.0 - omega) ** e2
        std = sigma * step
    elif code == 4:
        n = int(c[2])
        sections = n - 1
        if sections == 0:
            v = c[3] if sign > 0 else c[3 + n]
        else:
            span = wmax - wmin
            ws = max(((w - wmin) / span if span != 0 else 0.0) * sections, 0.0)
            idx = min(math.floor(ws), sections - 1)
            t = min(ws - idx, 1.0)
            base = 3 if sign > 0 else 3 + n
            v = (1.0 - t) * c[base + idx] + t * c[base + idx + 1]
        step = (dwu if sign > 0 else dwd) * v
        std = sigma * step
    else:
        span = wmax - wmin
        x = (w - wmin) / span if span != 0 else 0.0
        nlev = c[2]
        if sign > 0:
            if c[3] == 0.0:
                step = dwu
            else:
                b = -1.0 / math.expm1(-1.0 / c[3])
                step = dwu / c[5] * span * (b - x) * (-math.expm1(-1.0 / (nlev * c[3])))
        else:
            if c[4] == 0.0:
                step = dwd
            else:
                b = -1.0 / math.expm1(-1.0 / c[4])
                step = dwd / c[5] * span * (x - b) * (-math.expm1(1.0 / (nlev * c[4])))
        std = sigma * span
    if not math.isfinite(step):  # an exponential that overflowed: one pulse at most crosses the whole range
        step = wmax - wmin
    if not math.isfinite(std):
        std = wmax - wmin
    return step, std


@numba.njit(cache=True, inline="always")
def pulse_once(code, sign, w, wmin, wmax, dwu, dwd, e1, e2, c, st):  # pragma: no cover - compiled
    """One pulse (sign +1 up, −1 down) on a device at weight ``w``; returns the new weight (clipped).

    ``st`` is the generator state (:mod:`neurofab.devices.rng`) the c2c noise is drawn from.
    """
    step, std = step_and_std(code, sign, w, wmin, wmax, dwu, dwd, e1, e2, c)
    if std != 0.0:
        step = step + std * normal(st)
    w = w + step if sign > 0 else w - step
    if w > wmax:
        w = wmax
    if w < wmin:
        w = wmin
    return w


@numba.njit(cache=True, inline="always")
def affine_run(n, w, lo, hi, a0, a1, sigma, mult, z):  # pragma: no cover - compiled
    """``n`` pulses on a constant- or affine-step device, one at a time; returns (weight, RNG counter).

    Signed form of one pulse: ``w ← clip(w + s + σ·s̃·ξ, lo, hi)`` with ``s = a₀ + a₁w`` — for an up pulse
    a₀ = Δw⁺, a₁ = slope⁺; for a down pulse a₀ = −Δw⁻, a₁ = −slope⁻ (a₁ = 0 for a constant step) — and
    s̃ = s when the noise multiplies the step (``mult``), else a₀. These are the numbers of :func:`pulse_once`
    (ξ is symmetric). ``z`` is the counter of :mod:`neurofab.devices.rng` (``normal_from``).
    """
    for _ in range(n):
        step = a0 + a1 * w
        if sigma != 0.0:
            g, z = normal_from(z)
            step += sigma * (step if mult else a0) * g
        w = max(min(w + step, hi), lo)
    return w, z


@numba.njit(cache=True, inline="always")
def pulse_run(code, sign, n, w, wmin, wmax, dwu, dwd, e1, e2, c, st):  # pragma: no cover - compiled
    """``n`` pulses of one sign (+1 up, −1 down) on one device at weight ``w``, one at a time; returns the weight.

    Every pulse draws its own c2c noise and is clipped to the bounds, exactly as ``n`` calls of
    :func:`pulse_once`; the constant and affine families take the short path :func:`affine_run`.
    """
    lo = np.float64(wmin)
    hi = np.float64(wmax)
    if code <= 1:
        if sign > 0:
            a0 = np.float64(dwu)
            a1 = np.float64(e1) if code == 1 else 0.0
        else:
            a0 = -np.float64(dwd)
            a1 = -np.float64(e2) if code == 1 else 0.0
        w, st[0] = affine_run(n, w, lo, hi, a0, a1, c[0], code == 0 or c[2] > 0, st[0])
        return w
    for _ in range(n):
        w = pulse_once(code, sign, w, lo, hi, dwu, dwd, e1, e2, c, st)
    return w


@numba.njit(cache=True)
def _apply_counts(w, w_read, prm, c, code, index, counts, seed):  # pragma: no cover - compiled
    st = new_state(seed)
    wn = c[1]
    for t in range(index.shape[0]):
        k = index[t]
        n = counts[t]
        v = pulse_run(
            code, 1 if n > 0 else -1, abs(n), np.float64(w[k]), prm[k, 0], prm[k, 1], prm[k, 2], prm[k, 3],
            prm[k, 4], prm[k, 5], c, st,
        )
        w[k] = v
        if wn > 0.0:
            w_read[k] = v + wn * normal(st)


def apply_counts(array, index: torch.Tensor, counts: torch.Tensor, seed: int) -> None:
    """Compiled ``DeviceArray.pulse`` on CPU: ``counts[t]`` pulses on flat device ``index[t]``."""
    w, w_read, prm, consts, code = array.kernel_args()
    _apply_counts(
        w.reshape(-1), w_read.reshape(-1), prm.reshape(-1, 6), consts, code, index.numpy(), counts.numpy(), seed
    )


@numba.njit(cache=True, nogil=True)
def _expected_affine(w, prm, total, net, half):  # pragma: no cover - compiled
    """Eq. 3 step for constant and affine steps without write noise, in the arrays' own precision.

    A branch-free loop over flat views that the compiler vectorizes (``half`` = 0.5 in the weights' dtype
    keeps float32 arrays in float32 arithmetic). A constant step has zero slopes in the packed parameters.
    """
    wf = w.reshape(-1)
    pf = prm.reshape(-1)
    tf = total.reshape(-1)
    nf = net.reshape(-1)
    for k in range(wf.shape[0]):
        v = wf[k]
        t = tf[k]
        n_up = half * (t + nf[k])
        n_down = t - n_up
        b = 6 * k
        v = v + n_up * (pf[b + 2] + pf[b + 4] * v) - n_down * (pf[b + 3] + pf[b + 5] * v)
        v = v if v > pf[b] else pf[b]
        v = v if v < pf[b + 1] else pf[b + 1]
        wf[k] = v


@numba.njit(cache=True)
def _expected_kernel(w, w_read, prm, c, code, total, net, seed):  # pragma: no cover - compiled
    st = new_state(seed)
    wn = c[1]
    n_out, n_in = w.shape
    for i in range(n_out):
        for j in range(n_in):
            t = total[i, j]
            if t == 0.0:
                continue
            v = np.float64(w[i, j])
            lo, hi = prm[i, j, 0], prm[i, j, 1]
            up, _ = step_and_std(code, 1, v, lo, hi, prm[i, j, 2], prm[i, j, 3], prm[i, j, 4], prm[i, j, 5], c)
            down, _ = step_and_std(code, -1, v, lo, hi, prm[i, j, 2], prm[i, j, 3], prm[i, j, 4], prm[i, j, 5], c)
            n_up = 0.5 * (t + net[i, j])
            v = v + n_up * up - (t - n_up) * down
            v = min(max(v, lo), hi)
            w[i, j] = v
            if wn > 0.0:
                w_read[i, j] = v + wn * normal(st)


def expected_update(array, total: torch.Tensor, net: torch.Tensor, seed: int) -> None:
    """Compiled Eq. 3 step on a 2-d CPU array: n_up = (total + net)/2 up and n_down = total − n_up down pulses."""
    w, w_read, prm, consts, code = array.kernel_args()
    total_np = total.to(array.w.dtype).contiguous().numpy()
    net_np = net.to(array.w.dtype).contiguous().numpy()
    if code <= 1 and consts[1] == 0.0 and w.flags.c_contiguous:
        _expected_affine(w, prm, total_np, net_np, w.dtype.type(0.5))
    else:
        _expected_kernel(w, w_read, prm, consts, code, total_np, net_np, seed)
