"""A winner-take-all circuit with compound memristive synapses learning clusters by STDP (Bill & Legenstein 2014;
the review, seed 001 l. 4836–4851).

Each synapse is M binary memristors; its weight is W = ω m with m ∈ {0 … M} devices ON and ω = W_max / M. The
output layer is a stochastic WTA: one output spikes per input presentation, drawn from

    P(Z_k = 1 | y) = softmax(u)_k,   u_k = b_k + Σ_i W_ki y_i.

When output k spikes, every synapse onto it sees STDP: an active input (y_i = 1, pre before post) switches each OFF
device ON with probability π_up; an inactive input switches each ON device OFF with probability π_down. On average

    ⟨Δm_ki⟩ = (M − m_ki) π_up y_i − m_ki π_down (1 − y_i)      (the review's ⟨dW/dt⟩ with S_k the spike of k)

so m_ki/M relaxes toward π_up P(y_i = 1 | k) / [π_up P(y_i = 1 | k) + π_down P(y_i = 0 | k)]: each output learns
one mixture component of the inputs. A homeostatic bias (b_k += η (1/K − S_k)) keeps every output in use.
Binary inputs are coded as [y, 1 − y] so absent pixels are evidence too.
Events: ``write_pulse`` per device switched, ``spike`` per output spike, ``synop`` per active input delivered.
"""

from __future__ import annotations

import torch
from pydantic import Field

from neurofab.core import Config, DataError, Seed, make_generator, record


class WTAConfig(Config):
    """Compound-synapse WTA settings."""

    n_outputs: int = Field(20, ge=2, description="WTA output neurons K [1]")
    devices: int = Field(4, ge=1, description="binary memristors per synapse M [1]")
    w_max: float = Field(1.0, gt=0, description="weight of a synapse with all M devices ON (ω M) [1]")
    p_up: float = Field(0.05, gt=0, le=1, description="per-device ON switching probability π_up per STDP event [1]")
    p_down: float = Field(0.05, gt=0, le=1, description="per-device OFF switching probability π_down [1]")
    epochs: int = Field(3, ge=1, description="passes over the training inputs [1]")
    bias_rate: float = Field(0.3, ge=0, description="homeostatic bias step: b_k += rate (1/K − S_k) per input [1]")


class CompoundWTA:
    """Device counts ``m`` (K, D) in {0 … M}; :meth:`fit` learns online, :meth:`winners` reads out."""

    def __init__(self, n_inputs: int, config: WTAConfig | None = None, seed: Seed = 0) -> None:
        self.config = config or WTAConfig()
        if n_inputs < 1:
            raise DataError(f"CompoundWTA: n_inputs must be ≥ 1, got {n_inputs}")
        self.gen = make_generator(seed)
        c = self.config
        self.m = torch.randint(0, c.devices + 1, (c.n_outputs, 2 * n_inputs), generator=self.gen)
        self.bias = torch.zeros(c.n_outputs)

    @property
    def weights(self) -> torch.Tensor:
        return self.m.float() * (self.config.w_max / self.config.devices)

    @staticmethod
    def code(y: torch.Tensor) -> torch.Tensor:
        """[y, 1 − y] for binary inputs (N, D) → (N, 2D)."""
        if not ((y == 0) | (y == 1)).all():
            raise DataError("CompoundWTA: inputs must be binary (0 or 1)")
        yf = y.float()
        return torch.cat([yf, 1 - yf], 1)

    def potentials(self, y: torch.Tensor) -> torch.Tensor:
        return self.code(y) @ self.weights.T + self.bias

    def fit(self, y: torch.Tensor) -> CompoundWTA:
        """Online STDP over ``epochs`` shuffled passes of binary inputs ``y`` (N, D)."""
        c = self.config
        x = self.code(y)
        for _ in range(c.epochs):
            for n in torch.randperm(len(x), generator=self.gen).tolist():
                xi = x[n]
                u = self.weights @ xi + self.bias
                k = int(torch.multinomial(torch.softmax(u, 0), 1, generator=self.gen))
                row = self.m[k]
                r = torch.rand(2, row.shape[0], c.devices, generator=self.gen)
                ar = torch.arange(c.devices)[None, :]
                on = ((r[0] < c.p_up) & (ar >= row[:, None])).sum(1)  # OFF devices switching ON
                off = ((r[1] < c.p_down) & (ar < row[:, None])).sum(1)  # ON devices switching OFF
                active = xi > 0
                delta = torch.where(active, on, -off)
                self.m[k] = row + delta
                self.bias += c.bias_rate / c.n_outputs
                self.bias[k] -= c.bias_rate
                record("spike", 1)
                record("synop", int(active.sum()))
                record("write_pulse", int(delta.abs().sum()))
        return self

    def held_by(self, devices: int, stochastic: bool = True, seed: Seed = 0) -> CompoundWTA:
        """The learned state with ``devices`` binary memristors per synapse instead of M, same settings otherwise.

        Each device of a compound synapse is an independent two-state chain, so at the STDP fixed point the count of
        ON devices is Binomial(M, q) with q ≈ m/M: ``stochastic`` draws m' ~ Binomial(devices, m/M) (what ``devices``
        devices in the same state would hold); otherwise m' = round(devices · m/M) (the resolution alone, no
        switching noise). The bias is kept."""
        config = self.config.replace(devices=devices)  # validates: ConfigError naming 'devices'
        out = CompoundWTA.__new__(CompoundWTA)
        out.config = config
        out.gen = make_generator(seed)
        q = self.m.double() / self.config.devices
        if stochastic:
            out.m = torch.binomial(torch.full_like(q, float(devices)), q, generator=out.gen).long()
        else:
            out.m = torch.round(q * devices).long()
        out.bias = self.bias.clone()
        return out

    def winners(self, y: torch.Tensor, sample: bool = False) -> torch.Tensor:
        """The winning output per input: argmax of u, or a softmax draw with ``sample``."""
        u = self.potentials(y)
        if sample:
            return torch.multinomial(torch.softmax(u, 1), 1, generator=self.gen).squeeze(1)
        return u.argmax(1)


def purity(assign_train: torch.Tensor, labels_train: torch.Tensor, assign_test: torch.Tensor,
           labels_test: torch.Tensor, n_outputs: int) -> float:
    """Label each output by the majority label of the training inputs it wins; the fraction of test inputs whose
    winner's label is theirs."""
    n_labels = int(torch.cat([labels_train, labels_test]).max()) + 1
    table = torch.zeros(n_outputs, n_labels).index_put_((assign_train, labels_train), torch.ones(len(labels_train)),
                                                        accumulate=True)
    label_of = table.argmax(1)
    return (label_of[assign_test] == labels_test).float().mean().item()
