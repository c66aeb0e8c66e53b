"""Stop-and-search after concatenation: date-times, self-defined group, booleans, the force."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.errors import ValueFormatError
from wmp_analysis.ingest.arrowtools import map_strings
from wmp_analysis.ingest.police_uk.schema import _FIELD, _STR, _no_rejections
from wmp_analysis.ingest.police_uk_reference import load_value_table


def _parse_bool(df: pd.DataFrame, name: str, rej: list) -> pd.Series:
    s = df[name]
    lowered = s.str.strip().str.lower()
    is_true = (lowered == "true").fillna(False).to_numpy(dtype=bool)
    is_false = (lowered == "false").fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.arrays.BooleanArray(is_true, ~(is_true | is_false)), index=s.index)
    bad = s.notna() & ~lowered.isin(["true", "false"])
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"{s[i]!r} is not True/False",
            path=df.at[i, "source_file"],
            row=int(df.at[i, "_line"]),
            field=_FIELD[name],
            expected="True, False or empty",
        )
    return out


def _finish_stop_search(df: pd.DataFrame, force: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rej: list[pd.DataFrame] = []
    text = df["date_text"]
    if text.isna().any():
        i = text.isna().idxmax()
        raise ValueFormatError(
            "missing date",
            path=df.at[i, "source_file"],
            row=int(df.at[i, "_line"]),
            field="Date",
            expected="an ISO date-time, e.g. 2015-10-01T14:30:00+01:00",
        )
    has_tz = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    dt = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if has_tz.any():
        aware = pd.to_datetime(text[has_tz], format="ISO8601", utc=True, errors="coerce")
        dt[has_tz] = (
            aware.dt.tz_convert("Europe/London").dt.tz_localize(None).astype("datetime64[ns]")
        )
    if (~has_tz).any():
        dt[~has_tz] = pd.to_datetime(text[~has_tz], format="ISO8601", errors="coerce").astype(
            "datetime64[ns]"
        )
    if dt.isna().any():
        i = dt.isna().idxmax()
        raise ValueFormatError(
            f"{text[i]!r} is not a date-time",
            path=df.at[i, "source_file"],
            row=int(df.at[i, "_line"]),
            field="Date",
            expected="an ISO date-time, e.g. 2015-10-01T14:30:00+01:00",
        )
    df = df.assign(datetime=dt)
    # self-defined ethnicity -> group (every value is in the table: unknown rows were
    # rejected per file; the blank row's group is "Not stated")
    fv = load_value_table()[("stop-and-search", "Self-defined ethnicity")]
    group = map_strings(df["self_defined_ethnicity"], fv.groups)
    group[df["self_defined_ethnicity"].isna()] = fv.blank_group
    unknown = group.isna().to_numpy()
    if unknown.any():  # pragma: no cover - defensive (checked per file)
        rej.append(
            _rej(
                df,
                unknown,
                "self_defined_ethnicity",
                "Self-defined ethnicity",
                "self-defined ethnicity not in police_uk_values.csv",
            )
        )
    df = df.assign(self_defined_group=group)
    outside = (
        df["datetime"].dt.to_period("M").astype(str) != df["file_month"]
    ).to_numpy() & ~unknown
    if outside.any():
        rej.append(_rej(df, outside, "date_text", "Date", "date outside the month of the file"))
    keep = ~(unknown | outside)
    df = df.loc[keep]
    out = df.assign(
        part_of_policing_operation=_parse_bool(df, "part_of_policing_operation", rej),
        outcome_linked_to_object=_parse_bool(df, "outcome_linked_to_object", rej),
        removal_of_more_than_outer_clothing=_parse_bool(
            df, "removal_of_more_than_outer_clothing", rej
        ),
        force=pd.Series(force, index=df.index, dtype=_STR),
    )
    return out, (pd.concat(rej, ignore_index=True) if rej else _no_rejections())


def _rej(
    df: pd.DataFrame, mask: np.ndarray, col: str, field_name: str, reason: str
) -> pd.DataFrame:
    sub = df.loc[mask]
    return pd.DataFrame(
        {
            "path": sub["source_file"].astype(_STR).to_numpy(),
            "line": sub["_line"].astype("int64").to_numpy(),
            "field": pd.array([field_name] * len(sub), dtype=_STR),
            "value": sub[col].astype(_STR).fillna("").to_numpy(),
            "reason": pd.array([reason] * len(sub), dtype=_STR),
        }
    )
