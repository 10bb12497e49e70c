"""Naive Bayes on crossbar tiles: the −log domain (Wu et al. 2019) and the linear domain (Serb et al. 2017).

Bernoulli naive Bayes over binary attributes x_i with class prior π_c and θ_ci = P(x_i = 1 | c) (Laplace
smoothing α), Eq. 17: C* = argmax_c P(c) Π_i P(x_i | c).

- **−log domain** (Eq. 19 with every w = 1): ρ(·) = −log P(·) ≥ 0 is stored as conductances, one column per class,
  rows [ρ(x_i = 1 | c) …, ρ(x_i = 0 | c) …, ρ(c)]. The input drives the row of each attribute's observed value
  (u = [x, 1 − x, 1]), the bitline current is q(c) = ρ(c) + Σ_i ρ(x_i | c), and the readout is argmin_c q(c).
- **linear domain**: a tile holds P(x_i = v | c) (rows (i, v), one column per class); driving row (i, x_i) reads
  the likelihood vector of attribute i, which is multiplied into the running class distribution and renormalised
  (Serb et al.'s cascade with its normaliser, seed 001 l. 4692). Read noise on small probabilities is where the
  linear domain loses.

The tiles are :class:`neurofab.crossbar.InferenceTile` objects; an ideal tile (no device noise, perfect
periphery) gives software naive Bayes exactly (up to float rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurofab.core import DataError, Seed, record
from neurofab.crossbar import InferenceTile, InferenceTileConfig, IOConfig
from neurofab.crossbar.noise_models import GaussianNoiseModel


@dataclass
class NaiveBayes:
    """Fitted Bernoulli naive Bayes: ``log_prior`` (C,), ``theta`` (C, F) = P(x_i = 1 | c)."""

    log_prior: torch.Tensor
    theta: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, y: torch.Tensor, alpha: float = 1.0) -> NaiveBayes:
        """From binary attributes ``x`` (N, F) and labels ``y`` (N,) in 0…C−1, Laplace smoothing ``alpha``."""
        if x.dim() != 2 or y.shape != (x.shape[0],):
            raise DataError(f"NaiveBayes.fit: expected x (N, F) and y (N,), got {tuple(x.shape)}, {tuple(y.shape)}")
        if not ((x == 0) | (x == 1)).all():
            raise DataError("NaiveBayes.fit: attributes must be binary (0 or 1); binarise first")
        if alpha <= 0:
            raise DataError(f"NaiveBayes.fit: alpha must be > 0, got {alpha}")
        n_c = int(y.max()) + 1
        xd = x.double()
        counts = torch.zeros(n_c, x.shape[1], dtype=torch.float64).index_add_(0, y, xd)
        n = torch.bincount(y, minlength=n_c).double()
        theta = (counts + alpha) / (n[:, None] + 2 * alpha)
        log_prior = torch.log((n + alpha) / (n.sum() + n_c * alpha))
        return cls(log_prior, theta)

    def log_scores(self, x: torch.Tensor) -> torch.Tensor:
        """log P(c) + Σ_i log P(x_i | c): (N, C) in software (float64)."""
        xd = x.double()
        return self.log_prior + xd @ torch.log(self.theta).T + (1 - xd) @ torch.log1p(-self.theta).T

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_scores(x).argmax(1)

    def rho_matrix(self) -> torch.Tensor:
        """The −log-domain conductance matrix (C, 2F + 1) in weight units: ρ(x=1|c), ρ(x=0|c), ρ(c)."""
        return torch.cat([-torch.log(self.theta), -torch.log1p(-self.theta), -self.log_prior[:, None]], 1)

    def likelihood_matrix(self) -> torch.Tensor:
        """The linear-domain matrix (C, 2F): P(x_i = 1 | c) then P(x_i = 0 | c)."""
        return torch.cat([self.theta, 1 - self.theta], 1)


def tile_config(prog_noise: float = 0.0, read_noise: float = 0.0, ideal_periphery: bool = True,
                g_max: float = 25e-6) -> InferenceTileConfig:
    """A tile with Gaussian device noise: programming σ = ``prog_noise`` × g and per-read σ = ``read_noise`` × g
    (relative) [1]; an ideal periphery by default, so noise 0 is an exact MVM."""
    if prog_noise < 0 or read_noise < 0:
        raise DataError(f"tile_config: noise levels must be ≥ 0, got {prog_noise}, {read_noise}")
    model = GaussianNoiseModel(prog_std_rel=prog_noise, read_std_rel=read_noise)
    model = model.model_copy(update={"converter": model.converter.model_copy(update={"g_max": g_max})})
    forward = IOConfig.perfect() if ideal_periphery else IOConfig()
    return InferenceTileConfig(noise_model=model, forward=forward, drift_compensation="none",
                               weight_scaling="tile")


class CrossbarNaiveBayes:
    """A fitted :class:`NaiveBayes` programmed on a tile, in the ``"neglog"`` or ``"linear"`` domain."""

    def __init__(self, nb: NaiveBayes, domain: str = "neglog", config: InferenceTileConfig | None = None,
                 seed: Seed = 0) -> None:
        if domain not in ("neglog", "linear"):
            raise DataError(f"CrossbarNaiveBayes: domain must be 'neglog' or 'linear', got {domain!r}")
        self.nb, self.domain = nb, domain
        w = (nb.rho_matrix() if domain == "neglog" else nb.likelihood_matrix()).float()
        self.tile = InferenceTile(w.shape[0], w.shape[1], config or tile_config(), seed=seed)
        self.tile.program(w, generator=seed)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """−log domain: q(c) (N, C), smaller is likelier. Linear domain: the normalised posterior (N, C)."""
        xf = x.float()
        n, f = xf.shape
        if self.domain == "neglog":
            u = torch.cat([xf, 1 - xf, torch.ones(n, 1)], 1)
            return self.tile(u)
        rows = torch.arange(f) + (1 - xf.long()) * f  # row (i, x_i)
        onehot = torch.zeros(n * f, 2 * f)
        onehot[torch.arange(n * f), rows.reshape(-1)] = 1.0
        lik = self.tile(onehot).reshape(n, f, -1).double().clamp_min(1e-12)
        post = torch.exp(self.nb.log_prior).expand(n, -1).clone()
        for i in range(f):  # the cascade: multiply, then normalise
            post = post * lik[:, i]
            post = post / post.sum(1, keepdim=True)
        record("flop", 2 * n * f * post.shape[1], "fp32")
        return post

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scores(x)
        return s.argmin(1) if self.domain == "neglog" else s.argmax(1)


def binarise(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Pixels in [0, 1] → {0, 1} at ``threshold``."""
    return (x > threshold).long()
