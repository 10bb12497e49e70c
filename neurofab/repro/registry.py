"""The reproduction registry: ``@reproduction("name", paper=..., summary=...)`` on ``run(quick, seed) -> Report``.

Every module in ``neurofab.repro`` whose name does not start with ``_`` is imported by :func:`discover`, so a
new reproduction is one new file.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from neurofab.core import ConfigError, UnknownNameError
from neurofab.repro.report import Report

RunFn = Callable[..., Report]


@dataclass(frozen=True)
class Reproduction:
    """A registered reproduction: its name, the paper it reproduces, one line on what it shows."""

    name: str
    paper: str
    summary: str
    run_fn: RunFn

    def run(self, quick: bool = True, seed: int = 0, **params: Any) -> Report:
        """Run and return the finished report (``params`` go to reproductions that accept them)."""
        accepted = inspect.signature(self.run_fn).parameters
        unknown = [k for k in params if k not in accepted]
        if unknown:
            raise ConfigError(f"reproduction {self.name!r} takes no parameter(s) {unknown}; "
                              f"it takes {[k for k in accepted if k not in ('quick', 'seed')]}")
        report = self.run_fn(quick=quick, seed=seed, **params)
        report.quick, report.seed = quick, seed
        return report.finish() if report.elapsed_s is None else report


_REGISTRY: dict[str, Reproduction] = {}


def reproduction(name: str, paper: str, summary: str) -> Callable[[RunFn], RunFn]:
    """Register ``run(quick: bool, seed: int) -> Report`` under ``name``."""

    def deco(fn: RunFn) -> RunFn:
        if name in _REGISTRY and _REGISTRY[name].run_fn is not fn:
            raise ConfigError(f"reproduction {name!r} is registered twice")
        _REGISTRY[name] = Reproduction(name, paper, summary, fn)
        return fn

    return deco


def discover() -> None:
    """Import every reproduction module of the package (idempotent)."""
    import neurofab.repro as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_") and info.name not in {"report", "registry", "claims", "tolerances"}:
            importlib.import_module(f"neurofab.repro.{info.name}")


def get(name: str) -> Reproduction:
    discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(f"unknown reproduction {name!r}; known: {', '.join(names()) or '(none)'}") from None


def names() -> list[str]:
    discover()
    return sorted(_REGISTRY)


def all_reproductions() -> list[Reproduction]:
    return [_REGISTRY[n] for n in names()]
