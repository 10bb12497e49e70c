"""Running a peer simulator's script under its own interpreter (shared by the benchmark scripts)."""

from __future__ import annotations

import os
import subprocess

#: (environment variable, default interpreter) of each peer, as built by ../shared/anchors/setup-envs.sh
AIHWKIT = ("AIHWKIT_PYTHON", "/tmp/anchors-aihw/bin/python")
SNNTORCH = ("SNNTORCH_PYTHON", "/tmp/anchors-snn/bin/python")


def peer_python(env_var: str, default: str) -> str | None:
    """The peer's interpreter from ``env_var`` (else ``default``), or None when it does not exist."""
    python = os.environ.get(env_var, default)
    return python if os.path.exists(python) else None


def run_peer(env_var: str, default: str, script: str, *args: object, timeout: float = 3600) -> str | None:
    """stdout of ``script`` run by the peer's interpreter with ``args``; None (and a printed reason) on failure."""
    python = peer_python(env_var, default)
    if python is None:
        print(f"peer skipped: no interpreter at {os.environ.get(env_var, default)} (set {env_var})")
        return None
    try:
        out = subprocess.run(
            [python, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.CalledProcessError as err:
        print(f"peer skipped: exit {err.returncode}: {err.stderr.strip().splitlines()[-1:]}")
        return None
    except (subprocess.SubprocessError, OSError) as err:
        print(f"peer skipped: {type(err).__name__}: {err}")
        return None
    return out.stdout


def print_step_times(best: dict[str, float], peer_label: str) -> None:
    """Print per-pulse and expected-value step times [s] of ``best`` beside the peer's ("aihwkit"), then the ratios;
    the last line is ``ratio vs aihwkit: X`` (per-pulse), or says the peer was skipped."""
    print(f"neurofab per-pulse step: {1e3 * best['stochastic']:.2f} ms")
    print(f"neurofab expected-value step: {1e3 * best['expected']:.2f} ms")
    if "aihwkit" in best:
        print(f"{peer_label} step: {1e3 * best['aihwkit']:.2f} ms")
        print(f"expected-value mode ratio vs aihwkit: {best['aihwkit'] / best['expected']:.2f}")
        print(f"ratio vs aihwkit: {best['aihwkit'] / best['stochastic']:.2f}")
    else:
        print("aihwkit: skipped (no interpreter; set AIHWKIT_PYTHON)")
        print("ratio vs aihwkit: skipped (peer absent)")
