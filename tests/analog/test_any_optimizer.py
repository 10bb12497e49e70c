"""Analog layers under any torch optimizer; the queue of pending updates holds what the gradient stands for."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurofab.analog import AnalogLinear


@pytest.mark.parametrize("opt_cls", [torch.optim.Adam, torch.optim.RMSprop, torch.optim.SGD])
def test_analog_weights_train_under_any_optimizer(opt_cls):
    torch.manual_seed(0)
    model = nn.Sequential(AnalogLinear(4, 3, seed=1))
    opt = opt_cls(model.parameters(), lr=0.05)
    before = model[0].get_weights().clone()
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(8, 4)).pow(2).sum().backward()
        opt.step()
        assert model[0]._pending == [] and model[0].analog_handle.grad is None
    assert (model[0].get_weights() - before).abs().max() > 0


def test_pending_updates_are_bounded_and_follow_the_gradient():
    torch.manual_seed(0)
    layer = AnalogLinear(4, 3, seed=1)
    for _ in range(5):  # backward passes with zero_grad and no step: nothing piles up
        layer.zero_grad()
        layer(torch.randn(2, 4)).sum().backward()
    assert len(layer._pending) == 1
    layer.zero_grad()
    for _ in range(2):  # gradient accumulation: both passes count
        layer(torch.randn(2, 4)).sum().backward()
    assert len(layer._pending) == 2
    layer.zero_grad()
    (layer(torch.randn(2, 4)).sum() + layer(torch.randn(2, 4)).sum()).backward()  # two uses in one pass
    assert len(layer._pending) == 2


def test_dtype_follows_the_module():
    from neurofab.analog import AnalogConv2d

    for layer, x in ((AnalogLinear(4, 3), torch.rand(2, 4)), (AnalogConv2d(1, 2, 3), torch.rand(2, 1, 5, 5))):
        model = nn.Sequential(layer).to(torch.float64)
        y = model(x.double())
        assert y.dtype == torch.float64
        torch.optim.SGD(model.parameters(), lr=0.1).zero_grad()
        y.sum().backward()
        torch.optim.SGD(model.parameters(), lr=0.1).step()
        assert model[0].get_weights().dtype == torch.float64
