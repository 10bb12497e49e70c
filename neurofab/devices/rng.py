"""A small, fast random-number generator for the compiled kernels (numba).

splitmix64 (Steele, Lea & Flood 2014; passes BigCrush) for uniforms and Marsaglia's polar method for
normals. The state is a one-element uint64 array (the splitmix counter) owned by the kernel call. Every
kernel call seeds it with an integer drawn from the caller's ``torch.Generator``, so results follow the torch
seed. numba's own ``np.random`` is several times slower per draw here, which matters for the pulsed update.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["new_state", "normal", "uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True)
def new_state(seed):  # pragma: no cover - compiled
    """A generator state seeded with ``seed`` (a non-negative integer)."""
    st = np.zeros(1, np.uint64)
    st[0] = np.uint64(seed)
    return st


@numba.njit(cache=True, inline="always")
def _next(st):  # pragma: no cover - compiled
    z = st[0] + _GOLDEN
    st[0] = z
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def uniform(st):  # pragma: no cover - compiled
    """A uniform number in [0, 1) with 53 random bits."""
    return (_next(st) >> _S11) * _INV53


@numba.njit(cache=True, inline="always")
def normal(st):  # pragma: no cover - compiled
    """A standard normal number (Marsaglia's polar method, one value per call)."""
    while True:
        u = 2.0 * uniform(st) - 1.0
        v = 2.0 * uniform(st) - 1.0
        s = u * u + v * v
        if 0.0 < s < 1.0:
            return u * math.sqrt(-2.0 * math.log(s) / s)
