"""The one suppression plan (primary and secondary) shared by every survey table of the equality section."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wmp_analysis.analysis.equality_estimates import (
    DEFAULT_MIN_BASE,
    SUPPRESSION_TEXT,
    _in_period,
    _valid,
    add_period_columns,
)
from wmp_analysis.ingest.survey import AGE_BANDS, BME_GROUPS, NOT_STATED
from wmp_analysis.periods import Period

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


def _plan_frame(survey: pd.DataFrame, period: Period | None) -> tuple[pd.DataFrame, bool]:
    """The valid answers with ``financial_year`` (``""`` for an undated table), in *period*.

    Returns the frame and whether it is dated (has ``fieldwork_month``).
    """
    df = _valid(survey)
    dated = "fieldwork_month" in df.columns
    if dated:
        df = add_period_columns(df)
    elif "financial_year" not in df.columns:  # an undated table: one period, labelled ""
        df = df.assign(financial_year="")
    if period is not None and len(df) and dated:
        df = df[_in_period(df["fieldwork_month"], period)]
    return df, dated


def _cell_bases(dm: pd.DataFrame, m, whole: str, geo_col: str | None, cols: list[str]) -> dict:
    """Unweighted bases of measure *m*'s cells: whole period and year, force and district.

    Each respondent counts in everyone, in the value of each grouping column and in a
    derived group (:data:`DERIVED_GROUPS`) its value belongs to.
    """
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
    return n


def _plan_relations(m, times, fys, whole, cols, values, derived, cells, dcells, geos) -> list:
    """Measure *m*'s relations (total, then its parts) among the published cells.

    Everyone = the values of each grouping column; a derived group = its parts; the whole
    period = its financial years; force-wide BME and reference = the sum of the districts
    (*geos* after :data:`FORCE`; none when there are no districts).
    """
    rels = []
    for t in times:
        for c in cols:
            rels.append([(m, t, FORCE, "all", "All"), *[(m, t, FORCE, c, v) for v in values[c]]])
        for dc, dg in derived:
            rels.append(
                [
                    (m, t, FORCE, dc, dg),
                    *[(m, t, FORCE, dc, v) for v in DERIVED_GROUPS[(dc, dg)] if v in values[dc]],
                ]
            )
    for dim, v in cells:
        rels.append(
            [(m, whole, FORCE, dim, v), *[(m, f, FORCE, dim, v) for f in fys if f != whole]]
        )
    if len(geos) > 1:
        for t in fys:
            for dim, v in dcells:
                rels.append([(m, t, FORCE, dim, v), *[(m, t, g, dim, v) for g in geos[1:]]])
    return rels


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

    df, dated = _plan_frame(survey, period)
    if df.empty:
        return SuppressionPlan(int(min_base), period.label if period is not None else "", {})
    whole = _whole_label(df, period) if dated else ""
    fys = tuple(sorted(df["financial_year"].astype(str).unique()))
    times = (whole, *[f for f in fys if f != whole])
    geo_col = "district" if districts and "district" in df.columns else None
    geos = [FORCE, *(sorted(df[geo_col].astype(str).unique()) if geo_col else [])]
    cols = [c for c in groups if c in df.columns]
    values = {c: sorted(df[c].astype(str).unique()) for c in cols}
    derived = [(dc, dg) for (dc, dg) in DERIVED_GROUPS if dc in cols]
    cells = [("all", "All"), *[(c, v) for c in cols for v in values[c]], *derived]
    ref = (reference_groups or {}).get("ethnic_group", "White")
    # district cells: only those published (BME and its reference, each financial year); the
    # other district cells are not published, and eliminating them from the district relations
    # leaves exactly "the force = the sum of its districts" for these two
    dcells = [("ethnic_group", "BME"), ("ethnic_group", ref)] if "ethnic_group" in cols else []
    status: dict = {}
    for m, dm in df.groupby("measure", sort=True, observed=True):
        n = _cell_bases(dm, m, whole, geo_col, cols)
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
        rels = _plan_relations(m, times, fys, whole, cols, values, derived, cells, dcells, geos)
        cost = {k: 1000.0 for k in n if k[3] == "all"}
        status.update(suppress(n, rels, int(min_base), published=set(n), cost=cost))
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
