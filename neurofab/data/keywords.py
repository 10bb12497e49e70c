"""Synthetic keyword-spotting features: a substitute for the filterbank spike counts of Chundi et al. 2021
(seed 001 l. 2234–2240), whose GSCD/HeySnips front-end outputs are not available here.

The seed's front end gives, per 80 ms frame, the spike counts of 16 band-pass channels (100 Hz – 5 kHz); the
classifier sees the current and 15 previous frames (16 × 16 = 256 inputs, 6-bit counts). Here each keyword class is a
template of smooth formant-like tracks over the 16 frames (two or three Gaussian bumps in channel whose centres
drift linearly in time, drawn once per class from the class seed); a sample shifts its template by up to ±1 frame,
scales its loudness, and adds Poisson-like count noise. Counts are clipped to 0…63. Accuracy on these features says
nothing about the seed's 91.8 % / 95.8 %.
"""

from __future__ import annotations

import torch

from neurofab.core import ConfigError, make_generator


def keyword_counts(n_classes: int = 4, n_per_class: int = 150, channels: int = 16, frames: int = 16,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(counts (N, frames·channels) int64 in 0…63, frame-major; labels (N,) int64), shuffled."""
    if n_classes < 2 or n_per_class < 1 or channels < 4 or frames < 4:
        raise ConfigError("keyword_counts: need n_classes ≥ 2, n_per_class ≥ 1, channels ≥ 4, frames ≥ 4")
    gen = make_generator(seed)
    ch = torch.arange(channels, dtype=torch.float32).view(1, 1, channels)
    fr = torch.arange(frames, dtype=torch.float32).view(1, frames, 1)
    templates = []
    for _ in range(n_classes):
        k = 3
        start = torch.rand(k, generator=gen) * (channels - 1)
        drift = (torch.rand(k, generator=gen) - 0.5) * channels / frames
        onset = torch.randint(0, frames // 4, (k,), generator=gen).float()
        length = frames / 2 + torch.rand(k, generator=gen) * frames / 2
        centre = start.view(k, 1, 1) + drift.view(k, 1, 1) * fr
        on = ((fr >= onset.view(k, 1, 1)) & (fr < (onset + length).view(k, 1, 1))).float()
        templates.append((torch.exp(-0.5 * ((ch - centre) / 1.2) ** 2) * on).sum(0))
    tmpl = torch.stack(templates)  # (C, frames, channels)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    n = len(labels)
    shift = torch.randint(-1, 2, (n,), generator=gen)
    base = torch.stack([torch.roll(tmpl[c], int(s), dims=0) for c, s in zip(labels.tolist(), shift.tolist())])
    loud = 25.0 + 20.0 * torch.rand(n, 1, 1, generator=gen)
    mean = loud * base + 2.0
    counts = torch.poisson(mean, generator=gen).clamp(0, 63).to(torch.int64)
    perm = torch.randperm(n, generator=gen)
    return counts[perm].reshape(n, frames * channels), labels[perm]
