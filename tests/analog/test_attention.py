"""INT attention: quantized products on their grids, learned scales, causality, the ledger."""

from __future__ import annotations

import pytest
import torch

from neurofab.analog.attention import EncoderBlock, QuantizedMatmul, TinyTransformer, set_attention_bits
from neurofab.core import ConfigError, Ledger, ShapeError


def test_fp32_product_is_exact():
    a, b = torch.randn(3, 4, 5), torch.randn(3, 5, 2)
    assert torch.equal(QuantizedMatmul(None)(a, b), a @ b)


@pytest.mark.parametrize("bits", [10, 8, 6, 4])
def test_operands_sit_on_their_integer_grids(bits):
    torch.manual_seed(0)
    qm = QuantizedMatmul(bits, unsigned_a=True)
    a, b = torch.softmax(torch.randn(2, 6, 6), -1), torch.randn(2, 6, 3)
    y = qm(a, b).detach()
    qa, qb = qm.quant_a(a).detach(), qm.quant_b(b).detach()
    ka, kb = qa / qm.quant_a.step.detach(), qb / qm.quant_b.step.detach()
    assert torch.allclose(ka, ka.round(), atol=1e-4) and torch.allclose(kb, kb.round(), atol=1e-4)
    assert float(ka.min()) >= 0 and float(ka.max()) <= 2**bits - 1
    assert float(kb.abs().max()) <= 2 ** (bits - 1) - 1
    assert torch.allclose(y, qa @ qb, atol=1e-5)
    rel = float((y - a @ b).norm() / (a @ b).norm())
    assert rel < {10: 0.005, 8: 0.02, 6: 0.08, 4: 0.4}[bits]


def test_learned_scales_receive_gradients():
    qm = QuantizedMatmul(6)
    a, b = torch.randn(4, 5, requires_grad=True), torch.randn(5, 3)
    qm(a, b).pow(2).sum().backward()
    assert qm.quant_a.step.grad is not None and float(qm.quant_a.step.grad) != 0.0
    assert a.grad is not None


def test_causal_block_ignores_the_future():
    torch.manual_seed(1)
    block = EncoderBlock(16, 2, 32, attn_bits=8, causal=True)
    x = torch.randn(1, 6, 16)
    y1 = block(x)
    x2 = x.clone()
    x2[0, 4:] = torch.randn(2, 16)
    y2 = block(x2)
    assert torch.allclose(y1[0, :4], y2[0, :4], atol=1e-5)
    assert not torch.allclose(y1[0, 4:], y2[0, 4:])


def test_transformer_shapes_bit_switch_and_ledger():
    model = TinyTransformer(vocab=10, n_classes=10, max_len=8, d_model=16, n_heads=2, d_ff=32)
    tokens = torch.randint(0, 10, (3, 8))
    assert model(tokens).shape == (3, 8, 10)
    set_attention_bits(model, 6)
    with Ledger() as led:
        model(tokens)
    # Q·Kᵀ: 3·2 heads·8·8 dot products of length 8; softmax·V: the same count
    assert led.count("mac", "int6") == 2 * 3 * 2 * 8 * 8 * 8
    with pytest.raises(ShapeError):
        model(torch.zeros(3, 9, dtype=torch.long))
    with pytest.raises(ConfigError):
        QuantizedMatmul(1)
    with pytest.raises(ConfigError):
        EncoderBlock(10, 3, 8)
