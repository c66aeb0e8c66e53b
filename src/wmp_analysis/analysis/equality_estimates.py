"""Weighted proportions of survey measures, their intervals, and the blanking of withheld cells.

Definitions: :mod:`wmp_analysis.analysis.equality`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from wmp_analysis.periods import Period, financial_year

#: Default minimum unweighted base below which estimates are suppressed.
DEFAULT_MIN_BASE = 50


#: Columns of the equality headline table (``tables/equality_gaps.csv``).
EQUALITY_GAP_COLUMNS = [
    "group",
    "reference",
    "measure",
    "period",
    "estimate",
    "reference_estimate",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "significant",
    "base_n",
    "suppressed",
]


#: Column types of :func:`equality_gaps` (the headline columns, then the extra ones).
EQUALITY_GAP_DTYPES: dict[str, str] = {
    "group": "str",
    "reference": "str",
    "measure": "str",
    "period": "str",
    "estimate": "float64",
    "reference_estimate": "float64",
    "gap": "float64",
    "gap_ci_low": "float64",
    "gap_ci_high": "float64",
    "significant": "bool",
    "base_n": "Int64",
    "suppressed": "bool",
    "group_type": "str",
    "reference_base_n": "Int64",
    "period_start": "datetime64[ns]",
    "period_end": "datetime64[ns]",
    "suppression": "str",
}


#: Column types of :func:`estimates_by_groups` (``tables/survey_estimates.csv``).
ESTIMATE_DTYPES: dict[str, str] = {
    "group_type": "str",
    "group": "str",
    "measure": "str",
    "period": "str",
    "n": "Int64",
    "n_positive": "Int64",
    "sum_weight": "float64",
    "n_eff": "float64",
    "estimate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "suppressed": "bool",
    "suppression": "str",
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
        return {
            "n": 0,
            "n_positive": 0,
            "sum_weight": 0.0,
            "n_eff": 0.0,
            "p": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
        }
    p = float((w * y).sum() / w.sum())
    neff = kish_neff(w)
    lo, hi = proportion_confint(p * neff, neff, alpha=alpha, method="wilson")
    return {
        "n": n,
        "n_positive": int(y.sum()),
        "sum_weight": float(w.sum()),
        "n_eff": neff,
        "p": p,
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def proportion_gap(
    p1: float, neff1: float, p2: float, neff2: float, *, alpha: float = 0.05
) -> dict[str, float]:
    """Difference ``p1 - p2`` (0-1) with a Newcombe hybrid-score interval on effective counts.

    Returns ``gap, ci_low, ci_high`` (0-1) and ``significant`` (interval excludes 0).
    """
    gap = p1 - p2
    lo, hi = confint_proportions_2indep(
        p1 * neff1, neff1, p2 * neff2, neff2, method="newcomb", compare="diff", alpha=alpha
    )
    lo, hi = float(lo), float(hi)
    return {"gap": gap, "ci_low": lo, "ci_high": hi, "significant": bool(lo > 0 or hi < 0)}


def _valid(survey: pd.DataFrame) -> pd.DataFrame:
    if "positive" not in survey.columns:
        raise ValueError(
            "survey estimates need the respondent-level contract (a 'positive' column)"
        )
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


def _in_period(months: pd.Series, period: Period) -> pd.Series:
    """A fieldwork month counts when its first day lies in the period (month precision)."""
    return (months >= period.start.to_period("M").to_timestamp()) & (months <= period.end)


#: Why a figure is withheld (the ``suppression`` column; blank when published).
SUPPRESSION_TEXT = {
    "primary": "fewer than {min_base} respondents",
    "secondary": "withheld so that a suppressed figure cannot be worked out by subtraction",
}


#: Every column that reveals something of an estimate's cell (blanked when it is suppressed).
CELL_COLUMNS = ["n", "n_positive", "sum_weight", "n_eff", "estimate", "ci_low", "ci_high"]


def _blank_suppressed(out: pd.DataFrame, hide: pd.Series, cols: list[str]) -> None:
    for c in cols:
        if c in out.columns:
            if pd.api.types.is_integer_dtype(out[c]) or c in (
                "n",
                "n_positive",
                "base_n",
                "reference_base_n",
            ):
                out[c] = out[c].astype("Int64").mask(hide)
            else:
                out[c] = out[c].mask(hide)


def _apply_reasons(out: pd.DataFrame, reason: pd.Series, min_base: int) -> pd.DataFrame:
    """Blank :data:`CELL_COLUMNS` where *reason* is set; add ``suppressed`` and ``suppression``."""
    hide = reason.astype(str) != ""
    out = out.copy()
    _blank_suppressed(out, hide, CELL_COLUMNS)
    out["suppressed"] = hide.astype(bool)
    out["suppression"] = reason.map(
        lambda r: SUPPRESSION_TEXT[r].format(min_base=min_base) if r else ""
    ).astype("str")
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
        Respondent-level table from :func:`wmp_analysis.ingest.survey.read_survey`.
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
        r = weighted_proportion(
            g["positive"].to_numpy(dtype=bool), g["weight"].to_numpy(dtype=float), alpha=alpha
        )
        rows.append(
            {
                **dict(zip(keys, key)),
                "n": r["n"],
                "n_positive": r["n_positive"],
                "sum_weight": r["sum_weight"],
                "n_eff": r["n_eff"],
                "estimate": 100 * r["p"],
                "ci_low": 100 * r["ci_low"],
                "ci_high": 100 * r["ci_high"],
            }
        )
    cols = [*keys, "n", "n_positive", "sum_weight", "n_eff", "estimate", "ci_low", "ci_high"]
    out = pd.DataFrame(rows, columns=cols).astype({"n": "int64", "n_positive": "int64"})
    reason = pd.Series(
        np.where((out["n"] > 0) & (out["n"] < min_base), "primary", ""), index=out.index
    )
    return _apply_reasons(out, reason, min_base)
