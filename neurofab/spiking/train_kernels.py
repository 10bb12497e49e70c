"""Compiled (numba) kernels of surrogate-gradient training: the LIF scan over time and the event-driven product.

- :func:`lif_forward` / :func:`lif_backward` — the recursion of :func:`neurofab.spiking.layers.lif_scan` for delta
  synapses without refractoriness, neurons in parallel and all T steps in one call; the forward writes spikes
  and the surrogate slope σ'(z_t − 1) of every step (the only things the adjoint needs, besides z_t for an
  attached reset to zero), the backward runs the adjoint

      ∂L/∂x_t = ∂L/∂s_t σ'_t + β ∂L/∂x_{t+1} · ∂u_t/∂z_t,
      ∂u_t/∂z_t = 1 (subtract, detached) | 1 − σ'_t (subtract) | 1 − s_t (zero, detached) | 1 − s_t − σ'_t z_t (zero).

  In snnTorch's order (its reset, detached, subtracted after the decay: :mod:`neurofab.spiking.layers`) only the
  forward differs; the detached adjoint is the same recursion (∂m_{t+1}/∂m_t = β, or β (1 − s_t) for reset to zero).

- :func:`block_masks`, :func:`event_matmul`, :func:`event_weight_grad` — a linear layer driven by a sparse input
  (spikes, rate-coded pixels): y_r = b + Σ_{i: x_ri ≠ 0} x_ri Wᵀ_i (one row of Wᵀ per input event, instead of a
  dense product over every input) and ∂L/∂Wᵀ_i = Σ_r x_ri ∂L/∂y_r, the same sums in another order. The events
  are found once per step as one bit per (row, input) in blocks of 32 rows; a block reads each row of Wᵀ once.

Scalars reach the kernels in an array of the data's dtype (``params``) so float32 data is computed in float32.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

__all__ = ["ROWS_PER_BLOCK", "SURROGATE_CODES", "block_masks", "event_matmul", "event_weight_grad", "lif_backward",
           "lif_forward"]

#: surrogate name → kernel code (the formulas of :mod:`neurofab.spiking.surrogate`)
SURROGATE_CODES = {"fast_sigmoid": 0, "sigmoid": 1, "arctan": 2, "straight_through": 3, "triangular": 4,
                   "rectangular": 5, "gaussian": 6}
NO_SLOPE = -1  #: forward only (inference): no slopes written

_CHUNK = 2048  # neurons per parallel work item of the scans

# params layout: [beta, drive, one, zero, a, b, c]
P_BETA, P_DRIVE, P_ONE, P_ZERO, P_A, P_B, P_C = range(7)


def surrogate_params(name: str, values: dict[str, float]) -> tuple[float, float, float]:
    """The three kernel constants (a, b, c) of a surrogate, from its fields."""
    if name in ("fast_sigmoid", "sigmoid"):
        return values["slope"], 0.0, 0.0
    if name == "arctan":
        return 0.5 * values["alpha"], 0.5 * math.pi * values["alpha"], 0.0
    if name == "triangular":
        return values["height"], 1.0 / values["width"], 0.0
    if name == "rectangular":
        return 0.5 * values["width"], 1.0 / values["width"], 0.0
    if name == "gaussian":
        return 1.0 / values["sigma"], 1.0 / (values["sigma"] * math.sqrt(2.0 * math.pi)), 0.0
    return 0.0, 0.0, 0.0


@numba.njit(cache=True, error_model="numpy")
def _slopes_(code, d, one, zero, a, b):  # pragma: no cover - compiled
    """σ'(d) written over d (1-D), one loop per surrogate so that each loop vectorizes."""
    n = d.shape[0]
    if code == 0:  # fast sigmoid: 1/(1 + k|d|)²
        for m in range(n):
            q = one + a * abs(d[m])
            d[m] = one / (q * q)
    elif code == 1:  # sigmoid: k e^{−k|d|}/(1 + e^{−k|d|})²
        for m in range(n):
            e = math.exp(-a * abs(d[m]))
            q = one + e
            d[m] = a * e / (q * q)
    elif code == 2:  # arctan: (α/2)/(1 + (παd/2)²)
        for m in range(n):
            q = b * d[m]
            d[m] = a / (one + q * q)
    elif code == 3:  # straight through
        for m in range(n):
            d[m] = one
    elif code == 4:  # triangular: h max(0, 1 − |d|/w)
        for m in range(n):
            d[m] = a * max(zero, one - abs(d[m]) * b)
    elif code == 5:  # rectangular: 1/w for |d| < w/2
        for m in range(n):
            d[m] = b if abs(d[m]) < a else zero
    else:  # gaussian: exp(−(d/s)²/2)/(s√(2π))
        for m in range(n):
            q = d[m] * a
            d[m] = b * math.exp(-(q * q) / (one + one))


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def lif_forward(x, u, params, reset_zero, snn, code, spikes, slope, z_out):  # pragma: no cover - compiled
    """Spikes (T, M), slopes σ'(z_t − 1) (T, M; unless ``code`` is NO_SLOPE) and, when ``z_out`` has the shape
    (T, M), the pre-reset potential z_t; ``u`` (M,) holds the initial potential and is left holding the final one.
    ``snn``: snnTorch's order (``u`` is then the membrane before the reset, r = H(u − 1) of the previous step
    subtracted after the decay, or zeroing it before the decay). Arrays not written may be of shape (1, 0)."""
    n_steps, m_total = x.shape
    beta, drive, one, zero = params[P_BETA], params[P_DRIVE], params[P_ONE], params[P_ZERO]
    a, b = params[P_A], params[P_B]
    keep_z = z_out.shape[0] == n_steps and z_out.shape[1] == m_total
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        uc = u[lo:hi]
        for t in range(n_steps):
            xt, st, sl = x[t, lo:hi], spikes[t, lo:hi], slope[t, lo:hi] if code >= 0 else slope[0, 0:0]
            zt = z_out[t, lo:hi] if keep_z else z_out[0, 0:0]
            for m in range(hi - lo):
                if snn:
                    um = uc[m]
                    r = one if um >= one else zero
                    z = (xt[m] + beta * (um - um * r)) + drive if reset_zero else (xt[m] + beta * um) + drive - r
                else:
                    z = (xt[m] + beta * uc[m]) + drive
                s = one if z >= one else zero
                st[m] = s
                if snn:
                    uc[m] = z
                else:
                    uc[m] = z - z * s if reset_zero else z - s
                if keep_z:
                    zt[m] = z
                if code >= 0:
                    sl[m] = z - one
            if code >= 0:
                _slopes_(code, sl, one, zero, a, b)


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def lif_backward(g, slope, spikes, z, params, reset_zero, detach, gx):  # pragma: no cover - compiled
    """∂L/∂x (T, M) into ``gx`` from ∂L/∂s (T, M) by the adjoint recursion (module docstring); ``z`` is read only
    for an attached reset to zero (else it may be of shape (1, 0))."""
    n_steps, m_total = g.shape
    beta, one = params[P_BETA], params[P_ONE]
    keep_z = reset_zero and not detach
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        g_last, s_last, gx_last = g[n_steps - 1, lo:hi], slope[n_steps - 1, lo:hi], gx[n_steps - 1, lo:hi]
        for m in range(hi - lo):
            gx_last[m] = g_last[m] * s_last[m]
        for t in range(n_steps - 2, -1, -1):
            gt, slt, spt, nx, out = g[t, lo:hi], slope[t, lo:hi], spikes[t, lo:hi], gx[t + 1, lo:hi], gx[t, lo:hi]
            zt = z[t, lo:hi] if keep_z else z[0, 0:0]
            for m in range(hi - lo):
                nxt = beta * nx[m]
                if reset_zero:
                    carry = one - spt[m]
                    if keep_z:
                        carry -= slt[m] * zt[m]
                    nxt *= carry
                elif not detach:
                    nxt *= one - slt[m]
                out[m] = gt[m] * slt[m] + nxt


ROWS_PER_BLOCK = 32  #: rows (step × sample) per block of input events: one bit each in a uint32 mask



@numba.njit(inline="always", cache=True)
def _row_start(r, offset, stride_t, stride_b, batch):  # pragma: no cover - compiled
    return offset + (r // batch) * stride_t + (r % batch) * stride_b


@numba.njit(cache=True, parallel=True, nogil=True)
def block_masks(x, offset, stride_t, stride_b, n_steps, batch, k_in):  # pragma: no cover - compiled
    """The input events of x (T, B, K) — ``x`` its flat storage, element (t, b, i) at
    ``offset + t·stride_t + b·stride_b + i`` — as bit masks: bit ρ of ``masks[blk, i]`` is set when x ≠ 0 at row
    r = blk·32 + ρ (row r = t·B + b) and input i. Returns (masks, number of nonzeros, all nonzeros equal 1, all
    entries finite)."""
    n_rows = n_steps * batch
    n_blocks = (n_rows + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK
    masks = np.zeros((n_blocks, k_in), dtype=np.uint32)
    nnz = np.zeros(n_blocks, dtype=np.int64)
    binary = np.ones(n_blocks, dtype=np.bool_)
    finite = np.ones(n_blocks, dtype=np.bool_)
    for blk in numba.prange(n_blocks):
        m = masks[blk]
        n = 0
        ones = True
        fin = True
        for rr in range(min(ROWS_PER_BLOCK, n_rows - blk * ROWS_PER_BLOCK)):
            base = _row_start(blk * ROWS_PER_BLOCK + rr, offset, stride_t, stride_b, batch)
            row = x[base:base + k_in]
            bit = np.uint32(1) << np.uint32(rr)
            for i in range(k_in):
                v = row[i]
                nz = v != 0
                m[i] |= bit if nz else np.uint32(0)
                n += nz
                ones &= (v == 0) | (v == 1)
                fin &= v - v == 0  # false for NaN and ±inf
        nnz[blk] = n
        binary[blk] = ones
        finite[blk] = fin
    return masks, nnz.sum(), bool(binary.all()), bool(finite.all())


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def event_matmul(masks, binary, x, offset, stride_t, stride_b, batch, weight_t, bias,
                 out):  # pragma: no cover - compiled
    """out_r = bias + Σ_{i: x_ri ≠ 0} x_ri weight_t[i] from the masks of :func:`block_masks` (weight_t: (K, N));
    blocks of rows in parallel, each input's row of weight_t read once per block. ``binary``: every nonzero is 1
    (``x`` is then not read)."""
    n_rows, n_out = out.shape
    n_blocks, k_in = masks.shape
    one = np.ones(1, dtype=out.dtype)[0]
    for blk in numba.prange(n_blocks):
        r0 = blk * ROWS_PER_BLOCK
        for r in range(r0, min(n_rows, r0 + ROWS_PER_BLOCK)):
            o = out[r]
            for j in range(n_out):
                o[j] = bias[j]
        for i in range(k_in):
            m = masks[blk, i]
            if m == 0:
                continue
            w = weight_t[i]
            while m:  # two events per pass: each element of w loaded once for two output rows
                ra = r0 + trailing_zeros(m)
                m &= m - np.uint32(1)
                oa = out[ra]
                va = one if binary else x[_row_start(ra, offset, stride_t, stride_b, batch) + i]
                if m:
                    rb = r0 + trailing_zeros(m)
                    m &= m - np.uint32(1)
                    ob = out[rb]
                    vb = one if binary else x[_row_start(rb, offset, stride_t, stride_b, batch) + i]
                    for j in range(n_out):
                        wj = w[j]
                        oa[j] += va * wj
                        ob[j] += vb * wj
                else:
                    for j in range(n_out):
                        oa[j] += va * w[j]


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def event_weight_grad(masks, binary, x, offset, stride_t, stride_b, batch, grad_out, n_parts,
                      grad_weight_t):  # pragma: no cover - compiled
    """grad_weight_t (K, N) = Σ_r x_ri grad_out_r over the events of :func:`block_masks`; the K inputs are split in
    ``n_parts`` ranges, one per thread, so every row of the result has one writer (the sums do not depend on the
    split)."""
    n_out = grad_out.shape[1]
    n_blocks, k_in = masks.shape
    one = np.ones(1, dtype=grad_out.dtype)[0]
    part = (k_in + n_parts - 1) // n_parts
    for p in numba.prange(n_parts):
        lo = p * part
        hi = min(k_in, lo + part)
        for i in range(lo, hi):
            gw = grad_weight_t[i]
            for j in range(n_out):
                gw[j] = 0
        for blk in range(n_blocks):
            r0 = blk * ROWS_PER_BLOCK
            for i in range(lo, hi):
                m = masks[blk, i]
                if m == 0:
                    continue
                gw = grad_weight_t[i]
                while m:  # two events per pass: one load and one store of gw for two rows
                    ra = r0 + trailing_zeros(m)
                    m &= m - np.uint32(1)
                    ga = grad_out[ra]
                    va = one if binary else x[_row_start(ra, offset, stride_t, stride_b, batch) + i]
                    if m:
                        rb = r0 + trailing_zeros(m)
                        m &= m - np.uint32(1)
                        gb = grad_out[rb]
                        vb = one if binary else x[_row_start(rb, offset, stride_t, stride_b, batch) + i]
                        for j in range(n_out):
                            gw[j] += va * ga[j] + vb * gb[j]
                    else:
                        for j in range(n_out):
                            gw[j] += va * ga[j]
