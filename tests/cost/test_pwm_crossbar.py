"""PWM-input crossbar energy: closed forms (V²·G·t per cell, P/f_s per conversion), scaling with the array, bad
input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, DataError
from neurofab.cost.pwm_crossbar import (
    KULL2017_POWER,
    KULL2017_RATE,
    PwmCrossbarConfig,
    adc_energy_per_conversion,
    analog_energy,
    analog_energy_of,
    cell_energy,
    column_full_scale_current,
    mean_abs_code,
    mvm_energy,
    quantize_inputs,
    regulator_energy,
)


def test_cell_energy_is_v_squared_g_t():
    assert cell_energy(2.5e-6, 0.2, 1e-9) == pytest.approx(0.04 * 2.5e-6 * 1e-9, rel=1e-6, abs=0)  # 0.1 fJ
    with pytest.raises(ConfigError, match="g"):
        cell_energy(-1e-6, 0.2, 1e-9)


def test_analog_energy_is_the_sum_over_cells_of_v2_g_t():
    cfg = PwmCrossbarConfig(rows=5, columns=3, devices_per_weight=2, mvm_period=64e-9, input_bits=7)
    gen = torch.Generator().manual_seed(0)
    codes = torch.randint(-64, 64, (4, 5), generator=gen)
    g = torch.rand(5, 6, generator=gen, dtype=torch.float64) * 5e-6
    got = analog_energy_of(cfg, codes, g)
    step = cfg.step
    assert step == pytest.approx(1e-9, rel=1e-6, abs=0)
    for b in range(4):  # the explicit double sum over devices
        want = sum(cell_energy(float(g[i, j]), cfg.v_read, abs(int(codes[b, i])) * step)
                   for i in range(5) for j in range(6))
        assert float(got[b]) == pytest.approx(want, rel=1e-12, abs=0)
    # at uniform conductance the batch mean equals the closed form at the measured mean |x|
    uniform = analog_energy_of(cfg, codes)
    assert float(uniform.mean()) == pytest.approx(analog_energy(cfg, mean_abs_code(codes)), rel=1e-12, abs=0)


def test_adc_energy_is_power_over_rate():
    e = adc_energy_per_conversion(KULL2017_POWER, KULL2017_RATE)
    assert e == pytest.approx(4.6133e-12, rel=1e-4, abs=0)  # 6.92 mW / 1.5 GS/s
    cfg = PwmCrossbarConfig()
    assert mvm_energy(cfg, 10).adc == pytest.approx(256 * e, rel=1e-6, abs=0)
    with pytest.raises(ConfigError, match="ADC power"):
        adc_energy_per_conversion(0.0, 1e9)


def test_regulators_and_throughput_closed_forms():
    cfg = PwmCrossbarConfig()
    i_fs = 256 * 2 * 2.5e-6 * 0.2  # 256 µA
    assert column_full_scale_current(cfg) == pytest.approx(i_fs)
    assert regulator_energy(cfg) == pytest.approx(256 * 0.8 * i_fs * 100e-9, rel=1e-6, abs=0)
    assert cfg.ops_per_second == pytest.approx(2 * 256**2 / 100e-9)
    assert cfg.step == pytest.approx(100e-9 / 128, rel=1e-6, abs=0)
    e = mvm_energy(cfg, 64)
    assert e.total == pytest.approx(sum(e.parts.values()), rel=1e-6, abs=0)
    assert e.tops_per_watt == pytest.approx(2 * 256**2 / e.total / 1e12)
    assert e.power == pytest.approx(e.total / 100e-9)
    assert mvm_energy(cfg.replace(core_power=1e-3), 64).core == pytest.approx(1e-3 * 100e-9, rel=1e-6, abs=0)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 600), cols=st.integers(1, 600), m=st.floats(0, 128))
def test_scaling_with_the_array(rows, cols, m):
    small = mvm_energy(PwmCrossbarConfig(rows=rows, columns=cols, core_power=1e-3), m)
    big = mvm_energy(PwmCrossbarConfig(rows=2 * rows, columns=2 * cols, core_power=1e-3), m)
    assert big.analog == pytest.approx(4 * small.analog, abs=1e-30)  # per cell
    assert big.regulators == pytest.approx(4 * small.regulators, rel=1e-6, abs=0)  # columns × full-scale current ∝ rows
    for part in ("adc", "digital"):  # per column
        assert big.parts[part] == pytest.approx(2 * small.parts[part], rel=1e-6, abs=0)
    cfg = small.config  # PWM per row, plus a row line that grows with the columns it crosses
    extra_line = 2 * rows * cols * cfg.devices_per_weight * cfg.row_capacitance_per_device * cfg.v_read**2
    assert big.pwm == pytest.approx(2 * small.pwm + extra_line, rel=1e-6, abs=0)
    assert big.core == pytest.approx(small.core, rel=1e-6, abs=0)
    wide = mvm_energy(PwmCrossbarConfig(rows=rows, columns=2 * cols, core_power=1e-3), m)
    assert wide.pwm > small.pwm  # the row line grows with the columns it crosses
    assert wide.adc == pytest.approx(2 * small.adc, rel=1e-6, abs=0)


def test_energy_grows_with_the_mean_input():
    cfg = PwmCrossbarConfig()
    lo, hi = mvm_energy(cfg, 0), mvm_energy(cfg, 128)
    assert lo.analog == 0.0 and hi.analog > 0 and hi.pwm > lo.pwm
    assert hi.regulators == lo.regulators and hi.adc == lo.adc


def test_quantize_inputs():
    x = torch.tensor([0.0, 0.5, -1.0, 2.0])
    q = quantize_inputs(x, bits=8)
    assert q.tolist() == [0, 32, -64, 127]
    assert mean_abs_code(q) == pytest.approx((0 + 32 + 64 + 127) / 4)
    assert quantize_inputs(torch.tensor([300.0]), bits=8, scale=1.0).tolist() == [127]
    with pytest.raises(DataError):
        quantize_inputs(torch.tensor([]))
    with pytest.raises(ConfigError, match="bits"):
        quantize_inputs(x, bits=1)


@pytest.mark.parametrize(("changes", "field"), [
    ({"rows": 0}, "rows"),
    ({"g_mean": -1e-6}, "g_mean"),
    ({"devices_per_weight": 3}, "devices_per_weight"),
    ({"pwm_step": 1e-9, "mvm_period": 100e-9}, "pwm_step"),  # 128 ns of full-scale pulse in a 100-ns MVM
    ({"node_nm": 13}, "node_nm"),
    ({"adc_rate": 0}, "adc_rate"),
])
def test_bad_config_names_the_field(changes, field):
    with pytest.raises(ConfigError, match=field):
        PwmCrossbarConfig(**changes)


def test_bad_inputs():
    cfg = PwmCrossbarConfig(rows=4, columns=2)
    with pytest.raises(ConfigError, match="mean_abs_code"):
        mvm_energy(cfg, 129)
    with pytest.raises(DataError, match="rows"):
        analog_energy_of(cfg, torch.zeros(3, 5, dtype=torch.int64))
    with pytest.raises(DataError, match="range"):
        analog_energy_of(cfg, torch.full((1, 4), 200))
    with pytest.raises(DataError, match="shape"):
        analog_energy_of(cfg, torch.zeros(1, 4, dtype=torch.int64), torch.ones(4, 2))
    with pytest.raises(DataError, match=">= 0"):
        analog_energy_of(cfg, torch.zeros(1, 4, dtype=torch.int64), -torch.ones(4, 4))


def test_config_round_trips(tmp_path):
    cfg = PwmCrossbarConfig(rows=512, columns=512, pwm_step=0.5e-9)
    path = tmp_path / "pwm.toml"
    cfg.dump(path)
    assert PwmCrossbarConfig.load(path) == cfg
