"""Claims tables: rules bound the band, verdicts can say no, declared deviations are strict, counts are honest."""

from __future__ import annotations

import pytest

from neurofab.core import ConfigError
from neurofab.repro import (
    Absolute,
    Arithmetic,
    Claim,
    Claims,
    Exact,
    Info,
    ModelUncertainty,
    PrintedPrecision,
    Qualitative,
    Relative,
    Report,
    Rounded,
    RunSpread,
    SeedSpread,
    Within,
)


def test_rules_bound_the_band():
    assert PrintedPrecision(decimals=2).allows(Absolute(0.005), 58.69)
    assert not PrintedPrecision(decimals=2).allows(Absolute(0.02), 58.69)
    assert PrintedPrecision(sig=3).allows(Rounded(sig=3), 6.58)
    assert not PrintedPrecision(sig=3).allows(Relative(0.05), 6.58)
    assert SeedSpread(2, 0.5, 5, "5 seeds, quick").allows(Absolute(1.0), 90)
    assert not SeedSpread(2, 0.5, 5, "5 seeds, quick").allows(Absolute(1.2), 90)
    assert ModelUncertainty("ADC model", rel=0.15).allows(Relative(0.15), 1.0)
    assert not ModelUncertainty("ADC model", rel=0.15).allows(Relative(0.5), 1.0)
    assert not ModelUncertainty("ADC model", rel=0.15).allows(Within(0, 10), 1.0)
    assert Arithmetic().allows(Exact(), 3) and not Arithmetic().allows(Relative(1e-3), 3)
    assert Qualitative().allows(Within(None, 0.19), 0.19)
    with pytest.raises(ConfigError):
        SeedSpread(4, 0.5, 5, "too many standard errors")
    with pytest.raises(ConfigError):
        ModelUncertainty("", rel=0.1)


def test_claim_construction_checks():
    with pytest.raises(ConfigError, match="wider than its rule"):
        Claim("a", "x", 1.0, "seed 1 l. 1", PrintedPrecision(decimals=1), tolerance=Relative(0.5))
    with pytest.raises(ConfigError, match="Info is for context"):
        Claim("a", "x", 1.0, "seed 1 l. 1", Qualitative(), tolerance=Info())
    with pytest.raises(ConfigError, match="not both"):
        Claim("a", "x", 1.0, "seed 1 l. 1", Qualitative(), tolerance=Within(0, 1), order=">")
    with pytest.raises(ConfigError, match="unique"):
        Claims([Claim("a", "x", 1.0, "s", Arithmetic(), tolerance=Exact())] * 2)


CLAIMS = Claims([
    Claim("energy", "energy per op", 0.9, "seed 9 l. 10", PrintedPrecision(decimals=1), tolerance=Rounded(decimals=1),
          unit="pJ"),
    Claim("order", "A beats B", "A > B", "seed 9 l. 11", RunSpread(2, "s.e. of the paired difference"), order=">"),
    Claim("acc", "accuracy", 97.6, "seed 9 l. 12", SeedSpread(2, 0.5, 5, "5 seeds"), tolerance=Absolute(1.0),
          deviation="our network is smaller: measured 3 points lower at equal width"),
    Claim("full", "full-data accuracy", 99.0, "seed 9 l. 13", PrintedPrecision(decimals=0),
          tolerance=Rounded(decimals=0), full_only=True),
])


def test_verdicts_and_counts():
    r = Report("demo", "d", "p", quick=True, claims=CLAIMS)
    r.judge("energy", 0.94)
    r.judge("order", lhs=[0.9, 0.92, 0.91], rhs=[0.80, 0.81, 0.79])
    r.judge("acc", [94.0, 94.5, 93.8])
    r.consistency("restated sum", 3.0, 1.0 + 2.0, Exact(), source="seed 9 l. 14")
    r.add("data", "MNIST", "digits", Info())
    r.finish()
    v = {row.quantity: row.verdict for row in r.rows}
    assert v["energy per op"] == "reproduces"
    assert v["A beats B"] == "reproduces"
    assert v["accuracy"] == "deviates (declared)"
    assert v["full-data accuracy"] == "not run (full only)"
    assert v["restated sum"] == "consistent" and v["data"] == "info"
    assert r.passed
    c = r.counts()
    assert (c["claims"], c["reproduce"], c["deviate_declared"], c["deviate_undeclared"]) == (3, 2, 1, 0)
    assert r.summary_line().startswith("3 claims: 2 reproduce, 1 deviate (declared), 0 deviate (undeclared)")


def test_undeclared_deviation_and_stale_declaration_fail():
    r = Report("demo", "d", "p", claims=CLAIMS)
    r.judge("energy", 1.2)                                  # rounds to 1.2 ≠ 0.9
    r.judge("order", lhs=[0.80, 0.81, 0.79], rhs=[0.90, 0.92, 0.91])   # B above A by more than 2 s.e.
    r.judge("acc", [97.5, 97.7, 97.4])                     # a declared deviation that now holds
    r.finish()
    v = [row.verdict for row in r.rows if row.kind == "claim"]
    assert v == ["DEVIATES", "DEVIATES", "REPRODUCES, declared as deviating"]
    assert not r.passed and r.counts()["stale_declarations"] == 1


def test_unjudged_claim_fails_and_misuse_is_an_error():
    r = Report("demo", "d", "p", quick=False, claims=CLAIMS)
    r.judge("energy", 0.9)
    with pytest.raises(ConfigError, match="twice"):
        r.judge("energy", 0.9)
    with pytest.raises(ConfigError, match="ordering"):
        r.judge("order", 1.0)
    with pytest.raises(ConfigError, match="no claim"):
        r.judge("nope", 1.0)
    r.finish()
    assert "NOT JUDGED" in [row.verdict for row in r.rows] and not r.passed
    q = Report("demo", "d", "p", quick=True, claims=CLAIMS)
    with pytest.raises(ConfigError, match="full-only"):
        q.judge("full", 99.0)


def test_a_claim_flagged_consistency_counts_apart():
    table = Claims([Claim("sum", "restated sum", 3.0, "seed 9 l. 14", Arithmetic(), tolerance=Exact(),
                          consistency=True)])
    r = Report("demo", "d", "p", claims=table)
    r.judge("sum", 1.0 + 2.0)
    r.finish()
    c = r.counts()
    assert (c["claims"], c["consistency"], c["inconsistent"]) == (0, 1, 0)
    assert r.rows[0].verdict == "consistent" and r.passed


SEEDED = Claims([
    Claim("beats", "A beats B", "A > B", "seed 9 l. 20", Qualitative(), order=">"),
    Claim("level", "accuracy", 90.0, "seed 9 l. 21", ModelUncertainty("argued", abs=1.0), tolerance=Absolute(1.0)),
    Claim("flat", "A ≈ B", "A ≈ B", "seed 9 l. 22", SeedSpread(2, 0.01, 6, "6 networks"), order="≈",
          deviation="A loses 3 points: measured over 18 networks"),
])


@pytest.mark.parametrize("lhs, rhs, verdict", [
    ([0.90, 0.91, 0.92], [0.80, 0.81, 0.82], "reproduces"),      # far above, every seed
    ([0.90, 0.80, 0.86], [0.85, 0.86, 0.84], "inconclusive"),    # mean above, interval straddles 0
    ([0.90, 0.91, 0.92], [0.95, 0.96, 0.97], "DEVIATES"),        # far below, every seed
])
def test_orderings_over_seeds_are_decided_at_two_standard_errors(lhs, rhs, verdict):
    r = Report("demo", "d", "p", claims=SEEDED)
    row = r.judge("beats", lhs=lhs, rhs=rhs)
    assert row.verdict == verdict
    assert row.failed == (verdict == "DEVIATES")


@pytest.mark.parametrize("values, verdict", [
    ([90.2, 90.4, 90.3], "reproduces"),     # 90.3 ± 0.2 inside 90 ± 1
    ([88.0, 90.0, 92.6], "inconclusive"),   # wide interval over the band's edge
    ([95.0, 95.2, 95.1], "DEVIATES"),       # 95.1 ± 0.2 outside the band
    ([80.0, 90.0, 100.0], "inconclusive"),  # an interval wider than the band, around it
])
def test_numeric_claims_over_seeds(values, verdict):
    r = Report("demo", "d", "p", claims=SEEDED)
    assert r.judge("level", values).verdict == verdict


def test_one_value_keeps_two_outcomes():
    r = Report("demo", "d", "p", claims=SEEDED)
    assert r.judge("level", 91.5).verdict == "DEVIATES"
    r2 = Report("demo", "d", "p", claims=SEEDED)
    assert r2.judge("beats", lhs=0.5, rhs=0.49).verdict == "reproduces"


def test_a_declaration_is_stale_only_beyond_the_runs_resolution():
    # a declared ≈ whose noise-set margin holds by chance: inconclusive, not stale
    r = Report("demo", "d", "p", claims=SEEDED)
    assert r.judge("flat", lhs=[0.90, 0.88, 0.91], rhs=[0.89, 0.90, 0.89]).verdict == "inconclusive"
    # tightly equal on every seed: the declaration is stale
    r = Report("demo", "d", "p", claims=SEEDED)
    row = r.judge("flat", lhs=[0.900, 0.901, 0.902], rhs=[0.900, 0.901, 0.902])
    assert row.verdict == "REPRODUCES, declared as deviating" and row.failed
    # outside the margin: the declared deviation
    r = Report("demo", "d", "p", claims=SEEDED)
    assert r.judge("flat", lhs=[0.86, 0.87, 0.86], rhs=[0.90, 0.89, 0.90]).verdict == "deviates (declared)"


def test_inconclusive_is_counted_and_does_not_fail():
    r = Report("demo", "d", "p", claims=SEEDED)
    r.judge("beats", lhs=[0.90, 0.80, 0.86], rhs=[0.85, 0.86, 0.84])
    r.judge("level", [90.2, 90.4, 90.3])
    r.judge("flat", lhs=[0.86, 0.87, 0.86], rhs=[0.90, 0.89, 0.90])
    r.finish()
    c = r.counts()
    assert (c["claims"], c["reproduce"], c["inconclusive"], c["deviate_declared"]) == (3, 1, 1, 1)
    assert r.passed
    assert r.summary_line().startswith("3 claims: 1 reproduce, 1 inconclusive, 1 deviate (declared), 0 deviate")
    assert r.to_dict()["rows"][0]["resolution"]["inside"] > 0


def test_a_claim_that_holds_on_every_seed_is_decided():
    bound = Claims([Claim("bound", "A never below B", "A ≥ B", "seed 9 l. 30", Qualitative(), order=">=")])
    r = Report("demo", "d", "p", claims=bound)
    assert r.judge("bound", lhs=[75, 80, 76, 80], rhs=[75, 78, 76, 80]).verdict == "reproduces"
    r = Report("demo", "d", "p", claims=SEEDED)
    assert r.judge("level", [89.2, 90.9, 89.5]).verdict == "reproduces"   # every seed inside 90 ± 1


def test_a_spread_ordering_not_above_its_margin_is_inconclusive():
    r = Report("demo", "d", "p", claims=CLAIMS)
    row = r.judge("order", lhs=[0.9, 0.8, 0.85], rhs=[0.86, 0.84, 0.84])   # mean above, not by 2 s.e.
    assert row.verdict == "inconclusive" and not row.failed


def test_every_deviation_kind_has_a_summary_name():
    from typing import get_args

    from neurofab.repro.claims import DEVIATION_KINDS, DeviationKind
    assert set(get_args(DeviationKind)) == set(DEVIATION_KINDS)


def test_deviation_kinds_are_checked_counted_and_named():
    with pytest.raises(ConfigError, match="must be one of"):
        Claim("a", "x", 1.0, "s", Arithmetic(), tolerance=Exact(), deviation="1 + 1 = 2", deviation_kind="ours")
    with pytest.raises(ConfigError, match="without a declared deviation"):
        Claim("a", "x", 1.0, "s", Arithmetic(), tolerance=Exact(), deviation_kind="paper")
    claims = Claims([
        Claim("sum", "printed sum", 4.0, "seed 9 l. 20", Arithmetic(), tolerance=Exact(),
              deviation="its own inputs 1 + 2 give 3", deviation_kind="paper"),
        Claim("adc", "ADC energy", 70.0, "seed 9 l. 21", Arithmetic(), tolerance=Exact(),
              deviation="the SPICE fit behind it is not published", deviation_kind="inputs"),
        Claim("acc", "accuracy", 97.6, "seed 9 l. 22", Arithmetic(), tolerance=Exact(),
              deviation="our network is smaller"),
        Claim("held", "a sum that holds", 5.0, "seed 9 l. 23", Arithmetic(), tolerance=Exact(),
              deviation="declared, yet it reproduces", deviation_kind="paper"),
    ])
    r = Report("demo", "d", "p", claims=claims)
    r.judge("sum", 3.0)
    r.judge("adc", 1.0)
    r.judge("acc", 90.0)
    r.judge("held", 5.0)      # stale: counted as such, not as a deviation of its kind
    r.finish()
    c = r.counts()
    assert (c["deviate_declared"], c["deviate_paper"], c["deviate_inputs"], c["stale_declarations"]) == (3, 1, 1, 1)
    line = r.summary_line()
    assert line.startswith("4 claims: 0 reproduce, 3 deviate (declared), 0 deviate (undeclared)")
    assert "declared: the paper's own arithmetic 1, inputs the paper does not give 1, measured 1" in line
    assert "declared deviation (the paper's own arithmetic): its own inputs" in r.to_markdown()
    assert r.to_dict()["rows"][0]["claim"]["deviation_kind"] == "paper"
