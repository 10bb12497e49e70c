"""The compiled periphery against the torch operations: same levels, same noise statistics, same management."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import Ledger
from neurofab.crossbar import io as io_module
from neurofab.crossbar.io import IOConfig, analog_mvm


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def both(w, x, io, transposed=False, seed=0, monkeypatch=None):
    out = {}
    for compiled in (True, False):
        monkeypatch.setattr(io_module, "_USE_COMPILED", compiled)
        with Ledger() as led:
            y = analog_mvm(w, x, io, gen(seed), transposed=transposed)
        out[compiled] = (y, led.to_dict())
    return out[True], out[False]


def test_noise_free_paths_agree_exactly(monkeypatch):
    """Without noise both paths compute the same DAC/ADC levels and ledger counts."""
    w = torch.randn(20, 30, generator=gen(1)) * 0.4
    x = torch.randn(16, 30, generator=gen(2)) * torch.logspace(-3, 1, 16).unsqueeze(1)
    x[3] = 0.0
    for io in (
        IOConfig(out_noise=0.0, bound_management="none"),
        IOConfig(out_noise=0.0, noise_management="constant", nm_thres=2.0, bound_management="none"),
        IOConfig(out_noise=0.0, noise_management="none", inp_bits=None, out_bound=None, out_bits=None),
        IOConfig(out_noise=0.0, out_bound=2.0, out_scale=3.0, bound_management="none"),
    ):
        (yc, lc), (yt, lt) = both(w, x, io, monkeypatch=monkeypatch)
        assert torch.allclose(yc, yt, atol=1e-5, rtol=1e-5), io
        assert lc == lt
        (yc, lc), (yt, lt) = both(w, x[:, :20], io, True, monkeypatch=monkeypatch)
        assert torch.allclose(yc, yt, atol=1e-5, rtol=1e-5) and lc == lt


@pytest.mark.parametrize("test_negative", [True, False])
def test_bound_management_paths_agree(test_negative, monkeypatch):
    """Same saturated vectors, same reductions and passes. (A halved input can put a DAC value exactly on a
    half level; the compiled path rounds that tie to even, the float32 torch path either way: outputs agree
    to a few ADC levels.)"""
    w = torch.randn(20, 30, generator=gen(1)) * 0.4
    x = torch.randn(16, 30, generator=gen(2)) * torch.logspace(-3, 1, 16).unsqueeze(1)
    io = IOConfig(out_noise=0.0, out_bound=2.0, bm_test_negative_bound=test_negative)
    (yc, lc), (yt, lt) = both(w, x, io, monkeypatch=monkeypatch)
    assert lc == lt and lc["mvm"][""] > 16
    level = io.out_step * x.abs().amax(1, keepdim=True)
    assert ((yc - yt).abs() <= 4 * level + 1e-6).all()


@pytest.mark.parametrize(
    "io",
    [
        IOConfig(out_noise=0.2),
        IOConfig(out_noise=0.05, inp_noise=0.05, inp_sto_round=True, out_sto_round=True, bound_management="none"),
        IOConfig(out_noise=0.05, w_noise=0.1, w_noise_type="additive_constant", bound_management="none"),
        IOConfig(out_noise=0.05, w_noise=0.1, w_noise_type="pcm_read", bound_management="none"),
    ],
    ids=["output-noise", "stochastic-rounding+input-noise", "additive-read-noise", "pcm-read-noise"],
)
def test_noisy_paths_agree_in_distribution(io, monkeypatch):
    w = torch.randn(6, 10, generator=gen(3)) * 0.3
    x = torch.randn(1, 10, generator=gen(4)).repeat(4000, 1)
    (yc, _), (yt, _) = both(w, x, io, monkeypatch=monkeypatch)
    sd = yt.std(0)
    assert ((yc.mean(0) - yt.mean(0)).abs() < 5 * sd / 4000**0.5 + 1e-6).all()
    assert torch.allclose(yc.std(0), sd, rtol=0.08)


def test_compiled_periphery_is_reproducible_from_the_generator():
    w = torch.randn(8, 12, generator=gen(5))
    x = torch.randn(10, 12, generator=gen(6))
    io = IOConfig(out_noise=0.1, inp_noise=0.02)
    assert torch.equal(analog_mvm(w, x, io, gen(7)), analog_mvm(w, x, io, gen(7)))
    assert not torch.equal(analog_mvm(w, x, io, gen(7)), analog_mvm(w, x, io, gen(8)))


def test_a_noise_free_row_after_a_noisy_one_gets_no_noise(monkeypatch):
    """Additive read noise only: a row whose DAC output is all zero carries no noise (its σ is 0)."""
    io = IOConfig(out_noise=0.0, w_noise=0.5, w_noise_type="additive_constant", noise_management="none",
                  out_bits=None, bound_management="none")
    w = torch.ones(4, 3)
    x = torch.tensor([[1.0, 1.0, 1.0], [1e-4, 0.0, 0.0]])  # the second row quantizes to zero in the DAC
    y = analog_mvm(w, x, io, gen(3))
    assert torch.count_nonzero(y[0]) > 0 and torch.count_nonzero(y[1]) == 0
