"""Event-driven linear layer over time: y = x Wᵀ + b computed from the nonzeros of a sparse input.

The input of a spiking network's layers is mostly zeros (spikes; rate-coded pixels): a dense product spends most
of its multiply-adds on zeros. :func:`event_linear` visits only the input events — row r of the output is
b + Σ_{i: x_ri ≠ 0} x_ri W_{:,i} — and its backward forms ∂L/∂W = Σ_r (∂L/∂y_r) ⊗ x_r from the same events
(found once, as bit masks over blocks of 32 rows), so both large products of a training step cost in proportion
to the number of input events (the same sums as the dense products, added in another order: the results agree
with them to float rounding). ∂L/∂x, when the input requires it, is the dense product ∂L/∂y W. The compiled
kernels are in :mod:`neurofab.spiking.train_kernels`.

:func:`event_linear` returns ``None`` when it does not apply (another device or dtype, fewer than 64 outputs, or a
density of nonzeros above :data:`MAX_DENSITY`, where the dense product is faster); callers then use the dense one.
"""

from __future__ import annotations

import torch
from torch import nn

from neurofab.core import NumericalError, kernel_threads
from neurofab.spiking import train_kernels as kern

MAX_DENSITY = 0.4  #: above this fraction of nonzero inputs the dense product is used
MIN_OUTPUTS = 64  #: narrower layers gain nothing from the events (their dense product is cheap)

def _kernel_array(t: torch.Tensor):
    return t.detach().numpy()


class _EventLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, events):
        n_steps, batch = x.shape[0], x.shape[1]
        out = torch.empty(n_steps * batch, weight.shape[0], dtype=x.dtype)
        bias_arr = bias.detach() if bias is not None else torch.zeros(weight.shape[0], dtype=x.dtype)
        kern.event_matmul(*events, _kernel_array(weight.t().contiguous()), _kernel_array(bias_arr), out.numpy())
        ctx.events = events
        ctx.save_for_backward(weight, x)
        ctx.has_bias = bias is not None
        return out.reshape(n_steps, batch, weight.shape[0])

    @staticmethod
    def backward(ctx, grad_out):
        weight, x = ctx.saved_tensors  # x: unpacked so that an in-place change since the forward is refused
        g = grad_out.reshape(-1, weight.shape[0]).contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = (g @ weight).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_wt = torch.empty(weight.shape[1], weight.shape[0], dtype=g.dtype)
            kern.event_weight_grad(*ctx.events, g.numpy(), kernel_threads(), grad_wt.numpy())
            grad_w = grad_wt.t().contiguous()
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum(0)
        return grad_x, grad_w, grad_b, None


def event_linear(x: torch.Tensor, linear: nn.Linear, check: bool = False) -> torch.Tensor | None:
    """``linear`` applied to every step of ``x`` (T, batch, in_features) from the input events, or ``None`` when
    the event-driven product does not apply (see the module docstring) and the caller should use the dense one.
    ``check=True``: NaN or infinite input raises :class:`~neurofab.core.NumericalError` (found in the same pass
    that finds the events; when ``None`` is returned the caller checks its input itself)."""
    return event_product(x, linear.weight, linear.bias, check)


def event_product(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, check: bool = False,
                  max_density: float = MAX_DENSITY) -> torch.Tensor | None:
    """x Wᵀ + b for x (T, batch, K) and ``weight`` (N, K) from the input events (gradients reach x, ``weight`` and
    ``bias``, which may be results of other differentiable operations), or ``None`` when it does not apply (the
    module docstring; ``max_density`` replaces :data:`MAX_DENSITY`). ``check`` as in :func:`event_linear`."""
    w = weight
    if (w.device.type != "cpu" or w.dtype != x.dtype or w.shape[0] < MIN_OUTPUTS or x.dim() != 3
            or x.shape[2] != w.shape[1]):
        return None
    events = find_events(x, check, max_density)
    return None if events is None else apply_events(x, w, bias, events)


def find_events(x: torch.Tensor, check: bool = False, max_density: float = MAX_DENSITY) -> tuple | None:
    """The events of x (T, batch, K) for :func:`apply_events`, or ``None`` where the event-driven product does not
    apply to x (not a CPU float32/float64 tensor with unit stride along K, empty, or more than ``max_density`` of
    it nonzero). ``check`` as in :func:`event_linear`."""
    if (x.dim() != 3 or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64)
            or x.stride(2) != 1 or x.numel() == 0):
        return None
    kernel_threads()
    data = x.detach()
    storage = torch.as_strided(data, (data.untyped_storage().nbytes() // data.element_size(),), (1,), 0).numpy()
    n_steps, batch, k_in = x.shape
    layout = (data.storage_offset(), data.stride(0), data.stride(1))
    masks, nnz, binary, finite = kern.block_masks(storage, *layout, n_steps, batch, k_in)
    if check and not finite:
        raise NumericalError("SpikingSequential: input holds NaN or infinite values")
    if nnz > max_density * x.numel():
        return None
    return (masks, binary, storage, *layout, batch)


def apply_events(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, events: tuple) -> torch.Tensor:
    """x Wᵀ + b (T, batch, N) from the ``events`` of x found by :func:`find_events` (``weight`` (N, K) of x's dtype
    on the CPU)."""
    return _EventLinear.apply(x, weight, bias, events)
