"""Regression tests for defects found by probing bad and extreme inputs; each is named for its defect."""

from __future__ import annotations

import copy
import gzip
import json
import os
import struct

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from neurofab.analog import AnalogConv2d, AnalogLinear, AnalogSGD
from neurofab.cli import app
from neurofab.core import ConfigError, DataError, Ledger, atomic_write_text
from neurofab.crossbar import IOConfig, check_input
from neurofab.crossbar.noise_models import PCMNoiseModel
from neurofab.data.mnist import read_idx
from neurofab.devices import PowStep, SoftBounds
from neurofab.sweep import SweepSpec, load_results, run_sweep

runner = CliRunner()


def test_deepcopy_of_an_analog_model_trains():
    model = nn.Sequential(AnalogLinear(4, 3, seed=1))
    twin = copy.deepcopy(model)
    opt = AnalogSGD(twin.parameters(), lr=0.5)
    before = twin[0].get_weights().clone()
    for _ in range(3):
        opt.zero_grad()
        twin(torch.randn(8, 4)).pow(2).sum().backward()
        opt.step()
    assert (twin[0].get_weights() - before).abs().max() > 0
    assert twin[0]._pending == []                       # nothing queued without bound
    assert torch.equal(model[0].get_weights(), before)  # the original is untouched


def test_toml_round_trip_keeps_none():
    cfg = IOConfig(inp_bits=None)
    back = IOConfig.from_toml(cfg.to_toml())
    assert back == cfg and back.inp_bits is None


def test_bool_is_not_a_number():
    with pytest.raises(ConfigError, match=r"SoftBounds\.dw_min = True"):
        SoftBounds(dw_min=True)


def test_assigning_to_a_frozen_config_is_a_config_error():
    with pytest.raises(ConfigError, match="frozen"):
        SoftBounds().dw_min = 0.1  # type: ignore[misc]


def test_powstep_negative_exponents_are_refused_not_nan():
    with pytest.raises(ConfigError, match="pow_gamma_dtod"):
        PowStep(pow_gamma_dtod=2.0, enforce_consistency=False).build((16, 16))


def test_bounds_below_float32_range_are_refused():
    with pytest.raises(ConfigError, match="not representable"):
        SoftBounds(w_max=1e-50, w_min=-1e-50, dw_min=1e-52).build((2, 2))


def test_pcm_read_noise_t0_below_read_window_is_refused():
    with pytest.raises(ConfigError, match="t_0"):
        PCMNoiseModel(t_0=1e-7)


def test_analog_sgd_infinite_lr_is_refused():
    with pytest.raises(ConfigError, match="finite"):
        AnalogSGD(AnalogLinear(2, 2).parameters(), lr=float("inf"))


def test_layer_sizes_are_not_truncated():
    with pytest.raises(ConfigError, match="in_features = 8.7"):
        AnalogLinear(8.7, 4)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="stride"):
        AnalogConv2d(1, 2, 3, stride=0)


def test_ledger_refuses_nan_counts():
    with pytest.raises(ConfigError, match="finite"):
        Ledger().add("mvm", float("nan"))


def test_files_get_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "r.md", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_large_finite_inputs_are_not_called_nan():
    check_input(torch.full((4,), 1e38))  # the sum overflows; the values are finite
    with pytest.raises(Exception, match="NaN or inf"):
        check_input(torch.tensor([1.0, float("nan")]))


def _idx(dims: tuple[int, ...], little_endian: bool = False) -> bytes:
    fmt = "<" if little_endian else ">"
    return struct.pack(f"{fmt}I", 0x0800 + len(dims)) + struct.pack(f"{fmt}{len(dims)}I", *dims)


def test_corrupt_gzip_names_the_file(tmp_path):
    good = gzip.compress(_idx((2,)) + b"\x01\x02")
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(good[:12] + bytes(b ^ 0xFF for b in good[12:-8]) + good[-8:])
    with pytest.raises(DataError, match="t10k-labels"):
        read_idx(bad)


def test_absurd_idx_headers_give_clear_errors(tmp_path):
    huge = tmp_path / "huge"
    huge.write_bytes(_idx((2**31, 2**31, 2**31)))
    with pytest.raises(DataError, match="header promises"):
        read_idx(huge)
    little = tmp_path / "little"
    little.write_bytes(struct.pack(">I", 0x0803) + struct.pack("<3I", 1, 28, 28) + bytes(784))
    with pytest.raises(DataError, match="header promises"):
        read_idx(little)


def test_sweep_seeds_must_be_valid():
    with pytest.raises(ConfigError, match="seeds"):
        SweepSpec(target="math:sqrt", seeds=[-1])


def test_results_lines_that_are_not_records_are_data_errors(tmp_path):
    for content in (b"{}\n", b"[1, 2]\n", b"\xff\xfe\x00\n"):
        path = tmp_path / "r.jsonl"
        path.write_bytes(content + b'{"key": "k", "error": null}\n')
        with pytest.raises(DataError):
            load_results(path)


def _fail_on_one(x: float, seed: int = 0) -> float:
    if x == 1.0:
        raise ValueError("point one fails")
    return float("nan") if x == 2.0 else x


def test_sweep_failed_points_exit_one_and_do_not_pile_up(tmp_path):
    spec = SweepSpec(target=f"{__name__}:_fail_on_one", grid={"x": [0.0, 1.0, 2.0]})
    out = tmp_path / "s.jsonl"
    for _ in range(2):
        records = run_sweep(spec, executor="serial", out=out, show_progress=False)
    lines = [json.loads(x) for x in out.read_text().splitlines()]   # strict JSON: no NaN
    assert len(records) == 2 and sum(r["error"] is not None for r in lines) == 1
    assert [r["result"] for r in records] == [0.0, "nan"]
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(f'target = "{__name__}:_fail_on_one"\nout = "s2.jsonl"\n[grid]\nx = [1.0]\n')
    result = runner.invoke(app, ["sweep", str(spec_file), "--executor", "serial"])
    assert result.exit_code == 1, result.output


def test_non_utf8_sweep_spec_is_a_usage_error(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_bytes(b'target = "\xff\xfe"\n')
    assert runner.invoke(app, ["sweep", str(spec)]).exit_code == 2


def test_reproduce_checks_out_before_the_run(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = runner.invoke(app, ["reproduce", "moneta-performance", "--quick", "--out", str(a_file)])
    assert result.exit_code == 2 and "not a folder" in result.output
    assert runner.invoke(app, ["reproduce", "moneta-performance", "--seed", str(2**64)]).exit_code == 2


def test_calibration_needs_samples():
    from neurofab.analog import calibrate_input_ranges

    with pytest.raises(DataError, match="2 samples"):
        calibrate_input_ranges(nn.Sequential(nn.Linear(2, 2)), torch.zeros(0, 2))



def test_untabulated_node_is_refused_at_construction():
    from neurofab.cost import CELL_PRESETS, CIMConfig

    with pytest.raises(ConfigError, match="node_nm = -5"):
        CIMConfig(node_nm=-5, cell=CELL_PRESETS["rram_wu2018"])


def test_neurosim_nonlinearity_far_from_zero_is_the_linear_limit():
    from neurofab.devices import NeuroSimNonlinear

    linear = NeuroSimNonlinear(a_ltp=None, a_ltd=None, c2c_std=0.0).build((1, 3), seed=0)
    far = NeuroSimNonlinear(a_ltp=1e20, a_ltd=-1e20, c2c_std=0.0).build((1, 3), seed=0)
    for arr in (linear, far):
        arr.pulse(torch.tensor([[5, -3, 10]]))
    assert torch.allclose(linear.get_weights(), far.get_weights(), rtol=1e-6)
    with pytest.raises(ConfigError, match="a_ltp"):
        NeuroSimNonlinear(a_ltp=1e-30)


def test_lif_with_tiny_tau_m_or_huge_t_ref():
    from neurofab.spiking import Network
    from neurofab.spiking.neurons import LIFConfig

    for tau_m in (1e-7, 1e-30):  # dt/τ_m up to 1e26: the membrane forgets within a step, no overflow
        net = Network(dt=1e-4)
        net.population(3, LIFConfig(tau_m=tau_m))
        net.run(1e-3)
    net = Network(dt=1e-4)
    with pytest.raises(ConfigError, match="t_ref"):
        net.population(3, LIFConfig(t_ref=1e6))
        net.run(1e-3)


def test_expstep_without_exponential_terms_has_no_nan():
    from neurofab.devices import ExpStep

    arr = ExpStep(A_down=0.0, A_up=0.0, dw_min_dtod=0.0, b=57.0).build((6, 5), seed=3)
    counts = torch.tensor([[50, -50, 7, -7, 0]] * 6)
    for _ in range(4):
        arr.pulse(counts)
        arr.pulse(-counts)
    assert torch.isfinite(arr.get_weights()).all()
    assert torch.isfinite(torch.stack(arr.steps())).all()


def test_expstep_with_an_overflowing_exponential_has_no_nan():
    from neurofab.devices import ExpStep

    arr = ExpStep(A_down=-1.0, b=0.0, dw_min_dtod=0.0, a=45.0).build((6, 5), seed=3)
    counts = torch.tensor([[50, -50, 7, -7, 0]] * 6)
    for _ in range(4):
        arr.pulse(counts)
        arr.pulse(-counts)
    assert torch.isfinite(arr.get_weights()).all()
    up, down = arr.steps()
    assert torch.isfinite(up).all() and torch.isfinite(down).all()
    assert (down <= arr.w_max - arr.w_min + 1e-7).all()
