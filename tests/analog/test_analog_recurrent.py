"""Analog RNN/LSTM/GRU and multi-head attention on tiles: with an ideal device they equal torch's layers with the
same weights (outputs, final states, input gradients, one SGD step), convert for training and inference, round-trip
their state, and refuse bad input clearly."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from neurofab.analog import (
    AnalogGRU,
    AnalogLinear,
    AnalogLSTM,
    AnalogMultiheadAttention,
    AnalogRNN,
    AnalogSGD,
    InferenceConfig,
    InferenceLinear,
    InferenceLSTM,
    InferenceMultiheadAttention,
    convert_to_analog,
    convert_to_inference,
    drift_to,
    inference_layers,
    program,
)
from neurofab.core import ConfigError, InputTypeError, ShapeError
from neurofab.crossbar import TileConfig
from neurofab.crossbar.inference_tile import InferenceTileConfig
from neurofab.crossbar.io import IOConfig
from neurofab.devices import SoftBounds

IDEAL = TileConfig.ideal()


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _sgd_step(ref: nn.Module, lr: float) -> None:
    with torch.no_grad():
        for p in ref.parameters():
            p -= lr * p.grad


RECURRENT = [
    (nn.LSTM, dict(num_layers=2, bidirectional=True)),
    (nn.GRU, dict(num_layers=2, batch_first=True)),
    (nn.RNN, dict(nonlinearity="relu", bidirectional=True)),
    (nn.RNN, dict(num_layers=2, nonlinearity="tanh", bias=False)),
]


@pytest.mark.parametrize(("cls", "kwargs"), RECURRENT, ids=["lstm", "gru", "rnn-relu", "rnn-tanh"])
def test_ideal_recurrent_equals_torch(cls, kwargs):
    torch.manual_seed(0)
    ref = cls(5, 4, **kwargs)
    ana = convert_to_analog(ref, IDEAL)
    assert type(ana).__name__ == f"Analog{cls.__name__}"
    x = torch.randn(3, 6, 5) if kwargs.get("batch_first") else torch.randn(6, 3, 5)
    x.requires_grad_(True)
    x2 = x.detach().clone().requires_grad_(True)
    n_state = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0 = torch.randn(n_state, 3, 4)
    hx = (h0, torch.randn(n_state, 3, 4)) if cls is nn.LSTM else h0
    out_ref, st_ref = ref(x, hx)
    out_ana, st_ana = ana(x2, hx)
    torch.testing.assert_close(out_ana, out_ref, atol=1e-5, rtol=1e-5)
    for a, r in zip(st_ana if cls is nn.LSTM else [st_ana], st_ref if cls is nn.LSTM else [st_ref]):
        torch.testing.assert_close(a, r, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(out_ref)
    loss_ref = (out_ref * g).sum() + (st_ref[0] if cls is nn.LSTM else st_ref).sum()
    loss_ana = (out_ana * g).sum() + (st_ana[0] if cls is nn.LSTM else st_ana).sum()
    loss_ref.backward()
    loss_ana.backward()
    torch.testing.assert_close(x2.grad, x.grad, atol=1e-5, rtol=1e-5)
    AnalogSGD(ana.parameters(), lr=0.1).step()
    _sgd_step(ref, 0.1)
    layers = kwargs.get("num_layers", 1)
    for layer in range(layers):
        for d in range(ana.num_directions):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            cell = ana.cell(layer, d)
            torch.testing.assert_close(cell.ih.get_weights(), getattr(ref, f"weight_ih_{sfx}"), atol=1e-5, rtol=0)
            torch.testing.assert_close(cell.hh.get_weights(), getattr(ref, f"weight_hh_{sfx}"), atol=1e-5, rtol=0)
            if ref.bias:
                torch.testing.assert_close(cell.hh.bias, getattr(ref, f"bias_hh_{sfx}"), atol=1e-6, rtol=0)


def test_unbatched_input_and_default_state_match_torch():
    torch.manual_seed(1)
    ref = nn.GRU(3, 2)
    ana = convert_to_analog(ref, IDEAL)
    x = torch.randn(5, 3)
    (o1, h1), (o2, h2) = ref(x), ana(x)
    torch.testing.assert_close(o2, o1, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h2, h1, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(batch_first=True), dict(kdim=5, vdim=3)], ids=["self", "cross"])
def test_ideal_multihead_attention_equals_torch(kwargs):
    torch.manual_seed(2)
    ref = nn.MultiheadAttention(8, 2, **kwargs)
    ana = convert_to_analog(ref, IDEAL)
    assert isinstance(ana, AnalogMultiheadAttention)
    bf = kwargs.get("batch_first", False)
    q = torch.randn(3, 4, 8) if bf else torch.randn(4, 3, 8)
    k = torch.randn(4, 3, kwargs.get("kdim", 8))
    v = torch.randn(4, 3, kwargs.get("vdim", 8))
    if bf:
        k, v = q, q  # self-attention
    mask = torch.zeros(4, 4, dtype=torch.bool).triu(1)
    pad = torch.zeros(3, 4, dtype=torch.bool)
    pad[1, -1] = True
    q.requires_grad_(True)
    q2 = q.detach().clone().requires_grad_(True)
    k2, v2 = (q2, q2) if bf else (k, v)
    o1, w1 = ref(q, q if bf else k, q if bf else v, key_padding_mask=pad, attn_mask=mask)
    o2, w2 = ana(q2, k2, v2, key_padding_mask=pad, attn_mask=mask)
    torch.testing.assert_close(o2, o1, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w2, w1, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(o1)
    (o1 * g).sum().backward()
    (o2 * g).sum().backward()
    torch.testing.assert_close(q2.grad, q.grad, atol=1e-5, rtol=1e-5)
    AnalogSGD(ana.parameters(), lr=0.1).step()
    _sgd_step(ref, 0.1)
    torch.testing.assert_close(ana.out_proj.get_weights(), ref.out_proj.weight, atol=1e-5, rtol=0)
    w_q = ref.in_proj_weight[:8] if ref._qkv_same_embed_dim else ref.q_proj_weight
    torch.testing.assert_close(ana.q_proj.get_weights(), w_q, atol=1e-5, rtol=0)


class _Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 6)
        self.attn = nn.MultiheadAttention(6, 2, batch_first=True)
        self.norm = nn.LayerNorm(6)
        self.lstm = nn.LSTM(6, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        x = self.norm(x + self.attn(x, x, x, need_weights=False)[0])
        return self.head(self.lstm(x)[0])


def test_convert_a_whole_model_for_training_and_inference_with_a_report():
    torch.manual_seed(3)
    model = _Tagger()
    tokens = torch.randint(0, 10, (2, 7))
    ana = convert_to_analog(model, IDEAL)
    rep = ana.conversion_report
    assert rep.converted == ["attn", "lstm", "head"]  # attn.out_proj is part of attn, not converted again
    assert rep.digital_by_design == ["embed", "norm"] and rep.left_digital == []
    torch.testing.assert_close(ana(tokens), model(tokens), atol=1e-5, rtol=1e-5)
    exact = InferenceConfig(tile=InferenceTileConfig(forward=IOConfig.perfect()))
    inf = convert_to_inference(model, exact)
    assert isinstance(inf.attn, InferenceMultiheadAttention) and isinstance(inf.lstm, InferenceLSTM)
    assert inf.conversion_report.converted == ["attn", "lstm", "head"]
    assert len(inference_layers(inf)) == 4 + 2 + 1
    inf.eval()
    torch.testing.assert_close(inf(tokens), model(tokens), atol=1e-5, rtol=1e-5)
    noisy = convert_to_inference(model, InferenceConfig())  # PCM defaults: programmed and drifted reads differ
    noisy.eval()
    program(noisy, seed=1)
    drift_to(noisy, 3600.0, seed=2)
    y = noisy(tokens)
    assert y.shape == (2, 7, 3) and not torch.allclose(y, model(tokens), atol=1e-3)


def test_state_dict_round_trip_of_recurrent_and_attention_layers():
    cfg = TileConfig(device=SoftBounds(write_noise_std=0.3))
    x = torch.randn(4, 2, 3)
    for make in (lambda s: AnalogLSTM(3, 4, num_layers=2, config=cfg, seed=s),
                 lambda s: AnalogGRU(3, 4, bidirectional=True, config=cfg, seed=s),
                 lambda s: AnalogRNN(3, 4, config=cfg, seed=s)):
        a, b = make(1), make(2)
        a(x)[0].sum().backward()
        AnalogSGD(a.parameters(), lr=0.1).step()
        b.load_state_dict(a.state_dict())
        torch.testing.assert_close(b(x)[0], a(x)[0], atol=0, rtol=0)
    q = torch.randn(2, 3, 6)
    a, b = (AnalogMultiheadAttention(6, 3, batch_first=True, config=cfg, seed=s) for s in (1, 2))
    b.load_state_dict(a.state_dict())
    assert torch.equal(a(q, q, q)[0], b(q, q, q)[0])
    inf_a = InferenceLSTM(3, 4, seed=1)
    inf_b = copy.deepcopy(InferenceLSTM(3, 4, seed=5))
    inf_a.eval(), inf_b.eval()
    program(inf_a, seed=3)
    drift_to(inf_a, 86400.0, seed=4)
    inf_b.load_state_dict(inf_a.state_dict())
    assert torch.equal(inf_a(x)[0], inf_b(x)[0])


def test_mismatched_state_dict_raises_before_loading_anything():
    a = AnalogLSTM(3, 4, num_layers=2, config=TileConfig(device=SoftBounds()))
    with pytest.raises(RuntimeError, match="Missing key"):  # a layer the checkpoint does not have: torch's check
        AnalogLSTM(3, 4, num_layers=3, config=TileConfig(device=SoftBounds())).load_state_dict(a.state_dict())
    other_size = AnalogLSTM(3, 5, num_layers=2, config=TileConfig(device=SoftBounds()))
    with pytest.raises(ConfigError, match=r"AnalogLinear 'cells.0.ih'.*shape \(16, 3\).*\(20, 3\)"):
        other_size.load_state_dict(a.state_dict())
    other_device = AnalogLSTM(3, 4, num_layers=2, config=TileConfig())  # ConstantStep: other device parameters
    before = other_device.cell(0).ih.get_weights().clone()
    for strict in (True, False):
        with pytest.raises(ConfigError, match="another device model"):
            other_device.load_state_dict(a.state_dict(), strict=strict)
    assert torch.equal(other_device.cell(0).ih.get_weights(), before)  # nothing was loaded
    other_grid = AnalogLSTM(3, 4, num_layers=2, config=TileConfig(device=SoftBounds(), max_output_size=8))
    with pytest.raises(ConfigError, match="tile grid"):
        other_grid.load_state_dict(a.state_dict())


def test_recurrent_and_attention_bad_input():
    lstm = AnalogLSTM(3, 4)
    with pytest.raises(ShapeError, match=r"\(T, B, 3\)"):
        lstm(torch.randn(4, 2, 5))
    with pytest.raises(InputTypeError, match="tuple"):
        lstm(torch.randn(4, 2, 3), torch.zeros(1, 2, 4))
    with pytest.raises(ShapeError, match="initial state"):
        lstm(torch.randn(4, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(InputTypeError, match="packed"):
        lstm(nn.utils.rnn.pack_sequence([torch.randn(3, 3)]))
    with pytest.raises(ConfigError, match="nonlinearity"):
        AnalogRNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ConfigError, match="divisible"):
        AnalogMultiheadAttention(6, 4)
    with pytest.raises(ConfigError, match="proj_size"):
        convert_to_analog(nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ConfigError, match="add_bias_kv"):
        convert_to_inference(nn.Sequential(nn.MultiheadAttention(4, 2, add_bias_kv=True)))
    with pytest.raises(ConfigError, match="bilinear"):
        convert_to_analog(nn.Sequential(nn.Bilinear(2, 2, 2)))
    kept = convert_to_analog(nn.Sequential(nn.LSTM(3, 4, proj_size=2), nn.Linear(2, 1)), unsupported="digital")
    assert isinstance(kept[0], nn.LSTM) and isinstance(kept[1], AnalogLinear)
    assert kept.conversion_report.left_digital == ["0"]
    mha = AnalogMultiheadAttention(4, 2)
    with pytest.raises(ShapeError, match="key_padding_mask"):
        mha(torch.randn(3, 2, 4), torch.randn(3, 2, 4), torch.randn(3, 2, 4), key_padding_mask=torch.zeros(2, 4))
    assert isinstance(InferenceLinear(2, 2), nn.Module)


def test_convert_to_digital_inverts_both_conversions():
    from neurofab.analog import convert_to_digital

    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ConvTranspose1d(3, 6, 2, stride=2), nn.BatchNorm1d(6))
    tokens = torch.randint(0, 10, (2, 7))
    x = torch.randn(2, 2, 9)
    tagger = _Tagger()
    exact = InferenceConfig(tile=InferenceTileConfig(forward=IOConfig.perfect()))
    for net, inp in ((model, x), (tagger, tokens)):
        net.eval()
        for twin in (convert_to_analog(net, IDEAL), convert_to_inference(net, exact)):
            back = convert_to_digital(twin).eval()
            assert not any(isinstance(m, AnalogLinear | InferenceLinear) for m in back.modules())
            assert [type(m) for m in back.modules()] == [type(m) for m in net.modules()]
            torch.testing.assert_close(back(inp), net(inp), atol=1e-5, rtol=1e-5)
    lstm = convert_to_digital(AnalogLSTM(3, 4, num_layers=2, bidirectional=True, config=IDEAL, seed=3))
    assert isinstance(lstm, nn.LSTM) and lstm.bidirectional and lstm.num_layers == 2


def test_torch_transformer_layers_convert_and_match():
    """nn.Transformer's layers call their attention with masks and is_causal and probe it for their fused fast
    path; with the projections on tiles that path stays off and the output is torch's."""
    torch.manual_seed(5)
    net = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    src, tgt = torch.randn(3, 5, 8), torch.randn(3, 4, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    ana = convert_to_analog(net, IDEAL)
    assert len(ana.conversion_report.converted) == 7  # 3 attentions + 4 feed-forward linears
    for mode in ("train", "eval"):
        getattr(net, mode)()
        getattr(ana, mode)()
        with torch.no_grad():
            torch.testing.assert_close(ana(src, tgt, tgt_mask=mask, tgt_is_causal=True),
                                       net(src, tgt, tgt_mask=mask, tgt_is_causal=True), atol=1e-5, rtol=1e-5)


def test_ledger_counts_tile_mvms_and_digital_attention_products():
    from neurofab.core import Ledger

    mha = AnalogMultiheadAttention(8, 2, batch_first=True, config=TileConfig(), seed=1)
    lstm = AnalogLSTM(8, 4, config=TileConfig(), seed=2)
    q = torch.randn(3, 5, 8)
    with Ledger() as led, torch.no_grad():
        mha(q, q, q)
    assert led.count("mac", "fp32") == 2 * 3 * 2 * 5 * 5 * 4  # q·kᵀ and A·v: B·heads·L·S·head_dim each
    assert led.count("mvm") >= 4 * 3 * 5  # four projections, one MVM per token each (more with bound management)
    with Ledger() as led, torch.no_grad():
        lstm(torch.randn(6, 3, 8))
    assert led.count("mvm") >= 6 * 3 * 2  # W_ih and W_hh for every step and sample
