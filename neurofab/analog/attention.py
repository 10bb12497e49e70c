"""Reduced-precision attention: a small transformer whose Q·Kᵀ and softmax·V run in INT-b with learned scales.

Spoon et al. 2021 (pcm-transformer note): the fully connected layers sit on analog tiles, the two
activation-activation products of attention stay digital, in INT10, INT8 or INT6 with learned scales; the
softmax itself is floating point.

- :class:`QuantizedMatmul` — a @ b with both operands fake-quantized to b-bit integers (signed, or unsigned
  for the softmax probabilities) on grids whose steps are learned (LSQ: straight-through rounding, step
  gradient through x/s and ·s, scaled by 1/sqrt(n·q_max)); steps start so the grid covers the first batch
  (max|x|/q_max). ``bits=None`` is the FP32 product. The product of integer operands is exact in
  float32 for these sizes. MACs are counted in the event ledger with their precision.
- :class:`EncoderBlock` — pre-norm multi-head self-attention (optionally causal) and a ReLU feed-forward, every
  projection an ``nn.Linear`` (so :func:`~neurofab.analog.inference.convert_to_inference` moves them onto tiles).
- :class:`TinyTransformer` — token and position embeddings (digital lookups), blocks, final norm, a linear head.
- :func:`set_attention_bits` — switch every attention product of a model to another precision.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neurofab.analog.hwa import ste_round
from neurofab.core import ConfigError, ShapeError, record, recording

__all__ = ["EncoderBlock", "QuantizedMatmul", "TinyTransformer", "set_attention_bits"]


class _LSQ(nn.Module):
    """Fake quantizer x → clamp(round(x/s), q_min, q_max)·s with a learned step s."""

    def __init__(self, bits: int, signed: bool) -> None:
        super().__init__()
        self.signed = signed
        self.q_min = -(2 ** (bits - 1)) + 1 if signed else 0
        self.q_max = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
        self.step = nn.Parameter(torch.tensor(1.0))
        self.register_buffer("initialised", torch.tensor(False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not bool(self.initialised):
            with torch.no_grad():
                init = x.detach().abs().max() / self.q_max  # the grid covers the first batch
                self.step.copy_(init.clamp(min=1e-8))
                self.initialised.fill_(True)
        grad_scale = 1.0 / math.sqrt(x.numel() * self.q_max)
        s = self.step.abs().clamp(min=1e-8)
        s = s * grad_scale + (s - s * grad_scale).detach()  # value s, gradient scaled (LSQ)
        q = torch.clamp(ste_round(x / s), self.q_min, self.q_max)
        return q * s


class QuantizedMatmul(nn.Module):
    """a @ b in INT-``bits`` (learned scales) or FP32 (``bits=None``); ``unsigned_a`` for softmax probabilities."""

    def __init__(self, bits: int | None, unsigned_a: bool = False) -> None:
        super().__init__()
        if bits is not None and not 2 <= bits <= 16:
            raise ConfigError(f"QuantizedMatmul.bits = {bits}: must be in [2, 16] or None")
        self.bits = bits
        self.unsigned_a = unsigned_a
        self.quant_a = None if bits is None else _LSQ(bits, signed=not unsigned_a)
        self.quant_b = None if bits is None else _LSQ(bits, signed=True)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape[-1] != b.shape[-2]:
            raise ShapeError(f"QuantizedMatmul: {tuple(a.shape)} @ {tuple(b.shape)} do not chain")
        if recording():
            record("mac", a.numel() * b.shape[-1], "fp32" if self.bits is None else f"int{self.bits}")
        if self.bits is None:
            return a @ b
        return self.quant_a(a) @ self.quant_b(b)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, unsigned_a={self.unsigned_a}"


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: x + MHA(LN(x)), then x + FF(LN(x)); attention products in INT-b."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, attn_bits: int | None = None, causal: bool = False):
        super().__init__()
        if d_model % n_heads:
            raise ConfigError(f"EncoderBlock: d_model = {d_model} is not divisible by n_heads = {n_heads}")
        self.d_model, self.n_heads, self.causal = d_model, n_heads, causal
        self.ln1 = nn.LayerNorm(d_model)
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.o = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, d_ff)
        self.ff2 = nn.Linear(d_ff, d_model)
        self.qk = QuantizedMatmul(attn_bits)
        self.av = QuantizedMatmul(attn_bits, unsigned_a=True)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.n_heads, -1).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ShapeError(f"EncoderBlock: expected (batch, length, {self.d_model}), got {tuple(x.shape)}")
        h = self.ln1(x)
        q, k, v = self._heads(self.q(h)), self._heads(self.k(h)), self._heads(self.v(h))
        scores = self.qk(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        if self.causal:
            n = x.shape[1]
            mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        att = torch.softmax(scores, dim=-1)
        ctx = self.av(att, v).transpose(1, 2).reshape(x.shape)
        x = x + self.o(ctx)
        return x + self.ff2(torch.relu(self.ff1(self.ln2(x))))


class TinyTransformer(nn.Module):
    """Token + position embeddings → ``n_layers`` :class:`EncoderBlock` → LayerNorm → linear head per position."""

    def __init__(
        self,
        vocab: int,
        n_classes: int,
        max_len: int,
        d_model: int = 64,
        n_heads: int = 4,
        d_ff: int = 128,
        n_layers: int = 1,
        attn_bits: int | None = None,
        causal: bool = True,
    ) -> None:
        super().__init__()
        self.max_len = max_len
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        self.blocks = nn.ModuleList(
            [EncoderBlock(d_model, n_heads, d_ff, attn_bits, causal) for _ in range(n_layers)]
        )
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 2 or tokens.shape[1] > self.max_len:
            raise ShapeError(f"TinyTransformer: expected (batch, length ≤ {self.max_len}), got {tuple(tokens.shape)}")
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def set_attention_bits(model: nn.Module, bits: int | None) -> nn.Module:
    """Give every attention product of ``model`` the precision ``bits`` (new, uninitialised scales); returns it."""
    for m in model.modules():
        if isinstance(m, EncoderBlock):
            m.qk = QuantizedMatmul(bits)
            m.av = QuantizedMatmul(bits, unsigned_a=True)
    return model
