"""Multi-head attention whose four projections are analog tiles (``torch.nn.MultiheadAttention``'s interface).

q = W_q x_q + b_q, k = W_k x_k + b_k, v = W_v x_v + b_v on tiles; per head h (d = E / heads):
A_h = softmax(q_h k_hᵀ / √d + mask), ctx_h = A_h v_h (activation × activation: digital); out = W_o ctx + b_o on a
tile. The tiles count their MVMs and conversions in the event ledger, the two digital products count as fp32 MACs.
torch's fused ``in_proj_weight`` (3E × E) is split into three tiles, so self- and cross-attention (and
``kdim``/``vdim`` ≠ E) map alike. :class:`AnalogMultiheadAttention` puts the projections on
:class:`~neurofab.analog.layers.AnalogLinear` (pulsed training), :class:`InferenceMultiheadAttention` on
:class:`~neurofab.analog.inference.InferenceLinear` (programmed, drifting conductances).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from neurofab.analog.inference import InferenceConfig, InferenceLinear
from neurofab.analog.layers import AnalogLinear, _count
from neurofab.analog.recurrent import copy_linear
from neurofab.core import ConfigError, InputTypeError, ShapeError, child_seeds, record, recording
from neurofab.crossbar import TileConfig

__all__ = ["AnalogMultiheadAttention", "InferenceMultiheadAttention", "attention_from_torch"]


class _Multihead(nn.Module):
    #: torch's fused projection parameters do not exist here (four tiles instead): torch's transformer layers read
    #: these to decide on their fused fast path, which then stays off
    in_proj_weight = None
    in_proj_bias = None
    _qkv_same_embed_dim = False

    def __init__(self, embed_dim: int, num_heads: int, dropout: float, bias: bool, kdim: int | None,
                 vdim: int | None, batch_first: bool, make_linear: Callable[[int, int, bool, int], nn.Module],
                 seed: int) -> None:
        super().__init__()
        name = type(self).__name__
        self.embed_dim = _count(f"{name}.embed_dim", embed_dim)
        self.num_heads = _count(f"{name}.num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ConfigError(f"{name}: embed_dim = {embed_dim} is not divisible by num_heads = {num_heads}")
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1:
            raise ConfigError(f"{name}.dropout = {dropout!r}: must be a number in [0, 1)")
        self.kdim = self.embed_dim if kdim is None else _count(f"{name}.kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else _count(f"{name}.vdim", vdim)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        s = child_seeds(seed, 4)
        e = self.embed_dim
        self.q_proj = make_linear(e, e, bias, s[0])
        self.k_proj = make_linear(self.kdim, e, bias, s[1])
        self.v_proj = make_linear(self.vdim, e, bias, s[2])
        self.out_proj = make_linear(e, e, bias, s[3])

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
                attn_mask: torch.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """As ``nn.MultiheadAttention.forward``: (L, B, E) inputs — (B, L, E) with ``batch_first``, or unbatched
        (L, E); boolean masks are True where attention is not allowed, float masks are added to the scores."""
        name = type(self).__name__
        for t, what in ((query, "query"), (key, "key"), (value, "value")):
            if not isinstance(t, torch.Tensor) or t.dim() not in (2, 3):
                raise ShapeError(f"{name}: {what} must be a 2-d or 3-d tensor, got "
                                 f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}")
        batched = query.dim() == 3
        if key.dim() != query.dim() or value.dim() != query.dim():
            raise ShapeError(f"{name}: query, key and value must all be batched or all unbatched")
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        b, n_q, _ = query.shape
        n_k = key.shape[1]
        if query.shape[-1] != self.embed_dim or key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ShapeError(f"{name}: feature sizes (query, key, value) must be ({self.embed_dim}, {self.kdim}, "
                             f"{self.vdim}), got ({query.shape[-1]}, {key.shape[-1]}, {value.shape[-1]})")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != b:
            raise ShapeError(f"{name}: key {tuple(key.shape)} and value {tuple(value.shape)} do not match the "
                             f"query's batch {b}")
        h, d = self.num_heads, self.head_dim
        q = self.q_proj(query).reshape(b, n_q, h, d).transpose(1, 2)
        k = self.k_proj(key).reshape(b, n_k, h, d).transpose(1, 2)
        v = self.v_proj(value).reshape(b, n_k, h, d).transpose(1, 2)
        if recording():  # the two activation × activation products run digitally
            record("mac", 2 * b * h * n_q * n_k * d, "fp32")
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)  # (B, h, L, S)
        if attn_mask is None and is_causal:
            attn_mask = torch.ones(n_q, n_k, dtype=torch.bool, device=scores.device).triu(1)
        if attn_mask is not None:
            scores = _apply_mask(scores, attn_mask, (n_q, n_k), b, h, name, "attn_mask")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (b, n_k):
                raise ShapeError(f"{name}: key_padding_mask must have shape {(b, n_k)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
            scores = _apply_mask(scores, key_padding_mask[:, None, None, :], None, b, h, name, "key_padding_mask")
        attn = torch.softmax(scores, dim=-1)
        if self.dropout and self.training:
            attn = F.dropout(attn, self.dropout)
        ctx = (attn @ v).transpose(1, 2).reshape(b, n_q, self.embed_dim)
        out = self.out_proj(ctx)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = attn.mean(dim=1) if average_attn_weights else attn
        return out, (weights if batched else weights.squeeze(0))

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, kdim={self.kdim}, vdim={self.vdim}, "
                f"batch_first={self.batch_first}")


def _apply_mask(scores: torch.Tensor, mask: torch.Tensor, shape2: tuple[int, int] | None, b: int, h: int,
                name: str, what: str) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise InputTypeError(f"{name}: {what} must be a tensor, got {type(mask).__name__}")
    if shape2 is not None:
        if mask.dim() == 2 and tuple(mask.shape) == shape2:
            pass
        elif mask.dim() == 3 and tuple(mask.shape) == (b * h, *shape2):
            mask = mask.reshape(b, h, *shape2)
        else:
            raise ShapeError(f"{name}: {what} must have shape {shape2} or {(b * h, *shape2)}, got "
                             f"{tuple(mask.shape)}")
    if mask.dtype == torch.bool:
        return scores.masked_fill(mask, float("-inf"))
    return scores + mask.to(scores.dtype)


class AnalogMultiheadAttention(_Multihead):
    """Multi-head attention with the q, k, v and output projections on analog tiles (pulsed training)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 config: TileConfig | None = None, seed: int = 0) -> None:
        def make(n_in: int, n_out: int, has_bias: bool, s: int) -> nn.Module:
            return AnalogLinear(n_in, n_out, has_bias, config, seed=s)

        super().__init__(embed_dim, num_heads, dropout, bias, kdim, vdim, batch_first, make, seed)


class InferenceMultiheadAttention(_Multihead):
    """Multi-head attention with the four projections as :class:`InferenceLinear` layers."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 config: InferenceConfig | None = None, seed: int = 0) -> None:
        def make(n_in: int, n_out: int, has_bias: bool, s: int) -> nn.Module:
            return InferenceLinear(n_in, n_out, has_bias, config, seed=s)

        super().__init__(embed_dim, num_heads, dropout, bias, kdim, vdim, batch_first, make, seed)


def attention_from_torch(module: nn.MultiheadAttention, config: TileConfig | InferenceConfig | None, seed: int,
                         inference: bool = False) -> _Multihead:
    """The analog (or inference) twin of an ``nn.MultiheadAttention`` with its projections copied."""
    if module.bias_k is not None or module.add_zero_attn:
        raise ConfigError("nn.MultiheadAttention with add_bias_kv or add_zero_attn has no tile mapping")
    cls = InferenceMultiheadAttention if inference else AnalogMultiheadAttention
    bias = module.in_proj_bias is not None
    new = cls(module.embed_dim, module.num_heads, module.dropout, bias, module.kdim, module.vdim,
              module.batch_first, config=config, seed=seed)
    e = module.embed_dim
    if module._qkv_same_embed_dim:
        weights = module.in_proj_weight.split(e, dim=0)
    else:
        weights = (module.q_proj_weight, module.k_proj_weight, module.v_proj_weight)
    biases = module.in_proj_bias.split(e) if bias else (None, None, None)
    for lin, w, b in zip((new.q_proj, new.k_proj, new.v_proj), weights, biases):
        copy_linear(lin, w, b)
    copy_linear(new.out_proj, module.out_proj.weight, module.out_proj.bias)
    return new
