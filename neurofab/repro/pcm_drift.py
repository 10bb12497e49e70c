"""Spoon et al. 2021: accuracy on PCM over time — drift, global drift compensation, HWA training, γ, INT attention.

The paper runs BERT-base on GLUE; its figure tables are not in the seed text. Its claims (``CLAIMS``, stated before
any run) are judged on a one-block transformer (:class:`~neurofab.analog.attention.TinyTransformer`, causal)
predicting the next token of sequences from a random order-2 Markov chain (``char_sequences``), a character-level
language-model stand-in for GLUE, trained from :data:`N_SEEDS` seeds derived from ``seed``; the full run adds an
MLP on the MNIST test split (via ``NEUROFAB_DATA`` or ``data_root``) as context.

Each model is trained digitally, then its linear layers are put on PCM with the paper's periphery
(:meth:`~neurofab.analog.inference.InferenceConfig.spoon2021`): "plain" keeps the digital weights (input ranges
calibrated on training data), "HWA" fine-tunes with programming-shaped weight noise and the periphery in the forward
pass. Both are programmed and evaluated at 1 s, 1 h, 1 day, 1 week and 1 month with independent
programming repeats, with and without global drift compensation, at γ = 1 and γ = 0.5.

INT attention follows the paper's Fig. 8 (seed 001 l. 1956-1970): Q·Kᵀ and softmax·V take INT-b operands, the
softmax stays FP32, the scales start from a few training sequences and are learned while the whole model is
trained with the quantized attention (here the HWA fine-tuning), and the INT6 model is compared with the FP32 HWA
model at 1 month on PCM (GDC, γ = 1) against the spread of the programming trials. The same fine-tuning done
digitally (INT10/INT8/INT6/INT4 against the FP32 model fine-tuned alike, on 4 × the test tokens) isolates the
attention precision (info rows). :func:`gap_vs_width` is a side experiment (not run): the HWA gap of the quick
transformer rebuilt at larger widths.
"""

from __future__ import annotations

import copy
import math
import statistics

import torch
from matplotlib.figure import Figure
from torch import nn

from neurofab.analog.attention import TinyTransformer, set_attention_bits
from neurofab.analog.hwa import fit
from neurofab.analog.inference import (
    InferenceConfig,
    MonteCarloResult,
    accuracy,
    calibrate_input_ranges,
    convert_to_inference,
    monte_carlo,
    reconfigure,
)
from neurofab.core import child_seeds, one_thread
from neurofab.data import char_sequences, digits, mnist_split
from neurofab.repro.claims import Claim, Claims, Qualitative, RunSpread
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Absolute, Info, Report, Within

TIMES = {"1 s": 1.0, "1 h": 3600.0, "1 day": 86400.0, "1 week": 604800.0, "1 month": 2592000.0}
CONDITIONS = {
    "plain, GDC, γ=1": ("plain", "global", 1.0),
    "plain, no GDC, γ=1": ("plain", "none", 1.0),
    "HWA, GDC, γ=1": ("hwa", "global", 1.0),
    "plain, GDC, γ=0.5": ("plain", "global", 0.5),
    "HWA, GDC, γ=0.5": ("hwa", "global", 0.5),
}


N_SEEDS = 3
_S = "seed 001"
_SEEDS = RunSpread(2, f"s.e. over the run's {N_SEEDS} seeds")
_TRIALS = RunSpread(2, "s.e. of the difference of the two 1-month means over independent programming trials (the "
                       "paper's error bars: s.e. over its 25 re-evaluations, l. 1899-1901, Fig. 8 l. 1970), combined "
                       f"over the run's {N_SEEDS} seeds")
_GAP_CAUSE = ("measured: the width of our layers. The quick run's d_model 32 (feed-forward 64) loses 6.1–7.1 points "
              "at 1 month (γ = 1; 3.9–4.5 at γ = 0.5; 3 seeds, runs at seeds 0 and 1), 2.8 of them already at 1 s "
              "(info rows). The same transformer rebuilt wider (gap_vs_width: first network of run seeds 0 / 1, quick "
              "data and epochs, 4 programmings) loses 6.8 / 6.7 points at d_model 32, 2.7 / 1.9 at 64 and 0.5 / 1.0 "
              "at 128 (γ = 1; γ = 0.5: 4.5 / 4.1, 1.5 / 1.2, 0.2 / 0.8): the paper's 1.29 / 0.6 is met at d_model "
              "128 (BERT-base: 768, feed-forward 3,072), as a column's relative output noise falls as 1/√fan-in. "
              "Not the HWA recipe (programming-shaped weight noise, periphery in the forward pass, learned DAC "
              "ranges and per-column output scales, weights clipped, no drift in training, as l. 1883, 1908-1916): "
              "2 × or 3 × the training noise leaves 6.1–6.7 points at d_model 32. The paper's best of 5 trainings "
              "(l. 1899) is not done. The full run (d_model 64 with 4 × the sequences, 25 programmings, seed 0) loses "
              "1.23 ± 0.09 / 0.69 ± 0.07 points, the paper's values within 2 s.e. (inconclusive there)")

CLAIMS = Claims([
    Claim("drift_falls", "no GDC: accuracy at 1 s > at 1 month (plain, γ = 1)", "accuracy collapses without GDC",
          f"{_S} l. 1906, Fig. 5B", Qualitative(), order=">"),
    Claim("gdc_recovers", "share of the no-GDC loss at 1 month that GDC recovers", "effectively compensated (most)",
          f"{_S} l. 1906", Qualitative("'effectively compensated': more than half"), tolerance=Within(0.5, None)),
    Claim("hwa_beats_plain", "accuracy at 1 month, GDC, γ = 1: HWA > plain", "HWA training needed",
          f"{_S} l. 1897, 1943, Fig. 5C", Qualitative(), order=">"),
    Claim("gamma_half_better", "accuracy at 1 month, plain, GDC: γ = 0.5 > γ = 1", "improves many tasks by > 1 %",
          f"{_S} l. 1943", Qualitative(), order=">"),
    Claim("hwa_gap_g1", "HWA, GDC, γ = 1: points below FP32 at 1 month", 1.29, f"{_S} l. 1943", _SEEDS,
          tolerance=Absolute(0.0), unit="points", deviation=_GAP_CAUSE),
    Claim("hwa_gap_g05", "HWA, GDC, γ = 0.5: points below FP32 at 1 month", 0.6, f"{_S} l. 1943", _SEEDS,
          tolerance=Absolute(0.0), unit="points", deviation=_GAP_CAUSE),
    Claim("int6_matches", "INT6 attention ≈ FP32 (HWA models, PCM at 1 month, GDC, γ = 1): next-token accuracy",
          "no significant differences at 1 month down to INT6", f"{_S} l. 1960, 1970, Fig. 8", _TRIALS, order="≈"),
])


def _settings(quick: bool) -> dict:
    if quick:
        return dict(mlp_hidden=64, mlp_epochs=40, mlp_hwa_epochs=15, repeats_mlp=10, repeats_tf=3,
                    tf_train=1024, tf_test=256, tf_epochs=12, tf_hwa_epochs=3, tf_d=32, tf_ff=64)
    return dict(mlp_hidden=256, mlp_epochs=15, mlp_hwa_epochs=8, repeats_mlp=25, repeats_tf=25,
                tf_train=4096, tf_test=1024, tf_epochs=25, tf_hwa_epochs=6, tf_d=64, tf_ff=128)


def _config(kind_gdc: str, gamma: float) -> InferenceConfig:
    cfg = InferenceConfig.spoon2021(gamma=gamma)
    return cfg.replace(tile=cfg.tile.replace(drift_compensation=kind_gdc))


def _conditions(
    digital: nn.Module,
    x_cal: torch.Tensor,
    train: tuple[torch.Tensor, torch.Tensor],
    hwa_epochs: int,
    evaluate,
    repeats: int,
    seed: int,
    loss_fn=None,
) -> tuple[dict[str, MonteCarloResult], float, float]:
    """Monte Carlo accuracy over time of every condition.

    The plain model gets the same fine-tuning epochs as the HWA model, digitally (so HWA is not credited with
    extra training). Returns (results, FP32 accuracy of the plain model, HWA model's accuracy before programming).
    """
    s_hwa, s_eval = child_seeds(seed, 2)
    control = copy.deepcopy(digital)
    fit(control, *train, epochs=hwa_epochs, lr=5e-4, batch_size=32, seed=s_hwa, loss_fn=loss_fn)
    fp32 = evaluate(control)
    plain = convert_to_inference(control, _config("global", 1.0), seed=s_hwa)
    calibrate_input_ranges(plain, x_cal)
    hwa = convert_to_inference(digital, _config("global", 1.0), seed=s_hwa)
    calibrate_input_ranges(hwa, x_cal)
    fit(hwa, *train, epochs=hwa_epochs, lr=5e-4, batch_size=32, seed=s_hwa, loss_fn=loss_fn)
    hwa_ref = evaluate(hwa)
    results = {}
    for label, (which, gdc, gamma) in CONDITIONS.items():
        base = plain if which == "plain" else hwa
        model = reconfigure(base, _config(gdc, gamma), seed=s_eval)
        results[label] = monte_carlo(model, evaluate, list(TIMES.values()), repeats, seed=s_eval)
    return results, fp32, hwa_ref


def _at(res: MonteCarloResult, label: str) -> tuple[float, float]:
    j = list(TIMES).index(label)
    return float(res.mean[j]), float(res.sem[j])


def _mlp_context(report: Report, res: dict[str, MonteCarloResult]) -> None:
    """The transformer's orderings on the MLP, as context (the paper's claims are about a transformer)."""
    pairs = [("accuracy 1 s vs 1 month, no GDC", "plain, no GDC, γ=1", "1 s", "plain, no GDC, γ=1", "1 month"),
             ("HWA vs plain at 1 month (GDC, γ=1)", "HWA, GDC, γ=1", "1 month", "plain, GDC, γ=1", "1 month"),
             ("γ = 0.5 vs γ = 1 at 1 month (plain, GDC)", "plain, GDC, γ=0.5", "1 month", "plain, GDC, γ=1",
              "1 month")]
    for quantity, a, ta, b, tb in pairs:
        (ma, sa), (mb, sb) = _at(res[a], ta), _at(res[b], tb)
        report.add(f"MLP: {quantity}", None, f"{ma:.4f} ± {sa:.4f} vs {mb:.4f} ± {sb:.4f}", Info(),
                   note="context: a ReLU MLP without normalisation is nearly scale invariant (drift shrinks its "
                        "logits without changing the argmax); the paper's claims are judged on the transformer")


def _recovered(res: dict[str, MonteCarloResult]) -> float:
    """(GDC − no GDC) / (GDC at 1 s − no GDC) at 1 month: the share of the drift loss GDC recovers."""
    no_1m, _ = _at(res["plain, no GDC, γ=1"], "1 month")
    g_1s, _ = _at(res["plain, GDC, γ=1"], "1 s")
    g_1m, _ = _at(res["plain, GDC, γ=1"], "1 month")
    return (g_1m - no_1m) / (g_1s - no_1m) if g_1s > no_1m else float("nan")


def _figure(report: Report, panels: dict[str, dict[str, MonteCarloResult]]) -> None:
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, res) in zip(axes, panels.items()):
        for label, r in res.items():
            t = torch.tensor(r.times)
            ax.errorbar(t, 100 * r.mean, yerr=100 * r.sem, marker="o", ms=3, capsize=2, label=label)
        ax.set_xscale("log")
        ax.set_xticks(list(TIMES.values()), ["1 s", "1 h", "1 d", "1 wk", "1 mo"])
        ax.set_xlabel("time after programming")
        ax.set_ylabel("accuracy [%] (mean ± s.e.)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    report.add_figure("accuracy_vs_time", fig)


def _mlp(quick: bool, seed: int, st: dict, data_root) -> tuple[dict, float, float, str]:
    split = digits(seed=seed) if quick else mnist_split(data_root, seed=seed)
    data = "digits (8×8, 1,347 train / 450 test)" if quick else "MNIST test split (8,000 train / 2,000 test)"
    s_init, s_fit, s_cond = child_seeds(seed, 3)
    torch.manual_seed(s_init)
    n_in, h = split.x_train.shape[1], st["mlp_hidden"]
    net = nn.Sequential(nn.Linear(n_in, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 10))
    fit(net, split.x_train, split.y_train, epochs=st["mlp_epochs"], lr=2e-3, batch_size=64, seed=s_fit)
    res, fp32, hwa_ref = _conditions(
        net, split.x_train[:2000], (split.x_train, split.y_train), st["mlp_hwa_epochs"],
        lambda m: accuracy(m, split.x_test, split.y_test), st["repeats_mlp"], s_cond,
    )
    return res, fp32, hwa_ref, data


def _lm_data(st: dict, seed: int, vocab: int = 16, length: int = 32):
    """Train, test and INT-comparison sequences (4 × the test set) of one order-2 Markov chain."""
    n, m = st["tf_train"], st["tf_test"]
    seqs = char_sequences(n + 5 * m, length + 1, vocab, order=2, seed=seed)
    x, y = seqs[:, :-1], seqs[:, 1:]
    return (x[:n], y[:n]), (x[n : n + m], y[n : n + m]), (x[n + m :], y[n + m :]), vocab, length


def _lm_loss(vocab: int):
    return lambda out, t: nn.functional.cross_entropy(out.reshape(-1, vocab), t.reshape(-1))


@torch.no_grad()
def _lm_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Whether each next token from the third position on is predicted right (bool, flattened)."""
    model.eval()
    return (model(x).argmax(-1)[:, 2:] == y[:, 2:]).flatten()


@torch.no_grad()
def _lm_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Next-token accuracy from the third position on (an order-2 chain needs two tokens of context)."""
    model.eval()
    return float((model(x).argmax(-1)[:, 2:] == y[:, 2:]).double().mean())


def _quantized(digital: nn.Module, bits: int, x_init: torch.Tensor) -> nn.Module:
    """A copy of ``digital`` with INT-``bits`` attention products, its quantizer steps set by a first pass over
    ``x_init`` (a few training sequences: the grid covers them), to be learned in training."""
    q = set_attention_bits(copy.deepcopy(digital), bits)
    q.eval()
    with torch.no_grad():
        q(x_init)
    return q


def _int_attention(net: nn.Module, st: dict, data: tuple, loss, seeds: tuple[int, int, int]) -> dict:
    """INT attention as the paper trains and judges it, plus the same fine-tuning done digitally.

    PCM: the digital model with INT-b attention is HWA fine-tuned exactly as the FP32 HWA model (same epochs, rate
    and seed; the quantizer steps learned with the weights), programmed and read at 1 month (GDC, γ = 1): once with
    programming seeds of its own (``PCM INTb``, independent trials as the paper's) and once with the FP32 HWA
    model's (``PCM INT6 paired``). Digital: the same fine-tuning without the periphery, against the FP32 model
    fine-tuned alike, on the comparison sequences (``INTb``, with the count of discordant tokens).
    """
    (xtr, ytr), (xte, yte), (xq, yq) = data
    s_hwa, s_eval, s_int = seeds
    x_init, train = xtr[:256], dict(epochs=st["tf_hwa_epochs"], lr=5e-4, batch_size=32, seed=s_hwa, loss_fn=loss)
    control = copy.deepcopy(net)
    fit(control, xtr, ytr, **train)
    fp_correct = _lm_correct(control, xq, yq)
    out: dict = {"FP32": float(fp_correct.double().mean()), "tokens": float(fp_correct.numel())}
    for bits in (10, 8, 6, 4):
        q = _quantized(net, bits, x_init)
        fit(q, xtr, ytr, **train)
        correct = _lm_correct(q, xq, yq)
        out[f"INT{bits}"] = float(correct.double().mean())
        out[f"INT{bits} discordant"] = float((correct != fp_correct).sum())
    month = [TIMES["1 month"]]
    for bits in (6, 4):
        hwa = convert_to_inference(_quantized(net, bits, x_init), _config("global", 1.0), seed=s_hwa)
        calibrate_input_ranges(hwa, x_init)
        fit(hwa, xtr, ytr, **train)
        pairs = (("", s_int), (" paired", s_eval)) if bits == 6 else (("", s_int),)
        for suffix, s in pairs:
            model = reconfigure(hwa, _config("global", 1.0), seed=s)
            res = monte_carlo(model, lambda m: _lm_accuracy(m, xte, yte), month, st["repeats_tf"], seed=s)
            out[f"PCM INT{bits}{suffix}"] = res.values[:, 0].tolist()
    return out


def _transformer(st: dict, seed: int) -> tuple[dict, float, float, dict]:
    s_data, s_init, s_fit, s_cond, s_int = child_seeds(seed, 5)
    (xtr, ytr), (xte, yte), (xq, yq), vocab, length = _lm_data(st, s_data)
    torch.manual_seed(s_init)
    net = TinyTransformer(vocab, vocab, length, d_model=st["tf_d"], n_heads=2, d_ff=st["tf_ff"])
    loss = _lm_loss(vocab)
    fit(net, xtr, ytr, epochs=st["tf_epochs"], lr=5e-3, batch_size=32, seed=s_fit, loss_fn=loss)
    res, fp32, hwa_ref = _conditions(
        net, xtr[:256], (xtr, ytr), st["tf_hwa_epochs"], lambda m: _lm_accuracy(m, xte, yte),
        st["repeats_tf"], s_cond, loss_fn=loss,
    )
    s_hwa, s_eval = child_seeds(s_cond, 2)  # the HWA fine-tuning and programming seeds of _conditions
    ints = _int_attention(net, st, ((xtr, ytr), (xte, yte), (xq, yq)), loss, (s_hwa, s_eval, s_int))
    return res, fp32, hwa_ref, ints


def gap_vs_width(seed: int = 0, widths: tuple[tuple[int, int], ...] = ((32, 64), (64, 128), (128, 256)),
                 repeats: int = 4, weight_noise_std: float = 1.0) -> dict[tuple[int, int], dict[str, float]]:
    """Side experiment (not part of the run): HWA points below FP32 at 1 s and 1 month (GDC, γ = 1 and 0.5) of the
    quick run's first transformer at ``seed``, rebuilt at each (d_model, d_ff) in ``widths``, with the quick data,
    epochs and seeds; ``weight_noise_std`` scales the HWA training noise. Returns {width: {"g1 1 s": …, …}}."""
    st = _settings(True)
    s_data, s_init, s_fit, s_cond, _ = child_seeds(child_seeds(child_seeds(seed, 2)[1], N_SEEDS)[0], 5)
    s_hwa, s_eval = child_seeds(s_cond, 2)
    (xtr, ytr), (xte, yte), _, vocab, length = _lm_data(st, s_data)
    loss, out = _lm_loss(vocab), {}
    train = dict(epochs=st["tf_hwa_epochs"], lr=5e-4, batch_size=32, seed=s_hwa, loss_fn=loss)
    for d, ff in widths:
        torch.manual_seed(s_init)
        net = TinyTransformer(vocab, vocab, length, d_model=d, n_heads=2, d_ff=ff)
        fit(net, xtr, ytr, epochs=st["tf_epochs"], lr=5e-3, batch_size=32, seed=s_fit, loss_fn=loss)
        control = copy.deepcopy(net)
        fit(control, xtr, ytr, **train)
        fp32 = _lm_accuracy(control, xte, yte)
        hwa = convert_to_inference(net, InferenceConfig.spoon2021(weight_noise_std=weight_noise_std), seed=s_hwa)
        calibrate_input_ranges(hwa, xtr[:256])
        fit(hwa, xtr, ytr, **train)
        out[(d, ff)] = {}
        for gamma in (1.0, 0.5):
            res = monte_carlo(reconfigure(hwa, _config("global", gamma), seed=s_eval),
                              lambda m: _lm_accuracy(m, xte, yte), [TIMES["1 s"], TIMES["1 month"]], repeats, s_eval)
            for t, acc in zip(("1 s", "1 month"), res.mean.tolist(), strict=True):
                out[(d, ff)][f"γ={gamma:g}, {t}"] = 100 * (fp32 - acc)
    return out


def _sem(values: list[float]) -> float:
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


@reproduction(
    "pcm-drift",
    paper="Spoon et al. 2021, PCM analog inference for transformers",
    summary="accuracy over 1 s–1 month on PCM: drift, global drift compensation, HWA training, γ, INT attention",
)
def run(quick: bool = True, seed: int = 0, data_root: str | None = None) -> Report:
    with one_thread():  # small tensors: one thread is faster, and robust to a loaded machine
        return _run(quick, seed, data_root)


def _run(quick: bool, seed: int, data_root: str | None) -> Report:
    report = Report("pcm-drift", "Inference accuracy on PCM over time (drift, GDC, HWA, γ, INT attention)",
                    "Spoon et al. 2021 (seed 001, lines 1740-2033)", quick=quick, seed=seed, claims=CLAIMS)
    st = _settings(quick)
    s_mlp, s_tf = child_seeds(seed, 2)
    runs = [_transformer(st, s) for s in child_seeds(s_tf, N_SEEDS)]
    report.add("sequence task", "BERT-base on GLUE", "next token of an order-2 Markov chain, vocab 16, length 32",
               Info(), note=f"one-block causal transformer, d_model {st['tf_d']}; {st['tf_train']} train / "
                            f"{st['tf_test']} test sequences; {N_SEEDS} seeds (data, initialisation, training)")
    report.add("Monte Carlo programming repeats per seed", 25, st["repeats_tf"], Info(),
               note="independent programmings; quick mode uses fewer")
    fp32 = [r[1] for r in runs]
    report.add("transformer FP32 next-token accuracy (mean)", None, statistics.fmean(fp32), Info(),
               note="the digital model after the same fine-tuning epochs as the HWA model (the plain model)")
    report.add("transformer HWA model, reference weights (mean)", None, statistics.fmean(r[2] for r in runs), Info(),
               note="evaluated through the periphery before programming")
    at = {label: {t: [_at(r[0][label], t)[0] for r in runs] for t in TIMES} for label in CONDITIONS}
    for label in CONDITIONS:
        report.add(f"transformer: accuracy at 1 s / 1 month, {label} (mean)", None,
                   f"{statistics.fmean(at[label]['1 s']):.4f} / {statistics.fmean(at[label]['1 month']):.4f}", Info())

    report.judge("drift_falls", lhs=at["plain, no GDC, γ=1"]["1 s"], rhs=at["plain, no GDC, γ=1"]["1 month"])
    report.judge("gdc_recovers", [_recovered(r[0]) for r in runs],
                 note="(GDC − no GDC) / (GDC at 1 s − no GDC) at 1 month")
    report.judge("hwa_beats_plain", lhs=at["HWA, GDC, γ=1"]["1 month"], rhs=at["plain, GDC, γ=1"]["1 month"])
    report.judge("gamma_half_better", lhs=at["plain, GDC, γ=0.5"]["1 month"], rhs=at["plain, GDC, γ=1"]["1 month"])
    for gamma, key in ((1.0, "hwa_gap_g1"), (0.5, "hwa_gap_g05")):
        label = f"HWA, GDC, γ={gamma:g}"
        report.judge(key, [100 * (f - a) for f, a in zip(fp32, at[label]["1 month"], strict=True)])
        report.add(f"transformer HWA, γ={gamma:g}: points below FP32 already at 1 s (mean)", None,
                   statistics.fmean(100 * (f - a) for f, a in zip(fp32, at[label]["1 s"], strict=True)), Info(),
                   "points", note="programming and read noise alone, before drift")
    ints = [r[3] for r in runs]
    j = list(TIMES).index("1 month")
    fp_pcm = [r[0]["HWA, GDC, γ=1"] for r in runs]
    b = [float(r.mean[j]) for r in fp_pcm]
    for bits in (6, 4):
        a = [statistics.fmean(d[f"PCM INT{bits}"]) for d in ints]
        # the paper's error bars: s.e. of each mean over its programming trials; per seed in quadrature, then the
        # s.e. of the mean over the seeds
        spread = math.sqrt(sum(math.hypot(_sem(d[f"PCM INT{bits}"]), float(r.sem[j])) ** 2
                               for d, r in zip(ints, fp_pcm, strict=True))) / len(ints)
        note = (f"HWA models fine-tuned alike (INT{bits}: quantizer steps learned with the weights), "
                f"{st['repeats_tf']} independent programmings each per seed; s.e. of the difference from the trials "
                f"{spread:.5f}")
        if bits == 6:
            report.judge("int6_matches", lhs=a, rhs=b, spread=spread, note=note)
        else:
            report.add("INT4 attention − FP32, PCM at 1 month (contrast, mean)", None,
                       statistics.fmean(x - y for x, y in zip(a, b, strict=True)), Info(),
                       note=f"below the paper's range: shows the check can fail; {note}")
    paired = [x - y for d, r in zip(ints, fp_pcm, strict=True)
              for x, y in zip(d["PCM INT6 paired"], r.values[:, j].tolist(), strict=True)]
    report.add("INT6 attention − FP32, PCM at 1 month, same programming draws (mean)", None,
               f"{statistics.fmean(paired):.4f} ± {_sem(paired):.4f}", Info(),
               note="our stricter variant: each INT6 programming paired with the FP32 model's (same seeds), mean ± "
                    f"s.e. over the {len(paired)} pairs")
    # McNemar: the s.e. of a paired accuracy difference is sqrt(discordant)/n; of the mean over the seeds,
    # sqrt(Σ discordant)/(seeds · n)
    for bits in (10, 8, 6, 4):
        res = math.sqrt(max(sum(d[f"INT{bits} discordant"] for d in ints), 1.0)) / sum(d["tokens"] for d in ints)
        report.add(f"INT{bits} attention accuracy − FP32, digital (mean)", "comparable (Fig. 8)" if bits > 4 else None,
                   statistics.fmean(d[f"INT{bits}"] - d["FP32"] for d in ints), Info(),
                   note=f"the attention precision alone: whole model fine-tuned with INT{bits} attention vs FP32 "
                        f"fine-tuned alike, no PCM; paired test-set resolution {res:.5f}")
    report.notes.append("The paper's energy/area ratios of an INT6 MAC vs a bf16 FMA (11.3×, 4.7×, 14 nm synthesis) "
                        "are logic-synthesis figures; this toolkit has no digital-arithmetic cost model to compute "
                        "them, so they are not listed as claims of this simulation.")
    report.notes.append("Plain models: digital training, input ranges calibrated to 3·std of each layer's inputs; "
                        "HWA models: fine-tuned with programming-shaped weight noise and the periphery in the forward "
                        "pass.")
    report.extra["times_s"] = list(TIMES.values())
    report.extra["transformer"] = {k: v.to_dict() for k, v in runs[0][0].items()}
    report.extra["int_attention"] = ints
    panels = {"transformer (order-2 Markov chain), first seed": runs[0][0]}
    if not quick:  # the MLP on MNIST: context only (full runs)
        mlp_res, mlp_fp32, _, data = _mlp(quick, s_mlp, st, data_root)
        report.add("MLP data (context)", None, data, Info())
        report.add("MLP FP32 test accuracy", None, mlp_fp32, Info())
        _mlp_context(report, mlp_res)
        report.extra["mlp"] = {k: v.to_dict() for k, v in mlp_res.items()}
        panels[f"MLP ({data.split(' (')[0]})"] = mlp_res
    _figure(report, panels)
    return report.finish()
