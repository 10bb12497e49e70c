"""Analog layers and AnalogSGD: ideal equals digital, conversion, checkpoints, learning on digits."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogConv2d, AnalogLinear, AnalogSGD, convert_to_analog
from neurofab.core import ConfigError, NumericalError, ShapeError
from neurofab.crossbar import TileConfig, UpdateConfig
from neurofab.devices import ConstantStep, SoftBounds


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small ops on a shared 2-core machine run far faster on one intra-op thread; restore afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_ideal_linear_equals_nn_linear_forward_backward_and_sgd_step():
    torch.manual_seed(0)
    ref = nn.Linear(12, 5)
    ana = convert_to_analog(ref, TileConfig.ideal().replace(max_input_size=5, max_output_size=3))
    assert isinstance(ana, AnalogLinear) and ana.tiles.grid == (2, 3)
    x = torch.randn(7, 12, generator=gen(1), requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    target = torch.randn(7, 5, generator=gen(2))
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1)
    opt_ana = AnalogSGD(ana.parameters(), lr=0.1)
    for _ in range(3):
        for model, opt, inp in ((ref, opt_ref, x), (ana, opt_ana, x2)):
            opt.zero_grad()
            loss = ((model(inp) - target) ** 2).mean()
            loss.backward()
            opt.step()
        assert torch.allclose(x.grad, x2.grad, atol=1e-5)
        x.grad = None
        x2.grad = None
    assert torch.allclose(ana.get_weights(), ref.weight.detach(), atol=1e-5)
    assert torch.allclose(ana.bias, ref.bias, atol=1e-6)


def test_ideal_conv2d_equals_nn_conv2d():
    torch.manual_seed(1)
    ref = nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1, dilation=1)
    ana = convert_to_analog(ref, TileConfig.ideal())
    x = torch.randn(2, 3, 9, 8, generator=gen(3), requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    y_ref, y_ana = ref(x), ana(x2)
    assert y_ref.shape == y_ana.shape and torch.allclose(y_ref, y_ana, atol=1e-5)
    g = torch.randn_like(y_ref)
    y_ref.backward(g)
    y_ana.backward(g)
    assert torch.allclose(x.grad, x2.grad, atol=1e-5)
    AnalogSGD(ana.parameters(), lr=0.01).step()
    with torch.no_grad():
        ref.weight -= 0.01 * ref.weight.grad
    assert torch.allclose(ana.get_weights(), ref.weight.reshape(4, -1), atol=1e-5)


def test_convert_to_analog_replaces_linear_and_conv_layers():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 6, 10))
    ana = convert_to_analog(model, TileConfig(), seed=3)
    assert isinstance(ana[0], AnalogConv2d) and isinstance(ana[3], AnalogLinear)
    assert isinstance(model[0], nn.Conv2d)  # the original is untouched
    assert ana(torch.rand(4, 1, 8, 8)).shape == (4, 10)
    with pytest.raises(ConfigError, match="groups=2"):
        convert_to_analog(nn.Conv2d(4, 4, 3, groups=2))


def test_analog_training_resumes_bit_identically_from_a_checkpoint():
    cfg = TileConfig(device=SoftBounds(write_noise_std=0.5))
    x = torch.rand(40, 16, generator=gen(4))
    y = torch.randint(0, 3, (40,), generator=gen(5))

    def make():
        return nn.Sequential(
            AnalogLinear(16, 8, config=cfg, seed=1), nn.Sigmoid(), AnalogLinear(8, 3, config=cfg, seed=2)
        )

    def train(model, opt, steps):
        for s in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[s * 8 : (s + 1) * 8] if s < 5 else x[:8]), y[:8]).backward()
            opt.step()

    a = make()
    opt_a = AnalogSGD(a.parameters(), lr=0.5, momentum=0.9)
    train(a, opt_a, 2)
    ckpt = copy.deepcopy({"model": a.state_dict(), "opt": opt_a.state_dict()})
    train(a, opt_a, 3)
    b = make()
    opt_b = AnalogSGD(b.parameters(), lr=0.5, momentum=0.9)
    b.load_state_dict(ckpt["model"])
    opt_b.load_state_dict(ckpt["opt"])
    train(b, opt_b, 3)
    for la, lb in ((a[0], b[0]), (a[2], b[2])):
        assert torch.equal(la.get_weights(), lb.get_weights())
        assert torch.equal(la.bias, lb.bias)


def test_to_device_keeps_working():
    layer = AnalogLinear(6, 4, config=TileConfig(device=SoftBounds()))
    layer = layer.to(torch.device("cpu"))
    out = layer(torch.rand(3, 6))
    out.sum().backward()
    AnalogSGD(layer.parameters(), lr=0.1).step()
    assert out.shape == (3, 4)


def test_layer_bad_input_raises():
    layer = AnalogLinear(6, 4)
    with pytest.raises(ShapeError):
        layer(torch.rand(3, 5))
    with pytest.raises(NumericalError):
        layer(torch.full((3, 6), float("nan")))
    with pytest.raises(ShapeError):
        AnalogConv2d(2, 3, 3)(torch.rand(1, 3, 5, 5))
    with pytest.raises(ConfigError):
        AnalogSGD(layer.parameters(), lr=-1.0)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("device", "lr", "floor"),
    [(ConstantStep(), 0.1, 0.8), (SoftBounds(w_min=-2.0, w_max=2.0), 0.5, 0.6)],
    ids=["ConstantStep", "SoftBounds"],
)
def test_mlp_learns_digits(device, lr, floor):
    """A 64-32-10 sigmoid MLP trained with AnalogSGD (pulse trains, default IO) learns the digits."""
    from neurofab.data import digits

    split = digits()
    cfg = TileConfig(device=device)
    model = nn.Sequential(
        AnalogLinear(64, 32, config=cfg, seed=1), nn.Sigmoid(), AnalogLinear(32, 10, config=cfg, seed=2)
    )
    opt = AnalogSGD(model.parameters(), lr=lr)
    g = gen(0)
    for _ in range(6):
        perm = torch.randperm(len(split.x_train), generator=g)
        for i in range(0, len(perm), 8):
            idx = perm[i : i + 8]
            opt.zero_grad()
            nn.functional.cross_entropy(model(split.x_train[idx]), split.y_train[idx]).backward()
            opt.step()
    with torch.no_grad():
        acc = (model(split.x_test).argmax(1) == split.y_test).float().mean().item()
    assert acc > floor


def test_expected_mode_layer_trains_like_stochastic_on_average():
    cfg = TileConfig(device=ConstantStep(dw_min_std=0.0), update=UpdateConfig(mode="expected"))
    layer = AnalogLinear(8, 2, config=cfg)
    w0 = layer.get_weights().clone()
    x = torch.rand(4, 8, generator=gen(1))
    d = torch.randn(4, 2, generator=gen(2)) * 0.01
    (layer(x) * d).sum().backward()
    AnalogSGD(layer.parameters(), lr=0.1).step()
    dw = layer.tiles.tiles[0].array.dw_up
    # per-device steps differ (d2d), so compare in pulse units
    assert torch.allclose((layer.get_weights() - w0) / dw, -0.1 * d.T @ x / 0.001, rtol=0.35, atol=0.2)
