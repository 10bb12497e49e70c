"""Seeds and generators: the same seed gives the same result across torch, numpy and numba."""

from __future__ import annotations

import random
from functools import cache

import numpy as np
import torch

from neurofab.core.errors import ConfigError

Seed = int | torch.Generator | None


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2**63:
        raise ConfigError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    return seed


def make_generator(seed: Seed = None, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` from a seed (or the generator itself, passed through).

    ``None`` draws a fresh seed from the operating system, so the run is random but still reportable
    through ``generator.initial_seed()``.
    """
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(_check_seed(seed))
    return gen


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds derived from one (numpy's SeedSequence), e.g. for Monte Carlo repeats."""
    _check_seed(seed)
    return [int(s.generate_state(1, dtype=np.uint64)[0] >> 1) for s in np.random.SeedSequence(seed).spawn(n)]


def seed_from(gen: torch.Generator) -> int:
    """Draw a non-negative 63-bit integer seed from a generator (for numpy or numba kernels)."""
    return int(torch.randint(0, 2**62, (1,), generator=gen, device=gen.device).item())


@cache
def _numba_seeder():
    import numba

    @numba.njit(cache=False)
    def _seed(s: int) -> None:  # pragma: no cover - runs compiled
        np.random.seed(s)  # noqa: NPY002 - numba keeps its own global state

    return _seed


def seed_everything(seed: int, numba: bool = True) -> torch.Generator:
    """Seed Python's ``random``, numpy's global state, torch's default generator and numba's per-thread state.

    Returns a fresh ``torch.Generator`` seeded with ``seed`` for code that takes an explicit generator.
    """
    _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeding the legacy global state is the point
    torch.manual_seed(seed)
    if numba:
        _numba_seeder()(seed % 2**32)
    return make_generator(seed)
