"""Reservoir benchmarks: sine/square classification, NARMA-10, memory capacity and a spoken-digit-like task.

Every task takes any :class:`~neurofab.reservoir.base.Reservoir` and trains the same ridge readout on its states.

- **Sine vs square** (Torrejon et al. 2017, after Paquot et al. 2012): a random sequence of sine and square
  periods, 8 points per period; at every point the readout says whether it belongs to a sine or a square period.
  Points of value ±1 occur in both, so a memoryless readout cannot classify them.
- **NARMA-10** (Atiya & Parlos 2000): y(t+1) = 0.3 y(t) + 0.05 y(t) Σ₀⁹ y(t−i) + 1.5 u(t−9) u(t) + 0.1,
  u ~ U[0, 0.5]; predict y from the reservoir driven by u; scored by NRMSE.
- **Memory capacity** (Jaeger 2002): MC = Σ_{k=1}^{K} r²(u(t−k), ŷ_k(t)) for u ~ U[−1, 1], each delay its own
  readout, r² on held-out data.
- **Spoken-digit-like** (generated here; no audio is bundled): ten classes of "utterances", each a pair of
  formant glides (their start and end channels fixed per class) rendered as band energies in 13 filterbank
  channels over 20 frames under a rise-and-fall syllable envelope; each utterance varies in speaking rate
  (×0.8–1.25), formant shift (±1 channel), loudness (×0.7–1.3) and additive noise. It stands in for the
  cochleagram input of TI-46 spoken digits; the readout is trained per frame and the frame scores are summed.
"""

from __future__ import annotations

import math

import torch

from neurofab.core import ConfigError, make_generator
from neurofab.core.seeding import Seed
from neurofab.reservoir.base import Reservoir
from neurofab.reservoir.readout import RidgeReadout, nrmse

POINTS_PER_PERIOD = 8


def sine_square(n_periods: int, seed: Seed = 0, points: int = POINTS_PER_PERIOD) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (n_periods·points,), labels: 1 on square periods, 0 on sine), periods drawn at random."""
    if n_periods < 1 or points < 2:
        raise ConfigError(f"n_periods = {n_periods}, points = {points}: need >= 1 period of >= 2 points")
    gen = make_generator(seed)
    kinds = torch.randint(0, 2, (n_periods,), generator=gen)
    phase = 2 * math.pi * torch.arange(points, dtype=torch.float64) / points
    sine = torch.sin(phase)
    square = torch.where(torch.arange(points) < points // 2, 1.0, -1.0).to(torch.float64)
    u = torch.where(kinds[:, None] == 1, square, sine).reshape(-1)
    return u, kinds.repeat_interleave(points).to(torch.float64)


def narma10(length: int, seed: Seed = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(u, y) of the NARMA-10 system driven by u ~ U[0, 0.5]; the first 10 targets are 0."""
    if length < 20:
        raise ConfigError(f"length = {length}: NARMA-10 needs >= 20 steps")
    gen = make_generator(seed)
    u = torch.rand(length, generator=gen, dtype=torch.float64) * 0.5
    y = [0.0] * length
    uu = u.tolist()
    for t in range(9, length - 1):
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * sum(y[t - 9:t + 1]) + 1.5 * uu[t - 9] * uu[t] + 0.1
    return u, torch.tensor(y, dtype=torch.float64)


def spoken_digits(n_per_class: int, seed: Seed = 0, channels: int = 13, frames: int = 20,
                  noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (n, frames, channels) in [0, ~1.3], labels (n,)) of the generated spoken-digit-like task.

    The ten class templates are fixed (the same for every ``seed``); ``seed`` draws the utterances.
    """
    if n_per_class < 1 or channels < 4 or frames < 4 or noise < 0:
        raise ConfigError("spoken_digits: n_per_class >= 1, channels >= 4, frames >= 4, noise >= 0")
    templates = make_generator(20170726)
    ends = torch.rand(10, 2, 2, generator=templates, dtype=torch.float64) * (channels - 3) + 1  # class, formant, s/e
    gen = make_generator(seed)
    n = 10 * n_per_class
    labels = torch.arange(10).repeat_interleave(n_per_class)
    rate = 0.8 * (1.25 / 0.8) ** torch.rand(n, 1, generator=gen, dtype=torch.float64)
    shift = torch.rand(n, 1, generator=gen, dtype=torch.float64) * 2 - 1
    loud = 0.7 + 0.6 * torch.rand(n, 1, 1, generator=gen, dtype=torch.float64)
    s = (torch.arange(frames, dtype=torch.float64) / (frames - 1) * rate).clamp(max=1.0)  # (n, frames) progress
    env = torch.sin(math.pi * s) ** 0.5
    ch = torch.arange(channels, dtype=torch.float64)
    feats = torch.zeros(n, frames, channels, dtype=torch.float64)
    for k in range(2):
        start, end = ends[labels, k, 0:1], ends[labels, k, 1:2]
        centre = start + (end - start) * s + shift  # (n, frames)
        feats += torch.exp(-0.5 * ((ch - centre[..., None]) / 0.8) ** 2)
    feats = loud * env[..., None] * feats + noise * torch.randn(feats.shape, generator=gen, dtype=torch.float64)
    order = torch.randperm(n, generator=gen)
    return feats[order].clamp(min=0), labels[order]


# ----- evaluation -----------------------------------------------------------------------------------------------
def _standardise(x: torch.Tensor, train: slice) -> torch.Tensor:
    """States scaled per feature to zero mean and unit variance over the training part (so ``alpha`` is relative)."""
    ref = x[train].reshape(-1, x.shape[-1])
    return (x - ref.mean(0)) / ref.std(0).clamp(min=1e-300)


def sine_square_error(reservoir: Reservoir, n_train: int = 200, n_test: int = 100, seed: Seed = 0,
                      alpha: float = 1e-6, washout: int = 2) -> float:
    """Fraction of test points misclassified (readout trained on ``n_train`` periods, tested on ``n_test``)."""
    gen = make_generator(seed)
    u, y = sine_square(n_train + n_test, seed=gen)
    x = reservoir.states(u, seed=gen)[0]
    cut = n_train * POINTS_PER_PERIOD
    w = washout * POINTS_PER_PERIOD
    x = _standardise(x, slice(w, cut))
    ro = RidgeReadout(alpha).fit(x[w:cut], 2 * y[w:cut] - 1)
    pred = (ro.predict(x[cut:]).squeeze(1) > 0).to(torch.float64)
    return float((pred != y[cut:]).to(torch.float64).mean())


def narma10_nrmse(reservoir: Reservoir, n_train: int = 2000, n_test: int = 1000, seed: Seed = 0,
                  alpha: float = 1e-8, washout: int = 100) -> float:
    """Test NRMSE of NARMA-10 (reservoir input 4u − 1 ∈ [−1, 1])."""
    gen = make_generator(seed)
    u, y = narma10(washout + n_train + n_test, seed=gen)
    x = reservoir.states(4 * u - 1, seed=gen)[0]
    tr = slice(washout, washout + n_train)
    te = slice(washout + n_train, None)
    x = _standardise(x, tr)
    ro = RidgeReadout(alpha).fit(x[tr], y[tr])
    return nrmse(ro.predict(x[te]), y[te])


def memory_capacity(reservoir: Reservoir, max_delay: int = 30, n_train: int = 2000, n_test: int = 1000,
                    seed: Seed = 0, alpha: float = 1e-8, washout: int = 100) -> tuple[float, list[float]]:
    """(MC, r² per delay k = 1..max_delay) for u ~ U[−1, 1]."""
    gen = make_generator(seed)
    length = washout + n_train + n_test
    u = torch.rand(length, generator=gen, dtype=torch.float64) * 2 - 1
    x = _standardise(reservoir.states(u, seed=gen)[0], slice(washout, washout + n_train))
    r2 = []
    for k in range(1, max_delay + 1):
        tr = slice(washout, washout + n_train)
        te = slice(washout + n_train, length)
        target = torch.roll(u, k)
        ro = RidgeReadout(alpha).fit(x[tr], target[tr])
        pred = ro.predict(x[te]).squeeze(1)
        c = torch.corrcoef(torch.stack([pred, target[te]]))[0, 1]
        r2.append(float(c**2) if torch.isfinite(c) else 0.0)
    return sum(r2), r2


def spoken_digit_accuracy(reservoir: Reservoir, n_per_class: int = 30, seed: Seed = 0, alpha: float = 1e-4,
                          train_fraction: float = 0.5, input_scale: float | None = None) -> float:
    """Test accuracy on the generated spoken-digit-like task (frame-wise readout, scores summed over frames).

    The reservoir takes 13 channels; features are multiplied by ``input_scale`` (default 1/√13, so a ±1 mask
    row sums them to order one).
    """
    gen = make_generator(seed)
    feats, labels = spoken_digits(n_per_class, seed=gen)
    scale = input_scale if input_scale is not None else 1 / math.sqrt(feats.shape[-1])
    x = reservoir.states(feats * scale, seed=gen)  # (n, frames, N)
    n_tr = int(train_fraction * len(labels))
    x = _standardise(x, slice(0, n_tr))
    onehot = torch.nn.functional.one_hot(labels, 10).to(torch.float64)
    target = onehot[:, None, :].expand(-1, x.shape[1], -1)
    ro = RidgeReadout(alpha).fit(x[:n_tr], target[:n_tr])
    score = ro.predict(x[n_tr:]).sum(1)
    return float((score.argmax(1) == labels[n_tr:]).to(torch.float64).mean())
