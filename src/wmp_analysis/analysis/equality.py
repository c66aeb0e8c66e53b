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

from wmp_analysis.ingest.survey import AGE_BANDS, BME_GROUPS, NOT_STATED
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


#: Every column that reveals something of an estimate's cell (blanked when it is suppressed).
CELL_COLUMNS = ["n", "n_positive", "sum_weight", "n_eff", "estimate", "ci_low", "ci_high"]


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
    rows = []
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

    def side_reason(n, m, t, geo, col, grp):
        r = plan.reason(m, t, geo, col, grp) if (plan is not None and planned) else None
        if r is None and 0 < n < min_base:
            r = "primary"
        return r

    for key, g in df.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        kd = dict(zip(keys, key))
        t = str(kd.get("financial_year", label))
        geo = str(kd["district"]) if "district" in kd else FORCE
        for c in comps:
            a = g[g[c.column].isin(c.group_values)]
            b = g[g[c.column].isin(c.reference_values)]
            ra = weighted_proportion(
                a["positive"].to_numpy(dtype=bool), a["weight"].to_numpy(dtype=float), alpha=alpha
            )
            rb = weighted_proportion(
                b["positive"].to_numpy(dtype=bool), b["weight"].to_numpy(dtype=float), alpha=alpha
            )
            why_a = side_reason(ra["n"], kd["measure"], t, geo, c.column, c.group)
            why_b = side_reason(rb["n"], kd["measure"], t, geo, c.column, c.reference)
            sup = why_a is not None or why_b is not None or ra["n"] == 0 or rb["n"] == 0
            row = {"group_type": c.column, "group": c.group, "reference": c.reference, **kd}
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
                f"{side}: no respondents"
                for side, r in (("group", ra), ("reference", rb))
                if r["n"] == 0
            ]
            row.update(
                {
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
            )
            rows.append(row)
    cols = [
        "group_type",
        "group",
        "reference",
        *keys,
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
    out = pd.DataFrame(rows, columns=cols)
    return out.astype(
        {
            "base_n": "Int64",
            "reference_base_n": "Int64",
            "significant": "bool",
            "suppressed": "bool",
            "suppression": "str",
        }
    )


#: Why a figure is withheld (the ``suppression`` column; blank when published).
SUPPRESSION_TEXT = {
    "primary": "fewer than {min_base} respondents",
    "secondary": "withheld so that a suppressed figure cannot be worked out by subtraction",
}

#: Pseudo-geography of force-wide cells in a :class:`SuppressionPlan`.
FORCE = "(force)"
#: Derived groups: the parts they pool.
DERIVED_GROUPS = {
    ("ethnic_group", "BME"): BME_GROUPS,
    ("age_band", "All other ages"): tuple(a for a in AGE_BANDS if a not in ("16-24", NOT_STATED)),
}


@dataclass(frozen=True)
class SuppressionPlan:
    """Which cells of the equality section are withheld, for every table it publishes.

    A cell is ``(measure, period label, geography, group_type, group)``; geography is
    :data:`FORCE` or a district; ``group_type`` ``"all"`` with group ``"All"`` is
    everyone. ``status`` maps each suppressed cell to ``"primary"`` or
    ``"secondary"`` (:func:`wmp_analysis.analysis.suppression.suppress`).
    """

    min_base: int
    whole_label: str
    status: dict
    fy_labels: tuple[str, ...] = ()

    def reason(self, measure, period, geography, group_type, group) -> str | None:
        """``"primary"``/``"secondary"``, or None when the cell is published."""
        return self.status.get((measure, str(period), geography, group_type, str(group)))

    def text(self, reason: str | None) -> str:
        return "" if reason is None else SUPPRESSION_TEXT[reason].format(min_base=self.min_base)


def _whole_label(df: pd.DataFrame, period: Period | None) -> str:
    if period is not None:
        return period.label
    return f"{df['fieldwork_month'].min():%Y-%m} to {df['fieldwork_month'].max():%Y-%m}"


def suppression_plan(
    survey: pd.DataFrame,
    groups=("ethnic_group", "age_band"),
    *,
    reference_groups: dict[str, str] | None = None,
    period: Period | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    districts: bool = True,
) -> SuppressionPlan:
    """Primary and secondary suppression for every survey table the equality section publishes.

    Cells (unweighted bases, respondents): for each measure, the whole period and each
    financial year, force-wide and (if *districts*) each district: everyone, each
    value of each grouping column (``Not stated`` included), BME and "All other
    ages". Relations (total = sum of parts): everyone = the values of a grouping
    column; BME = Mixed + Asian + Black + Other; "All other ages" = the stated bands
    but 16-24; the whole period = its financial years; the force = its districts.
    Published cells: every force-wide cell, and the BME and White cells of each
    district and year (``equality_gaps_by_district``); other district cells are
    not published and not modelled (eliminating them leaves "the force = the sum of
    its districts" for BME and White). "All" cells are chosen as secondary cells
    last.

    Returns
    -------
    SuppressionPlan
    """
    from wmp_analysis.analysis.suppression import suppress

    df = _valid(survey)
    dated = "fieldwork_month" in df.columns
    if dated:
        df = add_period_columns(df)
    elif "financial_year" not in df.columns:  # an undated table: one period, labelled ""
        df = df.assign(financial_year="")
    if period is not None and len(df) and dated:
        df = df[_in_period(df["fieldwork_month"], period)]
    if df.empty:
        return SuppressionPlan(int(min_base), period.label if period is not None else "", {})
    whole = _whole_label(df, period) if dated else ""
    fys = tuple(sorted(df["financial_year"].astype(str).unique()))
    times = (whole, *[f for f in fys if f != whole])
    geo_col = "district" if districts and "district" in df.columns else None
    geos = [FORCE, *(sorted(df[geo_col].astype(str).unique()) if geo_col else [])]
    cols = [c for c in groups if c in df.columns]
    values = {c: sorted(df[c].astype(str).unique()) for c in cols}
    status: dict = {}
    for m, dm in df.groupby("measure", sort=True, observed=True):
        keys = ["financial_year", *([geo_col] if geo_col else []), *cols]
        base = dm.groupby(keys, observed=True).size()
        base = base.reset_index(name="n")
        for c in cols:
            base[c] = base[c].astype(str)
        base["financial_year"] = base["financial_year"].astype(str)
        if geo_col:
            base[geo_col] = base[geo_col].astype(str)
        n: dict = {}

        def add(key, v, n=n):
            n[key] = n.get(key, 0) + int(v)

        for r in base.itertuples(index=False):
            rd = r._asdict()
            fy = rd["financial_year"]
            for t in {whole, fy}:
                for g in [FORCE, rd[geo_col]] if geo_col else [FORCE]:
                    add((m, t, g, "all", "All"), rd["n"])
                    for c in cols:
                        add((m, t, g, c, rd[c]), rd["n"])
                        for (dc, dg), parts in DERIVED_GROUPS.items():
                            if dc == c and rd[c] in parts:
                                add((m, t, g, c, dg), rd["n"])
        derived = [(dc, dg) for (dc, dg) in DERIVED_GROUPS if dc in cols]
        cells = [("all", "All"), *[(c, v) for c in cols for v in values[c]], *derived]
        ref = (reference_groups or {}).get("ethnic_group", "White")
        # district cells: only those published (BME and its reference, each financial year); the
        # other district cells are not published, and eliminating them from the district relations
        # leaves exactly "the force = the sum of its districts" for these two
        dcells = [("ethnic_group", "BME"), ("ethnic_group", ref)] if "ethnic_group" in cols else []
        for t in times:
            for dim, v in cells:
                n.setdefault((m, t, FORCE, dim, v), 0)
        for t in fys:
            for g in geos[1:]:
                for dim, v in dcells:
                    n.setdefault((m, t, g, dim, v), 0)
        n = {
            k: v for k, v in n.items() if k[2] == FORCE or (k[1] in fys and (k[3], k[4]) in dcells)
        }
        rels = []
        for t in times:
            for c in cols:
                rels.append(
                    [(m, t, FORCE, "all", "All"), *[(m, t, FORCE, c, v) for v in values[c]]]
                )
            for dc, dg in derived:
                rels.append(
                    [
                        (m, t, FORCE, dc, dg),
                        *[
                            (m, t, FORCE, dc, v)
                            for v in DERIVED_GROUPS[(dc, dg)]
                            if v in values[dc]
                        ],
                    ]
                )
        for dim, v in cells:
            rels.append(
                [(m, whole, FORCE, dim, v), *[(m, f, FORCE, dim, v) for f in fys if f != whole]]
            )
        if geo_col:
            for t in fys:
                for dim, v in dcells:
                    rels.append([(m, t, FORCE, dim, v), *[(m, t, g, dim, v) for g in geos[1:]]])
        published = set(n)
        cost = {k: 1000.0 for k in n if k[3] == "all"}
        status.update(suppress(n, rels, int(min_base), published=published, cost=cost))
    return SuppressionPlan(int(min_base), whole, status, fys)


_PLAN_CACHE: dict = {}


def _cached_plan(survey: pd.DataFrame, min_base: int) -> SuppressionPlan:
    """:func:`suppression_plan` with the default groups, memoised on the frame's content.

    The target comparison asks for one measure and period at a time; the plan covers
    the whole extract, so it is built once per extract (keyed by a hash of the columns
    it reads, never by object identity).
    """
    cols = [
        c
        for c in (
            "measure",
            "fieldwork_month",
            "financial_year",
            "district",
            "ethnic_group",
            "age_band",
            "positive",
        )
        if c in survey.columns
    ]
    key = (
        int(min_base),
        tuple(cols),
        int(pd.util.hash_pandas_object(survey[cols], index=False).sum()),
        len(survey),
    )
    if key not in _PLAN_CACHE:
        if len(_PLAN_CACHE) >= 4:
            _PLAN_CACHE.pop(next(iter(_PLAN_CACHE)))
        _PLAN_CACHE[key] = suppression_plan(survey, min_base=min_base)
    return _PLAN_CACHE[key]


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
    frames = []
    if len(df):
        if plan is None:
            plan = suppression_plan(
                df, groups, reference_groups=reference_groups, min_base=min_base
            )
        start = period.start if period is not None else df["fieldwork_month"].min()
        end = (
            period.end
            if period is not None
            else df["fieldwork_month"].max() + pd.offsets.MonthEnd(0)
        )
        label = period.label if period is not None else f"{start:%Y-%m} to {end:%Y-%m}"
        whole = gaps(
            df,
            comps,
            measures=measures,
            min_base=min_base,
            alpha=alpha,
            plan=plan,
            period_label=label,
        )
        whole["period"] = label
        whole["period_start"], whole["period_end"] = start, end
        frames.append(whole)
        if by_financial_year:
            fy = gaps(
                df,
                comps,
                by=["financial_year"],
                measures=measures,
                min_base=min_base,
                alpha=alpha,
                plan=plan,
            )
            fy["period"] = fy["financial_year"]
            bounds = fy["financial_year"].map(lambda s: Period.financial_year(s))
            fy["period_start"] = bounds.map(lambda p: p.start)
            fy["period_end"] = bounds.map(lambda p: p.end)
            frames.append(fy.drop(columns="financial_year"))
    extra = ["group_type", "reference_base_n", "period_start", "period_end", "suppression"]
    if not frames:
        return empty_gaps()
    out = pd.concat(frames, ignore_index=True)
    # a period that is exactly one financial year appears once, not twice
    out = out.drop_duplicates(
        ["group_type", "group", "reference", "measure", "period"], keep="first"
    )
    return out[EQUALITY_GAP_COLUMNS + extra].reset_index(drop=True)


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
    for mid in measure_ids:
        base = {"measure_id": mid, "period_start": period.start, "period_end": period.end}
        if aggregated:
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
            neff = float(n)
            note = "aggregated extract: n_eff = base n (no weights supplied)"
        else:
            v = _valid(survey)
            sel = v[(v["measure"] == mid) & _in_period(v["fieldwork_month"], period)]
            r = weighted_proportion(
                sel["positive"].to_numpy(dtype=bool), sel["weight"].to_numpy(dtype=float)
            )
            n, neff, p = r["n"], r["n_eff"], r["p"]
            note = "weighted; Wilson interval on Kish effective sample size"
        if n == 0:
            rows.append(
                {
                    **base,
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n": 0,
                    "n_eff": 0.0,
                    "suppressed": False,
                    "note": "no survey data for this measure and period",
                }
            )
            continue
        lo, hi = proportion_confint(p * neff, neff, alpha=alpha, method="wilson")
        why = plan.reason(mid, period.label, FORCE, "all", "All") if plan is not None else None
        if why is None and n < min_base:
            why = "primary"
        if why is not None:
            rows.append(
                {
                    **base,
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n": pd.NA,
                    "n_eff": np.nan,
                    "suppressed": True,
                    "note": "suppressed: " + SUPPRESSION_TEXT[why].format(min_base=min_base),
                }
            )
            continue
        rows.append(
            {
                **base,
                "estimate": 100 * p,
                "ci_low": 100 * float(lo),
                "ci_high": 100 * float(hi),
                "n": int(n),
                "n_eff": float(neff),
                "suppressed": False,
                "note": note,
            }
        )
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


# --------------------------------------------------------------------------- the section's tables
#: The gaps drawn over time in the equality section: (group, reference). BME against White is
#: the Home Office SPI 1.2 satisfaction gap; 16-24 against every other stated age band.
HEADLINE_COMPARISONS: tuple[tuple[str, str], ...] = (("BME", "White"), ("16-24", "All other ages"))

#: Shown when the survey extract is aggregated (published tables), not respondent level.
AGGREGATED_NOTE = (
    "The survey extract is aggregated (published tables): estimates use n_eff = base n; "
    "gaps by group need respondent-level data."
)


def period_from_parameters(start: str | None, end: str | None) -> Period | None:
    """The analysis period of the notebook parameters (ISO dates), or None for neither.

    Raises
    ------
    ValueError
        Only one of *start* and *end* given.
    """
    if (start is None) != (end is None):
        raise ValueError("give both period_start and period_end, or neither")
    return Period.from_strings(start, end) if start else None


@dataclass
class SurveyTables:
    """The survey tables of the equality section (:func:`survey_tables`).

    Attributes
    ----------
    respondent : bool
        True for a respondent-level extract (gaps and suppression plan exist).
    plan : SuppressionPlan or None
        The one suppression plan of every survey table and figure (respondent level only).
    estimates : DataFrame
        Weighted proportions (percent) by group; typed and empty without a survey.
    gaps : DataFrame
        Group minus reference (percentage points); typed and empty unless respondent level.
    message : str or None
        What the reader needs told about the extract (:data:`AGGREGATED_NOTE`), else None.
    district_gaps : DataFrame or None
        :func:`district_gaps` (respondent level with ``ethnic_group`` among the groups only).
    targets : DataFrame or None
        :func:`target_estimates` (when a survey and the target periods are given).
    """

    respondent: bool
    plan: SuppressionPlan | None
    estimates: pd.DataFrame
    gaps: pd.DataFrame
    message: str | None = None
    district_gaps: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None


def survey_tables(
    survey: pd.DataFrame | None,
    groups: list[str],
    reference_groups: dict[str, str],
    *,
    period: Period | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    targets: tuple | None = None,
) -> SurveyTables:
    """Estimates by group and gaps against the reference, with one suppression plan.

    Parameters
    ----------
    survey : DataFrame or None
        Either survey contract (:func:`wmp_analysis.ingest.survey.read_survey`); None when
        not supplied (empty typed tables).
    groups : list of str
        Grouping columns (``ethnic_group``, ``age_band``).
    reference_groups : dict
        ``{column: reference value}`` (e.g. ``{"ethnic_group": "White"}``).
    period : Period, optional
        Analysis period (None: the whole extract and each financial year).
    min_base : int
        Minimum unweighted respondents for a published figure (primary suppression; the
        plan adds secondary cells so that none can be recovered by subtraction).
    targets : (measure ids, baseline Period, target Period), optional
        For :func:`target_estimates` (``targets`` of the result).
    """
    if survey is None:
        return SurveyTables(False, None, empty_estimates(), empty_gaps())

    def for_targets(plan):
        if targets is None:
            return None
        ids, base, tper = targets
        return target_estimates(
            survey, ids, base, tper, min_base=min_base, plan=plan, period=period
        )

    if "positive" not in survey.columns:
        est = aggregated_estimates(survey, min_base=min_base)
        return SurveyTables(
            False, None, est, empty_gaps(), AGGREGATED_NOTE, targets=for_targets(None)
        )
    plan = suppression_plan(
        survey, groups, reference_groups=reference_groups, period=period, min_base=min_base
    )
    est = estimates_by_groups(survey, groups, period=period, min_base=min_base, plan=plan)
    gap = equality_gaps(
        survey,
        groups=groups,
        reference_groups=reference_groups,
        period=period,
        min_base=min_base,
        plan=plan,
    )
    by_district = (
        district_gaps(survey, reference_groups, period=period, min_base=min_base, plan=plan)
        if "ethnic_group" in groups
        else None
    )
    return SurveyTables(True, plan, est, gap, None, by_district, for_targets(plan))


def headline_gaps(
    gap_table: pd.DataFrame, comparisons: tuple[tuple[str, str], ...] = HEADLINE_COMPARISONS
) -> pd.DataFrame:
    """The rows of :func:`equality_gaps` drawn over time: *comparisons*, each financial year.

    The first period of *gap_table* (the whole extract, or the configured period) is left
    out, so only the financial years remain. A group and a reference are matched as a pair.
    """
    if gap_table.empty:
        return gap_table.copy()
    first = gap_table["period"].iloc[0]
    pair = pd.Series(list(zip(gap_table["group"], gap_table["reference"])), index=gap_table.index)
    return gap_table[pair.isin(list(comparisons)) & (gap_table["period"] != first)]


def district_gaps(
    survey: pd.DataFrame,
    reference_groups: dict[str, str],
    *,
    period: Period | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    plan: SuppressionPlan | None = None,
) -> pd.DataFrame:
    """BME against the ethnic reference (SPI 1.2) by financial year and district.

    Respondent-level *survey* only; fieldwork months from ``period.start`` to
    ``period.end`` when a *period* is given. Columns
    as :func:`gaps` (estimates in percent, ``gap`` in percentage points), suppressed cells
    blanked with their reason.
    """
    if period is None:
        sub = survey
    else:
        month = survey["fieldwork_month"]
        sub = survey[(month >= period.start) & (month <= period.end)]
    bme = [c for c in default_comparisons(["ethnic_group"], reference_groups) if c.group == "BME"]
    return gaps(sub, bme, by=["financial_year", "district"], min_base=min_base, plan=plan)


def published_sentence(table: pd.DataFrame) -> str:
    """How many district-year gaps of :func:`district_gaps` are published, in words."""
    return (
        f"{int((~table['suppressed']).sum())} of {len(table)} district-year gaps are published "
        "(the rest are suppressed: small bases, or withheld so that none can be worked out)"
    )


def target_estimates(
    survey: pd.DataFrame,
    measure_ids,
    baseline: Period,
    target_period: Period,
    *,
    min_base: int = DEFAULT_MIN_BASE,
    plan: SuppressionPlan | None = None,
    period: Period | None = None,
) -> pd.DataFrame:
    """:func:`survey_estimates_for_targets` for the baseline and the target period, stacked.

    ``role`` is ``"baseline"`` or ``"target period"``. The whole extract's *plan* is used
    only when no analysis *period* is set (as in the target comparison).
    """
    use = plan if period is None else None
    return pd.concat(
        [
            survey_estimates_for_targets(
                survey, measure_ids, p, min_base=min_base, plan=use
            ).assign(role=role)
            for p, role in ((baseline, "baseline"), (target_period, "target period"))
        ],
        ignore_index=True,
    )
