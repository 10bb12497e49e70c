"""Zhao et al. 2021: mini-batch training on a non-ideal (Ag:Si, NeuroSim) device with gradient decomposition.

A sigmoid MLP (squared error, NeuroSim's output error s = −2a(1−a)(y−a) up to the factor 2) whose weights live on
NeuroSim's nonlinear device (NL_LTP 2.40, NL_LTD −4.88, 500 levels, 3.5 % c2c per pulse, range [−1, 1]) is
trained by: digital floating-point SGD; device SGD (B = 1); MBGD with round-to-nearest and with stochastic
rounding of the pulse counts; streaming batch PCA and NMF at rank k with rank-sum and rank-seq transfer.
Inputs are binarised at 0.5 as in NeuroSim.

The claims are judged on the mean of three networks (seeds derived from ``seed``): quick mode judges the paper's
orderings on resampled digits; the paper's accuracies themselves (MNIST) are full-only claims.

Sizes and data: the paper's network, 400-100-10 on MNIST 20×20 (8,000 images per epoch), in both modes. Quick
mode takes scikit-learn's digits (1,347 training images) resampled bilinearly from 8×8 to 20×20; the full mode the
MNIST test split (8,000/2,000) cropped to its central 20×20 (the box MNIST size-normalises its digits into), when
NEUROFAB_DATA is set. The large-batch runs use B = 1,024 (quick, 120 writes) or 4,096 (full, 400 writes), every
write the batch-mean gradient of B distinct training images drawn at random (no partial batches). The network is
built from ``AnalogLinear`` layers (perfect periphery: the paper's read noise is 0; NeuroSim's default 8-bit column
ADC, 1-bit hidden layer and {0, ±1/3, ±2/3, ±1} initial weights are not modelled — measured on MNIST, they do not
move MBGD's accuracy, docs/reproductions/gradient-decomposition.md); the decomposition rules are installed through
the tiles' update hook (:func:`~neurofab.analog.optimizers.use_algorithm`).
"""

from __future__ import annotations

import itertools
import math
import os
import statistics

import torch
from matplotlib.figure import Figure

from neurofab.analog import AnalogSGD
from neurofab.analog.decomposition import decomposition_flops
from neurofab.analog.optimizers import DecompositionAlgorithm
from neurofab.core import child_seeds
from neurofab.crossbar import IOConfig, TileConfig
from neurofab.data import digits, mnist_split
from neurofab.data.images import center_crop, resample
from neurofab.devices import NeuroSimNonlinear
from neurofab.repro._analog_training import analog_mlp, evaluate, fit_epoch, one_thread
from neurofab.repro.claims import Claim, Claims, Qualitative, RunSpread, SeedSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Absolute, Exact, Info, Report

DEVICE = NeuroSimNonlinear()
N_SEEDS = 3
BIG_WRITES = 120  # quick: as many writes as 60 passes over digits in batches of 1,024 made before
SGD_ETA = 0.125  # device SGD (B = 1)
ETA_GRID = tuple(2.0**e for e in range(-4, 4))  # 1/16 … 8: stochastic rounding trains in 1/16 … 1, fails at 2
_S = "seed 001"
_SEEDS = RunSpread(2, f"s.e. over the run's {N_SEEDS} seeds")


def _full(key: str, quantity: str, paper: float, where: str, deviation: str | None = None) -> Claim:
    return Claim(key, quantity, paper, f"{_S} {where}", _SEEDS, tolerance=Absolute(0.0), unit="%", full_only=True,
                 deviation=deviation)


_TRAIN_SET = ("MNIST here is its 10,000-image test set, so training sees 8,000 distinct images; the paper's NeuroSim "
              "draws 8,000 per epoch from the 60,000 training images (125 epochs). Measured: the same floating-point "
              "SGD, 80,000 steps each, on 2,000 / 4,000 / 8,000 distinct images reaches 91.2 / 93.5 / 95.1 % (first "
              "network of seed 0): +2.3 and +1.6 points per doubling, so the 1.5-point gap lies within one more "
              "doubling of the training set")


_SGD_ETA = ("device SGD's η = 1/8 was chosen on digits; on MNIST it is past the best: the first network of seed 0 "
            "reaches 0.342 at 1/8, 0.428 at 1/16 and 0.402 at 1/32 (the paper's best, 10^-1.4, lies between the last "
            "two), so the η accounts for 9 of that network's 14 points; the other 5 are not measured apart (the "
            "training set, 8,000 distinct images against the paper's 60,000, is the other premise that differs)")

_NOT = ("Not the training set (MBGD at η = 1/2: 0.849 / 0.860 / 0.859 on 2,000 / 4,000 / 8,000 distinct images, 400 "
        "writes, 3 networks), not NeuroSim's default periphery and initial weights (its 8-bit column ADC, the hidden "
        "layer digitised at 0.5 for the second layer, weights drawn from {0, ±1/3, ±2/3, ±1}: MBGD 0.856 at the best "
        "η of 1/2 … 8 after 400 writes, first network), not the epoch read (the best of test evaluations every 2 "
        "writes is ≤ 0.9 points above the last)")

_C2C_MBGD = ("The device's cycle-to-cycle noise (3.5 % of the range per pulse, l. 4120), measured: the "
             "first network with it off (c2c 0, all else the same) reaches 0.880 / 0.917 / 0.945 after 400 / 1,600 / "
             "6,400 writes (0.866 / 0.895 / 0.903 with it), so the noise costs it 1.3 / 2.2 / 4.2 points; why the "
             "paper's run, with the same noise, loses less is not known")

_WRITES = ("in part, the writes: the runs are not converged at 400 writes of B = 4,096 at the η the grid picks (1/2; "
           "1 is no better, 2 and above at chance). The three networks of seed 0 reach 0.895 / 0.891 / 0.895 after "
           "1,600 writes and 0.903 / 0.911 / 0.909 after 6,400 (0.866 / 0.860 / 0.850 at 400): the mean gains 4.9 of "
           "its 6.0 missing points; the other 1.2 lie within what the device's noise costs (below). On NeuroSim's "
           "default periphery and initial weights at the paper's η ≈ 4 the first network reaches 0.906 after 1,600 "
           "writes. " + _NOT + ". "
           "NeuroSim's default 125 epochs of 8,000 images would be ≈ 244 writes; how the paper's run converges in so "
           "few is not stated. " + _C2C_MBGD)

_WRITES_SBPCA = ("in part, the writes, as for MBGD (mbgd_4096): the three networks of seed 0 reach 0.890 / 0.886 / "
                 "0.898 after 6,400 writes (first network 0.869 / 0.884 at 400 / 1,600), level with MBGD (0.903 / "
                 "0.911 / 0.909): the mean gains 3.5 of its 5.1 missing points (0.856 → 0.891); the other 1.6 lie "
                 "within what the device's cycle-to-cycle noise costs: the first network with it off (c2c 0, all "
                 "else the same) reaches 0.8835 / 0.9105 / 0.9305 after 400 / 1,600 / 6,400 writes (0.869 / 0.884 / "
                 "0.890 with it), as for MBGD. " + _NOT)

_NMF_SEQ = ("MBGD's gap (mbgd_4096), and the noise with more writes: NMF rank-seq trails our MBGD by 2.8 points "
            "(83.1 vs 85.9, the run's 3 networks), the paper's by 3.1 (88.87 vs 91.94), so its gap at 400 writes is "
            "the one our MBGD has. More writes do not close it as they do MBGD's: the first network reaches 0.826 / "
            "0.855 / 0.857 / 0.776 after 400 / 1,600 / 3,200 / 6,400 writes, and with the device's cycle-to-cycle "
            "noise off (c2c 0, all else the same) 0.860 / 0.905 / 0.914 / 0.9175 — above the paper's 88.87 from 800 "
            "writes (0.8925). The noise costs it 3.4 / 5.0 / 5.7 / 14.2 points where it costs MBGD 1.3 / 2.2 / 3.3 / "
            "4.2 (MBGD writes 0.78× NMF rank-seq's pulses to the first layer at 1,600 writes, 429 vs 548 per write); "
            "why the paper's run, with the same noise, loses less is not known")

CLAIMS = Claims([
    Claim("mbgd_beats_sgd", "MBGD (large B, stochastic rounding) > real-device SGD (B = 1): test accuracy",
          "91.94 % vs 48.17 %", f"{_S} l. 4149, 4223, Table 1", Qualitative(), order=">"),
    Claim("rtn_collapses", "large B (≥ 1,024): round-to-nearest < stochastic rounding, each at its best η",
          "28.38 % vs 91.28 % at B = 1,024", f"{_S} l. 4157, Table 1", Qualitative(), order="<"),
    Claim("sbpca_sum_matches_mbgd", "SBPCA rank-sum, rank 10 ≈ MBGD: test accuracy", "90.65 % vs 91.94 %",
          f"{_S} l. 4191, 4229, Table 2", SeedSpread(
              2, 0.0211, 6, "s.e. of a 3-seed mean of the paired difference SBPCA − MBGD: sd 0.0365 over the 6 "
              "networks of quick runs at seeds 3 and 4 (400-100-10, full-batch writes; not the seeds the tests "
              "judge), / √3"),
          order="≈"),
    Claim("nmf_seq_beats_pca_seq", "rank-seq, rank 10: NMF > SBPCA: test accuracy", "88.87 % vs 71.78 %",
          f"{_S} l. 4229, Table 2", Qualitative(), order=">"),
    _full("fp_sgd", "floating-point SGD test accuracy (MNIST)", 96.81, "l. 4147, Table 1", deviation=_TRAIN_SET),
    _full("device_sgd", "real-device SGD test accuracy, B = 1 (MNIST)", 48.17, "l. 4149, Table 1",
          deviation=_SGD_ETA),
    _full("mbgd_4096", "MBGD B = 4,096 test accuracy (MNIST)", 91.94, "l. 4223, Table 2", deviation=_WRITES),
    _full("sbpca_sum_r10", "SBPCA rank-sum rank 10, B = 4,096, b = 32 (MNIST)", 90.65, "l. 4229, Table 2",
          deviation=_WRITES_SBPCA),
    _full("sbpca_seq_r10", "SBPCA rank-seq rank 10, B = 4,096, b = 32 (MNIST)", 71.78, "l. 4229, Table 2"),
    _full("nmf_seq_r10", "NMF rank-seq rank 10, B = 4,096, b = 32 (MNIST)", 88.87, "l. 4229, Table 2",
          deviation=_NMF_SEQ),
])


SIDE = 20  # the paper's input: MNIST 20×20, 400 inputs


def _to_side(x: torch.Tensor, side: int) -> torch.Tensor:
    """N×s×s images (flattened) to N×SIDE² pixels: the central SIDE×SIDE crop of a larger image, a bilinear
    resampling of a smaller one."""
    return center_crop(x, side, SIDE) if side >= SIDE else resample(x, side, SIDE)


def _data(quick: bool, seed: int, data_dir: str | None):
    """Binarised (at 0.5, as NeuroSim) 20×20 inputs: train x, y, test x, y and the data's name."""
    if quick or not (data_dir or os.environ.get("NEUROFAB_DATA")):
        sp, side = digits(seed=seed), 8
        name = "digits (1,347 / 450), 8×8 resampled to 20×20"
    else:
        sp, side = mnist_split(data_dir or os.environ["NEUROFAB_DATA"], seed=seed), 28
        name = "MNIST test split (8,000 / 2,000), central 20×20"
    xtr, xte = _to_side(sp.x_train, side), _to_side(sp.x_test, side)
    return (xtr > 0.5).float(), sp.y_train, (xte > 0.5).float(), sp.y_test, name


def _float_sgd(sizes, x, y, xt, yt, epochs, lr, seed) -> float:
    g = torch.Generator().manual_seed(seed)
    ws = [(torch.rand(o, i, generator=g) * 2 - 1) / math.sqrt(i) for i, o in itertools.pairwise(sizes)]
    for ep in range(epochs):
        perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed + ep))
        for j in perm.tolist():
            hs = [x[j : j + 1]]
            for w in ws:
                hs.append(torch.sigmoid(hs[-1] @ w.T))
            t = torch.nn.functional.one_hot(y[j : j + 1], 10).float()
            d = (hs[-1] - t) * hs[-1] * (1 - hs[-1])
            for i in range(len(ws) - 1, -1, -1):
                back = d @ ws[i]
                ws[i] -= lr * d.T @ hs[i]
                d = back * hs[i] * (1 - hs[i])
    h = xt
    for w in ws:
        h = torch.sigmoid(h @ w.T)
    return float((h.argmax(1) == yt).float().mean())


def _device_run(sizes, alg, x, y, xt, yt, epochs, lr, batch, seed, writes: int | None = None) -> float:
    """Train the MLP on NeuroSim devices (read noise 0: perfect periphery) with a decomposition rule.

    ``writes`` given: that many writes, each the batch-mean gradient of ``batch`` distinct training images drawn at
    random (every write a full batch of B, as NeuroSim draws random training images); else ``epochs`` shuffled
    passes in batches of ``batch``."""
    perfect = IOConfig.perfect()
    tile = TileConfig(device=DEVICE, forward=perfect, backward=perfect)
    model = analog_mlp(sizes, tile, alg, seed=seed, bias=False)
    opt = AnalogSGD(model.parameters(), lr=lr)
    if writes is None:
        for ep in range(epochs):
            fit_epoch(model, opt, x, y, batch, seed * 1000 + ep, loss="mse", reduction="mean")
    else:
        draw = torch.Generator().manual_seed(seed)
        for w in range(writes):
            idx = torch.randperm(x.shape[0], generator=draw)[:batch]
            fit_epoch(model, opt, x[idx], y[idx], batch, seed * 1000 + w, loss="mse", reduction="mean")
    return evaluate(model, xt, yt, loss="mse")[0]


@reproduction(
    "gradient-decomposition",
    paper="Zhao et al. 2021, Gradient decomposition methods for training networks with non-ideal synaptic devices",
    summary="device SGD vs MBGD, round-to-nearest vs stochastic rounding, SBPCA and NMF rank-sum/rank-seq",
)
def run(quick: bool = True, seed: int = 0, data_dir: str | None = None) -> Report:
    with one_thread():
        return _run(quick, seed, data_dir)


def _run(quick: bool, seed: int, data_dir: str | None) -> Report:
    report = Report("gradient-decomposition", "Gradient decomposition on a non-ideal Ag:Si device", "Zhao et al. 2021",
                    quick=quick, seed=seed, claims=CLAIMS)
    x, y, xt, yt, name = _data(quick, seed, data_dir)
    n_in = x.shape[1]
    hidden = 100  # the paper's 400-100-10
    sizes = [n_in, hidden, 10]
    sgd_epochs = 4 if quick else 10
    big_b = 1024 if quick else 4096
    # every large-batch write is a full batch of B distinct images (the paper's B): a pass over digits' 1,347 images
    # in batches of 1,024 also writes a 323-image batch, half the writes at a quarter of B
    big_writes = BIG_WRITES if quick else 400
    # batch-mean η: the paper takes each rounding at its best η of a log grid from 1e-6 to 40 (l. 4126); ours is the
    # factor-2 grid ETA_GRID, both roundings, best per network. The decomposition runs take MBGD's best η, as the
    # paper does (l. 4164): the grid η at which stochastic rounding's mean over this run's networks is highest.
    grid = ETA_GRID
    seeds = [s % 2**31 for s in child_seeds(seed, N_SEEDS)]
    report.add("data (substitute for MNIST 20×20, 8,000 images per epoch)", "MNIST", name, Info(),
               note=f"MLP {'-'.join(map(str, sizes))}, sigmoid, squared error, binarised inputs, NeuroSim device "
                    f"(c2c 3.5 % of the range per pulse = 17 steps); B = {big_b}: {big_writes} writes, each of "
                    f"{big_b} distinct random training images; {N_SEEDS} seeds")

    def runs(alg, epochs, lr, b, writes=None) -> list[float]:
        return [_device_run(sizes, alg, x, y, xt, yt, epochs, lr, b, s, writes) for s in seeds]

    def row(label: str, accs: list[float], paper=None) -> None:
        report.add(label, paper, round(statistics.fmean(accs), 4), Info(), "",
                   "seeds: " + ", ".join(f"{a:.3f}" for a in accs))

    acc_fp = [_float_sgd(sizes, x, y, xt, yt, sgd_epochs, 0.5, s) for s in seeds] if not quick else \
        [_float_sgd(sizes, x, y, xt, yt, sgd_epochs, 0.5, seeds[0])]
    row(f"floating-point SGD accuracy (B = 1, η = 0.5, {sgd_epochs} epochs)", acc_fp)
    # device SGD writes once per sample (the slow part of a quick run): 2 epochs quick; its accuracy is set by the
    # c2c noise of every single-sample write (17 steps per pulse), not by the number of epochs
    dev_epochs = 2 if quick else sgd_epochs
    # its η from scans at run seeds 100 and 200 (quick; 3 networks each): 0.51–0.63 at η = 1/8, 0.19–0.37 at 1/2,
    # 0.22–0.37 at 1/32 (the paper's best, 10^-1.4, lies between the last two)
    sgd = runs(DecompositionAlgorithm(method="mbgd", rounding="nearest"), dev_epochs, SGD_ETA, 1)
    row(f"real-device SGD accuracy (B = 1, round-to-nearest, η = {SGD_ETA:g}, {dev_epochs} epochs)", sgd)
    mbgd = {}
    for lr in grid:
        for rounding in ("nearest", "stochastic"):
            mbgd[(lr, rounding)] = runs(DecompositionAlgorithm(method="mbgd", rounding=rounding), 0, lr, big_b,
                                        big_writes)
            row(f"MBGD B={big_b}, η = {lr:g}, {rounding} rounding", mbgd[(lr, rounding)])
    best = {r: [max(v) for v in zip(*(mbgd[(lr, r)] for lr in grid), strict=True)]
            for r in ("nearest", "stochastic")}
    lr_dec = max(grid, key=lambda lr: statistics.fmean(mbgd[(lr, "stochastic")]))
    k = 10
    dec = {}
    for method, transfer in (("sbpca", "rank-sum"), ("sbpca", "rank-seq"), ("nmf", "rank-seq")):
        alg = DecompositionAlgorithm(method=method, rank=k, block=32, iterations=10 if quick else 200,
                                     transfer=transfer, rounding="stochastic")
        dec[(method, transfer)] = runs(alg, 0, lr_dec, big_b, big_writes)
        row(f"{method.upper()} {transfer}, rank {k}, B={big_b}, b=32, η = {lr_dec:g}", dec[(method, transfer)])

    report.judge("mbgd_beats_sgd", lhs=mbgd[(lr_dec, "stochastic")], rhs=sgd)
    report.judge("rtn_collapses", lhs=best["nearest"], rhs=best["stochastic"],
                 note=f"best of η ∈ {{{', '.join(f'{v:g}' for v in grid)}}} per rounding and network, as the paper's "
                      "table gives each rounding its best learning rate")
    report.judge("sbpca_sum_matches_mbgd", lhs=dec[("sbpca", "rank-sum")], rhs=mbgd[(lr_dec, "stochastic")])
    report.judge("nmf_seq_beats_pca_seq", lhs=dec[("nmf", "rank-seq")], rhs=dec[("sbpca", "rank-seq")])
    if not quick:
        report.judge("fp_sgd", [100 * a for a in acc_fp])
        report.judge("device_sgd", [100 * a for a in sgd])
        report.judge("mbgd_4096", [100 * a for a in mbgd[(lr_dec, "stochastic")]])
        report.judge("sbpca_sum_r10", [100 * a for a in dec[("sbpca", "rank-sum")]])
        report.judge("sbpca_seq_r10", [100 * a for a in dec[("sbpca", "rank-seq")]])
        report.judge("nmf_seq_r10", [100 * a for a in dec[("nmf", "rank-seq")]])

    m, n, big, b, k = 400, 100, 4096, 32, 10
    report.consistency("FLOPs per batch, MBGD, 400×100 layer, B = 4096 (2Bmn)", 2 * big * m * n,
                       decomposition_flops("mbgd", m, n, big), Exact(), "seed 001 l. 4000", "FLOP")
    report.consistency("FLOPs per batch, SBPCA rank 10, b = 32, 400×100, B = 4096 (4Bk(m+n) + (B/b)·4k(m+n))",
                       4 * big * k * (m + n) + big // b * 4 * k * (m + n),
                       decomposition_flops("sbpca", m, n, big, rank=k, block=b), Exact(), "seed 001 l. 4067", "FLOP")

    report.extra.update(sizes=sizes, eta_grid=list(grid), lr_dec=lr_dec, big_batch=big_b, big_writes=big_writes,
                        mbgd={f"{lr:g} {r}": v for (lr, r), v in mbgd.items()}, best=best,
                        decomposition={f"{m} {t}": v for (m, t), v in dec.items()})
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    labels = ["SGD", "RtN best η", "SR best η", f"RtN η{lr_dec:g}", f"SR η{lr_dec:g}", "SBPCA sum", "SBPCA seq",
              "NMF seq"]
    vals = [sgd, best["nearest"], best["stochastic"], mbgd[(lr_dec, "nearest")], mbgd[(lr_dec, "stochastic")],
            dec[("sbpca", "rank-sum")], dec[("sbpca", "rank-seq")], dec[("nmf", "rank-seq")]]
    ax.bar(range(len(vals)), [statistics.fmean(v) for v in vals])
    ax.set_xticks(range(len(vals)), labels, rotation=45, ha="right")
    ax.set_ylabel(f"test accuracy (mean of {N_SEEDS} seeds)")
    fig.tight_layout()
    report.add_figure("accuracies", fig)
    return report.finish()
