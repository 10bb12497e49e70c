"""Compiled (numba) kernels of the inference MVM periphery: DAC codes, and read noise + output noise + ADC fused.

The forward MVM of :mod:`neurofab.crossbar.inference_tile` touches every input and output element a handful of
times (noise management, DAC rounding, noise, ADC rounding, saturation test, clip, rescale). These kernels do
each side in one pass over the data, rows in parallel:

- :func:`dac_codes` — per row the noise-management scale (abs-max, optionally capped) and the DAC codes
  rint((x / scale) / step), clipped: the same float32 operations in the same order as the torch path, so the
  codes agree bit for bit;
- :func:`adc_finish` — per element v = y·unit + sqrt(var·unit² + σ_out²)·ξ with per-read device noise (the
  read noise and the output noise are independent Gaussians, so their sum is one Gaussian of the summed
  variance: one draw instead of two), else v = y·unit + σ_out·ξ; then ADC rounding, the saturation flag of
  the row, the clip, and the final digital factors (row scale × column factor), written in place.

Both kernels keep the float32 operations of the torch path, and every inner loop reads row views and avoids
float max/min reductions (whose NaN rules keep LLVM from vectorising them): the abs-max is an integer max over
the float bits, the saturation test an or-reduction of comparisons.

Gaussian numbers come from ziggurat samplers (Marsaglia & Tsang 2000) fed by a counter-based SplitMix64 stream
keyed by (call seed, counter): every number depends only on the seed and its position, so results do not depend
on how rows are spread over threads, and the call seed is drawn from the caller's ``torch.Generator``. The
numbers are drawn in two loops: the ziggurat's first try for every element, branch-free so it compiles to vector
instructions (hash, table gather, compare), then the rare rejected draws one by one.

- :func:`normals_into` (float64, 256 layers, one hash per number; ≈ 1.5 % of first tries rejected) serves
  :mod:`neurofab.crossbar.composed_pulses` and :func:`standard_normal_fill`;
- :func:`normals32_into` (float32, 1024 layers, two numbers per 64-bit hash: 10 bits pick the layer, 1 the sign,
  21 the position in the layer; ≈ 0.43 % of first tries rejected, found by testing the flags eight at a time)
  serves :func:`adc_finish` and :func:`standard_normal_fill32`. A rejected first try finishes with the wedge
  test or the tail on a stream started from its hash, then, if that fails too, with a float64 draw: every try
  is a whole ziggurat try, so the law is exactly normal (tails beyond r = 4.04 included), to the 2⁻²¹ spacing of
  positions within a layer. One core: ≈ 1.15 ns a number, against ≈ 2.4 ns for the float64 sampler.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "adc_finish", "dac_codes", "normals32_into", "normals_into", "standard_normal_fill", "standard_normal_fill32",
]

# ----- ziggurat tables (256 layers of equal area v under f(x) = exp(−x²/2), tail beyond r) -----------------------
_R = 3.6541528853610088
_V = 0.00492867323399


def _tables(n: int = 256, r: float = _R, v: float = _V) -> tuple[np.ndarray, np.ndarray]:
    """Layer edges x[0..n] (x[0] = v / f(r) the base strip's width, x[1] = r, x[n] = 0) and f(x) for a ziggurat of
    n layers of area v under f(x) = exp(−x²/2) with the tail beyond r."""
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    x = np.zeros(n + 1)
    x[0] = v / f(r)
    x[1] = r
    for i in range(1, n):
        arg = f(x[i]) + v / x[i]
        x[i + 1] = math.sqrt(-2.0 * math.log(arg)) if arg < 1.0 else 0.0
    x[n] = 0.0
    return x, np.exp(-0.5 * x * x)


ZIG_X, ZIG_F = _tables()

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 1.0 / 9007199254740992.0


@numba.njit(inline="always", cache=True)
def _mix(z):  # pragma: no cover - compiled
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@numba.njit(inline="always", cache=True)
def _unit(b):  # pragma: no cover - compiled
    """The top 53 bits of b as a float in [0, 1) (through int64: numba's uint64 → float is slow)."""
    return np.float64(np.int64(b >> np.uint64(11))) * _TWO_M53


@numba.njit(inline="always", cache=True)
def _normal(seed, counter):  # pragma: no cover - compiled
    """One standard normal number for (seed, counter): ziggurat on SplitMix64.

    The first 64 random bits are SplitMix64's output at state seed + counter·γ (one hash); the rare rejections
    continue on a stream started from those bits.
    """
    b = _mix(seed + np.uint64(counter) * _GAMMA)
    state = b
    while True:
        i = np.int64(b & np.uint64(0xFF))
        neg = (b >> np.uint64(8)) & np.uint64(1)
        z = _unit(b) * ZIG_X[i]
        if z < ZIG_X[i + 1]:
            return -z if neg else z
        if i == 0:  # the tail beyond r, by Marsaglia's exponential rejection
            while True:
                state += _GAMMA
                u1 = _unit(_mix(state)) + 0.5 * _TWO_M53
                state += _GAMMA
                u2 = _unit(_mix(state)) + 0.5 * _TWO_M53
                a = -math.log(u1) / _R
                c = -math.log(u2)
                if c + c > a * a:
                    return -(_R + a) if neg else _R + a
        state += _GAMMA
        if ZIG_F[i + 1] + _unit(_mix(state)) * (ZIG_F[i] - ZIG_F[i + 1]) < math.exp(-0.5 * z * z):
            return -z if neg else z
        state += _GAMMA
        b = _mix(state)


@numba.njit(inline="always", cache=True)
def _normal_first_try(seed, counter):  # pragma: no cover - compiled
    """The ziggurat's first try for (seed, counter), branch-free: (value, accepted). When accepted (≈ 98.5 % of
    draws) the value is :func:`_normal`'s; else :func:`_normal` continues from the same bits."""
    b = _mix(seed + np.uint64(counter) * _GAMMA)
    i = np.int64(b & np.uint64(0xFF))
    z = _unit(b) * ZIG_X[i]
    neg = (b >> np.uint64(8)) & np.uint64(1)
    return (-z if neg else z), z < ZIG_X[i + 1]


@numba.njit(inline="always", cache=True)
def normals_into(out, retry, seed, first, stride):  # pragma: no cover - compiled
    """out[j] = _normal(seed, first + stride·j) for every j: a first loop of branch-free first tries (it
    vectorises), then the rare rejected draws one by one. ``retry`` is a bool scratch of out's length."""
    n = out.shape[0]
    for j in range(n):
        v, ok = _normal_first_try(seed, first + stride * j)
        out[j] = v
        retry[j] = not ok
    for j in range(n):
        if retry[j]:
            out[j] = _normal(seed, first + stride * j)


_FILL_CHUNK = 4096
_ROW_CHUNK = 32


@numba.njit(cache=True, parallel=True)
def standard_normal_fill(out, seed):  # pragma: no cover - compiled
    """Fill a flat float array with standard normal numbers (element k: counter k)."""
    n = out.shape[0]
    for c in numba.prange((n + _FILL_CHUNK - 1) // _FILL_CHUNK):
        lo = c * _FILL_CHUNK
        m = min(_FILL_CHUNK, n - lo)
        buf = np.empty(m, np.float64)
        retry = np.empty(m, np.bool_)
        normals_into(buf, retry, seed, lo, 1)
        for j in range(m):
            out[lo + j] = buf[j]


# ----- float32 sampler: 1024 layers, two numbers per 64-bit hash ---------------------------------------------
_R32 = 4.038849846109504  # r and v of the 1024-layer ziggurat: x[1] = r and the layers stack to the top exactly
_V32 = 0.0012263246463530893
ZIG32_X64, ZIG32_F = _tables(1024, _R32, _V32)
ZIG32_X = ZIG32_X64.astype(np.float32)
_TWO_M21 = np.float32(1.0 / 2097152.0)
_STREAM_OUT = np.uint64(0xD1B54A32D192ED03)  # the output-noise-only stream's key
_HALF_KEY = (np.uint64(0x2545F4914F6CDD1D), np.uint64(0x9FB21C651E98DF25))


@numba.njit(inline="always", cache=True)
def _first_try32(bits):  # pragma: no cover - compiled
    """The ziggurat's first try on 32 random bits, branch-free, in float32: (value, accepted). Bits 0–9 pick the
    layer, bit 10 the sign, bits 11–31 the position in the layer (21 bits)."""
    i = np.int64(bits & np.uint32(0x3FF))
    z = np.float32(np.int32(bits >> np.uint32(11))) * _TWO_M21 * ZIG32_X[i]
    neg = (bits >> np.uint32(10)) & np.uint32(1)
    return (-z if neg else z), z < ZIG32_X[i + 1]


@numba.njit(inline="always", cache=True)
def _retry32(bits, b, half):  # pragma: no cover - compiled
    """A rejected first try (32 ``bits``, half ``half`` of the 64-bit hash ``b``) finished: the wedge test (or
    the tail, in the base strip) on a stream started from (b, half), then, when that fails too, a fresh draw of
    the float64 sampler on the same stream. Every try is a whole ziggurat try and an accepted one is exactly
    normal, so the result is."""
    i = np.int64(bits & np.uint32(0x3FF))
    z = np.float64(np.float32(np.int32(bits >> np.uint32(11))) * _TWO_M21 * ZIG32_X[i])
    neg = (bits >> np.uint32(10)) & np.uint32(1)
    state = _mix(b ^ _HALF_KEY[half])
    if i == 0:  # z beyond r: the tail, by Marsaglia's exponential rejection
        while True:
            state += _GAMMA
            u1 = _unit(_mix(state)) + 0.5 * _TWO_M53
            state += _GAMMA
            u2 = _unit(_mix(state)) + 0.5 * _TWO_M53
            a = -math.log(u1) / _R32
            c = -math.log(u2)
            if c + c > a * a:
                return np.float32(-(_R32 + a) if neg else _R32 + a)
    state += _GAMMA
    if ZIG32_F[i + 1] + _unit(_mix(state)) * (ZIG32_F[i] - ZIG32_F[i + 1]) < math.exp(-0.5 * z * z):
        return np.float32(-z if neg else z)
    return np.float32(_normal(_mix(state + _GAMMA), 0))


@numba.njit(inline="always", cache=True)
def normals32_into(out, retry, seed, first):  # pragma: no cover - compiled
    """Fill float32 ``out`` (length n) with standard normal numbers, two per 64-bit SplitMix64 hash: hash p
    (state seed + (first + p)·γ) gives out[p] from its low 32 bits and out[h + p] from its high 32 bits,
    h = n − n // 2 (an odd n's middle element takes the low half of hash n // 2). A first loop of branch-free
    float32 ziggurat tries (it vectorises), then the rare rejected draws one by one. Uses the hashes
    first … first + h − 1; ``retry`` is a bool scratch of out's length."""
    n = out.shape[0]
    m = n // 2
    h = n - m
    lo_out = out[:m]
    hi_out = out[h:]
    lo_ret = retry[:m]
    hi_ret = retry[h:]
    for p in range(m):
        b = _mix(seed + np.uint64(first + p) * _GAMMA)
        v, ok = _first_try32(np.uint32(b & np.uint64(0xFFFFFFFF)))
        lo_out[p] = v
        lo_ret[p] = not ok
        v, ok = _first_try32(np.uint32(b >> np.uint64(32)))
        hi_out[p] = v
        hi_ret[p] = not ok
    if h > m:
        b = _mix(seed + np.uint64(first + m) * _GAMMA)
        v, ok = _first_try32(np.uint32(b & np.uint64(0xFFFFFFFF)))
        out[m] = v
        retry[m] = not ok
    words = retry[:n - n % 8].view(np.uint64)  # the flags eight at a time: most words are zero
    for k in range(words.shape[0] + 1):
        if k < words.shape[0] and words[k] == 0:
            continue
        for j in range(8 * k, min(8 * k + 8, n)):
            if retry[j]:
                p = j if j < h else j - h
                half = 0 if j < h else 1
                b = _mix(seed + np.uint64(first + p) * _GAMMA)
                bits = np.uint32(b & np.uint64(0xFFFFFFFF)) if half == 0 else np.uint32(b >> np.uint64(32))
                out[j] = _retry32(bits, b, half)


@numba.njit(cache=True, parallel=True)
def standard_normal_fill32(out, seed):  # pragma: no cover - compiled
    """Fill a flat float32 array with standard normal numbers from :func:`normals32_into`, in blocks of 4,096
    (block c uses hashes 2048·c …): the same numbers for any thread count."""
    n = out.shape[0]
    for c in numba.prange((n + _FILL_CHUNK - 1) // _FILL_CHUNK):
        lo = c * _FILL_CHUNK
        m = min(_FILL_CHUNK, n - lo)
        retry = np.empty(m, np.bool_)
        normals32_into(out[lo:lo + m], retry, seed, lo // 2)


_ABS_BITS = np.int32(0x7FFFFFFF)
_INF_BITS = np.int32(0x7F800000)


@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE-754 bits are the int32 ``bits`` (a bit cast, no conversion)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@numba.njit(cache=True, parallel=True)
def dac_codes(
    x, rows, col0, scale, compute_scale, nm_thres, step, lim, clip, codes, squares=None, nonfinite=None
):  # pragma: no cover - compiled
    """float32: codes[b, j] = clip(rint((x[rows[b], col0 + j] / s_b) / step), ±lim). With ``compute_scale``
    s_b = max_j |x[rows[b], col0 + j]| (capped at ``nm_thres`` when > 0; an all-zero row is scaled by 1) is
    computed and written to ``scale``, else read from it. ``squares`` (optional, codes' shape) gets codes²
    in the same pass (the input of the read-noise variance matmul); ``nonfinite`` (optional, bool (n,)) tells
    whether the row holds NaN or ±inf. ``x`` C-contiguous, so the loops vectorise.

    The abs-max and the finiteness test are one integer pass over the float bits: with the sign bit cleared, the
    bits of finite floats order as their values, and every NaN or inf lies at or above the bits of +inf (an
    integer max reduction vectorises; a float one does not, because of its NaN rules)."""
    n, cols = codes.shape
    one = np.float32(1.0)
    xi = x.view(np.int32)
    scan = compute_scale or nonfinite is not None
    for b in numba.prange(n):
        r = rows[b]
        if scan:
            m = np.int32(0)
            xir = xi[r, col0:col0 + cols]  # a row view: x[r, col0 + j] would not vectorise (index wrap-around)
            for j in range(cols):
                v = xir[j] & _ABS_BITS
                m = v if v > m else m
            if nonfinite is not None:
                nonfinite[b] = m >= _INF_BITS
            if compute_scale:
                a = _float32_from_bits(m)
                scale[b] = nm_thres if nm_thres > 0 and a > nm_thres else a
        s = scale[b]
        s = s if s > 0 or not compute_scale else one
        xr = x[r, col0:col0 + cols]
        cr = codes[b]
        sr = squares[b] if squares is not None else cr
        nlim = -lim
        for j in range(cols):
            v = np.rint((xr[j] / s) / step)
            if clip:
                v = lim if v > lim else v
                v = nlim if v < nlim else v
            cr[j] = v
            if squares is not None:
                sr[j] = v * v


@numba.njit(cache=True, parallel=True)
def adc_finish(
    y, out, out_rows, unit, var, has_var, out_noise, out_step, bound, has_bound, test_negative, row_scale,
    col_factor, seed, hit,
):  # pragma: no cover - compiled
    """float32: row b of the analog sums ``y`` gets read noise, output noise, ADC, clip and the final factors
    (row scale × column factor) and goes to row ``out_rows[b]`` of ``out`` (which may be ``y``); ``hit[b]``
    tells whether it saturated. The noise is added in its own loops over a row buffer; rounding, saturation test
    (an or-reduction of comparisons: the same flag as max ≥ bound), clip and rescale are one vectorised loop.
    With ``has_var`` the read noise sqrt(var)·unit and the output noise ``out_noise`` are one draw of std
    sqrt(var·unit² + out_noise²), else the output noise alone is drawn (on a stream keyed apart): row b's normals
    are :func:`normals32_into` on hashes b·⌈cols/2⌉ …, so no two rows share one."""
    n, cols = y.shape
    half = cols - cols // 2  # hashes per row (two numbers per hash)
    unit2 = np.float32(unit) * np.float32(unit)
    out_var = np.float32(out_noise) * np.float32(out_noise)
    stream = seed ^ _STREAM_OUT if not has_var else seed
    for c in numba.prange((n + _ROW_CHUNK - 1) // _ROW_CHUNK):  # row buffers allocated once per chunk of rows
        buf = np.empty(cols, np.float32)
        nrm = np.empty(cols, np.float32)
        retry = np.empty(cols, np.bool_)
        for b in range(c * _ROW_CHUNK, min(n, (c + 1) * _ROW_CHUNK)):
            yr = y[b]
            for j in range(cols):
                buf[j] = yr[j] * unit
            if has_var:  # read noise and output noise: one Gaussian of their summed variance
                normals32_into(nrm, retry, stream, b * half)
                vr = var[b]
                for j in range(cols):
                    buf[j] += np.sqrt(vr[j] * unit2 + out_var) * nrm[j]
            elif out_noise > 0:
                normals32_into(nrm, retry, stream, b * half)
                for j in range(cols):
                    buf[j] += out_noise * nrm[j]
            rs = row_scale[b]
            orow = out[out_rows[b]]
            h = False
            if has_bound:
                nb = -bound
                for j in range(cols):
                    v = buf[j]
                    if out_step > 0:
                        v = np.rint(v / out_step) * out_step
                    h |= (v >= bound) | (test_negative & (v <= nb))
                    v = bound if v > bound else v
                    v = nb if v < nb else v
                    orow[j] = v * rs * col_factor[j]
            else:
                for j in range(cols):
                    v = buf[j]
                    if out_step > 0:
                        v = np.rint(v / out_step) * out_step
                    orow[j] = v * rs * col_factor[j]
            hit[b] = h
