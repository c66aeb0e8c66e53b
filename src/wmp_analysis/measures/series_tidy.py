"""The tidy series layout every measure series shares, its text helpers, and one period's value.

Layout (:data:`TIDY_COLUMNS`): ``measure_id, geography, period_start, period_end, value,
source, proxy, proxy_note, note`` - see :mod:`wmp_analysis.measures.series`.
:func:`measure_value` reads a series over one period (a financial year, say).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.errors import SchemaError, UnknownCategoryError
from wmp_analysis.periods import Period

TIDY_COLUMNS = [
    "measure_id",
    "geography",
    "period_start",
    "period_end",
    "value",
    "source",
    "proxy",
    "proxy_note",
    "note",
]


def split_list(value: Any) -> list[str]:
    """Split a ``;``-separated field of the measures table (empty/NaN -> [])."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def _truthy(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    return str(value).strip().lower() in {"true", "1", "yes", "y"}


def join_notes(*notes: str) -> str:
    """Join notes with ``"; "``, keeping each distinct note once.

    Notes gathered from the registry, the measures table and a series often repeat
    one another; a note already contained in an earlier one is dropped.
    """
    kept: list[str] = []
    for n in notes:
        n = (n or "").strip()
        if n and not any(n in k for k in kept):
            kept = [k for k in kept if k not in n] + [n]
    return "; ".join(kept)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def measure_row(measures: pd.DataFrame, measure_id: str) -> Mapping[str, Any]:
    """The row of the measures table for *measure_id*.

    Raises
    ------
    UnknownCategoryError
        If the measure is not in the table.
    """
    hit = measures[measures["measure_id"] == measure_id]
    if hit.empty:
        raise UnknownCategoryError(
            f"measure {measure_id!r} is not in the measures table",
            field="measure_id",
            expected="an id from data/raw/targets/measures.csv",
        )
    return hit.iloc[0].to_dict()


def _empty() -> pd.DataFrame:
    out = pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "str") for c in TIDY_COLUMNS}
    )
    out["period_start"] = pd.Series(dtype="datetime64[ns]")
    out["period_end"] = pd.Series(dtype="datetime64[ns]")
    out["proxy"] = pd.Series(dtype=bool)
    return out


def _require(df: pd.DataFrame, cols, table: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(
            f"processed table {table!r} lacks columns {missing}",
            field=missing[0],
            expected=f"columns {list(cols)}",
        )


def _finish(
    out: pd.DataFrame, measure, geography: str, source: str, proxy: bool, proxy_note: str
) -> pd.DataFrame:
    out = out.assign(
        measure_id=str(measure.get("measure_id")),
        geography=geography,
        source=source,
        proxy=bool(proxy),
        proxy_note=proxy_note,
    )
    if "note" not in out:
        out["note"] = ""
    out["value"] = out["value"].astype("float64")
    for c in ("measure_id", "geography", "source", "proxy_note", "note"):
        out[c] = out[c].fillna("").astype("str")
    return out[TIDY_COLUMNS].sort_values("period_end", kind="mergesort").reset_index(drop=True)


def measure_value(
    series: pd.DataFrame, period: Period, *, geography: str | None = None
) -> dict[str, Any]:
    """Value of a tidy series over *period* (e.g. a financial year).

    * A rolling-year series (ONS) gives the row whose window is exactly *period*.
    * A quarterly or monthly series is summed over the windows inside *period*;
      every month of the period must be covered by a non-missing window, else the
      value is NaN and ``note`` names what is missing.

    Returns
    -------
    dict
        ``value`` (float or NaN), ``complete`` (bool), ``months_covered`` (int),
        ``note`` (str), ``source``, ``proxy``, ``proxy_note``.
    """
    s = series if geography is None else series[series["geography"] == geography]
    base = {
        "value": np.nan,
        "complete": False,
        "months_covered": 0,
        "note": "",
        "source": "",
        "proxy": False,
        "proxy_note": "",
    }
    if s.empty:
        base["note"] = "no data for this measure and geography"
        return base
    base.update(
        source=str(s["source"].iloc[0]),
        proxy=bool(s["proxy"].iloc[0]),
        proxy_note=str(s["proxy_note"].iloc[0]),
    )
    exact = s[(s["period_start"] == period.start) & (s["period_end"] == period.end)]
    if not exact.empty:
        r = exact.iloc[0]
        ok = not pd.isna(r["value"])
        base.update(
            value=float(r["value"]),
            complete=ok,
            months_covered=period.n_months if ok else 0,
            note=str(r["note"]),
        )
        return base
    inside = s[(s["period_start"] >= period.start) & (s["period_end"] <= period.end)]
    # windows must be shorter than the period to be summed (quarters or months)
    inside = inside[(inside["period_end"] - inside["period_start"]).dt.days < 100]
    if inside.empty:
        base["note"] = f"no window of the series falls inside {period.label}"
        return base
    good = inside.dropna(subset=["value"])
    covered = set()
    for r in good.itertuples():
        covered |= {p for p in pd.period_range(r.period_start, r.period_end, freq="M")}
    missing = [str(m) for m in period.months if m not in covered]
    base["months_covered"] = len(covered & set(period.months))
    notes = sorted({n for n in inside["note"] if n})
    if missing:
        base["note"] = "; ".join([f"missing months {', '.join(missing)}"] + notes)
        base["value"] = np.nan
        base["partial_value"] = float(good["value"].sum())
        return base
    base.update(value=float(good["value"].sum()), complete=True, note="; ".join(notes))
    return base
