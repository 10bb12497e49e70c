"""The torch stochastic update composed in closed form: same weight distribution as the per-sample loop and
the compiled kernel, the clip fallback, device agnosticism, reproducibility, bad input."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import InputTypeError, Ledger, NumericalError, ShapeError
from neurofab.core.backend import torch_only_mode
from neurofab.crossbar import AnalogTile, TileConfig, UpdateConfig, stochastic_update
from neurofab.crossbar import torch_pulses as tp
from neurofab.devices import ConstantStep, LinearStep, OneSidedPair, SoftBounds

NO_D2D = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)
#: replicas: row r and the column block r·COLS … r·COLS + COLS − 1 see their own trains of the same δ and x, so
#: with no d2d spread the diagonal blocks are i.i.d. copies of COLS devices (the rest of the array is ignored)
REPLICAS, COLS, BATCH = 64, 6, 8
ROWS = REPLICAS
DEVICES = {
    "constant": ConstantStep(**NO_D2D),
    "affine": SoftBounds(mult_noise=False, dw_min=0.004, **NO_D2D),
    "linear-step": LinearStep(gamma_up=0.8, gamma_down=0.4, mult_noise=False, dw_min=0.004, **NO_D2D),
}
CUDA = [pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))]


@pytest.fixture(autouse=True)
def _one_thread():
    """Small tensors: torch's intra-op threads only add hand-off cost on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """x of both signs over COLS columns, repeated per replica; δ the same for every row, both signs over samples."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(BATCH, COLS, generator=g) * torch.tensor([1, -1, 1, -1, 1, 0.2])
    d = (torch.randn(BATCH, 1, generator=g) * 0.05).expand(BATCH, ROWS).contiguous()
    return x.repeat(1, REPLICAS), d


def diagonal_blocks(w: torch.Tensor) -> torch.Tensor:
    """(REPLICAS, COLS): the devices of row r in column block r."""
    return w.view(REPLICAS, REPLICAS, COLS)[torch.arange(REPLICAS), torch.arange(REPLICAS)]


def final_weights(device, mode: str, w0: float, reps: int, lr: float = 0.4) -> tuple[torch.Tensor, int]:
    """(reps·ROWS, COLS) weights after one update from w0 — ``mode``: compiled, loop or composed — and pulses."""
    x, d = batch()
    up = UpdateConfig(backend="numba" if mode == "compiled" else "torch", compose_pulses=mode != "loop")
    out, pulses = [], 0
    for r in range(reps):
        array = device.build((ROWS, COLS * REPLICAS), seed=1)
        array.set_weights(torch.full((ROWS, COLS * REPLICAS), w0))
        pulses += stochastic_update(array, x, d, lr, up, torch.Generator().manual_seed(1000 + r))
        out.append(diagonal_blocks(array.w).clone())
    return torch.cat(out).double(), pulses


def assert_same_distribution(a: torch.Tensor, b: torch.Tensor, k: float = 4.5, var_tol: float = 0.10) -> None:
    """Per-column means within k standard errors; variance pooled over columns within ``var_tol`` (relative).

    Pooled over 6 columns of 1,024 replicas each, the variance ratio's s.e. is ≈ 2.6 %: 0.10 is ~4 s.e.
    """
    se = (a.var(0) / a.shape[0] + b.var(0) / b.shape[0]).sqrt().clamp(min=1e-12)
    z = (a.mean(0) - b.mean(0)) / se
    assert z.abs().max() < k, f"means differ: z = {z.tolist()}"
    ratio = float(a.var(0).sum() / b.var(0).sum())
    assert abs(ratio - 1) < var_tol, f"variance ratio {ratio:.3f}"


@pytest.mark.parametrize("name", list(DEVICES))
def test_closed_form_matches_the_loop_and_the_compiled_kernel(name, monkeypatch):
    calls = []
    monkeypatch.setattr(tp, "pulses_in_order", lambda *a: calls.append(a) or a[3])
    device = DEVICES[name]
    composed, n_composed = final_weights(device, "composed", 0.0, reps=16)
    assert not calls, "every visit is far from the bounds: nothing may fall back"
    loop, n_loop = final_weights(device, "loop", 0.0, reps=16)
    compiled, _ = final_weights(device, "compiled", 0.0, reps=16)
    assert composed.std() > 0 and n_composed > 0
    assert abs(n_composed / n_loop - 1) < 0.05  # ~10⁴ pulses each: Poisson s.e. ≈ 1 %
    assert_same_distribution(composed, loop)
    assert_same_distribution(composed, compiled)


def test_near_a_bound_the_failing_devices_fall_back_to_pulses_and_stay_in_bounds(monkeypatch):
    """Weights 2 steps below w_max = 0.6 with both signs of pulses: every visited device fails the 8-s.d. check,
    takes the per-pulse path, and ends with the loop's (clipped) distribution."""
    device = DEVICES["constant"]
    seen = []
    original = tp.pulses_in_order

    def spy(array, index, n, w, gen):
        seen.append(index.numel())
        return original(array, index, n, w, gen)

    monkeypatch.setattr(tp, "pulses_in_order", spy)
    w0 = 0.6 - 2 * device.dw_min
    composed, _ = final_weights(device, "composed", w0, reps=16)
    assert sum(seen) > 0.9 * ROWS * COLS * 16
    assert float(composed.max()) <= float(torch.tensor(0.6)) and float(composed.min()) >= float(torch.tensor(-0.6))
    assert (composed == float(torch.tensor(0.6))).any(), "the upper bound binds for some devices"
    loop, _ = final_weights(device, "loop", w0, reps=16)
    assert_same_distribution(composed, loop)


def test_a_slope_steeper_than_the_range_always_pulses_one_at_a_time(monkeypatch):
    """q = 1 + a₁ ≤ 0 (step 0.5, soft bound at 0.4: q⁺ = −0.25) has no closed form: every visited device takes
    the per-pulse path and matches the loop."""
    device = SoftBounds(mult_noise=False, dw_min=0.5, w_min=-0.4, w_max=0.4, **NO_D2D)
    seen = []
    original = tp.pulses_in_order
    monkeypatch.setattr(tp, "pulses_in_order", lambda ar, i, *rest: seen.append(i.numel()) or original(ar, i, *rest))
    assert not tp._Visits(device.build((2, 2))).closed.any()
    composed, pulses = final_weights(device, "composed", 0.0, reps=16, lr=5.0)
    assert pulses > 0 and sum(seen) > 0.5 * ROWS * COLS * 16
    loop, _ = final_weights(device, "loop", 0.0, reps=16, lr=5.0)
    assert_same_distribution(composed, loop)


def test_splitting_a_chunk_when_the_exponent_grows_changes_only_rounding(monkeypatch):
    """The same random numbers with |Σ n log q| capped at 0.06 (the visits split many times; one visit's
    n·|log q| stays below it) and at the default: the same weights to rounding, nothing pulsed one by one."""
    device = DEVICES["linear-step"]
    calls = []
    original = tp._compose_chunk
    monkeypatch.setattr(tp, "_compose_chunk", lambda *a: calls.append(1) or original(*a))
    monkeypatch.setattr(tp, "pulses_in_order", lambda *a: pytest.fail("no device is near a bound"))
    ref, _ = final_weights(device, "composed", 0.1, reps=2)
    unsplit = len(calls)
    monkeypatch.setitem(tp._F_MAX, torch.float64, 0.06)
    split, _ = final_weights(device, "composed", 0.1, reps=2)
    assert len(calls) - unsplit > 4 * unsplit
    assert not torch.equal(split, torch.full_like(split, 0.1))
    torch.testing.assert_close(split, ref, rtol=0, atol=1e-6)


@pytest.mark.parametrize("sparse_below", [0.0, float("inf")], ids=["dense", "sparse"])
def test_one_sample_per_chunk_and_small_device_blocks_keep_the_distribution(sparse_below, monkeypatch):
    """Chunks of one sample (the state carried from chunk to chunk) and blocks of a few hundred devices."""
    monkeypatch.setattr(tp, "_CHUNK_ELEMENTS", 512)
    monkeypatch.setattr(tp, "_SPARSE_BELOW", sparse_below)
    device = DEVICES["linear-step"]
    chunked, _ = final_weights(device, "composed", 0.0, reps=16)
    monkeypatch.undo()
    loop, _ = final_weights(device, "loop", 0.0, reps=16)
    assert_same_distribution(chunked, loop)


def test_sparse_and_dense_coincidence_counting_give_the_same_visits():
    """The same bits counted by joining fired lines and by the batched product: identical packed visits."""
    x, d = batch()
    x, d = x[:, : 4 * COLS], d[:, :40]
    bl = torch.tensor([31, 31, 12, 0, 31, 5, 31, 31])
    a_, b_ = torch.full((BATCH,), 3.0), torch.full((BATCH,), 0.8)
    ways = []
    for sparse_below in (float("inf"), 0.0):  # fraction of samples × devices: always sparse, never sparse
        torch.manual_seed(0)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tp, "_SPARSE_BELOW", sparse_below)
            ways.append(tp._chunk_visits(x, d, bl, a_, b_, torch.Generator().manual_seed(7)))
    (n_sparse, i_sparse), (n_dense, i_dense) = ways
    assert n_sparse.abs().sum() > 100
    assert torch.equal(i_sparse, i_dense) and torch.equal(n_sparse, n_dense)


def test_composed_state_after_pulses_without_noise_is_the_exact_affine_map():
    """σ = 0: the closed form is exact: n up pulses from w give w* − (w* − w)·qⁿ, w* = −a₀/a₁ (soft bounds: w_max)."""
    device = SoftBounds(dw_min_std=0.0, dw_min=0.01, mult_noise=False, **NO_D2D)
    tile = AnalogTile(1, 1, TileConfig(device=device), seed=0)
    array = tile.array
    array.set_weights(torch.tensor([[0.1]]))
    ones = torch.ones(3, 1, dtype=torch.float64)
    # probabilities 1 (A·|δ|, B·|x| ≥ 1), BL = 5 for each of 3 samples: 15 up pulses in all
    bl = torch.full((3,), 5)
    total = tp.composed_update(array, ones.float(), -ones.float(), bl, ones[:, 0] * 2, ones[:, 0] * 2,
                               torch.Generator().manual_seed(0))
    q = 1 - 0.01 / 0.6
    assert total == 15
    assert float(array.w) == pytest.approx(0.6 - (0.6 - 0.1) * q**15, rel=1e-6)


@pytest.mark.parametrize("where", ["cpu-torch-only", *CUDA])
def test_runs_on_any_torch_device_reproducibly(where):
    """auto backend under torch_only_mode on CPU (and on CUDA when present): composed path, same seed → same."""
    dev = "cuda" if where == "cuda" else "cpu"
    x, d = batch()
    results = []
    for seed in (3, 3, 4):
        tile = AnalogTile(ROWS, 2 * COLS, TileConfig(device=DEVICES["affine"]), seed=seed).to(dev)
        with torch_only_mode(), Ledger() as led:
            tile.update(x[:, : 2 * COLS].to(dev), d.to(dev), 0.4)
        assert tile.array.w.device.type == dev
        results.append((tile.array.w.cpu(), led.count("write_pulse")))
    assert results[0][1] > 0 and results[0][1] == results[1][1]
    assert torch.equal(results[0][0], results[1][0]) and not torch.equal(results[0][0], results[2][0])


def test_only_constant_and_additive_affine_device_arrays_are_composed():
    assert tp.composable(ConstantStep().build((2, 3)))
    assert tp.composable(SoftBounds(mult_noise=False).build((2, 3)))
    assert not tp.composable(SoftBounds().build((2, 3)))  # multiplicative noise: no Gaussian closure
    assert not tp.composable(OneSidedPair().build((2, 3)))  # refreshed after every sample


def test_a_pair_array_still_takes_the_per_sample_loop():
    x, d = batch()
    array = OneSidedPair().build((ROWS, COLS * REPLICAS))
    up = UpdateConfig(backend="torch")
    assert stochastic_update(array, x, d, 0.4, up, torch.Generator().manual_seed(0)) > 0
    assert not torch.equal(array.w, torch.zeros_like(array.w))


@pytest.mark.parametrize(
    ("x_shape", "d_shape", "error"),
    [((8, 5), (8, ROWS), ShapeError), ((8, COLS), (7, ROWS), ShapeError), ((8, COLS), (8, ROWS), NumericalError)],
    ids=["wrong-in", "batch-mismatch", "nan"],
)
def test_bad_input_raises_before_anything_is_written(x_shape, d_shape, error):
    array = ConstantStep().build((ROWS, COLS))
    x, d = torch.rand(x_shape), torch.rand(d_shape) * 0.05
    if error is NumericalError:
        x[0, 0] = float("nan")
    bl = torch.full((x_shape[0],), 4)
    with pytest.raises(error):
        tp.composed_update(array, x, d, bl, torch.ones(x_shape[0]), torch.ones(x_shape[0]), torch.Generator())
    assert torch.equal(array.w, torch.zeros(ROWS, COLS))


def test_inputs_on_another_device_are_refused():
    array = ConstantStep().build((ROWS, COLS * REPLICAS))
    x, d = batch()
    with pytest.raises(InputTypeError, match="x is on meta"):
        tp.composed_update(array, x.to("meta"), d, torch.full((BATCH,), 4), torch.ones(BATCH), torch.ones(BATCH),
                           torch.Generator())
