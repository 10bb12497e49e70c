"""price_model: the chip estimate and the ledger of the same forward pass, compared like with like."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogLinear, InferenceConfig, convert_to_analog, convert_to_inference
from neurofab.core import Ledger
from neurofab.cost import price_model
from neurofab.cost.cim import build_subarray, table7_config
from neurofab.cost.pricing import COMPUTE_PARTS, chip_compute_from_ledger, price_ledger_as_simulated
from neurofab.crossbar import IOConfig, TileConfig
from neurofab.crossbar.inference_tile import InferenceTileConfig


class ConvLSTM(nn.Module):
    """A small CNN feeding an LSTM over the image rows, then a classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.lstm = nn.LSTM(4 * 8, 12, batch_first=True)
        self.head = nn.Linear(12, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = torch.relu(self.conv(x))  # (B, 4, 8, 8) → a sequence of 8 rows of 32 values
        seq = f.permute(0, 2, 1, 3).flatten(2)
        return self.head(self.lstm(seq)[0][:, -1])


def _inference(io: IOConfig) -> nn.Module:
    torch.manual_seed(0)
    return convert_to_inference(ConvLSTM(), InferenceConfig(tile=InferenceTileConfig(forward=io)))


def test_chip_and_ledger_agree_where_they_model_the_same_thing():
    # no bound-management re-runs and every layer within one tile: the run's counted vectors, inputs and outputs
    # are the layer table's, so the chip's compute energy from either must be the same number
    model = _inference(IOConfig(bound_management="none"))
    x = torch.rand(3, 1, 8, 8)
    price = price_model(model, x)
    names = [s.name for s in price.layers]
    assert names == ["conv", "lstm.cells.0.ih", "lstm.cells.0.hh", "head"]
    assert price.ledger.count("mvm") == 3 * (64 + 8 + 8 + 1)  # pixels, 8 steps of W_ih and of W_hh, the head
    comparison = price.comparison()
    assert set(comparison) == set(names)
    for table, counted in comparison.values():
        assert counted == pytest.approx(table, rel=1e-9, abs=0) and table > 0
    assert price.ledger_energy.total / 3 == pytest.approx(price.chip_compute_energy, rel=1e-9, abs=0)
    assert 0 < price.chip_compute_energy < price.chip.dynamic_energy  # buffers, interconnect: not in the ledger


def test_bound_management_re_runs_show_as_extra_ledger_energy():
    # a narrow ADC range makes the tiles re-run saturated vectors: the ledger counts the extra passes, the table
    # cannot know them — the ledger side is larger, never smaller
    model = _inference(IOConfig(out_bound=0.5))
    x = torch.rand(3, 1, 8, 8) * 4
    price = price_model(model, x)
    assert price.ledger.count("mvm") > 3 * 81
    ratio = price.ledger_energy.total / 3 / price.chip_compute_energy
    assert ratio > 1.0


def test_ledger_tags_follow_the_tile_config_and_the_gap_is_the_adc():
    x = torch.rand(2, 1, 8, 8)
    cfg = table7_config("rram_wu2018", mapping="conventional", output_pixels="padded")
    wide = price_model(_inference(IOConfig()), x, cfg)  # aihwkit's periphery: 7-bit DAC, 9-bit ADC
    assert {p for (k, p), _ in wide.ledger.items() if k != "mvm"} == {"7b", "9b"}
    narrow = price_model(_inference(IOConfig(inp_bits=6, out_bits=cfg.adc_bits)), x, cfg)
    assert {(k, p) for (k, p), _ in narrow.ledger.items()} == {("mvm", ""), ("dac_conversion", "6b"),
                                                               ("adc_conversion", "5b")}
    sub5, sub9 = build_subarray(cfg), build_subarray(cfg.replace(adc_bits=9))
    outputs = wide.ledger.count("adc_conversion")
    assert wide.as_simulated.by_kind["adc_conversion"] == pytest.approx(outputs * sub9.e_adc, rel=1e-6, abs=0)
    assert narrow.as_simulated.by_kind["adc_conversion"] == pytest.approx(outputs * sub5.e_adc, rel=1e-6, abs=0)
    # the simulated periphery converts each output once at 9 bits, the chip every input bit and weight slice at
    # 5 bits. With the multilevel sense amplifier (energy ~ levels) the two land within a few ×; with a flash ADC
    # sized for a ½-LSB offset one 9-bit conversion costs more than the chip's 8 × 2 = 16 five-bit ones by far
    per_sample = wide.as_simulated.total / 2
    assert 0.2 * wide.chip_compute_energy < per_sample < 5 * wide.chip_compute_energy
    flash = cfg.replace(adc="flash")
    f5, f9 = build_subarray(flash), build_subarray(flash.replace(adc_bits=9))
    assert f9.e_adc > 100 * cfg.input_bits * cfg.cells_per_weight * f5.e_adc
    wide_flash = price_model(_inference(IOConfig()), x, flash)
    assert wide_flash.as_simulated.total / 2 > 10 * wide_flash.energy
    # the like-with-like number does not depend on the tile's ADC bits (the chip's ADC is priced)
    assert wide.ledger_energy.total == pytest.approx(narrow.ledger_energy.total, rel=0.05)


def test_training_tiles_tag_their_own_periphery_and_digital_events_are_listed():
    layer = AnalogLinear(6, 3, config=TileConfig(forward=IOConfig(inp_bits=5, out_bits=8)))
    with Ledger() as led, torch.no_grad():
        layer(torch.rand(4, 6))
    assert led.count("dac_conversion", "5b") == 24 and led.count("adc_conversion", "8b") == 12
    attn = nn.MultiheadAttention(8, 2, batch_first=True)
    model = convert_to_analog(nn.Sequential(nn.Linear(8, 8)))
    price = price_model(model, torch.rand(2, 8))
    assert price.comparison()["0"][1] == pytest.approx(price.comparison()["0"][0], rel=0.5)
    wrapped = convert_to_analog(_SelfAttention(attn))
    p = price_model(wrapped, torch.rand(2, 5, 8))
    assert "mac[fp32]" in p.as_simulated.unpriced  # the attention products: digital, no CIM price
    assert [s.name for s in p.layers] == ["attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.out_proj"]


class _SelfAttention(nn.Module):
    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.attn = attn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x)[0]


def test_chip_compute_from_ledger_by_hand():
    cfg = table7_config("rram_wu2018")
    parts, events = chip_compute_from_ledger(Ledger({("mvm", ""): 10, ("dac_conversion", "7b"): 10 * 200,
                                                     ("adc_conversion", "9b"): 10 * 30}), cfg)
    # 200 inputs: two vertical splits of 128 and 72 rows; 30 outputs × 2 cells = 60 columns, one column split
    assert events.count("adc_conversion", "5b") == 2 * 10 * cfg.input_bits * 60
    assert events.count("dac_conversion", "1b") == 10 * cfg.input_bits * 200
    assert events.count("mvm") == 2 * 10  # sub-array reads: two vertical splits per vector
    assert set(parts) == set(COMPUTE_PARTS) and all(v > 0 for v in parts.values())
    empty, none = chip_compute_from_ledger(Ledger({("mvm", ""): 5}), cfg)  # ideal periphery: no conversions
    assert sum(empty.values()) == 0 and none.count("mvm") == 0
    priced = price_ledger_as_simulated(Ledger({("spike", ""): 3, ("adc_conversion", "5b"): 2}), cfg)
    assert priced.unpriced == ["spike"] and priced.total == pytest.approx(
        2 * build_subarray(cfg).e_adc, rel=1e-6, abs=0)
    ideal_adc = price_ledger_as_simulated(Ledger({("adc_conversion", "analog"): 4}), cfg)
    assert ideal_adc.unpriced == ["adc_conversion[analog]"] and ideal_adc.total == 0
