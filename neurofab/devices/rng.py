"""A small, fast random-number generator for the compiled kernels (numba).

splitmix64 (Steele, Lea & Flood 2014; passes BigCrush) for uniforms and Marsaglia & Tsang's ziggurat
(2000) for normals. The state is a one-element uint64 array (the splitmix counter) owned by the kernel call. Every
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


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia & Tsang (2000) ziggurat tables for the standard normal, 128 layers."""
    kn = np.zeros(128, np.float64)
    wn = np.zeros(128, np.float64)
    fn = np.zeros(128, np.float64)
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0] = (dn / q) * m1
    kn[1] = 0.0
    wn[0] = q / m1
    wn[127] = dn / m1
    fn[0] = 1.0
    fn[127] = math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = (dn / tn) * m1
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


_KN, _WN, _FN = _ziggurat_tables()
_R = 3.442619855899
_S32 = np.uint64(32)


@numba.njit(cache=True, inline="always")
def _int32(st):  # pragma: no cover - compiled
    """A signed 32-bit random integer (the top half of a splitmix64 output) as a float."""
    return float(np.int32(np.int64(_next(st) >> _S32) - 2147483648))


@numba.njit(cache=True)
def _normal_tail(st, hz, iz):  # pragma: no cover - compiled
    while True:
        x = hz * _WN[iz]
        if iz == 0:
            while True:
                x = -math.log(1.0 - uniform(st)) * (1.0 / _R)
                y = -math.log(1.0 - uniform(st))
                if y + y >= x * x:
                    break
            return _R + x if hz > 0 else -_R - x
        if _FN[iz] + uniform(st) * (_FN[iz - 1] - _FN[iz]) < math.exp(-0.5 * x * x):
            return x
        hz = _int32(st)
        iz = int(hz) & 127
        if abs(hz) < _KN[iz]:
            return hz * _WN[iz]


@numba.njit(cache=True, inline="always")
def normal(st):  # pragma: no cover - compiled
    """A standard normal number (Marsaglia & Tsang's ziggurat: one table test in ~99 % of the draws)."""
    hz = _int32(st)
    iz = int(hz) & 127
    if abs(hz) < _KN[iz]:
        return hz * _WN[iz]
    return _normal_tail(st, hz, iz)
