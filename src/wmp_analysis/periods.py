"""Financial years, quarters and months: defined once, here.

Definitions
-----------
* A **financial year** (FY) runs 1 April to 31 March. It is labelled by its two
  calendar years, ``"2011-12"`` for 1 April 2011 to 31 March 2012, as the plans and
  the Home Office tables do.
* A **financial quarter** is 1..4 within the FY: Q1 = April-June, Q2 = July-September,
  Q3 = October-December, Q4 = January-March.
* A **month** is represented by a ``pandas.Period`` with monthly frequency, or by a
  Timestamp on the first day of the month in tables.
* A **period** in a config is a pair of ISO dates (inclusive start, inclusive end).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_FY_RE = re.compile(r"^(\d{4})[-/](\d{2}|\d{4})$")


def parse_iso_date(value: str | _dt.date, *, field: str = "date") -> pd.Timestamp:
    """Parse an ISO ``YYYY-MM-DD`` (or ``YYYY-MM``) string to a Timestamp.

    Raises ``ValueError`` naming *field* for anything else.
    """
    if isinstance(value, (_dt.date, pd.Timestamp)):
        return pd.Timestamp(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{field}: {value!r} is not an ISO date (expected YYYY-MM-DD)")
    try:
        return pd.Timestamp(_dt.date.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"{field}: {value!r} is not a real date ({exc})") from None


def _year_month(ts):
    """(year, month) of a scalar date/Period, or arrays of them for an Index."""
    if isinstance(ts, (pd.DatetimeIndex, pd.PeriodIndex)):
        return np.asarray(ts.year), np.asarray(ts.month)
    if isinstance(ts, pd.Index):
        idx = pd.DatetimeIndex(
            pd.to_datetime([x.to_timestamp() if isinstance(x, pd.Period) else x for x in ts])
        )
        return np.asarray(idx.year), np.asarray(idx.month)
    if isinstance(ts, pd.Period):
        return ts.year, ts.month
    t = pd.Timestamp(ts)
    return t.year, t.month


def financial_year_start(ts):
    """Calendar year in which the financial year containing *ts* starts.

    Works on a scalar (date, Timestamp, Period, ISO string), a Series of timestamps
    (returns a Series) or a DatetimeIndex/PeriodIndex (returns a numpy array).
    """
    if isinstance(ts, pd.Series):
        return (ts.dt.year - (ts.dt.month < 4).astype(int)).astype("int64")
    year, month = _year_month(ts)
    if isinstance(year, np.ndarray):
        return (year - (month < 4)).astype("int64")
    return year - (1 if month < 4 else 0)


def fy_label(start_year: int, sep: str = "-") -> str:
    """``2011 -> "2011-12"`` (``sep="/"`` gives the Home Office's ``"2011/12"``)."""
    return f"{start_year}{sep}{(start_year + 1) % 100:02d}"


def financial_year(ts) -> pd.Series | str:
    """Financial-year label (``"2011-12"``) for a timestamp or Series of timestamps."""
    start = financial_year_start(ts)
    if isinstance(start, pd.Series):
        return start.map(fy_label)
    if isinstance(start, np.ndarray):
        return np.array([fy_label(int(y)) for y in start], dtype=object)
    return fy_label(start)


def financial_month(ts):
    """Month of the financial year, 1..12 (1 = April, 12 = March).

    Same inputs and return types as :func:`financial_year_start`.
    """
    if isinstance(ts, pd.Series):
        return ((ts.dt.month - 4) % 12 + 1).astype("int64")
    _, month = _year_month(ts)
    if isinstance(month, np.ndarray):
        return ((month - 4) % 12 + 1).astype("int64")
    return (month - 4) % 12 + 1


def financial_quarter(ts) -> pd.Series | int:
    """Financial quarter 1..4 (Q1 = April-June) for a timestamp, Series or Index."""
    if isinstance(ts, pd.Series):
        return (((ts.dt.month - 4) % 12) // 3 + 1).astype("int64")
    _, month = _year_month(ts)
    if isinstance(month, np.ndarray):
        return (((month - 4) % 12) // 3 + 1).astype("int64")
    return ((month - 4) % 12) // 3 + 1


def parse_fy_label(label: str) -> int:
    """``"2011-12"``, ``"2011/12"`` or ``"2011/2012"`` -> 2011 (the start year).

    Raises ``ValueError`` when the label is not a consecutive pair of years.
    """
    m = _FY_RE.match(str(label).strip())
    if not m:
        raise ValueError(f"{label!r} is not a financial year (expected e.g. '2011-12')")
    start = int(m.group(1))
    end = m.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    if end_year != start + 1 and not (len(end) == 2 and int(end) == (start + 1) % 100):
        raise ValueError(f"{label!r} is not a financial year (years are not consecutive)")
    return start


def fy_bounds(start_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Inclusive first and last day of the financial year starting in *start_year*."""
    return pd.Timestamp(start_year, 4, 1), pd.Timestamp(start_year + 1, 3, 31)


@dataclass(frozen=True)
class Period:
    """An inclusive date range, e.g. a baseline year or a target year.

    Attributes
    ----------
    start, end : pandas.Timestamp
        Inclusive bounds (dates, no time).
    """

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def from_strings(cls, start: str, end: str, *, field: str = "period") -> Period:
        s = parse_iso_date(start, field=f"{field}.start")
        e = parse_iso_date(end, field=f"{field}.end")
        if e < s:
            raise ValueError(f"{field}: end {end} is before start {start}")
        return cls(s, e)

    @classmethod
    def financial_year(cls, label_or_start: str | int) -> Period:
        start = (
            label_or_start if isinstance(label_or_start, int) else parse_fy_label(label_or_start)
        )
        return cls(*fy_bounds(start))

    @property
    def months(self) -> pd.PeriodIndex:
        """Every calendar month touched by the period."""
        return pd.period_range(self.start.to_period("M"), self.end.to_period("M"), freq="M")

    @property
    def n_months(self) -> int:
        return len(self.months)

    @property
    def label(self) -> str:
        """FY label if the period is exactly one financial year, else ``start to end``."""
        fy = financial_year_start(self.start)
        if (self.start, self.end) == fy_bounds(fy):
            return fy_label(fy)
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def contains(self, ts) -> bool | pd.Series:
        if isinstance(ts, pd.Series):
            return (ts >= self.start) & (ts <= self.end)
        ts = pd.Timestamp(ts)
        return bool(self.start <= ts <= self.end)

    def as_dict(self) -> dict[str, str]:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}"}


def missing_months(observed, expected: pd.PeriodIndex) -> list[str]:
    """Months in *expected* that are absent from *observed* (as ``YYYY-MM`` strings).

    A missing month is reported, never filled with zero.
    """
    seen = {pd.Period(m, freq="M") for m in observed}
    return [str(m) for m in expected if m not in seen]
