"""Inference tile: the fused MVM against the periphery reference, tiling, drift compensation, IR drop, errors."""

from __future__ import annotations

import math

import pytest
import torch

from neurofab.core import InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.crossbar.inference_tile import InferenceTile, InferenceTileConfig, _read_noise_variance, forward_mvm
from neurofab.crossbar.io import IOConfig, analog_mvm
from neurofab.crossbar.ir_drop import IRDropConfig, effective_conductance_exact
from neurofab.crossbar.noise_models import GaussianNoiseModel, PCMNoiseModel, RRAMRetentionNoiseModel
from neurofab.crossbar.tiling import split_sizes


def _data(out=64, inp=80, batch=300, seed=0):
    gen = torch.Generator().manual_seed(seed)
    w = torch.rand(out, inp, generator=gen) * 2 - 1
    x = torch.rand(batch, inp, generator=gen) * 2 - 1
    return w, x


@pytest.mark.parametrize(
    ("io", "tie_rows"),
    [
        (IOConfig(out_noise=0.0), 0.0),
        (IOConfig(out_noise=0.0, bound_management="none"), 0.0),
        (IOConfig(out_noise=0.0, out_bound=3.0), 1.0),
        (IOConfig(out_noise=0.0, noise_management="constant", nm_thres=0.5), 0.0),
        (IOConfig(out_noise=0.0, noise_management="abs_max", nm_thres=0.3), 0.0),
        (IOConfig(out_noise=0.0, noise_management="none", inp_bits=8, out_bits=10, out_bound=10.0,
                  bound_management="none"), 0.0),
        (IOConfig(out_noise=0.0, inp_bits=None, out_bits=None), 0.0),
        (IOConfig.perfect(), 0.0),
    ],
)
def test_forward_mvm_matches_the_periphery_reference(io, tie_rows):
    w, x = _data()
    x[3] = 0.0  # an all-zero input vector
    gen_a, gen_b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    ref = analog_mvm(w, x, io, gen_a)
    ours = forward_mvm(w, x, io, gen_b)
    diff = (ref - ours).abs()
    lsb = io.out_step if io.out_step > 0 else 1e-5
    # The sum is taken in another order (DAC codes first, the step after), which can move an ADC rounding tie by
    # one step — rarely. Under abs-max scaling a bound-management pass halves the largest input exactly onto a
    # DAC tie (63/2 steps), which the two implementations break differently (x/α/step here, x·(1/α/step) there):
    # rows re-run by bound management (``tie_rows``) may then differ by a few ADC steps.
    rows_differ = (diff > 1e-4).any(dim=1).double().mean()
    assert float((diff > 1e-4).double().mean()) < 2e-3 + 0.05 * tie_rows
    assert float(rows_differ) <= 0.2 + 0.8 * tie_rows
    assert float(diff.max()) <= 4 * lsb * (8 if tie_rows else 1) + 1e-4
    assert float(diff.mean()) <= 0.05 * lsb * (8 if tie_rows else 1) + 1e-6
    assert torch.equal(ours[3], torch.zeros_like(ours[3]))


def test_forward_mvm_output_noise_has_the_configured_std():
    w, x = _data(batch=4000)
    io = IOConfig(out_noise=0.06, out_bits=None, out_bound=None, inp_bits=None, noise_management="none")
    y = forward_mvm(w, x, io, torch.Generator().manual_seed(0))
    assert float((y - x @ w.T).std()) == pytest.approx(0.06, rel=0.02)


def test_per_vector_read_noise_is_output_referred_exactly():
    w, x = _data(out=8, inp=30, batch=20000)
    var = torch.rand(8, 30, generator=torch.Generator().manual_seed(3)) * 0.01
    io = IOConfig.perfect()
    y = forward_mvm(w, x, io, torch.Generator().manual_seed(0), w_var=var)
    z = (y - x @ w.T) / torch.sqrt((x * x) @ var.T)
    assert float(z.mean()) == pytest.approx(0.0, abs=0.01)
    assert float(z.std()) == pytest.approx(1.0, rel=0.01)
    # independent across the vectors of a batch: the correlation of two vectors' noise is ~0
    z2 = z.reshape(-1, 2, 8)
    corr = float((z2[:, 0] * z2[:, 1]).mean())
    assert abs(corr) < 0.02


def test_read_noise_variance_of_the_compiled_path_is_within_its_rounding():
    # float32 by default; the opt-in bfloat16 operands: ≤ 2^-8 relative per operand
    gen = torch.Generator().manual_seed(5)
    codes = torch.randint(-63, 64, (500, 392), generator=gen).to(torch.float32)
    var = torch.rand(256, 392, generator=gen) * 1e-3
    exact = (codes * codes).double() @ var.double().T
    assert torch.allclose(_read_noise_variance(codes * codes, var).double(), exact, rtol=1e-5)  # default: float32
    raw = _read_noise_variance(codes * codes, var, bf16=True)
    assert raw.dtype == torch.float32 and raw.shape == (500, 256)
    rel = raw.double() / exact - 1
    assert float(rel.abs().max()) < 0.01
    assert abs(float(rel.mean())) < 0.002


@pytest.mark.parametrize("compiled", [None, False])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_forward_mvm_rejects_nan_and_inf_inputs(compiled, bad):
    w, x = _data(batch=50)
    x[37, 11] = bad
    for io in (IOConfig(), IOConfig(noise_management="none"), IOConfig.perfect()):
        with pytest.raises(NumericalError):
            forward_mvm(w, x, io, torch.Generator().manual_seed(0), compiled=compiled)
    with pytest.raises(NumericalError):  # one array of a larger tile
        forward_mvm(w[:, :40], x, IOConfig(), torch.Generator().manual_seed(0), in_cols=slice(0, 40))


def test_ledger_counts_conversions_like_the_reference():
    w, x = _data(batch=50)
    io = IOConfig(out_noise=0.0, bound_management="none")
    with Ledger() as a:
        analog_mvm(w, x, io, torch.Generator().manual_seed(0))
    with Ledger() as b:
        forward_mvm(w, x, io, torch.Generator().manual_seed(0))
    assert a.to_dict() == b.to_dict()


def test_split_sizes():
    assert split_sizes(784, 512) == [392, 392]
    assert split_sizes(512, 512) == [512]
    assert split_sizes(1025, 512) == [342, 342, 341]


def _ideal_config(**kw):
    return InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=IOConfig.perfect(), **kw)


@pytest.mark.parametrize("scaling", ["none", "tile", "column"])
def test_noise_free_programming_reproduces_the_weights_across_arrays(scaling):
    w, x = _data(out=70, inp=130, batch=40)
    tile = InferenceTile(70, 130, _ideal_config(weight_scaling=scaling, max_input_size=50, max_output_size=32))
    assert tile.grid == (3, 3)
    tile.program(w, 0)
    assert torch.allclose(tile(x), x @ w.T, atol=1e-5)
    tile.drift_to(86400.0, 0)
    assert torch.allclose(tile.effective_weights(), w, atol=1e-6)
    tile.reset()
    assert torch.allclose(tile(x, reference=w), x @ w.T, atol=1e-5)


def test_weight_scaling_sets_what_the_periphery_sees():
    # output noise is in the periphery's units: on raw small weights ("none", aihwkit's default mapping) it is
    # as large as on rescaled ones, so relative to the signal it is abs-max times larger
    w, x = _data(out=32, inp=40, batch=3000)
    w = 0.05 * w / w.abs().max()
    io = IOConfig(out_noise=0.1, inp_bits=None, out_bits=None, out_bound=None, noise_management="none")
    spread = {}
    for scaling in ("none", "tile"):
        cfg = InferenceTileConfig(noise_model=GaussianNoiseModel(), forward=io, weight_scaling=scaling)
        tile = InferenceTile(32, 40, cfg)
        tile.program(w, 0)
        spread[scaling] = float((tile(x) - x @ w.T).std())
    assert spread["none"] == pytest.approx(0.1, rel=0.03)
    assert spread["tile"] == pytest.approx(0.1 * 0.05, rel=0.03)


@pytest.mark.parametrize("kind", ["global", "per_column"])
def test_gdc_restores_an_ideally_drifted_array_exactly(kind):
    nu, t0, t = 0.05, 20.0, 30 * 86400.0
    model = RRAMRetentionNoiseModel(nu_mean=nu, nu_std=0.0, t_0=t0)  # every device drifts by the same factor
    w, x = _data(out=40, inp=50, batch=30)
    cfg = InferenceTileConfig(noise_model=model, forward=IOConfig.perfect(), drift_compensation=kind)
    tile = InferenceTile(40, 50, cfg)
    tile.program(w, 0)
    tile.drift_to(t, 0)
    factor = (1 + t / t0) ** -nu
    alpha = tile._arrays[0].alpha
    assert torch.allclose(alpha, torch.full_like(alpha, 1 / factor), rtol=1e-5)
    assert alpha.shape == (() if kind == "global" else (40,))
    assert torch.allclose(tile(x), x @ w.T, atol=1e-5)
    none = InferenceTile(40, 50, cfg.replace(drift_compensation="none"))
    none.program(w, 0)
    none.drift_to(t, 0)
    assert torch.allclose(none(x), factor * (x @ w.T), atol=1e-5)


def test_gdc_recovers_most_of_the_pcm_drift():
    w, x = _data(out=128, inp=128, batch=500)
    y_true = x @ w.T
    errs = {}
    for kind in ("none", "global"):
        cfg = InferenceTileConfig(noise_model=PCMNoiseModel(gamma=0.0), forward=IOConfig.perfect(),
                                  drift_compensation=kind)
        tile = InferenceTile(128, 128, cfg)
        tile.program(w, 0)
        tile.drift_to(2592000.0, 0)
        errs[kind] = float((tile(x) - y_true).norm() / y_true.norm())
    assert errs["none"] > 0.3  # drift scales outputs by ≈ 0.56–0.66
    assert errs["global"] < 0.5 * errs["none"]


def test_per_mvm_read_noise_grows_with_time():
    w, x = _data(out=64, inp=64, batch=2000)
    cfg = InferenceTileConfig(noise_model=PCMNoiseModel(prog_noise_scale=0.0, drift_scale=0.0),
                              forward=IOConfig.perfect(), drift_compensation="none")
    tile = InferenceTile(64, 64, cfg)
    tile.program(w, 0)
    spreads = []
    for t in (1.0, 2592000.0):
        tile.drift_to(t, 0)
        spreads.append(float((tile(x) - x @ w.T).std()))
    expected = math.sqrt(math.log((2592000 + 20 + 250e-9) / 5e-7) / math.log((21 + 250e-9) / 5e-7))
    assert spreads[1] / spreads[0] == pytest.approx(expected, rel=0.05)


def test_ir_drop_in_the_tile_matches_the_exact_network():
    w, _ = _data(out=12, inp=10, batch=20)
    r = 2.0
    cfg = _ideal_config(ir_drop=IRDropConfig(r_wire=r, method="exact"), drift_compensation="none")
    tile = InferenceTile(12, 10, cfg)
    tile.program(w, 0)
    programmed = tile.effective_weights()
    tile.drift_to(0.0, 0)
    assert torch.allclose(programmed, tile.effective_weights())  # the network is there from programming on
    model = cfg.noise_model
    g = model.to_conductances(w / w.abs().max())
    k = model.converter.siemens_per_weight
    eff = torch.stack([effective_conductance_exact(g[i].T.double(), r).T for i in range(2)]).float()
    expected = (eff[0] - eff[1]) / k * w.abs().max()
    assert torch.allclose(tile.effective_weights(), expected, atol=1e-6)
    assert not torch.allclose(tile.effective_weights(), w, atol=1e-4)


def test_same_seed_same_result_and_errors():
    w, x = _data(out=16, inp=20, batch=10)
    outs = []
    for _ in range(2):
        tile = InferenceTile(16, 20, InferenceTileConfig(), seed=5)
        tile.program(w, 1)
        tile.drift_to(3600.0, 2)
        outs.append(tile(x))
    assert torch.equal(outs[0], outs[1])
    tile = InferenceTile(16, 20)
    with pytest.raises(NumericalError, match="program"):
        tile.drift_to(1.0)
    with pytest.raises(NumericalError):
        tile(x)
    with pytest.raises(ShapeError):
        tile(x[:, :5], reference=w)
    with pytest.raises(ShapeError):
        tile.program(w[:, :5])
    with pytest.raises(NumericalError):
        tile.program(w * float("nan"))
    with pytest.raises(InputTypeError):
        InferenceTile(4, 4, config=IOConfig())
