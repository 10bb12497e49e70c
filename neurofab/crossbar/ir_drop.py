"""IR drop on the wires of a crossbar: the conductance matrix the outputs actually see.

Layout: an array of R input lines (rows, driven with voltages V_r at their column-0 end) and C output lines
(columns, held at virtual ground one wire segment beyond row R−1, where the current is sensed). Device (r, c)
of conductance G_rc joins row node (r, c) and column node (r, c); neighbouring nodes on a line are joined by
one wire segment of resistance r_w (also between the driver and column 0, and between row R−1 and the
sense amplifier). Inputs are voltage amplitudes applied at once (not pulse widths), so the network is
linear: the output currents are I_c = Σ_r A_rc V_r with an effective matrix A(G, r_w) that is computed once
per programmed (and drifted) array and then used like the weights. ``A = G`` when r_w = 0.

Two ways to get A:

- :func:`effective_conductance_exact` — Kirchhoff's current law at all 2RC nodes, solved as a sparse linear
  system for the R unit input vectors (scipy; for validation and small arrays).
- :func:`effective_conductance_first_order` — first order in r_w: the device currents of the ideal array,
  I⁰_rc = G_rc V_r, set the wire currents; the row voltage seen at column c drops by
  r_w Σ_{k≤c} Σ_{c'≥k} I⁰_rc' and the column node at row r sits r_w Σ_{k≥r} Σ_{r'≤k} I⁰_r'c above ground.
  In matrix form A_rc = G_rc [1 − r_w (P_rc + Q_rc)], P = G·M (M_c'c = min(c, c') + 1),
  Q = N·G (N_rr' = R − max(r, r')) — two matmuls. Its error is second order in ε = r_w·Ḡ·n²,
  (Ḡ the mean device conductance, n the array size); :func:`ir_drop_scale` returns ε.

Tests compare the two on small arrays (relative error ≈ ε² for ε ≪ 1).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from pydantic import Field

from neurofab.core import Config, ConfigError, NumericalError, ShapeError

__all__ = [
    "IRDropConfig",
    "effective_conductance",
    "effective_conductance_exact",
    "effective_conductance_first_order",
    "ir_drop_scale",
]


class IRDropConfig(Config):
    """Wire resistance of the crossbar and how to solve the network."""

    r_wire: float = Field(..., ge=0, description="resistance of one wire segment between neighbouring cells [Ω]")
    method: Literal["first_order", "exact"] = Field(
        "first_order", description="first-order closed form (any size) or exact sparse solve (small arrays)"
    )


def _check(g: torch.Tensor, r_wire: float) -> None:
    if g.dim() != 2:
        raise ShapeError(f"IR drop: conductances must be (rows, cols), got shape {tuple(g.shape)}")
    if r_wire < 0:
        raise ConfigError(f"r_wire = {r_wire}: must be >= 0")
    if not torch.isfinite(g).all() or (g < 0).any():
        raise NumericalError("IR drop: conductances must be finite and >= 0")


def ir_drop_scale(g: torch.Tensor, r_wire: float) -> float:
    """ε = r_w · mean(G) · R · C: the size of the first-order correction (dimensionless)."""
    _check(g, r_wire)
    return float(r_wire * g.mean() * g.shape[0] * g.shape[1])


def effective_conductance_first_order(g: torch.Tensor, r_wire: float) -> torch.Tensor:
    """A (rows, cols) [S] to first order in r_w (module docstring); g (rows, cols) [S]."""
    _check(g, r_wire)
    if r_wire == 0:
        return g.clone()
    n_rows, n_cols = g.shape
    idx_c = torch.arange(n_cols, device=g.device, dtype=g.dtype)
    idx_r = torch.arange(n_rows, device=g.device, dtype=g.dtype)
    m = torch.minimum(idx_c[:, None], idx_c[None, :]) + 1.0  # (C, C), symmetric
    n = n_rows - torch.maximum(idx_r[:, None], idx_r[None, :])  # (R, R), symmetric
    p = g @ m
    q = n @ g
    return g * (1.0 - r_wire * (p + q))


def effective_conductance_exact(g: torch.Tensor, r_wire: float) -> torch.Tensor:
    """A (rows, cols) [S] from the full nodal analysis (sparse LU, one solve per unit input)."""
    _check(g, r_wire)
    n_total = g.shape[0] + g.shape[1]
    if r_wire * float(g.max()) * n_total * n_total < 1e-13:
        return g.clone()  # the drop is below double precision (and 1/r_w would overflow for subnormal r_w)
    gn = g.detach().cpu().double().numpy()
    n_rows, n_cols = gn.shape
    n_cells = n_rows * n_cols
    y = 1.0 / r_wire
    u = np.arange(n_cells).reshape(n_rows, n_cols)  # row-node unknowns
    w = u + n_cells  # column-node unknowns
    rows, cols, vals = [], [], []

    def add(i, j, v):
        rows.append(np.ravel(i))
        cols.append(np.ravel(j))
        vals.append(np.broadcast_to(v, np.shape(i)).ravel())

    gd = gn
    # device between U and W
    add(u, u, gd)
    add(u, w, -gd)
    add(w, w, gd)
    add(w, u, -gd)
    # row wires: driver→(r,0) and (r,c)–(r,c+1)
    add(u[:, 0], u[:, 0], y)
    add(u[:, :-1], u[:, :-1], y)
    add(u[:, 1:], u[:, 1:], y)
    add(u[:, :-1], u[:, 1:], -y)
    add(u[:, 1:], u[:, :-1], -y)
    # column wires: (r,c)–(r+1,c) and (R−1,c)→ground
    add(w[-1, :], w[-1, :], y)
    add(w[:-1, :], w[:-1, :], y)
    add(w[1:, :], w[1:, :], y)
    add(w[:-1, :], w[1:, :], -y)
    add(w[1:, :], w[:-1, :], -y)
    mat = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(2 * n_cells, 2 * n_cells)
    )
    rhs = np.zeros((2 * n_cells, n_rows))
    rhs[u[:, 0], np.arange(n_rows)] = y  # unit voltage on each row's driver, one column of rhs per row
    sol = spla.splu(mat).solve(rhs)
    out = sol[w[-1, :], :] * y  # (cols, rows): current into virtual ground per unit input
    return torch.as_tensor(out.T.copy(), dtype=g.dtype, device=g.device)


def effective_conductance(g: torch.Tensor, config: IRDropConfig) -> torch.Tensor:
    """A (rows, cols) [S] by the configured method."""
    if config.method == "exact":
        return effective_conductance_exact(g, config.r_wire)
    return effective_conductance_first_order(g, config.r_wire)
