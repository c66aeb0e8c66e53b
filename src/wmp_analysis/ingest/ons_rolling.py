"""The ONS rolling-year CSV (``rec-crime-pfa.csv``): one row per period end, force and offence.

Read with the exact header check of :func:`~wmp_analysis.ingest.textio.read_csv_strict`;
dates ``dd-mm-yyyy`` (snapped to the month end, the text kept as published), counts that
may be negative (adjustments), forces and offence groups matched to the known names.
"""

from __future__ import annotations

import pandas as pd

from wmp_analysis.errors import UnknownCategoryError, ValueFormatError, shorten
from wmp_analysis.ingest.ons_offences import KNOWN_OFFENCES
from wmp_analysis.ingest.textio import parse_int_column, read_csv_strict
from wmp_analysis.names import force_index, match_name, normalise_name

#: The rolling file's header, exactly.
COLUMNS = ["12 months ending", "PFA", "Region", "Offence", "Rolling year total number of offences"]


#: Output columns, in order (both layouts: the wide reader gives this table too).
OUTPUT_COLUMNS = ["period_end", "date_as_published", "force", "region", "offence", "count", "line"]


def _canonical(
    values: pd.Series, lines: pd.Series, known, *, what: str, path, field: str
) -> pd.Series:
    """Map each distinct value to its known canonical name (first failing line named)."""
    mapping: dict[str, str] = {}
    for value in pd.unique(values):
        i = int((values == value).to_numpy().argmax())
        mapping[value] = match_name(
            value, known, what=what, path=path, row=int(lines.iloc[i]), field=field
        )
    return values.map(mapping)


def read_rolling(path, text: str) -> tuple[pd.DataFrame, dict]:
    """Read the rolling-year CSV *text* (of file *path*) into the tidy table.

    Parameters
    ----------
    path : path-like
        The file, for messages.
    text : str
        Its decoded text.

    Returns
    -------
    (DataFrame, dict)
        :data:`OUTPUT_COLUMNS` (``count``: offences recorded in the 12 months ending
        ``period_end``, negative where the ONS made adjustments; ``line``: header = 1),
        in file order, and the attrs ``{"layout": "rolling"}``.

    Raises
    ------
    SchemaError, ValueFormatError, UnknownForceError, UnknownCategoryError
    """
    df = read_csv_strict(path, COLUMNS, text=text)
    dates = pd.to_datetime(df["12 months ending"], format="%d-%m-%Y", errors="coerce")
    if dates.isna().any():
        i = dates.isna().idxmax()
        raise ValueFormatError(
            f"{shorten(df.at[i, '12 months ending'])} is not a date",
            path=path,
            row=int(df.at[i, "_line"]),
            field="12 months ending",
            expected="dd-mm-yyyy",
        )
    counts = parse_int_column(
        df, "Rolling year total number of offences", path, allow_negative=True
    )
    force = _canonical(df["PFA"], df["_line"], force_index(), what="force", path=path, field="PFA")
    try:
        offence = _canonical(
            df["Offence"], df["_line"], KNOWN_OFFENCES, what="offence", path=path, field="Offence"
        )
    except UnknownCategoryError as exc:  # say where a genuinely new ONS group would be added
        raise UnknownCategoryError(
            exc.message,
            path=exc.path,
            row=exc.row,
            field=exc.field,
            expected=f"{exc.expected}; a new ONS offence group is added to data/raw/reference/ons_offence_columns.csv",
        ) from None
    for value in pd.unique(
        df["Region"]
    ):  # the region is kept as published; a control character is an error
        i = int((df["Region"] == value).to_numpy().argmax())
        normalise_name(value, path=path, row=int(df["_line"].iloc[i]), field="Region")
    out = pd.DataFrame(
        {
            "period_end": dates + pd.offsets.MonthEnd(0),
            "date_as_published": df["12 months ending"].astype(str),
            "force": force.astype(str),
            "region": df["Region"].str.strip(),
            "offence": offence.astype(str),
            "count": counts,
            "line": df["_line"].astype("int64"),
        }
    )
    return out[OUTPUT_COLUMNS], {"layout": "rolling"}
