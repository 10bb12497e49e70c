"""μBrain event throughput: the 256-64-10 4-bit network simulated event by event on a test set.

Data: the MNIST test set (``NEUROFAB_DATA``, else ../shared/data/mnist beside the repository or
/work/shared/data/mnist: 10,000 images,
28×28 → 16×16) when present, else the bundled digits (1,797 images, 8×8 → 16×16). The network is a bias-free
ReLU MLP trained briefly on the first half of the images (its accuracy does not matter here), quantized to 4 bits;
the chip runs with a 5 ns arbiter cycle at the printed input rates [100, 655 kHz] over a presentation of
``--t-max`` seconds (window readout, so every image gets the same number of input events).

Figure: events per wall second = (input events + neuron spikes) of all images / wall time of ``simulate``, after a
warm-up call (which compiles the kernel), with ``--threads`` threads (default: torch's count). Also prints the
synaptic operations (events × fan-out) per second.

Usage:  PYTHONPATH=. python benchmarks/ubrain_events.py [--t-max 1e-4] [--threads N]
Last line: ``events/s: X``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from neurofab.analog.hwa import fit
from neurofab.core import Ledger
from neurofab.data import digits, load_mnist
from neurofab.systems.ubrain import UBrainRun, ann_inputs, convert, mlp, simulate

REPO = Path(__file__).resolve().parent.parent


def _images() -> tuple[torch.Tensor, torch.Tensor, str]:
    for root in (os.environ.get("NEUROFAB_DATA"), REPO.parent / "shared" / "data" / "mnist", "/work/shared/data/mnist"):
        if root and Path(root).exists():
            try:
                x, y = load_mnist(root, "test")
            except (OSError, ValueError):
                continue
            x16 = torch.nn.functional.interpolate(x.unsqueeze(1), size=(16, 16), mode="bilinear", antialias=True)
            return x16.reshape(len(x), 256).clamp(0, 1), y, f"MNIST test set ({root})"
    sp = digits(seed=0)
    x = torch.cat([sp.x_train, sp.x_test]).reshape(-1, 1, 8, 8)
    x16 = torch.nn.functional.interpolate(x, size=(16, 16), mode="bilinear").reshape(len(x), 256).clamp(0, 1)
    return x16, torch.cat([sp.y_train, sp.y_test]), "digits (bundled)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-max", type=float, default=1e-4, help="presentation per image [s]")
    ap.add_argument("--threads", type=int, default=None, help="threads (default: torch's count)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    x, y, name = _images()
    run = UBrainRun(t_cycle=5e-9, t_max=args.t_max, readout="window")
    torch.manual_seed(0)
    model = mlp((256, 64, 10))
    half = len(x) // 2
    fit(model, ann_inputs(x[:half], run), y[:half], epochs=10, lr=2e-3, batch_size=64, seed=0)
    net = convert(model, 4)
    simulate(net, x[:8], run, generator=0)  # compile
    with Ledger() as led:
        t0 = time.perf_counter()
        res = simulate(net, x, run, generator=1)
        wall = time.perf_counter() - t0
    events = float(res.spikes.sum())
    acc = 100.0 * float((res.prediction[half:] == y[half:]).double().mean())
    print(f"data: {name}, {len(x)} images, presentation {args.t_max * 1e3:g} ms, {torch.get_num_threads()} thread(s)")
    print(f"events per image: {events / len(x):.0f} (input {float(res.served[:, 0].double().mean()):.0f}), "
          f"held-out accuracy {acc:.1f} %")
    print(f"wall time: {wall:.2f} s; synaptic operations/s: {led.count('synop') / wall:.3g}")
    print(f"events/s: {events / wall:.3g}")


if __name__ == "__main__":
    main()
