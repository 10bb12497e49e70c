"""CUBA benchmark (Vogels & Abbott 2005 as in Brian2's example): neurofab beside Brian2 and NEST in one run.

The network: 4,000 LIF neurons (τ_m 20 ms, E_L −49 mV, V_th −50 mV, V_reset −60 mV, t_ref 5 ms), exponential
current synapses (τ_exc 5 ms, τ_inh 10 ms), 80 % excitatory, connection probability 0.02, weights 1.62 mV and
−9 mV (as R·I jumps), V(0) uniform in [V_reset, V_th], dt 0.1 ms, delay one step.

Timing: wall seconds per simulated second of ``run`` after a 1 ms warm-up run (which compiles), for neurofab and
for the peers' own anchor scripts (``brian2_cuba.py``: cython target; ``nest_cuba.py``: iaf_psc_exp, 1 thread),
each run under its interpreter: ``BRIAN2_PYTHON`` and ``NEST_PYTHON`` (default ``/tmp/anchors-snn/bin/python``);
the scripts are looked up in ``ANCHORS_DIR`` (default ``../shared/anchors`` beside the repository). A peer whose
interpreter or script is missing is skipped. Then a 100,000-neuron network of the same in-degree (p = 80/N):
build time, run time and peak resident memory, in a child process.

``--stats`` instead compares the activity: mean rate and mean CV of the inter-spike intervals (neurons with ≥ 3
spikes) over ``--seeds`` seeds of ``--stats-duration`` seconds, for neurofab and both peers (the peers run the
same model with a spike recorder and hand their spikes back; the statistics are computed by neurofab's own
functions for all three).

Usage:  PYTHONPATH=. python benchmarks/snn_cuba.py [--duration 1.0] [--large 100000] [--stats]
Last line: ``ratio vs best peer: X`` = the fastest peer's wall time / neurofab's (> 1: neurofab is faster), the
same sense as the throughput ratios of the other benchmarks.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from neurofab.spiking.network import Network, Population, cuba_network
from neurofab.spiking.spike_stats import mean_cv

DEFAULT_PEER_PYTHON = "/tmp/anchors-snn/bin/python"
REPO = Path(__file__).resolve().parent.parent


def anchors_dir() -> Path:
    env = os.environ.get("ANCHORS_DIR")
    if env:
        return Path(env)
    for candidate in (REPO.parent / "shared" / "anchors", Path("/work/shared/anchors")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "anchors"


def build_cuba(n: int, seed: int) -> tuple[Network, Population]:
    return cuba_network(n, seed)


def time_ours(n: int, duration: float, seed: int = 1) -> dict[str, float]:
    t0 = time.perf_counter()
    net, pop = build_cuba(n, seed)
    mon = net.spike_monitor(pop)
    net.run(1e-3)  # compiles (or loads the cached kernel) and builds
    t1, c1 = time.perf_counter(), time.process_time()
    net.run(duration)
    t2, c2 = time.perf_counter(), time.process_time()
    syn = sum(p.num_synapses for p in net.projections)
    rate = mon.num_spikes / n / (duration + 1e-3)
    return {"setup": t1 - t0, "wall": t2 - t1, "cpu": c2 - c1, "rate": rate, "syn": syn}


def run_peer(name: str, python: str, script: Path, args: list[str], timeout: float = 900) -> dict | None:
    if not Path(python).exists() or not script.exists():
        print(f"{name:9s} skipped (interpreter {python} or script {script} not found)")
        return None
    try:
        out = subprocess.run(
            [python, str(script), *args], capture_output=True, text=True, timeout=timeout, cwd=script.parent
        )
    except subprocess.TimeoutExpired:
        print(f"{name:9s} skipped (timed out after {timeout:.0f} s)")
        return None
    match = re.search(r"wall=([\d.]+)s rate=([\d.]+)Hz syn=(\d+)", out.stdout)
    if out.returncode != 0 or not match:
        print(f"{name:9s} skipped (failed: {(out.stderr or out.stdout).strip().splitlines()[-1:]})")
        return None
    line = next(ln for ln in out.stdout.splitlines() if "wall=" in ln).strip()
    return {"wall": float(match[1]), "rate": float(match[2]), "syn": int(match[3]), "line": line}


def large_child(n: int, duration: float) -> None:
    """Run in a child process: build and run CUBA-n, print build/run time and peak memory (and the peak of the
    interpreter with torch, numba and the loaded kernels before the network exists)."""
    warm, _ = build_cuba(100, 1)
    warm.run(1e-3)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    net, pop = build_cuba(n, 1)
    net.run(1e-3)
    t1 = time.perf_counter()
    net.run(duration)
    t2 = time.perf_counter()
    rate = float(net.spike_counts(pop).sum()) / n / (duration + 1e-3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    syn = sum(p.num_synapses for p in net.projections)
    print(
        f"RESULT build={t1 - t0:.2f} run={t2 - t1:.3f} rate={rate:.2f} syn={syn} peak_mb={peak_mb:.0f} "
        f"base_mb={base_mb:.0f}"
    )


# ----- activity statistics --------------------------------------------------------------------------------------
BRIAN2_STATS = """
import sys
import numpy as np
import brian2 as b2
N, T, rng_seed, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
b2.prefs.codegen.target = "cython"
b2.defaultclock.dt = 0.1 * b2.ms
b2.seed(rng_seed)
ms, mV = b2.ms, b2.mV
ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV)
eqs = '''dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt'''
P = b2.NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact", namespace=ns)
P.v = "Vr + rand() * (Vt - Vr)"
Ne = int(0.8 * N)
Ce = b2.Synapses(P[:Ne], P, on_pre="ge += 1.62*mV")
Ci = b2.Synapses(P[Ne:], P, on_pre="gi += -9.0*mV")
Ce.connect(p=0.02 * 4000 / N)
Ci.connect(p=0.02 * 4000 / N)
mon = b2.SpikeMonitor(P)
net = b2.Network(P, Ce, Ci, mon)
net.run(T * b2.second, namespace=ns)
np.savez(out, t=np.asarray(mon.t / b2.second), i=np.asarray(mon.i))
"""

NEST_STATS = """
import sys
import numpy as np
import nest
N, T, rng_seed, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1, "rng_seed": rng_seed})
Cm, taum = 250.0, 20.0
P = nest.Create("iaf_psc_exp", N, params={"C_m": Cm, "tau_m": taum, "E_L": -49.0, "V_th": -50.0,
    "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0})
P.V_m = nest.random.uniform(-60.0, -50.0)
Ne = int(0.8 * N); p = 0.02 * 4000 / N
nest.Connect(P[:Ne], P, {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True},
             {"weight": 1.62 * Cm / taum, "delay": 0.1})
nest.Connect(P[Ne:], P, {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True},
             {"weight": -9.0 * Cm / taum, "delay": 0.1})
sr = nest.Create("spike_recorder")
nest.Connect(P, sr)
nest.Simulate(T * 1000.0)
ev = sr.get("events")
first = P.tolist()[0]
np.savez(out, t=np.asarray(ev["times"]) / 1000.0, i=np.asarray(ev["senders"]) - first)
"""


def activity(times: np.ndarray, indices: np.ndarray, n: int, duration: float) -> tuple[float, float]:
    t = torch.as_tensor(times, dtype=torch.float64)
    i = torch.as_tensor(indices, dtype=torch.int64)
    return len(t) / n / duration, mean_cv(t, i, n)


def peer_stats(name: str, python: str, code: str, n: int, duration: float, seed: int) -> tuple[float, float] | None:
    if not Path(python).exists():
        print(f"{name:9s} skipped (interpreter {python} not found)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script, out = Path(tmp) / "peer.py", Path(tmp) / "spikes.npz"
        script.write_text(code)
        proc = subprocess.run(
            [python, str(script), str(n), str(duration), str(seed), str(out)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if proc.returncode != 0 or not out.exists():
            print(f"{name:9s} skipped (failed: {proc.stderr.strip().splitlines()[-1:]})")
            return None
        data = np.load(out)
        return activity(data["t"], data["i"], n, duration)


def stats(args: argparse.Namespace) -> None:
    n, duration = args.n, args.stats_duration
    rows: dict[str, list[tuple[float, float]]] = {"neurofab": [], "brian2": [], "nest": []}
    pythons = {
        "brian2": os.environ.get("BRIAN2_PYTHON", DEFAULT_PEER_PYTHON),
        "nest": os.environ.get("NEST_PYTHON", DEFAULT_PEER_PYTHON),
    }
    codes = {"brian2": BRIAN2_STATS, "nest": NEST_STATS}
    for seed in range(1, args.seeds + 1):
        net, pop = build_cuba(n, seed)
        mon = net.spike_monitor(pop)
        net.run(duration)
        rows["neurofab"].append(activity(mon.times.numpy(), mon.indices.numpy(), n, duration))
        for peer in [p for p in args.peers.split(",") if p in codes]:
            result = peer_stats(peer, pythons[peer], codes[peer], n, duration, seed)
            if result is not None:
                rows[peer].append(result)
        for name, values in rows.items():
            if len(values) == seed:
                print(f"seed {seed} {name:9s} rate={values[-1][0]:.3f} Hz  CV={values[-1][1]:.4f}")
    print(f"\nCUBA-{n}, {duration:g} s, {args.seeds} seeds (mean ± sd over seeds):")
    for name, values in rows.items():
        if values:
            arr = np.array(values)
            print(
                f"{name:9s} rate={arr[:, 0].mean():.3f} ± {arr[:, 0].std():.3f} Hz  "
                f"CV={arr[:, 1].mean():.4f} ± {arr[:, 1].std():.4f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds timed")
    parser.add_argument("--large", type=int, default=100_000, help="size of the large run (0: skip)")
    parser.add_argument("--stats", action="store_true", help="compare rate and CV instead of timing")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--stats-duration", type=float, default=2.0)
    parser.add_argument("--peers", default="brian2,nest", help="peers of --stats, comma-separated")
    parser.add_argument("--large-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_child:
        large_child(args.large_child, args.duration)
        return
    if args.stats:
        stats(args)
        return

    torch.set_num_threads(1)
    n, duration = args.n, args.duration
    ours = time_ours(n, duration)
    print(
        f"neurofab  CUBA-{n} T={duration:g}s wall={ours['wall']:.3f}s "
        f"({ours['wall'] / duration:.3f} s per simulated s; CPU {ours['cpu']:.3f}s) rate={ours['rate']:.2f}Hz "
        f"syn={ours['syn']} "
        f"(setup incl. compile/cache load {ours['setup']:.2f}s)"
    )
    anchors = anchors_dir()
    peers = {}
    brian2 = run_peer("brian2", os.environ.get("BRIAN2_PYTHON", DEFAULT_PEER_PYTHON), anchors / "brian2_cuba.py",
                      [str(n), str(duration)])  # fmt: skip
    if brian2:
        peers["brian2"] = brian2
        print(f"brian2    {brian2['line']}")
    nest = run_peer("nest", os.environ.get("NEST_PYTHON", DEFAULT_PEER_PYTHON), anchors / "nest_cuba.py",
                    [str(n), str(duration), "1"])  # fmt: skip
    if nest:
        peers["nest"] = nest
        print(f"nest      {nest['line']}")
    if args.large:
        child = subprocess.run(
            [sys.executable, __file__, "--large-child", str(args.large), "--duration", str(duration)],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        match = re.search(r"RESULT (.*)", child.stdout)
        if match:
            fields = dict(kv.split("=") for kv in match[1].split())
            print(
                f"neurofab  CUBA-{args.large} T={duration:g}s build={fields['build']}s run={fields['run']}s "
                f"rate={fields['rate']}Hz syn={fields['syn']} peak RSS={fields['peak_mb']} MB "
                f"(interpreter with torch/numba before building: {fields['base_mb']} MB)"
            )
        else:
            print(f"neurofab  CUBA-{args.large} failed: {child.stderr.strip().splitlines()[-1:]}")
    for name, peer in peers.items():
        print(f"ratio vs {name}: {peer['wall'] / ours['wall']:.2f}")
    if peers:
        best = min(peers.values(), key=lambda p: p["wall"])
        print(f"ratio vs best peer: {best['wall'] / ours['wall']:.2f}")
    else:
        print("ratio vs best peer: skipped (no peer available)")


if __name__ == "__main__":
    main()
