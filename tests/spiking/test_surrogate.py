"""Surrogate gradients: Heaviside forward, closed-form pseudo-derivatives backward."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError, UnknownNameError
from neurofab.spiking.surrogate import SURROGATES, ArcTan, FastSigmoid, Surrogate, heaviside, spike, surrogate


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small tensors: one thread avoids spin-waiting on the shared cores (results do not depend on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

X = torch.linspace(-3.0, 3.0, 601, dtype=torch.float64)

CLOSED_FORMS = {
    ("fast_sigmoid", (("slope", 25.0),)): lambda x: 1.0 / (1.0 + 25.0 * x.abs()) ** 2,
    ("fast_sigmoid", (("slope", 4.0),)): lambda x: 1.0 / (1.0 + 4.0 * x.abs()) ** 2,
    ("sigmoid", (("slope", 5.0),)): lambda x: 5.0 * torch.exp(-5.0 * x) / (1.0 + torch.exp(-5.0 * x)) ** 2,
    ("arctan", (("alpha", 2.0),)): lambda x: 1.0 / (1.0 + (math.pi * x) ** 2),
    ("arctan", (("alpha", 3.0),)): lambda x: 1.5 / (1.0 + (1.5 * math.pi * x) ** 2),
    ("straight_through", ()): lambda x: torch.ones_like(x),
    ("triangular", (("height", 0.3), ("width", 1.0))): lambda x: 0.3 * torch.clamp(1.0 - x.abs(), min=0.0),
    ("triangular", (("height", 1.0), ("width", 0.5))): lambda x: torch.clamp(1.0 - 2.0 * x.abs(), min=0.0),
    ("rectangular", (("width", 0.5),)): lambda x: 2.0 * (x.abs() < 0.25).double(),
    ("gaussian", (("sigma", 0.4),)): lambda x: torch.exp(-x**2 / (2 * 0.16)) / (0.4 * math.sqrt(2 * math.pi)),
}


@pytest.mark.parametrize(("name", "params"), list(CLOSED_FORMS))
def test_gradient_matches_closed_form(name, params):
    sg = surrogate(name, **dict(params))
    x = X.clone().requires_grad_()
    s = spike(x, sg)
    (g,) = torch.autograd.grad(s.sum(), x)
    torch.testing.assert_close(g, CLOSED_FORMS[(name, params)](X), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(s.detach(), (X >= 0).double())


@pytest.mark.parametrize(("name", "area"), [("sigmoid", 1.0), ("arctan", 1.0), ("rectangular", 1.0),
                                            ("gaussian", 1.0), ("triangular", 1.0), ("fast_sigmoid", 2.0 / 25.0)])
def test_area_under_surrogate(name, area):
    """∫σ'(x)dx is the jump of the smooth function it differentiates (1 for the normalized ones, 2/k for x/(1+k|x|))."""
    x = torch.linspace(-400.0, 400.0, 4_000_001, dtype=torch.float64)
    got = torch.trapezoid(surrogate(name).grad(x), x).item()
    assert got == pytest.approx(area, rel=2e-3)


def test_forward_is_heaviside_with_spike_at_threshold():
    x = torch.tensor([-1e-7, 0.0, 1e-7, 2.0])
    assert spike(x).tolist() == [0.0, 1.0, 1.0, 1.0]
    assert heaviside(x).tolist() == [0.0, 1.0, 1.0, 1.0]
    assert FastSigmoid()(x).tolist() == [0.0, 1.0, 1.0, 1.0]


def test_gradient_scales_upstream_gradient():
    x = torch.tensor([0.1, -0.2], requires_grad=True)
    upstream = torch.tensor([3.0, -2.0])
    (g,) = torch.autograd.grad(spike(x, "arctan"), x, upstream)
    torch.testing.assert_close(g, upstream * ArcTan().grad(x.detach()))


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(sorted(SURROGATES.names())), st.floats(-5, 5, allow_nan=False))
def test_surrogates_are_nonnegative_and_even(name, x):
    sg = surrogate(name)
    t = torch.tensor([x, -x], dtype=torch.float64)
    g = sg.grad(t)
    assert (g >= 0).all()
    assert g[0].item() == pytest.approx(g[1].item(), rel=1e-12, abs=1e-300)


def test_registry_and_bad_parameters():
    assert {"fast_sigmoid", "sigmoid", "arctan", "straight_through", "triangular", "rectangular", "gaussian"} <= set(
        SURROGATES.names())
    with pytest.raises(ConfigError, match="slope"):
        surrogate("fast_sigmoid", slope=0.0)
    with pytest.raises(ConfigError, match="width"):
        surrogate("triangular", width=-1.0)
    with pytest.raises(ConfigError, match="not a field"):
        surrogate("arctan", slope=2.0)
    with pytest.raises(UnknownNameError, match="fast_sigmoid"):
        surrogate("boxcar-ish")
    with pytest.raises(InputTypeError):
        surrogate(3)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        spike([0.1, 0.2])  # type: ignore[arg-type]
    sg = surrogate(FastSigmoid(slope=5.0), slope=10.0)
    assert isinstance(sg, Surrogate) and sg.slope == 10.0
    assert surrogate(sg) is sg


def test_surrogate_round_trips_through_toml(tmp_path):
    sg = surrogate("triangular", height=0.3, width=0.7)
    assert type(sg).load(sg.dump(tmp_path / "sg.toml")) == sg


@pytest.mark.parametrize("name", sorted(SURROGATES.names()))
def test_in_place_gradient_equals_gradient(name):
    sg = surrogate(name)
    x = torch.linspace(-2.0, 2.0, 101)
    expected = sg.grad(x)
    buf = x.clone()
    out = sg.grad_(buf)
    assert out.data_ptr() == buf.data_ptr()
    torch.testing.assert_close(out, expected)
