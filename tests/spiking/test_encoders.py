"""Encoders and spike statistics against their closed forms."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, InputTypeError, NumericalError, ShapeError
from neurofab.spiking.encoders import delta, latency, poisson_rate, regular_rate
from neurofab.spiking.spike_stats import (
    cv_isi,
    firing_rates,
    isi,
    mean_cv,
    population_rate,
    spike_arrays,
    spike_trains,
)


def arrays_from_raster(raster: torch.Tensor, dt: float):
    steps, idx = torch.nonzero(raster, as_tuple=True)
    return (steps + 1).double() * dt, idx


def test_poisson_encoder_rate_and_cv():
    dt, steps = 1e-3, 20000
    rates = torch.tensor([5.0, 50.0, 200.0])
    raster = poisson_rate(rates, steps, dt, generator=0)
    assert raster.shape == (steps, 3)
    counts = raster.sum(0)
    expected = rates * steps * dt
    assert torch.all((counts - expected).abs() < 4 * torch.sqrt(expected))
    times, idx = arrays_from_raster(raster, dt)
    cv = cv_isi(times, idx, 3)
    # geometric inter-spike intervals of a Bernoulli process: CV = sqrt(1 − p), p = rate·dt
    expected_cv = torch.sqrt(1 - rates.double() * dt)
    torch.testing.assert_close(cv, expected_cv, rtol=0.04, atol=0.0)


def test_poisson_encoder_is_seeded():
    a = poisson_rate(torch.full((4,), 100.0), 50, 1e-3, generator=3)
    b = poisson_rate(torch.full((4,), 100.0), 50, 1e-3, generator=torch.Generator().manual_seed(3))
    c = poisson_rate(torch.full((4,), 100.0), 50, 1e-3, generator=4)
    assert torch.equal(a, b) and not torch.equal(a, c)


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(0.0, 999.0), steps=st.integers(1, 500))
def test_regular_encoder_counts_and_spacing(rate, steps):
    dt = 1e-3
    raster = regular_rate(torch.tensor([rate]), steps, dt)
    assert raster.sum().item() == math.floor(rate * steps * dt + 0.5 + 1e-9)
    gaps = torch.diff(torch.nonzero(raster[:, 0]).flatten())
    if len(gaps):  # evenly spread: the gaps differ by at most one step
        assert gaps.max() - gaps.min() <= 1


def test_latency_encoder():
    x = torch.tensor([1.0, 0.5, 0.0, 0.2])
    out = latency(x, 11)
    assert out.sum(0).tolist() == [1, 1, 0, 1]
    assert out.argmax(0)[[0, 1, 3]].tolist() == [0, 5, 8]  # step round((1 − x)(steps − 1))
    # RC mode: t = τ ln(x / (x − θ))
    rc = latency(torch.tensor([2.0, 1.0, 0.5]), 100, mode="rc", threshold=0.5, tau=10e-3, dt=1e-3)
    t_exp = [10e-3 * math.log(2.0 / 1.5), 10e-3 * math.log(1.0 / 0.5)]
    assert rc[:, 0].argmax().item() == math.floor(t_exp[0] / 1e-3)
    assert rc[:, 1].argmax().item() == math.floor(t_exp[1] / 1e-3)
    assert rc[:, 2].sum() == 0  # at threshold: never
    with pytest.raises(ConfigError):
        latency(x, 10, mode="log")
    with pytest.raises(ConfigError):
        latency(x, 10, mode="rc", threshold=0.0)


def test_delta_encoder_tracks_signal():
    t = torch.linspace(0, 2 * math.pi, 400)
    signal = torch.stack([torch.sin(t), 0.5 * t], dim=1)
    events = delta(signal, 0.1)
    # reconstruction: reference + threshold · cumulative events stays within one threshold of the signal
    recon = signal[0] + 0.1 * torch.cumsum(events, 0)
    assert (recon - signal).abs().max() < 0.1 + 1e-6
    assert set(events.unique().tolist()) <= {-1.0, 0.0, 1.0}
    assert events[:, 1].min() == 0  # a rising ramp gives only ON events
    with pytest.raises(ConfigError):
        delta(signal, 0.0)
    with pytest.raises(NumericalError):
        delta(torch.tensor([[0.0], [float("nan")]]), 0.1)


def test_encoder_bad_input():
    with pytest.raises(ConfigError, match="exceeds one spike per step"):
        poisson_rate(torch.tensor([2000.0]), 10, 1e-3)
    with pytest.raises(ConfigError, match=">= 0"):
        regular_rate(torch.tensor([-1.0]), 10, 1e-3)
    with pytest.raises(NumericalError):
        poisson_rate(torch.tensor([float("nan")]), 10, 1e-3)
    with pytest.raises(ConfigError, match="steps"):
        poisson_rate(1.0, 0, 1e-3)
    with pytest.raises(ConfigError, match="dt"):
        regular_rate(1.0, 10, -1e-3)


def test_spike_statistics_by_hand():
    times = torch.tensor([0.1, 0.3, 0.2, 0.4, 0.7, 0.5, 0.9])
    idx = torch.tensor([0, 0, 1, 0, 0, 1, 2])
    torch.testing.assert_close(firing_rates(times, idx, 3, 2.0), torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64))
    torch.testing.assert_close(isi(torch.tensor([0.4, 0.1, 0.3])), torch.tensor([0.2, 0.1], dtype=torch.float64))
    cv = cv_isi(times, idx, 3)
    intervals = torch.tensor([0.2, 0.1, 0.3], dtype=torch.float64)  # neuron 0: 0.1, 0.3, 0.4, 0.7
    assert cv[0].item() == pytest.approx((intervals.std(unbiased=False) / intervals.mean()).item())
    assert math.isnan(cv[1].item()) and math.isnan(cv[2].item())
    assert mean_cv(times, idx, 3) == pytest.approx(cv[0].item())
    trains = spike_trains(times, idx, 3)
    assert trains[0].tolist() == pytest.approx([0.1, 0.3, 0.4, 0.7]) and len(trains[2]) == 1
    t2, i2 = spike_arrays(trains)
    assert sorted(zip(t2.tolist(), i2.tolist())) == sorted(zip(times.double().tolist(), idx.tolist()))
    edges, rate = population_rate(times, 3, 1.0, 0.5)
    torch.testing.assert_close(rate, torch.tensor([4 / 1.5, 3 / 1.5], dtype=torch.float64))
    assert edges.tolist() == [0.0, 0.5]


def test_regular_train_has_zero_cv():
    times = torch.arange(1, 50, dtype=torch.float64) * 0.01
    assert cv_isi(times, torch.zeros(49, dtype=torch.int64), 1)[0].item() == pytest.approx(0.0, abs=1e-6)


def test_statistics_bad_input():
    with pytest.raises(ShapeError):
        firing_rates(torch.tensor([0.1, 0.2]), torch.tensor([0]), 1, 1.0)
    with pytest.raises(ShapeError):
        cv_isi(torch.tensor([0.1]), torch.tensor([5]), 2)
    with pytest.raises(InputTypeError):
        cv_isi(torch.tensor([0.1]), torch.tensor([0.0]), 2)
    with pytest.raises(ConfigError):
        firing_rates(torch.tensor([0.1]), torch.tensor([0]), 1, 0.0)
    with pytest.raises(ConfigError):
        cv_isi(torch.tensor([0.1]), torch.tensor([0]), 1, min_spikes=2)
    with pytest.raises(NumericalError):
        firing_rates(torch.tensor([float("inf")]), torch.tensor([0]), 1, 1.0)
