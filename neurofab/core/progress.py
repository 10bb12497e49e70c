"""Progress bars (rich) for long runs: on for a terminal, off in pipes, logs and tests, never on stdout.

    with progress(total=steps, description="Network.run") as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))

``enabled``: True or False forces it; None (the default) shows a bar only when standard error is a terminal
and ``NEUROFAB_PROGRESS`` is not ``0`` (set it to ``1`` to force bars everywhere). A disabled bar costs one
function call per ``advance``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress", "progress_wanted"]


def progress_wanted(enabled: bool | None = None) -> bool:
    """Whether to show a bar: ``enabled`` if given, else ``NEUROFAB_PROGRESS`` (0/1) if set, else whether
    standard error is a terminal."""
    if enabled is not None:
        return bool(enabled)
    env = os.environ.get("NEUROFAB_PROGRESS", "").strip()
    if env in ("0", "1"):
        return env == "1"
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _noop(n: float = 1) -> None:
    return None


_ACTIVE: list = []  # the live rich Progress while one is shown: nested bars join it (rich allows one live display)


@contextmanager
def progress(total: float | None, description: str, enabled: bool | None = None,
             unit: str = "") -> Iterator[Callable[[float], None]]:
    """A context whose value ``advance(n=1)`` moves a rich progress bar of ``total`` steps (None: unknown, a
    pulsing bar) on standard error; the bar disappears when the block ends. A bar opened while another is shown
    becomes a second line of the same display. See :func:`progress_wanted` for ``enabled``."""
    if not progress_wanted(enabled):
        yield _noop
        return
    if _ACTIVE:
        bar = _ACTIVE[-1]
        task = bar.add_task(description, total=total, unit=unit)
        try:
            yield lambda n=1: bar.advance(task, n)
        finally:
            bar.remove_task(task)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
               TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        _ACTIVE.append(bar)
        try:
            task = bar.add_task(description, total=total, unit=unit)
            yield lambda n=1: bar.advance(task, n)
        finally:
            _ACTIVE.pop()
