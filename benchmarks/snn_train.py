"""Surrogate-gradient BPTT training throughput: LIF MLP 784-256-10, T = 25, batch 128, Adam, spike-count
cross-entropy, random MNIST-shaped rate-coded input, 10 batches per epoch; one warm-up epoch, then the best of
``REPEATS`` timed epochs (on shared cores the fastest epoch is the one least disturbed by other processes).
neurofab's ``SpikingSequential`` (event-driven input product, compiled LIF scans) beside snnTorch 1.0 ``Leaky``
(β = 0.95) on the same workload and protocol.

Options (the defaults are the reference workload): ``--threads N`` (torch threads on both sides, default 2);
``--clock cpu`` times each epoch by the process's CPU time instead of the wall clock — with ``--threads 1`` a
figure that other jobs on a shared machine disturb far less (it is not the wall-clock throughput).

The peer runs under its own interpreter: ``SNNTORCH_PYTHON`` (default ``/tmp/anchors-snn/bin/python``); when it
is absent the peer is skipped. Last line: ``ratio vs snntorch: X`` (our samples/s over snnTorch's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

from neurofab.spiking.layers import LIF, SpikingSequential, count_cross_entropy, leaky

T, BATCH, N_BATCHES, REPEATS, THREADS = 25, 128, 10, 5, 2

PEER = f"""
import statistics, time, torch, snntorch as snn
from torch import nn
torch.manual_seed(0); torch.set_num_threads(THREADS)
T, B = {T}, {BATCH}
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(784, 256); s.l1 = snn.Leaky(beta=0.95)
        s.fc2 = nn.Linear(256, 10); s.l2 = snn.Leaky(beta=0.95)
    def forward(s, x):
        m1 = s.l1.init_leaky(); m2 = s.l2.init_leaky(); out = 0
        for t in range(T):
            s1, m1 = s.l1(s.fc1(x[t]), m1); s2, m2 = s.l2(s.fc2(s1), m2); out = out + s2
        return out
net = Net(); opt = torch.optim.Adam(net.parameters(), 1e-3); lf = nn.CrossEntropyLoss()
x = (torch.rand(T, B * {N_BATCHES}, 784) < 0.2).float(); y = torch.randint(0, 10, (B * {N_BATCHES},))
def epoch():
    for i in range(0, B * {N_BATCHES}, B):
        opt.zero_grad(); l = lf(net(x[:, i:i+B]), y[i:i+B]); l.backward(); opt.step()
epoch()
rates = []
for _ in range({REPEATS}):
    t = CLOCK(); epoch(); rates.append(B * {N_BATCHES} / (CLOCK() - t))
print(f"snntorch train samples/s: {{max(rates):.1f}} (median {{statistics.median(rates):.1f}})")
"""


def ours(threads: int, clock) -> tuple[float, float]:
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    net = SpikingSequential(nn.Linear(784, 256), LIF(leaky(0.95)), nn.Linear(256, 10), LIF(leaky(0.95)))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = (torch.rand(T, BATCH * N_BATCHES, 784) < 0.2).float()
    y = torch.randint(0, 10, (BATCH * N_BATCHES,))

    def epoch() -> None:
        for i in range(0, BATCH * N_BATCHES, BATCH):
            opt.zero_grad()
            loss = count_cross_entropy(net(x[:, i:i + BATCH]), y[i:i + BATCH])
            loss.backward()
            opt.step()

    epoch()
    rates = []
    for _ in range(REPEATS):
        t0 = clock()
        epoch()
        rates.append(BATCH * N_BATCHES / (clock() - t0))
    return max(rates), statistics.median(rates)


def peer(threads: int, clock_name: str) -> float | None:
    python = os.environ.get("SNNTORCH_PYTHON", "/tmp/anchors-snn/bin/python")
    if not Path(python).exists():
        print(f"snntorch: skipped ({python} not found; set SNNTORCH_PYTHON)")
        return None
    try:
        head = f"THREADS = {threads}; import time; CLOCK = time.{clock_name}\n"
        out = subprocess.run([python, "-c", head + PEER], capture_output=True, text=True, timeout=1800,
                             check=True).stdout
    except (subprocess.SubprocessError, OSError) as err:
        print(f"snntorch: skipped ({type(err).__name__}: {str(err).strip()[:200]})")
        return None
    for line in out.splitlines():
        if line.startswith("snntorch train samples/s:"):
            return float(line.split(":")[1].split()[0])
    print(f"snntorch: skipped (no figure in its output: {out.strip()[:200]!r})")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=THREADS, help="torch threads on both sides")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time epochs by the wall clock (default) or by the process's CPU time")
    args = parser.parse_args()
    clock_name = "perf_counter" if args.clock == "wall" else "process_time"
    print(f"workload: LIF MLP 784-256-10, T = {T}, batch {BATCH}, BPTT + Adam, {args.threads} threads, "
          f"best of {REPEATS} epochs of {N_BATCHES} batches, {args.clock} clock")
    ours_rate, ours_median = ours(args.threads, getattr(time, clock_name))
    print(f"neurofab train samples/s: {ours_rate:.1f} (median {ours_median:.1f})")
    peer_rate = peer(args.threads, clock_name)
    if peer_rate is None:
        print("ratio vs snntorch: skipped")
        return 0
    print(f"snntorch train samples/s: {peer_rate:.1f}")
    print(f"ratio vs snntorch: {ours_rate / peer_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
