"""MONETA's ConvSNN learning: the chip's LIF form, cross-depth inhibition, the dataflow schedules, the filter-update
table, the ledger counts and bad input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError, Ledger, ShapeError, one_thread
from neurofab.learning import StochasticSTDPConfig
from neurofab.systems.moneta_learning import (
    ConvSNN,
    ConvSNNConfig,
    ConvSpec,
    EncoderConfig,
    LearnStats,
    cross_depth_step,
    encode,
    fit_readout,
    readout_accuracy,
    train_bp,
)


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():  # tiny tensors: a second thread only spins on this shared machine
        yield


STDP = StochasticSTDPConfig(p1=0.5, p2=0.2, p3=0.1, p4=0.05, pd=0.5, t_threshold=1, w_min=0, generator="torch")


def _net(filters: int = 6, steps: int = 12, v_th: float = 200.0, seed: int = 0) -> ConvSNN:
    cfg = ConvSNNConfig(image_size=6, layers=(ConvSpec(filters=filters, v_th=v_th),),
                        encoder=EncoderConfig(steps=steps), stdp=STDP)
    return ConvSNN(cfg, seed=seed)


def _images(n: int = 4, size: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.rand((n, 1, size, size), generator=torch.Generator().manual_seed(seed))


def test_lif_form_closed_form():
    """V += VMM; V −= a + b·V; spike and reset to 0 above V_th: constant drive d from rest fires at the first step
    where the closed-form V_t = (V_{t−1} + d)(1 − b) − a exceeds V_th."""
    spec = ConvSpec(filters=1, v_th=100.0, a=2.0, b=0.1)
    d = 30.0
    v, expected = torch.zeros(1, 1, 1), []
    vv = 0.0
    for _ in range(10):
        vv = (vv + d) * (1 - spec.b) - spec.a
        expected.append(vv > spec.v_th)
        vv = 0.0 if vv > spec.v_th else vv
    got = []
    for _ in range(10):
        v, _, s = cross_depth_step(v, torch.full((1, 1, 1), d), spec)
        got.append(bool(s.item()))
    assert got == expected and any(got)
    # with no input the constant leak never drives V below 0
    v, _, _ = cross_depth_step(torch.full((1, 1, 1), 1.0), torch.zeros(1, 1, 1), spec)
    assert float(v) == 0.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 8))
def test_cross_depth_one_winner_per_location(seed, filters):
    """At most one filter fires per (image, location) per step, it is the largest V above threshold, and every
    membrane at a location where a neuron fired is reset."""
    gen = torch.Generator().manual_seed(seed)
    spec = ConvSpec(filters=filters, v_th=1.0, b=0.0)
    v = torch.rand((3, filters, 5), generator=gen)
    drive = torch.rand((3, filters, 5), generator=gen)
    new, z, spikes = cross_depth_step(v, drive, spec)
    per_location = spikes.sum(1)
    assert per_location.max() <= 1
    fired_at = per_location > 0
    assert torch.equal(fired_at, z.max(1).values > spec.v_th)
    assert torch.equal(spikes.argmax(1)[fired_at], z.argmax(1)[fired_at])
    assert (new.permute(0, 2, 1)[fired_at] == 0).all()


def test_network_spikes_one_winner_per_location_per_step():
    net = _net(filters=8, v_th=100.0)
    out = net.forward(_images(), generator=1)[-1]  # (steps, N, F, h, w)
    assert out.sum() > 0
    assert out.sum(2).max() == 1


def test_schedules_a_and_b_give_the_same_inference():
    net = _net()
    x = encode(_images(), net.config.encoder, 3)
    sa, va = net.layer_forward(x, 0, "a")
    sb, vb = net.layer_forward(x, 0, "b")
    assert sa.sum() > 0
    assert torch.equal(sa, sb) and torch.equal(va, vb)


def test_filter_update_table_picks_max_v_ifm():
    gen = torch.Generator().manual_seed(0)
    vpre = torch.rand((5, 2, 3, 4, 4), generator=gen)
    vpre[2, 1, 0, 3, 1] = 10.0  # image 1, filter 0: largest V at IFM (3, 1), raster index 13
    vpre[4, 0, 2, 0, 2] = 10.0  # image 0, filter 2: IFM 2
    table = ConvSNN.filter_update_table(vpre)
    assert table.shape == (2, 3)
    assert int(table[1, 0]) == 13 and int(table[0, 2]) == 2
    assert torch.equal(table, vpre.amax(0).flatten(2).argmax(2))
    # on a network: the table entry is the IFM whose membrane peaked highest for that filter
    net = _net()
    x = encode(_images(), net.config.encoder, 3)
    _, v = net.layer_forward(x, 0)
    t = ConvSNN.filter_update_table(v)
    peak = v.amax(0).flatten(2)
    assert torch.equal(peak.gather(2, t.unsqueeze(2)).squeeze(2), peak.max(2).values)


@pytest.mark.parametrize("schedule", ["standard", "sequential", "pim"])
def test_learning_is_reproducible_and_counted(schedule):
    imgs = _images(6)
    runs = []
    for _ in range(2):
        net = _net()
        w0 = net.weights[0].clone()
        stats = net.learn_layer(imgs, 0, schedule, generator=5, batch=3)
        runs.append(net.weights[0])
        assert not torch.equal(net.weights[0], w0)  # it learned
        assert net.weights[0].min() >= 0 and net.weights[0].max() <= 127
    assert torch.equal(runs[0], runs[1])
    steps, positions, filters = 12, 9, 6
    fetches = {"standard": steps * positions, "sequential": positions, "pim": positions + filters}[schedule]
    assert stats.ifm_fetches == 6 * fetches
    assert stats.updates == stats.ledger.count("filter_update") > 0
    assert stats.cycles >= 6 * steps * positions + 17 * stats.updates
    assert 0 < stats.output_rate <= 1 / filters
    assert 1 <= stats.effective_filters() <= filters
    # every update is counted once, at the IFM that controlled it
    assert stats.position_updates.shape == (positions,)
    assert float(stats.position_updates.sum()) == stats.updates
    assert 0 <= stats.early_share() <= 1


def test_updates_counted_by_controlling_ifm():
    stats = LearnStats()
    assert stats.early_share() != stats.early_share()  # nan: no update yet
    fired = torch.tensor([[True, False, True], [True, True, False]])
    stats.count_updates(fired, 5, 8)  # schedule (b) without the table: every update at the IFM being processed
    assert stats.position_updates.tolist() == [0, 0, 0, 0, 0, 4, 0, 0]
    ifm = torch.tensor([[0, 7, 1], [1, 3, 6]])  # one controlling IFM per (image, filter): the table, or (a)'s argmax
    stats.count_updates(fired, ifm, 8)
    assert stats.position_updates.tolist() == [1, 2, 0, 1, 0, 4, 0, 0]
    assert stats.filter_updates.tolist() == [4, 2, 2]
    assert stats.early_share() == pytest.approx(3 / 8)  # IFMs 0 and 1: the first quarter of 8
    assert stats.early_share(0.5) == pytest.approx(4 / 8)


def test_learning_with_the_chip_lfsr():
    cfg = ConvSNNConfig(image_size=6, layers=(ConvSpec(filters=4, v_th=200.0),), encoder=EncoderConfig(steps=12),
                        stdp=STDP.replace(generator="lfsr", rnd_bits=8))
    runs = []
    for _ in range(2):
        net = ConvSNN(cfg, seed=3)
        net.learn_layer(_images(4), 0, "pim", generator=1, batch=2)
        runs.append(net.weights[0])
    assert torch.equal(runs[0], runs[1])


def test_table_spreads_learning_over_filters():
    """Without the table the first winners take the updates; with it every filter learns from its own IFM."""
    imgs = _images(8)
    eff = {}
    for schedule in ("sequential", "pim"):
        net = _net(filters=8, v_th=100.0)
        eff[schedule] = net.learn_layer(imgs, 0, schedule, generator=1, batch=4).effective_filters()
    assert eff["pim"] > 2 * eff["sequential"]


def test_layer_by_layer_and_features():
    cfg = ConvSNNConfig(image_size=8, stdp=STDP, encoder=EncoderConfig(steps=10),
                        layers=(ConvSpec(filters=4, v_th=100.0), ConvSpec(filters=6, v_th=50.0, stride=1)))
    net = ConvSNN(cfg, seed=0)
    imgs = _images(4, 8)
    w0 = net.weights[0].clone()
    with Ledger() as led:
        net.learn_layer(imgs, 1, "pim", generator=0, batch=4)
    assert torch.equal(net.weights[0], w0)  # earlier layers stay fixed
    assert led.count("ifm_fetch") == 4 * (16 + 6)  # the layer-1 inference feeding it is not counted as learning
    f = net.features(imgs, 0)
    assert f.shape == (4, 6 * 4 * 4)
    fc = fit_readout(f, torch.tensor([0, 1, 0, 1]), n_classes=2, epochs=5)
    assert 0 <= readout_accuracy(fc, f, torch.tensor([0, 1, 0, 1])) <= 100


def test_encoder_rates():
    enc = EncoderConfig(steps=4000)
    img = torch.tensor([0.0, 1.0, 0.5]).reshape(1, 1, 1, 3)
    s = encode(img, enc, 0).mean(0).flatten()
    q = torch.round(torch.tensor([0.0, 1.0, 0.5]) * 15) / 15
    p = (10 + 40 * q) / 50  # one step is 1/f_max
    assert torch.allclose(s, p, atol=0.03)


def test_bad_input():
    with pytest.raises(ConfigError, match="filters"):
        ConvSpec(filters=0, v_th=1.0)
    with pytest.raises(ConfigError, match="v_th"):
        ConvSpec(filters=2, v_th=-1.0)
    with pytest.raises(ConfigError, match="f_min"):
        EncoderConfig(f_min=60.0)
    with pytest.raises(ConfigError, match="step_duration"):
        EncoderConfig(step_duration=0.1)
    with pytest.raises(ConfigError, match="init_high"):
        ConvSNNConfig(layers=(ConvSpec(filters=2, v_th=1.0),), stdp=STDP, init_high=200)
    with pytest.raises(ConfigError, match=r"layers\[1\]"):
        ConvSNNConfig(image_size=4, layers=(ConvSpec(filters=2, v_th=1.0), ConvSpec(filters=2, v_th=1.0, kernel=5,
                                                                                   padding=0)))
    net = _net()
    with pytest.raises(ConfigError, match="schedule"):
        net.learn_layer(_images(), 0, "parallel")
    with pytest.raises(ConfigError, match="layer"):
        net.learn_layer(_images(), 3, "pim")
    with pytest.raises(ConfigError, match="batch"):
        net.learn_layer(_images(), 0, "pim", batch=0)
    with pytest.raises(ShapeError):
        net.layer_forward(torch.zeros(5, 2, 1, 7, 7), 0)
    with pytest.raises(ConfigError, match="schedule"):
        net.layer_forward(torch.zeros(5, 2, 1, 6, 6), 0, "c")
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        encode(torch.full((1, 1, 6, 6), 2.0), net.config.encoder)
    with pytest.raises(ShapeError):
        encode(torch.zeros(6, 6), net.config.encoder)
    with pytest.raises(ConfigError):
        ConvSNN("not a config")  # type: ignore[arg-type]
    x, y = _images(4), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ConfigError, match="both"):
        train_bp(net.config, x, y, x, y, stdp_train=torch.zeros(4, 3))
    with pytest.raises(ShapeError):
        train_bp(net.config, x, y, x, y, stdp_train=torch.zeros(3, 3), stdp_test=torch.zeros(4, 3))
    with pytest.raises(ConfigError, match="epochs"):
        train_bp(net.config, x, y, x, y, epochs=0)


def test_hybrid_and_bp_train():
    """A BP block and the FC layer learn by BPTT; the hybrid concatenates the STDP block's counts (smoke-sized)."""
    from neurofab.data import digits

    d = digits(flatten=False, seed=0)
    cfg = ConvSNNConfig(layers=(ConvSpec(filters=8, v_th=800.0),), stdp=STDP, encoder=EncoderConfig(steps=50))
    x, y, xt, yt = d.x_train[:200], d.y_train[:200], d.x_test[:100], d.y_test[:100]
    bp = train_bp(cfg, x, y, xt, yt, epochs=3, seed=0)
    assert bp.accuracy > 30  # well above chance (10 %)
    net = ConvSNN(cfg, seed=0)
    hyb = train_bp(cfg, x, y, xt, yt, net.features(x, 0), net.features(xt, 1), epochs=3, seed=0)
    assert hyb.accuracy > 30
    assert train_bp(cfg, x, y, xt, yt, epochs=3, seed=0).accuracy == bp.accuracy  # same seed, same result


def test_config_round_trips(tmp_path):
    cfg = ConvSNNConfig(image_size=28, stdp=STDP, layers=(ConvSpec(filters=16, v_th=800.0),
                                                           ConvSpec(filters=32, v_th=600.0, a=1.0)))
    for name in ("c.toml", "c.json"):
        cfg.dump(tmp_path / name)
        assert ConvSNNConfig.load(tmp_path / name) == cfg
