"""Compound tiles: references, zero-shifting, the TTv2 buffer against a hand trace, pulsed transfers, state."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, InputTypeError, Ledger, ShapeError
from neurofab.crossbar import IOConfig, TileConfig, UpdateConfig
from neurofab.crossbar.compound import (
    CompoundConfig,
    CompoundTile,
    TransferConfig,
    hadamard_vectors,
    outer_update,
    symmetry_point,
    zero_shift,
)
from neurofab.devices import ConstantStep, SoftBounds

QUIET = {"dw_min_dtod": 0.0, "dw_min_std": 0.0, "up_down_dtod": 0.0, "w_min_dtod": 0.0, "w_max_dtod": 0.0}


def _tile_config(device, mode: str = "expected") -> TileConfig:
    perfect = IOConfig.perfect()
    return TileConfig(device=device, forward=perfect, backward=perfect, update=UpdateConfig(mode=mode))


def _tiny(hysteresis: float = 0.0, every: int = 1) -> CompoundTile:
    cfg = CompoundConfig(
        c_device=ConstantStep(dw_min=0.1, **QUIET),
        a_reference="zero",
        c_reference="zero",
        transfer=TransferConfig(mode="buffered", lr=0.2, every=every, hysteresis=hysteresis, io=IOConfig.perfect()),
    )
    cw = CompoundTile(2, 2, _tile_config(ConstantStep(dw_min=0.01, **QUIET)), cfg, seed=0)
    cw.calibrate()
    cw.array.set_weights(torch.tensor([[0.3, -0.5], [0.05, 0.0]]))
    return cw


def test_ttv2_buffer_hand_trace():
    cw = _tiny()
    # η_c/Δw_C = 0.2/0.1 = 2 pulses per unit of A
    cw.transfer(1)  # column 0: H[:,0] = 2·[0.3, 0.05] = [0.6, 0.1]
    assert torch.allclose(cw.h, torch.tensor([[0.6, 0.0], [0.1, 0.0]]))
    assert torch.equal(cw.c.w, torch.zeros(2, 2))
    cw.transfer(1)  # column 1: H[:,1] = [−1.0, 0] → one down pulse on c01, H01 = 0
    assert torch.allclose(cw.h, torch.tensor([[0.6, 0.0], [0.1, 0.0]]))
    assert torch.allclose(cw.c.w, torch.tensor([[0.0, -0.1], [0.0, 0.0]]))
    cw.transfer(1)  # column 0 again: H[:,0] = [1.2, 0.2] → one up pulse on c00 (one only, not 1.2)
    assert torch.allclose(cw.h, torch.tensor([[0.0, 0.0], [0.2, 0.0]]))
    assert torch.allclose(cw.c.w, torch.tensor([[0.1, -0.1], [0.0, 0.0]]))
    assert cw.transfers == 3 and cw.next_column == 1


def test_ttv2_hysteretic_buffer():
    cw = _tiny(hysteresis=0.6)
    cw.transfer(2)  # H = [[0.6, 0→0.6·sign(−1) = −0.6], [0.1, 0]]
    assert torch.allclose(cw.h, torch.tensor([[0.6, -0.6], [0.1, 0.0]]))
    cw.transfer(2)  # col0: 1.2 → pulse, H = 0.6; col1: −1.6 → pulse, H = −0.6
    assert torch.allclose(cw.h, torch.tensor([[0.6, -0.6], [0.2, 0.0]]))
    assert torch.allclose(cw.c.w, torch.tensor([[0.1, -0.2], [0.0, 0.0]]))
    # same sign needs only 0.4 more, a reversal 1.6
    cw.array.set_weights(torch.tensor([[-0.35, 0.0], [0.0, 0.0]]))
    cw.transfer(1)  # H00 = 0.6 − 0.7 = −0.1: no pulse
    assert torch.allclose(cw.c.w[0, 0], torch.tensor(0.1))


def test_transfer_schedule_counts_samples():
    cw = _tiny(every=3)
    with Ledger() as led:
        cw.update(torch.zeros(7, 2), torch.zeros(7, 2), 0.1)  # 7 samples → transfers after samples 3 and 6
    assert cw.transfers == 2 and cw.samples == 7
    assert led.count("transfer") == 2
    cw.update(torch.zeros(2, 2), torch.zeros(2, 2), 0.1)  # sample 9
    assert cw.transfers == 3


def test_zero_shift_reaches_analytic_symmetry_point():
    dev = SoftBounds(dw_min=0.02, dw_min_std=0.0, up_down=0.2, up_down_dtod=0.1)
    arr = dev.build((8, 8), seed=3)
    target = arr.symmetry_point()
    assert float(target.abs().max()) > 0.05  # a real shift to find
    zero_shift(arr, 1000, mode="pulse")
    assert torch.allclose(arr.w, target, atol=0.02)
    noisy = SoftBounds(dw_min=0.02, dw_min_std=0.3, up_down=0.2, up_down_dtod=0.1).build((8, 8), seed=3)
    zero_shift(noisy, 1000, mode="pulse")
    assert float((noisy.w - noisy.symmetry_point()).abs().mean()) < 0.04


def test_calibrated_references_and_shared_reference():
    dev = SoftBounds(dw_min=0.02, dw_min_std=0.0, up_down=0.3, w_min_dtod=0.0, w_max_dtod=0.0)
    cw = CompoundTile(3, 4, _tile_config(dev), CompoundConfig(zero_shift_pairs=0), seed=1)
    cw.calibrate()
    assert torch.allclose(cw.a_ref, cw.array.symmetry_point())
    assert torch.equal(cw.c_ref, cw.a_ref)  # shared: 3 devices per weight
    assert torch.allclose(cw.a_weights(), torch.zeros(3, 4))
    w = torch.full((3, 4), 0.1)
    cw.set_weights(w)
    assert torch.allclose(cw.get_weights(), w, atol=1e-6)
    assert torch.allclose(cw(torch.eye(4)), w.T, atol=1e-6)  # the forward MVM reads C − C_ref
    assert cw.compound.devices_per_weight == 3
    own = CompoundConfig(zero_shift_pairs=0, c_reference="symmetry_point")
    assert own.devices_per_weight == 4


def test_pulsed_transfer_threshold_and_gamma():
    cfg = CompoundConfig(
        c_device=ConstantStep(dw_min=0.01, **QUIET),  # 10 pulses for the transfer below (≤ BL = 31)
        gamma=0.5,
        a_reference="zero",
        c_reference="zero",
        transfer=TransferConfig(mode="pulsed", lr=0.5, threshold=0.05, io=IOConfig.perfect()),
    )
    cw = CompoundTile(2, 2, _tile_config(ConstantStep(dw_min=0.001, **QUIET)), cfg, seed=0)
    cw.calibrate()
    cw.array.set_weights(torch.tensor([[0.2, 0.0], [0.01, 0.0]]))
    cw.transfer(1)  # column 0: v = [0.2, 0.01]; 0.01 < T is not transferred; c00 += 0.5·0.2
    assert torch.allclose(cw.c.w, torch.tensor([[0.1, 0.0], [0.0, 0.0]]), atol=1e-5)
    assert torch.allclose(cw.get_weights(), cw.c.w + 0.5 * cw.array.w)


def test_one_hot_column_reads_equal_the_full_mvm():
    cw = CompoundTile(6, 5, _tile_config(SoftBounds(dw_min=0.01)), CompoundConfig(), seed=0)
    cw.calibrate()
    cw.array.set_weights(torch.rand(6, 5, generator=torch.Generator().manual_seed(1)) - 0.5)
    cols = torch.tensor([3, 4, 0])
    v = cw.read_a(cols)  # default transfer periphery: noise, 7-bit DAC, 9-bit ADC
    assert v.shape == (3, 6)
    exact = cw.a_weights()[:, cols].T
    assert float((v - exact).abs().max()) < 0.3  # output noise 0.06: within 5σ
    quiet = cw.compound.transfer.replace(io=IOConfig(out_noise=0.0))
    cw.compound = cw.compound.replace(transfer=quiet)
    full = torch.nn.functional.one_hot(cols, 5).float() @ cw.a_weights().T
    assert torch.allclose(cw.read_a(cols), full, atol=2 * quiet.io.out_step)


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_outer_update_is_sgd_on_a_constant_device(mode):
    arr = ConstantStep(dw_min=0.001, **QUIET).build((3, 2), seed=0)
    x, d = torch.tensor([[1.0, -0.5]]), torch.tensor([[0.2, -0.1, 0.0]])
    gen = torch.Generator().manual_seed(0)
    n, lr = (200, 1.0) if mode == "stochastic" else (1, 0.1)  # ≤ 31 pulses per sample (BL limit)
    for _ in range(n):
        outer_update(arr, x, d, lr / n, UpdateConfig(mode=mode), gen)
    tol = 1e-6 if mode == "expected" else 0.06  # 200 pulses expected on the largest entry: 4·sqrt(200)·Δw
    assert torch.allclose(arr.w, -lr * d.T @ x, atol=tol)


def test_one_sample_writes_at_most_bl_pulses():
    arr = ConstantStep(dw_min=0.001, **QUIET).build((1, 1), seed=0)
    outer_update(arr, torch.ones(1, 1), torch.ones(1, 1), 1.0, UpdateConfig(mode="expected"), torch.Generator())
    assert float(arr.w) == pytest.approx(-0.031)  # 1000 pulses asked, BL = 31 coincidences at most


def test_symmetry_point_of_a_symmetric_constant_step_is_zero():
    arr = ConstantStep(dw_min=0.01, **QUIET).build((2, 3), seed=0)
    assert torch.equal(symmetry_point(arr), torch.zeros(2, 3))
    soft = SoftBounds(dw_min=0.01, up_down=0.2).build((2, 3), seed=0)
    assert torch.allclose(symmetry_point(soft), soft.symmetry_point())


def test_hadamard_and_bad_input():
    h = hadamard_vectors(4)
    assert torch.equal(h @ h.T, 4 * torch.eye(4))
    with pytest.raises(ConfigError):
        hadamard_vectors(6)
    with pytest.raises(ConfigError):
        TransferConfig(mode="buffered", read_vectors="hadamard")
    cw = _tiny()
    with pytest.raises(ShapeError):
        cw.update(torch.zeros(1, 3), torch.zeros(1, 2), 0.1)
    with pytest.raises(ShapeError):
        cw.set_weights(torch.zeros(3, 2))
    with pytest.raises(InputTypeError):
        CompoundTile(2, 2, compound=TransferConfig())  # type: ignore[arg-type]


def test_state_dict_roundtrip_continues_identically():
    cfg = CompoundConfig(zero_shift_pairs=10, transfer=TransferConfig(lr=0.05))
    tc = TileConfig(device=SoftBounds(dw_min=0.01, up_down=0.1))  # stochastic pulse trains, noisy periphery
    a, b = CompoundTile(4, 3, tc, cfg, seed=2), CompoundTile(4, 3, tc, cfg, seed=9)
    a.calibrate()
    g = torch.Generator().manual_seed(0)
    x, d = torch.randn(5, 3, generator=g), torch.randn(5, 4, generator=g)
    a.update(x, d, 0.05)
    b.load_state_dict(a.state_dict())
    a.update(x, d, 0.05)
    b.update(x, d, 0.05)
    assert torch.equal(a.get_weights(), b.get_weights()) and torch.equal(a.h, b.h)
    assert torch.equal(a.array.w, b.array.w) and a.transfers == b.transfers == 10
