"""Plots draw what they are given (counted in the artists), accept monitors and breakdowns, and refuse bad data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from neurofab.core import DataError
from neurofab.viz import (
    accuracy_over_time,
    energy_breakdown,
    membrane_traces,
    raster,
    rate_histogram,
    weight_histogram,
    weight_matrix,
)


def test_raster_from_monitor_and_arrays(tmp_path):
    mon = SimpleNamespace(times=torch.tensor([0.001, 0.002, 0.004]), indices=torch.tensor([0, 3, 1]))
    fig = raster(mon, title="three spikes")
    offsets = fig.axes[0].collections[0].get_offsets()
    assert offsets.shape == (3, 2) and np.allclose(offsets[:, 1], [0, 3, 1])
    fig.savefig(tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 0
    with pytest.raises(DataError, match="2 times but 3 indices"):
        raster([0.1, 0.2], [0, 1, 2])
    with pytest.raises(DataError, match="monitor"):
        raster([0.1, 0.2])


def test_traces_histograms_and_matrix():
    t = np.linspace(0, 0.1, 50)
    fig = membrane_traces(t, np.stack([np.sin(t), np.cos(t)], 1), threshold=0.5, labels=["a", "b"])
    assert len(fig.axes[0].lines) == 3  # two traces and the threshold
    with pytest.raises(DataError, match="steps"):
        membrane_traces(t, np.zeros(10))
    fig = rate_histogram(torch.tensor([1.0, 2.0, 3.0]))
    assert sum(p.get_height() for p in fig.axes[0].patches) == 3
    w = torch.tensor([[-1.0, 2.0], [0.5, 0.0]])
    fig = weight_matrix(w)
    image = fig.axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0)  # diverging and symmetric when weights change sign
    fig = weight_histogram(w, bounds=(-2, 2), bins=4)
    assert sum(p.get_height() for p in fig.axes[0].patches) == 4
    with pytest.raises(DataError, match="NaN"):
        weight_matrix(torch.tensor([[float("nan")]]))


def test_accuracy_and_energy():
    fig = accuracy_over_time([1, 3600, 86400], {"PCM": [0.9, 0.85, 0.8], "GDC": [0.9, 0.89, 0.88]},
                             spread={"PCM": [0.01, 0.01, 0.02]})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_xscale() == "log"
    with pytest.raises(DataError, match="3 times but 2 values"):
        accuracy_over_time([1, 2, 3], [0.1, 0.2])
    fig = energy_breakdown(SimpleNamespace(by_kind={"adc": 3.0, "array": 1.0}))
    texts = sorted(t.get_text().strip() for t in fig.axes[0].texts)
    assert texts == ["25.0 %", "75.0 %"] and "total 4 J" in fig.axes[0].get_title()
    with pytest.raises(DataError, match="≥ 0"):
        energy_breakdown({"a": -1.0})
