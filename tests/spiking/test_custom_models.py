"""User-defined neuron models (neurofab.spiking.models): a quadratic IF model defined here, outside the package, runs
in a Network and in a torch layer and agrees with a reference forward-Euler loop; bad models fail when defined."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pydantic import Field

from neurofab.core import ConfigError, InputTypeError, ShapeError
from neurofab.spiking import LIF, LIFConfig, Network, leaky, propagators
from neurofab.spiking.models import ModelNeurons, NeuronModel

DT = 1e-4


class QIF(NeuronModel):
    """Quadratic integrate-and-fire: τ dV/dt = (V − v_r)(V − v_c)/Δ + R I; V ≥ v_peak → V = v_r."""

    state = ("v = v_r",)
    equations = ("dv/dt = ((v - v_r) * (v - v_c) / delta + r * I) / tau",)
    threshold = "v >= v_peak"
    reset = ("v = v_r",)
    tau: float = Field(10e-3, gt=0, le=1.0, description="membrane time constant [s]")
    v_r: float = Field(-65e-3, description="rest and reset potential [V]")
    v_c: float = Field(-50e-3, description="critical potential [V]")
    delta: float = Field(10e-3, gt=0, description="voltage scale of the quadratic term [V]")
    r: float = Field(1e8, gt=0, description="input resistance [Ω]")
    v_peak: float = Field(0.0, description="spike cut-off [V]")


class AdaptiveQIF(NeuronModel):
    """QIF with a spike-triggered adaptation current u [A] (two state variables, exact decay of u)."""

    state = ("v = v_r", "u = 0")
    equations = ("dv/dt = ((v - v_r) * (v - v_c) / delta + r * (I - u)) / tau",
                 "u = u * exp(-dt / tau_u)")
    threshold = "v >= v_peak"
    reset = ("v = v_r", "u = u + b")
    tau: float = Field(10e-3, gt=0, le=1.0, description="membrane time constant [s]")
    tau_u: float = Field(50e-3, gt=0, le=1.0, description="adaptation time constant [s]")
    v_r: float = Field(-65e-3, description="rest and reset potential [V]")
    v_c: float = Field(-50e-3, description="critical potential [V]")
    delta: float = Field(10e-3, gt=0, description="voltage scale [V]")
    r: float = Field(1e8, gt=0, description="input resistance [Ω]")
    v_peak: float = Field(0.0, description="spike cut-off [V]")
    b: float = Field(20e-12, ge=0, description="adaptation jump per spike [A]")


def euler_qif(q: QIF, i_ext: np.ndarray, jumps: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference: forward Euler of the QIF, one neuron at a time, in plain Python. ``jumps`` [steps, n] [V]."""
    steps, n = jumps.shape
    v_out, spikes = np.zeros((steps, n)), np.zeros((steps, n), dtype=bool)
    for k in range(n):
        v = q.v_r
        for t in range(steps):
            v = v + dt * ((v - q.v_r) * (v - q.v_c) / q.delta + q.r * i_ext[k]) / q.tau
            v = v + jumps[t, k]
            if v >= q.v_peak:
                v = q.v_r
                spikes[t, k] = True
            v_out[t, k] = v
    return v_out, spikes


def test_qif_in_network_matches_reference_euler():
    q = QIF()
    amps = np.linspace(0.0, 4e-10, 6)
    net = Network(dt=DT, seed=0)
    pop = net.population(6, q)
    net.dc(pop, torch.from_numpy(amps))
    sm = net.spike_monitor(pop)
    vm = net.state_monitor(pop, "v")
    net.run(0.1)
    v_ref, s_ref = euler_qif(q, amps, np.zeros((1000, 6)), DT)
    v_ours = vm.values.numpy() if hasattr(vm, "values") else None
    assert v_ours is not None
    np.testing.assert_allclose(v_ours.reshape(1000, 6), v_ref, rtol=0, atol=1e-12)
    assert net.spike_counts(pop).tolist() == s_ref.sum(0).tolist()
    assert s_ref.sum() > 10  # the strong drives fire several times
    assert len(sm.times) == s_ref.sum()


def test_qif_spike_input_network_layer_and_reference_agree():
    q = QIF()
    gen = torch.Generator().manual_seed(3)
    steps, n = 600, 4
    jumps = (torch.rand(steps, n, generator=gen, dtype=torch.float64) < 0.05).double() * 4e-3
    jumps[0] = 0.0  # a source spike arrives one step (the delay) after it is sent
    i_ext = np.full(n, 1e-10)
    v_ref, s_ref = euler_qif(q, i_ext, jumps.numpy(), DT)
    # network: one spike source per neuron, one-to-one with weight 1 (delta synapse: a jump of 1 V per unit)
    net = Network(dt=DT, seed=0)
    pop = net.population(n, q)
    net.dc(pop, float(i_ext[0]))
    t_idx, k_idx = torch.nonzero(jumps, as_tuple=True)
    src = net.spike_source(n, t_idx.double() * DT, k_idx)
    net.connect(src, pop, 4e-3, rule="one_to_one")
    sm = net.spike_monitor(pop)
    net.run(steps * DT)
    steps_net, idx_net = sm.steps.numpy(), sm.indices.numpy()
    t_ref, k_ref = np.nonzero(s_ref)
    order = np.lexsort((idx_net, steps_net))
    assert steps_net[order].tolist() == t_ref.tolist() and idx_net[order].tolist() == k_ref.tolist()
    np.testing.assert_allclose(net.state(pop).numpy(), v_ref[-1], atol=1e-12)
    # layer: the same jumps as input (T, batch=1, n), float64
    layer = ModelNeurons(q, dt=DT, i_ext=float(i_ext[0]))
    spikes, (v_last,) = layer.run(jumps[:, None, :])
    assert torch.equal(spikes[:, 0].bool(), torch.from_numpy(s_ref))
    np.testing.assert_allclose(v_last[0].numpy(), v_ref[-1], atol=1e-12)


def test_two_variable_model_state_and_layer():
    m = AdaptiveQIF()
    net = Network(dt=DT, seed=0)
    pop = net.population(3, m)
    net.dc(pop, torch.tensor([1e-10, 2e-10, 3e-10], dtype=torch.float64))
    net.run(0.05)
    u_net = net.state(pop, "u").numpy()
    assert (u_net > 0).all() or net.spike_counts(pop)[0] == 0
    assert net.spike_counts(pop)[2] > 0
    layer = ModelNeurons(m, dt=DT, i_ext=torch.tensor([1e-10, 2e-10, 3e-10], dtype=torch.float64))
    spikes, (v, u) = layer.run(torch.zeros(500, 1, 3, dtype=torch.float64))
    assert spikes[:, 0].sum(0).long().tolist() == net.spike_counts(pop).tolist()
    np.testing.assert_allclose(u[0].numpy(), u_net, rtol=1e-12, atol=1e-24)
    np.testing.assert_allclose(v[0].numpy(), net.state(pop, "v").numpy(), atol=1e-12)
    with pytest.raises(ConfigError, match="has v, u"):
        net.state(pop, "w")
    with pytest.raises(ConfigError, match="has v, u"):
        net.state_monitor(pop, "w")


def test_state_monitor_records_any_variable_of_a_custom_model():
    m = AdaptiveQIF()
    amps = torch.tensor([1e-10, 2e-10, 3e-10], dtype=torch.float64)
    net = Network(dt=DT, seed=0)
    pop = net.population(3, m)
    net.dc(pop, amps)
    u_mon = net.state_monitor(pop, "u", every=5)
    v_mon = net.state_monitor(pop[1:], "v")
    net.run(0.02)
    net.population(2, QIF())  # a population added later moves no recorded variable
    net.run(0.03)
    layer = ModelNeurons(m, dt=DT, i_ext=amps)
    x = torch.zeros(1, 1, 3, dtype=torch.float64)
    st, us, vs = None, [], []
    for _ in range(500):
        _, st = layer.run(x, st)
        us.append(st[1][0])
        vs.append(st[0][0])
    us, vs = torch.stack(us), torch.stack(vs)
    assert u_mon.values.shape == (100, 3) and float(us[-1].abs().max()) > 0
    torch.testing.assert_close(u_mon.values, us[0::5], rtol=1e-12, atol=1e-24)
    torch.testing.assert_close(v_mon.values, vs[:, 1:], rtol=0, atol=1e-12)


def test_layer_gradient_through_surrogate():
    layer = ModelNeurons(QIF(), dt=DT, surrogate="fast_sigmoid", i_ext=2e-10)
    x = torch.full((300, 2, 3), 1e-4, dtype=torch.float64, requires_grad=True)
    spikes = layer(x)
    assert spikes.sum() > 0
    spikes.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_layer_inside_spiking_sequential():
    from neurofab.spiking import SpikingSequential

    torch.manual_seed(0)
    net = SpikingSequential(torch.nn.Linear(4, 6).double(), ModelNeurons(QIF(), dt=DT, surrogate="fast_sigmoid"),
                            torch.nn.Linear(6, 2).double())
    x = torch.rand(200, 3, 4, dtype=torch.float64) * 5e-3
    out = net(x)
    assert out.shape == (200, 3, 2)
    out.sum().backward()
    assert torch.isfinite(net[0].weight.grad).all()
    with pytest.raises(Exception, match="NaN"):
        net(torch.full((5, 1, 4), float("nan"), dtype=torch.float64))


def test_model_missing_step_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"NoStep: a neuron model needs equations"):

        class NoStep(NeuronModel):
            state = "v = 0"
            threshold = "v >= 1"
            reset = ("v = 0",)


def test_bad_equations_are_clear_errors():
    with pytest.raises(ConfigError, match="refers to 'w'"):

        class Unknown(NeuronModel):
            state = "v = 0"
            equations = ("dv/dt = -v / tau + w",)
            threshold = "v >= 1"
            reset = "v = 0"
            tau: float = Field(0.01, gt=0, description="[s]")

    with pytest.raises(ConfigError, match="Attribute"):

        class Sneaky(NeuronModel):
            state = "v = 0"
            equations = ("dv/dt = v.__class__",)
            threshold = "v >= 1"
            reset = "v = 0"

    with pytest.raises(ConfigError, match="not in state"):

        class WrongVar(NeuronModel):
            state = "v = 0"
            equations = ("du/dt = 1",)
            threshold = "v >= 1"
            reset = "v = 0"

    with pytest.raises(ConfigError, match="cannot name a state variable"):

        class Reserved(NeuronModel):
            state = ("I = 0",)
            equations = ("dI/dt = 1",)
            threshold = "I >= 1"
            reset = "I = 0"

    with pytest.raises(ConfigError, match="one comparison"):

        class NoCompare(NeuronModel):
            state = "v = 0"
            equations = ("dv/dt = 1",)
            threshold = "v"
            reset = "v = 0"


def test_parameters_are_validated_with_units():
    with pytest.raises(ConfigError, match=r"QIF.tau = 20.*\[s\]"):
        QIF(tau=20)
    assert QIF(tau="20 ms").tau == pytest.approx(0.02)
    with pytest.raises(ConfigError, match="in V, the field is in s"):
        QIF(tau="20 mV")


def test_subclass_extra_fields_are_an_error_not_ignored():
    class LIFWithAdaptation(LIFConfig):
        tau_a: float = Field(0.1, gt=0, description="adaptation time constant [s]")

    cfg = LIFWithAdaptation()
    with pytest.raises(ConfigError, match="tau_a.*NeuronModel"):
        Network(dt=DT).population(3, cfg)
    with pytest.raises(ConfigError, match="tau_a"):
        propagators(cfg, DT)
    with pytest.raises(ConfigError, match="tau_a"):
        LIF(cfg, dt=1e-3)
    # a subclass that adds nothing, and the stepped config's dt, are honoured
    class PlainLIF(LIFConfig):
        pass

    Network(dt=DT).population(2, PlainLIF())
    Network(dt=1e-3).population(2, leaky(0.9, 1e-3))


def test_other_config_classes_rejected_by_network():
    with pytest.raises(InputTypeError, match="NeuronModel"):
        Network(dt=DT).population(2, object())


def test_custom_and_builtin_populations_share_a_network():
    q = QIF()
    net = Network(dt=DT, seed=1)
    lif = net.population(10, LIFConfig(v_rest=-50e-3, v_th=-55e-3 + 1e-3, v_reset=-70e-3))
    qif = net.population(10, q)
    net.connect(lif, qif, 5e-3, rule="all_to_all")
    net.run(0.05)
    assert net.spike_counts(lif).sum() > 0
    assert net.spike_counts(qif).sum() > 0
    assert math.isfinite(float(net.state(qif).sum()))


class RefractoryLIF(NeuronModel):
    """The built-in LIF with delta synapses written in the equation language, with an absolute refractory period."""

    state = ("v = v_rest",)
    equations = ("v = v_rest + (v - v_rest) * exp(-dt / tau) + (1 - exp(-dt / tau)) * tau / c * I",)
    threshold = "v >= v_th"
    reset = ("v = v_reset",)
    refractory = "t_ref"
    tau: float = Field(20e-3, gt=0, le=1.0, description="membrane time constant [s]")
    c: float = Field(250e-12, gt=0, description="membrane capacitance [F]")
    v_rest: float = Field(-70e-3, description="resting potential [V]")
    v_th: float = Field(-55e-3, description="threshold [V]")
    v_reset: float = Field(-70e-3, description="reset potential [V]")
    t_ref: float = Field(2e-3, ge=0, le=1.0, description="absolute refractory period [s]")


def run_driven(params, jumps: torch.Tensor, weight: float, amps: torch.Tensor):
    """A population of ``params`` driven by ``amps`` and one spike source per neuron at the nonzero entries of
    ``jumps`` [steps, n] (one-to-one, ``weight``): sorted spike (steps, indices) and the final membrane."""
    steps, n = jumps.shape
    t_idx, k_idx = torch.nonzero(jumps, as_tuple=True)
    net = Network(dt=DT, seed=0)
    pop = net.population(n, params)
    net.dc(pop, amps)
    net.connect(net.spike_source(n, t_idx.double() * DT, k_idx), pop, weight, rule="one_to_one")
    sm = net.spike_monitor(pop)
    net.run(steps * DT)
    order = np.lexsort((sm.indices.numpy(), sm.steps.numpy()))
    return sm.steps.numpy()[order].tolist(), sm.indices.numpy()[order].tolist(), net.state(pop).numpy()


def test_refractory_model_matches_the_builtin_lif_spike_for_spike():
    """Clamped membrane, lost input and round(t_ref/dt) steps: the custom model and LIFConfig(t_ref) agree exactly,
    in the network and in the layer; without the refractory period the spikes come sooner."""
    steps, n = 800, 5
    gen = torch.Generator().manual_seed(7)
    jumps = (torch.rand(steps, n, generator=gen, dtype=torch.float64) < 0.2).double() * 3e-3
    jumps[0] = 0.0
    amps = torch.linspace(2e-10, 6e-10, n, dtype=torch.float64)

    def run(params):
        return run_driven(params, jumps, 3e-3, amps)

    custom = RefractoryLIF()
    builtin = LIFConfig(tau_m=20e-3, c_m=250e-12, v_rest=-70e-3, v_th=-55e-3, v_reset=-70e-3, t_ref=2e-3,
                        synapse="delta")
    s_c, i_c, v_c = run(custom)
    s_b, i_b, v_b = run(builtin)
    assert len(s_c) > 20 and (s_c, i_c) == (s_b, i_b)
    np.testing.assert_allclose(v_c, v_b, atol=1e-12)
    gaps = np.diff([s for s, i in zip(s_c, i_c, strict=True) if i == n - 1])
    assert gaps.min() > round(2e-3 / DT)  # at least 20 clamped steps after each spike
    s_free, _, _ = run(custom.model_copy(update={"t_ref": 0.0}))
    assert len(s_free) > len(s_c)
    layer = ModelNeurons(custom, dt=DT, i_ext=amps)
    spikes, (v_last, left) = layer.run(jumps[:, None, :])
    k_l, t_l = np.nonzero(spikes[:, 0].numpy().T)
    order = np.lexsort((k_l, t_l))
    assert (t_l[order].tolist(), k_l[order].tolist()) == (s_c, i_c)
    np.testing.assert_allclose(v_last[0].numpy(), v_c, atol=1e-12)
    assert ((left >= 0) & (left <= 20)).all()


def test_refractory_must_be_seconds_or_a_parameter():
    with pytest.raises(ConfigError, match="refractory"):
        class Bad(NeuronModel):
            state = ("v = 0",)
            equations = ("dv/dt = -v / 0.01",)
            threshold = "v >= 1"
            reset = ("v = 0",)
            refractory = "t_dead"
    with pytest.raises(ConfigError, match=r"refractory = -0.001"):
        class Negative(NeuronModel):
            state = ("v = 0",)
            equations = ("dv/dt = -v / 0.01",)
            threshold = "v >= 1"
            reset = ("v = 0",)
            refractory = -1e-3


class RefractoryCurrentLIF(NeuronModel):
    """LIF with an exponential synaptic current i as its input variable, exact propagators, refractory period."""

    state = ("v = v_rest", "i = 0")
    equations = ("v = v_rest + (v - v_rest) * exp(-dt / tau) + (1 - exp(-dt / tau)) * tau / c * I"
                 " + exp(-dt / tau) * (1 - exp(-dt * (1 / tau_s - 1 / tau))) / (1 / tau_s - 1 / tau) / c * i",
                 "i = i * exp(-dt / tau_s)")
    threshold = "v >= v_th"
    reset = ("v = v_reset",)
    input = "i"
    refractory = "t_ref"
    tau: float = Field(20e-3, gt=0, le=1.0, description="membrane time constant [s]")
    tau_s: float = Field(2e-3, gt=0, le=1.0, description="synaptic time constant [s]")
    c: float = Field(250e-12, gt=0, description="membrane capacitance [F]")
    v_rest: float = Field(-70e-3, description="resting potential [V]")
    v_th: float = Field(-55e-3, description="threshold [V]")
    v_reset: float = Field(-70e-3, description="reset potential [V]")
    t_ref: float = Field(2e-3, ge=0, le=1.0, description="absolute refractory period [s]")


def test_refractory_clamps_the_membrane_while_the_synaptic_current_integrates():
    """With a current as the input variable, the membrane is clamped and the current keeps its input during the
    refractory period: spike for spike with LIFConfig(synapse='current', t_ref)."""
    steps, n = 800, 5
    gen = torch.Generator().manual_seed(11)
    jumps = (torch.rand(steps, n, generator=gen, dtype=torch.float64) < 0.3).double() * 150e-12
    jumps[0] = 0.0
    amps = torch.linspace(1e-10, 4e-10, n, dtype=torch.float64)

    def run(params):
        return run_driven(params, jumps, 150e-12, amps)

    custom = RefractoryCurrentLIF()
    builtin = LIFConfig(tau_m=20e-3, c_m=250e-12, v_rest=-70e-3, v_th=-55e-3, v_reset=-70e-3, t_ref=2e-3,
                        synapse="current", tau_syn_exc=2e-3, tau_syn_inh=2e-3)
    s_c, i_c, v_c = run(custom)
    s_b, i_b, v_b = run(builtin)
    assert len(s_c) > 20 and (s_c, i_c) == (s_b, i_b)
    np.testing.assert_allclose(v_c, v_b, atol=1e-12)
    layer = ModelNeurons(custom, dt=DT, i_ext=amps)
    spikes, _ = layer.run(jumps[:, None, :])
    k_l, t_l = np.nonzero(spikes[:, 0].numpy().T)
    order = np.lexsort((k_l, t_l))
    assert (t_l[order].tolist(), k_l[order].tolist()) == (s_c, i_c)


class CondLIF(NeuronModel):
    """Conductance-based LIF (Brian2's COBA form): excitatory and inhibitory conductances as two input variables."""

    state = ("v = v_rest", "g_e = 0", "g_i = 0")
    equations = ("dv/dt = (v_rest - v + (g_e * (e_e - v) + g_i * (e_i - v) + I) / g_l) / tau",
                 "g_e = g_e * exp(-dt / tau_e)", "g_i = g_i * exp(-dt / tau_i)")
    threshold = "v > v_th"
    reset = ("v = v_rest",)
    input = ("g_e", "g_i")
    refractory = 5e-3
    tau: float = Field(20e-3, gt=0, le=1.0, description="membrane time constant [s]")
    tau_e: float = Field(5e-3, gt=0, le=1.0, description="excitatory conductance time constant [s]")
    tau_i: float = Field(10e-3, gt=0, le=1.0, description="inhibitory conductance time constant [s]")
    g_l: float = Field(10e-9, gt=0, description="leak conductance [S]")
    v_rest: float = Field(-60e-3, description="resting potential [V]")
    v_th: float = Field(-50e-3, description="threshold [V]")
    e_e: float = Field(0.0, description="excitatory reversal potential [V]")
    e_i: float = Field(-80e-3, description="inhibitory reversal potential [V]")


def test_two_input_variables_take_the_two_receptors():
    """receptor='exc' jumps g_e, 'inh' jumps g_i, in the network and in the layer (x, x_inh), spike for spike with a
    plain-Python reference."""
    m = CondLIF()
    steps, n = 600, 3
    gen = torch.Generator().manual_seed(5)
    exc = (torch.rand(steps, n, generator=gen, dtype=torch.float64) < 0.3).double() * 6e-9
    inh = (torch.rand(steps, n, generator=gen, dtype=torch.float64) < 0.2).double() * 4e-9
    exc[0] = inh[0] = 0.0
    net = Network(dt=DT, seed=0)
    pop = net.population(n, m)
    for jumps, receptor, w in ((exc, "exc", 6e-9), (inh, "inh", 4e-9)):
        t_idx, k_idx = torch.nonzero(jumps, as_tuple=True)
        net.connect(net.spike_source(n, t_idx.double() * DT, k_idx), pop, w, rule="one_to_one", receptor=receptor)
    sm = net.spike_monitor(pop)
    gi_mon = net.state_monitor(pop, "g_i")
    net.run(steps * DT)
    # reference: the same order in plain Python
    ref = np.zeros((steps, n), dtype=bool)
    v, ge, gi, left = np.full(n, m.v_rest), np.zeros(n), np.zeros(n), np.zeros(n)
    gi_ref = np.zeros((steps, n))
    for t in range(steps):
        held = v.copy()
        dv = (m.v_rest - v + (ge * (m.e_e - v) + gi * (m.e_i - v)) / m.g_l) / m.tau
        v = v + DT * dv
        ge, gi = ge * math.exp(-DT / m.tau_e), gi * math.exp(-DT / m.tau_i)
        ge, gi = ge + exc[t].numpy(), gi + inh[t].numpy()
        busy = left > 0.5
        v = np.where(busy, held, v)
        left = np.where(busy, left - 1, left)
        fire = ~busy & (v > m.v_th)
        v = np.where(fire, m.v_rest, v)
        left = np.where(fire, 50.0, left)
        ref[t], gi_ref[t] = fire, gi
    order = np.lexsort((sm.indices.numpy(), sm.steps.numpy()))
    t_ref, k_ref = np.nonzero(ref)
    assert ref.sum() > 5 and sm.steps.numpy()[order].tolist() == t_ref.tolist()
    assert sm.indices.numpy()[order].tolist() == k_ref.tolist()
    np.testing.assert_allclose(gi_mon.values.numpy(), gi_ref, rtol=1e-12, atol=1e-24)
    layer = ModelNeurons(m, dt=DT)
    spikes, (_, _, gi_last, _) = layer.run(exc[:, None, :], x_inh=inh[:, None, :])
    assert torch.equal(spikes[:, 0].bool(), torch.from_numpy(ref))
    np.testing.assert_allclose(gi_last[0].numpy(), gi_ref[-1], rtol=1e-12)
    with pytest.raises(ConfigError, match="one input variable"):
        ModelNeurons(QIF(), dt=DT).run(exc[:, None, :], x_inh=inh[:, None, :])
    with pytest.raises(ShapeError, match="x_inh"):
        layer.run(exc[:, None, :], x_inh=inh[:-1, None, :])
    with pytest.raises(ConfigError, match="two different"):
        class Same(NeuronModel):
            state = ("v = 0",)
            equations = ("dv/dt = -v / 0.01",)
            threshold = "v >= 1"
            reset = ("v = 0",)
            input = ("v", "v")


class Mixed(NeuronModel):
    """An explicit update that reads an ODE variable: it must see the start-of-step value."""

    state = ("v = 0", "w = 0")
    equations = ("dv/dt = 1 / tau", "w = v")
    threshold = "v >= 10"
    reset = ("v = 0",)
    tau: float = Field(1e-3, gt=0, le=1.0, description="time scale [s]")


def test_explicit_updates_read_the_start_of_step_state():
    layer = ModelNeurons(Mixed(), dt=DT)
    _, (v, w) = layer.run(torch.zeros(3, 1, 1, dtype=torch.float64))
    assert float(v) == pytest.approx(0.3) and float(w) == pytest.approx(0.2)  # w lags v by one step
    net = Network(dt=DT)
    pop = net.population(1, Mixed())
    net.run(3 * DT)
    assert float(net.state(pop, "w")[0]) == pytest.approx(0.2)
