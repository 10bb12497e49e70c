"""Inference layers and model-level verbs: conversion, program → drift → read, GDC end to end, Monte Carlo."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.analog.hwa import HWAConfig, InputRangeConfig
from neurofab.analog.inference import (
    InferenceConfig,
    InferenceLinear,
    MonteCarloResult,
    accuracy,
    calibrate_input_ranges,
    convert_to_inference,
    drift_to,
    inference_layers,
    monte_carlo,
    program,
    reconfigure,
    reset,
)
from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError
from neurofab.crossbar.inference_tile import InferenceTileConfig
from neurofab.crossbar.io import IOConfig
from neurofab.crossbar.noise_models import GaussianNoiseModel, PCMNoiseModel, RRAMRetentionNoiseModel


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 5))


def _ideal(**tile):
    return InferenceConfig(tile=InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=IOConfig.perfect(),
                                                    **tile))


def test_conversion_keeps_the_function_with_ideal_devices():
    net = _net()
    x = torch.randn(7, 12)
    model = convert_to_inference(net, _ideal()).eval()
    assert len(inference_layers(model)) == 2 and isinstance(model[0], InferenceLinear)
    with torch.no_grad():
        assert torch.allclose(model(x), net(x), atol=1e-5)
        program(model, 0)
        drift_to(model, 3600.0, 0)
        assert torch.allclose(model(x), net(x), atol=1e-5)
    assert isinstance(net[0], nn.Linear)  # the original is untouched
    single = convert_to_inference(nn.Linear(3, 2), _ideal())
    assert isinstance(single, InferenceLinear)


def test_gdc_end_to_end_on_a_uniformly_drifting_model():
    net = _net(1)
    x = torch.randn(9, 12)
    model_cfg = RRAMRetentionNoiseModel(nu_mean=0.06, nu_std=0.0, t_0=20.0)
    gdc = convert_to_inference(net, InferenceConfig(tile=InferenceTileConfig(
        noise_model=model_cfg, forward=IOConfig.perfect()))).eval()
    none = reconfigure(gdc, InferenceConfig(tile=InferenceTileConfig(
        noise_model=model_cfg, forward=IOConfig.perfect(), drift_compensation="none"))).eval()
    with torch.no_grad():
        for m in (gdc, none):
            program(m, 0)
            drift_to(m, 2592000.0, 0)
        assert torch.allclose(gdc(x), net(x), atol=1e-5)
        assert not torch.allclose(none(x), net(x), atol=1e-2)


def test_program_and_drift_are_reproducible_and_repeats_differ():
    net = _net(2)
    x = torch.rand(50, 12)
    model = convert_to_inference(net, InferenceConfig()).eval()
    outs = []
    for s in (3, 3, 4):
        program(model, s)
        drift_to(model, 86400.0, s)
        with torch.no_grad():
            outs.append(model(x))
    assert torch.equal(outs[0], outs[1])
    assert not torch.equal(outs[0], outs[2])
    reset(model)
    assert not model[0].tile.programmed


def test_monte_carlo_shapes_statistics_and_reset():
    net = _net(3)
    x, y = torch.rand(200, 12), torch.randint(0, 5, (200,))
    model = convert_to_inference(net, InferenceConfig())
    res = monte_carlo(model, lambda m: accuracy(m, x, y), [1.0, 86400.0], repeats=4, seed=0)
    assert res.values.shape == (4, 2)
    assert torch.allclose(res.mean, res.values.mean(0))
    assert torch.allclose(res.sem, res.values.std(0) / 2)
    assert len(res.values[:, 0].unique()) > 1  # independent programmings
    assert not any(layer.tile.programmed for layer in inference_layers(model))
    again = monte_carlo(model, lambda m: accuracy(m, x, y), [1.0, 86400.0], repeats=4, seed=0)
    assert torch.equal(res.values, again.values)
    one = MonteCarloResult([1.0], torch.tensor([[0.5]]))
    assert float(one.sem[0]) == 0.0
    with pytest.raises(InputTypeError):
        monte_carlo(model, lambda m: 0.0, [], 2)
    with pytest.raises(InputTypeError):
        program(_net(), 0)


def test_pcm_accuracy_falls_without_gdc_over_a_month():
    # a deep, normalisation-free chain: outputs shrink with drift; GDC keeps them
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4))
    x = torch.randn(300, 16)
    with torch.no_grad():
        ref = net(x)

    def err(kind):
        cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=PCMNoiseModel(gamma=0.0),
                                                       forward=IOConfig.perfect(), drift_compensation=kind))
        m = convert_to_inference(net, cfg).eval()
        program(m, 0)
        drift_to(m, 2592000.0, 0)
        with torch.no_grad():
            return float((m(x) - ref).norm() / ref.norm())

    assert err("global") < 0.5 * err("none")


def test_config_validation_and_preset():
    with pytest.raises(ConfigError, match="noise_management"):
        InferenceConfig(input_range=InputRangeConfig())  # abs-max noise management by default
    with pytest.raises(ConfigError, match="output_affine"):
        InferenceConfig(hwa=HWAConfig(remap="column"))
    cfg = InferenceConfig.spoon2021(gamma=0.5)
    io = cfg.tile.forward
    assert io.inp_bits == 8 and io.out_bits == 10 and io.out_bound == 10.0
    assert io.out_noise == pytest.approx(0.5 * 20.0 / 1022)
    assert cfg.tile.noise_model.gamma == 0.5 and cfg.output_affine and cfg.input_range is not None
    assert cfg.tile.max_input_size == 512 and cfg.tile.max_output_size == 512


def test_learned_input_range_sets_the_dac_full_scale():
    cfg = InferenceConfig(
        tile=InferenceTileConfig(noise_model=GaussianNoiseModel(),
                                 forward=IOConfig(noise_management="none", inp_bits=None, out_bits=None,
                                                  out_bound=None, out_noise=0.0, bound_management="none")),
        input_range=InputRangeConfig(init_value=0.5),
    )
    layer = InferenceLinear(4, 3, config=cfg).eval()
    x = torch.tensor([[0.2, -0.3, 2.0, -4.0]])
    with torch.no_grad():
        y = layer(x)
        clipped = x.clamp(-0.5, 0.5)
        assert torch.allclose(y, clipped @ layer.weight.T + layer.bias, atol=1e-6)


def test_calibrate_input_ranges():
    cfg = InferenceConfig.spoon2021()
    model = convert_to_inference(_net(4), cfg)
    x = torch.randn(400, 12) * 2.5
    calibrate_input_ranges(model, x)
    assert float(model[0].input_range.detach()) == pytest.approx(3 * float(x.std()), rel=1e-5)
    assert float(model[2].input_range.detach()) > 0
    assert int(model[0].range_batches) == cfg.input_range.init_from_data


def test_reconfigure_keeps_weights_and_checks_structure():
    model = convert_to_inference(_net(5), InferenceConfig())
    other = reconfigure(model, InferenceConfig(tile=InferenceTileConfig(drift_compensation="none")))
    assert torch.equal(other[0].weight, model[0].weight)
    assert other[0].config.tile.drift_compensation == "none"
    with pytest.raises(InputTypeError):
        reconfigure(model, InferenceConfig.spoon2021())


def test_bad_input():
    layer = InferenceLinear(4, 3)
    with pytest.raises(ShapeError):
        layer(torch.zeros(2, 5))
    with pytest.raises(NumericalError):
        layer(torch.tensor([[0.0, float("nan"), 0.0, 0.0]]))
    with pytest.raises(InputTypeError):
        InferenceLinear(4, 3, config=InferenceTileConfig())
    with pytest.raises(ShapeError):
        InferenceLinear(0, 3)
    with pytest.raises(ShapeError):
        accuracy(layer, torch.zeros(3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(InputTypeError):
        convert_to_inference("not a model")
