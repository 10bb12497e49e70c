"""Multi-array weights: references, zero-shifting, the TTv2 buffer against a hand trace, pulsed transfers."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, Ledger, ShapeError
from neurofab.crossbar import IOConfig
from neurofab.crossbar.compound import (
    CompoundConfig,
    CompoundWeight,
    TransferConfig,
    expected_outer_update,
    hadamard_vectors,
    zero_shift,
)
from neurofab.devices import ConstantStep, SoftBounds

QUIET = {"dw_min_dtod": 0.0, "dw_min_std": 0.0, "up_down_dtod": 0.0, "w_min_dtod": 0.0, "w_max_dtod": 0.0}


def _tiny(hysteresis: float = 0.0, every: int = 1) -> CompoundWeight:
    cfg = CompoundConfig(
        a_device=ConstantStep(dw_min=0.01, **QUIET),
        c_device=ConstantStep(dw_min=0.1, **QUIET),
        a_reference="zero",
        c_reference="zero",
        transfer=TransferConfig(mode="buffered", lr=0.2, every=every, hysteresis=hysteresis, io=IOConfig.perfect()),
    )
    cw = CompoundWeight(2, 2, cfg, seed=0)
    cw.calibrate()
    cw.a.set_weights(torch.tensor([[0.3, -0.5], [0.05, 0.0]]))
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
    cw.a.set_weights(torch.tensor([[-0.35, 0.0], [0.0, 0.0]]))
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
    cw = CompoundWeight(3, 4, CompoundConfig(a_device=dev, zero_shift_pairs=0), seed=1)
    cw.calibrate()
    assert torch.allclose(cw.a_ref, cw.a.symmetry_point())
    assert torch.equal(cw.c_ref, cw.a_ref)  # shared: 3 devices per weight
    assert torch.allclose(cw.a_weights(), torch.zeros(3, 4))
    w = torch.full((3, 4), 0.1)
    cw.set_weights(w)
    assert torch.allclose(cw.weights(), w, atol=1e-6)
    assert cw.config.devices_per_weight == 3
    own = CompoundConfig(a_device=dev, zero_shift_pairs=0, c_reference="symmetry_point")
    assert own.devices_per_weight == 4


def test_pulsed_transfer_threshold_and_gamma():
    cfg = CompoundConfig(
        a_device=ConstantStep(dw_min=0.001, **QUIET),
        gamma=0.5,
        a_reference="zero",
        c_reference="zero",
        transfer=TransferConfig(mode="pulsed", lr=0.5, threshold=0.05, io=IOConfig.perfect()),
    )
    cw = CompoundWeight(2, 2, cfg, seed=0)
    cw.calibrate()
    cw.a.set_weights(torch.tensor([[0.2, 0.0], [0.01, 0.0]]))
    cw.transfer(1)  # column 0: v = [0.2, 0.01]; 0.01 < T is not transferred; c00 += 0.5·0.2
    assert torch.allclose(cw.c.w, torch.tensor([[0.1, 0.0], [0.0, 0.0]]), atol=1e-5)
    assert torch.allclose(cw.weights(), cw.c.w + 0.5 * cw.a.w)


def test_expected_outer_update_is_sgd_on_a_constant_device():
    arr = ConstantStep(dw_min=0.001, **QUIET).build((3, 2), seed=0)
    x, d = torch.tensor([[1.0, -0.5]]), torch.tensor([[0.2, -0.1, 0.0]])
    expected_outer_update(arr, x, d, 0.1)
    assert torch.allclose(arr.w, -0.1 * d.T @ x, atol=1e-6)


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


def test_state_dict_roundtrip_continues_identically():
    dev = SoftBounds(dw_min=0.01, up_down=0.1)
    cfg = CompoundConfig(a_device=dev, zero_shift_pairs=10, transfer=TransferConfig(lr=0.05))
    a, b = CompoundWeight(4, 3, cfg, seed=2), CompoundWeight(4, 3, cfg, seed=9)
    a.calibrate()
    g = torch.Generator().manual_seed(0)
    x, d = torch.randn(5, 3, generator=g), torch.randn(5, 4, generator=g)
    a.update(x, d, 0.05)
    b.load_state_dict(a.state_dict())
    a.update(x, d, 0.05)
    b.update(x, d, 0.05)
    assert torch.equal(a.weights(), b.weights()) and torch.equal(a.h, b.h)
