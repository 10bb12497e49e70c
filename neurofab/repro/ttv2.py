"""Gokmen 2021 (TTv2): SGD vs Tiki-Taka vs TTv2 on the TTv2 array model, model extraction and SNR pruning.

The paper trains a 2×64 LSTM on War and Peace for hundreds of epochs; neither the text nor the time is here.
We reproduce the *orderings* on a small classification task — an MLP 64-32-10 (sigmoid) on scikit-learn's
digits (quick) or the MNIST test split 8,000/2,000 (full, 784-64-10) — built from ``AnalogLinear`` layers with
every weight on the paper's simulated array (:func:`~neurofab.analog.tiki_taka.ttv2_device`: slopes μ_s = 1.66,
σ_s = 0.2, Δw_min d2d 0.3, c2c 0.3) and the paper's periphery (7-bit DAC, 9-bit ADC, output noise σ_MV = 0.06,
bound ±12, noise and bound management; the transfer reads through the same periphery, σ_MV = 0.06 as in
l. 3710). The A (or SGD) array is written by stochastic pulse trains, one pulse at a time (update management;
BL = n_pulse = ⌈η max|δ| max|x| / μ_Δw⌉ as in l. 3607, not capped at 31); TTv2 transfers columns into its digital
buffer H (one pulse on C per threshold crossing, Alg. 2), Tiki-Taka by a pulsed outer product.

The judged rows keep the paper's premises: the "more states" point is Fig. 3's 1,200 states (μ_Δw = 0.001),
the "fewest states" point 15 (Fig. 5's μ_Δw = 0.08). η_a (the optimizer's learning rate, weight units: the
expected update of Eq. 3 does not depend on Δw_min, only the pulse count does) and η_c, and the number of
columns read per transfer (k columns per sample is n_s = 1/k), were tuned per algorithm and per state count, as
the paper tuned each point (l. 3714). TTv2 moves C by at most one pulse per read (Alg. 2, l. 3682), so at
1,200 states (Δw = 0.001) one column per sample gives each weight of the first layer 126 reads — at most 0.13
of C's travel — in a 6-epoch run, against ≈ 3,800 reads per epoch in the paper's LSTM (2.9 M characters, n_s = 5,
152 columns); the tuned 1,200-state point reads 32 columns per sample. The claims (``CLAIMS``, stated before any
run) are judged on the mean of :data:`N_SEEDS` networks whose seeds derive from ``seed``; Table 1's digital
inference from averaged weights and Table 2's SNR pruning use the TTv2 networks at 1,200 states, their weights
averaged over the last epoch (one snapshot per batch).
"""

from __future__ import annotations

import math
import os
import statistics

import torch
from matplotlib.figure import Figure

from neurofab.analog import AnalogSGD
from neurofab.analog.optimizers import SGDAlgorithm
from neurofab.analog.tiki_taka import tiki_taka_config, ttv2_config, ttv2_device
from neurofab.core import child_seeds
from neurofab.crossbar import IOConfig, TileConfig, UpdateConfig, analog_mvm
from neurofab.crossbar.extraction import WeightAverager, extract_weights, random_prune_mask, snr_prune_mask
from neurofab.data import digits, mnist_split
from neurofab.devices import ConstantStep
from neurofab.repro._analog_training import analog_mlp, evaluate, fit_epoch, one_thread
from neurofab.repro.claims import Claim, Claims, PrintedPrecision, Qualitative, SeedSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Info, Report, Rounded

FORWARD_IO = IOConfig()  # aihwkit defaults = the paper's: 7-bit DAC, 9-bit ADC, out_noise 0.06, bound 12
BACKWARD_IO = IOConfig(bound_management="none")
BATCH = 16
QUIET_TT = "Tiki-Taka, transfer read noise ÷ 10"
N_SEEDS = 3
QUICK_EPOCHS = 10

CLAIMS = Claims([
    Claim("ttv2_vs_symmetric", "TTv2 ≈ SGD on a symmetric device (same states): test accuracy",
          "TTv2 ≈ symmetric-device SGD", "seed 001 l. 3710–3712, Fig. 3", SeedSpread(
              2, 0.0054, 12, "s.e. of a 3-seed mean of the paired difference at 1,200 states: sd 0.0094 over the 12 "
              "networks of quick runs at seeds 2–5 (not the seeds the tests judge), / √3"), order="≈",
          deviation="TTv2 trails symmetric-device SGD by 0.6 ± 0.3 points at 1,200 states (mean ± s.e. of the paired "
                    "difference over the 18 networks of quick runs at seeds 0–5; −1.7 / −0.7 at run seeds 0 / 1), "
                    "beyond the 2-s.e. margin at seed 0. Measured cause, the read noise of the transfer passing H: "
                    "with the read v = Au made noise-free (σ_MV = 0 on that read only, all else the same) TTv2 reaches"
                    " 0.952 / 0.949 at run seeds 0 / 1 (symmetric SGD 0.947 / 0.933, TTv2 with σ_MV = 0.06 0.930 / "
                    "0.926). H does not filter it at the tuned η_c: one ADC step of the read (24/510 = 0.047 for a "
                    "unit input) moves H by η_c/Δw_C × 0.047 = 2.3 thresholds (η_c = 0.05, Δw_C = 0.001), so every "
                    "nonzero read moves C one pulse of its sign — η_c = 0.025 and 0.05 gave the same six tuning "
                    "networks to the last test image (run seeds 100, 200). A filtering η_c (below 0.021, one threshold"
                    " per ADC step) was outside the tuning grid; with the trains then capped at BL = 31, η_c = 0.01 "
                    "left C short (0.81 vs 0.88 at 6 epochs, 64 columns per sample, η_a = 0.1)"),
    Claim("ttv2_gt_sgd_top", "TTv2 > SGD on the non-symmetric array, more states: test accuracy",
          "SGD performs poorly on non-symmetric devices", "seed 001 l. 3558, 3710, Fig. 3", Qualitative(), order=">"),
    Claim("ttv2_gt_sgd_low", "TTv2 > SGD on the non-symmetric array, fewest states: test accuracy",
          "SGD and Tiki-Taka degrade, TTv2 does not", "seed 001 l. 3714, Fig. 4", Qualitative(), order=">"),
    Claim("ttv2_gt_tt_top", "TTv2 > Tiki-Taka, more states: test accuracy",
          "clear gap between symmetric SGD and Tiki-Taka", "seed 001 l. 3710, Fig. 3", Qualitative(), order=">",
          deviation="Tiki-Taka matches TTv2 at 1,200 states (0.924 / 0.937 vs 0.930 / 0.926 at run seeds 0 / 1). "
                    "Measured cause, as for ttv2_vs_symmetric: TTv2's H does not filter the transfer read noise at "
                    "the tuned η_c (every nonzero read moves C one pulse of its sign), so its transfer is as noisy as "
                    "Tiki-Taka's; with the read noise-free TTv2 reaches 0.952 / 0.949, above Tiki-Taka with σ_MV = "
                    "0.06 and level with Tiki-Taka with the read noise ÷ 10 (0.950 / 0.945)"),
    Claim("ttv2_gt_tt_low", "TTv2 > Tiki-Taka, fewest states: test accuracy", "Tiki-Taka degrades as states fall",
          "seed 001 l. 3714, Fig. 4", Qualitative(), order=">"),
    Claim("ttv2_flat", "TTv2 flat as states fall: accuracy at fewest ≈ at most states", "TTv2 flat (Fig. 4)",
          "seed 001 l. 3714, Fig. 4", SeedSpread(
              2, 0.0060, 12, "s.e. of a 3-seed mean of the paired difference, 15 vs 1,200 states: sd 0.0103 over the "
              "12 networks of quick runs at seeds 2–5 (not the seeds the tests judge), / √3"), order="≈",
          deviation="TTv2 loses 2.9 ± 0.3 points from 1,200 to 15 states (mean ± s.e. of the paired difference over "
                    "the 18 networks of quick runs at seeds 0–5; −3.4 / −2.7 at run seeds 0 / 1; Tiki-Taka 10.3 / "
                    "10.8). Measured: C's coarse pulses during training, not C's resolution as such — the 1,200-state "
                    "networks' final weights rounded to the 15-state grid (0.08) change the accuracy by +0.3 / +0.1 "
                    "points (info row, run seeds 0 / 1), but TTv2 with the 1,200-state A and settings and a 15-state C "
                    "reaches 0.888 / 0.865 (1,200-state C: 0.930 / 0.926; 15-state A and C with their own settings: "
                    "0.896 / 0.899), so the loss comes with C's 0.08 steps while it learns, not separated further. Not "
                    "the H threshold (H counts C pulses, η_c/Δw_C, as in Alg. 2), not H's resolution (float32, 6·10⁻⁸ "
                    "of the threshold), not the final snapshot's jitter (digital inference from the last epoch's "
                    "averaged weights, info row, leaves a gap of 3.3 / 3.6 points at run seeds 0 / 1). Fig. 4 reports "
                    "the 50th epoch of an LSTM trained on 2.9 M characters (≈ 3,800 reads per column per epoch; here "
                    "210 reads per first-layer column in the whole 15-state run, one column per sample as tuned)"),
    Claim("tt_degrades_more", "accuracy lost from most to fewest states: TTv2 < Tiki-Taka",
          "Tiki-Taka degrades, TTv2 does not", "seed 001 l. 3714, Fig. 4", Qualitative(), order="<"),
    Claim("extraction_std", "weight-extraction error std, 512×512 tile, 10,240 random MVMs", 0.002,
          "seed 001 l. 3766, Fig. 6C", PrintedPrecision(sig=1), tolerance=Rounded(sig=1), unit="weight units"),
    Claim("onehot_worse", "extraction error std: 512 one-hot MVMs > 10,240 random ones", "one-hot extraction poor",
          "seed 001 l. 3764, Fig. 6A", Qualitative(), order=">", unit="weight units"),
    Claim("table1_avg_digital", "TTv2: digital inference from the averaged weights > analog inference (accuracy)",
          "1.334 < 1.410 (cross-entropy, Model II)", "seed 001 l. 3786, 3793, Table 1", Qualitative(), order=">"),
    Claim("snr_beats_random", "accuracy after SNR pruning (|μ|/σ < 1) > random pruning of the same fraction",
          "1.331 vs 3.42 ± 0.26 (cross-entropy, Table 2)", "seed 001 l. 3821, Table 2", Qualitative(), order=">"),
])

#: (η_a, η_c, columns read per transfer) per algorithm and number of states; η_c in weight units. The paper tuned
#: every point's hyper-parameters (l. 3714), n_s among them (l. 3746); reading k columns per sample is n_s = 1/k.
#: Every point re-tuned with the uncapped trains (l. 3607) by a rule fixed before any judged seed was run —
#: η_a ∈ {c/3, c, 3c} around the previous value c with η_c and columns as before, then, for Tiki-Taka and TTv2 at the
#: best η_a, η_c ∈ {c_c, c_c/2} × columns ∈ {k, 2k}; score = mean final test accuracy (quick: digits, 10 epochs) of
#: the six networks of run seeds 100 and 200 (never the judged 0 and 1); best score wins, ties keep the previous
#: value. The 60-state point serves the full mode only (there, too, tuned on digits).
TUNED = {
    ("SGD, symmetric device", 1200.0): (0.05, None, 1),
    ("SGD, symmetric device", 60.0): (0.033, None, 1),
    ("SGD", 1200.0): (0.09, None, 1),
    ("SGD", 60.0): (0.09, None, 1),
    ("SGD", 15.0): (0.01, None, 1),
    ("Tiki-Taka", 1200.0): (0.017, 0.25, 4),
    ("Tiki-Taka", 60.0): (0.033, 0.1, 1),
    ("Tiki-Taka", 15.0): (0.1, 0.1, 1),
    ("TTv2", 1200.0): (0.017, 0.05, 32),
    ("TTv2", 60.0): (0.033, 0.1, 2),
    ("TTv2", 15.0): (0.1, 0.1, 1),
}


def _tuned(name: str, states: float) -> tuple[float, float | None, int]:
    """(η_a, η_c, columns per transfer) of one point; untuned state counts use the nearest tuned one."""
    key = "Tiki-Taka" if name == QUIET_TT else name
    counts = [s for (k, s) in TUNED if k == key]
    near = min(counts, key=lambda s: abs(math.log(s / states)))
    return TUNED[(key, near)]


def _data(quick: bool, seed: int, data_dir: str | None):
    if quick or not (data_dir or os.environ.get("NEUROFAB_DATA")):
        sp = digits(seed=seed)
        return sp, "digits (1,347 train / 450 test, 8×8)"
    sp = mnist_split(data_dir or os.environ["NEUROFAB_DATA"], seed=seed)
    return sp, "MNIST test split (8,000 train / 2,000 test, 28×28)"


def _symmetric_device(states: float) -> ConstantStep:
    """A symmetric constant-step device with the TTv2 array's step size, d2d and c2c (no asymmetry)."""
    return ConstantStep(
        dw_min=ttv2_device(states).dw_min, dw_min_dtod=0.3, dw_min_std=0.3, up_down_dtod=0.0, w_min=-0.6, w_max=0.6,
        w_min_dtod=0.0, w_max_dtod=0.0,
    )


def _pulse_bound(lr: float, dw_min: float) -> int:
    """The longest pulse train a sample can need, n_pulse = ⌈η max|δ| max|x| / μ_Δw⌉ (l. 3607) with
    max|x| ≤ 1 (pixels in [0, 1], sigmoid activations) and max|δ| ≤ 1 (softmax − one-hot at the output; below
    it after a sigmoid's derivative ≤ 1/4): the paper bounds the train by n_pulse and by nothing else, so the
    periphery's cap (BL = 31 by default) is raised to it and no sample's update is clipped."""
    return max(31, math.ceil(lr / dw_min))


def _setup(name: str, states: float):
    """(tile configuration, algorithm, η_a) of one point."""
    lr_a, lr_c, cols = _tuned(name, states)
    device = _symmetric_device(states) if name == "SGD, symmetric device" else ttv2_device(states)
    update = UpdateConfig(mode="stochastic", desired_bl=_pulse_bound(lr_a, device.dw_min))
    tile = TileConfig(device=device, forward=FORWARD_IO, backward=BACKWARD_IO, update=update)
    if name == "Tiki-Taka":
        alg = tiki_taka_config(lr_c, every=1, io=FORWARD_IO, columns_per_transfer=cols)
    elif name == QUIET_TT:
        alg = tiki_taka_config(lr_c, every=1, io=FORWARD_IO.replace(out_noise=FORWARD_IO.out_noise / 10),
                               columns_per_transfer=cols)
    elif name == "TTv2":
        alg = ttv2_config(lr_c, every=1, io=FORWARD_IO, columns_per_transfer=cols)
    else:
        alg = SGDAlgorithm()
    return tile, alg, lr_a


def _train(sizes, name, states, sp, epochs, seed, snapshot_last: bool = False):
    tile, alg, lr_a = _setup(name, states)
    model = analog_mlp(sizes, tile, alg, seed=seed)
    opt = AnalogSGD(model.parameters(), lr=lr_a)
    analog = [model[i] for i in range(0, len(model), 2)]
    averagers = [WeightAverager() for _ in analog] if snapshot_last else None
    curve = []
    for ep in range(epochs):
        snap = None
        if snapshot_last and ep == epochs - 1:
            def snap():
                for avg, layer in zip(averagers, analog, strict=True):
                    avg.add(layer.get_weights())
        fit_epoch(model, opt, sp.x_train, sp.y_train, BATCH, (seed % 2**40) * 1000 + ep, after_step=snap)
        curve.append(evaluate(model, sp.x_test, sp.y_test)[0])
    biases = [layer.bias.detach() for layer in analog]
    final = [layer.get_weights().detach().clone() for layer in analog]
    return curve, averagers, final, biases


def _digital_accuracy(weights, biases, x, y) -> float:
    h = x.double()
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ w.double().T + b.double()
        h = torch.sigmoid(z) if i < len(weights) - 1 else z
    return float((h.argmax(1) == y).double().mean())


def _on_grid(w: torch.Tensor, step: float, bound: float = 1 / 1.66) -> torch.Tensor:
    """``w`` rounded to the nearest multiple of ``step`` within ±``bound`` (a device with that step, no variation)."""
    return (torch.round(w.double() / step) * step).clamp(-bound, bound)


def _extraction_std(n_mvm: int, seed: int, inputs: str, scale: float = 0.3) -> float:
    gen = torch.Generator().manual_seed(seed)
    w = (torch.rand(512, 512, generator=gen) * 2 - 1) * scale
    io_gen = torch.Generator().manual_seed(seed + 1)
    ext = extract_weights(lambda x: analog_mvm(w, x, FORWARD_IO, io_gen), 512, 512, n_mvm, seed=seed, inputs=inputs)
    return float((ext.weights() - w.double()).std())


@reproduction(
    "ttv2",
    paper="Gokmen 2021, Enabling training of neural networks on noisy hardware (TTv2)",
    summary="SGD vs Tiki-Taka vs TTv2 on the TTv2 array model across state counts; extraction; SNR pruning",
)
def run(quick: bool = True, seed: int = 0, data_dir: str | None = None) -> Report:
    with one_thread():
        return _run(quick, seed, data_dir)


def _run(quick: bool, seed: int, data_dir: str | None) -> Report:
    report = Report("ttv2", "TTv2: training on noisy, asymmetric analog arrays", "Gokmen 2021", quick=quick,
                    seed=seed, claims=CLAIMS)
    sp, data_name = _data(quick, seed, data_dir)
    n_in = sp.x_train.shape[1]
    sizes = [n_in, 32, 10] if n_in == 64 else [n_in, 64, 10]
    states_list = [1200.0, 15.0] if quick else [1200.0, 120.0, 60.0, 15.0]
    epochs = QUICK_EPOCHS if quick else 15
    seeds = child_seeds(seed, N_SEEDS)
    report.add("data (substitute for War and Peace, LSTM 2×64)", "War and Peace", data_name, Info(),
               note=f"MLP {'-'.join(map(str, sizes))} on AnalogLinear layers, sigmoid, softmax cross-entropy summed "
                    f"over a batch of {BATCH} (one rank-1 pulse-train update per sample), {epochs} epochs, "
                    f"{N_SEEDS} seeds; transfers every sample, the tuned number of columns each")
    acc: dict[tuple[str, float], list[float]] = {}
    curves = {}
    nets = []  # (averagers, final weights, biases, analog accuracy) of each TTv2 network at the top state count
    low_avg: list[float] = []  # digital accuracy of each fewest-state TTv2 network's last-epoch mean weights
    for states in states_list:
        for name in ("SGD, symmetric device", "SGD", "Tiki-Taka", QUIET_TT, "TTv2"):
            if name in ("SGD, symmetric device", QUIET_TT) and states != states_list[0]:
                continue
            finals = []
            for i, s in enumerate(seeds):
                snapshot = name == "TTv2" and states in (states_list[0], states_list[-1])
                curve, avgs, final, biases = _train(sizes, name, states, sp, epochs, s, snapshot_last=snapshot)
                finals.append(curve[-1])
                curves[f"{name} @ {states:g} states, seed {i}"] = curve
                if snapshot and states == states_list[0]:
                    nets.append((avgs, final, biases, curve[-1], curve[-1] - curve[-2]))
                elif snapshot:
                    low_avg.append(_digital_accuracy([a.mean for a in avgs], biases, sp.x_test, sp.y_test))
            acc[(name, states)] = finals
            lr_a, lr_c, cols = _tuned(name, states)
            tuned = f"η_a = {lr_a}" + (f", η_c = {lr_c}, {cols} column(s) per transfer" if lr_c is not None else "")
            report.add(f"test accuracy, {name}, {states:g} states (mean)", None, round(statistics.fmean(finals), 4),
                       Info(), "", f"{tuned}; seeds: {', '.join(f'{v:.3f}' for v in finals)}; paper: LSTM "
                       "cross-entropy")
    top, low = states_list[0], states_list[-1]
    report.judge("ttv2_vs_symmetric", lhs=acc[("TTv2", top)], rhs=acc[("SGD, symmetric device", top)])
    report.judge("ttv2_gt_sgd_top", lhs=acc[("TTv2", top)], rhs=acc[("SGD", top)])
    report.judge("ttv2_gt_sgd_low", lhs=acc[("TTv2", low)], rhs=acc[("SGD", low)])
    report.judge("ttv2_gt_tt_top", lhs=acc[("TTv2", top)], rhs=acc[("Tiki-Taka", top)])
    report.judge("ttv2_gt_tt_low", lhs=acc[("TTv2", low)], rhs=acc[("Tiki-Taka", low)])
    report.judge("ttv2_flat", lhs=acc[("TTv2", low)], rhs=acc[("TTv2", top)])
    report.judge("tt_degrades_more", lhs=[a - b for a, b in zip(acc[("TTv2", top)], acc[("TTv2", low)], strict=True)],
                 rhs=[a - b for a, b in zip(acc[("Tiki-Taka", top)], acc[("Tiki-Taka", low)], strict=True)])

    # model extraction (Fig. 6)
    n_mvm = 10_240
    std_rand = _extraction_std(n_mvm, seed, "uniform")
    std_hot = _extraction_std(512, seed, "one_hot")
    std_full = _extraction_std(n_mvm, seed, "uniform", scale=0.6)
    report.judge("extraction_std", std_rand, note="weights U[−0.3, 0.3] (half the device range, as in a trained "
                 "layer); σ_out·sqrt(3/N) = 0.0010 from output noise alone, bound management raises it")
    report.add("extraction error std, weights U[−0.6, 0.6] (full range)", None, round(std_full, 5), Info(),
               "weight units", "more outputs saturate, bound management halves the inputs more often")
    report.judge("onehot_worse", lhs=std_hot, rhs=std_rand)

    # Table 1 (digital inference from the final and the averaged weights) and Table 2 (SNR pruning), on the TTv2
    # networks at the top state count; μ and σ over each one's last epoch (one snapshot per batch)
    analog, final_dig, avg_dig, snr, rand, frac = [], [], [], [], [], []
    for k, (avgs, final, biases, analog_acc, _) in enumerate(nets):
        means = [a.mean for a in avgs]
        stds = [a.std for a in avgs]
        analog.append(analog_acc)
        final_dig.append(_digital_accuracy(final, biases, sp.x_test, sp.y_test))
        avg_dig.append(_digital_accuracy(means, biases, sp.x_test, sp.y_test))
        masks = [snr_prune_mask(m, sd, 1.0) for m, sd in zip(means, stds, strict=True)]
        f = 1 - sum(int(m.sum()) for m in masks) / sum(m.numel() for m in masks)
        frac.append(100 * f)
        snr.append(_digital_accuracy([m * w for m, w in zip(means, masks, strict=True)], biases, sp.x_test,
                                     sp.y_test))
        rs = []
        for r in range(5):
            rm = [random_prune_mask(tuple(m.shape), f, seed=seed + 100 * k + 10 * r + i) for i, m in enumerate(means)]
            rs.append(_digital_accuracy([m * w for m, w in zip(means, rm, strict=True)], biases, sp.x_test, sp.y_test))
        rand.append(statistics.fmean(rs))
    report.add("TTv2: digital inference from the final weights − analog inference (mean)", "1.360 vs 1.410",
               round(statistics.fmean(final_dig) - statistics.fmean(analog), 4), Info(), "",
               "paper: cross-entropy, Table 1 (l. 3786, 3792); here the two differ by about one of the 450 test "
               "images, below what the test set resolves, and the sign changes from seed to seed")
    report.judge("table1_avg_digital", lhs=avg_dig, rhs=analog)
    step = ttv2_device(low).dw_min
    grid_dig = [_digital_accuracy([_on_grid(w, step) for w in final], biases, sp.x_test, sp.y_test)
                for _, final, biases, _, _ in nets]
    report.add(f"TTv2, {top:g}-state networks: digital inference on the {low:g}-state grid − unrounded (mean)", None,
               round(statistics.fmean(grid_dig) - statistics.fmean(final_dig), 4), Info(), "",
               f"final weights rounded to multiples of one {low:g}-state step ({step:.3f}) within ±0.6: what a "
               f"{low:g}-state C costs a network of this size by its resolution alone")
    report.add("accuracy gained over the last epoch (analog, TTv2, mean)", None,
               round(statistics.fmean(n[4] for n in nets), 4), Info(), "",
               "the averaging window is this last epoch; the paper averages epochs 180–200 of a converged run")
    report.add("fraction pruned with |μ|/σ < 1 (mean)", 16.7, round(statistics.fmean(frac), 1), Info(), "%",
               "paper: LSTM Model III; the fraction depends on the network and the averaging window")
    report.add("accuracy after SNR pruning (|μ|/σ < 1), mean", None, round(statistics.fmean(snr), 4), Info())
    report.add("accuracy after random pruning of the same fraction (mean of 5 × seeds)", None,
               round(statistics.fmean(rand), 4), Info())
    report.judge("snr_beats_random", lhs=snr, rhs=rand)
    report.add(f"TTv2, {low:g} − {top:g} states: digital inference from the last epoch's averaged weights (mean)",
               None, round(statistics.fmean(low_avg) - statistics.fmean(avg_dig), 4), Info(), "",
               f"analog inference: {statistics.fmean(acc[('TTv2', low)]) - statistics.fmean(acc[('TTv2', top)]):.4f};"
               " does averaging the last epoch (one snapshot per batch) recover the fewest-state loss?")
    report.extra["curves"] = curves

    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    for name in ("SGD", "Tiki-Taka", "TTv2"):
        ax.plot(states_list, [statistics.fmean(acc[(name, s)]) for s in states_list], marker="o", label=name)
    ax.axhline(statistics.fmean(acc[("SGD, symmetric device", top)]), ls="--", color="gray",
               label="SGD, symmetric device")
    ax.set_xscale("log")
    ax.set_xlabel("number of states")
    ax.set_ylabel("test accuracy")
    ax.legend()
    report.add_figure("accuracy_vs_states", fig)
    return report.finish()
