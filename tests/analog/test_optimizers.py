"""One optimizer interface on analog layers: every algorithm installs, trains in the right direction, resumes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogLinear, AnalogSGD, convert_to_analog
from neurofab.analog.optimizers import DecompositionAlgorithm, DecompositionRule, SGDAlgorithm, use_algorithm
from neurofab.analog.shd import shd_config
from neurofab.analog.tiki_taka import tiki_taka_config, ttv2_config, ttv2_device
from neurofab.core import ConfigError, InputTypeError, Ledger
from neurofab.crossbar import AnalogTile, IOConfig, TileConfig, UpdateConfig
from neurofab.crossbar.compound import CompoundTile
from neurofab.devices import ConstantStep, NeuroSimNonlinear, SoftBounds

QUIET_IO = IOConfig.perfect()


def test_ttv2_device_model_states():
    dev = ttv2_device(states=1200)
    assert dev.dw_min == pytest.approx(0.001, rel=0.01)
    arr = dev.build((50, 50), seed=0)
    up, _down = arr.steps(torch.full((50, 50), 0.3))
    assert float((up / arr.dw_up).mean()) == pytest.approx(1 - 1.66 * 0.3, abs=0.03)  # slope μ_s = 1.66


ALGORITHMS = [
    (ConstantStep(), SGDAlgorithm()),
    (ConstantStep(), tiki_taka_config(lr_c=0.1, io=QUIET_IO)),
    (ttv2_device(120), ttv2_config(lr_c=0.1, every=1)),
    (ttv2_device(120), shd_config(lr_c=0.1)),
    (NeuroSimNonlinear(), DecompositionAlgorithm(method="sbpca", rank=2, block=2)),
    (NeuroSimNonlinear(), DecompositionAlgorithm(method="nmf", rank=2, iterations=5, transfer="rank-seq")),
]


@pytest.mark.parametrize("mode", ["stochastic", "expected"])
@pytest.mark.parametrize(("device", "alg"), ALGORITHMS)
def test_every_algorithm_moves_the_layer_weight_down_the_gradient(device, alg, mode):
    cfg = TileConfig(device=device, forward=QUIET_IO, backward=QUIET_IO, update=UpdateConfig(mode=mode))
    layer = AnalogLinear(4, 3, bias=False, config=cfg, seed=0)
    layer.set_weights(torch.zeros(3, 4))
    use_algorithm(layer, alg, seed=1)
    assert torch.allclose(layer.get_weights(), torch.zeros(3, 4), atol=0.02)
    opt = AnalogSGD(layer.parameters(), lr=0.02)
    x = torch.ones(8, 4)
    with Ledger() as led:
        for _ in range(20):
            opt.zero_grad()
            layer(x).sum().backward()  # δ = 1 everywhere: dᵀx > 0 → every weight must go down
            opt.step()
    assert float(layer.get_weights().mean()) < -0.005
    if mode == "stochastic":  # the plain tile's expected mode does not count pulses
        assert led.count("write_pulse") > 0


def test_use_algorithm_keeps_weights_and_swaps_tiles():
    net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
    wide = SoftBounds(w_min=-1.0, w_max=1.0, w_min_dtod=0.0, w_max_dtod=0.0)  # every weight representable
    cfg = TileConfig(device=wide, forward=QUIET_IO, backward=QUIET_IO)
    model = convert_to_analog(net, cfg, seed=0)
    before = [model[0].get_weights().clone(), model[2].get_weights().clone()]
    use_algorithm(model, ttv2_config(lr_c=0.1))
    tiles = [model[0].tiles.tiles[0], model[2].tiles.tiles[0]]
    assert all(isinstance(t, CompoundTile) for t in tiles)
    for w, layer in zip(before, (model[0], model[2]), strict=True):
        assert torch.allclose(layer.get_weights(), w, atol=1e-6)
    x = torch.rand(3, 6)
    assert torch.allclose(model(x), net(x), atol=1e-5)  # perfect IO: the compound forward is C − C_ref
    use_algorithm(model, DecompositionAlgorithm(method="mbgd"))
    tile = model[0].tiles.tiles[0]
    assert type(tile) is AnalogTile and isinstance(tile.update_rule, DecompositionRule)
    assert torch.allclose(model[0].get_weights(), before[0], atol=1e-6)
    use_algorithm(model, SGDAlgorithm())
    assert model[0].tiles.tiles[0].update_rule is None


def test_compound_model_resumes_bit_identically():
    cfg = TileConfig(device=ttv2_device(60))  # stochastic pulse trains, noisy periphery

    def build():
        model = convert_to_analog(nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 3)), cfg, seed=0)
        return use_algorithm(model, ttv2_config(lr_c=0.2, every=2), seed=3)

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(6, 4, generator=g), torch.randint(0, 3, (6,), generator=g)

    def step(model, opt):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y, reduction="sum").backward()
        opt.step()

    a = build()
    opt_a = AnalogSGD(a.parameters(), lr=0.1)
    step(a, opt_a)
    b = build()
    b.load_state_dict(a.state_dict())
    opt_b = AnalogSGD(b.parameters(), lr=0.1)
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(3):
        step(a, opt_a)
        step(b, opt_b)
    assert torch.equal(a[0].get_weights(), b[0].get_weights())
    assert torch.equal(a[2].tiles.tiles[0].h, b[2].tiles.tiles[0].h)


@pytest.mark.parametrize("alg", [
    DecompositionAlgorithm(method="mbgd"),
    DecompositionAlgorithm(method="sbpca", rank=2, block=2),
    DecompositionAlgorithm(method="nmf", rank=2, iterations=5, transfer="rank-seq"),
])
def test_decomposition_model_resumes_bit_identically(alg):
    """Generator, warm-started factors and pulse count travel in state_dict: a resumed run equals the unbroken one."""
    cfg = TileConfig(device=NeuroSimNonlinear())

    def build():
        model = convert_to_analog(nn.Sequential(nn.Linear(5, 6), nn.Sigmoid(), nn.Linear(6, 3)), cfg, seed=0)
        return use_algorithm(model, alg, seed=4)

    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(8, 5, generator=g), torch.randint(0, 3, (8,), generator=g)

    def step(model, opt):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    a = build()
    opt_a = AnalogSGD(a.parameters(), lr=0.5)
    step(a, opt_a)
    b = build()
    step(b, AnalogSGD(b.parameters(), lr=0.5))  # b's rules move on: the load must overwrite every part
    step(b, AnalogSGD(b.parameters(), lr=0.5))
    b.load_state_dict(a.state_dict())
    opt_b = AnalogSGD(b.parameters(), lr=0.5)
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(3):
        step(a, opt_a)
        step(b, opt_b)
    assert torch.equal(a[0].get_weights(), b[0].get_weights())
    assert a[0].tiles.tiles[0].update_rule.pulses == b[0].tiles.tiles[0].update_rule.pulses > 0


def test_decomposition_state_from_another_method_is_refused():
    cfg = TileConfig(device=NeuroSimNonlinear())
    net = nn.Sequential(nn.Linear(5, 6))
    a = use_algorithm(convert_to_analog(net, cfg, seed=0), DecompositionAlgorithm(method="sbpca", rank=2), seed=0)
    b = use_algorithm(convert_to_analog(net, cfg, seed=0), DecompositionAlgorithm(method="nmf", rank=2), seed=0)
    with pytest.raises(ConfigError, match="sbpca"):
        b.load_state_dict(a.state_dict())


def test_bad_input():
    with pytest.raises(InputTypeError):
        use_algorithm(AnalogLinear(2, 2), "sgd")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        use_algorithm(nn.Linear(2, 2), SGDAlgorithm())
    with pytest.raises(ConfigError):
        DecompositionAlgorithm(rank=0)


def test_conv_layer_takes_the_same_algorithms():
    from neurofab.analog import AnalogConv2d

    cfg = TileConfig(device=ttv2_device(60), update=UpdateConfig(mode="expected"))
    conv = AnalogConv2d(2, 3, 3, padding=1, bias=False, config=cfg, seed=0)
    use_algorithm(conv, shd_config(lr_c=0.5, every=4, columns_per_transfer=2), seed=0)
    tile = conv.tiles.tiles[0]
    assert isinstance(tile, CompoundTile) and tile.in_size == 18
    opt = AnalogSGD(conv.parameters(), lr=0.05)
    x = torch.rand(2, 2, 5, 5, generator=torch.Generator().manual_seed(0))
    before = conv.get_weights().clone()
    with Ledger() as led:
        for _ in range(3):
            opt.zero_grad()
            conv(x).sum().backward()
            opt.step()
    assert tile.samples == 3 * 2 * 25  # every patch of every image is one rank-1 update
    assert led.count("transfer") == 2 * (tile.samples // 4)
    assert float((conv.get_weights() - before).mean()) < 0  # δ = 1, x > 0: the weights go down
