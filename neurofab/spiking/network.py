"""Spiking networks: populations, projections, stimulation, monitors, and ``run(duration)`` in compiled kernels.

A :class:`Network` holds populations of neurons (any config of :mod:`neurofab.spiking.neurons` except the
integer accumulator, or a user-defined :class:`~neurofab.spiking.models.NeuronModel`), spike sources (Poisson,
spike arrays), DC sources, projections and monitors::

    net = Network(dt=1e-4, seed=1)
    pop = net.population(4000, CUBA_LIF, v=("uniform", -60e-3, -50e-3))
    net.connect(pop[:3200], pop, weight=20.25e-12, p=0.02, receptor="exc")
    net.connect(pop[3200:], pop, weight=-112.5e-12, p=0.02, receptor="inh")
    spikes = net.spike_monitor(pop)
    net.run(1.0)

Projections are sparse (CSR over presynaptic neurons, per-synapse integer delays) or dense (a weight matrix
and one delay); connection rules: ``fixed_probability`` (an independent Bernoulli draw per pair, NEST's
``pairwise_bernoulli``, Brian2's ``connect(p=...)``), ``one_to_one``, ``all_to_all`` and ``arrays`` (user
index arrays), or a weight ``matrix``. Weights are in the unit of the target's synapse: volts (delta), amperes
(exponential current, signed) or siemens (exponential conductance, ≥ 0). Delays are whole steps, at least one.

The time loop runs in :func:`neurofab.spiking.kernels.simulate` (numba): no Python executes per step or per
neuron. The random streams (initial values, connectivity, Poisson sources) all come from the network's
``torch.Generator``, so the same seed gives the same run. ``run`` counts spikes (``spike``), synaptic events
(``synop``: one spike through one synapse), neuron updates (``neuron_update``) and, for plastic projections
(``connect(..., plasticity=rule)``, :mod:`neurofab.spiking.plasticity`), weight updates (``weight_update``) into
open ledgers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from neurofab.core import (
    ConfigError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    make_generator,
    progress_wanted,
    record,
    recording,
    register_kind,
    seed_from,
    to_si,
)
from neurofab.core import progress as progress_bar
from neurofab.spiking import kernels as K
from neurofab.spiking.models import NeuronModel, compiled_step, parsed
from neurofab.spiking.monitors import SpikeMonitor, StateMonitor
from neurofab.spiking.neurons import (
    CUBA_LIF,
    MAX_DT,
    AdExConfig,
    IFConfig,
    IntegerIFConfig,
    IzhikevichConfig,
    LIFConfig,
    NeuronConfig,
    check_builtin,
    propagators,
)
from neurofab.spiking.plasticity import N_P_COLUMNS, P_W_MAX, P_W_MIN, WeightMonitor, plasticity_row

__all__ = ["Network", "Population", "PopulationView", "Projection", "bernoulli_pairs", "cuba_network"]

register_kind("weight_update", "one plasticity update (potentiation or depression) of one synapse's weight")

PROGRESS_MIN_WORK = 200_000_000  #: neuron-steps from which run() shows a bar by default (about a second or more)
RULES = ("fixed_probability", "one_to_one", "all_to_all", "arrays", "matrix")
RECEPTORS = ("exc", "inh")


# ----- populations ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Population:
    """A group of neurons of one config, or a spike source (``kind`` 'neurons', 'poisson' or 'array')."""

    name: str
    size: int
    kind: str
    start: int  # global index of neuron 0
    params: NeuronConfig | NeuronModel | None = None
    rate: float = 0.0  # Poisson sources [Hz]

    @property
    def stop(self) -> int:
        return self.start + self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, item: slice) -> PopulationView:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise InputTypeError(f"population {self.name!r}: only contiguous slices like pop[a:b] are supported")
        lo, hi, _ = item.indices(self.size)
        if hi <= lo:
            raise ShapeError(f"population {self.name!r}: slice [{item.start}:{item.stop}] is empty")
        return PopulationView(self, lo, hi)


@dataclass(eq=False)
class PopulationView:
    """Neurons [lo, hi) of a population, for connecting or monitoring a part of it."""

    population: Population
    lo: int
    hi: int

    @property
    def size(self) -> int:
        return self.hi - self.lo

    @property
    def start(self) -> int:
        return self.population.start + self.lo

    @property
    def stop(self) -> int:
        return self.population.start + self.hi

    @property
    def name(self) -> str:
        return f"{self.population.name}[{self.lo}:{self.hi}]"

    @property
    def kind(self) -> str:
        return self.population.kind

    @property
    def params(self) -> NeuronConfig | NeuronModel | None:
        return self.population.params

    def __len__(self) -> int:
        return self.size


Target = Population | PopulationView


@dataclass(eq=False)
class Projection:
    """Synapses from ``pre`` to ``post``: sparse (global pre/post indices, weights, delays in steps) or dense
    (a [n_pre, n_post] weight matrix and one delay)."""

    pre: Target
    post: Target
    receptor: str
    dense: bool
    pre_index: np.ndarray = field(repr=False)  # global (sparse) — empty for dense
    post_index: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)  # [n_syn] sparse, [n_pre, n_post] dense
    delay_steps: np.ndarray = field(repr=False)  # [n_syn] sparse, [1] dense
    plasticity: Any = None  # a plasticity rule (e.g. neurofab.learning.STDPConfig), None: static
    learning_rate: float = 1.0  # η of a plastic projection; set it between runs (0 freezes the weights)

    @property
    def num_synapses(self) -> int:
        return int(self.weight.size)

    @property
    def plastic(self) -> bool:
        return self.plasticity is not None

    def weights(self) -> torch.Tensor:
        """Weights as a tensor (per synapse, or the dense matrix); a plastic projection's show what it learned
        (a view of the simulator's store, updated by every run)."""
        return torch.from_numpy(self.weight)

    def indices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(pre, post) local indices of every synapse of a sparse projection."""
        if self.dense:
            raise ConfigError("indices(): a dense projection has a weight matrix, not index arrays")
        return (
            torch.from_numpy(self.pre_index.astype(np.int64) - self.pre.start),
            torch.from_numpy(self.post_index.astype(np.int64) - self.post.start),
        )


@dataclass
class _DC:
    start_step: int
    stop_step: int  # -1: never switches off
    target: np.ndarray
    amplitude: np.ndarray


# ----- connectivity ---------------------------------------------------------------------------------------------
def bernoulli_pairs(n_pre: int, n_post: int, p: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (pre, post) pair independently with probability ``p`` (NEST's ``pairwise_bernoulli``), sorted by
    pre then post, as int32 index tensors; time and memory grow with the number of pairs drawn (geometric gaps
    between successes, drawn in a compiled kernel seeded from ``gen``)."""
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ConfigError(f"bernoulli_pairs: p = {p!r} must lie in [0, 1]")
    if p == 0 or n_pre * n_post == 0:
        empty = torch.zeros(0, dtype=torch.int32)
        return empty, empty.clone()
    if p == 1:
        flat = torch.arange(n_pre * n_post, dtype=torch.int64)
        return (flat // n_post).to(torch.int32), (flat % n_post).to(torch.int32)
    rng = np.random.default_rng(seed_from(gen))
    pre, post = K.bernoulli_pairs(rng, int(n_pre), int(n_post), float(p))
    return torch.from_numpy(pre), torch.from_numpy(post)


def network_dt(dt: float | str) -> float:
    """A network's time step [s] from seconds or a unit string (``"0.1 ms"``), checked against its physical range
    (0, :data:`MAX_DT`] = (0, 10 ms]: a longer step cannot resolve a spike or a millisecond time constant."""
    if isinstance(dt, str):
        try:
            dt = to_si(dt, "s")
        except ValueError as err:
            raise ConfigError(f"Network dt = {dt!r}: {err}") from None
    if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) or dt <= 0:
        raise ConfigError(f"Network dt = {dt!r}: must be a positive number of seconds [s]")
    if dt > MAX_DT:
        raise ConfigError(f"Network dt = {dt!r} [s]: must be <= {MAX_DT!r} [s] (10 ms); did you give milliseconds?")
    return float(dt)


# ----- the network ----------------------------------------------------------------------------------------------
class Network:
    """A spiking network simulated in fixed steps ``dt`` [s] with compiled kernels; ``seed`` fixes every random
    draw (an int, or a ``torch.Generator``)."""

    def __init__(self, dt: float | str = 1e-4, seed: Seed = 0) -> None:
        self.dt = network_dt(dt)
        self.generator = make_generator(seed)
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.spike_monitors: list[SpikeMonitor] = []
        self.state_monitors: list[StateMonitor] = []
        self.weight_monitors: list[WeightMonitor] = []
        self._dc: list[_DC] = []
        self._arrays: list[tuple[np.ndarray, np.ndarray]] = []  # (steps, global indices) of spike arrays
        self._init_v: list[tuple[Population, np.ndarray]] = []
        self.step_count = 0  # steps simulated so far
        self._n = 0  # size of the global index space
        self._built = False
        # filled by _build
        self._state: dict[str, np.ndarray] = {}
        self._ring = np.zeros((1, 2, 0))
        self._spike_count = np.zeros(0, dtype=np.int64)

    # ----- building blocks ---------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        """Simulated time so far [s]."""
        return self.step_count * self.dt

    def _name(self, name: str | None, prefix: str) -> str:
        name = name or f"{prefix}{len(self.populations)}"
        if any(p.name == name for p in self.populations):
            raise ConfigError(f"a population named {name!r} exists already")
        return name

    def _add(self, pop: Population) -> Population:
        self.populations.append(pop)
        self._n += pop.size
        self._built = False
        return pop

    @staticmethod
    def _check_size(size: int) -> int:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"population size = {size!r}: must be a positive integer")
        return size

    def population(
        self,
        size: int,
        params: NeuronConfig | NeuronModel,
        *,
        v: float | torch.Tensor | tuple[str, float, float] | None = None,
        name: str | None = None,
    ) -> Population:
        """Add ``size`` neurons of config ``params`` (a built-in neuron config or a user-defined
        :class:`~neurofab.spiking.models.NeuronModel`). ``v``: the initial membrane potential [V] (a custom model's
        first state variable) — the model's resting value (None), one value, one per neuron, or
        ``("uniform", lo, hi)`` drawn from the network's generator."""
        size = self._check_size(size)
        if isinstance(params, IntegerIFConfig):
            raise InputTypeError("Network: the integer accumulator runs with integer_if_step, not in a Network")
        custom = isinstance(params, NeuronModel)
        if custom:
            parsed(params)
        elif not isinstance(params, IFConfig | LIFConfig | IzhikevichConfig | AdExConfig):
            raise InputTypeError(f"population params must be a neuron config (IFConfig, LIFConfig, IzhikevichConfig, "
                                 f"AdExConfig) or a NeuronModel, got {type(params).__name__}")
        else:
            check_builtin(params, "Network.population")
        own_dt = getattr(params, "dt", None)  # a config made for one step (leaky(β, dt), synaptic(α, β, dt))
        if own_dt is not None and not math.isclose(own_dt, self.dt, rel_tol=1e-12, abs_tol=0.0):
            raise ConfigError(f"population: the neuron config was made for dt = {own_dt!r} s, the network runs at "
                              f"dt = {self.dt!r} s; give dt once")
        if not custom:
            propagators(params, self.dt)  # checks t_ref against dt now, not at run time
        pop = Population(self._name(name, "neurons"), size, "neurons", self._n, params)
        if v is None:
            rest = (params.initial_values()[0] if custom else params.v_reset if isinstance(params, IFConfig)
                    else params.v_rest)
            v0 = np.full(size, rest)
        elif isinstance(v, tuple):
            if len(v) != 3 or v[0] != "uniform" or not v[1] <= v[2]:
                raise ConfigError(f"population v = {v!r}: use ('uniform', lo, hi) with lo <= hi")
            u = torch.rand(size, generator=self.generator, dtype=torch.float64).numpy()
            v0 = v[1] + u * (v[2] - v[1])
        else:
            vt = torch.as_tensor(v, dtype=torch.float64).flatten()
            if vt.numel() not in (1, size):
                raise ShapeError(f"population v has {vt.numel()} values, expected 1 or {size}")
            v0 = np.broadcast_to(vt.numpy(), (size,)).copy()
        if not np.all(np.isfinite(v0)):
            raise NumericalError("population v holds NaN or infinite values")
        self._init_v.append((pop, v0))
        return self._add(pop)

    def poisson_source(self, size: int, rate: float, *, name: str | None = None) -> Population:
        """``size`` independent Poisson spike sources of ``rate`` [Hz] each (spikes counted with multiplicity when
        rate·dt is not small)."""
        size = self._check_size(size)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate < 0:
            raise ConfigError(f"Poisson rate = {rate!r}: must be a finite number of hertz >= 0")
        return self._add(Population(self._name(name, "poisson"), size, "poisson", self._n, rate=float(rate)))

    def spike_source(
        self, size: int, times: torch.Tensor, indices: torch.Tensor, *, name: str | None = None
    ) -> Population:
        """``size`` sources that emit the given spikes: ``times`` [s] and ``indices`` (local), of equal length.
        A spike at time τ is emitted in step round(τ/dt) − 1 (stamped τ, as a neuron's spike would be), so
        times must be positive multiples of dt."""
        size = self._check_size(size)
        times = torch.as_tensor(times, dtype=torch.float64).flatten()
        indices = torch.as_tensor(indices).flatten()
        if times.shape != indices.shape:
            raise ShapeError(f"spike_source: {times.numel()} times but {indices.numel()} indices")
        if indices.is_floating_point():
            raise InputTypeError("spike_source: indices must be integers")
        if not torch.isfinite(times).all():
            raise NumericalError("spike_source: times hold NaN or infinite values")
        if len(indices) and (indices.min() < 0 or indices.max() >= size):
            raise ShapeError(f"spike_source: indices must lie in [0, {size})")
        steps = torch.round(times / self.dt).to(torch.int64) - 1
        if len(steps) and (steps.min() < self.step_count):
            raise ConfigError(f"spike_source: spike times must be >= dt after the current time {self.t!r} s")
        pop = self._add(Population(self._name(name, "spikes"), size, "array", self._n))
        self._arrays.append((steps.numpy(), indices.numpy().astype(np.int64) + pop.start))
        return pop

    def dc(self, target: Target, amplitude: float | torch.Tensor, start: float = 0.0, stop: float | None = None):
        """Hold a current ``amplitude`` [A] (one value or one per neuron) on ``target`` from ``start`` to
        ``stop`` [s] (None: forever); it switches at the step boundary nearest those times."""
        self._check_neurons(target, "dc")
        amp = torch.as_tensor(amplitude, dtype=torch.float64).flatten()
        if amp.numel() not in (1, target.size):
            raise ShapeError(f"dc: {amp.numel()} amplitudes for {target.size} neurons")
        if not torch.isfinite(amp).all():
            raise NumericalError("dc: amplitude holds NaN or infinite values")
        start_step = max(round(start / self.dt), self.step_count)
        stop_step = -1 if stop is None else round(stop / self.dt)
        if stop is not None and stop_step <= start_step:
            raise ConfigError(f"dc: stop = {stop!r} s must be after start = {start!r} s and the current time")
        self._dc.append(
            _DC(
                start_step,
                stop_step,
                np.arange(target.start, target.stop, dtype=np.int64),
                np.broadcast_to(amp.numpy(), (target.size,)).copy(),
            )
        )
        self._built = False

    def poisson_input(
        self, target: Target, rate: float, weight: float, *, receptor: str = "exc", delay: float | None = None
    ) -> Population:
        """An independent Poisson spike train of ``rate`` [Hz] into every neuron of ``target`` through one
        synapse of ``weight`` each (a Poisson source population connected one-to-one)."""
        self._check_neurons(target, "poisson_input")
        src = self.poisson_source(target.size, rate)
        self.connect(src, target, weight, rule="one_to_one", receptor=receptor, delay=delay)
        return src

    # ----- projections -----------------------------------------------------------------------------------
    def _check_neurons(self, target: Target, who: str) -> None:
        self._check_member(target, who)
        if target.kind != "neurons":
            raise InputTypeError(f"{who}: {target.name!r} is a spike source, not a population of neurons")

    def _check_member(self, target: Target, who: str) -> None:
        if not isinstance(target, Population | PopulationView):
            raise InputTypeError(f"{who}: expected a population of this network, got {type(target).__name__}")
        pop = target.population if isinstance(target, PopulationView) else target
        if not any(pop is p for p in self.populations):
            raise ConfigError(f"{who}: population {pop.name!r} belongs to another network")

    def _delay_steps(self, delay, n: int) -> np.ndarray:
        if delay is None:
            return np.ones(n, dtype=np.int16)
        d = torch.as_tensor(delay, dtype=torch.float64).flatten()
        if d.numel() not in (1, n):
            raise ShapeError(f"connect: {d.numel()} delays for {n} synapses")
        if not torch.isfinite(d).all():
            raise NumericalError("connect: delay holds NaN or infinite values")
        steps = torch.round(d / self.dt)
        if (steps < 1).any():
            raise ConfigError(f"connect: delay {d.min().item()!r} s is shorter than one time step dt = {self.dt!r} s")
        if (steps > 2**15 - 1).any():
            raise ConfigError(f"connect: delay {d.max().item()!r} s exceeds 32767 time steps")
        return np.broadcast_to(steps.to(torch.int16).numpy(), (n,)).copy()

    def connect(
        self,
        pre: Target,
        post: Target,
        weight: float | torch.Tensor,
        *,
        rule: str = "fixed_probability",
        p: float | None = None,
        receptor: str = "exc",
        delay: float | torch.Tensor | None = None,
        allow_autapses: bool = True,
        pre_indices: torch.Tensor | None = None,
        post_indices: torch.Tensor | None = None,
        dense: bool | None = None,
        plasticity: Any = None,
    ) -> Projection:
        """Connect ``pre`` to ``post`` (populations or slices) and return the projection.

        ``rule``: ``fixed_probability`` (needs ``p``), ``one_to_one``, ``all_to_all``, ``arrays`` (needs
        ``pre_indices`` and ``post_indices``, local), ``matrix`` (``weight`` is [n_pre, n_post]; zeros are no
        synapse when sparse). ``weight``: one value, one per synapse, or a matrix for ``all_to_all``/``matrix``.
        ``receptor``: ``exc`` or ``inh`` (which synaptic variable of the target the spikes feed). ``delay`` [s]:
        None (one step), one value or one per synapse, rounded to whole steps (≥ 1). ``dense``: store a weight
        matrix (default for ``all_to_all``/``matrix``) or CSR (default otherwise). ``plasticity``: a rule such as
        :class:`neurofab.learning.STDPConfig` makes the synapses learn (:mod:`neurofab.spiking.plasticity`); the
        weights must lie within its bounds and the projection needs one delay (NEST's dendritic delay)."""
        prow = None
        if plasticity is not None:
            prow = plasticity_row(plasticity, self.dt, float(getattr(plasticity, "learning_rate", 1.0)))
            if delay is not None and torch.unique(torch.as_tensor(delay, dtype=torch.float64)).numel() > 1:
                raise ConfigError("connect: a plastic projection needs one delay for all its synapses")
        self._check_member(pre, "connect")
        self._check_neurons(post, "connect")
        if rule not in RULES:
            raise ConfigError(f"connect rule = {rule!r}: must be one of {', '.join(RULES)}")
        if receptor not in RECEPTORS:
            raise ConfigError(f"connect receptor = {receptor!r}: must be 'exc' or 'inh'")
        w = torch.as_tensor(weight, dtype=torch.float64)
        if not torch.isfinite(w).all():
            raise NumericalError("connect: weight holds NaN or infinite values")
        if getattr(post.params, "synapse", "delta") == "conductance" and (w < 0).any():
            raise ConfigError("connect: conductance-synapse weights are conductances and must be >= 0 [S]")
        n_pre, n_post = pre.size, post.size
        dense = rule in ("all_to_all", "matrix") if dense is None else dense
        if dense:
            if rule not in ("all_to_all", "matrix"):
                raise ConfigError(f"connect: a dense projection needs rule 'all_to_all' or 'matrix', not {rule!r}")
            if w.numel() == 1:
                matrix = torch.full((n_pre, n_post), w.item(), dtype=torch.float64)
            elif tuple(w.shape) == (n_pre, n_post):
                matrix = w.clone()
            else:
                raise ShapeError(f"connect: dense weight of shape {tuple(w.shape)}, expected ({n_pre}, {n_post})")
            if delay is not None and torch.as_tensor(delay).numel() != 1:
                raise ShapeError("connect: a dense projection has one delay")
            proj = Projection(
                pre, post, receptor, True, np.zeros(0, np.int32), np.zeros(0, np.int32),
                np.ascontiguousarray(matrix.numpy()), self._delay_steps(delay, 1),
            )  # fmt: skip
        else:
            i, j, w_syn = self._pairs(pre, post, w, rule, p, pre_indices, post_indices)
            if not allow_autapses:
                keep = (i + pre.start) != (j + post.start)
                i, j = i[keep], j[keep]
                w_syn = w_syn[keep] if w_syn.numel() > 1 else w_syn
            n = len(i)
            w_np = np.broadcast_to(w_syn.numpy(), (n,)).copy() if w_syn.numel() == 1 else w_syn.numpy().copy()
            if delay is not None and torch.as_tensor(delay).numel() not in (1, n):
                raise ShapeError(f"connect: {torch.as_tensor(delay).numel()} delays for {n} synapses")
            proj = Projection(
                pre, post, receptor, False,
                (i + pre.start).to(torch.int32).numpy(), (j + post.start).to(torch.int32).numpy(),
                w_np, self._delay_steps(delay, n),
            )  # fmt: skip
        if prow is not None:
            lo, hi = prow[P_W_MIN], prow[P_W_MAX]
            if proj.weight.size and (proj.weight.min() < lo or proj.weight.max() > hi):
                raise ConfigError(
                    f"connect: weights span [{proj.weight.min()!r}, {proj.weight.max()!r}] outside the plasticity "
                    f"bounds w_min = {lo!r}, w_max = {hi!r}"
                )
            if getattr(post.params, "synapse", "delta") == "conductance" and lo < 0:
                raise ConfigError(f"connect: plasticity w_min = {lo!r} < 0 on conductance synapses")
            proj.plasticity = plasticity
            proj.learning_rate = float(getattr(plasticity, "learning_rate", 1.0))
        self.projections.append(proj)
        self._built = False
        return proj

    def _pairs(self, pre, post, w, rule, p, pre_indices, post_indices):
        n_pre, n_post = pre.size, post.size
        per_synapse_ok = rule in ("one_to_one", "arrays")
        if rule == "fixed_probability":
            if p is None or isinstance(p, bool) or not 0 <= p <= 1:
                raise ConfigError(f"connect: rule 'fixed_probability' needs 0 <= p <= 1, got p = {p!r}")
            i, j = bernoulli_pairs(n_pre, n_post, float(p), self.generator)
        elif rule == "one_to_one":
            if n_pre != n_post:
                raise ShapeError(f"connect one_to_one: {n_pre} presynaptic but {n_post} postsynaptic neurons")
            i = j = torch.arange(n_pre)
        elif rule == "all_to_all":
            i = torch.arange(n_pre).repeat_interleave(n_post)
            j = torch.arange(n_post).repeat(n_pre)
            if w.numel() > 1:
                if tuple(w.shape) != (n_pre, n_post):
                    raise ShapeError(f"connect: weight of shape {tuple(w.shape)}, expected ({n_pre}, {n_post})")
                w = w.flatten()
        elif rule == "matrix":
            if tuple(w.shape) != (n_pre, n_post):
                raise ShapeError(f"connect: weight matrix of shape {tuple(w.shape)}, expected ({n_pre}, {n_post})")
            i, j = torch.nonzero(w, as_tuple=True)
            w = w[i, j]
        else:  # arrays
            if pre_indices is None or post_indices is None:
                raise ConfigError("connect: rule 'arrays' needs pre_indices and post_indices")
            i = torch.as_tensor(pre_indices).flatten()
            j = torch.as_tensor(post_indices).flatten()
            if i.is_floating_point() or j.is_floating_point():
                raise InputTypeError("connect: pre_indices and post_indices must be integers")
            if i.shape != j.shape:
                raise ShapeError(f"connect: {i.numel()} pre_indices but {j.numel()} post_indices")
            if len(i) and (i.min() < 0 or i.max() >= n_pre or j.min() < 0 or j.max() >= n_post):
                raise ShapeError(f"connect: indices must lie in [0, {n_pre}) and [0, {n_post})")
            order = torch.argsort(i * n_post + j, stable=True)
            i, j = i[order], j[order]
            if w.numel() > 1:
                if w.numel() != len(order):
                    raise ShapeError(f"connect: {w.numel()} weights for {len(order)} synapses")
                w = w.flatten()[order]
        i, j = i.to(torch.int32), j.to(torch.int32)
        if w.numel() > 1 and rule not in ("all_to_all", "matrix", "arrays"):
            if not per_synapse_ok or w.numel() != len(i):
                raise ShapeError(f"connect: {w.numel()} weights for {len(i)} synapses (rule {rule!r})")
        return i, j, w.flatten() if w.numel() > 1 else w.reshape(1)

    # ----- monitors ---------------------------------------------------------------------------------------
    def spike_monitor(self, target: Target) -> SpikeMonitor:
        """Record every spike of ``target`` (neurons or sources) from now on."""
        self._check_member(target, "spike_monitor")
        mon = SpikeMonitor(target.name, target.start, target.size, self.dt)
        self.spike_monitors.append(mon)
        self._built = False
        return mon

    def state_monitor(
        self, target: Target, variable: str = "v", indices: torch.Tensor | None = None, every: int = 1
    ) -> StateMonitor:
        """Sample ``variable`` ('v', 'syn_exc', 'syn_inh', 'w', 'i_ext') of ``indices`` (local; all when None)
        after every ``every``-th step. A custom model's 'v' is its first state variable; any of its state
        variables can be named."""
        self._check_neurons(target, "state_monitor")
        custom_row = None
        if isinstance(target.params, NeuronModel) and variable not in ("v", "i_ext"):
            names_c = parsed(target.params).names
            if variable not in names_c:
                raise ConfigError(f"state_monitor: variable = {variable!r}: a {type(target.params).__name__} "
                                  f"population has {', '.join(names_c)} (and 'v', 'i_ext')")
            custom_row = names_c.index(variable)
        idx = torch.arange(target.size) if indices is None else torch.as_tensor(indices).flatten()
        if idx.is_floating_point():
            raise InputTypeError("state_monitor: indices must be integers")
        if len(idx) and (idx.min() < 0 or idx.max() >= target.size):
            raise ShapeError(f"state_monitor: indices must lie in [0, {target.size})")
        mon = StateMonitor(target.name, variable, idx.numpy().astype(np.int64) + target.start, every, self.dt,
                           custom_row=custom_row)
        if custom_row is not None:
            mon.population = target.population if isinstance(target, PopulationView) else target
        self.state_monitors.append(mon)
        return mon

    def weight_monitor(
        self, projection: Projection, synapses: torch.Tensor | None = None, every: int = 1
    ) -> WeightMonitor:
        """Sample the weights of a plastic ``projection`` (``synapses``: flat indices, per synapse or row-major
        for a dense matrix; all when None) after every ``every``-th step."""
        if not any(projection is pr for pr in self.projections):
            raise ConfigError("weight_monitor: the projection belongs to another network")
        if not projection.plastic:
            raise ConfigError("weight_monitor: the projection is static (connect it with plasticity=...)")
        idx = torch.arange(projection.num_synapses) if synapses is None else torch.as_tensor(synapses).flatten()
        if idx.is_floating_point():
            raise ShapeError("weight_monitor: synapse indices must be integers")
        mon = WeightMonitor(projection, idx.numpy().astype(np.int64), every, self.dt)
        self.weight_monitors.append(mon)
        return mon

    # ----- state access -----------------------------------------------------------------------------------
    def state(self, target: Target, variable: str = "v") -> torch.Tensor:
        """Current values of ``variable`` for ``target`` (a copy; SI units)."""
        self._check_neurons(target, "state")
        self._build()
        if isinstance(target.params, NeuronModel):
            pop = target.population if isinstance(target, PopulationView) else target
            lo, hi = target.start - pop.start, target.stop - pop.start
            names_c = parsed(pop.params).names
            var = names_c[0] if variable == "v" else variable
            if var == "i_ext":
                return torch.from_numpy(self._state["i_ext"][target.start : target.stop].copy())
            if var not in names_c:
                raise ConfigError(f"state variable = {variable!r}: a {type(pop.params).__name__} population has "
                                  f"{', '.join(names_c)} (and 'v', 'i_ext')")
            block = self._custom_block(pop)
            return torch.from_numpy(block[names_c.index(var), lo:hi].copy())
        names = {"v": "v", "syn_exc": "ge", "syn_inh": "gi", "w": "w", "i_ext": "i_ext", "refractory": "ref"}
        if variable not in names:
            raise ConfigError(f"state variable = {variable!r}: must be one of {', '.join(names)}")
        return torch.from_numpy(self._state[names[variable]][target.start : target.stop].copy())

    def spike_counts(self, target: Target) -> torch.Tensor:
        """Spikes of each neuron (or source) of ``target`` since the network was built (int64)."""
        self._check_member(target, "spike_counts")
        self._build()
        return torch.from_numpy(self._spike_count[target.start : target.stop].copy())

    # ----- building and running ---------------------------------------------------------------------------
    def _custom_block(self, pop: Population) -> np.ndarray:
        """The (n_vars, size) view of a custom population's state in the flat custom store."""
        off = self._custom_off[id(pop)]
        n_vars = len(parsed(pop.params).names)
        return self._custom_state[off : off + n_vars * pop.size].reshape(n_vars, pop.size)

    def _monitor_index(self, mon: StateMonitor) -> np.ndarray:
        """What the kernel reads for a monitor: global neuron indices, or for a custom model's variable the
        positions in the flat custom state (computed per run: blocks move when populations are added)."""
        if mon.custom_row is None:
            return mon.global_indices
        pop = mon.population
        return self._custom_off[id(pop)] + mon.custom_row * pop.size + (mon.global_indices - pop.start)

    def _build_custom(self) -> None:
        """Flat state and parameter stores of the custom-model populations and their tuple of compiled steps;
        populations present before keep their state (blocks are laid out in population order)."""
        custom = [p for p in self.populations if p.kind == "neurons" and isinstance(p.params, NeuronModel)]
        old = getattr(self, "_custom_state", np.zeros(0))
        old_off = getattr(self, "_custom_off", {})
        fns, classes, offsets, params, poffs = [], [], {}, [], {}
        off = poff = 0
        for pop in custom:
            cls = type(pop.params)
            if cls not in classes:
                classes.append(cls)
                fns.append(compiled_step(cls))
            offsets[id(pop)] = off
            poffs[id(pop)] = poff
            values = pop.params.parameter_values()
            params.extend(values)
            poff += len(values)
            off += len(parsed(cls).names) * pop.size
        state = np.zeros(off)
        inits = {id(pop): v0 for pop, v0 in self._init_v}
        for pop in custom:
            n_vars, o = len(parsed(pop.params).names), offsets[id(pop)]
            block = state[o : o + n_vars * pop.size].reshape(n_vars, pop.size)
            if id(pop) in old_off:
                block[:] = old[old_off[id(pop)] : old_off[id(pop)] + block.size].reshape(block.shape)
            else:
                block[:] = np.array(pop.params.initial_values())[:, None]
                block[0] = inits[id(pop)]
        self._custom_state, self._custom_off, self._custom_poff = state, offsets, poffs
        self._custom_params = np.array([*params, 0.0])  # never empty: the steps take its address
        self._custom_classes = classes
        self._custom_fns = tuple(fns) if fns else (K.no_custom_step,)

    def _population_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        neurons = [p for p in self.populations if p.kind == "neurons"]
        rows = np.zeros((len(neurons), K.N_COLUMNS))
        for r, pop in enumerate(neurons):
            if isinstance(pop.params, NeuronModel):
                rows[r, K.MODEL], rows[r, K.DT] = K.MODEL_CUSTOM, self.dt
                rows[r, K.CUSTOM_FN] = self._custom_classes.index(type(pop.params))
                rows[r, K.CUSTOM_OFF] = self._custom_off[id(pop)]
                rows[r, K.CUSTOM_NVARS] = len(parsed(pop.params).names)
                rows[r, K.CUSTOM_POFF] = self._custom_poff[id(pop)]
            else:
                rows[r] = _parameter_row(pop.params, self.dt)
            rows[r, K.HAS_EXT] = float(any(np.any((d.target >= pop.start) & (d.target < pop.stop)) for d in self._dc))
        starts = np.array([p.start for p in neurons], dtype=np.int64)
        stops = np.array([p.stop for p in neurons], dtype=np.int64)
        return starts, stops, rows

    def _build(self) -> None:
        if self._built:
            return
        n = self._n
        old = self._state
        state = {
            "v": np.zeros(n),
            "w": np.zeros(n),
            "ge": np.zeros(n),
            "gi": np.zeros(n),
            "ref": np.zeros(n, dtype=np.int32),
            "i_ext": np.zeros(n),
        }
        old_n = len(old.get("v", ()))
        for key, arr in old.items():  # populations keep their state when the network grows
            state[key][:old_n] = arr
        for pop, v0 in self._init_v:
            if pop.start >= old_n:
                state["v"][pop.start : pop.stop] = v0
                if isinstance(pop.params, IzhikevichConfig | AdExConfig):
                    slope = pop.params.b if isinstance(pop.params, IzhikevichConfig) else pop.params.a
                    state["w"][pop.start : pop.stop] = slope * (v0 - pop.params.v_rest)
        # DC currents already on keep flowing; recompute the held current of sources switched on before now
        state["i_ext"][:] = 0.0
        for d in self._dc:
            if d.start_step < self.step_count and (d.stop_step < 0 or d.stop_step > self.step_count):
                state["i_ext"][d.target] += d.amplitude
        self._state = state
        spike_count = np.zeros(n, dtype=np.int64)
        spike_count[: len(self._spike_count)] = self._spike_count
        self._spike_count = spike_count
        # sparse projections merged into one CSR over the global index
        sparse = [pr for pr in self.projections if not pr.dense and not pr.plastic]
        if sparse:
            pre = np.concatenate([pr.pre_index for pr in sparse])
            chans = [np.full(pr.num_synapses, RECEPTORS.index(pr.receptor), dtype=np.int8) for pr in sparse]
            parts = {
                "post": np.concatenate([pr.post_index for pr in sparse]),
                "weight": np.concatenate([pr.weight for pr in sparse]),
                "delay": np.concatenate([pr.delay_steps for pr in sparse]),
                "channel": np.concatenate(chans),
            }
            if not np.all(pre[1:] >= pre[:-1]):  # projections from later populations came first
                order = np.argsort(pre, kind="stable")
                pre = pre[order]
                parts = {key: arr[order] for key, arr in parts.items()}
            self._indptr = K.csr_from_sorted_rows(pre, n)
            self._post, self._weight = parts["post"], parts["weight"]
            self._delay, self._channel = parts["delay"], parts["channel"]
            del pre, parts
        else:
            self._indptr = np.zeros(n + 1, dtype=np.int64)
            self._post = np.zeros(0, dtype=np.int32)
            self._weight = np.zeros(0)
            self._delay = np.zeros(0, dtype=np.int16)
            self._channel = np.zeros(0, dtype=np.int8)
        dense = [pr for pr in self.projections if pr.dense and not pr.plastic]
        self._dense = {
            "pre_start": np.array([pr.pre.start for pr in dense], dtype=np.int64),
            "pre_stop": np.array([pr.pre.stop for pr in dense], dtype=np.int64),
            "post_start": np.array([pr.post.start for pr in dense], dtype=np.int64),
            "post_stop": np.array([pr.post.stop for pr in dense], dtype=np.int64),
            "channel": np.array([RECEPTORS.index(pr.receptor) for pr in dense], dtype=np.int64),
            "delay": np.array([int(pr.delay_steps[0]) for pr in dense], dtype=np.int64),
            "offset": np.cumsum([0] + [pr.num_synapses for pr in dense])[:-1].astype(np.int64),
            "weight": np.concatenate([pr.weight.ravel() for pr in dense]) if dense else np.zeros(0),
        }
        # delay ring buffer, keeping input already scheduled
        self._build_plastic(n)
        max_delay = max(
            [
                int(self._delay.max()) if len(self._delay) else 1,
                *[int(d) for d in self._dense["delay"]],
                *[int(d) for d in self._plastic["delay"]],
            ]
        )
        slots = max_delay + 1
        ring = np.zeros((slots, 2, n))
        old_ring = self._ring
        if old_ring.shape[2]:
            for ahead in range(old_ring.shape[0]):
                t = self.step_count + ahead
                ring[t % slots, :, : old_ring.shape[2]] = old_ring[t % old_ring.shape[0]]
        self._ring = ring
        self._build_custom()
        self._pop_start, self._pop_stop, self._pop_params = self._population_rows()
        # stimulation
        self._dc_arrays = {
            "start": np.array([d.start_step for d in self._dc], dtype=np.int64),
            "stop": np.array([d.stop_step for d in self._dc], dtype=np.int64),
            "ptr": np.cumsum([0] + [len(d.target) for d in self._dc]).astype(np.int64),
            "target": np.concatenate([d.target for d in self._dc]) if self._dc else np.zeros(0, dtype=np.int64),
            "amp": np.concatenate([d.amplitude for d in self._dc]) if self._dc else np.zeros(0),
        }
        poisson = [p for p in self.populations if p.kind == "poisson"]
        self._poisson = (
            np.array([p.start for p in poisson], dtype=np.int64),
            np.array([p.stop for p in poisson], dtype=np.int64),
            np.array([p.rate * self.dt for p in poisson], dtype=np.float64),
        )
        if self._arrays:
            steps = np.concatenate([s for s, _ in self._arrays])
            idx = np.concatenate([i for _, i in self._arrays])
            order = np.argsort(steps, kind="stable")
            self._array_step, self._array_index = steps[order], idx[order]
            keep = self._array_step >= self.step_count
            self._array_step, self._array_index = self._array_step[keep], self._array_index[keep]
            self._array_max_per_step = int(np.bincount(self._array_step - self.step_count).max()) if keep.any() else 0
        else:
            self._array_step = np.zeros(0, dtype=np.int64)
            self._array_index = np.zeros(0, dtype=np.int64)
            self._array_max_per_step = 0
        self._array_pos = np.zeros(1, dtype=np.int64)
        self._record_flag = np.zeros(n, dtype=np.uint8)
        for mon in self.spike_monitors:
            self._record_flag[mon.start : mon.start + mon.size] = 1
        self._built = True

    def _build_plastic(self, n: int) -> None:
        """The plastic projections' arrays for :func:`neurofab.spiking.plasticity.plastic_step`; each projection's
        ``weight`` becomes a view of the flat store (its values carried over), and traces restart at zero."""
        plastic = [pr for pr in self.projections if pr.plastic]
        old = getattr(self, "_plastic", None)
        sizes = [pr.num_synapses for pr in plastic]
        syn_off = np.cumsum([0, *sizes]).astype(np.int64)
        store = np.concatenate([pr.weight.ravel() for pr in plastic]) if plastic else np.zeros(0)
        rowptrs, cols, colptrs, colsyns, colpres = [], [], [], [], []
        rowptr_off, colptr_off = [], []
        r_off = c_off = 0
        for pr in plastic:
            n_pre, n_post = pr.pre.size, pr.post.size
            rowptr_off.append(r_off)
            colptr_off.append(c_off)
            if pr.dense:
                cols.append(np.zeros(pr.num_synapses, dtype=np.int64))
                colsyns.append(np.zeros(pr.num_synapses, dtype=np.int64))
                colpres.append(np.zeros(pr.num_synapses, dtype=np.int64))
                continue
            i = pr.pre_index.astype(np.int64) - pr.pre.start
            j = pr.post_index.astype(np.int64) - pr.post.start
            rowptrs.append(K.csr_from_sorted_rows(i, n_pre))
            cols.append(j)
            order = np.argsort(j, kind="stable")
            colptrs.append(K.csr_from_sorted_rows(j[order], n_post))
            colsyns.append(order.astype(np.int64))
            colpres.append(i[order])
            r_off += n_pre + 1
            c_off += n_post + 1
        cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)  # noqa: E731
        x_sizes = [pr.pre.size for pr in plastic]
        y_sizes = [pr.post.size for pr in plastic]
        self._plastic = {
            "pre_start": np.array([pr.pre.start for pr in plastic], dtype=np.int64),
            "pre_stop": np.array([pr.pre.stop for pr in plastic], dtype=np.int64),
            "post_start": np.array([pr.post.start for pr in plastic], dtype=np.int64),
            "post_stop": np.array([pr.post.stop for pr in plastic], dtype=np.int64),
            "delay": np.array([int(pr.delay_steps[0]) for pr in plastic], dtype=np.int64),
            "channel": np.array([RECEPTORS.index(pr.receptor) for pr in plastic], dtype=np.int64),
            "dense": np.array([pr.dense for pr in plastic], dtype=np.bool_),
            "params": np.zeros((len(plastic), N_P_COLUMNS)),
            "syn_off": syn_off[:-1].copy(),
            "rowptr": cat(rowptrs),
            "rowptr_off": np.array(rowptr_off, dtype=np.int64),
            "col": cat(cols),
            "colptr": cat(colptrs),
            "colptr_off": np.array(colptr_off, dtype=np.int64),
            "colsyn": cat(colsyns),
            "colpre": cat(colpres),
            "weight": store,
            "x": np.zeros((2, sum(x_sizes))),  # row 0: trace x (τ₊), row 1: slow trace of triplet STDP
            "x_off": np.cumsum([0, *x_sizes])[:-1].astype(np.int64),
            "y": np.zeros((2, sum(y_sizes))),
            "y_off": np.cumsum([0, *y_sizes])[:-1].astype(np.int64),
            "last_pre": np.full(sum(x_sizes), -1, dtype=np.int64),
            "last_arr": np.full(sum(y_sizes), -1, dtype=np.int64),
            "lfsr": np.zeros(len(plastic), dtype=np.int64),  # stochastic STDP: LFSR state (0: not started)
        }
        for pr, off in zip(plastic, self._plastic["x_off"]):
            if pr.plasticity.kernel_parameters().get("pairing") == "stochastic":
                self._plastic["last_pre"][off : off + pr.pre.size] = 0  # empty spike-history queues
        for pr, off, size in zip(plastic, syn_off, sizes):
            pr.weight = store[off : off + size].reshape(pr.weight.shape)
        depth = max([int(d) for d in self._plastic["delay"]], default=0) + 1
        ids = [id(pr) for pr in plastic]
        old_hist = getattr(self, "_plastic_hist", None)
        if getattr(self, "_plastic_ids", None) == ids and old_hist is not None and old_hist.shape == (depth, n):
            for key in ("x", "y", "last_pre", "last_arr", "lfsr"):  # same plastic projections: traces carry on
                self._plastic[key] = old[key]
            return
        self._plastic_ids = ids
        self._plastic_hist = np.zeros((depth, n if plastic else 0), dtype=np.int32)  # spikes of the last d steps
        self._plastic_hist_n = np.zeros(depth, dtype=np.int64)

    def run(self, duration: float | str, progress: bool | None = None) -> None:
        """Simulate ``duration`` [s, or a unit string like ``"500 ms"``] from the current time; ``duration`` must
        be a whole number of steps ``dt`` (within 10⁻⁶ of a step, for floating-point round-off), else a
        ConfigError. ``progress``: show a progress bar on standard error (True/False); None shows one for long
        runs (≥ :data:`PROGRESS_MIN_WORK` neuron-steps) when standard error is a terminal
        (:func:`neurofab.core.progress_wanted`). With a bar the loop runs in 200 chunks (same result)."""
        if isinstance(duration, str):
            try:
                duration = to_si(duration, "s")
            except ValueError as err:
                raise ConfigError(f"run duration = {duration!r}: {err}") from None
        if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration):
            raise ConfigError(f"run duration = {duration!r}: must be a finite number of seconds")
        if duration < 0:
            raise ConfigError(f"run duration = {duration!r}: must be >= 0 s")
        steps = round(duration / self.dt)
        if abs(duration / self.dt - steps) > 1e-6:
            raise ConfigError(f"run duration = {duration!r} s is {duration / self.dt:.6g} steps of dt = {self.dt!r} s; "
                              "it must be a whole number of steps")
        if steps == 0:
            return
        self._build()
        t0, t1 = self.step_count, self.step_count + steps
        st = self._state
        # state monitors: output sized for this run
        mon_var = np.array([m.var_code for m in self.state_monitors], dtype=np.int64)
        mon_every = np.array([m.every for m in self.state_monitors], dtype=np.int64)
        mon_ptr = np.cumsum([0] + [len(m.global_indices) for m in self.state_monitors]).astype(np.int64)
        mon_index = (
            np.concatenate([self._monitor_index(m) for m in self.state_monitors])
            if self.state_monitors
            else np.zeros(0, dtype=np.int64)
        )
        mon_steps = [np.arange(t0 + (-t0) % m.every, t1, m.every, dtype=np.int64) for m in self.state_monitors]
        sizes = [len(s) * len(m.global_indices) for s, m in zip(mon_steps, self.state_monitors)]
        mon_out_ptr = np.cumsum([0, *sizes])[:-1].astype(np.int64)
        mon_out = np.zeros(int(sum(sizes)))
        mon_count = np.zeros(len(self.state_monitors), dtype=np.int64)
        # spike record, grown on demand
        lam_total = float(np.sum(self._poisson[2] * (self._poisson[1] - self._poisson[0])))
        margin = int(lam_total + 10 * math.sqrt(lam_total) + 10) + self._array_max_per_step
        recording_any = bool(self._record_flag.any())
        cap = self._n + margin + (max(4096, self._n * steps // 200) if recording_any else 0)
        rec_step = np.zeros(cap, dtype=np.int64)
        rec_index = np.zeros(cap, dtype=np.int64)
        counters = np.zeros(5, dtype=np.int64)
        pl = self._plastic
        plastic = [pr for pr in self.projections if pr.plastic]
        for r, pr in enumerate(plastic):
            eta = pr.learning_rate
            if isinstance(eta, bool) or not isinstance(eta, int | float) or not math.isfinite(eta) or eta < 0:
                raise ConfigError(f"projection learning_rate = {eta!r}: must be a finite number >= 0")
            pl["params"][r] = plasticity_row(pr.plasticity, self.dt, float(eta))
        wmons = self.weight_monitors
        offsets = {id(pr): off for pr, off in zip(plastic, pl["syn_off"])}
        wm_every = np.array([m.every for m in wmons], dtype=np.int64)
        wm_ptr = np.cumsum([0] + [len(m.synapses) for m in wmons]).astype(np.int64)
        wm_index = (
            np.concatenate([m.synapses + offsets[id(m.projection)] for m in wmons])
            if wmons
            else np.zeros(0, dtype=np.int64)
        )
        wm_steps = [np.arange(t0 + (-t0) % m.every, t1, m.every, dtype=np.int64) for m in wmons]
        wm_sizes = [len(s) * len(m.synapses) for s, m in zip(wm_steps, wmons)]
        wm_out_ptr = np.cumsum([0, *wm_sizes])[:-1].astype(np.int64)
        wm_out = np.zeros(int(sum(wm_sizes)))
        wm_count = np.zeros(len(wmons), dtype=np.int64)
        rng = np.random.default_rng(seed_from(self.generator))
        d = self._dense
        t, n_rec = t0, 0
        show = progress_wanted(progress) if progress is not None else (
            steps * max(self._n, 1) >= PROGRESS_MIN_WORK and progress_wanted())
        chunk = max(1, steps // 200) if show else steps
        with K.quiet_compile(), progress_bar(steps, "Network.run", enabled=show, unit="steps") as advance:
            while t < t1:
                stop = min(t1, t + chunk)
                t_new, n_rec = K.simulate(
                    t, stop, rng,
                    self._pop_start, self._pop_stop, self._pop_params,
                    st["v"], st["w"], st["ge"], st["gi"], st["ref"], st["i_ext"],
                    self._dc_arrays["start"], self._dc_arrays["stop"], self._dc_arrays["ptr"],
                    self._dc_arrays["target"], self._dc_arrays["amp"],
                    self._poisson[0], self._poisson[1], self._poisson[2],
                    self._array_step, self._array_index, self._array_pos,
                    self._indptr, self._post, self._weight, self._delay, self._channel,
                    d["pre_start"], d["pre_stop"], d["post_start"], d["post_stop"], d["channel"], d["delay"],
                    d["offset"], d["weight"],
                    self._ring,
                    self._record_flag if recording_any else np.zeros(self._n, dtype=np.uint8),
                    rec_step, rec_index, n_rec, margin,
                    mon_var, mon_every, mon_ptr, mon_index, mon_out_ptr, mon_out, mon_count,
                    self._plastic_hist, self._plastic_hist_n,
                    pl["pre_start"], pl["pre_stop"], pl["post_start"], pl["post_stop"], pl["delay"], pl["channel"],
                    pl["dense"], pl["params"], pl["syn_off"], pl["rowptr"], pl["rowptr_off"], pl["col"], pl["colptr"],
                    pl["colptr_off"], pl["colsyn"], pl["colpre"], pl["weight"], pl["x"], pl["x_off"], pl["y"],
                    pl["y_off"], pl["last_pre"], pl["last_arr"], pl["lfsr"],
                    wm_every, wm_ptr, wm_index, wm_out_ptr, wm_out, wm_count,
                    counters, self._spike_count,
                    self._custom_fns, self._custom_state, self._custom_params,
                )  # fmt: skip
                advance(t_new - t)
                t = t_new
                if t < stop:  # spike record full: grow it
                    grow = max(len(rec_step), self._n + margin)
                    rec_step = np.concatenate([rec_step, np.zeros(grow, dtype=np.int64)])
                    rec_index = np.concatenate([rec_index, np.zeros(grow, dtype=np.int64)])
        if counters[3]:
            raise NumericalError(f"run: {counters[3]} spikes could not be recorded (record overflow)")
        self.step_count = t1
        for mon in self.spike_monitors:
            mon._append(rec_step[:n_rec], rec_index[:n_rec])
        for m, mon in enumerate(self.state_monitors):
            k = len(mon_steps[m])
            assert mon_count[m] == k
            chunk = mon_out[mon_out_ptr[m] : mon_out_ptr[m] + k * len(mon.global_indices)]
            mon._append(mon_steps[m], chunk)
        for m, mon in enumerate(wmons):
            k = len(wm_steps[m])
            mon._append(wm_steps[m], wm_out[wm_out_ptr[m] : wm_out_ptr[m] + k * len(mon.synapses)])
        if recording():
            n_neurons = sum(p.size for p in self.populations if p.kind == "neurons")
            record("spike", int(counters[0]))
            record("synop", int(counters[1]))
            record("neuron_update", n_neurons * steps)
            if plastic:
                record("weight_update", int(counters[4]))


def _parameter_row(params: NeuronConfig, dt: float) -> np.ndarray:
    """The kernel's parameter row of one population (columns named in :mod:`neurofab.spiking.kernels`)."""
    row = np.zeros(K.N_COLUMNS)
    row[K.DT] = dt
    row[K.I_BIAS] = params.i_bias
    row[K.SYN_KIND] = ("delta", "current", "conductance").index(params.synapse)
    row[K.E_EXC] = getattr(params, "e_exc", 0.0)
    row[K.E_INH] = getattr(params, "e_inh", 0.0)
    row[K.C_M] = params.c_m
    prop = propagators(params, dt)
    row[K.DEC_E], row[K.DEC_I] = prop.decay_exc, prop.decay_inh
    row[K.REF_STEPS] = prop.refractory_steps
    if isinstance(params, IFConfig | LIFConfig):
        row[K.MODEL] = K.MODEL_LIF_COND if params.synapse == "conductance" else K.MODEL_LINEAR
        row[K.DECAY_M], row[K.DC_GAIN] = prop.decay_m, prop.dc_gain
        row[K.CPL_E], row[K.CPL_I] = prop.coupling_exc, prop.coupling_inh
        row[K.V_REST] = params.v_rest if isinstance(params, LIFConfig) else 0.0
        row[K.V_TH], row[K.V_RESET] = params.v_th, params.v_reset
        row[K.SUBTRACT] = 1.0 if params.reset_mode == "subtract" else 0.0
        row[K.G_LEAK] = params.g_leak if isinstance(params, LIFConfig) else 0.0
    elif isinstance(params, IzhikevichConfig):
        row[K.MODEL] = K.MODEL_IZHIKEVICH
        row[K.SUBSTEPS], row[K.H_SUB] = prop.substeps, dt / prop.substeps
        row[K.V_REST], row[K.V_TH], row[K.V_RESET] = params.v_rest, params.v_peak, params.c
        row[K.K_IZH], row[K.V_T], row[K.A_PAR], row[K.B_PAR], row[K.JUMP] = (
            params.k, params.v_t, params.a, params.b, params.d,
        )  # fmt: skip
    else:
        assert isinstance(params, AdExConfig)
        row[K.MODEL] = K.MODEL_ADEX
        row[K.SUBSTEPS], row[K.H_SUB] = prop.substeps, dt / prop.substeps
        row[K.V_REST], row[K.V_TH], row[K.V_RESET] = params.v_rest, params.v_peak, params.v_reset
        row[K.G_LEAK], row[K.V_T], row[K.DELTA_T], row[K.TAU_W] = (
            params.g_leak, params.v_t, params.delta_t, params.tau_w,
        )  # fmt: skip
        row[K.A_PAR], row[K.JUMP] = params.a, params.b
    return row


def cuba_network(n: int = 4000, seed: Seed = 0, dt: float = 1e-4) -> tuple[Network, Population]:
    """The CUBA benchmark network (Vogels & Abbott 2005, J. Neurosci. 25:10786, in the form of Brian2's CUBA
    example and NEST's ``iaf_psc_exp`` version of it): ``n`` :data:`~neurofab.spiking.neurons.CUBA_LIF` neurons,
    the first 80 % excitatory; every pair connected with probability 0.02·4000/n (so the in-degree stays 80);
    excitatory jumps R·I = 1.62 mV, inhibitory −9 mV (currents 20.25 pA and −112.5 pA through R = 80 MΩ), delay
    one step; V(0) uniform in [V_reset, V_th]. Returns the network and its population."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 5:
        raise ConfigError(f"cuba_network n = {n!r}: must be an integer >= 5")
    net = Network(dt=dt, seed=seed)
    pop = net.population(n, CUBA_LIF, v=("uniform", CUBA_LIF.v_reset, CUBA_LIF.v_th), name="cuba")
    n_exc = int(0.8 * n)
    p = min(1.0, 0.02 * 4000 / n)
    net.connect(pop[:n_exc], pop, 1.62e-3 / CUBA_LIF.r_m, p=p, receptor="exc")
    net.connect(pop[n_exc:], pop, -9.0e-3 / CUBA_LIF.r_m, p=p, receptor="inh")
    return net, pop
