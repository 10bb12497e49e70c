"""Inference noise models: every PCM formula against hand-computed values, drift statistics, the other models."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, NumericalError
from neurofab.crossbar.inference_tile import InferenceTileConfig
from neurofab.crossbar.mapping import ConductanceMapping
from neurofab.crossbar.noise_models import (
    GaussianNoiseModel,
    PCMNoiseModel,
    ReRAMPolynomialNoiseModel,
    RRAMRetentionNoiseModel,
    StuckAtFaults,
    pcm_drift_factor,
    pcm_read_noise_factor,
)

US = 1e-6
TIMES = {"1 s": 1.0, "1 h": 3600.0, "1 day": 86400.0, "1 week": 604800.0, "1 month": 2592000.0}


def test_programming_noise_polynomial_at_zero_and_gmax():
    # σ_prog = max(−1.1731 ĝ² + 1.965 ĝ + 0.2635, 0) µS at g_max = 25 µS: 0.263 µS at 0, 1.055 µS at g_max
    m = PCMNoiseModel()
    sig = m.programming_std(torch.tensor([0.0, 25e-6], dtype=torch.float64))
    assert sig[0].item() == pytest.approx(0.26348 * US, rel=1e-12, abs=0)
    assert sig[1].item() == pytest.approx((0.26348 + 1.9650 - 1.1731) * US, rel=1e-12, abs=0)
    assert round(sig[1].item() / US, 3) == 1.055
    # half way: 0.26348 + 0.9825 − 0.293275
    assert m.programming_std(torch.tensor([12.5e-6], dtype=torch.float64)).item() == pytest.approx(
        0.952705 * US, rel=1e-6, abs=0)


def test_programming_noise_scales_with_gamma_and_gmax():
    g = torch.tensor([0.0, 10e-6], dtype=torch.float64)
    base = PCMNoiseModel().programming_std(g)
    assert torch.allclose(PCMNoiseModel(gamma=0.5).programming_std(g), 0.5 * base, atol=0)
    # aihwkit: the µS polynomial is scaled by g_max / 25 µS (at the same relative conductance ĝ)
    m50 = PCMNoiseModel(converter=ConductanceMapping(g_max=50e-6))
    assert torch.allclose(m50.programming_std(2 * g), 2 * base, atol=0)


@pytest.mark.parametrize(
    ("label", "expected"), [("1 s", 4.19), ("1 h", 4.76), ("1 day", 5.09), ("1 week", 5.27), ("1 month", 5.41)]
)
def test_read_noise_sqrt_log_factor_matches_the_note(label, expected):
    # sqrt(ln((t + t0 + t_read)/(2 t_read))), t0 = 20 s, t_read = 250 ns
    t = TIMES[label]
    by_hand = math.sqrt(math.log((t + 20.0 + 250e-9) / (2 * 250e-9)))
    assert float(pcm_read_noise_factor(t)) == pytest.approx(by_hand, rel=1e-12)
    assert round(by_hand, 2) == expected


@pytest.mark.parametrize(
    ("label", "expected"), [("1 s", 0.998), ("1 h", 0.775), ("1 day", 0.664), ("1 week", 0.603), ("1 month", 0.562)]
)
def test_drift_factor_at_nu_0049_matches_the_note(label, expected):
    t = TIMES[label]
    by_hand = ((t + 20.0) / 20.0) ** -0.049
    assert float(pcm_drift_factor(t, 0.049)) == pytest.approx(by_hand, rel=1e-12, abs=0)
    assert round(by_hand, 3) == expected


def test_drift_exponent_statistics_by_hand():
    m = PCMNoiseModel()
    g = torch.tensor([25e-6, 0.25e-6, 0.0], dtype=torch.float64)
    mu, sig = m.drift_stats(g)
    # ĝ = 1: μ = max(0.0244, 0.049) = 0.049, σ = max(−0.0059, 0.008) = 0.008
    assert mu[0].item() == pytest.approx(0.049) and sig[0].item() == pytest.approx(0.008)
    # ĝ = 0.01: μ = −0.0155 ln 0.01 + 0.0244 = 0.095781, σ = min(−0.0125 ln 0.01 − 0.0059, 0.045) = 0.045
    assert mu[1].item() == pytest.approx(-0.0155 * math.log(0.01) + 0.0244)
    assert sig[1].item() == pytest.approx(0.045)
    # ĝ = 0 (clipped at 1e-7): both at their caps
    assert mu[2].item() == pytest.approx(0.1) and sig[2].item() == pytest.approx(0.045)


def test_q_s_by_hand():
    m = PCMNoiseModel()
    q = m.q_s(torch.tensor([25e-6, 2.5e-6, 0.0], dtype=torch.float64))
    assert q[0].item() == pytest.approx(0.0088)
    assert q[1].item() == pytest.approx(0.0088 / 0.1**0.65)
    assert q[2].item() == pytest.approx(0.2)  # 0.0088 / 1e-3 = 8.8 → capped at 0.2


def _folded_normal_mean(mu: float, sigma: float) -> float:
    phi = 0.5 * (1 + math.erf(-mu / (sigma * math.sqrt(2))))
    return sigma * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * sigma**2)) + mu * (1 - 2 * phi)


def test_drift_statistics_over_many_devices():
    m = PCMNoiseModel()  # per-MVM read noise: conductance_at is pure drift
    n = 200_000
    g_hat = 0.2  # μ_ν = 0.0493, σ_ν = 0.0142; the target is 8σ_prog above 0, so no clipping
    g_t = torch.full((2, n), g_hat * 25e-6, dtype=torch.float64)
    prog = m.program(g_t, 0)
    mu = -0.0155 * math.log(g_hat) + 0.0244
    sigma = -0.0125 * math.log(g_hat) - 0.0059
    nu = prog.params.flatten()
    assert float(nu.min()) >= 0
    assert float(nu.mean()) == pytest.approx(_folded_normal_mean(mu, sigma), abs=4 * sigma / math.sqrt(2 * n))
    # programming noise: std of g_prog around the target
    sig_prog = (0.26348 + 1.9650 * g_hat - 1.1731 * g_hat**2) * US
    assert float((prog.g_prog - g_t).std()) == pytest.approx(sig_prog, rel=0.01)
    for t in TIMES.values():
        g = m.conductance_at(prog, t)
        log_ratio = torch.log(g / prog.g_prog)
        assert torch.allclose(log_ratio, -nu.reshape(2, n) * math.log((t + 20.0) / 20.0), atol=0)
    # mean drift factor at 1 day against E[(t/t0)^−ν] for the folded normal, by quadrature
    t = 86400.0
    k = math.log((t + 20) / 20)
    xs = torch.linspace(mu - 8 * sigma, mu + 8 * sigma, 20001, dtype=torch.float64)
    pdf = torch.exp(-((xs - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
    expected = float(torch.trapezoid(torch.exp(-xs.abs() * k) * pdf, xs))
    measured = float((m.conductance_at(prog, t) / prog.g_prog).mean())
    assert measured == pytest.approx(expected, rel=2e-3)


def test_read_noise_at_drift_has_the_stated_std():
    frozen = PCMNoiseModel(read_noise="at_drift")
    per_mvm = PCMNoiseModel()
    n = 100_000
    g_t = torch.full((2, n), 20e-6, dtype=torch.float64)
    prog = frozen.program(g_t, 1)
    t = 3600.0
    drift_only = per_mvm.conductance_at(prog, t)
    with_noise = frozen.conductance_at(prog, t, 2)
    std = per_mvm.read_std(prog, drift_only, t)
    z = (with_noise - drift_only) / std
    assert float(z.mean()) == pytest.approx(0.0, abs=0.02)
    assert float(z.std()) == pytest.approx(1.0, rel=0.01)
    # σ_nG = γ g_drift Q_s sqrt-log factor, by hand for one device
    q = 0.0088 / (prog.g_prog[0, 0].item() / 25e-6) ** 0.65
    by_hand = drift_only[0, 0].item() * q * math.sqrt(math.log((t + 20 + 250e-9) / 500e-9))
    assert std[0, 0].item() == pytest.approx(by_hand, rel=1e-9, abs=0)
    assert frozen.read_std(prog, drift_only, t) is None
    assert torch.allclose(PCMNoiseModel(gamma=0.5).read_std(prog, drift_only, t), 0.5 * std, atol=0)


def test_conductances_never_negative_and_same_seed_same_draw():
    m = PCMNoiseModel(read_noise="at_drift")
    g_t = torch.rand(2, 300, generator=torch.Generator().manual_seed(3)) * 25e-6
    a, b = m.program(g_t, 7), m.program(g_t, 7)
    assert torch.equal(a.g_prog, b.g_prog) and torch.equal(a.params, b.params)
    assert float(a.g_prog.min()) >= 0
    assert float(m.conductance_at(a, 1e6, 3).min()) >= 0
    assert not torch.equal(m.program(g_t, 8).g_prog, a.g_prog)


def test_conductance_levels():
    m = GaussianNoiseModel(levels=5)
    g = torch.tensor([0.0, 3.0e-6, 3.2e-6, 12.6e-6, 24e-6, 30e-6])
    q = m.quantize_levels(g)
    assert torch.allclose(q, torch.tensor([0.0, 0.0, 6.25e-6, 12.5e-6, 25e-6, 25e-6]), atol=0)
    prog = m.program(g, 0)
    assert torch.allclose(prog.g_prog, q, atol=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 64), st.integers(0, 10_000))
def test_level_rounding_is_idempotent_and_on_the_grid(levels, seed):
    m = GaussianNoiseModel(levels=levels, converter=ConductanceMapping(g_min=1e-6, g_max=21e-6))
    g = torch.rand(50, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 25e-6
    q = m.quantize_levels(g)
    assert torch.equal(m.quantize_levels(q), q)
    k = (q - 1e-6) / (20e-6 / (levels - 1))
    assert torch.allclose(k, k.round(), atol=1e-6)
    assert float(q.min()) >= 1e-6 - 1e-18 and float(q.max()) <= 21e-6 + 1e-18


def test_stuck_at_faults():
    faults = StuckAtFaults(p_off=0.1, p_on=0.05, p_random=0.05)
    m = PCMNoiseModel(faults=faults, gamma=0.0)
    n = 100_000
    g_t = torch.full((2, n), 10e-6, dtype=torch.float64)
    prog = m.program(g_t, 0)
    stuck = prog.stuck
    assert float(stuck.double().mean()) == pytest.approx(0.2, abs=0.005)
    off = stuck & (prog.g_prog == 0.0)
    on = stuck & (prog.g_prog == 25e-6)
    assert float(off.double().mean()) == pytest.approx(0.1, abs=0.005)
    assert float(on.double().mean()) == pytest.approx(0.05, abs=0.004)
    rnd = prog.g_prog[stuck & ~off & ~on]
    assert float(rnd.mean()) == pytest.approx(12.5e-6, rel=0.03)
    # stuck devices do not drift, the others do
    g = m.conductance_at(prog, 86400.0)
    assert torch.equal(g[stuck], prog.g_prog[stuck])
    assert bool((g[~stuck] < prog.g_prog[~stuck]).all())
    with pytest.raises(ConfigError):
        StuckAtFaults(p_off=0.6, p_on=0.5)


def test_gaussian_model_constant_and_proportional():
    m = GaussianNoiseModel(prog_std_abs=0.2e-6, prog_std_rel=0.05, read_std_abs=0.1e-6, read_std_rel=0.02)
    n = 200_000
    for g0 in (5e-6, 15e-6):
        g_t = torch.full((2, n), g0, dtype=torch.float64)
        prog = m.program(g_t, 1)
        assert float((prog.g_prog - g_t).std()) == pytest.approx(0.2e-6 + 0.05 * g0, rel=0.01)
        assert torch.equal(m.conductance_at(prog, 1e6), prog.g_prog)  # no drift
        std = m.read_std(prog, prog.g_prog, 10.0)
        assert torch.allclose(std, 0.1e-6 + 0.02 * prog.g_prog.abs(), atol=0)
    assert GaussianNoiseModel().read_std(prog, prog.g_prog, 1.0) is None


def test_reram_polynomial_at_fitted_and_between_times():
    m = ReRAMPolynomialNoiseModel()
    g = torch.tensor([0.0, 40e-6], dtype=torch.float64)
    s1 = m.std_at(g, 1.0)
    assert s1[0].item() == pytest.approx(0.348 * US, rel=1e-6, abs=0)
    assert s1[1].item() == pytest.approx((0.348 + 16.030 - 43.853 + 45.393 - 16.815) * US)
    s_day = m.std_at(g, 86400.0)
    assert s_day[0].item() == pytest.approx(0.701 * US, rel=1e-6, abs=0)
    mid = m.std_at(g, math.sqrt(86400.0))  # half way in ln t
    assert torch.allclose(mid, 0.5 * (s1 + s_day), atol=0)
    assert torch.allclose(m.std_at(g, 1e9), m.std_at(g, 172800.0), atol=0)
    assert torch.allclose(m.std_at(g, 0.0), s1, atol=0)
    n = 100_000
    g_t = torch.full((2, n), 20e-6, dtype=torch.float64)
    prog = m.program(g_t, 0)
    at_day = m.conductance_at(prog, 86400.0, 1)
    assert float((at_day - g_t).std()) == pytest.approx(m.std_at(g_t[:1, :1], 86400.0).item(), rel=0.01)
    with pytest.raises(ConfigError):
        ReRAMPolynomialNoiseModel(coeffs=((10.0, (1.0,)), (5.0, (1.0,))))


def test_rram_power_law_retention():
    m = RRAMRetentionNoiseModel(nu_mean=0.02, nu_std=0.0, t_0=1.0)
    g_t = torch.tensor([[10e-6, 20e-6]], dtype=torch.float64).expand(2, 2).contiguous()
    prog = m.program(g_t, 0)
    assert torch.equal(prog.g_prog, g_t)
    t = 1e4
    assert torch.allclose(m.conductance_at(prog, t), g_t * (1 + t) ** -0.02, atol=0)
    m2 = RRAMRetentionNoiseModel(nu_mean=0.02, nu_std=0.0, t_0=1.0, converter=ConductanceMapping(g_min=2e-6))
    prog2 = m2.program(g_t, 0)
    assert torch.allclose(m2.conductance_at(prog2, t), 2e-6 + (g_t - 2e-6) * (1 + t) ** -0.02, atol=0)
    with pytest.raises(ConfigError):
        RRAMRetentionNoiseModel(nu_mean=0.02, nu_std=0.0)  # t_0 is device data: required


def test_bad_input_raises():
    m = PCMNoiseModel()
    with pytest.raises(ConfigError, match="gamma"):
        PCMNoiseModel(gamma=-1.0)
    with pytest.raises(ConfigError, match="levels"):
        PCMNoiseModel(levels=1)
    with pytest.raises(NumericalError):
        m.program(torch.tensor([float("nan")]))
    prog = m.program(torch.zeros(2, 3), 0)
    with pytest.raises(NumericalError, match="t_inference"):
        m.conductance_at(prog, -1.0)
    with pytest.raises(NumericalError, match="t_inference"):
        m.conductance_at(prog, float("inf"))


def test_noise_model_round_trips_through_toml(tmp_path):
    cfg = InferenceTileConfig(noise_model=ReRAMPolynomialNoiseModel(levels=16, faults=StuckAtFaults(p_on=0.01)))
    path = cfg.dump(tmp_path / "tile.toml")
    back = InferenceTileConfig.load(path)
    assert back == cfg and isinstance(back.noise_model, ReRAMPolynomialNoiseModel)
    cfg2 = InferenceTileConfig(noise_model=RRAMRetentionNoiseModel(nu_mean=0.01, nu_std=0.002, t_0=1.0))
    assert InferenceTileConfig.load(cfg2.dump(tmp_path / "t2.json")) == cfg2
