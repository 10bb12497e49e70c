"""Compiled (numba) kernels of surrogate-gradient training: the LIF scan over time and the event-driven product.

- :func:`lif_forward` / :func:`lif_backward` — the recursion of :func:`neurofab.spiking.layers.lif_scan` for delta
  synapses without refractoriness, neurons in parallel and all T steps in one call; the forward writes spikes
  and the surrogate slope σ'(z_t − 1) of every step (the only things the adjoint needs, besides z_t for an
  attached reset to zero), the backward runs the adjoint

      ∂L/∂x_t = ∂L/∂s_t σ'_t + β ∂L/∂x_{t+1} · ∂u_t/∂z_t,
      ∂u_t/∂z_t = 1 (subtract, detached) | 1 − σ'_t (subtract) | 1 − s_t (zero, detached) | 1 − s_t − σ'_t z_t (zero).

- :func:`csr_rows`, :func:`event_matmul`, :func:`event_weight_grad` — a linear layer driven by a sparse input
  (spikes, rate-coded pixels): y_r = b + Σ_{i: x_ri ≠ 0} x_ri W_i (one row of Wᵀ per input event, instead of a
  dense product over every input) and ∂L/∂Wᵀ_i = Σ_r x_ri ∂L/∂y_r, the same sums in another order.

Scalars reach the kernels in an array of the data's dtype (``params``) so float32 data is computed in float32.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["SURROGATE_CODES", "csr_rows", "event_matmul", "event_weight_grad", "lif_backward", "lif_forward"]

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


@numba.njit(inline="always", cache=True)
def _slope(code, d, one, zero, a, b):  # pragma: no cover - compiled
    if code == 0:  # fast sigmoid: 1/(1 + k|d|)²
        q = one + a * abs(d)
        return one / (q * q)
    if code == 1:  # sigmoid: k e^{−k|d|}/(1 + e^{−k|d|})²
        e = math.exp(-a * abs(d))
        q = one + e
        return a * e / (q * q)
    if code == 2:  # arctan: (α/2)/(1 + (παd/2)²)
        q = b * d
        return a / (one + q * q)
    if code == 3:  # straight through
        return one
    if code == 4:  # triangular: h max(0, 1 − |d|/w)
        return a * max(zero, one - abs(d) * b)
    if code == 5:  # rectangular: 1/w for |d| < w/2
        return b if abs(d) < a else zero
    # gaussian: exp(−(d/s)²/2)/(s√(2π))
    q = d * a
    return b * math.exp(-(q * q) / (one + one))


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def lif_forward(x, u, params, reset_zero, code, spikes, slope, z_out):  # pragma: no cover - compiled
    """Spikes (T, M), slopes σ'(z_t − 1) (T, M; unless ``code`` is NO_SLOPE) and, when ``z_out`` has the shape
    (T, M), the pre-reset potential z_t; ``u`` (M,) holds the initial potential and is left holding the final one.
    Arrays not written may be of shape (1, 0)."""
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
                z = (xt[m] + beta * uc[m]) + drive
                s = one if z >= one else zero
                st[m] = s
                uc[m] = z - z * s if reset_zero else z - s
                if keep_z:
                    zt[m] = z
                if code >= 0:
                    sl[m] = _slope(code, z - one, one, zero, a, b)


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


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def csr_rows(x, max_density):  # pragma: no cover - compiled
    """The nonzeros of x (T, B, K) row by row (row r = t·B + b): (indptr, indices int32, values); when more than
    ``max_density`` of the entries are nonzero, returns indptr alone with empty indices (the caller goes dense)."""
    n_steps, batch, k_in = x.shape
    n_rows = n_steps * batch
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in numba.prange(n_rows):
        t, bb = r // batch, r % batch
        n = 0
        row = x[t, bb]
        for i in range(k_in):
            n += row[i] != 0
        indptr[r + 1] = n
    for r in range(n_rows):
        indptr[r + 1] += indptr[r]
    nnz = indptr[n_rows]
    if nnz > max_density * n_rows * k_in:
        return indptr, np.empty(0, dtype=np.int32), np.empty(0, dtype=x.dtype)
    indices = np.empty(nnz, dtype=np.int32)
    values = np.empty(nnz, dtype=x.dtype)
    for r in numba.prange(n_rows):
        t, bb = r // batch, r % batch
        k = indptr[r]
        for i in range(k_in):
            v = x[t, bb, i]
            if v != 0:
                indices[k] = i
                values[k] = v
                k += 1
    return indptr, indices, values


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def event_matmul(indptr, indices, values, weight_t, bias, out):  # pragma: no cover - compiled
    """out_r = bias + Σ_k values_k weight_t[indices_k] over the events k of row r (weight_t: (K, N))."""
    n_rows, n_out = out.shape
    for r in numba.prange(n_rows):
        row = out[r]
        for j in range(n_out):
            row[j] = bias[j]
        k, end = indptr[r], indptr[r + 1]
        while k + 4 <= end:  # four events per pass over the row: one load and one store of it per four
            w0, w1, w2, w3 = weight_t[indices[k]], weight_t[indices[k + 1]], weight_t[indices[k + 2]], \
                weight_t[indices[k + 3]]
            v0, v1, v2, v3 = values[k], values[k + 1], values[k + 2], values[k + 3]
            for j in range(n_out):
                row[j] += (v0 * w0[j] + v1 * w1[j]) + (v2 * w2[j] + v3 * w3[j])
            k += 4
        while k < end:
            w0 = weight_t[indices[k]]
            v0 = values[k]
            for j in range(n_out):
                row[j] += v0 * w0[j]
            k += 1


@numba.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def event_weight_grad(indptr, indices, values, grad_out, n_parts, grad_weight_t):  # pragma: no cover - compiled
    """grad_weight_t (K, N) = Σ_r Σ_k values_k ⊗ grad_out_r over the events k of row r; the N outputs are split in
    ``n_parts`` blocks, one per thread, so every block of the result is written by one thread only."""
    n_rows, n_out = grad_out.shape
    grad_weight_t[:, :] = 0
    block = ((n_out + n_parts - 1) // n_parts + 15) // 16 * 16
    for p in numba.prange(n_parts):
        lo = p * block
        hi = min(n_out, lo + block)
        if lo >= hi:
            continue
        for r in range(n_rows):
            g = grad_out[r, lo:hi]
            for k in range(indptr[r], indptr[r + 1]):
                dst = grad_weight_t[indices[k], lo:hi]
                v = values[k]
                for j in range(hi - lo):
                    dst[j] += v * g[j]
