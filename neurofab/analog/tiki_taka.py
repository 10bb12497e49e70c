"""Tiki-Taka (Gokmen & Haensch 2020, Alg. 1 of the ttv2 note) and TTv2 (Gokmen 2021, Alg. 2) configurations.

Both keep a weight on a fast accumulator A and a slow array C (:mod:`neurofab.crossbar.compound`):

- **Tiki-Taka v1**: forward weight W = γA + C; A takes the SGD pulses; every n_s samples a column (one-hot) or a
  Hadamard vector of A is read, v = A u, and C ← C + η_c f(v) uᵀ by a pulsed outer-product update with the
  threshold f(v) = v·[|v| ≥ T]. A is read against its symmetry point (or an ideal zero), C against zero.
- **TTv2**: forward weight W = C; A is zero-shifted to its symmetry point (A_ref = A_sym) so A = 0 is its
  symmetric state; every n_s samples one column of A is read and added to a *digital* buffer H,
  H[:, t] += η_c v; where |H_it| ≥ 1 one single pulse of sign(H_it) goes to c_it and H_it is reset to 0 (or to
  sign(H_it)·0.6 in the hysteretic variant). A and C share the reference (3 devices per weight).

The device of A is the tile's (:class:`~neurofab.crossbar.TileConfig`); C uses the same model unless
``c_device`` is given. η_a is the optimizer's learning rate; η_c is expressed as the weight change of C per
unit of A read (``lr_c``) — the paper's η_c, in C pulses per unit of A, is ``lr_c / Δw_C``.
"""

from __future__ import annotations

from typing import Literal

from neurofab.crossbar import IOConfig
from neurofab.crossbar.compound import CompoundConfig, TransferConfig
from neurofab.devices import AnyDevice, LinearStep

__all__ = ["tiki_taka_config", "ttv2_config", "ttv2_device"]


def tiki_taka_config(
    lr_c: float,
    every: int = 1,
    gamma: float = 0.0,
    read_vectors: Literal["one_hot", "hadamard"] = "one_hot",
    threshold: float = 0.0,
    c_device: AnyDevice | None = None,
    io: IOConfig | None = None,
    a_reference: Literal["zero", "symmetry_point"] = "symmetry_point",
    columns_per_transfer: int = 1,
) -> CompoundConfig:
    """Tiki-Taka v1 (Alg. 1): W = γA + C, pulsed transfer every ``every`` samples with threshold T.

    A is read against its (analytic) symmetry point by default, C against its own zero reference.
    """
    return CompoundConfig(
        c_device=c_device,
        gamma=gamma,
        a_reference=a_reference,
        c_reference="zero",
        transfer=TransferConfig(
            mode="pulsed", lr=lr_c, every=every, read_vectors=read_vectors, threshold=threshold,
            io=io if io is not None else IOConfig(), columns_per_transfer=columns_per_transfer,
        ),
    )


def ttv2_config(
    lr_c: float,
    every: int = 5,
    hysteretic: bool = False,
    c_device: AnyDevice | None = None,
    zero_shift_pairs: int = 0,
    io: IOConfig | None = None,
    columns_per_transfer: int = 1,
) -> CompoundConfig:
    """TTv2 (Alg. 2): buffered single-pulse transfers, A at its symmetry point, shared reference (3 devices)."""
    return CompoundConfig(
        c_device=c_device,
        gamma=0.0,
        a_reference="symmetry_point",
        c_reference="shared",
        zero_shift_pairs=zero_shift_pairs,
        transfer=TransferConfig(
            mode="buffered", lr=lr_c, every=every, hysteresis=0.6 if hysteretic else 0.0,
            io=io if io is not None else IOConfig(), columns_per_transfer=columns_per_transfer,
        ),
    )


def ttv2_device(
    states: float = 1200.0, sigma_c: float = 0.3, additive: bool = False, sigma_s: float = 0.2
) -> LinearStep:
    """The TTv2 paper's simulated array (ttv2 note, "Device response").

    Up step Δw_min,ij (1 − s⁺_ij w), down step Δw_min,ij (1 + s⁻_ij w), slopes s± = μ_s(1 + σ_s ξ) with
    μ_s = 1.66 (a LinearStep with γ = 1 relative to the mean bounds ±1/1.66 = ±0.6, γ_dtod = σ_s);
    Δw_min,ij = μ_Δw(1 + 0.3ξ) with μ_Δw = 2/(μ_s·states); c2c noise σ_c per pulse, multiplicative or
    (``additive``) on the constant part only; no up/down bias beyond the drawn slopes.
    """
    mu_s = 1.66
    bound = 1.0 / mu_s
    return LinearStep(
        dw_min=2.0 / (mu_s * states),
        dw_min_dtod=0.3,
        dw_min_std=sigma_c,
        up_down_dtod=0.0,
        w_min=-bound,
        w_max=bound,
        w_min_dtod=0.0,
        w_max_dtod=0.0,
        gamma_up=1.0,
        gamma_down=1.0,
        gamma_up_dtod=sigma_s,
        gamma_down_dtod=sigma_s,
        mult_noise=not additive,
        mean_bound_reference=True,
    )
