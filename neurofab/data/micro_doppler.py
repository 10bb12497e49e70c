"""Synthetic micro-Doppler maps of four hand gestures: a substitute for μBrain's radar data set (seed 001 l. 818–832),
which is not public.

A map is a (Doppler bins × time bins) power image: the torso's return at zero velocity, plus the hand's return as a
Gaussian ridge that follows the gesture's radial-velocity trajectory v(t), plus exponential (speckle-like) noise.
The classes follow the seed's gestures (l. 822): 0 hello (waving: fast oscillation, small amplitude), 1 toward
(palm toward and away: one slow full period, large amplitude), 2 horizontal (arm swing across the beam: slow
oscillation of both signs with a broad ridge), 3 background (torso and noise only). Amplitude, period, phase and
ridge width vary per sample. This generator only stands in for the measured maps: accuracies on it say nothing about
the seed's 93.4 %.
"""

from __future__ import annotations

import math

import torch

from neurofab.core import ConfigError, make_generator

GESTURES = ("hello", "toward", "horizontal", "background")


def micro_doppler(n_per_class: int = 100, doppler_bins: int = 32, time_bins: int = 48, noise: float = 0.3,
                  seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(maps (N, doppler_bins, time_bins) float32 ≥ 0, labels (N,) int64) for the four gestures, shuffled."""
    if n_per_class < 1 or doppler_bins < 8 or time_bins < 8 or noise < 0:
        raise ConfigError("micro_doppler: need n_per_class ≥ 1, doppler_bins ≥ 8, time_bins ≥ 8, noise ≥ 0")
    gen = make_generator(seed)
    n = 4 * n_per_class
    labels = torch.arange(4).repeat_interleave(n_per_class)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, 1, generator=gen)  # noqa: E731
    t = torch.linspace(0.0, 1.0, time_bins).unsqueeze(0)
    period = torch.where(labels[:, None] == 0, u(0.15, 0.25), torch.where(labels[:, None] == 1, u(0.8, 1.2),
                                                                           u(0.45, 0.6)))
    amp = torch.where(labels[:, None] == 0, u(0.2, 0.35), torch.where(labels[:, None] == 1, u(0.6, 0.85),
                                                                       u(0.4, 0.6)))
    width = torch.where(labels[:, None] == 2, u(0.08, 0.12), u(0.03, 0.05))
    v = amp * torch.sin(2 * math.pi * t / period + u(0.0, 2 * math.pi))  # normalized velocity in [−1, 1]
    vel = torch.linspace(-1.0, 1.0, doppler_bins).view(1, doppler_bins, 1)
    hand = torch.exp(-0.5 * ((vel - v.unsqueeze(1)) / width.unsqueeze(1)) ** 2)
    hand = torch.where((labels == 3).view(n, 1, 1), torch.zeros_like(hand), hand)
    torso = torch.exp(-0.5 * (vel / 0.04) ** 2).expand(n, doppler_bins, time_bins)
    speckle = -torch.log(torch.rand(n, doppler_bins, time_bins, generator=gen).clamp(min=1e-12))
    maps = (torso + hand) + noise * speckle
    perm = torch.randperm(n, generator=gen)
    return maps[perm].to(torch.float32), labels[perm]
