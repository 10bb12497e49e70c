"""The review's STDP Eq. 9 (seed 003 l. 196) through STDPConfig and the functional stdp_update.

Eq. 9: Δw = a₊ e^{−|t_pre − t_post|/τ} for t_pre < t_post (a₊ > 0), a₋ e^{−|t_pre − t_post|/τ} for
t_pre ≥ t_post (a₋ < 0). Mapping (docs/devices.md): additive STDP (μ₊ = μ₋ = 0), τ₊ = τ₋ = τ,
A₊ = a₊/(w_max − w_min), A₋ = −a₋/(w_max − w_min), η = 1, the weight away from its bounds.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurofab.learning import STDPConfig, STDPState, stdp_update

DT = 1e-4  # s


def _pair(config: STDPConfig, t_pre: int, t_post: int, w0: float) -> float:
    w = torch.tensor([[w0]], dtype=torch.float64)
    state = STDPState.zeros(1, 1, 1, dtype=torch.float64)
    for step in range(max(t_pre, t_post) + 1):
        pre = torch.tensor([[float(step == t_pre)]], dtype=torch.float64)
        post = torch.tensor([[float(step == t_post)]], dtype=torch.float64)
        w, state = stdp_update(w, pre, post, state, config, DT)
    return float(w) - w0


@settings(max_examples=30, deadline=None)
@given(lag=st.integers(1, 300), a_plus=st.floats(1e-4, 0.05), a_minus=st.floats(-0.05, -1e-4),
       tau=st.floats(2e-3, 50e-3), w_max=st.floats(0.5, 4.0), post_first=st.booleans())
def test_stdp_update_reproduces_eq9_for_a_pair(lag, a_plus, a_minus, tau, w_max, post_first):
    cfg = STDPConfig.additive(tau_plus=tau, tau_minus=tau, a_plus=a_plus / w_max, a_minus=-a_minus / w_max,
                              w_min=0.0, w_max=w_max)
    t_pre, t_post = (lag, 0) if post_first else (0, lag)
    dw = _pair(cfg, t_pre, t_post, w0=w_max / 2)
    expected = (a_minus if t_pre >= t_post else a_plus) * math.exp(-abs(t_pre - t_post) * DT / tau)
    assert dw == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_coincident_spikes_leave_the_weight_alone():
    """Eq. 9 assigns Δt = 0 to depression (a₋); the layer-wise rule pairs a spike only with earlier ones."""
    cfg = STDPConfig.additive(tau_plus=0.02, tau_minus=0.02, a_plus=0.01, a_minus=0.01)
    assert _pair(cfg, 5, 5, 0.5) == 0.0
