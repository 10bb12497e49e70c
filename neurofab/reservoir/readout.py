"""Linear readouts of reservoir states: ridge regression in closed form, and recursive least squares online.

Ridge (bias not penalised): with centred states X̃ = X − x̄ and targets Ỹ = Y − ȳ,

    W = (X̃ᵀ X̃ + α I)⁻¹ X̃ᵀ Ỹ,     b = ȳ − x̄ W,

the minimiser of ‖X W + b − Y‖² + α ‖W‖². The online readout is block recursive least squares on the states
augmented with a constant 1: starting from P = I/α it updates, per block X_b of samples,

    K = P X_bᵀ (I + X_b P X_bᵀ)⁻¹,   W ← W + K (Y_b − X_b W),   P ← P − K X_b P,

which after all samples equals the ridge solution on the augmented states (the bias penalised too) — exactly,
whatever the block size.
"""

from __future__ import annotations

import torch

from neurofab.core import ConfigError, ShapeError


def _as_2d(x: torch.Tensor, name: str) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.dim() == 1:
        x = x.unsqueeze(1)
    if x.dim() == 3:
        x = x.reshape(-1, x.shape[-1])
    if x.dim() != 2:
        raise ShapeError(f"{name} must be (samples, features), got shape {tuple(x.shape)}")
    return x


class RidgeReadout:
    """Closed-form ridge regression with an unpenalised bias; ``alpha`` ≥ 0 the penalty."""

    def __init__(self, alpha: float = 1e-6) -> None:
        if not alpha >= 0:
            raise ConfigError(f"alpha = {alpha!r}: the ridge penalty must be >= 0")
        self.alpha = float(alpha)
        self.weight: torch.Tensor | None = None
        self.bias: torch.Tensor | None = None

    def fit(self, states: torch.Tensor, targets: torch.Tensor) -> RidgeReadout:
        """Fit on states (samples, features) — or (batch, time, features) — and targets of matching samples."""
        x, y = _as_2d(states, "states"), _as_2d(targets, "targets")
        if x.shape[0] != y.shape[0]:
            raise ShapeError(f"states have {x.shape[0]} samples, targets {y.shape[0]}")
        mx, my = x.mean(0), y.mean(0)
        xc, yc = x - mx, y - my
        gram = xc.T @ xc + self.alpha * torch.eye(x.shape[1], dtype=torch.float64)
        self.weight = torch.linalg.lstsq(gram, xc.T @ yc).solution if self.alpha == 0 else \
            torch.linalg.solve(gram, xc.T @ yc)
        self.bias = my - mx @ self.weight
        return self

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        if self.weight is None or self.bias is None:
            raise ConfigError("RidgeReadout: call fit before predict")
        x = torch.as_tensor(states, dtype=torch.float64)
        return x @ self.weight + self.bias


class OnlineReadout:
    """Block recursive least squares on [states, 1]; ``alpha`` sets P₀ = I/α (the equivalent ridge penalty)."""

    def __init__(self, n_features: int, n_outputs: int = 1, alpha: float = 1e-3) -> None:
        if not alpha > 0:
            raise ConfigError(f"alpha = {alpha!r}: must be > 0 (P₀ = I/α)")
        if n_features < 1 or n_outputs < 1:
            raise ConfigError("n_features and n_outputs must be >= 1")
        self.p = torch.eye(n_features + 1, dtype=torch.float64) / alpha
        self.w = torch.zeros(n_features + 1, n_outputs, dtype=torch.float64)
        self.samples = 0

    def update(self, states: torch.Tensor, targets: torch.Tensor) -> None:
        """One block of samples (block, features) with targets (block, outputs)."""
        x, y = _as_2d(states, "states"), _as_2d(targets, "targets")
        if x.shape[1] + 1 != self.p.shape[0] or y.shape[1] != self.w.shape[1] or x.shape[0] != y.shape[0]:
            raise ShapeError(f"block of states {tuple(x.shape)} / targets {tuple(y.shape)} does not fit the readout")
        xa = torch.cat([x, torch.ones(x.shape[0], 1, dtype=torch.float64)], 1)
        px = self.p @ xa.T
        k = torch.linalg.solve(torch.eye(x.shape[0], dtype=torch.float64) + xa @ px, px.T).T
        self.w = self.w + k @ (y - xa @ self.w)
        self.p = self.p - k @ px.T
        self.p = 0.5 * (self.p + self.p.T)
        self.samples += x.shape[0]

    @property
    def weight(self) -> torch.Tensor:
        return self.w[:-1]

    @property
    def bias(self) -> torch.Tensor:
        return self.w[-1]

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(states, dtype=torch.float64)
        return x @ self.weight + self.bias


def nrmse(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Root-mean-square error normalised by the target's standard deviation."""
    p, t = torch.as_tensor(prediction, dtype=torch.float64).reshape(-1), \
        torch.as_tensor(target, dtype=torch.float64).reshape(-1)
    if p.shape != t.shape:
        raise ShapeError(f"prediction has {p.numel()} values, target {t.numel()}")
    return float(((p - t) ** 2).mean().sqrt() / t.std())
