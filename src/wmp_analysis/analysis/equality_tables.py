"""Suppression-aware estimate tables: by group, for the targets, and from aggregated extracts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from wmp_analysis.analysis.equality_estimates import (
    DEFAULT_MIN_BASE,
    SUPPRESSION_TEXT,
    _apply_reasons,
    _in_period,
    _valid,
    add_period_columns,
    empty_estimates,
    survey_estimates,
    weighted_proportion,
)
from wmp_analysis.analysis.equality_suppression import (
    FORCE,
    SuppressionPlan,
    _cached_plan,
    suppression_plan,
)
from wmp_analysis.periods import Period


def _aggregated_cell(survey: pd.DataFrame, mid: str, period: Period) -> tuple:
    """``(n, n_eff, p, note)`` of measure *mid* over *period* from an aggregated extract.

    The ``all`` rows lying wholly inside *period* are summed (n_eff = base n); their
    weighted proportion is used only when a single row covers the period. p is 0-1.
    """
    sel = survey[
        (survey["measure"] == mid)
        & (survey["group_type"].str.lower() == "all")
        & (survey["period_start"] >= period.start)
        & (survey["period_end"] <= period.end)
    ]
    n = int(sel["base_n"].sum())
    if n == 0:
        p = np.nan
    elif len(sel) == 1 and pd.notna(sel["weighted_proportion"].iloc[0]):
        p = float(sel["weighted_proportion"].iloc[0])
    else:
        p = float(sel["n_positive"].sum() / n)
    return n, float(n), p, "aggregated extract: n_eff = base n (no weights supplied)"


def _respondent_cell(survey: pd.DataFrame, mid: str, period: Period) -> tuple:
    """``(n, n_eff, p, note)`` of measure *mid* over *period*, weighted (p 0-1).

    The respondents with an answer (``positive`` not missing, as :func:`_valid`) to *mid*
    in *period*; only the two columns the estimate reads are selected, not every column
    of the extract (the target comparison asks once per target and period).
    """
    _valid(survey.iloc[:0])  # the contract check (a 'positive' column), on no rows
    positive = survey["positive"]
    keep = (
        positive.notna()
        & (survey["measure"] == mid)
        & _in_period(survey["fieldwork_month"], period)
    ).to_numpy(dtype=bool, na_value=False)
    r = weighted_proportion(
        positive[keep].to_numpy(dtype=bool), survey["weight"][keep].to_numpy(dtype=float)
    )
    return r["n"], r["n_eff"], r["p"], "weighted; Wilson interval on Kish effective sample size"


def _target_row(n, neff, p, note, why, *, min_base: int, alpha: float) -> dict:
    """The values of one row of :func:`survey_estimates_for_targets` (percent 0-100)."""
    blank = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if n == 0:
        return {
            **blank,
            "n": 0,
            "n_eff": 0.0,
            "suppressed": False,
            "note": "no survey data for this measure and period",
        }
    lo, hi = proportion_confint(p * neff, neff, alpha=alpha, method="wilson")
    if why is None and n < min_base:
        why = "primary"
    if why is not None:
        note = "suppressed: " + SUPPRESSION_TEXT[why].format(min_base=min_base)
        return {**blank, "n": pd.NA, "n_eff": np.nan, "suppressed": True, "note": note}
    return {
        "estimate": 100 * p,
        "ci_low": 100 * float(lo),
        "ci_high": 100 * float(hi),
        "n": int(n),
        "n_eff": float(neff),
        "suppressed": False,
        "note": note,
    }


def survey_estimates_for_targets(
    survey: pd.DataFrame,
    measure_ids,
    period: Period,
    *,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
    plan: SuppressionPlan | None = None,
) -> pd.DataFrame:
    """Overall estimate of each survey measure over *period*, for the target comparison.

    Parameters
    ----------
    survey : DataFrame
        Either contract, as returned by :func:`wmp_analysis.ingest.survey.read_survey`.
    measure_ids : iterable of str
        Registry measure ids (``crime_satisfaction``, ``asb_satisfaction``,
        ``confidence``, ``good_job``).
    period : Period
        Respondent level: fieldwork months whose first day lies in the period.
        Aggregated: rows with ``group_type == "all"`` lying wholly inside the
        period (their counts are summed; a weighted proportion is used only when a
        single row covers the period).

    Returns
    -------
    DataFrame
        One row per requested measure: ``measure_id, period_start, period_end,
        estimate, ci_low, ci_high`` (percent 0-100; NaN when there are no data or
        the base is below *min_base*), ``n`` (unweighted base), ``n_eff``,
        ``suppressed``, ``note``. Respondent level: when *period* is one financial
        year or the whole extract, the "All" cell of *plan* (default:
        :func:`suppression_plan` of *survey*) decides suppression, so the figure is
        withheld here exactly when ``survey_estimates`` withholds it; a suppressed
        row has no estimate, interval, ``n`` or ``n_eff``.
    """
    rows = []
    aggregated = "positive" not in survey.columns
    if not aggregated and plan is None and len(survey):
        plan = _cached_plan(survey, min_base)
    cell = _aggregated_cell if aggregated else _respondent_cell
    for mid in measure_ids:
        base = {"measure_id": mid, "period_start": period.start, "period_end": period.end}
        n, neff, p, note = cell(survey, mid, period)
        why = None
        if n != 0 and plan is not None:
            why = plan.reason(mid, period.label, FORCE, "all", "All")
        rows.append({**base, **_target_row(n, neff, p, note, why, min_base=min_base, alpha=alpha)})
    cols = [
        "measure_id",
        "period_start",
        "period_end",
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "n_eff",
        "suppressed",
        "note",
    ]
    return pd.DataFrame(rows, columns=cols).astype(
        {"n": "Int64", "n_eff": "float64", "suppressed": "bool"}
    )


def aggregated_estimates(
    agg: pd.DataFrame, *, min_base: int = DEFAULT_MIN_BASE, alpha: float = 0.05
) -> pd.DataFrame:
    """Estimates with Wilson intervals from an aggregated extract (n_eff = base n).

    Returns the input's ``group_type, group, measure, period_start, period_end,
    base_n, n_positive`` with ``estimate, ci_low, ci_high`` (percent),
    ``suppressed`` and ``suppression``. Suppression: primary below *min_base*, then
    secondary within each measure and period, where the ``all`` row is the total of
    the groups of each other ``group_type`` (:func:`wmp_analysis.analysis.suppression.suppress`);
    a suppressed row shows no base, positives, estimate or interval.
    """
    from wmp_analysis.analysis.suppression import suppress

    out = agg[
        ["group_type", "group", "measure", "period_start", "period_end", "base_n", "n_positive"]
    ].copy()
    p = agg["weighted_proportion"].where(
        agg["weighted_proportion"].notna(), agg["n_positive"] / agg["base_n"]
    )
    lo, hi = proportion_confint(p * agg["base_n"], agg["base_n"], alpha=alpha, method="wilson")
    out["estimate"] = 100 * p
    out["ci_low"] = 100 * pd.Series(lo, index=agg.index)
    out["ci_high"] = 100 * pd.Series(hi, index=agg.index)
    keys = list(
        zip(
            out["measure"],
            out["period_start"],
            out["period_end"],
            out["group_type"].str.lower(),
            out["group"],
        )
    )
    n = dict(zip(keys, out["base_n"].astype(int)))
    rels = []
    for (m, s0, e0), blk in out.groupby(["measure", "period_start", "period_end"], sort=True):
        gt = blk["group_type"].str.lower()
        totals = [(m, s0, e0, "all", g) for g in blk.loc[gt == "all", "group"]]
        if len(totals) != 1:
            continue
        for t in sorted(set(gt) - {"all"}):
            rels.append([totals[0], *[(m, s0, e0, t, g) for g in blk.loc[gt == t, "group"]]])
    status = suppress(n, rels, int(min_base), cost={k: 1000.0 for k in keys if k[3] == "all"})
    reason = pd.Series([status.get(k, "") for k in keys], index=out.index)
    res = _apply_reasons(out, reason, min_base)
    res["base_n"] = res["base_n"].astype("Int64").mask(reason != "")
    return res


def estimates_by_groups(
    survey: pd.DataFrame,
    groups=("ethnic_group", "age_band"),
    *,
    period: Period | None = None,
    by_financial_year: bool = True,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
    plan: SuppressionPlan | None = None,
) -> pd.DataFrame:
    """Long table of estimates for each grouping column (``tables/survey_estimates.csv``).

    One block per grouping column in *groups* plus an ``all`` block (everyone), for
    the whole *period* (or extract) and, if *by_financial_year*, each financial year.

    Returns
    -------
    DataFrame
        ``group_type, group, measure, period, n, n_positive, sum_weight, n_eff,
        estimate, ci_low, ci_high`` (percent), ``suppressed``, ``suppression``
        (why). Suppression follows *plan* (default: :func:`suppression_plan` of
        *survey*, *groups* and *period*): a suppressed row shows none of
        :data:`CELL_COLUMNS`.
    """
    df = _valid(survey)
    if df.empty:
        return empty_estimates()
    df = add_period_columns(df)
    if period is not None:
        df = df[_in_period(df["fieldwork_month"], period)]
    if df.empty:
        return empty_estimates()
    whole_label = (
        period.label
        if period is not None
        else f"{df['fieldwork_month'].min():%Y-%m} to {df['fieldwork_month'].max():%Y-%m}"
    )
    df = df.assign(_all="All", _whole=whole_label)
    frames = []
    for col in ("_all", *groups):
        for pcol in ("_whole", *(("financial_year",) if by_financial_year else ())):
            e = survey_estimates(df, [pcol, col], min_base=0, alpha=alpha)
            e = e.rename(columns={pcol: "period", col: "group"})
            e.insert(0, "group_type", "all" if col == "_all" else col)
            frames.append(e)
    out = pd.concat(frames, ignore_index=True)
    out = out.drop_duplicates(["group_type", "group", "measure", "period"]).reset_index(drop=True)
    if plan is None:
        plan = suppression_plan(df, groups, period=period, min_base=min_base)
    reason = pd.Series(
        [
            plan.reason(m, t, FORCE, gt, g) or ""
            for m, t, gt, g in zip(out["measure"], out["period"], out["group_type"], out["group"])
        ],
        index=out.index,
    )
    reason = reason.where((reason != "") | ~((out["n"] > 0) & (out["n"] < min_base)), "primary")
    return _apply_reasons(out.drop(columns=["suppressed", "suppression"]), reason, min_base)
