"""L5 — reproductions of the seed papers: ``run(quick, seed) -> Report`` behind ``neurofab reproduce``."""

from neurofab.repro.registry import Reproduction, all_reproductions, discover, get, names, reproduction
from neurofab.repro.report import Absolute, Exact, Info, Ordering, Relative, Report, Rounded, Row, Within

__all__ = [
    "Absolute",
    "Exact",
    "Info",
    "Ordering",
    "Relative",
    "Report",
    "Reproduction",
    "Rounded",
    "Row",
    "Within",
    "all_reproductions",
    "discover",
    "get",
    "names",
    "reproduction",
]
