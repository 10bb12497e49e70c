"""Writes ``snntorch_reset.npz`` for tests/spiking/test_snntorch_reset.py (run by hand with snnTorch installed;
never imported by the tests):

    <snntorch python> tests/data/snntorch_reset/make_reference.py

For snnTorch's ``Leaky`` and ``Synaptic`` (defaults: reset_delay=True, reset_mechanism "subtract" and "zero"),
float64, learnable β (one per neuron) and threshold, fast-sigmoid surrogate (slope 25), it steps a fixed random
input over T steps and saves, per case, the spikes and membrane of every step and the gradients of
L = Σ_t Σ w_t s_t (a fixed random weighting) with respect to the input, β and θ. Versions used: snnTorch 1.0.0,
torch 2.13 (CPU).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate

HERE = Path(__file__).resolve().parent
T, BATCH, N = 40, 3, 6
ALPHA, THRESHOLD = 0.6, 0.875  # θ exact in float32: snnTorch multiplies it by its float32 reset


def main() -> None:
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(11)
    out: dict[str, np.ndarray] = {}
    x0 = torch.rand(T, BATCH, N, generator=g) * 1.2 - 0.1
    w = torch.randn(T, BATCH, N, generator=g)
    beta0 = torch.rand(N, generator=g) * 0.6 + 0.3
    out.update(input=x0.numpy(), weight=w.numpy(), beta=beta0.numpy(), alpha=np.array(ALPHA),
               threshold=np.array(THRESHOLD))
    for kind in ("leaky", "synaptic"):
        for reset in ("subtract", "zero"):
            sg = surrogate.fast_sigmoid(slope=25)
            common = dict(beta=beta0.clone(), threshold=THRESHOLD, spike_grad=sg, learn_beta=True,
                          learn_threshold=True, reset_mechanism=reset)
            neuron = snn.Leaky(**common) if kind == "leaky" else snn.Synaptic(alpha=ALPHA, **common)
            x = x0.clone().requires_grad_(True)
            spk_all, mem_all = [], []
            if kind == "leaky":
                mem = neuron.init_leaky()
                for t in range(T):
                    spk, mem = neuron(x[t], mem)
                    spk_all.append(spk)
                    mem_all.append(mem)
            else:
                syn, mem = neuron.init_synaptic()
                for t in range(T):
                    spk, syn, mem = neuron(x[t], syn, mem)
                    spk_all.append(spk)
                    mem_all.append(mem)
            spikes, mems = torch.stack(spk_all), torch.stack(mem_all)
            (spikes * w).sum().backward()
            key = f"{kind}_{reset}"
            out[f"{key}_spikes"] = spikes.detach().numpy()
            out[f"{key}_mem"] = mems.detach().numpy()
            out[f"{key}_grad_x"] = x.grad.numpy()
            out[f"{key}_grad_beta"] = neuron.beta.grad.numpy()
            out[f"{key}_grad_threshold"] = neuron.threshold.grad.numpy()
    np.savez_compressed(HERE / "snntorch_reset.npz", **out)


if __name__ == "__main__":
    main()
