"""Surrogate gradients: a Heaviside spike forward, a smooth pseudo-derivative backward.

A spiking neuron emits ``S = H(x)`` with ``x = u − 1`` the distance of the normalized membrane potential
``u = (v − v_reset)/(v_th − v_reset)`` from threshold (so ``x`` is dimensionless; ``H(0) = 1``, a neuron at
threshold fires). ``dH/dx`` is zero almost everywhere, so training replaces it with a surrogate ``σ'(x)``
(Neftci, Mostafa & Zenke 2019, IEEE Signal Processing Magazine 36(6), eq. 8 and Fig. 3):

================  ==========================================================  ==========================================
name              σ'(x)                                                       source (defaults)
================  ==========================================================  ==========================================
fast_sigmoid      1 / (1 + k|x|)²                                             Zenke & Ganguli 2018 SuperSpike (k = 25,
                                                                              snnTorch's published default)
sigmoid           k · s(kx) · (1 − s(kx)),  s the logistic function           (k = 25, snnTorch's published default)
arctan            (α/2) / (1 + (π α x / 2)²)                                  Fang et al. 2021 (α = 2, snnTorch's
                                                                              published default)
straight_through  1                                                           Bengio et al. 2013 straight-through
triangular        h · max(0, 1 − |x|/w)                                       Esser et al. 2016; Bellec et al. 2018
                                                                              (h = 1, w = 1; Bellec used h = 0.3)
rectangular       (1/w) · 1[|x| < w/2]                                        Wu et al. 2018 STBP (w = 1)
gaussian          exp(−x²/2s²) / (s √(2π))                                    (s = 0.5)
================  ==========================================================  ==========================================

Every surrogate is a frozen :class:`~neurofab.core.Config` (its parameters validated, serializable with the layer
that uses it) with ``grad(x)``; :func:`spike` applies one inside autograd. :func:`surrogate` builds one by name.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from pydantic import Field

from neurofab.core import Config, InputTypeError, Registry
from neurofab.spiking.neurons import heaviside


class Surrogate(Config):
    """Base: ``grad(x)`` is the pseudo-derivative σ'(x) that replaces dH/dx in the backward pass."""

    name: ClassVar[str] = ""

    def grad(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad_(self, x: torch.Tensor) -> torch.Tensor:
        """σ'(x) written into ``x``'s storage (``x`` is overwritten; saves a buffer in long scans)."""
        return x.copy_(self.grad(x))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Spikes ``H(x)`` with this surrogate in the backward pass."""
        return spike(x, self)


class FastSigmoid(Surrogate):
    """σ'(x) = 1/(1 + k|x|)² — the derivative of the fast sigmoid x/(1 + k|x|) (SuperSpike)."""

    name: ClassVar[str] = "fast_sigmoid"
    slope: float = Field(25.0, gt=0.0, description="steepness k [1 per unit of normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return (1.0 + self.slope * x.abs()).reciprocal().square()

    def grad_(self, x: torch.Tensor) -> torch.Tensor:
        return x.abs_().mul_(self.slope).add_(1.0).reciprocal_().square_()


class Sigmoid(Surrogate):
    """σ'(x) = k s(kx)(1 − s(kx)) — the derivative of the logistic function s(kx)."""

    name: ClassVar[str] = "sigmoid"
    slope: float = Field(25.0, gt=0.0, description="steepness k [1 per unit of normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        kx = self.slope * x
        return self.slope * torch.sigmoid(kx) * torch.sigmoid(-kx)  # = k s(1 − s), without cancellation


class ArcTan(Surrogate):
    """σ'(x) = (α/2)/(1 + (παx/2)²) — the derivative of arctan(παx/2)/π + 1/2."""

    name: ClassVar[str] = "arctan"
    alpha: float = Field(2.0, gt=0.0, description="steepness α [1 per unit of normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return (0.5 * self.alpha) / (1.0 + (0.5 * math.pi * self.alpha * x).square())

    def grad_(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul_(0.5 * math.pi * self.alpha).square_().add_(1.0).reciprocal_().mul_(0.5 * self.alpha)


class StraightThrough(Surrogate):
    """σ'(x) = 1 — the gradient passes through the threshold unchanged."""

    name: ClassVar[str] = "straight_through"

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(x)


class Triangular(Surrogate):
    """σ'(x) = h·max(0, 1 − |x|/w) — a triangle of height h and half-width w."""

    name: ClassVar[str] = "triangular"
    height: float = Field(1.0, gt=0.0, description="peak value h at threshold [dimensionless]")
    width: float = Field(1.0, gt=0.0, description="half-width w [normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.height * (1.0 - x.abs() / self.width).clamp_min(0.0)


class Rectangular(Surrogate):
    """σ'(x) = 1/w for |x| < w/2, else 0 — a box of unit area."""

    name: ClassVar[str] = "rectangular"
    width: float = Field(1.0, gt=0.0, description="box width w [normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return (x.abs() < 0.5 * self.width).to(x.dtype) / self.width


class Gaussian(Surrogate):
    """σ'(x) = exp(−x²/2s²)/(s√(2π)) — a normal density of unit area."""

    name: ClassVar[str] = "gaussian"
    sigma: float = Field(0.5, gt=0.0, description="standard deviation s [normalized potential]")

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-0.5 * (x / self.sigma).square()) / (self.sigma * math.sqrt(2.0 * math.pi))


SURROGATES: Registry[Surrogate] = Registry("surrogate gradient")
for _cls in (FastSigmoid, Sigmoid, ArcTan, StraightThrough, Triangular, Rectangular, Gaussian):
    SURROGATES.add(_cls.name, _cls, (_cls.__doc__ or "").splitlines()[0])


def surrogate(name: str | Surrogate = "fast_sigmoid", **params: float) -> Surrogate:
    """A surrogate by name with its parameters (``surrogate("arctan", alpha=4)``), or ``name`` itself if given one."""
    if isinstance(name, Surrogate):
        if params:
            return name.replace(**params)
        return name
    if not isinstance(name, str):
        raise InputTypeError(f"surrogate must be a name ({', '.join(SURROGATES.names())}) or a Surrogate, "
                             f"got {type(name).__name__}")
    return SURROGATES.create(name, **params)


class _Spike(torch.autograd.Function):
    """H(x) forward (1 where x ≥ 0), grad_out · σ'(x) backward."""

    @staticmethod
    def forward(x: torch.Tensor, sg: Surrogate) -> torch.Tensor:
        return heaviside(x)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        x, sg = inputs
        ctx.save_for_backward(x)
        ctx.sg = sg

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (x,) = ctx.saved_tensors
        return grad_out * ctx.sg.grad(x), None


def spike(x: torch.Tensor, sg: Surrogate | str = "fast_sigmoid") -> torch.Tensor:
    """Spikes ``H(x)`` (``x = u − 1``, the normalized potential minus threshold) with surrogate ``sg`` backward."""
    if not isinstance(x, torch.Tensor):
        raise InputTypeError(f"spike() takes a tensor, got {type(x).__name__}")
    sg = surrogate(sg) if not isinstance(sg, Surrogate) else sg
    return _Spike.apply(x, sg)
