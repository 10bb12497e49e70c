"""CUBA-4000 with additive STDP on the excitatory→excitatory synapses: neurofab beside Brian2 and NEST in one run.

The network is benchmarks/snn_cuba.py's (Vogels & Abbott 2005 as in Brian2's example: 4,000 LIF neurons,
exponential current synapses, p = 0.02, excitatory jumps 1.62 mV, inhibitory −9 mV, dt 0.1 ms, delay one step)
with its 3,200 × 3,200 excitatory→excitatory synapses (≈ 205k) plastic: all-to-all additive STDP (NEST's
``stdp_synapse``, μ = 0; Brian2's trace model with ``clip``), τ₊ = τ₋ = 20 ms, A₊ = 0.01 and A₋ = 0.0105 of
w_max = 2 × the initial weight, w_min = 0. Excitatory→inhibitory and inhibitory synapses stay static.

Timing: wall seconds of a ``--duration`` run after a 1 ms warm-up run (which compiles), for neurofab and for
the peers under their interpreter (``BRIAN2_PYTHON``/``NEST_PYTHON``, default ``/tmp/anchors-snn/bin/python``;
Brian2 with the cython target, NEST on one thread). Then the static CUBA-4000 the same way (neurofab's
``cuba_network`` beside the anchor scripts ``brian2_cuba.py`` and ``nest_cuba.py`` of ``ANCHORS_DIR``). A peer
that is missing is skipped. Prints each ratio (peer wall / neurofab wall, > 1: neurofab faster), the static
one, and last ``ratio vs best peer: X`` for the plastic network.

Usage:  PYTHONPATH=. python benchmarks/snn_stdp.py [--duration 1.0] [--no-static]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from snn_cuba import anchors_dir, run_peer, time_ours

from neurofab.core import Ledger
from neurofab.learning import STDPConfig
from neurofab.spiking import CUBA_LIF, Network

DEFAULT_PEER_PYTHON = "/tmp/anchors-snn/bin/python"
W_EXC = 1.62e-3 / CUBA_LIF.r_m  # [A], 20.25 pA
W_INH = -9.0e-3 / CUBA_LIF.r_m

BRIAN2_STDP = """
import sys, time
from brian2 import *
N, T = int(sys.argv[1]), float(sys.argv[2])
prefs.codegen.target = "cython"
defaultclock.dt = 0.1 * ms
seed(1)
taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
eqs = '''dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt'''
P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
P.v = "Vr + rand() * (Vt - Vr)"
we, wi = 1.62 * mV, -9.0 * mV
wmax, taupre, taupost = 2 * we, 20 * ms, 20 * ms
Apre, Apost = 0.01 * wmax, -0.0105 * wmax
Ne = int(0.8 * N); p = 0.02 * 4000 / N
Cee = Synapses(P[:Ne], P[:Ne], '''w : volt
dapre/dt = -apre/taupre : volt (event-driven)
dapost/dt = -apost/taupost : volt (event-driven)''',
    on_pre='''ge_post += w
apre += Apre
w = clip(w + apost, 0*mV, wmax)''',
    on_post='''apost += Apost
w = clip(w + apre, 0*mV, wmax)''')
Cei = Synapses(P[:Ne], P[Ne:], on_pre="ge += we")
Ci = Synapses(P[Ne:], P, on_pre="gi += wi")
Cee.connect(p=p); Cee.w = we
Cei.connect(p=p); Ci.connect(p=p)
mon = SpikeMonitor(P)
run(1 * ms)
t = time.perf_counter(); run(T * second); dt = time.perf_counter() - t
print(f"brian2[cython] STDP N={N} T={T}s wall={dt:.2f}s rate={mon.num_spikes/N/(T+0.001):.1f}Hz "
      f"syn={len(Cee)+len(Cei)+len(Ci)} plastic={len(Cee)} mean_w={float(mean(Cee.w/mV)):.4f}mV")
"""

NEST_STDP = """
import sys, time
import nest
N, T = int(sys.argv[1]), float(sys.argv[2])
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1, "rng_seed": 1})
Cm, taum = 250.0, 20.0
P = nest.Create("iaf_psc_exp", N, params={"C_m": Cm, "tau_m": taum, "E_L": -49.0, "V_th": -50.0,
    "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0, "tau_minus": 20.0})
P.V_m = nest.random.uniform(-60.0, -50.0)
Ne = int(0.8 * N); p = 0.02 * 4000 / N
we, wi = 1.62 * Cm / taum, -9.0 * Cm / taum
conn = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True}
nest.Connect(P[:Ne], P[:Ne], conn, {"synapse_model": "stdp_synapse", "weight": we, "delay": 0.1,
    "tau_plus": 20.0, "lambda": 0.01, "alpha": 1.05, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": 2 * we})
nest.Connect(P[:Ne], P[Ne:], conn, {"weight": we, "delay": 0.1})
nest.Connect(P[Ne:], P, conn, {"weight": wi, "delay": 0.1})
sr = nest.Create("spike_recorder"); nest.Connect(P, sr)
nest.Simulate(1.0)
t = time.perf_counter(); nest.Simulate(T * 1000.0); dt = time.perf_counter() - t
ee = nest.GetConnections(P[:Ne], P[:Ne], synapse_model="stdp_synapse")
w = ee.get("weight")
print(f"nest STDP N={N} T={T}s threads=1 wall={dt:.2f}s rate={sr.n_events/N/(T+0.001):.1f}Hz "
      f"syn={nest.num_connections} plastic={len(w)} mean_w={sum(w)/len(w)*taum/Cm:.4f}mV")
"""


def stdp_cuba(n: int, seed: int) -> tuple[Network, object, object]:
    net = Network(dt=1e-4, seed=seed)
    pop = net.population(n, CUBA_LIF, v=("uniform", CUBA_LIF.v_reset, CUBA_LIF.v_th), name="cuba")
    n_exc, p = int(0.8 * n), min(1.0, 0.02 * 4000 / n)
    rule = STDPConfig.additive(tau_plus=20e-3, tau_minus=20e-3, a_plus=0.01, a_minus=0.0105, w_max=2 * W_EXC)
    ee = net.connect(pop[:n_exc], pop[:n_exc], W_EXC, p=p, receptor="exc", plasticity=rule)
    net.connect(pop[:n_exc], pop[n_exc:], W_EXC, p=p, receptor="exc")
    net.connect(pop[n_exc:], pop, W_INH, p=p, receptor="inh")
    return net, pop, ee


def time_ours_stdp(n: int, duration: float) -> dict[str, float]:
    t0 = time.perf_counter()
    net, pop, ee = stdp_cuba(n, 1)
    mon = net.spike_monitor(pop)
    net.run(1e-3)
    t1 = time.perf_counter()
    with Ledger() as ledger:
        net.run(duration)
    t2 = time.perf_counter()
    return {
        "setup": t1 - t0, "wall": t2 - t1, "rate": mon.num_spikes / n / (duration + 1e-3),
        "syn": sum(p.num_synapses for p in net.projections), "plastic": ee.num_synapses,
        "mean_w_mv": float(ee.weights().mean()) * CUBA_LIF.r_m * 1e3, "updates": ledger.count("weight_update"),
    }  # fmt: skip


def run_inline_peer(name: str, code: str, n: int, duration: float) -> dict | None:
    python = os.environ.get(f"{name.upper()}_PYTHON", DEFAULT_PEER_PYTHON)
    if not Path(python).exists():
        print(f"{name:9s} skipped (interpreter {python} not found)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "peer.py"
        script.write_text(code)
        return run_peer(name, python, script, [str(n), str(duration)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds timed")
    parser.add_argument("--no-static", action="store_true", help="skip the static CUBA comparison")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n, duration = args.n, args.duration
    ours = time_ours_stdp(n, duration)
    print(
        f"neurofab  STDP CUBA-{n} T={duration:g}s wall={ours['wall']:.3f}s rate={ours['rate']:.2f}Hz "
        f"syn={ours['syn']} plastic={ours['plastic']} mean_w={ours['mean_w_mv']:.4f}mV "
        f"weight updates={ours['updates']:.0f} (setup incl. compile/cache load {ours['setup']:.2f}s)"
    )
    peers = {}
    for name, code in (("brian2", BRIAN2_STDP), ("nest", NEST_STDP)):
        res = run_inline_peer(name, code, n, duration)
        if res:
            peers[name] = res
            print(f"{name:9s} {res['line']}")
    if not args.no_static:
        static = time_ours(n, duration)
        print(f"neurofab  static CUBA-{n} T={duration:g}s wall={static['wall']:.3f}s rate={static['rate']:.2f}Hz")
        anchors = anchors_dir()
        static_peers = {}
        for name, script, extra in (("brian2", "brian2_cuba.py", []), ("nest", "nest_cuba.py", ["1"])):
            python = os.environ.get(f"{name.upper()}_PYTHON", DEFAULT_PEER_PYTHON)
            res = run_peer(name, python, anchors / script, [str(n), str(duration), *extra])
            if res:
                static_peers[name] = res
                print(f"{name:9s} {res['line']}")
        if static_peers:
            best = min(p["wall"] for p in static_peers.values())
            print(f"static CUBA ratio vs best peer: {best / static['wall']:.2f}")
        print(f"STDP cost over static (neurofab): {ours['wall'] / static['wall']:.2f}x")
    for name, peer in peers.items():
        print(f"ratio vs {name}: {peer['wall'] / ours['wall']:.2f}")
    if peers:
        best = min(p["wall"] for p in peers.values())
        print(f"ratio vs best peer: {best / ours['wall']:.2f}")
    else:
        print("ratio vs best peer: skipped (no peer available)")


if __name__ == "__main__":
    main()
