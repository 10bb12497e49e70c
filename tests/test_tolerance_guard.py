"""The suite's ``pytest.approx`` (tests/conftest.py) refuses a relative tolerance that its default absolute floor
(1e-12) would override, and compares as pytest does otherwise."""

from __future__ import annotations

import numpy as np
import pytest


def test_a_femtojoule_comparison_needs_an_explicit_floor():
    with pytest.raises(AssertionError, match="default abs=1e-12 exceeds"):
        assert 5.10e-15 == pytest.approx(5.78e-15, rel=1e-3)
    with pytest.raises(AssertionError, match="default abs=1e-12 exceeds"):  # pytest's default rel (1e-6) too
        pytest.approx({"a": 1.0, "b": np.array([2e-9, 0.0])})
    assert 5.10e-15 != pytest.approx(5.78e-15, rel=1e-3, abs=0)  # stated: the comparison can fail
    assert 5.7801e-15 == pytest.approx(5.78e-15, rel=1e-3, abs=0)


def test_ordinary_magnitudes_and_exact_zeros_pass_through():
    assert 0.1 + 0.2 == pytest.approx(0.3)
    assert [0.0, 1.0] == pytest.approx([0.0, 1.0 + 1e-9])  # zeros are compared by the floor, as pytest does
    assert 1e-3 == pytest.approx(1e-3, rel=1e-6)  # the floor (1e-12) is below rel·|x| (1e-9)
