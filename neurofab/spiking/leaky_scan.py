"""The leaky scan with trainable decay β and threshold θ (per layer or per neuron), fused over all T steps.

In normalized units (see :mod:`neurofab.spiking.layers`) one step of a leaky population is

    z_t = β u_{t−1} + x_t,     s_t = H(z_t − θ),     u_t = z_t − θ s_t  (subtract)  or  z_t (1 − s_t)  (zero)

with β and θ broadcast from a parameter of shape () or of one sample's neurons. The forward runs all steps for all
neurons in one compiled call (:func:`leaky_forward`, numba, neurons in parallel) and keeps z_t and s_t; the backward
is the adjoint recursion in one compiled call (:func:`leaky_backward`),

    g^z_t = ∂L/∂s_t · σ'(z_t − θ) + β ∂u_t/∂z_t · g^z_{t+1},     ∂L/∂x_t = g^z_t,

with ∂u_t/∂z_t = 1 (subtract, detached reset) | 1 − θσ'_t (subtract) | 1 − s_t (zero, detached) | 1 − s_t − σ'_t z_t
(zero), followed by two vectorized sums for the parameters (g^u_t = β g^z_{t+1} = ∂L/∂u_t, g^u_{T−1} = 0):

    ∂L/∂β = Σ_t g^z_t u_{t−1},     ∂L/∂θ = −Σ_t [σ'_t (∂L/∂s_t − [attached] g^u_t θ|z_t) + [subtract] s_t g^u_t].

snnTorch's order (:mod:`neurofab.spiking.layers`, kernel modes ``SNN_*``) keeps the membrane before the reset, m_t = β
m_{t−1} + x_t − θ r_t | β (1 − r_t) m_{t−1} + x_t | (1 − r_t)(β m_{t−1} + x_t) with r_t = H(m_{t−1} − θ) = s_{t−1}
detached; its adjoint is g^z_t = ∂L/∂s_t σ'_t + β (1 − [zero] r_{t+1}) g^z_{t+1}, ∂L/∂x_t = (1 − [gated] r_t) g^z_t,
∂L/∂β = Σ_t g^z_t (1 − [zero] r_t) m_{t−1} and ∂L/∂θ = −Σ_t [σ'_t ∂L/∂s_t + [subtract] r_t g^z_t].

These are the gradients plain autograd gives through :func:`neurofab.spiking.layers.param_scan` (the test suite
checks them against it and against finite differences); the final state carries no gradient (losses are taken on
the spikes). The forward writes the surrogate slopes σ'(z_t − θ) for the built-in surrogates (the formulas of
:mod:`neurofab.spiking.train_kernels`); a user-defined surrogate's are taken in torch by its own ``grad``. The
backward sums the parameter gradients per neuron in the same pass as the adjoint.
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from neurofab.core import kernel_threads
from neurofab.spiking.surrogate import SURROGATES, Surrogate
from neurofab.spiking.surrogate import surrogate as make_surrogate
from neurofab.spiking.train_kernels import NO_SLOPE, SURROGATE_CODES, _slopes_, surrogate_params

__all__ = ["fused_leaky_scan", "leaky_backward", "leaky_forward", "reset_mode"]

_CHUNK = 2048  # neurons per parallel work item
_EMPTY = {dt: torch.empty(1, 0, dtype=dt) for dt in (torch.float32, torch.float64)}


#: reset modes of the kernels: ours (reset, then decay) and snnTorch's (reset of the previous step after the decay)
SUBTRACT, ZERO, SNN_SUBTRACT, SNN_ZERO, SNN_ZERO_GATED = range(5)


def reset_mode(reset_zero: bool, snntorch: str | None) -> int:
    """The kernel code of a reset: ours (``snntorch`` None), or snnTorch's for a ``"leaky"`` or ``"synaptic"``
    neuron (to zero, its Synaptic also drops the step's input: ``SNN_ZERO_GATED``)."""
    if snntorch is None:
        return ZERO if reset_zero else SUBTRACT
    if snntorch not in ("leaky", "synaptic"):
        raise ValueError(f"snntorch = {snntorch!r}: must be None, 'leaky' or 'synaptic'")
    if not reset_zero:
        return SNN_SUBTRACT
    return SNN_ZERO_GATED if snntorch == "synaptic" else SNN_ZERO


@numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def leaky_forward(x, u, beta, theta, mode, code, consts, spikes, z_out, slope):  # pragma: no cover - compiled
    """x (T, M) → spikes, z and (unless ``code`` is NO_SLOPE) the surrogate slopes σ'(z_t − θ) (T, M); ``u`` (M,)
    holds the initial potential and is left holding the final one (after the reset for our modes, before it for
    snnTorch's); ``beta`` and ``theta`` have length M (one entry per neuron and sample); ``mode`` the reset
    (:func:`reset_mode`); ``consts`` = [1, 0, a, b] in the data's dtype (a, b: the surrogate's kernel constants).
    One branch-free loop over the neurons per mode and step (so that it vectorizes), then the slopes of the step."""
    n_steps, m_total = x.shape
    one, zero, a, b = consts[0], consts[1], consts[2], consts[3]
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        uc, bc, thc = u[lo:hi], beta[lo:hi], theta[lo:hi]  # 1-D views: the loops below vectorize
        for t in range(n_steps):
            xt, st, zt = x[t, lo:hi], spikes[t, lo:hi], z_out[t, lo:hi]
            if mode == SUBTRACT:
                for m in range(hi - lo):
                    th = thc[m]
                    z = xt[m] + bc[m] * uc[m]
                    s = one if z >= th else zero
                    st[m] = s
                    zt[m] = z
                    uc[m] = z - th * s
            elif mode == ZERO:
                for m in range(hi - lo):
                    z = xt[m] + bc[m] * uc[m]
                    s = one if z >= thc[m] else zero
                    st[m] = s
                    zt[m] = z
                    uc[m] = z * (one - s)
            elif mode == SNN_SUBTRACT:
                for m in range(hi - lo):
                    th, um = thc[m], uc[m]
                    r = one if um >= th else zero  # the previous step's spike
                    z = xt[m] + bc[m] * um - th * r
                    st[m] = one if z >= th else zero
                    zt[m] = z
                    uc[m] = z
            elif mode == SNN_ZERO:
                for m in range(hi - lo):
                    th, um = thc[m], uc[m]
                    r = one if um >= th else zero
                    z = xt[m] + bc[m] * (um - um * r)
                    st[m] = one if z >= th else zero
                    zt[m] = z
                    uc[m] = z
            else:
                for m in range(hi - lo):
                    th, um = thc[m], uc[m]
                    r = one if um >= th else zero
                    z = (xt[m] + bc[m] * um) * (one - r)
                    st[m] = one if z >= th else zero
                    zt[m] = z
                    uc[m] = z
            if code >= 0:
                sl = slope[t, lo:hi]
                for m in range(hi - lo):
                    sl[m] = zt[m] - thc[m]
                _slopes_(code, sl, one, zero, a, b)


@numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def leaky_backward(g, slope, spikes, z, u0, beta, theta, mode, detach, gz, g_beta, g_theta):  # pragma: no cover
    """g^z (T, M) into ``gz`` from ∂L/∂s (T, M) by the adjoint recursion of the module docstring, and per neuron
    the sums over steps of ∂L/∂β and ∂L/∂θ into ``g_beta`` and ``g_theta`` (M,). For ``SNN_ZERO_GATED`` ``gz``
    receives ∂L/∂x_t = (1 − r_t) g^z_t. snnTorch's modes take the reset as detached whatever ``detach`` says."""
    n_steps, m_total = g.shape
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        bc, thc, u0c, gbc, gtc = beta[lo:hi], theta[lo:hi], u0[lo:hi], g_beta[lo:hi], g_theta[lo:hi]
        for m in range(hi - lo):
            gbc[m] = 0.0
            gtc[m] = 0.0
        for t in range(n_steps - 1, -1, -1):
            # 1-D views of this step, the next (read when t < T − 1) and the previous (read when t > 0)
            g_t, sl_t, sp_t, z_t, gz_t = g[t, lo:hi], slope[t, lo:hi], spikes[t, lo:hi], z[t, lo:hi], gz[t, lo:hi]
            gz_n = gz[min(t + 1, n_steps - 1), lo:hi]
            z_p, sp_p = z[max(t - 1, 0), lo:hi], spikes[max(t - 1, 0), lo:hi]
            last, first = t == n_steps - 1, t == 0
            if mode == SNN_SUBTRACT:  # the same arithmetic as the general loop below, without its branches
                for m in range(hi - lo):
                    th, sl, g_s = thc[m], sl_t[m], g_t[m]
                    nx = gz_n[m] if not last else 0.0
                    gzt = g_s * sl + bc[m] * nx
                    zp = z_p[m] if not first else u0c[m]
                    r = sp_p[m] if not first else (1.0 if zp >= th else 0.0)
                    gz_t[m] = gzt
                    gbc[m] += gzt * zp
                    gtc[m] += -sl * g_s - r * gzt
                continue
            if mode == SNN_ZERO:
                for m in range(hi - lo):
                    th, sl, sp, g_s = thc[m], sl_t[m], sp_t[m], g_t[m]
                    nx = gz_n[m] if not last else 0.0
                    gzt = g_s * sl + bc[m] * (1.0 - sp) * nx
                    zp = z_p[m] if not first else u0c[m]
                    r = sp_p[m] if not first else (1.0 if zp >= th else 0.0)
                    gz_t[m] = gzt
                    gbc[m] += gzt * (zp - zp * r)
                    gtc[m] += -sl * g_s
                continue
            if mode == SNN_ZERO_GATED:
                for m in range(hi - lo):
                    th, sl, g_s = thc[m], sl_t[m], g_t[m]
                    nx = gz_n[m] if not last else 0.0
                    gzt = g_s * sl + bc[m] * nx
                    zp = z_p[m] if not first else u0c[m]
                    r = sp_p[m] if not first else (1.0 if zp >= th else 0.0)
                    gzt *= 1.0 - r
                    gz_t[m] = gzt
                    gbc[m] += gzt * zp
                    gtc[m] += -sl * g_s
                continue
            if detach and mode == SUBTRACT:
                for m in range(hi - lo):
                    th, sl, sp, g_s = thc[m], sl_t[m], sp_t[m], g_t[m]
                    nx = gz_n[m] if not last else 0.0
                    gu = bc[m] * nx
                    gzt = g_t[m] * sl + gu
                    gz_t[m] = gzt
                    u_prev = z_p[m] - th * sp_p[m] if not first else u0c[m]
                    gbc[m] += gzt * u_prev
                    gth = -sl * np.float64(g_s)  # in float64, as in the general loop (where g_s may be updated)
                    gth -= sp * gu
                    gtc[m] += gth
                continue
            if detach and mode == ZERO:
                for m in range(hi - lo):
                    sl, sp, g_s = sl_t[m], sp_t[m], g_t[m]
                    nx = gz_n[m] if not last else 0.0
                    gu = bc[m] * nx
                    nxt = gu
                    nxt *= 1.0 - sp
                    gzt = g_t[m] * sl + nxt
                    gz_t[m] = gzt
                    u_prev = z_p[m] * (1.0 - sp_p[m]) if not first else u0c[m]
                    gbc[m] += gzt * u_prev
                    gth = -sl * np.float64(g_s)  # in float64, as in the general loop (where g_s may be updated)
                    gtc[m] += gth
                continue
            for m in range(hi - lo):
                bm, th = bc[m], thc[m]
                sl, sp, zt = sl_t[m], sp_t[m], z_t[m]
                nx = gz_n[m] if not last else 0.0
                g_s = g_t[m]
                if mode == SUBTRACT or mode == ZERO:
                    gu = bm * nx  # ∂L/∂u_t
                    nxt = gu
                    if mode == ZERO:
                        nxt *= 1.0 - sp
                        if not detach:
                            nxt -= gu * sl * zt
                            g_s -= gu * zt
                    elif not detach:
                        nxt -= gu * th * sl
                        g_s -= gu * th
                    gzt = g_t[m] * sl + nxt
                    gz_t[m] = gzt
                    if not first:
                        zp, sp_prev = z_p[m], sp_p[m]
                        u_prev = zp * (1.0 - sp_prev) if mode == ZERO else zp - th * sp_prev
                    else:
                        u_prev = u0c[m]
                    gbc[m] += gzt * u_prev
                    gth = -sl * np.float64(g_s)  # in float64, as in the general loop (where g_s may be updated)
                    if mode == SUBTRACT:
                        gth -= sp * gu
                    gtc[m] += gth
                    continue
                # snnTorch's order: m_t depends on m_{t−1} through β (times 1 − r_t for the zero modes), r_t detached
                nxt = bm * nx if mode != SNN_ZERO else bm * (1.0 - sp) * nx  # gated: gz holds (1 − r) g^z already
                gzt = g_s * sl + nxt
                if not first:
                    zp, r = z_p[m], sp_p[m]
                else:
                    zp = u0c[m]
                    r = 1.0 if zp >= th else 0.0
                if mode == SNN_ZERO_GATED:
                    gzt *= 1.0 - r
                gz_t[m] = gzt
                if mode == SNN_SUBTRACT:
                    gbc[m] += gzt * zp
                    gtc[m] += -sl * g_s - r * gzt
                elif mode == SNN_ZERO:
                    gbc[m] += gzt * (zp - zp * r)
                    gtc[m] += -sl * g_s
                else:
                    gbc[m] += gzt * zp
                    gtc[m] += -sl * g_s


def kernel_applies(x: torch.Tensor) -> bool:
    """The compiled scan covers float32/float64 tensors on the CPU."""
    return x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)


def _per_element(p: torch.Tensor, batch: int, n_neuron: int, dtype: torch.dtype) -> torch.Tensor:
    """A parameter of shape () or of one sample's neurons as a flat contiguous array of length batch · N."""
    return p.detach().to(dtype).reshape(1, -1).expand(batch, n_neuron).reshape(-1).contiguous()


def _surrogate_code(sg: Surrogate) -> int:
    """The kernel code of a built-in surrogate; NO_SLOPE for any other (its slopes are then taken in torch)."""
    if sg.name in SURROGATES.names() and type(sg) is type(make_surrogate(sg.name)):
        return SURROGATE_CODES.get(sg.name, NO_SLOPE)
    return NO_SLOPE


class _FusedLeaky(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta, theta, u0, sg: Surrogate, mode: int, detach: bool):
        n_steps, batch = x.shape[0], x.shape[1]
        flat = x.detach().reshape(n_steps, -1).contiguous()
        n_neuron = flat.shape[1] // max(batch, 1)
        b = _per_element(beta, batch, n_neuron, x.dtype)
        th = _per_element(theta, batch, n_neuron, x.dtype)
        u = u0.detach().reshape(-1).to(x.dtype, copy=True).contiguous()
        u_first = u.clone()
        spikes = torch.empty_like(flat)
        z = torch.empty_like(flat)
        code = _surrogate_code(sg)
        slope = torch.empty_like(flat) if code != NO_SLOPE else _EMPTY[x.dtype]
        a, bb, _ = surrogate_params(sg.name, sg.model_dump()) if code != NO_SLOPE else (0.0, 0.0, 0.0)
        consts = torch.tensor([1.0, 0.0, a, bb], dtype=x.dtype)
        kernel_threads()
        leaky_forward(flat.numpy(), u.numpy(), b.numpy(), th.numpy(), mode, code, consts.numpy(),
                      spikes.numpy(), z.numpy(), slope.numpy())
        if code == NO_SLOPE:
            slope = sg.grad(z - th)
        ctx.save_for_backward(spikes, z, slope, u_first, b, th)
        ctx.mode, ctx.detach, ctx.shape = mode, detach, x.shape
        ctx.param_shapes = (beta.shape, theta.shape)
        ctx.param_sizes = (beta.numel(), theta.numel())
        u_last = u.reshape(u0.shape)
        ctx.mark_non_differentiable(u_last)
        return spikes.reshape(x.shape), u_last

    @staticmethod
    def backward(ctx, g_spikes, _gu):
        spikes, z, slope, u_first, b, th = ctx.saved_tensors
        g = g_spikes.reshape(spikes.shape).contiguous()
        gz = torch.empty_like(g)
        gb = torch.empty_like(u_first)
        gt = torch.empty_like(u_first)
        kernel_threads()
        leaky_backward(g.numpy(), slope.numpy(), spikes.numpy(), z.numpy(), u_first.numpy(), b.numpy(), th.numpy(),
                       ctx.mode, ctx.detach, gz.numpy(), gb.numpy(), gt.numpy())
        g_beta = _reduce(gb, ctx.param_shapes[0], ctx.param_sizes[0]) if ctx.needs_input_grad[1] else None
        g_theta = _reduce(gt, ctx.param_shapes[1], ctx.param_sizes[1]) if ctx.needs_input_grad[2] else None
        return gz.reshape(ctx.shape), g_beta, g_theta, None, None, None, None


def _reduce(per_neuron: torch.Tensor, shape: torch.Size, n_param: int) -> torch.Tensor:
    """Sum a per-element (M,) gradient over the samples down to the parameter's shape."""
    if n_param == 1:
        return per_neuron.sum().reshape(shape)
    return per_neuron.reshape(-1, n_param).sum(0).reshape(shape)


def fused_leaky_scan(x: torch.Tensor, beta: torch.Tensor, theta: torch.Tensor, u0: torch.Tensor, sg: Surrogate,
                     reset_zero: bool = False, detach_reset: bool = True,
                     snntorch: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes (T, batch, ...) and the final potential (no gradient) of the leaky scan of the module docstring.

    ``beta`` and ``theta`` are tensors of shape () or of one sample's neurons (already clamped to their valid
    range by the caller); ``u0`` has the shape of one step of ``x``. CPU float32/float64 only
    (:func:`kernel_applies`); gradients reach ``x``, ``beta`` and ``theta``. ``snntorch`` = ``"leaky"`` or
    ``"synaptic"`` runs snnTorch's order instead (:mod:`neurofab.spiking.layers`; ``x`` is then the membrane's
    drive d_t, ``u0`` and the final potential the membrane before the reset; the reset is always detached).
    """
    return _FusedLeaky.apply(x, beta, theta, u0, sg, reset_mode(bool(reset_zero), snntorch), bool(detach_reset))
