"""Limited-precision weights: level sets, distribution-aware quantization, quantization regularization, bias tuning.

The three methods of the Synced review (seed 004; short-seeds note) for synapses with few stable conductance
states, here for a differential pair whose devices each hold one of N conductance levels 0, g_max/(N−1), …, g_max:
a weight is then one of the 2N − 1 values k·Δ, k = −(N−1) … N−1 (N = 2: one-level precision, {−Δ, 0, Δ}).

- :class:`LevelSet` — the weight values of one layer (step Δ and N) and rounding to the nearest;
- :func:`shared_level_set` — no method: one Δ for the whole network, mapping its largest weight to g_max (what
  programming every layer with the same weight-to-conductance ratio gives);
- :func:`fit_level_set` — distribution-aware quantization: each layer gets the Δ that minimises the mean
  squared quantization error of its own weights (grid search over clipping ratios of its abs-max);
- :func:`quantization_regularizer` — λ Σ |w − q(w)|, whose gradient λ·sign(w − q(w)) pulls every weight toward
  its nearest level with a constant force (q(w) held fixed);
- :func:`apply_levels` — a copy of the model with its weights rounded to their level sets;
- :func:`bias_parameters` — the biases to train afterwards with the weights frozen (bias tuning, with
  :func:`neurofab.analog.hwa.fit` and ``parameters=``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from neurofab.core import ConfigError, InputTypeError, ShapeError

__all__ = [
    "LevelSet",
    "apply_levels",
    "bias_parameters",
    "fit_level_set",
    "quantizable_layers",
    "quantization_regularizer",
    "shared_level_set",
]


@dataclass(frozen=True)
class LevelSet:
    """Weights k·step for k = −(n_levels−1) … n_levels−1 (n_levels conductance levels per device)."""

    step: float
    n_levels: int

    def __post_init__(self) -> None:
        if self.n_levels < 2:
            raise ConfigError(f"LevelSet.n_levels = {self.n_levels}: must be >= 2 (0 and g_max at least)")
        if not self.step > 0:
            raise ConfigError(f"LevelSet.step = {self.step}: must be > 0")

    @property
    def w_max(self) -> float:
        """The largest weight magnitude (the one mapped to g_max)."""
        return self.step * (self.n_levels - 1)

    def levels(self) -> torch.Tensor:
        """All 2N − 1 weight values, ascending."""
        k = torch.arange(-(self.n_levels - 1), self.n_levels, dtype=torch.float64)
        return k * self.step

    def quantize(self, w: torch.Tensor) -> torch.Tensor:
        """Each weight rounded to its nearest level (beyond ±w_max: the end levels)."""
        k = torch.clamp(torch.round(w / self.step), -(self.n_levels - 1), self.n_levels - 1)
        return k * self.step


def quantizable_layers(model: nn.Module) -> list[nn.Module]:
    """The modules whose ``weight`` is quantized: every nn.Linear (and InferenceLinear) in module order."""
    return [m for m in model.modules() if isinstance(getattr(m, "weight", None), nn.Parameter) and m.weight.dim() == 2
            and not isinstance(m, nn.Embedding)]


def shared_level_set(model: nn.Module, n_levels: int) -> LevelSet:
    """One level set for every layer: the network's largest |weight| ↔ g_max."""
    layers = quantizable_layers(model)
    if not layers:
        raise InputTypeError("shared_level_set: the model has no weight matrices to quantize")
    w_max = max(float(m.weight.detach().abs().max()) for m in layers)
    return LevelSet(step=max(w_max, 1e-12) / (n_levels - 1), n_levels=n_levels)


def fit_level_set(w: torch.Tensor, n_levels: int, candidates: int = 200) -> LevelSet:
    """Distribution-aware level set for one layer: the Δ with the least mean squared quantization error.

    Δ = c·max|w|/(N−1) for ``candidates`` clipping ratios c in (0, 1]; the best (the first, on a tie) is kept.
    The error of every candidate comes from one sort of |w| and its running sums: level k·Δ takes the |w| in
    [(k − ½)Δ, (k + ½)Δ) (the top level everything above), so Σ (|w| − kΔ)² = S₂ − 2kΔ·S₁ + (kΔ)²·n per level.
    """
    if w.numel() == 0:
        raise ShapeError("fit_level_set: empty weight tensor")
    a = w.detach().flatten().double().abs().sort().values
    amax = float(a[-1])
    if amax == 0:
        return LevelSet(step=1.0, n_levels=n_levels)
    steps = torch.linspace(1.0 / candidates, 1.0, candidates, dtype=torch.float64) * amax / (n_levels - 1)
    zero = torch.zeros(1, dtype=torch.float64)
    s1, s2 = torch.cat([zero, a.cumsum(0)]), torch.cat([zero, (a * a).cumsum(0)])
    k = torch.arange(n_levels, dtype=torch.float64)
    edges = torch.searchsorted(a, (k[1:] - 0.5)[None, :] * steps[:, None])  # (candidates, N − 1)
    lo = torch.cat([torch.zeros_like(edges[:, :1]), edges], dim=1)
    hi = torch.cat([edges, torch.full_like(edges[:, :1], a.numel())], dim=1)
    value = k[None, :] * steps[:, None]
    err = (s2[hi] - s2[lo]) - 2 * value * (s1[hi] - s1[lo]) + value**2 * (hi - lo)
    return LevelSet(step=float(steps[int(err.sum(dim=1).argmin())]), n_levels=n_levels)


def _check_sets(layers: Sequence[nn.Module], level_sets: Sequence[LevelSet]) -> None:
    if len(layers) != len(level_sets):
        raise ShapeError(f"{len(level_sets)} level sets for {len(layers)} layers: give one per layer")


def quantization_regularizer(model: nn.Module, level_sets: Sequence[LevelSet], strength: float) -> torch.Tensor:
    """λ Σ_layers Σ |w − q(w)| with q(w) the nearest level (held fixed): gradient λ·sign(w − q(w))."""
    if strength < 0:
        raise ConfigError(f"quantization_regularizer: strength = {strength}: must be >= 0")
    layers = quantizable_layers(model)
    _check_sets(layers, level_sets)
    terms = [(m.weight - ls.quantize(m.weight.detach())).abs().sum() for m, ls in zip(layers, level_sets)]
    if not terms:
        return torch.zeros(())
    return strength * torch.stack(terms).sum()  # on the weights' device, in their dtype


def apply_levels(model: nn.Module, level_sets: Sequence[LevelSet]) -> nn.Module:
    """A deep copy of ``model`` with every weight matrix rounded to its layer's level set."""
    model = copy.deepcopy(model)
    layers = quantizable_layers(model)
    _check_sets(layers, level_sets)
    with torch.no_grad():
        for m, ls in zip(layers, level_sets):
            m.weight.copy_(ls.quantize(m.weight))
    return model


def bias_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The biases of the quantized layers (what bias tuning trains)."""
    return [m.bias for m in quantizable_layers(model) if getattr(m, "bias", None) is not None]
