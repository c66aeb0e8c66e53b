"""The aggregated survey contract: one row per group, measure and period (published tables).

:func:`validate_aggregated` checks every column of the table ``read_csv_strict`` gives
(``docs/survey_contract.md``) and returns the typed table of
:func:`~wmp_analysis.ingest.survey.read_survey`, column by column in the header's order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wmp_analysis.errors import DuplicatePeriodError
from wmp_analysis.ingest.survey_categories import MEASURES
from wmp_analysis.ingest.survey_checks import _category, _fail_where, _ints


def _group_and_measure(df: pd.DataFrame, path) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Group type and group (neither blank) and a known measure."""
    gtype = df["group_type"].str.strip()
    _fail_where(
        df,
        gtype == "",
        "group_type",
        path,
        "is blank",
        "a grouping such as all, ethnic_group, bme, age_band, district",
    )
    group = df["group"].str.strip()
    _fail_where(
        df, group == "", "group", path, "is blank", "a group label (use 'All' for everyone)"
    )
    measure = _category(df, "measure", path, list(MEASURES))
    return gtype, group, measure


def _period(df: pd.DataFrame, path) -> tuple[pd.Series, pd.Series]:
    """``period_start`` and ``period_end`` (ISO dates, inclusive, end not before start)."""
    starts, ends = [], []
    for col, store in (("period_start", starts), ("period_end", ends)):
        d = pd.to_datetime(df[col].str.strip(), format="%Y-%m-%d", errors="coerce")
        _fail_where(df, d.isna(), col, path, "is not a date", "an ISO date YYYY-MM-DD")
        store.append(d)
    start, end = starts[0], ends[0]
    _fail_where(
        df, end < start, "period_end", path, "is before period_start", "period_end >= period_start"
    )
    return start, end


def _counts(df: pd.DataFrame, path) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``base_n`` >= 1, ``0 <= n_positive <= base_n`` and a proportion in 0..1 (or NaN)."""
    base = _ints(df, "base_n", path)
    _fail_where(
        df,
        base <= 0,
        "base_n",
        path,
        "is not a positive count",
        "base_n >= 1 (unweighted respondents)",
    )
    npos = _ints(df, "n_positive", path)
    _fail_where(
        df,
        (npos < 0) | (npos > base),
        "n_positive",
        path,
        "is outside 0..base_n",
        "0 <= n_positive <= base_n",
    )
    wp_txt = df["weighted_proportion"].str.strip()
    wp = pd.to_numeric(wp_txt, errors="coerce")
    _fail_where(
        df,
        (wp_txt != "") & (wp.isna() | (wp < 0) | (wp > 1)),
        "weighted_proportion",
        path,
        "is not a proportion",
        "a number in 0..1 or blank",
    )
    return base, npos, wp


def validate_aggregated(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Check and type an aggregated (published) survey table.

    Parameters
    ----------
    df : DataFrame
        The file as text columns with ``_line`` (``read_csv_strict``);
        ``weighted_proportion`` may be missing (then NaN).
    path : Path
        The file, for messages.

    Returns
    -------
    DataFrame
        ``group_type, group, measure, period_start, period_end`` (datetime64,
        inclusive), ``base_n, n_positive`` (int64, unweighted respondents),
        ``weighted_proportion`` (float64 in 0..1 or NaN), ``line``.

    Raises
    ------
    ValueFormatError, UnknownCategoryError
        The first bad value, naming its line and column.
    DuplicatePeriodError
        Two rows for one group type, group, measure and period.
    """
    if "weighted_proportion" not in df.columns:
        df["weighted_proportion"] = ""
    gtype, group, measure = _group_and_measure(df, path)
    start, end = _period(df, path)
    base, npos, wp = _counts(df, path)
    out = pd.DataFrame(
        {
            "group_type": gtype.astype("str"),
            "group": group.astype("str"),
            "measure": measure,
            "period_start": start,
            "period_end": end,
            "base_n": base,
            "n_positive": npos,
            "weighted_proportion": wp.astype("float64"),
            "line": df["_line"].astype("int64"),
        }
    )
    dup = out.duplicated(
        ["group_type", "group", "measure", "period_start", "period_end"], keep="first"
    )
    if dup.any():
        i = dup.idxmax()
        raise DuplicatePeriodError(
            f"second row for {out.at[i, 'group_type']}/{out.at[i, 'group']}/{out.at[i, 'measure']} "
            "in the same period",
            path=path,
            row=int(out.at[i, "line"]),
            field="group",
            expected="one row per group_type, group, measure and period",
        )
    return out.reset_index(drop=True)
