"""Bayesian neural networks on crossbars: μ and σ tiles, the neural sampling machine, predictive entropy.

Training (software, Bayes by backprop with the local reparameterisation): every weight is N(μ, σ²),
σ = softplus(s); a layer's pre-activation for input x is Gaussian with mean Σ_j x_j μ_ij and variance
Σ_j x_j² σ_ij². Loss: cross-entropy of one sample + KL(q ‖ N(0, prior_std²)) / N.

On crossbars (the review, seed 001 l. 4780–4800: y ≈ (1/S) Σ_s f(x, wˢ) with f = Σ x μ + Σ x σ N(0, 1)), each layer
is a **μ tile** read with x and a **σ² tile** read with x²; the output sample is
μ-read + √(σ²-read) · ε, ε ~ N(0, 1) per output and sample (S forward passes). The **neural sampling machine**
(Dutta et al. 2021, l. 4502) instead blanks each read weight out with a Bernoulli ξ_ij (keep probability p):
I_i = Σ_j ξ_ij G_ij V_j, scaled by 1/p.

Uncertainty: the entropy of the mean predictive distribution, H = −Σ_c p̄_c log p̄_c [nats]; it should be higher on
inputs unlike the training data (out of distribution) than on test inputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import DataError, Seed, make_generator, one_thread, record
from neurofab.crossbar import InferenceTile, InferenceTileConfig


class BayesLinear(nn.Module):
    """Mean-field Gaussian linear layer (module docstring)."""

    def __init__(self, n_in: int, n_out: int, prior_std: float = 1.0, gen: torch.Generator | None = None) -> None:
        super().__init__()
        self.mu = nn.Parameter(torch.randn(n_out, n_in, generator=gen) / math.sqrt(n_in))
        self.s = nn.Parameter(torch.full((n_out, n_in), -5.0))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.prior_std = prior_std

    @property
    def sigma(self) -> torch.Tensor:
        return F.softplus(self.s)

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        mean = x @ self.mu.T + self.bias
        std = torch.sqrt((x**2) @ (self.sigma**2).T + 1e-12)
        return mean + std * torch.randn(mean.shape, generator=gen)

    def kl(self) -> torch.Tensor:
        s2, p2 = self.sigma**2, self.prior_std**2
        return 0.5 * ((s2 + self.mu**2) / p2 - 1 - torch.log(s2 / p2)).sum()


class BayesMLP(nn.Module):
    """in → hidden (ReLU) → out, both layers :class:`BayesLinear`."""

    def __init__(self, sizes: tuple[int, int, int], prior_std: float = 1.0, seed: Seed = 0) -> None:
        super().__init__()
        gen = make_generator(seed)
        self.layers = nn.ModuleList([BayesLinear(sizes[0], sizes[1], prior_std, gen),
                                     BayesLinear(sizes[1], sizes[2], prior_std, gen)])

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        return self.layers[1](torch.relu(self.layers[0](x, gen)), gen)

    def kl(self) -> torch.Tensor:
        return sum(layer.kl() for layer in self.layers)


def train_bnn(x: torch.Tensor, y: torch.Tensor, hidden: int = 64, epochs: int = 150, lr: float = 0.01,
              prior_std: float = 1.0, seed: Seed = 0) -> BayesMLP:
    """Bayes by backprop, full batch, Adam (module docstring)."""
    if x.dim() != 2 or y.shape != (x.shape[0],):
        raise DataError(f"train_bnn: expected x (N, F) and y (N,), got {tuple(x.shape)}, {tuple(y.shape)}")
    gen = make_generator(seed)
    model = BayesMLP((x.shape[1], hidden, int(y.max()) + 1), prior_std, gen)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    with one_thread():  # small tensors: a second thread only spins
        for _ in range(epochs):
            opt.zero_grad()
            loss = F.cross_entropy(model(x, gen), y) + model.kl() / x.shape[0]
            loss.backward()
            opt.step()
    return model


def entropy(p: torch.Tensor) -> torch.Tensor:
    """H = −Σ p log p over the last axis [nats]."""
    return -(p * torch.log(p.clamp_min(1e-30))).sum(-1)


class CrossbarBNN:
    """A trained :class:`BayesMLP` on μ and σ² tiles (``mode="gaussian"``) or as a neural sampling machine on its
    μ tiles with Bernoulli blank-out (``mode="nsm"``, keep probability ``keep``)."""

    def __init__(self, model: BayesMLP, config: InferenceTileConfig, mode: str = "gaussian", keep: float = 0.9,
                 seed: Seed = 0) -> None:
        if mode not in ("gaussian", "nsm"):
            raise DataError(f"CrossbarBNN: mode must be 'gaussian' or 'nsm', got {mode!r}")
        if not 0 < keep <= 1:
            raise DataError(f"CrossbarBNN: keep must be in (0, 1], got {keep}")
        self.mode, self.keep = mode, keep
        self.gen = make_generator(seed)
        self.mu_tiles, self.var_tiles, self.biases = [], [], []
        with torch.no_grad():
            for layer in model.layers:
                out, inp = layer.mu.shape
                mu_t = InferenceTile(out, inp, config, seed=self.gen)
                mu_t.program(layer.mu.detach(), generator=self.gen)
                self.mu_tiles.append(mu_t)
                if mode == "gaussian":
                    var_t = InferenceTile(out, inp, config, seed=self.gen)
                    var_t.program((layer.sigma**2).detach(), generator=self.gen)
                    self.var_tiles.append(var_t)
                self.biases.append(layer.bias.detach().clone())

    def _layer(self, k: int, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "gaussian":
            mean = self.mu_tiles[k](x)
            var = self.var_tiles[k](x**2).clamp_min(0)
            eps = torch.randn(mean.shape, generator=self.gen)
            record("random_bit", 32 * eps.numel())
            return mean + torch.sqrt(var) * eps + self.biases[k]
        # one Bernoulli mask per forward pass (the selectors switch between passes, not within one input batch)
        w = self.mu_tiles[k].effective_weights()
        xi = torch.rand(w.shape, generator=self.gen) < self.keep
        record("random_bit", xi.numel())
        record("mvm", x.shape[0])
        return x @ (xi * w).T / self.keep + self.biases[k]

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor, samples: int = 30) -> torch.Tensor:
        """Mean softmax over ``samples`` stochastic forward passes: (N, C)."""
        if samples < 1:
            raise DataError(f"predict_proba: samples must be ≥ 1, got {samples}")
        p = 0
        for _ in range(samples):
            h = torch.relu(self._layer(0, x.float()))
            p = p + torch.softmax(self._layer(1, h), 1)
        record("sample", samples * x.shape[0])
        return p / samples
