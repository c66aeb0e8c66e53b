"""Gaps between a group and its reference (SPI 1.2 form), percentage points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wmp_analysis.analysis.equality_estimates import (
    DEFAULT_MIN_BASE,
    EQUALITY_GAP_COLUMNS,
    SUPPRESSION_TEXT,
    _in_period,
    _valid,
    add_period_columns,
    empty_gaps,
    proportion_gap,
    weighted_proportion,
)
from wmp_analysis.analysis.equality_suppression import FORCE, SuppressionPlan, suppression_plan
from wmp_analysis.ingest.survey import AGE_BANDS, BME_GROUPS, NOT_STATED
from wmp_analysis.periods import Period


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
    groups=("ethnic_group", "age_band"),
    reference_groups: dict[str, str] | None = None,
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
            out.extend(
                Comparison(col, g, (g,), ref, (ref,)) for g in ("White", *BME_GROUPS) if g != ref
            )
        elif col == "age_band":
            bands = [a for a in AGE_BANDS if a != NOT_STATED]
            out.extend(Comparison(col, a, (a,), ref, (ref,)) for a in bands if a != ref)
            out.append(
                Comparison(
                    col,
                    "16-24",
                    ("16-24",),
                    "All other ages",
                    tuple(a for a in bands if a != "16-24"),
                )
            )
        elif ref is not None:
            out.append(Comparison(col, "*", (), ref, (ref,)))  # expanded per value in gaps()
        else:
            raise ValueError(f"no reference group given for {col!r}")
    return [c for c in out if c is not None]


def _expand(comparisons: list[Comparison], df: pd.DataFrame) -> list[Comparison]:
    out = []
    for c in comparisons:
        if c.group == "*":
            vals = sorted(
                v for v in df[c.column].dropna().unique() if v not in (c.reference, NOT_STATED)
            )
            out.extend(Comparison(c.column, v, (v,), c.reference, c.reference_values) for v in vals)
        else:
            out.append(c)
    return out


#: The columns of :func:`gaps` after the comparison (group_type, group, reference) and its keys.
GAP_VALUE_COLUMNS = [
    "estimate",
    "ci_low",
    "ci_high",
    "reference_estimate",
    "reference_ci_low",
    "reference_ci_high",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "significant",
    "base_n",
    "reference_base_n",
    "n_eff",
    "reference_n_eff",
    "suppressed",
    "suppression",
]


def _side(sub: pd.DataFrame, alpha: float) -> dict[str, float]:
    """:func:`weighted_proportion` of the respondents in *sub* (one side of a comparison)."""
    return weighted_proportion(
        sub["positive"].to_numpy(dtype=bool), sub["weight"].to_numpy(dtype=float), alpha=alpha
    )


def _side_reason(plan, planned: bool, min_base: int, n: int, cell: tuple) -> str | None:
    """Why one side's cell is withheld: the *plan*'s reason, else primary below *min_base*."""
    r = plan.reason(*cell) if (plan is not None and planned) else None
    if r is None and 0 < n < min_base:
        r = "primary"
    return r


def _gap_values(ra: dict, rb: dict, why_a, why_b, *, min_base: int, alpha: float) -> dict:
    """One comparison's :data:`GAP_VALUE_COLUMNS`: each side (blank when withheld) and the gap.

    *ra*, *rb* are :func:`weighted_proportion` of the group and the reference (0-1); the
    values are percent and percentage points. The gap is blank (``significant`` False) when
    either side is withheld or has no respondents; ``suppression`` says why.
    """
    sup = why_a is not None or why_b is not None or ra["n"] == 0 or rb["n"] == 0
    if sup:
        gp = {"gap": np.nan, "ci_low": np.nan, "ci_high": np.nan, "significant": False}
    else:
        gp = proportion_gap(ra["p"], ra["n_eff"], rb["p"], rb["n_eff"], alpha=alpha)

    def pct(x, hide):
        return np.nan if hide else 100 * x

    ha, hb = why_a is not None, why_b is not None
    notes = [
        f"{side}: {SUPPRESSION_TEXT[w].format(min_base=min_base)}"
        for side, w in (("group", why_a), ("reference", why_b))
        if w is not None
    ]
    notes += [
        f"{side}: no respondents" for side, r in (("group", ra), ("reference", rb)) if r["n"] == 0
    ]
    return {
        "estimate": pct(ra["p"], ha),
        "ci_low": pct(ra["ci_low"], ha),
        "ci_high": pct(ra["ci_high"], ha),
        "reference_estimate": pct(rb["p"], hb),
        "reference_ci_low": pct(rb["ci_low"], hb),
        "reference_ci_high": pct(rb["ci_high"], hb),
        "gap": 100 * gp["gap"],
        "gap_ci_low": 100 * gp["ci_low"],
        "gap_ci_high": 100 * gp["ci_high"],
        "significant": bool(gp["significant"]),
        "base_n": pd.NA if ha else ra["n"],
        "reference_base_n": pd.NA if hb else rb["n"],
        "n_eff": np.nan if ha else ra["n_eff"],
        "reference_n_eff": np.nan if hb else rb["n_eff"],
        "suppressed": bool(sup),
        "suppression": "; ".join(notes),
    }


# gaps() runs to ~90 lines only for its docstring (every column and suppression rule); its
# body is the loop over cells, with each comparison's values in _gap_values.
def gaps(
    survey: pd.DataFrame,
    comparisons: list[Comparison],
    *,
    by: list[str] | tuple[str, ...] = (),
    measures: list[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    alpha: float = 0.05,
    plan: SuppressionPlan | None = None,
    period_label: str | None = None,
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
        Primary suppression threshold (unweighted respondents).
    plan : SuppressionPlan, optional
        Primary and secondary suppression shared by every table of the section
        (:func:`suppression_plan`); built from *survey* when not given (when *by* is
        only ``financial_year`` and/or ``district``; any other breakdown gets
        primary suppression only).
    period_label : str, optional
        The plan's period label of a table without ``financial_year`` in *by*
        (default: the plan's whole period).

    A side whose cell is suppressed shows no estimate, interval, base or effective
    n; the gap is blank (and ``significant`` False) when either side is
    suppressed or has no respondents. ``suppression`` says why.

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
    comps = _expand(comparisons, df)
    planned = set(by) <= {"financial_year", "district"}
    if plan is None and planned and len(df):
        cols = list(dict.fromkeys(c.column for c in comps))
        refs = {c.column: c.reference for c in comps if c.column == "ethnic_group"}
        plan = suppression_plan(
            df, cols, reference_groups=refs, min_base=min_base, districts="district" in by
        )
    label = (
        period_label if period_label is not None else (plan.whole_label if plan is not None else "")
    )
    rows = []
    for key, g in df.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        kd = dict(zip(keys, key))
        t = str(kd.get("financial_year", label))
        geo = str(kd["district"]) if "district" in kd else FORCE
        for c in comps:
            ra = _side(g[g[c.column].isin(c.group_values)], alpha)
            rb = _side(g[g[c.column].isin(c.reference_values)], alpha)
            cell = (kd["measure"], t, geo, c.column)
            why_a = _side_reason(plan, planned, min_base, ra["n"], (*cell, c.group))
            why_b = _side_reason(plan, planned, min_base, rb["n"], (*cell, c.reference))
            row = {"group_type": c.column, "group": c.group, "reference": c.reference, **kd}
            row.update(_gap_values(ra, rb, why_a, why_b, min_base=min_base, alpha=alpha))
            rows.append(row)
    out = pd.DataFrame(
        rows, columns=["group_type", "group", "reference", *keys, *GAP_VALUE_COLUMNS]
    )
    return out.astype(
        {
            "base_n": "Int64",
            "reference_base_n": "Int64",
            "significant": "bool",
            "suppressed": "bool",
            "suppression": "str",
        }
    )


def _financial_year_gaps(df: pd.DataFrame, comps: list[Comparison], **kw) -> pd.DataFrame:
    """:func:`gaps` by financial year, labelled ``period`` with the year's first and last day."""
    fy = gaps(df, comps, by=["financial_year"], **kw)
    fy["period"] = fy["financial_year"]
    bounds = fy["financial_year"].map(lambda s: Period.financial_year(s))
    fy["period_start"] = bounds.map(lambda p: p.start)
    fy["period_end"] = bounds.map(lambda p: p.end)
    return fy.drop(columns="financial_year")


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
    plan: SuppressionPlan | None = None,
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
        period_start, period_end, suppression``. Suppression follows *plan* (default:
        :func:`suppression_plan` of *survey*, *groups* and *period*).
    """
    df = _valid(survey)
    if df.empty:
        return empty_gaps()
    df = add_period_columns(df)
    if period is not None:
        df = df[_in_period(df["fieldwork_month"], period)]
    comps = default_comparisons(groups, reference_groups)
    if not len(df):
        return empty_gaps()
    if plan is None:
        plan = suppression_plan(df, groups, reference_groups=reference_groups, min_base=min_base)
    start = period.start if period is not None else df["fieldwork_month"].min()
    end = period.end if period is not None else df["fieldwork_month"].max() + pd.offsets.MonthEnd(0)
    label = period.label if period is not None else f"{start:%Y-%m} to {end:%Y-%m}"
    kw = {"measures": measures, "min_base": min_base, "alpha": alpha, "plan": plan}
    whole = gaps(df, comps, period_label=label, **kw)
    whole["period"] = label
    whole["period_start"], whole["period_end"] = start, end
    frames = [whole, *([_financial_year_gaps(df, comps, **kw)] if by_financial_year else [])]
    extra = ["group_type", "reference_base_n", "period_start", "period_end", "suppression"]
    out = pd.concat(frames, ignore_index=True)
    # a period that is exactly one financial year appears once, not twice
    out = out.drop_duplicates(
        ["group_type", "group", "reference", "measure", "period"], keep="first"
    )
    return out[EQUALITY_GAP_COLUMNS + extra].reset_index(drop=True)
