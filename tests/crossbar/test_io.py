"""The MVM periphery: exact DAC/ADC levels, noise and bound management, noise statistics, bad input."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, Ledger, ShapeError
from neurofab.crossbar.io import IOConfig, analog_mvm, quantize


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_dac_levels_are_exact():
    io = IOConfig(out_noise=0.0, out_bits=None, out_bound=None, noise_management="none", bound_management="none")
    assert io.inp_step == pytest.approx(2 / 126)
    x = torch.linspace(-1.5, 1.5, 1001).unsqueeze(1)
    y = analog_mvm(torch.ones(1, 1), x, io, gen())
    levels = torch.unique(y)
    assert len(levels) == 127  # 2^7 − 1 symmetric levels over [−1, 1]
    k = levels / io.inp_step
    assert torch.allclose(k, k.round(), atol=1e-4)
    assert float(levels.max()) == pytest.approx(1.0) and float(levels.min()) == pytest.approx(-1.0)


def test_adc_levels_are_exact_and_bounded():
    io = IOConfig(out_noise=0.0, inp_bits=None, noise_management="none", bound_management="none")
    assert io.out_step == pytest.approx(24 / 510)
    w = torch.full((1, 1), 20.0)
    x = torch.linspace(-1, 1, 2001).unsqueeze(1)
    y = analog_mvm(w, x, io, gen())
    assert len(torch.unique(y)) == 511
    k = y / io.out_step
    assert torch.allclose(k, k.round(), atol=1e-3)
    assert float(y.abs().max()) == pytest.approx(12.0)


def test_quantize_stochastic_is_unbiased():
    v = torch.full((100000,), 0.3)
    q = quantize(v, 1.0, stochastic=True, generator=gen(1))
    assert set(torch.unique(q).tolist()) == {0.0, 1.0}
    assert float(q.mean()) == pytest.approx(0.3, abs=0.005)


def test_abs_max_noise_management_is_scale_invariant():
    io = IOConfig(out_noise=0.0, bound_management="none")
    w = torch.randn(8, 16, generator=gen(2)) * 0.3
    x = torch.randn(5, 16, generator=gen(3))
    y1 = analog_mvm(w, x, io, gen())
    y2 = analog_mvm(w, 1e-3 * x, io, gen())
    assert torch.allclose(y2, 1e-3 * y1, rtol=1e-4, atol=1e-7)
    # without noise management small inputs vanish in the DAC
    io_none = io.replace(noise_management="none")
    assert torch.count_nonzero(analog_mvm(w, 1e-3 * x, io_none, gen())) == 0


def test_constant_noise_management_scales_by_threshold():
    io = IOConfig(
        out_noise=0.0, bound_management="none", noise_management="constant", nm_thres=4.0, inp_bits=None, out_bits=None
    )
    w = torch.eye(3)
    x = torch.tensor([[2.0, -8.0, 0.5]])
    y = analog_mvm(w, x, io, gen())
    assert torch.allclose(y, torch.tensor([[2.0, -4.0, 0.5]]), atol=1e-5)  # inputs beyond nm_thres clip


def test_iterative_bound_management_recovers_saturated_outputs():
    w = torch.full((2, 64), 0.5)
    x = torch.ones(3, 64)  # true output 32 > out_bound 12
    io = IOConfig(out_noise=0.0)
    y = analog_mvm(w, x, io, gen())
    assert torch.allclose(y, torch.full((3, 2), 32.0), rtol=0.02)
    y_clipped = analog_mvm(w, x, io.replace(bound_management="none"), gen())
    assert torch.allclose(y_clipped, torch.full((3, 2), 12.0))
    # the reduction stops at max_bm_res / DAC step: 16 at 7 bits; 1000 × too large stays clipped
    y_far = analog_mvm(w * 40, x, io, gen())
    assert float(y_far.max()) == pytest.approx(12.0 * 16)


def test_bound_management_counts_extra_passes():
    w = torch.full((2, 64), 0.5)
    x = torch.cat([torch.ones(1, 64), 0.01 * torch.randn(3, 64, generator=gen(0))])
    with Ledger() as led:
        analog_mvm(w, x, IOConfig(out_noise=0.0), gen())
    assert led.count("mvm") == 4 + 2  # the saturated vector needed reductions 2 and 4
    assert led.count("dac_conversion") == 6 * 64 and led.count("adc_conversion") == 6 * 2


def test_output_noise_statistics():
    io = IOConfig(out_noise=0.1, out_bits=None, inp_bits=None, bound_management="none", noise_management="none")
    w = torch.zeros(1000, 4)
    x = torch.full((50, 4), 0.5)
    y = analog_mvm(w, x, io, gen(5))
    assert float(y.std()) == pytest.approx(0.1, rel=0.02)
    # with abs-max noise management the noise is referred back by the input scale α = 2
    y2 = analog_mvm(w, 4 * x, io.replace(noise_management="abs_max"), gen(5))
    assert float(y2.std()) == pytest.approx(0.2, rel=0.02)


def test_weight_noise_types():
    base = dict(out_noise=0.0, out_bits=None, inp_bits=None, bound_management="none", noise_management="none")
    w = torch.full((2000, 4), 0.25)
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    y = analog_mvm(w, x, IOConfig(w_noise=0.1, w_noise_type="additive_constant", **base), gen(1))
    assert float(y.std()) == pytest.approx(0.1 * 2**0.5, rel=0.05)
    y = analog_mvm(w, x, IOConfig(w_noise=0.1, w_noise_type="pcm_read", **base), gen(1))
    assert float(y.std()) == pytest.approx(0.1 * (0.25 * 2) ** 0.5, rel=0.05)
    assert float(y.mean()) == pytest.approx(0.5, abs=0.01)


def test_perfect_io_is_matmul_both_directions():
    w = torch.randn(7, 5, generator=gen(0))
    x = torch.randn(3, 5, generator=gen(1))
    d = torch.randn(3, 7, generator=gen(2))
    io = IOConfig.perfect()
    assert torch.allclose(analog_mvm(w, x, io, gen()), x @ w.T)
    assert torch.allclose(analog_mvm(w, d, io, gen(), transposed=True), d @ w)


def test_zero_input_gives_zero_output():
    y = analog_mvm(torch.randn(3, 4, generator=gen(0)), torch.zeros(2, 4), IOConfig(), gen())
    assert torch.count_nonzero(y) == 0


def test_bad_io_configs_and_shapes_raise():
    with pytest.raises(ConfigError):
        IOConfig(inp_bits=1)
    with pytest.raises(ConfigError):
        IOConfig(out_bound=None)  # the ADC has out_bits but no range
    with pytest.raises(ConfigError):
        IOConfig(inp_bound=2.0)  # noise management expects 1
    with pytest.raises(ConfigError):
        IOConfig(w_noise=0.1)
    with pytest.raises(ShapeError):
        analog_mvm(torch.ones(3, 4), torch.ones(2, 5), IOConfig(), gen())
    with pytest.raises(ShapeError):
        analog_mvm(torch.ones(3, 4), torch.ones(4), IOConfig(), gen())
