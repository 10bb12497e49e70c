"""Every torch path runs on any torch device: the compiled (numba) CPU kernels and their torch fallbacks agree —
exactly where the computation is deterministic, statistically (means within 4.5 standard errors, pooled variances
within 10 %) where noise is drawn. Parametrized over the devices present: ``cpu`` (compiled kernels), ``cpu-torch-only``
(the fallback forced on CPU with :func:`~neurofab.core.backend.torch_only_mode`) and ``cuda`` when available."""

from __future__ import annotations

import contextlib

import pytest
import torch
from torch import nn

from neurofab.analog import (
    AnalogSGD,
    InferenceConfig,
    InferenceLinear,
    convert_to_analog,
    convert_to_inference,
    drift_to,
    program,
)
from neurofab.core import InputTypeError
from neurofab.core.backend import set_torch_only, torch_only, torch_only_mode, use_compiled
from neurofab.crossbar import AnalogTile, TileConfig, UpdateConfig
from neurofab.crossbar.io import IOConfig, analog_mvm
from neurofab.devices import ConstantStep, SoftBounds

BACKENDS = ["cpu", "cpu-torch-only"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=BACKENDS)
def backend(request):
    """(torch device, a maker of the block that selects the backend) for one parametrized run."""
    name = request.param
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    def ctx():  # "cpu" runs the compiled kernels even under NEUROFAB_TORCH_ONLY=1
        return torch_only_mode(name == "cpu-torch-only") if name != "cuda" else contextlib.nullcontext()

    yield torch.device("cuda" if name == "cuda" else "cpu"), ctx
    torch.set_num_threads(before)


def _stats_close(a: torch.Tensor, b: torch.Tensor, k: float = 4.5) -> None:
    """Samples along dim 0: each mean within k standard errors of the difference; the variance pooled over the
    elements within 10 % (its relative standard error is about sqrt(2/n)/sqrt(elements) ≈ 2 % here)."""
    a, b = a.double().cpu(), b.double().cpu()
    se = (a.var(0) / a.shape[0] + b.var(0) / b.shape[0]).sqrt()
    z = (a.mean(0) - b.mean(0)).abs() / se.clamp(min=1e-12)
    assert float(z.max()) < k, f"means differ by {float(z.max()):.2f} standard errors"
    va, vb = float(a.var(0).mean()), float(b.var(0).mean())
    assert abs(va - vb) <= 0.1 * vb, f"pooled variances {va:.3g} and {vb:.3g} differ by more than 10 %"


def test_the_switch_follows_the_environment_and_the_block(monkeypatch):
    cpu = torch.zeros(1)
    monkeypatch.delenv("NEUROFAB_TORCH_ONLY", raising=False)
    assert not torch_only() and use_compiled(cpu)
    monkeypatch.setenv("NEUROFAB_TORCH_ONLY", "1")
    assert torch_only() and not use_compiled(cpu)
    with torch_only_mode(False):
        assert use_compiled(cpu)
    assert torch_only()
    monkeypatch.setenv("NEUROFAB_TORCH_ONLY", "0")
    with torch_only_mode():
        assert not use_compiled(cpu)
    assert use_compiled(cpu) and not use_compiled(cpu, torch.zeros(1, device="meta"))
    with pytest.raises(InputTypeError):
        set_torch_only("yes")


def test_deterministic_periphery_and_expected_update_agree_exactly(backend):
    device, ctx = backend
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(20, 30, generator=gen) * 0.3
    x = torch.randn(64, 30, generator=gen)
    d = torch.randn(64, 20, generator=gen) * 0.1
    io = IOConfig(out_noise=0.0)  # DAC, ADC, noise and bound management: no random draw
    with torch_only_mode(False):
        ref = analog_mvm(w, x, io, torch.Generator().manual_seed(1))
    with ctx():
        got = analog_mvm(w.to(device), x.to(device), io, torch.Generator(device).manual_seed(1))
    assert got.device.type == device.type
    torch.testing.assert_close(got.cpu(), ref, atol=0, rtol=0)
    cfg = TileConfig(device=SoftBounds(dw_min_std=0.0), update=UpdateConfig(mode="expected"))
    tiles = [AnalogTile(20, 30, cfg, seed=3), AnalogTile(20, 30, cfg, seed=3).to(device)]
    with torch_only_mode(False):
        tiles[0].update(x, d, 0.05)
    with ctx():
        tiles[1].update(x.to(device), d.to(device), 0.05)
    torch.testing.assert_close(tiles[1].get_weights().cpu(), tiles[0].get_weights(), atol=1e-6, rtol=1e-5)


def _pulsed_changes(device: torch.device, ctx, repeats: int) -> torch.Tensor:
    dev = ConstantStep(dw_min=0.01, dw_min_dtod=0.0, dw_min_std=0.3, up_down_dtod=0.0, w_min_dtod=0.0,
                       w_max_dtod=0.0)
    cfg = TileConfig(device=dev, update=UpdateConfig(desired_bl=15))
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(4, 8, generator=gen).to(device)
    d = (torch.randn(4, 6, generator=gen) * 0.2).to(device)
    out = []
    with ctx():
        for k in range(repeats):
            tile = AnalogTile(6, 8, cfg, seed=100 + k).to(device)
            tile.set_weights(torch.zeros(6, 8, device=device))
            tile.update(x, d, 0.1)
            out.append(tile.get_weights().flatten().cpu())
    return torch.stack(out)


def test_stochastic_pulsed_update_agrees_in_distribution(backend):
    device, ctx = backend
    ref = _pulsed_changes(torch.device("cpu"), lambda: torch_only_mode(False), 150)
    got = _pulsed_changes(device, ctx, 150)
    with ctx():
        fallback = not use_compiled(torch.zeros(1, device=device))
    assert fallback == (not torch.equal(ref, got))  # the fallback draws other random numbers: it did run
    _stats_close(got, ref)


def test_read_noise_of_a_programmed_pcm_layer_agrees_in_distribution(backend):
    device, ctx = backend
    layer = InferenceLinear(16, 5, config=InferenceConfig(), seed=2).eval()
    program(nn.Sequential(layer), seed=4)
    drift_to(nn.Sequential(layer), 3600.0, seed=5)
    x = torch.rand(1, 16, generator=torch.Generator().manual_seed(6)).expand(600, 16).contiguous()
    with torch.no_grad(), torch_only_mode(False):
        ref = layer(x)
        moved = layer.to(device)
        with ctx():
            got = moved(x.to(device))
    assert got.device.type == device.type
    _stats_close(got, ref)


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.up = nn.ConvTranspose1d(3, 2, 2, stride=2)
        self.attn = nn.MultiheadAttention(2, 1, batch_first=True)
        self.lstm = nn.LSTM(2, 4, batch_first=True)
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(torch.relu(self.conv(x))).transpose(1, 2)  # (B, T, 2)
        h = h + self.attn(h, h, h, need_weights=False)[0]
        return self.head(self.lstm(h)[0][:, -1])


def test_every_layer_kind_trains_and_infers_on_the_device(backend):
    device, ctx = backend
    torch.manual_seed(0)
    net = _Net()
    x, y = torch.randn(6, 2, 8), torch.randint(0, 3, (6,))
    with ctx():
        ana = convert_to_analog(net, TileConfig(), seed=1).to(device)
        opt = AnalogSGD(ana.parameters(), lr=0.1)
        before = ana.head.get_weights().clone()
        for _ in range(2):
            opt.zero_grad()
            nn.functional.cross_entropy(ana(x.to(device)), y.to(device)).backward()
            opt.step()
        assert ana.head.get_weights().device.type == device.type
        assert float((ana.head.get_weights() - before).abs().max()) > 0
        inf = convert_to_inference(net, InferenceConfig(), seed=2).to(device)
        hwa = torch.optim.SGD(inf.parameters(), lr=0.01)  # hardware-aware training: weight noise, periphery
        nn.functional.cross_entropy(inf(x.to(device)), y.to(device)).backward()
        hwa.step()
        inf.eval()
        program(inf, seed=3)
        drift_to(inf, 86400.0, seed=4)
        out = inf(x.to(device))
        assert out.device.type == device.type and out.shape == (6, 3) and bool(torch.isfinite(out).all())


def test_tensors_on_two_devices_raise_a_clear_error():
    from neurofab.analog import AnalogLinear, AnalogLSTM

    meta = torch.zeros(2, 4, device="meta")
    with pytest.raises(InputTypeError, match="input on meta but its tiles on cpu"):
        AnalogLinear(4, 3)(meta)
    with pytest.raises(InputTypeError, match="input on meta but its weights on cpu"):
        InferenceLinear(4, 3)(meta)
    with pytest.raises(InputTypeError, match="initial state on cpu but input on meta"):
        AnalogLSTM(4, 3)(torch.zeros(5, 2, 4, device="meta"), (torch.zeros(1, 2, 3), torch.zeros(1, 2, 3)))
