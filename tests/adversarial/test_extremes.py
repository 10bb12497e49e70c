"""Extreme but legal parameters: every device family, noise model and neuron kind gives finite results, or a clear
ConfigError before any work — never NaN, never a bare exception from inside a kernel."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError, NeurofabError
from neurofab.crossbar import GaussianNoiseModel, PCMNoiseModel, ReRAMPolynomialNoiseModel
from neurofab.devices import (
    ConstantStep,
    ExpStep,
    LinearStep,
    NeuroSimNonlinear,
    PiecewiseStep,
    PowStep,
    SoftBounds,
)
from neurofab.spiking import Network
from neurofab.spiking.neurons import AdExConfig, IFConfig, IzhikevichConfig, LIFConfig

from .configs import numeric_fields, valid_value

FAMILIES = [ConstantStep, LinearStep, SoftBounds, ExpStep, PowStep, PiecewiseStep, NeuroSimNonlinear]


def pulse_and_read(device) -> torch.Tensor:
    """Pulse a small array up and down; the weights it reads, checked against each device's own bounds."""
    arr = device.build((6, 5), seed=3)
    counts = torch.tensor([[50, -50, 7, -7, 0]] * 6)
    for _ in range(4):
        arr.pulse(counts)
        arr.pulse(-counts)
    w = arr.get_weights()
    if torch.isfinite(w).all() and not arr.has_write_noise:
        slack = 1e-6 * (1 + arr.w_max.abs().max())
        assert (w <= arr.w_max + slack).all() and (w >= arr.w_min - slack).all(), "a weight left its bounds"
    return w


@pytest.mark.parametrize("family", FAMILIES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_device_families_at_extremes(family, data):
    base = family()
    fields = numeric_fields(family)
    names = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4, unique=True))
    changes = {n: data.draw(valid_value(*fields[n], getattr(base, n)), label=n) for n in names}
    try:
        device = base.replace(**changes)
        w = pulse_and_read(device)
    except ConfigError:
        return  # refused with a clear error, before any pulse
    assert torch.isfinite(w).all(), f"{family.__name__}{changes}: non-finite weights"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda c: c.__name__)
def test_device_families_at_their_field_limits(family):
    for name, (kind, (lo, hi, lo_open, hi_open)) in numeric_fields(family).items():
        for value in (lo, hi):
            if not math.isfinite(value) or (value == lo and lo_open) or (value == hi and hi_open):
                continue
            try:
                device = family().replace(**{name: int(value) if kind == "int" else value})
                w = pulse_and_read(device)
            except ConfigError:
                continue
            assert torch.isfinite(w).all(), f"{family.__name__}.{name} = {value}: non-finite weights"


@pytest.mark.parametrize("model", [PCMNoiseModel(), PCMNoiseModel(gamma=0.0), PCMNoiseModel(t_0=250e-9),
                                   GaussianNoiseModel(), ReRAMPolynomialNoiseModel()], ids=repr)
def test_noise_models_over_time(model):
    g = torch.linspace(0, 1, 20) * model.g_max
    prog = model.program(g, generator=0)
    for t in (0.0, 1e-9, 1.0, 3.15e7, 3.15e9):
        g_t = model.conductance_at(prog, t, generator=1)
        assert torch.isfinite(g_t).all()
        std = model.read_std(prog, g_t, t)
        assert std is None or torch.isfinite(std).all()
    with pytest.raises(NeurofabError):
        model.conductance_at(prog, -1.0)
    with pytest.raises(NeurofabError):
        model.program(torch.tensor([float("nan")]))


@pytest.mark.parametrize("config", [
    LIFConfig(tau_m=1e-30), LIFConfig(tau_m=1.0), LIFConfig(tau_m=1e-4, tau_syn_exc=1e-1),
    LIFConfig(tau_syn_exc=1e-30, tau_syn_inh=1e-30), IFConfig(), IzhikevichConfig(), AdExConfig(),
], ids=lambda c: type(c).__name__)
@pytest.mark.parametrize("dt", [1e-6, 1e-4, 1e-2])
def test_neurons_at_extremes_stay_finite(config, dt):
    net = Network(dt=dt)
    try:
        pop = net.population(4, config)
        net.dc(pop, 1e-9)
        mon = net.state_monitor(pop, "v")
        net.run(20 * dt)
    except ConfigError:
        return  # e.g. t_ref not a whole number of steps: said before any step
    assert torch.isfinite(mon.values).all()
