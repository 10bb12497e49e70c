"""Conductance converters with N device pairs per weight (aihwkit's inference ``g_converter`` family).

A weight is held by N differential pairs of equal devices, pair k weighted by a significance factor F_k
(a current mirror gain or a longer read pulse on that pair), lowest significance first::

    w = (1/K) Σ_k F_k (g⁺_k − g⁻_k),        K = Σ_k F_k (g_max − g_min) / w_max   [S per weight unit]

Programming fills the least significant pair first: the weight, in siemens of pair-1 units, w_S = K w, is put
on pair k as much as its swing allows after the lower pairs, g±_k = g_min + clip((±w_S − L_k)/F_k, 0, g_max −
g_min) with L_k = Σ_{i<k} F_i (g_max − g_min) the part the lower pairs already carry; the device of the other
sign stays at g_min. A more significant pair is used only once the lower ones are full, so its larger F
amplifies programming errors and read noise only for the large weights that need it (aihwkit's rationale).

- :func:`single_pair` — one pair (F = 1): aihwkit ``SinglePairConductanceConverter``;
- :func:`dual_pair` — two pairs, the more significant one with factor F: ``DualPairConductanceConverter``
  (f_lst = [1, F]);
- :class:`PairConverter` with any ``significance`` list — ``NPairConductanceConverter``.

Representable weights: |w| ≤ w_max exactly (beyond, every pair saturates and the weight is clipped). The
resolution a device of pair k contributes is F_k/K per siemens. Conductances are stacked on a leading axis of
size 2N in the order (g⁺_1, g⁻_1, g⁺_2, g⁻_2, …), so an inference noise model
(:mod:`neurofab.crossbar.noise_models`) can program and drift all of them at once: :meth:`PairConverter.program`.
"""

from __future__ import annotations

import torch
from pydantic import Field, model_validator

from neurofab.core import Config, NumericalError, ShapeError, make_generator

__all__ = ["PairConverter", "dual_pair", "single_pair"]


class PairConverter(Config):
    """N differential pairs per weight with significance factors F_k (lowest first)."""

    significance: tuple[float, ...] = Field((1.0,), description="F_k of each pair, lowest significance first [1]")
    g_min: float = Field(0.0, ge=0, description="conductance of an unused device (weight zero) [S]")
    g_max: float = Field(25e-6, gt=0, description="highest conductance of one device [S] (aihwkit default 25 µS)")
    w_max: float = Field(1.0, gt=0, description="weight magnitude that fills every pair [weight units]")

    @model_validator(mode="after")
    def _check(self) -> PairConverter:
        if not self.significance or any(not f > 0 for f in self.significance):
            raise ValueError(f"significance = {self.significance}: need at least one factor, all > 0")
        if not self.g_min < self.g_max:
            raise ValueError(f"g_min = {self.g_min} must be < g_max = {self.g_max}")
        return self

    @property
    def n_pairs(self) -> int:
        return len(self.significance)

    @property
    def swing(self) -> float:
        """g_max − g_min of one device [S]."""
        return self.g_max - self.g_min

    @property
    def siemens_per_weight(self) -> float:
        """K: effective (F-weighted) conductance per unit weight [S]."""
        return sum(self.significance) * self.swing / self.w_max

    def to_conductances(self, w: torch.Tensor) -> torch.Tensor:
        """Weights (…) → conductances (2N, …) [S], least significant pair filled first, |w| clipped at w_max."""
        if not torch.isfinite(w).all():
            raise NumericalError("PairConverter.to_conductances: weights contain NaN or inf")
        ws = self.siemens_per_weight * w
        pos, neg = torch.relu(ws), torch.relu(-ws)
        out, lower = [], 0.0
        for f in self.significance:
            for part in (pos, neg):
                out.append(self.g_min + torch.clamp((part - lower) / f, 0.0, self.swing))
            lower += f * self.swing
        return torch.stack(out)

    def to_weights(self, g: torch.Tensor) -> torch.Tensor:
        """Conductances (2N, …) [S] → weights (…): Σ F_k (g⁺_k − g⁻_k) / K."""
        if g.shape[0] != 2 * self.n_pairs:
            raise ShapeError(f"PairConverter.to_weights: expected {2 * self.n_pairs} conductances on axis 0 "
                             f"({self.n_pairs} pairs), got {tuple(g.shape)}")
        f = torch.tensor(self.significance, dtype=g.dtype, device=g.device)
        diff = g[0::2] - g[1::2]
        return torch.tensordot(f, diff, dims=1) / self.siemens_per_weight

    def program(self, noise_model, w: torch.Tensor, t_inference: float = 0.0,
                generator: torch.Generator | int | None = None) -> torch.Tensor:
        """Weights read back ``t_inference`` s after programming ``w`` through ``noise_model`` on every device.

        ``noise_model`` is any :class:`~neurofab.crossbar.noise_models.NoiseModel` (its own converter is not
        used: the devices are this converter's); programming noise, drift and faults act per device, so the
        error of pair k enters the weight with weight F_k/K. Per-read noise is not drawn here.
        """
        gen = make_generator(generator, device=w.device)
        prog = noise_model.program(self.to_conductances(w), gen)
        return self.to_weights(noise_model.conductance_at(prog, t_inference, gen))


def single_pair(g_max: float = 25e-6, g_min: float = 0.0, w_max: float = 1.0) -> PairConverter:
    """One differential pair per weight (F = 1)."""
    return PairConverter(significance=(1.0,), g_max=g_max, g_min=g_min, w_max=w_max)


def dual_pair(f: float = 3.0, g_max: float = 25e-6, g_min: float = 0.0, w_max: float = 1.0) -> PairConverter:
    """Two pairs: the least significant with F = 1, the more significant with F = ``f``."""
    return PairConverter(significance=(1.0, f), g_max=g_max, g_min=g_min, w_max=w_max)
