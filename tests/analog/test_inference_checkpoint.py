"""A programmed, drifted inference model checkpoints and reloads in a new process bit-identically."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from neurofab.analog import convert_to_inference, drift_to, program
from neurofab.core import ShapeError

ROOT = Path(__file__).resolve().parents[2]


MODEL = """
import torch
from torch import nn
from neurofab.analog import convert_to_inference


def model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 6 * 6, 5))
    return convert_to_inference(net, seed=4).eval()
"""
_namespace: dict = {}
exec(MODEL, _namespace)
model = _namespace["model"]


def test_state_dict_holds_the_programmed_state(tmp_path):
    m = model()
    program(m, seed=1)
    drift_to(m, 86400.0, seed=2)
    torch.save(m.state_dict(), tmp_path / "ckpt.pt")
    x = torch.rand(4, 1, 8, 8)
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        expected = torch.stack([m(x) for _ in range(3)])  # per-read noise: three successive reads
    script = MODEL + textwrap.dedent(f"""
        m = model()
        m.load_state_dict(torch.load({str(tmp_path / "ckpt.pt")!r}, weights_only=False))
        x = torch.load({str(tmp_path / "x.pt")!r})
        with torch.no_grad():
            torch.save(torch.stack([m(x) for _ in range(3)]), {str(tmp_path / "y.pt")!r})
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, env=env)
    got = torch.load(tmp_path / "y.pt")
    assert torch.equal(got, expected)
    fresh = model()
    with torch.no_grad():
        assert not torch.equal(fresh(x), expected[0])  # an unprogrammed model reads otherwise


def test_mismatched_checkpoint_is_refused():
    small = convert_to_inference(nn.Linear(4, 3))
    big = convert_to_inference(nn.Linear(4, 5))
    program(small, seed=0)
    state = {k: v for k, v in small.state_dict().items() if "tile" in k}
    with pytest.raises((ShapeError, RuntimeError)):
        big.load_state_dict({**big.state_dict(), **state})
