"""L5 — reproductions of the seed papers: ``run(quick, seed) -> Report`` behind ``neurofab reproduce``.

Each reproduction states its paper's headline claims in a :class:`Claims` table before it runs (see
``neurofab.repro.claims``) and judges them with :meth:`Report.judge`.
"""

from neurofab.repro.claims import (
    Arithmetic,
    Claim,
    Claims,
    ModelUncertainty,
    PrintedPrecision,
    Qualitative,
    Rule,
    RunSpread,
    SeedSpread,
)
from neurofab.repro.registry import Reproduction, all_reproductions, discover, get, names, reproduction
from neurofab.repro.report import Report, Row, summary_line
from neurofab.repro.tolerances import Absolute, Exact, Info, Ordering, Relative, Rounded, Within

__all__ = [
    "Absolute",
    "Arithmetic",
    "Claim",
    "Claims",
    "Exact",
    "Info",
    "ModelUncertainty",
    "Ordering",
    "PrintedPrecision",
    "Qualitative",
    "Relative",
    "Report",
    "Reproduction",
    "Rounded",
    "Row",
    "Rule",
    "RunSpread",
    "SeedSpread",
    "Within",
    "all_reproductions",
    "discover",
    "get",
    "names",
    "reproduction",
    "summary_line",
]
