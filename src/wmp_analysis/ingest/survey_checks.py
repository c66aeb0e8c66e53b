"""Checks both survey contracts use: a failing row named, whole numbers, known categories."""

from __future__ import annotations

import pandas as pd

from wmp_analysis.errors import UnknownCategoryError, ValueFormatError
from wmp_analysis.ingest.survey_categories import _norm


def _fail_where(
    df: pd.DataFrame, bad: pd.Series, col: str, path, msg: str, expected: str, cls=ValueFormatError
):
    if bool(bad.any()):
        i = bad.idxmax()
        raise cls(
            f"{df.at[i, col]!r} {msg}",
            path=path,
            row=int(df.at[i, "_line"]),
            field=col,
            expected=expected,
        )


def _ints(df: pd.DataFrame, col: str, path, *, allow_blank: bool = False) -> pd.Series:
    raw = df[col].str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    blank = raw == ""
    bad = (num.isna() & ~(blank & allow_blank)) | (num.notna() & (num.round() != num))
    _fail_where(
        df,
        bad,
        col,
        path,
        "is not a whole number",
        "an integer" + (" or blank" if allow_blank else ""),
    )
    return num.astype("Int64") if allow_blank else num.astype("int64")


def _category(df, col, path, allowed, *, canonical=None) -> pd.Series:
    """Case-insensitive match against *allowed*; returns the canonical spelling."""
    lookup = {_norm(a): a for a in allowed}
    lookup.update(canonical or {})
    uniq = {v: lookup.get(_norm(v)) for v in df[col].unique()}
    out = df[col].map(uniq)
    _fail_where(
        df,
        out.isna(),
        col,
        path,
        "is not a known value",
        "one of " + ", ".join(allowed),
        cls=UnknownCategoryError,
    )
    return out.astype("str")
