"""Park (seed 000): an SNN of integrate-and-fire neurons and a ReLU network with the same structure and weights
perform the same operation, so software-trained weights can be transferred to the SNN for inference.

We train a ReLU MLP and a ReLU CNN, convert both to IF networks (reset by subtraction, data-based percentile
normalization, constant-current input, accumulated-membrane readout; :mod:`neurofab.spiking.conversion`), and run
them for T ∈ {8, 16, 32, 64, 128, 256} steps (quick mode: up to 128), over three seeds (networks trained from
``seed``, ``seed + 1``, ``seed + 2``). Judged: the SNN accuracy at the longest T equals the ANN's within twice the
paired test-set standard error of their difference (the essay's "the same result can be obtained"; it prints no
number), and every hidden layer's rate error falls with T. Reported beside: the rate/activation correlations,
synaptic operations and energy per inference against the ANN's multiply-accumulates. Data: quick mode uses
scikit-learn's bundled 8×8 digits (no files); the full mode the MNIST test set split 8,000 train / 2,000 test
(folder from ``data`` or ``NEUROFAB_DATA``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import Ledger, make_generator, progress
from neurofab.cost.energy import energy_table, price_ledger
from neurofab.data import Split, digits, mnist_split
from neurofab.repro.claims import Claim, Claims, Qualitative, RunSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Info, Report
from neurofab.spiking.conversion import ConversionConfig, ConversionResult, convert, evaluate

STEPS = [8, 16, 32, 64, 128, 256]
QUICK_STEPS = [8, 16, 32, 64, 128]  # quick mode: three seeds of digits, judged at T = 128
TABLE = "horowitz45nm"


def _load(quick: bool, seed: int, data: str | None) -> tuple[Split, Split, str]:
    """(flat split, image split, description)."""
    if data == "digits" or (data is None and quick):
        return (digits(seed=seed), digits(seed=seed, flatten=False),
                "scikit-learn digits 8×8 (1,347 train / 450 test), substitute for MNIST")
    root = data if data is not None else os.environ.get("NEUROFAB_DATA")
    flat = mnist_split(root, n_train=8000, seed=seed)
    images = mnist_split(root, n_train=8000, seed=seed, flatten=False)
    return flat, images, f"MNIST test set split 8,000 train / 2,000 test ({Path(str(root))})"


def _mlp(n_in: int, big: bool) -> nn.Sequential:
    h1, h2 = (256, 128) if big else (128, 64)
    return nn.Sequential(nn.Linear(n_in, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, 10))


def _cnn(side: int) -> nn.Sequential:
    if side == 28:  # 28 → 24 → 12 → 8 → 4
        return nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                             nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))
    # 8 → 8 → 4 → 4
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                         nn.ReLU(), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))


def _train(net: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, gen: torch.Generator,
           lr: float = 2e-3, batch: int = 64) -> nn.Module:
    opt = torch.optim.Adam(net.parameters(), lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    net.train()
    with progress(epochs, "training the ANN", unit="epochs") as advance:
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), batch):
                idx = order[i:i + batch]
                opt.zero_grad()
                F.cross_entropy(net(x[idx]), y[idx]).backward()
                opt.step()
            sched.step()
            advance(1)
    net.eval()
    return net


def _energies(res: ConversionResult) -> dict[str, dict[int, float] | float]:
    """Energy per inference [J]: ANN MACs, SNN (synops + input MACs + accumulates) at every T, on TABLE; SNN
    synops on Loihi."""
    table = energy_table(TABLE)
    ann = price_ledger(Ledger({("mac", "fp32"): res.ann_macs_per_inference}), table).total
    snn, loihi = {}, {}
    for t in res.steps:
        led = Ledger({("synop", "fp32"): res.synops_per_inference[t], ("mac", "fp32"): res.input_macs_per_inference,
                      ("ac", "fp32"): res.accumulates_per_inference[t]})
        snn[t] = price_ledger(led, table).total
        loihi[t] = price_ledger(Ledger({("synop", ""): res.synops_per_inference[t]}), "loihi").total
    return {"ann": ann, "snn": snn, "loihi_synops": loihi}


_SRC = "seed 000 l. 21, Fig. 3"
_PAIRED = RunSpread(2, "paired test-set s.e. of the SNN − ANN accuracy difference, pooled over the seeds")
CLAIMS = Claims([
    Claim("mlp_same", "MLP: SNN accuracy at the longest T (quick 128, full 256) equals the ANN's", "the same result",
          _SRC, _PAIRED, order="≈", unit="%"),
    Claim("cnn_same", "CNN: SNN accuracy at the longest T (quick 128, full 256) equals the ANN's", "the same result",
          _SRC, _PAIRED, order="≈", unit="%"),
    Claim("mlp_rates", "MLP: every hidden layer's mean |rate − activation| smaller at the longest T than at T = 8",
          "rates → ReLU activations", _SRC, Qualitative("the equivalence holds in the limit of many steps"),
          order="<"),
    Claim("cnn_rates", "CNN: every hidden layer's mean |rate − activation| smaller at the longest T than at T = 8",
          "rates → ReLU activations", _SRC, Qualitative("the equivalence holds in the limit of many steps"),
          order="<"),
])
SEEDS = 3  # networks trained per run, from seed, seed + 1, seed + 2


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _rows(report: Report, label: str, runs: list[ConversionResult]) -> dict[str, object]:
    res = runs[0]
    t_max = res.steps[-1]
    key = label.lower()
    snn = [100 * r.snn_accuracy[t_max] for r in runs]
    ann = [100 * r.ann_accuracy for r in runs]
    # the paired s.e. of each seed's difference (per-sample SNN − ANN correctness), pooled over the seeds
    var = [float(r.paired_correct_difference.to(torch.float64).var()) / r.samples for r in runs]
    se = 100 * math.sqrt(sum(var)) / len(runs)
    discordant = sum(int(r.paired_correct_difference.abs().sum()) for r in runs)
    report.judge(f"{key}_same", lhs=snn, rhs=ann, spread=se,
                 note=f"{len(runs)} seeds × {res.samples} test samples; {discordant} samples where exactly one of "
                      f"the two is right; ANN {_mean(ann):.2f} %, SNN {_mean(snn):.2f} %")
    ratios = [max(lr.mean_abs_error[t_max] / lr.mean_abs_error[res.steps[0]] for lr in r.layers) for r in runs]
    report.judge(f"{key}_rates", lhs=ratios, rhs=1.0,
                 note=f"worst layer's error(T = {t_max}) / error(T = {res.steps[0]}), per seed: "
                      + ", ".join(f"{x:.3f}" for x in ratios) + f" (1/T scaling would give {res.steps[0] / t_max:.3f})")
    for t in res.steps:
        report.add(f"{label}: SNN accuracy, T = {t} (mean of {len(runs)} seeds)", None,
                   round(_mean([100 * r.snn_accuracy[t] for r in runs]), 2), Info(), "%")
    for k, layer in enumerate(res.layers):
        corr = {t: _mean([r.layers[k].correlation[t] for r in runs]) for t in (res.steps[0], t_max)}
        report.add(f"{label}: rate/activation correlation, layer {layer.name}, T = {t_max}", "r → 1",
                   round(corr[t_max], 5), Info(), "",
                   f"Pearson r over {layer.neurons} neurons × test set, mean of seeds; T = {res.steps[0]}: "
                   f"{corr[res.steps[0]]:.4f}")
    en = _energies(res)
    report.add(f"{label}: ANN MACs per inference", None, res.ann_macs_per_inference, Info(), "MAC")
    for t in (res.steps[0], 32, t_max):
        if t in res.synops_per_inference:
            report.add(f"{label}: SNN synaptic ops per inference, T = {t}", None,
                       round(res.synops_per_inference[t]), Info(), "SOP",
                       f"{res.synops_per_inference[t] / res.ann_macs_per_inference:.2f} per ANN MAC; input layer: "
                       f"{res.input_macs_per_inference:.0f} MACs (constant current, computed once); seed {report.seed}")
    report.add(f"{label}: ANN energy per inference (45 nm fp32 MAC 4.6 pJ)", None, round(en["ann"] * 1e9, 3),
               Info(), "nJ", "Horowitz ISSCC 2014 [ext]")
    for t in (res.steps[0], 32, t_max):
        if t in en["snn"]:
            report.add(f"{label}: SNN energy per inference, T = {t} (45 nm fp32 add 0.9 pJ/SOP)", None,
                       round(en["snn"][t] * 1e9, 3), Info(), "nJ",
                       f"synops + input MACs + bias/current accumulates; synops alone on Loihi (23.6 pJ/SOP): "
                       f"{en['loihi_synops'][t] * 1e9:.3g} nJ")
    cheaper = [t for t in res.steps if en["snn"][t] < en["ann"]]
    report.add(f"{label}: longest T with SNN energy below the ANN's", None, max(cheaper) if cheaper else 0, Info(),
               "steps", "45 nm fp32 table for both; beyond it rate coding costs more than the MACs it replaces")
    per_seed = [{"ann_accuracy": r.ann_accuracy, "snn_accuracy": {str(t): v for t, v in r.snn_accuracy.items()}}
                for r in runs]
    return {"table": res.table(), "ann_accuracy": res.ann_accuracy, "per_seed": per_seed, "energy_J": {
        "ann": en["ann"], "snn": {str(t): v for t, v in en["snn"].items()},
        "loihi_synops": {str(t): v for t, v in en["loihi_synops"].items()}},
        "layers": [{"name": lr.name, "neurons": lr.neurons, "scale": lr.scale,
                    "correlation": {str(t): v for t, v in lr.correlation.items()},
                    "mean_abs_error": {str(t): v for t, v in lr.mean_abs_error.items()},
                    "mean_rate": {str(t): v for t, v in lr.mean_rate.items()}} for lr in res.layers]}


def _figure(results: dict[str, ConversionResult]) -> plt.Figure:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for (label, res), color in zip(results.items(), ["tab:blue", "tab:orange"]):
        ax1.plot(res.steps, [res.snn_accuracy[t] * 100 for t in res.steps], "o-", color=color, label=f"{label} SNN")
        ax1.axhline(res.ann_accuracy * 100, color=color, ls="--", label=f"{label} ANN")
        for k, layer in enumerate(res.layers):
            ax2.plot(res.steps, [1 - layer.correlation[t] for t in res.steps], "o-", color=color,
                     alpha=1.0 - 0.3 * k, label=f"{label} {layer.name}")
    ax1.set(xscale="log", xlabel="time steps T", ylabel="test accuracy [%]", title="accuracy vs T")
    ax2.set(xscale="log", yscale="log", xlabel="time steps T", ylabel="1 − r(rate, activation)",
            title="layer correlation")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=6)
    fig.tight_layout()
    return fig


@reproduction("snn-relu-equivalence", paper="Park (seed 000), neural-network ICs: SNN ≡ ReLU network",
              summary="ReLU MLP and CNN converted to IF networks approach the ANN's accuracy as T grows")
def run(quick: bool = True, seed: int = 0, data: str | None = None) -> Report:
    threads = torch.get_num_threads()
    if quick:  # digits-sized tensors: thread start-up costs more than it saves, and the cores are shared
        torch.set_num_threads(1)
    try:
        return _run(quick, seed, data)
    finally:
        torch.set_num_threads(threads)


def _run(quick: bool, seed: int, data: str | None) -> Report:
    report = Report("snn-relu-equivalence", "SNN / ReLU-network equivalence by conversion",
                    "Park, 'Neural network ICs' (seed 000), after O'Connor & Welling 2016", quick=quick, seed=seed,
                    claims=CLAIMS)
    config = ConversionConfig(normalization="percentile", percentile=99.99, initial_membrane=0.5,
                              readout="membrane", encoding="current")
    runs: dict[str, list[ConversionResult]] = {"MLP": [], "CNN": []}
    steps = QUICK_STEPS if quick else STEPS
    described = ""
    for s in range(seed, seed + SEEDS):
        torch.manual_seed(s)
        gen = make_generator(s)
        flat, images, described = _load(quick, s, data)
        side = images.x_train.shape[-1]
        big = side == 28
        epochs = (10, 6) if not big else (20, 12)
        specs = [("MLP", flat, _mlp(flat.n_features, big), epochs[0]), ("CNN", images, _cnn(side), epochs[1])]
        for label, split, net, n_epochs in specs:
            _train(net, split.x_train, split.y_train, n_epochs, gen)
            snn = convert(net, split.x_train[:2000], config)
            runs[label].append(evaluate(snn, net, split.x_test, split.y_test, steps, batch_size=500))
    report.add("data", None, described + f"; {SEEDS} seeds ({seed}–{seed + SEEDS - 1}): split and training", Info())
    report.add("conversion", None, "IF, reset by subtraction, 99.99th-percentile normalization, V(0) = θ/2, "
               "constant-current input, membrane readout", Info())
    for label, res in runs.items():
        report.extra[label] = _rows(report, label, res)
    report.add_figure("accuracy_and_correlation_vs_T", _figure({k: v[0] for k, v in runs.items()}))
    report.notes.append("The essay gives no numbers: the judged rows make its claim measurable (SNN accuracy equal to "
                        "the ANN's within 2 paired standard errors at the longest T, rate error shrinking with T).")
    report.notes.append("Energy uses Horowitz's 45 nm table for both networks (a MAC 4.6 pJ, an add 0.9 pJ); the "
                        "SNN's input layer sees analog pixels, so its MACs are counted once per inference.")
    report.extra["steps"] = steps
    report.extra["config"] = config.to_dict()
    return report
