"""Named device presets, each with the paper (and table) its numbers come from.

``device_presets.create(name, **overrides)`` returns a device config; ``device_presets.names()`` lists them.
Values taken from another library's published defaults are marked as such.
"""

from __future__ import annotations

from typing import Any

from neurofab.core import Registry
from neurofab.devices.models import (
    ExpStep,
    IdealDevice,
    LinearStep,
    NeuroSimNonlinear,
    SoftBounds,
)
from neurofab.devices.pair import OneSidedPair
from neurofab.devices.pulsed import PulsedDevice

__all__ = [
    "device_presets",
    "ecram",
    "ideal",
    "pcm_like",
    "pcm_pair",
    "reram_soft_bounds",
    "ttv2_array",
    "zhao_ag_si",
]

device_presets: Registry[PulsedDevice] = Registry("device preset")


@device_presets.register("ttv2_array", "Gokmen 2021 (TTv2) simulated array: soft bounds, μ_s = 1.66, σ_Δw = 0.3")
def ttv2_array(
    mu_dw: float = 0.001, sigma_slope: float = 0.2, c2c: float = 0.3, additive_c2c: bool = False, **overrides: Any
) -> SoftBounds:
    """The TTv2 array model (Gokmen 2021, Sec. "Simulated devices"; ttv2 note).

    Up step Δw_min,ij (1 − slope⁺_ij w), down step Δw_min,ij (1 + slope⁻_ij w) with slope± = μ_s (1 + σ_s ξ),
    μ_s = 1.66, σ_s = ``sigma_slope`` (0.1–0.3, 0.2 shown), Δw_min,ij = μ_Δw (1 + 0.3 ξ), bounds ±1/μ_s ≈ ±0.6.
    Expressed as soft bounds whose bound is 1/slope: b = (1/μ_s)(1 + σ_s ξ), which matches slope = μ_s(1 + σ_s ξ)
    to first order in σ_s; each device clips at its own soft bound (the paper leaves hard clipping unspecified).
    c2c per coincidence: multiplicative Δw (1 + σ_c ξ) or additive Δw + Δw_min σ_c ξ, σ_c ∈ {0.3, 1}.
    Number of states 2/(μ_s μ_Δw): 1,200 at μ_Δw = 0.001.
    """
    bound = 1.0 / 1.66
    params = dict(
        dw_min=mu_dw,
        dw_min_dtod=0.3,
        dw_min_std=c2c,
        mult_noise=not additive_c2c,
        up_down=0.0,
        up_down_dtod=0.0,
        w_min=-bound,
        w_max=bound,
        w_min_dtod=sigma_slope,
        w_max_dtod=sigma_slope,
    )
    return SoftBounds(**{**params, **overrides})


@device_presets.register("zhao_ag_si", "Zhao et al. 2021: Ag:Si device, NL 2.40 / −4.88, 500 levels, 3.5 % c2c")
def zhao_ag_si(**overrides: Any) -> NeuroSimNonlinear:
    """The realistic Ag:Si memristor of Zhao et al. 2021 (Front. Neurosci. 15:749811, "non-ideal device model").

    NeuroSim V3 nonlinear LTP/LTD curves with nonlinearity labels 2.40 (LTP) and −4.88 (LTD), i.e. normalised
    A_LTP/N = 0.499181 and A_LTD/N = −0.200303 (NeuroSim's label → A table, grad-decomposition note), 500 levels,
    c2c 3.5 % of the range per sqrt(pulse), G_min 3.0769 nS, G_max 38.462 nS, weights in [−1, 1].
    """
    params = dict(
        n_levels=500, a_ltp=0.499181, a_ltd=-0.200303, c2c_std=0.035, g_min=3.0769e-9, g_max=38.462e-9
    )
    return NeuroSimNonlinear(**{**params, **overrides})


@device_presets.register("zhao_ideal", "Zhao et al. 2021: ideal linear device, 500 levels, no noise")
def zhao_ideal(**overrides: Any) -> NeuroSimNonlinear:
    """The ideal device of Zhao et al. 2021: a linear 500-level device, no c2c noise, no nonlinearity."""
    return NeuroSimNonlinear(**{**dict(n_levels=500, a_ltp=None, a_ltd=None, c2c_std=0.0), **overrides})


@device_presets.register("reram_soft_bounds", "ReRAM soft bounds (Gong et al. 2018 fit; aihwkit preset values)")
def reram_soft_bounds(**overrides: Any) -> SoftBounds:
    """ReRAM soft-bounds device: a loose fit to Gong et al., Nat. Commun. 9, 2102 (2018).

    Values are aihwkit 1.1's published ``ReRamSBPresetDevice`` defaults: dw_min 0.002, bounds −0.75 / 1.25
    (d2d 0.3 absolute), dw_min d2d 0.3, additive c2c 3.75·dw_min, write noise 56·dw_min; the device is
    assumed calibrated to its symmetry point (up_down_dtod 0.01).
    """
    params = dict(
        dw_min=0.002,
        up_down=0.0,
        w_max=1.25,
        w_min=-0.75,
        mult_noise=False,
        dw_min_dtod=0.3,
        up_down_dtod=0.01,
        w_max_dtod=0.3 / 1.25,
        w_min_dtod=0.3 / 0.75,
        dw_min_std=3.75,
        write_noise_std=56.0,
    )
    return SoftBounds(**{**params, **overrides})


@device_presets.register("ecram", "ECRAM-like linear step (Tang et al. IEDM 2018 fit; aihwkit preset values)")
def ecram(**overrides: Any) -> LinearStep:
    """ECRAM-like device: linear-step fit to Tang et al., IEDM 2018 (Li-ion ECRAM).

    Values are aihwkit 1.1's published ``EcRamPresetDevice`` defaults: dw_min 0.002, bounds −0.8276 / 1.1724
    (d2d 5 %), γ⁺ 0.1153, γ⁻ 0.5085 (d2d 0.05), dw_min d2d 0.1, multiplicative c2c 0.3.
    """
    params = dict(
        dw_min=0.002,
        up_down=0.0,
        w_max=1.1724,
        w_min=-0.8276,
        mult_noise=True,
        gamma_up=0.1153,
        gamma_down=0.5085,
        dw_min_dtod=0.1,
        up_down_dtod=0.01,
        w_max_dtod=0.05,
        w_min_dtod=0.05,
        gamma_up_dtod=0.05,
        gamma_down_dtod=0.05,
        dw_min_std=0.3,
        mean_bound_reference=True,
    )
    return LinearStep(**{**params, **overrides})


@device_presets.register("pcm_like", "PCM-like one-sided ExpStep (Nandakumar et al. 2020 fit; aihwkit preset values)")
def pcm_like(**overrides: Any) -> ExpStep:
    """One PCM device (Ge₂Sb₂Te₅; Nandakumar et al., Front. Neurosci. 2020): an exponential, one-sided step.

    Values are aihwkit 1.1's published ``PCMPresetDevice`` defaults: dw_min 0.01, range [0, 2] (w_max d2d 0.1),
    a = −1, b = 0, γ± = 2.5, A⁺ = −27.235, A⁻ = −2.235, dw_min d2d 0.2, up/down d2d 0.05, c2c 0.6 with
    additive 0.042 and slope 0.108 parts. Potentiation is gradual, depression abrupt: use it as the two halves
    of a :class:`~neurofab.devices.pair.OneSidedPair` (up pulses only, refreshed when a half saturates),
    as :func:`pcm_pair` does.
    """
    params = dict(
        dw_min=0.01,
        up_down=0.0,
        w_max=2.0,
        w_min=0.0,
        a=-1.0,
        b=0.0,
        gamma_up=2.5,
        gamma_down=2.5,
        A_up=-27.235,
        A_down=-2.235,
        dw_min_dtod=0.2,
        up_down_dtod=0.05,
        w_max_dtod=0.1,
        w_min_dtod=0.0,
        dw_min_std=0.6,
        dw_min_std_add=0.042,
        dw_min_std_slope=0.108,
    )
    return ExpStep(**{**params, **overrides})


@device_presets.register("pcm_pair", "PCM-like pair: two one-sided ExpStep devices with refresh (aihwkit values)")
def pcm_pair(refresh_threshold: float = 0.75, **overrides: Any) -> OneSidedPair:
    """Two :func:`pcm_like` devices as a one-sided pair w = g⁺ − g⁻, refreshed at 75 % of a half's bound.

    The pair structure and refresh follow aihwkit's ``PCMPresetUnitCell`` (``OneSidedUnitCell``); the refresh
    here is a closed-loop reprogramming with up pulses (see :class:`~neurofab.devices.pair.OneSidedPair`).
    """
    return OneSidedPair(device=pcm_like(**overrides), refresh_threshold=refresh_threshold)


@device_presets.register("ideal", "ideal symmetric device: no noise, no variation, wide bounds")
def ideal(**overrides: Any) -> IdealDevice:
    """A reference device with none of the non-idealities (see :class:`IdealDevice`)."""
    return IdealDevice(**overrides)
