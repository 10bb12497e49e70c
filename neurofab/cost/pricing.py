"""One call from a trained (digital, analog or inference-converted) torch model to its price on a CIM chip.

:func:`price_model` runs the model once on a batch ``x`` and combines what already exists in ``cost/``:

1. :func:`~neurofab.cost.mapping.layers_from_model` — the layer table (every layer with a stored matrix, digital
   or converted, in call order);
2. :func:`~neurofab.cost.mapping.measure_activity` — each layer's measured input-bit density and weight level
   on ``x`` (the activity the chip's energy depends on);
3. :func:`~neurofab.cost.cim.estimate` — area, latency and energy of one inference on the CIM design ``cfg``
   (NeuroSim-style sub-arrays, ADCs, buffers, interconnect), per layer and in total;
4. the event ledger of the same forward pass, per layer, as a cross-check of the table with the simulation's own
   counts.

**Two periphery models.** The simulated tiles (:mod:`neurofab.crossbar`) have aihwkit's periphery: one multi-bit
DAC conversion per input value and one ADC conversion per output value of each MVM, at the tile's ``inp_bits`` /
``out_bits`` (7 and 9 by default) — the ledger's tags say so. The chip of ``cfg`` applies inputs bit-serially
(``input_bits`` one-bit row activations per value), stores a weight in ``cells_per_weight`` cells and converts
every column, input bit and weight slice with a shared ``adc_bits`` ADC (5 bits for Lu et al.'s eNVM designs).
The two are priced apart:

- ``ledger_energy`` (like with like): the chip's compute energy (array, ADC, row drive, mux, shift-add) with the
  vectors, inputs and outputs *counted by the run* instead of taken from the layer table — each ledger MVM of
  n_in inputs and n_out outputs becomes the chip's ⌈n_in/rows⌉ sub-array reads of ``input_bits`` cycles and
  n_out·cells_per_weight conversions per read, at the layer's measured activity. It equals the chip estimate's
  compute parts when the tiles run what the table says (no bound-management re-runs, layers no taller than a
  tile); the chip's buffers, interconnect, accumulation and leakage have no ledger events and are not in it.
- ``as_simulated``: the ledger at its own tags, priced event by event with the technology's circuits (an
  ``out_bits`` flash ADC per output value, one row drive per input value): what the simulated periphery would
  cost. A 9-bit flash conversion costs ~2,500× a 5-bit one (2^N comparators sized for ½ LSB offset), which is
  why this number sits about 100× above the chip's: a genuine difference of the two periphery models, not a
  counting error.

The model is only duck-typed (layers with ``in_features``/``out_features`` or ``in_channels``/``kernel_size``),
so ``cost`` does not import the analog layers above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from neurofab.core import ConfigError, InputTypeError, Ledger, NumericalError, ShapeError, UnknownNameError
from neurofab.cost.cim import (
    ChipEstimate,
    CIMConfig,
    EventEnergies,
    LedgerEnergy,
    SubArray,
    build_subarray,
    estimate,
    event_energies,
    table7_config,
)
from neurofab.cost.mapping import LayerActivity, LayerSpec, layers_from_model, mapped_modules, measure_activity

__all__ = ["COMPUTE_PARTS", "ModelPrice", "chip_compute_from_ledger", "price_ledger_as_simulated", "price_model"]

#: Parts of the chip estimate that the ledger's events stand for (one MVM's work on the sub-arrays).
COMPUTE_PARTS = ("array", "adc", "row drive", "mux", "shift-add")


def chip_compute_from_ledger(ledger: Ledger, cfg: CIMConfig, activity: LayerActivity | None = None,
                             sub: SubArray | None = None) -> tuple[dict[str, float], Ledger]:
    """The compute energy [J] by part (:data:`COMPUTE_PARTS`) of the chip ``cfg`` running the MVMs one layer's
    ``ledger`` counted, and those MVMs as chip events.

    From the ledger: V vectors (``mvm``), V·n_in inputs (``dac_conversion``) and V·n_out outputs
    (``adc_conversion``). On the chip each vector is read by ⌈n_in/rows⌉ vertical splits × row groups, each of
    ``input_bits`` cycles converting n_out·cells_per_weight columns; rows are driven once per input bit and
    column split with the measured input-bit density — the formulas of :func:`~neurofab.cost.cim.estimate` with
    the run's counts in place of the layer table's. Returns all zeros when the ledger has no conversions (an
    ideal-periphery tile records MVMs only, a digital layer nothing)."""
    sub = build_subarray(cfg) if sub is None else sub
    f = cfg.factors
    rho, wl = (cfg.input_density, cfg.weight_level) if activity is None else (activity.input_density,
                                                                               activity.weight_level)
    parts = dict.fromkeys(COMPUTE_PARTS, 0.0)
    chip = Ledger()
    vectors, inputs, outputs = (ledger.count(k) for k in ("mvm", "dac_conversion", "adc_conversion"))
    if not vectors or not inputs or not outputs:
        return parts, chip
    n_in, n_out = inputs / vectors, outputs / vectors
    n_cw, bits = cfg.cells_per_weight, cfg.input_bits
    used_cols = n_out * n_cw
    n_c = math.ceil(used_cols / cfg.cols)
    e_sa = (sub.e_shift_add - sub.e_shift_add_dff) * f.delta + sub.e_shift_add_dff * f.gamma
    mux_groups = min(cfg.columns_per_adc, math.ceil(used_cols / n_c / sub.n_adc))
    rows_left = n_in
    while rows_left > 1e-9:  # vertical splits, then row groups within a split
        r_here = min(cfg.rows, rows_left)
        rows_left -= r_here
        for j in range(math.ceil(r_here / sub.rows_on - 1e-9)):
            active = min(sub.rows_on, r_here - j * sub.rows_on)
            conv = vectors * bits * used_cols
            ce = sub.conversion_energy(active, rho, wl)
            parts["array"] += conv * ce["array"]
            parts["adc"] += conv * ce["adc"]
            parts["shift-add"] += conv * e_sa
            parts["row drive"] += vectors * bits * n_c * active * rho * sub.e_row
            parts["mux"] += vectors * bits * n_c * mux_groups * sub.e_mux_step
            chip.add("adc_conversion", conv, f"{cfg.adc_bits}b")
            chip.add("dac_conversion", vectors * bits * n_c * active, "1b")
            chip.add("mvm", vectors * n_c)
    return parts, chip


def price_ledger_as_simulated(ledger: Ledger, cfg: CIMConfig | EventEnergies) -> LedgerEnergy:
    """The ledger at its own precision tags, event by event, with the circuits of design ``cfg``: each
    ``adc_conversion[Nb]`` as one conversion of an N-bit ADC of the design's kind, each ``dac_conversion`` as one
    row drive, digital ``mac[Nb]`` as an N-bit MAC. ``mvm`` events carry no energy of their own here (their work
    is in the conversions; the design's per-``mvm`` energy is a whole sub-array read with all its conversions,
    which would count them twice). Events the table cannot price (floating-point tags, spikes …) are listed in
    ``unpriced``."""
    table = event_energies(cfg) if isinstance(cfg, CIMConfig) else cfg
    if not isinstance(table, EventEnergies):
        raise InputTypeError(f"cfg must be a CIMConfig or EventEnergies, got {type(cfg).__name__}")
    by_kind: dict[str, float] = {}
    unpriced: list[str] = []
    for (kind, precision), n in ledger.items():
        if kind == "mvm":
            continue
        try:
            e = table.priced(kind, precision)  # an unquantized ("analog") ADC has no circuit price: unpriced
        except (UnknownNameError, ConfigError):
            label = f"{kind}[{precision}]" if precision else kind
            if label not in unpriced:
                unpriced.append(label)
            continue
        by_kind[kind] = by_kind.get(kind, 0.0) + n * e
    return LedgerEnergy(total=sum(by_kind.values()), by_kind=by_kind, unpriced=unpriced)


@dataclass
class ModelPrice:
    """What :func:`price_model` returns (SI units: J, s, m²); ``per_inference`` quantities are for one sample.

    ``ledger`` is the whole forward pass's (the tiles' own tags); ``layer_ledgers`` the same events by layer of
    the table; ``ledger_energy`` the chip's compute energy from those counts (like with like, for the batch;
    its ``by_kind`` is by chip part, :data:`COMPUTE_PARTS`);
    ``as_simulated`` the ledger priced at its own tags (for the batch); ``chip_events`` the ledger's MVMs as the
    chip's events."""

    layers: list[LayerSpec]
    activity: dict[str, LayerActivity]
    chip: ChipEstimate
    ledger: Ledger
    ledger_energy: LedgerEnergy
    batch: int
    layer_ledgers: dict[str, Ledger] = field(default_factory=dict)
    as_simulated: LedgerEnergy | None = None
    chip_events: Ledger = field(default_factory=Ledger)
    ledger_by_layer: dict[str, float] = field(default_factory=dict)
    accuracy: float | None = None  # top-1 of the same forward pass (as simulated), given targets

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

    @property
    def chip_compute_energy(self) -> float:
        """The chip estimate's compute parts (:data:`COMPUTE_PARTS`) for one inference [J]."""
        return sum(self.chip.energy.get(k, 0.0) for k in COMPUTE_PARTS)

    def comparison(self) -> dict[str, tuple[float, float]]:
        """Per layer: (chip estimate's compute energy, the same from the ledger's counts), J per inference."""
        out = {}
        for res in self.chip.layers:
            table = sum(res.energy.get(k, 0.0) for k in COMPUTE_PARTS)
            out[res.name] = (table, self.ledger_by_layer.get(res.name, 0.0) / self.batch)
        return out

    def summary(self) -> dict[str, float]:
        """Headline numbers: the chip summary; its compute part from the table and from the ledger's counts; the
        ledger at its own periphery's tags (per sample, µJ)."""
        out = dict(self.chip.summary())
        out["energy_uJ"] = self.energy * 1e6
        out["compute_energy_uJ"] = self.chip_compute_energy * 1e6
        out["ledger_energy_per_sample_uJ"] = self.ledger_energy.total / self.batch * 1e6
        if self.as_simulated is not None:
            out["as_simulated_per_sample_uJ"] = self.as_simulated.total / self.batch * 1e6
        return out


class _LayerScopes:
    """A ledger scope around every call of each mapped module (forward pre/post hooks), merged per table name."""

    def __init__(self, model: nn.Module) -> None:
        self.by_module: dict[str, Ledger] = {}
        self.open: list[Ledger] = []
        self.handles = []
        for name, m in mapped_modules(model):
            self.handles.append(m.register_forward_pre_hook(self._enter))
            self.handles.append(m.register_forward_hook(self._exit_for(name)))

    def _enter(self, mod: nn.Module, args: tuple) -> None:
        led = Ledger()
        led.__enter__()
        self.open.append(led)

    def _exit_for(self, name: str):
        def fn(mod: nn.Module, args: tuple, output) -> None:
            led = self.open.pop()
            led.__exit__(None, None, None)
            self.by_module.setdefault(name, Ledger()).merge(led)
        return fn

    def close(self) -> None:
        while self.open:  # a forward that raised: close the scopes it left open, innermost first
            self.open.pop().__exit__(None, None, None)
        for h in self.handles:
            h.remove()


def price_model(model: nn.Module, x: torch.Tensor, cfg: CIMConfig | None = None,
                weight_bits: int | None = None, targets: torch.Tensor | None = None) -> ModelPrice:
    """Price one inference of ``model`` on the CIM design ``cfg`` from its measured activity on the batch ``x``.

    ``x``: a batch (B, …) of real inputs; the activity is measured on all of it and the ledger counts the whole
    batch (``ledger_energy``, ``as_simulated`` are for the batch; ``summary`` divides by B). ``cfg`` defaults to
    Lu et al.'s 22 nm RRAM design (``table7_config("rram_wu2018")``) mapped as the simulated tiles run the model:
    conventional square tiles and every padded output pixel (NeuroSim's novel K²-PE tiles and (H − K + 1)² count
    are Table 7's conventions; with them the chip side no longer counts the vectors the run did, and the
    like-with-like comparison does not apply). ``weight_bits`` defaults to the design's weight precision. With
    ``targets`` (class indices, one per input) ``accuracy`` is the top-1 of the same forward pass, as simulated
    (an analog or inference model's noise included): accuracy, energy, latency and area of one model in one call.
    See the module docstring for the two periphery models compared.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"price_model: model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor):
        raise InputTypeError(f"price_model: x must be a torch.Tensor batch, got {type(x).__name__}")
    if x.dim() < 2 or x.shape[0] < 1:
        raise ShapeError(f"price_model: x must be a batch (B, ...) with B >= 1, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise NumericalError("price_model: x contains NaN or infinite values")
    if targets is not None and (not isinstance(targets, torch.Tensor) or targets.dim() != 1
                                or targets.shape[0] != x.shape[0] or targets.is_floating_point()):
        raise ShapeError(f"price_model: targets must be integer class indices, one per input ({x.shape[0]}), got "
                         f"{type(targets).__name__} {tuple(getattr(targets, 'shape', ()))}")
    cfg = table7_config("rram_wu2018", mapping="conventional", output_pixels="padded") if cfg is None else cfg
    if not isinstance(cfg, CIMConfig):
        raise InputTypeError(f"price_model: cfg must be a CIMConfig, got {type(cfg).__name__}")
    layers = layers_from_model(model, tuple(x.shape[1:]))
    activity = measure_activity(model, x, input_bits=cfg.input_bits,
                                weight_bits=cfg.weight_bits if weight_bits is None else weight_bits,
                                bits_per_cell=cfg.cell.bits_per_cell)
    chip = estimate(cfg, layers, activity)
    was_training = model.training
    model.eval()
    scopes = _LayerScopes(model)
    try:
        with Ledger() as led, torch.no_grad():
            out = model(x)
    finally:
        scopes.close()
        model.train(was_training)
    sub = build_subarray(cfg)
    by_layer: dict[str, float] = {}
    parts_total = dict.fromkeys(COMPUTE_PARTS, 0.0)
    chip_events = Ledger()
    layer_ledgers: dict[str, Ledger] = {}
    names = {spec.name for spec in layers}
    for name, sub_led in scopes.by_module.items():
        if name not in names:  # a fused torch layer (recurrent, attention): digital, its rows have other names
            continue
        layer_ledgers[name] = sub_led
        parts, events = chip_compute_from_ledger(sub_led, cfg, activity.get(name), sub)
        by_layer[name] = sum(parts.values())
        for k, v in parts.items():
            parts_total[k] += v
        chip_events.merge(events)
    return ModelPrice(layers=layers, activity=activity, chip=chip, ledger=led,
                      ledger_energy=LedgerEnergy(total=sum(parts_total.values()), by_kind=parts_total, unpriced=[]),
                      batch=int(x.shape[0]), layer_ledgers=layer_ledgers,
                      as_simulated=price_ledger_as_simulated(led, cfg), chip_events=chip_events,
                      ledger_by_layer=by_layer, accuracy=None if targets is None else
                      float((out.argmax(dim=1) == targets.to(out.device)).float().mean()))
