"""Reservoir benchmark: oscillator virtual-node updates per second and chip-in-the-loop iterations per second.

- Oscillator: a batch of B independent oscillators (24 virtual nodes each, 4 noise sub-steps per node) driven by
  T input steps; the figure is virtual-node updates (B · T · 24) per wall second of ``states``, after a warm-up
  call that compiles the kernel. Noise-free runs (one exact step per node) are timed too.
- Chip in the loop: one iteration = program a 64-64-10 chip, run a 256-sample batch forward, backpropagate through
  the software model, coarsen, Adam step; iterations per wall second over 200 iterations, per gradient mode.

Usage:  PYTHONPATH=. python benchmarks/reservoir.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from neurofab.data import digits
from neurofab.reservoir.chip import MismatchedChip
from neurofab.reservoir.in_the_loop import RateNetwork, train_in_the_loop
from neurofab.reservoir.oscillator import OscillatorReservoir, OscillatorReservoirConfig
from neurofab.reservoir.stno import TORREJON_VORTEX


def oscillator(batch: int, steps: int, noise: bool) -> float:
    osc = TORREJON_VORTEX if noise else TORREJON_VORTEX.replace(thermal_power=0.0)
    res = OscillatorReservoir(OscillatorReservoirConfig(), oscillator=osc)
    u = torch.rand(batch, steps, generator=torch.Generator().manual_seed(0)) * 2 - 1
    res.states(u[:1, :10], seed=0)  # compile
    t0 = time.perf_counter()
    res.states(u, seed=1)
    return batch * steps * res.n_features / (time.perf_counter() - t0)


def in_the_loop(mode: str, iterations: int = 200) -> float:
    split = digits(seed=0)
    net = RateNetwork.init([64, 64, 10], 0)
    chip = MismatchedChip([64, 64, 10], seed=0)
    train_in_the_loop(chip, net, split.x_train, split.y_train, 2, 256, gradient=mode)  # warm-up
    t0 = time.perf_counter()
    train_in_the_loop(chip, net, split.x_train, split.y_train, iterations, 256, gradient=mode)
    return iterations / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {args.threads}")
    for batch, steps in [(1, 10_000), (64, 1_000)]:
        for noise in (True, False):
            rate = oscillator(batch, steps, noise)
            print(f"oscillator, batch {batch:3d} × {steps:6d} steps × 24 nodes, "
                  f"{'thermal noise (4 sub-steps)' if noise else 'noise-free (exact step)   '}: "
                  f"{rate / 1e6:7.2f} M virtual-node updates/s")
    for mode in ("exact", "sign", "bits:2"):
        print(f"chip in the loop, 64-64-10, batch 256, {mode:6s}: {in_the_loop(mode):7.1f} iterations/s")


if __name__ == "__main__":
    main()
