"""Compiled (numba) kernels of the network simulator: the time-step loop, spike propagation, connectivity.

The loop runs entirely in compiled code — no Python executes per step or per neuron. Every neuron, spike
source and DC source of a network lives in one global index space; per-population parameters sit in the rows
of a float matrix whose columns are named below. Each step ``t`` does, in this order (the order of the step
functions in :mod:`neurofab.spiking.neurons`, i.e. NEST's):

1. DC sources switching on or off at ``t`` update the held external current of their targets;
2. every neuron integrates over the step from its state at the start of the step (exact propagators for
   IF/LIF, exponential Euler for conductance LIF, forward-Euler sub-steps for Izhikevich/AdEx, a user-defined
   model's generated step called through a function pointer, see :mod:`neurofab.spiking.models`), takes the
   synaptic input that arrives at ``t`` from the delay ring buffer, tests its threshold and resets;
3. spike sources (Poisson, spike arrays) emit the spikes of step ``t``;
4. plastic projections update their weights and send this step's spikes (:mod:`neurofab.spiking.plasticity`);
   then every spike of step ``t`` is sent through its static sparse (CSR) and dense projections into the
   ring-buffer slot ``t + delay`` (delays are whole steps, at least one).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
from numba import cfunc, njit, types
from numba.core.errors import NumbaExperimentalFeatureWarning

from neurofab.spiking.plasticity import plastic_step, record_weights

# ----- model codes and parameter columns ----------------------------------------------------------------------
MODEL_LINEAR = 0  # IF / LIF with delta or exponential-current synapses (exact propagators)
MODEL_LIF_COND = 1  # LIF with exponential conductances (exponential Euler for the membrane)
MODEL_IZHIKEVICH = 2
MODEL_ADEX = 3
MODEL_CUSTOM = 4  # a user-defined model (neurofab.spiking.models): its compiled step is called through a pointer

SYN_DELTA = 0
SYN_CURRENT = 1
SYN_CONDUCTANCE = 2

DECAY_M = 0  # exp(−dt/τ_m)
DC_GAIN = 1  # (1 − exp(−dt/τ_m)) R  [V/A]
CPL_E = 2  # excitatory current → voltage propagator [V/A]
CPL_I = 3
DEC_E = 4  # synaptic decay per step (per Euler sub-step for Izhikevich/AdEx)
DEC_I = 5
V_REST = 6
V_TH = 7  # threshold (v_peak for Izhikevich/AdEx)
V_RESET = 8  # reset value (c for Izhikevich)
SUBTRACT = 9  # 1.0: reset by subtraction
REF_STEPS = 10
I_BIAS = 11
G_LEAK = 12
C_M = 13
E_EXC = 14
E_INH = 15
SUBSTEPS = 16
H_SUB = 17  # Euler sub-step [s]
K_IZH = 18
V_T = 19
A_PAR = 20  # Izhikevich a [1/s]; AdEx a [S]
B_PAR = 21  # Izhikevich b [S]
JUMP = 22  # recovery jump after a spike: Izhikevich d, AdEx b [A]
DELTA_T = 23
TAU_W = 24
SYN_KIND = 25
MODEL = 26
DT = 27
HAS_EXT = 28  # 1.0: some DC source targets the population (else its held current is not read)
CUSTOM_FN = 29  # custom models: index of the population's step in the tuple of steps
CUSTOM_OFF = 30  # offset of the population's (n_vars, n) block in the flat custom state
CUSTOM_NVARS = 31
CUSTOM_POFF = 32  # offset of its parameters in the flat custom parameter array
N_COLUMNS = 33

#: signature of a custom model's compiled population step (see neurofab.spiking.models.compiled_step):
#: (state block, n_vars, n, parameters, membrane out, exc input, inh input, held current, current flag, dt, fired)
_F64P = types.CPointer(types.float64)
CUSTOM_SIG = types.void(_F64P, types.int64, types.int64, _F64P, _F64P, _F64P, _F64P, _F64P, types.float64,
                        types.float64, types.CPointer(types.boolean))


@contextmanager
def quiet_compile():
    """Custom models reach the compiled loop as numba first-class functions (typed by their signature, so the loop
    compiles once and is cached on disk like the rest); numba warns that the feature is experimental whenever it
    compiles such a call. This silences that one warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=NumbaExperimentalFeatureWarning)
        yield


@cfunc(CUSTOM_SIG, cache=True)
def no_custom_step(xp, n_vars, n, pp, vp, ep, ip, iextp, ext, dt, fp):  # pragma: no cover - compiled
    """The placeholder step passed when a network has no custom model."""

# state variables a monitor can record
VAR_V = 0
VAR_SYN_EXC = 1
VAR_SYN_INH = 2
VAR_W = 3
VAR_I_EXT = 4
VAR_CUSTOM = 5  # a variable of a custom model: the monitor's index points into the flat custom state


@njit(cache=True)
def _synaptic_current(kind, g_e, g_i, v, e_exc, e_inh):
    if kind == SYN_CURRENT:
        return g_e + g_i
    if kind == SYN_CONDUCTANCE:
        return g_e * (e_exc - v) + g_i * (e_inh - v)
    return 0.0


@njit(cache=True)
def _collect(fired, start, stop, spiking, n_spk):
    """Append the indices i in [start, stop) with fired[i] to ``spiking``; returns the new count."""
    for i in range(start, stop):
        if fired[i]:
            spiking[n_spk] = i
            n_spk += 1
    return n_spk


@njit(cache=True, inline="always")
def _threshold_params(p):  # pragma: no cover - compiled
    """(v_th, v_reset, jump, zero_reset, refractory steps, bias current, external-input flag) of a packed row."""
    v_th, v_reset = p[V_TH], p[V_RESET]
    jump = v_th - v_reset if p[SUBTRACT] > 0.5 else 0.0
    return v_th, v_reset, jump, p[SUBTRACT] <= 0.5, np.int32(p[REF_STEPS]), p[I_BIAS], 1.0 if p[HAS_EXT] > 0.5 else 0.0


@njit(cache=True, inline="always")
def _threshold(v_new, v_old, r, v_th, v_reset, jump, zero_reset, ref_steps):  # pragma: no cover - compiled
    """One neuron's threshold, reset and refractory step: (membrane, refractory counter, fired).

    A refractory neuron (r > 0) keeps its membrane; an active one takes ``v_new`` and fires at ``v_th``,
    then resets to ``v_reset`` or by subtraction of ``jump``.
    """
    active = r <= 0
    vi = v_new if active else v_old
    f = active and vi >= v_th
    v_after = v_reset if zero_reset else vi - jump
    return (v_after if f else vi), (ref_steps if f else max(r - 1, 0)), f


# The loops below are written without branches (selects only) so that they vectorize; spikes are flagged in
# ``fired`` and collected in a second pass.
@njit(cache=True)
def _update_linear_current(p, v, ge, gi, ref, i_ext, in_e, in_i, fired):
    """IF/LIF with exponential-current synapses: the exact propagators (the hot path of CUBA networks)."""
    v_rest, decay_m, dc_gain = p[V_REST], p[DECAY_M], p[DC_GAIN]
    cpl_e, cpl_i, dec_e, dec_i = p[CPL_E], p[CPL_I], p[DEC_E], p[DEC_I]
    v_th, v_reset, jump, zero_reset, ref_steps, bias, ext = _threshold_params(p)
    for i in range(v.shape[0]):  # a loop from 0 over views lets LLVM vectorize it
        gei = ge[i]
        gii = gi[i]
        ge[i] = dec_e * gei + in_e[i]
        gi[i] = dec_i * gii + in_i[i]
        in_e[i] = 0.0
        in_i[i] = 0.0
        r = ref[i]
        v_old = v[i]
        drive = bias + ext * i_ext[i]
        v_new = v_rest + decay_m * (v_old - v_rest) + dc_gain * drive + cpl_e * gei + cpl_i * gii
        v[i], ref[i], fired[i] = _threshold(v_new, v_old, r, v_th, v_reset, jump, zero_reset, ref_steps)


@njit(cache=True)
def _update_linear_delta(p, v, ref, i_ext, in_e, in_i, fired):
    """IF/LIF with delta synapses: input arriving in this step jumps the membrane (lost while refractory)."""
    v_rest, decay_m, dc_gain = p[V_REST], p[DECAY_M], p[DC_GAIN]
    v_th, v_reset, jump, zero_reset, ref_steps, bias, ext = _threshold_params(p)
    for i in range(v.shape[0]):  # a loop from 0 over views lets LLVM vectorize it
        arriving = in_e[i] + in_i[i]
        in_e[i] = 0.0
        in_i[i] = 0.0
        r = ref[i]
        v_old = v[i]
        drive = bias + ext * i_ext[i]
        v_new = v_rest + decay_m * (v_old - v_rest) + dc_gain * drive + arriving
        v[i], ref[i], fired[i] = _threshold(v_new, v_old, r, v_th, v_reset, jump, zero_reset, ref_steps)


@njit(cache=True)
def _update_lif_conductance(p, v, ge, gi, ref, i_ext, in_e, in_i, fired):
    """LIF with exponential conductances: exponential Euler for the membrane, exact conductance decay."""
    v_rest, g_leak, c_m, dt, e_exc, e_inh = p[V_REST], p[G_LEAK], p[C_M], p[DT], p[E_EXC], p[E_INH]
    dec_e, dec_i = p[DEC_E], p[DEC_I]
    v_th, v_reset, jump, zero_reset, ref_steps, bias, ext = _threshold_params(p)
    for i in range(v.shape[0]):  # a loop from 0 over views lets LLVM vectorize it
        gei = ge[i]
        gii = gi[i]
        ge[i] = dec_e * gei + in_e[i]
        gi[i] = dec_i * gii + in_i[i]
        in_e[i] = 0.0
        in_i[i] = 0.0
        r = ref[i]
        v_old = v[i]
        g_tot = g_leak + gei + gii
        drive = bias + ext * i_ext[i]
        v_inf = (g_leak * v_rest + gei * e_exc + gii * e_inh + drive) / g_tot
        v_new = v_inf + (v_old - v_inf) * np.exp(-dt * g_tot / c_m)
        v[i], ref[i], fired[i] = _threshold(v_new, v_old, r, v_th, v_reset, jump, zero_reset, ref_steps)


@njit(cache=True)
def _update_adaptive(p, start, stop, v, w, ge, gi, ref, i_ext, in_e, in_i, fired):
    """Izhikevich / AdEx: forward Euler in sub-steps, synapses decayed exactly per sub-step."""
    model, kind = int(p[MODEL]), int(p[SYN_KIND])
    v_th, v_reset, ref_steps, bias, h = p[V_TH], p[V_RESET], int(p[REF_STEPS]), p[I_BIAS], p[H_SUB]
    dec_e, dec_i = p[DEC_E], p[DEC_I]
    for i in range(start, stop):
        active = ref[i] <= 0
        vi, wi, gei, gii = v[i], w[i], ge[i], gi[i]
        drive = i_ext[i] + bias
        for _ in range(int(p[SUBSTEPS])):
            i_syn = _synaptic_current(kind, gei, gii, vi, p[E_EXC], p[E_INH])
            if model == MODEL_IZHIKEVICH:
                dv = (p[K_IZH] * (vi - p[V_REST]) * (vi - p[V_T]) - wi + i_syn + drive) / p[C_M]
                dw = p[A_PAR] * (p[B_PAR] * (vi - p[V_REST]) - wi)
            else:
                v_cap = min(vi, v_th)
                spike_current = p[G_LEAK] * p[DELTA_T] * np.exp((v_cap - p[V_T]) / p[DELTA_T])
                dv = (-p[G_LEAK] * (vi - p[V_REST]) + spike_current - wi + i_syn + drive) / p[C_M]
                dw = (p[A_PAR] * (vi - p[V_REST]) - wi) / p[TAU_W]
            if active:
                vi = min(vi + h * dv, v_th)
            wi = wi + h * dw
            if kind != SYN_DELTA:
                gei = dec_e * gei
                gii = dec_i * gii
        if kind == SYN_DELTA:
            if active:
                vi = min(vi + in_e[i] + in_i[i], v_th)
        else:
            gei += in_e[i]
            gii += in_i[i]
        in_e[i] = 0.0
        in_i[i] = 0.0
        f = active and vi >= v_th
        if f:
            vi = v_reset
            wi += p[JUMP]
            ref[i] = ref_steps
        elif not active:
            ref[i] -= 1
        fired[i] = f
        v[i], w[i], ge[i], gi[i] = vi, wi, gei, gii


@njit(cache=True)
def _update_population(p, start, stop, v, w, ge, gi, ref, i_ext, in_e, in_i, fired, spiking, n_spk,
                       custom_fns, custom_state, custom_params):
    """Advance neurons [start, stop) of one population by one step, clear the input slot they read, and append
    the indices of the neurons that fire to ``spiking``; returns the new spike count."""
    model = int(p[MODEL])
    a, b = start, stop
    if model == MODEL_CUSTOM:
        off, nv, poff = int(p[CUSTOM_OFF]), int(p[CUSTOM_NVARS]), int(p[CUSTOM_POFF])
        custom_fns[int(p[CUSTOM_FN])](
            custom_state[off : off + nv * (b - a)].ctypes, nv, b - a, custom_params[poff:].ctypes, v[a:b].ctypes,
            in_e[a:b].ctypes, in_i[a:b].ctypes, i_ext[a:b].ctypes, p[HAS_EXT], p[DT], fired[a:b].ctypes,
        )  # fmt: skip
        return _collect(fired, start, stop, spiking, n_spk)
    if model == MODEL_LINEAR:
        if int(p[SYN_KIND]) == SYN_CURRENT:
            _update_linear_current(p, v[a:b], ge[a:b], gi[a:b], ref[a:b], i_ext[a:b], in_e[a:b], in_i[a:b], fired[a:b])
        else:
            _update_linear_delta(p, v[a:b], ref[a:b], i_ext[a:b], in_e[a:b], in_i[a:b], fired[a:b])
    elif model == MODEL_LIF_COND:
        _update_lif_conductance(p, v[a:b], ge[a:b], gi[a:b], ref[a:b], i_ext[a:b], in_e[a:b], in_i[a:b], fired[a:b])
    else:
        _update_adaptive(p, start, stop, v, w, ge, gi, ref, i_ext, in_e, in_i, fired)
    return _collect(fired, start, stop, spiking, n_spk)


@njit(cache=True)
def simulate(
    t_start,
    t_stop,
    rng,
    # populations: [start, stop) in the global index space, parameter rows
    pop_start,
    pop_stop,
    pop_params,
    # state of every neuron (global index; entries of source indices unused)
    v,
    w,
    ge,
    gi,
    ref,
    i_ext,
    # DC sources: held current per target between [start, stop) steps
    dc_start,
    dc_stop,
    dc_ptr,
    dc_target,
    dc_amp,
    # Poisson sources: [start, stop) range and rate·dt per source
    poisson_start,
    poisson_stop,
    poisson_lam,
    # spike-array sources: events sorted by step, global index
    array_step,
    array_index,
    array_pos,
    # sparse projections merged into one CSR over the global index
    indptr,
    post,
    weight,
    delay,
    channel,
    # dense projections: ranges, channel, delay, offsets into a flat weight store
    dense_pre_start,
    dense_pre_stop,
    dense_post_start,
    dense_post_stop,
    dense_channel,
    dense_delay,
    dense_offset,
    dense_weight,
    # delay ring buffer [slots, channel (0 exc, 1 inh), global index]
    ring,
    # spike recording
    record_flag,
    rec_step,
    rec_index,
    n_rec,
    rec_margin,
    # state recording: flattened indices per monitor, record every k steps
    mon_var,
    mon_every,
    mon_ptr,
    mon_index,
    mon_out_ptr,
    mon_out,
    mon_count,
    # plastic projections (see neurofab.spiking.plasticity.plastic_step) and their spike-history ring
    pl_hist,
    pl_hist_n,
    pl_pre_start,
    pl_pre_stop,
    pl_post_start,
    pl_post_stop,
    pl_delay,
    pl_channel,
    pl_dense,
    pl_params,
    pl_syn_off,
    pl_rowptr,
    pl_rowptr_off,
    pl_col,
    pl_colptr,
    pl_colptr_off,
    pl_colsyn,
    pl_colpre,
    pl_weight,
    pl_x,
    pl_x_off,
    pl_y,
    pl_y_off,
    pl_last_pre,
    pl_last_arr,
    pl_lfsr,
    # weight monitors: flat indices into pl_weight per monitor, every k steps
    wm_every,
    wm_ptr,
    wm_index,
    wm_out_ptr,
    wm_out,
    wm_count,
    # counters: [0] neuron spikes, [1] synaptic events, [2] source spikes, [3] spikes not recorded (full),
    # [4] weight updates of plastic synapses
    counters,
    spike_count,
    # custom models: a tuple of compiled population steps, their flat state and parameters
    custom_fns,
    custom_state,
    custom_params,
):
    """Run steps [t_start, t_stop) drawing random numbers from ``rng`` (a numpy Generator, advanced in place).
    Returns (step reached, spikes recorded): it stops early, at a step boundary, when the spike record is full,
    so the caller can grow the record and call again with the same ``rng``."""
    n_total = v.shape[0]
    slots = ring.shape[0]
    spiking = np.empty(n_total, dtype=np.int64)
    fired = np.zeros(n_total, dtype=np.bool_)
    counts = np.zeros(n_total, dtype=np.int64)
    cap = rec_step.shape[0]
    n_pop = pop_start.shape[0]
    for t in range(t_start, t_stop):
        # room for one step: every neuron once, plus the caller's bound on extra source events
        if n_rec + n_total + rec_margin > cap:
            return t, n_rec
        # 1. DC sources switching at t
        for d in range(dc_start.shape[0]):
            if t == dc_start[d] or t == dc_stop[d]:
                sign = 1.0 if t == dc_start[d] else -1.0
                for k in range(dc_ptr[d], dc_ptr[d + 1]):
                    i_ext[dc_target[k]] += sign * dc_amp[k]
        slot = t % slots
        in_e = ring[slot, 0]
        in_i = ring[slot, 1]
        # 2. neurons
        n_spk = 0
        for q in range(n_pop):
            n_spk = _update_population(
                pop_params[q], pop_start[q], pop_stop[q], v, w, ge, gi, ref, i_ext, in_e, in_i, fired, spiking, n_spk,
                custom_fns, custom_state, custom_params,
            )
        for k in range(n_spk):
            counts[spiking[k]] = 1
        counters[0] += n_spk
        # 3. sources
        for s in range(poisson_start.shape[0]):
            n_src = poisson_stop[s] - poisson_start[s]
            total = rng.poisson(poisson_lam[s] * n_src)
            for _ in range(total):  # superposed Poisson events, each assigned to a uniformly drawn source
                i = poisson_start[s] + rng.integers(0, n_src)
                if counts[i] == 0:
                    spiking[n_spk] = i
                    n_spk += 1
                counts[i] += 1
                counters[2] += 1
        while array_pos[0] < array_step.shape[0] and array_step[array_pos[0]] <= t:
            if array_step[array_pos[0]] == t:
                i = array_index[array_pos[0]]
                if counts[i] == 0:
                    spiking[n_spk] = i
                    n_spk += 1
                counts[i] += 1
                counters[2] += 1
            array_pos[0] += 1
        # 4. propagation and recording (plastic projections first: they read the multiplicities in counts)
        if pl_pre_start.shape[0] > 0:
            plastic_step(
                t, spiking, n_spk, counts, ring, pl_hist, pl_hist_n,
                pl_pre_start, pl_pre_stop, pl_post_start, pl_post_stop, pl_delay, pl_channel, pl_dense, pl_params,
                pl_syn_off, pl_rowptr, pl_rowptr_off, pl_col, pl_colptr, pl_colptr_off, pl_colsyn, pl_colpre,
                pl_weight, pl_x, pl_x_off, pl_y, pl_y_off, pl_last_pre, pl_last_arr, pl_lfsr, counters,
            )  # fmt: skip
            if wm_every.shape[0] > 0:
                record_weights(t, pl_weight, wm_every, wm_ptr, wm_index, wm_out_ptr, wm_out, wm_count)
        for k in range(n_spk):
            i = spiking[k]
            mult = counts[i]
            counts[i] = 0
            spike_count[i] += mult
            if record_flag[i]:
                for _ in range(mult):
                    if n_rec < cap:
                        rec_step[n_rec] = t
                        rec_index[n_rec] = i
                        n_rec += 1
                    else:
                        counters[3] += 1
            for s in range(indptr[i], indptr[i + 1]):
                ring[(t + delay[s]) % slots, channel[s], post[s]] += mult * weight[s]
            counters[1] += mult * (indptr[i + 1] - indptr[i])
            for dp in range(dense_pre_start.shape[0]):
                if dense_pre_start[dp] <= i < dense_pre_stop[dp]:
                    n_post = dense_post_stop[dp] - dense_post_start[dp]
                    row = dense_offset[dp] + (i - dense_pre_start[dp]) * n_post
                    target = ring[(t + dense_delay[dp]) % slots, dense_channel[dp]]
                    base = dense_post_start[dp]
                    for j in range(n_post):
                        target[base + j] += mult * dense_weight[row + j]
                    counters[1] += mult * n_post
        # state monitors
        for m in range(mon_var.shape[0]):
            if t % mon_every[m] == 0:
                var = mon_var[m]
                out = mon_out_ptr[m] + mon_count[m] * (mon_ptr[m + 1] - mon_ptr[m])
                for k in range(mon_ptr[m], mon_ptr[m + 1]):
                    i = mon_index[k]
                    if var == VAR_V:
                        x = v[i]
                    elif var == VAR_SYN_EXC:
                        x = ge[i]
                    elif var == VAR_SYN_INH:
                        x = gi[i]
                    elif var == VAR_W:
                        x = w[i]
                    elif var == VAR_CUSTOM:
                        x = custom_state[i]
                    else:
                        x = i_ext[i]
                    mon_out[out + k - mon_ptr[m]] = x
                mon_count[m] += 1
    return t_stop, n_rec


# ----- connectivity ------------------------------------------------------------------------------------------
@njit(cache=True)
def csr_from_sorted_rows(rows, n_rows):
    """Row pointer of a CSR matrix whose entries are sorted by row."""
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in rows:
        indptr[r + 1] += 1
    for r in range(n_rows):
        indptr[r + 1] += indptr[r]
    return indptr


@njit(cache=True)
def bernoulli_pairs(rng, n_pre, n_post, p):
    """Every pair (i, j) of an n_pre × n_post grid independently with probability ``p`` (0 < p < 1), sorted by
    i then j: the flat positions of successes advance by geometric gaps ⌊ln U / ln(1 − p)⌋ + 1, so time and
    memory grow with the number of pairs drawn, not with the grid."""
    total = n_pre * n_post
    expected = total * p
    capacity = int(expected + 8.0 * np.sqrt(expected) + 64.0)
    pre = np.empty(capacity, dtype=np.int32)
    post = np.empty(capacity, dtype=np.int32)
    log_q = np.log1p(-p)
    k = 0
    pos = -1
    while True:
        gap = np.floor(np.log(1.0 - rng.random()) / log_q) + 1.0  # 1 − U lies in (0, 1]
        if gap > total - pos - 1:
            break
        pos += int(gap)
        if k == capacity:
            capacity = 2 * capacity
            pre2 = np.empty(capacity, dtype=np.int32)
            post2 = np.empty(capacity, dtype=np.int32)
            pre2[:k] = pre[:k]
            post2[:k] = post[:k]
            pre, post = pre2, post2
        pre[k] = pos // n_post
        post[k] = pos % n_post
        k += 1
    return pre[:k].copy(), post[:k].copy()
