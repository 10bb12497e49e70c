"""MONETA performance model (Kim et al. 2022, section 4): throughput, image rates, weight memory, efficiency."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.systems.moneta_performance import (
    MonetaChipConfig,
    MonetaNetwork,
    MonetaSystem,
    SnnConvLayer,
    moneta_convsnn,
    tops_per_mm2,
    tops_per_watt,
)


def test_chip_geometry_by_hand():
    chip = MonetaChipConfig()
    assert chip.weights_per_wordline == 16
    assert chip.capacity_bits == 8 * 9 * 128 * 128 == 1152 * 1024
    assert chip.update_cycles == 17
    assert chip.ops_per_cycle == 2 * 16 * 9 * 8
    assert chip.peak_throughput == 2.304e12
    assert math.isclose(chip.block_area, 11.177e-6)


def test_learning_throughput_formula():
    chip = MonetaChipConfig()
    assert chip.learning_throughput(0.0) == chip.peak_throughput
    assert math.isclose(chip.learning_throughput(0.0028), 2.304e12 / (1 + 17 * 0.0028))
    assert math.isclose(chip.learning_throughput(1.0), 2.304e12 / 18)


@given(a=st.floats(0, 1), b=st.floats(0, 1))
def test_learning_throughput_falls_with_the_spike_rate(a, b):
    chip = MonetaChipConfig()
    lo, hi = sorted((a, b))
    assert chip.learning_throughput(hi) <= chip.learning_throughput(lo) <= chip.peak_throughput


def test_layer_cycles_and_image_rates():
    chip = MonetaChipConfig()
    net = moneta_convsnn()
    cycles = [la.cycles_per_image(chip) for la in net.layers]
    assert cycles == [100 * 16 * 16 * 3, 100 * 8 * 8 * 64, 100 * 4 * 4 * 64, 100 * 2 * 2 * 128]
    assert net.layer("CONV4").frames_per_second(chip) == 1e9 / 51_200
    slowed = net.layer("CONV4").frames_per_second(chip, output_spike_rate=0.0028)
    assert math.isclose(slowed, 1e9 / 51_200 / (1 + 17 * 0.0028))


def test_parameter_memory_and_chips():
    homo, hybrid = moneta_convsnn(), moneta_convsnn(hybrid=True)
    assert homo.layer("CONV4").parameter_bits == 3 * 3 * 128 * 128 * 8
    assert homo.required_parameter_bits == 1152 * 1024
    assert hybrid.required_parameter_bits == 2304 * 1024
    assert (homo.output_features, hybrid.output_features) == (512, 1024)
    assert MonetaSystem(homo).chips == 1 and MonetaSystem(hybrid).chips == 2
    chip = MonetaChipConfig()
    assert all(la.fits(chip) for la in homo.layers)
    assert sum(la.parameter_bits for la in homo.layers[:3]) <= chip.capacity_bits


def test_system_throughput_power_area_scale_with_chips():
    one, two = MonetaSystem(moneta_convsnn()), MonetaSystem(moneta_convsnn(hybrid=True))
    assert two.throughput() == 2 * one.throughput() == 4.608e12
    assert two.throughput("learning", 0.0028) == 2 * one.throughput("learning", 0.0028)
    assert two.power("inference") == 2 * 0.12328
    assert two.area == 2 * 11.155e-6


def test_efficiency_hand_values():
    assert math.isclose(tops_per_watt(2.304e12, 0.12328), 2.304 / 0.12328)
    assert math.isclose(tops_per_mm2(2.304e12, 11.155e-6), 2.304 / 11.155)


@given(cols=st.integers(1, 64), bits=st.integers(1, 16))
def test_weights_per_wordline_is_whole(cols, bits):
    chip = MonetaChipConfig(array_columns=cols * bits, weight_bits=bits)
    assert chip.weights_per_wordline == cols
    assert chip.ops_per_cycle == 2 * cols * chip.arrays_per_core * chip.cores


def test_bad_input_raises():
    with pytest.raises(ConfigError, match="multiple of weight_bits"):
        MonetaChipConfig(array_columns=100)
    with pytest.raises(ConfigError, match="clock_frequency = 0"):
        MonetaChipConfig(clock_frequency=0)
    with pytest.raises(ConfigError, match=r"output_spike_rate = 1.5: must be a number in \[0, 1\]"):
        MonetaChipConfig().learning_throughput(1.5)
    with pytest.raises(ConfigError, match="output_spike_rate = nan"):
        MonetaChipConfig().learning_throughput(float("nan"))
    with pytest.raises(ConfigError, match="mode = 'training'"):
        MonetaSystem(moneta_convsnn()).throughput("training")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="learning throughput needs output_spike_rate"):
        MonetaSystem(moneta_convsnn()).throughput("learning")
    with pytest.raises(ConfigError, match="throughput = nan"):
        tops_per_watt(float("nan"), 0.1)
    with pytest.raises(ConfigError, match="power = 0"):
        tops_per_watt(1e12, 0)
    with pytest.raises(ConfigError, match="area = -1"):
        tops_per_mm2(1e12, -1)
    a = SnnConvLayer(name="a", in_rows=8, in_columns=8, in_depth=3, filters=16, stride=2)
    b = SnnConvLayer(name="b", in_rows=8, in_columns=8, in_depth=16, filters=16)
    with pytest.raises(ConfigError, match=r"layer 'b' reads \(8, 8, 16\) but layer 'a' produces \(4, 4, 16\)"):
        MonetaNetwork(layers=(a, b))
    big = SnnConvLayer(name="big", in_rows=8, in_columns=8, in_depth=256, filters=16)
    with pytest.raises(ConfigError, match=r"\['big'\] do not map on one chip"):
        MonetaSystem(MonetaNetwork(layers=(big,)))
    with pytest.raises(ConfigError, match="no layer 'CONV9'"):
        moneta_convsnn().layer("CONV9")
