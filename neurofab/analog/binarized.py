"""The binarized CNN of the Liu/Yu/Chai review (seed 003, Eq. 12) on a crossbar of signed device pairs.

Every binary layer computes, for weights w ∈ {+1, −1}ᴺ and inputs a ∈ {+1, −1}ᴺ (seed 003 l. 230, Eq. 12),

    s = Σ_i w_i ⊗ a_i = Σ_i (w_i·a_i + w̄_i·ā_i) = 2·popcount(XNOR(w, a)) − N,

the XNOR counting agreements and each disagreement costing −1: s is the ±1 dot product w·a
(:func:`xnor_popcount`, :func:`binary_dot`). On the crossbar (seed 003 l. 301: "adjacent WLs … for both positive
and negative computing", "a 2N × N RRAM crossbar") each ±1 weight is a pair of devices on adjacent wordlines,
w = +1 → (g_max, g_min), w = −1 → (g_min, g_max) (:func:`signed_pair_crossbar`); input a_i drives wordline 2i at
+a_i·V and wordline 2i+1 at −a_i·V, so bitline j carries I_j = V·K·s_j, K = (g_max − g_min) [S per weight unit]
(:func:`bitline_currents`).

The network (:class:`BinarizedCNN`): binarized input → [binary conv → batch norm → sign → max pool] × 2 → binary
fully connected → batch norm → logits; as the review describes the order, binarization comes after batch
normalization and max pooling after binarization (seed 003 l. 285). It is trained with a straight-through estimator
(:func:`sign_ste`: forward sign, backward the gradient where |x| ≤ 1, else 0) on real-valued latent weights clipped
to [−1, 1]. The same network with ``binary=False`` (real input, real weights, hardtanh for sign) is the float
reference.

:func:`crossbar_logits` runs the trained binary layers on :class:`~neurofab.crossbar.InferenceTile` arrays
(programming noise and drift of the chosen device model, the tile's DAC/ADC periphery), with batch norm, sign and
pooling digital. It counts one ``synop`` per signed pair read (N·M per MVM) besides the tile's own ``mvm``,
``dac_conversion`` and ``adc_conversion`` events, so a ledger priced by an energy table
(:func:`neurofab.cost.price_ledger`) gives the crossbar energy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from neurofab.core import Config, DataError, Seed, ShapeError, make_generator, record, recording
from neurofab.crossbar import (
    ConductanceMapping,
    InferenceTile,
    InferenceTileConfig,
    IOConfig,
    ReRAMPolynomialNoiseModel,
    conductances_to_weights,
    weights_to_conductances,
)

__all__ = [
    "BinarizedCNN",
    "BinarizedCNNConfig",
    "binary_dot",
    "bitline_currents",
    "crossbar_logits",
    "read_signed_pairs",
    "sign_ste",
    "signed_pair_crossbar",
    "train_binarized_cnn",
    "xnor_popcount",
]


# ----- Eq. 12 -----------------------------------------------------------------------------------------------------
class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """sign(x) ∈ {+1, −1} (sign(0) = +1) with the straight-through gradient ∂/∂x = 1 where |x| ≤ 1, else 0."""
    return _SignSTE.apply(x)


def _bits(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.dtype == torch.bool:
        return x
    if not bool(((x == 1) | (x == -1)).all()):
        raise DataError(f"{name} must hold only +1 and −1 (or be a bool tensor of bits)")
    return x > 0


def xnor_popcount(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Eq. 12 with bits: s = 2·popcount(XNOR(a, w)) − N for inputs a (B, N) and weights w (M, N) → (B, M).

    ``a`` and ``w`` are ±1 tensors or bool tensors (True = +1). The result is an integer tensor.
    """
    ab, wb = _bits(a, "a"), _bits(w, "w")
    if ab.dim() != 2 or wb.dim() != 2 or ab.shape[1] != wb.shape[1]:
        raise ShapeError(f"xnor_popcount: expected a (B, N) and w (M, N), got {tuple(a.shape)} and {tuple(w.shape)}")
    agree = ~(ab[:, None, :] ^ wb[None, :, :])  # XNOR
    return 2 * agree.sum(dim=2) - ab.shape[1]


def binary_dot(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The ±1 dot products a @ wᵀ that Eq. 12 computes, (B, N) × (M, N) → (B, M)."""
    return a @ w.T


# ----- the 2N × M crossbar of signed pairs ------------------------------------------------------------------------
def signed_pair_crossbar(w: torch.Tensor, mapping: ConductanceMapping | None = None) -> torch.Tensor:
    """Conductances [S] of the 2N × M crossbar holding the ±1 weights ``w`` (M, N): row 2i is the positive device of
    input i, row 2i + 1 its negative partner on the adjacent wordline (seed 003 l. 301)."""
    mapping = ConductanceMapping() if mapping is None else mapping
    if w.dim() != 2:
        raise ShapeError(f"signed_pair_crossbar: expected weights (M, N), got {tuple(w.shape)}")
    g_pos, g_neg = weights_to_conductances(w * mapping.w_max, mapping)
    g = torch.empty(2 * w.shape[1], w.shape[0], dtype=g_pos.dtype)
    g[0::2], g[1::2] = g_pos.T, g_neg.T
    return g


def read_signed_pairs(g: torch.Tensor, mapping: ConductanceMapping | None = None) -> torch.Tensor:
    """The weights (M, N) [w_max units] stored in a 2N × M crossbar of signed pairs (inverse of
    :func:`signed_pair_crossbar`): (g[2i, j] − g[2i+1, j]) / K / w_max."""
    mapping = ConductanceMapping() if mapping is None else mapping
    if g.dim() != 2 or g.shape[0] % 2:
        raise ShapeError(f"read_signed_pairs: expected conductances (2N, M), got {tuple(g.shape)}")
    return conductances_to_weights(g[0::2].T, g[1::2].T, mapping) / mapping.w_max


def bitline_currents(g: torch.Tensor, a: torch.Tensor, v_read: float = 0.2) -> torch.Tensor:
    """Bitline currents [A] (B, M) of the 2N × M crossbar ``g`` [S] for ±1 inputs ``a`` (B, N): wordline 2i at
    +a_i·v_read [V], wordline 2i + 1 at −a_i·v_read (Kirchhoff's current law, ideal wires)."""
    if a.dim() != 2 or 2 * a.shape[1] != g.shape[0]:
        raise ShapeError(f"bitline_currents: inputs (B, {g.shape[0] // 2}) expected, got {tuple(a.shape)}")
    v = torch.stack((a, -a), dim=2).reshape(a.shape[0], -1) * v_read
    return v.to(g.dtype) @ g


# ----- the network ------------------------------------------------------------------------------------------------
class BinarizedCNNConfig(Config):
    """A two-convolution binarized CNN and its straight-through training."""

    side: int = Field(8, ge=5, description="input image side [pixels] (8: digits, 28: MNIST)")
    channels: tuple[int, int] = Field((32, 64), description="output channels of the two convolutions [1]")
    kernel: int = Field(3, ge=1, le=5, description="convolution kernel side [pixels]")
    n_classes: int = Field(10, ge=2, description="number of classes [1]")
    binary: bool = Field(True, description="binary weights and activations (False: the same network in float)")
    input_threshold: float = Field(0.5, gt=0, lt=1, description="pixel intensity binarized to +1 above it [1]")
    epochs: int = Field(20, ge=1, description="training epochs [1]")
    batch_size: int = Field(128, ge=1, description="minibatch size [samples]")
    lr: float = Field(1e-2, gt=0, description="Adam learning rate [1]")

    def conv_sides(self) -> tuple[int, int, int]:
        """Sides after conv1+pool, after conv2, after its pool (no pool when the side is 1)."""
        s1 = (self.side - self.kernel + 1) // 2
        s2 = s1 - self.kernel + 1
        return s1, s2, (s2 // 2 if s2 >= 2 else s2)


class BinarizedCNN(nn.Module):
    """binarized input → [conv → BN → sign → pool] × 2 → FC → BN → logits (module docstring)."""

    def __init__(self, config: BinarizedCNNConfig | None = None) -> None:
        super().__init__()
        self.config = config = BinarizedCNNConfig() if config is None else config
        c1, c2 = config.channels
        _, s2, s3 = config.conv_sides()
        if s2 < 1:
            raise ShapeError(f"BinarizedCNN: side {config.side} too small for two {config.kernel}×{config.kernel} "
                             "convolutions with a pool between")
        k = config.kernel
        self.conv1 = nn.Parameter(torch.empty(c1, 1, k, k).uniform_(-1, 1))
        self.conv2 = nn.Parameter(torch.empty(c2, c1, k, k).uniform_(-1, 1))
        self.fc = nn.Parameter(torch.empty(config.n_classes, c2 * s3 * s3).uniform_(-1, 1))
        if not config.binary:
            for p, fan_in in ((self.conv1, k * k), (self.conv2, c1 * k * k), (self.fc, self.fc.shape[1])):
                p.data.mul_(fan_in ** -0.5)
        self.bn1, self.bn2 = nn.BatchNorm2d(c1), nn.BatchNorm2d(c2)
        self.bn_out = nn.BatchNorm1d(config.n_classes)
        self.pool2 = s2 >= 2

    def weights(self, name: str) -> torch.Tensor:
        """The weights layer ``name`` ('conv1', 'conv2', 'fc') computes with: sign of the latent ones if binary."""
        w = getattr(self, name)
        return sign_ste(w) if self.config.binary else w

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (B, 1, side, side) or (B, side²) → the first layer's input (±1 if binary, else 2x − 1)."""
        side = self.config.side
        if x.dim() == 2:
            x = x.reshape(-1, 1, side, side)
        if x.shape[1:] != (1, side, side):
            raise ShapeError(f"BinarizedCNN: expected images (B, 1, {side}, {side}), got {tuple(x.shape)}")
        if self.config.binary:
            return torch.where(x > self.config.input_threshold, 1.0, -1.0).to(x.dtype)
        return 2 * x - 1

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return sign_ste(x) if self.config.binary else F.hardtanh(x)

    def block2_input(self, s1: torch.Tensor) -> torch.Tensor:
        """conv1 sums (B, c1, ·, ·) → the input of conv2: BN, sign, 2×2 max pool (seed 003 l. 285)."""
        return F.max_pool2d(self.act(self.bn1(s1)), 2)

    def fc_input(self, s2: torch.Tensor) -> torch.Tensor:
        """conv2 sums → the input of the fully connected layer: BN, sign, pool (if the side allows), flatten."""
        a = self.act(self.bn2(s2))
        return (F.max_pool2d(a, 2) if self.pool2 else a).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a0 = self.encode(x)
        a1 = self.block2_input(F.conv2d(a0, self.weights("conv1")))
        a2 = self.fc_input(F.conv2d(a1, self.weights("conv2")))
        return self.bn_out(a2 @ self.weights("fc").T)


def train_binarized_cnn(config: BinarizedCNNConfig, x: torch.Tensor, y: torch.Tensor, seed: Seed = 0) -> BinarizedCNN:
    """Train a :class:`BinarizedCNN` with Adam on cross-entropy (STE through every sign); latent weights of a binary
    network are clipped to [−1, 1] after each step. Returns the network in eval mode."""
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ShapeError(f"train_binarized_cnn: {x.shape[0]} images and {y.shape[0]} labels")
    if not bool(torch.isfinite(x).all()):
        raise DataError("train_binarized_cnn: images contain NaN or inf")
    gen = make_generator(seed)
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=gen)))
        net = BinarizedCNN(config)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs)
    latent = (net.conv1, net.conv2, net.fc)
    net.train()
    for _ in range(config.epochs):
        order = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], config.batch_size):
            idx = order[i:i + config.batch_size]
            if idx.numel() < 2:
                continue
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if config.binary:
                with torch.no_grad():
                    for p in latent:
                        p.clamp_(-1, 1)
        sched.step()
    return net.eval()


# ----- crossbar inference -----------------------------------------------------------------------------------------
def default_tile_config() -> InferenceTileConfig:
    """ReRAM arrays (Wan et al. 2022 programming-noise fits, g_max 40 µS) with aihwkit's default periphery."""
    return InferenceTileConfig(noise_model=ReRAMPolynomialNoiseModel(), forward=IOConfig())


def _tile(w: torch.Tensor, config: InferenceTileConfig, gen: torch.Generator, t_inference: float) -> InferenceTile:
    tile = InferenceTile(w.shape[0], w.shape[1], config, seed=gen)
    tile.program(w, gen)
    tile.drift_to(t_inference, gen)
    return tile


def _mvm(tile: InferenceTile, rows: torch.Tensor) -> torch.Tensor:
    if recording():
        record("synop", rows.shape[0] * tile.in_size * tile.out_size, "int1")
    return tile(rows)


def _conv(tile: InferenceTile, a: torch.Tensor, k: int) -> torch.Tensor:
    b, _, h, w = a.shape
    patches = F.unfold(a, k).transpose(1, 2).reshape(-1, tile.in_size)  # (B·L, C·k·k)
    s = _mvm(tile, patches)
    return s.reshape(b, (h - k + 1) * (w - k + 1), -1).transpose(1, 2).reshape(b, -1, h - k + 1, w - k + 1)


@torch.no_grad()
def crossbar_logits(net: BinarizedCNN, x: torch.Tensor, config: InferenceTileConfig | None = None,
                    seed: Seed = 0, t_inference: float = 1.0) -> torch.Tensor:
    """Logits of a trained binary ``net`` with its three binary layers on crossbar tiles (module docstring).

    Each layer's ±1 weights are programmed onto an :class:`InferenceTile` (``config``; default
    :func:`default_tile_config`) and read ``t_inference`` seconds after programming; convolutions run as one MVM
    per patch. Batch norm, sign and pooling stay digital (the network's eval-mode statistics).
    """
    if not net.config.binary:
        raise DataError("crossbar_logits: the network is not binary (config.binary is False)")
    config = default_tile_config() if config is None else config
    gen = make_generator(seed)
    net.eval()
    k = net.config.kernel
    tiles = {name: _tile(net.weights(name).reshape(getattr(net, name).shape[0], -1), config, gen, t_inference)
             for name in ("conv1", "conv2", "fc")}
    a0 = net.encode(x)
    a1 = net.block2_input(_conv(tiles["conv1"], a0, k))
    a2 = net.fc_input(_conv(tiles["conv2"], a1, k))
    return net.bn_out(_mvm(tiles["fc"], a2))
