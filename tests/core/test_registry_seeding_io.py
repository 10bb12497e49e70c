"""Registry look-ups, seeding determinism, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurofab.core import (
    ConfigError,
    Registry,
    UnknownNameError,
    atomic_write,
    atomic_write_text,
    child_seeds,
    make_generator,
    seed_everything,
    seed_from,
)


def test_registry_register_get_create_and_unknown():
    reg: Registry[int] = Registry("widget")

    @reg.register("three", "the number three")
    def three() -> int:
        return 3

    reg.add("double", lambda x: 2 * x, "twice x")
    assert reg.create("three") == 3 and reg.create("double", 4) == 8
    assert reg.names() == ["double", "three"] and "three" in reg and len(reg) == 2
    assert reg.describe("three") == "the number three"
    with pytest.raises(UnknownNameError, match="unknown widget 'four'; known: double, three"):
        reg.get("four")
    with pytest.raises(KeyError):
        reg.get("four")
    with pytest.raises(ConfigError, match="registered twice"):
        reg.add("three", lambda: 4)


def test_generators_repeat_for_a_seed():
    a = torch.rand(5, generator=make_generator(7))
    b = torch.rand(5, generator=make_generator(7))
    c = torch.rand(5, generator=make_generator(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    g = make_generator(3)
    assert make_generator(g) is g
    with pytest.raises(ConfigError):
        make_generator(-1)
    with pytest.raises(ConfigError):
        make_generator(1.5)  # type: ignore[arg-type]


def test_child_seeds_distinct_and_stable():
    s = child_seeds(42, 25)
    assert len(set(s)) == 25 and s == child_seeds(42, 25) and s != child_seeds(43, 25)
    assert all(0 <= x < 2**63 for x in s)
    assert 0 <= seed_from(make_generator(1)) < 2**62


def test_seed_everything_covers_numpy_and_torch():
    seed_everything(5, numba=False)
    a = (np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    seed_everything(5, numba=False)
    assert (np.random.rand(), torch.rand(1).item()) == a  # noqa: NPY002


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "first")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
