"""A small, fast random-number generator for the compiled kernels (numba).

splitmix64 (Steele, Lea & Flood 2014; passes BigCrush) for uniforms and Marsaglia & Tsang's ziggurat
(2000) for normals. The state is the splitmix counter, a uint64. Two interfaces draw the same numbers:

- ``normal(st)``, ``uniform(st)`` on a one-element uint64 array ``st`` (:func:`new_state`) owned by the kernel;
- ``normal_from(z)``, ``uniform_from(z)`` on the counter itself, returning ``(value, new counter)``. Hot
  loops use these: a scalar state lives in a register, while passing an array to a helper costs numba
  reference counting (atomic operations) at every call. ``normal_pair_from(z)`` draws two normals from
  one 64-bit output (a ziggurat on each 32-bit half), half the hashing per normal.

Every kernel call seeds its state with an integer drawn from the caller's ``torch.Generator``, so results
follow the torch seed. numba's own ``np.random`` is several times slower per draw here, which matters for the
pulsed update. Kernels that split work across threads give every unit of work (e.g. a crossbar row) its own
stream, :func:`stream_seed` ``(seed, k)`` (or :func:`stream_state`): the stream's starting counter is a hash of
both, so the draws of unit k do not depend on which thread runs it or in what order — results are the same
for any number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "new_state",
    "normal",
    "normal_from",
    "normal_pair_from",
    "skip_ahead",
    "stream_seed",
    "stream_state",
    "uniform",
    "uniform_ahead",
    "uniform_from",
]

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
def _mix(z):  # pragma: no cover - compiled
    """The splitmix64 output function (a bijective 64-bit hash)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def stream_seed(seed, k):  # pragma: no cover - compiled
    """The starting counter of sub-stream ``k`` (≥ 0) of ``seed``: a hash of both."""
    return _mix(_mix(np.uint64(seed) ^ _M2) + np.uint64(k) * _GOLDEN)


@numba.njit(cache=True)
def stream_state(seed, k):  # pragma: no cover - compiled
    """The state array of sub-stream ``k`` of ``seed`` (see :func:`stream_seed`)."""
    st = np.zeros(1, np.uint64)
    st[0] = stream_seed(seed, k)
    return st


@numba.njit(cache=True, inline="always")
def _next_from(z):  # pragma: no cover - compiled
    """(64 random bits, new counter)."""
    z = z + _GOLDEN
    return _mix(z), z


@numba.njit(cache=True, inline="always")
def uniform_from(z):  # pragma: no cover - compiled
    """(a uniform number in [0, 1) with 53 random bits, new counter)."""
    r, z = _next_from(z)
    return (r >> _S11) * _INV53, z


@numba.njit(cache=True, inline="always")
def uniform_ahead(z, k):  # pragma: no cover - compiled
    """The uniform that the (k+1)-th draw from counter ``z`` gives, without drawing (splitmix is counter-based).

    ``uniform_ahead(z, 0), …, uniform_ahead(z, n − 1)`` followed by ``z = skip_ahead(z, n)`` are exactly n
    calls of :func:`uniform_from`; written as a loop over k they vectorize.
    """
    return (_mix(z + np.uint64(k + 1) * _GOLDEN) >> _S11) * _INV53


@numba.njit(cache=True, inline="always")
def skip_ahead(z, n):  # pragma: no cover - compiled
    """The counter after ``n`` draws from counter ``z``."""
    return z + np.uint64(n) * _GOLDEN


@numba.njit(cache=True, inline="always")
def uniform(st):  # pragma: no cover - compiled
    """A uniform number in [0, 1) with 53 random bits."""
    u, st[0] = uniform_from(st[0])
    return u


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
def _int32_from(z):  # pragma: no cover - compiled
    """(a signed 32-bit random integer — the top half of a splitmix64 output — as a float, new counter)."""
    r, z = _next_from(z)
    return float(np.int32(np.int64(r >> _S32) - 2147483648)), z


@numba.njit(cache=True)
def _normal_tail(z, hz, iz):  # pragma: no cover - compiled
    """The rare branch of the ziggurat (wedges and the tail); returns (value, new counter)."""
    while True:
        x = hz * _WN[iz]
        if iz == 0:
            while True:
                u, z = uniform_from(z)
                x = -math.log(1.0 - u) * (1.0 / _R)
                u, z = uniform_from(z)
                y = -math.log(1.0 - u)
                if y + y >= x * x:
                    break
            return (_R + x if hz > 0 else -_R - x), z
        u, z = uniform_from(z)
        if _FN[iz] + u * (_FN[iz - 1] - _FN[iz]) < math.exp(-0.5 * x * x):
            return x, z
        hz, z = _int32_from(z)
        iz = int(hz) & 127
        if abs(hz) < _KN[iz]:
            return hz * _WN[iz], z


@numba.njit(cache=True, inline="always")
def normal_from(z):  # pragma: no cover - compiled
    """(a standard normal number, new counter): Marsaglia & Tsang's ziggurat, one table test in ~99 % of draws."""
    hz, z = _int32_from(z)
    iz = int(hz) & 127
    if abs(hz) < _KN[iz]:
        return hz * _WN[iz], z
    return _normal_tail(z, hz, iz)


@numba.njit(cache=True, inline="always")
def normal(st):  # pragma: no cover - compiled
    """A standard normal number (Marsaglia & Tsang's ziggurat: one table test in ~99 % of the draws)."""
    g, st[0] = normal_from(st[0])
    return g


_LOW32 = np.uint64(0xFFFFFFFF)


@numba.njit(cache=True, inline="always")
def _ziggurat_half(bits, z):  # pragma: no cover - compiled
    """(a standard normal from 32 random bits ``bits`` (< 2³²), new counter): the ziggurat of :func:`normal_from`."""
    h = np.int64(np.int32(np.int64(bits) - 2147483648))
    iz = h & 127  # from the integer: no float → int conversion
    hz = float(h)
    if abs(hz) < _KN[iz]:
        return hz * _WN[iz], z
    return _normal_tail(z, hz, iz)


@numba.njit(cache=True, inline="always")
def normal_pair_from(z):  # pragma: no cover - compiled
    """(two independent standard normals, new counter): the ziggurat on the high and the low 32 bits of one draw.

    The high half gives the number :func:`normal_from` would give; the rare wedge and tail draws continue
    the same counter.
    """
    r, z = _next_from(z)
    g1, z = _ziggurat_half(r >> _S32, z)
    g2, z = _ziggurat_half(r & _LOW32, z)
    return g1, g2, z
