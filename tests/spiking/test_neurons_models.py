"""Izhikevich, AdEx and the integer accumulator: fixed points, rheobase, adaptation, wrap-around, errors."""

import math

import pytest
import torch
from scipy.optimize import brentq

from neurofab.core import ConfigError, InputTypeError, ShapeError
from neurofab.spiking.network import Network
from neurofab.spiking.neurons import (
    ADEX_BRETTE_GERSTNER,
    IZHIKEVICH_RS,
    AdExConfig,
    IntegerIFConfig,
    IzhikevichConfig,
    SynapticInput,
    init_state,
    integer_if_step,
    propagators,
    step,
    wrap,
)

F64 = torch.float64
DT = 1e-4


def drive(params, currents, steps, dt=DT):
    """Hold ``currents`` on one neuron each for ``steps`` steps; returns (final v, final w, spike raster).

    Long runs go through the network kernel, which test_network.py checks equals the torch step functions."""
    net = Network(dt=dt, seed=0)
    pop = net.population(len(currents), params)
    net.dc(pop, torch.tensor(currents, dtype=F64))
    mon = net.spike_monitor(pop)
    net.run(steps * dt)
    raster = torch.zeros(steps, len(currents))
    raster[mon.steps, mon.indices] = 1.0
    return net.state(pop, "v"), net.state(pop, "w"), raster


def izhikevich_rheobase(p: IzhikevichConfig) -> float:
    # fixed points of k x (x − (v_t − v_r)) − b x + I = 0 (x = V − v_r, u = b x) vanish at the saddle-node
    return (p.k * (p.v_t - p.v_rest) + p.b) ** 2 / (4 * p.k)


def test_izhikevich_rest_is_a_fixed_point_and_subthreshold_settles():
    p = IZHIKEVICH_RS
    rheo = izhikevich_rheobase(p)
    assert rheo == pytest.approx(51.43e-12, rel=1e-3, abs=0)
    # forward Euler has the ODE's fixed points, so a coarse step (one sub-step of 0.2 ms) suffices here
    v, w, spikes = drive(p.replace(max_substep=2e-4), [0.0, 0.9 * rheo], 10000, dt=2e-4)
    assert spikes.sum() == 0
    assert v[0].item() == pytest.approx(p.v_rest, abs=1e-12)
    # the lower root of k x² − (k (v_t − v_r) + b) x + I = 0
    bb = p.k * (p.v_t - p.v_rest) + p.b
    x = (bb - math.sqrt(bb**2 - 4 * p.k * 0.9 * rheo)) / (2 * p.k)
    assert v[1].item() == pytest.approx(p.v_rest + x, abs=1e-5)
    assert w[1].item() == pytest.approx(p.b * x, rel=1e-2, abs=0)
    # and the torch step function holds the rest state exactly
    plan = propagators(p, DT)
    s = init_state(p, 1, dtype=F64)
    for _ in range(50):
        s = step(s, SynapticInput(), p, plan)
    assert s.v.item() == p.v_rest and s.w.item() == 0.0


def test_izhikevich_fires_above_rheobase_and_resets():
    p = IZHIKEVICH_RS
    _, _, spikes = drive(p, [1.2 * izhikevich_rheobase(p), 300e-12], 5000)
    counts = spikes.sum(0)
    assert 0 < counts[0] < counts[1]
    # the step after a spike starts from the reset value c
    plan = propagators(p, DT)
    s = init_state(p, 1, p.v_peak - 1e-3, dtype=F64)
    s = step(s, SynapticInput(i_ext=torch.tensor([1e-9], dtype=F64)), p, plan)
    assert s.spikes.item() == 1 and s.v.item() == p.c
    assert s.w.item() == pytest.approx(p.b * (p.v_peak - 1e-3 - p.v_rest) + p.d, rel=1e-2, abs=0)


def test_adex_subthreshold_fixed_point_and_adaptation():
    p = AdExConfig()

    def current_balance(v, i):
        return -p.g_leak * (v - p.v_rest) + p.g_leak * p.delta_t * math.exp((v - p.v_t) / p.delta_t) \
            - p.a * (v - p.v_rest) + i  # fmt: skip

    i_sub = 200e-12
    v_star = brentq(current_balance, p.v_rest - 5e-3, p.v_t, args=(i_sub,))
    v, _, spikes = drive(p.replace(max_substep=2e-4), [i_sub], 5000, dt=2e-4)
    assert spikes.sum() == 0
    assert v[0].item() == pytest.approx(v_star, abs=2e-5)
    _, _, spikes = drive(p, [0.0, 1e-9], 5000)
    # spike-frequency adaptation: the inter-spike intervals lengthen under a constant step of current
    times = torch.nonzero(spikes[:, 1]).flatten()
    isi = torch.diff(times)
    assert len(isi) >= 3 and isi[-1] > isi[0]


def test_adex_euler_substeps_converge():
    coarse = ADEX_BRETTE_GERSTNER.replace(max_substep=1e-4)
    fine = ADEX_BRETTE_GERSTNER.replace(max_substep=1e-5)
    *_, s_coarse = drive(coarse, [1e-9], 10000)
    *_, s_fine = drive(fine, [1e-9], 10000)
    assert s_fine.sum() >= 5
    assert abs(int(s_coarse.sum()) - int(s_fine.sum())) <= 1
    assert propagators(fine, DT).substeps == 10


def test_adex_refractory_clamps_membrane():
    p = AdExConfig(t_ref=2e-3)
    plan = propagators(p, DT)
    s = init_state(p, 1, p.v_peak - 1e-4, dtype=F64)
    s = step(s, SynapticInput(i_ext=torch.tensor([2e-9], dtype=F64)), p, plan)
    assert s.spikes.item() == 1 and s.refractory.item() == 20
    for _ in range(20):
        s = step(s, SynapticInput(i_ext=torch.tensor([2e-9], dtype=F64)), p, plan)
        assert s.v.item() == p.v_reset
    s = step(s, SynapticInput(i_ext=torch.tensor([2e-9], dtype=F64)), p, plan)
    assert s.v.item() > p.v_reset


def test_wrap_is_twos_complement():
    x = torch.tensor([127, 128, 255, 256, -128, -129, 1000], dtype=torch.int64)
    assert wrap(x, 8).tolist() == [127, -128, -1, 0, -128, 127, -24]


def test_integer_accumulator_fires_resets_and_wraps():
    p = IntegerIFConfig(bits=8, threshold=100)
    s = init_state(p, 3, torch.tensor([0, 50, 90]))
    s = integer_if_step(s, torch.tensor([60, 100, 5]), p)
    # 60 stays below; 50 + 100 = 150 wraps to −106 (no spike); 95 below
    assert s.v.tolist() == [60, -106, 95] and s.spikes.tolist() == [0, 0, 0]
    s = integer_if_step(s, torch.tensor([60, 0, 5]), p)
    assert s.spikes.tolist() == [1, 0, 1] and s.v.tolist() == [0, -106, 0]
    sub = p.replace(reset_mode="subtract")
    s = integer_if_step(init_state(sub, 1, torch.tensor([90])), torch.tensor([30]), sub)
    assert s.spikes.item() == 1 and s.v.item() == 20


def test_integer_accumulator_leak_and_refractory():
    p = IntegerIFConfig(bits=16, threshold=10, leak=-1, refractory_steps=2)
    s = init_state(p, 1)
    values = []
    for x in [5, 0, 0, 20, 7, 7, 0]:
        s = integer_if_step(s, torch.tensor([x]), p)
        values.append((s.v.item(), s.spikes.item()))
    # 4, 3, 2, 21→spike→0, frozen, frozen, −1
    assert values == [(4, 0), (3, 0), (2, 0), (0, 1), (0, 0), (0, 0), (-1, 0)]


@pytest.mark.parametrize(
    ("cls", "bad"),
    [
        (IntegerIFConfig, {"bits": 8, "threshold": 200}),
        (IntegerIFConfig, {"bits": 1}),
        (IntegerIFConfig, {"v_reset": 64, "threshold": 64}),
        (IzhikevichConfig, {"v_t": -70e-3}),
        (IzhikevichConfig, {"a": 0.0}),
        (AdExConfig, {"delta_t": 0.0}),
        (AdExConfig, {"v_reset": 10e-3}),
        (AdExConfig, {"max_substep": -1.0}),
    ],
)
def test_bad_parameters(cls, bad):
    with pytest.raises(ConfigError):
        cls(**bad)


def test_bad_inputs():
    p = IntegerIFConfig()
    with pytest.raises(InputTypeError, match="integers"):
        integer_if_step(init_state(p, 2), torch.tensor([0.5, 1.0]), p)
    with pytest.raises(InputTypeError):
        init_state(p, 2, 0.5)
    with pytest.raises(ShapeError):
        integer_if_step(init_state(p, 2), torch.tensor([1, 2, 3]), p)
    with pytest.raises(InputTypeError, match="EulerPlan"):
        step(init_state(IZHIKEVICH_RS, 1), 0.0, IZHIKEVICH_RS, propagators(AdExConfig(), DT)._replace(dt=1)[1:])
