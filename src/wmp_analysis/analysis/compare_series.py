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


def _force_monthly(street: pd.DataFrame, mrow, cfg) -> pd.DataFrame | None:
    """Force-wide police.uk monthly series (all districts incl. unassigned), for projections."""
    out = M.police_uk_monthly(
        street, mrow, None, months=cfg.police_uk_months, force_label=cfg.force
    )
    return None if out.empty else out


def _cached(cache: dict, key: tuple, build, *args, **kwargs):
    """``cache[key]``, built by ``build(*args, **kwargs)`` the first time."""
    if key not in cache:
        cache[key] = build(*args, **kwargs)
    return cache[key]
