"""Convolutions on inference tiles: patches equal torch's convolutions, whole models convert with a report, layers
with no tile mapping are refused by name unless left digital on purpose."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurofab.analog import InferenceConfig, InferenceConv, convert_to_inference, drift_to, inference_layers, program
from neurofab.analog.conv_patches import patches, unpatch
from neurofab.core import ConfigError, ShapeError
from neurofab.crossbar import IOConfig
from neurofab.crossbar.inference_tile import InferenceTileConfig

PERFECT = InferenceConfig(tile=InferenceTileConfig(forward=IOConfig(is_perfect=True)))


@pytest.mark.parametrize("dims, conv", [(1, F.conv1d), (2, F.conv2d), (3, F.conv3d)])
def test_patches_equal_torch_convolution(dims, conv):
    gen = torch.Generator().manual_seed(dims)
    x = torch.randn(2, 3, *([7] * dims), generator=gen)
    w = torch.randn(4, 3, *([3] * dims), generator=gen)
    k, s, p, d = (3,) * dims, (2,) + (1,) * (dims - 1), (1,) * dims, (1,) + (2,) * (dims - 1)
    rows, out = patches(x, k, s, p, d)
    y = unpatch(rows @ w.reshape(4, -1).T, 2, out)
    torch.testing.assert_close(y, conv(x, w, stride=s, padding=p, dilation=d), rtol=1e-5, atol=1e-5)


def lenet() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 5), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 12 * 12, 10)).eval()


def test_every_layer_with_a_matrix_goes_on_tiles():
    net = lenet()
    model = convert_to_inference(net, PERFECT).eval()
    report = model.conversion_report
    assert report.converted == ["0", "4", "7"] and report.digital_by_design == ["1"] and report.left_digital == []
    assert isinstance(model[0], InferenceConv) and len(inference_layers(model)) == 3
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(model(x), net(x), rtol=1e-4, atol=1e-5)  # perfect periphery, not programmed
        program(model, seed=1)
        drift_to(model, 86400.0, seed=2)
        assert (model(x) - net(x)).abs().max() > 1e-3  # the convolutions' devices drift too
    with pytest.raises(ShapeError):
        model(torch.randn(3, 2, 28, 28))


def test_conv1d_and_conv3d_convert():
    for conv, shape in ((nn.Conv1d(2, 3, 3, padding=1), (4, 2, 9)), (nn.Conv3d(2, 3, 2, stride=2), (1, 2, 4, 4, 4))):
        model = convert_to_inference(nn.Sequential(conv), PERFECT).eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            torch.testing.assert_close(model(x), conv(x), rtol=1e-4, atol=1e-5)


def test_layers_without_a_tile_mapping_are_refused_by_name():
    rnn = nn.Sequential(nn.LSTM(4, 4, proj_size=2), nn.Linear(2, 2))  # LSTM projections have no mapping
    with pytest.raises(ConfigError, match=r"for 0: proj_size.*unsupported='digital'"):
        convert_to_inference(rnn)
    kept = convert_to_inference(rnn, unsupported="digital")
    assert kept.conversion_report.left_digital == ["0"] and isinstance(kept[0], nn.LSTM)
    attention = nn.ModuleDict({"att": nn.MultiheadAttention(8, 2, add_bias_kv=True), "head": nn.Linear(8, 2)})
    with pytest.raises(ConfigError, match="att"):
        convert_to_inference(attention)
    kept = convert_to_inference(attention, unsupported="digital")
    assert kept.conversion_report.converted == ["head"]  # the attention's own out_proj stays with it
    with pytest.raises(ConfigError, match="groups"):
        convert_to_inference(nn.Conv2d(4, 4, 3, groups=2))
    with pytest.raises(ConfigError, match="unsupported"):
        convert_to_inference(nn.Linear(2, 2), unsupported="ignore")


def test_cost_sees_converted_layers():
    from neurofab.analog import convert_to_analog
    from neurofab.cost.mapping import layers_from_model

    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    tables = [[(x.name, x.in_channels, x.out_channels, x.kernel, x.out_pixels)
               for x in layers_from_model(m, (1, 28, 28))]
              for m in (net, convert_to_inference(net), convert_to_analog(net))]
    assert tables[0] == [("0", 1, 4, 3, 676), ("3", 2704, 10, 1, 1)]
    assert tables[1] == tables[0] and tables[2] == tables[0]


def test_convert_to_analog_reports_and_refuses():
    from neurofab.analog import AnalogConv2d, AnalogLinear, convert_to_analog

    model = convert_to_analog(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(18, 4)))
    assert model.conversion_report.converted == ["0", "3"] and model.conversion_report.digital_by_design == ["1"]
    assert isinstance(model[0], AnalogConv2d) and isinstance(model[3], AnalogLinear)
    rnn = nn.Sequential(nn.LSTM(4, 4, proj_size=2), nn.Linear(2, 2))
    with pytest.raises(ConfigError, match="for 0: proj_size"):
        convert_to_analog(rnn)
    kept = convert_to_analog(rnn, unsupported="digital")
    assert kept.conversion_report.left_digital == ["0"] and isinstance(kept[1], AnalogLinear)
    with pytest.raises(ConfigError, match="for 0: groups"):
        convert_to_analog(nn.Sequential(nn.Conv1d(2, 2, 3, groups=2)))
