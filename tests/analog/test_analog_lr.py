"""Analog learning rate apart from the optimizer's: analog_param_groups under Adam and other torch optimizers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogLinear, AnalogSGD, analog_param_groups, convert_to_analog
from neurofab.core import ConfigError, InputTypeError
from neurofab.crossbar import TileConfig
from neurofab.data import digits


def test_groups_split_analog_handles_from_digital_parameters():
    model = nn.Sequential(AnalogLinear(4, 3, seed=1), nn.BatchNorm1d(3), nn.Linear(3, 2))
    groups = analog_param_groups(model, lr=0.01, analog_lr=0.5, weight_decay=1e-4)
    digital, analog = groups
    assert analog == {"params": [model[0].analog_handle], "lr": 0.5}
    assert digital["lr"] == 0.01 and digital["weight_decay"] == 1e-4
    assert {id(p) for p in digital["params"]} == {id(p) for n, p in model.named_parameters() if "handle" not in n}
    only_analog = analog_param_groups(nn.Sequential(AnalogLinear(2, 2, bias=False)), lr=0.1, analog_lr=0.2)
    assert len(only_analog) == 1
    with pytest.raises(ConfigError, match="analog_lr = 0"):
        analog_param_groups(model, lr=0.01, analog_lr=0)
    with pytest.raises(ConfigError, match="lr = nan"):
        analog_param_groups(model, lr=float("nan"), analog_lr=0.1)
    with pytest.raises(ConfigError, match="no analog layers"):
        analog_param_groups(nn.Linear(2, 2), lr=0.1, analog_lr=0.1)
    with pytest.raises(InputTypeError):
        analog_param_groups([nn.Linear(2, 2)], lr=0.1, analog_lr=0.1)


@pytest.mark.parametrize("opt_cls", [torch.optim.Adam, torch.optim.RMSprop])
def test_the_tiles_take_analog_lr_and_the_optimizer_takes_lr(opt_cls):
    torch.manual_seed(0)
    layer = AnalogLinear(5, 3, config=TileConfig.ideal(), seed=2)
    twin = nn.Linear(5, 3)
    with torch.no_grad():
        twin.weight.copy_(layer.get_weights())
        twin.bias.copy_(layer.bias)
    x = torch.randn(4, 5)
    opt = opt_cls(analog_param_groups(layer, lr=0.01, analog_lr=0.3))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    bias_opt = opt_cls([twin.bias], lr=0.01)
    w0 = layer.get_weights().clone()
    for model, o in ((layer, opt), (twin, bias_opt)):
        o.zero_grad()
        model(x).pow(2).sum().backward()
    grad_w = twin.weight.grad.clone()
    opt.step()
    bias_opt.step()
    # the ideal tile's pulsed update is W ← W − η·Σ δxᵀ at η = analog_lr; the bias follows the optimizer at lr
    torch.testing.assert_close(layer.get_weights(), w0 - 0.3 * grad_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(layer.bias, twin.bias)
    sched.step()  # a scheduler scales both groups
    assert [g["lr"] for g in opt.param_groups] == [0.005, 0.15]


class RowLSTM(nn.Module):
    """The image rows are the time steps; a linear head on the last hidden state."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.head = nn.LSTM(8, 32), nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x.squeeze(1).transpose(0, 1))[0][-1])


def _train(make_opt, seed: int, epochs: int = 6) -> float:
    split = digits(flatten=False)
    torch.manual_seed(seed)
    model = convert_to_analog(RowLSTM(), seed=seed)
    opt = make_opt(model)
    start = [g["lr"] for g in opt.param_groups]
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        for g, lr in zip(opt.param_groups, start):
            g["lr"] = lr * (1 - 0.9 * epoch / (epochs - 1))
        perm = torch.randperm(len(split.x_train), generator=gen)
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(split.x_train[idx]), split.y_train[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return (model(split.x_test).argmax(1) == split.y_test).float().mean().item()


def test_adam_with_its_own_analog_lr_trains_an_lstm_like_sgd():
    # analog SGD at 1.0; Adam at 0.05 for everything (the tiles' pulsed updates 20× too small); Adam at 0.05 for
    # the digital parameters with the tiles at 1.0
    # (measured at seeds 0, 1, 6 epochs: SGD 61–63 %, Adam one rate 19–27 %, Adam split rates 76–77 %)
    seeds = (0, 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is several times faster on a shared machine
    try:
        sgd = [_train(lambda m: AnalogSGD(m.parameters(), lr=1.0), s) for s in seeds]
        one_lr = [_train(lambda m: torch.optim.Adam(m.parameters(), lr=0.05), s) for s in seeds]
        split_lr = [_train(lambda m: torch.optim.Adam(analog_param_groups(m, lr=0.05, analog_lr=1.0)), s)
                    for s in seeds]
    finally:
        torch.set_num_threads(threads)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    assert mean(split_lr) >= mean(sgd) - 0.05
    assert mean(split_lr) > mean(one_lr) + 0.25


def test_a_group_at_lr_zero_drops_its_analog_update():
    # aihwkit's analog optimizers reset the tile's queued (x, δ) when the group's lr is 0: nothing is written
    torch.manual_seed(0)
    model = nn.Sequential(AnalogLinear(4, 3, seed=1), AnalogLinear(3, 2, seed=2))
    opt = torch.optim.Adam([{"params": model[0].parameters(), "lr": 0.0}, {"params": model[1].parameters()}],
                           lr=0.2)
    w0, w1 = model[0].get_weights().clone(), model[1].get_weights().clone()
    opt.zero_grad()
    model(torch.randn(8, 4)).pow(2).sum().backward()
    opt.step()
    assert torch.equal(model[0].get_weights(), w0) and model[0]._pending == []
    assert not torch.equal(model[1].get_weights(), w1)
