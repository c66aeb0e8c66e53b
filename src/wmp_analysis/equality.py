"""Survey estimates by group, and the gaps between groups (SPI 1.2 form).

Definitions (all percentages are 0-100; gaps are percentage points)
--------------------------------------------------------------------
* **Weighted proportion** of a group: ``p = sum(w * positive) / sum(w)`` over
  respondents with a valid answer (``positive`` not NA).
* **Kish effective sample size**: ``n_eff = (sum w)**2 / sum(w**2)``; equals n
  when all weights are equal.
* **Interval** for a weighted proportion: Wilson score interval
  (``statsmodels.stats.proportion.proportion_confint(method="wilson")``) applied to
  ``(p * n_eff, n_eff)``, i.e. the Wilson interval of an unweighted sample of size
  n_eff with the same proportion. This respects weighting through the design effect
  of unequal weights (it does not know about clustering or stratification).
* **Suppression**: a group whose *unweighted* base n is below ``min_base``
  (default 50) keeps n but has a blank estimate and ``suppressed=True``.
* **Gap**: ``gap = p_group - p_reference`` (group minus reference, so a negative gap
  means the group is less satisfied), with a Newcombe hybrid-score interval
  (Newcombe 1998, method 10; ``statsmodels.stats.proportion.confint_proportions_2indep
  (method="newcomb", compare="diff")``) on the effective counts ``(p * n_eff,
  n_eff)`` of each side. ``significant`` is True when the interval excludes 0. This
  is the form of the Home Office SPI 1.2 "satisfaction gap between White and BME
  victims" (difference in proportions with its confidence interval).

Aggregated extracts (published tables) carry no weights: their ``n_eff`` is the
base n and their proportion is ``weighted_proportion`` when given, else
``n_positive / base_n``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from .periods import Period, financial_year
from .survey import AGE_BANDS, BME_GROUPS, NOT_STATED

#: Default minimum unweighted base below which estimates are suppressed.
DEFAULT_MIN_BASE = 50

#: Columns of the equality headline table (``tables/equality_gaps.csv``).
EQUALITY_GAP_COLUMNS = [
    "group", "reference", "measure", "period", "estimate", "reference_estimate", "gap",
    "gap_ci_low", "gap_ci_high", "significant", "base_n", "suppressed",
]

#: Column types of :func:`equality_gaps` (the headline columns, then the extra ones).
EQUALITY_GAP_DTYPES: dict[str, str] = {
    "group": "str", "reference": "str", "measure": "str", "period": "str", "estimate": "float64",
    "reference_estimate": "float64", "gap": "float64", "gap_ci_low": "float64", "gap_ci_high": "float64",
    "significant": "bool", "base_n": "int64", "suppressed": "bool", "group_type": "str",
    "reference_base_n": "int64", "period_start": "datetime64[ns]", "period_end": "datetime64[ns]",
}

#: Column types of :func:`estimates_by_groups` (``tables/survey_estimates.csv``).
ESTIMATE_DTYPES: dict[str, str] = {
    "group_type": "str", "group": "str", "measure": "str", "period": "str", "n": "int64",
    "n_positive": "int64", "sum_weight": "float64", "n_eff": "float64", "estimate": "float64",
    "ci_low": "float64", "ci_high": "float64", "suppressed": "bool",
}


def _empty(dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in dtypes.items()})


def empty_estimates() -> pd.DataFrame:
    """:func:`estimates_by_groups`' table with no rows (typed), e.g. for a survey not supplied."""
    return _empty(ESTIMATE_DTYPES)


def empty_gaps() -> pd.DataFrame:
    """:func:`equality_gaps`' table with no rows (typed), e.g. for a survey not supplied."""
    return _empty(EQUALITY_GAP_DTYPES)


def kish_neff(weights) -> float:
    """Kish effective sample size ``(sum w)^2 / sum w^2`` (0.0 for no weights)."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0:
        return 0.0
    return float(w.sum() ** 2 / np.square(w).sum())


def weighted_proportion(positive, weights, *, alpha: float = 0.05) -> dict[str, float]:
    """Weighted proportion with a Wilson interval on the Kish effective sample size.

    Parameters
    ----------
    positive : array-like of bool
        One value per respondent with a valid answer.
    weights : array-like of float
        Survey weights (> 0), same length.
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        ``n`` (unweighted count), ``n_positive`` (unweighted), ``sum_weight``,
        ``n_eff``, ``p`` (0-1), ``ci_low``, ``ci_high`` (0-1). ``p`` and the interval
        are NaN when n is 0.
    """
    y = np.asarray(positive, dtype=bool)
    w = np.asarray(weights, dtype=float)
    n = int(y.size)
    if n == 0:
        return {"n": 0, "n_positive": 0, "sum_weight": 0.0, "n_eff": 0.0, "p": np.nan,
                "ci_low": np.nan, "ci_high": np.nan}
    p = float((w * y).sum() / w.sum())
    neff = kish_neff(w)
    lo, hi = proportion_confint(p * neff, neff, alpha=alpha, method="wilson")
    return {"n": n, "n_positive": int(y.sum()), "sum_weight": float(w.sum()), "n_eff": neff, "p": p,
            "ci_low": float(lo), "ci_high": float(hi)}


def proportion_gap(p1: float, neff1: float, p2: float, neff2: float, *, alpha: float = 0.05) -> dict[str, float]:
    """Difference ``p1 - p2`` (0-1) with a Newcombe hybrid-score interval on effective counts.

    Returns ``gap, ci_low, ci_high`` (0-1) and ``significant`` (interval excludes 0).
    """
    gap = p1 - p2
    lo, hi = confint_proportions_2indep(p1 * neff1, neff1, p2 * neff2, neff2, method="newcomb",
                                        compare="diff", alpha=alpha)
    lo, hi = float(lo), float(hi)
    return {"gap": gap, "ci_low": lo, "ci_high": hi, "significant": bool(lo > 0 or hi < 0)}


def _valid(survey: pd.DataFrame) -> pd.DataFrame:
    if "positive" not in survey.columns:
        raise ValueError("survey estimates need the respondent-level contract (a 'positive' column)")
    return survey[survey["positive"].notna()]


def add_period_columns(survey: pd.DataFrame) -> pd.DataFrame:
    """Ensure ``financial_year`` (from ``fieldwork_month``) is present; returns a copy."""
    out = survey.copy()
    if "financial_year" not in out.columns:
        if out.empty:  # no rows: nothing to derive (and an untyped column has no .dt)
            out["financial_year"] = pd.Series([], dtype="str", index=out.index)
        else:
            out["financial_year"] = financial_year(out["fieldwork_month"]).astype("str")
    return out


def survey_estimates(
    survey: pd.DataFrame,
    by: list[str] | tuple[str, ...] = (),
    *,
    measures: list[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Weighted proportion positive by measure and the columns in *by*.

    Parameters
    ----------
    survey : DataFrame
        Respondent-level table from :func:`wmp_analysis.survey.read_survey`.
    by : list of str
        Grouping columns besides ``measure`` (e.g. ``["financial_year",
        "ethnic_group"]``). Empty: one row per measure.
    measures : list of str, optional
        Keep only these measures.
    min_base : int
        Suppress groups with fewer valid (unweighted) respondents than this.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``measure, *by, n, n_positive, sum_weight, n_eff, estimate, ci_low,
        ci_high`` (percent 0-100; blank when suppressed), ``suppressed``.
    """
    df = _valid(survey)
    if measures is not None:
        df = df[df["measure"].isin(measures)]
    keys = ["measure", *by]
    rows = []
    for key, g in df.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        r = weighted_proportion(g["positive"].to_numpy(dtype=bool), g["weight"].to_numpy(dtype=float), alpha=alpha)
        sup = r["n"] < min_base
        rows.append({
            **dict(zip(keys, key)), "n": r["n"], "n_positive": r["n_positive"],
            "sum_weight": r["sum_weight"], "n_eff": r["n_eff"],
            "estimate": np.nan if sup else 100 * r["p"],
            "ci_low": np.nan if sup else 100 * r["ci_low"],
            "ci_high": np.nan if sup else 100 * r["ci_high"],
            "suppressed": bool(sup),
        })
    cols = [*keys, "n", "n_positive", "sum_weight", "n_eff", "estimate", "ci_low", "ci_high", "suppressed"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"n": "int64", "n_positive": "int64", "suppressed": "bool"})


@dataclass(frozen=True)
class Comparison:
    """A group and its reference, each a set of values of one column.

    ``Comparison("ethnic_group", "BME", BME_GROUPS, "White", ("White",))``.
    """

    column: str
    group: str
    group_values: tuple[str, ...]
    reference: str
    reference_values: tuple[str, ...]


def default_comparisons(
    groups=("ethnic_group", "age_band"), reference_groups: dict[str, str] | None = None,
) -> list[Comparison]:
    """The standard comparisons for *groups*.

    * ``ethnic_group``: BME vs White (SPI 1.2), then each of Mixed, Asian, Black,
      Other vs the reference (default White);
    * ``age_band``: each band vs the reference (default 65+), then 16-24 vs all
      other stated ages;
    * any other column: each value vs the reference given in *reference_groups*.
    "Not stated" is never a group or part of a reference.
    """
    refs = {"ethnic_group": "White", "age_band": "65+", **(reference_groups or {})}
    out: list[Comparison] = []
    for col in groups:
        ref = refs.get(col)
        if col == "ethnic_group":
            out.append(Comparison(col, "BME", BME_GROUPS, ref, (ref,)) if ref == "White" else None)
            out.extend(Comparison(col, g, (g,), ref, (ref,)) for g in ("White", *BME_GROUPS) if g != ref)
        elif col == "age_band":
            bands = [a for a in AGE_BANDS if a != NOT_STATED]
            out.extend(Comparison(col, a, (a,), ref, (ref,)) for a in bands if a != ref)
            out.append(Comparison(col, "16-24", ("16-24",), "All other ages",
                                  tuple(a for a in bands if a != "16-24")))
        elif ref is not None:
            out.append(Comparison(col, "*", (), ref, (ref,)))  # expanded per value in gaps()
        else:
            raise ValueError(f"no reference group given for {col!r}")
    return [c for c in out if c is not None]


def _expand(comparisons: list[Comparison], df: pd.DataFrame) -> list[Comparison]:
    out = []
    for c in comparisons:
        if c.group == "*":
            vals = sorted(v for v in df[c.column].dropna().unique() if v not in (c.reference, NOT_STATED))
            out.extend(Comparison(c.column, v, (v,), c.reference, c.reference_values) for v in vals)
        else:
            out.append(c)
    return out


def gaps(
    survey: pd.DataFrame,
    comparisons: list[Comparison],
    *,
    by: list[str] | tuple[str, ...] = (),
    measures: list[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Gap between each group and its reference, per measure and the columns in *by*.

    Parameters
    ----------
    survey : DataFrame
        Respondent-level table.
    comparisons : list of Comparison
        From :func:`default_comparisons` or built by hand.
    by : list of str
        Extra breakdown, e.g. ``["financial_year"]``, ``["wave"]`` or
        ``["financial_year", "district"]`` (gaps over time / by district).
    min_base : int
        When either side has fewer valid unweighted respondents, the row is
        suppressed (estimates and gap blank, ``suppressed=True``).

    Returns
    -------
    DataFrame
        ``group_type, group, reference, measure, *by, estimate, ci_low, ci_high,
        reference_estimate, reference_ci_low, reference_ci_high, gap, gap_ci_low,
        gap_ci_high`` (percent / percentage points), ``significant`` (bool; False
        when suppressed), ``base_n, reference_base_n, n_eff, reference_n_eff,
        suppressed``.
    """
    df = _valid(survey)
    if measures is not None:
        df = df[df["measure"].isin(measures)]
    keys = ["measure", *by]
    rows = []
    comps = _expand(comparisons, df)
    for key, g in df.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        for c in comps:
            a = g[g[c.column].isin(c.group_values)]
            b = g[g[c.column].isin(c.reference_values)]
            ra = weighted_proportion(a["positive"].to_numpy(dtype=bool), a["weight"].to_numpy(dtype=float), alpha=alpha)
            rb = weighted_proportion(b["positive"].to_numpy(dtype=bool), b["weight"].to_numpy(dtype=float), alpha=alpha)
            sup = ra["n"] < min_base or rb["n"] < min_base
            row = {"group_type": c.column, "group": c.group, "reference": c.reference, **dict(zip(keys, key))}
            if sup:
                gp = {"gap": np.nan, "ci_low": np.nan, "ci_high": np.nan, "significant": False}
            else:
                gp = proportion_gap(ra["p"], ra["n_eff"], rb["p"], rb["n_eff"], alpha=alpha)

            def pct(x, hide):
                return np.nan if hide else 100 * x

            row.update({
                "estimate": pct(ra["p"], ra["n"] < min_base),
                "ci_low": pct(ra["ci_low"], ra["n"] < min_base),
                "ci_high": pct(ra["ci_high"], ra["n"] < min_base),
                "reference_estimate": pct(rb["p"], rb["n"] < min_base),
                "reference_ci_low": pct(rb["ci_low"], rb["n"] < min_base),
                "reference_ci_high": pct(rb["ci_high"], rb["n"] < min_base),
                "gap": 100 * gp["gap"], "gap_ci_low": 100 * gp["ci_low"], "gap_ci_high": 100 * gp["ci_high"],
                "significant": bool(gp["significant"]),
                "base_n": ra["n"], "reference_base_n": rb["n"],
                "n_eff": ra["n_eff"], "reference_n_eff": rb["n_eff"], "suppressed": bool(sup),
            })
            rows.append(row)
    cols = ["group_type", "group", "reference", *keys, "estimate", "ci_low", "ci_high", "reference_estimate",
            "reference_ci_low", "reference_ci_high", "gap", "gap_ci_low", "gap_ci_high", "significant",
            "base_n", "reference_base_n", "n_eff", "reference_n_eff", "suppressed"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"base_n": "int64", "reference_base_n": "int64", "significant": "bool", "suppressed": "bool"})


def _in_period(months: pd.Series, period: Period) -> pd.Series:
    """A fieldwork month counts when its first day lies in the period (month precision)."""
    return (months >= period.start.to_period("M").to_timestamp()) & (months <= period.end)


def equality_gaps(
    survey: pd.DataFrame,
    *,
    groups=("ethnic_group", "age_band"),
    reference_groups: dict[str, str] | None = None,
    period: Period | None = None,
    by_financial_year: bool = True,
    measures: list[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Headline equality gaps (``tables/equality_gaps.csv``), percentage points.

    One row per comparison, measure and period: each financial year (when
    *by_financial_year*) and the whole *period* (or the whole extract) labelled
    ``period``.

    Returns
    -------
    DataFrame
        :data:`EQUALITY_GAP_COLUMNS` (``estimate`` and ``reference_estimate`` in
        percent, ``gap`` and its interval in percentage points, ``base_n`` the
        group's unweighted base), then ``group_type, reference_base_n,
        period_start, period_end``.
    """
    df = _valid(survey)
    if df.empty:
        return empty_gaps()
    df = add_period_columns(df)
    if period is not None:
        df = df[_in_period(df["fieldwork_month"], period)]
    comps = default_comparisons(groups, reference_groups)
    frames = []
    if len(df):
        whole = gaps(df, comps, measures=measures, min_base=min_base, alpha=alpha)
        start = period.start if period is not None else df["fieldwork_month"].min()
        end = period.end if period is not None else df["fieldwork_month"].max() + pd.offsets.MonthEnd(0)
        whole["period"] = period.label if period is not None else f"{start:%Y-%m} to {end:%Y-%m}"
        whole["period_start"], whole["period_end"] = start, end
        frames.append(whole)
        if by_financial_year:
            fy = gaps(df, comps, by=["financial_year"], measures=measures, min_base=min_base, alpha=alpha)
            fy["period"] = fy["financial_year"]
            bounds = fy["financial_year"].map(lambda s: Period.financial_year(s))
            fy["period_start"] = bounds.map(lambda p: p.start)
            fy["period_end"] = bounds.map(lambda p: p.end)
            frames.append(fy.drop(columns="financial_year"))
    extra = ["group_type", "reference_base_n", "period_start", "period_end"]
    if not frames:
        return empty_gaps()
    out = pd.concat(frames, ignore_index=True)
    # a period that is exactly one financial year appears once, not twice
    out = out.drop_duplicates(["group_type", "group", "reference", "measure", "period"], keep="first")
    return out[EQUALITY_GAP_COLUMNS + extra].reset_index(drop=True)


def survey_estimates_for_targets(
    survey: pd.DataFrame,
    measure_ids,
    period: Period,
    *,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Overall estimate of each survey measure over *period*, for the target comparison.

    Parameters
    ----------
    survey : DataFrame
        Either contract, as returned by :func:`wmp_analysis.survey.read_survey`.
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
        ``suppressed``, ``note``.
    """
    rows = []
    aggregated = "positive" not in survey.columns
    for mid in measure_ids:
        base = {"measure_id": mid, "period_start": period.start, "period_end": period.end}
        if aggregated:
            sel = survey[(survey["measure"] == mid) & (survey["group_type"].str.lower() == "all")
                         & (survey["period_start"] >= period.start) & (survey["period_end"] <= period.end)]
            n = int(sel["base_n"].sum())
            if n == 0:
                p = np.nan
            elif len(sel) == 1 and pd.notna(sel["weighted_proportion"].iloc[0]):
                p = float(sel["weighted_proportion"].iloc[0])
            else:
                p = float(sel["n_positive"].sum() / n)
            neff = float(n)
            note = "aggregated extract: n_eff = base n (no weights supplied)"
        else:
            v = _valid(survey)
            sel = v[(v["measure"] == mid) & _in_period(v["fieldwork_month"], period)]
            r = weighted_proportion(sel["positive"].to_numpy(dtype=bool), sel["weight"].to_numpy(dtype=float))
            n, neff, p = r["n"], r["n_eff"], r["p"]
            note = "weighted; Wilson interval on Kish effective sample size"
        if n == 0:
            rows.append({**base, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
                         "n_eff": 0.0, "suppressed": False, "note": "no survey data for this measure and period"})
            continue
        lo, hi = proportion_confint(p * neff, neff, alpha=alpha, method="wilson")
        sup = n < min_base
        rows.append({**base, "estimate": np.nan if sup else 100 * p, "ci_low": np.nan if sup else 100 * float(lo),
                     "ci_high": np.nan if sup else 100 * float(hi), "n": int(n), "n_eff": float(neff),
                     "suppressed": bool(sup), "note": (f"suppressed: base below {min_base}" if sup else note)})
    cols = ["measure_id", "period_start", "period_end", "estimate", "ci_low", "ci_high", "n", "n_eff",
            "suppressed", "note"]
    return pd.DataFrame(rows, columns=cols)


def aggregated_estimates(agg: pd.DataFrame, *, min_base: int = DEFAULT_MIN_BASE, alpha: float = 0.05) -> pd.DataFrame:
    """Estimates with Wilson intervals from an aggregated extract (n_eff = base n).

    Returns the input's ``group_type, group, measure, period_start, period_end,
    base_n`` with ``estimate, ci_low, ci_high`` (percent; blank when suppressed)
    and ``suppressed``.
    """
    out = agg[["group_type", "group", "measure", "period_start", "period_end", "base_n", "n_positive"]].copy()
    p = agg["weighted_proportion"].where(agg["weighted_proportion"].notna(), agg["n_positive"] / agg["base_n"])
    lo, hi = proportion_confint(p * agg["base_n"], agg["base_n"], alpha=alpha, method="wilson")
    sup = agg["base_n"] < min_base
    out["estimate"] = (100 * p).where(~sup)
    out["ci_low"] = (100 * pd.Series(lo, index=agg.index)).where(~sup)
    out["ci_high"] = (100 * pd.Series(hi, index=agg.index)).where(~sup)
    out["suppressed"] = sup.astype(bool)
    return out


def estimates_by_groups(
    survey: pd.DataFrame,
    groups=("ethnic_group", "age_band"),
    *,
    period: Period | None = None,
    by_financial_year: bool = True,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Long table of estimates for each grouping column (``tables/survey_estimates.csv``).

    One block per grouping column in *groups* plus an ``all`` block (everyone), for
    the whole *period* (or extract) and, if *by_financial_year*, each financial year.

    Returns
    -------
    DataFrame
        ``group_type, group, measure, period, n, n_positive, sum_weight, n_eff,
        estimate, ci_low, ci_high`` (percent), ``suppressed``.
    """
    df = _valid(survey)
    if df.empty:
        return empty_estimates()
    df = add_period_columns(df)
    if period is not None:
        df = df[_in_period(df["fieldwork_month"], period)]
    if df.empty:
        return empty_estimates()
    whole_label = (period.label if period is not None else
                   f"{df['fieldwork_month'].min():%Y-%m} to {df['fieldwork_month'].max():%Y-%m}")
    df = df.assign(_all="All", _whole=whole_label)
    frames = []
    for col in ("_all", *groups):
        for pcol in ("_whole", *(("financial_year",) if by_financial_year else ())):
            e = survey_estimates(df, [pcol, col], min_base=min_base, alpha=alpha)
            e = e.rename(columns={pcol: "period", col: "group"})
            e.insert(0, "group_type", "all" if col == "_all" else col)
            frames.append(e)
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["group_type", "group", "measure", "period"]).reset_index(drop=True)
