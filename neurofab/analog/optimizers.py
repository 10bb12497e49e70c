"""One optimizer interface for analog layers: choose SGD, Tiki-Taka, TTv2, SHD or gradient decomposition.

A model is built with :class:`~neurofab.analog.AnalogLinear` / :class:`~neurofab.analog.AnalogConv2d` (or
:func:`~neurofab.analog.convert_to_analog`) on a :class:`~neurofab.crossbar.TileConfig` — the device, the
periphery of both MVM directions and the update mode of the outer product (``stochastic`` pulse trains, one
pulse at a time, or their ``expected`` value). :func:`use_algorithm` then installs a training algorithm on
every tile of every analog layer, keeping the present weights:

- :class:`SGDAlgorithm` — plain analog SGD: the tile's pulsed update writes the weight array;
- a :class:`~neurofab.crossbar.compound.CompoundConfig` — Tiki-Taka
  (:func:`~neurofab.analog.tiki_taka.tiki_taka_config`), TTv2 (:func:`~neurofab.analog.tiki_taka.ttv2_config`),
  SHD (:func:`~neurofab.analog.shd.shd_config`): each tile
  becomes a :class:`~neurofab.crossbar.compound.CompoundTile` whose A array takes the tile's pulsed update and
  whose C array takes the transfers; the forward and transpose MVMs read γ(A − A_ref) + (C − C_ref);
- a :class:`~neurofab.analog.chopped.ChoppedConfig` — chopped TTv2 and AGAD (Rasch et al. 2023;
  :func:`~neurofab.analog.chopped.chopped_ttv2_config`, :func:`~neurofab.analog.chopped.agad_config`): each tile
  becomes a :class:`~neurofab.analog.chopped.ChoppedTile`;
- :class:`~neurofab.analog.mixed_precision.MixedPrecisionAlgorithm` — a digital χ accumulator writing whole
  device steps (Nandakumar et al. 2020), installed through the tile's update hook;
- :class:`DecompositionAlgorithm` — mini-batch gradient descent with the batch gradient kept in full (MBGD),
  by streaming batch PCA or by NMF, written once per batch as rounded pulse counts (Zhao et al. 2021), installed
  through the tile's update hook (:class:`DecompositionRule`).

:class:`~neurofab.analog.AnalogSGD` drives all of them: its learning rate is η (η_a for the compound
algorithms; η_c lives in the transfer configuration). Example::

    model = convert_to_analog(nn.Sequential(nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 10)),
                              TileConfig(device=SoftBounds()))
    use_algorithm(model, ttv2_config(lr_c=0.05, every=1))
    opt = AnalogSGD(model.parameters(), lr=0.05)
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import nn

from neurofab.analog.chopped import ChoppedConfig, ChoppedTile
from neurofab.analog.decomposition import NMFDecomposition, StreamingBatchPCA, transfer_components
from neurofab.analog.layers import AnalogLayer
from neurofab.analog.mixed_precision import MixedPrecisionAlgorithm, MixedPrecisionRule
from neurofab.core import Config, ConfigError, InputTypeError, Seed, ShapeError, child_seeds, make_generator
from neurofab.crossbar import AnalogTile
from neurofab.crossbar.compound import CompoundConfig, CompoundTile

__all__ = [
    "DecompositionAlgorithm",
    "DecompositionRule",
    "SGDAlgorithm",
    "analog_tiles",
    "use_algorithm",
]


class SGDAlgorithm(Config):
    """Plain analog SGD: the weight is one device array written by the tile's pulsed outer-product update."""


class DecompositionAlgorithm(Config):
    """Mini-batch gradient descent with the batch gradient compressed before the write (Zhao et al. 2021)."""

    method: Literal["mbgd", "sbpca", "nmf"] = Field("mbgd", description="full batch sum, streaming batch PCA or NMF")
    rank: int = Field(10, ge=1, description="rank k of the decomposition [1]")
    block: int = Field(32, ge=1, description="SBPCA block size b [samples]")
    iterations: int = Field(200, ge=1, description="NMF HALS iterations per batch, P [1]")
    transfer: Literal["rank-sum", "rank-seq"] = Field("rank-sum", description="recompose outside or on the array")
    rounding: Literal["nearest", "stochastic"] = Field("stochastic", description="pulse-count rounding")


Algorithm = SGDAlgorithm | CompoundConfig | ChoppedConfig | DecompositionAlgorithm | MixedPrecisionAlgorithm
_ALGORITHMS = (SGDAlgorithm, CompoundConfig, ChoppedConfig, DecompositionAlgorithm, MixedPrecisionAlgorithm)


class DecompositionRule(nn.Module):
    """A tile update rule: the batch gradient Σ_s δ_s x_sᵀ (or its rank-k estimate) written as rounded pulses.

    Called by the tile as ``rule(tile, x, d, lr)`` (x: B × in, δ: B × out, W ← W − lr·Σ δxᵀ). The gradient is
    the one the loss defines (use a batch-mean loss for the paper's mean gradient). SBPCA and NMF factors are
    warm-started from batch to batch; pulses written are counted in :attr:`pulses` and on the ledger.
    """

    def __init__(self, tile: AnalogTile, algorithm: DecompositionAlgorithm, seed: Seed = 0) -> None:
        super().__init__()
        if not isinstance(algorithm, DecompositionAlgorithm):
            raise InputTypeError(f"algorithm must be a DecompositionAlgorithm, got {type(algorithm).__name__}")
        self.algorithm = algorithm
        s_dec, s_round = child_seeds(seed, 2) if isinstance(seed, int) else (seed, seed)
        m, n = tile.in_size, tile.out_size
        a = algorithm
        self.sbpca = StreamingBatchPCA(m, n, min(a.rank, m, n), a.block, s_dec) if a.method == "sbpca" else None
        self.nmf = NMFDecomposition(m, n, a.rank, a.iterations, s_dec) if a.method == "nmf" else None
        self.generator = make_generator(s_round)
        self.pulses = 0

    def get_extra_state(self) -> dict:
        """The rounding generator, the warm-started factors and the pulse count, so training resumes exactly."""
        state: dict = {"generator": self.generator.get_state(), "generator_device": str(self.generator.device),
                       "pulses": self.pulses}
        if self.sbpca is not None:
            p = self.sbpca
            state["sbpca"] = {"x_factor": p.x_factor.clone(), "d_factor": p.d_factor.clone(),
                              "sigma": p.sigma.clone(), "i": p.i}
        if self.nmf is not None:
            state["nmf"] = {"generator": self.nmf.generator.get_state(),
                            "factors": {k: None if f is None else (f[0].clone(), f[1].clone())
                                        for k, f in self.nmf.factors.items()}}
        return state

    def set_extra_state(self, state: dict) -> None:
        for key, present in (("sbpca", self.sbpca is not None), ("nmf", self.nmf is not None)):
            if (key in state) != present:
                raise ConfigError(
                    f"DecompositionRule: the checkpoint was written by method "
                    f"{'sbpca' if 'sbpca' in state else 'nmf' if 'nmf' in state else 'mbgd'}, "
                    f"this rule is {self.algorithm.method!r}"
                )
        self.generator = torch.Generator(device=state.get("generator_device", "cpu"))
        self.generator.set_state(state["generator"])
        self.pulses = int(state["pulses"])
        if self.sbpca is not None:
            s = state["sbpca"]
            if tuple(s["x_factor"].shape) != tuple(self.sbpca.x_factor.shape) or \
                    tuple(s["d_factor"].shape) != tuple(self.sbpca.d_factor.shape):
                raise ShapeError("DecompositionRule: the checkpoint's SBPCA factors do not match this tile's shape")
            self.sbpca.x_factor, self.sbpca.d_factor = s["x_factor"].clone(), s["d_factor"].clone()
            self.sbpca.sigma, self.sbpca.i = s["sigma"].clone(), int(s["i"])
        if self.nmf is not None:
            self.nmf.generator.set_state(state["nmf"]["generator"])
            self.nmf.factors = {k: None if f is None else (f[0].clone(), f[1].clone())
                                for k, f in state["nmf"]["factors"].items()}

    def forward(self, tile: AnalogTile, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        x64, d64 = x.to(torch.float64), d.to(torch.float64)
        if self.sbpca is not None:
            b = x.shape[0]
            self.sbpca.reset_batch()
            self.sbpca.update(x64, d64)
            self.sbpca.flush()
            comps = [b * c for c in self.sbpca.components()]  # SBPCA estimates the mean; the rule writes the sum
        elif self.nmf is not None:
            self.nmf.decompose(x64.T @ d64)
            comps = self.nmf.components()
        else:
            comps = [d64.T @ x64]
        mode = "rank-sum" if self.sbpca is None and self.nmf is None else self.algorithm.transfer
        self.pulses += transfer_components(tile.array, comps, lr, mode, self.algorithm.rounding, self.generator)


def analog_tiles(model: nn.Module) -> list[tuple[AnalogLayer, int, AnalogTile]]:
    """Every (layer, index, tile) of the analog layers of ``model``, in module order."""
    out = []
    for module in model.modules():
        if isinstance(module, AnalogLayer):
            out += [(module, k, tile) for k, tile in enumerate(module.tiles.tiles)]
    return out


def use_algorithm(model: nn.Module, algorithm: Algorithm, seed: int = 0) -> nn.Module:
    """Install ``algorithm`` on every tile of every analog layer of ``model`` (in place; returns ``model``).

    The present weights are kept: a compound tile is calibrated (references programmed) and its C array
    programmed to the tile's weights; a plain tile keeps its devices. Each tile gets its own seed derived from
    ``seed`` in module order. Installing SGD on a compound tile returns it to a single array.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"use_algorithm: expected an nn.Module, got {type(model).__name__}")
    if not isinstance(algorithm, _ALGORITHMS):
        raise InputTypeError(
            "use_algorithm: algorithm must be SGDAlgorithm, a CompoundConfig (tiki_taka_config, ttv2_config, "
            "shd_config), a ChoppedConfig (chopped_ttv2_config, agad_config), DecompositionAlgorithm or "
            f"MixedPrecisionAlgorithm, got {type(algorithm).__name__}"
        )
    tiles = analog_tiles(model)
    if not tiles:
        raise InputTypeError("use_algorithm: the model has no analog layers (use AnalogLinear or convert_to_analog)")
    seeds = child_seeds(seed, len(tiles))
    for (layer, k, tile), s in zip(tiles, seeds, strict=True):
        w = tile.get_weights().detach().clone()
        dtype = tile.array.w.dtype
        if isinstance(algorithm, CompoundConfig | ChoppedConfig):
            kind = CompoundTile if isinstance(algorithm, CompoundConfig) else ChoppedTile
            new: AnalogTile = kind(tile.out_size, tile.in_size, tile.config, algorithm, seed=s, dtype=dtype)
            new.calibrate()
            new.set_weights(w)
        else:
            if isinstance(tile, CompoundTile):
                new = AnalogTile(tile.out_size, tile.in_size, tile.config, seed=s, dtype=dtype)
                new.set_weights(w)
            else:
                new = tile
            rule: nn.Module | None = None
            if isinstance(algorithm, DecompositionAlgorithm):
                rule = DecompositionRule(new, algorithm, s)
            elif isinstance(algorithm, MixedPrecisionAlgorithm):
                rule = MixedPrecisionRule(new, algorithm, s)
            new.set_update_rule(rule)
        layer.tiles.tiles[k] = new.to(tile.array.w.device)
        layer.discard_update()
    return model
