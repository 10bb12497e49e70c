"""Plastic projections of a :class:`~neurofab.spiking.network.Network`: pair-based STDP inside the compiled step.

A projection becomes plastic with ``net.connect(..., plasticity=rule)``, where ``rule`` is a pair-based STDP
config (:class:`neurofab.learning.STDPConfig`, or any object whose ``kernel_parameters()`` returns the same
named numbers, so this layer needs no import of its sibling). Its weights then live in one flat store that the
kernel updates; ``proj.weights()`` views it, so it always shows the learned values.

The rule is NEST's ``stdp_synapse`` (all-to-all pairing) and ``stdp_nn_symm_synapse`` /
``stdp_nn_restr_synapse`` (nearest-spike pairing) written clock-driven. With u = (w − w_min)/(w_max − w_min)
and η the learning-rate factor of the projection (``proj.learning_rate``, switchable between runs):

* facilitation, when a postsynaptic spike reaches the synapse (after the dendritic delay d):
  u ← min(1, u + η A₊ (1 − u)^μ₊ x), x the presynaptic trace (Morrison et al. 2008, Biol. Cybern. 98:459, Eq. 4
  with Gütig et al. 2003's power law; μ = 0 additive, μ = 1 multiplicative);
* depression, when a presynaptic spike occurs: u ← max(0, u − η A₋ u^μ₋ y), y the postsynaptic trace;
* traces: x, y decay as exp(−Δt/τ₊), exp(−Δt/τ₋) and jump by 1 (all-to-all) or are reset to 1 (nearest).

NEST treats the whole synaptic delay d as dendritic: a presynaptic spike at t is weighed against postsynaptic
spikes up to t − d, and a postsynaptic spike at t' reaches the synapse at t' + d. Each step therefore, after the
neurons and sources of step t have fired and before the spikes are sent on: (1) the traces decay to t; (2) every
postsynaptic spike of step t − d facilitates its synapses with x (which excludes presynaptic spikes of step t);
(3) every presynaptic spike of step t depresses its synapses with y (which excludes arrivals of step t) and is
sent with the new weight; (4) the traces take the spikes of step t. For nearest-restricted pairing, (2) acts only
for the first arrival after the synapse's last presynaptic spike and (3) only if one arrived since it. At every
presynaptic spike the weight equals NEST's (which updates lazily at presynaptic spikes; tests/data/nest_stdp).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from neurofab.core import ConfigError, ShapeError
from neurofab.spiking.monitors import SampledMonitor

__all__ = ["PAIRINGS", "WeightMonitor", "plasticity_row"]

PAIRINGS = ("all_to_all", "nearest_symmetric", "nearest_restricted")

# parameter columns of a plastic projection
P_DECAY_PLUS = 0  # exp(−dt/τ₊)
P_DECAY_MINUS = 1  # exp(−dt/τ₋)
P_A_PLUS = 2
P_A_MINUS = 3
P_MU_PLUS = 4
P_MU_MINUS = 5
P_W_MIN = 6
P_W_MAX = 7
P_PAIRING = 8  # index into PAIRINGS
P_ETA = 9  # learning-rate factor η
# stochastic STDP (pairing code 3): RND thresholds for P1..P4, PD; push period; LSB; RND width
P_THR1 = 10
P_THR2 = 11
P_THR3 = 12
P_THR4 = 13
P_THRD = 14
P_T_THRESHOLD = 15
P_LSB = 16
P_RND_BITS = 17
P_SEED = 18
# triplet STDP (Pfister & Gerstner 2006): A₃⁺, A₃⁻ and the slow traces' decays exp(−dt/τ_x), exp(−dt/τ_y)
P_A3_PLUS = 19
P_A3_MINUS = 20
P_DECAY_X = 21
P_DECAY_Y = 22
N_P_COLUMNS = 23
STOCHASTIC = 3

_KEYS = ("tau_plus", "tau_minus", "a_plus", "a_minus", "mu_plus", "mu_minus", "w_min", "w_max", "pairing")
_STOCHASTIC_KEYS = ("p1", "p2", "p3", "p4", "pd", "t_threshold", "rnd_bits", "lsb", "seed", "w_min", "w_max")
#: Galois toggle masks of maximal-length LFSRs by width (as neurofab.learning.LFSR_TAPS)
_LFSR_MASKS = {8: 0xB8, 16: 0xB400, 24: 0xE10000, 32: 0x80200003}


def plasticity_row(rule: Any, dt: float, learning_rate: float) -> np.ndarray:
    """The kernel's parameter row of a plasticity rule (an object with ``kernel_parameters()``: a dict with
    tau_plus, tau_minus [s], a_plus, a_minus, mu_plus, mu_minus [1], w_min, w_max [weight unit], pairing)."""
    getter = getattr(rule, "kernel_parameters", None)
    if getter is None:
        raise ConfigError(f"plasticity = {type(rule).__name__}: not a plasticity rule (no kernel_parameters())")
    prm = getter()
    if prm.get("pairing") == "stochastic":
        return _stochastic_row(rule, prm, learning_rate)
    missing = [k for k in _KEYS if k not in prm]
    if missing:
        raise ConfigError(f"plasticity {type(rule).__name__}: kernel_parameters() lacks {', '.join(missing)}")
    if prm["pairing"] not in PAIRINGS:
        raise ConfigError(f"plasticity pairing = {prm['pairing']!r}: must be one of {', '.join(PAIRINGS)}")
    row = np.zeros(N_P_COLUMNS)
    row[P_DECAY_PLUS] = math.exp(-dt / prm["tau_plus"])
    row[P_DECAY_MINUS] = math.exp(-dt / prm["tau_minus"])
    row[P_A_PLUS], row[P_A_MINUS] = prm["a_plus"], prm["a_minus"]
    row[P_MU_PLUS], row[P_MU_MINUS] = prm["mu_plus"], prm["mu_minus"]
    row[P_W_MIN], row[P_W_MAX] = prm["w_min"], prm["w_max"]
    row[P_PAIRING] = PAIRINGS.index(prm["pairing"])
    row[P_ETA] = learning_rate
    row[P_A3_PLUS], row[P_A3_MINUS] = prm.get("a3_plus", 0.0), prm.get("a3_minus", 0.0)
    row[P_DECAY_X] = math.exp(-dt / prm.get("tau_x", 1.0))
    row[P_DECAY_Y] = math.exp(-dt / prm.get("tau_y", 1.0))
    if (row[P_A3_PLUS] or row[P_A3_MINUS]) and prm["pairing"] != "all_to_all":
        raise ConfigError("plasticity: triplet terms (a3_plus, a3_minus) need pairing 'all_to_all'")
    return row


def _stochastic_row(rule: Any, prm: dict, learning_rate: float) -> np.ndarray:
    missing = [k for k in _STOCHASTIC_KEYS if k not in prm]
    if missing:
        raise ConfigError(f"plasticity {type(rule).__name__}: kernel_parameters() lacks {', '.join(missing)}")
    bits = int(prm["rnd_bits"])
    if bits not in _LFSR_MASKS:
        raise ConfigError(f"plasticity rnd_bits = {bits!r}: must be one of {', '.join(map(str, _LFSR_MASKS))}")
    row = np.zeros(N_P_COLUMNS)
    row[P_PAIRING] = STOCHASTIC
    row[P_W_MIN], row[P_W_MAX] = prm["w_min"], prm["w_max"]
    for col, key in ((P_THR1, "p1"), (P_THR2, "p2"), (P_THR3, "p3"), (P_THR4, "p4"), (P_THRD, "pd")):
        row[col] = round(prm[key] * 2**bits)
    row[P_T_THRESHOLD], row[P_LSB], row[P_RND_BITS] = prm["t_threshold"], prm["lsb"], bits
    row[P_SEED] = int(prm["seed"]) % 2**bits
    row[P_ETA] = learning_rate  # 0 switches learning off; any other value learns (the rule has no rate)
    return row


class WeightMonitor(SampledMonitor):
    """Weights of chosen synapses of a plastic projection, sampled after every ``every``-th step, in the
    projection's weight unit.

    ``synapses``: flat indices into the projection's weights (per synapse for CSR, row-major for a dense
    matrix)."""

    def __init__(self, projection: Any, synapses: np.ndarray, every: int, dt: float) -> None:
        if synapses.ndim != 1 or len(synapses) == 0:
            raise ShapeError("weight monitor: synapses must be a non-empty 1-D list of synapse indices")
        if synapses.min() < 0 or synapses.max() >= projection.num_synapses:
            raise ShapeError(f"weight monitor: synapse indices must lie in [0, {projection.num_synapses})")
        super().__init__(len(synapses), every, dt, "weight monitor")
        self.projection = projection
        self.synapses = synapses.astype(np.int64)

    def __repr__(self) -> str:
        return f"WeightMonitor(synapses={len(self.synapses)}, every={self.every})"


# ----- compiled step ---------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _power(v, mu):  # pragma: no cover - compiled
    """v**mu, with the exact shortcuts of μ = 0 and μ = 1 (pow gives the same values, slower)."""
    if mu == 0.0:
        return 1.0
    if mu == 1.0:
        return v
    return v**mu


@njit(cache=True, inline="always")
def _facilitate(w, a, mu, x, w_min, w_max):  # pragma: no cover - compiled
    span = w_max - w_min
    u = (w - w_min) / span
    u = u + a * _power(1.0 - u, mu) * x
    return u * span + w_min if u < 1.0 else w_max


@njit(cache=True, inline="always")
def _depress(w, a, mu, y, w_min, w_max):  # pragma: no cover - compiled
    span = w_max - w_min
    u = (w - w_min) / span
    u = u - a * _power(u, mu) * y
    return u * span + w_min if u > 0.0 else w_min


@njit(cache=True)
def plastic_step(
    t, spiking, n_spk, counts, ring, hist, hist_n,
    pre_start, pre_stop, post_start, post_stop, delay, channel, dense, params,
    syn_off, rowptr, rowptr_off, col, colptr, colptr_off, colsyn, colpre,
    weight, x_trace, x_off, y_trace, y_off, last_pre, last_arr, lfsr, counters,
):  # fmt: skip  # pragma: no cover - compiled
    """Plasticity and transmission of every plastic projection for step ``t`` (see the module docstring), and
    the record of this step's spikes in the history ring ``hist``/``hist_n`` (read back d steps later).

    ``counts[i]``: spikes of source/neuron i in this step (multiplicity). Adds the synaptic events to
    ``counters[1]`` and the weight updates (facilitations plus depressions) to ``counters[4]``."""
    slots = ring.shape[0]
    hs = hist.shape[0]
    h = t % hs
    for k in range(n_spk):
        hist[h, k] = spiking[k]
    hist_n[h] = n_spk
    for p in range(pre_start.shape[0]):
        prm = params[p]
        eta = prm[P_ETA]
        a_plus = eta * prm[P_A_PLUS]
        a_minus = eta * prm[P_A_MINUS]
        a3_plus, a3_minus = prm[P_A3_PLUS], prm[P_A3_MINUS]
        triplet = a3_plus != 0.0 or a3_minus != 0.0
        mu_p, mu_m, w_min, w_max = prm[P_MU_PLUS], prm[P_MU_MINUS], prm[P_W_MIN], prm[P_W_MAX]
        pairing = int(prm[P_PAIRING])
        learn = a_plus != 0.0 or a_minus != 0.0 or (eta != 0.0 and triplet)
        ps, pe, qs, qe = pre_start[p], pre_stop[p], post_start[p], post_stop[p]
        n_post = qe - qs
        d = delay[p]
        so = syn_off[p]
        x = x_trace[0, x_off[p] : x_off[p] + pe - ps]
        y = y_trace[0, y_off[p] : y_off[p] + n_post]
        x2 = x_trace[1, x_off[p] : x_off[p] + pe - ps]  # slow traces of triplet STDP (r₂, o₂)
        y2 = y_trace[1, y_off[p] : y_off[p] + n_post]
        lp = last_pre[x_off[p] : x_off[p] + pe - ps]
        la = last_arr[y_off[p] : y_off[p] + n_post]
        if pairing == STOCHASTIC:
            _stochastic_step(
                p, t, spiking, n_spk, counts, ring, prm, ps, pe, qs, qe, d, channel[p], dense[p], so,
                rowptr, rowptr_off[p], col, colptr, colptr_off[p], colsyn, colpre, weight, lp, lfsr, counters,
            )  # fmt: skip
            continue
        dx, dy = prm[P_DECAY_PLUS], prm[P_DECAY_MINUS]
        # 1. traces decay to t
        for a in range(x.shape[0]):
            x[a] *= dx
        for b in range(n_post):
            y[b] *= dy
        if triplet:
            dx2, dy2 = prm[P_DECAY_X], prm[P_DECAY_Y]
            for a in range(x2.shape[0]):
                x2[a] *= dx2
            for b in range(n_post):
                y2[b] *= dy2
        ha = (t - d) % hs
        arrivals = t - d >= 0
        # 2. postsynaptic spikes of step t − d reach the synapses: facilitation
        if arrivals and learn:
            for k in range(hist_n[ha]):
                g = hist[ha, k]
                if g < qs or g >= qe:
                    continue
                j = g - qs
                a_fac = eta * (prm[P_A_PLUS] + a3_plus * y2[j]) if triplet else a_plus
                if dense[p]:
                    n_in = pe - ps
                else:
                    c0 = colptr[colptr_off[p] + j]
                    n_in = colptr[colptr_off[p] + j + 1] - c0
                for m in range(n_in):
                    if dense[p]:
                        i = m
                        s = so + m * n_post + j
                    else:
                        s = so + colsyn[so + c0 + m]
                        i = colpre[so + c0 + m]
                    if pairing == 2 and (lp[i] < 0 or la[j] > lp[i]):
                        continue  # restricted: only the first arrival after the last presynaptic spike
                    weight[s] = _facilitate(weight[s], a_fac, mu_p, x[i], w_min, w_max)
                    counters[4] += 1
                la[j] = t
        # 3. presynaptic spikes of step t: depression, then transmission with the new weight
        for k in range(n_spk):
            g = spiking[k]
            if g < ps or g >= pe:
                continue
            i = g - ps
            mult = counts[g]
            a_dep = eta * (prm[P_A_MINUS] + a3_minus * x2[i]) if triplet else a_minus
            if dense[p]:
                s0 = so + i * n_post
                n_out = n_post
            else:
                s0 = so + rowptr[rowptr_off[p] + i]
                n_out = rowptr[rowptr_off[p] + i + 1] - rowptr[rowptr_off[p] + i]
            target = ring[(t + d) % slots, channel[p]]
            for m in range(n_out):
                s = s0 + m
                j = m if dense[p] else col[s]
                total = 0.0
                for rep in range(mult):
                    if learn and (pairing != 2 or (rep == 0 and la[j] > lp[i])):
                        weight[s] = _depress(weight[s], a_dep, mu_m, y[j], w_min, w_max)
                        counters[4] += 1
                    total += weight[s]
                target[qs + j] += total
            counters[1] += mult * n_out
        # 4. the traces take the spikes of step t
        if arrivals:
            for k in range(hist_n[ha]):
                g = hist[ha, k]
                if qs <= g < qe:
                    y[g - qs] = y[g - qs] + 1.0 if pairing == 0 else 1.0
                    y2[g - qs] += 1.0
        for k in range(n_spk):
            g = spiking[k]
            if ps <= g < pe:
                x[g - ps] = x[g - ps] + counts[g] if pairing == 0 else 1.0
                x2[g - ps] += counts[g]
                lp[g - ps] = t


@njit(cache=True)
def _stochastic_step(
    p, t, spiking, n_spk, counts, ring, prm, ps, pe, qs, qe, d, chan, is_dense, so,
    rowptr, r_off, col, colptr, c_off, colsyn, colpre, weight, hist, lfsr, counters,
):  # fmt: skip  # pragma: no cover - compiled
    """Stochastic STDP of one projection for step t (neurofab.learning.stochastic_stdp): push the history
    queues every T_threshold steps, set T[3] of the inputs spiking now, update the synapses of the neurons
    firing now by ±1 LSB with one LFSR draw each (column by column, inputs in ascending order), then send."""
    n_pre = pe - ps
    n_post = qe - qs
    t_thr = int(prm[P_T_THRESHOLD])
    if t > 0 and t % t_thr == 0:
        for a in range(n_pre):
            hist[a] >>= 1
    for k in range(n_spk):
        g = spiking[k]
        if ps <= g < pe:
            hist[g - ps] |= 8
    lsb = prm[P_LSB]
    lo = np.round(prm[P_W_MIN] / lsb)
    hi = np.round(prm[P_W_MAX] / lsb)
    bits = int(prm[P_RND_BITS])
    mask = 0xB8 if bits == 8 else (0xB400 if bits == 16 else (0xE10000 if bits == 24 else 0x80200003))
    thr = np.empty(16)
    for code in range(16):
        if code & 8:
            thr[code] = prm[P_THR1]
        elif code & 4:
            thr[code] = prm[P_THR2]
        elif code & 2:
            thr[code] = prm[P_THR3]
        elif code & 1:
            thr[code] = prm[P_THR4]
        else:
            thr[code] = prm[P_THRD]
    if lfsr[p] == 0:
        lfsr[p] = np.int64(prm[P_SEED])
    state = lfsr[p]
    if prm[P_ETA] != 0.0:
        for k in range(n_spk):
            g = spiking[k]
            if g < qs or g >= qe:
                continue
            j = g - qs
            if is_dense:
                n_in = n_pre
            else:
                c0 = colptr[c_off + j]
                n_in = colptr[c_off + j + 1] - c0
            for m in range(n_in):
                if is_dense:
                    i = m
                    s = so + m * n_post + j
                else:
                    s = so + colsyn[so + c0 + m]
                    i = colpre[so + c0 + m]
                lsb_bit = state & 1
                state >>= 1
                if lsb_bit:
                    state ^= mask
                code = hist[i]
                if state < thr[code]:
                    level = np.round(weight[s] / lsb) + (1.0 if code > 0 else -1.0)
                    level = min(max(level, lo), hi)
                    if level * lsb != weight[s]:
                        weight[s] = level * lsb
                        counters[4] += 1
    lfsr[p] = state
    slots = ring.shape[0]
    for k in range(n_spk):
        g = spiking[k]
        if g < ps or g >= pe:
            continue
        i = g - ps
        mult = counts[g]
        if is_dense:
            s0 = so + i * n_post
            n_out = n_post
        else:
            s0 = so + rowptr[r_off + i]
            n_out = rowptr[r_off + i + 1] - rowptr[r_off + i]
        target = ring[(t + d) % slots, chan]
        for m in range(n_out):
            j = m if is_dense else col[s0 + m]
            target[qs + j] += mult * weight[s0 + m]
        counters[1] += mult * n_out


@njit(cache=True)
def record_weights(t, weight, every, ptr, index, out_ptr, out, count):  # pragma: no cover - compiled
    """Weight monitors: copy weight[index[ptr[m]:ptr[m+1]]] to ``out`` when t is a multiple of every[m]."""
    for m in range(every.shape[0]):
        if t % every[m] == 0:
            base = out_ptr[m] + count[m] * (ptr[m + 1] - ptr[m])
            for k in range(ptr[m], ptr[m + 1]):
                out[base + k - ptr[m]] = weight[index[k]]
            count[m] += 1
