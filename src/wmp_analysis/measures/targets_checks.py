"""Column checks of the registry and measures readers: each bad value named by line and field.

Every check raises :class:`~wmp_analysis.errors.ValueFormatError` (or the class given) with
the file, the line (the reader's ``_line`` column), the field, the value and what was expected.
"""

from __future__ import annotations

import pandas as pd

from wmp_analysis.errors import ValueFormatError
from wmp_analysis.periods import fy_label, parse_fy_label


def _bool(df: pd.DataFrame, col: str, path) -> pd.Series:
    raw = df[col].str.strip().str.lower()
    bad = ~raw.isin(["true", "false"])
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"{df.at[i, col]!r} is not a boolean",
            path=path,
            row=int(df.at[i, "_line"]),
            field=col,
            expected="true or false",
        )
    return (raw == "true").astype(bool)


def _float(df: pd.DataFrame, col: str, path) -> pd.Series:
    raw = df[col].str.strip()
    num = pd.to_numeric(raw.where(raw != "", None), errors="coerce")
    bad = (raw != "") & num.isna()
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"{df.at[i, col]!r} is not a number",
            path=path,
            row=int(df.at[i, "_line"]),
            field=col,
            expected="a number such as -5 or 88 (no % sign), or blank",
        )
    return num.astype("float64")


def _err(df, i, col, msg, expected, path, cls=ValueFormatError):
    return cls(msg, path=path, row=int(df.at[i, "_line"]), field=col, expected=expected)


def _check_in(df: pd.DataFrame, col: str, allowed, path, *, allow_blank: bool = False) -> None:
    vals = df[col].str.strip()
    ok = vals.isin(list(allowed)) | ((vals == "") if allow_blank else False)
    if not ok.all():
        i = (~ok).idxmax()
        raise _err(
            df,
            i,
            col,
            f"{df.at[i, col]!r} is not allowed",
            "one of " + ", ".join(allowed) + (" or blank" if allow_blank else ""),
            path,
        )


def _fy(df: pd.DataFrame, col: str, path) -> pd.Series:
    out = []
    for i, v in df[col].str.strip().items():
        if v == "":
            out.append("")
            continue
        try:
            label = fy_label(parse_fy_label(v))
        except ValueError:
            label = None
        if label != v:
            raise _err(
                df, i, col, f"{v!r} is not a financial-year label", "e.g. '2011-12' or blank", path
            )
        out.append(v)
    return pd.Series(out, index=df.index, dtype="str")


def _split(text: str) -> list[str]:
    return [p.strip() for p in str(text).split(";") if p.strip()]
