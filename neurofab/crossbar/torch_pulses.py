"""A batch's stochastic pulse trains in torch, composed in closed form per device (any torch device).

The torch counterpart of :mod:`neurofab.crossbar.composed_pulses`, vectorised over samples *and* devices. For
devices whose step is constant or affine in w with additive c2c noise, one pulse is

    w ← clip(w + a₀ + a₁w + σ·a₀·ξ, lo, hi),   ξ ~ N(0, 1)

(up: a₀ = Δw⁺, a₁ = slope⁺; down: a₀ = −Δw⁻, a₁ = −slope⁻; a₁ = 0 for a constant step), and, while no clip
binds, a visit of n same-sign pulses maps N(m, v) to N(qⁿm + a₀Sₙ, q²ⁿv + (σa₀)²Vₙ) with q = 1 + a₁,
Sₙ = Σ_{k<n} qᵏ = expm1(n·log q)/a₁ and Vₙ = Σ_{k<n} q²ᵏ = expm1(2n·log q)/expm1(2·log q) (both n when a₁ = 0).

Each device's visits are the samples whose trains coincide on it, in sample order (packed per device, so
only visited (sample, device) pairs are computed). With ℓ_s = n_s·log q_{u_s} (u_s the visit's direction)
and the prefix sums F_s = Σ_{t≤s} ℓ_t, the state after visit s is

    m_s = e^{F_s}·(m₀ + Σ_{t≤s} a₀Sₙ|_t·e^{−F_t}),      v_s = e^{2F_s}·(v₀ + Σ_{t≤s} (σa₀)²Vₙ|_t·e^{−2F_t})

— two cumulative sums over the visit axis for every device at once (for a constant step F ≡ 0 and these are
plain cumulative sums). The exponentials are kept in range by splitting the visits in two whenever |F|
would exceed ``_F_MAX``; the state is carried from part to part and from chunk to chunk.

Clipping: the check of :mod:`~neurofab.crossbar.composed_pulses` for every visit with n > 0 — the mean path from
m_{s−1} to m_s and K = 8 standard deviations of max(1, q²ⁿ)·(v_{s−1} + (σa₀)²n) inside [lo, hi]. A device that
fails it anywhere in a chunk has its state drawn at the chunk's start (the chain is Markov: exact) and that
chunk's pulses applied one at a time, in sample order, with their own noise and clips
(:func:`pulses_in_order`); it re-enters the closed form with the next chunk. Devices with q ≤ 0 always take
that path. At the end of the batch each touched device's state is drawn once and clipped; write noise is
redrawn for the touched devices.

Trains: for a chunk of samples, all Bernoulli bits at once — B × BL for δ and for x. Sparse trains: the
coincidences are listed by joining each fired δ line with the fired x lines of its sample and slot, then
counted per (device, sample); dense trains: one batched product bd[s]ᵀ·bx[s] with the signs −sign(δ_i) and
sign(x_j) on the bits. Same distribution of weights as :func:`~neurofab.crossbar.update.stochastic_update`'s
per-sample loop, not the same random numbers.
"""

from __future__ import annotations

import torch

from neurofab.core import InputTypeError, NumericalError, ShapeError
from neurofab.devices import DeviceArray, LinearStep, PulsedDevice, SoftBounds

__all__ = ["composable", "composed_update", "pulses_in_order"]

#: squared number of standard deviations an intermediate state must keep from a bound (K = 8)
_K2 = 64.0
#: largest |Σ n·log q| over the visits composed at once (e^{±2F} stays finite: float64 ~e^709, float32 ~e^88)
_F_MAX = {torch.float64: 300.0, torch.float32: 40.0}
#: coincidences listed one by one while fewer than this fraction of (samples × devices), else counted densely
_SPARSE_BELOW = 0.25
#: bound on the elements of a chunk's bits (samples × slots × lines), of a dense count piece (samples × devices)
#: and of one composition (visits × devices)
_CHUNK_ELEMENTS = 1 << 20


def composable(array) -> bool:
    """Whether ``array``'s pulses have the Gaussian closure: a 2-D :class:`DeviceArray` of a constant-step
    family, or of :class:`LinearStep`/:class:`SoftBounds` with additive c2c noise (``mult_noise=False``)."""
    if not isinstance(array, DeviceArray) or array.w.dim() != 2:
        return False
    model = array.model
    if isinstance(model, LinearStep | SoftBounds):
        return not model.mult_noise
    kind = type(model)
    return kind.steps is PulsedDevice.steps and kind.noise_std is PulsedDevice.noise_std


def _work_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64


def _draw_bits(x, d, bl, a, b, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The trains of a chunk of samples: bits (S, BL, in) for x and (S, BL, out) for δ; slots ≥ BL_s are off."""
    n_s, n_in = x.shape
    slots = int(bl.max())
    dev, dt = x.device, x.dtype
    live_slot = torch.arange(slots, device=dev).unsqueeze(0) < bl.to(dev).unsqueeze(1)  # (S, BL)
    q = torch.clamp(b.to(device=dev, dtype=dt).unsqueeze(1) * x.abs(), max=1.0)
    p = torch.clamp(a.to(device=dev, dtype=dt).unsqueeze(1) * d.abs(), max=1.0)
    bx = torch.rand((n_s, slots, n_in), generator=generator, device=dev, dtype=dt) < q.unsqueeze(1)
    bx &= live_slot.unsqueeze(2)
    bd = torch.rand((n_s, slots, d.shape[1]), generator=generator, device=dev, dtype=dt) < p.unsqueeze(1)
    return bx, bd


def _chunk_visits(x, d, bl, a, b, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A chunk's trains as packed visits (:func:`_pack_sorted`): (signed counts (V, K), device index (K,)).

    Sparse trains (fewer coincidences than ``_SPARSE_BELOW`` × samples × devices and 4·``_CHUNK_ELEMENTS``):
    the coincidences are listed from the fired bits — every fired δ line joined with the fired x lines of
    the same sample and slot — and counted per (device, sample). Dense trains: batched products of the bits,
    the signs riding on them (−sign δ_i on the δ side, sign x_j on the x side), give the signed counts of
    every (sample, device), a piece of samples at a time. Both give the same counts from the same bits.
    """
    bx, bd = _draw_bits(x, d, bl, a, b, generator)
    n_s, slots, n_in = bx.shape
    n_dev = n_in * bd.shape[2]
    s_x, k_x, j_x = bx.nonzero(as_tuple=True)  # ascending (sample, slot, line)
    s_d, k_d, i_d = bd.nonzero(as_tuple=True)
    per_slot = torch.bincount(s_x * slots + k_x, minlength=n_s * slots)
    partners = per_slot[s_d * slots + k_d]  # fired x lines in each fired δ line's slot
    events = int(partners.sum())
    if events == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=x.device)
        return torch.zeros((0, 0), dtype=torch.int64, device=x.device), empty
    if events > _SPARSE_BELOW * n_s * n_dev or events > 4 * _CHUNK_ELEMENTS:
        sx = torch.where(bx, torch.sign(x).unsqueeze(1), 0.0)
        sd = torch.where(bd, torch.sign(d).neg().unsqueeze(1), 0.0).transpose(1, 2)
        piece = max(1, _CHUNK_ELEMENTS // n_dev)
        found = []
        for s0 in range(0, n_s, piece):  # (samples × devices) counts a piece at a time
            n = torch.bmm(sd[s0 : s0 + piece], sx[s0 : s0 + piece]).view(-1, n_dev)  # small integers, exact
            smp, dev = n.nonzero(as_tuple=True)  # sample-major
            found.append((dev, n[smp, dev].to(torch.int64)))
        dev, values = (torch.cat(t) for t in zip(*found, strict=True))
        dev, order = torch.sort(dev, stable=True)  # device-major, samples still ascending
        return _pack_sorted(dev, values[order], n_dev)
    slot_start = torch.cumsum(per_slot, 0) - per_slot
    of_d = torch.repeat_interleave(torch.arange(partners.numel(), device=x.device), partners)
    first = torch.cumsum(partners, 0) - partners
    of_x = slot_start[s_d * slots + k_d][of_d] + torch.arange(events, device=x.device) - first[of_d]
    key = (i_d[of_d] * n_in + j_x[of_x]) * n_s + s_d[of_d]
    key, counts = torch.unique(key, sorted=True, return_counts=True)  # device-major, samples ascending
    dev, smp = key // n_s, key % n_s
    sign = torch.sign(d)[smp, dev // n_in] * torch.sign(x)[smp, dev % n_in]
    return _pack_sorted(dev, counts * sign.neg().to(torch.int64), n_dev)


class _Visits:
    """Per-device constants of the two directions (row 0: down, 1: up), flattened over devices."""

    def __init__(self, array: DeviceArray | None, wd: torch.dtype = torch.float64) -> None:
        if array is None:
            return
        p = {k: v.reshape(-1).to(wd) for k, v in array.params.items()}
        self.affine = "slope_up" in p
        zero = torch.zeros_like(p["dw_up"])
        a1_up = p["slope_up"] if self.affine else zero
        a1_down = -p["slope_down"] if self.affine else zero
        self.a0 = torch.stack([-p["dw_down"], p["dw_up"]])  # (2, D)
        self.a1 = torch.stack([a1_down, a1_up])
        self.c2 = (array.model.dw_min_std * self.a0) ** 2
        q = 1.0 + self.a1
        self.closed = (q > 0).all(dim=0)  # (D,): q ≤ 0 in either direction → pulses one at a time
        self.log_q = torch.log1p(torch.where(q > 0, self.a1, torch.zeros_like(self.a1)))
        self.lo, self.hi = p["w_min"], p["w_max"]

    def take(self, index: torch.Tensor) -> _Visits:
        """The constants of the devices at ``index`` only."""
        out = _Visits(None)
        out.affine = self.affine
        for name in ("a0", "a1", "c2", "log_q"):
            setattr(out, name, getattr(self, name)[:, index])
        for name in ("closed", "lo", "hi"):
            setattr(out, name, getattr(self, name)[index])
        return out


def _constants(array: DeviceArray, wd: torch.dtype) -> _Visits:
    """:class:`_Visits` of ``array``, kept on the array until a parameter buffer changes (storage or version)."""
    key = [wd, array.w.device] + [(b.data_ptr(), b._version) for b in array.params.values()]
    cached = array.__dict__.get("_torch_pulse_constants")
    if cached is None or cached[0] != key:
        cached = (key, _Visits(array, wd))
        array.__dict__["_torch_pulse_constants"] = cached
    return cached[1]


def _pack_sorted(dev: torch.Tensor, values: torch.Tensor, n_dev: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Visits listed device-major, samples ascending (device ``dev``, signed count ``values``) packed per device:
    (visits (V, K), device index (K,)) with K the devices visited and V the most visits of one device — each
    device's visits in sample order from the top, zero-padded below."""
    per_device = torch.bincount(dev, minlength=n_dev)
    index = per_device.nonzero().flatten()
    column = torch.cumsum(per_device > 0, 0) - 1
    start = torch.cumsum(per_device, 0) - per_device
    rank = torch.arange(dev.numel(), device=dev.device) - start[dev]
    longest = int(per_device.max()) if dev.numel() else 0
    packed = torch.zeros((longest, index.numel()), dtype=torch.int64, device=dev.device)
    packed[rank, column[dev]] = values
    return packed, index


def _compose_chunk(n: torch.Tensor, m0, v0, c: _Visits, f_max: float):
    """Closed form over visits n (V, K) in order: (m, v) after them and which devices fail the clip check.

    Returns None when |Σ n·log q| exceeds ``f_max`` somewhere (the caller splits the chunk).
    """
    wd = m0.dtype
    na = n.abs().to(wd)
    up = (n > 0).long()
    a0 = torch.gather(c.a0, 0, up)
    c2 = torch.gather(c.c2, 0, up)
    if c.affine:
        a1 = torch.gather(c.a1, 0, up)
        lq = torch.gather(c.log_q, 0, up)
        ell = na * lq
        f = torch.cumsum(ell, 0)
        if not bool(torch.isfinite(f).all()) or float(f.abs().max()) > f_max:
            return None
        flat = a1 == 0
        one = torch.ones_like(a1)
        s_n = torch.where(flat, na, torch.expm1(ell) / torch.where(flat, one, a1))
        v_n = torch.where(flat, na, torch.expm1(2 * ell) / torch.where(flat, one, torch.expm1(2 * lq)))
        growth = torch.exp(f)
        m_after = growth * (m0 + torch.cumsum(a0 * s_n * torch.exp(-f), 0))
        v_after = growth.square() * (v0 + torch.cumsum(c2 * v_n * torch.exp(-2 * f), 0))
        p2 = torch.exp(2 * ell)
    else:
        m_after = m0 + torch.cumsum(a0 * na, 0)
        v_after = v0 + torch.cumsum(c2 * na, 0)
        p2 = None
    m_before = torch.cat([m0.unsqueeze(0), m_after[:-1]])
    v_before = torch.cat([v0.unsqueeze(0), v_after[:-1]])
    s2 = _K2 * (v_before + c2 * na)
    if p2 is not None:
        s2 = s2 * torch.clamp(p2, min=1.0)
    d_lo = torch.minimum(m_before, m_after) - c.lo
    d_hi = c.hi - torch.maximum(m_before, m_after)
    safe = (d_lo >= 0) & (d_hi >= 0) & (d_lo.square() >= s2) & (d_hi.square() >= s2)
    fails = ((na > 0) & ~safe).any(dim=0) | ~c.closed
    return m_after[-1], v_after[-1], fails


def pulses_in_order(array: DeviceArray, index: torch.Tensor, n: torch.Tensor, w: torch.Tensor, gen) -> torch.Tensor:
    """Apply signed pulse counts ``n`` (S, K) — sample by sample, one pulse at a time — to the devices at flat
    ``index`` (K,) starting from states ``w`` (K,); returns their states (as :meth:`DeviceArray.pulse`: each
    pulse draws its own c2c noise and is clipped). Vectorised over the devices: step r applies every device's
    r-th pulse, so the loop runs max_k Σ_s |n_sk| times."""
    model = array.model
    if index.numel() == 0:
        return w
    per_visit = n.T.reshape(-1)  # device-major, samples in order
    runs = per_visit.abs()
    signs = torch.repeat_interleave(per_visit > 0, runs)
    totals = runs.view(n.shape[1], n.shape[0]).sum(dim=1)
    start = torch.cumsum(totals, 0) - totals
    p = {k: v.reshape(-1)[index].to(w.dtype) for k, v in array.params.items()}
    w = w.clone()
    live = (totals > 0).nonzero().flatten()
    r = 0
    while live.numel() > 0:
        pl = {k: v[live] for k, v in p.items()}
        wl = w[live]
        pos = signs[start[live] + r]
        up, down = model.steps(wl, pl)
        step = torch.where(pos, up, down)
        if model.has_c2c:
            n_up, n_down = model.noise_std(wl, pl, up, down)
            noise = torch.randn(wl.shape, generator=gen, device=wl.device, dtype=wl.dtype)
            step = step + torch.where(pos, n_up, n_down) * noise
        wl = torch.where(pos, wl + step, wl - step)
        w[live] = torch.minimum(torch.maximum(wl, pl["w_min"]), pl["w_max"])
        r += 1
        live = live[totals[live] > r]
    return w


def composed_update(array: DeviceArray, x, d, bl, a, b, generator: torch.Generator) -> int:
    """The stochastic update of a batch (x: (B, in), δ: (B, out); per-sample train length ``bl`` and the δ and x
    probability scales ``a``, ``b``) on a :func:`composable` array; returns the pulses written.

    Raises ``ShapeError``, ``InputTypeError`` (tensors or generator on another device than the array) or
    ``NumericalError`` (NaN or inf in x or δ) before anything is written."""
    _check_inputs(array, x, d, generator)
    dev = array.w.device
    dt = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32  # counts exact to 2²⁴
    x, d = x.to(dt), d.to(dt)
    wd = _work_dtype(dev)
    c = _constants(array, wd)
    n_dev = array.w.numel()
    m = array.w.reshape(-1).to(wd)
    v = torch.zeros_like(m)
    touched = torch.zeros(n_dev, dtype=torch.bool, device=dev)
    total = 0
    active = torch.nonzero(bl).flatten()
    x, d, bl, a, b = x[active], d[active], bl[active].to(dev), a[active], b[active]
    # bits of one sample, or (dense trains) a sixteenth of its possible visits, per chunk element
    per_sample = max(int(bl.max()) * (x.shape[1] + d.shape[1]), n_dev // 16) if active.numel() else 1
    step = max(1, _CHUNK_ELEMENTS // per_sample)
    f_max = _F_MAX[wd]
    for s0 in range(0, x.shape[0], step):
        sl = slice(s0, s0 + step)
        n, idx = _chunk_visits(x[sl], d[sl], bl[sl], a[sl], b[sl], generator)
        if idx.numel() == 0:
            continue
        total += int(n.abs().sum())
        touched[idx] = True
        cols = max(1, _CHUNK_ELEMENTS // n.shape[0])  # devices are independent: compose them in blocks
        for k0 in range(0, idx.numel(), cols):
            sub = idx[k0 : k0 + cols]
            m[sub], v[sub] = _advance(array, n[:, k0 : k0 + cols], m[sub], v[sub], c.take(sub), sub, f_max,
                                      generator)
    if total == 0:
        return 0
    index = touched.nonzero().flatten()
    xi = torch.randn(index.shape, generator=generator, device=dev, dtype=wd)
    w_new = torch.minimum(torch.maximum(m[index] + v[index].sqrt() * xi, c.lo[index]), c.hi[index])
    array.w.view(-1)[index] = w_new.to(array.w.dtype)
    array._refresh_read(index, generator)
    return total


def _check_inputs(array: DeviceArray, x: torch.Tensor, d: torch.Tensor, generator: torch.Generator) -> None:
    out, n_in = array.w.shape
    if x.dim() != 2 or d.dim() != 2 or x.shape[0] != d.shape[0] or x.shape[1] != n_in or d.shape[1] != out:
        raise ShapeError(f"stochastic update: x must be (B, {n_in}) and d (B, {out}) for a {out}×{n_in} array, "
                         f"got x {tuple(x.shape)} and d {tuple(d.shape)}")
    dev = array.w.device
    for name, t in (("x", x), ("d", d), ("generator", generator)):
        other = t.device
        if other.type != dev.type or (other.index is not None and dev.index is not None and other.index != dev.index):
            raise InputTypeError(f"stochastic update: {name} is on {t.device} but the array is on {dev}")
    if not (torch.isfinite(x).all() and torch.isfinite(d).all()):
        raise NumericalError("stochastic update: x or d contains NaN or inf")


def _advance(array, n, m, v, c: _Visits, index, f_max, generator):
    """(m, v) after the visits n (V, K) of the devices at flat ``index``: closed form, the visits split in two
    while the exponents are out of range, devices failing the clip check drawn and pulsed one at a time."""
    out = _compose_chunk(n, m, v, c, f_max)
    if out is None:
        if n.shape[0] == 1:  # one visit: n·|log q| itself is huge — every device of the sample pulse by pulse
            out = (m, v, torch.ones_like(c.closed))
        else:
            half = n.shape[0] // 2
            m, v = _advance(array, n[:half], m, v, c, index, f_max, generator)
            return _advance(array, n[half:], m, v, c, index, f_max, generator)
    m_new, v_new, fails = out
    bad = (fails & (n != 0).any(dim=0)).nonzero().flatten()
    if bad.numel():
        start = m[bad] + v[bad].sqrt() * torch.randn(bad.shape, generator=generator, device=m.device, dtype=m.dtype)
        start = torch.minimum(torch.maximum(start, c.lo[bad]), c.hi[bad])
        m_new = m_new.clone()
        v_new = v_new.clone()
        m_new[bad] = pulses_in_order(array, index[bad], n[:, bad], start, generator)
        v_new[bad] = 0.0
    return m_new, v_new
