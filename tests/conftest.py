"""Shared fixtures and the run order (tests marked ``slow`` first): where the MNIST test set is (skip cleanly
when it is not), a temporary output folder; the hypothesis profiles: ``ci`` (default: derandomized, so a run is
repeatable) and ``medium``/``long`` for more examples on demand (``HYPOTHESIS_PROFILE=long``); and a
``pytest.approx`` that refuses a relative tolerance its default absolute floor would override."""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("ci", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("medium", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]

_APPROX = pytest.approx
_DEFAULT_ABS, _DEFAULT_REL = 1e-12, 1e-6  # pytest.approx's defaults


def _smallest_magnitude(expected) -> float:
    """Smallest nonzero finite |value| in a number, array, sequence or mapping (inf when there is none)."""
    if isinstance(expected, bool):
        return math.inf
    if isinstance(expected, int | float | np.number):
        x = abs(float(expected))
        return x if 0 < x < math.inf else math.inf
    if isinstance(expected, np.ndarray):
        if expected.dtype.kind not in "fiu":
            return math.inf
        a = np.abs(expected.astype(float)).ravel()
        a = a[(a > 0) & np.isfinite(a)]
        return float(a.min()) if a.size else math.inf
    if isinstance(expected, dict):
        return min((_smallest_magnitude(v) for v in expected.values()), default=math.inf)
    if isinstance(expected, list | tuple):
        return min((_smallest_magnitude(v) for v in expected), default=math.inf)
    return math.inf


def _approx(expected, rel=None, abs=None, nan_ok=False):
    """``pytest.approx`` that fails where its default ``abs=1e-12`` would exceed ``rel``·|expected|: a comparison of
    femtojoules or picofarads at ``rel=1e-6`` would otherwise pass any value within 1e-12 of the expected one."""
    if abs is None and _DEFAULT_ABS > (_DEFAULT_REL if rel is None else rel) * _smallest_magnitude(expected):
        raise AssertionError(f"pytest.approx({expected!r}, rel={rel}): the default abs=1e-12 exceeds the relative "
                             "tolerance; state abs= (abs=0 for a purely relative comparison)")
    return _APPROX(expected, rel=rel, abs=abs, nan_ok=nan_ok)


pytest.approx = _approx


def find_mnist() -> Path | None:
    """NEUROFAB_DATA if set, else ../shared/data/mnist beside the repository; None when neither holds the files."""
    candidates = [os.environ.get("NEUROFAB_DATA"), REPO.parent / "shared" / "data" / "mnist"]
    for c in candidates:
        if c and any(Path(c).glob("t10k-images-idx3-ubyte*")):
            return Path(c)
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    path = find_mnist()
    if path is None:
        pytest.skip("MNIST test set not found (set NEUROFAB_DATA or place it in ../shared/data/mnist)")
    return path


def pytest_collection_modifyitems(config, items):
    """Run the tests marked ``slow`` first (otherwise in collection order): with the suite spread over workers
    (``-n auto``), a minute-long reproduction started last would leave the other workers idle at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
