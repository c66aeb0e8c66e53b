"""2021 Census ethnic group by single year of age by local authority (``census.csv`` layout).

A PROXY denominator for stop-and-search rates by age (the 2011 Census has no such table at
LA level; see :data:`wmp_analysis.analysis.stopsearch.DENOMINATOR_NOTE`). The ingest reads it
from the config key ``sources.census_age_ethnicity_2021`` into the processed table
:data:`TABLE`; :func:`load_census2021_age_ethnicity` gives it back from processed data.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.errors import SchemaError, ValueFormatError
from wmp_analysis.ingest.textio import decode_utf8, read_bytes

#: Config key of the source.
SOURCE_KEY = "census_age_ethnicity_2021"
#: Name of the processed table.
TABLE = "census2021_age_ethnicity"
#: Census day of the 2021 Census.
CENSUS_DAY = "2021-03-21"

_C21_FIXED = ["Geography Code", "Geography Name", "Age"]
_C21_GROUP_PREFIX = (
    ("Asian", "Asian"),
    ("Black", "Black"),
    ("Mixed", "Mixed"),
    ("White", "White"),
    ("Other ethnic group", "Other"),
)


def read_census2021_age_ethnicity(path: str | Path) -> pd.DataFrame:
    """2021 Census ethnic group (19 categories) by single year of age by local authority.

    A PROXY denominator for 2011-16 searches by age (see
    :data:`wmp_analysis.analysis.stopsearch.DENOMINATOR_NOTE`).

    Parameters
    ----------
    path : path-like
        ``census.csv`` / ``census.csv.gz``: ``Geography Code, Geography Name, Age``
        (0 .. 99, ``"100 or over"``) then 19 ethnic-group columns named
        ``"<group heading>: <category>"``.

    Returns
    -------
    DataFrame
        Long: ``geography_code, geography, age`` (int64; 100 = 100 or over),
        ``category`` (column heading), ``group`` (White/Mixed/Asian/Black/Other),
        ``count`` (Int64 usual residents, Census day 21 March 2021; ONS rounds
        to the nearest 5 and suppresses small cells as ``"c"``: those are NA,
        never zero).

    Raises
    ------
    SchemaError, ValueFormatError, EncodingError, ArchiveError
    """
    path = Path(path)
    text = decode_utf8(read_bytes(path), path)
    if not text.strip():
        raise SchemaError(
            "file is empty",
            path=path,
            row=1,
            expected="a header Geography Code,Geography Name,Age,...",
        )
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    cols = [c.strip() for c in df.columns]
    if cols[:3] != _C21_FIXED or len(cols) != 22:
        raise SchemaError(
            f"unexpected header {cols[:4]}...",
            path=path,
            row=1,
            expected=f"columns {_C21_FIXED} then 19 ethnic-group counts",
        )
    df.columns = cols
    groups = {}
    for c in cols[3:]:
        g = next((grp for pre, grp in _C21_GROUP_PREFIX if c.startswith(pre)), None)
        if g is None:
            raise SchemaError(
                f"column {c!r} is not an ethnic group",
                path=path,
                row=1,
                field=c,
                expected="headings starting Asian/Black/Mixed/White/Other ethnic group",
            )
        groups[c] = g
    age_txt = df["Age"].str.strip().str.replace(" or over", "", regex=False)
    age = pd.to_numeric(age_txt, errors="coerce")
    if age.isna().any():
        i = int(np.argmax(age.isna().to_numpy()))
        raise ValueFormatError(
            f"{df['Age'].iloc[i]!r} is not an age",
            path=path,
            row=i + 2,
            field="Age",
            expected="0..99 or '100 or over'",
        )
    long = df.melt(id_vars=_C21_FIXED, var_name="category", value_name="count")
    raw = long["count"].str.strip()
    cnt = pd.to_numeric(raw.where(raw != "c"), errors="coerce")
    bad = (cnt.isna() & (raw != "c")) | (cnt < 0)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ValueFormatError(
            f"{long['count'].iloc[i]!r} is not a count",
            path=path,
            row=int(i % len(df)) + 2,
            field=str(long["category"].iloc[i]),
            expected="a count >= 0",
        )
    return pd.DataFrame(
        {
            "geography_code": long["Geography Code"].astype("str"),
            "geography": long["Geography Name"].astype("str"),
            "age": np.tile(age.to_numpy(dtype="int64"), len(cols) - 3),
            "category": long["category"].astype("str"),
            "group": long["category"].map(groups).astype("str"),
            "count": cnt.astype("Int64"),
        }
    )


def load_census2021_age_ethnicity(processed: Any) -> pd.DataFrame | None:
    """The table :func:`read_census2021_age_ethnicity` read, from processed data.

    Parameters
    ----------
    processed : ProcessedData or None
        :func:`wmp_analysis.ingest.pipeline.load_processed` of the config (``None`` when
        there are no processed data).

    Returns
    -------
    DataFrame or None
        The columns of :func:`read_census2021_age_ethnicity` (the ingest's ``synthetic``
        column left out), or ``None`` when the source was not supplied (or not ingested):
        the caller says so, never a table of zeros.
    """
    if processed is None or not processed.has(TABLE):
        return None
    df = processed.table(TABLE)
    return df.drop(columns=["synthetic"], errors="ignore")
