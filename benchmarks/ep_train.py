"""Equilibrium propagation: samples/s of EP and of BPTT training on the MNIST MLP shape, and the free phase's time
against this machine's matmul ceiling.

Shape 784-512-10 (squared error, σ = sigmoid), batch 128, T = 30 free steps, K = 10 nudged steps (symmetric EP:
two nudged phases; BPTT: backpropagation through the last K of the T steps). Inputs are uniform in [0, 1] (the
arithmetic does not depend on the pixels). The ceiling is measured in the same run as in
``../shared/anchors/machine_limits.py`` (dense fp32 2048³ matmul). The free phase's arithmetic: W₁x once per phase
(x is static), then per step W₂ s¹ and W₂ᵀ s² (2 · B · 512 · 10 each).

    python benchmarks/ep_train.py [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

from neurofab.learning import ConvergentNet, EPConfig, EPTrainConfig, EPTrainer


def matmul_gflops(n: int = 2048, reps: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def timed(fn, reps: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    B, T, K = args.batch, 30, 10
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(B, 784, generator=g), torch.randint(0, 10, (B,), generator=g)
    ep = EPConfig(T=T, K=K, beta=0.5, estimator="symmetric")
    rates = {}
    for method in ("ep", "bptt"):
        tr = EPTrainer(ConvergentNet([784, 512, 10], activation="sigmoid"), ep,
                       EPTrainConfig(method=method, lrs=(0.05, 0.02), momentum=0.9))
        dt = timed(lambda tr=tr: tr.apply(tr.gradient(x, y)), args.reps)
        rates[method] = B / dt
        print(f"{method:5s} training: {B / dt:9.0f} samples/s  ({dt * 1e3:.1f} ms per batch of {B})")
    print(f"EP / BPTT samples/s: {rates['ep'] / rates['bptt']:.2f}×")

    net = ConvergentNet([784, 512, 10], activation="sigmoid")
    t_free = timed(lambda: net.relax(x, net.zero_state(B), T), args.reps)
    flops = 2 * B * 784 * 512 + T * (2 * 2 * B * 512 * 10)
    ceiling = matmul_gflops()
    t_ceiling = flops / (ceiling * 1e9)
    print(f"matmul ceiling ({args.threads} thread(s)): {ceiling:.1f} GFLOP/s")
    print(f"free phase (T = {T}): {t_free * 1e3:.2f} ms for {flops / 1e6:.1f} MFLOP → "
          f"{flops / t_free / 1e9:.1f} GFLOP/s, {t_free / t_ceiling:.2f}× the ceiling's time")


if __name__ == "__main__":
    main()
