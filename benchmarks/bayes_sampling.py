"""Batched Gibbs sampling throughput (ALARM, ASIA) and p-bit sweeps/s, beside pgmpy's samplers when installed.

Run: ``PYTHONPATH=. python benchmarks/bayes_sampling.py [--threads 1] [--pgmpy-timeout 120]``.

ALARM comes from the ``alarm.bif.gz`` that pgmpy ships (read by neurofab's BIF parser; nothing is downloaded); without
pgmpy a random 37-node network of the same size stands in. The peer runs under its own interpreter
(``PGMPY_PYTHON``, default ``/tmp/anchors-pgmpy/bin/python``) in the same run, and its exact marginals are compared
with ours on the same files. Throughput is full-network samples per second (one sample = one sweep of one chain).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peer import peer_python

from neurofab.bayes import BayesNet, gibbs, load_network, node, parse_bif, variable_elimination
from neurofab.bayes.pbits import compile_network

PGMPY = ("PGMPY_PYTHON", "/tmp/anchors-pgmpy/bin/python")

_PEER = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from pgmpy.utils import get_example_model
from pgmpy.sampling import GibbsSampling
from pgmpy.inference import VariableElimination
name, n, queries = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
m = get_example_model(name)
ve = VariableElimination(m)
out = {"marginals": {}}
for q, ev in queries:
    f = ve.query([q], evidence=ev or None, show_progress=False)
    out["marginals"][q + "|" + json.dumps(ev, sort_keys=True)] = dict(zip(f.state_names[q], f.values.tolist()))
print(json.dumps(out), flush=True)
t = time.perf_counter(); gs = GibbsSampling(m); out["init_s"] = time.perf_counter() - t
t = time.perf_counter(); gs.sample(size=n, seed=0); out["sample_s"] = time.perf_counter() - t
out["n"] = n
print(json.dumps(out), flush=True)
"""


def _pgmpy_file(name: str) -> Path | None:
    python = peer_python(*PGMPY)
    if python is None:
        return None
    root = Path(python).parents[1]  # the venv (do not resolve: its python links to the system one)
    hits = glob.glob(str(root / "lib" / "python3*" / "site-packages" / "pgmpy" / "utils" / "example_models" /
                         f"{name}.bif.gz"))
    return Path(hits[0]) if hits else None


def _random_network(n: int, seed: int = 0) -> BayesNet:
    gen = torch.Generator().manual_seed(seed)
    nodes = []
    for i in range(n):
        parents = [j for j in range(max(0, i - 6), i) if torch.rand(1, generator=gen).item() < 0.4][:4]
        shape = [3] * len(parents) + [3]
        t = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.05
        nodes.append(node(f"v{i}", t / t.sum(-1, keepdim=True), [f"v{j}" for j in parents]))
    return BayesNet(nodes, name=f"random{n}")


def _ours_gibbs(net: BayesNet, chains: int, sweeps: int) -> float:
    gibbs(net, chains, 2, seed=0)  # warm-up
    t = time.perf_counter()
    gibbs(net, chains, sweeps, seed=1)
    return chains * sweeps / (time.perf_counter() - t)


def _peer(name: str, n: int, queries: list, timeout: float) -> tuple[dict | None, str]:
    python = peer_python(*PGMPY)
    if python is None:
        return None, f"pgmpy skipped: no interpreter at {os.environ.get(PGMPY[0], PGMPY[1])} (set {PGMPY[0]})"
    proc = subprocess.Popen([python, "-c", _PEER, name, str(n), json.dumps(queries)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        lines = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
        return (lines[-1] if lines else None), f"pgmpy Gibbs on {name}: not done after {timeout:g} s"
    lines = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
    return (lines[-1] if lines else None), ""


def _compare(net: BayesNet, res: dict | None, queries: list) -> None:
    if not res:
        return
    worst = 0.0
    for q, ev in queries:
        ours = variable_elimination(net, q, ev)
        theirs = res["marginals"][q + "|" + json.dumps(ev, sort_keys=True)]
        for k, s in enumerate(net.node(q).states):
            worst = max(worst, abs(ours[k].item() - theirs[s]))
    print(f"  exact marginals vs pgmpy VariableElimination ({len(queries)} queries): max |diff| = {worst:.2e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--chains", type=int, default=2000)
    ap.add_argument("--sweeps", type=int, default=30)
    ap.add_argument("--pgmpy-samples", type=int, default=1000)
    ap.add_argument("--pgmpy-timeout", type=float, default=120.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {args.threads}")

    alarm_file = _pgmpy_file("alarm")
    if alarm_file is not None:
        alarm = parse_bif(gzip.open(alarm_file, "rt").read())
        alarm.name = "alarm"
    else:
        alarm = _random_network(37)
        print("ALARM file not found (pgmpy absent): a random 37-node, 3-state network stands in")
    asia = load_network("asia")
    cases = [
        (asia, [("lung", {"xray": "yes"}), ("bronc", {"dysp": "yes", "smoke": "no"}), ("either", {})]),
        (alarm, [("HR", {"CVP": "HIGH"}), ("LVFAILURE", {"BP": "LOW"}), ("HYPOVOLEMIA", {})]
         if alarm.name == "alarm" else []),
    ]
    for net, queries in cases:
        rate = _ours_gibbs(net, args.chains, args.sweeps)
        print(f"{net.name}: {len(net)} nodes, {net.n_parameters} free parameters")
        print(f"  neurofab Gibbs: {rate:,.0f} samples/s ({args.chains} chains × {args.sweeps} sweeps)")
        if alarm_file is None and net is alarm:
            continue
        res, why = _peer(net.name, args.pgmpy_samples, queries, args.pgmpy_timeout)
        _compare(net, res, queries)
        if res and "sample_s" in res:
            peer_rate = res["n"] / res["sample_s"]
            print(f"  pgmpy GibbsSampling: {peer_rate:,.0f} samples/s (init {res['init_s']:.2f} s, "
                  f"{res['n']} samples)")
            print(f"  ratio vs pgmpy ({net.name}): {rate / peer_rate:.1f}×")
        else:
            print(f"  {why or 'pgmpy Gibbs: no result'}")
            if why.startswith("pgmpy Gibbs"):
                bound = rate * args.pgmpy_timeout / args.pgmpy_samples
                print(f"  ratio vs pgmpy ({net.name}): > {bound:,.0f}× ({args.pgmpy_samples} samples not done in "
                      f"{args.pgmpy_timeout:g} s)")

    for net in (load_network("sprinkler"), asia):
        c = compile_network(net)
        c.sample(64, 2, "parallel", seed=0)
        for mode in ("sequential", "parallel"):
            t = time.perf_counter()
            c.sample(args.chains, args.sweeps, mode, seed=1)
            dt = time.perf_counter() - t
            print(f"p-bits {net.name} ({c.pbits.n} p-bits, {len(c.auxiliary)} auxiliary, "
                  f"{len(c.pbits.colours)} colours), {mode}: {args.chains * args.sweeps / dt:,.0f} sweeps/s")


if __name__ == "__main__":
    main()
