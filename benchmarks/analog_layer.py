"""One 512×512 analog layer, batch 64: forward + backward + pulsed update step time, beside aihwkit's.

SoftBounds devices with aihwkit-default parameters and IO; per-pulse stochastic update (and the expected-value
update) for neurofab; aihwkit 1.1 in the same run (``AIHWKIT_PYTHON``, default ``/tmp/anchors-aihw/bin/python``).
Interleaved rounds, best of each (the machine is shared). Last line: ``ratio vs aihwkit: X`` (per-pulse mode,
aihwkit time / neurofab time).

    PYTHONPATH=$PWD python benchmarks/analog_layer.py [--threads 1] [--steps 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time

import torch
from _peer import AIHWKIT, print_step_times, run_peer

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import sys, time, torch
    from aihwkit.nn import AnalogLinear
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import SoftBoundsDevice
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]))
    steps = int(sys.argv[2])
    layer = AnalogLinear(512, 512, bias=False, rpu_config=SingleRPUConfig(device=SoftBoundsDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    x = torch.rand(64, 512)
    g = torch.randn(64, 512) * 1e-3
    def step():
        opt.zero_grad()
        (layer(x) * g).sum().backward()
        opt.step()
    for _ in range(5):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    print((time.perf_counter() - t) / steps)
    """
)


def neurofab_step_time(mode: str, steps: int) -> float:
    from neurofab.analog import AnalogLinear, AnalogSGD
    from neurofab.crossbar import TileConfig, UpdateConfig
    from neurofab.devices import SoftBounds

    layer = AnalogLinear(512, 512, bias=False, config=TileConfig(device=SoftBounds(), update=UpdateConfig(mode=mode)))
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 512, generator=gen)
    g = torch.randn(64, 512, generator=gen) * 1e-3

    def step() -> None:
        opt.zero_grad()
        (layer(x) * g).sum().backward()
        opt.step()

    for _ in range(5):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def aihwkit_step_time(threads: int, steps: int) -> float | None:
    out = run_peer(*AIHWKIT, AIHWKIT_SCRIPT, threads, steps, timeout=1800)
    return None if out is None else float(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for mode in ("stochastic", "expected"):
            best[mode] = min(best.get(mode, float("inf")), neurofab_step_time(mode, args.steps))
        peer = aihwkit_step_time(args.threads, args.steps)
        if peer is not None:
            best["aihwkit"] = min(best.get("aihwkit", float("inf")), peer)
    print(f"512×512 AnalogLinear, SoftBounds, batch 64, {args.threads} thread(s), best of {args.rounds} rounds")
    print_step_times(best, "aihwkit 1.1")


if __name__ == "__main__":
    sys.exit(main())
