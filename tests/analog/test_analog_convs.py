"""Analog 1-/2-/3-d and transposed convolutions on tiles: with an ideal device they equal torch's (forward, input
gradient, weight update), convert from torch layers and round-trip their state."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neurofab.analog import (
    AnalogConv1d,
    AnalogConv2d,
    AnalogConv3d,
    AnalogConvTranspose1d,
    AnalogConvTranspose2d,
    AnalogConvTranspose3d,
    AnalogSGD,
    InferenceConv,
    convert_to_analog,
    convert_to_inference,
)
from neurofab.core import ConfigError, ShapeError
from neurofab.crossbar import TileConfig
from neurofab.devices import SoftBounds

CASES = [
    (nn.Conv1d, dict(kernel_size=3, stride=2, padding=1), (2, 3, 11)),
    (nn.Conv2d, dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1)), (2, 3, 9, 8)),
    (nn.Conv3d, dict(kernel_size=2, stride=1, padding=1), (2, 3, 4, 5, 3)),
    (nn.ConvTranspose1d, dict(kernel_size=3, stride=2, padding=1, output_padding=1), (2, 3, 6)),
    (nn.ConvTranspose2d, dict(kernel_size=3, stride=(2, 1), padding=(0, 1), dilation=(1, 2)), (2, 3, 4, 5)),
    (nn.ConvTranspose3d, dict(kernel_size=2, stride=2, padding=0), (2, 3, 3, 2, 3)),
]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES, ids=[c[0].__name__ for c in CASES])
def test_ideal_analog_conv_equals_torch_forward_gradient_and_update(cls, kwargs, shape):
    torch.manual_seed(0)
    ref = cls(3, 4, **kwargs)
    ana = convert_to_analog(ref, TileConfig.ideal().replace(max_input_size=7, max_output_size=3))
    assert ana.conversion_report.converted == [cls.__name__]
    x = torch.randn(*shape, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    y_ref, y_ana = ref(x), ana(x2)
    assert y_ref.shape == y_ana.shape
    torch.testing.assert_close(y_ana, y_ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(y_ref)
    y_ref.backward(g)
    y_ana.backward(g)
    torch.testing.assert_close(x2.grad, x.grad, atol=1e-5, rtol=1e-5)
    AnalogSGD(ana.parameters(), lr=0.05).step()
    with torch.no_grad():
        ref.weight -= 0.05 * ref.weight.grad
        ref.bias -= 0.05 * ref.bias.grad
    torch.testing.assert_close(ana.torch_weight(), ref.weight, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ana.bias.detach(), ref.bias.detach(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES, ids=[c[0].__name__ for c in CASES])
def test_inference_conv_unprogrammed_equals_torch(cls, kwargs, shape):
    from neurofab.analog import InferenceConfig
    from neurofab.crossbar.inference_tile import InferenceTileConfig
    from neurofab.crossbar.io import IOConfig

    torch.manual_seed(1)
    ref = cls(3, 4, **kwargs)
    exact = InferenceConfig(tile=InferenceTileConfig(forward=IOConfig.perfect()))
    inf = convert_to_inference(nn.Sequential(ref), exact)
    assert isinstance(inf[0], InferenceConv) and inf.conversion_report.converted == ["0"]
    inf.eval()
    x = torch.randn(*shape)
    torch.testing.assert_close(inf(x), ref(x), atol=1e-5, rtol=1e-5)


def test_state_dict_round_trip_of_new_convs():
    cfg = TileConfig(device=SoftBounds(write_noise_std=0.3))
    for make, x in ((lambda s: AnalogConv1d(2, 3, 3, config=cfg, seed=s), torch.rand(2, 2, 7)),
                    (lambda s: AnalogConv3d(2, 3, 2, config=cfg, seed=s), torch.rand(2, 2, 3, 3, 3)),
                    (lambda s: AnalogConvTranspose2d(2, 3, 3, stride=2, config=cfg, seed=s), torch.rand(2, 2, 3, 3))):
        a, b = make(1), make(2)
        assert not torch.equal(a.get_weights(), b.get_weights())
        a(x).sum().backward()
        AnalogSGD(a.parameters(), lr=0.1).step()
        b.load_state_dict(a.state_dict())
        assert torch.equal(a.get_weights(), b.get_weights())
        assert torch.equal(a(x), b(x))  # the IO generators were restored too


def test_bad_conv_arguments_and_inputs_raise():
    with pytest.raises(ConfigError, match="output_padding"):
        AnalogConvTranspose1d(2, 3, 3, stride=1, output_padding=1)
    with pytest.raises(ConfigError, match="kernel_size"):
        AnalogConv3d(2, 3, (2, 2))
    with pytest.raises(ConfigError, match="padding"):
        AnalogConv1d(2, 3, 3, padding="same")
    with pytest.raises(ShapeError):
        AnalogConvTranspose3d(2, 3, 2)(torch.rand(1, 2, 3, 3))
    with pytest.raises(ShapeError):
        AnalogConv1d(2, 3, 5)(torch.rand(1, 2, 3))
    with pytest.raises(ConfigError, match="groups=2"):
        convert_to_analog(nn.Sequential(nn.ConvTranspose2d(4, 4, 3, groups=2)))
    left = convert_to_analog(nn.Sequential(nn.Conv1d(4, 4, 3, groups=2), nn.Conv1d(4, 2, 1)), unsupported="digital")
    assert isinstance(left[0], nn.Conv1d) and isinstance(left[1], AnalogConv1d)
    assert left.conversion_report.left_digital == ["0"]


@settings(max_examples=30, deadline=None)
@given(dims=st.integers(1, 3), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2), dl=st.integers(1, 2),
       a=st.integers(0, 2), n=st.integers(1, 4), transposed=st.booleans())
def test_any_geometry_matches_torch(dims, k, s, p, dl, a, n, transposed):
    """Any kernel, stride, padding, dilation and output padding torch accepts gives torch's output; what torch
    refuses — or maps to an empty output — we refuse with a ConfigError or ShapeError."""
    if transposed:
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1]
        ours = (AnalogConvTranspose1d, AnalogConvTranspose2d, AnalogConvTranspose3d)[dims - 1]
        kwargs = dict(stride=s, padding=p, output_padding=a, dilation=dl)
    else:
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
        ours = (AnalogConv1d, AnalogConv2d, AnalogConv3d)[dims - 1]
        kwargs = dict(stride=s, padding=p, dilation=dl)
    x = torch.randn(2, 2, *([n] * dims), generator=torch.Generator().manual_seed(n))
    torch.manual_seed(k)
    ref = cls(2, 3, k, **kwargs)
    try:
        y = ref(x)
        empty = y.numel() == 0
    except (RuntimeError, ValueError):
        empty = True
    if empty:
        with pytest.raises((ConfigError, ShapeError)):
            ours(2, 3, k, **kwargs, config=TileConfig.ideal())(x)
        return
    ana = convert_to_analog(ref, TileConfig.ideal())
    torch.testing.assert_close(ana(x), y, atol=1e-5, rtol=1e-5)
