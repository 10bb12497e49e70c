"""snnTorch's order of operations (``leaky``/``synaptic`` with ``snntorch_compat=True``): spikes, membrane and
gradients of every path (compiled scan, torch autograd, functional steps) against a numpy re-implementation of
snnTorch's Leaky/Synaptic recursion and against arrays written by snnTorch 1.0 itself
(tests/data/snntorch_reset/make_reference.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.core import ConfigError
from neurofab.spiking.layers import (
    LIF,
    SnnTorchLIFConfig,
    SteppedLIFConfig,
    leaky,
    lif_scan,
    neuron_constants,
    param_scan,
    synaptic,
)
from neurofab.spiking.leaky_scan import fused_leaky_scan
from neurofab.spiking.neuron_layers import RLeaky, RSynaptic, Synaptic, leaky_step, rest_state, synaptic_step
from neurofab.spiking.surrogate import surrogate

F64 = torch.float64
#: snnTorch's spikes are float32 even for float64 input (its Heaviside ends in ``.float()``), so the gradients it
#: writes pass through float32 (relative rounding ≈ 6e-8 per operation, over T = 40 steps): compared to ours at
GRAD_TOL = {"rtol": 1e-5, "atol": 1e-6}
REF = Path(__file__).resolve().parents[1] / "data" / "snntorch_reset" / "snntorch_reset.npz"
CASES = [(kind, reset) for kind in ("leaky", "synaptic") for reset in ("subtract", "zero")]
SG = surrogate("fast_sigmoid", slope=25.0)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(REF) as f:
        return dict(f)


def snn_numpy(x: np.ndarray, beta, theta: float, alpha: float | None, reset: str,
              mem0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """snnTorch 1.0's Leaky (``alpha`` None) / Synaptic with reset_delay=True, written out in numpy: the reset of
    step t is H(mem_{t−1} − θ) (strict >, as its spike); subtract: mem = β mem + d − θ r; zero: Leaky
    mem = β (1 − r) mem + x, Synaptic mem = (1 − r)(β mem + syn) with syn = α syn + x."""
    mem, syn = (np.zeros(x.shape[1:]) if mem0 is None else mem0.copy()), np.zeros(x.shape[1:])
    spikes, mems = [], []
    for t in range(x.shape[0]):
        r = (mem - theta > 0).astype(float)
        d = x[t] if alpha is None else (syn := alpha * syn + x[t])
        if reset == "subtract":
            mem = beta * mem + d - r * theta
        else:
            mem = beta * (1 - r) * mem + d if alpha is None else (1 - r) * (beta * mem + d)
        spikes.append((mem - theta > 0).astype(float))
        mems.append(mem)
    return np.stack(spikes), np.stack(mems)


def _config(kind: str, reset: str, beta: float, alpha: float) -> SteppedLIFConfig:
    if kind == "leaky":
        return leaky(beta, reset=reset, snntorch_compat=True)
    return synaptic(alpha, beta, reset=reset, snntorch_compat=True)


def _layer(kind: str, reset: str, beta0: torch.Tensor, theta: float, alpha: float):
    """A learnable-β/θ (one per neuron) layer in float64 set to ``beta0`` and ``theta``."""
    cfg = _config(kind, reset, 0.5, alpha)
    n = beta0.numel()
    layer = (LIF(cfg, learn_beta=True, learn_threshold=True, param_shape=(n,)) if kind == "leaky"
             else Synaptic(cfg, learn_beta=True, learn_threshold=True, param_shape=(n,))).double()
    with torch.no_grad():  # float64 values (a float32 buffer made float64 keeps its float32 rounding)
        layer.beta.copy_(beta0)
        layer.threshold.fill_(theta)
        if kind == "synaptic":
            layer.alpha.fill_(alpha)
    return layer


@pytest.mark.parametrize("kind,reset", CASES)
def test_numpy_recursion_is_snntorchs(ref, kind, reset):
    """The numpy re-implementation gives snnTorch's own spikes and membrane (so the other tests pin our layers
    to snnTorch's recursion)."""
    alpha = float(ref["alpha"]) if kind == "synaptic" else None
    spikes, mem = snn_numpy(ref["input"], ref["beta"], float(ref["threshold"]), alpha, reset)
    np.testing.assert_array_equal(spikes, ref[f"{kind}_{reset}_spikes"])
    np.testing.assert_allclose(mem, ref[f"{kind}_{reset}_mem"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind,reset", CASES)
def test_layer_matches_snntorch(ref, kind, reset):
    """Compiled-scan layers (learnable β per neuron and θ): spikes, final membrane and the gradients of
    Σ w·s with respect to input, β and θ equal snnTorch's."""
    key = f"{kind}_{reset}"
    layer = _layer(kind, reset, torch.as_tensor(ref["beta"]), float(ref["threshold"]), float(ref["alpha"]))
    x = torch.as_tensor(ref["input"]).clone().requires_grad_(True)
    spikes, state = layer.run(x)
    np.testing.assert_array_equal(spikes.detach().numpy(), ref[f"{key}_spikes"])
    np.testing.assert_allclose(state.u.detach().numpy(), ref[f"{key}_mem"][-1], rtol=0, atol=1e-12)
    (spikes * torch.as_tensor(ref["weight"])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref[f"{key}_grad_x"], **GRAD_TOL)
    np.testing.assert_allclose(layer.beta.grad.numpy(), ref[f"{key}_grad_beta"], **GRAD_TOL)
    np.testing.assert_allclose(layer.threshold.grad.sum().item(), ref[f"{key}_grad_threshold"], **GRAD_TOL)


@pytest.mark.parametrize("kind,reset", CASES)
def test_torch_paths_match_snntorch(ref, kind, reset):
    """The torch-autograd paths (param_scan; Synaptic's step loop, as on a non-CPU device; RLeaky/RSynaptic with
    no feedback) give snnTorch's spikes and gradients."""
    key = f"{kind}_{reset}"
    cfg = _config(kind, reset, 0.5, float(ref["alpha"]))
    beta = torch.as_tensor(ref["beta"]).clone().requires_grad_(True)
    theta = torch.full((ref["beta"].size,), float(ref["threshold"]), dtype=F64, requires_grad=True)
    x = torch.as_tensor(ref["input"]).clone().requires_grad_(True)
    if kind == "leaky":
        spikes, state = param_scan(x, neuron_constants(cfg, 1e-3), beta, theta, SG)
        mem = state.u
    else:
        st_ = rest_state(x[0])
        out = []
        for t in range(x.shape[0]):
            st_ = synaptic_step(st_, x[t], float(ref["alpha"]), beta, theta, SG, reset_zero=reset == "zero",
                                snntorch=True)
            out.append(st_.s)
        spikes, mem = torch.stack(out), st_.u
    np.testing.assert_array_equal(spikes.detach().numpy(), ref[f"{key}_spikes"])
    np.testing.assert_allclose(mem.detach().numpy(), ref[f"{key}_mem"][-1], rtol=0, atol=1e-12)
    (spikes * torch.as_tensor(ref["weight"])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref[f"{key}_grad_x"], **GRAD_TOL)
    np.testing.assert_allclose(beta.grad.numpy(), ref[f"{key}_grad_beta"], **GRAD_TOL)
    np.testing.assert_allclose(theta.grad.sum().item(), ref[f"{key}_grad_threshold"], **GRAD_TOL)
    rec = (RLeaky(6, cfg, all_to_all=False, v=0.0, learn_recurrent=False) if kind == "leaky"
           else RSynaptic(6, cfg, all_to_all=False, v=0.0, learn_recurrent=False)).double()
    with torch.no_grad():
        rec.beta.fill_(0.55)
        rec.threshold.fill_(float(ref["threshold"]))
        if kind == "synaptic":
            rec.alpha.fill_(float(ref["alpha"]))
    want, _ = snn_numpy(ref["input"], 0.55, float(ref["threshold"]),
                        float(ref["alpha"]) if kind == "synaptic" else None, reset)
    np.testing.assert_array_equal(rec(torch.as_tensor(ref["input"])).numpy(), want)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(("leaky", "synaptic")),
       reset=st.sampled_from(("subtract", "zero")), per_neuron=st.booleans(), steps=st.integers(1, 30))
def test_all_paths_agree_with_numpy(seed, kind, reset, per_neuron, steps):
    """Random inputs, β (per layer or per neuron) and θ: every path's spikes and final membrane equal the numpy
    recursion, and the compiled scan's gradients equal torch autograd through the step loop."""
    g = torch.Generator().manual_seed(seed)
    n, alpha = 5, 0.7
    x = torch.rand(steps, 3, n, generator=g, dtype=F64) * 1.5 - 0.2
    beta = (torch.rand(n if per_neuron else (), generator=g, dtype=F64) * 0.9 + 0.05)
    theta = float(torch.rand((), generator=g, dtype=F64)) * 0.8 + 0.4
    want_s, want_m = snn_numpy(x.numpy(), beta.numpy(), theta, alpha if kind == "synaptic" else None, reset)
    w = torch.randn(x.shape, generator=g, dtype=F64)
    cfg = _config(kind, reset, 0.5, alpha)
    results = []
    for path in ("kernel", "torch"):
        b = beta.clone().requires_grad_(True)
        th = torch.tensor(theta, dtype=F64, requires_grad=True)
        xx = x.clone().requires_grad_(True)
        if kind == "leaky":
            if path == "kernel":
                s, m = fused_leaky_scan(xx, b, th, torch.zeros_like(x[0]), SG, reset == "zero", True, "leaky")
            else:
                s, state = param_scan(xx, neuron_constants(cfg, 1e-3), b, th, SG)
                m = state.u
        else:
            j = torch.zeros_like(x[0])
            if path == "kernel":
                drive = torch.stack([j := alpha * j + xx[t] for t in range(steps)])
                s, m = fused_leaky_scan(drive, b, th, torch.zeros_like(x[0]), SG, reset == "zero", True, "synaptic")
            else:
                st_, out = rest_state(x[0]), []
                for t in range(steps):
                    st_ = synaptic_step(st_, xx[t], alpha, b, th, SG, reset_zero=reset == "zero", snntorch=True)
                    out.append(st_.s)
                s, m = torch.stack(out), st_.u
        np.testing.assert_array_equal(s.detach().numpy(), want_s)
        np.testing.assert_allclose(m.detach().numpy(), want_m[-1], rtol=0, atol=1e-12)
        (s * w).sum().backward()
        results.append((xx.grad, b.grad, th.grad))
    for got, expect in zip(results[0], results[1]):
        torch.testing.assert_close(got, expect, rtol=1e-10, atol=1e-12)


def test_leaky_paths_and_state_carry():
    """Non-learnable LIF (compiled), ``mode="step"`` and lif_scan give the numpy spikes; running in two halves
    with the state carried gives the same as one run (the state is snnTorch's mem, before the reset)."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(24, 2, 7, generator=g, dtype=F64) * 1.4
    for reset in ("subtract", "zero"):
        cfg = leaky(0.6, reset=reset, snntorch_compat=True)
        want, mem = snn_numpy(x.numpy(), 0.6, 1.0, None, reset)
        for layer in (LIF(cfg), LIF(cfg, mode="step")):
            s, st_ = layer.run(x)
            np.testing.assert_array_equal(s.numpy(), want)
            np.testing.assert_allclose(st_.u.numpy(), mem[-1], atol=1e-12)
            s1, st1 = layer.run(x[:10])
            s2, _ = layer.run(x[10:], st1)
            np.testing.assert_array_equal(torch.cat([s1, s2]).numpy(), want)
        s, _ = lif_scan(x, neuron_constants(cfg, 1e-3))
        np.testing.assert_array_equal(s.numpy(), want)


def test_reset_after_decay_closed_form():
    """One spike from m = 1.2 (θ 1, β 0.5), then no input: snnTorch's order gives β m − θ = −0.4, ours
    β (m − θ) = 0.1 (both resets to zero give 0)."""
    x = torch.tensor([[1.2], [0.0]], dtype=F64)[:, :, None]
    _, compat = LIF(leaky(0.5, snntorch_compat=True)).run(x)
    _, ours = LIF(leaky(0.5)).run(x)
    assert compat.u.item() == pytest.approx(-0.4, abs=1e-12)
    assert ours.u.item() == pytest.approx(0.1, abs=1e-12)
    u = leaky_step(rest_state(x[0]), x[0], 0.5, 1.0, SG, snntorch=True)
    assert leaky_step(u, x[1], 0.5, 1.0, SG, snntorch=True).u.item() == pytest.approx(-0.4, abs=1e-12)


def test_bad_input():
    """An attached reset or a refractory period with snnTorch's order is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="detach_reset"):
        LIF(leaky(0.9, snntorch_compat=True), detach_reset=False)
    with pytest.raises(ConfigError, match="detach_reset"):
        Synaptic(synaptic(0.5, 0.9, snntorch_compat=True), detach_reset=False)
    with pytest.raises(ConfigError, match="snntorch_compat"):
        SnnTorchLIFConfig(tau_m=0.02, v_rest=0.0, v_reset=0.0, v_th=1.0, t_ref=2e-3, dt=1e-3)
    with pytest.raises(ConfigError, match="detach_reset"):
        param_scan(torch.ones(3, 1, 1), neuron_constants(leaky(0.9, snntorch_compat=True), 1e-3), None, None,
                   detach_reset=False)


def test_nir_round_trip_keeps_the_order(tmp_path):
    """A network of snnTorch-order neurons exported to NIR and read back runs the same spikes (the order travels
    in our metadata); strict export refuses it (NIR nodes cannot say it)."""
    from torch import nn

    from neurofab.spiking.layers import SpikingSequential
    from neurofab.spiking.nir_io import from_nir, read_nir, to_nir, write_nir

    torch.manual_seed(0)
    net = SpikingSequential(nn.Linear(4, 5), LIF(leaky(0.6, snntorch_compat=True)))
    x = torch.rand(20, 2, 4) * 2
    write_nir(net, tmp_path / "net.nir", (4,))
    back = from_nir(read_nir(tmp_path / "net.nir"))
    assert back[1].consts.snntorch
    with torch.no_grad():
        torch.testing.assert_close(back(x), net(x))
    with pytest.raises(ConfigError, match="snnTorch"):
        to_nir(net, (4,), strict=True)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_fixed_beta_kernel_gradients(reset):
    """A LIF with fixed β and θ in snnTorch's order (the compiled LIF scan of train_kernels): spikes and the input
    gradient equal torch autograd through param_scan (float64), with an initial membrane above threshold."""
    g = torch.Generator().manual_seed(5)
    cfg = leaky(0.7, reset=reset, snntorch_compat=True)
    consts = neuron_constants(cfg, 1e-3)
    x = torch.rand(30, 4, 9, generator=g, dtype=F64) * 1.3 - 0.1
    w = torch.randn(x.shape, generator=g, dtype=F64)
    u0 = torch.rand(4, 9, generator=g, dtype=F64) * 2.0
    state = LIF(cfg).run(x[:1].clone())[1]._replace(u=u0)
    grads = []
    for run in (lambda v: lif_scan(v, consts, SG, state=state),
                lambda v: param_scan(v, consts, None, None, SG, state=state)):
        xx = x.clone().requires_grad_(True)
        s, st_ = run(xx)
        (s * w).sum().backward()
        grads.append((s.detach(), st_.u.detach(), xx.grad))
    want_s, want_m = snn_numpy(x.numpy(), 0.7, 1.0, None, reset, u0.numpy())
    np.testing.assert_array_equal(grads[0][0].numpy(), want_s)
    np.testing.assert_allclose(grads[0][1].numpy(), want_m[-1], rtol=0, atol=1e-12)
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=0, atol=0)
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grads[0][2], grads[1][2], rtol=1e-10, atol=1e-12)
