"""Baselines per measure and geography (notebook 02).

For each count measure: the baseline-year value, the series (ONS rolling-year
totals for the force; discrete quarters from CSP or months from police.uk for
districts), the seasonal profile of the baseline and SPC limits from the baseline.

Quarter-on-quarter differences of ONS rolling-year totals are **not** used as
quarterly counts (a difference of two overlapping 12-month totals is the change
between the quarter entering and the quarter leaving, not a quarter's count);
discrete quarters come only from CSP or police.uk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wmp_analysis.analysis.compare import _table
from wmp_analysis.analysis.spc import c_chart, xmr_chart
from wmp_analysis.availability import (
    POLICE_UK_INSTEAD,
    district_sources_note,
    not_supplied_note,
)
from wmp_analysis.measures import series as M
from wmp_analysis.periods import (
    Period,
    financial_month,
    financial_quarter,
    financial_year_start,
    fy_label,
)


@dataclass
class Baseline:
    """Baseline outputs for one run.

    Attributes
    ----------
    values : DataFrame
        ``measure_id, geography, baseline_period, value, source, proxy, proxy_note,
        note`` (one row per measure x geography).
    series : DataFrame
        All tidy series (:data:`wmp_analysis.measures.series.TIDY_COLUMNS`).
    seasonal : DataFrame
        ``measure_id, geography, unit ("month"|"quarter"), position (FY month 1-12 or
        quarter 1-4), share, years_used`` from the baseline years.
    charts : dict
        ``(measure_id, geography) -> SPC DataFrame`` (c-chart for monthly/quarterly
        counts, XmR for ONS rolling years).
    notes : list of str
        What could not be done and why.
    """

    values: pd.DataFrame
    series: pd.DataFrame
    seasonal: pd.DataFrame
    charts: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def count_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """The count measures that have at least one public source."""
    m = measures[measures["kind"].astype("str") == "count"]
    has = (m["ons_offences"].map(M.split_list).map(len) > 0) | (
        m.get("csp_offence_codes", pd.Series("", index=m.index)).map(M.split_list).map(len) > 0
    )
    return m[has]


def seasonal_profile(series: pd.DataFrame, baseline: Period) -> pd.DataFrame:
    """Share of each baseline year's count by FY month or financial quarter.

    Uses only complete financial years inside *baseline* (a baseline of one FY
    gives that year's profile). Monthly series -> 12 positions, quarterly -> 4.
    ONS rolling-year series have no seasonal profile (returns empty).
    """
    cols = ["measure_id", "geography", "unit", "position", "share", "years_used"]
    if series.empty:
        return pd.DataFrame(columns=cols)
    days = (series["period_end"] - series["period_start"]).dt.days.max()
    if days > 100:
        return pd.DataFrame(columns=cols)
    unit = "month" if days < 40 else "quarter"
    s = series[
        (series["period_start"] >= baseline.start) & (series["period_end"] <= baseline.end)
    ].copy()
    s["fy"] = financial_year_start(s["period_start"])
    s["position"] = (
        financial_month(s["period_start"])
        if unit == "month"
        else financial_quarter(s["period_start"])
    )
    need = 12 if unit == "month" else 4
    rows = []
    for (mid, geo), g in s.groupby(["measure_id", "geography"]):
        ok_years = [
            y
            for y, gy in g.groupby("fy")
            if gy["value"].notna().sum() == need and gy["position"].nunique() == need
        ]
        if not ok_years:
            continue
        use = g[g["fy"].isin(ok_years)].copy()
        use["share"] = use["value"] / use.groupby("fy")["value"].transform("sum")
        prof = use.groupby("position")["share"].mean()
        years = ", ".join(fy_label(int(y)) for y in ok_years)
        for pos, share in prof.items():
            rows.append(
                {
                    "measure_id": mid,
                    "geography": geo,
                    "unit": unit,
                    "position": int(pos),
                    "share": float(share),
                    "years_used": years,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def build_baseline(
    measures: pd.DataFrame,
    processed,
    force: str,
    baseline: Period,
    districts: list[str] | None = None,
    *,
    police_uk_months: Period | None = None,
    run_length: int = 8,
) -> Baseline:
    """Baseline value, series, seasonal profile and SPC limits per measure and geography.

    Parameters
    ----------
    measures : DataFrame
        The measures table.
    processed : ProcessedData or mapping
        Processed tables; ``ons_pfa`` for the force, ``csp`` or ``street`` for districts.
    force : str
        PFA name.
    baseline : Period
        The baseline period (normally one financial year).
    districts : list of str, optional
        Districts to include when district data exist.
    """
    notes: list[str] = []
    series = _baseline_series(measures, processed, force, districts, police_uk_months, notes)
    rows = []
    charts = {}
    for (mid, geo), g in series.groupby(["measure_id", "geography"], sort=False):
        rows.append(_baseline_row(mid, geo, g, baseline))
        vals, mask, rolling = _chart_input(g, baseline)
        # rolling years: XmR chart; counts of separate periods: c chart
        chart = xmr_chart if rolling else c_chart
        try:
            charts[(mid, geo)] = chart(vals, mask, run_length=run_length)
        except ValueError as exc:
            notes.append(f"{mid} / {geo}: no control limits ({exc}).")
    values = pd.DataFrame(
        rows,
        columns=[
            "measure_id",
            "geography",
            "baseline_period",
            "value",
            "source",
            "proxy",
            "proxy_note",
            "note",
        ],
    )
    return Baseline(
        values=values,
        series=series,
        seasonal=seasonal_profile(series, baseline),
        charts=charts,
        notes=notes,
    )


def _baseline_series(
    measures: pd.DataFrame,
    processed,
    force: str,
    districts: list[str] | None,
    police_uk_months: Period | None,
    notes: list[str],
) -> pd.DataFrame:
    """Every count measure's series (ONS force, then districts); source notes go to *notes*."""
    ons = _table(processed, "ons_pfa")
    csp = _table(processed, "csp")
    street = M.street_counts(processed)
    frames = []
    for m in count_measures(measures).to_dict("records"):
        if ons is not None:
            frames.append(M.ons_rolling_year(ons, m, force))
        if districts:
            if csp is not None and not csp.empty:
                frames.append(M.csp_quarterly(csp, m, districts))
            elif street is not None and not street.empty:
                frames.append(
                    M.police_uk_monthly_from_counts(street, m, districts, months=police_uk_months)
                )
    if ons is None:
        notes.append(not_supplied_note("ons_pfa"))
    if districts and (csp is None or csp.empty) and (street is None or street.empty):
        notes += district_sources_note({"csp": csp, "police_uk": street})
    elif districts and csp is None:
        notes.append(not_supplied_note("csp") + " " + POLICE_UK_INSTEAD)
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else M._empty()


def _baseline_row(mid: str, geo: str, g: pd.DataFrame, baseline: Period) -> dict:
    """One measure and geography's baseline value with its source, proxy and note."""
    v = M.measure_value(g, baseline)
    return {
        "measure_id": mid,
        "geography": geo,
        "baseline_period": baseline.label,
        "value": v["value"],
        "source": v["source"],
        "proxy": v["proxy"],
        "proxy_note": v["proxy_note"],
        "note": v["note"],
    }


def _chart_input(g: pd.DataFrame, baseline: Period) -> tuple[pd.Series, np.ndarray, bool]:
    """One series by period end, the mask of its baseline windows, and whether it is rolling."""
    g = g.sort_values("period_end")
    vals = pd.Series(g["value"].to_numpy(), index=pd.DatetimeIndex(g["period_end"]))
    rolling = (g["period_end"] - g["period_start"]).dt.days.max() > 100
    # a window belongs to the baseline if it ends inside it (ONS: rolling years ending in the baseline)
    # quarterly rolling years ending in the baseline year overlap heavily; use them with care
    mask = np.asarray((vals.index >= baseline.start) & (vals.index <= baseline.end))
    return vals, mask, rolling


def limits_table(charts: dict) -> pd.DataFrame:
    """One row per chart: measure, geography, chart type, centre, limits, points and signals."""
    rows = []
    for (mid, geo), ch in charts.items():
        rows.append(
            {
                "measure_id": mid,
                "geography": geo,
                "chart": ch.attrs.get("chart"),
                "centre": float(ch["centre"].iloc[0]),
                "lcl": float(ch["lcl"].iloc[0]),
                "ucl": float(ch["ucl"].iloc[0]),
                "n_baseline": ch.attrs.get("n_baseline"),
                "n_points": int(ch["value"].notna().sum()),
                "n_special_cause": int(ch["special_cause"].sum()),
            }
        )
    return pd.DataFrame(rows)
