"""Writes ``snntorch_alpha.npz`` for tests/spiking/test_snntorch_alpha_alif.py (run by hand with snnTorch installed;
never imported by the tests):

    <snntorch python> tests/data/snntorch_alpha/make_reference.py

For snnTorch's ``Alpha`` (reset_mechanism "subtract" and "zero"), float64, a per-neuron excitatory decay α (fixed:
snnTorch 1.0 cannot construct ``Alpha(learn_alpha=True)``), a learnable per-neuron inhibitory decay β and a learnable
threshold, fast-sigmoid surrogate (slope 25), it steps a fixed random input over T steps and saves, per case, the
spikes, membrane and both currents of every step and the gradients of L = Σ_t Σ w_t s_t (a fixed random weighting)
with respect to the input, β and θ. Versions used: snnTorch 1.0.0, torch 2.13 (CPU).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate

HERE = Path(__file__).resolve().parent
T, BATCH, N = 40, 3, 6
THRESHOLD = 0.375  # exact in float32: snnTorch multiplies it by its float32 reset


def main() -> None:
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(17)
    out: dict[str, np.ndarray] = {}
    x0 = torch.rand(T, BATCH, N, generator=g) * 1.2 - 0.1
    w = torch.randn(T, BATCH, N, generator=g)
    alpha0 = torch.rand(N, generator=g) * 0.15 + 0.8
    beta0 = torch.rand(N, generator=g) * 0.4 + 0.3
    out.update(input=x0.numpy(), weight=w.numpy(), alpha=alpha0.numpy(), beta=beta0.numpy(),
               threshold=np.array(THRESHOLD))
    for reset in ("subtract", "zero"):
        neuron = snn.Alpha(alpha=alpha0.clone(), beta=beta0.clone(), threshold=THRESHOLD,
                           spike_grad=surrogate.fast_sigmoid(slope=25), learn_beta=True, learn_threshold=True,
                           reset_mechanism=reset)
        x = x0.clone().requires_grad_(True)
        syn_exc, syn_inh, mem = neuron.reset_mem()
        spk_all, mem_all, exc_all, inh_all = [], [], [], []
        for t in range(T):
            spk, syn_exc, syn_inh, mem = neuron(x[t], syn_exc, syn_inh, mem)
            spk_all.append(spk)
            mem_all.append(mem)
            exc_all.append(syn_exc)
            inh_all.append(syn_inh)
        spikes = torch.stack(spk_all)
        (spikes * w).sum().backward()
        out[f"{reset}_spikes"] = spikes.detach().numpy()
        out[f"{reset}_mem"] = torch.stack(mem_all).detach().numpy()
        out[f"{reset}_exc"] = torch.stack(exc_all).detach().numpy()
        out[f"{reset}_inh"] = torch.stack(inh_all).detach().numpy()
        out[f"{reset}_grad_x"] = x.grad.numpy()
        out[f"{reset}_grad_beta"] = neuron.beta.grad.numpy()
        out[f"{reset}_grad_threshold"] = neuron.threshold.grad.numpy()
    np.savez_compressed(HERE / "snntorch_alpha.npz", **out)


if __name__ == "__main__":
    main()
