"""The timestep simulator of the IMC pipeline (Dazzi et al. 2021, Algorithms 1–2): hand-computed curves, engine
agreement, invariants, ResNet-32 figures, the ledger and bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, Ledger
from neurofab.systems.imc_mapping import NETWORK_INPUT, CnnSpec, ConvLayerSpec, CoreArray, map_network
from neurofab.systems.imc_pipeline import (
    PipelineConfig,
    feed_need,
    first_needed,
    kernel_row_reads,
    link_bandwidth_eq7,
    resnet32,
    simulate,
    speedup_replicas,
)


def single(size: int = 4, cin: int = 16, cout: int = 16, kernel: int = 3, stride: int = 1, padding: int = 1):
    la = ConvLayerSpec(name="L", in_height=size, in_width=size, in_channels=cin, out_channels=cout, kernel=kernel,
                       stride=stride, padding=padding)
    return CnnSpec(layers=(la,))


def test_need_of_the_first_output_is_the_papers_minimum():
    # H·(F − P − 1) + (F − P) pixels before the first MVM; 2H + 3 for F = 3, P = 0 (Figure 8)
    for h, f, p in [(32, 3, 0), (32, 3, 1), (16, 5, 2), (8, 1, 0)]:
        la = single(size=h, kernel=f, padding=p).layers[0]
        assert int(feed_need(la)[0]) == h * (f - p - 1) + (f - p)


def test_single_layer_curve_by_hand():
    # 4×4 input, 3×3, padding 1: outputs need [6,7,8,8, 10,11,12,12, 14,15,16,16, 16,16,16,16] input pixels
    la = single().layers[0]
    assert feed_need(la).tolist() == [6, 7, 8, 8, 10, 11, 12, 12, 14, 15, 16, 16, 16, 16, 16, 16]
    res = simulate(single())
    assert res.layer_curve("L").tolist() == [0] * 5 + list(range(1, 17))
    assert res.latency_steps == 21
    # the earliest pixel read by any output ≥ j: (o_x − 1, o_y − 1) clipped at 0, and at most row 0 of the
    # column the next output column starts with
    assert first_needed(la).tolist()[:12] == [0, 0, 0, 0, 0, 0, 1, 2, 4, 4, 5, 6]


def test_stride_two_layer_computes_every_other_row_and_column():
    res = simulate(single(size=8, stride=2))  # outputs need rows/cols up to 2·o + 1
    curve = res.layer_curve("L")
    assert int(curve[-1]) == 16
    steps = torch.diff(curve, prepend=torch.zeros(1, dtype=curve.dtype)).nonzero().flatten().tolist()
    assert steps[:4] == [9, 11, 13, 15]  # column 1 complete rows 1, 3, 5, 7 → pixels 10, 12, 14, 16
    assert steps[4] == 25  # then nothing until column 3 brings row 1 (pixel 26)


def test_kernel_row_reads_per_output_column():
    la = single(size=6).layers[0]  # stride 1: the column's first output loads 2 valid rows, the others 1 each
    per_output = kernel_row_reads(la).sum(1).reshape(6, 6)
    assert per_output[0].tolist() == [2, 1, 1, 1, 1, 0]
    assert int(kernel_row_reads(la).sum()) == 6 * 6  # every input row read once per output column


@st.composite
def small_networks(draw):
    size = draw(st.integers(3, 9))
    channels = draw(st.integers(1, 40))
    layers: list[ConvLayerSpec] = []
    source = NETWORK_INPUT
    for i in range(draw(st.integers(1, 4))):
        kernel = draw(st.sampled_from([1, 3]))
        padding = draw(st.integers(0, kernel // 2))
        stride = draw(st.sampled_from([1, 1, 2]))
        if size + 2 * padding < kernel:
            padding = kernel // 2
        cout = draw(st.integers(1, 40))
        la = ConvLayerSpec(name=f"l{i}", in_height=size, in_width=size, in_channels=channels, out_channels=cout,
                           kernel=kernel, stride=stride, padding=padding, source=source)
        if layers and draw(st.booleans()):
            prev = layers[-1]
            if (prev.out_height, prev.out_width, prev.out_channels) == (la.out_height, la.out_width, cout):
                la = la.replace(residual=prev.name, residual_hops=draw(st.integers(1, 2)))
        layers.append(la)
        source, size, channels = la.name, la.out_height, cout
    replicas = {la.name: draw(st.integers(1, 3)) for la in layers}
    rows = draw(st.sampled_from([64, 256]))
    return map_network(CnnSpec(layers=tuple(layers)), CoreArray(rows=rows, columns=256), replicas)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=small_networks(), batch=st.integers(1, 3), rate=st.integers(1, 3))
def test_step_and_scan_engines_agree_timestep_by_timestep(mapping, batch, rate):
    cfg = PipelineConfig(input_pixels_per_step=rate)
    a = simulate(mapping, cfg, batch, engine="scan")
    b = simulate(mapping, cfg, batch, engine="step")
    assert torch.equal(a.counts, b.counts)
    assert torch.equal(a.received, b.received) and torch.equal(a.max_pixels_per_step, b.max_pixels_per_step)
    assert a.ledger == b.ledger


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=small_networks(), batch=st.integers(1, 3))
def test_work_bounds_and_monotone_curves(mapping, batch):
    res = simulate(mapping, batch=batch)
    work = max(math.ceil(batch * m.layer.out_pixels / m.replicas) for m in mapping.layers)
    assert res.timesteps >= work  # no core computes more than `replicas` outputs per timestep
    assert res.latency_steps <= res.batch_steps <= res.timesteps
    steps = torch.diff(res.counts.to(torch.int64), dim=1)
    assert bool((steps >= 0).all())
    assert bool((steps <= torch.tensor([n.replicas for n in res.graph.nodes])[:, None]).all())
    assert bool((torch.diff(res.completion) > 0).all())
    assert bool((res.counts[:, -1] == torch.tensor([batch * n.layer.out_pixels for n in res.graph.nodes])).all())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=small_networks(), pick=st.integers(0, 3), extra=st.integers(1, 3))
def test_more_replicas_never_slow_the_pipeline(mapping, pick, extra):
    # on crossbars big enough that replication never forces a split (a split adds a partial-sum timestep)
    layer = mapping.layers[pick % len(mapping.layers)].layer.name
    base = {m.layer.name: m.replicas for m in mapping.layers}
    more = {**base, layer: base[layer] + extra}
    array = CoreArray(rows=4096, columns=4096)
    slow = simulate(map_network(mapping.network, array, base), batch=2)
    fast = simulate(map_network(mapping.network, array, more), batch=2)
    assert fast.batch_steps <= slow.batch_steps
    assert fast.latency_steps <= slow.latency_steps


@pytest.mark.parametrize("speedup", [False, True])
def test_resnet32_latency_is_at_least_the_slowest_layers_work(speedup):
    net = resnet32()
    replicas = speedup_replicas(net, (4, 2, 1)) if speedup else 1
    mapping = map_network(net, CoreArray(rows=336), replicas)
    res = simulate(mapping, PipelineConfig(input_pixels_per_step=4 if speedup else 1))
    work = max(math.ceil(m.layer.out_pixels / m.replicas) for m in mapping.layers)
    assert res.latency_steps >= work
    assert bool((res.max_buffered <= res.ring_capacity()).all())  # the H·F ring of section 2.4.2 suffices


def test_resnet32_pipeline_figures():
    res = simulate(resnet32())
    assert res.graph.mapping.cores == 43
    assert 1000 < res.latency_steps < 2000
    # a stride-1, padding-1 core fed one pixel per timestep holds 2H + 3 pixels of its H·F ring (Figure 8)
    for node, held in zip(res.graph.nodes, res.max_buffered.tolist()):
        la = node.layer
        if la.kernel == 3 and la.stride == 1 and la.in_height == 32:
            assert held == 2 * la.in_height + 3
    eq7 = link_bandwidth_eq7(res.graph.network, res.graph.config)
    assert eq7 == 8 * 56 / 100e-9
    assert res.link_bandwidth() == eq7


def test_speedup_replicas_and_link_capacity():
    net = resnet32()
    paper = speedup_replicas(net, (4, 2, 1))
    assert (paper["1"], paper["11"], paper["RS1"], paper["12"], paper["22"], paper["FC"]) == (4, 4, 2, 2, 1, 1)
    matched = speedup_replicas(net)  # ⌊56 / C_out⌋: 3 pixels of 16 channels fit a 448-bit link
    assert (matched["1"], matched["13"], matched["31"]) == (3, 2, 1)
    mapping = map_network(net, CoreArray(rows=336), paper)
    free = simulate(mapping, PipelineConfig(input_pixels_per_step=4), batch=3)
    assert free.link_bandwidth() == 4 * 128 / 100e-9
    capped = simulate(mapping, PipelineConfig(input_pixels_per_step=4, link_bits_per_step=448), batch=3)
    assert capped.link_bandwidth() <= 448 / 100e-9
    assert capped.batch_steps > free.batch_steps


def test_ledger_of_a_single_layer_by_hand():
    cfg = PipelineConfig(input_layout="PLIP")
    with Ledger() as outer:
        res = simulate(single(size=4, cin=16, cout=8), cfg)
    led = res.ledger
    assert led == outer
    assert led.count("mvm") == 16  # one crossbar activation per output pixel
    assert led.count("adc_conversion") == 16 * 8
    assert led.count("dac_conversion") == 16 * 144
    assert led.count("sram_write") == 16  # 128-bit pixels, one word each
    assert led.count("sram_read") == 4 * 4 * 3  # per output column: 4 kernel rows of 3 one-word pixels
    assert led.count("link_bit") == 16 * 128


def test_split_layer_sums_partials_one_timestep_later():
    one = simulate(single(size=4, cin=16), batch=1)
    split = simulate(map_network(single(size=4, cin=16), CoreArray(rows=72)), batch=1)
    assert split.graph.mapping.cores == 2
    assert split.latency_steps == one.latency_steps + 1
    kinds = sorted(ln.kind for ln in split.graph.links)
    assert kinds == ["feed", "feed", "partial"]


def test_zero_hop_delay_is_faster_and_needs_the_scan_engine():
    net = resnet32()
    assert simulate(net, PipelineConfig(hop_timesteps=0)).latency_steps < simulate(net).latency_steps
    with pytest.raises(ConfigError, match="step engine .* needs hop_timesteps = 1"):
        two = CnnSpec(layers=(single().layers[0], single().layers[0].replace(name="M", source="L")))
        simulate(two, PipelineConfig(hop_timesteps=0), engine="step")


def test_simulate_restores_the_thread_setting():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        simulate(single())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_bad_input_raises():
    with pytest.raises(ConfigError, match="batch = 0"):
        simulate(single(), batch=0)
    with pytest.raises(ConfigError, match="engine = 'fast'"):
        simulate(single(), engine="fast")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs a NetworkMapping or CnnSpec"):
        simulate("resnet")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot carry one 128-bit pixel"):
        net = CnnSpec(layers=(single().layers[0], single().layers[0].replace(name="M", source="L")))
        simulate(net, PipelineConfig(link_bits_per_step=64))
    with pytest.raises(ConfigError, match="timestep = 0"):
        PipelineConfig(timestep=0)
    with pytest.raises(ConfigError, match="did not finish within max_steps = 5"):
        simulate(single(), max_steps=5)
    with pytest.raises(ConfigError, match="per_group"):
        speedup_replicas(resnet32(), (4,))
