"""Equilibrium propagation on convergent networks with a primitive function Φ (Laborieux et al. 2021, seed 001).

A layered network with static input x = s⁰ and state layers s¹ … sᴸ (each in [0, 1]) has the primitive (Eq. 7,
fully connected part)

    Φ(x, s) = Σₙ sⁿᵀ Wₙ sⁿ⁻¹ + Σₙ bₙᵀ sⁿ

and the dynamics (Eqs. 1, 8) s_{t+1} = σ(∂Φ/∂s(x, s_t)), i.e. sⁿ ← σ(Wₙ sⁿ⁻¹ + W_{n+1}ᵀ sⁿ⁺¹ + bₙ), all layers
updated together from s_t. σ bounds the state to [0, 1]: ``"hard"`` is clamp(u, 0, 1), ``"sigmoid"`` is
1/(1 + e^{−4(u − ½)}). A fixed point s = σ(∂Φ/∂s) is a stationary point of Φ(s) − Σ G(s) with G′ = σ⁻¹ (for the
clamp: of Φ − ½‖s‖² on the box [0, 1]); G does not depend on θ, so ∂Φ/∂θ is all the estimators need.

Two losses (section 3.2): squared error (Eq. 15) with the output ŷ = sᴸ in the state, nudged by β(y − ŷ) (Eq. 16);
cross-entropy (Eq. 18) with a softmax read-out ŷ = softmax(w_out sᴸ + b_out) outside the state, nudged by
β w_outᵀ(y − ŷ) (Eq. 19). The nudge enters σ's argument (s = σ(∂/∂s[Φ − βℓ])).

Phases: the free phase runs T steps from the zero state to s_*; each nudged phase runs K steps from s_* with ±β.
Estimators (all returned as estimates of ∂L*/∂θ, the *descent* gradient, i.e. −∇̂ of the paper):

- ``one_sided``: Eq. 4, (1/β)[∂Φ/∂θ(s^β_*) − ∂Φ/∂θ(s_*)];
- ``random_sign``: Eq. 4 with the sign of β drawn per batch (E[β] = 0, section 3.1);
- ``symmetric``: Eq. 12, (1/2β)[∂Φ/∂θ(s^β_*) − ∂Φ/∂θ(s^{−β}_*)];
- with distinct backward weights Bₙ (sⁿ⁻¹ receives Bₙᵀ sⁿ): ``vf_sym`` (Eq. 10 made symmetric:
  (1/2β) ∂F/∂θᵀ(s_*)·(s^β_* − s^{−β}_*)) and ``kp_vf_sym`` (Eqs. 20–21: both directions get the same update, with
  weight decay on both, applied by the optimizer). ∂F/∂θ is taken through σ's argument (σ′ dropped), as in the
  local rule of section 2.3.

All phases run under ``torch.no_grad`` with the hand-written ∂Φ/∂θ = sⁿ sⁿ⁻¹ᵀ (batch mean). BPTT
(:func:`bptt_gradient`, :func:`bptt_truncated`) differentiates the same :meth:`ConvergentNet.step` with autograd.
Matrices may be :class:`~neurofab.crossbar.AnalogTile` objects: W s runs as ``tile.forward`` and Wᵀ s as
``tile.backward`` (see :mod:`neurofab.learning.ep_train` for the pulsed update).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, ShapeError, make_generator
from neurofab.core.seeding import Seed
from neurofab.crossbar import AnalogTile

__all__ = [
    "ConvergentNet",
    "EPConfig",
    "EPGradient",
    "Phases",
    "bptt_gradient",
    "bptt_truncated",
    "ep_estimate",
    "ep_truncated",
    "grad_cosine",
    "grad_rel_error",
    "run_phases",
]

Estimator = Literal["one_sided", "random_sign", "symmetric", "vf_sym", "kp_vf_sym"]
Loss = Literal["mse", "ce"]
Activation = Literal["hard", "sigmoid"]


class EPConfig(Config):
    """Phases and estimator of one EP gradient (Table 1 of the paper for the CIFAR-10 values)."""

    T: int = Field(30, ge=1, description="free-phase steps (Table 1: 250 for the ConvNet) [steps]")
    K: int = Field(10, ge=1, description="steps of each nudged phase (Table 1: 30 SE / 25 CE) [steps]")
    beta: float = Field(0.5, gt=0, description="nudging strength |β| (Table 1: 0.5 SE / 1.0 CE) [1]")
    estimator: Estimator = Field("symmetric", description="gradient estimate: Eqs. 4, 4 with random sign, 12, 10, 21")
    loss: Loss = Field("mse", description="squared error with the output in the state, or cross-entropy read-out")


def _act(name: str, u: torch.Tensor) -> torch.Tensor:
    if name == "hard":
        return u.clamp(0.0, 1.0)
    return torch.sigmoid(4.0 * (u - 0.5))


def _is_tile(w: object) -> bool:
    return isinstance(w, AnalogTile)


class ConvergentNet:
    """A fully connected convergent network: sizes (n_in, h₁, …, n_out) with Φ of Eq. 7 (module docstring).

    ``params`` maps names to tensors: ``W{n}`` (out, in) and ``b{n}`` for n = 1…L (layer n reads layer n−1),
    ``B{n}`` (same shape as ``W{n}``) when ``unidirectional``, and ``w_out``/``b_out`` for the cross-entropy
    read-out (then the state layers are the hidden ones only and ``sizes[-1]`` is the number of classes).
    """

    def __init__(self, sizes: list[int] | tuple[int, ...], loss: Loss = "mse", activation: Activation = "hard",
                 unidirectional: bool = False, seed: Seed = 0, dtype: torch.dtype = torch.float32) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes) or (loss == "ce" and len(sizes) < 3):
            raise ConfigError(f"sizes = {sizes}: need ≥ 2 positive layer sizes (≥ 3 with the cross-entropy read-out)")
        if loss not in ("mse", "ce") or activation not in ("hard", "sigmoid"):
            raise ConfigError(f"loss = {loss!r} / activation = {activation!r}: loss is mse|ce, activation hard|sigmoid")
        self.sizes, self.loss, self.activation, self.unidirectional = sizes, loss, activation, unidirectional
        gen = make_generator(seed)
        state_sizes = sizes[1:-1] if loss == "ce" else sizes[1:]
        self.state_sizes = state_sizes
        p: dict[str, torch.Tensor] = {}
        fan = [sizes[0], *state_sizes]
        for n in range(1, len(state_sizes) + 1):
            a = 1.0 / math.sqrt(fan[n - 1])
            p[f"W{n}"] = (torch.rand(fan[n], fan[n - 1], generator=gen, dtype=torch.float64) * 2 - 1).mul(a).to(dtype)
            p[f"b{n}"] = (torch.rand(fan[n], generator=gen, dtype=torch.float64) * 2 - 1).mul(a).to(dtype)
        if unidirectional:
            for n in range(2, len(state_sizes) + 1):
                a = 1.0 / math.sqrt(fan[n - 1])
                p[f"B{n}"] = (torch.rand(fan[n], fan[n - 1], generator=gen, dtype=torch.float64) * 2 - 1).mul(a) \
                    .to(dtype)
        if loss == "ce":
            a = 1.0 / math.sqrt(state_sizes[-1])
            p["w_out"] = (torch.rand(sizes[-1], state_sizes[-1], generator=gen, dtype=torch.float64) * 2 - 1) \
                .mul(a).to(dtype)
            p["b_out"] = torch.zeros(sizes[-1], dtype=dtype)
        self.params: dict[str, torch.Tensor | AnalogTile] = dict(p)

    # ----- shapes and helpers -----------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.state_sizes)

    @property
    def dtype(self) -> torch.dtype:
        return self.params["b1"].dtype  # type: ignore[union-attr]

    def tensors(self) -> dict[str, torch.Tensor]:
        """The parameters that are plain tensors (tiles excluded)."""
        return {k: v for k, v in self.params.items() if isinstance(v, torch.Tensor)}

    def check_input(self, x: torch.Tensor, y: torch.Tensor | None = None) -> None:
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ShapeError(f"x: expected (batch, {self.sizes[0]}), got {tuple(x.shape)}")
        if y is not None and (y.dim() != 1 or y.shape[0] != x.shape[0]):
            raise ShapeError(f"y: expected ({x.shape[0]},) class labels, got {tuple(y.shape)}")
        if y is not None and (int(y.min()) < 0 or int(y.max()) >= self.sizes[-1]):
            raise ShapeError(f"y: labels must lie in [0, {self.sizes[-1] - 1}]")

    def zero_state(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, h, dtype=self.dtype) for h in self.state_sizes]

    def _fwd(self, name: str, s: torch.Tensor, p: dict) -> torch.Tensor:
        w = p[name]
        return w.forward(s) if _is_tile(w) else s @ w.T

    def _bwd(self, name: str, s: torch.Tensor, p: dict) -> torch.Tensor:
        w = p[name]
        return w.backward(s) if _is_tile(w) else s @ w

    def readout(self, s: list[torch.Tensor], params: dict | None = None) -> torch.Tensor:
        """The prediction: sᴸ (squared error) or the read-out logits w_out sᴸ + b_out (cross-entropy, Eq. 17)."""
        p = self.params if params is None else params
        if self.loss == "mse":
            return s[-1]
        return self._fwd("w_out", s[-1], p) + p["b_out"]

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(y, self.sizes[-1]).to(self.dtype)

    def loss_value(self, s: list[torch.Tensor], y: torch.Tensor, params: dict | None = None) -> torch.Tensor:
        """ℓ(s, y) averaged over the batch: ½‖ŷ − y‖² (Eq. 15) or the cross-entropy (Eq. 18)."""
        out = self.readout(s, params)
        if self.loss == "mse":
            return 0.5 * ((out - self.targets(y)) ** 2).sum(1).mean()
        return torch.nn.functional.cross_entropy(out, y)

    # ----- Φ and the dynamics ----------------------------------------------------------------------------------
    def phi(self, x: torch.Tensor, s: list[torch.Tensor], params: dict | None = None) -> torch.Tensor:
        """Φ(x, s) of Eq. 7 (fully connected part, with biases), summed over the batch."""
        p = self.params if params is None else params
        below = [x, *s]
        total = torch.zeros((), dtype=x.dtype)
        for n in range(1, self.n_layers + 1):
            total = total + (s[n - 1] * (below[n - 1] @ p[f"W{n}"].T)).sum() + (s[n - 1] * p[f"b{n}"]).sum()
        return total

    def drive(self, x: torch.Tensor, params: dict | None = None) -> torch.Tensor:
        """The static input's share of layer 1's pre-activation, W₁ x + b₁ (computed once per phase)."""
        p = self.params if params is None else params
        return self._fwd("W1", x, p) + p["b1"]

    def preactivation(self, x: torch.Tensor, s: list[torch.Tensor], params: dict | None = None,
                      drive: torch.Tensor | None = None) -> list[torch.Tensor]:
        """∂Φ/∂sⁿ = Wₙ sⁿ⁻¹ + W_{n+1}ᵀ sⁿ⁺¹ + bₙ for every layer (Bₙ₊₁ in place of Wₙ₊₁ when unidirectional);
        ``drive`` is W₁ x + b₁ when already computed (x is static)."""
        p = self.params if params is None else params
        below = [x, *s]
        out = []
        for n in range(1, self.n_layers + 1):
            if n == 1 and drive is not None:
                u = drive
            else:
                u = self._fwd(f"W{n}", below[n - 1], p) + p[f"b{n}"]
            if n < self.n_layers:
                u = u + self._bwd(f"B{n + 1}" if self.unidirectional else f"W{n + 1}", s[n], p)
            out.append(u)
        return out

    def nudge(self, s: list[torch.Tensor], y1h: torch.Tensor, beta: float, params: dict | None = None) -> torch.Tensor:
        """−β ∂ℓ/∂sᴸ: β(y − ŷ) (Eq. 16) or β w_outᵀ(y − softmax(w_out sᴸ + b_out)) (Eq. 19)."""
        p = self.params if params is None else params
        if self.loss == "mse":
            return beta * (y1h - s[-1])
        yhat = torch.softmax(self.readout(s, p), dim=1)
        return beta * self._bwd("w_out", y1h - yhat, p)

    def step(self, x: torch.Tensor, s: list[torch.Tensor], y1h: torch.Tensor | None = None, beta: float = 0.0,
             params: dict | None = None, drive: torch.Tensor | None = None) -> list[torch.Tensor]:
        """One synchronous step s_{t+1} = σ(∂Φ/∂s(x, s_t) − β ∂ℓ/∂s(s_t)) (Eqs. 3, 8, 16, 19)."""
        u = self.preactivation(x, s, params, drive)
        if beta != 0.0:
            assert y1h is not None
            u[-1] = u[-1] + self.nudge(s, y1h, beta, params)
        return [_act(self.activation, v) for v in u]

    def relax(self, x: torch.Tensor, s: list[torch.Tensor], steps: int, y1h: torch.Tensor | None = None,
              beta: float = 0.0) -> tuple[list[torch.Tensor], float]:
        """Run ``steps`` steps without autograd; returns the state and the last step's max |s_{t+1} − s_t|."""
        residual = math.inf
        if type(self) is ConvergentNet and not any(_is_tile(v) for v in self.params.values()):
            return self._relax_dense(x, s, steps, y1h, beta)
        with torch.no_grad():
            drive = self.drive(x)
            for t in range(steps):
                new = self.step(x, s, y1h, beta, drive=drive)
                if t == steps - 1:
                    residual = max(float((a - b).abs().max()) for a, b in zip(new, s))
                s = new
        return s, residual

    def _relax_dense(self, x: torch.Tensor, s: list[torch.Tensor], steps: int, y1h: torch.Tensor | None,
                     beta: float) -> tuple[list[torch.Tensor], float]:
        """:meth:`relax` for digital weights, on the transposed state Sⁿ = sⁿᵀ (neurons × batch).

        σ(a u + c) with a, c folded into scaled copies of the weights once per phase (sigmoid: a = 4, c = −2;
        clamp: a = 1, c = 0; W₁ is scaled inside its one product instead). Each step writes
        σ(aWₙ Sⁿ⁻¹ + (aW_{n+1})ᵀ Sⁿ⁺¹ + a bₙ + c) with one fused ``addmm(..., out=)`` per product into two
        preallocated buffer sets used in turn, σ in place. In this layout the product that reads the wide layer
        (W₂ S¹: 10 × 512 × B) is a short-and-wide matmul that BLAS runs about twice as fast as s¹ W₂ᵀ
        (B × 512 × 10), and no temporaries are allocated inside the loop."""
        a, c = (4.0, -2.0) if self.activation == "sigmoid" else (1.0, 0.0)
        p = self.params
        L = self.n_layers
        with torch.no_grad():
            W = [p["W1"], *(a * p[f"W{n}"] for n in range(2, L + 1))]  # type: ignore[operator]
            fbT = [(a * p[f"B{n}" if self.unidirectional else f"W{n}"]).T  # type: ignore[operator]
                   for n in range(2, L + 1)]
            bias = [(a * p[f"b{n}"] + c)[:, None] for n in range(1, L + 1)]  # type: ignore[operator]
            drive = torch.addmm(bias[0], W[0], x.T, alpha=a)  # a(W₁x + b₁) + c, once per phase (x is static)
            cur = [v.T.contiguous() for v in s]
            nxt = [torch.empty_like(v) for v in cur]
            residual = math.inf
            for t in range(steps):
                for n in range(1, L + 1):
                    out = nxt[n - 1]
                    if n == 1 and L > 1:
                        torch.addmm(drive, fbT[0], cur[1], out=out)
                    elif n == 1:
                        out.copy_(drive)
                    else:
                        torch.addmm(bias[n - 1], W[n - 1], cur[n - 2], out=out)
                        if n < L:
                            out.addmm_(fbT[n - 1], cur[n])
                    if n == L and beta != 0.0:
                        assert y1h is not None
                        out.add_(self.nudge([v.T for v in cur], y1h, beta).T, alpha=a)
                    if self.activation == "sigmoid":
                        out.sigmoid_()
                    else:
                        out.clamp_(0.0, 1.0)
                if t == steps - 1:
                    residual = max(float((u - v).abs().max()) for u, v in zip(nxt, cur))
                cur, nxt = nxt, cur
        return [v.T.contiguous() for v in cur], residual

    def dphi_dtheta(self, x: torch.Tensor, s: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """∂Φ/∂θ averaged over the batch: ∂Φ/∂Wₙ = ⟨sⁿ sⁿ⁻¹ᵀ⟩, ∂Φ/∂bₙ = ⟨sⁿ⟩ (the local rule of section 2.3)."""
        below = [x, *s]
        m = x.shape[0]
        g = {}
        for n in range(1, self.n_layers + 1):
            g[f"W{n}"] = s[n - 1].T @ below[n - 1] / m
            g[f"b{n}"] = s[n - 1].mean(0)
        return g

    def predict(self, x: torch.Tensor, T: int) -> torch.Tensor:
        """Class predictions after a free phase of T steps."""
        self.check_input(x)
        s, _ = self.relax(x, self.zero_state(x.shape[0]), T)
        with torch.no_grad():
            return self.readout(s).argmax(1)


@dataclass
class Phases:
    """The states of one EP iteration: free s_*, nudged s^{+β} (and s^{−β} for the symmetric estimators)."""

    free: list[torch.Tensor]
    plus: list[torch.Tensor]
    minus: list[torch.Tensor] | None
    beta: float  # the signed β of the ``plus`` phase
    free_residual: float


def _check_ep(cfg: EPConfig, net: ConvergentNet) -> None:
    if cfg.loss != net.loss:
        raise ConfigError(f"EPConfig.loss = {cfg.loss!r} but the network was built for {net.loss!r}")
    uni = cfg.estimator in ("vf_sym", "kp_vf_sym")
    if uni != net.unidirectional:
        raise ConfigError(f"EPConfig.estimator = {cfg.estimator!r} needs unidirectional={uni} "
                          f"(the network has unidirectional={net.unidirectional})")


def run_phases(net: ConvergentNet, x: torch.Tensor, y: torch.Tensor, cfg: EPConfig,
               generator: torch.Generator | None = None) -> Phases:
    """Free phase (T steps from zero), then the nudged phase(s) (K steps from s_*, +β and −β when symmetric)."""
    _check_ep(cfg, net)
    net.check_input(x, y)
    y1h = net.targets(y)
    free, res = net.relax(x, net.zero_state(x.shape[0]), cfg.T)
    beta = cfg.beta
    if cfg.estimator == "random_sign":
        if generator is None:
            raise ConfigError("EPConfig.estimator = 'random_sign' draws the sign of β: pass a torch.Generator")
        beta = beta if bool(torch.randint(0, 2, (1,), generator=generator)) else -beta
    plus, _ = net.relax(x, free, cfg.K, y1h, beta)
    minus = None
    if cfg.estimator in ("symmetric", "vf_sym", "kp_vf_sym"):
        minus, _ = net.relax(x, free, cfg.K, y1h, -beta)
    return Phases(free, plus, minus, beta, res)


@dataclass
class EPGradient:
    """Estimated ∂L/∂θ per parameter name, with the phases that produced it."""

    grads: dict[str, torch.Tensor]
    phases: Phases


def _readout_grad(net: ConvergentNet, s: list[torch.Tensor], y: torch.Tensor) -> dict[str, torch.Tensor]:
    """∂ℓ/∂w_out and ∂ℓ/∂b_out at s_* (ℓ depends on w_out explicitly: (ŷ − y) sᴸᵀ, batch mean)."""
    p = net.params
    err = torch.softmax(net.readout(s, p), dim=1) - net.targets(y)
    last = s[-1].reshape(s[-1].shape[0], -1)
    return {"w_out": err.T @ last / last.shape[0], "b_out": err.mean(0)}


def ep_estimate(net: ConvergentNet, x: torch.Tensor, y: torch.Tensor, cfg: EPConfig,
                generator: torch.Generator | None = None) -> EPGradient:
    """The estimate of ∂L*/∂θ chosen by ``cfg.estimator`` (module docstring; signs: descent gradient)."""
    ph = run_phases(net, x, y, cfg, generator)
    with torch.no_grad():
        if cfg.estimator in ("one_sided", "random_sign"):
            a, b = net.dphi_dtheta(x, ph.plus), net.dphi_dtheta(x, ph.free)
            g = {k: -(a[k] - b[k]) / ph.beta for k in a}
        elif cfg.estimator in ("symmetric", "kp_vf_sym"):
            assert ph.minus is not None
            a, b = net.dphi_dtheta(x, ph.plus), net.dphi_dtheta(x, ph.minus)
            g = {k: -(a[k] - b[k]) / (2 * ph.beta) for k in a}
            if cfg.estimator == "kp_vf_sym":  # Eq. 21: B gets the same update as W (fc: Eq. 20's two terms agree)
                g.update({f"B{n}": g[f"W{n}"].clone() for n in range(2, net.n_layers + 1)})
        else:  # vf_sym: (1/2β) ∂F/∂θᵀ(s_*) (s^β − s^{−β}), σ' dropped
            assert ph.minus is not None
            below = [x, *ph.free]
            m = x.shape[0]
            g = {}
            for n in range(1, net.n_layers + 1):
                d = (ph.plus[n - 1] - ph.minus[n - 1]) / (2 * ph.beta)
                g[f"W{n}"] = -(d.T @ below[n - 1]) / m
                g[f"b{n}"] = -d.mean(0)
                if n >= 2:  # Bₙ feeds sⁿ⁻¹ from sⁿ: ∂F^{n−1}/∂Bₙ contracts the change of sⁿ⁻¹ with sⁿ_*
                    dn = (ph.plus[n - 2] - ph.minus[n - 2]) / (2 * ph.beta)
                    g[f"B{n}"] = -(ph.free[n - 1].T @ dn) / m
        if net.loss == "ce":
            g.update(_readout_grad(net, ph.free, y))
    return EPGradient(g, ph)


def ep_truncated(net: ConvergentNet, x: torch.Tensor, y: torch.Tensor, cfg: EPConfig) -> list[dict[str, torch.Tensor]]:
    """∇̂EP(β, t) for t = 1…K (Eq. 6; symmetric form (1/2β)[∂Φ/∂θ(s^β_t) − ∂Φ/∂θ(s^{−β}_t)] when
    ``cfg.estimator == "symmetric"``), as descent gradients (minus the paper's sign)."""
    if cfg.estimator not in ("one_sided", "symmetric"):
        raise ConfigError(f"EPConfig.estimator = {cfg.estimator!r}: the step-by-step comparison takes "
                          "one_sided or symmetric")
    _check_ep(cfg, net)
    net.check_input(x, y)
    y1h = net.targets(y)
    free, _ = net.relax(x, net.zero_state(x.shape[0]), cfg.T)
    ref = net.dphi_dtheta(x, free)
    plus, minus = free, free
    out = []
    with torch.no_grad():
        for _ in range(cfg.K):
            plus = net.step(x, plus, y1h, cfg.beta)
            a = net.dphi_dtheta(x, plus)
            if cfg.estimator == "symmetric":
                minus = net.step(x, minus, y1h, -cfg.beta)
                b = net.dphi_dtheta(x, minus)
                out.append({k: -(a[k] - b[k]) / (2 * cfg.beta) for k in a})
            else:
                out.append({k: -(a[k] - ref[k]) / cfg.beta for k in a})
    return out


def _leaf_params(net: ConvergentNet) -> dict[str, torch.Tensor]:
    if any(_is_tile(v) for v in net.params.values()):
        raise ConfigError("BPTT needs digital weights; this network holds analog tiles")
    return {k: v.detach().clone().requires_grad_(True) for k, v in net.tensors().items()}


def bptt_gradient(net: ConvergentNet, x: torch.Tensor, y: torch.Tensor, T: int, K: int | None = None
                  ) -> dict[str, torch.Tensor]:
    """∂ℓ(s_T, y)/∂θ by backpropagation through the last K of T free steps (all T when K is None)."""
    if T < 1 or (K is not None and not 1 <= K <= T):
        raise ConfigError(f"T = {T}, K = {K}: need T ≥ 1 and 1 ≤ K ≤ T")
    net.check_input(x, y)
    K = T if K is None else K
    s, _ = net.relax(x, net.zero_state(x.shape[0]), T - K)
    p = _leaf_params(net)
    with torch.enable_grad():
        for _ in range(K):
            s = net.step(x, s, params=p)
        loss = net.loss_value(s, y, p)
        grads = torch.autograd.grad(loss, list(p.values()), allow_unused=True)
    return {k: (g if g is not None else torch.zeros_like(p[k])).detach() for k, g in zip(p, grads)}


def bptt_truncated(net: ConvergentNet, x: torch.Tensor, y: torch.Tensor, T: int, K: int
                   ) -> list[dict[str, torch.Tensor]]:
    """∇BPTT(t) for t = 1…K: the gradient through the last t of T steps (each step gets its own copy of θ, one
    backward pass gives every step's share; the t-step truncation is the sum of the last t shares)."""
    if T < 1 or not 1 <= K <= T:
        raise ConfigError(f"T = {T}, K = {K}: need T ≥ 1 and 1 ≤ K ≤ T")
    net.check_input(x, y)
    s, _ = net.relax(x, net.zero_state(x.shape[0]), T - K)
    copies = [_leaf_params(net) for _ in range(K)]
    with torch.enable_grad():
        for p in copies:
            s = net.step(x, s, params=p)
        loss = net.loss_value(s, y, copies[-1])
        flat = [v for p in copies for v in p.values()]
        grads = torch.autograd.grad(loss, flat, allow_unused=True)
    names = list(copies[0])
    shares = [{k: grads[i * len(names) + j] for j, k in enumerate(names)} for i in range(K)]
    out, acc = [], {k: torch.zeros_like(v) for k, v in copies[0].items()}
    for share in reversed(shares):
        acc = {k: acc[k] + (share[k].detach() if share[k] is not None else 0.0) for k in acc}
        out.append(acc)
    return out


def grad_cosine(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], keys: list[str] | None = None) -> float:
    """Cosine similarity of two gradients over the parameters ``keys`` (default: those both have)."""
    keys = [k for k in a if k in b] if keys is None else keys
    va = torch.cat([a[k].reshape(-1).double() for k in keys])
    vb = torch.cat([b[k].reshape(-1).double() for k in keys])
    return float(va @ vb / (va.norm() * vb.norm()).clamp_min(1e-300))


def grad_rel_error(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], keys: list[str] | None = None) -> float:
    """‖a − b‖ / ‖b‖ over the parameters ``keys`` (default: those both have)."""
    keys = [k for k in a if k in b] if keys is None else keys
    va = torch.cat([a[k].reshape(-1).double() for k in keys])
    vb = torch.cat([b[k].reshape(-1).double() for k in keys])
    return float((va - vb).norm() / vb.norm().clamp_min(1e-300))
