"""A batch's pulses on constant- and affine-step devices with additive noise, composed in closed form (numba).

The pulse process of :func:`~neurofab.crossbar.affine_pulses.apply_trains_affine` — per pulse
w ← clip(w + a₀ + a₁w + σ·a₀·ξ, lo, hi), ξ ~ N(0, 1), for each coincidence of the batch's trains, samples in
order — is, while no clip binds, a Gaussian AR(1) chain. With q = 1 + a₁, a visit of n same-sign pulses maps a
Gaussian state N(m, v) to N(m', v') with

    m' = qⁿ·m + a₀·Sₙ,     v' = q²ⁿ·v + (σa₀)²·Vₙ,     Sₙ = Σ_{k<n} qᵏ,  Vₙ = Σ_{k<n} q²ᵏ,

so the device's state after all its visits of the batch is one Gaussian: the kernel carries (m, v) through
the visits (up and down visits have their own a₀, q) and draws the state once at the end — one normal number
per device and batch instead of one per pulse. Nothing reads a device inside a batch, so this is the same
distribution of weights as pulse-by-pulse application, as long as no clip binds.

Clipping: before each visit the kernel checks that every intermediate state stays at least K = 8 standard
deviations inside [lo, hi] (the mean path is monotone between m and m'; each state's variance is at most
max(1, q²ⁿ)·(v + (σa₀)²n)). A bound is then reached unnoticed with probability below 2n·Φ(−8) ≈ 10⁻¹⁵·n per
visit. When the check fails, the state is drawn (the chain is Markov, so this is exact), the check is made
again with v = 0, and if it still fails the visit's pulses are applied one at a time with their own clips
(:func:`~neurofab.devices.kernels.affine_run`). Devices with q ≤ 0 (a slope steeper than the range) and
multiplicative noise on a state-dependent step (no Gaussian closure) always take that per-pulse path.

Write noise is drawn once per touched device, as in the per-pulse kernel. Random numbers: row i draws its
end-of-batch normals from stream ``stream_seed(seed, i)`` (vectorised ziggurat, :func:`normals_into`) and
device (i, j) its rare per-visit draws from its own stream, so results do not depend on the thread split.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from neurofab.crossbar.inference_kernels import normals_into
from neurofab.devices.kernels import affine_run, popcount
from neurofab.devices.rng import normal_from, stream_seed

__all__ = ["apply_trains_composed", "column_masks"]

#: squared number of standard deviations an intermediate state must keep from a bound (K = 8)
_K2 = 64.0
#: stand-in for an infinite noise variance: a visit of a device without closed form never passes the check
_NO_CLOSED_FORM = 1e300
#: devices whose closed-form tables are built together (the innermost, vectorised loop)
_BLOCK = 8
#: key of the per-device streams of the rare per-visit draws (distinct from the rows' streams)
_DEVICE_STREAMS = np.uint64(0x243F6A8885A308D3)


@numba.njit(cache=True, nogil=True)
def column_masks(col_start, col_idx, col_mask, col_neg, n_in):  # pragma: no cover - compiled
    """The trains' column side as dense (in, B) arrays: slot mask of column j in sample s, and x_sj < 0."""
    n_batch = col_start.shape[0] - 1
    masks = np.zeros((n_in, n_batch), np.uint64)
    negative = np.zeros((n_in, n_batch), np.bool_)
    cols = col_mask[0]
    for s in range(n_batch):
        for t in range(col_start[s], col_start[s + 1]):
            j = col_idx[t]
            masks[j, s] = cols[t]
            negative[j, s] = col_neg[t]
    return masks, negative


@numba.njit(cache=True, nogil=True)
def _visit_with_bounds(m, v, n, a0, a1, lo, hi, p, o, vn, c2, sigma, mult, z):  # pragma: no cover - compiled
    """A visit whose path may come near a bound: draw the state, test again, else pulse by pulse.

    Returns (mean, variance, counter, 1 if the pulses went one by one else 0).
    """
    if v > 0.0:
        g, z = normal_from(z)
        m = max(min(m + math.sqrt(v) * g, hi), lo)
    m1 = p * m + o
    s2 = _K2 * c2 * n * max(1.0, p * p)
    dlo = min(m, m1) - lo
    dhi = hi - max(m, m1)
    if dlo >= 0.0 and dhi >= 0.0 and dlo * dlo >= s2 and dhi * dhi >= s2:
        return m1, vn, z, 0
    w, z = affine_run(n, m, lo, hi, a0, a1, sigma, mult, z)
    return w, 0.0, z, 1


@numba.njit(cache=True, nogil=True)
def apply_trains_composed(
    w, w_read, prm, sigma, mult, wn, d, masks, negative, row_ptr, row_sample, row_bits, seed, first_row, row_step,
):  # pragma: no cover - compiled
    """Write one-word trains through rows first_row, first_row + row_step, … in closed form (module docstring).

    Arguments as :func:`~neurofab.crossbar.affine_pulses.apply_trains_affine`, with the column side of the
    trains from :func:`column_masks`. Returns (pulses written, visits applied pulse by pulse).
    """
    n_out, n_in = w.shape
    n_batch = d.shape[0]
    bits = row_bits[0]
    total = 0
    one_by_one = 0
    t_p = np.zeros((65, 2, _BLOCK))  # qⁿ
    t_o = np.zeros((65, 2, _BLOCK))  # a₀·Sₙ
    t_v = np.zeros((65, 2, _BLOCK))  # Vₙ
    q = np.zeros((2, _BLOCK))
    a0 = np.zeros((2, _BLOCK))
    a1 = np.zeros((2, _BLOCK))
    c2 = np.zeros((2, _BLOCK))
    xi = np.empty(2 * n_in)
    retry = np.empty(2 * n_in, np.bool_)
    e_sample = np.empty(n_batch, np.int64)
    e_bits = np.empty(n_batch, np.uint64)
    e_neg = np.empty(n_batch, np.bool_)
    for i in range(first_row, n_out, row_step):
        n_e = row_ptr[i + 1] - row_ptr[i]
        if n_e == 0:
            continue
        longest = 0
        for e in range(n_e):
            s = row_sample[row_ptr[i] + e]
            e_sample[e] = s
            e_bits[e] = bits[row_ptr[i] + e]
            e_neg[e] = d[s, i] < 0
            longest = max(longest, popcount(e_bits[e]))
        normals_into(xi, retry, stream_seed(seed, i), 0, 1)
        for j0 in range(0, n_in, _BLOCK):
            nb = min(_BLOCK, n_in - j0)
            for b in range(_BLOCK):  # u = 1: up pulse (a₀ = Δw⁺, a₁ = slope⁺); u = 0: down (−Δw⁻, −slope⁻)
                j = min(j0 + b, n_in - 1)
                a0[1, b] = prm[i, j, 2]
                a1[1, b] = prm[i, j, 4]
                a0[0, b] = -np.float64(prm[i, j, 3])
                a1[0, b] = -np.float64(prm[i, j, 5])
                for u in range(2):
                    q[u, b] = 1.0 + a1[u, b]
                    closed = q[u, b] > 0.0 and (not mult or a1[u, b] == 0.0)
                    c2[u, b] = (sigma * a0[u, b]) ** 2 if closed else _NO_CLOSED_FORM
            for u in range(2):
                for b in range(_BLOCK):
                    t_p[0, u, b] = 1.0
                    t_o[0, u, b] = 0.0
                    t_v[0, u, b] = 0.0
                for k in range(longest):
                    for b in range(_BLOCK):
                        p = t_p[k, u, b]
                        t_p[k + 1, u, b] = p * q[u, b]
                        t_o[k + 1, u, b] = t_o[k, u, b] + a0[u, b] * p
                        t_v[k + 1, u, b] = t_v[k, u, b] + p * p
            for b in range(nb):
                j = j0 + b
                lo = np.float64(prm[i, j, 0])
                hi = np.float64(prm[i, j, 1])
                m = np.float64(w[i, j])
                v = 0.0
                hits = 0
                z = np.uint64(0)
                z_ready = False
                for e in range(n_e):
                    s = e_sample[e]
                    n = popcount(e_bits[e] & masks[j, s])
                    u = 1 if e_neg[e] != negative[j, s] else 0
                    hits += n
                    p = t_p[n, u, b]
                    m1 = p * m + t_o[n, u, b]
                    s2 = _K2 * (v + c2[u, b] * n) * max(1.0, p * p)
                    dlo = min(m, m1) - lo
                    dhi = hi - max(m, m1)
                    if dlo >= 0.0 and dhi >= 0.0 and dlo * dlo >= s2 and dhi * dhi >= s2:
                        m = m1
                        v = p * p * v + c2[u, b] * t_v[n, u, b]
                    else:
                        if not z_ready:
                            z = stream_seed(seed ^ _DEVICE_STREAMS, i * n_in + j)
                            z_ready = True
                        m, v, z, slow = _visit_with_bounds(
                            m, v, n, a0[u, b], a1[u, b], lo, hi, p, t_o[n, u, b], c2[u, b] * t_v[n, u, b],
                            c2[u, b], sigma, mult, z,
                        )
                        one_by_one += slow
                if hits == 0:
                    continue
                total += hits
                wij = max(min(m + math.sqrt(v) * xi[2 * j], hi), lo)
                w[i, j] = wij
                if wn > 0.0:
                    w_read[i, j] = wij + wn * xi[2 * j + 1]
    return total, one_by_one
