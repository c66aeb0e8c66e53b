"""Home Office police recorded crime open data tables at Community Safety Partnership level.

The Home Office publishes "Police recorded crime open data tables" on
https://www.gov.uk/government/statistics/police-recorded-crime-open-data-tables
(Open Government Licence v3.0). The CSP-level files (e.g. ``prc-csp-1112-1415-tables``)
hold one row per financial year, financial quarter, force, Community Safety
Partnership and Home Office offence code, with the number of offences recorded in
that quarter. They are published as spreadsheets (``.ods``, one sheet per financial
year); export each data sheet to CSV (UTF-8) and point the config at the file or at
a folder of such CSVs.

Layouts accepted (header must match exactly, in order; see docs/ingest.md for the
sources of these column lists)::

    Financial Year,Financial Quarter,Force Name,CSP Name,Offence Description,
    Offence Group,Offence Subgroup,Offence Code,Number of Offences          (to 2015/16)

    Financial Year,Financial Quarter,Police Force,CSP Name,Offence Description,
    Offence Group,Offence Subgroup,Offence Code,Offence Count               (2016 onwards)

``Financial Year`` is written ``2011/12``; ``Financial Quarter`` is ``1``..``4``
(Q1 = April-June); ``Q1``..``Q4`` is also accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import (
    DuplicatePeriodError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.textio import (
    decode_utf8,
    header_fields,
    parse_int_column,
    read_bytes,
    read_csv_strict,
)
from wmp_analysis.names import force_index, match_name, normalise_name
from wmp_analysis.periods import fy_label, parse_fy_label

#: Column layout of the 2011/12-2014/15 CSP tables (prc-csp-1112-1415-tables).
COLUMNS = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "CSP Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
]
#: Column names used by the later (2016 onwards) CSP tables: force and count renamed.
COLUMNS_2016 = [
    "Financial Year",
    "Financial Quarter",
    "Police Force",
    "CSP Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Offence Count",
]

#: Output columns, in order.
OUTPUT_COLUMNS = [
    "financial_year",
    "quarter",
    "quarter_end",
    "force",
    "csp_name",
    "csp_code",
    "offence_code",
    "offence_description",
    "offence_group",
    "offence_subgroup",
    "count",
]

_SPREADSHEET_SUFFIXES = {".ods", ".xlsx", ".xls"}


def _layout_for(first_line: str) -> list[str]:
    header = header_fields(first_line)
    if header == COLUMNS_2016:
        return COLUMNS_2016
    return COLUMNS


def _quarter_numbers(df: pd.DataFrame, path) -> pd.Series:
    raw = df["Financial Quarter"].str.strip().str.upper().str.removeprefix("Q")
    num = pd.to_numeric(raw, errors="coerce")
    bad = ~num.isin([1, 2, 3, 4])
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            f"{df.at[i, 'Financial Quarter']!r} is not a financial quarter",
            path=path,
            row=int(df.at[i, "_line"]),
            field="Financial Quarter",
            expected="1, 2, 3 or 4 (or Q1..Q4)",
        )
    return num.astype("int64")


def _fy_starts(df: pd.DataFrame, path) -> pd.Series:
    labels = df["Financial Year"].str.strip()
    cache: dict[str, int] = {}
    out = []
    for i, lab in zip(df.index, labels):
        if lab not in cache:
            try:
                cache[lab] = parse_fy_label(lab)
            except ValueError:
                raise ValueFormatError(
                    f"{lab!r} is not a financial year",
                    path=path,
                    row=int(df.at[i, "_line"]),
                    field="Financial Year",
                    expected="e.g. 2011/12 or 2011-12",
                ) from None
        out.append(cache[lab])
    return pd.Series(out, index=df.index, dtype="int64")


def quarter_end(start_year: pd.Series, quarter: pd.Series) -> pd.Series:
    """Last day of financial quarter *quarter* of the FY starting in *start_year*.

    Q1 ends 30 June, Q2 30 September, Q3 31 December (of the start year), Q4 31 March
    of the following year.
    """
    month0 = start_year * 12 + 3 + 3 * quarter  # 0-based month index of the month after the quarter
    first_next = pd.to_datetime({"year": month0 // 12, "month": month0 % 12 + 1, "day": 1})
    return (first_next - pd.Timedelta(days=1)).astype("datetime64[ns]")


def _read_one(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in _SPREADSHEET_SUFFIXES:
        raise SchemaError(
            "spreadsheets are not read directly; open the file and save each financial-year "
            "data sheet as CSV (UTF-8)",
            path=path,
            expected="a .csv or .csv.gz file",
        )
    text = decode_utf8(read_bytes(path), path)
    layout = _layout_for(text)
    df = read_csv_strict(path, layout, text=text)
    count_col = layout[-1]
    force_col = layout[2]
    for col in (force_col, "CSP Name", "Offence Code"):
        empty = df[col].str.strip() == ""
        if empty.any():
            i = empty.idxmax()
            raise ValueFormatError(
                "empty value",
                path=path,
                row=int(df.at[i, "_line"]),
                field=col,
                expected="a non-empty name or code",
            )
    force = _canonical_forces(df, force_col, path)
    for col in ("CSP Name", "Offence Description", "Offence Group", "Offence Subgroup"):
        _check_names(df, col, path)
    start = _fy_starts(df, path)
    quarter = _quarter_numbers(df, path)
    counts = parse_int_column(df, count_col, path)
    out = pd.DataFrame(
        {
            "financial_year": start.map(fy_label).astype("str"),
            "quarter": quarter,
            "quarter_end": quarter_end(start, quarter),
            "force": force,
            "csp_name": df["CSP Name"].str.strip(),
            "csp_code": pd.Series("", index=df.index, dtype="str"),
            "offence_code": df["Offence Code"].str.strip(),
            "offence_description": df["Offence Description"].str.strip(),
            "offence_group": df["Offence Group"].str.strip(),
            "offence_subgroup": df["Offence Subgroup"].str.strip(),
            "count": counts,
        }
    )
    out["_line"] = df["_line"].astype("int64")
    out["_path"] = str(path)
    return out


def _canonical_forces(df: pd.DataFrame, col: str, path) -> pd.Series:
    """Force names matched to the reference list (``WEST MIDLANDS`` is West Midlands).

    A name that matches no force is an UnknownForceError naming the line and the
    nearest known names; a control character (NUL...) is a ValueFormatError.
    """
    index = force_index()
    mapping: dict[str, str] = {}
    for value in pd.unique(df[col]):
        i = int((df[col] == value).to_numpy().argmax())
        mapping[value] = match_name(
            value, index, what="force", path=path, row=int(df["_line"].iloc[i]), field=col
        )
    return df[col].map(mapping).astype("str")


def _check_names(df: pd.DataFrame, col: str, path) -> None:
    """A control character (e.g. NUL) in a name is an error naming the line, not removed."""
    for value in pd.unique(df[col]):
        i = int((df[col] == value).to_numpy().argmax())
        normalise_name(value, path=path, row=int(df["_line"].iloc[i]), field=col)


def csp_files(source: str | Path) -> list[Path]:
    """The CSV files of a CSP source: the file itself, or every ``*.csv``/``*.csv.gz`` in a folder."""
    p = Path(source)
    if p.is_dir():
        files = sorted(
            q
            for q in p.iterdir()
            if q.is_file() and (q.name.endswith(".csv") or q.name.endswith(".csv.gz"))
        )
        if not files:
            raise SchemaError(
                "folder holds no .csv or .csv.gz files", path=p, expected="CSP CSV exports"
            )
        return files
    return [p]


def read_csp(source: str | Path, *, forces: Iterable[str] | None = None) -> pd.DataFrame:
    """Read Home Office CSP-level recorded crime tables (a CSV file or a folder of them).

    Parameters
    ----------
    source : path-like
        A CSV (``.csv`` or ``.csv.gz``) in one of the layouts in the module docstring,
        or a folder of such files (e.g. one per financial year).
    forces : iterable of str, optional
        Keep only these forces (e.g. ``"West Midlands"``; matched after
        normalisation, so ``"WEST MIDLANDS"`` also works). Each must be a known
        force (``data/raw/reference/forces.csv``) and occur in the data, else
        :class:`~wmp_analysis.errors.UnknownForceError` with the nearest names.

    Returns
    -------
    DataFrame
        ``financial_year`` (str, ``"2011-12"``; ``2011/12`` in the file is normalised),
        ``quarter`` (int64, 1..4, Q1 = April-June), ``quarter_end`` (datetime64, last day
        of the quarter), ``force``, ``csp_name``, ``csp_code`` (str; ``""`` because the
        published tables carry no CSP code), ``offence_code`` (str, Home Office code,
        e.g. ``"28E"``), ``offence_description``, ``offence_group``, ``offence_subgroup``
        (str), ``count`` (int64, offences recorded in that quarter, >= 0).
        Sorted by force, CSP, offence code, financial year and quarter.

    Raises
    ------
    SchemaError
        Wrong header, empty file, a spreadsheet instead of CSV.
    EncodingError
        Bytes that are not UTF-8.
    ValueFormatError
        A bad financial year or quarter, an empty name/code, a name holding a
        control character, a count that is not a whole number >= 0 in the strict
        rule of :func:`~wmp_analysis.ingest.textio.parse_int_column` (``16.000``,
        ``12,5``, ``1e30``, ``NaN``, negative...), naming the line and field.
    DuplicatePeriodError
        Two rows for the same financial year, quarter, CSP and offence code (also
        across files of a folder).
    UnknownForceError
        A force name in the file that is not a known force (with the nearest
        known names), or a requested force with no rows.
    """
    parts = [_read_one(f) for f in csp_files(source)]
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if forces is not None:
        index = force_index()
        forces = [match_name(f, index, what="force", path=source, field=COLUMNS[2]) for f in forces]
        present = set(df["force"].unique())
        unknown = [f for f in forces if f not in present]
        if unknown:
            raise UnknownForceError(
                f"force(s) {unknown} have no rows; forces in the data: {sorted(present)[:10]}",
                path=source,
                field=COLUMNS[2],
                expected="a force with rows in the file (case and spacing ignored)",
            )
        df = df[df["force"].isin(forces)]
    key = ["financial_year", "quarter", "csp_name", "offence_code"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        rows = df.loc[dup].sort_values(key + ["_path", "_line"], kind="mergesort")
        a, b = rows.iloc[0], rows.iloc[1]
        where = f"line {a['_line']}" + (f" of {a['_path']}" if a["_path"] != b["_path"] else "")
        raise DuplicatePeriodError(
            f"two rows for {a['financial_year']} Q{a['quarter']} / {a['csp_name']} / offence code "
            f"{a['offence_code']} ({where} and line {b['_line']})",
            path=b["_path"],
            row=int(b["_line"]),
            field="Offence Code",
            expected="one row per financial year, quarter, CSP and offence code",
        )
    df = df.sort_values(
        ["force", "csp_name", "offence_code", "financial_year", "quarter"], kind="mergesort"
    )
    return df[OUTPUT_COLUMNS].reset_index(drop=True)


def expected_quarters(first_fy: int, last_fy: int) -> list[tuple[str, int]]:
    """Every (FY label, quarter) from FY *first_fy* Q1 to FY *last_fy* Q4 (start years)."""
    return [(fy_label(y), q) for y in range(first_fy, last_fy + 1) for q in (1, 2, 3, 4)]


def missing_quarters(df: pd.DataFrame, first_fy: int, last_fy: int) -> dict[str, list[str]]:
    """Quarters in FYs *first_fy*..*last_fy* with no rows, per CSP (``"2011-12 Q3"``).

    A quarter is missing for a CSP when the CSP has no row at all in it; missing
    quarters are reported, never filled with zero. Only CSPs present in *df* are checked.
    """
    want = expected_quarters(first_fy, last_fy)
    out: dict[str, list[str]] = {}
    for csp, grp in df.groupby("csp_name", sort=True):
        seen = set(zip(grp["financial_year"], grp["quarter"].astype(int)))
        gaps = [f"{fy} Q{q}" for fy, q in want if (fy, q) not in seen]
        if gaps:
            out[str(csp)] = gaps
    return out
