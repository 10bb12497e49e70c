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

These are the gradients plain autograd gives through :func:`neurofab.spiking.layers.param_scan` (the test suite
checks them against it and against finite differences); the final state carries no gradient (losses are taken on
the spikes). The surrogate slopes σ'(z_t − θ) are taken in torch from z_t by the surrogate's own ``grad``.
"""

from __future__ import annotations

import numba
import torch

from neurofab.core import kernel_threads
from neurofab.spiking.surrogate import Surrogate

__all__ = ["fused_leaky_scan", "leaky_backward", "leaky_forward"]

_CHUNK = 2048  # neurons per parallel work item


@numba.njit(cache=True, parallel=True, nogil=True)
def leaky_forward(x, u, beta, theta, reset_zero, spikes, z_out):  # pragma: no cover - compiled
    """x (T, M) → spikes and z (T, M); ``u`` (M,) holds the initial potential and is left holding the final one;
    ``beta`` and ``theta`` have length 1 or N, N dividing M (neuron m uses entry m mod N)."""
    n_steps, m_total = x.shape
    nb, nt = beta.shape[0], theta.shape[0]
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        for t in range(n_steps):
            for m in range(lo, hi):
                b, th = beta[m % nb], theta[m % nt]
                z = x[t, m] + b * u[m]
                s = 1.0 if z >= th else 0.0
                spikes[t, m] = s
                z_out[t, m] = z
                u[m] = z * (1.0 - s) if reset_zero else z - th * s


@numba.njit(cache=True, parallel=True, nogil=True)
def leaky_backward(g, slope, spikes, z, beta, theta, reset_zero, detach, gz):  # pragma: no cover - compiled
    """g^z (T, M) into ``gz`` from ∂L/∂s (T, M) by the adjoint recursion of the module docstring."""
    n_steps, m_total = g.shape
    nb, nt = beta.shape[0], theta.shape[0]
    n_chunks = (m_total + _CHUNK - 1) // _CHUNK
    for c in numba.prange(n_chunks):
        lo = c * _CHUNK
        hi = min(m_total, lo + _CHUNK)
        for m in range(lo, hi):
            gz[n_steps - 1, m] = g[n_steps - 1, m] * slope[n_steps - 1, m]
        for t in range(n_steps - 2, -1, -1):
            for m in range(lo, hi):
                nxt = beta[m % nb] * gz[t + 1, m]
                if reset_zero:
                    carry = 1.0 - spikes[t, m]
                    if not detach:
                        carry -= slope[t, m] * z[t, m]
                    nxt *= carry
                elif not detach:
                    nxt *= 1.0 - theta[m % nt] * slope[t, m]
                gz[t, m] = g[t, m] * slope[t, m] + nxt


def kernel_applies(x: torch.Tensor) -> bool:
    """The compiled scan covers float32/float64 tensors on the CPU."""
    return x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)


def _per_neuron(p: torch.Tensor, n_neuron: int, dtype: torch.dtype) -> torch.Tensor:
    """A parameter of shape () or of one sample's neurons as a flat contiguous array of length 1 or N."""
    return p.detach().to(dtype).reshape(-1).contiguous() if p.numel() in (1, n_neuron) else None


class _FusedLeaky(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta, theta, u0, sg: Surrogate, reset_zero: bool, detach: bool):
        n_steps, batch = x.shape[0], x.shape[1]
        flat = x.detach().reshape(n_steps, -1).contiguous()
        n_neuron = flat.shape[1] // max(batch, 1)
        b = _per_neuron(beta, n_neuron, x.dtype)
        th = _per_neuron(theta, n_neuron, x.dtype)
        u = u0.detach().reshape(-1).to(x.dtype, copy=True).contiguous()
        u_first = u.clone()
        spikes = torch.empty_like(flat)
        z = torch.empty_like(flat)
        kernel_threads()
        leaky_forward(flat.numpy(), u.numpy(), b.numpy(), th.numpy(), reset_zero, spikes.numpy(), z.numpy())
        ctx.save_for_backward(spikes, z, u_first, b, th, beta, theta)
        ctx.sg, ctx.reset_zero, ctx.detach, ctx.shape = sg, reset_zero, detach, x.shape
        u_last = u.reshape(u0.shape)
        ctx.mark_non_differentiable(u_last)
        return spikes.reshape(x.shape), u_last

    @staticmethod
    def backward(ctx, g_spikes, _gu):
        spikes, z, u_first, b, th, beta, theta = ctx.saved_tensors
        n_steps = spikes.shape[0]
        m_total = spikes.shape[1]
        th_full = th.repeat(m_total // th.numel()) if th.numel() > 1 else th
        slope = ctx.sg.grad(z - th_full)
        g = g_spikes.reshape(n_steps, -1).contiguous()
        gz = torch.empty_like(g)
        kernel_threads()
        leaky_backward(g.numpy(), slope.numpy(), spikes.numpy(), z.numpy(), b.numpy(), th.numpy(), ctx.reset_zero,
                       ctx.detach, gz.numpy())
        g_beta = g_theta = None
        b_full = b.repeat(m_total // b.numel()) if b.numel() > 1 else b
        gu = torch.zeros_like(gz)
        gu[:-1] = b_full * gz[1:]  # ∂L/∂u_t
        if ctx.needs_input_grad[1]:
            u_after = z * (1.0 - spikes) if ctx.reset_zero else z - th_full * spikes
            u_prev = torch.cat([u_first[None], u_after[:-1]])
            g_beta = _reduce(gz * u_prev, beta, b.numel())
        if ctx.needs_input_grad[2]:
            g_s = g
            if not ctx.detach:
                g_s = g - gu * (z if ctx.reset_zero else th_full)
            contrib = -slope * g_s
            if not ctx.reset_zero:
                contrib = contrib - spikes * gu
            g_theta = _reduce(contrib, theta, th.numel())
        return gz.reshape(ctx.shape), g_beta, g_theta, None, None, None, None


def _reduce(per_element: torch.Tensor, param: torch.Tensor, n_param: int) -> torch.Tensor:
    """Sum a (T, M) gradient over steps and samples down to the parameter's shape."""
    if n_param == 1:
        return per_element.sum().reshape(param.shape).to(param.dtype)
    return per_element.reshape(-1, n_param).sum(0).reshape(param.shape).to(param.dtype)


def fused_leaky_scan(x: torch.Tensor, beta: torch.Tensor, theta: torch.Tensor, u0: torch.Tensor, sg: Surrogate,
                     reset_zero: bool = False, detach_reset: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes (T, batch, ...) and the final potential (no gradient) of the leaky scan of the module docstring.

    ``beta`` and ``theta`` are tensors of shape () or of one sample's neurons (already clamped to their valid
    range by the caller); ``u0`` has the shape of one step of ``x``. CPU float32/float64 only
    (:func:`kernel_applies`); gradients reach ``x``, ``beta`` and ``theta``.
    """
    return _FusedLeaky.apply(x, beta, theta, u0, sg, bool(reset_zero), bool(detach_reset))
