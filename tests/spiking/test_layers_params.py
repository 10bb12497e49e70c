"""One dt per layer, learnable β and threshold, and clear errors for modules SpikingSequential cannot run."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.core import ConfigError, InputTypeError
from neurofab.spiking import Network
from neurofab.spiking.layers import (
    IF,
    LI,
    LIF,
    SpikingNeurons,
    SpikingSequential,
    leaky,
    lif_scan,
    param_scan,
    synaptic,
)
from neurofab.spiking.neurons import IFConfig, LIFConfig


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----- one dt ------------------------------------------------------------------------------------------------------
def test_a_leaky_config_carries_its_dt():
    layer = LIF(leaky(0.9, 1e-4))
    assert layer.dt == 1e-4 and layer.consts.decay == pytest.approx(0.9, abs=1e-15)
    assert LI(leaky(0.8, 2e-4)).dt == 2e-4
    assert LIF(leaky(0.9, 1e-4), dt=1e-4).dt == 1e-4  # the same dt twice is fine
    assert LIF(synaptic(0.7, 0.9, 5e-4)).consts.syn_decay == pytest.approx(0.7, abs=1e-15)
    assert LIF().dt == 1e-3 and LIF(dt=2e-3).consts.decay == pytest.approx(0.95)  # the default neuron follows dt
    assert LIF(LIFConfig(synapse="delta"), dt=1e-4).dt == 1e-4  # a plain config takes the layer's dt


def test_conflicting_dt_names_both_values():
    with pytest.raises(ConfigError, match=r"dt = 0\.001 s conflicts .* dt = 0\.0001 s"):
        LIF(leaky(0.9, 1e-4), dt=1e-3)
    with pytest.raises(ConfigError, match="conflicts"):
        LI(leaky(0.9, 1e-4), dt=1e-3)
    with pytest.raises(ConfigError, match="positive number of seconds"):
        LIF(LIFConfig(synapse="delta"), dt=-1.0)


def test_a_network_population_refuses_a_config_made_for_another_dt():
    net = Network(dt=1e-3, seed=0)
    with pytest.raises(ConfigError, match=r"dt = 0\.0001 s, the network runs at dt = 0\.001 s"):
        net.population(2, leaky(0.9, 1e-4))
    assert net.population(2, leaky(0.9, 1e-3)).size == 2


def test_network_run_refuses_a_duration_that_is_not_whole_steps():
    net = Network(dt=1e-4, seed=0)
    net.population(3, LIFConfig())
    with pytest.raises(ConfigError, match=r"1\.5 steps"):
        net.run(0.00015)
    net.run(0.0003)  # 3 steps: round-off in 0.0003/1e-4 is tolerated
    assert net.step_count == 3


# ----- learnable β and threshold -----------------------------------------------------------------------------------
def test_parameters_are_opt_in_and_shaped():
    assert dict(LIF().named_parameters()) == {}
    layer = LIF(learn_beta=True, learn_threshold=True)
    assert {n: tuple(p.shape) for n, p in layer.named_parameters()} == {"beta": (), "threshold": ()}
    per = LIF(leaky(0.9), learn_beta=True, param_shape=(4,))
    assert per.beta.shape == (4,) and torch.allclose(per.beta.detach(), torch.full((4,), 0.9))
    assert tuple(IF(learn_threshold=True).threshold.shape) == ()
    with pytest.raises(ConfigError, match="learn_beta needs a leaky neuron"):
        SpikingNeurons(IFConfig(synapse="delta"), learn_beta=True)
    with pytest.raises(ConfigError, match="t_ref"):
        LIF(LIFConfig(synapse="delta"), learn_beta=True)
    with pytest.raises(ConfigError, match="param_shape"):
        LIF(learn_beta=True, param_shape=(0,))


@pytest.mark.parametrize("neuron", [leaky(0.9, reset="subtract"), leaky(0.8, reset="zero"),
                                    synaptic(0.7, 0.85)])
def test_learnable_layer_at_its_initial_values_equals_the_fixed_layer(neuron):
    """Same spikes and the same input gradient as the fused scan when β and θ keep their configured values."""
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(30, 3, 5, generator=g, dtype=torch.float64) * 0.8).requires_grad_()
    fixed, learn = LIF(neuron), LIF(neuron, learn_beta=True, learn_threshold=True).double()
    with torch.no_grad():
        learn.beta.fill_(fixed.consts.decay)  # the float64 value (the parameter was made in float32)
    s0, _ = lif_scan(x, fixed.consts, fixed.surrogate)
    s1 = learn(x)
    assert torch.equal(s0, s1) and s0.sum() > 10
    (g0,) = torch.autograd.grad((s0 * torch.arange(5.0, dtype=torch.float64)).sum(), x)
    (g1,) = torch.autograd.grad((s1 * torch.arange(5.0, dtype=torch.float64)).sum(), x)
    assert torch.allclose(g0, g1, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_gradients_of_beta_and_threshold_match_finite_differences(reset):
    """With a detached reset the final membrane is a smooth function of β and θ between spike-time changes, so its
    autograd gradient must equal central finite differences (spikes do not move for an ε of 1e-7)."""
    layer = LIF(leaky(0.85, reset=reset), learn_beta=True, learn_threshold=True, param_shape=(4,)).double()
    with torch.no_grad():
        layer.beta.copy_(torch.tensor([0.8, 0.85, 0.9, 0.7]))
        layer.threshold.copy_(torch.tensor([0.9, 1.0, 1.2, 0.8]))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(25, 2, 4, generator=g, dtype=torch.float64) * 0.7

    def final_u(beta: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        spikes, state = param_scan(x, layer.consts, beta, theta, "fast_sigmoid", True)
        return state.u.sum(), spikes

    loss, spikes = final_u(layer.beta, layer.threshold)
    assert spikes.sum() > 20
    gb, gt = torch.autograd.grad(loss, [layer.beta, layer.threshold], allow_unused=True)
    if gt is None:  # reset to zero: the final membrane does not see θ between spike-time changes
        assert reset == "zero"
        gt = torch.zeros(4, dtype=torch.float64)
    eps = 1e-7
    for i in range(4):
        for param, grad in ((layer.beta, gb), (layer.threshold, gt)):
            plus, minus = param.detach().clone(), param.detach().clone()
            plus[i] += eps
            minus[i] -= eps
            other = layer.threshold.detach() if param is layer.beta else layer.beta.detach()
            args_p = (plus, other) if param is layer.beta else (other, plus)
            args_m = (minus, other) if param is layer.beta else (other, minus)
            with torch.no_grad():
                (lp, sp), (lm, sm) = final_u(*args_p), final_u(*args_m)
            assert torch.equal(sp, sm) and torch.equal(sp, spikes)  # no spike moved
            fd = (lp - lm) / (2 * eps)
            assert float(grad[i]) == pytest.approx(float(fd), rel=1e-6, abs=1e-8)
    assert gb.abs().sum() > 0 and (reset == "zero" or gt.abs().sum() > 0)


def test_constraints_clamp_beta_and_threshold():
    layer = LIF(leaky(0.9), learn_beta=True, learn_threshold=True).double()
    x = torch.full((10, 1, 1), 0.25, dtype=torch.float64)
    with torch.no_grad():
        layer.beta.fill_(1.7)  # used as 1: a perfect integrator
        layer.threshold.fill_(-2.0)  # used as 1e-6: fires on any positive membrane
    assert layer(x).sum() == 10
    with torch.no_grad():
        layer.beta.fill_(1.7)
        layer.threshold.fill_(1.0)
    # β = 1, input 0.25 per step (exact in binary), reset by subtraction of 1: spikes at steps 4 and 8
    assert layer(x)[:, 0, 0].nonzero().flatten().tolist() == [3, 7]


def test_training_moves_beta_and_lowers_the_loss():
    """A readout trained to fire at a rate that needs less leak: β must rise, the loss must fall."""
    torch.manual_seed(0)
    net = SpikingSequential(nn.Linear(6, 4), LIF(leaky(0.5), learn_beta=True, param_shape=(4,)))
    with torch.no_grad():
        net[0].weight.fill_(0.1)
        net[0].bias.zero_()
    x = torch.rand(40, 8, 6)
    target = torch.full((8, 4), 10.0)  # 10 spikes in 40 steps
    opt = torch.optim.SGD([net[1].beta], lr=2e-3)
    beta0 = net[1].beta.detach().clone()
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((net(x).sum(0) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert (net[1].beta.detach() > beta0 + 0.05).all()
    assert losses[-1] < 0.5 * losses[0]


# ----- modules SpikingSequential cannot run ------------------------------------------------------------------------
def test_an_rnn_inside_spiking_sequential_is_a_clear_error():
    net = SpikingSequential(nn.RNN(4, 3), LIF())
    with pytest.raises(InputTypeError, match="RNN keeps its own time recursion"):
        net(torch.rand(5, 2, 4))

    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    with pytest.raises(InputTypeError, match="Pair returned a tuple"):
        SpikingSequential(Pair(), LIF())(torch.rand(5, 2, 4))
