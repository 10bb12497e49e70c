"""The parallel outer-product update of a tile: W ← W − η δ xᵀ written as device pulses.

Three modes (:class:`UpdateConfig.mode`):

- ``stochastic`` — stochastic pulse trains (Gokmen & Vlasov; aihwkit's ``StochasticCompressed``): for each
  sample b, row j (input x_j) fires in each of BL slots with probability q_j = min(1, B|x_j|), column i
  (error δ_i) with p_i = min(1, A|δ_i|); every coincidence is one pulse on device (i, j) with sign
  −sign(δ_i x_j), applied through the device response one pulse at a time. E[coincidences] = BL·p_i·q_j,
  which equals η|δ_i x_j|/dw_min while no probability clips. Samples are applied one after the other.
- ``expected`` — deterministic: the expected numbers of up and down coincidences of the same trains (with
  the same probability clipping and BL limits), summed over the batch and written with one Eq. 3 step per
  device (:meth:`DeviceArray.expected_update`). Leaves out: the Poisson-binomial spread of the pulse count,
  c2c noise, and the change of state within a batch (all pulses see the state at the batch start); error
  O((n·Δ)²·|dΔ/dw|/Δ) per device for n pulses, small for n·Δ ≪ the weight range.
- ``ideal`` — floating-point W ← W − η δᵀx (clipped to the bounds); no pulses.

Update management (aihwkit's ``update_management`` / ``update_bl_management``, defaults theirs): with
k = η·max|x|·max|δ|/dw_min, BL = min(⌈k⌉, desired_bl) (or desired_bl when BL management is off),
A = B = sqrt(η/(dw_min·BL)), then A ← A·sqrt(max|x|/max|δ|'), B ← B·sqrt(max|δ|'/max|x|) with
max|δ|' = um_grad_scale·max|δ| (shrunk by desired_bl/k when k > desired_bl, so x is not clipped).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numba
import numpy as np
import torch
from pydantic import Field

from neurofab.core import Config, InputTypeError, record, recording, seed_from
from neurofab.core.backend import use_compiled
from neurofab.crossbar.affine_pulses import apply_trains_affine
from neurofab.crossbar.composed_pulses import apply_trains_composed, column_masks
from neurofab.crossbar.torch_pulses import composable, composed_update
from neurofab.devices.kernels import abs_max, popcount, pulse_run
from neurofab.devices.rng import (
    normal,
    skip_ahead,
    stream_state,
    uniform_ahead,
    uniform_from,
)

__all__ = [
    "UpdateConfig",
    "expected_coincidences",
    "expected_total_and_net",
    "pulse_train_parameters",
    "stochastic_update",
]


class UpdateConfig(Config):
    """How a tile writes its update. Defaults: aihwkit 1.1 ``UpdateParameters``."""

    mode: Literal["stochastic", "expected", "ideal"] = Field(
        "stochastic", description="pulse trains, their expectation, or floating point"
    )
    desired_bl: int = Field(31, gt=0, description="pulse-train length BL (the maximum under BL management) [pulses]")
    fixed_bl: bool = Field(True, description="keep BL = desired_bl when BL management is off")
    update_management: bool = Field(True, description="balance the x and δ probabilities by their abs-max")
    update_bl_management: bool = Field(True, description="shorten BL to ⌈η max|x| max|δ| / dw_min⌉ per sample")
    um_grad_scale: float = Field(1.0, gt=0, description="weight of δ in update management, α [1]")
    backend: Literal["auto", "numba", "torch"] = Field("auto", description="stochastic mode: compiled (CPU) or torch")
    compose_pulses: bool = Field(
        True,
        description="stochastic mode, constant/affine steps with additive noise: compose each device's pulses "
        "of a batch in closed form (same weight distribution; compiled: crossbar.composed_pulses, torch: "
        "crossbar.torch_pulses); False: draw and clip every pulse",
    )


def pulse_train_parameters(
    x_amax: torch.Tensor, d_amax: torch.Tensor, lr: float, dw_min: float, up: UpdateConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample (BL, A, B): train length and the δ and x probability scales (aihwkit's update management).

    Samples with max|x| = 0 or max|δ| = 0 get BL = 0 (no pulses).
    """
    dtype = torch.float64
    x_amax = x_amax.to(dtype)
    d_amax = d_amax.to(dtype)
    n = x_amax.shape[0]
    if up.fixed_bl or up.update_bl_management or dw_min * up.desired_bl >= lr:
        bl = torch.full((n,), float(up.desired_bl), dtype=dtype, device=x_amax.device)
        a = torch.full((n,), (lr / (dw_min * up.desired_bl)) ** 0.5, dtype=dtype, device=x_amax.device)
    else:
        bl = torch.full((n,), float(max(int(np.ceil(lr / dw_min)), 1)), dtype=dtype, device=x_amax.device)
        a = torch.ones(n, dtype=dtype, device=x_amax.device)
    b = a.clone()
    valid = (x_amax > 0) & (d_amax > 0) & (lr > 0)
    if up.update_bl_management or up.update_management:
        xs = torch.where(valid, x_amax, torch.ones_like(x_amax))
        ds = torch.where(valid, up.um_grad_scale * d_amax, torch.ones_like(d_amax))
        k = lr * xs * ds / dw_min
        if up.update_bl_management:
            bl = torch.clamp(torch.ceil(k), min=1.0, max=float(up.desired_bl))
            a = torch.sqrt(lr / (dw_min * bl))
            b = a.clone()
        if up.update_management:
            ds = torch.where(k > up.desired_bl, ds * up.desired_bl / k, ds)
            a = a * torch.sqrt(xs / ds)
            b = b * torch.sqrt(ds / xs)
    bl = torch.where(valid, bl, torch.zeros_like(bl))
    return bl.to(torch.int64), a, b


def expected_coincidences(
    x: torch.Tensor, d: torch.Tensor, lr: float, dw_min: float, up: UpdateConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Expected numbers of (up, down) pulses per device, summed over the batch: E = BL·p_i·q_j by sign."""
    total, net = expected_total_and_net(x, d, lr, dw_min, up)
    n_up = 0.5 * (total + net)
    return n_up, total - n_up


def expected_total_and_net(
    x: torch.Tensor, d: torch.Tensor, lr: float, dw_min: float, up: UpdateConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """(n_up + n_down, n_up − n_down) per device: two matrix products over the batch.

    On CPU the signed probabilities come from one compiled pass over the batch; when every x ≥ 0 (inputs
    after a sigmoid or ReLU) both products are one: [|p|, −p]ᵀ q.
    """
    if use_compiled(x, d) and x.dtype == d.dtype and x.dtype in _FLOATS:
        return _expected_total_and_net_compiled(x.detach().contiguous(), d.detach().contiguous(), lr, dw_min, up)
    bl, a, b = pulse_train_parameters(x.abs().amax(dim=1), d.abs().amax(dim=1), lr, dw_min, up)
    p_signed = torch.clamp(a.to(d.dtype).unsqueeze(1) * d, -1.0, 1.0).mul_(bl.to(d.dtype).unsqueeze(1))
    q_signed = torch.clamp(b.to(x.dtype).unsqueeze(1) * x, -1.0, 1.0)
    total = p_signed.abs().T @ q_signed.abs()
    net = p_signed.T @ q_signed
    net.neg_()  # up where −sign(δx) > 0
    return total, net


_FLOATS = (torch.float32, torch.float64)


@numba.njit(cache=True, nogil=True)
def _signed_probabilities(x, d, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs, p, q):  # pragma: no cover
    """Per sample: (BL, A, B) of the trains, then p[b] = [|p_i|, −p_i] with p_i = BL·clip(A·δ_i, ±1) and
    q[b] = clip(B·x_j, ±1). Returns whether every q ≥ 0."""
    n_batch, n_in = x.shape
    n_out = d.shape[1]
    nonneg = True
    for s in range(n_batch):
        x_amax = abs_max(x, s)
        d_amax = abs_max(d, s)
        train, a, b = _train_parameters(x_amax, d_amax, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs)
        for i in range(n_out):
            v = train * min(max(a * d[s, i], -1.0), 1.0)
            p[s, i] = abs(v)
            p[s, n_out + i] = -v
        for j in range(n_in):
            v = min(max(b * x[s, j], -1.0), 1.0) if train > 0 else 0.0
            q[s, j] = v
            nonneg = nonneg and v >= 0
    return nonneg


def _expected_total_and_net_compiled(x, d, lr, dw_min, up) -> tuple[torch.Tensor, torch.Tensor]:
    n_out = d.shape[1]
    p = torch.empty((x.shape[0], 2 * n_out), dtype=x.dtype)
    q = torch.empty_like(x, memory_format=torch.contiguous_format)
    nonneg = _signed_probabilities(
        x.numpy(), d.numpy(), float(lr), float(dw_min), up.desired_bl, up.fixed_bl, up.update_management,
        up.update_bl_management, float(up.um_grad_scale), p.numpy(), q.numpy(),
    )
    if nonneg:
        both = p.T @ q
        return both[:n_out], both[n_out:]
    return p[:, :n_out].T @ q.abs(), p[:, n_out:].T @ q


@numba.njit(cache=True)
def _train_parameters(x_amax, d_amax, lr, dw_min, desired_bl, fixed_bl, um, ublm, um_grad_scale):  # pragma: no cover
    """Scalar twin of :func:`pulse_train_parameters` (BL, A, B) for one sample."""
    if x_amax <= 0.0 or d_amax <= 0.0 or lr <= 0.0:
        return 0, 1.0, 1.0
    if fixed_bl or ublm or dw_min * desired_bl >= lr:
        bl = desired_bl
        a = np.sqrt(lr / (dw_min * desired_bl))
    else:
        bl = max(int(np.ceil(lr / dw_min)), 1)
        a = 1.0
    b = a
    if ublm or um:
        xs = x_amax
        ds = um_grad_scale * d_amax
        k = lr * xs * ds / dw_min
        if ublm:
            bl = min(int(np.ceil(k)), desired_bl)
            a = np.sqrt(lr / (dw_min * bl))
            b = a
        if um:
            if k > desired_bl:
                ds = ds * desired_bl / k
            a = a * np.sqrt(xs / ds)
            b = b * np.sqrt(ds / xs)
    return bl, a, b


@numba.njit(cache=True, inline="always")
def _draw_slot(v, s, scale, p_max, word, bit, mask, fired, n_fired, z):  # pragma: no cover - compiled
    """One slot of the trains of sample s: set ``bit`` of ``mask[word, j]`` with probability min(1, scale·|v[s, j]|).

    Returns (n_fired, RNG counter). When every probability is small (p_max < 0.1) candidates are drawn by
    geometric skips at rate p_max and accepted with probability p_j/p_max (thinning) — the same distribution
    for far fewer random numbers — and indices not yet fired in any word are appended to ``fired`` (ascending
    within the slot). Otherwise every element takes one uniform in a branch-free loop that vectorizes
    (counter-based draws, :func:`~neurofab.devices.rng.uniform_ahead`); that loop keeps no list, and
    n_fired = −1 tells the caller to list the fired indices from the masks.
    """
    n = v.shape[1]
    if p_max >= 0.1:  # ~0.5 ns per element here, against ~10 ns per geometric candidate
        zero = np.uint64(0)
        for j in range(n):
            hit = uniform_ahead(z, j) < scale * abs(v[s, j])  # never for v = 0, always for a probability ≥ 1
            mask[word, j] |= bit if hit else zero
        return -1, skip_ahead(z, n)
    if not p_max > 0.0:  # every probability underflowed to 0 (or nan): nothing fires
        return n_fired, z
    log_q = math.log1p(-p_max)
    j = -1
    while True:
        u, z = uniform_from(z)
        skip = math.log(1.0 - u) / log_q  # geometric gap ≥ 0; inf or nan when p_max underflows to 0 or is nan
        if not skip < n - 1 - j:  # past the last element (compared as a float: int() of inf or nan is undefined)
            return n_fired, z
        j += 1 + int(skip)
        val = v[s, j]
        u, z = uniform_from(z)
        if val != 0.0 and u * p_max < scale * abs(val):
            if n_fired >= 0 and _unfired(mask, word, j):
                fired[n_fired] = j
                n_fired += 1
            mask[word, j] |= bit


@numba.njit(cache=True, inline="always")
def _unfired(mask, word, j):  # pragma: no cover - compiled
    """No slot of j's train so far has fired: ``mask[q, j]`` is empty in every word up to ``word`` (slots fill the
    words in order). A train longer than 64 slots spans several words; j is listed once, not once per word."""
    for q in range(word + 1):
        if mask[q, j] != 0:
            return False
    return True


@numba.njit(cache=True, inline="always")
def _list_fired(mask, fired):  # pragma: no cover - compiled
    """Indices j (ascending) with any bit of ``mask[:, j]`` set, into ``fired``; returns how many (branch-free)."""
    n_words, n = mask.shape
    count = 0
    for j in range(n):
        m = mask[0, j]
        for q in range(1, n_words):
            m |= mask[q, j]
        fired[count] = j
        count += m != 0
    return count


@numba.njit(cache=True, nogil=True)
def _draw_trains(
    x, d, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs, seed, col_start, col_idx, col_mask, col_neg, row_ptr,
    row_sample, row_bits, entry_row, entry_sample, entry_bits, cm, rm, fired_cols, fired_rows,
):  # pragma: no cover - compiled
    """The pulse trains of a batch, bit-packed: bit k of word q of a mask is slot 64q + k of the sample's train.

    Fills (caller's workspace, sized for the batch): the firing columns of each sample in compressed form —
    ``col_start`` (B + 1 offsets), their index (ascending), slot masks ``col_mask[q, t]`` and whether x_j < 0 —
    and the firing rows grouped by row (CSR): row i fires in samples ``row_sample[row_ptr[i]:row_ptr[i + 1]]``
    (ascending) with slot masks ``row_bits[q, ·]``. ``cm``, ``rm`` must be zero on entry and are left zero.
    Returns the number of (row, column) pairs that both fire in some slot of a sample (devices visited).
    """
    z = np.uint64(seed)
    n_batch = x.shape[0]
    n_out = d.shape[1]
    n_words = cm.shape[0]
    one = np.uint64(1)
    pos = 0
    n_entries = 0
    visits = 0
    col_start[0] = 0
    for s in range(n_batch):
        x_amax = abs_max(x, s)
        d_amax = abs_max(d, s)
        train, a, b = _train_parameters(x_amax, d_amax, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs)
        col_start[s + 1] = pos
        if train == 0:
            continue
        n_cols = 0
        n_rows = 0
        for k in range(train):
            bit = one << np.uint64(k % 64)
            n_cols, z = _draw_slot(x, s, b, b * x_amax, k // 64, bit, cm, fired_cols, n_cols, z)
            n_rows, z = _draw_slot(d, s, a, a * d_amax, k // 64, bit, rm, fired_rows, n_rows, z)
        if n_cols < 0 or train > 1:  # no list, or slots appended in turn: list in ascending order (locality)
            n_cols = _list_fired(cm, fired_cols)
        if n_rows < 0:
            n_rows = _list_fired(rm, fired_rows)
        for t in range(n_cols):
            j = fired_cols[t]
            col_idx[pos] = j
            col_neg[pos] = x[s, j] < 0
            for q in range(n_words):
                col_mask[q, pos] = cm[q, j]
                cm[q, j] = 0
            pos += 1
        col_start[s + 1] = pos
        for t in range(n_rows):
            i = fired_rows[t]
            entry_row[n_entries] = i
            entry_sample[n_entries] = s
            for q in range(n_words):
                entry_bits[q, n_entries] = rm[q, i]
                rm[q, i] = 0
            n_entries += 1
        if n_cols == 0:  # rows that fire with no column: nothing to write
            n_entries -= n_rows
        visits += n_rows * n_cols
    # group the (row, sample) entries by row; a stable counting sort keeps the samples in order
    for i in range(n_out + 1):
        row_ptr[i] = 0
    for e in range(n_entries):
        row_ptr[entry_row[e] + 1] += 1
    for i in range(n_out):
        row_ptr[i + 1] += row_ptr[i]
    for e in range(n_entries):
        i = entry_row[e]
        dst = row_ptr[i]
        row_sample[dst] = entry_sample[e]
        for q in range(n_words):
            row_bits[q, dst] = entry_bits[q, e]
        row_ptr[i] = dst + 1
    for i in range(n_out, 0, -1):
        row_ptr[i] = row_ptr[i - 1]
    row_ptr[0] = 0
    return visits


@numba.njit(cache=True, nogil=True)
def _apply_trains(
    w, w_read, prm, c, code, d, col_start, col_idx, col_mask, col_neg, row_ptr, row_sample, row_bits, seed,
    first_row, row_step,
):  # pragma: no cover - compiled
    """Write the trains of :func:`_draw_trains` through rows first_row, first_row + row_step, … of the devices.

    Row i draws its c2c (and write) noise from its own stream ``stream_seed(seed, i)`` and takes its samples
    in order; device (i, j) receives, per sample, popcount(row mask & column mask) pulses of sign
    −sign(δ_i x_j), one at a time (:func:`~neurofab.devices.kernels.pulse_run`). Rows share nothing, so
    threads can run disjoint row sets at once (the GIL is released) and the result does not depend on how
    the rows are split. Returns the number of pulses written.
    """
    n_out = w.shape[0]
    n_words = row_bits.shape[0]
    wn = c[1]
    total = 0
    for i in range(first_row, n_out, row_step):
        if row_ptr[i] == row_ptr[i + 1]:
            continue
        st = stream_state(seed, i)
        for e in range(row_ptr[i], row_ptr[i + 1]):
            s = row_sample[e]
            d_neg = d[s, i] < 0
            for t in range(col_start[s], col_start[s + 1]):
                n = 0
                for q in range(n_words):
                    n += popcount(row_bits[q, e] & col_mask[q, t])
                if n == 0:
                    continue
                j = col_idx[t]
                v = pulse_run(
                    code, 1 if d_neg != col_neg[t] else -1, n, np.float64(w[i, j]), prm[i, j, 0], prm[i, j, 1],
                    prm[i, j, 2], prm[i, j, 3], prm[i, j, 4], prm[i, j, 5], c, st,
                )
                w[i, j] = v
                if wn > 0.0:
                    w_read[i, j] = v + wn * normal(st)
                total += n
    return total


#: below this many device visits per call the update runs on one thread (thread hand-off would dominate)
_PARALLEL_MIN_VISITS = 20_000
_POOL: list[tuple[int, ThreadPoolExecutor]] = []
_WORKSPACES = threading.local()


def _worker_pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``workers`` threads for the compiled (GIL-free) update kernels."""
    if not _POOL or _POOL[0][0] < workers:
        if _POOL:
            _POOL.pop()[1].shutdown(wait=True)
        _POOL.append((workers, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neurofab-update")))
    return _POOL[0][1]


# a forked child has none of the parent's threads: it starts its own pool and workspaces
os.register_at_fork(after_in_child=lambda: (_POOL.clear(), _WORKSPACES.__dict__.clear()))


def _workspace(n_batch: int, n_in: int, n_out: int, n_words: int) -> tuple[np.ndarray, ...]:
    """Reusable buffers for :func:`_draw_trains` (per calling thread and shape): no allocation per update."""
    cache = getattr(_WORKSPACES, "buffers", None)
    if cache is None:
        cache = _WORKSPACES.buffers = {}
    key = (n_batch, n_in, n_out, n_words)
    ws = cache.get(key)
    if ws is None:
        if len(cache) > 32:
            cache.clear()
        n_cols, n_rows = n_batch * n_in, n_batch * n_out
        ws = cache[key] = (
            np.zeros(n_batch + 1, np.int64),  # col_start
            np.zeros(n_cols, np.uint32),  # col_idx
            np.zeros((n_words, n_cols), np.uint64),  # col_mask
            np.zeros(n_cols, np.bool_),  # col_neg
            np.zeros(n_out + 1, np.int64),  # row_ptr
            np.zeros(n_rows, np.int32),  # row_sample
            np.zeros((n_words, n_rows), np.uint64),  # row_bits
            np.zeros(n_rows, np.int32),  # entry_row
            np.zeros(n_rows, np.int32),  # entry_sample
            np.zeros((n_words, n_rows), np.uint64),  # entry_bits
            np.zeros((n_words, n_in), np.uint64),  # cm
            np.zeros((n_words, n_out), np.uint64),  # rm
            np.zeros(n_in, np.int64),  # fired_cols
            np.zeros(n_out, np.int64),  # fired_rows
        )
    return ws


def stochastic_update(
    array, x: torch.Tensor, d: torch.Tensor, lr: float, up: UpdateConfig, generator: torch.Generator
) -> int:
    """Stochastic pulse-train update of ``array`` for a batch (x: (B, in), δ: (B, out)); returns the pulses.

    Compiled (CPU) or torch (any device). On torch, devices with a Gaussian closure (a constant step, or an
    affine step with additive noise; ``compose_pulses``) take :mod:`~neurofab.crossbar.torch_pulses`,
    vectorised over samples and devices; others the per-sample loop.
    """
    backend = up.backend
    if backend == "auto":
        compiled = use_compiled(array.w, x, d) and hasattr(array, "kernel_args")
        backend = "numba" if compiled else "torch"
    if backend == "numba":
        if array.w.device.type != "cpu" or not hasattr(array, "kernel_args"):
            raise InputTypeError("the numba update backend runs on CPU device arrays with compiled kernels only")
        total = _numba_update(array, x, d, lr, up, seed_from(generator))
    else:
        bl, a, b = pulse_train_parameters(x.abs().amax(dim=1), d.abs().amax(dim=1), lr, array.model.dw_min, up)
        if not int(bl.sum()):
            total = 0
        elif up.compose_pulses and composable(array):
            total = composed_update(array, x.detach(), d.detach(), bl, a, b, generator)
        else:
            total = _torch_update(array, x, d, bl, a, b, generator)
    if recording():
        record("write_pulse", total)
    return total


def _numba_update(array, x: torch.Tensor, d: torch.Tensor, lr: float, up: UpdateConfig, seed: int) -> int:
    """Compiled stochastic update: bit-packed trains (one stream), then the pulses row by row (a stream per row).

    Rows run on up to ``torch.get_num_threads()`` threads (the caller's and a small pool) when the trains
    visit at least ``_PARALLEL_MIN_VISITS`` devices; the result is the same for any number of threads.
    """
    args = array.kernel_args()
    d_np = d.detach().contiguous().numpy()
    dw_min = float(array.model.dw_min)
    fixed = up.fixed_bl or up.update_bl_management or dw_min * up.desired_bl >= lr
    longest = up.desired_bl if fixed else max(math.ceil(lr / dw_min), 1)  # as _train_parameters
    n_words = (longest + 63) // 64
    n_batch, n_out = d_np.shape
    ws = _workspace(n_batch, x.shape[1], n_out, n_words)
    visits = _draw_trains(
        x.detach().contiguous().numpy(), d_np, float(lr), dw_min, up.desired_bl, up.fixed_bl, up.update_management,
        up.update_bl_management, float(up.um_grad_scale), seed, *ws,
    )
    if visits == 0:
        return 0
    trains = ws[:7]
    w, w_read, prm, consts, code = args
    if code <= 1 and n_words == 1:
        mult = code == 0 or consts[2] > 0
        head = (w, w_read, prm, float(consts[0]), bool(mult), float(consts[1]))
        if up.compose_pulses and (not mult or code == 0):  # additive noise or a constant step: Gaussian closure
            kernel, trains = _composed_total, (column_masks(*trains[:4], w.shape[1]), *trains[4:])
        else:
            kernel = apply_trains_affine
    else:
        kernel, head = _apply_trains, args
    threads = min(torch.get_num_threads(), n_out) if visits >= _PARALLEL_MIN_VISITS else 1
    if threads == 1:
        return int(kernel(*head, d_np, *trains, seed, 0, 1))
    # rows interleaved across threads (balanced work); the caller's thread takes row set 0
    pool = _worker_pool(threads - 1)
    futures = [pool.submit(kernel, *head, d_np, *trains, seed, k, threads) for k in range(1, threads)]
    total = int(kernel(*head, d_np, *trains, seed, 0, threads))
    return total + sum(int(f.result()) for f in futures)


def _composed_total(w, w_read, prm, sigma, mult, wn, d, columns, *rest) -> int:
    """:func:`apply_trains_composed` with the column side unpacked; returns the pulses written."""
    return apply_trains_composed(w, w_read, prm, sigma, mult, wn, d, *columns, *rest)[0]


def _torch_update(array, x, d, bl, a, b, generator) -> int:
    """Same trains with torch ops: per sample, bits → signed coincidence counts → ``array._apply_runs``."""
    total = 0
    dev = x.device
    for s in torch.nonzero(bl).flatten().tolist():
        train = int(bl[s])
        q = torch.clamp(float(b[s]) * x[s].abs(), max=1.0)
        p = torch.clamp(float(a[s]) * d[s].abs(), max=1.0)
        bx = (torch.rand((train, q.numel()), generator=generator, device=dev, dtype=q.dtype) < q).to(x.dtype)
        bd = (torch.rand((train, p.numel()), generator=generator, device=dev, dtype=p.dtype) < p).to(d.dtype)
        counts = bd.T @ bx  # (out, in) coincidences
        sign = -torch.sign(d[s]).unsqueeze(1) * torch.sign(x[s]).unsqueeze(0)
        signed = (counts * sign).round().to(torch.int64).view(-1)
        index = signed.nonzero().flatten()
        if index.numel():
            total += int(signed[index].abs().sum())
            array._apply_runs(index, signed[index], generator)
    return total
