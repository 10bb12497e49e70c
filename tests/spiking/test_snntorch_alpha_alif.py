"""snnTorch's order for the Alpha and ALIF layers (``alpha_neuron(..., snntorch_compat=True)``,
``ALIFConfig(snntorch_compat=True)``): spikes, membranes and gradients against arrays written by snnTorch 1.0
(``Alpha``: tests/data/snntorch_alpha/make_reference.py; ``Leaky``, which ALIF with q = 0 must reproduce:
tests/data/snntorch_reset/make_reference.py) and against numpy re-implementations of the recursions on random
input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError
from neurofab.spiking.neuron_layers import (
    ALIF,
    ALIFConfig,
    Alpha,
    AlphaState,
    NeuronState,
    alpha_neuron,
    alpha_rest_state,
    alpha_step,
)
from neurofab.spiking.surrogate import surrogate

F64 = torch.float64
#: snnTorch's spikes are float32 even for float64 input, so the gradients it writes pass through float32
GRAD_TOL = {"rtol": 1e-5, "atol": 1e-6}
DATA = Path(__file__).resolve().parents[1] / "data"
SG = surrogate("fast_sigmoid", slope=25.0)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _load(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / name) as f:
        return dict(f)


def alpha_numpy(x: np.ndarray, a, b, theta: float, reset: str):
    """snnTorch 1.0's Alpha written out in numpy (α = ``a`` excitatory decay, β = ``b`` inhibitory), from rest:
    r = H(m − θ) of the previous step (strict >); E = a e + x, I = b i − x, U = τ_α (E + I) with its
    τ_α = ln a/(ln b − ln a) + 1; zero: (e, i, m) = (1 − r)(E, I, U); subtract: e = E − θ r, i = (1 − r) I,
    m = U + r i_old; s = H(m − θ). Returns spikes, membrane, excitatory and inhibitory currents of every step."""
    tau = np.log(a) / (np.log(b) - np.log(a)) + 1.0
    e = np.zeros(x.shape[1:])
    i, m = e.copy(), e.copy()
    out = {"s": [], "m": [], "e": [], "i": []}
    for t in range(x.shape[0]):
        r = (m - theta > 0).astype(float)
        big_e, big_i = a * e + x[t], b * i - x[t]
        big_u = tau * (big_e + big_i)
        if reset == "zero":
            e, i, m = (1 - r) * big_e, (1 - r) * big_i, (1 - r) * big_u
        else:
            e, i, m = big_e - theta * r, (1 - r) * big_i, big_u + r * i
        for k, v in (("s", (m - theta > 0).astype(float)), ("m", m), ("e", e), ("i", i)):
            out[k].append(v)
    return {k: np.stack(v) for k, v in out.items()}


def alif_numpy(x: np.ndarray, beta, theta0: float, q: float, rho: float, reset: str):
    """ALIF in snnTorch's order, from rest: θ_t = θ₀ + q a_{t−1}, r = s_{t−1}; subtract: m = β m + x − θ_t r,
    zero: m = β (1 − r) m + x; s = H(m − θ_t) (≥); a = ρ a + s. Returns spikes, membrane, trace of every step."""
    m = np.zeros(x.shape[1:])
    s, a = m.copy(), m.copy()
    spikes, mems, traces = [], [], []
    for t in range(x.shape[0]):
        th = theta0 + q * a
        m = beta * (1 - s) * m + x[t] if reset == "zero" else beta * m + x[t] - th * s
        s = (m - th >= 0).astype(float)
        a = rho * a + s
        spikes.append(s)
        mems.append(m)
        traces.append(a)
    return np.stack(spikes), np.stack(mems), np.stack(traces)


def _alpha_layer(reset: str, a: np.ndarray | float, b: np.ndarray | float, theta: float) -> Alpha:
    """A float64 snnTorch-order Alpha layer with learnable a, b, θ (per neuron where ``a`` is an array)."""
    shape = (np.size(a),) if np.ndim(a) else None
    layer = Alpha(alpha_neuron(0.9, 0.8, reset=reset, snntorch_compat=True), learn_alpha=True, learn_beta=True,
                  learn_threshold=True, param_shape=shape).double()
    with torch.no_grad():  # float64 values (copying into the float32-made parameter keeps them exact after .double())
        layer.beta.copy_(torch.as_tensor(a, dtype=F64))
        layer.alpha.copy_(torch.as_tensor(b, dtype=F64))
        layer.threshold.fill_(theta)
    return layer


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_numpy_alpha_is_snntorchs(reset):
    """The numpy Alpha gives snnTorch's own spikes, membrane and currents (so the random-input tests below pin our
    layer to snnTorch's recursion)."""
    ref = _load("snntorch_alpha/snntorch_alpha.npz")
    got = alpha_numpy(ref["input"], ref["alpha"], ref["beta"], float(ref["threshold"]), reset)
    np.testing.assert_array_equal(got["s"], ref[f"{reset}_spikes"])
    for k, name in (("m", "mem"), ("e", "exc"), ("i", "inh")):
        np.testing.assert_allclose(got[k], ref[f"{reset}_{name}"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_alpha_layer_matches_snntorch(reset):
    """Per-neuron decays, learnable: spikes, final membrane and currents, and the gradients of Σ w·s with respect
    to the input, the inhibitory decay (snnTorch's β, our ``alpha``) and θ equal snnTorch's."""
    ref = _load("snntorch_alpha/snntorch_alpha.npz")
    layer = _alpha_layer(reset, ref["alpha"], ref["beta"], float(ref["threshold"]))
    x = torch.as_tensor(ref["input"]).clone().requires_grad_(True)
    spikes, state = layer.run(x)
    assert isinstance(state, AlphaState)
    np.testing.assert_array_equal(spikes.detach().numpy(), ref[f"{reset}_spikes"])
    for got, name in ((state.u, "mem"), (state.exc, "exc"), (state.inh, "inh")):
        np.testing.assert_allclose(got.detach().numpy(), ref[f"{reset}_{name}"][-1], rtol=0, atol=1e-12)
    (spikes * torch.as_tensor(ref["weight"])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref[f"{reset}_grad_x"], **GRAD_TOL)
    np.testing.assert_allclose(layer.alpha.grad.numpy(), ref[f"{reset}_grad_beta"], **GRAD_TOL)
    np.testing.assert_allclose(layer.threshold.grad.sum().item(), ref[f"{reset}_grad_threshold"], **GRAD_TOL)
    assert layer.beta.grad.abs().sum() > 0  # the excitatory decay learns too (snnTorch 1.0 cannot: learn_alpha fails)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_alif_without_adaptation_is_snntorch_leaky(reset):
    """ALIF in snnTorch's order with q = 0 is snnTorch's Leaky: its spikes, membrane and the gradients of Σ w·s
    with respect to input, per-neuron β and θ₀ (arrays of tests/data/snntorch_reset)."""
    ref = _load("snntorch_reset/snntorch_reset.npz")
    key = f"leaky_{reset}"
    n = ref["beta"].size
    layer = ALIF(ALIFConfig(adaptation=0.0, reset=reset, snntorch_compat=True), learn_beta=True,
                 learn_threshold=True, param_shape=(n,)).double()
    with torch.no_grad():
        layer.beta.copy_(torch.as_tensor(ref["beta"]))
        layer.threshold.fill_(float(ref["threshold"]))
    x = torch.as_tensor(ref["input"]).clone().requires_grad_(True)
    spikes, state = layer.run(x)
    np.testing.assert_array_equal(spikes.detach().numpy(), ref[f"{key}_spikes"])
    np.testing.assert_allclose(state.u.detach().numpy(), ref[f"{key}_mem"][-1], rtol=0, atol=1e-12)
    (spikes * torch.as_tensor(ref["weight"])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref[f"{key}_grad_x"], **GRAD_TOL)
    np.testing.assert_allclose(layer.beta.grad.numpy(), ref[f"{key}_grad_beta"], **GRAD_TOL)
    np.testing.assert_allclose(layer.threshold.grad.sum().item(), ref[f"{key}_grad_threshold"], **GRAD_TOL)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), reset=st.sampled_from(("subtract", "zero")), per_neuron=st.booleans(),
       steps=st.integers(1, 30))
def test_alpha_random_input_matches_numpy(seed, reset, per_neuron, steps):
    """Random input, decays (per layer or per neuron) and θ: the layer's spikes and every step's membrane and
    currents (the functional step) equal the numpy recursion; running in two parts with the state carried
    gives the same spikes."""
    g = torch.Generator().manual_seed(seed)
    n = 5
    x = torch.rand(steps, 3, n, generator=g, dtype=F64) * 1.6 - 0.3
    size = n if per_neuron else ()
    b = torch.rand(size, generator=g, dtype=F64) * 0.5 + 0.2
    a = b + torch.rand(size, generator=g, dtype=F64) * (0.95 - b) + 0.02
    theta = float(torch.rand((), generator=g, dtype=F64)) * 0.6 + 0.2
    want = alpha_numpy(x.numpy(), a.numpy(), b.numpy(), theta, reset)
    layer = _alpha_layer(reset, a.numpy(), b.numpy(), theta)
    spikes, _ = layer.run(x)
    np.testing.assert_array_equal(spikes.detach().numpy(), want["s"])
    st_ = alpha_rest_state(x[0])
    for t in range(steps):
        st_ = alpha_step(st_, x[t], a, b, theta, SG, reset_zero=reset == "zero")
        for got, k in ((st_.u, "m"), (st_.exc, "e"), (st_.inh, "i")):
            np.testing.assert_allclose(got.numpy(), want[k][t], rtol=0, atol=1e-12)
    half = steps // 2
    s1, st1 = layer.run(x[:half]) if half else (x[:0], None)
    s2, _ = layer.run(x[half:], st1)
    np.testing.assert_array_equal(torch.cat([s1, s2]).detach().numpy(), want["s"])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), reset=st.sampled_from(("subtract", "zero")), steps=st.integers(1, 40))
def test_alif_random_input_matches_numpy(seed, reset, steps):
    """Random input, β, θ₀, q and ρ: ALIF's spikes, final membrane and trace equal the numpy recursion."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(steps, 2, 6, generator=g, dtype=F64) * 1.5 - 0.2
    beta, rho = (float(v) for v in torch.rand(2, generator=g, dtype=F64) * 0.9 + 0.05)
    theta0 = float(torch.rand((), generator=g, dtype=F64)) * 0.8 + 0.4
    q = float(torch.rand((), generator=g, dtype=F64)) * 0.5
    dt = 1e-3
    cfg = ALIFConfig(tau_m=-dt / math.log(beta), tau_adapt=-dt / math.log(rho), adaptation=q, threshold=theta0,
                     dt=dt, reset=reset, snntorch_compat=True)
    layer = ALIF(cfg).double()  # its buffers hold the float32 rounding of β, ρ, q, θ₀: the numpy side takes those
    spikes, state = layer.run(x)
    beta, rho, q, theta0 = (getattr(layer, k).item() for k in ("beta", "rho", "adaptation", "threshold"))
    want_s, want_m, want_a = alif_numpy(x.numpy(), beta, theta0, q, rho, reset)
    np.testing.assert_array_equal(spikes.numpy(), want_s)
    np.testing.assert_allclose(state.u.numpy(), want_m[-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(state.a.numpy(), want_a[-1], rtol=0, atol=1e-12)


def test_alpha_kernel_below_threshold():
    """Below threshold a unit input at step 0 gives m_0 = 0, m_n = τ_α (a^n − b^n), step for step the membrane of
    our own Alpha (the same kernel and timing): the two orders differ only from the first reset on."""
    a, b, steps = 0.9, 0.6, 30
    x = torch.zeros(steps, 1, 1, dtype=F64)
    x[0] = 1.0
    tau = math.log(b) / (math.log(b) - math.log(a))
    want = np.array([tau * (a ** k - b ** k) for k in range(steps)])
    compat = _alpha_layer("zero", a, b, 100.0)
    st_, mems = alpha_rest_state(x[0]), []
    for t in range(steps):
        st_ = alpha_step(st_, x[t], compat._p("beta"), compat._p("alpha"), 100.0, SG, reset_zero=True)
        mems.append(st_.u.item())
    np.testing.assert_allclose(mems, want, rtol=0, atol=1e-12)
    ours = Alpha(alpha_neuron(a, b, threshold=100.0)).double()
    with torch.no_grad():
        ours.beta.fill_(a)
        ours.alpha.fill_(b)
    st_, mems = None, []
    for t in range(steps):
        _, st_ = ours.run(x[t:t + 1], st_)
        mems.append(st_.u.item())
    np.testing.assert_allclose(mems, want, rtol=0, atol=1e-12)


def test_alif_reset_and_threshold_closed_form():
    """One input of 1.5 (θ₀ 1, q 0.5, ρ 0.5, β 0.5), then none: the spike raises θ to 1.5 for the next step, and
    snnTorch's order subtracts that threshold after the decay: m_1 = 0.5 · 1.5 − 1.5 = −0.75 (our order:
    β (1.5 − 1) = 0.25)."""
    cfg = dict(tau_m=-1e-3 / math.log(0.5), tau_adapt=-1e-3 / math.log(0.5), adaptation=0.5, threshold=1.0)
    x = torch.tensor([1.5, 0.0], dtype=F64)[:, None, None]
    s, st_ = ALIF(ALIFConfig(**cfg, snntorch_compat=True)).double().run(x)
    assert s.flatten().tolist() == [1.0, 0.0]
    assert st_.u.item() == pytest.approx(-0.75, abs=1e-12)
    assert st_.a.item() == pytest.approx(0.5, abs=1e-12)
    _, ours = ALIF(ALIFConfig(**cfg)).double().run(x)
    assert ours.u.item() == pytest.approx(0.25, abs=1e-12)


def test_bad_input():
    """An attached reset with snnTorch's order, or the wrong state type, is refused naming the cause."""
    with pytest.raises(ConfigError, match="detach_reset"):
        Alpha(alpha_neuron(snntorch_compat=True), detach_reset=False)
    with pytest.raises(ConfigError, match="detach_reset"):
        ALIF(ALIFConfig(snntorch_compat=True), detach_reset=False)
    layer = Alpha(alpha_neuron(snntorch_compat=True))
    x = torch.rand(3, 2, 4)
    z = torch.zeros(2, 4)
    with pytest.raises(InputTypeError, match="AlphaState"):
        layer.run(x, NeuronState(z, z, z, z))
    assert alpha_neuron(snntorch_compat=True).snntorch_compat
    assert not alpha_neuron().snntorch_compat
