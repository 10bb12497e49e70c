"""Hardware-aware training: straight-through gradients, the learned input range, weight noise, clip and remap."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from neurofab.analog.hwa import (
    HWAConfig,
    InputRangeConfig,
    clip_input_range,
    fit,
    ste_quantize,
    ste_round,
    straight_through,
    weight_noise,
)
from neurofab.analog.inference import InferenceConfig, InferenceLinear
from neurofab.core import InputTypeError, ShapeError
from neurofab.crossbar.inference_tile import InferenceTileConfig
from neurofab.crossbar.io import IOConfig
from neurofab.crossbar.noise_models import GaussianNoiseModel, PCMNoiseModel


def test_ste_round_passes_the_gradient_straight_through():
    x = torch.tensor([0.2, 0.7, -1.6], requires_grad=True)
    y = ste_round(x)
    assert torch.equal(y, torch.tensor([0.0, 1.0, -2.0]))
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.equal(x.grad, torch.tensor([1.0, 2.0, 3.0]))


def test_ste_quantize_levels_and_gradient():
    x = torch.tensor([0.04, 0.26, -0.33, 0.9, -2.0], requires_grad=True)
    y = ste_quantize(x, 0.1, bound=0.5)
    assert torch.allclose(y, torch.tensor([0.0, 0.3, -0.3, 0.5, -0.5]))
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0]))  # zero beyond the bound
    # a learnable step gets the LSQ gradient round(x/s) − x/s: (3 − 2.6) + (4 − 4.1) = 0.3
    s = torch.tensor(0.1, requires_grad=True)
    ste_quantize(torch.tensor([0.26, 0.41]), s).sum().backward()
    assert float(s.grad) == pytest.approx(0.3, abs=1e-5)


def test_straight_through_value_and_gradient():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    surrogate = w * 3.0
    hardware = torch.tensor([7.0, 8.0])
    y = straight_through(hardware, surrogate)
    assert torch.equal(y, hardware)
    y.sum().backward()
    assert torch.equal(w.grad, torch.tensor([3.0, 3.0]))


def test_input_range_gradient_by_hand():
    cfg = InputRangeConfig(decay=0.0)
    x = torch.tensor([0.5, 2.0, -3.0, 0.1], requires_grad=True)
    r = torch.tensor(1.0, requires_grad=True)
    y = clip_input_range(x, r, cfg)
    assert torch.equal(y.detach(), torch.tensor([0.5, 1.0, -1.0, 0.1]))
    g = torch.tensor([1.0, -2.0, 3.0, 4.0])
    y.backward(g)
    assert torch.equal(x.grad, torch.tensor([1.0, 0.0, 0.0, 4.0]))
    # aihwkit: Σ_upper min(g, 0) − Σ_lower max(g, 0), times r (relative gradient): −2 − 3 = −5
    assert float(r.grad) == pytest.approx(-5.0)


def test_input_range_decay_acts_only_when_few_inputs_clip():
    cfg = InputRangeConfig(decay=0.01, input_min_percentage=0.9)
    r = torch.tensor(2.0, requires_grad=True)
    clip_input_range(torch.linspace(-1, 1, 100), r, cfg).sum().backward()
    assert float(r.grad) == pytest.approx(0.01 * 2.0)  # all inside: only the decay
    r2 = torch.tensor(0.5, requires_grad=True)
    clip_input_range(torch.linspace(-1, 1, 100), r2, cfg).backward(torch.zeros(100))
    assert float(r2.grad) == 0.0  # half clipped: no decay
    fixed = torch.tensor(1.0, requires_grad=True)
    clip_input_range(torch.tensor([3.0], requires_grad=True), fixed, cfg.replace(learn=False)).sum().backward()
    assert fixed.grad is None


def test_weight_noise_kinds():
    gen = torch.Generator().manual_seed(0)
    w = torch.full((400, 500), 0.5)
    w[0, 0] = 2.0
    add = weight_noise(w, HWAConfig(weight_noise="additive", weight_noise_std=0.1), None, gen)
    assert float(add.std()) == pytest.approx(0.1 * 2.0, rel=0.01)
    mult = weight_noise(w, HWAConfig(weight_noise="multiplicative", weight_noise_std=0.1), None, gen)
    assert float(mult[1:].std()) == pytest.approx(0.05, rel=0.01)
    assert weight_noise(w, HWAConfig(), None, gen) is None
    with pytest.raises(InputTypeError):
        weight_noise(w, HWAConfig(weight_noise="programming", weight_noise_std=1.0), None, gen)


def test_programming_shaped_noise_matches_the_pcm_polynomial():
    gen = torch.Generator().manual_seed(1)
    w = torch.ones(300, 300, dtype=torch.float64)  # every weight at w_max ↔ g_max
    w[0, 0] = -1.0
    pcm = PCMNoiseModel()
    noise = weight_noise(w, HWAConfig(weight_noise="programming", weight_noise_std=2.0), pcm, gen)
    sig = math.hypot(1.05538e-6, 0.26348e-6) / 25e-6  # σ(g_max) and σ(0) of the pair, in weight units
    assert float(noise.std()) == pytest.approx(2.0 * sig, rel=0.01)


def _layer(**kw):
    io = IOConfig(inp_bits=4, out_bits=None, out_bound=None, out_noise=0.0, bound_management="none")
    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=io), **kw)
    torch.manual_seed(0)
    return InferenceLinear(6, 3, config=cfg)


def test_hwa_forward_is_the_hardware_and_backward_is_ideal():
    layer = _layer().train()
    x = torch.rand(5, 6)
    y = layer(x)
    with torch.no_grad():
        hw = layer.tile.read_reference(x, layer.weight) + layer.bias
    assert torch.allclose(y, hw, atol=1e-6)  # the 4-bit DAC is in the forward pass
    assert not torch.allclose(y, x @ layer.weight.T + layer.bias, atol=1e-3)
    g = torch.randn(5, 3)
    y.backward(g)
    assert torch.allclose(layer.weight.grad, g.T @ x, atol=1e-6)  # dL/dW of the ideal layer
    assert torch.allclose(layer.bias.grad, g.sum(0))


def test_input_range_initialised_from_the_data():
    io = IOConfig(noise_management="none", inp_bits=8, out_bits=None, out_bound=None, out_noise=0.0,
                  bound_management="none")
    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=io),
                          input_range=InputRangeConfig(init_from_data=2))
    layer = InferenceLinear(6, 3, config=cfg).train()
    x1, x2, x3 = torch.randn(50, 6), 3 * torch.randn(50, 6), 10 * torch.randn(50, 6)
    layer(x1)
    assert float(layer.input_range.detach()) == pytest.approx(3 * float(x1.std()), rel=1e-5)
    layer(x2)
    expected = (3 * float(x1.std()) + 3 * float(x2.std())) / 2
    assert float(layer.input_range.detach()) == pytest.approx(expected, rel=1e-5)
    layer(x3)  # after init_from_data batches the range is only learned
    assert float(layer.input_range.detach()) == pytest.approx(expected, rel=1e-5)


def test_clip_and_remap_after_a_step():
    cfg_io = IOConfig.perfect()
    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=cfg_io),
                          hwa=HWAConfig(clip="fixed", clip_value=0.3, remap="column"), output_affine=True)
    layer = InferenceLinear(5, 4, config=cfg).eval()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.1, -0.2, 0.05, 0.0, 0.2]] * 4) * torch.tensor([[1.0], [2.0], [4.0], [0.5]]))
    x = torch.randn(3, 5)
    with torch.no_grad():
        clipped = layer.weight.clamp(-0.3, 0.3)
        before = x @ clipped.T + layer.bias
        layer.post_step()
        assert float(layer.weight.abs().amax(dim=1).min()) == pytest.approx(1.0)  # every column remapped to 1
        assert torch.allclose(layer(x), before, atol=1e-6)  # the function is kept by the output scale
    gauss = InferenceLinear(5, 4, config=InferenceConfig(hwa=HWAConfig(clip="gaussian", clip_sigma=0.5)))
    with torch.no_grad():
        limit = 0.5 * float(gauss.weight.std())
        gauss.post_step()
        assert float(gauss.weight.abs().max()) <= limit + 1e-7


def test_fit_learns_and_checks_input():
    torch.manual_seed(0)
    x = torch.randn(200, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 2))
    history = fit(model, x, y, epochs=15, lr=0.05, batch_size=32)
    assert history[-1] < 0.5 * history[0]
    with pytest.raises(ShapeError):
        fit(model, x, y[:10], epochs=1)


def test_fit_runs_epoch_start_before_each_epoch_and_nothing_else_changes():
    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    torch.manual_seed(0)
    plain, hooked = nn.Linear(3, 2), nn.Linear(3, 2)
    hooked.load_state_dict(plain.state_dict())
    seen = []
    fit(plain, x, y, epochs=3, batch_size=16, seed=5)
    fit(hooked, x, y, epochs=3, batch_size=16, seed=5,
        epoch_start=lambda m, e: seen.append((e, m.weight.detach().clone())))
    assert [e for e, _ in seen] == [0, 1, 2]
    assert not torch.equal(seen[0][1], seen[1][1])  # called between epochs, on the model being trained
    assert torch.equal(plain.weight, hooked.weight)
