"""μBrain (Stuijt et al. 2021, seed 001 l. 590–995): the 256-64-10 4-bit MNIST network on the event-driven chip.

The offline flow of the seed (l. 785–789): a ReLU MLP without biases on 16×16 images, its weights quantized to
4 bits, pixels rate-coded to [100 kHz, 655 kHz], the class read out as the output neuron with the shortest
inter-spike interval. Here the chip is :mod:`neurofab.systems.ubrain` (wrapping accumulators, threshold 64,
per-layer round-robin arbiter, one spike per cycle), simulated event by event.

Set-up choices, each stated in the report: the arbiter cycle is 5 ns (the seed: the circuit "operates in a few ns",
the 100 ns of the prototype's delay cell being a safety margin, l. 719 — at 100 ns one arbiter serves 10 M spikes/s,
below the 69 M events/s the printed rates put on the input, see the saturation row); the global scale is 1 in both
layers; the readout stops at the first completed inter-spike interval of an output neuron (the chip "can proceed to
compute the following input", l. 787). Spikes and energy per classification are also measured over a presentation
of 6,400 input events, the seed's figure (l. 859–861), taken as the premise of that row.

Data: quick mode the bundled ``digits`` (8×8, upsampled bilinearly to 16×16); the full run the MNIST test split
(8,000 train / 2,000 test, 28×28 downsampled to 16×16) via ``NEUROFAB_DATA`` or ``data_root``.
"""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from neurofab.analog.hwa import fit
from neurofab.core import Ledger, child_seeds, one_thread
from neurofab.cost.energy import price_ledger
from neurofab.data import digits, mnist_split
from neurofab.data.images import resample
from neurofab.data.micro_doppler import micro_doppler
from neurofab.repro.claims import Arithmetic, Claim, Claims, ModelUncertainty, Qualitative, RunSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Report
from neurofab.repro.tolerances import Absolute, Info, Relative, Rounded
from neurofab.systems.ubrain import (
    PROTOTYPE_FC_SYNAPSES,
    UBrainNet,
    UBrainResult,
    UBrainRun,
    ann_inputs,
    convert,
    input_events,
    mlp,
    prototype,
    prototype_bits,
    prototype_synapses,
    radar_frontend,
    registers,
    simulate,
)

PAPER = "Stuijt et al. 2021, μBrain: an event-driven and fully synthesizable architecture (seed 001)"
SIZES = (256, 64, 10)
BITS = (4, 3, 2)
N_SEEDS = 3
# The bit-width orderings are judged over N_BITS networks (the first N_SEEDS are the networks of every other row).
# Fixed before the judged runs: the paired 3-bit − 4-bit difference varies from network to network with an s.d. of
# 1.54 points (10 networks of quick runs at run seeds 100 and 200, not the seeds the tests judge; 450 digits each,
# undecided runs run on to 4.2 ms; mean −2.4). The quick budget (+30 % run time over the three-network run, 13.4 s
# CPU) holds one more network (≈ 3.4 s CPU each with its run-on): 4 networks resolve the mean to ±1.54 points
# (2 s.e.), three to ±1.78; a run where every network's 3-bit chip is below its 4-bit one reproduces regardless.
N_BITS = 4
T_CYCLE = 5e-9  # [s] "operates in a few ns" (l. 719)
# A classification ends at the first completed output ISI (l. 787); the seed states no cut-off, and its time per
# classification is 4.2 ms (l. 889). Runs still undecided at t_max = 0.2 ms are run on (same input phases: the same
# event sequence, continued) to 1 ms and then 4.2 ms, so the 0.2 ms cut-off never decides a 4- or 3-bit
# classification (4-bit runs first go to 0.05 ms, which only saves time: the result is the same). At 2 bits nearly
# every run is undecided at 0.2 ms and running them on would cost ≈ 20 s per network per ms; those stay cut at
# 0.2 ms (measured on 2 networks × 100 digits at 4.2 ms: 18 and 46 %, against 94 and 93 % at 3 bits, so the cut
# does not decide claim 'bits2').
RUN_ON = (1e-3, 4.2e-3)  # [s]
FIRST_4BIT = 0.05e-3  # [s] first pass of 4-bit runs (decided in 0.01–0.02 ms on average)
PAPER_INPUT_EVENTS = 6_400  # per classification (l. 859–861)
_SPIKES_WHY = ("the 5,100 neuron spikes of the seed's 11,500 scale with the trained weights' ℓ1 norm per threshold, "
               "set by training details the seed does not give; ±40 % on that share moves the total by ±0.2")

_DROP_WHY = ("ours loses 1.35 ± 0.13 points (MNIST split, 3 seeds), and the 4-bit weights alone cost 1.27 of them "
             "(4-bit integer ANN 90.73 % vs float 92.0 %): the rate-coded chip with the first-ISI readout adds only "
             "0.08; the seed's 0.3 comes from a network and quantizer it does not give (ours: per-layer max-|w| "
             "scaling to code 7, round to nearest)")
_SPIKE_WHY = ("with 6,400 input events our hidden layer emits ≈ 990 spikes and the output ≈ 16 (MNIST split, 3 seeds): "
              "0.16 neuron spikes per input event against the seed's (11,500 − 6,400)/6,400 = 0.8; our weights are "
              "scaled so the layer's largest |w| is code 7 and the global scale is 1, which sets the hidden rates")

CLAIMS = Claims([
    Claim("drop", "SNN (4-bit) accuracy drop vs the float ANN, MNIST", 0.3, "seed 001 l. 789 (91.7 % vs 92 %)",
          RunSpread(2, "paired test-set resolution of SNN vs ANN (√(b + c)/n per seed, over √seeds)"),
          tolerance=Absolute(0.0), unit="points", full_only=True, deviation=_DROP_WHY),
    Claim("bits3", "accuracy falls below 4 bits: 3-bit < 4-bit", "decreases significantly", "seed 001 l. 789",
          Qualitative(), order="<", unit="%"),
    Claim("bits2", "accuracy falls below 4 bits: 2-bit < 3-bit", "decreases significantly", "seed 001 l. 789",
          Qualitative(), order="<", unit="%"),
    Claim("snn_mnist", "SNN accuracy, MNIST 16×16, 4-bit", 91.7, "seed 001 l. 789, Table 2 (l. 876)",
          RunSpread(2, "binomial s.e. of the test-set accuracy over √seeds"), tolerance=Absolute(0.0), unit="%",
          full_only=True, deviation="ours is 90.65 ± 0.73 % (3 seeds) with a float ANN at 92.0 %, the seed's own "
                                    "ANN accuracy: the 1.35-point drop of claim 'drop', 1.27 of it from 4-bit "
                                    "quantization (integer ANN 90.73 %)"),
    Claim("ann_mnist", "float ANN accuracy, MNIST 16×16", 92.0, "seed 001 l. 789",
          RunSpread(2, "binomial s.e. of the test-set accuracy over √seeds"), tolerance=Absolute(0.0), unit="%",
          full_only=True),
    Claim("spikes", "spikes per classification (6,400 input events)", 11_500, "seed 001 l. 859–861",
          ModelUncertainty(_SPIKES_WHY, rel=0.2), tolerance=Relative(0.2), full_only=True, deviation=_SPIKE_WHY),
    Claim("energy", "energy per classification at 26 pJ/spike (6,400 input events)", 308.0,
          "seed 001 l. 789, Table 2 (l. 879)", ModelUncertainty(_SPIKES_WHY, rel=0.2), tolerance=Relative(0.2),
          unit="nJ", full_only=True, deviation="energy is spikes × 26 pJ: " + _SPIKE_WHY),
    Claim("latency", "time per classification", 4.2, "seed 001 l. 889", ModelUncertainty(
        "the decision time scales with the output rates, which follow the trained weights; ±50 %", rel=0.5),
        tolerance=Relative(0.5), unit="ms", full_only=True,
        deviation="the seed's 4.2 ms cannot come from its printed input rates: 256 channels at ≥ 100 kHz emit ≥ 25.6 M "
                  "events/s, so its 6,400 input events last ≤ 0.25 ms (it states 'only the frequency ratios matter', "
                  "l. 802; 6,400 events in 4.2 ms is a 1.5 M events/s input link). Ours is the simulated decision time "
                  "at the printed rates (row 'input event rate' gives our measured rate)", deviation_kind="paper"),
    Claim("fc_synapses", "FC synapses of the prototype (256·64 + 64·16 + 64 + 16 bias weights)", 17_488,
          "seed 001 l. 762", Arithmetic(), tolerance=Rounded(sig=5)),
    Claim("mnist_synapses", "synapses used for MNIST (256·64 + 64·10)", 17_000, "seed 001 Table 2 (l. 877): 17k",
          Arithmetic(), tolerance=Rounded(sig=2)),
    Claim("mnist_neurons", "neurons used for MNIST (64 + 10)", 74, "seed 001 Table 2 (l. 877)", Arithmetic(),
          tolerance=Rounded(sig=2)),
])


def _upsample(x: torch.Tensor, side: int) -> torch.Tensor:
    return resample(x, side, 16, antialias=side > 16).clamp(0.0, 1.0)


def _data(quick: bool, seed: int, data_root: str | None):
    if quick:
        sp = digits(seed=seed)
        return _upsample(sp.x_train, 8), sp.y_train, _upsample(sp.x_test, 8), sp.y_test
    sp = mnist_split(data_root, seed=seed)
    return _upsample(sp.x_train, 28), sp.y_train, _upsample(sp.x_test, 28), sp.y_test


def _acc(pred: torch.Tensor, y: torch.Tensor) -> float:
    return 100.0 * float((pred == y).double().mean())


def _resolution(a: torch.Tensor, b: torch.Tensor, y: torch.Tensor) -> float:
    """Paired resolution of two classifiers' accuracy difference on one test set: √(b + c)/n [points]."""
    discordant = int(((a == y) != (b == y)).sum())
    return 100.0 * math.sqrt(max(discordant, 1)) / len(y)


def _decide(net: UBrainNet, x: torch.Tensor, chip: UBrainRun, seed: int) -> UBrainResult:
    """:func:`simulate` with the classifications still undecided at ``chip.t_max`` run on to each of
    :data:`RUN_ON` in turn, with the same input phases (the event sequence of a longer run starts with that of a
    shorter one, so the merged result equals one run at the last t_max that reaches a decision). 4-bit networks
    first run to :data:`FIRST_4BIT` (same result, less time)."""
    _, phases = input_events(x, chip, seed)
    at = lambda t_max: UBrainRun(**{**chip.model_dump(), "t_max": t_max})  # noqa: E731
    stages = ((FIRST_4BIT, chip.t_max) if net.layers[0].weight_bits == 4 else (chip.t_max,)) + RUN_ON
    stage = at(stages[0])
    res = simulate(net, x, stage, phases=phases)
    fields = ("prediction", "first_spikes", "out_counts", "served", "fired", "merged", "wait_cycles", "end_cycle",
              "lateral")
    parts = {f: getattr(res, f).clone() for f in fields}
    for t_max in stages[1:]:
        left = torch.nonzero(parts["end_cycle"] >= stage.max_cycles).flatten()
        if not len(left):
            break
        stage = at(t_max)
        more = simulate(net, x[left], stage, phases=phases[left])
        for f in fields:
            parts[f][left] = getattr(more, f)
    return UBrainResult(t_cycle=chip.t_cycle, **parts)


def _bits_figure(bits: tuple[int, ...], snn: dict[int, list[float]], ann: list[float]) -> Figure:
    fig = Figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    mean = [sum(snn[b]) / len(snn[b]) for b in bits]
    ax.plot(bits, mean, "o-", label="μBrain SNN (first-ISI readout)")
    ax.axhline(sum(ann) / len(ann), color="k", ls="--", label="float ANN")
    ax.set_xlabel("weight bits W")
    ax.set_ylabel("test accuracy [%]")
    ax.set_title("μBrain: accuracy vs weight precision")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _radar(report: Report, seed: int) -> None:
    """The radar use case on synthetic micro-Doppler maps (the seed's data are not public): info rows only."""
    s_data, s_init, s_fit, s_sim = child_seeds(seed + 7919, 4)
    maps, y = micro_doppler(100, seed=s_data)
    x = radar_frontend(maps, s=0.15)
    n = len(x) * 3 // 4
    chip = UBrainRun(t_cycle=T_CYCLE, f_min=0.0, f_max=655e3, t_max=0.2e-3)  # binary pixels: {0, 655 kHz} (l. 830)
    torch.manual_seed(s_init)
    model = mlp((256, 64, 4))
    fit(model, ann_inputs(x[:n], chip), y[:n], epochs=30, lr=2e-3, batch_size=64, seed=s_fit)
    with Ledger() as led:
        res = simulate(convert(model, 4), x[n:], chip, generator=s_sim)
    e = price_ledger(led, "ubrain", ignore_unknown={"synop", "neuron_update"}).total / len(x[n:]) * 1e9
    report.add("radar gestures (synthetic micro-Doppler substitute, 4 classes): SNN accuracy", 93.4,
               _acc(res.prediction, y[n:]), Info(), "%",
               note="the seed's radar data are not public (l. 822); maps from neurofab.data.micro_doppler, "
                    "threshold μ + 0.15σ, 16×16, 256-64-4 bias-free MLP → 4 bits; says nothing about 93.4 %")
    report.add("radar gestures: energy per classification (first-ISI decision)", 340.0, e, Info(), "nJ")


@reproduction("ubrain", paper=PAPER,
              summary="256-64-10 4-bit MNIST on the event-driven μBrain: accuracy, bits, spikes, energy, latency")
def run(quick: bool = True, seed: int = 0, data_root: str | None = None) -> Report:
    with one_thread():
        return _run(quick, seed, data_root)


def _run(quick: bool, seed: int, data_root: str | None) -> Report:
    report = Report("ubrain", "μBrain: 256-64-10 4-bit MNIST, event-driven", PAPER, quick=quick, seed=seed,
                    claims=CLAIMS)
    chip = UBrainRun(t_cycle=T_CYCLE, t_max=0.2e-3, readout="first_isi")
    epochs = 20 if quick else 15
    ann_acc: list[float] = []
    quant_acc: list[float] = []
    snn: dict[int, list[float]] = {b: [] for b in BITS}
    drops, res_drop, lat, spk_isi, in_rate = [], [], [], [], []
    window = {"spikes": [], "energy": [], "inputs": [], "hidden": [], "out": [], "acc": []}
    wait0, silent2, n_test = [], [], 0
    for i, s in enumerate(child_seeds(seed, N_BITS)):
        s_data, s_init, s_fit, s_sim, s_win = child_seeds(s, 5)
        x_tr, y_tr, x_te, y_te = _data(quick, s_data, data_root)
        n_test = len(y_te)
        torch.manual_seed(s_init)
        model = mlp(SIZES)
        fit(model, ann_inputs(x_tr, chip), y_tr, epochs=epochs, lr=2e-3, batch_size=64, seed=s_fit)
        with torch.no_grad():
            ann_pred = model(ann_inputs(x_te, chip)).argmax(1)
        if i >= N_SEEDS:  # a network that only enters the bit-width orderings
            for bits in (4, 3):
                snn[bits].append(_acc(_decide(convert(model, bits), x_te, chip, s_sim).prediction, y_te))
            continue
        ann_acc.append(_acc(ann_pred, y_te))
        net4 = convert(model, 4)
        with torch.no_grad():
            h = torch.relu(ann_inputs(x_te, chip) @ net4.codes[0].T.float())
            quant_acc.append(_acc((h @ net4.codes[1].T.float()).argmax(1), y_te))
        for bits in BITS:
            net = convert(model, bits)
            res = simulate(net, x_te, chip, generator=s_sim) if bits == 2 else _decide(net, x_te, chip, s_sim)
            snn[bits].append(_acc(res.prediction, y_te))
            if bits == 2:
                silent2.append(100.0 * float((res.prediction < 0).double().mean()))
            if bits == 4:
                drops.append(ann_acc[-1] - snn[4][-1])
                res_drop.append(_resolution(ann_pred, res.prediction, y_te))
                lat.append(float(res.latency.mean()) * 1e3)
                spk_isi.append(float(res.spikes.double().mean()))
                in_rate.append(float((chip.f_min + (chip.f_max - chip.f_min) * x_te.double()).sum(1).mean()))
                wait0.append(float(res.wait_cycles[:, 0].sum() / res.served[:, 0].sum().clamp(min=1)))
        if quick and i > 0:
            continue
        # spikes and energy over a presentation of the seed's 6,400 input events
        t_present = PAPER_INPUT_EVENTS / in_rate[-1]
        win = UBrainRun(t_cycle=T_CYCLE, t_max=t_present, readout="window")
        with Ledger() as led:
            res = simulate(convert(model, 4), x_te, win, generator=s_win)
        window["spikes"].append(float(res.spikes.double().mean()))
        window["energy"].append(price_ledger(led, "ubrain", ignore_unknown={"synop", "neuron_update"}).total
                                / n_test * 1e9)
        window["inputs"].append(float(res.served[:, 0].double().mean()))
        window["hidden"].append(float(res.fired[:, 0].double().mean()))
        window["out"].append(float(res.fired[:, 1].double().mean()))
        window["acc"].append(_acc(res.prediction, y_te))

    k = math.sqrt(N_SEEDS)
    data = ("digits (8×8 → 16×16 bilinear, 1,347 train / 450 test)" if quick else
            "MNIST test split (28×28 → 16×16, 8,000 train / 2,000 test)")
    report.add("data", "MNIST 16×16 (10,000 test images)", data, Info(),
               note="quick mode substitutes the bundled digits; the full run uses NEUROFAB_DATA or data_root")
    report.add("chip set-up", None, f"arbiter cycle {T_CYCLE * 1e9:g} ns, global scale 1/1, threshold 64, round-robin, "
               "first-ISI readout (stop at the first completed ISI), t_max 0.2 ms; undecided 4- and 3-bit runs "
               "run on to 1 and 4.2 ms", Info())
    report.add("float ANN accuracy (mean over seeds)", 92.0, sum(ann_acc) / N_SEEDS, Info(), "%")
    report.add("4-bit integer ANN accuracy (quantized weights, no spikes)", None, sum(quant_acc) / N_SEEDS, Info(),
               "%", note="separates the quantization loss from the spiking chip's")
    for bits in BITS:
        report.add(f"SNN accuracy, {bits}-bit weights (mean over {len(snn[bits])} networks)",
                   91.7 if bits == 4 else None, sum(snn[bits]) / len(snn[bits]), Info(), "%")
    report.add("2-bit: classifications with no output spike within t_max", None, sum(silent2) / N_SEEDS, Info(), "%",
               note="at 2 bits (codes −1, 0, +1) most weights round to 0 and the output layer stays silent")
    spread = math.sqrt(sum(r * r for r in res_drop) / N_SEEDS) / k
    if quick:
        report.add("SNN (4-bit) accuracy drop vs the float ANN (digits)", 0.3, sum(drops) / N_SEEDS, Info(), "points",
                   note=f"judged in full runs; here ± {2 * spread:.2f} (2 × paired resolution over √seeds)")
    else:
        report.judge("drop", drops, spread=spread)
    report.judge("bits3", lhs=snn[3], rhs=snn[4], note=f"{N_BITS} networks, paired")
    report.judge("bits2", lhs=snn[2], rhs=snn[3][:N_SEEDS], note="2-bit runs cut at 0.2 ms (see RUN_ON)")
    mean_spk = sum(window["spikes"]) / len(window["spikes"])
    mean_e = sum(window["energy"]) / len(window["energy"])
    if not quick:
        for key, vals in (("snn_mnist", snn[4][:N_SEEDS]), ("ann_mnist", ann_acc)):
            p = sum(vals) / N_SEEDS / 100
            report.judge(key, vals, spread=100 * math.sqrt(p * (1 - p) / n_test) / k)
        report.judge("spikes", window["spikes"])
        report.judge("energy", window["energy"])
        report.judge("latency", lat)
    else:
        report.add("spikes per classification (6,400 input events)", 11_500, mean_spk, Info(),
                   note="digits, not MNIST (judged in full runs)")
        report.add("energy per classification at 26 pJ/spike", 308.0, mean_e, Info(), "nJ")
        report.add("time per classification (first-ISI decision)", 4.2, sum(lat) / N_SEEDS, Info(), "ms")
    report.add("  of which input events / hidden / output spikes", "6,400 / – / –",
               " / ".join(f"{sum(window[k]) / len(window[k]):.0f}" for k in ("inputs", "hidden", "out")), Info(),
               note="a presentation of 6,400 input events on average (the seed's figure, taken as premise)")
    report.add("SNN accuracy over the 6,400-event presentation (shortest first ISI)", 91.7,
               sum(window["acc"]) / len(window["acc"]), Info(), "%")
    report.add("spikes per classification, first-ISI decision", 11_500, sum(spk_isi) / N_SEEDS, Info(),
               note="the chip stops at the first completed output ISI: far fewer events than 6,400")
    report.add("input event rate at the printed rates", 6_400 / 4.2e-3, sum(in_rate) / N_SEEDS, Info(), "events/s",
               note="paper column: 6,400 events / 4.2 ms; ours: Σ of the 256 channels' rates, mean over the test set")
    report.add("arbiter wait per served input spike (timing distortion)", None, sum(wait0) / N_SEEDS, Info(), "cycles")
    # the prototype's memory (l. 762) and the MNIST network's size (Table 2)
    net4 = convert(mlp(SIZES), 4)
    report.judge("fc_synapses", PROTOTYPE_FC_SYNAPSES)
    report.judge("mnist_synapses", net4.synapses())
    report.judge("mnist_neurons", sum(layer.n_out for layer in net4.layers))
    proto = prototype(generator=seed)
    report.add("weight registers of a generated prototype (RFC 256 inputs + 30 % of 256·255 lateral, FC 17,488)",
               37_366, registers(proto), Info(), note="random lateral pattern (expected 37,328 ± 117)")
    report.consistency("synapses of the prototype (19,878 RFC + 17,488 FC)", 37_366, prototype_synapses(),
                       Rounded(sig=5), "seed 001 l. 762")
    report.consistency("weight-memory bits (4 per synapse)", 149_464, prototype_bits(prototype_synapses()),
                       Rounded(sig=6), "seed 001 l. 762")
    report.consistency("weight memory [kB = 1,024 B]", 18.2, prototype_bits(prototype_synapses()) / 8 / 1024,
                       Rounded(decimals=1), "seed 001 l. 762", "kB")
    p_rfc = (19_878 - 256) / (256 * 255)
    report.consistency("RFC lateral connectivity implied by 19,878 registers (256 input + p·256·255 lateral)", 0.3,
                       p_rfc, Rounded(decimals=1), "seed 001 l. 762, l. 799 ('about 30 %')",
                       note="the split into one input weight per neuron plus lateral weights is our reading")
    report.consistency("energy = power × time: 73 µW × 4.2 ms", 308.0, 73e-6 * 4.2e-3 * 1e9,
                       Relative(0.5 / 73 + 0.05 / 4.2), "seed 001 Table 2 (l. 882), l. 889", "nJ",
                       note="band: half a unit of both printed factors")
    report.add("11,500 spikes × 26 pJ", 308.0, 11_500 * 26e-3, Info(), "nJ",
               note="⚠ 299 nJ: 308 nJ / 11,500 = 26.8 pJ per spike, which rounds to 27, not 26 (l. 861)")
    report.add("1.1 V × 74 µA (footnote 3)", 73.0, 1.1 * 74, Info(), "µW",
               note="⚠ the footnote's total current gives 81.4 µW, Table 2 prints 73 µW (l. 871, l. 882)")
    for name, acc_, e in (("Frenkel18", 91.4, "15 nJ @ 75 MHz"), ("Park19", 97.83, "236.5 nJ"),
                          ("Cho19", 91.6, "–"), ("Chen18", 97.9, "1700 nJ"), ("Loihi", 96.4, "–")):
        report.add(f"Table 2: {name} MNIST accuracy / energy per prediction", acc_, e, Info(), "% / nJ")
    _radar(report, seed)
    report.add_figure("accuracy_vs_bits", _bits_figure(BITS, snn, ann_acc))
    report.extra.update(ann_accuracy=ann_acc, snn_accuracy={str(b): v for b, v in snn.items()},
                        latency_ms=lat, window=window, input_rate_events_per_s=in_rate)
    report.notes.append(f"Quick mode trains {N_BITS} networks (seeds from --seed): the bit-width orderings are "
                        f"judged on all of them, every other row on the first {N_SEEDS}; spikes, energy and the "
                        "6,400-event presentation are measured on the first network only.")
    return report
