"""Kernel-matrix mapping of Dazzi et al. 2021: replication (Eq. 2, Method 2 rows, Eq. 3), utilization (Eq. 4),
row and column splits, network wiring checks."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.systems.imc_mapping import (
    CnnSpec,
    ConvLayerSpec,
    CoreArray,
    aspect_ratio,
    aspect_ratio_method1,
    map_layer,
    map_network,
    max_replicas,
    minimum_aspect_ratio,
    receptive_field_union,
    replicated_rows,
    utilization,
)
from neurofab.systems.imc_pipeline import resnet32


def conv(cin: int = 16, cout: int = 16, size: int = 32, kernel: int = 3, stride: int = 1, padding: int = 1,
         name: str = "c") -> ConvLayerSpec:
    return ConvLayerSpec(name=name, in_height=size, in_width=size, in_channels=cin, out_channels=cout,
                         kernel=kernel, stride=stride, padding=padding)


def test_kernel_matrix_shape_and_output_size():
    la = conv(cin=28, cout=56, size=16, stride=2)
    assert (la.kernel_rows, la.out_channels) == (252, 56)
    assert (la.out_height, la.out_width) == (8, 8)
    assert la.pixel_bits(8) == 224
    assert conv(cin=16, cout=28, kernel=1, stride=2, padding=0).out_height == 16


def test_figure_6b_rows_for_twenty_replicas():
    la = conv(cin=16, cout=16)
    assert replicated_rows(la, 20, delta_w=1) == 1056
    assert replicated_rows(la, 20, delta_w=5) == 672


@given(f=st.integers(1, 5), cin=st.integers(1, 64), n=st.integers(1, 30))
def test_method1_adds_f_times_cin_rows_per_replica(f, cin, n):
    la = conv(cin=cin, kernel=f, padding=0, size=8)
    assert replicated_rows(la, n) == f * cin * (f + n - 1)


@given(f=st.integers(1, 4), dh=st.integers(1, 6), dw=st.integers(1, 6), cin=st.integers(1, 8))
def test_method2_full_block_rows(f, dh, dw, cin):
    la = conv(cin=cin, kernel=f, padding=0, size=8)
    assert replicated_rows(la, dh * dw, delta_w=dw) == cin * (dh + f - 1) * (dw + f - 1)


@given(f=st.integers(1, 5), cin=st.integers(1, 64), cout=st.integers(1, 64), n=st.integers(1, 40))
def test_eq2_matches_the_counted_rows(f, cin, cout, n):
    la = conv(cin=cin, cout=cout, kernel=f, padding=0, size=8)
    assert math.isclose(aspect_ratio(la, n), aspect_ratio_method1(f, cin, cout, n), rel_tol=1e-12)


def test_eq2_limits():
    assert aspect_ratio_method1(3, 16, 16, 1) == 9.0
    assert math.isclose(aspect_ratio_method1(3, 16, 16, 10**7), 3.0, rel_tol=1e-5)
    ratios = [aspect_ratio_method1(3, 16, 16, n) for n in range(1, 50)]
    assert all(a > b for a, b in itertools.pairwise(ratios))


@given(size=st.integers(3, 10), f=st.integers(1, 3), cin=st.integers(1, 8), cout=st.integers(1, 8))
def test_eq3_reached_when_every_output_has_a_replica(size, f, cin, cout):
    la = conv(cin=cin, cout=cout, size=size, kernel=f, padding=0)
    n = la.out_height * la.out_width
    assert math.isclose(aspect_ratio(la, n, delta_w=la.out_width), minimum_aspect_ratio(la), rel_tol=1e-12)


def test_eq3_is_one_for_same_size_layers():
    assert minimum_aspect_ratio(conv(cin=16, cout=16)) == 1.0


def test_strided_union_counts_shared_input_pixels():
    # two vertically adjacent outputs of a 3×3, stride-2 kernel read 5 rows × 3 columns
    assert receptive_field_union(2, 3, stride=2) == 15
    # 1×1 kernels with stride 2 share nothing
    assert receptive_field_union(4, 1, stride=2, delta_w=2) == 4


@settings(max_examples=60)
@given(cin=st.integers(1, 64), cout=st.integers(1, 64), f=st.sampled_from([1, 3, 5]), dw=st.integers(1, 4))
def test_max_replicas_fit_and_utilization_at_most_one(cin, cout, f, dw):
    array = CoreArray(rows=256, columns=256)
    la = conv(cin=cin, cout=cout, kernel=f, padding=f // 2)
    n = max_replicas(la, array, dw)
    if n == 0:
        assert la.kernel_rows > array.rows or cout > array.columns
        return
    assert replicated_rows(la, n, dw) <= array.rows and n * cout <= array.columns
    assert replicated_rows(la, n + 1, dw) > array.rows or (n + 1) * cout > array.columns
    u = utilization(la, n, array)
    assert 0 < u <= 1
    assert math.isclose(u, n * utilization(la, 1, array))


def test_eq4_utilization_hand_value():
    la = conv(cin=16, cout=16)  # 144 × 16 weights on a 256 × 256 crossbar
    assert utilization(la, 1, CoreArray()) == 144 * 16 / 65536
    assert utilization(la, 3, CoreArray()) == 3 * 144 * 16 / 65536


def test_row_split_by_input_channel_groups():
    la = conv(cin=56, cout=56, size=8)  # 504 rows: two cores of 28 channels (252 rows) each, Eq. 5
    m = map_layer(la, CoreArray())
    assert (m.row_parts, m.column_parts, m.cores) == (2, 1, 2)
    assert m.in_channel_groups == ((0, 28), (28, 56))
    assert [m.part_rows(i) for i in range(2)] == [252, 252]


def test_column_split_by_output_channels():
    la = conv(cin=8, cout=300, size=8)  # 72 rows × 300 columns: two column parts, Eq. 6
    m = map_layer(la, CoreArray())
    assert (m.row_parts, m.column_parts) == (1, 2)
    assert sum(m.part_columns(k) for k in range(2)) == 300
    assert m.utilization <= 1


@given(cin=st.integers(1, 200), cout=st.integers(1, 600), n=st.integers(1, 4))
def test_split_parts_cover_the_matrix(cin, cout, n):
    la = conv(cin=cin, cout=cout, size=8)
    m = map_layer(la, CoreArray(), replicas=n)
    assert sum(m.part_rows(i) for i in range(m.row_parts)) == m.rows
    assert all(m.part_rows(i) <= 256 for i in range(m.row_parts))
    assert all(m.part_columns(k) <= 256 for k in range(m.column_parts))
    assert m.utilization <= 1


def test_resnet32_maps_onto_43_cores():
    net = resnet32()
    assert len(net.layers) == 34
    mapping = map_network(net, CoreArray())
    assert mapping.cores == 43
    split = [m.layer.name for m in mapping.layers if m.cores > 1]
    assert split == [str(i) for i in range(23, 32)]
    assert net.layer("12").kernel_rows == 144 and net.layer("22").kernel_rows == 252


def test_bad_geometry_raises_config_errors():
    with pytest.raises(ConfigError, match="padding 3 must be < kernel 3"):
        conv(padding=3)
    with pytest.raises(ConfigError, match="smaller than kernel"):
        conv(size=1, kernel=5, padding=1)
    with pytest.raises(ConfigError, match="in_channels = 0: must be > 0"):
        conv(cin=0)
    with pytest.raises(ConfigError, match="replicas = 0"):
        replicated_rows(conv(), 0)
    with pytest.raises(ConfigError, match="more than the 256 rows"):
        map_layer(conv(cin=16, size=64), CoreArray(), replicas=200)


def test_network_wiring_mismatch_names_the_layers():
    a = conv(cin=3, cout=16, name="a")
    b = conv(cin=28, cout=28, name="b").replace(source="a")
    with pytest.raises(ConfigError, match=r"layer 'b': input \(H, W, C\) = \(32, 32, 28\) but source 'a'"):
        CnnSpec(layers=(a, b))
    with pytest.raises(ConfigError, match="source 'zz' is not an earlier layer"):
        CnnSpec(layers=(a, conv(name="b").replace(source="zz")))
    with pytest.raises(ConfigError, match="no layer 'x'"):
        CnnSpec(layers=(a,)).layer("x")
    with pytest.raises(ConfigError, match="unknown layer"):
        map_network(CnnSpec(layers=(a,)), replicas={"nope": 2})
