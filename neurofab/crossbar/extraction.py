"""Model extraction: reading a trained tile's weights out through its own noisy MVMs (Gokmen 2021, ttv2 note).

A tile cannot be read device by device cheaply, but it can be driven with inputs and its outputs digitised.
From random inputs X (N×n) and the tile's outputs Y (N×m) the weights follow by linear regression (Eq. 4):

    Ĉ = ((XᵀX)⁻¹ XᵀY)ᵀ,   streamed as  M_xx += xᵀx,  M_xy += xᵀy  over batches of MVMs.

:class:`LinearExtractor` keeps the running sums (plus Σy² per output for the residual), solves on demand, and
gives the epistemic std of each estimated weight, σ̂_i·sqrt(diag((XᵀX)⁻¹)) with σ̂_i² the residual variance
of output i. :func:`extract_weights` drives any MVM callable with uniform random inputs in [−1, 1] (or one-hot
inputs, the poor alternative of Fig. 6).

:class:`WeightAverager` keeps a streaming mean and variance of weight snapshots (e.g. extracted after each of
the last epochs), giving the per-weight μ and σ used by :func:`snr_prune_mask` (prune weights with |μ|/σ below
a threshold), :func:`random_prune_mask` (the same fraction at random) and :func:`disturb` (w = μ + ξσ).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from neurofab.core import ConfigError, NumericalError, Seed, ShapeError, make_generator, record, recording

__all__ = [
    "LinearExtractor",
    "WeightAverager",
    "disturb",
    "extract_weights",
    "random_prune_mask",
    "snr_prune_mask",
]


class LinearExtractor:
    """Streaming least squares for y = C x (Eq. 4): accumulate MVM pairs, solve for C (out × in)."""

    def __init__(self, in_size: int, out_size: int, dtype: torch.dtype = torch.float64) -> None:
        if in_size <= 0 or out_size <= 0:
            raise ConfigError(f"LinearExtractor: in_size = {in_size}, out_size = {out_size} must be > 0")
        self.in_size, self.out_size = int(in_size), int(out_size)
        self.m_xx = torch.zeros(in_size, in_size, dtype=dtype)
        self.m_xy = torch.zeros(in_size, out_size, dtype=dtype)
        self.m_yy = torch.zeros(out_size, dtype=dtype)
        self.count = 0

    def add(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Add a batch of MVMs: inputs x (B × in), outputs y (B × out)."""
        if x.dim() != 2 or y.dim() != 2 or x.shape[1] != self.in_size or y.shape[1] != self.out_size:
            raise ShapeError(
                f"LinearExtractor.add: expected x (B, {self.in_size}) and y (B, {self.out_size}), "
                f"got {tuple(x.shape)} and {tuple(y.shape)}"
            )
        if x.shape[0] != y.shape[0]:
            raise ShapeError(f"LinearExtractor.add: {x.shape[0]} inputs but {y.shape[0]} outputs")
        if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
            raise NumericalError("LinearExtractor.add: inputs or outputs contain NaN or inf")
        x = x.to(self.m_xx.dtype)
        y = y.to(self.m_xx.dtype)
        self.m_xx += x.T @ x
        self.m_xy += x.T @ y
        self.m_yy += (y * y).sum(dim=0)
        self.count += x.shape[0]
        if recording():
            record("flop", 2 * x.shape[0] * self.in_size * (self.in_size + self.out_size), "fp64")

    def _check_solvable(self) -> None:
        if self.count < self.in_size:
            raise NumericalError(
                f"LinearExtractor: {self.count} MVMs cannot determine {self.in_size} inputs' weights (need ≥ in_size)"
            )

    def weights(self) -> torch.Tensor:
        """Ĉ = ((XᵀX)⁻¹ XᵀY)ᵀ, shape (out, in)."""
        self._check_solvable()
        return torch.linalg.solve(self.m_xx, self.m_xy).T

    def residual_variance(self) -> torch.Tensor:
        """Per-output residual variance σ̂_i² = RSS_i / (N − in) of the fit."""
        self._check_solvable()
        beta = torch.linalg.solve(self.m_xx, self.m_xy)  # (in, out)
        rss = self.m_yy - 2 * (beta * self.m_xy).sum(dim=0) + (beta * (self.m_xx @ beta)).sum(dim=0)
        dof = max(self.count - self.in_size, 1)
        return torch.clamp(rss, min=0) / dof

    def weight_std(self) -> torch.Tensor:
        """Epistemic std of every estimated weight (out, in): σ̂_i sqrt(diag((XᵀX)⁻¹)_j)."""
        inv_diag = torch.diagonal(torch.linalg.inv(self.m_xx))
        return torch.sqrt(self.residual_variance()[:, None] * inv_diag[None, :])


def extract_weights(
    mvm: Callable[[torch.Tensor], torch.Tensor],
    in_size: int,
    out_size: int,
    n_mvm: int,
    seed: Seed = 0,
    batch: int = 1024,
    inputs: str = "uniform",
) -> LinearExtractor:
    """Drive ``mvm`` (x (B × in) → y (B × out)) with ``n_mvm`` inputs and return the fitted extractor.

    ``inputs``: ``"uniform"`` (U[−1, 1] per element, Fig. 6's random MVMs) or ``"one_hot"`` (cycling through
    the unit vectors; ``n_mvm`` should be a multiple of ``in_size``).
    """
    if n_mvm <= 0 or batch <= 0:
        raise ConfigError(f"extract_weights: n_mvm = {n_mvm}, batch = {batch} must be > 0")
    if inputs not in ("uniform", "one_hot"):
        raise ConfigError(f"extract_weights: inputs = {inputs!r}: must be 'uniform' or 'one_hot'")
    gen = make_generator(seed)
    ext = LinearExtractor(in_size, out_size)
    done = 0
    while done < n_mvm:
        b = min(batch, n_mvm - done)
        if inputs == "uniform":
            x = torch.rand(b, in_size, generator=gen) * 2 - 1
        else:
            idx = (torch.arange(done, done + b) % in_size)
            x = torch.nn.functional.one_hot(idx, in_size).to(torch.float32)
        ext.add(x, mvm(x))
        done += b
    return ext


class WeightAverager:
    """Streaming per-weight mean and variance of weight snapshots (Welford's algorithm)."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: torch.Tensor | None = None
        self._m2: torch.Tensor | None = None

    def add(self, w: torch.Tensor) -> None:
        """Add one snapshot (any shape, the same every time)."""
        w = w.detach().to(torch.float64)
        if self.mean is None:
            self.mean = torch.zeros_like(w)
            self._m2 = torch.zeros_like(w)
        elif w.shape != self.mean.shape:
            raise ShapeError(f"WeightAverager.add: snapshot shape {tuple(w.shape)} != {tuple(self.mean.shape)}")
        self.n += 1
        delta = w - self.mean
        self.mean += delta / self.n
        self._m2 += delta * (w - self.mean)

    @property
    def std(self) -> torch.Tensor:
        """Per-weight standard deviation across snapshots (population; zero for a single snapshot)."""
        if self.mean is None or self._m2 is None:
            raise NumericalError("WeightAverager: no snapshot added yet")
        return torch.sqrt(self._m2 / self.n)


def snr_prune_mask(mean: torch.Tensor, std: torch.Tensor, threshold: float) -> torch.Tensor:
    """True where a weight is kept: |μ|/σ ≥ threshold (σ = 0 counts as infinite SNR)."""
    if threshold < 0:
        raise ConfigError(f"snr_prune_mask: threshold = {threshold} must be ≥ 0")
    snr = torch.where(std > 0, mean.abs() / torch.where(std > 0, std, torch.ones_like(std)), torch.full_like(std, 1e30))
    return snr >= threshold


def random_prune_mask(shape: tuple[int, ...], fraction: float, seed: Seed = 0) -> torch.Tensor:
    """True where kept: exactly round(fraction·numel) weights removed at random."""
    if not 0 <= fraction <= 1:
        raise ConfigError(f"random_prune_mask: fraction = {fraction} must be in [0, 1]")
    gen = make_generator(seed)
    n = 1
    for s in shape:
        n *= int(s)
    remove = torch.randperm(n, generator=gen)[: round(fraction * n)]
    keep = torch.ones(n, dtype=torch.bool)
    keep[remove] = False
    return keep.reshape(shape)


def disturb(mean: torch.Tensor, std: torch.Tensor, seed: Seed = 0) -> torch.Tensor:
    """One draw w = μ + ξσ per weight (Table 3's disturbance test)."""
    gen = make_generator(seed)
    return mean + std * torch.randn(mean.shape, generator=gen, dtype=mean.dtype)
