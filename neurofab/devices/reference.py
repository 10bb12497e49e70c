"""Device variants aihwkit users reach for: a device read against a reference, and the P_max soft-bounds form.

**Reference device** (aihwkit's ``SoftBoundsReferenceDevice`` / ``PowStepReferenceDevice``): every cross-point
is read differentially against a fixed reference conductance r, so the weight is ``w = g − r``. The reference
is drawn once per device::

    r_ij = reference_mean + reference_std ξ_ij  (+ w*_ij, the device's symmetry point, if subtract_symmetry_point)

With ``subtract_symmetry_point`` the weight zero sits at the device's symmetry point (Δ⁺ = Δ⁻), where the
up/down asymmetry does not pull the weight: the analytic form of the zero-shifting that Tiki-Taka-type
algorithms need. The pulse response is the wrapped device's, in the shifted coordinate: Δ^d(w) = Δ^d_g(w + r)
and the bounds are b − r. This module folds the shift into the drawn per-device parameters (bounds, and the
constant part of an affine step: dw' = dw + slope·r), so the array is an ordinary
:class:`~neurofab.devices.DeviceArray` of the wrapped family — the compiled pulse kernels run unchanged — with
one more buffer, ``reference`` (r, weight units). Families whose step depends on w only relative to the bounds
(constant, linear/soft bounds, power, piecewise, NeuroSim) are supported; :class:`ExpStep` is not (its z
depends on w itself).

**P_max soft bounds** (aihwkit's ``SoftBoundsPmaxDevice`` parameters): the response is given as the pulse
curves measured from one end of the range to the other in ``p_max`` pulses::

    w(p_up)   = r_min + B (1 − e^{−α p_up})                B = (r_max − r_min) / (1 − e^{−α p_max})
    w(p_down) = r_max − B (1 − e^{−α (p_max − p_down)})

:func:`soft_bounds_pmax` returns the :class:`SoftBounds` device whose up and down steps follow both curves
exactly: dw/dp_up = α (r_min + B − w) and |dw/dp_down| = α (w − r_max + B), i.e. soft bounds at
b_max = r_min + B and b_min = r_max − B with slope α on both sides (Δw⁺ = α b_max, Δw⁻ = −α b_min). The soft
bounds lie outside [r_min, r_max] (the range is crossed in p_max pulses, the bounds only approached); aihwkit
instead puts w_min at r_min, which matches the up curve only.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, Seed, child_seeds, make_generator
from neurofab.devices.models import (
    ConstantStep,
    LinearStep,
    NeuroSimNonlinear,
    PiecewiseStep,
    PowStep,
    SoftBounds,
)
from neurofab.devices.pulsed import DeviceArray

__all__ = ["ReferenceDevice", "soft_bounds_pmax"]

ShiftableDevice = Annotated[
    ConstantStep | LinearStep | SoftBounds | PowStep | PiecewiseStep | NeuroSimNonlinear, Field(discriminator="kind")
]


class ReferenceDevice(Config):
    """A device read against a per-device reference conductance: w = g − r (aihwkit ``*ReferenceDevice``).

    ``build`` returns a :class:`DeviceArray` of the wrapped family with the reference folded into its drawn
    bounds and steps, its weights at read-zero (g = r), and the reference kept in the buffer ``reference``.
    """

    kind: Literal["reference"] = "reference"
    device: ShiftableDevice = Field(default_factory=SoftBounds, description="the device read against the reference")
    reference_mean: float = Field(0.0, description="mean reference r added to every device [weight units]")
    reference_std: float = Field(0.0, ge=0, description="d2d spread of the reference [weight units]")
    subtract_symmetry_point: bool = Field(
        False, description="add each device's symmetry point w* to its reference (read zero at w*)"
    )

    # the wrapped device's numbers, for code that reads them off any device config
    @property
    def dw_min(self) -> float:
        """Mean step of the wrapped device [weight units]."""
        return self.device.dw_min

    @property
    def w_min(self) -> float:
        """Mean lower bound of the wrapped device before the shift [weight units]."""
        return self.device.w_min

    @property
    def w_max(self) -> float:
        """Mean upper bound of the wrapped device before the shift [weight units]."""
        return self.device.w_max

    @property
    def n_states(self) -> float:
        """Nominal number of states of the wrapped device (a shift does not change it)."""
        return self.device.n_states

    def build(
        self,
        shape: tuple[int, ...] | torch.Size,
        seed: Seed = 0,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> DeviceArray:
        """Draw the wrapped device's array and its references; weights at read zero (g = r)."""
        s_dev, s_ref = child_seeds(seed, 2) if isinstance(seed, int) else (seed, seed)
        array = self.device.build(shape, seed=s_dev, dtype=dtype, device=device)
        gen = make_generator(s_ref)
        xi = torch.randn(array.shape, generator=gen, dtype=torch.float64).to(dtype=dtype, device=array.w.device)
        ref = self.reference_mean + self.reference_std * xi
        if self.subtract_symmetry_point:
            ref = ref + array.symmetry_point()
        shift_array(array, ref)
        return array


def shift_array(array: DeviceArray, ref: torch.Tensor) -> None:
    """Re-express ``array`` in the coordinate w = g − ref (in place; adds the ``reference`` buffer)."""
    p = array.params
    if "slope_up" in p:  # affine: Δ(g) = dw + s·g = (dw + s·r) + s·w
        array.dw_up.add_(array.slope_up * ref)
        array.dw_down.add_(array.slope_down * ref)
        bad = (array.dw_up < 0) | (array.dw_down < 0)
        if bool(bad.any()):
            raise ConfigError(f"ReferenceDevice: the reference lies beyond a soft bound for {int(bad.sum())} device(s)"
                              " (negative step after the shift); lower reference_mean/reference_std")
    array.w_min.sub_(ref)
    array.w_max.sub_(ref)
    array.register_buffer("reference", ref.clone())
    array.set_weights(torch.zeros_like(array.w))


def soft_bounds_pmax(
    p_max: int = 1000, alpha: float = 0.0005, range_min: float = -1.0, range_max: float = 1.0, **overrides: Any
) -> SoftBounds:
    """Soft bounds from the P_max pulse curves (aihwkit ``SoftBoundsPmaxDevice`` parameters and defaults).

    ``p_max`` pulses take the device from ``range_min`` to ``range_max`` (and back); ``alpha`` is the slope
    α of both curves [1/pulse]. Returns the :class:`SoftBounds` with b_max = r_min + B, b_min = r_max − B,
    Δw⁺ = α b_max, Δw⁻ = −α b_min (module docstring); dw_min is the larger of the two, the other follows from
    ``up_down``. ``overrides`` set the remaining fields (d2d, c2c); d2d defaults to none.
    """
    if not (isinstance(p_max, int) and p_max > 0):
        raise ConfigError(f"soft_bounds_pmax: p_max = {p_max!r} must be a positive integer [pulses]")
    if not (math.isfinite(alpha) and alpha > 0):
        raise ConfigError(f"soft_bounds_pmax: alpha = {alpha!r} must be > 0 [1/pulse]")
    if not (range_min <= 0 <= range_max and range_min < range_max):
        raise ConfigError(f"soft_bounds_pmax: range_min = {range_min}, range_max = {range_max}: need "
                          "range_min ≤ 0 ≤ range_max and range_min < range_max [weight units]")
    b = (range_max - range_min) / -math.expm1(-alpha * p_max)
    b_max, b_min = range_min + b, range_max - b
    step = -math.expm1(-alpha)  # per-pulse fraction of the distance to the bound: exact at integer pulses
    up, down = step * b_max, -step * b_min
    dw_min = max(up, down)
    up_down = up / down - 1.0 if up < down else 1.0 - down / up
    params: dict[str, Any] = dict(
        dw_min=dw_min, up_down=up_down, w_min=b_min, w_max=b_max, dw_min_dtod=0.0, up_down_dtod=0.0,
        w_min_dtod=0.0, w_max_dtod=0.0,
    )
    params.update(overrides)
    return SoftBounds(**params)
