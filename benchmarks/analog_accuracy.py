"""Analog training accuracy beside aihwkit's: MLP 784-256-128-10 (sigmoid) on the MNIST test set split 8,000/2,000.

Both simulators train the same network with the same device (SoftBounds, then ConstantStep, each with its
aihwkit-default parameters), the same IO (aihwkit's default ``IOParameters``: 7-bit DAC, 9-bit ADC, output noise
0.06, output bound 12, abs-max noise management, iterative bound management forward) and the same pulsed update
(stochastic compressed trains, BL ≤ 31 with update and BL management), AnalogSGD, batch size, learning rate and
epochs. The split comes from neurofab's loader and is handed to the aihwkit process as a temporary .npz file.
Reported: test accuracy after the last epoch, mean ± std over seeds, per simulator and device, and the
difference paired by seed (same split and data order in both simulators) with its
standard error: in slow-learning regimes (soft bounds) one seed's difference spreads by several points.

    PYTHONPATH=$PWD python benchmarks/analog_accuracy.py [--epochs 10] [--seeds 3] [--lr 0.1] [--batch 64]
        [--devices soft_bounds,constant_step] [--bound 0.6]

``--suite converted-drift``: inference only, on the same trained LeNet weights (trained by neurofab or by
aihwkit, ``--trained-by``) in both simulators: accuracy, and per tile the drift-compensation factor, the drift
gain of the read weights and the error of the compensated weights (the intermediate quantities of the PCM model).

``--suite converted``: a LeNet (Conv2d, BatchNorm, Linear) and a row-by-row LSTM converted whole, trained with
analog SGD and with Adam (under Adam the tiles in their own parameter groups at the network's SGD rate, as
aihwkit's AnalogAdam allows), then PCM inference at 1 s / 1 h / 1 day / 1 month with global drift compensation, beside
aihwkit on the same networks, initial weights and data order (benchmarks/_converted_accuracy.py). Quick default:
the bundled 8×8 digits, 8 epochs, seeds 0–2; ``--data-set mnist`` uses the MNIST split above.

    PYTHONPATH=$PWD python benchmarks/analog_accuracy.py --suite converted [--epochs 3] [--seeds 3] [--batch 32]
        [--archs lenet,lstm] [--lrs lenet/sgd=0.05,...] [--adam-tiles sgd-rate|adam-rate] [--repeats 5]
        [--data-set digits|mnist]
    PYTHONPATH=$PWD python benchmarks/analog_accuracy.py --suite converted-drift [--seeds 6] [--repeats 20]
        [--trained-by neurofab|aihwkit] [--drift-of net|devices]

aihwkit's interpreter: ``AIHWKIT_PYTHON`` (default ``/tmp/anchors-aihw/bin/python``); skipped when absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
from _peer import AIHWKIT, run_peer
from torch import nn

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import json, sys, numpy as np, torch
    from torch import nn
    from aihwkit.nn import AnalogLinear, AnalogSequential
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice, SoftBoundsDevice
    path, device = sys.argv[1], sys.argv[2]
    seed, epochs, lr, batch = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    bound, perfect = float(sys.argv[7]), sys.argv[8] == "1"
    torch.set_num_threads(1)
    data = np.load(path)
    xtr, ytr, xte, yte = (torch.from_numpy(data[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    torch.manual_seed(seed)
    dev = (SoftBoundsDevice if device == "soft_bounds" else ConstantStepDevice)(w_min=-bound, w_max=bound)
    cfg = SingleRPUConfig(device=dev)
    cfg.forward.is_perfect = cfg.backward.is_perfect = perfect
    model = AnalogSequential(AnalogLinear(784, 256, rpu_config=cfg), nn.Sigmoid(),
                             AnalogLinear(256, 128, rpu_config=cfg), nn.Sigmoid(),
                             AnalogLinear(128, 10, rpu_config=cfg))
    opt = AnalogSGD(model.parameters(), lr=lr)
    opt.regroup_param_groups(model)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(json.dumps({"accuracy": acc}))
    """
)


def train_neurofab(
    split, device: str, seed: int, epochs: int, lr: float, batch: int, bound: float, perfect: bool = False
) -> float:
    from neurofab.analog import AnalogLinear, AnalogSGD
    from neurofab.crossbar import IOConfig, TileConfig
    from neurofab.devices import ConstantStep, SoftBounds

    cfg = TileConfig(device=(SoftBounds if device == "soft_bounds" else ConstantStep)(w_min=-bound, w_max=bound))
    if perfect:
        cfg = cfg.replace(forward=IOConfig.perfect(), backward=IOConfig.perfect())
    seeds = [seed * 10 + k for k in range(3)]
    model = nn.Sequential(
        AnalogLinear(784, 256, config=cfg, seed=seeds[0]), nn.Sigmoid(),
        AnalogLinear(256, 128, config=cfg, seed=seeds[1]), nn.Sigmoid(),
        AnalogLinear(128, 10, config=cfg, seed=seeds[2]),
    )
    opt = AnalogSGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(split.x_train), generator=gen)
        for i in range(0, len(perm), batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(split.x_train[idx]), split.y_train[idx]).backward()
            opt.step()
    with torch.no_grad():
        return (model(split.x_test).argmax(1) == split.y_test).float().mean().item()


def train_aihwkit(
    path: Path, device: str, seed: int, epochs: int, lr: float, batch: int, bound: float, perfect: bool = False
) -> float | None:
    out = run_peer(*AIHWKIT, AIHWKIT_SCRIPT, path, device, seed, epochs, lr, batch, bound, int(perfect), timeout=7200)
    return None if out is None else json.loads(out.strip().splitlines()[-1])["accuracy"]


def summary(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    std = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {std:.2f} % ({', '.join(f'{100 * v:.2f}' for v in values)})"


def _lrs(text: str) -> dict[str, float]:
    return {k.strip(): float(v) for k, v in (item.split("=") for item in text.split(","))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=("mlp", "converted", "converted-drift"), default="mlp")
    parser.add_argument("--trained-by", choices=("neurofab", "aihwkit"), default="neurofab",
                        help="converted-drift suite: which simulator trains the LeNet whose weights both read")
    parser.add_argument("--drift-of", choices=("net", "devices"), default="net",
                        help="converted-drift suite: neurofab's PCM drift of the re-split weight or of each device")
    parser.add_argument("--archs", default="lenet,lstm", help="converted suite: networks")
    parser.add_argument("--lrs", default="lenet/sgd=0.05,lenet/adam=0.01,lstm/sgd=1.0,lstm/adam=0.05",
                        help="converted suite: learning rate per network/optimizer")
    parser.add_argument("--adam-tiles", choices=("sgd-rate", "adam-rate"), default="sgd-rate",
                        help="converted suite: under Adam the tiles' pulsed update runs at the network's SGD rate "
                        "(own parameter group) or at Adam's rate")
    parser.add_argument("--repeats", type=int, default=5, help="converted suite: programmings per seed")
    parser.add_argument("--data-set", choices=("digits", "mnist"), default="digits", help="converted suite data")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 10; converted suite 8)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 64; converted suite 32)")
    parser.add_argument("--devices", default="soft_bounds,constant_step")
    parser.add_argument("--bound", type=float, default=0.6, help="device bounds ±w_max (aihwkit default 0.6)")
    parser.add_argument("--perfect-io", action="store_true", help="perfect periphery both ways, in both simulators")
    parser.add_argument("--data", default=None, help="MNIST folder (default: NEUROFAB_DATA or ../shared/data/mnist)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from neurofab.data import digits, mnist_split

    converted = args.suite.startswith("converted")
    args.epochs = args.epochs or (8 if converted else 10)
    args.batch = args.batch or (32 if converted else 64)
    if converted and args.data_set == "digits":
        import _converted_accuracy

        split = digits(flatten=False)
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        if args.suite == "converted-drift":
            _converted_accuracy.drift_check(split, _lrs(args.lrs)["lenet/sgd"], seeds, args.epochs, args.batch,
                                            args.repeats, args.trained_by, args.drift_of)
            return
        _converted_accuracy.run(split, args.archs.split(","), _lrs(args.lrs), seeds,
                                args.epochs, args.batch, args.repeats, args.adam_tiles)
        return

    default_root = Path(__file__).resolve().parents[2] / "shared/data/mnist"
    root = args.data or os.environ.get("NEUROFAB_DATA") or str(default_root)
    if not Path(root).exists():
        root = "/work/shared/data/mnist"
    split = mnist_split(root, n_train=8000, seed=0)
    if converted:
        import _converted_accuracy

        split = dataclasses.replace(split, x_train=split.x_train.reshape(-1, 1, 28, 28),
                                    x_test=split.x_test.reshape(-1, 1, 28, 28))
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        _converted_accuracy.run(split, args.archs.split(","), _lrs(args.lrs), seeds,
                                args.epochs, args.batch, args.repeats, args.adam_tiles)
        return
    print(f"MNIST test set split 8,000/2,000 (seed 0); MLP 784-256-128-10 sigmoid; batch {args.batch}, lr {args.lr},"
          f" {args.epochs} epochs, {args.seeds} seeds; bounds ±{args.bound}"
          + ("; perfect IO" if args.perfect_io else ""))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mnist_split.npz"
        np.savez(path, x_train=split.x_train.numpy(), y_train=split.y_train.numpy(),
                 x_test=split.x_test.numpy(), y_test=split.y_test.numpy())
        results = {}
        for device in args.devices.split(","):
            ours, peer = [], []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                t = time.perf_counter()
                ours.append(train_neurofab(split, device, seed, args.epochs, args.lr, args.batch, args.bound,
                                          args.perfect_io))
                t_ours = time.perf_counter() - t
                t = time.perf_counter()
                acc = train_aihwkit(path, device, seed, args.epochs, args.lr, args.batch, args.bound, args.perfect_io)
                t_peer = time.perf_counter() - t
                if acc is not None:
                    peer.append(acc)
                print(f"  {device} seed {seed}: neurofab {100 * ours[-1]:.2f} % ({t_ours:.0f} s)"
                      + (f", aihwkit {100 * acc:.2f} % ({t_peer:.0f} s)" if acc is not None else ", aihwkit skipped"),
                      flush=True)
            results[device] = (ours, peer)
        for device, (ours, peer) in results.items():
            print(f"{device}: neurofab {summary(ours)}")
            if peer:
                gap = 100 * (statistics.fmean(ours) - statistics.fmean(peer))
                print(f"{device}: aihwkit  {summary(peer)}; difference {gap:+.2f} points")
                if len(peer) == len(ours) and len(ours) > 1:
                    diffs = [100 * (a - b) for a, b in zip(ours, peer, strict=True)]
                    sd = statistics.stdev(diffs)
                    print(f"{device}: paired difference {statistics.fmean(diffs):+.2f} ± {sd / len(diffs) ** 0.5:.2f}"
                          f" points (standard error; per-seed std {sd:.2f}; {', '.join(f'{v:+.2f}' for v in diffs)})")
            else:
                print(f"{device}: aihwkit skipped (no interpreter; set AIHWKIT_PYTHON)")


if __name__ == "__main__":
    sys.exit(main())
