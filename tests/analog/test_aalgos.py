"""Reference/P_max devices, c-TTv2 and AGAD, mixed precision, N-pair converters, CMO ReRAM, presets, pricing."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogLinear, AnalogSGD, presets
from neurofab.analog.chopped import ChoppedConfig, ChoppedTile, agad_config, chopped_ttv2_config
from neurofab.analog.inference import convert_to_inference
from neurofab.analog.mixed_precision import MixedPrecisionAlgorithm, MixedPrecisionRule
from neurofab.analog.optimizers import SGDAlgorithm, use_algorithm
from neurofab.analog.tiki_taka import ttv2_config
from neurofab.core import ConfigError, InputTypeError, Ledger, ShapeError, UnknownNameError
from neurofab.cost import price_model
from neurofab.crossbar import IOConfig, ReRAMCMONoiseModel, TileConfig, UpdateConfig
from neurofab.crossbar.compound import CompoundConfig, CompoundTile, TransferConfig
from neurofab.crossbar.g_converters import PairConverter, dual_pair, single_pair
from neurofab.devices import ConstantStep, ExpStep, PowStep, ReferenceDevice, SoftBounds, soft_bounds_pmax

Q = IOConfig.perfect()
EXACT = ConstantStep(dw_min=0.01, dw_min_std=0.0, dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)


# ----- reference and P_max devices ---------------------------------------------------------------------------
@pytest.mark.parametrize("base", [SoftBounds(up_down=0.3), PowStep(pow_up_down=0.2)])
def test_reference_device_puts_read_zero_at_the_symmetry_point(base):
    arr = ReferenceDevice(device=base, subtract_symmetry_point=True).build((6, 7), seed=3)
    plain = base.build((6, 7), seed=0)
    assert torch.equal(arr.get_weights(), torch.zeros(6, 7))
    assert float(arr.symmetry_point().abs().max()) < 1e-4  # Δ⁺ = Δ⁻ at read zero
    assert float(plain.symmetry_point().abs().max()) > 0.01  # the unshifted device is asymmetric at zero
    assert float(arr.reference.abs().max()) > 0.01


def test_reference_device_shift_keeps_the_physics():
    base = SoftBounds(up_down=0.2, dw_min_std=0.0)
    arr = ReferenceDevice(device=base, reference_mean=0.1, reference_std=0.02).build((50,), seed=1)
    g = arr.get_weights() + arr.reference  # the device conductance in the unshifted coordinate
    plain = base.build((50,), seed=0)
    # same drawn bounds family: the shifted step at w equals the unshifted family's step at g = w + r
    up, _down = arr.steps()
    assert torch.allclose(up, arr.dw_up, atol=1e-7)  # at read zero the step is the family's step at g = r
    assert torch.allclose(g, arr.reference)
    assert plain.w_min.shape == arr.w_min.shape
    with Ledger():
        arr.pulse(torch.full((50,), 5))
    assert float(arr.get_weights().min()) > 0


def test_reference_device_refuses_exp_step_and_round_trips():
    with pytest.raises(ConfigError):
        ReferenceDevice(device=ExpStep())
    cfg = TileConfig(device=ReferenceDevice(device=SoftBounds(), reference_std=0.01))
    assert TileConfig.model_validate_json(cfg.model_dump_json()) == cfg


@pytest.mark.parametrize(("p_max", "alpha", "lo", "hi"), [(1000, 0.0005, -1.0, 1.0), (200, 0.01, -0.5, 1.5)])
def test_pmax_soft_bounds_cross_the_range_in_p_max_pulses(p_max, alpha, lo, hi):
    dev = soft_bounds_pmax(p_max=p_max, alpha=alpha, range_min=lo, range_max=hi, dw_min_std=0.0)
    arr = dev.build((1,), seed=0, dtype=torch.float64)
    arr.set_weights(torch.tensor([lo], dtype=torch.float64))
    half = p_max // 2
    arr.pulse(torch.tensor([half]))
    b = (hi - lo) / (1 - math.exp(-alpha * p_max))
    assert float(arr.w) == pytest.approx(lo + b * (1 - math.exp(-alpha * half)), rel=1e-9, abs=1e-12)
    arr.pulse(torch.tensor([p_max - half]))
    assert float(arr.w) == pytest.approx(hi, abs=1e-9)
    arr.pulse(torch.tensor([-p_max]))
    assert float(arr.w) == pytest.approx(lo, abs=1e-9)


def test_pmax_bad_input():
    with pytest.raises(ConfigError, match="p_max"):
        soft_bounds_pmax(p_max=0)
    with pytest.raises(ConfigError, match="range_min"):
        soft_bounds_pmax(range_min=0.5, range_max=1.0)


# ----- c-TTv2 and AGAD --------------------------------------------------------------------------------------
def _offset_run(tile: CompoundTile, offset: float, reads: int) -> float:
    tile.calibrate()
    tile.set_weights(torch.zeros(tile.out_size, tile.in_size))
    tile.a_ref += offset  # A's reference off its symmetry point: A reads −offset with no gradient at all
    x, d = torch.zeros(1, tile.in_size), torch.zeros(1, tile.out_size)
    for _ in range(reads):
        tile.update(x, d, 0.1)
    return float(tile.get_weights().mean())


def test_chopper_removes_the_reference_offset_bias():
    cfg = TileConfig(device=EXACT, forward=Q, backward=Q)
    ttv2 = _offset_run(CompoundTile(4, 8, cfg, ttv2_config(lr_c=0.5, every=1, io=Q), seed=0), 0.02, 400)
    chopped = ChoppedTile(4, 8, cfg, chopped_ttv2_config(lr_c=0.5, every=1, io=Q, in_chop_prob=0.5), seed=0)
    c = _offset_run(chopped, 0.02, 400)
    assert ttv2 < -0.3  # TTv2 transfers the offset: 50 reads per column, one pulse (0.01) each
    assert abs(c) < 0.05 * abs(ttv2)  # chopping averages it out


def _regression(alg, seed: int = 0, steps: int = 400) -> tuple[float, float]:
    g = torch.Generator().manual_seed(seed)
    dev = SoftBounds(dw_min=0.002, up_down=0.3, dw_min_std=0.0, w_min=-0.6, w_max=0.6, w_min_dtod=0, w_max_dtod=0)
    cfg = TileConfig(device=dev, forward=Q, backward=Q, update=UpdateConfig(mode="expected"))
    layer = AnalogLinear(8, 4, bias=False, config=cfg, seed=seed)
    target = 0.3 * (torch.rand(4, 8, generator=g) * 2 - 1)
    layer.set_weights(torch.zeros(4, 8))
    use_algorithm(layer, alg, seed=seed)
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    start = float(((layer.get_weights() - target) ** 2).mean().sqrt())
    for _ in range(steps):
        x = torch.randn(4, 8, generator=g)
        y = x @ target.T + 0.1 * torch.randn(4, 4, generator=g)
        opt.zero_grad()
        (((layer(x) - y) ** 2).sum(1).mean() / 2).backward()
        opt.step()
    return start, float(((layer.get_weights() - target) ** 2).mean().sqrt())


@pytest.mark.parametrize("alg", [
    chopped_ttv2_config(lr_c=0.2, every=1, io=Q, in_chop_prob=0.01),
    agad_config(lr_c=0.2, every=1, io=Q, in_chop_prob=0.1),
    MixedPrecisionAlgorithm(),
], ids=["c-ttv2", "agad", "mixed-precision"])
def test_algorithms_converge_on_an_asymmetric_device(alg):
    start, end = _regression(alg)
    assert start > 0.15
    assert end < 0.5 * start


def test_agad_needs_no_calibrated_reference_and_state_round_trips():
    cfg = TileConfig(device=SoftBounds(up_down=0.3), forward=Q, backward=Q, update=UpdateConfig(mode="expected"))
    tile = ChoppedTile(3, 4, cfg, agad_config(lr_c=0.1, io=Q), seed=0)
    tile.calibrate()
    assert torch.equal(tile.a_ref, torch.zeros(3, 4))
    x, d = torch.rand(5, 4), torch.rand(5, 3)
    tile.update(x, d, 0.05)
    other = ChoppedTile(3, 4, cfg, agad_config(lr_c=0.1, io=Q), seed=9)
    other.load_state_dict(tile.state_dict())
    for t in (tile, other):
        for _ in range(6):
            t.update(x, d, 0.05)
    assert torch.equal(tile.get_weights(), other.get_weights())
    assert torch.equal(tile.running_mean, other.running_mean) and torch.equal(tile.chopper, other.chopper)


def test_chopped_config_bad_input():
    with pytest.raises(ConfigError):
        ChoppedConfig(compound=CompoundConfig(transfer=TransferConfig(mode="pulsed")))
    with pytest.raises(ConfigError):
        chopped_ttv2_config(lr_c=0.1, in_chop_prob=0.0)
    with pytest.raises(InputTypeError):
        ChoppedTile(2, 2, TileConfig(), CompoundConfig())


# ----- mixed precision ---------------------------------------------------------------------------------------
def test_mixed_precision_writes_whole_steps_and_keeps_the_remainder():
    cfg = TileConfig(device=EXACT, forward=Q, backward=Q)
    layer = AnalogLinear(3, 2, bias=False, config=cfg, seed=0)
    layer.set_weights(torch.zeros(2, 3))
    use_algorithm(layer, MixedPrecisionAlgorithm())
    tile = layer.tiles.tiles[0]
    rule = tile.update_rule
    assert isinstance(rule, MixedPrecisionRule)
    x = torch.tensor([[1.0, 0.5, 0.1]])
    d = torch.tensor([[-1.0, 1.0]])
    tile.update(x, d, 0.0234)  # χ = −lr·dᵀx: |χ| = 0.0234, 0.0117, 0.00234 → 2, 1, 0 pulses of 0.01
    chi = -0.0234 * (d.T @ x).double()
    steps = torch.trunc(chi / 0.01)
    assert torch.allclose(tile.get_weights().double(), 0.01 * steps, atol=1e-7)
    assert torch.allclose(rule.chi, chi - 0.01 * steps, atol=1e-12)
    assert float(rule.chi.abs().max()) < 0.01


def test_mixed_precision_bad_input():
    with pytest.raises(ConfigError, match="granularity"):
        MixedPrecisionAlgorithm(granularity=0.0)
    with pytest.raises(InputTypeError):
        use_algorithm(nn.Linear(2, 2), SGDAlgorithm())


# ----- N-pair conductance converters ---------------------------------------------------------------------------
@pytest.mark.parametrize("conv", [single_pair(), dual_pair(3.0), PairConverter(significance=(1.0, 4.0, 16.0))])
def test_converters_round_trip_the_representable_range(conv):
    w = torch.linspace(-1, 1, 41, dtype=torch.float64)
    g = conv.to_conductances(w)
    assert g.shape == (2 * conv.n_pairs, 41)
    assert float(g.min()) >= conv.g_min and float(g.max()) <= conv.g_max + 1e-18
    assert torch.allclose(conv.to_weights(g), w, atol=1e-12)
    beyond = conv.to_weights(conv.to_conductances(torch.tensor([1.5, -3.0], dtype=torch.float64)))
    assert torch.allclose(beyond, torch.tensor([1.0, -1.0], dtype=torch.float64))  # clipped at ±w_max


def test_dual_pair_fills_the_least_significant_pair_first():
    conv = dual_pair(3.0, g_max=20e-6)
    small = conv.to_conductances(torch.tensor([0.2]))  # 0.2·K = 0.2·4·20 µS = 16 µS fits the F = 1 pair
    assert float(small[0, 0]) == pytest.approx(16e-6) and float(small[2, 0]) == 0.0
    big = conv.to_conductances(torch.tensor([0.5]))  # 40 µS: pair 1 full (20), pair 2 carries 20/3 µS
    assert float(big[0, 0]) == pytest.approx(20e-6) and float(big[2, 0]) == pytest.approx(20e-6 / 3)
    assert float(big[1, 0]) == 0.0 and float(big[3, 0]) == 0.0


def test_converter_bad_input():
    with pytest.raises(ConfigError):
        PairConverter(significance=(1.0, -2.0))
    with pytest.raises(ShapeError):
        dual_pair().to_weights(torch.zeros(2, 3))


# ----- CMO ReRAM noise model -----------------------------------------------------------------------------------
def test_reram_cmo_programming_and_decay_statistics():
    m = ReRAMCMONoiseModel()
    g_t = torch.full((2, 20000), 50e-6, dtype=torch.float64)
    prog = m.program(g_t, 0)
    assert torch.equal(prog.g_prog[1], g_t[1])  # the fixed reference takes no noise
    std = float(prog.g_prog[0].std())
    assert std == pytest.approx((0.00081107 + 0.00106879 * 50) * 1e-6, rel=0.05)
    g_day = m.conductance_at(prog, 86400.0, 1)[0]
    mean = (-0.08900206 * math.log(86400) + 49.92383444 * 50 / 50) * 1e-6
    assert float(g_day.mean()) == pytest.approx(mean, abs=3 * 1e-8)
    assert float(g_day.std()) == pytest.approx((0.04201137 * math.log(86400) + 0.41183342) * 1e-6, rel=0.05)
    assert type(m).model_validate_json(m.model_dump_json()) == m
    with pytest.raises(ConfigError):
        ReRAMCMONoiseModel(acceptance=1.0)


# ----- presets and pricing --------------------------------------------------------------------------------------
def test_presets_build_and_name_their_source():
    assert {"pcm_inference", "ttv2", "c_ttv2", "agad", "mixed_precision", "reram_cmo_inference"} <= set(presets.names())
    for name in presets.names():
        p = presets.get(name)
        assert p.source and (p.tile is not None) != (p.inference is not None)
        assert type(p).model_validate_json(p.model_dump_json()) == p
        if p.tile is not None:
            layer = AnalogLinear(4, 3, config=p.tile, seed=0)
            use_algorithm(layer, p.algorithm)
    with pytest.raises(UnknownNameError):
        presets.get("nope")


def test_price_model_of_a_converted_model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    x = torch.rand(4, 1, 8, 8)
    model = convert_to_inference(net)
    price = price_model(model, x)
    assert [spec.name for spec in price.layers] == ["0", "3"]
    assert price.energy > 0 and price.latency > 0 and price.area > 0
    assert price.ledger.count("mvm") > 0 and price.ledger_energy.total > 0
    dense = price_model(net, x)
    assert dense.layers == price.layers and dense.ledger.count("mvm") == 0
    with pytest.raises(ShapeError):
        price_model(model, torch.rand(8))
    with pytest.raises(InputTypeError):
        price_model(model, x.numpy())
