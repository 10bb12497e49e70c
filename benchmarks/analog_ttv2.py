"""One 512×512 analog layer trained with TTv2 on a ReRAM soft-bounds device, batch 64: step time beside aihwkit's.

Both sides use the configuration of aihwkit 1.1's ``TTv2ReRamSBPreset`` (values from its published presets):

- device of A and C (neurofab's ``reram_soft_bounds`` preset): soft bounds, dw_min 0.002, bounds −0.75 / 1.25
  (d2d 0.3 absolute on each), dw_min d2d 0.3, up/down d2d 0.01, additive c2c 3.75·dw_min, write noise
  56·dw_min, each read against a reference at its own symmetry point
  (``ReRamSBPresetDevice(subtract_symmetry_point=True)``);
- forward and backward periphery: 7-bit DAC, 9-bit ADC, output noise 0.1, output bound 20, abs-max noise
  management, iterative bound management; transfer read: the same without noise and bound management;
- A update: stochastic pulse trains, BL ≤ 31 with update and BL management; the A learning rate is the
  preset's auto-scaled one, fast_lr·BL·dw_min / (⟨max|x|⟩⟨max|δ|⟩) with fast_lr = 0.5 (aihwkit keeps a running
  average of the maxima; here the averages over the benchmark's batch are used);
- transfer: TTv2's buffer, one column per sample (``transfer_every = 1`` mat-vec), one pulse at most per read
  (transfer BL 1), buffer reset after a pulse (momentum 0); buffer threshold auto_granularity = 1000:
  dw_min·1000/(512·1) per pulse, so η_c = lr·512/1000 in C-weight units per unit of A read (lr = 0.05).

neurofab runs the step (forward + backward + A update + 64 column transfers) with per-pulse pulse trains and
with the expected-value update; aihwkit 1.1 runs in the same process tree (``AIHWKIT_PYTHON``, default
``/tmp/anchors-aihw/bin/python``). Interleaved rounds, best of each (the machine is shared). Last line:
``ratio vs aihwkit: X`` (aihwkit step time / neurofab per-pulse step time).

    PYTHONPATH=$PWD python benchmarks/analog_ttv2.py [--threads 1] [--steps 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time

import torch
from _peer import AIHWKIT, print_step_times, run_peer

LR = 0.05
FAST_LR = 0.5
BL = 31
DW_MIN = 0.002
AUTO_GRANULARITY = 1000.0

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import sys, time, torch
    from aihwkit.nn import AnalogLinear
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.presets import TTv2ReRamSBPreset
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]))
    steps = int(sys.argv[2])
    layer = AnalogLinear(512, 512, bias=False, rpu_config=TTv2ReRamSBPreset())
    opt = AnalogSGD(layer.parameters(), lr=float(sys.argv[3]))
    opt.regroup_param_groups(layer)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 512, generator=gen)
    g = torch.randn(64, 512, generator=gen) * 1e-3
    def step():
        opt.zero_grad()
        (layer(x) * g).sum().backward()
        opt.step()
    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    print((time.perf_counter() - t) / steps)
    """
)


def preset_io(managed: bool = True):
    """aihwkit 1.1 ``PresetIOParameters``; ``managed=False``: noise and bound management off (transfer read)."""
    from neurofab.crossbar import IOConfig

    return IOConfig(
        inp_bits=7, out_bits=9, out_bound=20.0, out_noise=0.1,
        noise_management="abs_max" if managed else "none", bound_management="iterative" if managed else "none",
    )


def neurofab_step_time(mode: str, steps: int, x: torch.Tensor, g: torch.Tensor) -> tuple[float, int]:
    from neurofab.analog import AnalogLinear, AnalogSGD
    from neurofab.analog.optimizers import use_algorithm
    from neurofab.crossbar import TileConfig, UpdateConfig
    from neurofab.crossbar.compound import CompoundConfig, TransferConfig
    from neurofab.devices import device_presets

    tile = TileConfig(
        device=device_presets.create("reram_soft_bounds"), forward=preset_io(), backward=preset_io(),
        update=UpdateConfig(mode=mode, desired_bl=BL),
    )
    layer = AnalogLinear(512, 512, bias=False, config=tile, seed=0)
    ttv2 = CompoundConfig(
        a_reference="symmetry_point", c_reference="symmetry_point", zero_shift_pairs=0,
        transfer=TransferConfig(mode="buffered", every=1, lr=LR * 512 / AUTO_GRANULARITY, io=preset_io(False)),
    )
    use_algorithm(layer, ttv2, seed=0)
    lr_a = FAST_LR * BL * DW_MIN / (float(x.abs().amax(1).mean()) * float(g.abs().amax(1).mean()))
    opt = AnalogSGD(layer.parameters(), lr=lr_a)

    def step() -> None:
        opt.zero_grad()
        (layer(x) * g).sum().backward()
        opt.step()

    step()  # warm-up (compiled kernels, caches)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = (time.perf_counter() - t) / steps
    return elapsed, layer.tiles.tiles[0].transfers


def aihwkit_step_time(threads: int, steps: int) -> float | None:
    out = run_peer(*AIHWKIT, AIHWKIT_SCRIPT, threads, steps, LR, timeout=3600)
    return None if out is None else float(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20, help="expected-value steps per round")
    parser.add_argument("--pulse-steps", type=int, default=3, help="per-pulse steps per round (≈ 2 s each)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--peer-steps", type=int, default=5, help="aihwkit steps per round (≈ 0.4 s each)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 512, generator=gen)
    g = torch.randn(64, 512, generator=gen) * 1e-3
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for mode, steps in (("stochastic", args.pulse_steps), ("expected", args.steps)):
            t, transfers = neurofab_step_time(mode, steps, x, g)
            best[mode] = min(best.get(mode, float("inf")), t)
        peer = aihwkit_step_time(args.threads, args.peer_steps)
        if peer is not None:
            best["aihwkit"] = min(best.get("aihwkit", float("inf")), peer)
    print(f"512×512 AnalogLinear, TTv2 (aihwkit TTv2ReRamSBPreset settings), batch 64, {args.threads} thread(s), "
          f"best of {args.rounds} rounds; 64 column transfers per step ({transfers} in {args.steps + 1} steps)")
    print_step_times(best, "aihwkit 1.1 TTv2ReRamSBPreset")


if __name__ == "__main__":
    sys.exit(main())
