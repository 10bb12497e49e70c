"""Tolerances: how one computed value is compared with the paper's printed one.

- :class:`Exact` — the same number (relative 1e-9), for arithmetic the paper prints in full;
- :class:`Rounded` — ours rounded to the digits the paper printed equals the paper's value;
- :class:`Relative` / :class:`Absolute` — within a band (its rule is stated in the claim, see ``claims``);
- :class:`Ordering` — a claim such as "TTv2 > SGD" checked on our two computed values;
- :class:`Within` — ours inside an interval (for claims like "below 1 %");
- :class:`Info` — context that is printed but not judged (dataset substitutes, run settings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from neurofab.core import ConfigError

Value = float | int | str | bool | None


@dataclass(frozen=True)
class Exact:
    """Ours equals the paper's value to relative 1e-9 (or absolute 1e-12 at zero)."""

    kind: Literal["exact"] = "exact"

    def holds(self, paper: Value, ours: Value) -> bool:
        if isinstance(paper, str) or isinstance(ours, str):
            return paper == ours
        return math.isclose(float(ours), float(paper), rel_tol=1e-9, abs_tol=1e-12)

    def describe(self) -> str:
        return "exact"


@dataclass(frozen=True)
class Rounded:
    """Ours rounded to ``digits`` significant figures (or ``decimals`` places) equals the paper's printed value."""

    sig: int | None = None
    decimals: int | None = None
    kind: Literal["rounded"] = "rounded"

    def __post_init__(self) -> None:
        if (self.sig is None) == (self.decimals is None):
            raise ConfigError("Rounded needs exactly one of sig= or decimals=")

    def round(self, x: float) -> float:
        if self.decimals is not None:
            return round(x, self.decimals)
        if x == 0:
            return 0.0
        return round(x, self.sig - 1 - math.floor(math.log10(abs(x))))

    def holds(self, paper: Value, ours: Value) -> bool:
        return math.isclose(self.round(float(ours)), float(paper), rel_tol=1e-9, abs_tol=1e-12)

    def describe(self) -> str:
        return f"rounded to {self.sig} s.f." if self.sig is not None else f"rounded to {self.decimals} d.p."


@dataclass(frozen=True)
class Relative:
    """|ours − paper| ≤ rel · |paper|."""

    rel: float
    kind: Literal["relative"] = "relative"

    def holds(self, paper: Value, ours: Value) -> bool:
        return abs(float(ours) - float(paper)) <= self.rel * abs(float(paper))

    def describe(self) -> str:
        return f"±{self.rel:.3g} rel" if self.rel >= 0.01 else f"±{self.rel * 100:.2g} % rel"


@dataclass(frozen=True)
class Absolute:
    """|ours − paper| ≤ tol."""

    tol: float
    kind: Literal["absolute"] = "absolute"

    def holds(self, paper: Value, ours: Value) -> bool:
        return abs(float(ours) - float(paper)) <= self.tol

    def describe(self) -> str:
        return f"±{self.tol:g} abs"


@dataclass(frozen=True)
class Within:
    """lo ≤ ours ≤ hi (either bound may be None)."""

    lo: float | None = None
    hi: float | None = None
    kind: Literal["within"] = "within"

    def holds(self, paper: Value, ours: Value) -> bool:
        x = float(ours)
        return (self.lo is None or x >= self.lo) and (self.hi is None or x <= self.hi)

    def describe(self) -> str:
        lo = "−∞" if self.lo is None else f"{self.lo:g}"
        hi = "∞" if self.hi is None else f"{self.hi:g}"
        return f"in [{lo}, {hi}]"


@dataclass(frozen=True)
class Ordering:
    """A claim ``lhs op rhs`` (op one of > ≥ < ≤ ≈) on two computed values; ≈ uses ``margin`` (absolute)."""

    lhs: float
    op: Literal[">", ">=", "<", "<=", "≈"]
    rhs: float
    margin: float = 0.0
    kind: Literal["ordering"] = "ordering"

    def holds(self, paper: Value = None, ours: Value = None) -> bool:
        a, b, m = float(self.lhs), float(self.rhs), self.margin
        return {
            ">": a > b + m,
            ">=": a >= b - m,
            "<": a < b - m,
            "<=": a <= b + m,
            "≈": abs(a - b) <= m,
        }[self.op]

    def describe(self) -> str:
        return f"ordering (margin {self.margin:g})" if self.margin else "ordering"


@dataclass(frozen=True)
class Info:
    """Printed for context, not judged."""

    kind: Literal["info"] = "info"

    def holds(self, paper: Value, ours: Value) -> bool:
        return True

    def describe(self) -> str:
        return "—"


Tolerance = Exact | Rounded | Relative | Absolute | Within | Ordering | Info
