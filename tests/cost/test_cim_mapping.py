"""Layer tables, torch-model extraction and measured activity."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError
from neurofab.cost.cim import estimate, table7_config
from neurofab.cost.mapping import (
    LayerActivity,
    LayerSpec,
    layers_from_model,
    measure_activity,
    resnet18_imagenet,
    vgg8_cifar10,
)


def test_layer_spec_arithmetic():
    layer = LayerSpec("c", in_channels=16, out_channels=32, kernel=3, out_pixels=64, in_pixels=64, pool=2)
    assert layer.rows == 144 and layer.weights == 144 * 32 and layer.macs == 144 * 32 * 64
    assert layer.ifm_values == 64 * 16 and layer.ofm_values == 16 * 32
    with pytest.raises(ConfigError, match="in_channels"):
        LayerSpec("bad", 0, 4)
    with pytest.raises(ConfigError, match="input_density"):
        LayerActivity(1.5, 0.5)
    with pytest.raises(ConfigError, match="weight_level"):
        LayerActivity(0.5, float("nan"))


def test_network_totals():
    vgg = vgg8_cifar10()
    assert sum(x.weights for x in vgg) == 12_973_440
    assert sum(x.macs for x in vgg) == 615_917_568
    res = resnet18_imagenet()
    assert len(res) == 21  # 17 3×3/7×7 convolutions + 3 projections + fc
    assert sum(x.weights for x in res) == 11_678_912
    assert sum(x.macs for x in res) == 1_814_073_344


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def test_layers_from_model():
    layers = layers_from_model(Small(), (3, 8, 8))
    assert layers == [LayerSpec("conv", 3, 8, 3, 64, 64), LayerSpec("fc", 512, 10)]
    assert estimate(table7_config("rram_wu2018"), layers).ops == pytest.approx(2 * (27 * 8 * 64 + 5120))
    with pytest.raises(ConfigError, match="only ungrouped"):
        layers_from_model(nn.Conv2d(4, 4, 3, groups=4), (4, 8, 8))
    with pytest.raises(InputTypeError):
        layers_from_model("vgg", (3, 8, 8))
    with pytest.raises(ShapeError):
        layers_from_model(Small(), (3, 0, 8))
    with pytest.raises(ConfigError, match="no layer with a weight matrix"):
        layers_from_model(nn.ReLU(), (3, 8, 8))


def test_measure_activity_by_hand():
    lin = nn.Linear(4, 2)
    with torch.no_grad():
        lin.weight.fill_(0.5)
    act = measure_activity(lin, torch.ones(3, 4), input_bits=8, weight_bits=8, bits_per_cell=4)
    # inputs: 1/1 → 255 → every bit one; weights: all equal → 255 → both 4-bit slices 15/15
    assert act[""].input_density == pytest.approx(1.0)  # a bare module is named ""
    assert act[""].weight_level == pytest.approx(1.0)
    half = measure_activity(lin, torch.full((2, 4), 0.5) * torch.tensor([0.0, 1.0, 1.0, 1.0]), input_bits=2)
    # values 0 and 0.5/0.5 = 1 → 3 = 0b11; one input in four is zero → density 3/4
    assert half[""].input_density == pytest.approx(0.75)
    with pytest.raises(NumericalError):
        measure_activity(lin, torch.tensor([[float("nan")] * 4]))
    with pytest.raises(ConfigError, match="input_bits"):
        measure_activity(lin, torch.ones(1, 4), input_bits=0)


def test_measured_activity_feeds_the_estimate():
    torch.manual_seed(0)
    model = Small()
    x = torch.rand(4, 3, 8, 8)
    layers = layers_from_model(model, (3, 8, 8))
    act = measure_activity(model, x, bits_per_cell=4)
    assert set(act) == {"conv", "fc"}
    assert all(0 < a.input_density < 1 and 0 < a.weight_level < 1 for a in act.values())
    cfg = table7_config("rram_wu2018")
    zero = {k: type(v)(0.0, v.weight_level) for k, v in act.items()}
    assert estimate(cfg, layers, act).dynamic_energy > estimate(cfg, layers, zero).dynamic_energy
