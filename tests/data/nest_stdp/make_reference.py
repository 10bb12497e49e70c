"""Reference weight trajectories of NEST's STDP synapses for tests/spiking/test_plasticity_nest.py.

Run under an interpreter with NEST 3.x (e.g. the peer environment of ../shared/anchors/setup-envs.sh):

    /tmp/anchors-snn/bin/python tests/data/nest_stdp/make_reference.py

Each case drives one synapse with fixed pre- and postsynaptic spike trains (Poisson, on the 0.1 ms grid, 10 s):
spike_generator → parrot_neuron (pre) and spike_generator → parrot_neuron (post); the plastic synapse goes from
the pre parrot to receptor 1 of the post parrot (which archives the post spikes but does not repeat the
synaptic input). A weight_recorder stores the weight after every presynaptic spike. Times are in ms, as NEST
uses them. The trains start with a presynaptic spike, so no synapse meets NEST's initial t_lastspike = 0 of the
nearest-spike models. Writes reference.npz (spike trains and weights) and reference.json (the parameters).
"""

import json
import sys
from pathlib import Path

import nest
import numpy as np

HERE = Path(__file__).resolve().parent
RES = 0.1  # ms
T = 10_000.0  # ms
GEN_DELAY = 1.0  # ms, generator → parrot


def poisson_grid(rng, rate_hz, t_first):
    """Poisson spike times [ms] on the RES grid in [t_first, T), at most one per step; t_first is included."""
    n = round((T - t_first) / RES)
    hits = rng.random(n) < rate_hz * RES * 1e-3
    hits[0] = False
    times = t_first + RES * np.nonzero(hits)[0]
    return np.round(np.concatenate([[t_first], times]), 1)


def train_pairs():
    rng = np.random.default_rng(20001)
    pairs = []
    for pre_rate, post_rate, delay in ((20.0, 30.0, 1.0), (45.0, 12.0, 0.1), (10.0, 50.0, 2.5)):
        pre = poisson_grid(rng, pre_rate, 2.0)
        post = poisson_grid(rng, post_rate, 2.0 + 5 * RES)
        pairs.append({"pre": pre, "post": post[1:], "delay": delay, "pre_rate": pre_rate, "post_rate": post_rate})
    return pairs


CASES = [
    # name, synapse model, parameters (lambda, alpha, mu_plus, mu_minus, tau_plus; Wmax; initial weight)
    ("add", "stdp_synapse", {"lambda": 0.02, "alpha": 0.5, "mu_plus": 0.0, "mu_minus": 0.0}),
    ("mult", "stdp_synapse", {"lambda": 0.05, "alpha": 1.1, "mu_plus": 1.0, "mu_minus": 1.0}),
    ("power", "stdp_synapse", {"lambda": 0.04, "alpha": 1.2, "mu_plus": 0.4, "mu_minus": 0.4}),
    ("nn_symm", "stdp_nn_symm_synapse", {"lambda": 0.03, "alpha": 0.6, "mu_plus": 0.0, "mu_minus": 0.0}),
    ("nn_restr", "stdp_nn_restr_synapse", {"lambda": 0.03, "alpha": 0.6, "mu_plus": 0.0, "mu_minus": 0.0}),
    ("nn_symm_mult", "stdp_nn_symm_synapse", {"lambda": 0.05, "alpha": 1.0, "mu_plus": 1.0, "mu_minus": 1.0}),
    # triplet rule (Pfister & Gerstner 2006), amplitudes in weight units (Wmax = 1)
    (
        "triplet",
        "stdp_triplet_synapse",
        {"Aplus": 0.01, "Aminus": 0.011, "Aplus_triplet": 0.009, "Aminus_triplet": 0.003, "tau_plus_triplet": 101.0},
    ),
]
TAU_PLUS, TAU_MINUS, WMAX, W0 = 16.8, 33.7, 1.0, 0.5
TAU_MINUS_TRIPLET = 125.0


def main():
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RES, "local_num_threads": 1})
    pairs = train_pairs()
    recorders = {}
    for p_idx, pair in enumerate(pairs):
        for name, model, prm in CASES:
            g_pre = nest.Create("spike_generator", params={"spike_times": pair["pre"] - GEN_DELAY})
            g_post = nest.Create("spike_generator", params={"spike_times": pair["post"] - GEN_DELAY})
            pre = nest.Create("parrot_neuron")
            post = nest.Create("parrot_neuron", params={"tau_minus": TAU_MINUS, "tau_minus_triplet": TAU_MINUS_TRIPLET})
            nest.Connect(g_pre, pre, syn_spec={"delay": GEN_DELAY})
            nest.Connect(g_post, post, syn_spec={"delay": GEN_DELAY})
            wr = nest.Create("weight_recorder")
            label = f"{name}_{model}_{p_idx}"
            nest.CopyModel(model, label, {"weight_recorder": wr})
            nest.Connect(
                pre,
                post,
                syn_spec={
                    "synapse_model": label,
                    "receptor_type": 1,
                    "delay": pair["delay"],
                    "weight": W0,
                    "tau_plus": TAU_PLUS,
                    "Wmax": WMAX,
                    **prm,
                },
            )
            spk = nest.Create("spike_recorder")
            nest.Connect(pre + post, spk)
            recorders[(name, p_idx)] = (wr, spk, pre, post)
    nest.Simulate(T + 10.0)
    out = {}
    for p_idx, pair in enumerate(pairs):
        out[f"pre_{p_idx}"] = pair["pre"]
        out[f"post_{p_idx}"] = pair["post"]
    for (name, p_idx), (wr, spk, pre, post) in recorders.items():
        ev = wr.get("events")
        order = np.argsort(ev["times"], kind="stable")
        out[f"w_{name}_{p_idx}"] = np.asarray(ev["weights"])[order]
        out[f"t_{name}_{p_idx}"] = np.asarray(ev["times"])[order]
        se = spk.get("events")
        pre_t = np.sort(se["times"][se["senders"] == pre.global_id])
        post_t = np.sort(se["times"][se["senders"] == post.global_id])
        pair = pairs[p_idx]
        assert np.allclose(pre_t, pair["pre"]) and np.allclose(post_t, pair["post"]), "parrot times differ"
        assert len(out[f"w_{name}_{p_idx}"]) == len(pair["pre"]), name
    np.savez_compressed(HERE / "reference.npz", **out)
    meta = {
        "nest_version": nest.__version__,
        "resolution_ms": RES,
        "duration_ms": T,
        "tau_plus_ms": TAU_PLUS,
        "tau_minus_ms": TAU_MINUS,
        "tau_minus_triplet_ms": TAU_MINUS_TRIPLET,
        "Wmax": WMAX,
        "w0": W0,
        "cases": [{"name": n, "model": m, **prm} for n, m, prm in CASES],
        "pairs": [
            {k: v for k, v in p.items() if k not in ("pre", "post")}
            | {"n_pre": len(p["pre"]), "n_post": len(p["post"])}
            for p in pairs
        ],
    }
    (HERE / "reference.json").write_text(json.dumps(meta, indent=1) + "\n")
    print("written", {k: len(v) for k, v in out.items() if k.startswith("w_")}, file=sys.stderr)


if __name__ == "__main__":
    main()
