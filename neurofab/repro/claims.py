"""A paper's headline claims, stated before any run: quantity, printed value, source, tolerance and its rule.

Each reproduction lists its claims once, as a module-level :class:`Claims` table. A run judges each claim with a
value it computed (:meth:`neurofab.repro.Report.judge`); the verdict is one of

- ``reproduces`` — inside the tolerance;
- ``deviates (declared)`` — outside, and the claim declares the deviation with its cause, of one of three kinds
  (:data:`DeviationKind`): ``measured`` (our set-up differs from the paper's and the difference is measured),
  ``paper`` (the paper's printed value does not follow from its own printed inputs; the declaration shows the
  arithmetic, and no model can reproduce it) or ``inputs`` (computing it needs inputs that neither the seed nor
  the releases it cites give: a SPICE fit, an array's area, a supplementary figure). The kind is reported apart;
  the deviation counts against the reproduction whatever its kind;
- ``DEVIATES`` — outside, undeclared: a regression, the run fails;
- ``REPRODUCES, declared as deviating`` — strict like pytest's xfail: a declared deviation that now holds fails
  the run until the declaration is removed;
- ``inconclusive`` — the claim is judged over seeds and the run cannot tell: value ± 2 standard errors (over the
  run's seeds) straddles the claim's boundary. It neither counts as reproduced nor fails the run; more seeds (a
  full run) decide it. Rules whose band is already k × a spread (:class:`SeedSpread`, :class:`RunSpread`) are
  that test themselves and keep two outcomes, except that a declaration is stale only beyond the run's resolution.

A tolerance is never chosen after looking at our own miss: every claim names the **rule** that set it, and the rule
bounds how wide the band may be (:meth:`Rule.allows`). The rules:

- :class:`Arithmetic` — closed-form arithmetic of the paper's own premises: exact, or rounded as printed;
- :class:`PrintedPrecision` — half a unit in the last digit the paper printed;
- :class:`SeedSpread` — k × a seed-to-seed standard error measured beforehand over a stated number of seeds;
- :class:`RunSpread` — k × a spread this run measures (the s.e. over its seeds, a paired test-set resolution);
  the band is filled in when the claim is judged;
- :class:`ModelUncertainty` — a relative or absolute uncertainty argued from the model or the physics;
- :class:`Qualitative` — an ordering or a bound the paper states in words (``A > B``, "below 1 %"); no slack.

k is at most :data:`MAX_K`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from neurofab.core import ConfigError
from neurofab.repro.tolerances import (
    Absolute,
    Exact,
    Info,
    Ordering,
    Relative,
    Rounded,
    Tolerance,
    Value,
    Within,
)

MAX_K = 3.0  # the widest band a spread rule may set: 3 standard errors
_SLACK = 1 + 1e-9


class Rule:
    """How a tolerance was fixed before the run; :meth:`allows` says whether a band respects it."""

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _lenient_margin(tolerance: Tolerance) -> float:
    """The slack an ordering gives the claim (0 for strict ``>``/``<``: their margin only makes them harder)."""
    if isinstance(tolerance, Ordering) and tolerance.op in (">=", "<=", "≈"):
        return tolerance.margin
    return 0.0


def _band(tolerance: Tolerance, paper: Value) -> tuple[float, float]:
    """(absolute half-width, relative half-width) of a band; inf where the band is open."""
    if isinstance(tolerance, Exact):
        return 0.0, 0.0
    if isinstance(tolerance, Absolute):
        return tolerance.tol, math.inf
    if isinstance(tolerance, Relative):
        p = abs(float(paper)) if isinstance(paper, int | float) and not isinstance(paper, bool) else math.inf
        return tolerance.rel * p, tolerance.rel
    if isinstance(tolerance, Ordering):
        return _lenient_margin(tolerance), math.inf
    return math.inf, math.inf


@dataclass(frozen=True)
class Arithmetic(Rule):
    """The paper's arithmetic on its own premises: exact (relative 1e-9) or rounded to its printed digits."""

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        return isinstance(tolerance, Exact | Rounded)

    def describe(self) -> str:
        return "arithmetic: exact or as printed"


@dataclass(frozen=True)
class PrintedPrecision(Rule):
    """Half a unit in the last digit printed: ``decimals`` places or ``sig`` significant figures."""

    decimals: int | None = None
    sig: int | None = None

    def __post_init__(self) -> None:
        if (self.decimals is None) == (self.sig is None):
            raise ConfigError("PrintedPrecision needs exactly one of decimals= or sig=")

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        if isinstance(tolerance, Exact):
            return True
        if isinstance(tolerance, Rounded):
            return tolerance.decimals == self.decimals and tolerance.sig == self.sig
        absolute, relative = _band(tolerance, paper)
        if self.decimals is not None:
            return absolute <= 0.5 * 10.0 ** (-self.decimals) * _SLACK
        p = abs(float(paper)) if isinstance(paper, int | float) and not isinstance(paper, bool) and paper else 0.0
        ulp = 10.0 ** (math.floor(math.log10(p)) - self.sig + 1) if p else 0.0
        return absolute <= 0.5 * ulp * _SLACK or relative <= 0.5 * 10.0 ** (1 - self.sig) * _SLACK

    def describe(self) -> str:
        return f"printed precision ({self.decimals} d.p.)" if self.decimals is not None else \
            f"printed precision ({self.sig} s.f.)"


@dataclass(frozen=True)
class SeedSpread(Rule):
    """k × a seed-to-seed standard error ``se`` measured beforehand over ``seeds`` seeds (``measured`` says how)."""

    k: float
    se: float
    seeds: int
    measured: str

    def __post_init__(self) -> None:
        if not (0 < self.k <= MAX_K) or not (self.se > 0) or self.seeds < 2 or not self.measured:
            raise ConfigError(f"SeedSpread needs 0 < k ≤ {MAX_K}, se > 0, seeds ≥ 2 and how it was measured")

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        absolute, _ = _band(tolerance, paper)
        return absolute <= self.k * self.se * _SLACK

    def describe(self) -> str:
        return f"{self.k:g} × s.e. {self.se:.3g} over {self.seeds} seeds"


@dataclass(frozen=True)
class RunSpread(Rule):
    """k × a spread this run measures (``of`` names it); the band is set when the claim is judged."""

    k: float
    of: str

    def __post_init__(self) -> None:
        if not (0 < self.k <= MAX_K) or not self.of:
            raise ConfigError(f"RunSpread needs 0 < k ≤ {MAX_K} and what spread it scales")

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        return isinstance(tolerance, Absolute | Ordering)  # the band itself is built from k × the spread

    def describe(self) -> str:
        return f"{self.k:g} × {self.of}"


@dataclass(frozen=True)
class ModelUncertainty(Rule):
    """An uncertainty argued from the model or the physics, relative (``rel``) or absolute (``abs``)."""

    why: str
    rel: float | None = None
    abs: float | None = None

    def __post_init__(self) -> None:
        if not self.why or (self.rel is None and self.abs is None):
            raise ConfigError("ModelUncertainty needs the argument (why=) and a rel= or abs= bound")

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        absolute, relative = _band(tolerance, paper)
        ok_rel = self.rel is not None and relative <= self.rel * _SLACK
        ok_abs = self.abs is not None and absolute <= self.abs * _SLACK
        return ok_rel or ok_abs or isinstance(tolerance, Exact)

    def describe(self) -> str:
        bound = f"±{self.rel:g} rel" if self.rel is not None else f"±{self.abs:g} abs"
        return f"model uncertainty {bound}"


@dataclass(frozen=True)
class Qualitative(Rule):
    """An ordering or bound stated in words by the paper: strict orderings, or a range the paper itself gives."""

    why: str = "stated by the paper"

    def allows(self, tolerance: Tolerance, paper: Value) -> bool:
        if isinstance(tolerance, Ordering):
            return _lenient_margin(tolerance) == 0.0
        return isinstance(tolerance, Within)

    def describe(self) -> str:
        return "as stated"


OrderOp = Literal[">", ">=", "<", "<=", "≈"]
DeviationKind = Literal["measured", "paper", "inputs"]
DEVIATION_KINDS: dict[str, str] = {  # kind → how the summary names it
    "paper": "the paper's own arithmetic",
    "inputs": "inputs the paper does not give",
    "measured": "measured",
}


@dataclass(frozen=True)
class Claim:
    """One headline claim of a paper.

    ``paper`` is the printed value (or the claim in words, for orderings); ``source`` its place in the seed text
    (``"seed 001 l. 4420, Table 3"``). A numeric claim has a ``tolerance``; an ordering claim has ``order`` (the
    operator between the two values the run computes) and, with a :class:`RunSpread` rule, gets its margin when
    judged. ``deviation`` declares a known deviation with its cause, ``deviation_kind`` the kind of cause
    (:data:`DeviationKind`; ``"measured"`` unless the paper contradicts itself or withholds an input).
    ``full_only`` claims are judged only in full runs (they need data or sizes quick mode does not have); quick
    runs list them as not run.
    ``consistency`` marks a row that redoes the paper's arithmetic from its own inputs: counted apart.
    """

    key: str
    quantity: str
    paper: Value
    source: str
    rule: Rule
    tolerance: Tolerance | None = None
    order: OrderOp | None = None
    unit: str = ""
    deviation: str | None = None
    deviation_kind: DeviationKind = "measured"
    full_only: bool = False
    consistency: bool = False

    def __post_init__(self) -> None:
        where = f"claim {self.key!r}"
        if not self.key or not self.quantity or not self.source:
            raise ConfigError(f"{where}: key, quantity and source are required")
        if not isinstance(self.rule, Rule):
            raise ConfigError(f"{where}: rule must be a Rule (the reason its tolerance is what it is)")
        if (self.tolerance is None) == (self.order is None):
            raise ConfigError(f"{where}: give a tolerance (numeric claim) or an order (ordering claim), not both")
        if isinstance(self.tolerance, Info):
            raise ConfigError(f"{where}: a claim is judged; Info is for context rows, not claims")
        if self.tolerance is None and isinstance(self.rule, SeedSpread):
            pass  # an ordering whose margin is k × a pre-measured s.e.
        if self.tolerance is not None and not isinstance(self.rule, RunSpread) \
                and not self.rule.allows(self.tolerance, self.paper):
            raise ConfigError(f"{where}: tolerance {self.tolerance.describe()} is wider than its rule "
                              f"({self.rule.describe()}) allows")
        if self.consistency and self.deviation:
            raise ConfigError(f"{where}: a consistency check cannot declare a deviation")
        if self.deviation is not None and not self.deviation.strip():
            raise ConfigError(f"{where}: a declared deviation needs its measured cause")
        if self.deviation_kind not in DEVIATION_KINDS:
            raise ConfigError(f"{where}: deviation_kind = {self.deviation_kind!r}: must be one of "
                              f"{sorted(DEVIATION_KINDS)}")
        if self.deviation is None and self.deviation_kind != "measured":
            raise ConfigError(f"{where}: deviation_kind {self.deviation_kind!r} without a declared deviation")

    def ordering_margin(self, spread: float | None) -> float:
        """The margin of an ordering claim: k × spread (RunSpread), k × se (SeedSpread), else 0."""
        if isinstance(self.rule, RunSpread):
            if spread is None or not math.isfinite(spread) or spread < 0:
                raise ConfigError(f"claim {self.key!r}: a RunSpread claim is judged with spread= (≥ 0)")
            return self.rule.k * spread
        if isinstance(self.rule, SeedSpread):
            return self.rule.k * self.rule.se
        return 0.0


@dataclass
class Claims:
    """A reproduction's claims table, keyed by ``Claim.key`` (unique), in the order the paper makes them."""

    items: list[Claim] = field(default_factory=list)

    def __post_init__(self) -> None:
        keys = [c.key for c in self.items]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ConfigError(f"claim keys must be unique; repeated: {dup}")

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: str) -> Claim:
        for c in self.items:
            if c.key == key:
                return c
        raise ConfigError(f"no claim {key!r}; claims: {[c.key for c in self.items]}")
