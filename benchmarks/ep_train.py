"""Equilibrium propagation: samples/s of EP and of BPTT training on the MNIST MLP shape, and the free phase's time
against this machine's matmul ceiling.

Shape 784-512-10 (squared error, σ = sigmoid), batch 128, T = 30 free steps, K = 10 nudged steps (symmetric EP:
two nudged phases; BPTT: backpropagation through the last K of the T steps). Inputs are uniform in [0, 1] (the
arithmetic does not depend on the pixels). The ceiling is measured in the same run as in
``../shared/anchors/machine_limits.py`` (dense fp32 2048³ matmul). The free phase's arithmetic: W₁x once per phase
(x is static), then per step W₂ s¹ and W₂ᵀ s² (2 · B · 512 · 10 each).

The free phase is timed in two layouts, interleaved, best of several rounds each: the library's loop (state stored
neurons × batch, :meth:`ConvergentNet._relax_dense`) and the same fused loop on the batch-major state (batch ×
neurons, the layout of the public API), with the ceiling measured before and after them; the ratio to the ceiling
uses the better of the two ceiling readings (the machine is shared).

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


def relax_batch_major(net: ConvergentNet, x: torch.Tensor, steps: int) -> list[torch.Tensor]:
    """The free phase with the state stored batch × neurons (2-layer sigmoid net): the reference layout."""
    p = net.params
    with torch.no_grad():
        w2, fb, b2 = 4 * p["W2"], 4 * p["W2"], 4 * p["b2"] - 2
        drive = torch.addmm(4 * p["b1"] - 2, x, p["W1"].T, alpha=4.0)
        s = net.zero_state(len(x))
        for _ in range(steps):
            u = torch.addmm(drive, s[1], fb).sigmoid_()
            v = torch.addmm(b2, s[0], w2.T).sigmoid_()
            s = [u, v]
    return s


def best_of(fn, reps: int, rounds: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


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
    ref, _ = net.relax(x, net.zero_state(B), T)
    gap = max(float((a - b).abs().max()) for a, b in zip(ref, relax_batch_major(net, x, T)))
    flops = 2 * B * 784 * 512 + T * (2 * 2 * B * 512 * 10)
    ceiling = matmul_gflops()
    t_lib, t_bm = float("inf"), float("inf")
    for _ in range(3):
        t_lib = min(t_lib, best_of(lambda: net.relax(x, net.zero_state(B), T), args.reps))
        t_bm = min(t_bm, best_of(lambda: relax_batch_major(net, x, T), args.reps))
    ceiling = max(ceiling, matmul_gflops())
    t_ceiling = flops / (ceiling * 1e9)
    print(f"matmul ceiling ({args.threads} thread(s)): {ceiling:.1f} GFLOP/s → {t_ceiling * 1e3:.2f} ms for the "
          f"free phase's {flops / 1e6:.1f} MFLOP")
    for name, t in (("neurons × batch (library)", t_lib), ("batch × neurons (reference)", t_bm)):
        print(f"free phase (T = {T}), state {name}: {t * 1e3:.2f} ms → {flops / t / 1e9:.1f} GFLOP/s, "
              f"{t / t_ceiling:.2f}× the ceiling's time")
    print(f"max |Δs| between the two layouts: {gap:.1e}")

if __name__ == "__main__":
    main()
