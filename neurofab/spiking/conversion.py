"""ANN→SNN conversion: a trained ReLU network becomes an integrate-and-fire network with the same weights.

The rate equivalence (O'Connor & Welling 2016, cited by Park, seed 000; Cao et al. 2015; Diehl et al. 2015): a
non-leaky IF neuron with reset by subtraction, driven by a constant input z per step and threshold 1, fires at the
rate

    r = N(T)/T = clip(z, 0, 1) − ε_T,   |ε_T| ≤ 1/T            (V(0) ∈ [0, 1))

so a layer of IF neurons computes ReLU (clipped at 1) of its input rates, and a whole network's rates converge to the
ReLU network's activations as T grows, provided every activation is scaled below the threshold. The scale is taken
from data (Diehl et al. 2015 "data-based normalization"; Rueckauer et al. 2017 robust normalization): for each ReLU
layer l, λ_l = the maximum (``"max"``) or a percentile (``"percentile"``, nearest rank over the positive
activations) of its activations on calibration data, and

    W_l ← W_l · λ_{l−1}/λ_l,   b_l ← b_l / λ_l,   λ_0 = 1 (inputs in [0, 1]).

The output layer is not spiking by default: its weighted input is accumulated over time (``readout="membrane"``),
so the prediction is argmax Σ_t (W s_t + b) = argmax T (W r + b); ``readout="spikes"`` puts IF neurons there too.
Inputs enter as a constant current (``encoding="current"``: the first layer's weighted input is added every step)
or as Bernoulli spike trains with the pixel value as the per-step probability (``"poisson"``).

The IF neurons are :class:`~neurofab.spiking.neurons.IFConfig` (threshold 1, reset 0, reset by subtraction, delta
synapses) run by :func:`~neurofab.spiking.layers.lif_scan`, the same neuron the surrogate-gradient layers use.
Supported ANN modules: ``Linear``, ``Conv2d``, ``ReLU``, ``AvgPool2d``, ``Flatten`` (``Dropout``/``Identity`` are
dropped); max pooling, batch normalization and other activations are refused with the reason.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from neurofab.core import (
    Config,
    ConfigError,
    InputTypeError,
    NumericalError,
    ShapeError,
    make_generator,
    record,
    recording,
)
from neurofab.spiking.layers import (
    IF,
    LI,
    LayerState,
    SpikingSequential,
    fan_out,
    lif_scan,
    neuron_constants,
    precision_tag,
)
from neurofab.spiking.neurons import IFConfig

#: The converted network's neuron: threshold 1, reset to 0 by subtraction, delta synapses, no refractory period.
CONVERSION_IF = IFConfig(v_th=1.0, v_reset=0.0, reset_mode="subtract", synapse="delta", t_ref=0.0)


class ConversionConfig(Config):
    """How a ReLU network is turned into an IF network and run."""

    normalization: Literal["max", "percentile"] = Field(
        "percentile", description="per-layer scale λ_l: maximum or percentile of the calibration activations")
    percentile: float = Field(99.99, gt=0.0, le=100.0,
                              description="percentile of the positive activations used for λ_l [%]")
    initial_membrane: float = Field(0.5, ge=0.0, lt=1.0,
                                    description="membrane potential at t = 0 as a fraction of the threshold")
    readout: Literal["membrane", "spikes"] = Field(
        "membrane", description="output layer: accumulated weighted input, or IF neurons counted")
    encoding: Literal["current", "poisson"] = Field(
        "current", description="input: constant current each step, or Bernoulli spikes with p = pixel value")


@dataclass
class Stage:
    """One layer of the converted network: linear operations, then IF neurons (or the output accumulator)."""

    ops: nn.Sequential  #: scaled linear modules (Linear/Conv2d/AvgPool2d/Flatten)
    spiking: bool  #: IF neurons follow (False: the output accumulator of readout="membrane")
    scale: float  #: λ of this layer's ANN activations (1 for a membrane readout)
    name: str


_REFUSED = {
    nn.MaxPool2d: "max pooling has no rate-preserving IF equivalent; replace it with AvgPool2d and retrain",
    nn.BatchNorm1d: "fold batch normalization into the preceding Linear/Conv2d before converting",
    nn.BatchNorm2d: "fold batch normalization into the preceding Linear/Conv2d before converting",
}


def _flatten_modules(model: nn.Module) -> list[nn.Module]:
    if isinstance(model, nn.Sequential):
        return [m for child in model for m in _flatten_modules(child)]
    return [model]


def _segment(ann: nn.Module) -> list[tuple[list[nn.Module], bool]]:
    """Split a sequential ReLU network into (linear modules, followed by ReLU) stages."""
    if not isinstance(ann, nn.Sequential):
        raise InputTypeError(f"convert: the ANN must be an nn.Sequential, got {type(ann).__name__}")
    stages: list[tuple[list[nn.Module], bool]] = []
    current: list[nn.Module] = []
    for m in _flatten_modules(ann):
        if isinstance(m, nn.Dropout | nn.Identity):
            continue
        if isinstance(m, nn.ReLU):
            if not any(isinstance(op, nn.Linear | nn.Conv2d) for op in current):
                raise ConfigError("convert: every ReLU must follow a Linear or Conv2d layer")
            stages.append((current, True))
            current = []
        elif isinstance(m, nn.Linear | nn.Conv2d | nn.AvgPool2d | nn.Flatten):
            current.append(m)
        else:
            why = next((msg for cls, msg in _REFUSED.items() if isinstance(m, cls)),
                       "only Linear, Conv2d, AvgPool2d, Flatten, ReLU (and Dropout/Identity) can be converted")
            raise InputTypeError(f"convert: cannot convert {type(m).__name__}: {why}")
    if not any(isinstance(op, nn.Linear | nn.Conv2d) for op in current):
        raise ConfigError("convert: the network must end with a Linear or Conv2d output layer (no ReLU after it)")
    stages.append((current, False))
    return stages


def _percentile(values: torch.Tensor, q: float) -> float:
    """Nearest-rank percentile of a 1-D tensor."""
    k = max(1, math.ceil(q / 100.0 * values.numel()))
    return float(torch.kthvalue(values.cpu(), k).values)


def _stage_name(index: int, ops: Sequence[nn.Module]) -> str:
    layer = next(op for op in ops if isinstance(op, nn.Linear | nn.Conv2d))
    if isinstance(layer, nn.Linear):
        return f"{index}: Linear {layer.in_features}→{layer.out_features}"
    k = layer.kernel_size
    return f"{index}: Conv2d {layer.in_channels}→{layer.out_channels} {k[0]}×{k[1]}"


@torch.no_grad()
def convert(ann: nn.Sequential, calibration: torch.Tensor, config: ConversionConfig | None = None,
            batch_size: int = 500) -> ConvertedSNN:
    """Convert a trained ReLU network into an IF network, normalizing each layer on ``calibration`` inputs.

    ``calibration``: a batch of inputs in [0, 1] (shape (N, ...) as the ANN takes them), e.g. part of the
    training set. The ANN is not modified (the SNN holds scaled copies of its layers).
    """
    config = ConversionConfig() if config is None else config
    if not isinstance(config, ConversionConfig):
        raise InputTypeError(f"config must be a ConversionConfig, got {type(config).__name__}")
    if not isinstance(calibration, torch.Tensor) or not calibration.is_floating_point():
        raise InputTypeError("calibration must be a floating-point tensor of ANN inputs (N, ...)")
    if calibration.dim() < 2 or calibration.shape[0] == 0:
        raise ShapeError(f"calibration must be a non-empty batch (N, ...), got shape {tuple(calibration.shape)}")
    if not torch.isfinite(calibration).all():
        raise NumericalError("calibration holds NaN or infinite values")
    segments = _segment(ann)
    spiking_output = config.readout == "spikes"
    was_training = ann.training
    ann.eval()
    try:
        acts: list[list[torch.Tensor]] = [[] for _ in segments]
        for start in range(0, calibration.shape[0], batch_size):
            h = calibration[start:start + batch_size]
            for k, (ops, relu) in enumerate(segments):
                for op in ops:
                    h = op(h)
                if relu or spiking_output:
                    acts[k].append(torch.relu(h).flatten())
                if relu:
                    h = torch.relu(h)
    except RuntimeError as err:
        raise ShapeError(f"convert: calibration inputs of shape {tuple(calibration.shape[1:])} do not fit the "
                         f"network ({err})") from None
    finally:
        ann.train(was_training)
    stages: list[Stage] = []
    prev_scale = 1.0
    for k, (ops, relu) in enumerate(segments):
        spiking = relu or spiking_output
        lam = 1.0
        if spiking:
            values = torch.cat(acts[k])
            positive = values[values > 0]
            if positive.numel() == 0:
                raise NumericalError(f"convert: layer {_stage_name(k, ops)} never activates on the calibration data; "
                                     "its rate cannot be normalized")
            lam = float(positive.max()) if config.normalization == "max" else _percentile(positive, config.percentile)
        scaled = []
        first = True
        for op in ops:
            op = copy.deepcopy(op)
            if isinstance(op, nn.Linear | nn.Conv2d):
                if first:  # W ← W λ_{l−1}/λ_l on the first weighted op; every bias ← b/λ_l
                    op.weight.mul_(prev_scale / lam)
                    first = False
                if op.bias is not None:
                    op.bias.div_(lam)
            scaled.append(op)
        stages.append(Stage(nn.Sequential(*scaled), spiking=spiking, scale=lam, name=_stage_name(k, ops)))
        prev_scale = lam
    return ConvertedSNN(stages, config, tuple(calibration.shape[1:]))


@dataclass
class Checkpoint:
    """The state of a simulation after ``steps`` steps (all counts summed over the batch)."""

    steps: int
    output: torch.Tensor  #: (batch, classes) accumulated output (membrane readout) or output spike counts
    counts: list[torch.Tensor]  #: spike counts of every hidden layer, (batch, ...) each
    synops: float  #: synaptic operations so far (spikes × fan-out), each one accumulate of a weight
    input_macs: float  #: multiply-accumulates of the input layer (current encoding: once)
    accumulates: float  #: additions of a constant current or bias to a membrane
    spikes: float  #: spikes emitted so far

    def prediction(self) -> torch.Tensor:
        return self.output.argmax(1)


class ConvertedSNN(nn.Module):
    """An IF network from :func:`convert`: run it with :meth:`simulate` (checkpoints) or call it (final output)."""

    def __init__(self, stages: list[Stage], config: ConversionConfig, input_shape: tuple[int, ...],
                 neuron: IFConfig = CONVERSION_IF) -> None:
        super().__init__()
        self.stages = stages
        self.layers = nn.ModuleList([s.ops for s in stages])
        self.config = config
        self.input_shape = tuple(input_shape)
        self.neuron = neuron
        self.consts = neuron_constants(neuron, 1e-3)
        self._fan_outs: dict[int, torch.Tensor] = {}

    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise InputTypeError("the SNN input must be a floating-point tensor (batch, ...)")
        if tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(f"the SNN takes inputs of shape (batch, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise NumericalError("the SNN input holds NaN or infinite values")
        if self.config.encoding == "poisson" and (x.min() < 0 or x.max() > 1):
            raise ShapeError("poisson encoding needs inputs in [0, 1] (they are spike probabilities per step)")

    def _fan_out(self, k: int, shape: tuple[int, ...]) -> torch.Tensor:
        if k not in self._fan_outs:
            self._fan_outs[k] = fan_out(list(self.stages[k].ops), shape)
        return self._fan_outs[k]

    @torch.no_grad()
    def ann_activations(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The normalized ReLU network on ``x``: every hidden layer's activation / λ_l (the rates the IF layers
        approach) and the output logits."""
        self._check_input(x)
        acts = []
        h = x
        for st in self.stages:
            h = st.ops(h)
            if st.spiking:
                h = torch.relu(h)
            acts.append(h)
        return acts[:-1], acts[-1]

    @torch.no_grad()
    def simulate(self, x: torch.Tensor, n_steps: int, checkpoints: Sequence[int] | None = None,
                 generator: torch.Generator | int | None = 0) -> Iterator[Checkpoint]:
        """Run ``n_steps`` steps on the batch ``x`` and yield a :class:`Checkpoint` at every step in
        ``checkpoints`` (default: the last step). ``generator`` seeds the Poisson input coding."""
        self._check_input(x)
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
            raise ConfigError(f"n_steps = {n_steps!r}: must be a positive integer")
        marks = sorted(set(checkpoints)) if checkpoints is not None else [n_steps]
        if not marks or marks[0] < 1 or marks[-1] > n_steps:
            raise ConfigError(f"checkpoints must lie in [1, {n_steps}], got {list(checkpoints or [])}")
        gen = make_generator(generator) if self.config.encoding == "poisson" else None
        batch = x.shape[0]
        states: list[LayerState | None] = [None] * len(self.stages)
        counts: list[torch.Tensor | None] = [None] * len(self.stages)
        output = None
        synops = accumulates = spikes_total = input_macs = 0.0
        constant_input = None
        if self.config.encoding == "current":
            constant_input = self.stages[0].ops(x)
            input_macs = float(_macs(list(self.stages[0].ops), tuple(x.shape[1:]))) * batch
        v0 = self.config.initial_membrane
        for t in range(1, n_steps + 1):
            h = x
            for k, st in enumerate(self.stages):
                if k == 0 and constant_input is not None:
                    z = constant_input
                    accumulates += z.numel()
                else:
                    if k == 0:
                        h = (torch.rand(x.shape, generator=gen, dtype=x.dtype) < x).to(x.dtype)
                    synops += float((h * self._fan_out(k, tuple(h.shape[1:]))).sum())
                    z = st.ops(h)
                    if any(getattr(op, "bias", None) is not None for op in st.ops):
                        accumulates += z.numel()
                if st.spiking:
                    if states[k] is None:
                        states[k] = LayerState(torch.full_like(z, v0), torch.zeros_like(z),
                                               torch.zeros(z.shape, dtype=torch.int32))
                    s, states[k] = lif_scan(z.unsqueeze(0), self.consts, state=states[k])
                    h = s[0]
                    counts[k] = h.clone() if counts[k] is None else counts[k].add_(h)
                    spikes_total += float(h.sum())
                else:
                    output = z.clone() if output is None else output.add_(z)
            if t in marks:
                out = counts[-1] if self.stages[-1].spiking else output
                yield Checkpoint(t, out.clone(), [c.clone() for c in counts[:-1]], synops, input_macs, accumulates,
                                 spikes_total)
        if recording():
            tag = precision_tag(x.dtype)
            record("synop", synops, tag)
            record("spike", spikes_total)
            record("ac", accumulates, tag)
            record("mac", input_macs, tag)
            record("neuron_update", sum(c.numel() for c in counts if c is not None) * n_steps)

    def forward(self, x: torch.Tensor, n_steps: int = 100) -> torch.Tensor:
        """The output after ``n_steps`` (accumulated weighted input, or output spike counts)."""
        return list(self.simulate(x, n_steps))[-1].output

    def to_spiking_sequential(self, dt: float = 1e-3) -> SpikingSequential:
        """The converted network as a :class:`SpikingSequential` over time (IF layers; the membrane readout becomes
        a non-leaky :class:`LI` integrator), e.g. for NIR export. The initial membrane is the neuron's rest (0)."""
        modules: list[nn.Module] = []
        for st in self.stages:
            modules += [copy.deepcopy(op) for op in st.ops]
            modules.append(IF(self.neuron, dt=dt) if st.spiking else LI(self.neuron, dt=dt))
        return SpikingSequential(*modules)


def _macs(modules: Sequence[nn.Module], input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one input through ``modules`` (Linear: in·out; Conv2d: out elements · C_in/g·kh·kw)."""
    total = 0
    h = torch.zeros((1, *input_shape))
    for m in modules:
        y = m(h)
        if isinstance(m, nn.Linear):
            total += m.in_features * m.out_features
        elif isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += y[0].numel() * (m.in_channels // m.groups) * kh * kw
        h = y
    return total


def ann_macs(ann: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates per inference of a sequential ReLU network (Linear and Conv2d layers)."""
    modules = [m for m in _flatten_modules(ann) if not isinstance(m, nn.Dropout | nn.Identity)]
    with torch.no_grad():
        try:
            return _macs(modules, tuple(input_shape))
        except RuntimeError as err:
            raise ShapeError(f"ann_macs: input shape {tuple(input_shape)} does not fit the network ({err})") from None


# ----- evaluation over a data set ----------------------------------------------------------------------------------
@dataclass
class _Moments:
    n: float = 0.0
    sa: float = 0.0
    sr: float = 0.0
    saa: float = 0.0
    srr: float = 0.0
    sar: float = 0.0
    abs_err: float = 0.0

    def add(self, a: torch.Tensor, r: torch.Tensor) -> None:
        a, r = a.double().flatten(), r.double().flatten()
        self.n += a.numel()
        self.sa += float(a.sum())
        self.sr += float(r.sum())
        self.saa += float((a * a).sum())
        self.srr += float((r * r).sum())
        self.sar += float((a * r).sum())
        self.abs_err += float((r - a.clamp(0.0, 1.0)).abs().sum())

    def correlation(self) -> float:
        cov = self.sar / self.n - (self.sa / self.n) * (self.sr / self.n)
        va = self.saa / self.n - (self.sa / self.n) ** 2
        vr = self.srr / self.n - (self.sr / self.n) ** 2
        return cov / math.sqrt(va * vr) if va > 0 and vr > 0 else float("nan")


@dataclass
class LayerReport:
    """One spiking layer: how its rates track the normalized ANN activations at each checkpoint."""

    name: str
    neurons: int  #: neurons per sample
    scale: float  #: λ_l of the normalization
    correlation: dict[int, float] = field(default_factory=dict)  #: Pearson r(ANN activation/λ, SNN rate) by T
    mean_abs_error: dict[int, float] = field(default_factory=dict)  #: mean |rate − clip(activation/λ, 0, 1)| by T
    mean_rate: dict[int, float] = field(default_factory=dict)  #: spikes per neuron per step by T


@dataclass
class ConversionResult:
    """Accuracy, layer agreement and operation counts of a converted network on a labelled set."""

    steps: list[int]
    ann_accuracy: float
    snn_accuracy: dict[int, float]
    layers: list[LayerReport]
    synops_per_inference: dict[int, float]
    accumulates_per_inference: dict[int, float]
    input_macs_per_inference: float
    spikes_per_inference: dict[int, float]
    ann_macs_per_inference: int
    samples: int
    #: per sample, SNN correct at max(steps) minus ANN correct (−1, 0 or 1): its mean is the accuracy difference,
    #: its spread the paired test-set error of that difference
    paired_correct_difference: torch.Tensor | None = None

    def table(self) -> list[dict[str, float]]:
        """One row per checkpoint (for report.json)."""
        return [{"T": t, "snn_accuracy": self.snn_accuracy[t], "synops": self.synops_per_inference[t],
                 "spikes": self.spikes_per_inference[t],
                 **{f"corr[{lr.name}]": lr.correlation[t] for lr in self.layers}} for t in self.steps]


def evaluate(snn: ConvertedSNN, ann: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: Sequence[int],
             batch_size: int = 500, generator: torch.Generator | int | None = 0) -> ConversionResult:
    """Run ``snn`` for max(steps) steps on the labelled set (x, y) in batches; report at every T in ``steps``:
    SNN accuracy, per-layer correlation between ANN activations and SNN rates, synaptic operations per inference.
    ``ann`` is the original network (its accuracy and MACs are reported beside)."""
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or tuple(y.shape) != (x.shape[0],):
        raise ShapeError(f"labels must be an int64 tensor of shape ({x.shape[0]},)")
    steps = sorted(set(int(t) for t in steps))
    if not steps or steps[0] < 1:
        raise ConfigError(f"steps must be positive integers, got {steps}")
    gen = make_generator(generator) if snn.config.encoding == "poisson" else None
    correct = dict.fromkeys(steps, 0)
    synops = dict.fromkeys(steps, 0.0)
    accs = dict.fromkeys(steps, 0.0)
    spikes = dict.fromkeys(steps, 0.0)
    input_macs = 0.0
    moments: list[dict[int, _Moments]] = []
    ann_correct = 0
    paired: list[torch.Tensor] = []
    was_training = ann.training
    ann.eval()
    try:
        with torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                ann_pred = ann(xb).argmax(1)
                ann_correct += int((ann_pred == yb).sum())
                acts, _ = snn.ann_activations(xb)
                if not moments:
                    moments = [{t: _Moments() for t in steps} for _ in acts]
                for cp in snn.simulate(xb, steps[-1], steps, gen if gen is not None else generator):
                    correct[cp.steps] += int((cp.prediction() == yb).sum())
                    synops[cp.steps] += cp.synops
                    accs[cp.steps] += cp.accumulates
                    spikes[cp.steps] += cp.spikes
                    for k, a in enumerate(acts):
                        moments[k][cp.steps].add(a, cp.counts[k] / cp.steps)
                    if cp.steps == steps[-1]:
                        paired.append((cp.prediction() == yb).to(torch.int64) - (ann_pred == yb).to(torch.int64))
                input_macs += cp.input_macs
    finally:
        ann.train(was_training)
    n = x.shape[0]
    layers = []
    for st, mom in zip(snn.stages[:-1], moments):
        per_sample = mom[steps[0]].n / n
        layers.append(LayerReport(
            name=st.name, neurons=int(per_sample), scale=st.scale,
            correlation={t: mom[t].correlation() for t in steps},
            mean_abs_error={t: mom[t].abs_err / mom[t].n for t in steps},
            mean_rate={t: mom[t].sr / mom[t].n for t in steps}))
    return ConversionResult(
        steps=steps, ann_accuracy=ann_correct / n, snn_accuracy={t: correct[t] / n for t in steps}, layers=layers,
        synops_per_inference={t: synops[t] / n for t in steps},
        accumulates_per_inference={t: accs[t] / n for t in steps}, input_macs_per_inference=input_macs / n,
        spikes_per_inference={t: spikes[t] / n for t in steps},
        ann_macs_per_inference=ann_macs(ann, tuple(x.shape[1:])), samples=n,
        paired_correct_difference=torch.cat(paired))
