"""Training with the chip in the loop (Schmitt et al. 2017, BrainScaleS): the chip runs the forward pass, software
computes the update by backpropagation through a model of the chip fed with the chip's recorded activity.

The software model is the ideal rate network (ReLU hidden layers, linear output) with the same weights. One
iteration on a batch (x, y):

1. program the current weights into the chip and run the batch: hidden rates a_l and outputs z (recorded);
2. δ_L = (softmax(z) − onehot(y)) / B, the cross-entropy gradient at the *measured* outputs;
3. for each layer l from the top: ∂W_l = δ_lᵀ a_{l−1}, ∂b_l = Σ δ_l, and δ_{l−1} = (δ_l W_l) ⊙ [0 < a_{l−1} < a_max]
   — the model's weights, the chip's activity (a_0 = x); a_max is the chip's largest rate (one spike per step on
   the spiking chip, none on the rate chip), so saturated neurons pass no gradient;
4. coarsen the gradient (``exact``; ``sign``: its sign; ``bits:k``: k-bit uniform per-tensor quantisation with
   stochastic rounding) and take an Adam step on the software weights, clipped to the chip's range.

The chip's mismatch never enters the software, yet the updates follow it: the forward pass is the chip's own. The
coarse variants test that updates "only need to approximately follow the gradient" (seed 004 l. 57).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from neurofab.core import ConfigError, make_generator
from neurofab.core.seeding import Seed
from neurofab.reservoir.chip import ChipActivity, MismatchedChip


@dataclass
class RateNetwork:
    """Weights (out × in) and biases of a ReLU network: the ideal software model of the chip."""

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]

    @classmethod
    def init(cls, sizes: list[int] | tuple[int, ...], seed: Seed = 0) -> RateNetwork:
        gen = make_generator(seed)
        ws = [torch.randn(o, i, generator=gen) * (2.0 / i) ** 0.5 for i, o in itertools.pairwise(sizes)]
        return cls(ws, [torch.zeros(o) for o in sizes[1:]])

    def copy(self) -> RateNetwork:
        return RateNetwork([w.clone() for w in self.weights], [b.clone() for b in self.biases])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = x
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            a = a @ w.T + b
            if k < len(self.weights) - 1:
                a = torch.relu(a)
        return a

    def accuracy(self, x: torch.Tensor, y: torch.Tensor) -> float:
        return float((self.forward(x).argmax(1) == y).float().mean())


def chip_accuracy(chip: MismatchedChip, net: RateNetwork, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of ``net`` programmed into ``chip`` (one run, temporal noise included)."""
    chip.program(net.weights, net.biases)
    return float((chip.run(x).output.argmax(1) == y).float().mean())


class _Adam:
    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.params, self.lr, self.betas = params, lr, betas
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[torch.Tensor], clip: float) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            mh = m / (1 - b1**self.t)
            vh = v / (1 - b2**self.t)
            p.sub_(self.lr * mh / (vh.sqrt() + 1e-8)).clamp_(-clip, clip)


def coarsen(g: torch.Tensor, mode: str, gen: torch.Generator) -> torch.Tensor:
    """``exact`` (unchanged), ``sign`` (sign only) or ``bits:k`` (k-bit per-tensor quantisation, stochastic)."""
    if mode == "exact":
        return g
    if mode == "sign":
        return torch.sign(g)
    if mode.startswith("bits:"):
        try:
            bits = int(mode[5:])
        except ValueError:
            bits = 0
        if bits < 2:
            raise ConfigError(f"gradient = {mode!r}: 'bits:k' needs an integer k >= 2")
        scale = g.abs().max()
        if scale == 0:
            return g
        levels = 2 ** (bits - 1) - 1
        u = g / scale * levels
        low = torch.floor(u)
        q = low + (torch.rand(u.shape, generator=gen) < (u - low)).float()
        return q * (scale / levels)
    raise ConfigError(f"gradient = {mode!r}: must be 'exact', 'sign' or 'bits:k'")


def train_software(net: RateNetwork, x: torch.Tensor, y: torch.Tensor, epochs: int = 40, batch: int = 64,
                   lr: float = 3e-3, clip: float = 1.0, seed: Seed = 0) -> RateNetwork:
    """Ideal training of the software model (autograd, Adam), weights kept within ±clip (the chip's range)."""
    gen = make_generator(seed)
    params = [p.clone().requires_grad_(True) for p in (*net.weights, *net.biases)]
    n_layers = len(net.weights)
    opt = torch.optim.Adam(params, lr)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            model = RateNetwork(params[:n_layers], params[n_layers:])
            opt.zero_grad()
            F.cross_entropy(model.forward(x[idx]), y[idx]).backward()
            opt.step()
            with torch.no_grad():
                for p in params:
                    p.clamp_(-clip, clip)
    return RateNetwork([p.detach() for p in params[:n_layers]], [p.detach() for p in params[n_layers:]])


def loop_gradients(chip: MismatchedChip, net: RateNetwork, x: torch.Tensor, y: torch.Tensor
                   ) -> tuple[ChipActivity, tuple[list[torch.Tensor], list[torch.Tensor]]]:
    """Program ``net``, run the batch on the chip, and backpropagate the mean cross-entropy through the software
    model at the chip's recorded activity: (activity, (weight gradients, bias gradients))."""
    chip.program(net.weights, net.biases)
    act = chip.run(x)
    n_classes = net.weights[-1].shape[0]
    delta = (torch.softmax(act.output, 1) - F.one_hot(y, n_classes).float()) / x.shape[0]
    below = [torch.as_tensor(x, dtype=torch.float32), *act.hidden]
    gw: list[torch.Tensor] = [torch.empty(0)] * len(net.weights)
    gb: list[torch.Tensor] = [torch.empty(0)] * len(net.weights)
    for k in range(len(net.weights) - 1, -1, -1):
        gw[k] = delta.T @ below[k]
        gb[k] = delta.sum(0)
        if k > 0:
            active = (below[k] > 0) & (below[k] < chip.max_rate)
            delta = (delta @ net.weights[k]) * active.float()
    return act, (gw, gb)


@dataclass
class LoopHistory:
    """Per iteration: the chip's accuracy on that iteration's batch (the seed's Figure 4, right)."""

    batch_accuracy: list[float] = field(default_factory=list)


def train_in_the_loop(chip: MismatchedChip, net: RateNetwork, x: torch.Tensor, y: torch.Tensor,
                      iterations: int = 40, batch: int = 256, lr: float = 0.01, gradient: str = "exact",
                      seed: Seed = 0) -> tuple[RateNetwork, LoopHistory]:
    """Fine-tune ``net`` (a copy) on ``chip`` for ``iterations`` batches; returns it and the per-batch accuracy."""
    if iterations < 0 or batch < 1:
        raise ConfigError(f"iterations = {iterations}, batch = {batch}: need iterations >= 0 and batch >= 1")
    coarsen(torch.zeros(1), gradient, make_generator(0))  # validate the mode before any work
    gen = make_generator(seed)
    net = net.copy()
    clip = chip.config.weight_max
    opt = _Adam([*net.weights, *net.biases], lr)
    hist = LoopHistory()
    for _ in range(iterations):
        idx = torch.randint(0, len(x), (batch,), generator=gen)
        xb, yb = x[idx], y[idx]
        act, (gw, gb) = loop_gradients(chip, net, xb, yb)
        hist.batch_accuracy.append(float((act.output.argmax(1) == yb).float().mean()))
        grads = [coarsen(g, gradient, gen) for g in (*gw, *gb)]
        opt.step(grads, clip)
    return net, hist
