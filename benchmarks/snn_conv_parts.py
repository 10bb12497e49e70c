"""Where one training step of the convolutional workload of ``snn_train.py --workload conv`` spends its time: each
module of the network on one batch (128 samples × 25 steps, rate code, seed 0), forward alone and forward +
backward, process CPU time, min of ``--repeats``; then the whole step with the loss and Adam.

    python benchmarks/snn_conv_parts.py [--threads 1] [--repeats 15]

Each module's input is a leaf that requires grad where it does in training (all but the first convolution's), so
the backward times include the accumulation of that leaf's gradient (which training does not do). The table in
docs/spiking.md ("Convolutional SNN against snnTorch") was measured with it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import snn_train

from neurofab.spiking import count_mse
from neurofab.spiking.layers import _TimeLayer


def best_ms(fn, repeats: int) -> float:
    """The smallest process CPU time of ``repeats`` calls of ``fn`` after one warm-up call [ms]."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1e3 * min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = snn_train.conv_data("rate", 0, 1)
    torch.manual_seed(0)
    net = snn_train.conv_net(data["beta"])
    idx = data["batches"][0][0]
    x0, y0 = data["x_train"][:, idx], data["y_train"][idx]
    inputs, x = [], x0
    with torch.no_grad():
        for module in net:
            inputs.append(x)
            x = module(x) if isinstance(module, _TimeLayer) else type(net)(module)(x)
    total = 0.0
    print(f"{'module':28s} {'input':>22s} {'fwd ms':>8s} {'fwd+bwd ms':>11s}")
    for i, module in enumerate(net):
        xi = inputs[i].detach().clone().requires_grad_(i > 0)
        run = module if isinstance(module, _TimeLayer) else type(net)(module)
        grad = torch.randn_like(run(xi))
        fwd = best_ms(lambda run=run, xi=xi: run(xi), args.repeats)
        both = best_ms(lambda run=run, xi=xi, grad=grad: run(xi).backward(grad), args.repeats)
        total += both
        name = repr(module).split("(")[0] if isinstance(module, _TimeLayer) else repr(module)[:28]
        print(f"{name:28s} {tuple(xi.shape)!s:>22s} {fwd:8.2f} {both:11.2f}")
    opt = torch.optim.Adam(net.parameters(), lr=data["lr"])

    def step() -> None:
        opt.zero_grad()
        count_mse(net(x0), y0).backward()
        opt.step()

    print(f"sum of modules: {total:.2f} ms")
    print(f"whole training step (loss, backward, Adam): {best_ms(step, args.repeats):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
