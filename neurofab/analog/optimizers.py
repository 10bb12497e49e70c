"""One interface for the analog training algorithms: every weight is a module with ``weights()``/``update()``.

:func:`build_weight` turns an algorithm description into a weight object for one (out × in) matrix:

- :class:`SGDAlgorithm` — plain analog SGD on one device array (:class:`PlainWeight`);
- a :class:`~neurofab.crossbar.compound.CompoundConfig` — Tiki-Taka, TTv2, SHD or the 4-device Tiki-Taka
  (see :func:`~neurofab.analog.tiki_taka.tiki_taka_config`, :func:`~neurofab.analog.tiki_taka.ttv2_config`,
  :func:`~neurofab.analog.shd.shd_config`) as a :class:`~neurofab.crossbar.compound.CompoundWeight`;
- :class:`DecompositionAlgorithm` — mini-batch gradient descent with the batch gradient kept in full (MBGD),
  by streaming batch PCA or by NMF, written as rounded pulse counts (:class:`DecomposedWeight`).

Every weight object offers ``weights()`` (the forward weight, out × in), ``set_weights(w)``, ``calibrate()``
and ``update(x, d, lr)`` for a batch (x: B × in inputs, d: B × out errors; the update is W ← W − lr·dᵀx).
:class:`WeightMLP` trains a multi-layer perceptron whose layers are such weights, with the forward and
transpose MVMs through an :class:`~neurofab.crossbar.IOConfig` periphery, so the algorithms can be compared
on one network with one loop.

Pulse fidelity: :class:`PlainWeight` and compound weights write the outer product through an *updater*
(default :func:`~neurofab.crossbar.compound.expected_outer_update`, Eq. 3 in expectation) or per-pulse with
``fidelity="pulse"`` (:func:`stochastic_pulse_update`: Poisson-binomially rounded counts per device, applied
one pulse at a time through the device response).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from neurofab.analog.decomposition import NMFDecomposition, StreamingBatchPCA, stochastic_round, transfer_components
from neurofab.core import (
    Config,
    ConfigError,
    InputTypeError,
    NumericalError,
    Seed,
    ShapeError,
    child_seeds,
    make_generator,
)
from neurofab.crossbar import IOConfig, analog_mvm
from neurofab.crossbar.compound import CompoundConfig, CompoundWeight, Updater, expected_outer_update
from neurofab.devices import AnyDevice, DeviceArray, SoftBounds

__all__ = [
    "DecomposedWeight",
    "DecompositionAlgorithm",
    "PlainWeight",
    "SGDAlgorithm",
    "WeightMLP",
    "build_weight",
    "stochastic_pulse_update",
]


def stochastic_pulse_update(array: DeviceArray, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
    """W ← W − lr·dᵀx as integer pulses: each sample's lr|δ_i x_j|/Δw stochastically rounded, summed per sign.

    The up and down counts of a batch are applied as two pulse runs (downs first), each pulse through the
    device response with its c2c noise. E[count] equals the expected number of coincidences of the pulse-train
    update; the spread is that of one Bernoulli per sample and device (smaller than a pulse train's).
    """
    if lr == 0:
        return
    gen = array.generator
    r = (-lr / array.model.dw_min) * (d.to(torch.float64).unsqueeze(2) * x.to(torch.float64).unsqueeze(1))
    counts = stochastic_round(r, gen)
    up = torch.clamp(counts, min=0).sum(0)
    down = torch.clamp(counts, max=0).sum(0)
    array.pulse(down)
    array.pulse(up)


def _updater(fidelity: str) -> Updater:
    if fidelity == "expected":
        return expected_outer_update
    if fidelity == "pulse":
        return stochastic_pulse_update
    raise ConfigError(f"fidelity = {fidelity!r}: must be 'expected' or 'pulse'")


class SGDAlgorithm(Config):
    """Plain analog SGD: the weight is one device array updated by the pulsed outer product."""

    device: AnyDevice = Field(default_factory=SoftBounds, description="the device of every cross-point")
    symmetric_reference: bool = Field(
        False, description="read against a reference at each device's symmetry point (zero-shifted) instead of 0"
    )


class DecompositionAlgorithm(Config):
    """Mini-batch gradient descent with the batch gradient compressed before the write (Zhao et al. 2021)."""

    device: AnyDevice = Field(default_factory=SoftBounds, description="the device of every cross-point")
    method: Literal["mbgd", "sbpca", "nmf"] = Field("mbgd", description="full batch sum, streaming batch PCA or NMF")
    rank: int = Field(10, ge=1, description="rank k of the decomposition [1]")
    block: int = Field(32, ge=1, description="SBPCA block size b [samples]")
    iterations: int = Field(200, ge=1, description="NMF HALS iterations per batch, P [1]")
    transfer: Literal["rank-sum", "rank-seq"] = Field("rank-sum", description="recompose outside or on the array")
    rounding: Literal["nearest", "stochastic"] = Field("stochastic", description="pulse-count rounding")


class PlainWeight(nn.Module):
    """One device array as a weight (analog SGD)."""

    def __init__(self, out_size: int, in_size: int, algorithm: SGDAlgorithm, seed: Seed, updater: Updater) -> None:
        super().__init__()
        self.algorithm = algorithm
        self.array = algorithm.device.build((out_size, in_size), seed=seed)
        self.updater = updater
        self.register_buffer("ref", torch.zeros(out_size, in_size))

    def calibrate(self) -> None:
        """Reference at the symmetry point (when asked) and the array on it: the weight reads zero."""
        if self.algorithm.symmetric_reference:
            self.ref.copy_(self.array.symmetry_point())
        self.array.set_weights(self.ref.clone())

    def weights(self) -> torch.Tensor:
        return self.array.get_weights() - self.ref

    def set_weights(self, w: torch.Tensor) -> None:
        self.array.set_weights(w + self.ref)

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        self.updater(self.array, x, d, lr)


class DecomposedWeight(nn.Module):
    """A device array written once per batch from a full, PCA-compressed or NMF-compressed batch gradient."""

    def __init__(self, out_size: int, in_size: int, algorithm: DecompositionAlgorithm, seed: Seed) -> None:
        super().__init__()
        self.algorithm = algorithm
        s_dev, s_dec, s_round = child_seeds(seed, 3) if isinstance(seed, int) else (seed, seed, seed)
        self.array = algorithm.device.build((out_size, in_size), seed=s_dev)
        self.generator = make_generator(s_round)
        a = algorithm
        self.sbpca = StreamingBatchPCA(in_size, out_size, min(a.rank, in_size, out_size), a.block, s_dec) \
            if a.method == "sbpca" else None
        self.nmf = NMFDecomposition(in_size, out_size, a.rank, a.iterations, s_dec) if a.method == "nmf" else None
        self.pulses = 0

    def calibrate(self) -> None:
        self.array.set_weights(torch.zeros_like(self.array.w))

    def weights(self) -> torch.Tensor:
        return self.array.get_weights()

    def set_weights(self, w: torch.Tensor) -> None:
        self.array.set_weights(w)

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        """One batch: ∇ = (1/B)Σ x δᵀ (or its rank-k estimate) → pulses for ΔW = −lr·∇ᵀ."""
        a = self.algorithm
        b = x.shape[0]
        x64, d64 = x.to(torch.float64), d.to(torch.float64)
        if self.sbpca is not None:
            self.sbpca.reset_batch()
            self.sbpca.update(x64, d64)
            self.sbpca.flush()
            comps = self.sbpca.components()
        elif self.nmf is not None:
            self.nmf.decompose(x64.T @ d64 / b)
            comps = self.nmf.components()
        else:
            comps = [d64.T @ x64 / b]
        mode = "rank-sum" if self.sbpca is None and self.nmf is None else a.transfer
        self.pulses += transfer_components(self.array, comps, lr, mode, a.rounding, self.generator)


def build_weight(
    algorithm: SGDAlgorithm | CompoundConfig | DecompositionAlgorithm,
    out_size: int,
    in_size: int,
    seed: Seed = 0,
    fidelity: Literal["expected", "pulse"] = "expected",
) -> nn.Module:
    """The weight object of ``algorithm`` for an (out × in) matrix, calibrated (references programmed)."""
    if isinstance(algorithm, SGDAlgorithm):
        w: nn.Module = PlainWeight(out_size, in_size, algorithm, seed, _updater(fidelity))
    elif isinstance(algorithm, CompoundConfig):
        w = CompoundWeight(out_size, in_size, algorithm, seed=seed, updater=_updater(fidelity))
    elif isinstance(algorithm, DecompositionAlgorithm):
        w = DecomposedWeight(out_size, in_size, algorithm, seed)
    else:
        raise InputTypeError(
            f"algorithm must be SGDAlgorithm, CompoundConfig or DecompositionAlgorithm, got {type(algorithm).__name__}"
        )
    w.calibrate()
    return w


class WeightMLP(nn.Module):
    """A fully connected network whose weight matrices are analog weight objects (digital biases).

    Forward: h_{l+1} = act(W_l h_l + b_l) with W_l h_l an analog MVM through ``forward_io``; backward: δ_l =
    W_lᵀ δ_{l+1} through ``backward_io`` times act'; the output layer is softmax + cross-entropy (``loss="ce"``)
    or sigmoid + squared error (``loss="mse"``, NeuroSim's s = −2a(1−a)(y−a) up to the factor 2).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        algorithm: SGDAlgorithm | CompoundConfig | DecompositionAlgorithm,
        seed: int = 0,
        activation: Literal["sigmoid", "tanh"] = "sigmoid",
        loss: Literal["ce", "mse"] = "ce",
        forward_io: IOConfig | None = None,
        backward_io: IOConfig | None = None,
        init_scale: float = 1.0,
        fidelity: Literal["expected", "pulse"] = "expected",
        bias: bool = True,
    ) -> None:
        super().__init__()
        if len(sizes) < 2 or any(s <= 0 for s in sizes):
            raise ConfigError(f"WeightMLP.sizes = {list(sizes)}: need ≥ 2 positive layer sizes")
        self.sizes = list(sizes)
        self.activation, self.loss = activation, loss
        self.forward_io = forward_io if forward_io is not None else IOConfig.perfect()
        self.backward_io = backward_io if backward_io is not None else IOConfig.perfect()
        seeds = child_seeds(seed, len(sizes))
        self.generator = make_generator(seeds[-1])
        self.layers = nn.ModuleList()
        self.biases = [torch.zeros(n) for n in sizes[1:]] if bias else None
        init = torch.Generator().manual_seed(seed)
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            w = build_weight(algorithm, n_out, n_in, seeds[i], fidelity)
            bound = init_scale / math.sqrt(n_in)
            w.set_weights((torch.rand(n_out, n_in, generator=init) * 2 - 1) * bound)
            self.layers.append(w)

    def _act(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z) if self.activation == "sigmoid" else torch.tanh(z)

    def _dact(self, a: torch.Tensor) -> torch.Tensor:
        return a * (1 - a) if self.activation == "sigmoid" else 1 - a * a

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        hs = [x]
        for i, layer in enumerate(self.layers):
            z = analog_mvm(layer.weights(), hs[-1], self.forward_io, self.generator)
            if self.biases is not None:
                z = z + self.biases[i]
            last = i == len(self.layers) - 1
            if last:
                hs.append(z if self.loss == "ce" else torch.sigmoid(z))
            else:
                hs.append(self._act(z))
        return hs

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x.float())[-1]

    @torch.no_grad()
    def accuracy(self, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> float:
        correct = 0
        for s in range(0, x.shape[0], batch):
            correct += int((self.predict(x[s : s + batch]).argmax(1) == y[s : s + batch]).sum())
        return correct / x.shape[0]

    @torch.no_grad()
    def loss_of(self, x: torch.Tensor, y: torch.Tensor) -> float:
        out = self.predict(x)
        if self.loss == "ce":
            return float(torch.nn.functional.cross_entropy(out, y))
        return float(((out - torch.nn.functional.one_hot(y, out.shape[1]).float()) ** 2).sum(1).mean())

    @torch.no_grad()
    def train_batch(self, x: torch.Tensor, y: torch.Tensor, lr: float, bias_lr: float | None = None) -> None:
        """One backward pass and one update of every layer with this batch (errors are per-sample, not averaged:
        each sample's δxᵀ is one rank-1 update, as on the hardware)."""
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ShapeError(f"WeightMLP: expected inputs (B, {self.sizes[0]}), got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise NumericalError("WeightMLP: inputs contain NaN or inf")
        hs = self.forward_all(x.float())
        out = hs[-1]
        target = torch.nn.functional.one_hot(y, out.shape[1]).float()
        delta = torch.softmax(out, 1) - target if self.loss == "ce" else (out - target) * out * (1 - out)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            back = analog_mvm(layer.weights(), delta, self.backward_io, self.generator, transposed=True) if i else None
            layer.update(hs[i], delta, lr)
            if self.biases is not None:
                grad_b = delta.mean(0) if isinstance(layer, DecomposedWeight) else delta.sum(0)
                self.biases[i] -= (lr if bias_lr is None else bias_lr) * grad_b
            if back is not None:
                delta = back * self._dact(hs[i])

    def fit_epoch(self, x: torch.Tensor, y: torch.Tensor, lr: float, batch: int, seed: int = 0) -> None:
        """One pass over (x, y) in shuffled batches."""
        if batch <= 0 or lr <= 0:
            raise ConfigError(f"WeightMLP.fit_epoch: batch = {batch} and lr = {lr} must be > 0")
        perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
        for s in range(0, x.shape[0], batch):
            idx = perm[s : s + batch]
            self.train_batch(x[idx], y[idx], lr)
