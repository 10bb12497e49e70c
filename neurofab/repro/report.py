"""A reproduction's report: quantity · paper value · ours · tolerance · verdict, plus figures.

Rows are of three kinds:

- **claims** — the paper's headline claims, stated before the run in a :class:`~neurofab.repro.claims.Claims`
  table and judged by :meth:`Report.judge`: ``reproduces``, ``deviates (declared)``, ``DEVIATES`` (undeclared) or
  ``REPRODUCES, declared as deviating`` (a stale declaration, strict like pytest's xfail), or ``inconclusive``
  when the claim is judged over seeds and the run's own interval (value ± :data:`K_RESOLVE` × its standard error)
  straddles the claim's boundary;
- **consistency checks** — rows that redo the paper's arithmetic from its own inputs (:meth:`Report.consistency`),
  counted apart: ``consistent`` or ``INCONSISTENT``;
- **info** — context that is not a claim: substitutes, settings, our extra variants (:meth:`Report.add` with
  :class:`Info`).

The paper column holds the printed value; ``ours`` is always computed by the run, never copied. A report passes when
no claim deviates undeclared, no declaration is stale and every consistency check holds; the CLI prints
"N claims: R reproduce, D deviate (declared), U deviate (undeclared)".
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from neurofab.core import ConfigError, atomic_write, atomic_write_json, atomic_write_text
from neurofab.repro.claims import DEVIATION_KINDS, Claim, Claims, RunSpread, SeedSpread
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

__all__ = ["Absolute", "Exact", "Info", "Ordering", "Relative", "Report", "Rounded", "Row", "Within"]

RowKind = Literal["claim", "consistency", "info", "unclaimed", "not run"]
K_RESOLVE = 2.0  # a claim judged over seeds is decided only when value ± 2 s.e. lies wholly on one side
FAILING = frozenset({"DEVIATES", "REPRODUCES, declared as deviating", "INCONSISTENT", "FAIL", "NOT JUDGED"})
_STYLE = {"reproduces": "green", "consistent": "green", "ok": "green", "deviates (declared)": "yellow",
          "info": "dim", "not run (full only)": "dim", "inconclusive": "cyan"}


def _mean_and_se(values: Sequence[float]) -> tuple[float, float | None]:
    xs = [float(v) for v in values]
    if not xs:
        raise ConfigError("no values to judge")
    if len(xs) == 1:
        return xs[0], None
    return statistics.fmean(xs), statistics.stdev(xs) / math.sqrt(len(xs))


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
    """One compared quantity: a judged claim, a consistency check, or context (info)."""

    quantity: str
    paper: Value
    ours: Value
    tolerance: Tolerance
    unit: str = ""
    note: str = ""
    kind: RowKind = "unclaimed"
    claim: Claim | None = None
    se: float | None = None  # standard error of ours over seeds, where ours is a mean
    per_seed: list[float] | None = None
    source: str = ""
    resolve_in: float = 0.0  # half-width of the interval that must lie inside the claim to reproduce it
    resolve_out: float = 0.0  # half-width of the interval that must lie outside the claim to deviate

    def __post_init__(self) -> None:
        if isinstance(self.tolerance, Info) and self.kind == "unclaimed":
            self.kind = "info"

    @property
    def holds(self) -> bool:
        try:
            return bool(self.tolerance.holds(self.paper, self.ours))
        except (TypeError, ValueError):
            return False

    @property
    def verdict(self) -> str:
        if self.kind == "info":
            return "info"
        if self.kind == "not run":
            return "not run (full only)"
        if self.kind == "consistency":
            return "consistent" if self.holds else "INCONSISTENT"
        if self.kind == "claim":
            declared = self.claim is not None and self.claim.deviation is not None
            if self.ours is None and self.per_seed is None and not isinstance(self.tolerance, Ordering):
                return "NOT JUDGED"
            side = self.decision()
            if side == "inside":
                return "REPRODUCES, declared as deviating" if declared else "reproduces"
            if side == "outside":
                return "deviates (declared)" if declared else "DEVIATES"
            return "inconclusive"
        return "ok" if self.holds else "FAIL"  # a judged row outside any claims table

    def decision(self) -> Literal["inside", "outside", "open"]:
        """Where the judged value lies against the claim, given the run's own resolution.

        A strict ordering whose margin is k × a spread (``A > B + k s.e.``) reproduces beyond the margin, deviates
        only when the difference is as far the other way, and is ``open`` between. With no resolution (one value, or
        a band that is itself a significance test) this is whether the tolerance holds. Over seeds, ``inside``
        needs every seed inside the claim or value ± ``resolve_in`` wholly inside it, ``outside`` needs every seed
        outside or value ± ``resolve_out`` wholly outside it (and the mean on that side); anything between is
        ``open`` (inconclusive).
        """
        t = self.tolerance
        if isinstance(t, Ordering) and t.op in (">", "<") and self.claim is not None \
                and isinstance(self.claim.rule, SeedSpread | RunSpread):
            # "A > B" by more than k s.e.: its margin is the resolution; it deviates only when B ≥ A by as much
            d = float(t.lhs) - float(t.rhs)
            if _ordering_inside(t.op, d, d, t.margin):
                return "inside"
            return "outside" if _ordering_outside(t.op, d, d, -t.margin) else "open"
        if self.resolve_in <= 0 and self.resolve_out <= 0:
            return "inside" if self.holds else "outside"
        seeds = self.per_seed or []
        if isinstance(t, Ordering):
            d, m = float(t.lhs) - float(t.rhs), t.margin
            inside = _ordering_inside(t.op, d - self.resolve_in, d + self.resolve_in, m)
            outside = _ordering_outside(t.op, d - self.resolve_out, d + self.resolve_out, m)
            if len(seeds) > 1 and t.margin == 0:
                inside |= t.holds() and all(_ordering_inside(t.op, x, x, m) for x in seeds)
                outside |= not t.holds() and all(_ordering_outside(t.op, x, x, m) for x in seeds)
        else:
            try:
                v = float(self.ours)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return "inside" if self.holds else "outside"
            ok = lambda x: bool(t.holds(self.paper, x))  # noqa: E731
            inside = ok(v - self.resolve_in) and ok(v + self.resolve_in)
            lo, hi = v - self.resolve_out, v + self.resolve_out
            centre = _centre(t, self.paper)
            outside = not ok(lo) and not ok(hi) and not (centre is not None and lo <= centre <= hi)
            if len(seeds) > 1:
                inside |= ok(v) and all(ok(x) for x in seeds)
                outside |= not ok(v) and not any(ok(x) for x in seeds)
        if inside:
            return "inside"
        return "outside" if outside else "open"

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING

    def ours_text(self) -> str:
        if isinstance(self.tolerance, Ordering):
            t = self.tolerance
            return f"{_fmt(float(t.lhs))} {t.op} {_fmt(float(t.rhs))}"
        text = _fmt(self.ours)
        if self.se is not None and self.per_seed is not None:
            text += f" ± {_fmt(self.se)} ({len(self.per_seed)} seeds)"
        return text

    def tolerance_text(self) -> str:
        text = self.tolerance.describe()
        if self.claim is not None:
            text += f" [{self.claim.rule.describe()}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        tol = {k: v for k, v in self.tolerance.__dict__.items()}
        out = {
            "quantity": self.quantity,
            "paper": self.paper,
            "ours": self.ours if not isinstance(self.tolerance, Ordering) else self.ours_text(),
            "unit": self.unit,
            "tolerance": tol,
            "verdict": self.verdict,
            "kind": self.kind,
            "note": self.note,
        }
        if self.se is not None:
            out["se"] = self.se
        if self.per_seed is not None:
            out["per_seed"] = self.per_seed
        if self.resolve_in or self.resolve_out:
            out["resolution"] = {"inside": self.resolve_in, "outside": self.resolve_out}
        if self.claim is not None:
            out["claim"] = {"key": self.claim.key, "source": self.claim.source, "rule": self.claim.rule.describe(),
                            "deviation": self.claim.deviation, "deviation_kind": self.claim.deviation_kind}
        elif self.source:
            out["source"] = self.source
        return out


@dataclass
class Report:
    """What a reproduction returns: its rows, figures and the settings of the run.

    ``claims`` is the reproduction's claims table; every claim is judged once per run with :meth:`judge` (claims
    marked ``full_only`` only in full runs). :meth:`finish` lists the claims a run did not judge.
    """

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
    claims: Claims | None = None

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
        """Append a row; ``ours`` must be a value this run computed. Use :class:`Info` for context rows;
        claims go through :meth:`judge` and re-computed paper arithmetic through :meth:`consistency`."""
        if isinstance(ours, float) and not math.isfinite(ours) and not isinstance(tolerance, Info):
            note = (note + " " if note else "") + "(ours is not finite)"
        row = Row(quantity, paper, ours, tolerance, unit, note)
        self.rows.append(row)
        return row

    def ordering(self, quantity: str, claim: str, lhs: float, op: str, rhs: float, margin: float = 0.0,
                 unit: str = "", note: str = "") -> Row:
        """Append an ordering row outside any claims table (prefer a claim with ``order=``)."""
        tol = Ordering(float(lhs), op, float(rhs), margin)  # type: ignore[arg-type]
        return self.add(quantity, claim, tol.holds(), tol, unit, note)

    def judge(
        self,
        key: str,
        ours: Value | Sequence[float] = None,
        *,
        lhs: float | Sequence[float] | None = None,
        rhs: float | Sequence[float] | None = None,
        spread: float | None = None,
        note: str = "",
    ) -> Row:
        """Judge claim ``key`` with a value this run computed.

        ``ours`` (numeric claims) or ``lhs``/``rhs`` (ordering claims) may be one value or one per seed; with
        several, the mean is judged and its standard error shown. A :class:`RunSpread` claim takes ``spread``
        (the quantity its rule scales); when omitted it is the standard error over the seeds (of the paired
        difference ``lhs − rhs`` for orderings).
        """
        if self.claims is None:
            raise ConfigError(f"report {self.name!r} has no claims table; pass claims= to Report")
        claim = self.claims[key]
        if any(r.claim is claim for r in self.rows):
            raise ConfigError(f"claim {key!r} is judged twice")
        if claim.full_only and self.quick:
            raise ConfigError(f"claim {key!r} is full-only; judge it in full runs only")
        per_seed: list[float] | None = None
        se: float | None = None
        kind: RowKind = "consistency" if claim.consistency else "claim"  # a claim flagged consistency counts apart
        if claim.order is not None:
            if lhs is None or rhs is None or ours is not None:
                raise ConfigError(f"claim {key!r} is an ordering: judge it with lhs= and rhs=")
            a_seq, b_seq = _as_list(lhs), _as_list(rhs)
            a, se_a = _mean_and_se(a_seq)
            b, se_b = _mean_and_se(b_seq)
            if len(a_seq) == len(b_seq) and len(a_seq) > 1:
                _, se = _mean_and_se([x - y for x, y in zip(a_seq, b_seq)])
                per_seed = [x - y for x, y in zip(a_seq, b_seq)]
            elif se_a is not None and se_b is not None:
                se = math.hypot(se_a, se_b)
            if spread is None and isinstance(claim.rule, RunSpread):
                spread = se if se is not None else math.hypot(se_a or 0.0, se_b or 0.0)
            tol = Ordering(a, claim.order, b, claim.ordering_margin(spread))
            row = Row(claim.quantity, claim.paper, tol.holds(), tol, claim.unit, note, kind, claim, se, per_seed,
                      claim.source, *_resolution(claim, se))
        else:
            if lhs is not None or rhs is not None:
                raise ConfigError(f"claim {key!r} is numeric: judge it with ours=")
            value: Value
            if isinstance(ours, list | tuple):
                per_seed = [float(v) for v in ours]
                value, se = _mean_and_se(per_seed)
            else:
                value = ours
            tol = claim.tolerance
            assert tol is not None
            if isinstance(claim.rule, RunSpread):
                if spread is None:
                    spread = se
                if spread is None or not math.isfinite(spread) or spread < 0:
                    raise ConfigError(f"claim {key!r}: its band is {claim.rule.describe()}; give spread= or "
                                      "one value per seed")
                tol = Absolute(claim.rule.k * spread)
            if isinstance(value, float) and not math.isfinite(value):
                note = (note + " " if note else "") + "(ours is not finite)"
            row = Row(claim.quantity, claim.paper, value, tol, claim.unit, note, kind, claim, se, per_seed,
                      claim.source, *_resolution(claim, se))
        self.rows.append(row)
        return row

    def consistency(self, quantity: str, paper: Value, ours: Value, tolerance: Tolerance, source: str,
                    unit: str = "", note: str = "") -> Row:
        """A row that redoes the paper's arithmetic from the paper's own inputs: counted apart from claims."""
        if isinstance(tolerance, Info):
            raise ConfigError("a consistency check is judged; use Info rows for context")
        row = Row(quantity, paper, ours, tolerance, unit, note, "consistency", None, source=source)
        self.rows.append(row)
        return row

    def add_figure(self, name: str, fig: Any) -> None:
        self.figures[name] = fig

    def finish(self) -> Report:
        """Stop the clock and list every claim this run did not judge (full-only ones in quick runs as not run)."""
        self.elapsed_s = time.perf_counter() - self.started
        if self.claims is not None:
            judged = {r.claim.key for r in self.rows if r.claim is not None}
            for c in self.claims:
                if c.key in judged:
                    continue
                kind: RowKind = "not run" if (c.full_only and self.quick) else "claim"
                note = "judged in full runs" if kind == "not run" else "this run did not judge the claim"
                self.rows.append(Row(c.quantity, c.paper, None, c.tolerance or Info(), c.unit, note, kind, c,
                                     source=c.source))
        return self

    # ----- verdicts ------------------------------------------------------------------------------
    @property
    def passed(self) -> bool:
        return not any(r.failed for r in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.failed]

    def counts(self) -> dict[str, int]:
        """Claims judged, reproduced, declared and undeclared deviations, stale declarations, consistency checks."""
        claims = [r for r in self.rows if r.kind == "claim"]
        v = [r.verdict for r in claims]
        cons = [r for r in self.rows if r.kind == "consistency"]
        return {
            "claims": len(claims),
            "reproduce": v.count("reproduces"),
            "inconclusive": v.count("inconclusive"),
            "deviate_declared": v.count("deviates (declared)"),
            **{f"deviate_{kind}": sum(r.verdict == "deviates (declared)" and r.claim.deviation_kind == kind
                                      for r in claims) for kind in DEVIATION_KINDS if kind != "measured"},
            "deviate_undeclared": v.count("DEVIATES") + v.count("NOT JUDGED"),
            "stale_declarations": v.count("REPRODUCES, declared as deviating"),
            "not_run": sum(r.kind == "not run" for r in self.rows),
            "consistency": len(cons),
            "inconsistent": sum(r.failed for r in cons),
            "unclaimed": sum(r.kind == "unclaimed" for r in self.rows),
            "unclaimed_failed": sum(r.kind == "unclaimed" and r.failed for r in self.rows),
        }

    def summary_line(self) -> str:
        return summary_line([self.counts()])

    # ----- rendering -----------------------------------------------------------------------------
    def table(self) -> Table:
        """The rows as a rich table; each row's note is a numbered footnote (see :meth:`print`)."""
        t = Table(title=f"{self.name}: {self.title}", caption=self.paper, show_lines=False)
        for col, kw in [("#", {"justify": "right"}), ("quantity", {"overflow": "fold", "ratio": 3}),
                        ("paper", {"justify": "right"}), ("ours", {"justify": "right"}), ("unit", {}),
                        ("tolerance", {}), ("verdict", {})]:
            t.add_column(col, **kw)
        for i, r in enumerate(self.rows, 1):
            style = _STYLE.get(r.verdict, "bold red")
            t.add_row(str(i), r.quantity, _fmt(r.paper), r.ours_text(), r.unit, r.tolerance_text(),
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
        colour = "green" if self.passed else "red"
        console.print(f"[{colour}]{self.summary_line()}[/{colour}]"
                      + (f" in {self.elapsed_s:.1f} s" if self.elapsed_s is not None else ""), highlight=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "paper": self.paper,
            "quick": self.quick,
            "seed": self.seed,
            "passed": self.passed,
            "counts": self.counts(),
            "summary": self.summary_line(),
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
            note = r.note
            if r.claim is not None:
                kind = "" if r.claim.deviation_kind == "measured" else \
                    f" ({DEVIATION_KINDS[r.claim.deviation_kind]})"
                note = f"{r.claim.source}" + (f"; declared deviation{kind}: {r.claim.deviation}" if r.claim.deviation
                                              else "") + (f"; {note}" if note else "")
            cells = [r.quantity, _fmt(r.paper), r.ours_text(), r.unit, r.tolerance_text(), r.verdict, note]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines += ["", self.summary_line()]
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


def _resolution(claim: Claim, se: float | None) -> tuple[float, float]:
    """(inside, outside) half-widths for a claim judged with standard error ``se`` over seeds.

    A value measured over seeds is decided at ± :data:`K_RESOLVE` s.e.: it reproduces only when that interval is
    inside the claim and deviates only when it is outside. Rules whose band is already k × a spread
    (:class:`SeedSpread`, :class:`RunSpread`) are themselves the significance test and keep their two outcomes,
    except that a declared deviation is called stale only when the claim holds beyond the resolution (the rule's
    pre-measured s.e. for :class:`SeedSpread`, the run's own for :class:`RunSpread`).
    """
    if isinstance(claim.rule, SeedSpread):  # its own s.e., measured beforehand over more seeds than a run has
        return (K_RESOLVE * claim.rule.se, 0.0) if claim.deviation is not None else (0.0, 0.0)
    if se is None or not math.isfinite(se) or se <= 0:
        return 0.0, 0.0
    r = K_RESOLVE * se
    if isinstance(claim.rule, RunSpread):
        return (r, 0.0) if claim.deviation is not None else (0.0, 0.0)
    return r, r


def _ordering_inside(op: str, lo: float, hi: float, m: float) -> bool:
    """Is every difference d in [lo, hi] accepted by ``lhs op rhs`` with margin m?"""
    return {">": lo > m, ">=": lo >= -m, "<": hi < -m, "<=": hi <= m, "≈": -m <= lo and hi <= m}[op]


def _ordering_outside(op: str, lo: float, hi: float, m: float) -> bool:
    """Is every difference d in [lo, hi] rejected by ``lhs op rhs`` with margin m?"""
    return {">": hi <= m, ">=": hi < -m, "<": lo >= -m, "<=": lo > m, "≈": lo > m or hi < -m}[op]


def _centre(t: Tolerance, paper: Value) -> float | None:
    """A value the tolerance accepts (its band's centre), to tell a wide interval from a disjoint one."""
    if isinstance(t, Within):
        if t.lo is not None and t.hi is not None:
            return (t.lo + t.hi) / 2
        return t.lo if t.lo is not None else t.hi
    if isinstance(paper, int | float) and not isinstance(paper, bool):
        return float(paper)
    return None


def _as_list(x: float | Sequence[float]) -> list[float]:
    return [float(v) for v in x] if isinstance(x, list | tuple) else [float(x)]


def summary_line(counts: Sequence[dict[str, int]]) -> str:
    """"N claims: R reproduce, D deviate (declared), U deviate (undeclared)", then what else needs attention."""
    tot = {k: sum(c.get(k, 0) for c in counts) for k in counts[0]} if counts else {}
    n = tot.get("claims", 0)
    undecided = f"{tot['inconclusive']} inconclusive, " if tot.get("inconclusive") else ""
    line = (f"{n} claims: {tot.get('reproduce', 0)} reproduce, {undecided}"
            f"{tot.get('deviate_declared', 0)} deviate (declared), {tot.get('deviate_undeclared', 0)} deviate "
            "(undeclared)")
    extra = []
    kinds = {kind: tot.get(f"deviate_{kind}", 0) for kind in DEVIATION_KINDS if kind != "measured"}
    if any(kinds.values()):
        measured = tot.get("deviate_declared", 0) - sum(kinds.values())
        extra.append("declared: " + ", ".join(f"{DEVIATION_KINDS[k]} {n}" for k, n in
                                              [*kinds.items(), ("measured", measured)] if n))
    if tot.get("stale_declarations"):
        extra.append(f"{tot['stale_declarations']} declared deviation(s) now reproduce — remove the declaration")
    if tot.get("not_run"):
        extra.append(f"{tot['not_run']} full-only not run")
    if tot.get("consistency"):
        extra.append(f"{tot['consistency']} consistency checks ({tot['inconsistent']} inconsistent)")
    if tot.get("unclaimed"):
        extra.append(f"{tot['unclaimed']} rows outside the claims table ({tot['unclaimed_failed']} failing)")
    return line + ("; " + "; ".join(extra) if extra else "")
