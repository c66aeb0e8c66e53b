"""Every status a target can have, and the rules that assign it.

:class:`Status` is the one enumeration of the words written in a target's ``status`` column
(``target_comparison.csv``, ``national_view.csv``, the briefing's scorecards). It is a
:class:`enum.StrEnum`: each member *is* its label string (``Status.MET == "met"``,
``str(Status.MET) == "met"``), so tables, pages and figures written from it are byte for byte
what the plain strings gave.

The rules:

* :func:`status_for_target` - met / not met (complete target year), on track / off track
  (incomplete year, judged on the projected year end), not measurable, insufficient data;
  :func:`meets_target` is its test of one value against a target, and
  :func:`projection_note` says in words whether a projection's interval settles the target.
* :func:`plan_figure_status` - consistent with / differs from plan: a figure the plan itself
  reports, checked against the survey estimate's 95% interval.
* :class:`ClaimVerdict` and :func:`claim_verdict` - the verdicts on the plans' comparative claims
  (not targets: they have a ``verdict`` column of their own, see
  :mod:`wmp_analysis.analysis.national_claims`).

``no result`` is not assigned here: the briefing gives it to a registry target that has no
row in the comparison (:func:`wmp_analysis.report.pages.target_status_rows`).

See ``docs/methods.md`` ("Status of a target").
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from wmp_analysis.analysis.stats import pct_change


class Status(StrEnum):
    """A target's status; the value is the label printed in every table, page and figure.

    Attributes
    ----------
    meaning : str
        What the status says about the target, in a sentence.
    judged : bool
        True when the data settled the target one way or the other (met, not met, on / off
        track, consistent with / differs from plan); False for the statuses that say why no
        judgement was made.
    tone : str
        ``"good"`` (the plan's aim reached or being reached), ``"bad"`` (missed), ``"none"``
        (not judged): the badge kind of :data:`wmp_analysis.report.tables.BADGES`.
    """

    MET = "met"
    NOT_MET = "not met"
    ON_TRACK = "on track"
    OFF_TRACK = "off track"
    CONSISTENT_WITH_PLAN = "consistent with plan"
    DIFFERS_FROM_PLAN = "differs from plan"
    NOT_MEASURABLE = "not measurable"
    INSUFFICIENT_DATA = "insufficient data"
    NO_RESULT = "no result"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def judged(self) -> bool:
        return self in _GOOD or self in _BAD

    @property
    def tone(self) -> str:
        return "good" if self in _GOOD else "bad" if self in _BAD else "none"


_GOOD = frozenset({Status.MET, Status.ON_TRACK, Status.CONSISTENT_WITH_PLAN})
_BAD = frozenset({Status.NOT_MET, Status.OFF_TRACK, Status.DIFFERS_FROM_PLAN})
_MEANINGS = {
    Status.MET: "the target year is complete and its value meets the target",
    Status.NOT_MET: "the target year is complete and its value does not meet the target",
    Status.ON_TRACK: "the target year is not complete; the projected year-end value meets the "
    "target",
    Status.OFF_TRACK: "the target year is not complete; the projected year-end value does not "
    "meet the target",
    Status.CONSISTENT_WITH_PLAN: "a figure the plan reports lies inside the 95% interval of the "
    "survey estimate for the same period",
    Status.DIFFERS_FROM_PLAN: "a figure the plan reports lies outside the 95% interval of the "
    "survey estimate for the same period",
    Status.NOT_MEASURABLE: "no data supplied can measure the target (no public series, a "
    "qualitative commitment, a figure the plan reports, a geography or measure with no series)",
    Status.INSUFFICIENT_DATA: "the target is measurable but a value it needs is missing (baseline, "
    "target period, projection or survey estimate)",
    Status.NO_RESULT: "the target is in the registry but the comparison holds no row for it",
}

_DOWN = {"down", "decrease", "reduce", "reduction", "lower", "fall", "below"}
_UP = {"up", "increase", "improve", "higher", "rise", "above"}


def _missing(v) -> bool:
    return v is None or bool(pd.isna(v))


def _direction(direction: str | None, target_value: float | None) -> str | None:
    """``"down"``, ``"up"`` or None: the direction words of the registry, else a negative target."""
    d = (direction or "").strip().lower()
    if d in _DOWN:
        return "down"
    if d in _UP:
        return "up"
    if not _missing(target_value) and float(target_value) < 0:
        return "down"
    return None


def meets_target(
    target_kind: str,
    direction: str | None,
    target_value: float | None,
    baseline_value: float | None,
    value: float | None,
) -> bool | None:
    """Whether *value* meets a target, or None when it cannot be judged.

    Parameters
    ----------
    target_kind : str
        ``pct_change``, ``level`` or ``direction`` (any other kind gives None).
    direction : str or None
        The registry's direction words (``down``/``reduce``/``lower``/... or
        ``up``/``increase``/``higher``/...); when absent, a negative *target_value* means down.
    target_value : float or None
        ``pct_change``: the change in percent (for a reduction, both ``-5`` and ``5`` with
        direction ``down`` mean "at least 5% lower"); ``level``: the level, in the measure's
        unit; ``direction``: not used.
    baseline_value, value : float or None
        The baseline and the value judged (counts, or percentages for survey measures).

    Returns
    -------
    bool or None
        * ``pct_change``: the percentage change ``100 * (value - baseline) / baseline``
          (:func:`wmp_analysis.analysis.stats.pct_change`) reaches the target change (a change
          exactly at the target meets it);
        * ``level``: *value* is at or beyond *target_value* in the target's direction (default:
          at least);
        * ``direction``: *value* moved in the stated direction (a tie is not a move).

        None when a value the kind needs is missing, the baseline of a ``pct_change`` is 0, a
        ``direction`` target has no direction, or the kind is unknown.
    """
    kind = (target_kind or "").strip().lower()
    if _missing(value):
        return None
    d = _direction(direction, target_value)
    if kind == "pct_change":
        if _missing(target_value) or _missing(baseline_value):
            return None
        change = pct_change(baseline_value, value)
        if pd.isna(change):
            return None
        tv = float(target_value)
        if d == "down":
            return bool(change <= -abs(tv))
        if d == "up":
            return bool(change >= abs(tv))
        return bool(change <= tv) if tv < 0 else bool(change >= tv)
    if kind == "level":
        if _missing(target_value):
            return None
        return (
            bool(value <= float(target_value))
            if d == "down"
            else bool(value >= float(target_value))
        )
    if kind == "direction":
        if _missing(baseline_value) or d is None:
            return None
        return bool(value < baseline_value) if d == "down" else bool(value > baseline_value)
    return None


def status_for_target(
    target_kind: str,
    direction: str | None,
    target_value: float | None,
    baseline_value: float | None,
    actual_value: float | None,
    *,
    measurable: bool = True,
    complete: bool = True,
    projection: dict | None = None,
) -> Status:
    """Status of one target.

    Parameters
    ----------
    target_kind : str
        ``pct_change``, ``level``, ``direction``, ``qualitative`` or ``reported_figure``.
    direction, target_value : see :func:`meets_target`.
    baseline_value, actual_value : float or None
        Baseline and target-period values (counts or percentages). For an incomplete target
        year *actual_value* is ignored in favour of *projection*.
    measurable : bool
        False gives :attr:`Status.NOT_MEASURABLE` (no public data, or a qualitative target).
    complete : bool
        Whether the target period is complete in the data.
    projection : dict, optional
        Output of :func:`wmp_analysis.analysis.stats.project_year_end` for an incomplete year
        (its ``projected`` year-end count is judged); whether its prediction interval lies wholly
        on one side of the target is reported by :func:`projection_note`.

    Returns
    -------
    Status
        ``MET`` / ``NOT_MET`` (complete year), ``ON_TRACK`` / ``OFF_TRACK`` (incomplete year,
        judged on the projection), ``NOT_MEASURABLE`` (not measurable, ``qualitative`` or
        ``reported_figure``), or ``INSUFFICIENT_DATA`` (a value is missing: no projection for an
        incomplete year, or :func:`meets_target` cannot judge).
    """
    kind = (target_kind or "").strip().lower()
    if not measurable or kind in {"qualitative", "reported_figure"}:
        return Status.NOT_MEASURABLE
    if not complete:
        if not projection or _missing(projection.get("projected", np.nan)):
            return Status.INSUFFICIENT_DATA
        ok = meets_target(kind, direction, target_value, baseline_value, projection["projected"])
        if ok is None:
            return Status.INSUFFICIENT_DATA
        return Status.ON_TRACK if ok else Status.OFF_TRACK
    ok = meets_target(kind, direction, target_value, baseline_value, actual_value)
    if ok is None:
        return Status.INSUFFICIENT_DATA
    return Status.MET if ok else Status.NOT_MET


def projection_note(target_kind, direction, target_value, baseline_value, projection: dict) -> str:
    """Plain-words statement of whether a projection's prediction interval settles the target.

    Parameters
    ----------
    target_kind, direction, target_value, baseline_value : see :func:`meets_target`.
    projection : dict
        ``pi_low`` and ``pi_high``: the ends of the year-end prediction interval (counts).

    Returns
    -------
    str
        "whole prediction interval meets the target", "... misses the target", "prediction
        interval straddles the target: outcome uncertain", or "projection interval could not
        be judged" (an end missing).
    """
    lo_ok = meets_target(
        target_kind, direction, target_value, baseline_value, projection.get("pi_low")
    )
    hi_ok = meets_target(
        target_kind, direction, target_value, baseline_value, projection.get("pi_high")
    )
    if lo_ok is None or hi_ok is None:
        return "projection interval could not be judged"
    if lo_ok and hi_ok:
        return "whole prediction interval meets the target"
    if not lo_ok and not hi_ok:
        return "whole prediction interval misses the target"
    return "prediction interval straddles the target: outcome uncertain"


def plan_figure_status(
    claimed: float | None, ci_low: float | None, ci_high: float | None
) -> Status:
    """Status of a figure the plan reports (e.g. "confidence 84% in 2011-12"), against the survey.

    Parameters
    ----------
    claimed : float or None
        The plan's figure (percent).
    ci_low, ci_high : float or None
        The 95% interval of the survey estimate for the same period and group (percent).

    Returns
    -------
    Status
        ``CONSISTENT_WITH_PLAN`` when ``ci_low <= claimed <= ci_high`` (an end of the interval
        counts as inside), ``DIFFERS_FROM_PLAN`` otherwise, ``INSUFFICIENT_DATA`` when any of
        the three is missing.
    """
    if _missing(claimed) or _missing(ci_low) or _missing(ci_high):
        return Status.INSUFFICIENT_DATA
    inside = float(ci_low) <= float(claimed) <= float(ci_high)
    return Status.CONSISTENT_WITH_PLAN if inside else Status.DIFFERS_FROM_PLAN


class ClaimVerdict(StrEnum):
    """The verdict on a comparative claim of a plan (the ``verdict`` column of ``claims_check``)."""

    SUPPORTED = "supported"
    PARTLY_SUPPORTED = "partly supported"
    NOT_SUPPORTED = "not supported"
    NOT_DISTINGUISHABLE = "not distinguishable"
    INSUFFICIENT_DATA = "insufficient data"


def claim_verdict(
    test: str,
    ci_low: float,
    ci_high: float,
    group_ci_low: pd.Series,
    group_ci_high: pd.Series,
    pooled: float,
) -> ClaimVerdict:
    """Verdict on one comparative claim: the force's rate interval against its group's.

    "Clearly" below / above: the force's 95% interval lies wholly on one side of the other
    force's interval (no overlap, a shared end is an overlap) or of the pooled rate.

    Parameters
    ----------
    test : str
        ``below_all``: *supported* if the force is clearly below every member of the group;
        *partly supported* if only clearly below the group's pooled rate; else *not supported*.
        ``below_pooled``: *supported* if clearly below the pooled rate; *not supported* if
        clearly above it; else *not distinguishable*. ``above_most``: *supported* if clearly
        above the pooled rate **and** clearly above more than half of the members; *partly
        supported* if one of the two; else *not supported*.
    ci_low, ci_high : float
        The force's 95% interval for its rate (per 1,000 residents).
    group_ci_low, group_ci_high : Series of float
        The same interval for each member of the comparison group.
    pooled : float
        The group's pooled rate (its count over its population, per 1,000).

    Returns
    -------
    ClaimVerdict

    Raises
    ------
    ValueError
        An unknown *test*.
    """
    below = int((group_ci_low > ci_high).sum())
    above = int((group_ci_high < ci_low).sum())
    n = len(group_ci_low)
    if test == "below_all":
        if n and below == n:
            return ClaimVerdict.SUPPORTED
        return ClaimVerdict.PARTLY_SUPPORTED if ci_high < pooled else ClaimVerdict.NOT_SUPPORTED
    if test == "below_pooled":
        if ci_high < pooled:
            return ClaimVerdict.SUPPORTED
        return ClaimVerdict.NOT_SUPPORTED if ci_low > pooled else ClaimVerdict.NOT_DISTINGUISHABLE
    if test == "above_most":
        a, b = ci_low > pooled, above > n / 2
        if a and b:
            return ClaimVerdict.SUPPORTED
        return ClaimVerdict.PARTLY_SUPPORTED if (a or b) else ClaimVerdict.NOT_SUPPORTED
    raise ValueError(f"unknown claim test {test!r}")
