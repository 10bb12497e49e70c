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
from typing import Literal

import numba
import numpy as np
import torch
from pydantic import Field

from neurofab.core import Config, InputTypeError, record, recording, seed_from
from neurofab.devices.kernels import pulse_once
from neurofab.devices.rng import new_state, normal, uniform

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
        bl = torch.full((n,), float(up.desired_bl), dtype=dtype)
        a = torch.full((n,), (lr / (dw_min * up.desired_bl)) ** 0.5, dtype=dtype)
    else:
        bl = torch.full((n,), float(max(int(np.ceil(lr / dw_min)), 1)), dtype=dtype)
        a = torch.ones(n, dtype=dtype)
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
    """(n_up + n_down, n_up − n_down) per device: two matrix products over the batch."""
    bl, a, b = pulse_train_parameters(x.abs().amax(dim=1), d.abs().amax(dim=1), lr, dw_min, up)
    p_signed = torch.clamp(a.to(d.dtype).unsqueeze(1) * d, -1.0, 1.0).mul_(bl.to(d.dtype).unsqueeze(1))
    q_signed = torch.clamp(b.to(x.dtype).unsqueeze(1) * x, -1.0, 1.0)
    total = p_signed.abs().T @ q_signed.abs()
    net = p_signed.T @ q_signed
    net.neg_()  # up where −sign(δx) > 0
    return total, net


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
def _draw_bits(v, s, scale, p_max, bits, st):  # pragma: no cover - compiled
    """Indices j with a pulse in this slot: independent Bernoulli(min(1, scale·|v[s, j]|)) draws.

    When every probability is small (p_max < 0.3) candidates are drawn by geometric skips at rate p_max and
    accepted with probability p_j/p_max (thinning) — the same distribution for far fewer random numbers.
    """
    n = v.shape[1]
    count = 0
    if p_max >= 0.3:
        for j in range(n):
            val = v[s, j]
            if val != 0.0:
                prob = scale * abs(val)
                if prob >= 1.0 or uniform(st) < prob:
                    bits[count] = j
                    count += 1
        return count
    log_q = math.log1p(-p_max)
    j = -1
    while True:
        j += 1 + int(math.log(1.0 - uniform(st)) / log_q)
        if j >= n:
            return count
        val = v[s, j]
        if val != 0.0 and uniform(st) * p_max < scale * abs(val):
            bits[count] = j
            count += 1


@numba.njit(cache=True)
def _stochastic_kernel(
    w, w_read, prm, c, code, x, d, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs, seed
):  # pragma: no cover - compiled
    st = new_state(seed)
    n_batch, n_in = x.shape
    n_out = d.shape[1]
    wn = c[1]
    bits_x = np.empty(n_in, np.int64)
    bits_d = np.empty(n_out, np.int64)
    total = 0
    for s in range(n_batch):
        x_amax = 0.0
        for j in range(n_in):
            x_amax = max(x_amax, abs(x[s, j]))
        d_amax = 0.0
        for i in range(n_out):
            d_amax = max(d_amax, abs(d[s, i]))
        train, a, b = _train_parameters(x_amax, d_amax, lr, dw_min, desired_bl, fixed_bl, um, ublm, ugs)
        for _k in range(train):
            nx = _draw_bits(x, s, b, b * x_amax, bits_x, st)
            if nx == 0:
                continue
            nd = _draw_bits(d, s, a, a * d_amax, bits_d, st)
            for ii in range(nd):
                i = bits_d[ii]
                sd = 1 if d[s, i] > 0 else -1
                for jj in range(nx):
                    j = bits_x[jj]
                    sign = -sd if x[s, j] > 0 else sd
                    v = pulse_once(
                        code, sign, np.float64(w[i, j]), prm[i, j, 0], prm[i, j, 1], prm[i, j, 2], prm[i, j, 3],
                        prm[i, j, 4], prm[i, j, 5], c, st,
                    )
                    w[i, j] = v
                    if wn > 0.0:
                        w_read[i, j] = v + wn * normal(st)
            total += nd * nx
    return total


def stochastic_update(
    array, x: torch.Tensor, d: torch.Tensor, lr: float, up: UpdateConfig, generator: torch.Generator
) -> int:
    """Stochastic pulse-train update of ``array`` for a batch (x: (B, in), δ: (B, out)); returns the pulses."""
    backend = up.backend
    if backend == "auto":
        compiled = array.w.device.type == "cpu" and hasattr(array, "kernel_args")
        backend = "numba" if compiled else "torch"
    if backend == "numba":
        if array.w.device.type != "cpu" or not hasattr(array, "kernel_args"):
            raise InputTypeError("the numba update backend runs on CPU device arrays with compiled kernels only")
        args = array.kernel_args()
        total = int(
            _stochastic_kernel(
                *args, x.detach().contiguous().numpy(), d.detach().contiguous().numpy(), float(lr),
                float(array.model.dw_min), up.desired_bl, up.fixed_bl, up.update_management,
                up.update_bl_management, float(up.um_grad_scale), seed_from(generator),
            )
        )
    else:
        bl, a, b = pulse_train_parameters(x.abs().amax(dim=1), d.abs().amax(dim=1), lr, array.model.dw_min, up)
        total = _torch_update(array, x, d, bl, a, b, generator) if int(bl.sum()) else 0
    if recording():
        record("write_pulse", total)
    return total


def _torch_update(array, x, d, bl, a, b, generator) -> int:
    """Same trains with torch ops: per sample, bits → signed coincidence counts → ``array.pulse``."""
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
