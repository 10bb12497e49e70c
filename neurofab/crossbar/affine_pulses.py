"""The pulses of a batch's trains on constant- and affine-step devices (compiled, numba).

:func:`apply_trains_affine` takes the bit-packed trains of :mod:`neurofab.crossbar.update` (one mask word:
trains of at most 64 slots) and writes them pulse by pulse: device (i, j) receives, for each sample s in
order, n = popcount(row mask & column mask) pulses of sign −sign(δ_i x_j), each one the affine step of
:func:`~neurofab.devices.kernels.affine_run` — w ← clip(w + a₀ + a₁w + σ·s̃·ξ, lo, hi) — with its own c2c
draw ξ and its own clip. Devices with no coincidence are not touched.

Write noise: a read sees w plus a fresh write-noise draw after every update of a device; no read happens
inside a batch, so it is drawn once per touched device at the end of the row's batch — the same distribution
as a redraw after each sample, one normal per device instead of one per visit. Row i draws from its own
stream ``stream_seed(seed, i)``, so the result does not depend on how rows are split across threads.

(A variant that lists a row's pulsing devices and applies the k-th pulse of all of them in pass k — no
unpredictable loop exits — was measured against this one: equal on TTv2 workloads with ≈ 2.4 pulses per visit,
1.5× slower on plain SGD updates with one or two pulses per visit; it was not kept.)
"""

from __future__ import annotations

import numba
import numpy as np

from neurofab.devices.kernels import affine_run, popcount, prefetch
from neurofab.devices.rng import normal_from, stream_seed

__all__ = ["apply_trains_affine"]

#: how many device visits ahead of the pulse loop the row kernels prefetch (memory latency hiding)
_PREFETCH_VISITS = 32


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

    The loop is kept in registers: per device, the signed
    step coefficients (a₀, a₁) of :func:`~neurofab.devices.kernels.affine_run` (a constant step has zero
    slopes in the packed parameters). The devices of the rows ahead are prefetched (a sparse update waits
    on memory otherwise). No array views or array-taking helpers inside the loops: each would cost
    reference counting (atomic operations) per row or per pulse.
    """
    n_out, n_in = w.shape
    cols = col_mask[0]
    bits = row_bits[0]
    total = 0
    ahead = 0
    pf = first_row
    marked = np.full(n_in if wn > 0.0 else 0, -1, np.int64)  # the row that last touched column j
    touched = np.empty(n_in if wn > 0.0 else 0, np.int64)
    for i in range(first_row, n_out, row_step):
        if row_ptr[i] == row_ptr[i + 1]:
            continue
        if pf <= i:
            pf = i
        while pf < n_out and (pf <= i or ahead < _PREFETCH_VISITS):  # prefetch the rows ahead
            for e in range(row_ptr[pf], row_ptr[pf + 1]):
                s = row_sample[e]
                for t in range(col_start[s], col_start[s + 1]):
                    k = pf * n_in + np.int64(col_idx[t])
                    prefetch(w, k)
                    prefetch(prm, 6 * k)
                    prefetch(prm, 6 * k + 5)
                    if wn > 0.0:
                        prefetch(w_read, k)
                ahead += col_start[s + 1] - col_start[s]
            pf += row_step
        z = stream_seed(seed, i)
        n_touched = 0
        for e in range(row_ptr[i], row_ptr[i + 1]):
            s = row_sample[e]
            r0 = bits[e]
            d_neg = d[s, i] < 0
            ahead -= col_start[s + 1] - col_start[s]
            for t in range(col_start[s], col_start[s + 1]):
                n = popcount(r0 & cols[t])
                if n == 0:
                    continue
                j = np.int64(col_idx[t])
                if d_neg != col_neg[t]:  # up: −sign(δ_i x_j) > 0
                    a0 = np.float64(prm[i, j, 2])
                    a1 = np.float64(prm[i, j, 4])
                else:
                    a0 = -np.float64(prm[i, j, 3])
                    a1 = -np.float64(prm[i, j, 5])
                v, z = affine_run(
                    n, np.float64(w[i, j]), np.float64(prm[i, j, 0]), np.float64(prm[i, j, 1]), a0, a1, sigma, mult, z
                )
                w[i, j] = v
                if wn > 0.0 and marked[j] != i:
                    marked[j] = i
                    touched[n_touched] = j
                    n_touched += 1
                total += n
        for q in range(n_touched):  # write noise: one fresh draw per touched device (nothing reads in between)
            j = touched[q]
            g, z = normal_from(z)
            w_read[i, j] = w[i, j] + wn * g
    return total
