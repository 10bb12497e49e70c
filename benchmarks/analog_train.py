"""Analog training throughput: MLP 784-256-128-10 (sigmoid), SoftBounds devices, AnalogSGD, batch 64.

Prints training samples/s for neurofab with per-pulse stochastic updates and with the expected-value update
(each on the compiled CPU kernels and on the torch fallback that runs on any device, forced on CPU),
for the same network trained digitally (the ceiling), and — in the same run — for IBM aihwkit 1.1 running the
same workload (its interpreter from ``AIHWKIT_PYTHON``, default ``/tmp/anchors-aihw/bin/python``). Both use the
same number of torch threads (``--threads``). The last line is ``ratio vs aihwkit: X`` (per-pulse mode).

    PYTHONPATH=$PWD python benchmarks/analog_train.py [--threads 1] [--batches 40]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time

import torch
from _peer import AIHWKIT, run_peer
from torch import nn

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import sys, time, torch
    from torch import nn
    from aihwkit.nn import AnalogLinear, AnalogSequential
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import SoftBoundsDevice
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]))
    n_batches = int(sys.argv[2])
    cfg = SingleRPUConfig(device=SoftBoundsDevice())
    model = AnalogSequential(AnalogLinear(784, 256, rpu_config=cfg), nn.Sigmoid(),
                             AnalogLinear(256, 128, rpu_config=cfg), nn.Sigmoid(),
                             AnalogLinear(128, 10, rpu_config=cfg))
    opt = AnalogSGD(model.parameters(), lr=0.05)
    opt.regroup_param_groups(model)
    x = torch.rand(64 * n_batches, 784)
    y = torch.randint(0, 10, (64 * n_batches,))
    lossf = nn.CrossEntropyLoss()
    def epoch():
        for i in range(0, len(x), 64):
            opt.zero_grad()
            lossf(model(x[i:i + 64]), y[i:i + 64]).backward()
            opt.step()
    epoch()
    for _ in range(int(sys.argv[3])):
        t = time.perf_counter()
        epoch()
        print(len(x) / (time.perf_counter() - t), flush=True)
    """
)


def network(analog: bool, mode: str = "stochastic") -> nn.Module:
    if not analog:
        return nn.Sequential(nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 128), nn.Sigmoid(), nn.Linear(128, 10))
    from neurofab.analog import AnalogLinear
    from neurofab.crossbar import TileConfig, UpdateConfig
    from neurofab.devices import SoftBounds

    cfg = TileConfig(device=SoftBounds(), update=UpdateConfig(mode=mode))
    return nn.Sequential(
        AnalogLinear(784, 256, config=cfg, seed=1), nn.Sigmoid(),
        AnalogLinear(256, 128, config=cfg, seed=2), nn.Sigmoid(),
        AnalogLinear(128, 10, config=cfg, seed=3),
    )


def samples_per_second(model: nn.Module, analog: bool, n_batches: int, repeats: int = 3) -> float:
    from neurofab.analog import AnalogSGD

    opt = AnalogSGD(model.parameters(), lr=0.05) if analog else torch.optim.SGD(model.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64 * n_batches, 784, generator=gen)
    y = torch.randint(0, 10, (64 * n_batches,), generator=gen)
    lossf = nn.CrossEntropyLoss()

    def epoch() -> None:
        for i in range(0, len(x), 64):
            opt.zero_grad()
            lossf(model(x[i : i + 64]), y[i : i + 64]).backward()
            opt.step()

    epoch()  # warm-up (numba compile on a cold cache, allocations)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        epoch()
        best = max(best, len(x) / (time.perf_counter() - t))
    return best


def aihwkit_samples_per_second(threads: int, n_batches: int, repeats: int) -> float | None:
    out = run_peer(*AIHWKIT, AIHWKIT_SCRIPT, threads, n_batches, repeats, timeout=1800)
    return None if out is None else max(float(v) for v in out.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both simulators")
    parser.add_argument("--batches", type=int, default=40, help="batches of 64 per timed epoch")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved measurement rounds (best kept)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"MLP 784-256-128-10, SoftBounds, batch 64, {args.threads} thread(s), {args.batches} batches per epoch;")
    print(f"best of {args.rounds} interleaved rounds (the machine is shared: compare ratios from one run)")
    from neurofab.core.backend import torch_only_mode

    models = {
        "digital": (network(False), False, False),
        "expected": (network(True, "expected"), True, False),
        "pulsed": (network(True, "stochastic"), True, False),
        "expected torch": (network(True, "expected"), True, True),
        "pulsed torch": (network(True, "stochastic"), True, True),
    }
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, (model, analog, fallback) in models.items():
            with torch_only_mode(fallback):
                best[name] = max(best.get(name, 0.0), samples_per_second(model, analog, args.batches, repeats=1))
        peer = aihwkit_samples_per_second(args.threads, args.batches, 1)
        if peer is not None:
            best["aihwkit"] = max(best.get("aihwkit", 0.0), peer)
    digital, expected, pulsed = best["digital"], best["expected"], best["pulsed"]
    print(f"digital (torch, same network) train samples/s: {digital:,.0f}")
    print(f"neurofab expected-value update train samples/s: {expected:,.0f}")
    print(f"neurofab per-pulse stochastic update train samples/s: {pulsed:,.0f}")
    for name, compiled in (("expected", expected), ("pulsed", pulsed)):
        fallback = best[name + " torch"]
        print(f"neurofab {name} update, torch fallback (as on a GPU, run on CPU) train samples/s: {fallback:,.0f}"
              f"   compiled / fallback: {compiled / fallback:.2f}x")
    peer = best.get("aihwkit")
    if peer is not None:
        print(f"aihwkit 1.1 train samples/s: {peer:,.0f}")
        print(f"expected-value mode ratio vs aihwkit: {expected / peer:.2f}")
    print(f"ratio vs digital (ceiling): per-pulse {pulsed / digital:.3f}, expected-value {expected / digital:.3f}")
    if peer is not None:
        print(f"ratio vs aihwkit: {pulsed / peer:.2f}")
    else:
        print("ratio vs aihwkit: skipped (peer absent)")


if __name__ == "__main__":
    sys.exit(main())
