"""Stop and search: arrest and find rates by group (the outcome test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from wmp_analysis.analysis.stopsearch_counts import (
    MISSING,
    _missing_to_label,
)

#: Outcomes counted as an arrest (police.uk wording before and after 2016).
ARREST_OUTCOMES = frozenset({"arrest", "suspect arrested", "offender arrested"})


def _wilson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson interval of *k* of *n* (0-1); NaN when *n* is 0."""
    return proportion_confint(k, n, alpha=alpha, method="wilson") if n else (np.nan, np.nan)


def _outcome_row(by: str, g, sub: pd.DataFrame, alpha: float) -> dict:
    """Arrest and find counts and rates (percent) of one group's searches."""
    n_out, n_arr = int(sub["has"].sum()), int(sub["arr"].sum())
    n_lrec, n_find = int(sub["lrec"].sum()), int(sub["find"].sum())
    a_lo, a_hi = _wilson(n_arr, n_out, alpha)
    f_lo, f_hi = _wilson(n_find, n_lrec, alpha)
    return {
        "dimension": by,
        "group": g,
        "searches": len(sub),
        "outcome_recorded": n_out,
        "arrests": n_arr,
        "arrest_rate": 100 * n_arr / n_out if n_out else np.nan,
        "arrest_ci_low": 100 * a_lo,
        "arrest_ci_high": 100 * a_hi,
        "linked_recorded": n_lrec,
        "finds": n_find,
        "find_rate": 100 * n_find / n_lrec if n_lrec else np.nan,
        "find_ci_low": 100 * f_lo,
        "find_ci_high": 100 * f_hi,
    }


def _add_find_gaps(out: pd.DataFrame, alpha: float) -> None:
    """Fill each group's find-rate gap against White (percentage points, Newcombe), in place."""
    w = out[out["group"] == "White"].iloc[0]
    for i, r in out.iterrows():
        if (
            r["group"] in ("White", MISSING)
            or r["linked_recorded"] == 0
            or w["linked_recorded"] == 0
        ):
            continue
        lo, hi = confint_proportions_2indep(
            r["finds"],
            r["linked_recorded"],
            w["finds"],
            w["linked_recorded"],
            method="newcomb",
            compare="diff",
            alpha=alpha,
        )
        out.loc[i, ["find_gap_vs_white", "find_gap_ci_low", "find_gap_ci_high"]] = [
            r["find_rate"] - w["find_rate"],
            100 * float(lo),
            100 * float(hi),
        ]


def outcome_rates(
    stop_search: pd.DataFrame, *, by: str = "self_defined_group", alpha: float = 0.05
) -> pd.DataFrame:
    """Arrest rate and find rate by group, with Wilson intervals and the gap against White.

    Returns
    -------
    DataFrame
        ``dimension, group, searches, outcome_recorded, arrests, arrest_rate,
        arrest_ci_low, arrest_ci_high, linked_recorded, finds, find_rate,
        find_ci_low, find_ci_high`` (rates in percent), then
        ``find_gap_vs_white, find_gap_ci_low, find_gap_ci_high`` (percentage
        points, Newcombe interval; only for groups other than White and only when
        ``by`` is ``self_defined_group``).
    """
    missing = MISSING if by == "self_defined_group" else "Not recorded"
    grp = _missing_to_label(stop_search[by], missing)
    outcome = stop_search["outcome"].astype("str")
    has_outcome = outcome.notna() & (outcome.str.strip() != "")
    arrest = has_outcome & outcome.str.strip().str.lower().isin(ARREST_OUTCOMES)
    linked = stop_search["outcome_linked_to_object"].astype("boolean")
    frame = pd.DataFrame(
        {
            "g": grp,
            "has": has_outcome,
            "arr": arrest,
            "lrec": linked.notna(),
            "find": linked.fillna(False).astype(bool),
        }
    )
    rows = [_outcome_row(by, g, sub, alpha) for g, sub in frame.groupby("g", sort=True)]
    out = pd.DataFrame(rows)
    out["find_gap_vs_white"] = np.nan
    out["find_gap_ci_low"] = np.nan
    out["find_gap_ci_high"] = np.nan
    if by == "self_defined_group" and len(out) and "White" in set(out["group"]):
        _add_find_gaps(out, alpha)
    return out


#: Column types of :func:`rates_by_financial_year`'s outcomes table (``tables/stop_search_outcomes.csv``).
OUTCOME_DTYPES: dict[str, str] = {
    "dimension": "str",
    "group": "str",
    "searches": "int64",
    "outcome_recorded": "int64",
    "arrests": "int64",
    "arrest_rate": "float64",
    "arrest_ci_low": "float64",
    "arrest_ci_high": "float64",
    "linked_recorded": "int64",
    "finds": "int64",
    "find_rate": "float64",
    "find_ci_low": "float64",
    "find_ci_high": "float64",
    "find_gap_vs_white": "float64",
    "find_gap_ci_low": "float64",
    "find_gap_ci_high": "float64",
    "period": "str",
}


def empty_outcomes() -> pd.DataFrame:
    """The outcomes table of :func:`rates_by_financial_year` with no rows (typed)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in OUTCOME_DTYPES.items()})
