"""Which code runs a kernel: the compiled (numba) CPU kernels or the torch code that runs on any torch device.

Compiled kernels read numpy views of CPU tensors, so every path that has one also has a torch fallback, taken
for tensors on other devices (CUDA, MPS, …). ``NEUROFAB_TORCH_ONLY=1`` in the environment, :func:`set_torch_only`
or the :func:`torch_only_mode` block force the fallback on CPU too — to check it against the compiled path, or
to time what a GPU user's code runs. :func:`use_compiled` is the one test every dispatch makes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

__all__ = ["set_torch_only", "torch_only", "torch_only_mode", "use_compiled"]

_FORCED: bool | None = None  # None: follow the environment


def torch_only() -> bool:
    """Whether the torch fallback is forced (``set_torch_only``, else ``NEUROFAB_TORCH_ONLY`` ∈ {1, true, yes})."""
    if _FORCED is not None:
        return _FORCED
    return os.environ.get("NEUROFAB_TORCH_ONLY", "").strip().lower() in ("1", "true", "yes", "on")


def set_torch_only(on: bool | None) -> None:
    """Force (True) or forbid (False) the torch fallback everywhere; None follows ``NEUROFAB_TORCH_ONLY`` again."""
    global _FORCED
    if on is not None and not isinstance(on, bool):
        from neurofab.core.errors import InputTypeError

        raise InputTypeError(f"set_torch_only: expected True, False or None, got {on!r}")
    _FORCED = on


@contextlib.contextmanager
def torch_only_mode(on: bool = True) -> Iterator[None]:
    """Inside the block the torch fallback is forced (``on=True``) or the compiled kernels allowed (False)."""
    before = _FORCED
    set_torch_only(on)
    try:
        yield
    finally:
        set_torch_only(before)


def use_compiled(*tensors: torch.Tensor) -> bool:
    """True when the compiled CPU kernels may run on ``tensors``: all on the CPU and the fallback not forced."""
    return not torch_only() and all(t.device.type == "cpu" for t in tensors)
