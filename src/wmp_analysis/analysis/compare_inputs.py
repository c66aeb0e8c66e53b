"""The registry's and processed tables' values as the target comparison reads them.

A processed table or None (:func:`_table`), blanks (:func:`_is_na`), numbers written with
commas or percent signs (:func:`_float`), a registry period (:func:`parse_period`), whether a
target's geography is the force area (:func:`_is_force`), and the recorded-crime caveat
(:func:`recorded_crime_caveat`) printed wherever a period after January 2014 is involved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from wmp_analysis.periods import Period

#: Date from which police recorded crime is no longer a National Statistic.
NS_LOSS_DATE = pd.Timestamp("2014-01-15")
#: The caveat printed wherever a period after that date is involved.
RECORDED_CRIME_CAVEAT = (
    "Police recorded crime lost its National Statistics designation in January 2014 "
    "(UK Statistics Authority, Assessment Report 268) over concerns about the quality of crime "
    "recording; changes involving periods after that date may partly reflect recording practice."
)

#: A registry geography that means the whole force area (lower case).
_FORCE_WORDS = {
    "",
    "force",
    "force area",
    "force-wide",
    "west midlands",
    "west midlands police",
    "pfa",
}


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
