"""PCM drift of the programmed devices or of the re-split programmed weight (aihwkit 1.1's apply_drift_noise)."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import ConfigError
from neurofab.crossbar.mapping import ConductanceMapping
from neurofab.crossbar.noise_models import PCMNoiseModel, StuckAtFaults

G_MAX = 25e-6


def _programmed(model: PCMNoiseModel, seed: int = 1):
    w = torch.linspace(-0.8, 0.6, 15, dtype=torch.float64).reshape(3, 5)
    return model.program(model.to_conductances(w), seed)


def test_net_drift_is_the_resplit_programmed_weight_by_hand():
    t = 86400.0
    net = PCMNoiseModel(drift_of="net", read_noise_scale=0.0)
    prog = _programmed(net)
    d = prog.g_prog[0] - prog.g_prog[1]  # the programmed weight [S]; both devices carry programming noise
    assert float(prog.g_prog[1][d > 0].abs().max()) > 0
    k = G_MAX / float(d.abs().max())
    f = ((t + 20.0) / 20.0) ** (-prog.params)
    expected = torch.stack((torch.relu(d * k), torch.relu(-d * k))) * f / k
    got = net.conductance_at(prog, t)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=0.0)
    # at t = 0 the weight is the programmed one, carried by one device of the pair
    at0 = net.conductance_at(prog, 0.0)
    torch.testing.assert_close(at0[0] - at0[1], d, rtol=1e-12, atol=1e-20)
    assert bool(((at0[0] == 0) | (at0[1] == 0)).all())
    # each device drifting on its own keeps the programmed pair (the zero-target device drifts too)
    devices = PCMNoiseModel(read_noise_scale=0.0)
    torch.testing.assert_close(devices.conductance_at(prog, t), prog.g_prog * f, rtol=1e-12, atol=0.0)


def test_net_read_noise_uses_q_s_of_the_resplit_pair():
    t = 3600.0
    net = PCMNoiseModel(drift_of="net", read_noise="per_mvm")
    prog = _programmed(net, seed=4)
    g_t = net.conductance_at(prog, t)
    d = prog.g_prog[0] - prog.g_prog[1]
    k = G_MAX / float(d.abs().max())
    base = torch.stack((torch.relu(d * k), torch.relu(-d * k)))
    q_s = torch.clamp(0.0088 / torch.clamp((base / G_MAX) ** 0.65, min=1e-3), max=0.2)
    factor = math.sqrt(math.log((t + 20.0 + 250e-9) / 500e-9))
    torch.testing.assert_close(net.read_std(prog, g_t, t), factor * g_t.abs() * q_s, rtol=1e-12, atol=0.0)
    # frozen at drift: the same std around the drifted pair, never below 0, same seed same draw
    frozen = net.replace(read_noise="at_drift")
    a, b = frozen.conductance_at(prog, t, 5), frozen.conductance_at(prog, t, 5)
    assert torch.equal(a, b) and float(a.min()) >= 0


def test_net_drift_needs_a_differential_pair_without_stuck_devices():
    with pytest.raises(ConfigError, match="drift_of"):
        PCMNoiseModel(drift_of="net", converter=ConductanceMapping(scheme="reference"))
    with pytest.raises(ConfigError, match="drift_of"):
        PCMNoiseModel(drift_of="net", faults=StuckAtFaults(p_off=0.01))
    with pytest.raises(ConfigError, match="drift_of"):
        PCMNoiseModel(drift_of="pairs")
