"""Recurrent layers whose matrices are analog tiles: RNN (tanh/ReLU), LSTM and GRU, multi-layer, bidirectional.

Each cell (one layer, one direction) holds two linear maps, input-to-hidden W_ih (G·H × in) and hidden-to-hidden
W_hh (G·H × H), with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: r, z, n), each with its own bias, in
``torch.nn.RNN/LSTM/GRU``'s layout, so a torch model's weights copy over one to one:

- RNN:  h' = φ(W_ih x + b_ih + W_hh h + b_hh), φ = tanh or ReLU;
- LSTM: (i, f, g, o) = W_ih x + b_ih + W_hh h + b_hh; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c');
- GRU:  (r, z) = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z}); n = tanh(W_in x + b_in + r·(W_hn h + b_hn));
  h' = (1 − z)·n + z·h.

The input products of a whole sequence are one batch of MVMs on W_ih (every time step's input is known); W_hh
runs once per step. The training layers (:class:`AnalogRNN`, :class:`AnalogLSTM`, :class:`AnalogGRU`) put both
maps on :class:`~neurofab.analog.layers.AnalogLinear` tiles (pulsed updates through any optimizer: each use of a
tile queues its (x, δ)); the inference layers (:class:`InferenceRNN`, :class:`InferenceLSTM`,
:class:`InferenceGRU`) on :class:`~neurofab.analog.inference.InferenceLinear` (programmed, drifted conductances).
The gate non-linearities and the cell state are digital, as in aihwkit's AnalogLSTM family.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from neurofab.analog.inference import InferenceConfig, InferenceLinear
from neurofab.analog.layers import AnalogLinear, _count
from neurofab.core import ConfigError, InputTypeError, ShapeError, child_seeds
from neurofab.crossbar import TileConfig

__all__ = [
    "AnalogGRU",
    "AnalogLSTM",
    "AnalogRNN",
    "InferenceGRU",
    "InferenceLSTM",
    "InferenceRNN",
    "copy_linear",
    "recurrent_from_torch",
]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def copy_linear(dst: nn.Module, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """Write a weight matrix (out, in) and bias into an analog, inference or digital linear layer."""
    with torch.no_grad():
        if isinstance(dst, AnalogLinear):
            dst.set_weights(weight.detach())
        else:
            dst.weight.copy_(weight.detach())
        if bias is not None:
            if dst.bias is None:
                raise ConfigError(f"{type(dst).__name__} has no bias to receive the source's")
            dst.bias.copy_(bias.detach())


class RecurrentCell(nn.Module):
    """One layer and direction: ``ih`` (input-to-hidden) and ``hh`` (hidden-to-hidden) linear maps."""

    def __init__(self, ih: nn.Module, hh: nn.Module) -> None:
        super().__init__()
        self.ih, self.hh = ih, hh


class _Recurrent(nn.Module):
    """Multi-layer (bidirectional) recurrent layer over linear maps made by ``make_linear(in, out, bias, seed)``."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool, batch_first: bool,
                 dropout: float, bidirectional: bool, make_linear: Callable[[int, int, bool, int], nn.Module],
                 seed: int, nonlinearity: str = "tanh") -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _count(f"{name}.input_size", input_size)
        self.hidden_size = _count(f"{name}.hidden_size", hidden_size)
        self.num_layers = _count(f"{name}.num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout <= 1:
            raise ConfigError(f"{name}.dropout = {dropout!r}: must be a number in [0, 1]")
        if self.mode.startswith("RNN"):
            if nonlinearity not in ("tanh", "relu"):
                raise ConfigError(f"{name}.nonlinearity = {nonlinearity!r}: must be 'tanh' or 'relu'")
            self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        self.nonlinearity = nonlinearity
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        gates = _GATES[self.mode] * self.hidden_size
        cells = []
        seeds = iter(child_seeds(seed, 2 * self.num_layers * self.num_directions))
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for _ in range(self.num_directions):
                cells.append(RecurrentCell(make_linear(n_in, gates, self.bias, next(seeds)),
                                           make_linear(self.hidden_size, gates, self.bias, next(seeds))))
        self.cells = nn.ModuleList(cells)
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int = 0) -> None:
        """torch's initialisation: every weight and bias uniform in ±1/sqrt(hidden_size), drawn from ``seed``."""
        gen = torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for cell in self.cells:
            for lin in (cell.ih, cell.hh):
                w = (torch.rand(lin.out_features, lin.in_features, generator=gen) * 2 - 1) * bound
                b = (torch.rand(lin.out_features, generator=gen) * 2 - 1) * bound if self.bias else None
                copy_linear(lin, w, b)

    def cell(self, layer: int, direction: int = 0) -> RecurrentCell:
        return self.cells[layer * self.num_directions + direction]

    # ----- forward ---------------------------------------------------------------------------------------------
    def _step(self, gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None):
        if self.mode == "LSTM":
            i, f, g, o = (gi + gh).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c
        if self.mode == "GRU":
            ir, iz, i_n = gi.chunk(3, dim=-1)
            hr, hz, h_n = gh.chunk(3, dim=-1)
            r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
            n = torch.tanh(i_n + r * h_n)
            return (1 - z) * n + z * h, None
        pre = gi + gh
        return (torch.tanh(pre) if self.mode == "RNN_TANH" else torch.relu(pre)), None

    def _run(self, cell: RecurrentCell, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, reverse: bool):
        gi = cell.ih(x)  # (T, B, G·H): the whole sequence's input products at once
        steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        out: list[torch.Tensor] = [None] * x.shape[0]  # type: ignore[list-item]
        for t in steps:
            h, c = self._step(gi[t], cell.hh(h), h, c)
            out[t] = h
        return torch.stack(out), h, c

    def forward(self, x: torch.Tensor, hx: Any = None):
        """x: (T, B, in) — (B, T, in) with ``batch_first`` — or unbatched (T, in); ``hx``: h₀ (and c₀ for
        LSTM as a tuple), (layers·directions, B, H), zeros when omitted. Returns (output, h_n) or
        (output, (h_n, c_n)) as torch's layers do."""
        name = type(self).__name__
        if isinstance(x, nn.utils.rnn.PackedSequence):
            raise InputTypeError(f"{name}: packed sequences are not supported; pass a padded tensor")
        if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ShapeError(f"{name}: expected (T, B, {self.input_size}) (or (T, {self.input_size}) unbatched), "
                             f"got {shape}")
        batched = x.dim() == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        n_state, batch = self.num_layers * self.num_directions, x.shape[1]
        h0, c0 = self._initial_state(hx, n_state, batch, batched, x)
        h_n, c_n = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                y, h, c = self._run(self.cells[k], layer_in, h0[k], None if c0 is None else c0[k], reverse=d == 1)
                outs.append(y)
                h_n.append(h)
                c_n.append(c)
            layer_in = outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = nn.functional.dropout(layer_in, self.dropout, training=True)
        out, hn = layer_in, torch.stack(h_n)
        if not batched:
            out, hn = out.squeeze(1), hn.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if self.mode != "LSTM":
            return out, hn
        cn = torch.stack(c_n)
        return out, (hn, cn if batched else cn.squeeze(1))

    def _initial_state(self, hx: Any, n_state: int, batch: int, batched: bool, x: torch.Tensor):
        name = type(self).__name__
        zeros = x.new_zeros(n_state, batch, self.hidden_size)
        if hx is None:
            return zeros, (zeros if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            if not (isinstance(hx, tuple | list) and len(hx) == 2):
                raise InputTypeError(f"{name}: hx must be a tuple (h0, c0)")
            states = list(hx)
        else:
            states = [hx]
        want = (n_state, batch, self.hidden_size) if batched else (n_state, self.hidden_size)
        for s in states:
            if not isinstance(s, torch.Tensor) or tuple(s.shape) != want:
                got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
                raise ShapeError(f"{name}: initial state must have shape {want}, got {got}")
            if s.device != x.device:
                raise InputTypeError(f"{name}: initial state on {s.device} but input on {x.device}")
        states = [s if batched else s.unsqueeze(1) for s in states]
        return states[0], (states[1] if self.mode == "LSTM" else None)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, bidirectional={self.bidirectional}")


def _analog_factory(config: TileConfig | None) -> Callable[[int, int, bool, int], nn.Module]:
    def make(n_in: int, n_out: int, bias: bool, seed: int) -> nn.Module:
        return AnalogLinear(n_in, n_out, bias, config, seed=seed)

    return make


def _inference_factory(config: InferenceConfig | None) -> Callable[[int, int, bool, int], nn.Module]:
    def make(n_in: int, n_out: int, bias: bool, seed: int) -> nn.Module:
        return InferenceLinear(n_in, n_out, bias, config, seed=seed)

    return make


class AnalogRNN(_Recurrent):
    """Elman RNN (tanh or ReLU) with W_ih and W_hh of every layer and direction on analog tiles."""

    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: TileConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _analog_factory(config), seed, nonlinearity)


class AnalogLSTM(_Recurrent):
    """LSTM with W_ih and W_hh of every layer and direction on analog tiles (gates and cell state digital)."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: TileConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _analog_factory(config), seed)


class AnalogGRU(_Recurrent):
    """GRU with W_ih and W_hh of every layer and direction on analog tiles (gates digital)."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: TileConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _analog_factory(config), seed)


class InferenceRNN(_Recurrent):
    """Elman RNN whose W_ih and W_hh are :class:`InferenceLinear` layers (programmed, drifting PCM/ReRAM)."""

    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: InferenceConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _inference_factory(config), seed, nonlinearity)


class InferenceLSTM(_Recurrent):
    """LSTM whose W_ih and W_hh are :class:`InferenceLinear` layers."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: InferenceConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _inference_factory(config), seed)


class InferenceGRU(_Recurrent):
    """GRU whose W_ih and W_hh are :class:`InferenceLinear` layers."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 config: InferenceConfig | None = None, seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         _inference_factory(config), seed)


_ANALOG = {nn.RNN: AnalogRNN, nn.LSTM: AnalogLSTM, nn.GRU: AnalogGRU}
_INFERENCE = {nn.RNN: InferenceRNN, nn.LSTM: InferenceLSTM, nn.GRU: InferenceGRU}


def recurrent_from_torch(module: nn.RNNBase, config: TileConfig | InferenceConfig | None, seed: int,
                         inference: bool = False) -> _Recurrent:
    """The analog (or inference) twin of a ``torch.nn.RNN/LSTM/GRU`` with its weights and biases copied."""
    kind = next((k for k in (nn.LSTM, nn.GRU, nn.RNN) if isinstance(module, k)), None)
    if kind is None:
        raise ConfigError(f"{type(module).__name__}: only nn.RNN, nn.LSTM and nn.GRU have recurrent tile layers")
    if getattr(module, "proj_size", 0):
        raise ConfigError(f"{type(module).__name__}.proj_size = {module.proj_size}: LSTM projections are not "
                          "supported")
    cls = (_INFERENCE if inference else _ANALOG)[kind]
    kwargs: dict[str, Any] = {"nonlinearity": module.nonlinearity} if kind is nn.RNN else {}
    new = cls(module.input_size, module.hidden_size, module.num_layers, bias=module.bias,
              batch_first=module.batch_first, dropout=module.dropout, bidirectional=module.bidirectional,
              config=config, seed=seed, **kwargs)
    for layer in range(new.num_layers):
        for d in range(new.num_directions):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            cell = new.cell(layer, d)
            for part in ("ih", "hh"):
                b = getattr(module, f"bias_{part}_{sfx}") if module.bias else None
                copy_linear(getattr(cell, part), getattr(module, f"weight_{part}_{sfx}"), b)
    return new
