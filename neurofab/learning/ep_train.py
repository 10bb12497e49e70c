"""Training convergent networks by EP or by BPTT through the same dynamics, and a feed-forward reference.

The optimizer is the paper's (Table 1): SGD with momentum, weight decay on every weight matrix (both directions for
the unidirectional estimators, Eq. 21), a learning rate per layer and a cosine schedule from the initial to the final
rate. :class:`EPTrainer` holds the network, the momentum buffers, the epoch and its generator (data order, random
nudging sign), so ``state_dict`` / ``load_state_dict`` resume to bit-identical weights; ``save`` writes atomically.

:func:`train_ep_tiles` runs EP on a network whose matrices are :class:`~neurofab.crossbar.AnalogTile` objects: the
states drive the tile MVMs (forward W s, transpose Wᵀ s), and the EP rule is written as one pulsed outer-product
update per tile, ΔW = −η (1/2β) (s^{+β}ⁿ s^{+β}ⁿ⁻¹ᵀ − s^{−β}ⁿ s^{−β}ⁿ⁻¹ᵀ) (section 2.3: the rule is local), by
stacking the two phases as one batch; the tile counts its write pulses in the ledger.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch
from pydantic import Field, field_validator

from neurofab.core import Config, ConfigError, atomic_write_bytes, make_generator
from neurofab.core import progress as progress_bar_ctx
from neurofab.crossbar import AnalogTile, TileConfig
from neurofab.learning.ep import ConvergentNet, EPConfig, bptt_gradient, ep_estimate, run_phases

__all__ = [
    "EPTrainConfig",
    "EPTrainer",
    "FeedForwardMLP",
    "accuracy",
    "cosine_lr",
    "tile_network",
    "train_ep_tiles",
    "train_feedforward",
]

Method = Literal["ep", "bptt"]


class EPTrainConfig(Config):
    """Optimizer and schedule (Table 1: batch 128, layer rates 0.25-0.15-0.1-0.08-0.05, final 1e-5, WD 3e-4,
    momentum 0.9, cosine over 100 epochs)."""

    method: Method = Field("ep", description="EP estimate (EPConfig.estimator) or BPTT through the last K steps")
    epochs: int = Field(10, ge=1, description="training epochs [1]")
    batch_size: int = Field(32, ge=1, description="samples per update [1]")
    lrs: tuple[float, ...] = Field((0.1,), description="initial learning rate per layer (one value: all) [1]")
    lr_final: float = Field(1e-5, ge=0, description="learning rate at the end of the cosine schedule [1]")
    cosine_epochs: int | None = Field(None, ge=1, description="cosine decay length (None: no schedule) [epochs]")
    momentum: float = Field(0.0, ge=0, lt=1, description="heavy-ball momentum [1]")
    weight_decay: float = Field(0.0, ge=0, description="L2 decay on weight matrices (λ of Eq. 21) [1]")
    seed: int = Field(0, ge=0, description="seed of the data order and the random nudging sign")

    @field_validator("lrs")
    @classmethod
    def _positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not (x > 0) for x in v):
            raise ValueError("every learning rate must be > 0 and at least one is needed")
        return v


def cosine_lr(lr0: float, lr_final: float, epoch: int, length: int | None) -> float:
    """Cosine annealing from lr0 to lr_final over ``length`` epochs, then lr_final (None: constant lr0)."""
    if length is None:
        return lr0
    e = min(epoch, length)
    return lr_final + 0.5 * (lr0 - lr_final) * (1 + math.cos(math.pi * e / length))


def _layer_of(name: str, n_layers: int) -> int:
    return n_layers if name in ("w_out", "b_out") else int(name[1:]) - 1


def accuracy(predict: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
             batch: int = 1000) -> float:
    """Percentage of correct predictions over (x, y), in batches."""
    hits = sum(int((predict(x[i:i + batch]) == y[i:i + batch]).sum()) for i in range(0, len(x), batch))
    return 100.0 * hits / len(x)


class EPTrainer:
    """SGD with momentum / weight decay / per-layer cosine rates on a :class:`ConvergentNet` by EP or BPTT."""

    def __init__(self, net: ConvergentNet, ep: EPConfig, cfg: EPTrainConfig) -> None:
        n_groups = net.n_layers + (1 if net.loss == "ce" else 0)
        if len(cfg.lrs) not in (1, n_groups):
            raise ConfigError(f"EPTrainConfig.lrs has {len(cfg.lrs)} rates; the network has {n_groups} layers "
                              "(give one rate or one per layer)")
        if ep.loss != net.loss:
            raise ConfigError(f"EPConfig.loss = {ep.loss!r} but the network was built for {net.loss!r}")
        if cfg.method == "bptt" and ep.K > ep.T:
            raise ConfigError(f"EPConfig.K = {ep.K} > T = {ep.T}: BPTT runs through the last K of T steps")
        self.net, self.ep, self.cfg = net, ep, cfg
        self.lrs = list(cfg.lrs) * (n_groups if len(cfg.lrs) == 1 else 1)
        self.velocity = {k: torch.zeros_like(v) for k, v in net.tensors().items()}
        self.epoch = 0
        self.generator = make_generator(cfg.seed)
        self.history: list[dict[str, float]] = []

    def lr(self, name: str) -> float:
        lr0 = self.lrs[_layer_of(name, self.net.n_layers)]
        return cosine_lr(lr0, self.cfg.lr_final, self.epoch, self.cfg.cosine_epochs)

    def gradient(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.cfg.method == "bptt":
            return bptt_gradient(self.net, x, y, self.ep.T, self.ep.K)
        return ep_estimate(self.net, x, y, self.ep, self.generator).grads

    def apply(self, grads: dict[str, torch.Tensor]) -> None:
        """v ← μ v + g + λ θ (weights only); θ ← θ − η_layer v."""
        cfg = self.cfg
        with torch.no_grad():
            for k, g in grads.items():
                p = self.net.params[k]
                assert isinstance(p, torch.Tensor)
                if cfg.weight_decay and k[0] in "WBw":
                    g = g + cfg.weight_decay * p
                v = self.velocity[k]
                v.mul_(cfg.momentum).add_(g)
                p.sub_(self.lr(k) * v)

    def train_epoch(self, x: torch.Tensor, y: torch.Tensor) -> int:
        """One pass over (x, y) in shuffled batches; returns the number of updates."""
        self.net.check_input(x, y)
        order = torch.randperm(len(x), generator=self.generator)
        steps = 0
        for i in range(0, len(x), self.cfg.batch_size):
            idx = order[i:i + self.cfg.batch_size]
            self.apply(self.gradient(x[idx], y[idx]))
            steps += 1
        self.epoch += 1
        return steps

    def fit(self, x: torch.Tensor, y: torch.Tensor, epochs: int | None = None, x_test: torch.Tensor | None = None,
            y_test: torch.Tensor | None = None, progress: bool | None = None,
            checkpoint: str | Path | None = None) -> list[dict[str, float]]:
        """Train up to ``epochs`` (default: the config's total) epochs from the current one; record test accuracy
        per epoch when a test set is given; save to ``checkpoint`` after each epoch. ``progress``: a bar over the
        epochs (None: when standard error is a terminal)."""
        stop = self.cfg.epochs if epochs is None else min(self.cfg.epochs, self.epoch + epochs)
        with progress_bar_ctx(stop - self.epoch, f"{self.cfg.method}", enabled=progress, unit="epochs") as advance:
            while self.epoch < stop:
                self.train_epoch(x, y)
                row = {"epoch": float(self.epoch)}
                if x_test is not None and y_test is not None:
                    row["test_acc"] = accuracy(lambda v: self.net.predict(v, self.ep.T), x_test, y_test)
                self.history.append(row)
                if checkpoint is not None:
                    self.save(checkpoint)
                advance(1)
        return self.history

    # ----- checkpoints -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"params": {k: v.clone() for k, v in self.net.tensors().items()},
                "velocity": {k: v.clone() for k, v in self.velocity.items()}, "epoch": self.epoch,
                "generator": self.generator.get_state(), "history": list(self.history),
                "ep": self.ep.to_dict(), "cfg": self.cfg.to_dict()}

    def load_state_dict(self, state: dict) -> None:
        if state["ep"] != self.ep.to_dict() or state["cfg"] != self.cfg.to_dict():
            raise ConfigError("checkpoint was written with a different EPConfig / EPTrainConfig")
        for k, v in state["params"].items():
            self.net.params[k] = v.clone()
        self.velocity = {k: v.clone() for k, v in state["velocity"].items()}
        self.epoch = int(state["epoch"])
        self.generator.set_state(state["generator"])
        self.history = list(state["history"])

    def save(self, path: str | Path) -> Path:
        buf = io.BytesIO()
        torch.save(self.state_dict(), buf)
        return atomic_write_bytes(path, buf.getvalue())

    def load(self, path: str | Path) -> None:
        self.load_state_dict(torch.load(path, weights_only=False))


# ----- feed-forward reference ------------------------------------------------------------------------------------
class FeedForwardMLP(torch.nn.Module):
    """The same layer sizes as a plain feed-forward MLP with the same bounded activation (sigmoid or clamp)."""

    def __init__(self, sizes: list[int], activation: str = "hard", seed: int = 0) -> None:
        super().__init__()
        gen = make_generator(seed)
        self.activation = activation
        self.layers = torch.nn.ModuleList()
        for a, b in itertools.pairwise(sizes):
            lin = torch.nn.Linear(a, b)
            bound = 1.0 / math.sqrt(a)
            with torch.no_grad():
                lin.weight.copy_(torch.rand(b, a, generator=gen) * 2 * bound - bound)
                lin.bias.copy_(torch.rand(b, generator=gen) * 2 * bound - bound)
            self.layers.append(lin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, lin in enumerate(self.layers):
            x = lin(x)
            if i < len(self.layers) - 1:
                x = x.clamp(0, 1) if self.activation == "hard" else torch.sigmoid(4 * (x - 0.5))
        return x


def train_feedforward(sizes: list[int], x: torch.Tensor, y: torch.Tensor, cfg: EPTrainConfig,
                      activation: str = "hard") -> FeedForwardMLP:
    """Cross-entropy training of :class:`FeedForwardMLP` with the same optimizer and schedule as EPTrainer."""
    model = FeedForwardMLP(sizes, activation, cfg.seed)
    gen = make_generator(cfg.seed)
    n_layers = len(model.layers)
    lrs = list(cfg.lrs) * (n_layers if len(cfg.lrs) == 1 else 1)
    if len(lrs) != n_layers:
        raise ConfigError(f"EPTrainConfig.lrs has {len(cfg.lrs)} rates for {n_layers} layers")
    groups = [{"params": list(lin.parameters()), "lr": lr} for lin, lr in zip(model.layers, lrs)]
    opt = torch.optim.SGD(groups, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    for epoch in range(cfg.epochs):
        for g, lr0 in zip(opt.param_groups, lrs):
            g["lr"] = cosine_lr(lr0, cfg.lr_final, epoch, cfg.cosine_epochs)
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model


# ----- EP on analog tiles ----------------------------------------------------------------------------------------
def tile_network(net: ConvergentNet, tile_config: TileConfig, seed: int = 0) -> ConvergentNet:
    """Program every weight matrix Wₙ of ``net`` onto an :class:`AnalogTile` (in place; biases stay digital)."""
    if net.unidirectional or net.loss != "mse":
        raise ConfigError("tile_network takes a bidirectional squared-error network")
    for n in range(1, net.n_layers + 1):
        w = net.params[f"W{n}"]
        assert isinstance(w, torch.Tensor)
        tile = AnalogTile(w.shape[0], w.shape[1], tile_config, seed=seed + n, dtype=w.dtype)
        tile.set_weights(w)
        net.params[f"W{n}"] = tile
    return net


def train_ep_tiles(net: ConvergentNet, ep: EPConfig, x: torch.Tensor, y: torch.Tensor, lrs: list[float],
                   epochs: int, batch_size: int, seed: int = 0) -> None:
    """Symmetric EP (Eq. 12) with each Wₙ updated on its tile by one pulsed outer product per batch (module
    docstring); biases by plain SGD. ``lrs``: one rate per layer."""
    if ep.estimator != "symmetric" or ep.loss != "mse":
        raise ConfigError("train_ep_tiles runs the symmetric estimator with the squared-error loss")
    if len(lrs) != net.n_layers:
        raise ConfigError(f"lrs has {len(lrs)} rates for {net.n_layers} layers")
    gen = make_generator(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb, yb = x[idx], y[idx]
            m = len(idx)
            ph = run_phases(net, xb, yb, ep)
            assert ph.minus is not None
            with torch.no_grad():
                below_p, below_m = [xb, *ph.plus], [xb, *ph.minus]
                for n in range(1, net.n_layers + 1):
                    tile = net.params[f"W{n}"]
                    assert isinstance(tile, AnalogTile)
                    scale = 1.0 / (2 * ph.beta * m)
                    xs = torch.cat([below_p[n - 1], below_m[n - 1]])
                    ds = torch.cat([-ph.plus[n - 1] * scale, ph.minus[n - 1] * scale])
                    tile.update(xs, ds, lrs[n - 1])
                    b = net.params[f"b{n}"]
                    assert isinstance(b, torch.Tensor)
                    b.add_(lrs[n - 1] * (ph.plus[n - 1] - ph.minus[n - 1]).mean(0) / (2 * ph.beta))
