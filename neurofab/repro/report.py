"""A reproduction's report: quantity · paper value · ours · tolerance · verdict, plus figures.

Each row states how ours is judged against the paper:

- :class:`Exact` — the same number (relative 1e-9), for arithmetic the paper prints in full;
- :class:`Rounded` — ours rounded to the digits the paper printed equals the paper's value;
- :class:`Relative` / :class:`Absolute` — within a band, with the reason in the row's note;
- :class:`Ordering` — a claim such as "TTv2 > SGD" checked on our two computed values;
- :class:`Within` — ours inside an interval (for claims like "within a point of FP32");
- :class:`Info` — context that is printed but not judged (dataset substitutes, run settings).

The paper column holds the printed value; ``ours`` is always computed by the run, never copied.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from neurofab.core import ConfigError, atomic_write, atomic_write_json, atomic_write_text

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


def _fmt(v: Value) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e6:
            return f"{v:.6g}"
        return f"{v:.4g}"
    return str(v)


@dataclass
class Row:
    """One compared quantity."""

    quantity: str
    paper: Value
    ours: Value
    tolerance: Tolerance
    unit: str = ""
    note: str = ""

    @property
    def holds(self) -> bool:
        try:
            return bool(self.tolerance.holds(self.paper, self.ours))
        except (TypeError, ValueError):
            return False

    @property
    def verdict(self) -> str:
        if isinstance(self.tolerance, Info):
            return "info"
        return "ok" if self.holds else "FAIL"

    def ours_text(self) -> str:
        if isinstance(self.tolerance, Ordering):
            t = self.tolerance
            return f"{_fmt(float(t.lhs))} {t.op} {_fmt(float(t.rhs))}"
        return _fmt(self.ours)

    def to_dict(self) -> dict[str, Any]:
        tol = {k: v for k, v in self.tolerance.__dict__.items()}
        return {
            "quantity": self.quantity,
            "paper": self.paper,
            "ours": self.ours if not isinstance(self.tolerance, Ordering) else self.ours_text(),
            "unit": self.unit,
            "tolerance": tol,
            "verdict": self.verdict,
            "note": self.note,
        }


@dataclass
class Report:
    """What a reproduction returns: its rows, figures and the settings of the run."""

    name: str
    title: str
    paper: str
    quick: bool = True
    seed: int = 0
    rows: list[Row] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # name -> matplotlib Figure
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # computed tables or series for report.json
    started: float = field(default_factory=time.perf_counter)
    elapsed_s: float | None = None

    # ----- building ------------------------------------------------------------------------------
    def add(
        self,
        quantity: str,
        paper: Value,
        ours: Value,
        tolerance: Tolerance,
        unit: str = "",
        note: str = "",
    ) -> Row:
        """Append a row; ``ours`` must be a value this run computed."""
        if isinstance(ours, float) and not math.isfinite(ours) and not isinstance(tolerance, Info):
            note = (note + " " if note else "") + "(ours is not finite)"
        row = Row(quantity, paper, ours, tolerance, unit, note)
        self.rows.append(row)
        return row

    def ordering(self, quantity: str, claim: str, lhs: float, op: str, rhs: float, margin: float = 0.0,
                 unit: str = "", note: str = "") -> Row:
        """Append an ordering row: the paper column shows ``claim``; ours shows ``lhs op rhs``."""
        tol = Ordering(float(lhs), op, float(rhs), margin)  # type: ignore[arg-type]
        return self.add(quantity, claim, tol.holds(), tol, unit, note)

    def add_figure(self, name: str, fig: Any) -> None:
        self.figures[name] = fig

    def finish(self) -> Report:
        self.elapsed_s = time.perf_counter() - self.started
        return self

    # ----- verdicts ------------------------------------------------------------------------------
    @property
    def passed(self) -> bool:
        return all(r.holds for r in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.holds]

    # ----- rendering -----------------------------------------------------------------------------
    def table(self) -> Table:
        """The rows as a rich table; each row's note is a numbered footnote (see :meth:`print`)."""
        t = Table(title=f"{self.name}: {self.title}", caption=self.paper, show_lines=False)
        for col, kw in [("#", {"justify": "right"}), ("quantity", {"overflow": "fold", "ratio": 3}),
                        ("paper", {"justify": "right"}), ("ours", {"justify": "right"}), ("unit", {}),
                        ("tolerance", {}), ("verdict", {})]:
            t.add_column(col, **kw)
        for i, r in enumerate(self.rows, 1):
            style = {"ok": "green", "FAIL": "bold red", "info": "dim"}[r.verdict]
            t.add_row(str(i), r.quantity, _fmt(r.paper), r.ours_text(), r.unit, r.tolerance.describe(),
                      f"[{style}]{r.verdict}[/{style}]")
        return t

    def print(self, console: Console | None = None) -> None:
        """The table, the rows' notes as numbered footnotes, the report's notes and the count of rows that hold."""
        console = console or Console()
        console.print(self.table())
        for i, r in enumerate(self.rows, 1):
            if r.note:
                console.print(f"  [{i}] {r.note}", highlight=False, markup=False)
        for n in self.notes:
            console.print(f"  • {n}", highlight=False, markup=False)
        held = sum(r.holds for r in self.rows)
        colour = "green" if self.passed else "red"
        console.print(f"[{colour}]{held}/{len(self.rows)} rows hold[/{colour}]"
                      + (f" in {self.elapsed_s:.1f} s" if self.elapsed_s is not None else ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "paper": self.paper,
            "quick": self.quick,
            "seed": self.seed,
            "passed": self.passed,
            "elapsed_s": self.elapsed_s,
            "rows": [r.to_dict() for r in self.rows],
            "notes": self.notes,
            "figures": [f"{n}.png" for n in self.figures],
            "extra": self.extra,
        }

    def to_markdown(self) -> str:
        lines = [f"# {self.name}: {self.title}", "", f"*{self.paper}*", "",
                 f"Mode: {'quick' if self.quick else 'full'} · seed {self.seed}"
                 + (f" · {self.elapsed_s:.1f} s" if self.elapsed_s is not None else ""), "",
                 "| quantity | paper | ours | unit | tolerance | verdict | note |",
                 "|---|---:|---:|---|---|---|---|"]
        for r in self.rows:
            cells = [r.quantity, _fmt(r.paper), r.ours_text(), r.unit, r.tolerance.describe(), r.verdict, r.note]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        if self.figures:
            lines += ["", *[f"![{n}]({n}.png)" for n in self.figures]]
        lines.append("")
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``report.json``, ``report.md`` and one PNG per figure into ``out_dir``, each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, fig in self.figures.items():
            atomic_write(out / f"{name}.png", lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=120))
        atomic_write_json(out / "report.json", self.to_dict())
        atomic_write_text(out / "report.md", self.to_markdown())
        return out
