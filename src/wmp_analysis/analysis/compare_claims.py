"""Figures the plans state, recomputed from the ONS file (:func:`claims_check`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.compare_inputs import RECORDED_CRIME_CAVEAT

#: The Police and Crime Plan 2014-15's claim, where it says it, and its figure (percent).
_TOTAL_CRIME_CLAIM = "total recorded crime rose 2.1% in 2013-14"
_TOTAL_CRIME_CITE = (
    "001_80b6ad282e6b1277.txt: 'a small increase in total recorded crime (2.1 per cent in 2013-14)'"
)
_TOTAL_CRIME_PLAN_VALUE = 2.1


def _force_total(
    ons_df: pd.DataFrame, force: str, period_end: pd.Timestamp, *, exclude_fraud: bool
) -> tuple[float, str]:
    rows = ons_df[(ons_df["force"] == force) & (ons_df["period_end"] == period_end)]
    if exclude_fraud:
        rows = rows[rows["offence"] != "Fraud offences"]
    if rows.empty:
        return np.nan, "no rows"
    fraud = ons_df[
        (ons_df["force"] == force)
        & (ons_df["period_end"] == period_end)
        & (ons_df["offence"] == "Fraud offences")
    ]
    note = (
        ""
        if exclude_fraud
        else (
            "fraud included"
            if not fraud.empty
            else "no fraud row for the force (moved to Action Fraud)"
        )
    )
    return float(rows["count"].sum()), note


def _total_crime_row(ons_df: pd.DataFrame, force: str, *, exclude_fraud: bool) -> dict:
    """The 2013-14 total recorded crime claim, including or excluding fraud."""
    excl = exclude_fraud
    b, bnote = _force_total(ons_df, force, pd.Timestamp("2013-03-31"), exclude_fraud=excl)
    a, anote = _force_total(ons_df, force, pd.Timestamp("2014-03-31"), exclude_fraud=excl)
    pc = S.pct_change(b, a)
    definition = (
        "total recorded crime excluding fraud"
        if excl
        else "total recorded crime, every offence group as published (including fraud)"
    )
    expl = [
        "The plan is dated 28 February 2014, before 2013-14 ended: its figure is most likely a year-to-date or "
        "projected comparison, not the full year published later.",
        "The ONS file holds later, revised counts.",
    ]
    if not excl:
        expl.append(
            "Fraud moved from forces to Action Fraud during 2013-14, so the force's fraud count "
            f"falls to nothing in the 12 months to March 2014 ({anote}; baseline {bnote}), which lowers the "
            "including-fraud change."
        )
    else:
        expl.append(
            "Excluding fraud is the like-for-like comparison across the Action Fraud transfer."
        )
    plan_value = _TOTAL_CRIME_PLAN_VALUE
    return {
        "claim": _TOTAL_CRIME_CLAIM,
        "source": _TOTAL_CRIME_CITE,
        "plan_value": plan_value,
        "computed_value": pc,
        "difference": (pc - plan_value) if not pd.isna(pc) else np.nan,
        "baseline_count": b,
        "actual_count": a,
        "definition": definition,
        "explanation": " ".join(expl),
        "recorded_crime_caveat": RECORDED_CRIME_CAVEAT,
    }


def claims_check(
    ons_df: pd.DataFrame,
    force: str = "West Midlands",
    *,
    national_view: pd.DataFrame | None = None,
    comparators=(),
) -> pd.DataFrame:
    """Recompute figures the plans state, from the ONS file.

    With *national_view* (:func:`wmp_analysis.analysis.national.national_view`) the table
    also holds the Strategic Policing Plan's comparative claims ("levels of overall
    crime lower than similar areas", ...) checked against *comparators* and every
    territorial force (:func:`wmp_analysis.analysis.national_claims.comparative_claims`:
    the extra columns ``claim_id``, ``verdict``, ``comparison_group``, ``period``,
    ``measure_id``, ``proxy``, ``evidence``; rates per 1,000 residents).

    Currently: the Police and Crime Plan 2014-15 ("a small increase in total
    recorded crime (2.1 per cent in 2013-14)", seed 001, section on reducing crime):
    12 months to 31 March 2014 against 12 months to 31 March 2013, total recorded
    crime including and excluding fraud.

    Returns
    -------
    DataFrame
        ``claim``, ``source``, ``plan_value`` (percent), ``computed_value``
        (percent), ``difference`` (percentage points, computed - plan),
        ``baseline_count``, ``actual_count``, ``definition``, ``explanation``.
    """
    rows = [_total_crime_row(ons_df, force, exclude_fraud=excl) for excl in (False, True)]
    out = pd.DataFrame(rows)
    if national_view is not None:
        from wmp_analysis.analysis.national_claims import comparative_claims

        out = pd.concat(
            [out, comparative_claims(national_view, force, list(comparators))], ignore_index=True
        )
    return out
