"""μBrain: accumulator wrap and clamp, arbiter order and one spike per cycle, the kernel against a plain
event-by-event reference, weight grids and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.systems.ubrain import (
    PROTOTYPE_FC_SYNAPSES,
    UBrainLayer,
    UBrainNet,
    UBrainRun,
    decode_weights,
    prototype,
    prototype_bits,
    prototype_synapses,
    quantize_weights,
    radar_frontend,
    registers,
    simulate,
)

T = 10e-9  # cycle used in these tests [s]


def _one_layer(codes, scale=1, threshold=64, arbiter="round_robin", bits=4):
    codes = torch.as_tensor(codes, dtype=torch.int64)
    layer = UBrainLayer(n_in=codes.shape[1], n_out=codes.shape[0], scale=scale, threshold=threshold,
                        arbiter=arbiter, weight_bits=bits)
    return UBrainNet((layer,), (codes,))


def _run(net, rates_hz, phases, cycles=200):
    run = UBrainRun(t_cycle=T, f_min=0.0, f_max=1.0 / T, t_max=cycles * T, readout="window")
    x = torch.tensor([rates_hz], dtype=torch.float64) * T  # intensity = rate / f_max
    return simulate(net, x, run, phases=torch.tensor([phases], dtype=torch.float64))


def test_accumulator_wraps_with_subtractive_reset():
    # one input every 4 cycles adds 8·7 = 56: spikes after n inputs = floor(56 n / 64) (the overflow is kept)
    net = _one_layer([[7]], scale=8)
    res = _run(net, [0.25 / T], [0.0], cycles=400)
    n_in = int(res.served[0, 0])
    assert n_in == 100
    assert int(res.fired[0, 0]) == math.floor(56 * n_in / 64)


def test_accumulator_clamps_at_zero():
    # cycle 0: channel 0 adds 8·(−7) → clamped to 0 (not −56); channel 1 adds 56 at cycles 1, 3, 5 …:
    # clamped, V = 56, 112 → first spike at cycle 3 (unclamped it would come at cycle 5)
    net = _one_layer([[-7, 7]], scale=8)
    res = _run(net, [1e3, 0.5 / T], [0.0, 0.5], cycles=8)
    assert int(res.first_spikes[0, 0, 0]) == 3
    assert int(res.out_counts[0, 0]) == 3  # cycles 3, 5 (48+56=104), 7 (40+56=96)


def test_arbiter_serves_one_spike_per_cycle_in_priority_order():
    # three channels request at cycle 0; each drives only its own output neuron past threshold
    codes = torch.eye(3, dtype=torch.int64) * 7
    for arbiter in ("linear", "round_robin"):
        res = _run(_one_layer(codes, scale=8, threshold=50, arbiter=arbiter), [1e3, 1e3, 1e3], [0.0] * 3, cycles=10)
        assert res.first_spikes[0, :, 0].tolist() == [0, 1, 2]  # one per cycle, index order
        assert int(res.wait_cycles[0, 0]) == 0 + 1 + 2  # the arbiter's timing distortion


def test_linear_priority_starves_and_round_robin_does_not():
    codes = torch.eye(3, dtype=torch.int64) * 7
    rates = [1.0 / T, 1e3, 1e3]  # channel 0 requests every cycle
    lin = _run(_one_layer(codes, scale=8, threshold=50, arbiter="linear"), rates, [0.0] * 3, cycles=20)
    rr = _run(_one_layer(codes, scale=8, threshold=50, arbiter="round_robin"), rates, [0.0] * 3, cycles=20)
    assert lin.out_counts[0].tolist() == [20, 0, 0]
    assert rr.first_spikes[0, :, 0].tolist() == [0, 1, 2]
    assert rr.out_counts[0, 1:].tolist() == [1, 1]
    assert int(lin.merged[0, 0]) == 0 and int(rr.merged[0, 0]) == 2  # ch0 re-requests while its bit is set


def _reference(codes, scales, thresholds, linear, events, cycles):
    """Plain Python μBrain: per cycle latch inputs, each arbiter serves one, spikes latch for the next cycle."""
    n_layers = len(codes)
    v = [np.zeros(c.shape[0], np.int64) for c in codes]
    pend = [set() for _ in codes]
    ptr = [0] * n_layers
    out = [[] for _ in range(codes[-1].shape[0])]
    by_cycle: dict[int, list[int]] = {}
    for t, c in events:
        by_cycle.setdefault(t, []).append(c)
    for k in range(cycles):
        for c in by_cycle.get(k, []):
            pend[0].add(c)
        new = [set() for _ in codes]
        for li in range(n_layers):
            if not pend[li]:
                continue
            n = codes[li].shape[1] + 1
            order = range(n) if linear else [(ptr[li] + q) % n for q in range(n)]
            i = next(j for j in order if j in pend[li])
            pend[li].discard(i)
            ptr[li] = (i + 1) % n
            for o in range(codes[li].shape[0]):
                x = max(v[li][o] + scales[li] * int(codes[li][o, i]), 0)
                if x >= thresholds[li]:
                    x %= thresholds[li]
                    if li + 1 < n_layers:
                        new[li + 1].add(o)
                    else:
                        out[o].append(k)
                v[li][o] = x
        for li in range(1, n_layers):
            pend[li] |= new[li]
    return out


@pytest.mark.parametrize("linear", [False, True])
def test_kernel_matches_plain_reference(linear):
    gen = torch.Generator().manual_seed(3)
    c1 = torch.randint(-7, 8, (6, 5), generator=gen)
    c2 = torch.randint(-7, 8, (3, 6), generator=gen)
    arb = "linear" if linear else "round_robin"
    net = UBrainNet((UBrainLayer(n_in=5, n_out=6, scale=8, arbiter=arb),
                     UBrainLayer(n_in=6, n_out=3, scale=8, threshold=32, arbiter=arb)), (c1, c2))
    x = torch.rand(4, 5, generator=gen, dtype=torch.float64)
    ph = torch.rand(4, 5, generator=gen, dtype=torch.float64)
    cycles = 300
    run = UBrainRun(t_cycle=T, f_min=0.02 / T, f_max=0.3 / T, t_max=cycles * T, readout="window")
    res = simulate(net, x, run, phases=ph)
    for s in range(4):
        rates = run.f_min + (run.f_max - run.f_min) * x[s].numpy()
        events = [(math.floor((ph[s, j].item() + q) / rates[j] / T + 1e-9), j)
                  for j in range(5) for q in range(math.floor(cycles * T * rates[j] - ph[s, j].item()) + 1)]
        out = _reference([c1.numpy(), c2.numpy()], [8, 8], [64, 32], linear, events, cycles)
        assert res.out_counts[s].tolist() == [len(o) for o in out]
        firsts = [([*o, -1, -1])[:2] for o in out]
        assert res.first_spikes[s].tolist() == firsts


def test_ledger_counts_spikes_and_synops():
    net = _one_layer([[7], [7]], scale=8)
    with Ledger() as led:
        res = _run(net, [0.25 / T], [0.0], cycles=40)
    assert led.count("spike") == int(res.spikes.sum()) == 10 + int(res.fired.sum())
    assert led.count("synop") == 10 * 2


def test_weight_grids():
    assert decode_weights(torch.tensor([-7, -1, 0, 3, 7]), 4).tolist() == [-7, -1, 0, 3, 7]
    assert decode_weights(torch.tensor([-3, -1, 0, 2, 3]), 3, "log").tolist() == [-4, -1, 0, 2, 4]
    w = torch.tensor([[-1.0, -0.5, 0.0, 0.26, 1.0]])
    assert quantize_weights(w, 4).tolist() == [[-7, -4, 0, 2, 7]]  # round(w · 7)
    assert quantize_weights(w, 3, "log").tolist() == [[-3, -2, 0, 1, 3]]  # 4·|w| → nearest of 1, 2, 4


@pytest.mark.parametrize("bad", [
    dict(threshold=0), dict(threshold=-64), dict(scale=3), dict(weight_bits=1), dict(bias_period=-1)])
def test_bad_layer_config(bad):
    with pytest.raises(ConfigError):
        UBrainLayer(n_in=2, n_out=2, **bad)


def test_weights_outside_the_w_bit_range():
    layer = UBrainLayer(n_in=2, n_out=1, weight_bits=4)
    with pytest.raises(ConfigError, match="4-bit range"):
        UBrainNet((layer,), (torch.tensor([[8, 0]]),))
    with pytest.raises(ConfigError):
        UBrainNet((layer,), (torch.tensor([[0.5, 0.0]]),))


def test_presentation_shorter_than_the_clock():
    with pytest.raises(ConfigError, match="t_max"):
        UBrainRun(t_cycle=100e-9, t_max=150e-9)


def test_prototype_memory_arithmetic():
    assert PROTOTYPE_FC_SYNAPSES == 17_488
    assert prototype_synapses() == 37_366
    assert prototype_bits(prototype_synapses()) == 149_464


def test_same_seed_same_result():
    gen = torch.Generator().manual_seed(0)
    net = _one_layer(torch.randint(-7, 8, (4, 8), generator=gen))
    x = torch.rand(3, 8, generator=gen)
    run = UBrainRun(t_cycle=5e-9, t_max=20e-6, readout="window")
    a, b = simulate(net, x, run, generator=7), simulate(net, x, run, generator=7)
    assert torch.equal(a.first_spikes, b.first_spikes) and torch.equal(a.out_counts, b.out_counts)


def test_lateral_connection_feeds_the_layer_its_own_spikes():
    # neuron 0 receives one input event (8·7 = 56, no spike) and a second one (spike, V = 48); its lateral
    # self-weight 7 (·8 = 56) then re-enters its own arbiter: 48 + 56 → a second spike, and so on
    codes = torch.tensor([[7, 7]])
    layer = UBrainLayer(n_in=2, n_out=1, scale=8, recurrent=True)
    net = UBrainNet((layer,), (codes,))
    assert net.n_in == 1
    run = UBrainRun(t_cycle=T, f_min=0.0, f_max=1.0 / T, t_max=12 * T, readout="window")
    res = simulate(net, torch.tensor([[0.25]], dtype=torch.float64), run, phases=torch.tensor([[0.0]]))
    # cycle 0: 56; cycle 4: 112 → spike (48); cycle 5 (lateral): 104 → spike (40); cycle 6: 96 → spike (32) …
    assert res.first_spikes[0, 0].tolist() == [4, 5]
    assert int(res.lateral[0, 0]) >= 6 and int(res.served[0, 0]) == 3  # inputs at cycles 0, 4, 8


def test_prototype_topology_and_registers():
    net = prototype(generator=0)
    assert [la.n_out for la in net.layers] == [256, 64, 16] and net.n_in == 256
    assert sum(la.n_out for la in net.layers) == 336
    expected = 256 + 0.30 * 256 * 255 + PROTOTYPE_FC_SYNAPSES  # 37,328
    assert abs(registers(net) - expected) < 4 * math.sqrt(256 * 255 * 0.3 * 0.7)
    run = UBrainRun(t_cycle=5e-9, t_max=20e-6, readout="window")
    res = simulate(net, torch.rand(2, 256, generator=torch.Generator().manual_seed(0)), run, generator=0)
    assert int(res.lateral.sum()) > 0


def test_recurrent_layer_needs_feed_forward_sources():
    with pytest.raises(ConfigError, match="recurrent"):
        UBrainLayer(n_in=4, n_out=4, recurrent=True)


def test_radar_frontend_thresholds_at_mean_plus_s_sigma():
    maps = torch.zeros(1, 32, 32)
    maps[0, :16, :16] = 1.0  # a quarter of the map lit: μ = 0.25, σ ≈ 0.43, Thr ≈ 0.315
    out = radar_frontend(maps, s=0.15).reshape(16, 16)
    assert out[:8, :8].eq(1).all() and out.sum() == 64
    assert radar_frontend(maps, s=2.0).sum() == 0  # Thr = 0.25 + 0.87 > 1


def test_micro_doppler_substitute_is_reproducible():
    from neurofab.data.micro_doppler import micro_doppler

    a, ya = micro_doppler(5, seed=3)
    b, yb = micro_doppler(5, seed=3)
    assert a.shape == (20, 32, 48) and torch.equal(a, b) and torch.equal(ya, yb)
    assert sorted(ya.tolist()) == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
