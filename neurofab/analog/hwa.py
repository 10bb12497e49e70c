"""Hardware-aware training (HWA) for analog inference: noise in the forward pass, ideal backward.

Spoon et al. 2021 (pcm-transformer note): fine-tune with noise in the forward pass only — weight noise shaped
like programming noise (its scale a hyperparameter) plus the periphery (DAC/ADC quantization, output noise) —
no drift during training, DAC/ADC scales learned, backward and update in full precision. Semantics follow
aihwkit 1.1's ``InferenceRPUConfig`` training path (``WeightModifierParameter``, ``InputRangeParameter``,
``WeightClipParameter``, ``WeightRemapParameter``).

Pieces:

- :class:`HWAConfig` — the weight noise (none / additive / multiplicative / programming-shaped), whether the
  forward periphery runs in training, weight clipping and remapping;
- :class:`InputRangeConfig` and :func:`clip_input_range` — a learned DAC range r: inputs clipped to ±r, r
  initialised from the data (running mean of α·std(x) over the first batches) and trained with the gradient
  of the clip (clipped inputs push r up) plus a decay that pulls r down while more than
  ``input_min_percentage`` of the inputs lie inside (aihwkit semantics);
- :func:`ste_round`, :func:`ste_quantize` — rounding and quantization with straight-through gradients;
- :func:`straight_through` — forward = the hardware output, backward = the gradient of an ideal surrogate;
- :func:`weight_noise` — the training noise drawn once per forward;
- :func:`fit` — a plain classification training loop that calls each layer's post-step (clip, remap).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from neurofab.core import Config, InputTypeError, NumericalError, ShapeError, make_generator
from neurofab.core import progress as progress_bar
from neurofab.crossbar.noise_models import NoiseModel

__all__ = [
    "HWAConfig",
    "InputRangeConfig",
    "clip_input_range",
    "fit",
    "ste_quantize",
    "ste_round",
    "straight_through",
    "weight_noise",
]


class HWAConfig(Config):
    """Training-time non-idealities of an inference layer (no effect in evaluation).

    ``weight_noise_std`` is relative: to the layer's abs-max weight (``additive``, aihwkit ``AddNormal`` with
    ``rel_to_actual_wmax``), to each weight (``multiplicative``), or a multiple of the noise model's own
    programming-noise std (``programming``, the shape of aihwkit's ``ProgNoise``/``PCMNoise`` modifiers).
    """

    weight_noise: Literal["none", "additive", "multiplicative", "programming"] = Field(
        "none", description="kind of forward-only weight noise"
    )
    weight_noise_std: float = Field(0.0, ge=0, description="scale of the weight noise [1] (see the class doc)")
    periphery: bool = Field(True, description="run DAC/ADC/output noise in training (straight-through backward)")
    clip: Literal["none", "fixed", "gaussian"] = Field("none", description="weight clipping after every step")
    clip_value: float = Field(1.0, gt=0, description="|w| limit of 'fixed' clipping [weight units]")
    clip_sigma: float = Field(2.5, gt=0, description="|w| limit of 'gaussian' clipping in layer stds [1] (aihwkit)")
    remap: Literal["none", "column", "layer"] = Field(
        "none", description="after every step rescale weights to abs-max 1, moving the factor to the output scale"
    )


class InputRangeConfig(Config):
    """A learned DAC input range (aihwkit ``InputRangeParameter`` defaults)."""

    init_value: float = Field(3.0, gt=0, description="initial range [input units] (aihwkit default)")
    init_from_data: int = Field(100, ge=0, description="batches whose α·std(x) set the initial range (aihwkit)")
    init_std_alpha: float = Field(3.0, gt=0, description="α of the data initialisation [1] (aihwkit default)")
    learn: bool = Field(True, description="train the range by gradient descent")
    decay: float = Field(0.001, ge=0, description="pull of the range toward 0 [1] (aihwkit default)")
    input_min_percentage: float = Field(
        0.95, gt=0, le=1, description="decay acts while this fraction of inputs is inside the range [1] (aihwkit)"
    )


# ----- straight-through estimators -----------------------------------------------------------------------------
class _STERound(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """round(x) forward, identity gradient backward."""
    return _STERound.apply(x)


def ste_quantize(
    x: torch.Tensor, step: float | torch.Tensor, bound: float | torch.Tensor | None = None
) -> torch.Tensor:
    """``clamp(step·round(x/step), ±bound)`` with a straight-through gradient inside the bound, 0 outside.

    ``step`` may be a learnable tensor (LSQ-style: its gradient flows through ``x/step`` and ``·step``).
    """
    y = ste_round(x / step) * step
    if bound is None:
        return y
    b = torch.as_tensor(bound, dtype=y.dtype, device=y.device)
    return torch.maximum(torch.minimum(y, b), -b)


def straight_through(hardware: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """A tensor equal to ``hardware`` whose gradient is that of ``surrogate``."""
    return surrogate + (hardware - surrogate).detach()


class _ClipInputRange(torch.autograd.Function):
    """x → clamp(x, −r, r); dx inside the range only; dr per aihwkit (clipping pushes r up, decay down)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, r: torch.Tensor, decay: float, min_inside: float) -> torch.Tensor:
        ctx.save_for_backward(x, r)
        ctx.decay, ctx.min_inside = decay, min_inside
        return torch.maximum(torch.minimum(x, r), -r)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, r = ctx.saved_tensors
        upper, lower = x >= r, x <= -r
        grad_x = grad * ~(upper | lower)
        grad_r = None
        if ctx.needs_input_grad[1]:
            g = (grad * upper).clamp(max=0.0).sum() - (grad * lower).clamp(min=0.0).sum()
            g = g * r  # aihwkit gradient_relative
            if ctx.decay > 0:
                inside = (~(upper | lower)).float().mean()
                g = g + ctx.decay * r * (inside > ctx.min_inside).to(r.dtype)
            grad_r = g.reshape(r.shape)
        return grad_x, grad_r, None, None


def clip_input_range(x: torch.Tensor, r: torch.Tensor, config: InputRangeConfig) -> torch.Tensor:
    """Clip ``x`` to ±r with the learned-range gradient (see :class:`InputRangeConfig`)."""
    if not config.learn:
        r = r.detach()
    return _ClipInputRange.apply(x, r, config.decay, config.input_min_percentage)


# ----- weight noise ------------------------------------------------------------------------------------------------
def weight_noise(
    w: torch.Tensor, config: HWAConfig, noise_model: NoiseModel | None, generator: torch.Generator
) -> torch.Tensor | None:
    """One draw of the training weight noise for ``w`` [weight units] (detached), or None."""
    if config.weight_noise == "none" or config.weight_noise_std == 0:
        return None
    w = w.detach()
    xi = torch.randn(w.shape, generator=generator, device=w.device, dtype=w.dtype)
    if config.weight_noise == "additive":
        return config.weight_noise_std * w.abs().amax() * xi
    if config.weight_noise == "multiplicative":
        return config.weight_noise_std * w * xi
    if noise_model is None:
        raise InputTypeError("weight_noise = 'programming' needs the layer's noise model")
    w_max = w.abs().amax().clamp(min=1e-12)
    conv = noise_model.converter
    g_on = conv.g_min + (w.abs() / w_max) * (conv.g_max - conv.g_min)
    g_off = torch.full_like(w, conv.g_min)
    var = noise_model.programming_std(g_on) ** 2 + noise_model.programming_std(g_off) ** 2
    return config.weight_noise_std * (w_max / (conv.g_max - conv.g_min)) * var.sqrt() * xi


# ----- training loop -------------------------------------------------------------------------------------------------
def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    weight_decay: float = 0.0,
    extra_loss: Callable[[nn.Module], torch.Tensor] | None = None,
    parameters: list[nn.Parameter] | None = None,
    progress: bool | None = None,
    epoch_start: Callable[[nn.Module, int], None] | None = None,
) -> list[float]:
    """Train ``model`` on (x, y) with Adam; after every step each module's ``post_step()`` runs (clip, remap).

    ``loss_fn`` defaults to cross-entropy on logits; ``extra_loss(model)`` is added (regularisers);
    ``parameters`` restricts what is trained; ``epoch_start(model, epoch)`` runs before each epoch (e.g. to refit
    what a regulariser pulls towards); ``progress``: a bar over the epochs (None: when standard error is a
    terminal). Returns the mean loss of every epoch.
    """
    if x.shape[0] != y.shape[0]:
        raise ShapeError(f"fit: x has {x.shape[0]} samples but y has {y.shape[0]}")
    if epochs < 0 or batch_size <= 0:
        raise InputTypeError(f"fit: epochs = {epochs}, batch_size = {batch_size}: need epochs >= 0, batch_size > 0")
    loss_fn = nn.functional.cross_entropy if loss_fn is None else loss_fn
    params = [p for p in (model.parameters() if parameters is None else parameters) if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    gen = make_generator(seed)
    hooks = [m for m in model.modules() if hasattr(m, "post_step")]
    history = []
    model.train()
    n = x.shape[0]
    with progress_bar(epochs, "fit", enabled=progress, unit="epochs") as advance:
        for epoch in range(epochs):
            if epoch_start is not None:
                epoch_start(model, epoch)
            history.append(_epoch(model, x, y, n, batch_size, gen, loss_fn, extra_loss, opt, hooks, lr))
            advance(1)
    model.eval()
    return history


def _epoch(model, x, y, n, batch_size, gen, loss_fn, extra_loss, opt, hooks, lr) -> float:
    """One epoch of :func:`fit`; returns its mean loss."""
    order = torch.randperm(n, generator=gen)
    total, count = 0.0, 0
    for i in range(0, n, batch_size):
        idx = order[i : i + batch_size]
        loss = loss_fn(model(x[idx]), y[idx])
        if extra_loss is not None:
            loss = loss + extra_loss(model)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise NumericalError(f"fit: the loss became {value} (lower lr = {lr}?)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for m in hooks:
            m.post_step()
        total += value * idx.numel()
        count += idx.numel()
    return total / max(count, 1)
