"""First-run (cold) against warm time of the compiled spiking kernels: what the numba disk cache saves.

Every numba kernel of neurofab is compiled with ``cache=True``: the first run in a fresh checkout compiles it and
writes the machine code to disk (``__pycache__/*.nbi, *.nbc``, or ``NUMBA_CACHE_DIR``); later processes load it.
This script runs the same work in two child processes sharing one fresh, empty ``NUMBA_CACHE_DIR``: the first
is the cold start (nothing cached: what every run cost before caching), the second the warm start.

Work timed in each child (wall seconds):
  * import     — ``import neurofab.spiking``;
  * network    — the CUBA network (1,000 neurons) built and run for 0.1 s, the first Network.run of the process;
  * epoch 1/2  — two epochs of benchmarks/snn_train.py's workload (LIF MLP 784-256-10, T = 25, 10 batches of 128);
                 epoch 2 is the in-process warm figure;
  * custom     — a user-defined model (quadratic IF, :mod:`neurofab.spiking.models`) in a 100-neuron network
                 run for 0.1 s (its cfunc compiles in every process; the loop calling it is cached).
With ``--reproduce`` also ``neurofab reproduce snn-relu-equivalence --quick`` end to end, cold then warm.

Usage:  PYTHONPATH=. python benchmarks/first_run.py [--reproduce]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, time
t0 = time.perf_counter()
import torch
from torch import nn
import neurofab.spiking as S
from neurofab.spiking.models import NeuronModel
from pydantic import Field
out = {"import": time.perf_counter() - t0}
torch.manual_seed(0); torch.set_num_threads(2)
t0 = time.perf_counter()
net, pop = S.cuba_network(1000, seed=1)
net.run(0.1)
out["network"] = time.perf_counter() - t0
net = S.SpikingSequential(nn.Linear(784, 256), S.LIF(S.leaky(0.95)), nn.Linear(256, 10), S.LIF(S.leaky(0.95)))
opt = torch.optim.Adam(net.parameters(), 1e-3)
x = (torch.rand(25, 1280, 784) < 0.2).float()
y = torch.randint(0, 10, (1280,))
for e in (1, 2):
    t0 = time.perf_counter()
    for i in range(0, 1280, 128):
        opt.zero_grad()
        S.count_cross_entropy(net(x[:, i:i + 128]), y[i:i + 128]).backward()
        opt.step()
    out[f"epoch {e}"] = time.perf_counter() - t0
class QIF(NeuronModel):
    state = ("v = v_r",)
    equations = ("dv/dt = ((v - v_r) * (v - v_c) / delta + r * I) / tau",)
    threshold = "v >= v_peak"
    reset = ("v = v_r",)
    tau: float = Field(10e-3, gt=0, description="[s]")
    v_r: float = Field(-65e-3, description="[V]")
    v_c: float = Field(-50e-3, description="[V]")
    delta: float = Field(10e-3, gt=0, description="[V]")
    r: float = Field(1e8, gt=0, description="[Ω]")
    v_peak: float = Field(0.0, description="[V]")
t0 = time.perf_counter()
n = S.Network(dt=1e-4)
p = n.population(100, QIF())
n.dc(p, 3e-10)
n.run(0.1)
out["custom"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
"""


def child(cache: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(REPO), "NEUROFAB_PROGRESS": "0"}
    res = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    line = [s for s in res.stdout.splitlines() if s.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def reproduce(cache: str, out: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(REPO), "NEUROFAB_PROGRESS": "0"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "neurofab", "reproduce", "snn-relu-equivalence", "--quick", "--out", out],
                   env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reproduce", action="store_true", help="also time `neurofab reproduce` cold and warm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        cold = child(cache)
        warm = child(cache)
    print(f"{'phase':<10} {'cold [s]':>9} {'warm [s]':>9}")
    for key in cold:
        print(f"{key:<10} {cold[key]:9.2f} {warm[key]:9.2f}")
    if args.reproduce:
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
            c, w = reproduce(cache, out), reproduce(cache, out)
        print(f"{'reproduce':<10} {c:9.2f} {w:9.2f}   (neurofab reproduce snn-relu-equivalence --quick)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
