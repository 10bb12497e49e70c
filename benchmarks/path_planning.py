"""The wavefront path planner (Steffen et al. 2021) stage by stage: neurofab beside NEST on the same maps.

Both sides build the same network on the same wall map (``neurofab.data.voxel_maps.wall_map``): n³ PyNN
``IF_cond_exp`` place cells with PyNN's defaults (NEST ``iaf_cond_exp``, refractory period = 1 s so one wave
passes), the 6-neighbour lattice (excitatory ``stdp_synapse`` between free cells, w₀ = 1 µS, additive, w_max =
4000 µS, λ = A₊ = A₋ = 0.01, τ± = 20 ms, delay 0.1 ms; inhibitory static synapses where one touches an obstacle),
one spike into the target, simulated at 0.1 ms in 5 ms chunks until a chunk has no spike; then the same vector
field and path search. The NEST side connects with array-based ``nest.Connect(pre_ids, post_ids, "one_to_one")``
(NEST's documented way to connect index arrays), one thread, under the interpreter in ``NEST_PYTHON`` (default
/tmp/anchors-snn/bin/python, built by ../shared/anchors/setup-envs.sh); without it NEST is skipped.

Stages timed as in the paper: create neurons, create synapses, simulate, build SVF, find path; ours are the best
of two runs stage by stage (after one small run that loads the compiled kernels), NEST's one run. The last line is
``ratio vs NEST: X`` (NEST's total time over ours, at the largest n).

    PYTHONPATH=. python benchmarks/path_planning.py [sizes ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _peer import run_peer

from neurofab.data.voxel_maps import wall_map
from neurofab.systems.path_planner import STAGES, PathPlanner, PathPlannerConfig

NEST = ("NEST_PYTHON", "/tmp/anchors-snn/bin/python")

NEST_SCRIPT = r"""
import json, sys, time
import numpy as np
import nest

data = np.load(sys.argv[1])
occ, start, target = data["occupied"], tuple(int(c) for c in data["start"]), tuple(int(c) for c in data["target"])
max_time_ms, chunk_ms = float(sys.argv[2]), float(sys.argv[3])
n = occ.shape[0]
OFF = np.array([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
times = {}

nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1})
t0 = time.perf_counter()
# PyNN IF_cond_exp defaults in NEST units (C_m pF, g_L nS, mV, ms); t_ref = the whole run: one wave
cells = nest.Create("iaf_cond_exp", n**3, params={
    "C_m": 1000.0, "g_L": 1000.0 / 20.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "V_m": -65.0,
    "t_ref": max_time_ms, "tau_syn_ex": 5.0, "tau_syn_in": 5.0, "E_ex": 0.0, "E_in": -70.0, "I_e": 0.0,
    "tau_minus": 20.0})
times["create_neurons"] = time.perf_counter() - t0

t0 = time.perf_counter()
coords = np.indices(occ.shape).reshape(3, -1).T
nb = coords[:, None, :] + OFF[None]
valid = ((nb >= 0) & (nb < n)).all(axis=2)
post = ((nb[..., 0] * n + nb[..., 1]) * n + nb[..., 2])[valid]
pre = np.repeat(np.arange(n**3), valid.sum(axis=1))
free = ~occ.ravel()
exc = free[pre] & free[post]
first = cells[0].global_id
ne, ni = int(exc.sum()), int((~exc).sum())
full = lambda k, x: np.full(k, x)  # noqa: E731  (connect_arrays takes one value per synapse)
nest.Connect(pre[exc] + first, post[exc] + first, "one_to_one", {
    "synapse_model": "stdp_synapse", "weight": full(ne, 1000.0), "delay": full(ne, 0.1),
    "Wmax": full(ne, 4.0e6), "lambda": full(ne, 0.01), "alpha": full(ne, 1.0), "mu_plus": full(ne, 0.0),
    "mu_minus": full(ne, 0.0), "tau_plus": full(ne, 20.0)})
if ni:
    nest.Connect(pre[~exc] + first, post[~exc] + first, "one_to_one",
                 {"synapse_model": "static_synapse", "weight": full(ni, -1000.0), "delay": full(ni, 0.1)})
kick = nest.Create("spike_generator", params={"spike_times": [0.1]})
tgt = int(np.ravel_multi_index(target, occ.shape))
nest.Connect(kick, cells[tgt], syn_spec={"weight": 10000.0, "delay": 0.1})
times["create_synapses"] = time.perf_counter() - t0

t0 = time.perf_counter()
rec = nest.Create("spike_recorder")
nest.Connect(cells, rec)
seen, t = -1, 0.0
while t < max_time_ms - 1e-9 and rec.n_events != seen:
    seen = rec.n_events
    nest.Simulate(chunk_ms)
    t += chunk_ms
ev = rec.events
arrival = np.full(n**3, np.inf)
np.minimum.at(arrival, np.asarray(ev["senders"], dtype=np.int64) - first, np.asarray(ev["times"]))
arrival = arrival.reshape(n, n, n)
times["simulate"] = time.perf_counter() - t0

t0 = time.perf_counter()
# every stdp_synapse is a lattice synapse: no source/target filter (which costs NEST 70x more at n = 20)
conns = nest.GetConnections(synapse_model="stdp_synapse").get(("source", "target", "weight"))
a = np.asarray(conns["source"], dtype=np.int64) - first
b = np.asarray(conns["target"], dtype=np.int64) - first
w = np.asarray(conns["weight"]) * 1e-9
ca = np.stack(np.unravel_index(a, occ.shape), 1)
cb = np.stack(np.unravel_index(b, occ.shape), 1)
f = -(cb - ca) * w[:, None]
svf = np.zeros((n**3, 3))
for k in range(3):
    svf[:, k] = np.bincount(a, f[:, k], minlength=n**3) + np.bincount(b, f[:, k], minlength=n**3)
svf = svf.reshape(n, n, n, 3)
fr = ~occ
v = np.pad(svf * fr[..., None], ((1, 1), (1, 1), (1, 1), (0, 0)))
c = np.pad(fr.astype(float), 1)
acc, cnt = np.zeros_like(svf), np.zeros(occ.shape)
for dx in range(3):
    for dy in range(3):
        for dz in range(3):
            acc += v[dx:dx + n, dy:dy + n, dz:dz + n]
            cnt += c[dx:dx + n, dy:dy + n, dz:dz + n]
avg = acc / np.maximum(cnt, 1.0)[..., None]
times["build_svf"] = time.perf_counter() - t0

t0 = time.perf_counter()
cur, path, found = start, [start], False
if np.isfinite(arrival[cur]):
    visited = np.zeros(occ.shape, bool)
    visited[cur] = True
    d = np.zeros(3)
    for _ in range(int(2 * fr.sum()) + 1):
        if cur == target:
            found = True
            break
        loc = avg[cur]
        nrm = float(np.linalg.norm(loc))
        d = 0.5 * d + (loc / nrm if nrm > 0 else 0.0)
        best, key = None, None
        for o in OFF:
            nx = (cur[0] + int(o[0]), cur[1] + int(o[1]), cur[2] + int(o[2]))
            if not all(0 <= q < n for q in nx) or not fr[nx] or not np.isfinite(arrival[nx]):
                continue
            kk = (not visited[nx], float(d @ o))
            if key is None or kk > key:
                best, key = nx, kk
        if best is None:
            break
        cur = best
        visited[cur] = True
        path.append(cur)
    found = found or cur == target
times["find_path"] = time.perf_counter() - t0
print(json.dumps({"times": times, "length": len(path) if found else None, "spikes": int(rec.n_events),
                  "synapses": int(len(post))}))
"""


def neurofab_side(n: int, planner: PathPlanner, repeats: int = 2) -> tuple[dict[str, float], int | None, int]:
    """Per-stage times (the best of ``repeats`` runs, stage by stage), path length and synapse count."""
    runs = [planner.plan(wall_map(n)) for _ in range(repeats)]
    best = {s: min(r.stage_times[s] for r in runs) for s in STAGES}
    return best, runs[0].length, runs[0].num_synapses


def nest_side(n: int, cfg: PathPlannerConfig) -> dict | None:
    vmap = wall_map(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.npz"
        np.savez(path, occupied=vmap.occupied, start=np.array(vmap.start), target=np.array(vmap.target))
        out = run_peer(*NEST, NEST_SCRIPT, path, cfg.max_time * 1e3, cfg.chunk * 1e3, timeout=3600)
    return json.loads(out.strip().splitlines()[-1]) if out else None


def main(sizes: list[int]) -> None:
    planner = PathPlanner()
    planner.plan(wall_map(6))  # load the compiled kernels once, outside the timings
    totals: dict[int, tuple[float, float | None]] = {}
    ours_by_n: dict[int, float] = {}
    for n in sizes:
        t, length, n_syn = neurofab_side(n, planner)
        peer = nest_side(n, planner.config)
        print(f"n = {n}: {n**3} neurons, {n_syn} synapses")
        print(f"  {'stage':<16}{'neurofab [s]':>14}{'NEST [s]':>12}")
        for s in STAGES:
            nest_t = f"{peer['times'][s]:12.3f}" if peer else f"{'skipped':>12}"
            print(f"  {s:<16}{t[s]:14.3f}{nest_t}")
        total = sum(t.values())
        nest_total = sum(peer["times"].values()) if peer else None
        print(f"  {'total':<16}{total:14.3f}" + (f"{nest_total:12.3f}" if peer else f"{'skipped':>12}"))
        print(
            f"  path length: neurofab {length}, NEST {peer['length'] if peer else 'skipped'} cells; "
            f"neurofab synapse creation {100 * t['create_synapses'] / total:.1f} % of total"
            + (f", NEST {100 * peer['times']['create_synapses'] / nest_total:.1f} %" if peer else "")
        )
        totals[n] = (total, nest_total)
        ours_by_n[n] = total
    if len(ours_by_n) > 1:
        ns = np.array(sorted(ours_by_n))
        slope = np.polyfit(np.log(ns**3), np.log([ours_by_n[n] for n in ns]), 1)[0]
        print(f"neurofab total time grows as (n³)^{slope:.2f} over n = {[int(x) for x in ns]}")
    last = max(totals)
    ours, theirs = totals[last]
    if theirs is None:
        print("ratio vs NEST: skipped (NEST did not run; see above, or set NEST_PYTHON)")
    else:
        print(f"ratio vs NEST: {theirs / ours:.1f}")


if __name__ == "__main__":
    start = time.perf_counter()
    main([int(a) for a in sys.argv[1:]] or [20, 30, 40])
    print(f"(benchmark wall time {time.perf_counter() - start:.0f} s)", file=sys.stderr)
