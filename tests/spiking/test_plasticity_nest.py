"""Plastic projections against NEST 3.10: the weight after every presynaptic spike equals NEST's to 1e-9 relative.

The reference (tests/data/nest_stdp/reference.npz) was produced by tests/data/nest_stdp/make_reference.py:
Poisson pre/post trains (10–50 Hz, 10 s, 0.1 ms grid) through stdp_synapse (additive, multiplicative, μ = 0.4),
stdp_nn_symm_synapse, stdp_nn_restr_synapse and stdp_triplet_synapse with dendritic delays 1, 0.1 and 2.5 ms.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neurofab.learning import STDPConfig
from neurofab.spiking import IFConfig, Network

DATA = Path(__file__).resolve().parent.parent / "data" / "nest_stdp"
MODELS = {
    "stdp_synapse": "all_to_all",
    "stdp_nn_symm_synapse": "nearest_symmetric",
    "stdp_nn_restr_synapse": "nearest_restricted",
    "stdp_triplet_synapse": "all_to_all",
}
DT = 1e-4
# a post neuron that fires exactly when its driver says: one driver spike (2 MV) crosses v_th, the plastic
# input (≤ 1 V per spike) never does
RELAY = IFConfig(v_th=1e6, v_reset=0.0, synapse="delta")


def rule_of(case: dict, meta: dict) -> STDPConfig:
    """Our config of a NEST case (NEST: ms, amplitudes relative to Wmax = 1)."""
    common = dict(
        tau_plus=meta["tau_plus_ms"] * 1e-3, tau_minus=meta["tau_minus_ms"] * 1e-3, w_min=0.0, w_max=meta["Wmax"],
        pairing=MODELS[case["model"]],
    )  # fmt: skip
    if case["model"] == "stdp_triplet_synapse":
        return STDPConfig(
            a_plus=case["Aplus"], a_minus=case["Aminus"], a3_plus=case["Aplus_triplet"],
            a3_minus=case["Aminus_triplet"], tau_x=case["tau_plus_triplet"] * 1e-3,
            tau_y=meta["tau_minus_triplet_ms"] * 1e-3, **common,
        )  # fmt: skip
    return STDPConfig(
        a_plus=case["lambda"], a_minus=case["alpha"] * case["lambda"], mu_plus=case["mu_plus"],
        mu_minus=case["mu_minus"], **common,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trajectories():
    ref = np.load(DATA / "reference.npz")
    meta = json.loads((DATA / "reference.json").read_text())
    net = Network(dt=DT, seed=0)
    cases = []
    for p_idx, pair in enumerate(meta["pairs"]):
        pre, post = ref[f"pre_{p_idx}"] * 1e-3, ref[f"post_{p_idx}"] * 1e-3
        src = net.spike_source(1, torch.tensor(pre), torch.zeros(len(pre), dtype=torch.long))
        drv = net.spike_source(1, torch.tensor(post - DT), torch.zeros(len(post), dtype=torch.long))
        relay = net.population(1, RELAY)
        net.connect(drv, relay, 2e6, rule="one_to_one")
        mon = net.spike_monitor(relay)
        for case in meta["cases"]:
            cfg = rule_of(case, meta)
            proj = net.connect(src, relay, meta["w0"], rule="one_to_one", delay=pair["delay"] * 1e-3, plasticity=cfg)
            steps = np.round(pre / DT).astype(np.int64) - 1
            cases.append((case["name"], p_idx, net.weight_monitor(proj), steps, ref[f"w_{case['name']}_{p_idx}"]))
        cases.append(("relay", p_idx, mon, None, post))
    net.run(meta["duration_ms"] * 1e-3 + 5e-3)
    return cases


def test_relay_fires_on_the_reference_post_times(trajectories):
    for name, _, mon, _, post in trajectories:
        if name == "relay":
            np.testing.assert_allclose(mon.times.numpy(), post, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["add", "mult", "power", "nn_symm", "nn_restr", "nn_symm_mult", "triplet"])
def test_weight_trajectory_equals_nest(trajectories, name):
    checked = 0
    for case, _, mon, steps, ref in trajectories:
        if case != name:
            continue
        ours = mon.values[:, 0].numpy()[steps]
        assert len(ours) == len(ref) > 90
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-15)
        assert np.ptp(ref) > 0.1  # the trajectory moves
        checked += 1
    assert checked == 3


def test_largest_relative_deviation_is_tiny(trajectories):
    worst = 0.0
    for case, _, mon, steps, ref in trajectories:
        if case != "relay":
            ours = mon.values[:, 0].numpy()[steps]
            worst = max(worst, float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300))))
    print(f"largest relative deviation from NEST: {worst:.2e}")
    assert worst < 1e-9
