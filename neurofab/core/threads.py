"""Thread counts: a scoped torch count, and numba's compiled kernels kept at torch's count."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
import torch

__all__ = ["kernel_threads", "one_thread"]

_POOL_STARTED = False


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, then restore the previous count.

    For work made of small tensors: a second thread only spins, and on a loaded machine it stalls.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def kernel_threads() -> int:
    """Set numba's thread count to torch's (a benchmark's thread count applies to both) and return it.

    numba's OpenMP pool and torch share one OpenMP runtime, and starting the pool sets the runtime's thread count
    to numba's maximum: torch's own setting is put back after the pool has started.
    """
    global _POOL_STARTED
    want = torch.get_num_threads()
    if not _POOL_STARTED:
        from numba.np.ufunc.parallel import _launch_threads

        _launch_threads()
        _POOL_STARTED = True
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)
    n = max(1, min(want, numba.config.NUMBA_NUM_THREADS))
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)
    return n
