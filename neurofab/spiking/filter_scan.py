"""The first-order decay filter j_t = α j_{t−1} + x_t over all T steps, compiled (forward and backward).

The synaptic current of a current-based neuron (``Synaptic``, ``Alpha``; :func:`neurofab.spiking.neuron_layers.
decay_filter`) is this recursion, with α of shape () or one per neuron of a sample. :func:`filter_forward` runs it
for all neurons in one compiled call (numba, neurons in parallel, one pass over x and j); :func:`filter_backward`
is its adjoint in one call,

    g^j_t = ∂L/∂j_t + α g^j_{t+1}   (g^j_T = 0),     ∂L/∂x_t = g^j_t,     ∂L/∂j_{−1} = α g^j_0,

with, per neuron, ∂L/∂α = Σ_t g^j_t j_{t−1} (summed in the same pass when α requires a gradient). The sums are
those of the recursion itself, added step by step: they agree with the (T × T) matrix product of the torch path
(Σ_k α^(t−k) x_k) to float rounding.
"""

from __future__ import annotations

import numba
import torch

from neurofab.core import kernel_threads

__all__ = ["filter_applies", "filter_backward", "filter_forward", "fused_decay_filter"]

_CHUNK = 2048  # neurons per parallel work item


@numba.njit(cache=True, parallel=True, nogil=True)
def filter_forward(x, decay, j0, j):  # pragma: no cover - compiled
    """x (T, M) → j (T, M), j_t = decay j_{t−1} + x_t with j_{−1} = j0; decay and j0 have length M."""
    n_steps, m_total = x.shape
    for c in numba.prange((m_total + _CHUNK - 1) // _CHUNK):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        dc = decay[lo:hi]
        prev = j0[lo:hi]
        for t in range(n_steps):
            xt, jt = x[t, lo:hi], j[t, lo:hi]
            for m in range(hi - lo):
                jt[m] = dc[m] * prev[m] + xt[m]
            prev = jt


@numba.njit(cache=True, parallel=True, nogil=True)
def filter_backward(g, decay, j0, j, want_decay, gx, g_decay, g_j0):  # pragma: no cover - compiled
    """∂L/∂j (T, M) → ∂L/∂x into ``gx`` (T, M), ∂L/∂j_{−1} into ``g_j0`` (M,) and (``want_decay``) per neuron
    Σ_t g^j_t j_{t−1} into ``g_decay`` (M,), by the adjoint recursion of the module docstring."""
    n_steps, m_total = g.shape
    for c in numba.prange((m_total + _CHUNK - 1) // _CHUNK):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        dc, gd, gj = decay[lo:hi], g_decay[lo:hi], g_j0[lo:hi]
        for m in range(hi - lo):
            gd[m] = 0.0
            gj[m] = 0.0  # holds g^j_{t+1} during the loop
        for t in range(n_steps - 1, -1, -1):
            gt, gxt = g[t, lo:hi], gx[t, lo:hi]
            for m in range(hi - lo):
                v = gt[m] + dc[m] * gj[m]
                gxt[m] = v
                gj[m] = v
            if want_decay:
                jp = j[t - 1, lo:hi] if t > 0 else j0[lo:hi]
                for m in range(hi - lo):
                    gd[m] += gj[m] * jp[m]
        for m in range(hi - lo):
            gj[m] *= dc[m]


def filter_applies(x: torch.Tensor, decay: torch.Tensor) -> bool:
    """The compiled filter covers CPU float32/float64 ``x`` (T, batch, ...) with a decay of shape () or of one
    sample's neurons (``x.shape[2:]``)."""
    return (x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and x.dim() >= 2
            and decay.device.type == "cpu" and (decay.dim() == 0 or tuple(decay.shape) == tuple(x.shape[2:])))


def _per_element(p: torch.Tensor, batch: int, n_neuron: int, dtype: torch.dtype) -> torch.Tensor:
    """A decay of shape () or of one sample's neurons as a flat contiguous array of length batch · N."""
    return p.detach().to(dtype).reshape(1, -1).expand(batch, n_neuron).reshape(-1).contiguous()


class _DecayFilter(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, decay, j0):
        n_steps, batch = x.shape[0], x.shape[1]
        flat = x.detach().reshape(n_steps, -1).contiguous()
        m_total = flat.shape[1]
        d = _per_element(decay, batch, m_total // max(batch, 1), x.dtype)
        start = (j0.detach().to(x.dtype).reshape(-1).contiguous() if j0 is not None
                 else torch.zeros(m_total, dtype=x.dtype))
        j = torch.empty_like(flat)
        kernel_threads()
        filter_forward(flat.numpy(), d.numpy(), start.numpy(), j.numpy())
        ctx.save_for_backward(d, start, j)
        ctx.shape, ctx.decay_shape, ctx.has_j0 = x.shape, decay.shape, j0 is not None
        return j.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        d, start, j = ctx.saved_tensors
        g = g.reshape(j.shape)
        g = g.contiguous()
        gx = torch.empty_like(j)
        g_decay = torch.empty_like(start)
        g_j0 = torch.empty_like(start)
        want = bool(ctx.needs_input_grad[1])
        kernel_threads()
        filter_backward(g.numpy(), d.numpy(), start.numpy(), j.numpy(), want, gx.numpy(), g_decay.numpy(),
                        g_j0.numpy())
        grad_decay = None
        if want:
            n = max(1, ctx.decay_shape.numel())
            grad_decay = (g_decay.sum() if len(ctx.decay_shape) == 0
                          else g_decay.reshape(-1, n).sum(0)).reshape(ctx.decay_shape)
        grad_j0 = g_j0.reshape(ctx.shape[1:]) if ctx.has_j0 and ctx.needs_input_grad[2] else None
        return gx.reshape(ctx.shape), grad_decay, grad_j0


def fused_decay_filter(x: torch.Tensor, decay: torch.Tensor, j0: torch.Tensor | None = None) -> torch.Tensor:
    """j_t = decay · j_{t−1} + x_t for x (T, batch, ...) (CPU float32/float64, :func:`filter_applies`), j_{−1} =
    ``j0`` (shape of one step of x; default 0), by the compiled kernels; gradients reach x, ``decay`` and ``j0``."""
    return _DecayFilter.apply(x, decay, j0)
