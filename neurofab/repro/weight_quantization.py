"""Limited-precision weights (Synced review, seed 004): distribution-aware quantization, quantization
regularization and bias tuning, alone and together, at one-level precision.

The seed (l. 72) reports, for an MLP on MNIST with one-level-precision synapses, accuracy gains over plain
quantization of 1.52, 1.26 and 0.4 points for the three methods alone, higher accuracy still with two or three
together ("approaching ideal"), and an accuracy drop within 0.19 % of the full-precision baseline with all three.
Its network, training set and level values are not given.

Here: a one-hidden-layer ReLU MLP, trained digitally, then its weights restricted to the 2N − 1 values of a
differential pair whose devices hold N conductance levels; N = 2 is the paper's one-level precision {−Δ, 0, Δ}.

- none: one level set for the whole network, Δ minimising the squared error over all its weights;
- DAQ (distribution-aware quantization): a level set per layer, Δ minimising that layer's squared error;
- QR (quantization regularization): fine-tuning with λ Σ|w − q(w)| (constant pull to the nearest level), then
  rounding (levels of "none" when alone, of DAQ when combined);
- BT (bias tuning): after rounding, only the biases are trained;
- all: DAQ levels, QR fine-tuning, rounding, BT.

The claims are judged on the mean over :data:`N_SEEDS` independent networks (seeds derived from ``seed``), at
N = 2; N = 5 and the device-range mapping of "none" (largest weight ↔ g_max) follow as info rows.

Data: quick mode the bundled ``digits``; the full run the MNIST test split (8,000 train / 2,000 test, via
``NEUROFAB_DATA`` or ``data_root``).
"""

from __future__ import annotations

import copy
import statistics

import torch
from torch import nn

from neurofab.analog.hwa import fit
from neurofab.analog.inference import accuracy
from neurofab.analog.quantization import (
    LevelSet,
    apply_levels,
    bias_parameters,
    fit_level_set,
    quantizable_layers,
    quantization_regularizer,
    shared_level_set,
)
from neurofab.core import child_seeds, one_thread
from neurofab.data import digits, mnist_split
from neurofab.repro.claims import Claim, Claims, Qualitative, RunSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Absolute, Info, Report

LEVELS = (2, 5)
METHODS = ("none", "DAQ", "QR", "BT", "all")
N_SEEDS = 5
_SRC = "seed 004 l. 72"
_SPREAD = RunSpread(2, f"s.e. over the run's {N_SEEDS} seeds")

CLAIMS = Claims([
    Claim("gain_daq", "one-level precision (N = 2): accuracy gain of DAQ alone over none", 1.52, _SRC, _SPREAD,
          tolerance=Absolute(0.0), unit="points",
          deviation="per-layer squared-error-optimal Δ is not accuracy-optimal: against a network-wide "
                    "squared-error-optimal 'none' our DAQ changes the drop by −0.1 ± 0.5 points (run at seed "
                    "0) and −1.0 ± 1.0 (seed 1), 5 networks each; measured against the device-range mapping of "
                    "'none' (largest weight ↔ g_max, an 86-point drop) the same DAQ gains ~80 points (info rows): the "
                    "gain is set by the paper's unstated baseline, not by DAQ"),
    Claim("gain_qr", "one-level precision (N = 2): accuracy gain of QR alone over none", 1.26, _SRC, _SPREAD,
          tolerance=Absolute(0.0), unit="points"),
    Claim("gain_bt", "one-level precision (N = 2): accuracy gain of BT alone over none", 0.4, _SRC, _SPREAD,
          tolerance=Absolute(0.0), unit="points",
          deviation="the gain scales with the baseline drop, which the paper does not print (its gains and its "
                    "0.19 % imply ≈ 2 points): our 'none' loses 5.6–6.8 points (5 networks, runs at seeds 0 "
                    "and 1) and BT alone recovers ≈ 75 % of it (4.2–5.0 points): our rounding leaves mostly a "
                    "bias-like offset, which BT removes"),
    Claim("all_beats_single", "N = 2: all three together lose less than the best method alone",
          "two or three together: higher still", _SRC, Qualitative(), order="<", unit="points drop"),
    Claim("all_beats_none", "N = 2: all three together lose less than none",
          "significantly lower than without the methods", _SRC, Qualitative(), order="<", unit="points drop"),
    Claim("drop_all", "N = 2: accuracy drop with all three", "≤ 0.19", _SRC, _SPREAD, order="<=",
          unit="points",
          deviation="our 64-unit MLP on 1,347 digits keeps 0.4–1.3 points of drop at N = 2 (means of 5 networks, "
                    "runs at seeds 0–2); the same "
                    "pipeline at N = 5 loses ≈ 0.2 points (info row), so the residual is the one-level rounding of "
                    "a small network; the paper's MNIST MLP (size not given) has more redundancy per class"),
])


def _settings(quick: bool) -> dict:
    if quick:
        return dict(hidden=64, epochs=40, qr_epochs=20, bt_epochs=20)
    return dict(hidden=256, epochs=15, qr_epochs=8, bt_epochs=8)


def qr_strength(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The QR strength λ, fixed by a rule before fine-tuning: the mean |∂L/∂w| of the task loss over the
    quantizable weights of the trained network on its training set, so that the regulariser's pull per weight
    (λ·sign) is as strong as the task's average gradient — neither negligible nor dominant. It is computed from
    the network, never from the accuracy it leads to."""
    net.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()
    grads = torch.cat([m.weight.grad.abs().flatten() for m in quantizable_layers(net)])
    net.zero_grad()
    return float(grads.mean())


def network_level_set(net: nn.Module, n_levels: int) -> LevelSet:
    """One level set for every layer: Δ with the least squared error over all the network's weights."""
    return fit_level_set(torch.cat([m.weight.detach().flatten() for m in quantizable_layers(net)]), n_levels)


def _quantize(net: nn.Module, method: str, n_levels: int, split, st: dict, seed: int,
              none_sets: str = "network") -> nn.Module:
    s_qr, s_bt = child_seeds(seed, 2)
    one = network_level_set(net, n_levels) if none_sets == "network" else shared_level_set(net, n_levels)
    shared = [one] * len(quantizable_layers(net))
    daq = [fit_level_set(m.weight, n_levels) for m in quantizable_layers(net)]
    sets = daq if method in ("DAQ", "all") else shared
    model = net
    if method in ("QR", "all"):
        model = copy.deepcopy(net)
        strength = qr_strength(model, split.x_train, split.y_train)
        fit(model, split.x_train, split.y_train, epochs=st["qr_epochs"], lr=1e-3, batch_size=64, seed=s_qr,
            extra_loss=lambda m: quantization_regularizer(m, sets, strength))
    model = apply_levels(model, sets)
    if method in ("BT", "all"):
        fit(model, split.x_train, split.y_train, epochs=st["bt_epochs"], lr=1e-2, batch_size=64, seed=s_bt,
            parameters=bias_parameters(model))
    return model


def _network(quick: bool, seed: int, data_root: str | None, st: dict):
    s_data, s_init, s_fit, s_q = child_seeds(seed, 4)
    split = digits(seed=s_data) if quick else mnist_split(data_root, seed=s_data)
    torch.manual_seed(s_init)
    net = nn.Sequential(nn.Linear(split.x_train.shape[1], st["hidden"]), nn.ReLU(), nn.Linear(st["hidden"], 10))
    fit(net, split.x_train, split.y_train, epochs=st["epochs"], lr=2e-3, batch_size=64, seed=s_fit)
    return net, split, s_q


def _drops(net, split, st, n_levels: int, seed: int, base: float, methods=METHODS) -> dict[str, float]:
    return {m: 100 * (base - accuracy(_quantize(net, m, n_levels, split, st, seed), split.x_test, split.y_test))
            for m in methods}


@reproduction(
    "weight-quantization",
    paper="Synced review 2018 (seed 004), one-level-precision synapses",
    summary="accuracy drop at N conductance levels: none, distribution-aware quantization, regularization, bias tuning",
)
def run(quick: bool = True, seed: int = 0, data_root: str | None = None) -> Report:
    with one_thread():  # small tensors: one thread is faster, and robust to a loaded machine
        return _run(quick, seed, data_root)


def _run(quick: bool, seed: int, data_root: str | None) -> Report:
    report = Report("weight-quantization", "Accuracy with one-level-precision synapses: DAQ, QR, BT",
                    "Synced review 2018 (seed 004): limited weight resolution of memristor synapses", quick=quick,
                    seed=seed, claims=CLAIMS)
    st = _settings(quick)
    data = "digits (8×8, 1,347 train / 450 test)" if quick else "MNIST test split (8,000 train / 2,000 test)"
    per_seed: list[dict[str, float]] = []
    bases: list[float] = []
    first = None
    for s in child_seeds(seed, N_SEEDS):
        net, split, s_q = _network(quick, s, data_root, st)
        base = accuracy(net, split.x_test, split.y_test)
        bases.append(base)
        per_seed.append(_drops(net, split, st, 2, s_q, base))
        if first is None:
            first = (net, split, s_q, base)
    report.add("data", "MNIST", data, Info(), note="the paper's training set and network are not given; quick mode "
               "uses digits, the full run the MNIST test split (NEUROFAB_DATA or data_root)")
    report.add("network", None, f"{split.x_train.shape[1]}-{st['hidden']}-10 ReLU MLP, {N_SEEDS} seeds", Info())
    report.add("full-precision test accuracy (mean)", None, statistics.fmean(bases), Info())
    col = {m: [d[m] for d in per_seed] for m in METHODS}
    for m in METHODS:
        report.add(f"N = 2 levels: accuracy drop, {m} (mean)", None, statistics.fmean(col[m]), Info(), "points")
    for key, m in (("gain_daq", "DAQ"), ("gain_qr", "QR"), ("gain_bt", "BT")):
        report.judge(key, [a - b for a, b in zip(col["none"], col[m], strict=True)])
    best_single = [min(d["DAQ"], d["QR"], d["BT"]) for d in per_seed]
    report.judge("all_beats_single", lhs=col["all"], rhs=best_single)
    report.judge("all_beats_none", lhs=col["all"], rhs=col["none"])
    report.judge("drop_all", lhs=col["all"], rhs=[0.19] * N_SEEDS)

    # context: the device-range mapping of "none", more levels, the level sets' spread (first seed)
    net, split, s_q, base = first
    max_none = 100 * (base - accuracy(_quantize(net, "none", 2, split, st, s_q, "range"), split.x_test,
                                      split.y_test))
    report.add("N = 2: drop of 'none' with the device-range mapping (largest weight ↔ g_max), first seed", None,
               max_none, Info(), "points", note="most weights round to the 0 level; the gain of any method over "
               "this baseline is tens of points, so the paper's 1.5-point gains imply a milder baseline")
    shared = network_level_set(net, 2).step
    ratios = [fit_level_set(m.weight, 2).step / shared for m in quantizable_layers(net)]
    report.add("N = 2: per-layer (DAQ) Δ / network-wide Δ, first seed", None,
               ", ".join(f"{r:.2f}" for r in ratios), Info())
    drops = {2: per_seed[0]}
    for n in LEVELS[1:]:
        drops[n] = _drops(net, split, st, n, s_q, base, ("none", "all"))
        for m in ("none", "all"):
            report.add(f"N = {n} levels: accuracy drop, {m}, first seed", None, drops[n][m], Info(), "points")
    report.extra["drops_points"] = {str(n): d for n, d in drops.items()}
    report.extra["drops_n2_per_seed"] = per_seed
    report.extra["baseline_accuracy"] = bases
    return report.finish()
