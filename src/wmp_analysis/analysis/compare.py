"""Measure a force against its plan's targets (notebook 03).

For every target of the config's plan, :func:`compare_targets` gives the baseline
and actual values, the change, the status and whether the change is
distinguishable from noise (two-sample Poisson rate-ratio test with a Holm
family-wise threshold across every series judged in the table). Companion
functions give peer-force context (:func:`peer_comparison`), district rankings with
intervals (:func:`rank_districts`), and the plans' own claims recomputed
(:func:`claims_check`).

Sources: force targets use ONS rolling-year totals for the 12 months ending 31
March of the baseline and target financial years. Districts use Home Office CSP
quarters when supplied, else police.uk months (a labelled proxy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.status import (
    Status,
    plan_figure_status,
    projection_note,
    status_for_target,
)
from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period

#: Date from which police recorded crime is no longer a National Statistic.
NS_LOSS_DATE = pd.Timestamp("2014-01-15")
#: The caveat printed wherever a period after that date is involved.
RECORDED_CRIME_CAVEAT = (
    "Police recorded crime lost its National Statistics designation in January 2014 "
    "(UK Statistics Authority, Assessment Report 268) over concerns about the quality of crime "
    "recording; changes involving periods after that date may partly reflect recording practice."
)

#: Columns of ``target_comparison.csv`` (issue 2), in order.
COMPARISON_COLUMNS = [
    "plan",
    "target_id",
    "measure_id",
    "geography",
    "baseline_period",
    "target_period",
    "baseline_value",
    "actual_value",
    "abs_change",
    "pct_change",
    "target_value",
    "target_kind",
    "direction",
    "status",
    "p_value",
    "p_adjusted",
    "significant",
    "rate_ratio",
    "rr_ci_low",
    "rr_ci_high",
    "dispersion",
    "p_value_overdispersed",
    "projected",
    "pi_low",
    "pi_high",
    "proxy",
    "proxy_note",
    "source",
    "definition",
    "recorded_crime_caveat",
    "note",
]

_COUNT_KINDS = {"count"}
_SURVEY_KINDS = {"survey_proportion"}
_FORCE_WORDS = {
    "",
    "force",
    "force area",
    "force-wide",
    "west midlands",
    "west midlands police",
    "pfa",
}


# --------------------------------------------------------------------------- helpers


def _table(processed, name: str) -> pd.DataFrame | None:
    """A processed table, or None when the source was not supplied."""
    if processed is None:
        return None
    if isinstance(processed, Mapping):
        return processed.get(name)
    has = getattr(processed, "has", None)
    if has is not None and not has(name):
        return None
    return processed.table(name)


def _is_na(v) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and np.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _float(v) -> float:
    if _is_na(v):
        return np.nan
    try:
        return float(str(v).replace(",", "").replace("%", "").strip())
    except ValueError:
        return np.nan


def parse_period(text, fallback: Period | None = None) -> Period | None:
    """A registry period: FY label (``"2011-12"``), ``"YYYY-MM-DD to YYYY-MM-DD"`` or fallback."""
    if _is_na(text):
        return fallback
    t = str(text).strip()
    try:
        return Period.financial_year(t)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:to|/|\.\.)\s*(\d{4}-\d{2}-\d{2})", t)
    if m:
        return Period.from_strings(m.group(1), m.group(2))
    return fallback


def recorded_crime_caveat(*periods: Period | None) -> str:
    """:data:`RECORDED_CRIME_CAVEAT` if any period ends after January 2014, else ``""``."""
    return (
        RECORDED_CRIME_CAVEAT
        if any(p is not None and p.end >= NS_LOSS_DATE for p in periods)
        else ""
    )


def _is_force(geography, force: str) -> bool:
    g = "" if _is_na(geography) else str(geography).strip().lower()
    return g in _FORCE_WORDS or g == force.strip().lower()


def series_for(
    measure: Mapping[str, Any], geography: str, processed, cfg, *, force_level: bool
) -> pd.DataFrame:
    """Tidy series of *measure* for a force (ONS) or a district (CSP, else police.uk)."""
    if force_level:
        ons = _table(processed, "ons_pfa")
        return M._empty() if ons is None else M.ons_rolling_year(ons, measure, geography)
    csp = _table(processed, "csp")
    if csp is not None and not csp.empty:
        s = M.csp_quarterly(csp, measure, [geography])
        if not s.empty:
            return s
    street = _table(processed, "street")
    if street is not None and not street.empty:
        return M.police_uk_monthly(street, measure, [geography], months=cfg.police_uk_months)
    return M._empty()


def district_sources(processed) -> str | None:
    """``"csp"``, ``"police_uk"`` or None: which district-level source is available."""
    csp = _table(processed, "csp")
    if csp is not None and not csp.empty:
        return "csp"
    street = _table(processed, "street")
    if street is not None and not street.empty:
        return "police_uk"
    return None


def _annual_march_totals(series: pd.DataFrame, upto: Period, n: int = 5) -> list[float]:
    """Non-overlapping 12-months-to-March totals of a rolling-year series, the *n* years ending at *upto*."""
    vals = []
    for k in range(n - 1, -1, -1):
        end = pd.Timestamp(upto.end.year - k, 3, 31)
        hit = series[
            (series["period_end"] == end)
            & ((series["period_end"] - series["period_start"]).dt.days > 300)
        ]
        if not hit.empty and not pd.isna(hit["value"].iloc[0]):
            vals.append(float(hit["value"].iloc[0]))
    return vals


def _count_row(
    base: dict, series: pd.DataFrame, bp: Period, tp: Period, target: Mapping, monthly
) -> dict:
    """Fill a comparison row for a count measure from a tidy series.

    *monthly* is a monthly series for a year-end projection, None, or a callable that
    builds it (called only when the target year is incomplete).
    """
    b = M.measure_value(series, bp)
    a = M.measure_value(series, tp)
    row = dict(base)
    row.update(
        source=b["source"] or a["source"],
        proxy=bool(b["proxy"] or a["proxy"] or row.get("proxy", False)),
        proxy_note=M.join_notes(row.get("proxy_note", ""), b["proxy_note"]),
    )
    notes = [n for n in (b["note"], a["note"]) if n]
    bv, av = b["value"], a["value"]
    row.update(baseline_value=bv, actual_value=av)
    kind, direction, tv = row["target_kind"], row["direction"], row["target_value"]
    complete = bool(a["complete"])
    projection = None
    if not complete and not pd.isna(bv):
        if callable(monthly):  # built only when a projection is needed (an incomplete target year)
            monthly = monthly()
        projection = _projection(monthly, bp, tp)
        if projection is not None:
            # judge the projection against the baseline of the SAME source (never mix sources)
            pb = projection["baseline_total"]
            row.update(
                projected=projection["projected"],
                pi_low=projection["pi_low"],
                pi_high=projection["pi_high"],
            )
            notes.append(
                f"target year incomplete: projected from {projection['months_observed']} months of "
                f"{projection['source']} against that source's baseline of {pb:.0f} "
                f"({projection_note(kind, direction, tv, pb, projection)})"
            )
            row["status"] = status_for_target(
                kind, direction, tv, pb, None, complete=False, projection=projection
            )
        else:
            notes.append(
                "target year not complete in the data and no monthly series to project from"
            )
    if projection is None:
        row["status"] = status_for_target(
            kind, direction, tv, bv, av, measurable=True, complete=complete
        )
    if complete and not pd.isna(bv):
        row["abs_change"] = av - bv
        row["pct_change"] = S.pct_change(bv, av)
        if bv >= 0 and av >= 0:
            t = S.poisson_rate_ratio_test(av, tp.n_months, bv, bp.n_months)
            row.update(
                rate_ratio=t["rate_ratio"],
                rr_ci_low=t["ci_low"],
                rr_ci_high=t["ci_high"],
                p_value=t["p_value"],
            )
        if (series["period_end"] - series["period_start"]).dt.days.max() > 300:
            phi = S.annual_dispersion(_annual_march_totals(series, bp))
            if not pd.isna(phi):
                q = S.quasi_poisson_rate_ratio_test(av, tp.n_months, bv, bp.n_months, phi)
                row.update(dispersion=phi, p_value_overdispersed=q["p_value"])
    row["note"] = "; ".join(x for x in [row.get("note", "")] + notes if x)
    return row


def _projection(monthly: pd.DataFrame | None, bp: Period, tp: Period) -> dict | None:
    """Year-end projection from a monthly tidy series (police.uk), or None."""
    if monthly is None or monthly.empty:
        return None
    m = monthly.assign(month=monthly["period_start"].dt.to_period("M")).set_index("month")["value"]
    base = m[(m.index >= bp.start.to_period("M")) & (m.index <= bp.end.to_period("M"))]
    obs = m[(m.index >= tp.start.to_period("M")) & (m.index <= tp.end.to_period("M"))].dropna()
    if len(base) < 12 or base.isna().any() or obs.empty:
        return None
    # observed months must be the first k months of the target year
    expected = pd.period_range(tp.start.to_period("M"), periods=len(obs), freq="M")
    if not (obs.index == expected).all():
        return None
    try:
        proj = S.project_year_end(obs, base)
    except ValueError:
        return None
    proj["baseline_total"] = float(base.sum())
    proj["source"] = str(monthly["source"].iloc[0])
    return proj


# --------------------------------------------------------------------------- main


def compare_targets(
    registry: pd.DataFrame,
    measures: pd.DataFrame,
    processed,
    cfg,
    *,
    survey: pd.DataFrame | None = None,
    use_config_periods: bool = False,
    include_districts: bool = True,
    alpha: float | None = None,
    series_cache: dict | None = None,
) -> pd.DataFrame:
    """Compare every target of ``cfg.plan`` with the data.

    Parameters
    ----------
    registry, measures : DataFrame
        The target registry and the measures table (``data/raw/targets``).
    processed : ProcessedData or mapping of name -> DataFrame
        Processed tables (``ons_pfa``, optionally ``csp``, ``street``).
    cfg : RunConfig
        Force, plan, periods, districts, ``alpha`` option.
    survey : DataFrame, optional
        Processed survey table; survey targets are "not measurable" without it.
    use_config_periods : bool
        Evaluate every target on ``cfg.baseline`` / ``cfg.target_period`` instead of
        the registry's own periods (used when a run overrides the periods).
    include_districts : bool
        Add one row per district for count targets when district data exist.
    alpha : float, optional
        Family-wise error rate (default ``cfg.option("alpha", 0.05)``).
    series_cache : dict, optional
        Series already built for these tables, force and months, keyed by (kind,
        measure_id, geography); filled here. Lets several plans over the same data
        build each measure's series once (:func:`compare_assessments`).

    Returns
    -------
    DataFrame
        :data:`COMPARISON_COLUMNS`. ``p_value``: two-sided exact conditional
        Poisson test of equal monthly rates; ``rate_ratio`` and ``rr_ci_*``: target
        rate / baseline rate with its 95% score interval; ``p_adjusted`` /
        ``significant``: Holm across every row with a p-value.
        ``p_value_overdispersed``: quasi-Poisson p-value with the dispersion estimated
        from five non-overlapping years to the baseline (force rows only).
    """
    alpha = float(cfg.option("alpha", 0.05) if alpha is None else alpha)
    regs = registry[registry["plan"].astype("str") == cfg.plan]
    dsrc = district_sources(processed) if include_districts else None
    districts = list(cfg.districts) if dsrc else []
    street = _table(processed, "street")
    rows: list[dict] = []
    for t in regs.to_dict("records"):
        mid = "" if _is_na(t.get("measure_id")) else str(t["measure_id"])
        mrow = None
        if mid:
            hit = measures[measures["measure_id"] == mid]
            mrow = hit.iloc[0].to_dict() if not hit.empty else None
        bp = (
            cfg.baseline
            if use_config_periods
            else parse_period(t.get("baseline_period"), cfg.baseline)
        )
        tp = (
            cfg.target_period
            if use_config_periods
            else parse_period(t.get("target_period"), cfg.target_period)
        )
        base = {
            "plan": cfg.plan,
            "target_id": str(t.get("target_id", "")),
            "measure_id": mid,
            "geography": cfg.force,
            "baseline_period": bp.label,
            "target_period": tp.label,
            "baseline_value": np.nan,
            "actual_value": np.nan,
            "abs_change": np.nan,
            "pct_change": np.nan,
            "target_value": _float(t.get("target_value")),
            "target_kind": str(t.get("target_kind", "") or ""),
            "direction": "" if _is_na(t.get("direction")) else str(t["direction"]),
            "status": Status.NOT_MEASURABLE,
            "p_value": np.nan,
            "p_adjusted": np.nan,
            "significant": False,
            "rate_ratio": np.nan,
            "rr_ci_low": np.nan,
            "rr_ci_high": np.nan,
            "dispersion": np.nan,
            "p_value_overdispersed": np.nan,
            "projected": np.nan,
            "pi_low": np.nan,
            "pi_high": np.nan,
            "proxy": M._truthy(t.get("proxy"))
            or (mrow is not None and M._truthy(mrow.get("proxy"))),
            "proxy_note": M.join_notes(
                M._text(t.get("proxy_note")), M._text((mrow or {}).get("proxy_note"))
            ),
            "source": M._text(t.get("data_source")),
            "definition": M._text(t.get("definition")) or M._text((mrow or {}).get("definition")),
            "recorded_crime_caveat": "",
            "note": "",
        }
        measurable = M._truthy(t.get("measurable")) if "measurable" in t else True
        kind = M._text((mrow or {}).get("kind"))
        geog_force = _is_force(t.get("geography"), cfg.force)
        if (
            base["target_kind"] == "reported_figure"
            and kind in _SURVEY_KINDS
            and measurable
            and survey is not None
            and len(survey)
            and _is_force(t.get("geography"), cfg.force)
        ):
            rows.append(_survey_claim_row(base, t, mrow, survey, tp))
            continue
        if (
            not measurable
            or mrow is None
            or base["target_kind"] in ("qualitative", "reported_figure")
        ):
            why = M._text(t.get("not_measurable_reason")) or (
                "measure not in the measures table" if mrow is None and mid else ""
            )
            if base["target_kind"] == "reported_figure":
                why = why or "a figure the plan reports, not a target: see claims_check"
            wm = M._text(t.get("would_measure_with"))
            base["note"] = "; ".join(
                x for x in (why, f"would be measured with: {wm}" if wm else "") if x
            )
            rows.append(base)
            continue
        if not geog_force:
            base["geography"] = str(t.get("geography"))
            base["note"] = "target geography is not the force area: no public series for it"
            rows.append(base)
            continue
        if kind in _SURVEY_KINDS:
            rows.append(_survey_row(base, t, mrow, survey, bp, tp))
            continue
        if kind not in _COUNT_KINDS:
            base["note"] = f"measure kind {kind!r} has no public series"
            rows.append(base)
            continue
        base["recorded_crime_caveat"] = recorded_crime_caveat(bp, tp)
        cache = {} if series_cache is None else series_cache
        series = _cached(
            cache,
            ("force", mid, cfg.force),
            series_for,
            mrow,
            cfg.force,
            processed,
            cfg,
            force_level=True,
        )
        monthly = None
        if (
            street is not None and not street.empty
        ):  # lazily: only an incomplete target year needs it
            monthly = partial(
                _cached, cache, ("monthly", mid, cfg.force), _force_monthly, street, mrow, cfg
            )
        rows.append(_count_row(base, series, bp, tp, t, monthly))
        for d in districts:
            ds = _cached(
                cache, ("district", mid, d), series_for, mrow, d, processed, cfg, force_level=False
            )
            if ds.empty:
                continue
            drow = dict(
                base, geography=d, note="district: the force-wide target applied for context"
            )
            dmonthly = ds if ds["source"].iloc[0] == "police.uk" else None
            rows.append(_count_row(drow, ds, bp, tp, t, dmonthly))
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    adj = S.adjust_pvalues(out["p_value"].to_numpy(dtype="float64"), alpha=alpha, method="holm")
    out["p_adjusted"] = adj["p_adjusted"].to_numpy()
    out["significant"] = adj["reject"].to_numpy()
    for c in ("proxy", "significant"):
        out[c] = out[c].astype(bool)
    return out


#: A comparison row's ``source`` (what :func:`compare_targets` writes) -> the config's source key.
_SOURCE_KEYS = (
    ("ons", "ons_pfa"),
    ("home office csp", "csp"),
    ("csp", "csp"),
    ("police.uk", "police_uk"),
    ("survey", "survey"),
)


def source_key(source) -> str | None:
    """The config source key behind a comparison row's ``source`` text (None: no data read)."""
    text = "" if _is_na(source) else str(source).strip().lower()
    return next((key for prefix, key in _SOURCE_KEYS if text.startswith(prefix)), None)


def mark_origin(comparison: pd.DataFrame, origins: Mapping[str, str]) -> pd.DataFrame:
    """Add ``data``: ``"real"`` or ``"synthetic"`` per row, from the source the row was measured from.

    Parameters
    ----------
    comparison : DataFrame
        :func:`compare_targets` output (its ``source`` and ``status`` columns).
    origins : mapping
        :func:`wmp_analysis.provenance.source_origins` of the run's config.

    Returns
    -------
    DataFrame
        A copy with ``data`` after ``source``: the origin of the row's input, or ``""`` for a
        target that read no data ("not measurable").

    Raises
    ------
    ValueError
        A measured row whose source is not one of the config's supplied sources (its
        origin cannot be told, so it is not guessed).
    """
    out = comparison.copy()
    marks = []
    for src, status in zip(out["source"], out["status"]):
        key = source_key(src)
        if status == Status.NOT_MEASURABLE or key is None:
            marks.append("")
            continue
        if key not in origins:
            raise ValueError(
                f"a row measured from {src!r} ({key}), a source the config does not supply"
            )
        marks.append(origins[key])
    out.insert(list(out.columns).index("source") + 1, "data", marks)
    return out


def compare_assessments(
    registry: pd.DataFrame,
    measures: pd.DataFrame,
    processed,
    cfg,
    *,
    survey: pd.DataFrame | None = None,
    use_config_periods: bool = False,
) -> pd.DataFrame:
    """:func:`compare_targets` for every assessment of *cfg* (``cfg.assessments``), stacked.

    Each assessment is one plan's family of tests (Holm within the plan); rows keep their
    ``plan``. Periods come from the registry unless *use_config_periods* (then each
    assessment's own baseline and target period).
    """
    cache: dict = {}  # each measure's series built once for all the plans (same tables, force, months)
    parts = [
        compare_targets(
            registry,
            measures,
            processed,
            cfg.for_assessment(a),
            survey=survey,
            use_config_periods=use_config_periods,
            series_cache=cache,
        )
        for a in cfg.assessments
    ]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


#: Financial years of the measure series shown with the scorecards (issue 12).
SERIES_YEARS = ("2010-11", "2011-12", "2012-13", "2013-14", "2014-15", "2015-16")


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
    from wmp_analysis.periods import Period

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


def _cached(cache: dict, key: tuple, build, *args, **kwargs):
    """``cache[key]``, built by ``build(*args, **kwargs)`` the first time."""
    if key not in cache:
        cache[key] = build(*args, **kwargs)
    return cache[key]


def _force_monthly(street: pd.DataFrame, mrow, cfg) -> pd.DataFrame | None:
    """Force-wide police.uk monthly series (all districts incl. unassigned), for projections."""
    out = M.police_uk_monthly(
        street, mrow, None, months=cfg.police_uk_months, force_label=cfg.force
    )
    return None if out.empty else out


def _survey_row(base: dict, t: Mapping, mrow: Mapping, survey, bp: Period, tp: Period) -> dict:
    row = dict(base, source="survey extract")
    if survey is None or len(survey) == 0:
        reason = (
            M._text(t.get("not_measurable_reason"))
            or "not supplied: sources.survey (survey measures are not in public data)"
        )
        row.update(status=Status.NOT_MEASURABLE, note=reason)
        return row
    from wmp_analysis.analysis import equality

    mid = str(mrow.get("survey_measure") or mrow["measure_id"])
    est_t = equality.survey_estimates_for_targets(survey, [mid], tp)
    est_b = equality.survey_estimates_for_targets(survey, [mid], bp)
    notes = []
    bv = (
        float(est_b["estimate"].iloc[0])
        if len(est_b) and not pd.isna(est_b["estimate"].iloc[0])
        else np.nan
    )
    if pd.isna(bv):
        bv = _float(t.get("baseline_value"))
        if not pd.isna(bv):
            notes.append(
                "baseline is the plan's own figure (no survey data for the baseline period)"
            )
    av = (
        float(est_t["estimate"].iloc[0])
        if len(est_t) and not pd.isna(est_t["estimate"].iloc[0])
        else np.nan
    )
    row.update(baseline_value=bv, actual_value=av)
    if not pd.isna(av):
        notes.append(
            f"target-period estimate {av:.1f}% (95% CI {float(est_t['ci_low'].iloc[0]):.1f} to "
            f"{float(est_t['ci_high'].iloc[0]):.1f}, effective n {float(est_t['n_eff'].iloc[0]):.0f})"
        )
    row["status"] = status_for_target(
        row["target_kind"], row["direction"], row["target_value"], bv, av
    )
    if not pd.isna(av) and not pd.isna(bv):
        row.update(abs_change=av - bv, pct_change=S.pct_change(bv, av))
        if len(est_b) and not pd.isna(est_b["estimate"].iloc[0]):
            from statsmodels.stats.proportion import test_proportions_2indep

            nt, nb = float(est_t["n_eff"].iloc[0]), float(est_b["n_eff"].iloc[0])
            if nt > 0 and nb > 0:
                res = test_proportions_2indep(av / 100 * nt, nt, bv / 100 * nb, nb, method="wald")
                row["p_value"] = float(res.pvalue)
                notes.append("p-value: two-proportion Wald test on effective sample sizes")
    row["note"] = "; ".join(notes)
    return row


_AGE_CLAIM = re.compile(r"\b(16-24|16 to 24|25-34|35-44|45-54|55-64|65\+|over 65)")


def claim_age_band(*texts: str) -> str | None:
    """The age band a reported survey figure is about (``"16-24"``, ``"65+"``), if any.

    The first band named in the registry's definition (else its wording) wins:
    "Satisfaction ... among respondents aged 16-24 (over 65s: above 90%)" -> "16-24".
    """
    for text in texts:
        m = _AGE_CLAIM.search(text or "")
        if m:
            band = m.group(1)
            return {"16 to 24": "16-24", "over 65": "65+"}.get(band, band)
    return None


def _survey_claim_row(base: dict, t: Mapping, mrow: Mapping, survey, tp: Period) -> dict:
    """A survey figure the plan reports (e.g. "confidence 84% in 2011-12"), checked.

    Status (:func:`wmp_analysis.analysis.status.plan_figure_status`) ``consistent with plan``
    when the plan's figure lies inside the 95% CI of the survey estimate for the same period,
    ``differs from plan`` otherwise, and ``insufficient data`` when the extract has no
    (unsuppressed) estimate then.
    """
    from wmp_analysis.analysis import equality

    row = dict(base, source="survey extract")
    mid = str(mrow.get("survey_measure") or mrow["measure_id"])
    band = claim_age_band(M._text(t.get("definition")), M._text(t.get("wording")))
    if band is not None:
        if "age_band" not in survey.columns:
            row.update(
                status=Status.INSUFFICIENT_DATA,
                note=f"the plan's figure is for ages {band}; the extract has no age_band",
            )
            return row
        survey = survey[survey["age_band"].astype(str) == band]
    est = equality.survey_estimates_for_targets(survey, [mid], tp)
    claimed = row["target_value"]
    if not len(est) or pd.isna(est["estimate"].iloc[0]) or pd.isna(claimed):
        row.update(status=Status.INSUFFICIENT_DATA, note=f"no survey estimate for {tp.label}")
        return row
    av, lo, hi = (float(est[c].iloc[0]) for c in ("estimate", "ci_low", "ci_high"))
    row.update(
        actual_value=av,
        abs_change=av - claimed,
        status=plan_figure_status(claimed, lo, hi),
        note=f"plan reports {claimed:g}%{f' for ages {band}' if band else ''}; survey estimate {av:.1f}% "
        f"(95% CI {lo:.1f} to {hi:.1f}, "
        f"effective n {float(est['n_eff'].iloc[0]):.0f})",
    )
    return row


# --------------------------------------------------------------------------- context


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
        return pd.DataFrame(
            columns=[
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
        )
    f = comparison[comparison["geography"] == force].set_index("target_id")["rate_ratio"]
    d["force_rate_ratio"] = d["target_id"].map(f)
    d["versus_force"] = np.select(
        [d["rr_ci_high"] < d["force_rate_ratio"], d["rr_ci_low"] > d["force_rate_ratio"]],
        ["lower than force", "higher than force"],
        default="not distinguishable",
    )
    d = d.sort_values(["target_id", "rate_ratio"], kind="mergesort")
    d["order"] = d.groupby("target_id").cumcount() + 1
    return d[
        [
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
    ].reset_index(drop=True)


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
        for f in forces:
            r = {
                "force": f,
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
            if f not in present:
                r["note"] = "force not in the ONS file"
                rows.append(r)
                continue
            s = M.ons_rolling_year(ons_df, m, f)
            b, a = M.measure_value(s, baseline), M.measure_value(s, target)
            r.update(
                baseline_value=b["value"],
                actual_value=a["value"],
                pct_change=S.pct_change(b["value"], a["value"]),
                note="; ".join(sorted({x for x in (b["note"], a["note"]) if x})),
            )
            if b["complete"] and a["complete"]:
                t = S.poisson_rate_ratio_test(
                    a["value"], target.n_months, b["value"], baseline.n_months
                )
                r.update(
                    rate_ratio=t["rate_ratio"],
                    rr_ci_low=t["ci_low"],
                    rr_ci_high=t["ci_high"],
                    p_value=t["p_value"],
                )
            rows.append(r)
    return pd.DataFrame(rows)


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
    claim = "total recorded crime rose 2.1% in 2013-14"
    cite = "001_80b6ad282e6b1277.txt: 'a small increase in total recorded crime (2.1 per cent in 2013-14)'"
    plan_value = 2.1
    rows = []
    for excl in (False, True):
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
        rows.append(
            {
                "claim": claim,
                "source": cite,
                "plan_value": plan_value,
                "computed_value": pc,
                "difference": (pc - plan_value) if not pd.isna(pc) else np.nan,
                "baseline_count": b,
                "actual_count": a,
                "definition": definition,
                "explanation": " ".join(expl),
                "recorded_crime_caveat": RECORDED_CRIME_CAVEAT,
            }
        )
    out = pd.DataFrame(rows)
    if national_view is not None:
        from wmp_analysis.analysis.national_claims import comparative_claims

        out = pd.concat(
            [out, comparative_claims(national_view, force, list(comparators))], ignore_index=True
        )
    return out


def apply_overrides(
    cfg,
    *,
    force=None,
    plan=None,
    baseline_start=None,
    baseline_end=None,
    target_start=None,
    target_end=None,
    districts=None,
):
    """A copy of *cfg* with notebook parameter overrides (None = keep the config's value).

    Dates are ISO strings parsed here. Returns ``(cfg, periods_overridden)``; when
    any period is overridden, targets are evaluated on the config periods
    (``use_config_periods=True``).

    Raises
    ------
    ConfigError
        For an unknown plan, an incomplete or reversed period.
    """
    import dataclasses

    from wmp_analysis.config import PLANS
    from wmp_analysis.errors import ConfigError

    changes: dict[str, Any] = {}
    if force is not None:
        changes["force"] = str(force)
    if plan is not None:
        if plan not in PLANS:
            raise ConfigError(f"unknown plan {plan!r}", field="plan", expected=" or ".join(PLANS))
        changes["plan"] = plan
    overridden = False
    for name, start, end in (
        ("baseline", baseline_start, baseline_end),
        ("target_period", target_start, target_end),
    ):
        if start is None and end is None:
            continue
        if start is None or end is None:
            raise ConfigError("give both start and end", field=name, expected="two ISO dates")
        try:
            changes[name] = Period.from_strings(str(start), str(end), field=name)
        except ValueError as exc:
            raise ConfigError(str(exc), field=name, expected="ISO dates, start <= end") from None
        overridden = True
    if districts is not None:
        changes["districts"] = list(districts)
    if "plan" in changes or overridden:  # one assessment asked for: the config's others are not run
        changes["assessment_list"] = ()
    return dataclasses.replace(cfg, **changes), overridden
