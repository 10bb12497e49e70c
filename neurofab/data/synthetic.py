"""Synthetic tasks for systems whose data is not available here. Every generator takes a seed."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from neurofab.core import ConfigError, make_generator


@dataclass(frozen=True)
class Regression:
    """Inputs, targets and the teacher that produced them."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    teacher_weights: list[torch.Tensor]


def _positive(**kw: float) -> None:
    for k, v in kw.items():
        if v <= 0:
            raise ConfigError(f"{k} = {v!r}: must be > 0")


def teacher_student(n_in: int = 16, n_hidden: int = 0, n_out: int = 4, n_train: int = 1024, n_test: int = 256,
                    noise: float = 0.0, seed: int = 0, weight_scale: float = 1.0) -> Regression:
    """A regression task set by a random teacher network.

    ``n_hidden == 0``: a linear teacher y = W x; otherwise y = W₂ tanh(W₁ x). Inputs are uniform in [−1, 1];
    weights are normal with standard deviation ``weight_scale / sqrt(fan_in)``; ``noise`` is the standard deviation
    of Gaussian noise added to the training targets only.
    """
    _positive(n_in=n_in, n_out=n_out, n_train=n_train, n_test=n_test, weight_scale=weight_scale)
    if noise < 0 or n_hidden < 0:
        raise ConfigError(f"noise = {noise!r}, n_hidden = {n_hidden!r}: must be >= 0")
    gen = make_generator(seed)
    dims = [n_in, n_hidden, n_out] if n_hidden else [n_in, n_out]
    weights = [torch.randn(o, i, generator=gen) * weight_scale / math.sqrt(i) for i, o in itertools.pairwise(dims)]

    def teacher(x: torch.Tensor) -> torch.Tensor:
        h = x
        for k, w in enumerate(weights):
            h = h @ w.T
            if k < len(weights) - 1:
                h = torch.tanh(h)
        return h

    x_tr = torch.rand(n_train, n_in, generator=gen) * 2 - 1
    x_te = torch.rand(n_test, n_in, generator=gen) * 2 - 1
    y_tr = teacher(x_tr) + noise * torch.randn(n_train, n_out, generator=gen)
    return Regression(x_tr, y_tr, x_te, teacher(x_te), weights)


def waves(
    kind: str = "sine", n_samples: int = 256, length: int = 100, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sine or square waves with random frequency (1–5 cycles per sequence) and phase: (samples × length, freq)."""
    _positive(n_samples=n_samples, length=length)
    if kind not in ("sine", "square"):
        raise ConfigError(f"kind = {kind!r}: must be 'sine' or 'square'")
    gen = make_generator(seed)
    freq = 1 + 4 * torch.rand(n_samples, 1, generator=gen)
    phase = 2 * math.pi * torch.rand(n_samples, 1, generator=gen)
    t = torch.linspace(0, 1, length).unsqueeze(0)
    s = torch.sin(2 * math.pi * freq * t + phase)
    return (torch.sign(s) if kind == "square" else s), freq.squeeze(1)


def char_sequences(n_sequences: int = 512, length: int = 32, vocab: int = 16, order: int = 2,
                   seed: int = 0) -> torch.Tensor:
    """Sequences of token ids from a random sparse Markov chain of the given ``order`` (a char-LM stand-in)."""
    _positive(n_sequences=n_sequences, length=length, vocab=vocab, order=order)
    gen = make_generator(seed)
    n_ctx = vocab**order
    logits = torch.randn(n_ctx, vocab, generator=gen) * 3.0
    probs = torch.softmax(logits, dim=1)
    seqs = torch.empty(n_sequences, length, dtype=torch.int64)
    seqs[:, :order] = torch.randint(0, vocab, (n_sequences, order), generator=gen)
    for t in range(order, length):
        ctx = torch.zeros(n_sequences, dtype=torch.int64)
        for k in range(order):
            ctx = ctx * vocab + seqs[:, t - order + k]
        seqs[:, t] = torch.multinomial(probs[ctx], 1, generator=gen).squeeze(1)
    return seqs
