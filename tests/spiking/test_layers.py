"""Surrogate-gradient layers: hand-stepped neurons, fused scan ≡ the neurons module's step, readouts, losses."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurofab.core import ConfigError, InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.spiking.layers import (
    IF,
    LI,
    LIF,
    LayerState,
    SpikingNeurons,
    SpikingSequential,
    count_cross_entropy,
    count_mse,
    fan_out,
    initial_state,
    leaky,
    lif_layer_step,
    lif_scan,
    membrane_cross_entropy,
    membrane_readout,
    neuron_constants,
    neuron_state,
    repeat_over_time,
    spike_count,
    spike_rate,
)
from neurofab.spiking.neurons import IFConfig, LIFConfig, propagators
from neurofab.spiking.surrogate import FastSigmoid, surrogate


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small tensors: one thread avoids spin-waiting on the shared cores (results do not depend on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

MODES = ["fused", "step"]


def col(values):
    """A (T, 1, 1) input from a list of per-step values."""
    return torch.tensor(values, dtype=torch.float64).reshape(-1, 1, 1)


@pytest.mark.parametrize("mode", MODES)
def test_hand_stepped_lif_subtract(mode):
    # β = 0.5; z = 0.6 | 0.3+0.6=0.9 | 0.45+0.6=1.05 → spike, u=0.05 | 0.025 | 0.0125+1.2=1.2125 → spike, u=0.2125
    layer = LIF(leaky(0.5), mode=mode)
    spikes, state = layer.run(col([0.6, 0.6, 0.6, 0.0, 1.2]))
    assert spikes.flatten().tolist() == [0, 0, 1, 0, 1]
    assert state.u.item() == pytest.approx(0.2125, abs=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_hand_stepped_lif_reset_to_zero(mode):
    # reset to 0 at the spike of step 3: z4 = 0, z5 = 1.2 → spike, u = 0
    layer = LIF(leaky(0.5, reset="zero"), mode=mode)
    spikes, state = layer.run(col([0.6, 0.6, 0.6, 0.0, 1.2]))
    assert spikes.flatten().tolist() == [0, 0, 1, 0, 1]
    assert state.u.item() == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_hand_stepped_si_lif_with_rest_and_threshold(mode):
    # NEST-like neuron, delta synapses: v_rest = −70 mV, v_th = −55 mV, v_reset = −70 mV → Δ = 15 mV;
    # a constant input of 0.4 Δ per step from rest: u_t = 0.4 Σ β^k; spike when it reaches 1.
    neuron = LIFConfig(synapse="delta", t_ref=0.0)
    beta = math.exp(-1e-3 / 10e-3)
    u, expected = 0.0, []
    for _ in range(8):
        u = beta * u + 0.4
        fired = u >= 1.0
        expected.append(float(fired))
        u = 0.0 if fired else u
    spikes = SpikingNeurons(neuron, 1e-3, mode=mode)(col([0.4] * 8))
    assert spikes.flatten().tolist() == expected
    assert sum(expected) >= 1


def test_if_refractory_period_blocks_input():
    neuron = IFConfig(v_th=1.0, v_reset=0.0, t_ref=2e-3, synapse="delta")
    for mode in MODES:
        spikes = IF(neuron, dt=1e-3, mode=mode)(col([1.5] * 9))
        assert spikes.flatten().tolist() == [1, 0, 0] * 3


def test_current_synapse_closed_form():
    # IF (β = 1) with an exponential current: one input of 0.25 at t = 0 adds 0.25 α^k at step k + 1
    neuron = IFConfig(v_th=1.0, v_reset=0.0, synapse="current", tau_syn_exc=3e-3)
    alpha = math.exp(-1.0 / 3.0)
    x = col([0.25, 0, 0, 0, 0])
    spikes, state = IF(neuron).run(x)
    assert spikes.sum() == 0
    expected = 0.25 * sum(alpha**k for k in range(4))  # steps 1..4 see j_0..j_3
    assert state.u.item() == pytest.approx(expected, rel=1e-12, abs=0)
    consts = neuron_constants(neuron, 1e-3)
    assert consts.input_unit == pytest.approx(1.0 / propagators(neuron, 1e-3).coupling_exc, rel=1e-6, abs=0)


def test_gradient_closed_form_two_steps():
    # L = s_1 with z_0 = x_0, z_1 = β(z_0 − s_0) + x_1 (reset detached): ∂L/∂x_0 = β σ'(z_1 − 1), ∂L/∂x_1 = σ'(z_1 − 1)
    beta = 0.8
    sg = FastSigmoid(slope=3.0)
    x = col([0.7, 0.2]).requires_grad_()
    spikes, _ = lif_scan(x, neuron_constants(leaky(beta), 1e-3), sg)
    (g,) = torch.autograd.grad(spikes[1].sum(), x)
    z1 = beta * 0.7 + 0.2
    slope = 1.0 / (1.0 + 3.0 * abs(z1 - 1.0)) ** 2
    assert g.flatten().tolist() == pytest.approx([beta * slope, slope], rel=1e-6)


NEURONS = {
    "leaky": leaky(0.9),
    "nest_delta": LIFConfig(synapse="delta"),
    "nest_current": LIFConfig(),
    "current_subtract": LIFConfig(reset_mode="subtract", t_ref=0.0),
    "if_subtract": IFConfig(v_th=1.0, reset_mode="subtract"),
    "if_current_refractory": IFConfig(synapse="current", t_ref=3e-3),
    "lif_bias": LIFConfig(synapse="delta", i_bias=100e-12, t_ref=0.0),
}


@pytest.mark.parametrize("detach", [True, False])
@pytest.mark.parametrize("name", list(NEURONS))
def test_fused_scan_equals_neuron_step(name, detach):
    """The fused custom autograd gives the spikes, final state and gradients of a loop of neurons.step."""
    gen = torch.Generator().manual_seed(1)
    x = (torch.rand(30, 4, 40, generator=gen) * 0.6).requires_grad_()
    weights = torch.randn(30, 4, 40, generator=gen)
    fused = SpikingNeurons(NEURONS[name], 1e-3, "arctan", detach, "fused")
    ref = SpikingNeurons(NEURONS[name], 1e-3, "arctan", detach, "step")
    s1, st1 = fused.run(x)
    s2, st2 = ref.run(x)
    assert torch.equal(s1, s2)
    assert s1.mean() > 0.05
    torch.testing.assert_close(st1.u, st2.u, rtol=0, atol=1e-5)
    assert torch.equal(st1.refractory, st2.refractory)
    (g1,) = torch.autograd.grad((s1 * weights).sum(), x)
    (g2,) = torch.autograd.grad((s2 * weights).sum(), x)
    torch.testing.assert_close(g1, g2, rtol=1e-4, atol=1e-4)


def test_state_carries_over_between_calls():
    x = torch.rand(20, 3, 5) * 0.5
    layer = LIF(LIFConfig(synapse="current"))
    whole, _ = layer.run(x)
    first, state = layer.run(x[:8])
    second, _ = layer.run(x[8:], state)
    assert torch.equal(torch.cat([first, second]), whole)
    ref = LIF(LIFConfig(synapse="current"), mode="step")
    a, st = ref.run(x[:8])
    b, _ = ref.run(x[8:], st)
    assert torch.equal(torch.cat([a, b]), whole)


@pytest.mark.slow
def test_torch_compile_of_the_functional_step():
    neuron = leaky(0.9)
    consts, prop, sg = neuron_constants(neuron, 1e-3), propagators(neuron, 1e-3), surrogate("arctan")

    def step_fn(state, x):
        return lif_layer_step(state, x, neuron, prop, consts, sg)

    compiled = torch.compile(step_fn, fullgraph=True)
    x = (torch.rand(6, 3, 7, generator=torch.Generator().manual_seed(0)) * 0.8).requires_grad_()
    st_c = st_e = neuron_state(consts, neuron, x[0])
    out_c, out_e = [], []
    for t in range(x.shape[0]):
        st_c, st_e = compiled(st_c, x[t]), step_fn(st_e, x[t])
        out_c.append(st_c.spikes)
        out_e.append(st_e.spikes)
    a, b = torch.stack(out_c), torch.stack(out_e)
    assert torch.equal(a, b)
    torch.testing.assert_close(torch.autograd.grad(a.sum(), x)[0], torch.autograd.grad(b.sum(), x)[0])


@pytest.mark.parametrize("neuron", [leaky(0.8), LIFConfig(synapse="current", t_ref=0.0, v_rest=-65e-3),
                                    IFConfig(synapse="current")], ids=["delta", "current", "if_current"])
def test_leaky_integrator_closed_form_equals_recursion(neuron):
    x = torch.randn(12, 2, 3, dtype=torch.float64)
    c = neuron_constants(neuron, 1e-3)
    u = torch.full((2, 3), c.u_rest, dtype=torch.float64)
    j = torch.zeros_like(u)
    trace = []
    for t in range(12):
        if c.current:
            u = c.decay * u + c.drive + j
            j = c.syn_decay * j + x[t]
        else:
            u = c.decay * u + c.drive + x[t]
        trace.append(u)
    torch.testing.assert_close(LI(neuron)(x), torch.stack(trace))


def test_spiking_sequential_over_time_and_synop_count():
    torch.manual_seed(0)
    net = SpikingSequential(nn.Conv2d(1, 4, 3), LIF(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(144, 10), LIF(),
                            nn.Linear(10, 3), LI())
    x = torch.rand(5, 2, 1, 14, 14) * 2
    with Ledger() as led:
        out = net(x)
    assert out.shape == (5, 2, 3)
    # recompute the synaptic operations by hand from the spikes of the two LIF layers
    s1 = net[1](net[0](x.flatten(0, 1)).unflatten(0, (5, 2)))
    h = net[4](net[3](net[2](s1.flatten(0, 1)))).unflatten(0, (5, 2))
    s2 = net[5](h)
    # each first-layer spike reaches one pooled cell, which has 10 outgoing synapses; each second-layer spike 3
    assert led.count("synop") == pytest.approx(s1.sum().item() * 10 + s2.sum().item() * 3)
    assert led.count("spike") == pytest.approx(s1.sum().item() + s2.sum().item())


def test_fan_out_of_a_convolution():
    fo = fan_out([nn.Conv2d(1, 2, 3)], (1, 5, 5))
    assert fo[0, 0, 0].item() == 2  # a corner pixel reaches one output position per output channel
    assert fo[0, 2, 2].item() == 18  # the centre reaches all 3×3 positions
    assert fan_out([nn.Linear(7, 4)], (7,)).tolist() == [4.0] * 7
    with pytest.raises(InputTypeError, match="MaxPool2d"):
        fan_out([nn.MaxPool2d(2)], (1, 4, 4))


def test_readouts_and_losses():
    gen = torch.Generator().manual_seed(0)
    spikes = (torch.rand(10, 4, 3, generator=gen) < 0.3).float()
    y = torch.tensor([0, 2, 1, 1])
    assert torch.equal(spike_count(spikes), spikes.sum(0))
    assert torch.equal(spike_rate(spikes), spikes.mean(0))
    assert count_cross_entropy(spikes, y).item() == pytest.approx(F.cross_entropy(spikes.sum(0), y).item())
    want = torch.full((4, 3), 2.0)
    want[torch.arange(4), y] = 8.0
    assert count_mse(spikes, y).item() == pytest.approx(F.mse_loss(spikes.sum(0), want).item())
    u = torch.randn(10, 4, 3, generator=gen)
    assert torch.equal(membrane_readout(u, "max"), u.max(0).values)
    assert torch.equal(membrane_readout(u, "last"), u[-1])
    assert membrane_cross_entropy(u, y, "mean").item() == pytest.approx(F.cross_entropy(u.mean(0), y).item())


def test_training_a_spiking_mlp_reduces_the_loss():
    torch.manual_seed(0)
    x = torch.rand(64, 20)
    y = (x[:, :10].sum(1) > x[:, 10:].sum(1)).long()
    net = SpikingSequential(nn.Linear(20, 32), LIF(leaky(0.9)), nn.Linear(32, 2), LI(leaky(0.9)))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = membrane_cross_entropy(net(repeat_over_time(x, 8)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_bad_input_raises_clear_errors():
    layer = LIF()
    with pytest.raises(ShapeError, match="T, batch"):
        layer(torch.rand(5))
    with pytest.raises(NumericalError, match="NaN"):
        layer(torch.tensor([[float("nan")]]))
    with pytest.raises(InputTypeError, match="floating"):
        layer(torch.ones(3, 2, dtype=torch.int64))
    with pytest.raises(InputTypeError):
        layer([[0.1]])  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match="state.u"):
        layer.run(torch.rand(3, 2, 4), initial_state(layer.consts, torch.zeros(2, 5)))
    with pytest.raises(InputTypeError):
        layer.run(torch.rand(3, 2, 4), (0, 0, 0))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="conductance"):
        LIF(LIFConfig(synapse="conductance"))
    with pytest.raises(ConfigError, match="beta"):
        leaky(1.2)
    with pytest.raises(ConfigError, match="dt"):
        LIF(dt=-1.0)
    with pytest.raises(ConfigError, match="mode"):
        LIF(mode="fast")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="IF"):
        LIF(IFConfig())  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="LIF"):
        IF(LIFConfig())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="refractory"):
        LI(LIFConfig())
    with pytest.raises(ConfigError):
        repeat_over_time(torch.rand(2, 3), 0)
    spikes = torch.zeros(4, 2, 3)
    with pytest.raises(ShapeError, match="targets"):
        count_cross_entropy(spikes, torch.tensor([0, 1, 2]))
    with pytest.raises(ShapeError, match=r"\[0, 3\)"):
        count_cross_entropy(spikes, torch.tensor([0, 3]))
    with pytest.raises(InputTypeError):
        count_mse(spikes, torch.tensor([0.0, 1.0]))
    with pytest.raises(ShapeError, match="classes"):
        count_cross_entropy(torch.zeros(4, 2), torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="reduce"):
        membrane_readout(spikes, "median")  # type: ignore[arg-type]


def test_layer_state_shapes():
    c = neuron_constants(LIFConfig(), 1e-3)
    st = initial_state(c, torch.zeros(2, 3))
    assert isinstance(st, LayerState)
    assert st.u.shape == (2, 3) and st.refractory.dtype == torch.int32
    assert st.u[0, 0].item() == pytest.approx(0.0)  # NEST default: rest = reset
