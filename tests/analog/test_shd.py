"""SHD: one-parameter SGD bias, phase portraits (orbit vs spiral), the 3- and 4-device layouts."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from neurofab.analog.shd import shd_config, single_parameter_sgd, single_parameter_shd
from neurofab.core import ConfigError, ShapeError
from neurofab.devices import ConstantStep, SoftBounds

QUIET = {"dw_min_dtod": 0.0, "dw_min_std": 0.0, "up_down_dtod": 0.0, "w_min_dtod": 0.0, "w_max_dtod": 0.0}


def _shd(device, steps=3000):
    a = device.build((1,), seed=0)
    c = ConstantStep(dw_min=0.001, w_min=-1.0, w_max=1.0, **QUIET).build((1,), seed=1)
    # a symmetric constant step is symmetric everywhere: reference at 0
    ref = a.symmetry_point() if isinstance(device, SoftBounds) else torch.zeros(1)
    a.set_weights(ref.clone())
    c.set_weights(ref.clone())
    return single_parameter_shd(a, c, ref, torch.tensor([0.3]), steps, 0.05, 0.05, mode="expected")


def test_shd_on_ideal_device_orbits_without_decay():
    t = _shd(ConstantStep(dw_min=0.001, w_min=-1.0, w_max=1.0, **QUIET))
    e = t.energy()[:, 0]
    assert float(e[-500:].min()) > 0.8 * float(e[:200].max())
    assert float(t.position[:, 0].min()) < -0.2 and float(t.position[:, 0].max()) > -0.05  # it keeps swinging


def test_shd_on_asymmetric_device_spirals_in():
    t = _shd(SoftBounds(dw_min=0.001, w_min=-1.0, w_max=1.0, up_down=0.2, **QUIET))
    e = t.energy()[:, 0]
    windows = e.reshape(10, -1).max(dim=1).values
    assert all(float(b) < float(a) for a, b in itertools.pairwise(windows))  # energy decreases
    assert float(e[-1]) < 0.05 * float(e[:200].max())
    assert abs(float(t.position[-1, 0])) < 0.06


def test_single_parameter_sgd_bias_matches_stationary_point():
    g0 = torch.tensor([-0.5, 0.5])
    arr = SoftBounds(dw_min=0.001, w_min=-1.0, w_max=1.0, **QUIET).build((2,), seed=0)
    arr.set_weights(g0.clone())
    traj = single_parameter_sgd(arr, g0, 3000, 0.05, 0.5, mode="expected", seed=0, record_every=10)
    bias = traj[150:].mean(0) - g0
    s = 0.5 * math.sqrt(2 / math.pi)
    assert torch.allclose(bias, -s / (1 + s) * g0, rtol=0.2)
    ideal = ConstantStep(dw_min=0.001, w_min=-1.0, w_max=1.0, **QUIET).build((2,), seed=0)
    ideal.set_weights(g0.clone())
    traj = single_parameter_sgd(ideal, g0, 3000, 0.05, 0.5, mode="expected", seed=0, record_every=10)
    assert float((traj[150:].mean(0) - g0).abs().max()) < 0.03


def test_layouts_and_bad_input():
    dev = SoftBounds()
    assert shd_config(0.1).devices_per_weight == 3
    assert shd_config(0.1, four_devices=True).devices_per_weight == 4
    arr = dev.build((2,))
    with pytest.raises(ShapeError):
        single_parameter_sgd(arr, torch.zeros(3), 1, 0.1, 0.0)
    with pytest.raises(ConfigError):
        single_parameter_sgd(arr, torch.zeros(2), 1, -0.1, 0.0)
