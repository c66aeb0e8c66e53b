"""The status enumeration and the rules that assign it (issue 13).

Expectations are hand-worked: each boundary case states the change or interval by hand and the
status the rule in ``docs/methods.md`` ("Status of a target") gives it. The labels are written
out as plain strings, so a renamed label (which would change every table and page) fails here.
"""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from wmp_analysis.analysis import status as ST
from wmp_analysis.analysis.status import (
    ClaimVerdict,
    Status,
    claim_verdict,
    meets_target,
    plan_figure_status,
    projection_note,
    status_for_target,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "wmp_analysis"

#: Every label a target's status column may hold, as written in the CSVs and pages.
LABELS = {
    "met",
    "not met",
    "on track",
    "off track",
    "consistent with plan",
    "differs from plan",
    "not measurable",
    "insufficient data",
    "no result",
}


# --------------------------------------------------------------------------- the enumeration


def test_the_enumeration_holds_exactly_the_labels_and_they_are_strings():
    assert {s.value for s in Status} == LABELS
    for s in Status:
        assert isinstance(s, str) and str(s) == s.value and f"{s}" == s.value
        assert s == s.value and hash(s) == hash(s.value)  # a dict keyed by the label finds it
        assert s.meaning and s.meaning[0].islower()
    assert {ClaimVerdict(v).value for v in ClaimVerdict} == {
        "supported",
        "partly supported",
        "not supported",
        "not distinguishable",
        "insufficient data",
    }


def test_judged_and_tone():
    good = {"met", "on track", "consistent with plan"}
    bad = {"not met", "off track", "differs from plan"}
    for s in Status:
        assert s.judged == (s.value in good | bad), s
        assert s.tone == ("good" if s in good else "bad" if s in bad else "none"), s


def test_badges_and_figure_styles_name_only_statuses_of_the_enumeration():
    """The report's badge table covers every status with its tone; the figure styles use no
    label outside the enumeration (their colours and symbols live in the report layer)."""
    from wmp_analysis.report.plots.style import STATUS_STYLE
    from wmp_analysis.report.tables import BADGES

    for s in Status:
        assert s in BADGES, s
        assert BADGES[s][1] == s.tone, s
    assert set(BADGES) - LABELS == {"not supplied"}  # a source's state, not a target's
    assert set(STATUS_STYLE) <= LABELS


def test_registry_reason_prefix_begins_with_the_status_words():
    from wmp_analysis.measures.targets import NOT_MEASURABLE_PREFIX

    assert NOT_MEASURABLE_PREFIX.startswith(Status.NOT_MEASURABLE + " ")


def _code_strings(path: Path) -> set[str]:
    """String constants of a module, its docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    }


@pytest.mark.parametrize(
    "module",
    [
        "analysis/stats.py",
        "analysis/compare.py",
        "analysis/compare_claims.py",
        "analysis/compare_context.py",
        "analysis/compare_counts.py",
        "analysis/compare_inputs.py",
        "analysis/compare_projection.py",
        "analysis/compare_series.py",
        "analysis/compare_survey.py",
        "analysis/compare_table.py",
        "analysis/baseline.py",
        "analysis/national.py",
        "analysis/national_claims.py",
        "measures/targets.py",
        "report/readings.py",
    ],
)
def test_no_status_label_is_spelt_out_outside_the_enumeration(module):
    # the claims' verdicts too where claims are judged ("not distinguishable" is also a word of
    # compare.rank_districts, a district against the force, which is no verdict)
    verdicts = {v.value for v in ClaimVerdict} if module.endswith("claims.py") else set()
    assert _code_strings(SRC / module) & (LABELS | verdicts) == set()
    assert _code_strings(SRC / "analysis" / "status.py") >= LABELS | verdicts  # defined there


# --------------------------------------------------------------------------- every status a rule returns


def test_every_status_the_rules_return_is_in_the_enumeration():
    kinds = ["pct_change", "level", "direction", "qualitative", "reported_figure", "", "other"]
    directions = ["down", "up", "reduce", "increase", "", None]
    targets = [-5.0, 5.0, 0.0, None, np.nan]
    values = [0.0, 95.0, 100.0, 105.0, None, np.nan]
    projections = [None, {}, {"projected": np.nan}, {"projected": 90.0}, {"projected": 110.0}]
    seen = set()
    for kind, d, tv, bv, av in itertools.product(kinds, directions, targets, values, values):
        for measurable, complete, proj in itertools.product(
            (True, False), (True, False), projections
        ):
            s = status_for_target(
                kind, d, tv, bv, av, measurable=measurable, complete=complete, projection=proj
            )
            assert type(s) is Status, (kind, d, tv, bv, av, s)
            seen.add(s)
    assert seen == {
        Status.MET,
        Status.NOT_MET,
        Status.ON_TRACK,
        Status.OFF_TRACK,
        Status.NOT_MEASURABLE,
        Status.INSUFFICIENT_DATA,
    }
    plan = {
        plan_figure_status(c, lo, hi)
        for c, lo, hi in itertools.product([80.0, 84.0, np.nan, None], [82.0, np.nan], [84.0, 90.0])
    }
    assert all(type(s) is Status for s in plan)
    assert plan == {
        Status.CONSISTENT_WITH_PLAN,
        Status.DIFFERS_FROM_PLAN,
        Status.INSUFFICIENT_DATA,
    }
    lo = pd.Series([1.0, 3.0])
    hi = pd.Series([2.0, 4.0])
    verdicts = {
        claim_verdict(t, a, b, lo, hi, p)
        for t in ("below_all", "below_pooled", "above_most")
        for a, b in ((0.1, 0.5), (2.5, 2.8), (5.0, 6.0))
        for p in (0.6, 2.6, 4.5)
    }
    assert all(type(v) is ClaimVerdict for v in verdicts)
    assert verdicts == set(ClaimVerdict) - {ClaimVerdict.INSUFFICIENT_DATA}  # that one: no rate


# --------------------------------------------------------------------------- boundary cases, by hand


@pytest.mark.parametrize(
    "kind,direction,target,base,actual,expected",
    [
        # percentage change: 100 * (actual - base) / base against the target change
        ("pct_change", "down", -5, 100, 95, "met"),  # -5.0% exactly at the target: met
        ("pct_change", "down", -5, 100, 95.01, "not met"),  # -4.99%: just short
        ("pct_change", "down", 5, 100, 95, "met"),  # "5" with direction down = at least 5% lower
        ("pct_change", "down", -8, 200, 184, "met"),  # -8.0% exactly
        ("pct_change", "down", -8, 200, 185, "not met"),  # -7.5%
        ("pct_change", "down", -8, 15898, 13571, "met"),  # WM burglary 2011-12 -> 2012-13: -14.6%
        ("pct_change", "down", -5, 100, 106, "not met"),  # moved the wrong way
        ("pct_change", "up", 3, 1000, 1030, "met"),  # +3.0% exactly
        ("pct_change", "up", -3, 1000, 1030, "met"),  # "-3" with direction up = at least 3% higher
        ("pct_change", "up", 3, 1000, 1029, "not met"),  # +2.9%
        ("pct_change", "", -5, 100, 95, "met"),  # no direction: a negative target means down
        ("pct_change", "", 5, 100, 105, "met"),  # no direction, positive target: up
        ("pct_change", "", 5, 100, 104, "not met"),
        ("pct_change", "down", -5, 0, 0, "insufficient data"),  # a change from 0 has no percent
        ("pct_change", "down", None, 100, 90, "insufficient data"),  # no target figure
        ("pct_change", "down", -5, np.nan, 90, "insufficient data"),
        ("pct_change", "down", -5, 100, np.nan, "insufficient data"),
        # level: at or beyond the level in the target's direction (default: at least)
        ("level", "up", 88, 84, 88, "met"),  # exactly at the level
        ("level", "up", 88, 84, 87.9, "not met"),
        ("level", "", 88, None, 88, "met"),  # no direction: at least; a level needs no baseline
        ("level", "down", 10, 12, 10, "met"),  # at most 10
        ("level", "down", 10, 12, 10.1, "not met"),
        ("level", "up", None, 84, 90, "insufficient data"),
        # direction: any move that way; a tie is not a move
        ("direction", "down", None, 100, 100, "not met"),
        ("direction", "down", None, 100, 99, "met"),
        ("direction", "up", None, 100, 101, "met"),
        ("direction", "up", None, 100, 100, "not met"),
        ("direction", "", None, 100, 99, "insufficient data"),  # which way was asked for?
        ("direction", "down", None, None, 99, "insufficient data"),
        # not measurable whatever the numbers
        ("qualitative", None, None, None, None, "not measurable"),
        ("reported_figure", "up", 84, 80, 85, "not measurable"),
        ("unknown_kind", "down", -5, 100, 90, "insufficient data"),
    ],
)
def test_complete_year_boundaries(kind, direction, target, base, actual, expected):
    got = status_for_target(kind, direction, target, base, actual, complete=True)
    assert got == expected and type(got) is Status


def test_measurable_false_wins_over_the_numbers():
    assert status_for_target("pct_change", "down", -5, 100, 90, measurable=False) == (
        "not measurable"
    )


@pytest.mark.parametrize(
    "projection,expected",
    [
        ({"projected": 95.0}, "on track"),  # projected -5.0%: exactly at the target
        ({"projected": 95.5}, "off track"),  # -4.5%
        ({"projected": 80.0, "pi_low": 70.0, "pi_high": 120.0}, "on track"),  # point estimate
        ({"projected": np.nan}, "insufficient data"),
        ({}, "insufficient data"),
        (None, "insufficient data"),
    ],
)
def test_incomplete_year_is_judged_on_the_projection(projection, expected):
    # the actual value (a part year, 40) is never judged: it would be "met" at -60%
    got = status_for_target(
        "pct_change", "down", -5, 100, 40, complete=False, projection=projection
    )
    assert got == expected


@pytest.mark.parametrize(
    "lo,hi,expected",
    [
        (80, 97, "prediction interval straddles the target: outcome uncertain"),  # -20% .. -3%
        (80, 95, "whole prediction interval meets the target"),  # upper end exactly at -5%
        (96, 110, "whole prediction interval misses the target"),
        (np.nan, 97, "projection interval could not be judged"),
    ],
)
def test_projection_note(lo, hi, expected):
    assert projection_note("pct_change", "down", -5, 100, {"pi_low": lo, "pi_high": hi}) == expected


@pytest.mark.parametrize(
    "claimed,lo,hi,expected",
    [
        (84.0, 82.1, 85.9, "consistent with plan"),
        (82.1, 82.1, 85.9, "consistent with plan"),  # at the lower end: inside
        (85.9, 82.1, 85.9, "consistent with plan"),  # at the upper end: inside
        (82.0, 82.1, 85.9, "differs from plan"),
        (86.0, 82.1, 85.9, "differs from plan"),
        (np.nan, 82.1, 85.9, "insufficient data"),
        (84.0, np.nan, np.nan, "insufficient data"),
    ],
)
def test_plan_figure_boundaries(claimed, lo, hi, expected):
    assert plan_figure_status(claimed, lo, hi) == expected


def test_status_uses_the_point_estimate_even_when_the_interval_straddles_no_change():
    """20 -> 18 offences is -10% against a -5% target: met, although the change cannot be told
    from chance (exact conditional test: 18 of 38 given the total, p ~ 0.87; the rate ratio's
    interval straddles 1). The comparison reports both (docs/methods.md)."""
    from wmp_analysis.analysis.stats import poisson_rate_ratio_test

    assert status_for_target("pct_change", "down", -5, 20, 18) == "met"
    t = poisson_rate_ratio_test(18, 12, 20, 12)
    assert t["p_value"] == pytest.approx(sps.binomtest(18, 38, 0.5).pvalue, rel=1e-9)
    assert t["ci_low"] < 1 < t["ci_high"] and t["p_value"] > 0.8


def test_meets_target_none_when_it_cannot_judge():
    assert meets_target("pct_change", "down", -5, 100, None) is None
    assert meets_target("pct_change", "down", -5, 0, 10) is None
    assert meets_target("direction", None, None, 100, 90) is None
    assert meets_target("qualitative", "down", -5, 100, 90) is None
    assert meets_target("pct_change", "down", -5, 100, 95) is True
    assert meets_target("pct_change", "down", -5, 100, math.nextafter(95.0, 96.0)) is False


# --------------------------------------------------------------------------- comparative claims


def _group(lo, hi):
    return pd.Series(lo, dtype=float), pd.Series(hi, dtype=float)


def test_claim_verdict_below_all():
    lo, hi = _group([10.0, 12.0], [11.0, 13.0])
    assert claim_verdict("below_all", 8.0, 9.9, lo, hi, 11.5) == "supported"
    # the force's upper end touches a member's lower end: not clearly below it; below pooled
    assert claim_verdict("below_all", 8.0, 10.0, lo, hi, 11.5) == "partly supported"
    assert claim_verdict("below_all", 10.5, 12.5, lo, hi, 11.5) == "not supported"


def test_claim_verdict_below_pooled():
    lo, hi = _group([10.0], [13.0])
    assert claim_verdict("below_pooled", 8.0, 11.4, lo, hi, 11.5) == "supported"
    assert claim_verdict("below_pooled", 8.0, 11.5, lo, hi, 11.5) == "not distinguishable"
    assert claim_verdict("below_pooled", 11.5, 14.0, lo, hi, 11.5) == "not distinguishable"
    assert claim_verdict("below_pooled", 11.6, 14.0, lo, hi, 11.5) == "not supported"


def test_claim_verdict_above_most():
    lo, hi = _group([1.0, 2.0, 5.0, 6.0], [1.5, 2.5, 5.5, 6.5])
    # clearly above 2 of 4 (exactly half: not "more than half"), and above the pooled 3.0
    assert claim_verdict("above_most", 3.1, 4.0, lo, hi, 3.0) == "partly supported"
    lo3, hi3 = _group([1.0, 2.0, 3.0, 6.0], [1.5, 2.5, 3.05, 6.5])
    assert claim_verdict("above_most", 3.1, 4.0, lo3, hi3, 3.0) == "supported"  # 3 of 4
    assert claim_verdict("above_most", 3.1, 4.0, lo3, hi3, 3.5) == "partly supported"
    assert claim_verdict("above_most", 0.5, 0.9, lo3, hi3, 3.0) == "not supported"
    with pytest.raises(ValueError, match="unknown claim test"):
        claim_verdict("below_most", 1.0, 2.0, lo, hi, 3.0)


def test_module_docstring_names_every_rule():
    doc = ST.__doc__
    for name in ("status_for_target", "meets_target", "projection_note", "plan_figure_status"):
        assert name in doc
