"""IR drop: the exact nodal solve against circuits solved by hand, the first-order form against the exact solve."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, NumericalError, ShapeError
from neurofab.crossbar.ir_drop import (
    IRDropConfig,
    effective_conductance,
    effective_conductance_exact,
    effective_conductance_first_order,
    ir_drop_scale,
)


def test_single_cell_is_a_series_circuit():
    # driver —r— device G —r— virtual ground: A = 1 / (1/G + 2r)
    g, r = 20e-6, 1000.0
    a = effective_conductance_exact(torch.tensor([[g]], dtype=torch.float64), r)
    assert a.item() == pytest.approx(1 / (1 / g + 2 * r), rel=1e-12, abs=0)


def test_one_row_two_columns_by_hand():
    # V —r— node u0 —r— node u1; u0 —G0— w0 —r— ground; u1 —G1— w1 —r— ground
    g0, g1, r = 30e-6, 10e-6, 500.0
    # series branches: b0 = 1/(1/G0 + r), b1 = 1/(1/G1 + r); u1 feeds b1 through r: c1 = 1/(r + 1/b1)
    b0, b1 = 1 / (1 / g0 + r), 1 / (1 / g1 + r)
    c1 = 1 / (r + 1 / b1)
    total = 1 / (r + 1 / (b0 + c1))
    u0 = 1.0 - total * r
    i0 = u0 * b0
    i1 = u0 * c1
    a = effective_conductance_exact(torch.tensor([[g0, g1]], dtype=torch.float64), r)
    assert a[0, 0].item() == pytest.approx(i0, rel=1e-10, abs=0)
    assert a[0, 1].item() == pytest.approx(i1, rel=1e-10, abs=0)


def test_zero_wire_resistance_is_ideal():
    g = torch.rand(5, 4, dtype=torch.float64) * 25e-6
    assert torch.equal(effective_conductance_exact(g, 0.0), g)
    assert torch.equal(effective_conductance_first_order(g, 0.0), g)


def test_first_order_is_the_derivative_of_the_exact_solve():
    g = torch.rand(7, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 25e-6
    r = 1e-3
    exact = (effective_conductance_exact(g, r) - g) / r
    first = (effective_conductance_first_order(g, r) - g) / r
    assert torch.allclose(first, exact, rtol=1e-6, atol=0)


@pytest.mark.parametrize("shape", [(8, 8), (16, 12), (32, 32)])
@pytest.mark.parametrize("r_wire", [0.1, 1.0, 5.0])
def test_first_order_error_is_second_order(shape, r_wire):
    g = torch.rand(*shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 25e-6
    eps = ir_drop_scale(g, r_wire)
    exact = effective_conductance_exact(g, r_wire)
    first = effective_conductance_first_order(g, r_wire)
    drop = float((exact - g).abs().max() / g.max())
    err = float((first - exact).abs().max() / g.max())
    assert drop > 0.1 * eps  # the drop is first order in ε
    assert err < 2.5 * eps**2  # the approximation error is second order (measured err/ε² ≈ 0.9–1.9)
    # outputs of a random input agree to the same order
    v = torch.rand(shape[0], dtype=torch.float64)
    assert float(((v @ first) - (v @ exact)).abs().max() / (v @ g).abs().max()) < 2.5 * eps**2


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.floats(0.0, 50.0), st.integers(0, 1000))
def test_drop_only_lowers_currents(rows, cols, r_wire, seed):
    g = torch.rand(rows, cols, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 25e-6
    a = effective_conductance_exact(g, r_wire)
    # every unit input's total output current cannot exceed the ideal one (wires only add resistance)
    assert bool((a.sum(dim=1) <= g.sum(dim=1) * (1 + 1e-12)).all())
    assert torch.isfinite(a).all()


def test_config_and_bad_input():
    g = torch.rand(4, 4, dtype=torch.float64) * 1e-5
    assert torch.allclose(effective_conductance(g, IRDropConfig(r_wire=1.0, method="exact")),
                          effective_conductance_exact(g, 1.0), atol=0)
    with pytest.raises(ConfigError):
        IRDropConfig(r_wire=-1.0)
    with pytest.raises(ShapeError):
        effective_conductance_first_order(torch.zeros(3), 1.0)
    with pytest.raises(NumericalError):
        effective_conductance_first_order(-g, 1.0)
