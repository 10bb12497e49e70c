"""Shared fixtures: where the MNIST test set is (skip cleanly when it is not), a temporary output folder; the
hypothesis profiles: ``ci`` (default: derandomized, so a run is repeatable) and ``medium``/``long`` for more
examples on demand (``HYPOTHESIS_PROFILE=long``)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("ci", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("medium", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]


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
