"""Layer tables of torch models: every layer with a stored matrix, digital or converted, with its MACs per
inference — checked against closed forms and against torch's own operation counter."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from neurofab.analog import convert_to_analog, convert_to_inference
from neurofab.core import ConfigError
from neurofab.cost.mapping import LayerSpec, layers_from_model, measure_activity


def torch_macs(model: nn.Module, x: torch.Tensor) -> float:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() / 2


@pytest.mark.parametrize("conv, shape", [
    (nn.Conv1d(3, 5, 4, stride=2, padding=1), (3, 17)),
    (nn.Conv2d(2, 6, (3, 5), padding=(1, 0)), (2, 9, 11)),
    (nn.Conv3d(2, 3, (2, 3, 3), stride=(1, 2, 1)), (2, 4, 7, 6)),
])
def test_convolutions_of_any_dimension_count_their_macs(conv, shape):
    (spec,) = layers_from_model(conv, shape)
    with torch.no_grad():
        out = conv(torch.zeros(1, *shape))
    pixels = math.prod(out.shape[2:])
    k = math.prod(conv.kernel_size)
    assert spec.rows == conv.in_channels * k and spec.out_channels == conv.out_channels
    assert spec.out_pixels == pixels and spec.in_pixels == math.prod(shape[1:])
    assert spec.macs == pixels * conv.in_channels * k * conv.out_channels  # closed form
    assert spec.macs == torch_macs(conv, torch.zeros(1, *shape))  # torch's count
    digital = layers_from_model(nn.Sequential(conv), shape)
    assert layers_from_model(convert_to_analog(nn.Sequential(conv)), shape) == digital
    assert layers_from_model(convert_to_inference(nn.Sequential(conv)), shape) == digital


def test_transposed_convolution_counts_what_the_tile_runs():
    conv = nn.ConvTranspose2d(3, 4, 3, stride=2)
    (spec,) = layers_from_model(conv, (3, 5, 5))
    out = (5 - 1) * 2 + 3  # 11×11 output
    assert (spec.rows, spec.out_channels, spec.out_pixels, spec.in_pixels) == (27, 4, out * out, 25)
    # the tile applies its C_out × C_in·k² matrix at every output pixel of the zero-inserted input; torch counts
    # the useful MACs: every input pixel through the whole kernel
    assert spec.macs == out * out * 27 * 4
    assert torch_macs(conv, torch.zeros(1, 3, 5, 5)) == spec.in_pixels * spec.rows * spec.out_channels
    analog = convert_to_analog(nn.Sequential(conv))
    assert [(s.rows, s.out_pixels) for s in layers_from_model(analog, (3, 5, 5))] == [(27, out * out)]


class Seq(nn.Module):
    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn, self.head = rnn, nn.Linear(rnn.hidden_size * (1 + rnn.bidirectional), 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])


@pytest.mark.parametrize("kind, gates", [(nn.LSTM, 4), (nn.GRU, 3), (nn.RNN, 1)])
def test_recurrent_matrices_once_per_step_per_direction_per_layer(kind, gates):
    torch.manual_seed(0)
    t, n_in, h = 6, 5, 7
    model = Seq(kind(n_in, h, num_layers=2, bidirectional=True, batch_first=True))
    tables = [layers_from_model(m, (t, n_in)) for m in (model, convert_to_analog(model), convert_to_inference(model))]
    assert tables[1] == tables[0] and tables[2] == tables[0]  # digital, analog and inference twins alike
    rows = {s.name: s for s in tables[0]}
    assert len(rows) == 2 * 2 * 2 + 1  # ih and hh of 2 layers × 2 directions, plus the head
    for k in range(4):
        n_in_k = n_in if k < 2 else 2 * h
        assert rows[f"rnn.cells.{k}.ih"] == LayerSpec(f"rnn.cells.{k}.ih", n_in_k, gates * h, 1, t, t)
        assert rows[f"rnn.cells.{k}.hh"] == LayerSpec(f"rnn.cells.{k}.hh", h, gates * h, 1, t, t)
    total = sum(s.macs for s in tables[0])
    assert total == t * gates * h * ((n_in + h) * 2 + (2 * h + h) * 2) + 2 * h * 3  # closed form
    # a sequence-first layer sees the leading 1 as T and the next size as the batch: T·B vectors either way
    assert layers_from_model(kind(n_in, h), (4, n_in))[0].out_pixels == 4


def test_projected_lstm_counts_its_projection():
    (ih, hh, hr) = layers_from_model(nn.LSTM(4, 6, proj_size=3, batch_first=True), (5, 4))
    assert (ih.rows, ih.out_channels, hh.rows, hh.out_channels, hr.rows, hr.out_channels) == (4, 24, 3, 24, 6, 3)
    assert {s.out_pixels for s in (ih, hh, hr)} == {5}


class Attn(nn.Module):
    def __init__(self, e: int, heads: int, kdim: int | None = None) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(e, heads, kdim=kdim, vdim=kdim, batch_first=True)
        self.kdim = kdim or e

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mem = x[:, :4, : self.kdim] if self.kdim != x.shape[-1] else x[:, :4]
        return self.attn(x, mem, mem)[0]  # need_weights: torch counts the score products (bmm)


@pytest.mark.parametrize("kdim", [None, 6])
def test_attention_projections_and_torch_count(kdim):
    e, heads, n_q = 8, 2, 5
    model = Attn(e, heads, kdim)
    table = layers_from_model(model, (n_q, e))
    assert [s.name for s in table] == ["attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.out_proj"]
    kd = kdim or e
    assert [(s.rows, s.out_channels, s.out_pixels) for s in table] == [(e, e, n_q), (kd, e, 4), (kd, e, 4),
                                                                        (e, e, n_q)]
    scores_and_context = 2 * heads * n_q * 4 * (e // heads)  # activation × activation: no stored matrix
    assert torch_macs(model, torch.zeros(1, n_q, e)) == sum(s.macs for s in table) + scores_and_context
    assert layers_from_model(convert_to_analog(model), (n_q, e)) == table
    assert layers_from_model(convert_to_inference(model), (n_q, e)) == table


def test_transformer_layer_fast_path_does_not_hide_the_projections():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    names = [s.name for s in layers_from_model(layer, (5, 8))]
    assert names == ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                     "linear1", "linear2"]


def test_activity_pools_every_call_of_a_recurrent_cell():
    torch.manual_seed(0)
    model = convert_to_inference(Seq(nn.GRU(3, 4, batch_first=True)))
    x = torch.rand(5, 6, 3)
    act = measure_activity(model, x)
    assert set(act) == {s.name for s in layers_from_model(model, (6, 3))}
    assert all(0 < a.input_density < 1 for a in act.values())
    digital = measure_activity(Seq(nn.GRU(3, 4, batch_first=True)), x)
    assert set(digital) == set(act)


def test_grouped_convolution_is_refused_by_name():
    with pytest.raises(ConfigError, match="'1': groups = 2"):
        layers_from_model(nn.Sequential(nn.Flatten(0, 0), nn.Conv1d(4, 4, 3, groups=2)), (4, 9))
    with pytest.raises(ConfigError, match="kernel"):
        LayerSpec("x", 1, 1, (3, 0))


@given(dims=st.integers(1, 3), c_in=st.integers(1, 3), c_out=st.integers(1, 4), k=st.integers(1, 3),
       stride=st.integers(1, 2), pad=st.integers(0, 1), size=st.integers(3, 6))
def test_convolution_macs_match_torch_for_any_shape(dims, c_in, c_out, k, stride, pad, size):
    conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1](c_in, c_out, k, stride=stride, padding=pad)
    shape = (c_in, *(size,) * dims)
    (spec,) = layers_from_model(conv, shape)
    assert spec.macs == torch_macs(conv, torch.zeros(1, *shape))
