"""The series a comparison row is measured on, built once per measure and geography.

Force targets use ONS rolling-year totals; districts use Home Office CSP quarters when
supplied, else police.uk months (a labelled proxy). The force-wide police.uk monthly series
is only for a year-end projection (:mod:`wmp_analysis.analysis.compare_projection`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from wmp_analysis.analysis.compare_inputs import _table
from wmp_analysis.measures import series as M


def series_for(
    measure: Mapping[str, Any],
    geography: str,
    processed,
    cfg,
    *,
    force_level: bool,
    street_counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tidy series of *measure* for a force (ONS) or a district (CSP, else police.uk).

    *street_counts*: the street records per month, district and category when already
    counted (:func:`wmp_analysis.measures.series.street_counts`); counted from
    *processed* otherwise.
    """
    if force_level:
        ons = _table(processed, "ons_pfa")
        return M._empty() if ons is None else M.ons_rolling_year(ons, measure, geography)
    csp = _table(processed, "csp")
    if csp is not None and not csp.empty:
        s = M.csp_quarterly(csp, measure, [geography])
        if not s.empty:
            return s
    counts = M.street_counts(processed) if street_counts is None else street_counts
    if counts is not None and not counts.empty:
        return M.police_uk_monthly_from_counts(
            counts, measure, [geography], months=cfg.police_uk_months
        )
    return M._empty()


def district_sources(processed) -> str | None:
    """``"csp"``, ``"police_uk"`` or None: which district-level source is available."""
    csp = _table(processed, "csp")
    if csp is not None and not csp.empty:
        return "csp"
    counts = M.street_counts(processed)
    if counts is not None and not counts.empty:
        return "police_uk"
    return None


def _force_monthly(counts: pd.DataFrame, mrow, cfg) -> pd.DataFrame | None:
    """Force-wide police.uk monthly series (all districts incl. unassigned), for projections.

    *counts*: street records per month, district and category (:func:`M.street_counts`).
    """
    out = M.police_uk_monthly_from_counts(
        counts, mrow, None, months=cfg.police_uk_months, force_label=cfg.force
    )
    return None if out.empty else out


def _cached(cache: dict, key: tuple, build, *args, **kwargs):
    """``cache[key]``, built by ``build(*args, **kwargs)`` the first time."""
    if key not in cache:
        cache[key] = build(*args, **kwargs)
    return cache[key]
