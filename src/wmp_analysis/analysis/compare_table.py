"""The target comparison table (``target_comparison.csv``): every target of a plan judged.

:func:`compare_targets` reads each registry row, routes it (a survey figure the plan reports,
a target not measurable from public data, a survey target, a count target) and stacks the
rows; p-values are Holm-adjusted across every row that has one. :func:`compare_assessments`
does it for each assessment of a config; :func:`mark_origin` says whether each row was
measured from real or synthetic data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.compare_counts import _count_row
from wmp_analysis.analysis.compare_inputs import (
    _float,
    _is_force,
    _is_na,
    parse_period,
    recorded_crime_caveat,
)
from wmp_analysis.analysis.compare_series import (
    _cached,
    _force_monthly,
    district_sources,
    series_for,
)
from wmp_analysis.analysis.compare_survey import _survey_claim_row, _survey_row
from wmp_analysis.analysis.status import Status
from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period

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


@dataclass(frozen=True)
class _Run:
    """What every target of one :func:`compare_targets` call is measured with."""

    measures: pd.DataFrame
    processed: Any
    cfg: Any
    survey: pd.DataFrame | None
    use_config_periods: bool
    districts: list
    street_counts: pd.DataFrame | None  # records per month, district, category
    cache: dict
    survey_plan: Any = None  # the extract's suppression plan, built once (None: no extract)


def _survey_plan(survey: pd.DataFrame | None):
    """The suppression plan of a respondent-level *survey* (default groups and base), or None.

    Every survey target of one comparison is estimated against the same plan: built (or
    found in :func:`wmp_analysis.analysis.equality_suppression._cached_plan`'s memo) once
    here instead of once per target and period.
    """
    if survey is None or not len(survey) or "positive" not in survey.columns:
        return None
    from wmp_analysis.analysis.equality_suppression import _cached_plan
    from wmp_analysis.analysis.equality_tables import DEFAULT_MIN_BASE

    return _cached_plan(survey, DEFAULT_MIN_BASE)


def _measure_row(measures: pd.DataFrame, mid: str) -> dict | None:
    """The measures table's row of *mid* as a dict (None: blank or not in the table)."""
    if not mid:
        return None
    hit = measures[measures["measure_id"] == mid]
    return hit.iloc[0].to_dict() if not hit.empty else None


def _periods(t: Mapping, cfg, use_config_periods: bool) -> tuple[Period, Period]:
    """Baseline and target period of registry row *t* (the config's when overridden)."""
    if use_config_periods:
        return cfg.baseline, cfg.target_period
    return (
        parse_period(t.get("baseline_period"), cfg.baseline),
        parse_period(t.get("target_period"), cfg.target_period),
    )


def _base_row(t: Mapping, mid: str, mrow: Mapping | None, cfg, bp: Period, tp: Period) -> dict:
    """Registry row *t* as a comparison row not yet measured ("not measurable")."""
    row = dict.fromkeys(COMPARISON_COLUMNS, np.nan)  # the values, changes and tests not yet known
    row.update(
        plan=cfg.plan,
        target_id=str(t.get("target_id", "")),
        measure_id=mid,
        geography=cfg.force,
        baseline_period=bp.label,
        target_period=tp.label,
        target_value=_float(t.get("target_value")),
        target_kind=str(t.get("target_kind", "") or ""),
        direction="" if _is_na(t.get("direction")) else str(t["direction"]),
        status=Status.NOT_MEASURABLE,
        significant=False,
        proxy=M._truthy(t.get("proxy")) or (mrow is not None and M._truthy(mrow.get("proxy"))),
        proxy_note=M.join_notes(
            M._text(t.get("proxy_note")), M._text((mrow or {}).get("proxy_note"))
        ),
        source=M._text(t.get("data_source")),
        definition=M._text(t.get("definition")) or M._text((mrow or {}).get("definition")),
        recorded_crime_caveat="",
        note="",
    )
    return row


def _unmeasured_note(t: Mapping, mid: str, mrow: Mapping | None, target_kind: str) -> str:
    """Why a target is not measured, and what would measure it."""
    why = M._text(t.get("not_measurable_reason")) or (
        "measure not in the measures table" if mrow is None and mid else ""
    )
    if target_kind == "reported_figure":
        why = why or "a figure the plan reports, not a target: see claims_check"
    wm = M._text(t.get("would_measure_with"))
    return "; ".join(x for x in (why, f"would be measured with: {wm}" if wm else "") if x)


def _count_rows(base: dict, t: Mapping, mrow: Mapping, bp: Period, tp: Period, run: _Run):
    """The force row of a count target, then one row per district with data (context)."""
    cfg, cache, mid = run.cfg, run.cache, base["measure_id"]
    base = dict(base, recorded_crime_caveat=recorded_crime_caveat(bp, tp))
    series = _cached(
        cache,
        ("force", mid, cfg.force),
        series_for,
        mrow,
        cfg.force,
        run.processed,
        cfg,
        force_level=True,
    )
    monthly = None
    counts = run.street_counts
    if counts is not None and not counts.empty:  # lazily: only an incomplete year needs it
        monthly = partial(
            _cached, cache, ("monthly", mid, cfg.force), _force_monthly, counts, mrow, cfg
        )
    rows = [_count_row(base, series, bp, tp, t, monthly)]
    for d in run.districts:
        ds = _cached(
            cache,
            ("district", mid, d),
            series_for,
            mrow,
            d,
            run.processed,
            cfg,
            force_level=False,
            street_counts=run.street_counts,
        )
        if ds.empty:
            continue
        drow = dict(base, geography=d, note="district: the force-wide target applied for context")
        dmonthly = ds if ds["source"].iloc[0] == "police.uk" else None
        rows.append(_count_row(drow, ds, bp, tp, t, dmonthly))
    return rows


def _target_rows(t: Mapping, run: _Run) -> list[dict]:
    """The comparison rows of registry row *t*: routed by what the target is and measures."""
    cfg, survey = run.cfg, run.survey
    mid = "" if _is_na(t.get("measure_id")) else str(t["measure_id"])
    mrow = _measure_row(run.measures, mid)
    bp, tp = _periods(t, cfg, run.use_config_periods)
    base = _base_row(t, mid, mrow, cfg, bp, tp)
    target_kind = base["target_kind"]
    measurable = M._truthy(t.get("measurable")) if "measurable" in t else True
    kind = M._text((mrow or {}).get("kind"))
    geog_force = _is_force(t.get("geography"), cfg.force)
    if (
        target_kind == "reported_figure"
        and kind in _SURVEY_KINDS
        and measurable
        and survey is not None
        and len(survey)
        and geog_force
    ):
        return [_survey_claim_row(base, t, mrow, survey, tp)]
    if not measurable or mrow is None or target_kind in ("qualitative", "reported_figure"):
        return [dict(base, note=_unmeasured_note(t, mid, mrow, target_kind))]
    if not geog_force:
        note = "target geography is not the force area: no public series for it"
        return [dict(base, geography=str(t.get("geography")), note=note)]
    if kind in _SURVEY_KINDS:
        return [_survey_row(base, t, mrow, survey, bp, tp, plan=run.survey_plan)]
    if kind not in _COUNT_KINDS:
        return [dict(base, note=f"measure kind {kind!r} has no public series")]
    return _count_rows(base, t, mrow, bp, tp, run)


def _with_holm(out: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``p_adjusted`` and ``significant``: Holm across every row with a p-value."""
    adj = S.adjust_pvalues(out["p_value"].to_numpy(dtype="float64"), alpha=alpha, method="holm")
    out["p_adjusted"] = adj["p_adjusted"].to_numpy()
    out["significant"] = adj["reject"].to_numpy()
    for c in ("proxy", "significant"):
        out[c] = out[c].astype(bool)
    return out


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
    run = _Run(
        measures=measures,
        processed=processed,
        cfg=cfg,
        survey=survey,
        use_config_periods=use_config_periods,
        districts=list(cfg.districts) if dsrc else [],
        street_counts=M.street_counts(processed),
        cache={} if series_cache is None else series_cache,
        survey_plan=_survey_plan(survey),
    )
    rows = [row for t in regs.to_dict("records") for row in _target_rows(t, run)]
    return _with_holm(pd.DataFrame(rows, columns=COMPARISON_COLUMNS), alpha)


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
