"""3D voxel maps for path planning: an n×n×n occupancy grid with a start and a target cell.

Generators: :func:`empty_map`, :func:`wall_map` (planes with gaps, in the style of Steffen et al. 2021's map IV,
whose exact geometry the paper does not print — seed 001 l. 1558), :func:`random_map` (independent obstacle
voxels), :func:`maze_map` (a stack of walls, each with one gap at a random place) and :func:`blocked_map` (a full
wall between start and target: no path). Coordinates are (x, y, z) voxel indices; the flat index of a voxel is
``x·n² + y·n + z`` (C order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from neurofab.core import ConfigError, Seed, make_generator

__all__ = ["VoxelMap", "blocked_map", "empty_map", "maze_map", "random_map", "wall_map"]

Cell = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class VoxelMap:
    """An occupancy grid ``occupied`` (bool [n, n, n], True = obstacle) with ``start`` and ``target`` cells."""

    occupied: np.ndarray
    start: Cell
    target: Cell
    name: str = "map"

    def __post_init__(self) -> None:
        occ = np.asarray(self.occupied)
        if occ.ndim != 3 or len(set(occ.shape)) != 1:
            raise ConfigError(f"VoxelMap occupied: shape {occ.shape}, expected a cube (n, n, n)")
        n = occ.shape[0]
        if n < 2:
            raise ConfigError(f"VoxelMap n = {n}: a map needs n >= 2")
        object.__setattr__(self, "occupied", occ.astype(bool, copy=True))
        for field in ("start", "target"):
            cell = getattr(self, field)
            if len(cell) != 3 or not all(isinstance(c, int | np.integer) and 0 <= c < n for c in cell):
                raise ConfigError(f"VoxelMap {field} = {cell!r}: must be three integers in [0, {n})")
            cell = tuple(int(c) for c in cell)
            object.__setattr__(self, field, cell)
            if self.occupied[cell]:
                raise ConfigError(f"VoxelMap {field} = {cell!r} lies inside an obstacle")

    @property
    def n(self) -> int:
        return int(self.occupied.shape[0])

    @property
    def num_obstacles(self) -> int:
        return int(self.occupied.sum())

    def flat(self, cell: Cell) -> int:
        """Flat (C-order) index of ``cell``."""
        return int(np.ravel_multi_index(cell, self.occupied.shape))


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ConfigError(f"map size n = {n!r}: must be an integer >= 2")
    return int(n)


def _ends(n: int) -> tuple[Cell, Cell]:
    """Start and target on the centre line of the x axis, at its two ends."""
    return (0, n // 2, n // 2), (n - 1, n // 2, n // 2)


def empty_map(n: int, start: Cell | None = None, target: Cell | None = None) -> VoxelMap:
    """No obstacles; start and target default to the two ends of the x centre line."""
    n = _check_n(n)
    s, t = _ends(n)
    return VoxelMap(np.zeros((n, n, n), bool), start or s, target or t, name=f"empty {n}³")


def wall_map(n: int) -> VoxelMap:
    """Two walls across the x axis (at x = ⌊n/3⌋ and ⌊2n/3⌋), each with one square gap of side max(2, ⌊n/5⌋), in
    opposite corners of the y–z plane, so the path must detour to one corner and back across to the other: the
    style of the paper's map IV (walls with openings; its exact layout is not printed). Needs n >= 6."""
    n = _check_n(n)
    if n < 6:
        raise ConfigError(f"wall_map n = {n}: needs n >= 6 for two walls with gaps")
    occ = np.zeros((n, n, n), bool)
    g = max(2, n // 5)
    a, b = n // 3, (2 * n) // 3
    occ[a] = True
    occ[a, n - g :, n - g :] = False  # gap in the high-y, high-z corner
    occ[b] = True
    occ[b, :g, :g] = False  # gap in the low-y, low-z corner
    s, t = _ends(n)
    return VoxelMap(occ, s, t, name=f"walls {n}³")


def random_map(n: int, density: float = 0.2, seed: Seed = 0) -> VoxelMap:
    """Each voxel an obstacle independently with probability ``density`` (start and target kept free)."""
    n = _check_n(n)
    if isinstance(density, bool) or not isinstance(density, int | float) or not 0 <= density < 1:
        raise ConfigError(f"random_map density = {density!r}: must lie in [0, 1)")
    gen = make_generator(seed)
    occ = (torch.rand((n, n, n), generator=gen, dtype=torch.float64) < density).numpy()
    s, t = _ends(n)
    occ[s] = occ[t] = False
    return VoxelMap(occ, s, t, name=f"random {n}³ ({density:g})")


def maze_map(n: int, spacing: int = 3, seed: Seed = 0) -> VoxelMap:
    """Walls across the x axis every ``spacing`` planes, each with one 1×1 gap at a random (y, z)."""
    n = _check_n(n)
    if isinstance(spacing, bool) or not isinstance(spacing, int) or spacing < 2:
        raise ConfigError(f"maze_map spacing = {spacing!r}: must be an integer >= 2")
    gen = make_generator(seed)
    occ = np.zeros((n, n, n), bool)
    planes = np.arange(spacing - 1, n - 1, spacing)
    gaps = torch.randint(0, n, (len(planes), 2), generator=gen).numpy()
    occ[planes] = True
    occ[planes, gaps[:, 0], gaps[:, 1]] = False
    s, t = _ends(n)
    return VoxelMap(occ, s, t, name=f"maze {n}³")


def blocked_map(n: int) -> VoxelMap:
    """A full wall at x = ⌊n/2⌋ (n >= 3): the target cannot be reached from the start."""
    n = _check_n(n)
    if n < 3:
        raise ConfigError(f"blocked_map n = {n}: needs n >= 3")
    occ = np.zeros((n, n, n), bool)
    occ[n // 2] = True
    s, t = _ends(n)
    return VoxelMap(occ, s, t, name=f"blocked {n}³")
