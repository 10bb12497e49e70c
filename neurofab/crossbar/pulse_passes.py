"""The pulses of a batch's trains on constant- and affine-step devices, written in passes (compiled, numba).

:func:`apply_trains_affine` takes the bit-packed trains of :mod:`neurofab.crossbar.update` (one mask word:
trains of at most 64 slots) and writes them pulse by pulse: device (i, j) receives, for each sample s in
order, n = popcount(row mask & column mask) pulses of sign −sign(δ_i x_j), each one the affine step of
:func:`~neurofab.devices.kernels.affine_run` — w ← clip(w + a₀ + a₁w + σ·s̃·ξ, lo, hi) — with its own c2c
draw ξ and its own clip. Only the order in which the pulses of *different* devices are made differs from a
device-by-device loop, and devices do not interact.

Why passes: a loop "for each device, for its n pulses" ends in a branch the processor cannot predict (n is
random), and a flat list of pulses makes consecutive pulses hit the same device through memory. Here a
row's firing devices of one sample are listed once; pass k applies the k-th pulse to every device of the
list and keeps (branch-free) those with more than k pulses. Within a pass every device is distinct, loops
have long fixed trip counts, and two pulses share one 64-bit random draw
(:func:`~neurofab.devices.rng.normal_pair_from`).

Per row: the row's weights, bounds and signed step coefficients are copied once into local tables (float64),
the samples are applied in order, and the weights are written back. Write noise: a read sees w plus a fresh
write-noise draw after every update of a device; no read happens inside a batch, so it is drawn once per
touched device at the end of the batch — the same distribution as a redraw after each sample. Row i draws
from its own stream ``stream_seed(seed, i)``, so the result does not depend on how rows are split across
threads.
"""

from __future__ import annotations

import numba
import numpy as np

from neurofab.devices.kernels import popcount
from neurofab.devices.rng import normal_from, normal_pair_from, stream_seed

__all__ = ["apply_trains_affine"]

_LOW = np.int64(0xFFFFFFFF)
_SHIFT = np.int64(32)


@numba.njit(cache=True, nogil=True)
def apply_trains_affine(
    w, w_read, prm, sigma, mult, wn, d, col_start, col_idx, col_mask, col_neg, row_ptr, row_sample, row_bits, seed,
    first_row, row_step,
):  # pragma: no cover - compiled
    """Write one-word trains through rows first_row, first_row + row_step, … of a constant/affine-step array.

    ``w``, ``w_read``: (out, in) weights and read weights; ``prm``: (out, in, 6) packed parameters (w_min,
    w_max, Δw⁺, Δw⁻, slope⁺, slope⁻); ``sigma``: c2c std relative to the step; ``mult``: the noise multiplies
    the state-dependent step (else the constant part); ``wn``: write-noise std [weight units]; ``d``: (B, out)
    errors (sign of the pulses); the trains as filled by ``update._draw_trains``. Returns the pulses written.
    """
    n_out, n_in = w.shape
    cols = col_mask[0]
    bits = row_bits[0]
    # per row: c = 2j + up → (a₀, a₁, noise coefficient, lo, hi); the pulse lists; the row's weights
    tab = np.empty((2 * n_in, 5), np.float64)
    wl = np.empty(n_in, np.float64)
    lst = np.empty(n_in + 1, np.int64)
    touched = np.empty(n_in, np.bool_)
    total = 0
    for i in range(first_row, n_out, row_step):
        if row_ptr[i] == row_ptr[i + 1]:
            continue
        for j in range(n_in):
            lo, hi = np.float64(prm[i, j, 0]), np.float64(prm[i, j, 1])
            up0, up1 = np.float64(prm[i, j, 2]), np.float64(prm[i, j, 4])
            dn0, dn1 = -np.float64(prm[i, j, 3]), -np.float64(prm[i, j, 5])
            tab[2 * j, 0], tab[2 * j, 1], tab[2 * j, 2] = dn0, dn1, sigma * dn0
            tab[2 * j + 1, 0], tab[2 * j + 1, 1], tab[2 * j + 1, 2] = up0, up1, sigma * up0
            tab[2 * j, 3], tab[2 * j, 4], tab[2 * j + 1, 3], tab[2 * j + 1, 4] = lo, hi, lo, hi
            wl[j] = w[i, j]
            touched[j] = False
        z = stream_seed(seed, i)
        for e in range(row_ptr[i], row_ptr[i + 1]):
            s = row_sample[e]
            r0 = bits[e]
            d_up = np.int64(d[s, i] < 0)  # up: −sign(δ_i x_j) > 0
            m = 0
            for t in range(col_start[s], col_start[s + 1]):  # list (n << 32 | c) of the devices that pulse
                n = popcount(r0 & cols[t])
                j = np.int64(col_idx[t])
                lst[m] = (n << _SHIFT) | (2 * j + (d_up ^ np.int64(col_neg[t])))
                m += n > 0
                touched[j] |= n > 0
                total += n
            k = np.int64(1)
            while m > 0:  # pass k: the k-th pulse of every listed device; keep those with more
                lst[m] = lst[m - 1]  # an odd list's last pair reads a harmless copy (its result is discarded)
                kept = 0
                for p in range(0, m, 2):
                    g1, g2, z = normal_pair_from(z)
                    for u in range(2):
                        ent = lst[p + u]
                        c = ent & _LOW
                        j = c >> 1
                        v = wl[j]
                        step = tab[c, 0] + tab[c, 1] * v
                        g = g1 if u == 0 else g2
                        step += (sigma * step if mult else tab[c, 2]) * g
                        new = min(max(v + step, tab[c, 3]), tab[c, 4])
                        live = p + u < m
                        wl[j] = new if live else v
                        lst[kept] = ent
                        kept += live & ((ent >> _SHIFT) > k)
                m = kept
                k += 1
        for j in range(n_in):
            w[i, j] = wl[j]
        if wn > 0.0:
            for j in range(n_in):
                if touched[j]:
                    g, z = normal_from(z)
                    w_read[i, j] = wl[j] + wn * g
    return total
