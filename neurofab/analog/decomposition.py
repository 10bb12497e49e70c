"""Gradient decomposition for mini-batch training on non-ideal devices (Zhao et al. 2021, grad-decomposition note).

A mini-batch gradient ∇ = (1/B) Σ_s x_s δ_sᵀ (m inputs × n outputs) is accumulated outside the array in a
compressed, rank-k form and written to the devices once per batch:

- :class:`StreamingBatchPCA` — ∇̂ = X̂ Σ̂ Δ̂ᵀ from blocks of b samples (bi-iterative stochastic power iteration
  with QR, the note's corrected dimensions: X̂ ∈ R^{m×k}, Δ̂ ∈ R^{n×k});
- :class:`NMFDecomposition` — ∇_P = ReLU(∇) ≈ X̂_P Δ̂_P and ∇_N = ReLU(−∇) ≈ X̂_N Δ̂_N with non-negative factors
  (fast HALS, P iterations, warm-started from batch to batch); ∇̂ = X̂_PΔ̂_P − X̂_NΔ̂_N;
- the transfer of ΔW = −η ∇̂ to a :class:`~neurofab.devices.DeviceArray` as integer pulse counts,
  either summed first (``rank-sum``) or one rank-1 term after the other (``rank-seq``), each rounded to the
  nearest pulse or stochastically (:func:`round_pulses`);
- memory and FLOP counts of each scheme (the paper's Fig. 1B expressions).

Orientation: the decompositions use the paper's (inputs × outputs) gradient; :meth:`components` returns rank-1
terms already in the tile orientation (outputs × inputs), i.e. ``outer(δ-factor, x-factor)``.
"""

from __future__ import annotations

from typing import Literal

import torch

from neurofab.core import (
    ConfigError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    make_generator,
    record,
    recording,
)
from neurofab.devices import DeviceArray

__all__ = [
    "NMFDecomposition",
    "StreamingBatchPCA",
    "decomposition_flops",
    "decomposition_memory",
    "pulse_counts",
    "round_pulses",
    "stochastic_round",
    "transfer_components",
]

Rounding = Literal["nearest", "stochastic"]
TransferMode = Literal["rank-sum", "rank-seq"]


# ----- rounding ------------------------------------------------------------------------------------------------
def stochastic_round(r: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """⌊r⌋ + 1 with probability r − ⌊r⌋, else ⌊r⌋ (unbiased: E[result] = r); returns int64."""
    u = torch.rand(r.shape, generator=generator, dtype=r.dtype, device=r.device)
    return torch.floor(r + u).to(torch.int64)


def round_pulses(r: torch.Tensor, rounding: Rounding, generator: torch.Generator | None = None) -> torch.Tensor:
    """Real-valued pulse numbers → integer counts (int64) by round-to-nearest or stochastic rounding."""
    if rounding == "nearest":
        return torch.round(r).to(torch.int64)
    if rounding == "stochastic":
        if generator is None:
            raise InputTypeError("round_pulses: stochastic rounding needs a torch.Generator")
        return stochastic_round(r, generator)
    raise ConfigError(f"rounding = {rounding!r}: must be 'nearest' or 'stochastic'")


def pulse_counts(
    dw: torch.Tensor, dw_min: float, rounding: Rounding, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Signed pulse counts for a desired change ``dw`` [weight units]: round(dw / dw_min).

    With dw_min = (w_max − w_min)/N this is NeuroSim's numPulse = ΔW/(w_max − w_min)·N.
    """
    if dw_min <= 0:
        raise ConfigError(f"dw_min = {dw_min}: must be > 0")
    if not torch.isfinite(dw).all():
        raise NumericalError("pulse_counts: the weight change contains NaN or inf")
    return round_pulses(dw / dw_min, rounding, generator)


# ----- streaming batch PCA -------------------------------------------------------------------------------------
def _qr_nonincreasing(a: torch.Tensor) -> torch.Tensor:
    """Q of a = QR with diag R ≥ 0 (column j of Q keeps the direction of column j of a, so the pairing of the
    columns of X̂, Δ̂ and σ survives the re-orthogonalisation)."""
    q, r = torch.linalg.qr(a)
    d = torch.diagonal(r)
    return q * torch.where(d < 0, -torch.ones_like(d), torch.ones_like(d))


class StreamingBatchPCA:
    """Rank-k streaming batch PCA of a mini-batch gradient (Huang et al. 2020, as used by Zhao et al. 2021).

    For block i (0-based) of b samples x̂ (b×m), δ̂ (b×n), with G_i = x̂ᵀδ̂/b:

        X̂ ← QR[ i/(i+1) X̂ + 1/(i+1) G_i Δ̂ Σ̂⁻¹ ]
        Δ̂ ← QR[ i/(i+1) Δ̂ + 1/(i+1) G_iᵀ X̂ Σ̂⁻¹ ]
        Σ̂ ← i/(i+1) Σ̂ + 1/(i+1) Σ_rows[(x̂X̂) ⊙ (δ̂Δ̂)]/b      (= diag(X̂ᵀ G_i Δ̂))

    so that X̂ Σ̂ Δ̂ᵀ approximates the mean gradient (1/B) Σ x δᵀ over the batch. The factors persist across
    batches (warm start); :meth:`reset_batch` restarts the block counter and Σ̂ for a new batch. Initial X̂, Δ̂:
    random orthonormal from ``seed``; initial Σ̂ = 1 (it only scales the first block's columns, which QR
    removes).
    """

    def __init__(self, m: int, n: int, rank: int, block: int, seed: Seed = 0, dtype=torch.float64) -> None:
        if min(m, n) <= 0 or rank <= 0 or block <= 0:
            raise ConfigError(f"StreamingBatchPCA: m={m}, n={n}, rank={rank}, block={block} must all be > 0")
        if rank > min(m, n):
            raise ConfigError(f"StreamingBatchPCA.rank = {rank}: must be ≤ min(m, n) = {min(m, n)}")
        self.m, self.n, self.rank, self.block = int(m), int(n), int(rank), int(block)
        gen = make_generator(seed)
        self.x_factor = _qr_nonincreasing(torch.randn(self.m, self.rank, generator=gen, dtype=dtype))
        self.d_factor = _qr_nonincreasing(torch.randn(self.n, self.rank, generator=gen, dtype=dtype))
        self.sigma = torch.ones(self.rank, dtype=dtype)
        self.i = 0
        self._carry: tuple[torch.Tensor, torch.Tensor] | None = None

    def reset_batch(self) -> None:
        """Start a new batch: block counter to 0 (factors kept as the warm start), pending samples dropped."""
        self.i = 0
        self._carry = None

    def _inv_sigma(self) -> torch.Tensor:
        s = self.sigma
        tiny = torch.finfo(s.dtype).tiny ** 0.5
        safe = torch.where(s.abs() > tiny, s, torch.full_like(s, tiny))
        return 1.0 / safe

    def update_block(self, x: torch.Tensor, d: torch.Tensor) -> None:
        """One block: x (b×m) inputs, d (b×n) errors (any b ≥ 1; the mean over the block is used)."""
        x = x.to(self.x_factor.dtype)
        d = d.to(self.x_factor.dtype)
        b = x.shape[0]
        i = self.i
        keep, new = i / (i + 1), 1.0 / (i + 1)
        inv = self._inv_sigma()
        xd = x @ self.x_factor  # (b, k)
        dd = d @ self.d_factor  # (b, k)
        self.x_factor = _qr_nonincreasing(keep * self.x_factor + new * (x.T @ dd) * inv / b)
        xd = x @ self.x_factor
        self.d_factor = _qr_nonincreasing(keep * self.d_factor + new * (d.T @ xd) * inv / b)
        dd = d @ self.d_factor
        self.sigma = keep * self.sigma + new * (xd * dd).sum(dim=0) / b
        self.i += 1
        if recording():
            k, m, n = self.rank, self.m, self.n
            record("flop", 4 * b * k * (m + n) + 4 * k * (m + n), "fp64")

    def update(self, x: torch.Tensor, d: torch.Tensor) -> None:
        """Stream samples x (B×m), d (B×n) through the blocks of ``block`` samples (a remainder waits)."""
        if x.dim() != 2 or d.dim() != 2 or x.shape[1] != self.m or d.shape[1] != self.n or x.shape[0] != d.shape[0]:
            raise ShapeError(
                f"StreamingBatchPCA.update: expected x (B, {self.m}) and d (B, {self.n}), got {tuple(x.shape)}, "
                f"{tuple(d.shape)}"
            )
        if self._carry is not None:
            x = torch.cat([self._carry[0], x])
            d = torch.cat([self._carry[1], d])
            self._carry = None
        full = (x.shape[0] // self.block) * self.block
        for s in range(0, full, self.block):
            self.update_block(x[s : s + self.block], d[s : s + self.block])
        if full < x.shape[0]:
            self._carry = (x[full:], d[full:])

    def flush(self) -> None:
        """Use a pending partial block (end of a batch whose size is not a multiple of the block)."""
        if self._carry is not None:
            x, d = self._carry
            self._carry = None
            self.update_block(x, d)

    def gradient(self) -> torch.Tensor:
        """∇̂ = X̂ Σ̂ Δ̂ᵀ, shape (m, n) (inputs × outputs)."""
        return (self.x_factor * self.sigma) @ self.d_factor.T

    def components(self) -> list[torch.Tensor]:
        """The k rank-1 terms σ_j Δ̂_j X̂_jᵀ in tile orientation (n outputs × m inputs)."""
        return [self.sigma[j] * torch.outer(self.d_factor[:, j], self.x_factor[:, j]) for j in range(self.rank)]


# ----- NMF by fast HALS ----------------------------------------------------------------------------------------
class NMFDecomposition:
    """Rank-k non-negative factorisation of the positive and negative parts of a gradient (fast HALS).

    ∇_P = ReLU(∇), ∇_N = ReLU(−∇); each part V (m×n) ≈ X̂ Δ̂ with X̂ ∈ R₊^{m×k}, Δ̂ ∈ R₊^{k×n}, minimising
    ½‖V − X̂Δ̂‖²_F. One iteration updates every column of X̂ then every row of Δ̂ (Cichocki & Phan 2009):

        X̂_j ← ReLU(X̂_j + [(V Δ̂ᵀ)_j − X̂ (Δ̂Δ̂ᵀ)_j] / (Δ̂Δ̂ᵀ)_jj)
        Δ̂_j ← ReLU(Δ̂_j + [(X̂ᵀV)_j − (X̂ᵀX̂)_j Δ̂] / (X̂ᵀX̂)_jj)

    which is the paper's update (X̂ ← ReLU(X̂ + (VΔ̂ᵀ − X̂Δ̂Δ̂ᵀ)D_Δ), D_Δ = Diag(Δ̂Δ̂ᵀ)⁻¹, and likewise for Δ̂)
    taken one column at a time, the form whose error never increases. Factors start as |N(0, sqrt(mean(V)/k))|
    at the first call and are warm-started afterwards.
    """

    def __init__(self, m: int, n: int, rank: int, iterations: int = 200, seed: Seed = 0, dtype=torch.float64) -> None:
        if min(m, n) <= 0 or rank <= 0 or iterations <= 0:
            raise ConfigError(f"NMFDecomposition: m={m}, n={n}, rank={rank}, iterations={iterations} must be > 0")
        self.m, self.n, self.rank, self.iterations = int(m), int(n), int(rank), int(iterations)
        self.dtype = dtype
        self.generator = make_generator(seed)
        self.factors: dict[str, tuple[torch.Tensor, torch.Tensor] | None] = {"P": None, "N": None}

    def _init(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        std = float(torch.sqrt(torch.clamp(v.mean(), min=0) / self.rank))
        std = std if std > 0 else 1e-12
        xf = (std * torch.randn(self.m, self.rank, generator=self.generator, dtype=self.dtype)).abs()
        df = (std * torch.randn(self.rank, self.n, generator=self.generator, dtype=self.dtype)).abs()
        return xf, df

    def factorize(self, v: torch.Tensor, part: str = "P", iterations: int | None = None) -> tuple[torch.Tensor, ...]:
        """Factor a non-negative (m×n) matrix ``v`` with the stored warm start of ``part``; returns (X̂, Δ̂)."""
        if v.shape != (self.m, self.n):
            raise ShapeError(f"NMFDecomposition.factorize: expected ({self.m}, {self.n}), got {tuple(v.shape)}")
        if (v < 0).any():
            raise NumericalError("NMFDecomposition.factorize: the matrix must be non-negative")
        v = v.to(self.dtype)
        start = self.factors.get(part)
        xf, df = self._init(v) if start is None else (start[0].clone(), start[1].clone())
        eps = torch.finfo(self.dtype).tiny
        for _ in range(self.iterations if iterations is None else iterations):
            vd = v @ df.T  # (m, k)
            dd = df @ df.T  # (k, k)
            for j in range(self.rank):
                if dd[j, j] > eps:
                    xf[:, j] = torch.clamp(xf[:, j] + (vd[:, j] - xf @ dd[:, j]) / dd[j, j], min=0)
            xv = xf.T @ v  # (k, n)
            xx = xf.T @ xf  # (k, k)
            for j in range(self.rank):
                if xx[j, j] > eps:
                    df[j] = torch.clamp(df[j] + (xv[j] - xx[j] @ df) / xx[j, j], min=0)
        self.factors[part] = (xf, df)
        if recording():
            m, n, k = self.m, self.n, self.rank
            it = self.iterations if iterations is None else iterations
            record("flop", it * (4 * m * n * k + 4 * k * k * (m + n)), "fp64")
        return xf, df

    def decompose(self, grad: torch.Tensor) -> None:
        """Factor the positive and negative parts of a gradient (m×n)."""
        self.factorize(torch.clamp(grad, min=0), "P")
        self.factorize(torch.clamp(-grad, min=0), "N")

    def gradient(self) -> torch.Tensor:
        """∇̂ = X̂_PΔ̂_P − X̂_NΔ̂_N (m×n)."""
        out = torch.zeros(self.m, self.n, dtype=self.dtype)
        for part, sign in (("P", 1.0), ("N", -1.0)):
            f = self.factors[part]
            if f is not None:
                out = out + sign * (f[0] @ f[1])
        return out

    def components(self) -> list[torch.Tensor]:
        """The 2k rank-1 terms ±Δ̂_j X̂_jᵀ in tile orientation (n × m), positive part first."""
        out = []
        for part, sign in (("P", 1.0), ("N", -1.0)):
            f = self.factors[part]
            if f is not None:
                out += [sign * torch.outer(f[1][j], f[0][:, j]) for j in range(self.rank)]
        return out


# ----- transfer to devices ------------------------------------------------------------------------------------
def transfer_components(
    array: DeviceArray,
    components: list[torch.Tensor],
    lr: float,
    mode: TransferMode,
    rounding: Rounding,
    generator: torch.Generator | None = None,
) -> int:
    """Write W ← W − lr·Σ_j component_j to ``array`` as pulses; returns the pulses applied.

    ``rank-sum``: the terms are summed outside the array and written once (one pulse count per device);
    ``rank-seq``: each term is rounded and written on its own, in order (the array sums them). Components are
    in tile orientation (out × in). Pulse count = round(−lr·term / dw_min).
    """
    if mode not in ("rank-sum", "rank-seq"):
        raise ConfigError(f"mode = {mode!r}: must be 'rank-sum' or 'rank-seq'")
    if not components:
        return 0
    dw_min = array.model.dw_min
    terms = [sum(components)] if mode == "rank-sum" else components
    total = 0
    for term in terms:
        if term.shape != array.w.shape:
            raise ShapeError(f"transfer_components: term shape {tuple(term.shape)} != array {tuple(array.w.shape)}")
        counts = pulse_counts(-lr * term.to(torch.float64), dw_min, rounding, generator)
        total += int(counts.abs().sum())
        array.pulse(counts)
    return total


# ----- cost ---------------------------------------------------------------------------------------------------
def decomposition_memory(method: str, m: int, n: int, rank: int = 1) -> int:
    """Numbers stored between samples of a batch: MBGD m·n; SBPCA k(m+n+1); NMF 2k(m+n) plus the m·n batch sum."""
    if method == "mbgd":
        return m * n
    if method == "sbpca":
        return rank * (m + n + 1)
    if method == "nmf":
        return 2 * rank * (m + n) + m * n
    raise ConfigError(f"method = {method!r}: must be 'mbgd', 'sbpca' or 'nmf'")


def decomposition_flops(
    method: str, m: int, n: int, batch: int, rank: int = 1, block: int = 1, iterations: int = 200
) -> int:
    """FLOPs per batch (Zhao et al. Section 2): MBGD 2Bmn; SBPCA 4Bk(m+n) + (B/b)·4k(m+n);
    NMF 3mn + 2mk + 2nk + 2mnk(n−1) + 2P(k²((m+n)² − m − n) + mnk(m+n−4) + 4k(m+n+½)) (as printed)."""
    B, k = batch, rank
    if method == "mbgd":
        return 2 * B * m * n
    if method == "sbpca":
        return 4 * B * k * (m + n) + (B // block) * 4 * k * (m + n)
    if method == "nmf":
        per_iter = k * k * ((m + n) ** 2 - m - n) + m * n * k * (m + n - 4) + 4 * k * (m + n) + 2 * k
        return 3 * m * n + 2 * m * k + 2 * n * k + 2 * m * n * k * (n - 1) + 2 * iterations * per_iter
    raise ConfigError(f"method = {method!r}: must be 'mbgd', 'sbpca' or 'nmf'")
