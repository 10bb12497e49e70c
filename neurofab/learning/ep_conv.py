"""Convergent ConvNets for equilibrium propagation (Laborieux et al. 2021, Eqs. 7–8, Figure 1; seed 001 l. 331–340).

Layers 1…N_conv are 3×3 (or k×k) convolutions each followed by a 2×2 max-pool P; the remaining layers are fully
connected. The primitive (Eq. 7)

    Φ(x, s) = Σ_conv sⁿ • P(wₙ ⋆ sⁿ⁻¹ + bₙ) + Σ_fc sⁿᵀ Wₙ sⁿ⁻¹ + bₙᵀ sⁿ

gives the dynamics (Eq. 8) sⁿ ← σ(P(wₙ ⋆ sⁿ⁻¹) + bₙ + w̃ₙ₊₁ ⋆ P⁻¹(sⁿ⁺¹)): the feedback is the transposed convolution
(convolution with the flipped kernel w̃) of the unpooled layer above, and P⁻¹ puts each value back at the argmax
that P chose for the same state — pool and unpool share their indices. ∂Φ/∂wₙ is the correlation of sⁿ⁻¹ with
P⁻¹(sⁿ) (``torch.nn.grad.conv2d_weight``, no autograd), ∂Φ/∂bₙ the spatial sum of sⁿ.

The network plugs into every estimator of :mod:`neurofab.learning.ep` that uses symmetric weights (``one_sided``,
``random_sign``, ``symmetric``) and into BPTT; the unidirectional rules are for fully connected networks only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import Field

from neurofab.core import Config, ConfigError, ShapeError, make_generator
from neurofab.core.seeding import Seed
from neurofab.learning.ep import ConvergentNet, Loss, _act

__all__ = ["ConvNetConfig", "ConvergentConvNet", "max_pool", "max_unpool"]


class ConvNetConfig(Config):
    """Architecture of a convergent ConvNet (the paper's: conv 128-256-512-512, 3×3, each with a 2×2 max-pool)."""

    in_shape: tuple[int, int, int] = Field((1, 8, 8), description="input (channels, height, width) [1]")
    channels: tuple[int, ...] = Field((16, 32), min_length=1, description="output channels of each conv layer [1]")
    kernel: int = Field(3, ge=1, description="square kernel side; 'same' padding (kernel odd) [pixels]")
    hidden: tuple[int, ...] = Field((), description="fully connected hidden layers after the convs [neurons]")
    n_classes: int = Field(10, ge=2, description="classes [1]")


def max_pool(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """2×2 max-pool P with its argmax indices."""
    return F.max_pool2d(u, 2, return_indices=True)


def max_unpool(v: torch.Tensor, idx: torch.Tensor, size: torch.Size) -> torch.Tensor:
    """P⁻¹: each value back at the argmax P recorded (zeros elsewhere); ``size`` is the pre-pool shape."""
    return F.max_unpool2d(v, idx, 2, output_size=size[-2:])


class ConvergentConvNet(ConvergentNet):
    """A convergent ConvNet with the interface of :class:`ConvergentNet` (module docstring)."""

    def __init__(self, cfg: ConvNetConfig, loss: Loss = "mse", activation: str = "hard", seed: Seed = 0,
                 dtype: torch.dtype = torch.float32) -> None:
        if cfg.kernel % 2 != 1:
            raise ConfigError(f"ConvNetConfig.kernel = {cfg.kernel}: use an odd kernel ('same' padding)")
        c, h, w = cfg.in_shape
        shapes: list[tuple[int, ...]] = []
        for ch in cfg.channels:
            if h % 2 or w % 2:
                raise ConfigError(f"ConvNetConfig.channels: a {h}×{w} map cannot be max-pooled 2×2 "
                                  f"(in_shape {cfg.in_shape}, {len(cfg.channels)} conv layers)")
            h, w = h // 2, w // 2
            shapes.append((ch, h, w))
        fc = [*cfg.hidden] + ([] if loss == "ce" else [cfg.n_classes])
        shapes += [(n,) for n in fc]
        self.cfg, self.loss, self.activation, self.unidirectional = cfg, loss, activation, False
        self.n_conv = len(cfg.channels)
        self.sizes = [c * cfg.in_shape[1] * cfg.in_shape[2], cfg.n_classes]
        self.state_shapes = shapes
        self.state_sizes = [math.prod(s) for s in shapes]
        gen = make_generator(seed)

        def uniform(*shape: int, fan: int) -> torch.Tensor:
            a = 1.0 / math.sqrt(fan)
            return ((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * a).to(dtype)

        p: dict[str, torch.Tensor] = {}
        prev = c
        for n, ch in enumerate(cfg.channels, start=1):
            fan = prev * cfg.kernel**2
            p[f"W{n}"] = uniform(ch, prev, cfg.kernel, cfg.kernel, fan=fan)
            p[f"b{n}"] = uniform(ch, fan=fan)
            prev = ch
        prev_n = self.state_sizes[self.n_conv - 1]
        for n, size in enumerate(fc, start=self.n_conv + 1):
            p[f"W{n}"] = uniform(size, prev_n, fan=prev_n)
            p[f"b{n}"] = uniform(size, fan=prev_n)
            prev_n = size
        if loss == "ce":
            p["w_out"] = uniform(cfg.n_classes, prev_n, fan=prev_n)
            p["b_out"] = torch.zeros(cfg.n_classes, dtype=dtype)
        self.params = dict(p)

    # ----- shapes ------------------------------------------------------------------------------------------------
    def check_input(self, x: torch.Tensor, y: torch.Tensor | None = None) -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != tuple(self.cfg.in_shape):
            raise ShapeError(f"x: expected (batch, {', '.join(map(str, self.cfg.in_shape))}), got {tuple(x.shape)}")
        super_y = y is not None
        if super_y and (y.dim() != 1 or y.shape[0] != x.shape[0]):  # type: ignore[union-attr]
            raise ShapeError(f"y: expected ({x.shape[0]},) class labels, got {tuple(y.shape)}")  # type: ignore
        if super_y and (int(y.min()) < 0 or int(y.max()) >= self.cfg.n_classes):  # type: ignore[union-attr]
            raise ShapeError(f"y: labels must lie in [0, {self.cfg.n_classes - 1}]")

    def zero_state(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, *s, dtype=self.dtype) for s in self.state_shapes]

    def _pad(self) -> int:
        return self.cfg.kernel // 2

    def _conv_pool(self, n: int, below: torch.Tensor, p: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Size]:
        """P(wₙ ⋆ sⁿ⁻¹) + bₙ, the argmax indices and the pre-pool shape."""
        u = F.conv2d(below, p[f"W{n}"], padding=self._pad())
        v, idx = max_pool(u)
        return v + p[f"b{n}"].view(1, -1, 1, 1), idx, u.shape

    def _flat(self, v: torch.Tensor) -> torch.Tensor:
        return v.reshape(v.shape[0], -1)

    # ----- Φ and the dynamics ----------------------------------------------------------------------------------
    def drive(self, x: torch.Tensor, params: dict | None = None) -> None:  # type: ignore[override]
        return None  # the first conv's pooling depends on x only, but its indices are recomputed each step

    def phi(self, x: torch.Tensor, s: list[torch.Tensor], params: dict | None = None) -> torch.Tensor:
        """Φ(x, s) of Eq. 7, summed over the batch."""
        p = self.params if params is None else params
        below = [x, *s]
        total = torch.zeros((), dtype=x.dtype)
        for n in range(1, self.n_layers + 1):
            if n <= self.n_conv:
                v, _, _ = self._conv_pool(n, below[n - 1], p)
                total = total + (s[n - 1] * v).sum()
            else:
                total = total + (s[n - 1] * (self._flat(below[n - 1]) @ p[f"W{n}"].T)).sum() \
                    + (s[n - 1] * p[f"b{n}"]).sum()
        return total

    def preactivation(self, x: torch.Tensor, s: list[torch.Tensor], params: dict | None = None,
                      drive: torch.Tensor | None = None) -> list[torch.Tensor]:
        """∂Φ/∂sⁿ: P(wₙ ⋆ sⁿ⁻¹) + bₙ + w̃ₙ₊₁ ⋆ P⁻¹(sⁿ⁺¹) (conv), Wₙ sⁿ⁻¹ + bₙ + Wₙ₊₁ᵀ sⁿ⁺¹ (fc)."""
        p = self.params if params is None else params
        below = [x, *s]
        L = self.n_layers
        fwd, pools = [], []
        for n in range(1, L + 1):
            if n <= self.n_conv:
                v, idx, size = self._conv_pool(n, below[n - 1], p)
                fwd.append(v)
                pools.append((idx, size))
            else:
                fwd.append(self._flat(below[n - 1]) @ p[f"W{n}"].T + p[f"b{n}"])
        out = []
        for n in range(1, L + 1):
            u = fwd[n - 1]
            if n < L:
                if n + 1 <= self.n_conv:  # transposed conv (flipped kernel) of the unpooled layer above
                    idx, size = pools[n]
                    u = u + F.conv_transpose2d(max_unpool(s[n], idx, size), p[f"W{n + 1}"], padding=self._pad())
                else:
                    u = u + (s[n] @ p[f"W{n + 1}"]).reshape(u.shape)
            out.append(u)
        return out

    def readout(self, s: list[torch.Tensor], params: dict | None = None) -> torch.Tensor:
        p = self.params if params is None else params
        if self.loss == "mse":
            return s[-1]
        return self._flat(s[-1]) @ p["w_out"].T + p["b_out"]

    def nudge(self, s: list[torch.Tensor], y1h: torch.Tensor, beta: float, params: dict | None = None) -> torch.Tensor:
        p = self.params if params is None else params
        if self.loss == "mse":
            return beta * (y1h - s[-1])
        yhat = torch.softmax(self.readout(s, p), dim=1)
        return beta * ((y1h - yhat) @ p["w_out"]).reshape(s[-1].shape)

    def dphi_dtheta(self, x: torch.Tensor, s: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """∂Φ/∂θ (batch mean): conv ∂Φ/∂wₙ = sⁿ⁻¹ ⋆ P⁻¹(sⁿ), ∂Φ/∂bₙ = Σ_xy sⁿ; fc as in ConvergentNet."""
        p = self.params
        below = [x, *s]
        m = x.shape[0]
        g = {}
        for n in range(1, self.n_layers + 1):
            if n <= self.n_conv:
                _, idx, size = self._conv_pool(n, below[n - 1], p)
                up = max_unpool(s[n - 1], idx, size)
                g[f"W{n}"] = torch.nn.grad.conv2d_weight(below[n - 1], p[f"W{n}"].shape, up, padding=self._pad()) / m
                g[f"b{n}"] = s[n - 1].sum((0, 2, 3)) / m
            else:
                g[f"W{n}"] = s[n - 1].T @ self._flat(below[n - 1]) / m
                g[f"b{n}"] = s[n - 1].mean(0)
        return g

    def step(self, x: torch.Tensor, s: list[torch.Tensor], y1h: torch.Tensor | None = None, beta: float = 0.0,
             params: dict | None = None, drive: torch.Tensor | None = None) -> list[torch.Tensor]:
        u = self.preactivation(x, s, params)
        if beta != 0.0:
            assert y1h is not None
            u[-1] = u[-1] + self.nudge(s, y1h, beta, params)
        return [_act(self.activation, v) for v in u]
