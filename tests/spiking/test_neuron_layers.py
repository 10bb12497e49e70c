"""The training-layer neuron family: Synaptic, Alpha, RLeaky, RSynaptic, ALIF, Izhikevich, AdEx and the compiled
scan with trainable β/θ — closed forms, reference loops, finite-difference gradients and bad input."""

from __future__ import annotations

import math
from typing import ClassVar

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.core import ConfigError, InputTypeError, Ledger, ShapeError
from neurofab.spiking.layers import LIF, SpikingSequential, initial_state, leaky, param_scan, synaptic
from neurofab.spiking.leaky_scan import fused_leaky_scan
from neurofab.spiking.neuron_layers import (
    ALIF,
    AdEx,
    ALIFConfig,
    Alpha,
    AlphaConfig,
    EulerState,
    Izhikevich,
    RLeaky,
    RSynaptic,
    Synaptic,
    alif_threshold,
    alpha_neuron,
    euler_step,
    rest_state,
    synaptic_step,
)
from neurofab.spiking.neurons import (
    AdExConfig,
    IzhikevichConfig,
    SynapticInput,
    adex_step,
    init_state,
    izhikevich_step,
    propagators,
)
from neurofab.spiking.surrogate import Rectangular, Surrogate, surrogate

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def f64(factory):
    """A module built with float64 parameters from the start (``.double()`` on float32 ones keeps their rounding)."""
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(F64)
    try:
        return factory()
    finally:
        torch.set_default_dtype(dtype)


# ----- the compiled scan with trainable β and θ ------------------------------------------------------------------
class Bump(Surrogate):
    """A user-defined surrogate (no kernel code: its slopes are taken in torch)."""

    name: ClassVar[str] = "bump"

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-4.0 * x * x)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("detach", [True, False])
@pytest.mark.parametrize("per_neuron", [True, False])
@pytest.mark.parametrize("sg", ["arctan", Bump()], ids=["arctan", "custom"])
def test_fused_scan_equals_autograd_through_param_scan(reset, detach, per_neuron, sg):
    g = torch.Generator().manual_seed(3)
    x = (torch.rand(30, 3, 4, generator=g, dtype=F64) * 0.8).requires_grad_()
    shape = (4,) if per_neuron else ()
    beta = torch.tensor([0.5, 0.7, 0.9, 0.95], dtype=F64)[: 4 if per_neuron else 1].reshape(shape).requires_grad_()
    theta = torch.tensor([0.9, 1.0, 1.2, 0.8], dtype=F64)[: 4 if per_neuron else 1].reshape(shape).requires_grad_()
    w = torch.randn(30, 3, 4, generator=g, dtype=F64)
    consts = LIF(leaky(0.5, reset=reset)).consts
    s1, _ = param_scan(x, consts, beta, theta, sg, detach)
    g1 = torch.autograd.grad((s1 * w).sum(), [x, beta, theta])
    s2, _ = fused_leaky_scan(x, beta, theta, torch.zeros(3, 4, dtype=F64), surrogate(sg), reset == "zero", detach)
    g2 = torch.autograd.grad((s2 * w).sum(), [x, beta, theta])
    assert s1.sum() > 10 and torch.equal(s1, s2)
    for a, b in zip(g1, g2):
        assert a.shape == b.shape and torch.allclose(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n_steps=st.integers(1, 12), batch=st.integers(1, 3), n=st.integers(1, 5), seed=st.integers(0, 10_000),
       zero=st.booleans(), per_neuron=st.booleans())
def test_fused_scan_property(n_steps, batch, n, seed, zero, per_neuron):
    """Any shape, any β in [0, 1] and θ > 0: the same spikes and gradients as autograd through param_scan."""
    g = torch.Generator().manual_seed(seed)
    shape = (n,) if per_neuron else ()
    x = (torch.rand(n_steps, batch, n, generator=g, dtype=F64) * 1.5).requires_grad_()
    beta = torch.rand(shape, generator=g, dtype=F64).requires_grad_()
    theta = (0.2 + torch.rand(shape, generator=g, dtype=F64)).requires_grad_()
    u0 = torch.rand(batch, n, generator=g, dtype=F64) * 0.5
    consts = LIF(leaky(0.5, reset="zero" if zero else "subtract")).consts
    state = initial_state(consts, x[0].detach())._replace(u=u0)
    s1, _ = param_scan(x, consts, beta, theta, "fast_sigmoid", True, state)
    s2, _ = fused_leaky_scan(x, beta, theta, u0, surrogate("fast_sigmoid"), zero, True)
    assert torch.equal(s1, s2)
    w = torch.randn(s1.shape, generator=g, dtype=F64)
    for a, b in zip(torch.autograd.grad((s1 * w).sum(), [x, beta, theta]),
                    torch.autograd.grad((s2 * w).sum(), [x, beta, theta])):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-11)


def test_a_learnable_lif_layer_takes_the_compiled_scan_with_the_same_result():
    torch.manual_seed(0)
    layer = LIF(leaky(0.8), learn_beta=True, learn_threshold=True, param_shape=(6,))
    x = torch.rand(20, 5, 6) * 0.6
    with torch.no_grad():
        layer.beta.copy_(torch.linspace(0.6, 0.95, 6))
    fused = layer(x)
    ref, _ = param_scan(x, layer.consts, layer.beta, layer.threshold)
    assert torch.equal(fused, ref)
    (ref * torch.arange(20.0)[:, None, None]).sum().backward()
    want = layer.beta.grad.clone()
    layer.beta.grad = None
    (layer(x) * torch.arange(20.0)[:, None, None]).sum().backward()
    assert torch.allclose(layer.beta.grad, want, rtol=1e-4, atol=1e-5)


# ----- Synaptic ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_synaptic_equals_lif_with_current_synapses(reset):
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(40, 3, 5, generator=g, dtype=F64) * 0.5).requires_grad_()
    ours = f64(lambda: Synaptic(synaptic(0.8, 0.9, reset=reset)))
    ref = LIF(synaptic(0.8, 0.9, reset=reset)).double()
    s1, s2 = ours(x), ref(x)
    assert s1.sum() > 20 and torch.equal(s1, s2)
    w = torch.randn(40, 3, 5, generator=g, dtype=F64)
    (g1,) = torch.autograd.grad((s1 * w).sum(), x)
    (g2,) = torch.autograd.grad((s2 * w).sum(), x)
    assert torch.allclose(g1, g2, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("per_neuron", [True, False])
def test_synaptic_fused_path_equals_its_functional_step(per_neuron):
    """The fused forward (filter + compiled scan) against a loop of synaptic_step, values and all gradients."""
    g = torch.Generator().manual_seed(2)
    layer = f64(lambda: Synaptic(synaptic(0.8, 0.9), learn_alpha=True, learn_beta=True, learn_threshold=True,
                                 param_shape=(5,) if per_neuron else None))
    if per_neuron:
        with torch.no_grad():
            layer.alpha.copy_(torch.linspace(0.6, 0.9, 5))
            layer.threshold.copy_(torch.linspace(0.8, 1.2, 5))
    x = (torch.rand(30, 2, 5, generator=g, dtype=F64) * 0.5).requires_grad_()
    w = torch.randn(30, 2, 5, generator=g, dtype=F64)
    params = [x, layer.alpha, layer.beta, layer.threshold]
    s1 = layer(x)
    g1 = torch.autograd.grad((s1 * w).sum(), params)
    st, out = rest_state(x[0]), []
    for t in range(30):
        st = synaptic_step(st, x[t], layer.alpha, layer.beta, layer.threshold, layer.surrogate)
        out.append(st.s)
    s2 = torch.stack(out)
    g2 = torch.autograd.grad((s2 * w).sum(), params)
    assert s1.sum() > 10 and torch.equal(s1, s2)
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-11)


def test_synaptic_alpha_gradient_matches_finite_differences():
    """With a detached reset and no spike moving, the final membrane is smooth in α: autograd = central differences."""
    g = torch.Generator().manual_seed(4)
    x = torch.rand(25, 2, 3, generator=g, dtype=F64) * 0.4
    sg = surrogate("fast_sigmoid")

    def final(alpha):
        st = rest_state(x[0])
        for t in range(25):
            st = synaptic_step(st, x[t], alpha, 0.9, 1.0, sg)
        return st.u.sum(), st.s

    a = torch.tensor(0.8, dtype=F64, requires_grad=True)
    value, _ = final(a)
    (grad,) = torch.autograd.grad(value, a)
    eps = 1e-7
    with torch.no_grad():
        fd = (final(a + eps)[0] - final(a - eps)[0]) / (2 * eps)
    assert float(grad) == pytest.approx(float(fd), rel=1e-6)


# ----- Alpha -------------------------------------------------------------------------------------------------------
def test_alpha_impulse_response_is_the_dual_exponential_kernel():
    """Below threshold a unit input at step 0 gives u_n = τ_α (a^n − b^n), τ_α = ln b/(ln b − ln a): snnTorch's
    Alpha recursion (syn_exc = a·syn_exc + x, syn_inh = b·syn_inh − x, mem = τ_α (syn_exc + syn_inh)) written out."""
    a, b = 0.9, 0.7
    layer = f64(lambda: Alpha(alpha_neuron(a, b, threshold=1e9)))
    gain = layer._gain()
    tau_alpha = math.log(b) / (math.log(b) - math.log(a))
    st, u = rest_state(torch.zeros(1, 1, dtype=F64)), []
    for n in range(30):
        x = torch.full((1, 1), 1.0 if n == 0 else 0.0, dtype=F64)
        st = synaptic_step(st, x * gain, layer._p("alpha"), layer._p("beta"), 1e9, layer.surrogate)
        u.append(float(st.u))
    exc = inh = 0.0
    for n in range(30):
        exc, inh = a * exc + (n == 0), b * inh - (n == 0)
        assert u[n] == pytest.approx(tau_alpha * (exc + inh), abs=1e-14)
        assert u[n] == pytest.approx(tau_alpha * (a**n - b**n), abs=1e-14)


def test_alpha_layer_fires_where_the_kernel_crosses_threshold():
    a, b, w = 0.9, 0.7, 5.0
    tau_alpha = math.log(b) / (math.log(b) - math.log(a))
    first = next(n for n in range(100) if w * tau_alpha * (a**n - b**n) >= 1.0)
    x = torch.zeros(40, 1, 1, dtype=F64)
    x[0] = w
    spikes = f64(lambda: Alpha(alpha_neuron(a, b)))(x)
    assert spikes[:, 0, 0].nonzero().flatten().tolist()[0] == first


# ----- recurrent ---------------------------------------------------------------------------------------------------
def test_rleaky_one_to_one_against_a_hand_written_recursion():
    layer = f64(lambda: RLeaky(3, leaky(0.9), all_to_all=False, v=-0.5))
    x = torch.full((20, 1, 3), 0.4, dtype=F64)
    out = layer(x)
    u, s, want = torch.zeros(3, dtype=F64), torch.zeros(3, dtype=F64), []
    for _ in range(20):
        z = 0.9 * u + 0.4 - 0.5 * s
        s = (z >= 1.0).double()
        u = z - s
        want.append(s)
    assert torch.equal(out[:, 0], torch.stack(want)) and out.sum() > 3


def test_recurrent_weight_gradient_matches_finite_differences():
    """The final membrane with the spikes held (a surrogate of width 10⁻⁶: no slope unless a membrane sits within
    5·10⁻⁷ of threshold) is linear in the recurrent weight between spike-time changes: autograd = differences."""
    torch.manual_seed(0)
    layer = f64(lambda: RSynaptic(4, synaptic(0.8, 0.9), surrogate=Rectangular(width=1e-6)))
    x = torch.rand(25, 2, 4, dtype=F64) * 0.6

    def final():
        _, st = layer.run(x)
        return st.u.sum()

    (grad,) = torch.autograd.grad(final(), layer.recurrent.weight)
    eps = 1e-7
    for i, j in ((0, 1), (2, 3), (3, 0)):
        with torch.no_grad():
            layer.recurrent.weight[i, j] += eps
            plus = final()
            layer.recurrent.weight[i, j] -= 2 * eps
            minus = final()
            layer.recurrent.weight[i, j] += eps
        assert float(grad[i, j]) == pytest.approx(float((plus - minus) / (2 * eps)), rel=1e-6, abs=1e-9)
    assert grad.abs().sum() > 0


def test_rleaky_trains_its_recurrent_weight_in_a_sequential_network():
    torch.manual_seed(0)
    net = SpikingSequential(nn.Linear(5, 4), RLeaky(4, learn_beta=True))
    x = torch.rand(15, 3, 5)
    net(x).sum().backward()
    assert net[1].recurrent.weight.grad is not None and net[1].beta.grad is not None


# ----- ALIF --------------------------------------------------------------------------------------------------------
def test_alif_threshold_after_n_spikes():
    cfg = ALIFConfig(tau_m=20e-3, tau_adapt=100e-3, adaptation=0.3, threshold=1.0, dt=1e-3, reset="zero")
    layer = f64(lambda: ALIF(cfg))
    x = torch.zeros(30, 1, 1, dtype=F64)
    x[[0, 3, 4, 9]] = 10.0  # far above any threshold reached: a spike at each of these steps, none elsewhere
    spikes, st = layer.run(x)
    times = spikes[:, 0, 0].nonzero().flatten().tolist()
    assert times == [0, 3, 4, 9]
    rho = math.exp(-1e-3 / 100e-3)
    t = 30  # the threshold the next step would apply
    want = 1.0 + 0.3 * sum(rho ** (t - 1 - tk) for tk in times)
    assert float(alif_threshold(st, 1.0, 0.3)) == pytest.approx(want, rel=1e-12)


def test_alif_adaptation_lowers_the_rate_and_is_learnable():
    x = torch.full((200, 1, 1), 0.3)
    plain = ALIF(ALIFConfig(adaptation=0.0))(x).sum()
    adapted = ALIF(ALIFConfig(adaptation=0.5), learn_adaptation=True)
    s = adapted(x)
    assert s.sum() < plain
    s.sum().backward()
    assert adapted.adaptation.grad is not None and adapted.adaptation.grad < 0


# ----- Izhikevich and AdEx -----------------------------------------------------------------------------------------
def _izhikevich_reference(i_amp: float, cfg: IzhikevichConfig, dt: float, n_steps: int) -> list[int]:
    """Plain Python forward Euler of Izhikevich's equations (float64 scalars), V held at v_peak within a step."""
    sub = math.ceil(dt / cfg.max_substep - 1e-9)
    h = dt / sub
    v, u, spikes = cfg.v_rest, 0.0, []
    for t in range(n_steps):
        for _ in range(sub):
            dv = (cfg.k * (v - cfg.v_rest) * (v - cfg.v_t) - u + i_amp) / cfg.c_m
            du = cfg.a * (cfg.b * (v - cfg.v_rest) - u)
            v, u = min(v + h * dv, cfg.v_peak), u + h * du
        if v >= cfg.v_peak:
            spikes.append(t)
            v, u = cfg.c, u + cfg.d
    return spikes


def test_izhikevich_regular_spiking_rate_matches_a_reference_euler_loop():
    cfg = IzhikevichConfig()
    layer = Izhikevich(cfg, dt=1e-3, input_unit=100e-12).double()
    x = torch.full((300, 1, 1), 1.0, dtype=F64)  # 100 pA
    ours = layer(x)[:, 0, 0].nonzero().flatten().tolist()
    ref = _izhikevich_reference(100e-12, cfg, 1e-3, 300)
    assert len(ref) >= 3 and ours == ref  # regular spiking: a rate of len/0.3 s
    state = init_state(cfg, (1,), dtype=F64)
    plan = propagators(cfg, 1e-3)
    net = []
    for t in range(300):
        state = izhikevich_step(state, SynapticInput(i_ext=100e-12), cfg, plan)
        if state.spikes.item():
            net.append(t)
    assert net == ours


def test_adex_spikes_match_the_network_step():
    cfg = AdExConfig()
    layer = AdEx(cfg, dt=1e-3, input_unit=1e-9).double()
    x = torch.full((200, 1, 1), 0.8, dtype=F64)
    ours = layer(x)[:, 0, 0].nonzero().flatten().tolist()
    state = init_state(cfg, (1,), dtype=F64)
    plan = propagators(cfg, 1e-3)
    net = []
    for t in range(200):
        state = adex_step(state, SynapticInput(i_ext=0.8e-9), cfg, plan)
        if state.spikes.item():
            net.append(t)
    assert len(net) >= 3 and ours == net


def test_izhikevich_passes_gradients_through_spiking_steps():
    layer = Izhikevich(dt=1e-3)
    x = torch.full((80, 2, 1), 1.5, requires_grad=True)
    s = layer(x)
    assert s.sum() > 0
    (g,) = torch.autograd.grad(s.sum(), x)
    assert torch.isfinite(g).all() and g.abs().sum() > 0


def test_euler_step_is_pure():
    cfg = IzhikevichConfig()
    st = EulerState(torch.full((2,), -0.06), torch.zeros(2), torch.zeros(2))
    before = [t.clone() for t in st]
    euler_step(st, torch.full((2,), 1e-10), cfg, 1e-3, 40, surrogate("fast_sigmoid"))
    assert all(torch.equal(a, b) for a, b in zip(st, before))


# ----- parameters and bad input ------------------------------------------------------------------------------------
def test_learnable_decays_are_clamped_and_report_time_constants():
    layer = Synaptic(synaptic(0.8, 0.9, dt=1e-3), learn_beta=True)
    with torch.no_grad():
        layer.beta.fill_(1.5)
    assert float(layer._p("beta").detach()) == 1.0
    with torch.no_grad():
        layer.beta.fill_(0.9)
    taus = layer.time_constants()
    assert float(taus["beta"]) == pytest.approx(-1e-3 / math.log(0.9), rel=1e-6)
    assert float(taus["alpha"]) == pytest.approx(-1e-3 / math.log(0.8), rel=1e-6)


def test_bad_input_is_refused_with_the_field_named():
    with pytest.raises(ConfigError, match="conflicts"):
        Synaptic(synaptic(0.8, 0.9, dt=1e-4), dt=1e-3)
    with pytest.raises(ConfigError, match="conflicts"):
        ALIF(ALIFConfig(dt=1e-3), dt=5e-4)
    with pytest.raises(ConfigError, match="tau_m"):
        AlphaConfig(tau_m=1e-3, tau_syn=2e-3)
    with pytest.raises(ConfigError, match="alpha"):
        alpha_neuron(0.7, 0.9)
    with pytest.raises(ConfigError, match=r"ALIFConfig\.dt"):
        ALIFConfig(dt=0.1)
    with pytest.raises(ConfigError, match="current synapses"):
        Synaptic(leaky(0.9))
    with pytest.raises(InputTypeError, match="AlphaConfig"):
        Alpha(synaptic(0.8, 0.9))
    with pytest.raises(ConfigError, match="n = 0"):
        RLeaky(0)
    with pytest.raises(ShapeError, match=r"\(T, batch, 3\)"):
        RLeaky(3)(torch.zeros(5, 2, 4))
    with pytest.raises(ShapeError, match="per-neuron"):
        Synaptic(learn_beta=True, param_shape=(3,))(torch.zeros(5, 2, 4))
    with pytest.raises(ConfigError, match="input_unit"):
        Izhikevich(input_unit=-1.0)
    with pytest.raises(ConfigError, match="t_ref"):
        AdEx(AdExConfig(t_ref=2e-3))
    with pytest.raises(InputTypeError, match="IzhikevichConfig"):
        Izhikevich(AdExConfig())


def test_the_new_layers_count_spikes_and_synaptic_operations():
    torch.manual_seed(0)
    net = SpikingSequential(nn.Linear(6, 5), Synaptic(), nn.Linear(5, 4), ALIF(), nn.Linear(4, 3))
    x = torch.rand(20, 2, 6) * 2
    with Ledger() as led:
        net(x)
    with torch.no_grad():
        s1 = net[1](net[0](x))
        s2 = net[3](net[2](s1))
    assert s1.sum() > 0 and s2.sum() > 0
    assert led.count("spike") == pytest.approx(float(s1.sum() + s2.sum()))
    assert led.count("synop") == pytest.approx(float(s1.sum() * 4 + s2.sum() * 3))
