"""Every Python block of the README and docs/ runs on its own, in a fresh interpreter, as a reader would paste it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for k, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)):
            out.append((f"{page.relative_to(ROOT)}#{k + 1}", block))
    return out


BLOCKS = blocks()


def test_the_readme_has_its_tour():
    assert sum(name.startswith("README.md") for name, _ in BLOCKS) >= 4


@pytest.mark.slow
@pytest.mark.parametrize("name, code", BLOCKS, ids=[n for n, _ in BLOCKS])
def test_block_runs_on_its_own(name, code, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{name} failed:\n{result.stderr[-3000:]}"
    if name == "README.md#1":
        assert "SoftBounds.dw_min = -0.1" in result.stdout
