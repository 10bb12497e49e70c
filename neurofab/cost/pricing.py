"""One call from a trained (digital, analog or inference-converted) torch model to its price on a CIM chip.

:func:`price_model` runs the model once on a batch ``x`` and combines what already exists in ``cost/``:

1. :func:`~neurofab.cost.mapping.layers_from_model` — the layer table (every Conv/Linear layer, digital or
   converted, in call order);
2. :func:`~neurofab.cost.mapping.measure_activity` — each layer's measured input-bit density and weight level
   on ``x`` (the activity the chip's energy depends on);
3. :func:`~neurofab.cost.cim.estimate` — area, latency and energy of one inference on the CIM design ``cfg``
   (NeuroSim-style sub-arrays, ADCs, buffers, interconnect), per layer and in total;
4. the event ledger of the same forward pass (whatever the model's layers count: MVMs, DAC/ADC conversions,
   digital MACs), priced with the design's per-event energies (:func:`~neurofab.cost.cim.ledger_energy`) as a
   cross-check of the simulation's own counts; kinds the CIM table cannot price are listed.

The model is only duck-typed (layers with ``in_features``/``out_features`` or ``in_channels``/``kernel_size``),
so ``cost`` does not import the analog layers above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from neurofab.core import InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.cost.cim import ChipEstimate, CIMConfig, LedgerEnergy, estimate, ledger_energy, table7_config
from neurofab.cost.mapping import LayerActivity, LayerSpec, layers_from_model, measure_activity

__all__ = ["ModelPrice", "price_model"]


@dataclass
class ModelPrice:
    """What :func:`price_model` returns (SI units: J, s, m²); ``per_inference`` quantities are for one sample."""

    layers: list[LayerSpec]
    activity: dict[str, LayerActivity]
    chip: ChipEstimate
    ledger: Ledger
    ledger_energy: LedgerEnergy
    batch: int

    @property
    def energy(self) -> float:
        """Energy of one inference on the chip (dynamic + leakage over the latency) [J]."""
        return self.chip.total_energy

    @property
    def latency(self) -> float:
        """Latency of one inference [s]."""
        return self.chip.latency

    @property
    def area(self) -> float:
        """Chip area [m²]."""
        return self.chip.total_area

    def summary(self) -> dict[str, float]:
        """Headline numbers: the chip summary plus the per-sample energy of the ledger's priced events."""
        out = dict(self.chip.summary())
        out["energy_uJ"] = self.energy * 1e6
        out["ledger_energy_per_sample_uJ"] = self.ledger_energy.total / self.batch * 1e6
        return out


def price_model(model: nn.Module, x: torch.Tensor, cfg: CIMConfig | None = None,
                weight_bits: int | None = None) -> ModelPrice:
    """Price one inference of ``model`` on the CIM design ``cfg`` from its measured activity on the batch ``x``.

    ``x``: a batch (B, …) of real inputs; the activity is measured on all of it and the ledger counts the whole
    batch (``ledger_energy`` is for the batch; ``summary`` divides by B). ``cfg`` defaults to Lu et al.'s 22 nm
    RRAM design (``table7_config("rram_wu2018")``); ``weight_bits`` defaults to the design's weight precision.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"price_model: model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise InputTypeError(f"price_model: x must be a torch.Tensor batch, got {type(x).__name__}")
    if x.dim() < 2 or x.shape[0] < 1:
        raise ShapeError(f"price_model: x must be a batch (B, ...) with B >= 1, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise NumericalError("price_model: x contains NaN or infinite values")
    cfg = table7_config("rram_wu2018") if cfg is None else cfg
    if not isinstance(cfg, CIMConfig):
        raise InputTypeError(f"price_model: cfg must be a CIMConfig, got {type(cfg).__name__}")
    layers = layers_from_model(model, tuple(x.shape[1:]))
    activity = measure_activity(model, x, input_bits=cfg.input_bits,
                                weight_bits=cfg.weight_bits if weight_bits is None else weight_bits,
                                bits_per_cell=cfg.cell.bits_per_cell)
    chip = estimate(cfg, layers, activity)
    was_training = model.training
    model.eval()
    try:
        with Ledger() as led, torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
    return ModelPrice(layers=layers, activity=activity, chip=chip, ledger=led,
                      ledger_energy=ledger_energy(led, cfg), batch=int(x.shape[0]))
