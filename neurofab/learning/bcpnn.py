"""The BCPNN learning rule (Z and P traces, weights and biases) and its five-memristor cell (Wang et al. 2021).

Reference rule (bcpnn note; seed 001 l. 5157–5175 and 5212–5232), E traces omitted as in the paper:

    dZ/dt = (S − Z)/τ_z                           (Eq. 1)     Z(t) = Z(t−1)(1 − kz) + S(t−1) kz      (Eq. 6)
    dP/dt = κ(Z − P)/τ_p, Z_i Z_j for P_ij       (Eq. 4)     P(t) = P(t−1)(1 − kp) + Z(t−1) kp      (Eq. 10)
    β_j = log(P_j + ε),  w_ij = log[(P_ij + ε²)/((P_i + ε)(P_j + ε))]                                   (Eq. 5)

with kz = dt/τ_z and kp = κ dt/τ_p (Eq. 9). A state holds pre traces (…, N), post traces (…, M) and P_ij, either
(…, N, M) for all pre–post pairs (``outer=True``, a hypercolumn's synaptic matrix) or (…, N) for N independent
pre/post pairs (``outer=False``).

The memristor cell (:class:`MemristorCell`): five VTEAM memristors hold Z_i, Z_j, P_i, P_j, P_ij as their states x
(read back through R(x)); a Gilbert multiplier forms Z_i Z_j and three log amplifiers give w and β. The note's two ⚠
are resolved as follows (docs/devices.md has the derivation):

1. **Effective programming time.** Each 1 ms step is split into a read/sample phase and a programming phase of
   ``t_prog`` (0.5 ms by default; the paper's voltages imply 0.5 ms under its Euler form, Eq. 18). The Z voltages
   are derived from the device so that one pulse of ``t_prog`` reproduces Eq. 6 *exactly* under the exact solution
   of the VTEAM equation: e^{−g(v) t_prog} = 1 − kz. With Table 1 they are +193.2 mV / −149.9 mV as printed when
   Eq. 18's Euler form is used instead (checked by the reproduction).
2. **How Z drives the P memristors.** ``scheme="pwm"`` (default): during the programming phase the P memristor gets
   a fixed +v_P for the fraction Z of t_prog and a fixed −v_P for the rest (duty cycle set by the sampled Z; the
   two rates are equal, g(v_P) = −g(−v_P) = r). The window makes the mean drift r[Z(1 − x) − (1 − Z)x] = r(Z − x):
   exactly Eq. 4, so the cell tracks Eq. 10 to O(kp²) per step (derived error ≤ kp/8 in P at steady state).
   ``scheme="two_phase"``: a potentiating pulse then a decaying pulse whose amplitudes depend on Z, solved so the
   pair equals Eq. 10 exactly (x → a x + 1 − a, then x → b x with b = 1 − kp(1 − Z), a = (1 − kp)/b).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, ShapeError, make_generator, record, recording
from neurofab.devices.memristors import VTEAM

__all__ = [
    "BCPNNConfig",
    "BCPNNHypercolumns",
    "BCPNNState",
    "MemristorCell",
    "bcpnn_continuous",
    "bcpnn_init",
    "bcpnn_reference_step",
    "bcpnn_weights",
]


class BCPNNConfig(Config):
    """BCPNN trace constants; defaults are Wang et al. Table 1 (kz = 1/11, kp = 1/500, ε = 0.01, dt = 1 ms)."""

    tau_zi: float = Field(11e-3, gt=0, description="presynaptic Z time constant τ_zi [s] (kz_i = dt/τ_zi = 1/11)")
    tau_zj: float = Field(11e-3, gt=0, description="postsynaptic Z time constant τ_zj [s] (kz_j = 1/11)")
    tau_p: float = Field(0.5, gt=0, description="P time constant τ_p [s] (kp = κ dt/τ_p = 1/500)")
    kappa: float = Field(1.0, gt=0, description="learning rate κ [1]")
    eps: float = Field(0.01, gt=0, description="minimum activity ε in Eq. 5 [1]")
    dt: float = Field(1e-3, gt=0, description="time step [s]")

    @model_validator(mode="after")
    def _check(self) -> BCPNNConfig:
        for name, k in (("tau_zi", self.kz_i), ("tau_zj", self.kz_j), ("tau_p", self.kp)):
            if not k <= 1:
                raise ValueError(f"{name}: dt/τ = {k:.3g} must be <= 1 (the discrete rule would overshoot)")
        return self

    @property
    def kz_i(self) -> float:
        return self.dt / self.tau_zi

    @property
    def kz_j(self) -> float:
        return self.dt / self.tau_zj

    @property
    def kp(self) -> float:
        return self.kappa * self.dt / self.tau_p


@dataclass
class BCPNNState:
    """Z and P traces (dimensionless, in [0, 1]); ``outer`` says whether P_ij covers all pre–post pairs."""

    zi: torch.Tensor
    zj: torch.Tensor
    pi: torch.Tensor
    pj: torch.Tensor
    pij: torch.Tensor
    outer: bool = True
    extra: dict = field(default_factory=dict)

    def coactivity(self) -> torch.Tensor:
        """Z_i Z_j in the shape of P_ij."""
        return self.zi.unsqueeze(-1) * self.zj.unsqueeze(-2) if self.outer else self.zi * self.zj

    def clone(self) -> BCPNNState:
        return BCPNNState(self.zi.clone(), self.zj.clone(), self.pi.clone(), self.pj.clone(), self.pij.clone(),
                          self.outer)


def bcpnn_init(n_pre: int | tuple[int, ...], n_post: int | tuple[int, ...] | None = None, outer: bool = True,
               dtype: torch.dtype = torch.float64) -> BCPNNState:
    """All traces at zero (w_init = 0 in Table 1). ``outer=False`` pairs pre i with post i (n_post unused)."""
    pre = (n_pre,) if isinstance(n_pre, int) else tuple(n_pre)
    if outer:
        if n_post is None:
            raise ConfigError("bcpnn_init: n_post is required when outer=True")
        post = (n_post,) if isinstance(n_post, int) else tuple(n_post)
        pij_shape = pre + post[-1:]
    else:
        post = pre
        pij_shape = pre

    def z(shape):
        return torch.zeros(shape, dtype=dtype)

    return BCPNNState(z(pre), z(post), z(pre), z(post), z(pij_shape), outer)


def _spikes(s: torch.Tensor, like: torch.Tensor, name: str) -> torch.Tensor:
    s = torch.as_tensor(s, dtype=like.dtype)
    if s.shape != like.shape:
        raise ShapeError(f"{name}: expected shape {tuple(like.shape)}, got {tuple(s.shape)}")
    return s


def bcpnn_reference_step(state: BCPNNState, s_pre: torch.Tensor, s_post: torch.Tensor, cfg: BCPNNConfig
                         ) -> BCPNNState:
    """One step of Eqs. 6 and 10 with the previous step's spikes ``s_pre``, ``s_post`` (0/1) and traces."""
    s_pre = _spikes(s_pre, state.zi, "s_pre")
    s_post = _spikes(s_post, state.zj, "s_post")
    kzi, kzj, kp = cfg.kz_i, cfg.kz_j, cfg.kp
    zz = state.coactivity()
    return BCPNNState(
        zi=state.zi * (1 - kzi) + s_pre * kzi,
        zj=state.zj * (1 - kzj) + s_post * kzj,
        pi=state.pi * (1 - kp) + state.zi * kp,
        pj=state.pj * (1 - kp) + state.zj * kp,
        pij=state.pij * (1 - kp) + zz * kp,
        outer=state.outer,
    )


def bcpnn_weights(state: BCPNNState, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(w_ij, β_j) from the P traces (Eq. 5; Eq. 19 is the same split into three logarithms)."""
    if not eps > 0:
        raise ConfigError(f"eps = {eps}: must be > 0")
    beta = torch.log(state.pj + eps)
    pj = state.pj.unsqueeze(-2) if state.outer else state.pj
    pi = state.pi.unsqueeze(-1) if state.outer else state.pi
    w = torch.log(state.pij + eps * eps) - torch.log(pi + eps) - torch.log(pj + eps)
    return w, beta


def bcpnn_continuous(t: torch.Tensor, s_pre: float, s_post: float, cfg: BCPNNConfig,
                     state0: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
                     ) -> dict[str, torch.Tensor]:
    """Closed-form solution of Eqs. 1 and 4 for constant inputs S_i = s_pre, S_j = s_post from ``state0``
    (Z_i, Z_j, P_i, P_j, P_ij) at t = 0; returns the five traces at times ``t`` [s].

    Each Z is S + (Z₀ − S)e^{−t/τ_z}; a P filters a sum of exponentials c e^{−λt} through dP/dt = (u − P)/τ'
    (τ' = τ_p/κ), which maps c e^{−λt} to c/(1 − λτ') e^{−λt} plus the homogeneous e^{−t/τ'} term.
    """
    t = torch.as_tensor(t, dtype=torch.float64)
    zi0, zj0, pi0, pj0, pij0 = state0
    tp = cfg.tau_p / cfg.kappa

    def filt(terms: list[tuple[float, float]], p0: float) -> torch.Tensor:
        out = torch.zeros_like(t)
        at0 = 0.0
        for c, lam in terms:  # c e^{−λt}, λ = 0 for a constant
            if abs(1 - lam * tp) < 1e-12:
                raise ConfigError("bcpnn_continuous: τ_z equal to τ_p/κ (degenerate case) is not handled")
            amp = c / (1 - lam * tp)
            out = out + amp * torch.exp(-lam * t)
            at0 += amp
        return out + (p0 - at0) * torch.exp(-t / tp)

    li, lj = 1 / cfg.tau_zi, 1 / cfg.tau_zj
    ai, aj = zi0 - s_pre, zj0 - s_post
    return {
        "zi": s_pre + ai * torch.exp(-li * t),
        "zj": s_post + aj * torch.exp(-lj * t),
        "pi": filt([(s_pre, 0.0), (ai, li)], pi0),
        "pj": filt([(s_post, 0.0), (aj, lj)], pj0),
        "pij": filt([(s_pre * s_post, 0.0), (s_post * ai, li), (s_pre * aj, lj), (ai * aj, li + lj)], pij0),
    }


class MemristorCell(Config):
    """The five-memristor BCPNN cell of Wang et al. (Fig. 5) on VTEAM devices (Table 1 by default).

    ``device`` must have a closed-form window (the Xu window of Table 1 has one) so each programming pulse is
    integrated exactly. See the module docstring for the two choices the paper leaves open.
    """

    bcpnn: BCPNNConfig = Field(default_factory=BCPNNConfig, description="trace constants and ε")
    device: VTEAM = Field(default_factory=VTEAM, description="the memristor model of all five devices")
    t_prog: float = Field(0.5e-3, gt=0, description="programming time per step [s] (≤ dt)")
    scheme: Literal["pwm", "two_phase"] = Field("pwm", description="how Z drives the P memristors")

    @model_validator(mode="after")
    def _check(self) -> MemristorCell:
        if self.t_prog > self.bcpnn.dt:
            raise ValueError(f"t_prog = {self.t_prog} must be <= bcpnn.dt = {self.bcpnn.dt}")
        if not self.device.has_exact:
            raise ValueError("device.window must have a closed form (xu, none, or p = 1)")
        return self

    # ----- drive voltages --------------------------------------------------------------------------
    def z_voltages(self, kz: float) -> tuple[float, float]:
        """(spike, no-spike) voltages [V] whose pulse of t_prog multiplies the distance to the target by 1 − kz
        under the exact VTEAM solution with the Xu window, p = j = 1."""
        r = -math.log(1 - kz) / (self.t_prog * self.device.window.j)
        return self.device.voltage_for_rate(r), self.device.voltage_for_rate(-r)

    def z_voltages_euler(self, kz: float) -> tuple[float, float]:
        """The same voltages under Eq. 18's Euler form, g(v)·t_prog = kz (how the paper's 193.2/−149.9 mV arise)."""
        r = kz / (self.t_prog * self.device.window.j)
        return self.device.voltage_for_rate(r), self.device.voltage_for_rate(-r)

    def p_voltage(self) -> tuple[float, float]:
        """(+v_P, −v_P) of the PWM scheme: equal rates r with e^{−r t_prog} = 1 − kp [V]."""
        return self.z_voltages(self.bcpnn.kp)

    # ----- one step ----------------------------------------------------------------------------------
    def init(self, n_pre, n_post=None, outer: bool = True, dtype: torch.dtype = torch.float64) -> BCPNNState:
        """Memristor states x = 0 (w_init = 0 nm)."""
        return bcpnn_init(n_pre, n_post, outer, dtype)

    def _pulse(self, x: torch.Tensor, v: float | torch.Tensor, dt: float | torch.Tensor) -> torch.Tensor:
        v = torch.as_tensor(v, dtype=x.dtype)
        return self.device.exact_step(x, v.expand_as(x) if v.dim() == 0 else v, dt)

    def _z(self, x: torch.Tensor, s: torch.Tensor, kz: float) -> torch.Tensor:
        w = self.device.window
        if w.kind == "xu" and w.p == 1.0:  # fused: the exact pulse solution with its factors computed once
            a_spike, a_rest = _z_factors(self, kz)
            return torch.where(s > 0, 1 - (1 - x) * a_spike, x * a_rest)
        v_on, v_off = self.z_voltages(kz)
        v = torch.where(s > 0, torch.full_like(x, v_on), torch.full_like(x, v_off))
        return self._pulse(x, v, self.t_prog)

    def _p(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        kp = self.bcpnn.kp
        if self.scheme == "pwm":
            v_up, v_down = self.p_voltage()
            w = self.device.window
            if w.kind == "xu" and w.p == 1.0:  # fused closed form of the two pulses (same result, fewer passes)
                c = -math.log(1 - kp)  # r·t_prog
                a = 1 - kp  # e^{−r t_prog}
                return a * x + torch.exp(c * (z - 1)) - a
            x = self._pulse(x, v_up, z * self.t_prog)
            return self._pulse(x, v_down, (1 - z) * self.t_prog)
        b = 1 - kp * (1 - z)
        a = (1 - kp) / b
        half = 0.5 * self.t_prog
        r_up = -torch.log(a) / (half * self.device.window.j)
        r_down = torch.log(b) / (half * self.device.window.j)
        v_up = self._rate_to_voltage(r_up)
        v_down = self._rate_to_voltage(r_down)
        x = self._pulse(x, v_up, half)
        return self._pulse(x, v_down, half)

    def _rate_to_voltage(self, r: torch.Tensor) -> torch.Tensor:
        d = self.device
        up = d.v_off * (1 + (r.clamp(min=0) * d.w_max / d.k_off).pow(1 / d.alpha_off))
        down = d.v_on * (1 + (r.clamp(max=0) * d.w_max / d.k_on).pow(1 / d.alpha_on))
        return torch.where(r > 0, up, torch.where(r < 0, down, torch.zeros_like(r)))

    def read(self, x: torch.Tensor) -> torch.Tensor:
        """The trace value a read recovers from the memristor: x = (R(x) − R_on)/(R_off − R_on)."""
        return self.device.state_of_resistance(self.device.resistance_of(x))

    def step(self, state: BCPNNState, s_pre: torch.Tensor, s_post: torch.Tensor) -> BCPNNState:
        """One step: sample Z_i, Z_j (and their product), then programme all five memristors in parallel."""
        s_pre = _spikes(s_pre, state.zi, "s_pre")
        s_post = _spikes(s_post, state.zj, "s_post")
        zi, zj = self.read(state.zi), self.read(state.zj)
        w = self.device.window
        if state.outer and self.scheme == "pwm" and w.kind == "xu" and w.p == 1.0 and state.pij.dim() == 2 \
                and state.pij.device.type == "cpu":
            pij = _pwm_outer(state.pij, zi, zj, self.bcpnn.kp)  # compiled: one pass over the synaptic matrix
        else:
            zz = zi.unsqueeze(-1) * zj.unsqueeze(-2) if state.outer else zi * zj  # Gilbert multiplier
            pij = self._p(state.pij, zz)
        new = BCPNNState(
            zi=self._z(state.zi, s_pre, self.bcpnn.kz_i),
            zj=self._z(state.zj, s_post, self.bcpnn.kz_j),
            pi=self._p(state.pi, zi),
            pj=self._p(state.pj, zj),
            pij=pij,
            outer=state.outer,
        )
        if recording():
            n_z = state.zi.numel() + state.zj.numel()
            n_p = state.pi.numel() + state.pj.numel() + state.pij.numel()
            record("device_read", n_z + n_p)
            record("write_pulse", n_z + 2 * n_p)  # one pulse per Z memristor, two (± phases) per P memristor
        return new

    def weights(self, state: BCPNNState) -> tuple[torch.Tensor, torch.Tensor]:
        """(w_ij, β_j) through the log amplifiers (ideal logarithms of the read traces)."""
        read = BCPNNState(self.read(state.zi), self.read(state.zj), self.read(state.pi), self.read(state.pj),
                          self.read(state.pij), state.outer)
        return bcpnn_weights(read, self.bcpnn.eps)


@functools.cache
def _pwm_kernel():
    import numba

    @numba.njit(cache=True, fastmath=False)
    def kernel(x, zi, zj, a, c, out):  # pragma: no cover - runs compiled
        n, m = x.shape
        for i in range(n):
            zi_ = zi[i]
            for j in range(m):
                out[i, j] = a * x[i, j] + np.exp(c * (zi_ * zj[j] - 1.0)) - a

    return kernel


def _pwm_outer(x: torch.Tensor, zi: torch.Tensor, zj: torch.Tensor, kp: float) -> torch.Tensor:
    """The PWM P_ij update over a whole synaptic matrix (the fused closed form of :meth:`MemristorCell._p`)."""
    out = torch.empty_like(x)
    x = x.contiguous()
    _pwm_kernel()(x.numpy(), zi.contiguous().numpy(), zj.contiguous().numpy(), 1 - kp, -math.log(1 - kp),
                  out.numpy())
    return out


@functools.lru_cache(maxsize=64)
def _z_factors(cell: MemristorCell, kz: float) -> tuple[float, float]:
    """(1 − x) after one spike pulse from x = 0, and x after one rest pulse from x = 1: the factors by which one
    t_prog pulse of each Z voltage scales the distance to its target (from the device's exact solution)."""
    v_spike, v_rest = cell.z_voltages(kz)
    one = torch.ones((), dtype=torch.float64)
    a_spike = 1 - float(cell.device.exact_step(0 * one, v_spike * one, cell.t_prog))
    a_rest = float(cell.device.exact_step(one, v_rest * one, cell.t_prog))
    return a_spike, a_rest


class BCPNNHypercolumns:
    """H hypercolumns (HCUs) × M minicolumns (MCUs) learning from N inputs with BCPNN, vectorised over all cells.

    Each step: the support of MCU j is h_j = β_j + Σ_{i spiking} w_ij (only the rows of inputs that spiked are
    read); within each HCU a soft winner-take-all turns supports into spike probabilities
    ``rate·dt·softmax(h)``; the traces then advance by the reference rule or the memristor cell.
    """

    def __init__(self, n_inputs: int, hcus: int, mcus: int, rule: BCPNNConfig | MemristorCell | None = None,
                 max_rate: float = 50.0, dtype: torch.dtype = torch.float32, seed: int = 0) -> None:
        if n_inputs < 1 or hcus < 1 or mcus < 1:
            raise ConfigError(f"BCPNNHypercolumns: n_inputs, hcus, mcus must be >= 1, got {n_inputs}, {hcus}, {mcus}")
        if not max_rate > 0:
            raise ConfigError(f"BCPNNHypercolumns.max_rate = {max_rate}: must be > 0")
        self.rule = rule if rule is not None else BCPNNConfig()
        self.cfg = self.rule.bcpnn if isinstance(self.rule, MemristorCell) else self.rule
        self.h, self.m, self.n = hcus, mcus, n_inputs
        self.max_rate = max_rate
        self.state = bcpnn_init(n_inputs, hcus * mcus, outer=True, dtype=dtype)
        self.generator = make_generator(seed)
        self.s_post = torch.zeros(hcus * mcus, dtype=dtype)

    def step(self, s_pre: torch.Tensor) -> torch.Tensor:
        """Advance one step with input spikes ``s_pre`` (N,); returns the MCU spikes (H·M,) this step."""
        st, eps = self.state, self.cfg.eps
        active = s_pre.nonzero().flatten()
        beta = torch.log(st.pj + eps)
        if active.numel():
            rows = torch.log(st.pij[active] + eps * eps) - torch.log(st.pi[active] + eps).unsqueeze(-1) \
                - torch.log(st.pj + eps)
            support = beta + rows.sum(0)
        else:
            support = beta
        prob = torch.softmax(support.view(self.h, self.m), dim=-1).view(-1) * (self.max_rate * self.cfg.dt)
        s_post = (torch.rand(prob.shape, generator=self.generator, dtype=prob.dtype) < prob).to(st.zi.dtype)
        if isinstance(self.rule, MemristorCell):
            self.state = self.rule.step(st, s_pre.to(st.zi.dtype), self.s_post)
        else:
            self.state = bcpnn_reference_step(st, s_pre.to(st.zi.dtype), self.s_post, self.rule)
        self.s_post = s_post
        if recording():
            record("synop", int(active.numel()) * self.h * self.m)
            record("spike", int(s_post.sum()))
        return s_post
