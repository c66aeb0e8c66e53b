"""Context for the target comparison: districts ranked, peer forces, each measure by year.

None of it is a verdict on a target: districts are classed against the force-wide rate ratio
by their intervals, peer forces have no targets of their own, and the yearly series are shown
with the scorecards (issue 12). Force figures are ONS rolling years ending 31 March.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.compare_inputs import recorded_crime_caveat
from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period

#: Columns of :func:`rank_districts`, in order.
RANK_COLUMNS = [
    "target_id",
    "measure_id",
    "geography",
    "rate_ratio",
    "rr_ci_low",
    "rr_ci_high",
    "force_rate_ratio",
    "versus_force",
    "order",
    "source",
    "proxy",
]

#: Financial years of the measure series shown with the scorecards (issue 12).
SERIES_YEARS = ("2010-11", "2011-12", "2012-13", "2013-14", "2014-15", "2015-16")


def rank_districts(comparison: pd.DataFrame, force: str) -> pd.DataFrame:
    """Districts' rate ratios with intervals, ordered for a caterpillar plot.

    Never ranks on point estimates alone: each district is classed against the
    force-wide rate ratio of the same target by its 95% CI (``lower than force``,
    ``higher than force``, ``not distinguishable``), and the plausible rank range
    is not claimed.

    Returns
    -------
    DataFrame
        One row per (target_id, district) with ``rate_ratio``, ``rr_ci_low``,
        ``rr_ci_high``, ``force_rate_ratio``, ``versus_force``, ``order`` (by RR
        within the target), ``source``, ``proxy``.
    """
    d = comparison[(comparison["geography"] != force) & comparison["rate_ratio"].notna()].copy()
    if d.empty:
        return pd.DataFrame(columns=RANK_COLUMNS)
    f = comparison[comparison["geography"] == force].set_index("target_id")["rate_ratio"]
    d["force_rate_ratio"] = d["target_id"].map(f)
    d["versus_force"] = np.select(
        [d["rr_ci_high"] < d["force_rate_ratio"], d["rr_ci_low"] > d["force_rate_ratio"]],
        ["lower than force", "higher than force"],
        default="not distinguishable",
    )
    d = d.sort_values(["target_id", "rate_ratio"], kind="mergesort")
    d["order"] = d.groupby("target_id").cumcount() + 1
    return d[RANK_COLUMNS].reset_index(drop=True)


def _peer_row(
    ons_df: pd.DataFrame,
    mid: str,
    m: Mapping,
    force: str,
    present: set,
    baseline: Period,
    target: Period,
) -> dict:
    """One (force, measure) row of :func:`peer_comparison`; *m* is the measure's row."""
    r = {
        "force": force,
        "measure_id": mid,
        "baseline_period": baseline.label,
        "target_period": target.label,
        "baseline_value": np.nan,
        "actual_value": np.nan,
        "pct_change": np.nan,
        "rate_ratio": np.nan,
        "rr_ci_low": np.nan,
        "rr_ci_high": np.nan,
        "p_value": np.nan,
        "proxy": M._truthy(m.get("proxy")),
        "note": "",
        "recorded_crime_caveat": recorded_crime_caveat(baseline, target),
    }
    if force not in present:
        r["note"] = "force not in the ONS file"
        return r
    s = M.ons_rolling_year(ons_df, m, force)
    b, a = M.measure_value(s, baseline), M.measure_value(s, target)
    r.update(
        baseline_value=b["value"],
        actual_value=a["value"],
        pct_change=S.pct_change(b["value"], a["value"]),
        note="; ".join(sorted({x for x in (b["note"], a["note"]) if x})),
    )
    if b["complete"] and a["complete"]:
        t = S.poisson_rate_ratio_test(a["value"], target.n_months, b["value"], baseline.n_months)
        r.update(
            rate_ratio=t["rate_ratio"],
            rr_ci_low=t["ci_low"],
            rr_ci_high=t["ci_high"],
            p_value=t["p_value"],
        )
    return r


def peer_comparison(
    ons_df: pd.DataFrame,
    measures: pd.DataFrame,
    measure_ids: list[str],
    forces: list[str],
    baseline: Period,
    target: Period,
) -> pd.DataFrame:
    """The same measures over the same periods for the force and similar forces.

    Context only (no target applies to another force). Each row: ``force``,
    ``measure_id``, ``baseline_value``, ``actual_value``, ``pct_change``,
    ``rate_ratio``, ``rr_ci_low``, ``rr_ci_high``, ``p_value`` (ONS rolling years
    ending 31 March), ``proxy``, ``note``, ``recorded_crime_caveat``.
    """
    rows = []
    present = set(ons_df["force"].unique())
    for mid in measure_ids:
        hit = measures[measures["measure_id"] == mid]
        if hit.empty:
            continue
        m = hit.iloc[0].to_dict()
        rows.extend(_peer_row(ons_df, mid, m, f, present, baseline, target) for f in forces)
    return pd.DataFrame(rows)


def measure_series(
    ons_df: pd.DataFrame, measures: pd.DataFrame, measure_ids, force: str, years=SERIES_YEARS
) -> pd.DataFrame:
    """Each measure's force-wide total per financial year (ONS 12 months to March).

    Parameters
    ----------
    ons_df : DataFrame
        The processed ``ons_pfa`` table.
    measures : DataFrame
        The measures table (``ons_offences`` defines each measure's offence groups).
    measure_ids : iterable of str
        Count measures to show, in order.
    force : str
    years : sequence of str
        Financial year labels (``"2012-13"`` = April 2012 to March 2013).

    Returns
    -------
    DataFrame
        ``measure_id, year, value, note``: ``value`` is the count of recorded offences in
        the year (NaN when the ONS file has no complete year ending that March; never zero
        for a gap); ``note`` says why.
    """
    rows = []
    for mid in measure_ids:
        hit = measures[measures["measure_id"] == mid]
        if hit.empty:
            continue
        series = M.ons_rolling_year(ons_df, hit.iloc[0].to_dict(), force)
        for fy in years:
            start = int(fy[:4])
            v = M.measure_value(
                series, Period.from_strings(f"{start}-04-01", f"{start + 1}-03-31", field=fy)
            )
            rows.append(
                {
                    "measure_id": mid,
                    "year": fy,
                    "value": v["value"],
                    "note": ""
                    if v["complete"]
                    else (v["note"] or "no complete year in the ONS file"),
                }
            )
    return pd.DataFrame(rows, columns=["measure_id", "year", "value", "note"])
