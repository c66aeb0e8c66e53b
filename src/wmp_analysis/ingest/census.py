"""2011 Census ethnic group, mid-year population totals and geography lookups.

Readers
-------
read_census_ethnicity_la     2011 Census QS201EW by local authority (Nomis CSV layout)
read_census_ethnicity_force  the same 18 categories summed by police force area
read_population              ONS mid-year population totals, wide by year -> long
read_lsoa_lookup             LSOA 2011 -> ward -> local authority district (ONS Open Geography)
read_lad_lookup              LAD -> Community Safety Partnership -> police force area
force_districts              the districts of one force, from the LAD lookup

(the lookups are in :mod:`wmp_analysis.ingest.lookups`, re-exported here)

Every reader checks the header exactly (a UTF-8 byte-order mark is accepted), and
raises an :class:`~wmp_analysis.errors.InputError` subclass naming the file, line
and field for anything unexpected. Counts are persons (usual residents on census
day, 27 March 2011; or mid-year estimates at 30 June).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import (
    DuplicatePeriodError,
    SchemaError,
    ValueFormatError,
)
from wmp_analysis.ingest.lookups import (  # noqa: F401 - re-exported (callers import them from here)
    LAD_OUTPUT_COLUMNS,
    LSOA_OUTPUT_COLUMNS,
    _check_names,
    _norm_or_none,
    force_districts,
    read_lad_lookup,
    read_lsoa_lookup,
)
from wmp_analysis.ingest.textio import (
    decode_utf8,
    header_fields,
    normalise_newlines,
    parse_int_column,
    read_bytes,
    read_csv_strict,
)
from wmp_analysis.names import force_index, match_name

# --------------------------------------------------------------------------- census

#: The 24 QS201EW count columns, in file order: (column label, group, category,
#: is_group_total). ``category`` is a short clean name; for totals it equals the group.
ETHNICITY_COLUMNS: list[tuple[str, str, str, bool]] = [
    ("All categories: Ethnic group", "All", "All", True),
    ("White", "White", "White", True),
    ("White: English/Welsh/Scottish/Northern Irish/British", "White", "White British", False),
    ("White: Irish", "White", "White Irish", False),
    ("White: Gypsy or Irish Traveller", "White", "Gypsy or Irish Traveller", False),
    ("White: Other White", "White", "Other White", False),
    ("Mixed", "Mixed", "Mixed", True),
    (
        "Mixed/multiple ethnic group: White and Black Caribbean",
        "Mixed",
        "White and Black Caribbean",
        False,
    ),
    (
        "Mixed/multiple ethnic group: White and Black African",
        "Mixed",
        "White and Black African",
        False,
    ),
    ("Mixed/multiple ethnic group: White and Asian", "Mixed", "White and Asian", False),
    ("Mixed/multiple ethnic group: Other Mixed", "Mixed", "Other Mixed", False),
    ("Asian", "Asian", "Asian", True),
    ("Asian/Asian British: Indian", "Asian", "Indian", False),
    ("Asian/Asian British: Pakistani", "Asian", "Pakistani", False),
    ("Asian/Asian British: Bangladeshi", "Asian", "Bangladeshi", False),
    ("Asian/Asian British: Chinese", "Asian", "Chinese", False),
    ("Asian/Asian British: Other Asian", "Asian", "Other Asian", False),
    ("Black", "Black", "Black", True),
    ("Black/African/Caribbean/Black British: African", "Black", "African", False),
    ("Black/African/Caribbean/Black British: Caribbean", "Black", "Caribbean", False),
    ("Black/African/Caribbean/Black British: Other Black", "Black", "Other Black", False),
    ("Other", "Other", "Other", True),
    ("Other ethnic group: Arab", "Other", "Arab", False),
    ("Other ethnic group: Any other ethnic group", "Other", "Any other ethnic group", False),
]
#: The five census groups, in publication order.
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
#: The 18 census categories (short names), in publication order.
ETHNIC_CATEGORIES = tuple(c for _, _, c, tot in ETHNICITY_COLUMNS if not tot)

_VALUE_COLUMNS = [f"Ethnic Group: {label}; measures: Value" for label, *_ in ETHNICITY_COLUMNS]
#: Header of ``la-ethnic-groups.csv`` (Nomis QS201EW download, 28 columns).
LA_ETHNICITY_COLUMNS = ["date", "geography", "geography code", "Rural Urban", *_VALUE_COLUMNS]
#: Header of ``force-demographics.csv`` (QS201EW summed by PFA16NM, 25 columns).
FORCE_ETHNICITY_COLUMNS = ["PFA16NM", *_VALUE_COLUMNS]

CENSUS_OUTPUT_COLUMNS = [
    "geography_code",
    "geography",
    "level",
    "group",
    "category",
    "is_group_total",
    "count",
]


def _check_census_sums(counts: dict[str, pd.Series], df: pd.DataFrame, path) -> None:
    """Group totals must equal the sum of their categories; All the sum of the groups."""
    cols = {label: _VALUE_COLUMNS[i] for i, (label, *_) in enumerate(ETHNICITY_COLUMNS)}
    for group in ETHNIC_GROUPS:
        total_label = next(lab for lab, g, _c, t in ETHNICITY_COLUMNS if t and g == group)
        parts = [lab for lab, g, _c, t in ETHNICITY_COLUMNS if not t and g == group]
        s = sum(counts[cols[p]] for p in parts)
        bad = s != counts[cols[total_label]]
        if bad.any():
            i = bad.idxmax()
            raise ValueFormatError(
                f"{group} total {int(counts[cols[total_label]][i])} differs from the sum of its "
                f"categories {int(s[i])}",
                path=path,
                row=int(df.at[i, "_line"]),
                field=cols[total_label],
                expected="group total = sum of its categories",
            )
    all_col = cols["All categories: Ethnic group"]
    s = sum(counts[cols[g]] for g in ETHNIC_GROUPS)
    bad = s != counts[all_col]
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"All categories {int(counts[all_col][i])} differs from the sum of the five groups {int(s[i])}",
            path=path,
            row=int(df.at[i, "_line"]),
            field=all_col,
            expected="All = White+Mixed+Asian+Black+Other",
        )


def _tidy_ethnicity(
    df: pd.DataFrame, codes: pd.Series, names: pd.Series, level: str, path
) -> pd.DataFrame:
    counts = {c: parse_int_column(df, c, path) for c in _VALUE_COLUMNS}
    _check_census_sums(counts, df, path)
    dup = names.duplicated(keep=False) if level == "pfa" else codes.duplicated(keep=False)
    if dup.any():
        lines = df.loc[dup, "_line"].tolist()
        raise DuplicatePeriodError(
            f"geography {names[dup].iloc[0]!r} appears twice (lines {lines[0]} and {lines[1]})",
            path=path,
            row=int(lines[1]),
            field="geography",
            expected="one row per geography",
        )
    frames = []
    for (_label, group, category, total), col in zip(ETHNICITY_COLUMNS, _VALUE_COLUMNS):
        frames.append(
            pd.DataFrame(
                {
                    "geography_code": codes.values,
                    "geography": names.values,
                    "level": level,
                    "group": group,
                    "category": category,
                    "is_group_total": total,
                    "count": counts[col].values,
                    "_order": range(len(df)),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    order = {c: i for i, (_, _, c, _) in enumerate(ETHNICITY_COLUMNS)}
    out["_cat"] = out["category"].map(order)
    out = out.sort_values(["_order", "_cat"], kind="mergesort").drop(columns=["_order", "_cat"])
    out["count"] = out["count"].astype("int64")
    out["is_group_total"] = out["is_group_total"].astype(bool)
    for c in ("geography_code", "geography", "level", "group", "category"):
        out[c] = out[c].astype("str")
    return out[CENSUS_OUTPUT_COLUMNS].reset_index(drop=True)


def read_census_ethnicity_la(path: str | Path) -> pd.DataFrame:
    """2011 Census ethnic group (QS201EW) by local authority, tidy.

    Parameters
    ----------
    path : path-like
        ``la-ethnic-groups.csv``: the Nomis download of QS201EW, 28 quoted columns
        (``date, geography, geography code, Rural Urban`` and 24 ``Ethnic Group: ...;
        measures: Value`` counts). Only ``Rural Urban == "Total"`` rows are accepted.

    Returns
    -------
    DataFrame
        One row per geography and census line (24 per geography):
        ``geography_code`` (str, ONS code), ``geography`` (str, name), ``level``
        (``"lad"``), ``group`` (White/Mixed/Asian/Black/Other, or ``"All"``),
        ``category`` (one of :data:`ETHNIC_CATEGORIES`; equals ``group`` on a group
        total), ``is_group_total`` (bool), ``count`` (int64, usual residents on
        27 March 2011).

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError, DuplicatePeriodError
        ValueFormatError also when a group total differs from the sum of its
        categories, or All from the sum of the groups (naming the line).
    """
    df = read_csv_strict(path, LA_ETHNICITY_COLUMNS)
    ru = df["Rural Urban"].str.strip()
    bad = ru != "Total"
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"Rural Urban is {df.at[i, 'Rural Urban']!r}",
            path=path,
            row=int(df.at[i, "_line"]),
            field="Rural Urban",
            expected="'Total' (download the table without a rural/urban split)",
        )
    _check_names(df, "geography", path)
    return _tidy_ethnicity(
        df, df["geography code"].str.strip(), df["geography"].str.strip(), "lad", path
    )


def read_census_ethnicity_force(
    path: str | Path, *, pfa_codes: dict[str, str] | None = None
) -> pd.DataFrame:
    """2011 Census ethnic group by police force area (``force-demographics.csv``), tidy.

    Parameters
    ----------
    path : path-like
        ``PFA16NM`` followed by the same 24 count columns as the LA file.
    pfa_codes : dict, optional
        PFA name -> code (e.g. from :func:`read_lad_lookup`); the file itself has no
        codes, so ``geography_code`` is ``""`` for forces not in this mapping. Names
        on both sides are matched after normalisation and the spellings listed in
        ``data/raw/reference/forces.csv`` (``Devon & Cornwall`` = ``Devon and Cornwall``).

    Returns
    -------
    DataFrame
        As :func:`read_census_ethnicity_la`, with ``level == "pfa"``; ``geography``
        is the force's reference name (``Avon & Somerset`` in the file reads as
        ``Avon and Somerset``, ``Metropolitan`` as ``Metropolitan Police``).

    Raises
    ------
    UnknownForceError
        A ``PFA16NM`` that is not one of the 43 police force areas (with the
        nearest names); ValueFormatError for a control character in a name.
    """
    df = read_csv_strict(path, FORCE_ETHNICITY_COLUMNS)
    index = force_index(("pfa",))
    mapping: dict[str, str] = {}
    for value in pd.unique(df["PFA16NM"]):
        i = int((df["PFA16NM"] == value).to_numpy().argmax())
        mapping[value] = match_name(
            value, index, what="force", path=path, row=int(df["_line"].iloc[i]), field="PFA16NM"
        )
    names = df["PFA16NM"].map(mapping).astype("str")
    # codes by force, whatever spelling the lookup uses ("Devon & Cornwall" or "Devon and Cornwall")
    by_force = {
        index[k]: c for n, c in (pfa_codes or {}).items() if (k := _norm_or_none(n)) in index
    }
    codes = names.map(lambda n: by_force.get(n, "")).astype("str")
    return _tidy_ethnicity(df, codes, names, "pfa", path)


# ------------------------------------------------------------------------ population

_POP_FIXED = ["Name", "PFA", "Geography"]
_MID_RE = re.compile(r"^Mid-(\d{4})$")


def _population_table(path, text: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The file read strictly, its header (without a trailing empty column) and its mid-years.

    The header must be ``Name,PFA,Geography`` then ``Mid-YYYY`` columns, optionally with one
    empty last column, which must then be empty on every line.
    """
    header = header_fields(text)
    trailing = bool(header) and header[-1] == ""
    body = header[:-1] if trailing else header
    years = [m.group(1) for m in (_MID_RE.match(h) for h in body[3:]) if m]
    if body[:3] != _POP_FIXED or not years or len(years) != len(body) - 3:
        raise SchemaError(
            f"wrong header {header}",
            path=path,
            row=1,
            expected="Name,PFA,Geography followed by Mid-YYYY columns (and optionally one empty column)",
        )
    expected = body + (["_trailing"] if trailing else [])
    if trailing:
        # give the empty trailing column a name for the strict reader; line numbers unchanged
        first, sep, rest = text.partition("\n")
        text = (
            first.rstrip("\r") + "_trailing" + ("\r" if first.endswith("\r") else "") + sep + rest
        )
    df = read_csv_strict(path, expected, text=text)
    if trailing:
        extra = df["_trailing"].str.strip() != ""
        if extra.any():
            i = extra.idxmax()
            raise ValueFormatError(
                "value in the unnamed last column",
                path=path,
                row=int(df.at[i, "_line"]),
                field="(unnamed)",
                expected="an empty last column",
            )
    return df, body, years


def read_population(path: str | Path) -> pd.DataFrame:
    """ONS mid-year population totals (``regionalpopulation.csv`` layout), long.

    Parameters
    ----------
    path : path-like
        Header ``Name,PFA,Geography,Mid-YYYY,...`` (one column per mid-year, any
        number, newest first as published) optionally followed by one trailing
        empty column (every line ending in a comma, as in the real file).
        Values are counts in the strict rule of
        :func:`~wmp_analysis.ingest.textio.parse_int_column`; the publisher's export
        writes two zero decimals (``1074283.00``), which are accepted, and nothing
        else after the digits (``1074283.5``, ``16.000`` are errors).

    Returns
    -------
    DataFrame
        ``name`` (str), ``geography_type`` (str, e.g. ``"Metropolitan District"``),
        ``pfa`` (str, ``""`` where the file leaves it blank), ``year`` (int64, the
        mid-year: population at 30 June), ``population`` (int64, persons).
        Sorted by file order then year.

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError
    """
    text = decode_utf8(read_bytes(path), path)
    if not text.strip():
        raise SchemaError(
            "file is empty", path=path, row=1, expected="a header Name,PFA,Geography,Mid-YYYY,..."
        )
    df, body, years = _population_table(path, normalise_newlines(text))
    frames = []
    for col, year in zip(body[3:], years):
        frames.append(
            pd.DataFrame(
                {
                    "name": df["Name"].str.strip(),
                    "geography_type": df["Geography"].str.strip(),
                    "pfa": df["PFA"].str.strip(),
                    "year": int(year),
                    "population": parse_int_column(df, col, path, zero_decimals=2),
                    "_order": range(len(df)),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(["_order", "year"], kind="mergesort")
    out["year"] = out["year"].astype("int64")
    return out.drop(columns="_order").reset_index(drop=True)


# ------------------------------------------------------------------------ lookups
