"""MONETA ConvSNN: images/s of inference and of stochastic-STDP learning under the three schedules, on the
moneta-learning quick network (8×8 digits, one layer of 16 filters) and on the full network's first layer at MNIST
size (28×28, 16 filters, 14×14 positions), 100 time steps each; with the time the MNIST split (8,000 images, one
STDP pass) would take at the measured rates.

    python benchmarks/moneta_learning.py [--threads N] [--images N]
"""

from __future__ import annotations

import argparse
import time

import torch

from neurofab.repro.moneta_learning import full_config, quick_config
from neurofab.systems.moneta_learning import SCHEDULES, ConvSNN


def rate(fn, n_images: int) -> float:
    t = time.perf_counter()
    fn()
    return n_images / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=64, help="images per timing (quick network; MNIST size: ÷4)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    for name, cfg, n in (("digits 8×8, CONV1 16 filters", quick_config(), args.images),
                         ("MNIST 28×28, CONV1 16 filters", full_config(), max(args.images // 4, 8))):
        imgs = torch.rand((n, 1, cfg.image_size, cfg.image_size), generator=gen)
        net = ConvSNN(cfg, seed=0)
        net.features(imgs[:2], 0)  # warm-up
        inf = rate(lambda net=net, imgs=imgs: net.forward(imgs, 0, upto=1), n)
        print(f"{name}: inference {inf:8.1f} images/s (batch {n}, {cfg.encoder.steps} steps)")
        for schedule in SCHEDULES:
            net = ConvSNN(cfg, seed=0)
            b = min(64, n)
            learn = rate(lambda net=net, imgs=imgs, s=schedule, b=b: net.learn_layer(imgs, 0, s, generator=0,
                                                                                      batch=b), n)
            print(f"{name}: learning, {schedule:10s} {learn:8.1f} images/s"
                  + (f"  → 8,000 images in {8000 / learn / 60:.1f} min" if "MNIST" in name else ""))


if __name__ == "__main__":
    main()
