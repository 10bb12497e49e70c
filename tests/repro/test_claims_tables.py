"""Every registered reproduction states its claims before it runs, and no claims table flatters itself:
no claim is context (info), every band is one its stated rule allows, every tolerance has a rule, and a
deviation declared as the paper's own arithmetic is a closed-form claim whose declaration shows the numbers."""

from __future__ import annotations

import sys

import pytest

from neurofab.repro import Claims, Info, Rule, RunSpread, SeedSpread, all_reproductions

REPRODUCTIONS = all_reproductions()


def claims_of(reproduction) -> Claims:
    module = sys.modules[reproduction.run_fn.__module__]
    table = getattr(module, "CLAIMS", None)
    assert isinstance(table, Claims), f"{reproduction.name}: {module.__name__} has no module-level CLAIMS table"
    return table


@pytest.mark.parametrize("reproduction", REPRODUCTIONS, ids=lambda r: r.name)
def test_claims_table_is_honest(reproduction):
    table = claims_of(reproduction)
    headline = [c for c in table if not c.consistency]
    assert headline, f"{reproduction.name}: no headline claim is judged"
    for claim in table:
        where = f"{reproduction.name}: claim {claim.key!r}"
        assert isinstance(claim.rule, Rule), f"{where} has no rule for its tolerance"
        assert claim.source.strip(), f"{where} has no source"
        assert not isinstance(claim.tolerance, Info), f"{where} is an info row"
        if claim.tolerance is not None and not isinstance(claim.rule, RunSpread):
            assert claim.rule.allows(claim.tolerance, claim.paper), \
                f"{where}: band {claim.tolerance.describe()} is wider than {claim.rule.describe()} allows"
        if claim.deviation is not None:
            assert len(claim.deviation.split()) >= 5, f"{where}: a declared deviation needs its measured cause"
        if claim.deviation_kind == "paper":
            # the paper's own arithmetic is a printed value against its printed inputs: exact, not a seed statistic
            assert not isinstance(claim.rule, RunSpread | SeedSpread), \
                f"{where}: a seed statistic cannot be the paper's own arithmetic"
            assert any(ch.isdigit() for ch in claim.deviation), f"{where}: show the paper's arithmetic"


def test_every_reproduction_is_checked():
    assert len(REPRODUCTIONS) >= 10
