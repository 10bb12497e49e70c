"""The optoelectronic calculator against hand computations, its vectorized calls against scalar calls, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError, ShapeError, UnknownNameError
from neurofab.cost import optoelectronic as oe

H, C, Q = 6.62607015e-34, 299792458.0, 1.602176634e-19
GAMMA = 0.5772156649015329
HNU_1500 = H * C / 1.5e-6  # 1.3243e-19 J


# ----- receivers --------------------------------------------------------------------------------------------------
def test_photon_energy_at_1500_nm():
    assert oe.photon_energy(1.5e-6) == pytest.approx(1.3243e-19, rel=1e-4, abs=0)


def test_photons_for_99_percent_detection():
    assert oe.photons_for_detection(0.99, 0.7) == pytest.approx(math.log(100) / 0.7, rel=1e-12)


def test_detection_probability_of_seven_photons():
    assert oe.detection_probability(7.0, 0.7) == pytest.approx(1 - math.exp(-4.9), rel=1e-12, abs=0)


@given(p=st.floats(1e-6, 1 - 1e-6), eta=st.floats(1e-3, 1.0))
@settings(max_examples=50, deadline=None)
def test_eq1_inverts(p, eta):
    n = oe.photons_for_detection(p, eta)
    assert oe.detection_probability(n, eta) == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_source_energy_eq2():
    assert oe.source_energy(7.0, 1.5e-6, 0.01) == pytest.approx(7 * HNU_1500 / 0.01, rel=1e-12, abs=0)


def test_snspd_half_l_i_squared():
    assert oe.snspd_energy(100e-9, 10e-6) == pytest.approx(0.5 * 100e-9 * (10e-6) ** 2, rel=1e-12, abs=0)  # 5 aJ


def test_photodiode_energy_eq3():
    assert oe.photodiode_energy(1e-15, 0.8, 1.0) == pytest.approx(0.8e-15, rel=1e-12, abs=0)
    assert oe.photodiode_energy(1e-15, 0.8, 1.0, 0.01) == pytest.approx(0.8e-13, rel=1e-12, abs=0)


def test_ideal_responsivity_is_one_electron_per_photon():
    r = oe.ideal_responsivity(1.5e-6)
    assert r == pytest.approx(Q * 1.5e-6 / (H * C), rel=1e-12)  # 1.2098 A/W
    assert oe.photodiode_energy(1e-15, 0.8, r) / HNU_1500 == pytest.approx(1e-15 * 0.8 / Q, rel=1e-12)


def test_leakage_crossover():
    assert oe.static_crossover_rate(1.0 * 1e-9, 0.8e-15 / 0.01) == pytest.approx(1e-9 / 0.8e-13, rel=1e-12)


# ----- transmitters, memory --------------------------------------------------------------------------------------
def test_optical_power_per_neuron_and_inverse():
    p = oe.optical_power_per_neuron(0.8e-15, 1e3, 1e6)
    assert p == pytest.approx(1e3 * 0.8e-15 * 1e6, rel=1e-12, abs=0)
    assert oe.max_rate_for_source_power(p, 1e3, 0.8e-15) == pytest.approx(1e6, rel=1e-12)


def test_lifetime_updates_eq4():
    assert oe.lifetime_updates(1e9, 1e4, 1e3) == pytest.approx(1e9 * 1e4 / math.sqrt(1000), rel=1e-12)


def test_max_update_energy_eq5():
    assert oe.max_update_energy(1e3, 100e-15) == pytest.approx(math.sqrt(1000) * 100e-15, rel=1e-12, abs=0)


def test_max_update_time():
    assert oe.max_update_time(1e7) == pytest.approx(1e-7, rel=1e-12, abs=0)


# ----- graph and area --------------------------------------------------------------------------------------------
def test_er_degree_eq6():
    assert oe.er_degree(1e6, 2.0) == pytest.approx(math.exp((math.log(1e6) - GAMMA) / 1.5), rel=1e-12)
    assert oe.er_degree(1e6, 2.0) == pytest.approx(6806, abs=0.5)


@given(n=st.floats(10.0, 1e12), k=st.floats(1.5, 1e6))
@settings(max_examples=50, deadline=None)
def test_eq6_inverts(n, k):
    path = oe.er_path_length(n, k)
    assert oe.er_degree(n, path) == pytest.approx(k, rel=1e-9)


def test_areas_eq7_eq8():
    assert oe.photonic_area(750.0, 2e-6, 5.0) == pytest.approx((750 * 2e-6 / 5) ** 2, rel=1e-12, abs=0)
    assert oe.electronic_area(750.0, 30e-6, 8.0) == pytest.approx(750 * (30e-6) ** 2 / 8, rel=1e-12, abs=0)


def test_planes_needed():
    k = 749.306
    # photonic: k w √(N/A) = 749.3 × 2e-6 × √(1e6/0.09) = 4.995 → 5; electronic: N k w²/A = 7.49 → 8
    assert oe.photonic_planes_needed(1e6, k, 2e-6) == 5.0
    assert oe.electronic_planes_needed(1e6, k, 30e-6) == 8.0
    assert oe.electronic_planes_needed(1e6, k, 10e-6) == 1.0
    # 10⁶ × 100 × (30 µm)² is exactly 0.09 m²: one plane, not two from rounding noise
    assert oe.electronic_planes_needed(1e6, 100.0, 30e-6) == 1.0
    assert oe.electronic_planes_needed(1e6, 100.0, 30e-6, 0.09 * 0.999) == 2.0


def test_max_neurons_closed_forms_fill_the_wafer():
    path, a = 2.5, 1 / 2.0
    n_e = oe.max_neurons_electronic(path, 10e-6, 1.0)
    assert n_e == pytest.approx((0.09 / 1e-10 * math.exp(GAMMA * a)) ** (1 / (1 + a)), rel=1e-12)
    k_e = oe.er_degree(n_e, path)
    assert n_e * oe.electronic_area(k_e, 10e-6) == pytest.approx(0.09, rel=1e-9)
    n_p = oe.max_neurons_photonic(path, 2e-6, 5.0)
    assert n_p * oe.photonic_area(oe.er_degree(n_p, path), 2e-6, 5.0) == pytest.approx(0.09, rel=1e-9)
    assert oe.max_neurons_per_wafer(path, 10e-6, 2e-6, 5.0, 1.0) == min(n_e, n_p)


# ----- cooling and power ------------------------------------------------------------------------------------------
def test_carnot():
    assert oe.carnot_specific_power(4.2) == pytest.approx((300 - 4.2) / 4.2, rel=1e-12)
    assert oe.carnot_specific_power(4.0, 300.0) == pytest.approx(74.0, rel=1e-12)
    assert oe.cooling_power(2.0, 1000.0) == pytest.approx(2000.0)


def test_max_mean_rate_paper_point():
    f = oe.max_mean_rate(1e7, 1e10, 1e-4, 1e4, receiver_energy_j=1e-15)
    assert f == pytest.approx(1e7 * 1e-4 / (1e10 * 1e4 * 1e-15), rel=1e-12)  # 10 kHz


def test_max_mean_rate_static_draw():
    f = oe.max_mean_rate(1e7, 1e10, 1e-4, 1e4, receiver_energy_j=1e-15, static_power_w=1e-9)
    assert f == pytest.approx((1e7 - 1e14 * 1e-9) * 1e-4 / (1e14 * 1e-15), rel=1e-12)
    assert oe.max_mean_rate(1e4, 1e10, 1e-4, 1e4, static_power_w=1e-9) == 0.0  # the leakage alone is over budget


def test_power_density_and_limits():
    e, f, w = 8.7e-15, 1e9, 30e-6
    assert oe.power_density(e, f, w) == pytest.approx(e * f / w**2, rel=1e-12)
    assert oe.density_limited_rate(1e4, e, w) == pytest.approx(1e4 * w**2 / e, rel=1e-12)
    assert oe.density_limited_width(1e4, e, f) == pytest.approx(math.sqrt(e * f / 1e4), rel=1e-12, abs=0)


# ----- platforms --------------------------------------------------------------------------------------------------
def test_superconducting_preset():
    sc = oe.SUPERCONDUCTING
    e_rx = math.log(100) / 0.7 * HNU_1500
    assert sc.receiver_energy() == pytest.approx(e_rx, rel=1e-12, abs=0)
    assert sc.source_energy() == pytest.approx(e_rx / 0.01, rel=1e-12, abs=0)
    assert sc.heat_per_synapse_event() == pytest.approx(e_rx / 0.01 + 5e-18, rel=1e-12, abs=0)
    assert sc.energy_per_synapse_event() == pytest.approx((e_rx / 0.01 + 5e-18) * 1001, rel=1e-12, abs=0)
    assert sc.static_power_per_synapse() == 0.0
    assert sc.power_density(1e6) == pytest.approx((e_rx / 0.01 + 5e-18) * 1e6 / (30e-6) ** 2, rel=1e-12, abs=0)


def test_semiconductor_preset():
    semi = oe.SEMICONDUCTOR
    assert semi.receiver_energy() == pytest.approx(0.8e-15, rel=1e-12, abs=0)
    assert semi.energy_per_synapse_event() == pytest.approx(0.8e-13, rel=1e-12, abs=0)
    assert semi.static_power_per_synapse() == pytest.approx(1e-9, rel=1e-6, abs=0)
    # density limit 1 kW/cm² = 1e7 W/m², minus the leakage's share, over the event energy
    expected = (1e7 - 1e-9 / 1e-10) * 1e-10 / 0.8e-13
    assert semi.density_limited_rate() == pytest.approx(expected, rel=1e-12)


def test_platform_round_trip(tmp_path):
    sc = oe.SUPERCONDUCTING.replace(link_efficiency=1e-3)
    path = sc.dump(tmp_path / "sc.toml")
    assert oe.SuperconductingPlatform.load(path) == sc
    assert oe.make_platform("semiconductor", link_efficiency=0.5).link_efficiency == 0.5


def test_platform_rejects_impossible_values():
    with pytest.raises(ConfigError, match="link_efficiency"):
        oe.SuperconductingPlatform(link_efficiency=1.5)
    with pytest.raises(ConfigError, match="detection_efficiency"):
        oe.SuperconductingPlatform(detection_efficiency=0.0)
    with pytest.raises(ConfigError, match="Carnot limit"):
        oe.SuperconductingPlatform(cooling_specific_power=50.0)
    with pytest.raises(ConfigError, match="cold_temperature_k"):
        oe.SuperconductingPlatform(cold_temperature_k=310.0)
    with pytest.raises(ConfigError, match="capacitance_f"):
        oe.SemiconductorPlatform(capacitance_f=-1e-15)
    with pytest.raises(UnknownNameError, match="superconducting"):
        oe.make_platform("photonic")


# ----- vectorization ----------------------------------------------------------------------------------------------
VECTOR_CASES = [
    (oe.photons_for_detection, {"probability": [0.5, 0.9, 0.99], "detection_efficiency": 0.7}),
    (oe.source_energy, {"n_photons": [1.0, 7.0, 100.0], "wavelength_m": 1.5e-6, "link_efficiency": [1.0, 0.1, 1e-4]}),
    (oe.photodiode_energy, {"capacitance_f": [0.5e-15, 1e-15, 2e-15], "voltage_v": 0.8, "responsivity_a_per_w": 1.0,
                            "link_efficiency": [1.0, 0.01, 1e-3]}),
    (oe.er_degree, {"n_neurons": [1e6, 1e8, 1e10], "path_length": [2.0, 2.5, 3.0]}),
    (oe.electronic_planes_needed, {"n_neurons": [1e5, 1e6, 1e7], "degree": [100.0, 750.0, 2370.0],
                                   "synapse_width_m": 30e-6}),
    (oe.photonic_planes_needed, {"n_neurons": [1e5, 1e6, 1e7], "degree": [100.0, 750.0, 2370.0],
                                 "waveguide_pitch_m": 2e-6}),
    (oe.max_neurons_per_wafer, {"path_length": [2.0, 2.5, 3.5], "synapse_width_m": [10e-6, 30e-6, 30e-6],
                                "waveguide_pitch_m": 2e-6, "photonic_planes": 5.0}),
    (oe.max_mean_rate, {"power_w": 1e7, "n_neurons": [1e8, 1e9, 1e10], "efficiency": [1e-4, 1e-2, 1.0],
                        "static_power_w": [0.0, 1e-9, 1e-12]}),
    (oe.density_limited_width, {"density_limit_w_per_m2": [1e4, 1e7, 1e7], "energy_per_event_j": 1e-14,
                                "rate_hz": [1e6, 1e9, 1e10]}),
]


@pytest.mark.parametrize(("fn", "kwargs"), VECTOR_CASES, ids=[f.__name__ for f, _ in VECTOR_CASES])
def test_vectorized_calls_agree_with_scalar_calls(fn, kwargs):
    vector = fn(**{k: torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v for k, v in kwargs.items()})
    assert isinstance(vector, torch.Tensor) and vector.shape == (3,)
    for i in range(3):
        scalar = fn(**{k: v[i] if isinstance(v, list) else v for k, v in kwargs.items()})
        assert isinstance(scalar, float)
        assert float(vector[i]) == pytest.approx(scalar, rel=1e-12, abs=0)


def test_grid_broadcasting_and_numpy_input():
    n = torch.logspace(6, 10, 5, dtype=torch.float64)[:, None]
    eta = np.array([1e-4, 1e-2, 1.0])[None, :]
    grid = oe.max_mean_rate(1e7, n, eta)
    assert grid.shape == (5, 3)
    assert float(grid[4, 0]) == pytest.approx(oe.max_mean_rate(1e7, 1e10, 1e-4), rel=1e-12)


def test_float32_tensors_are_computed_in_float64():
    out = oe.er_degree(torch.tensor([1e6], dtype=torch.float32), 2.0)
    assert out.dtype == torch.float64


# ----- bad input --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "match"), [
    (lambda: oe.snspd_energy(-100e-9, 10e-6), r"snspd_energy: inductance_h = -1e-07: must be > 0"),
    (lambda: oe.source_energy(-1.0, 1.5e-6, 0.5), r"n_photons = -1.0: must be >= 0"),
    (lambda: oe.photodiode_energy(1e-15, 0.8, 1.0, 0.0), r"link_efficiency = 0.0: must be in \(0, 1\]"),
    (lambda: oe.photodiode_energy(1e-15, 0.8, 1.0, 1.2), r"link_efficiency = 1.2: must be in \(0, 1\]"),
    (lambda: oe.photons_for_detection(1.0, 0.7), r"probability = 1.0: must be in \(0, 1\)"),
    (lambda: oe.photons_for_detection(0.99, 1.7), r"detection_efficiency = 1.7: must be in \(0, 1\]"),
    (lambda: oe.er_degree(0, 2.0), r"n_neurons = 0.0: must be >= 1"),
    (lambda: oe.er_degree(1e6, 0.5), r"path_length = 0.5: must be > 0.5"),
    (lambda: oe.er_path_length(1e6, 1.0), r"degree = 1.0: must be > 1"),
    (lambda: oe.max_mean_rate(1e7, 0, 1e-4), r"n_neurons = 0.0: must be > 0"),
    (lambda: oe.max_mean_rate(1e7, 1e10, 2.0), r"efficiency = 2.0: must be in \(0, 1\]"),
    (lambda: oe.power_density(-1e-15, 1e9, 10e-6), r"energy_per_event_j = -1e-15: must be >= 0"),
    (lambda: oe.photonic_area(100.0, 2e-6, 0.5), r"photonic_planes = 0.5: must be >= 1"),
    (lambda: oe.carnot_specific_power(300.0, 4.2), r"hot_k must exceed cold_k"),
    (lambda: oe.photon_energy(float("nan")), r"wavelength_m = nan: must be a finite number"),
    (lambda: oe.er_degree(torch.tensor([1e6, 0.0]), 2.0), r"n_neurons = 0.0 \(at index \(1,\) of a tensor of shape"),
    (lambda: oe.max_mean_rate(torch.tensor([1e7, float("inf")]), 1e10, 1e-4), r"power_w = inf .*finite"),
    (lambda: oe.feasibility(n_neurons=0), r"n_neurons = 0.0: must be >= 1"),
    (lambda: oe.feasibility(efficiency=1.5), r"link_efficiency = 1.5"),
])
def test_bad_input_raises_config_error(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_shapes_that_do_not_broadcast_raise_shape_error():
    with pytest.raises(ShapeError, match=r"er_degree: path_length has shape \(2,\), which does not broadcast with "
                                         r"n_neurons of shape \(3,\)"):
        oe.er_degree(torch.tensor([1e6, 1e7, 1e8]), torch.tensor([2.0, 3.0]))


def test_wrong_types_raise_input_type_error():
    with pytest.raises(InputTypeError, match="wavelength_m must be a number"):
        oe.photon_energy("1.5e-6")
    with pytest.raises(InputTypeError):
        oe.photon_energy(True)
    with pytest.raises(InputTypeError, match="feasibility takes numbers"):
        oe.feasibility(n_neurons=torch.tensor([1e9, 1e10]))


# ----- the sweep point --------------------------------------------------------------------------------------------
def test_feasibility_by_hand():
    out = oe.feasibility("semiconductor", n_neurons=1e10, efficiency=1e-3, fan_out=1e4, rate_hz=1e4, power_w=1e7)
    synapses, event, leak = 1e14, 0.8e-15 / 1e-3, 1e-9
    assert out["energy_per_synapse_event_j"] == pytest.approx(event, rel=1e-12, abs=0)
    assert out["power_w"] == pytest.approx(synapses * (event * 1e4 + leak), rel=1e-12)
    assert out["within_budget"] == 1.0
    assert out["max_mean_rate_hz"] == pytest.approx((1e7 - synapses * leak) / (synapses * event), rel=1e-12)
    assert out["power_density_w_per_m2"] == pytest.approx((event * 1e4 + leak) / (10e-6) ** 2, rel=1e-12)
    assert out["path_length"] == pytest.approx(0.5 + (math.log(1e10) - GAMMA) / math.log(1e4), rel=1e-12)
    assert out["photonic_planes"] == math.ceil(1e4 * 2e-6 * math.sqrt(1e6 / 0.09))
    assert out["electronic_planes"] == math.ceil(1e6 * 1e4 * (10e-6) ** 2 / 0.09)
    assert out["wafers"] == 1e4
    assert all(isinstance(v, float) for v in out.values())


def test_feasibility_over_budget_and_overrides():
    out = oe.feasibility("superconducting", n_neurons=1e10, efficiency=1e-4, rate_hz=1e6, synapse_width_m=50e-6)
    assert out["within_budget"] == 0.0
    assert out["max_mean_rate_hz"] < 1e6
    assert out["electronic_planes"] == math.ceil(1e6 * 1e4 * (50e-6) ** 2 / 0.09)
