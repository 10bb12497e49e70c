"""Weight ↔ conductance mapping and weight scaling.

A tile stores normalised weights w (dimensionless, in the devices' bounds). Physically each weight is one or
two conductances (ttv2 note, Eq. 1: w = K (g − g_ref)):

- ``differential``: a pair, w ∝ g⁺ − g⁻; positive weights on g⁺, negative on g⁻, the other at g_min;
- ``reference``: one device against a fixed reference g_ref = (g_min + g_max)/2 shared by the column,
  w ∝ g − g_ref (the weight range maps to the full conductance range);
- ``single``: one device, unipolar, w ∝ g − g_min (weights must be ≥ 0).

``w_max`` is the weight magnitude mapped to the full swing (g_max − g_min for ``differential`` and
``single``, half of it either side of g_ref for ``reference``).

Weight scaling (:func:`scale_weights`) maps a logical weight matrix onto the device range: the abs-max (per
tile or per output column) becomes ``omega`` and the factor is applied digitally to the output.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, NumericalError

__all__ = ["ConductanceMapping", "conductances_to_weights", "scale_weights", "weights_to_conductances"]


class ConductanceMapping(Config):
    """How normalised weights become conductances [S]."""

    scheme: Literal["differential", "reference", "single"] = Field("differential", description="cell layout")
    g_min: float = Field(0.0, ge=0, description="lowest programmable conductance [S]")
    g_max: float = Field(25e-6, gt=0, description="highest conductance [S] (aihwkit's PCM inference default)")
    w_max: float = Field(1.0, gt=0, description="weight magnitude mapped to the full conductance swing [weight units]")

    @model_validator(mode="after")
    def _check(self) -> ConductanceMapping:
        if not self.g_min < self.g_max:
            raise ValueError(f"g_min = {self.g_min} must be < g_max = {self.g_max}")
        return self

    @property
    def g_ref(self) -> float:
        """Reference conductance of the ``reference`` scheme [S]."""
        return 0.5 * (self.g_min + self.g_max)

    @property
    def siemens_per_weight(self) -> float:
        """K⁻¹ of Eq. 1: conductance change per unit weight [S]."""
        swing = self.g_max - self.g_min
        return swing / (2 * self.w_max) if self.scheme == "reference" else swing / self.w_max


def weights_to_conductances(w: torch.Tensor, mapping: ConductanceMapping) -> tuple[torch.Tensor, torch.Tensor]:
    """(g_a, g_b) with w = (g_a − g_b)/K: the pair (differential), (device, reference) or (device, g_min).

    Weights beyond ±w_max are clipped to the conductance range.
    """
    if not torch.isfinite(w).all():
        raise NumericalError("weights_to_conductances: weights contain NaN or inf")
    k = mapping.siemens_per_weight
    if mapping.scheme == "differential":
        wc = torch.clamp(w, -mapping.w_max, mapping.w_max)
        return mapping.g_min + k * torch.relu(wc), mapping.g_min + k * torch.relu(-wc)
    if mapping.scheme == "reference":
        wc = torch.clamp(w, -mapping.w_max, mapping.w_max)
        return mapping.g_ref + k * wc, torch.full_like(w, mapping.g_ref)
    if (w < 0).any():
        raise ConfigError("weights_to_conductances: the 'single' scheme stores weights >= 0 only")
    wc = torch.clamp(w, 0, mapping.w_max)
    return mapping.g_min + k * wc, torch.full_like(w, mapping.g_min)


def conductances_to_weights(g_a: torch.Tensor, g_b: torch.Tensor, mapping: ConductanceMapping) -> torch.Tensor:
    """Weights read from a pair of conductances [S] (inverse of :func:`weights_to_conductances`)."""
    return (g_a - g_b) / mapping.siemens_per_weight


def scale_weights(w: torch.Tensor, omega: float, columnwise: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(w_scaled, scale) with w = scale · w_scaled and max|w_scaled| = omega (per output row when columnwise).

    ``scale`` has shape (out, 1) when columnwise, else a scalar tensor; all-zero rows get scale 1.
    """
    if omega <= 0:
        raise ConfigError(f"omega = {omega}: must be > 0")
    amax = w.abs().amax(dim=1, keepdim=True) if columnwise else w.abs().amax()
    scale = torch.where(amax > 0, amax / omega, torch.ones_like(amax))
    return w / scale, scale
