"""Shared training loop of the analog-training reproductions: an MLP on analog layers with one algorithm."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from neurofab.analog import AnalogSGD, convert_to_analog
from neurofab.analog.optimizers import Algorithm, use_algorithm
from neurofab.core import one_thread
from neurofab.crossbar import TileConfig

__all__ = ["analog_mlp", "evaluate", "fit_epoch", "one_thread"]


def analog_mlp(
    sizes: Sequence[int],
    tile: TileConfig,
    algorithm: Algorithm,
    seed: int = 0,
    activation: Literal["sigmoid", "tanh"] = "sigmoid",
    bias: bool = True,
    init_scale: float = 1.0,
) -> nn.Sequential:
    """A fully connected network (``activation`` between layers) on analog tiles trained by ``algorithm``."""
    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        lin = nn.Linear(n_in, n_out, bias=bias)
        with torch.no_grad():
            bound = init_scale / n_in**0.5
            lin.weight.copy_((torch.rand(n_out, n_in, generator=gen) * 2 - 1) * bound)
            if bias:
                lin.bias.zero_()
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid() if activation == "sigmoid" else nn.Tanh())
    model = convert_to_analog(nn.Sequential(*layers), tile, seed=seed)
    return use_algorithm(model, algorithm, seed=seed)


def _loss(out: torch.Tensor, y: torch.Tensor, kind: str, reduction: str) -> torch.Tensor:
    if kind == "ce":
        return nn.functional.cross_entropy(out, y, reduction=reduction)
    target = nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    err = ((torch.sigmoid(out) - target) ** 2).sum(1)
    return err.sum() if reduction == "sum" else err.mean()


def fit_epoch(
    model: nn.Module,
    opt: AnalogSGD,
    x: torch.Tensor,
    y: torch.Tensor,
    batch: int,
    seed: int,
    loss: Literal["ce", "mse"] = "ce",
    reduction: Literal["sum", "mean"] = "sum",
    after_step=None,
) -> None:
    """One pass over (x, y) in shuffled batches; ``reduction="sum"`` makes each sample one rank-1 update."""
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    for s in range(0, x.shape[0], batch):
        idx = perm[s : s + batch]
        opt.zero_grad()
        _loss(model(x[idx]), y[idx], loss, reduction).backward()
        opt.step()
        if after_step is not None:
            after_step()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: Literal["ce", "mse"] = "ce"):
    """(accuracy, mean loss) on (x, y) through the analog forward pass."""
    out = model(x)
    return float((out.argmax(1) == y).double().mean()), float(_loss(out, y, loss, "mean"))
