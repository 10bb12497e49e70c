"""The wavefront path planner: lattice counts, the wave's order, the vector field, no-path maps, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.data.voxel_maps import VoxelMap, blocked_map, empty_map, maze_map, random_map, wall_map
from neurofab.systems.path_planner import (
    OFFSETS,
    PYNN_IF_COND_EXP,
    PathPlanner,
    PathPlannerConfig,
    bfs_distance,
    lattice_synapses,
)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 9), density=st.floats(0, 0.6), seed=st.integers(0, 100))
def test_lattice_counts(n, density, seed):
    vmap = random_map(n, density, seed)
    rowptr, post, exc = lattice_synapses(vmap.occupied)
    assert rowptr[-1] == len(post) == 6 * n * n * (n - 1)
    pre = np.repeat(np.arange(n**3), np.diff(rowptr))
    # every synapse joins two face neighbours, each pair once per direction, none twice
    a = np.stack(np.unravel_index(pre, (n,) * 3), 1)
    b = np.stack(np.unravel_index(post, (n,) * 3), 1)
    assert (np.abs(a - b).sum(1) == 1).all()
    assert len(np.unique(pre * n**3 + post)) == len(post)
    assert set(zip(pre.tolist(), post.tolist())) == set(zip(post.tolist(), pre.tolist()))
    free = ~vmap.occupied.ravel()
    assert (exc == (free[pre] & free[post])).all()


def test_network_counts_and_pynn_defaults():
    result = PathPlanner().plan(wall_map(6))
    assert result.num_neurons == 6**3 and result.num_synapses == 6 * 36 * 5
    assert result.num_excitatory < result.num_synapses  # the walls' synapses are inhibitory
    p = PYNN_IF_COND_EXP
    assert (p.c_m, p.tau_m, p.v_rest, p.v_th, p.t_ref, p.e_inh) == (1e-9, 20e-3, -65e-3, -50e-3, 0.1e-3, -70e-3)


def test_wave_reaches_every_cell_in_bfs_order():
    vmap = empty_map(7, start=(0, 0, 0), target=(3, 3, 3))
    result = PathPlanner().plan(vmap)
    t = result.arrival
    d = bfs_distance(vmap.occupied, vmap.target)
    assert np.isfinite(t).all()
    # the first arrival of each BFS level is later than the last one's first arrival, and each cell fires
    # after one of its nearer neighbours
    levels = [t[d == k] for k in range(d.max() + 1)]
    assert all(levels[k].min() > levels[k - 1].min() for k in range(1, len(levels)))
    n = vmap.n
    for cell in zip(*np.nonzero(d > 0)):
        nbs = [tuple(np.add(cell, o)) for o in OFFSETS if all(0 <= c < n for c in np.add(cell, o))]
        assert min(t[nb] for nb in nbs if d[nb] == d[cell] - 1) < t[cell]
    # arrival grows with BFS distance: every synapse from level k to level k + 1 carries it forward on average
    assert np.corrcoef(d.ravel(), t.ravel())[0, 1] > 0.95


def test_svf_points_along_bfs_gradient_and_path_is_optimal():
    vmap = empty_map(8, start=(0, 1, 7), target=(6, 5, 2))
    result = PathPlanner().plan(vmap)
    d = bfs_distance(vmap.occupied, vmap.target)
    n = vmap.n
    for cell in zip(*np.nonzero(d > 0)):
        v = result.svf[cell]
        nbs = [tuple(np.add(cell, o)) for o in OFFSETS if all(0 <= c < n for c in np.add(cell, o))]
        best = max(nbs, key=lambda nb: float(v @ np.subtract(nb, cell)))
        assert d[best] == d[cell] - 1  # the vector's main neighbour is one step nearer the target
    assert result.found and result.length == result.optimal_length == d[vmap.start] + 1
    path = np.array(result.path)
    assert (np.abs(np.diff(path, axis=0)).sum(1) == 1).all()
    assert tuple(path[0]) == vmap.start and tuple(path[-1]) == vmap.target


@pytest.mark.parametrize("make", [lambda: wall_map(12), lambda: maze_map(10, seed=3), lambda: random_map(10, 0.25, 1)])
def test_paths_on_obstacle_maps(make):
    vmap = make()
    result = PathPlanner().plan(vmap)
    assert result.found, result.reason
    assert result.length >= result.optimal_length
    assert not any(vmap.occupied[c] for c in result.path)
    assert set(result.stage_times) == {"create_neurons", "create_synapses", "simulate", "build_svf", "find_path"}
    assert result.ledger.count("spike") == np.isfinite(result.arrival).sum()  # one spike per reached cell


def test_no_path_says_so():
    vmap = blocked_map(8)
    result = PathPlanner().plan(vmap)
    assert not result.found and result.length is None and result.optimal_length is None
    assert "no path" in result.reason
    assert result.simulated_time < 0.1  # the wave dies out: no run to max_time


def test_same_seed_same_result():
    a, b = PathPlanner(seed=3).plan(wall_map(8)), PathPlanner(seed=3).plan(wall_map(8))
    assert a.path == b.path and np.array_equal(a.svf, b.svf)


def test_bad_input():
    occ = np.zeros((5, 5, 5), bool)
    occ[0, 0, 0] = True
    with pytest.raises(ConfigError, match="start"):
        VoxelMap(occ, (0, 0, 0), (4, 4, 4))
    with pytest.raises(ConfigError, match="target"):
        VoxelMap(occ, (1, 1, 1), (0, 0, 0))
    with pytest.raises(ConfigError, match="target"):
        VoxelMap(occ, (1, 1, 1), (5, 0, 0))
    with pytest.raises(ConfigError, match="n = 1"):
        VoxelMap(np.zeros((1, 1, 1), bool), (0, 0, 0), (0, 0, 0))
    for make in (empty_map, wall_map, random_map, maze_map, blocked_map):
        with pytest.raises(ConfigError, match="n"):
            make(1)
    with pytest.raises(ConfigError, match="density"):
        random_map(5, density=1.0)
    with pytest.raises(ConfigError, match="momentum"):
        PathPlannerConfig(momentum=1.0)
    with pytest.raises(ConfigError, match="w_max"):
        PathPlannerConfig(w_max=0)


def test_dc_initiation_gives_the_same_wave_order_and_path():
    vmap = wall_map(9)
    spike = PathPlanner().plan(vmap)
    dc = PathPlanner(PathPlannerConfig(initiation="dc")).plan(vmap)
    assert dc.found and dc.length == spike.length == spike.optimal_length
    reached = np.isfinite(spike.arrival)
    assert (np.isfinite(dc.arrival) == reached).all()
    assert np.corrcoef(dc.arrival[reached], spike.arrival[reached])[0, 1] > 0.99
