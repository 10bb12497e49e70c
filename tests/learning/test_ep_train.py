"""EP training: the trainer learns, resumes bit-identically, follows its schedule; ideal tiles equal digital EP."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.crossbar import TileConfig
from neurofab.data import digits
from neurofab.learning import (
    ConvergentNet,
    EPConfig,
    EPTrainConfig,
    EPTrainer,
    accuracy,
    cosine_lr,
    ep_estimate,
    tile_network,
    train_ep_tiles,
)


@pytest.fixture(scope="module")
def data():
    d = digits(seed=0)
    return d.x_train[:256], d.y_train[:256], d.x_test[:200], d.y_test[:200]


def _trainer(method="ep", seed=0, epochs=2):
    net = ConvergentNet([64, 32, 10], activation="sigmoid", seed=seed)
    ep = EPConfig(T=15, K=5, beta=0.3, estimator="symmetric")
    cfg = EPTrainConfig(method=method, epochs=epochs, batch_size=16, lrs=(0.2, 0.1), momentum=0.9,
                        weight_decay=1e-4, cosine_epochs=epochs, seed=seed)
    return EPTrainer(net, ep, cfg)


def test_ep_learns(data):
    """EP by the trainer (BPTT training is exercised by the ep reproduction)."""
    x, y, xt, yt = data
    for method in ("ep",):
        tr = _trainer(method, epochs=3)
        before = accuracy(lambda v, n=tr.net: n.predict(v, 15), xt, yt)
        tr.fit(x, y)
        after = accuracy(lambda v, n=tr.net: n.predict(v, 15), xt, yt)
        assert after > 60 and after > before + 40, (method, before, after)


def test_checkpoint_resume_is_bit_identical(data, tmp_path):
    x, y, _, _ = data
    straight = _trainer()
    straight.fit(x, y)
    first = _trainer()
    first.fit(x, y, epochs=1, checkpoint=tmp_path / "ep.pt")
    resumed = _trainer()
    resumed.load(tmp_path / "ep.pt")
    assert resumed.epoch == 1
    resumed.fit(x, y)
    for k, v in straight.net.tensors().items():
        assert torch.equal(v, resumed.net.params[k]), k
    other = EPTrainer(ConvergentNet([64, 32, 10], activation="sigmoid"), EPConfig(T=16, K=5, beta=0.3),
                      straight.cfg)
    with pytest.raises(ConfigError, match="different"):
        other.load(tmp_path / "ep.pt")


def test_schedule_and_per_layer_rates():
    tr = _trainer(epochs=4)
    assert tr.lr("W1") == pytest.approx(0.2) and tr.lr("b2") == pytest.approx(0.1)
    assert cosine_lr(0.1, 1e-5, 4, 4) == pytest.approx(1e-5)
    assert cosine_lr(0.1, 0.0, 2, 4) == pytest.approx(0.05)
    assert cosine_lr(0.1, 0.0, 9, None) == 0.1
    with pytest.raises(ConfigError, match="lrs"):
        EPTrainer(ConvergentNet([4, 3, 2]), EPConfig(), EPTrainConfig(lrs=(0.1, 0.1, 0.1)))
    with pytest.raises(ConfigError, match="lrs"):
        EPTrainConfig(lrs=(0.1, 0.0))
    with pytest.raises(ConfigError, match="K"):
        EPTrainer(ConvergentNet([4, 3, 2]), EPConfig(T=3, K=5), EPTrainConfig(method="bptt"))


def test_ep_on_ideal_tiles_equals_digital_ep(data):
    x, y, _, _ = data
    ep = EPConfig(T=10, K=4, beta=0.3)
    digital = ConvergentNet([64, 16, 10], activation="sigmoid", seed=3)
    analog = ConvergentNet([64, 16, 10], activation="sigmoid", seed=3)
    tile_network(analog, TileConfig.ideal())
    lrs = [0.05, 0.02]
    est = ep_estimate(digital, x[:32], y[:32], ep).grads
    for k, g in est.items():
        digital.params[k] = digital.params[k] - lrs[int(k[1:]) - 1] * g
    train_ep_tiles(analog, ep, x[:32], y[:32], lrs, epochs=1, batch_size=32)  # one batch: order-free mean
    for n in (1, 2):
        torch.testing.assert_close(analog.params[f"W{n}"].get_weights(), digital.params[f"W{n}"], rtol=1e-4,
                                   atol=1e-5)
        torch.testing.assert_close(analog.params[f"b{n}"], digital.params[f"b{n}"], rtol=1e-4, atol=1e-5)


def test_pulsed_tiles_count_write_pulses(data):
    from neurofab.devices import ConstantStep

    x, y, _, _ = data
    net = ConvergentNet([64, 16, 10], activation="sigmoid", seed=1)
    tile_network(net, TileConfig(device=ConstantStep(dw_min=0.001, w_min=-1, w_max=1)))
    w0 = net.params["W1"].get_weights().clone()
    with Ledger() as led:
        train_ep_tiles(net, EPConfig(T=10, K=4, beta=0.3), x[:64], y[:64], [0.1, 0.05], epochs=1, batch_size=32)
    assert led.count("write_pulse") > 0 and led.count("mvm") > 0
    assert not torch.equal(w0, net.params["W1"].get_weights())


def test_kp_vf_difference_decays_by_the_leak_alone(data):
    """Eq. 21: W and B get the same update and the same leak λ, so d = W − B follows the gradient-free recurrence
    v ← μ v + λ d, d ← d − η v, whatever the data (and VF_sym, with distinct updates, does not)."""
    x, y = data[0][:64].double(), data[1][:64]
    lr, mu, lam = 0.05, 0.9, 0.01
    for est in ("kp_vf_sym", "vf_sym"):
        net = ConvergentNet([64, 16, 12, 10], activation="sigmoid", unidirectional=True, seed=3, dtype=torch.float64)
        d = {n: net.params[f"W{n}"] - net.params[f"B{n}"] for n in (2, 3)}
        v = {n: torch.zeros_like(d[n]) for n in d}
        tr = EPTrainer(net, EPConfig(T=20, K=6, beta=0.2, estimator=est),
                       EPTrainConfig(epochs=1, batch_size=16, lrs=(lr,), momentum=mu, weight_decay=lam))
        tr.train_epoch(x, y)
        for _ in range(4):
            for n in d:
                v[n] = mu * v[n] + lam * d[n]
                d[n] = d[n] - lr * v[n]
        for n in d:
            gap = float((net.params[f"W{n}"] - net.params[f"B{n}"] - d[n]).abs().max())
            assert gap < 1e-12 if est == "kp_vf_sym" else gap > 1e-4
