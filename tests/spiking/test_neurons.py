"""IF/LIF neurons against closed forms: DC trajectory, first spike, ISI, PSP, resets, refractoriness, errors."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError, ShapeError
from neurofab.spiking.neurons import (
    CUBA_LIF,
    IFConfig,
    LIFConfig,
    SynapticInput,
    heaviside,
    if_step,
    init_state,
    lif_step,
    propagators,
    step,
)

DT = 1e-4
F64 = torch.float64


def run(params, steps, inputs_fn, n=1, v0=None, dt=DT):
    prop = propagators(params, dt)
    state = init_state(params, n, v0, dtype=F64)
    vs, spikes = [], []
    for k in range(steps):
        state = step(state, inputs_fn(k), params, prop)
        vs.append(state.v.clone())
        spikes.append(state.spikes.clone())
    return torch.stack(vs), torch.stack(spikes)


def test_propagators_closed_forms():
    p = LIFConfig(tau_m=20e-3, c_m=200e-12, tau_syn_exc=5e-3, tau_syn_inh=10e-3, t_ref=2e-3)
    pr = propagators(p, DT)
    assert pr.decay_m == pytest.approx(math.exp(-DT / 20e-3), rel=1e-15, abs=0)
    assert pr.decay_exc == pytest.approx(math.exp(-DT / 5e-3), rel=1e-15, abs=0)
    assert pr.dc_gain == pytest.approx((1 - math.exp(-DT / 20e-3)) * 20e-3 / 200e-12, rel=1e-12)
    expected = 5e-3 * 20e-3 / (200e-12 * (20e-3 - 5e-3)) * (math.exp(-DT / 20e-3) - math.exp(-DT / 5e-3))
    assert pr.coupling_exc == pytest.approx(expected, rel=1e-9)
    assert pr.refractory_steps == 20
    # τ_s → τ_m limit and the IF limit τ_m → ∞
    same = propagators(p.replace(tau_syn_exc=20e-3), DT)
    assert same.coupling_exc == pytest.approx(DT / 200e-12 * math.exp(-DT / 20e-3), rel=1e-12)
    near = propagators(p.replace(tau_syn_exc=20e-3 * (1 + 1e-9)), DT)
    assert near.coupling_exc == pytest.approx(same.coupling_exc, rel=1e-8)
    pif = propagators(IFConfig(c_m=200e-12, synapse="current", tau_syn_exc=5e-3), DT)
    assert pif.decay_m == 1.0 and pif.dc_gain == pytest.approx(DT / 200e-12)
    assert pif.coupling_exc == pytest.approx(5e-3 / 200e-12 * (1 - math.exp(-DT / 5e-3)), rel=1e-12)


def test_dc_trajectory_is_exact_and_first_spike_on_time():
    p = LIFConfig(tau_m=20e-3, c_m=250e-12, v_rest=-70e-3, v_th=-55e-3, v_reset=-70e-3, t_ref=0.0)
    i = 1.0e-9  # R I = 80 mV
    v, s = run(p, 400, lambda k: SynapticInput(i_ext=i))
    t = torch.arange(1, 401, dtype=F64) * DT
    exact = p.v_rest + p.r_m * i * (1 - torch.exp(-t / p.tau_m))
    t_first = p.tau_m * math.log(p.r_m * i / (p.r_m * i - (p.v_th - p.v_rest)))
    k_first = math.ceil(t_first / DT)  # the first grid step at or after the crossing
    assert torch.nonzero(s[:, 0])[0].item() + 1 == k_first
    torch.testing.assert_close(v[: k_first - 1, 0], exact[: k_first - 1], rtol=0, atol=1e-12)
    assert v[k_first - 1, 0].item() == p.v_reset


@pytest.mark.parametrize("current", [0.4e-9, 0.6e-9, 1.0e-9, 2.0e-9])
def test_interspike_interval_is_refractory_plus_charge_time(current):
    p = LIFConfig(tau_m=10e-3, c_m=250e-12, v_rest=-65e-3, v_th=-50e-3, v_reset=-65e-3, t_ref=2e-3)
    _, s = run(p, 1500, lambda k: SynapticInput(i_ext=current))
    ri = p.r_m * current
    charge = p.tau_m * math.log((ri - (p.v_reset - p.v_rest)) / (ri - (p.v_th - p.v_rest)))
    isi_steps = round(p.t_ref / DT) + math.ceil(charge / DT)
    spikes = torch.nonzero(s[:, 0]).flatten()
    assert len(spikes) >= 3
    assert torch.all(torch.diff(spikes) == isi_steps)


def test_below_rheobase_never_fires():
    p = LIFConfig()
    i = 0.99 * (p.v_th - p.v_rest) / p.r_m
    v, s = run(p, 2000, lambda k: SynapticInput(i_ext=i))
    assert s.sum() == 0 and v.max() < p.v_th


def test_psp_of_exponential_current_synapse():
    p = LIFConfig(tau_m=20e-3, c_m=250e-12, tau_syn_exc=5e-3, t_ref=0.0, v_th=0.0)
    w = 100e-12  # A
    v, _ = run(p, 600, lambda k: SynapticInput(exc=w if k == 0 else 0.0))
    dv = (v[:, 0] - p.v_rest).double()
    tm, ts = p.tau_m, p.tau_syn_exc
    t = torch.arange(0, 600, dtype=F64) * DT  # the current starts at the end of step 0
    psp = w * ts * tm / (p.c_m * (tm - ts)) * (torch.exp(-t / tm) - torch.exp(-t / ts))
    torch.testing.assert_close(dv, psp, rtol=1e-9, atol=1e-15)
    t_peak = tm * ts / (tm - ts) * math.log(tm / ts)
    peak = w * ts * tm / (p.c_m * (tm - ts)) * (math.exp(-t_peak / tm) - math.exp(-t_peak / ts))
    assert dv.max().item() == pytest.approx(peak, rel=1e-4)
    assert abs(dv.argmax().item() * DT - t_peak) <= DT


def test_delta_synapse_jumps_at_once_and_is_lost_while_refractory():
    p = LIFConfig(synapse="delta", t_ref=1e-3, v_rest=0.0, v_reset=0.0, v_th=10e-3)
    pr = propagators(p, DT)
    s = init_state(p, 1, dtype=F64)
    s = lif_step(s, torch.tensor([2e-3], dtype=F64), p, pr)
    assert s.v.item() == pytest.approx(2e-3)
    s = lif_step(s, torch.tensor([20e-3], dtype=F64), p, pr)
    assert s.spikes.item() == 1 and s.v.item() == 0.0 and s.refractory.item() == 10
    for _ in range(10):  # input during refractoriness is lost, the membrane stays clamped
        s = lif_step(s, torch.tensor([5e-3], dtype=F64), p, pr)
        assert s.v.item() == 0.0 and s.spikes.item() == 0
    s = lif_step(s, torch.tensor([5e-3], dtype=F64), p, pr)
    assert s.v.item() == pytest.approx(5e-3)


def test_reset_modes():
    zero = IFConfig(v_th=1.0, v_reset=0.0, c_m=1.0, reset_mode="zero")
    sub = zero.replace(reset_mode="subtract")
    for params, after in ((zero, 0.0), (sub, 0.25)):
        s = init_state(params, 1, 0.5, dtype=F64)
        s = if_step(s, torch.tensor([0.75], dtype=F64), params, propagators(params, 1.0))
        assert s.spikes.item() == 1 and s.v.item() == pytest.approx(after)


def test_if_integrates_without_leak_and_counts_spikes():
    # a constant input of θ/4 per step (exact in binary): exactly one spike every 4 steps with subtraction
    p = IFConfig(v_th=1.0, v_reset=0.0, c_m=1.0, reset_mode="subtract")
    pr = propagators(p, 1.0)
    s = init_state(p, 1, dtype=F64)
    total = 0
    for _ in range(1000):
        s = if_step(s, SynapticInput(exc=torch.tensor([0.25], dtype=F64)), p, pr)
        total += int(s.spikes.item())
    assert total == 250
    assert 0.0 <= s.v.item() < 1.0


def test_conductance_synapse_pulls_towards_reversal():
    p = LIFConfig(synapse="conductance", t_ref=0.0, tau_syn_exc=5e-3, tau_syn_inh=10e-3, v_th=0.1)
    pr = propagators(p, DT)
    s = init_state(p, 2, dtype=F64)
    # a very large held conductance drives V to its reversal potential
    big = SynapticInput(exc=torch.tensor([1e-3, 0.0], dtype=F64), inh=torch.tensor([0.0, 1e-3], dtype=F64))
    s = lif_step(s, big, p, pr)
    for _ in range(3):
        s = lif_step(s, SynapticInput(), p, pr)
    assert s.v[0].item() == pytest.approx(p.e_exc, abs=1e-4)
    assert s.v[1].item() == pytest.approx(p.e_inh, abs=1e-4)
    # and the conductances decay exactly
    assert s.syn_exc[0].item() == pytest.approx(1e-3 * pr.decay_exc**3, rel=1e-12, abs=0)


def test_surrogate_spike_fn_carries_gradient():
    p = LIFConfig(synapse="delta", v_rest=0.0, v_reset=0.0, v_th=1.0, t_ref=0.0, reset_mode="subtract")
    pr = propagators(p, 1e-3)
    x = torch.tensor([0.5, 1.5], requires_grad=True)

    def fast_sigmoid(u):
        sig = torch.sigmoid(5 * u)
        return heaviside(u).detach() + sig - sig.detach()

    s = lif_step(init_state(p, 2), x, p, pr, spike_fn=fast_sigmoid)
    s.spikes.sum().backward()
    assert x.grad is not None and torch.all(x.grad > 0)
    assert s.spikes.tolist() == [0.0, 1.0]


def test_cuba_preset_is_tonic():
    p = CUBA_LIF
    assert p.v_rest > p.v_th and propagators(p, 1e-4).refractory_steps == 50


@pytest.mark.parametrize(
    "bad",
    [
        {"tau_m": 0.0},
        {"c_m": -1e-12},
        {"t_ref": -1e-3},
        {"v_reset": -50e-3, "v_th": -55e-3},
        {"reset_mode": "half"},
        {"synapse": "alpha"},
        {"tau_syn_exc": float("nan")},
        {"unknown": 1.0},
    ],
)
def test_bad_parameters_raise_config_error(bad):
    with pytest.raises(ConfigError):
        LIFConfig(**bad)


def test_bad_dt_and_shapes():
    with pytest.raises(ConfigError, match="dt"):
        propagators(LIFConfig(), 0.0)
    with pytest.raises(ConfigError, match="whole number"):
        propagators(LIFConfig(t_ref=1.05e-3), 1e-4 * 3)
    with pytest.raises(ShapeError):
        init_state(LIFConfig(), 3, torch.zeros(4))
    with pytest.raises(ShapeError):
        init_state(LIFConfig(), 2, torch.tensor([0.0, float("nan")]))
    with pytest.raises(InputTypeError):
        lif_step(init_state(LIFConfig(), 1), 0.0, IFConfig(), propagators(LIFConfig(), DT))
    with pytest.raises(InputTypeError):
        step(init_state(LIFConfig(), 1), "x", LIFConfig(), propagators(LIFConfig(), DT))
    with pytest.raises(ShapeError, match="i_ext"):
        lif_step(
            init_state(LIFConfig(), (4, 3)),
            SynapticInput(i_ext=torch.ones(4)),
            LIFConfig(),
            propagators(LIFConfig(), DT),
        )
    # a per-neuron column that broadcasts is fine
    lif_step(
        init_state(LIFConfig(), (4, 3)), SynapticInput(i_ext=torch.ones(3)), LIFConfig(), propagators(LIFConfig(), DT)
    )


@settings(max_examples=40, deadline=None)
@given(
    tau_m=st.floats(1e-3, 100e-3),
    tau_s=st.floats(0.2e-3, 50e-3),
    dt=st.floats(1e-5, 1e-3),
)
def test_propagators_are_bounded(tau_m, tau_s, dt):
    pr = propagators(LIFConfig(tau_m=tau_m, tau_syn_exc=tau_s, t_ref=0.0), dt)
    assert 0 < pr.decay_m < 1 and 0 < pr.decay_exc < 1
    # coupling ≤ dc gain: a current decaying during the step charges less than one held for the step
    assert 0 < pr.coupling_exc <= pr.dc_gain * (1 + 1e-12)


def test_step_works_under_vmap():
    p = LIFConfig(t_ref=1e-3)
    pr = propagators(p, DT)

    def advance(v, i):
        s = init_state(p, v.shape)._replace(v=v)
        return lif_step(s, SynapticInput(i_ext=i), p, pr).v

    v = torch.linspace(-70e-3, -54e-3, 12).reshape(4, 3)
    i = torch.full((4, 3), 1e-9)
    torch.testing.assert_close(torch.func.vmap(advance)(v, i), advance(v, i))
