"""The neural wavefront path planner of Steffen et al. 2021 (seed 001 l. 1340–1740), stage by stage.

1. **Create neurons**: one place cell per voxel of an n×n×n map (n³ neurons), PyNN's ``IF_cond_exp`` with PyNN's
   default parameters (:data:`PYNN_IF_COND_EXP`; seed 001 l. 1475, Table 1).
2. **Create synapses**: lateral 6-neighbour ("Manhattan") connections in both directions, 6n²(n−1) synapses:
   excitatory between two free cells, inhibitory where a synapse touches an obstacle (l. 1446). Built as CSR
   over the presynaptic cell directly, vectorised (:func:`lattice_synapses`).
3. **Simulate**: one spike into the target cell starts the wave (the SpikeSourceArray variant, l. 1477–1487; or
   a DC current, ``initiation="dc"``, as the NEST original);
   additive STDP (w_max = 4000 µS unscaled, as NEST and GeNN run it, l. 1475 and Table 1; the 63 µS with a
   4000/63 rescale afterwards is SpiNNaker's 16-bit workaround) strengthens each synapse the wave crosses
   forward (pre before post: Δw = +A₊ w_max e^(−Δt/τ₊)) and weakens its reverse (Δw = −A₋ w_max e^(−Δt/τ₋)).
4. **Build SVF**: each synapse a → b (unit offset e = b − a) adds −w·e to the vectors of both its cells, so a
   cell's vector points against the wave, towards the target; the field is then averaged over each cell's 3×3×3
   neighbourhood (l. 1454).
5. **Find path**: from the start, the direction d ← momentum·d + (averaged local vector)/|…| picks the free
   neighbour most along d (unvisited ones first) until the target is reached (l. 1454); the path is the list of
   visited cells and its length the list's length (l. 1517).

The classical baseline is the breadth-first distance map (Map(c) = min over neighbours + 1): :func:`bfs_distance`.
Every stage is timed (``time.perf_counter``) with the process's peak resident memory after it; the simulation's
spikes, synaptic events and weight updates go into the result's ledger.

One choice is ours, not the paper's: the refractory period is the simulated duration (``single_wave``), so each
place cell fires once — the paper simulates "only a single spike wave" (l. 1635); with PyNN's 0.1 ms and the
weights STDP grows, the lattice reverberates and every weight saturates at w_max in both directions (measured on
10³: 437 spikes per cell in 100 ms, forward/backward mean weights 3975/3972 µS), which leaves no field. The
paper also does not print the initial weight; ours (1 µS) makes one spike fire a neighbour within ~0.4 ms.
"""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, Ledger, one_thread
from neurofab.data.voxel_maps import Cell, VoxelMap
from neurofab.learning import STDPConfig
from neurofab.spiking.network import Network
from neurofab.spiking.neurons import LIFConfig

__all__ = [
    "OFFSETS",
    "PYNN_IF_COND_EXP",
    "STAGES",
    "PathPlanner",
    "PathPlannerConfig",
    "PlanResult",
    "bfs_distance",
    "lattice_synapses",
    "svf_from_weights",
]

#: PyNN's ``IF_cond_exp`` with PyNN's default parameters (PyNN documentation, standard cell models,
#: ``IF_cond_exp.default_parameters``: cm 1.0 nF, tau_m 20.0 ms, v_rest −65.0 mV, v_reset −65.0 mV, v_thresh
#: −50.0 mV, tau_refrac 0.1 ms, tau_syn_E 5.0 ms, tau_syn_I 5.0 ms, e_rev_E 0.0 mV, e_rev_I −70.0 mV, i_offset 0 nA;
#: sPyNNaker's IFCondExp lists the same defaults), in SI units.
PYNN_IF_COND_EXP = LIFConfig(
    c_m=1.0e-9,
    tau_m=20e-3,
    v_rest=-65e-3,
    v_reset=-65e-3,
    v_th=-50e-3,
    t_ref=0.1e-3,
    synapse="conductance",
    tau_syn_exc=5e-3,
    tau_syn_inh=5e-3,
    e_exc=0.0,
    e_inh=-70e-3,
    i_bias=0.0,
)

#: The paper's timed functions, in order (seed 001 l. 1491); GeNN's and SpiNNaker's compile/load has no analogue.
STAGES = ("create_neurons", "create_synapses", "simulate", "build_svf", "find_path")

#: The six lattice offsets, ordered by their flat-index step (−n², −n, −1, +1, +n, +n²).
OFFSETS = np.array([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [0, 0, 1], [0, 1, 0], [1, 0, 0]], dtype=np.int64)


class PathPlannerConfig(Config):
    """The wavefront planner's settings (SI units)."""

    neuron: LIFConfig = Field(PYNN_IF_COND_EXP, description="place-cell model (PyNN IF_cond_exp defaults)")
    dt: float = Field(1e-4, gt=0, description="time step [s]; NEST and GeNN run 0.1 ms (seed 001 l. 1466)")
    w_init: float = Field(1e-6, gt=0, description="initial excitatory weight [S] (not printed in the paper)")
    w_inh: float = Field(1e-6, ge=0, description="weight of the inhibitory synapses touching obstacles [S]")
    w_max: float = Field(4000e-6, gt=0, description="STDP upper bound w_max [S] (4000 µS, seed 001 l. 1475)")
    a_plus: float = Field(0.01, ge=0, description="STDP A₊ (PyNN SpikePairRule default) [1]")
    a_minus: float = Field(0.01, ge=0, description="STDP A₋ (PyNN SpikePairRule default) [1]")
    tau_plus: float = Field(20e-3, gt=0, description="STDP τ₊ (PyNN default) [s]")
    tau_minus: float = Field(20e-3, gt=0, description="STDP τ₋ (PyNN default) [s]")
    initiation: Literal["spike", "dc"] = Field(
        "spike", description="'spike': one spike into the target (SpiNNaker's way); 'dc': a DC current (NEST's)"
    )
    kick_weight: float = Field(10e-6, gt=0, description="weight of the one spike that starts the wave [S]")
    dc_amplitude: float = Field(
        1e-6, gt=0, description="DC into the target [A] (the paper's '1,000' in PyNN's nA, seed 001 l. 1487)"
    )
    single_wave: bool = Field(True, description="refractory period = max_time, so each cell fires once")
    chunk: float = Field(5e-3, gt=0, description="the wave is simulated in chunks until one has no spike [s]")
    max_time: float = Field(1.0, gt=0, description="longest simulated time before the wave counts as stuck [s]")
    momentum: float = Field(0.5, ge=0, lt=1, description="weight of the previous direction in the path search [1]")
    max_steps_factor: float = Field(2.0, gt=0, description="path search gives up after this × free cells steps [1]")

    def stdp(self) -> STDPConfig:
        """The additive STDP rule (w_min = 0)."""
        return STDPConfig.additive(
            tau_plus=self.tau_plus, tau_minus=self.tau_minus, a_plus=self.a_plus, a_minus=self.a_minus,
            w_min=0.0, w_max=self.w_max,
        )  # fmt: skip

    def place_cell(self) -> LIFConfig:
        """The neuron actually simulated: :attr:`neuron`, with the refractory period of ``single_wave``."""
        if not self.single_wave:
            return self.neuron
        return self.neuron.model_copy(update={"t_ref": round(self.max_time / self.dt) * self.dt})


def lattice_synapses(occupied: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 6-neighbour bidirectional lattice of an (n, n, n) map as CSR over presynaptic cells.

    Returns ``rowptr`` [n³ + 1], ``post`` [6n²(n−1)] (flat indices, ascending within each row) and ``excitatory``
    [6n²(n−1)] (True where both cells are free; False where the synapse touches an obstacle). Vectorised: the
    n³ × 6 candidate table is masked at the map's faces and flattened row by row, so no Python loop runs over
    synapses."""
    occ = np.asarray(occupied, dtype=bool)
    n = occ.shape[0]
    coords = np.indices(occ.shape).reshape(3, -1).T  # [n³, 3] in flat (C) order
    nb = coords[:, None, :] + OFFSETS[None, :, :]  # [n³, 6, 3]
    valid = ((nb >= 0) & (nb < n)).all(axis=2)
    flat_nb = (nb[..., 0] * n + nb[..., 1]) * n + nb[..., 2]
    post = flat_nb[valid]
    counts = valid.sum(axis=1)
    rowptr = np.zeros(n**3 + 1, dtype=np.int64)
    np.cumsum(counts, out=rowptr[1:])
    pre = np.repeat(np.arange(n**3), counts)
    free = ~occ.ravel()
    return rowptr, post, free[pre] & free[post]


def bfs_distance(occupied: np.ndarray, source: Cell) -> np.ndarray:
    """Breadth-first lattice distance (6-neighbour steps) from ``source`` to every free cell: the classical
    wavefront Map(c) = min over neighbours + 1; −1 for obstacles and unreachable cells. One vectorised frontier
    expansion per distance level."""
    occ = np.asarray(occupied, dtype=bool)
    dist = np.full(occ.shape, -1, dtype=np.int64)
    if occ[source]:
        raise ConfigError(f"bfs_distance source = {source!r} lies inside an obstacle")
    frontier = np.zeros(occ.shape, bool)
    frontier[source] = True
    dist[source] = 0
    level = 0
    while frontier.any():
        level += 1
        grown = np.zeros_like(frontier)
        grown[1:] |= frontier[:-1]
        grown[:-1] |= frontier[1:]
        grown[:, 1:] |= frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        grown[:, :, 1:] |= frontier[:, :, :-1]
        grown[:, :, :-1] |= frontier[:, :, 1:]
        frontier = grown & ~occ & (dist < 0)
        dist[frontier] = level
    return dist


def svf_from_weights(n: int, pre: np.ndarray, post: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The synaptic vector field [n, n, n, 3]: every synapse a → b adds −w·(b − a) to the vectors of a and b
    (units of the weight), so a cell's vector points against the wave's direction of travel."""
    ca = np.stack(np.unravel_index(pre, (n, n, n)), axis=1)
    cb = np.stack(np.unravel_index(post, (n, n, n)), axis=1)
    f = -(cb - ca) * weight[:, None]
    field_ = np.zeros((n**3, 3))
    for k in range(3):
        field_[:, k] = np.bincount(pre, f[:, k], minlength=n**3) + np.bincount(post, f[:, k], minlength=n**3)
    return field_.reshape(n, n, n, 3)


def _box_average(vec: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Mean of ``vec`` [n, n, n, 3] over the free cells of each cell's 3×3×3 neighbourhood."""
    n = vec.shape[0]
    v = np.pad(vec * free[..., None], ((1, 1), (1, 1), (1, 1), (0, 0)))
    c = np.pad(free.astype(np.float64), 1)
    acc = np.zeros_like(vec)
    cnt = np.zeros(free.shape)
    for dx in range(3):
        for dy in range(3):
            for dz in range(3):
                acc += v[dx : dx + n, dy : dy + n, dz : dz + n]
                cnt += c[dx : dx + n, dy : dy + n, dz : dz + n]
    return acc / np.maximum(cnt, 1.0)[..., None]


@dataclass
class PlanResult:
    """What one run of the planner produced and measured."""

    map: VoxelMap
    found: bool
    reason: str  # "reached the target", or why no path was found
    path: list[Cell]
    optimal_length: int | None  # BFS-shortest path in cells (distance + 1); None when unreachable
    stage_times: dict[str, float]  # [s], keys STAGES
    peak_rss: dict[str, int]  # process peak resident memory after each stage [bytes]
    num_neurons: int
    num_synapses: int
    num_excitatory: int
    arrival: np.ndarray = field(repr=False)  # first spike time of each cell [s] (inf: never), [n, n, n]
    svf: np.ndarray = field(repr=False)  # raw vector field [n, n, n, 3] [S]
    ledger: Ledger = field(repr=False, default_factory=Ledger)
    simulated_time: float = 0.0  # [s]

    @property
    def length(self) -> int | None:
        """Path length in cells (the list's length, start and target included); None without a path."""
        return len(self.path) if self.found else None

    @property
    def total_time(self) -> float:
        return float(sum(self.stage_times.values()))


def _peak_rss() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class PathPlanner:
    """Runs the five stages on a :class:`VoxelMap`; ``seed`` fixes the network's generator (nothing here draws)."""

    def __init__(self, config: PathPlannerConfig | None = None, seed: int = 0) -> None:
        self.config = config or PathPlannerConfig()
        self.seed = seed

    def plan(self, vmap: VoxelMap) -> PlanResult:
        """Run the five stages on ``vmap`` on one thread (the paper's NEST and GeNN-CPU runs use one core,
        seed 001 l. 1460)."""
        if not isinstance(vmap, VoxelMap):
            raise ConfigError(f"plan: expected a VoxelMap, got {type(vmap).__name__}")
        with one_thread():
            return self._plan(vmap)

    def _plan(self, vmap: VoxelMap) -> PlanResult:
        cfg = self.config
        n = vmap.n
        times: dict[str, float] = {}
        rss: dict[str, int] = {}
        ledger = Ledger()

        t0 = time.perf_counter()
        net = Network(dt=cfg.dt, seed=self.seed)
        cells = net.population(n**3, cfg.place_cell(), name="place_cells")
        times["create_neurons"], rss["create_neurons"] = time.perf_counter() - t0, _peak_rss()

        t0 = time.perf_counter()
        rowptr, post, exc = lattice_synapses(vmap.occupied)
        pre = np.repeat(np.arange(n**3), np.diff(rowptr))
        stdp = cfg.stdp()
        proj_e = net.connect(
            cells, cells, cfg.w_init, rule="arrays", pre_indices=torch.from_numpy(pre[exc]),
            post_indices=torch.from_numpy(post[exc]), receptor="exc", plasticity=stdp,
        )  # fmt: skip
        inh = ~exc
        if inh.any():
            net.connect(
                cells, cells, cfg.w_inh, rule="arrays", pre_indices=torch.from_numpy(pre[inh]),
                post_indices=torch.from_numpy(post[inh]), receptor="inh",
            )  # fmt: skip
        tgt = vmap.flat(vmap.target)
        if cfg.initiation == "spike":
            kick = net.spike_source(1, torch.tensor([cfg.dt]), torch.tensor([0]), name="wave_start")
            net.connect(kick, cells[tgt : tgt + 1], cfg.kick_weight, rule="one_to_one")
        else:
            net.dc(cells[tgt : tgt + 1], cfg.dc_amplitude)
        times["create_synapses"], rss["create_synapses"] = time.perf_counter() - t0, _peak_rss()

        t0 = time.perf_counter()
        mon = net.spike_monitor(cells)
        with ledger:
            seen = -1
            while net.t < cfg.max_time - 1e-12 and mon.num_spikes != seen:
                seen = mon.num_spikes
                net.run(min(cfg.chunk, cfg.max_time - net.t))
        arrival = np.full(n**3, np.inf)
        np.minimum.at(arrival, mon.indices.numpy().astype(np.int64), mon.times.numpy())
        arrival = arrival.reshape(n, n, n)
        times["simulate"], rss["simulate"] = time.perf_counter() - t0, _peak_rss()

        t0 = time.perf_counter()
        i, j = proj_e.indices()
        free = ~vmap.occupied
        svf = svf_from_weights(n, i.numpy(), j.numpy(), proj_e.weights().numpy())
        avg = _box_average(svf, free)
        times["build_svf"], rss["build_svf"] = time.perf_counter() - t0, _peak_rss()

        t0 = time.perf_counter()
        found, reason, path = self._walk(vmap, avg, arrival)
        times["find_path"], rss["find_path"] = time.perf_counter() - t0, _peak_rss()

        d = bfs_distance(vmap.occupied, vmap.target)[vmap.start]
        return PlanResult(
            map=vmap, found=found, reason=reason, path=path, optimal_length=int(d) + 1 if d >= 0 else None,
            stage_times=times, peak_rss=rss, num_neurons=n**3, num_synapses=len(post),
            num_excitatory=int(exc.sum()), arrival=arrival, svf=svf, ledger=ledger, simulated_time=net.t,
        )  # fmt: skip

    def _walk(self, vmap: VoxelMap, avg: np.ndarray, arrival: np.ndarray) -> tuple[bool, str, list[Cell]]:
        """Follow the averaged field with momentum from start to target (see the module docstring)."""
        n = vmap.n
        cur = vmap.start
        path = [cur]
        if not math.isfinite(arrival[cur]):
            return False, "no path: the wave never reached the start cell", path
        free = ~vmap.occupied
        visited = np.zeros((n, n, n), bool)
        visited[cur] = True
        direction = np.zeros(3)
        limit = int(self.config.max_steps_factor * free.sum()) + 1
        mom = self.config.momentum
        for _ in range(limit):
            if cur == vmap.target:
                return True, "reached the target", path
            local = avg[cur]
            norm = float(np.linalg.norm(local))
            direction = mom * direction + (local / norm if norm > 0 else 0.0)
            best, best_key = None, None
            for off in OFFSETS:
                nxt = (cur[0] + int(off[0]), cur[1] + int(off[1]), cur[2] + int(off[2]))
                if not all(0 <= c < n for c in nxt) or not free[nxt] or not math.isfinite(arrival[nxt]):
                    continue
                key = (not visited[nxt], float(direction @ off))
                if best_key is None or key > best_key:
                    best, best_key = nxt, key
            if best is None:
                return False, "no path: the search is boxed in", path
            cur = best
            visited[cur] = True
            path.append(cur)
        if cur == vmap.target:
            return True, "reached the target", path
        return False, f"no path: the search did not reach the target in {limit} steps", path
