"""NIR against Norse: a file Norse 1.1.0 wrote (tests/data/nir/norse_lifbox.nir, made by make_norse_files.py there)
and the spikes Norse produced on a fixed input, read into neurofab."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError
from neurofab.spiking.nir_io import from_nir, read_nir

DATA = Path(__file__).resolve().parents[1] / "data" / "nir"
DT = 1e-3  # Norse's step when the file was written


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(DATA / "norse_spikes.npz") as f:
        return dict(f)


def test_norse_writes_tau_times_dt():
    """Norse's exporter writes τ as dt / τ⁻¹ = dt·τ (1e-5 s for τ = 10 ms at dt = 1 ms) while its importer reads
    τ⁻¹ = 1/τ: the file's τ is not in seconds. Read as written, τ is below dt and the import says so."""
    graph = read_nir(DATA / "norse_lifbox.nir")
    taus = {k: float(np.asarray(n.tau).flat[0]) for k, n in graph.nodes.items() if hasattr(n, "tau")}
    assert taus == pytest.approx({"lif": 10e-3 * DT, "lif_1": 20e-3 * DT}, rel=1e-6)
    with pytest.raises(ConfigError, match="not above dt"):
        from_nir(graph, dt=DT)


def test_norse_lifbox_spikes_equal_once_tau_is_in_seconds(ref):
    """With τ put back in seconds (τ_file / dt) the forward-Euler LIF that neurofab reads from NIR is Norse's
    LIFBox step (β = 1 − dt/τ, input gain dt/τ·r, reset to v_reset): every spike of both layers equal."""
    graph = copy.deepcopy(read_nir(DATA / "norse_lifbox.nir"))
    for node in graph.nodes.values():
        if hasattr(node, "tau"):
            node.tau = np.asarray(node.tau, dtype=np.float64) / DT
    net = from_nir(graph, dt=DT)
    x = torch.as_tensor(ref["input"])
    with torch.no_grad():
        hidden, out = net[:2](x).numpy(), net(x).numpy()
    assert ref["lifbox_hidden"].sum() > 50 and ref["lifbox_out"].sum() > 20
    assert np.array_equal(hidden, ref["lifbox_hidden"])
    assert np.array_equal(out, ref["lifbox_out"])
