"""The ONS wide force table (Table P1 of the "Police force area data tables" saved as CSV).

One row per area and year ending, one column per offence group; countries, regions and
forces share the area column. :func:`read_wide` turns it into the tidy table of the rolling
layout (:data:`~wmp_analysis.ingest.ons_rolling.OUTPUT_COLUMNS`); the rules it applies are
listed in :mod:`wmp_analysis.ingest.ons`. Offence headers are mapped to groups, and totals
checked against their parts, by :mod:`wmp_analysis.ingest.ons_offences`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from wmp_analysis.errors import SchemaError, UnknownForceError, ValueFormatError, shorten
from wmp_analysis.ingest.ons_offences import (
    _check_structure,
    _check_totals,
    _column_index,
    _match_column,
    clean_header,
)
from wmp_analysis.ingest.ons_rolling import OUTPUT_COLUMNS
from wmp_analysis.ingest.textio import check_field_lengths, parse_int_column
from wmp_analysis.names import force_index, match_name, normalise_name, reference_areas

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_RE = "|".join(_MONTHS) + "|" + "|".join(m[:3] for m in _MONTHS) + "|sept"
#: A title line naming the period: "... year ending September 2024 ...".
_TITLE_PERIOD = re.compile(rf"year ending ({_MONTH_RE})\.? (\d{{4}})\b", re.IGNORECASE)
#: A period value: "September 2024", "Sep 2024", "Year ending September 2024".
_PERIOD_VALUE = re.compile(rf"(?:year ending )?({_MONTH_RE})\.? (\d{{4}})", re.IGNORECASE)
#: A period column header holding years: "Year ending September".
_YEAR_ENDING_MONTH = re.compile(rf"year ending ({_MONTH_RE})", re.IGNORECASE)
_PERIOD_HEADERS = {"year ending", "period", "12 months ending", "year"}
#: Area-code prefixes: police force areas, and areas that are not forces.
PFA_CODE_PREFIXES = ("E23", "W15")
NON_FORCE_CODE_PREFIXES = {"E12": "region", "E92": "country", "W92": "country", "K04": "country"}

Records = list[tuple[int, list[str]]]


def _region_of() -> dict[str, str]:
    return {
        r["name"]: r["region"]
        for r in reference_areas()
        if r["kind"] in ("pfa", "other", "fraud_body")
    }


def _month_end(month: str, year: str) -> pd.Timestamp:
    m = month.lower().rstrip(".")
    num = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m[:3]))
    return pd.Timestamp(year=int(year), month=num, day=1) + pd.offsets.MonthEnd(0)


@dataclass
class _Columns:
    """What each column of a wide header is (indices into the header)."""

    header_line: int
    header: list[str]
    code_col: int | None = None
    name_col: int | None = None
    period_col: int | None = None
    #: the month of a ``Year ending <Month>`` column holding years
    period_month: str | None = None
    #: column index -> its row of the offence-column table
    offence_cols: dict[int, dict] = field(default_factory=dict)
    blank_cols: list[int] = field(default_factory=list)

    @property
    def name_field(self) -> str:
        return self.header[self.name_col] if self.name_col is not None else "Area Name"


# ----------------------------------------------------------------------------- the header


def _title_period(preamble: Records, path) -> tuple[str, str] | None:
    """``(month, year)`` named by a title line above the header (the last one), or None."""
    for line, rec in preamble:
        check_field_lengths(rec, line, path)
    title_period = None
    for _, rec in preamble:
        m = _TITLE_PERIOD.search(" ".join(c for c in rec if c.strip()))
        if m:
            title_period = (m.group(1), m.group(2))
    return title_period


def _offence_column(h: str, j: int, cols: _Columns, idx, names, seen: dict, path) -> dict:
    """The offence-column table row header *h* (column *j*) denotes; each column once."""
    try:
        spec = _match_column(h, idx, names, path, j + 1)
    except SchemaError as exc:
        raise SchemaError(
            exc.message, path=path, row=cols.header_line, field=exc.field, expected=exc.expected
        ) from None
    if spec["wide_column"] in seen:
        raise SchemaError(
            f"columns {seen[spec['wide_column']] + 1} and {j + 1} are both {spec['wide_column']!r}",
            path=path,
            row=cols.header_line,
            field=h,
            expected="each offence column once",
        )
    seen[spec["wide_column"]] = j
    return spec


def _classify_header(header: list[str], header_line: int, path) -> _Columns:
    """Area code, area name, period, blank and offence columns of the header."""
    cols = _Columns(header_line, header)
    idx, names = _column_index()
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        c = clean_header(h)
        low = c.casefold()
        if low == "area code":
            cols.code_col = j
        elif low == "area name":
            cols.name_col = j
        elif low in _PERIOD_HEADERS or _YEAR_ENDING_MONTH.fullmatch(c):
            if cols.period_col is not None:
                raise SchemaError(
                    f"two period columns ({header[cols.period_col]!r} and {h!r})",
                    path=path,
                    row=header_line,
                    expected="one period column",
                )
            cols.period_col = j
            m = _YEAR_ENDING_MONTH.fullmatch(c)
            cols.period_month = m.group(1) if m else None
        elif c == "":
            cols.blank_cols.append(j)
        else:
            cols.offence_cols[j] = _offence_column(h, j, cols, idx, names, seen, path)
    return cols


def _check_columns(cols: _Columns, title_period, path) -> None:
    """The header has an area name, offence columns and a period (or a title naming one)."""
    if cols.name_col is None:
        raise SchemaError(
            "no 'Area Name' column",
            path=path,
            row=cols.header_line,
            expected="an 'Area Name' column (and preferably 'Area Code')",
        )
    if not cols.offence_cols:
        raise SchemaError(
            "no offence columns",
            path=path,
            row=cols.header_line,
            expected="offence columns listed in data/raw/reference/ons_offence_columns.csv",
        )
    if cols.period_col is None and title_period is None:
        raise SchemaError(
            "no period: neither a 'Year ending ...' column nor a title line saying 'year ending <Month> <YYYY>'",
            path=path,
            row=cols.header_line,
            expected="the year ending the figures cover",
        )


# ----------------------------------------------------------------------------- the rows


def _check_record(rec: list[str], line: int, cols: _Columns, path) -> None:
    """Field lengths, the number of fields and nothing under an empty header."""
    check_field_lengths(rec, line, path, cols.header)
    if len(rec) != len(cols.header):
        raise SchemaError(
            f"record has {len(rec)} fields",
            path=path,
            row=line,
            expected=f"{len(cols.header)} fields",
        )
    for j in cols.blank_cols:
        if rec[j].strip():
            raise ValueFormatError(
                f"value {shorten(rec[j])} under an empty header (column {j + 1})",
                path=path,
                row=line,
                field=f"column {j + 1}",
                expected="an empty column",
            )


def _area_references() -> tuple[dict[str, dict], dict[str, dict]]:
    """Reference areas by code, and by the normal form of each name and alias (first wins)."""
    by_code = {r["code"]: r for r in reference_areas() if r["code"]}
    name_kinds: dict[str, dict] = {}
    for r in reference_areas():
        for n in (r["name"], *r["aliases"]):
            name_kinds.setdefault(normalise_name(n), r)
    return by_code, name_kinds


def _force_by_code(code: str, name: str, key: str, line: int, cols: _Columns, by_code, path):
    """The force an area code denotes, or the skipped record of a region/country code."""
    header, code_col = cols.header, cols.code_col
    if code.startswith(PFA_CODE_PREFIXES):
        ref = by_code.get(code)
        if ref is None or ref["kind"] != "pfa":
            raise UnknownForceError(
                f"area code {shorten(code)} ({shorten(name)}) is not a police force area of the "
                "reference list",
                path=path,
                row=line,
                field=header[code_col],
                expected="an E23/W15 code listed in data/raw/reference/forces.csv",
            )
        if key not in {normalise_name(n) for n in (ref["name"], *ref["aliases"])}:
            raise ValueFormatError(
                f"area code {code} is {ref['name']!r} but the row names {shorten(name)}",
                path=path,
                row=line,
                field=cols.name_field,
                expected=f"the name of {code} ({ref['name']})",
            )
        return ref["name"]
    if code[:3] in NON_FORCE_CODE_PREFIXES:
        return {"line": line, "code": code, "name": name, "kind": NON_FORCE_CODE_PREFIXES[code[:3]]}
    raise ValueFormatError(
        f"area code {shorten(code)} is neither a police force area (E23, W15), a region (E12) "
        "nor a country (E92, W92, K04)",
        path=path,
        row=line,
        field=header[code_col],
        expected="an ONS area code",
    )


def _force_of(rec: list[str], line: int, cols: _Columns, refs, path) -> str | dict:
    """The canonical force of a row, or the skipped record of a row that is not a force.

    By area code when the table has one and the row fills it; else by the exact name
    (after normalisation) among the reference areas, a name that is none of them being an
    error with the nearest force names.
    """
    by_code, name_kinds = refs
    name = rec[cols.name_col]
    key = normalise_name(name, path=path, row=line, field=cols.name_field)
    code = rec[cols.code_col].strip() if cols.code_col is not None else ""
    if cols.code_col is not None and code:
        return _force_by_code(code, name, key, line, cols, by_code, path)
    ref = name_kinds.get(key)
    if ref is None:
        # neither a force nor a listed region/country: an error with the nearest names
        match_name(
            name, force_index(("pfa",)), what="force", path=path, row=line, field=cols.name_field
        )
    if ref["kind"] != "pfa":
        return {"line": line, "code": code, "name": name, "kind": ref["kind"]}
    return ref["name"]


def _period_of(rec: list[str], line: int, cols: _Columns, title_period, path):
    """``(month, year, as published)`` of a row: its period column, else the title's."""
    if cols.period_col is None:
        month, year = title_period
        return month, year, f"Year ending {month.capitalize()} {year}"
    raw = rec[cols.period_col].strip()
    field_name = cols.header[cols.period_col]
    period_month = cols.period_month
    m = _PERIOD_VALUE.fullmatch(raw)
    if period_month is not None:
        same_month = m is not None and m.group(1)[:3].lower() == period_month[:3].lower()
        if not (re.fullmatch(r"[0-9]{4}", raw) or same_month):
            raise ValueFormatError(
                f"{shorten(raw)} is not a year ending {period_month.capitalize()}",
                path=path,
                row=line,
                field=field_name,
                expected=f"a year such as 2024 (or '{period_month.capitalize()} 2024')",
            )
        year = m.group(2) if same_month else raw
        return period_month, year, f"Year ending {period_month.capitalize()} {year}"
    if not m:
        raise ValueFormatError(
            f"{shorten(raw)} is not a year ending",
            path=path,
            row=line,
            field=field_name,
            expected="e.g. 'September 2024' or 'Year ending Sep 2024'",
        )
    return m.group(1), m.group(2), raw


def _wide_rows(records: Records, cols: _Columns, title_period, path):
    """The force rows below the header (raw offence texts) and the rows left out."""
    refs = _area_references()
    out_rows: list[dict] = []
    skipped: list[dict] = []
    check_field_lengths(cols.header, cols.header_line, path)
    for line, rec in records:
        _check_record(rec, line, cols, path)
        force = _force_of(rec, line, cols, refs, path)
        if isinstance(force, dict):
            skipped.append(force)
            continue
        month, year, published = _period_of(rec, line, cols, title_period, path)
        out_rows.append(
            {
                "_line": line,
                "_force": force,
                "_end": f"{_month_end(month, year):%d-%m-%Y}",
                "_published": published,
                **{cols.header[j]: rec[j] for j in cols.offence_cols},
            }
        )
    return out_rows, skipped


def _tidy(frame: pd.DataFrame, cols: _Columns, groups: dict[str, str], path) -> pd.DataFrame:
    """One row per force, period and offence group; totals checked against their parts."""
    header, offence_cols = cols.header, cols.offence_cols
    values = {
        spec["wide_column"]: parse_int_column(frame, header[j], path)
        for j, spec in offence_cols.items()
    }
    _check_totals(values, frame, offence_cols, header, path)
    region_of = _region_of()
    parts = []
    for wide, group in groups.items():
        parts.append(
            pd.DataFrame(
                {
                    # parsed exactly as the rolling layout's dates, so both layouts give one dtype
                    "period_end": pd.to_datetime(frame["_end"], format="%d-%m-%Y")
                    + pd.offsets.MonthEnd(0),
                    "date_as_published": frame["_published"].astype(str),
                    "force": frame["_force"].astype(str),
                    "region": frame["_force"].map(region_of).astype(str),
                    "offence": group,
                    "count": values[wide].astype("int64"),
                    "line": frame["_line"].astype("int64"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[OUTPUT_COLUMNS]


# ----------------------------------------------------------------------------- the reader


def read_wide(records: Records, at: int, path) -> tuple[pd.DataFrame, dict]:
    """Read a wide force table whose header is ``records[at]`` into the tidy table.

    Parameters
    ----------
    records : list of (int, list of str)
        The file's records with their line numbers (``textio.read_records``).
    at : int
        Index of the header record (:func:`~wmp_analysis.ingest.ons.detect_layout`);
        records above it are the title and notes.
    path : path-like
        The file, for messages.

    Returns
    -------
    (DataFrame, dict)
        The tidy table (:data:`~wmp_analysis.ingest.ons_rolling.OUTPUT_COLUMNS`; counts
        are offences in the 12 months) and its attrs: ``layout`` (``"wide"``),
        ``name_column``, ``areas_not_forces`` (line, code, name, kind of each row left
        out) and ``columns`` (header -> offence group, or ``"total of ..."``).

    Raises
    ------
    SchemaError, ValueFormatError, UnknownForceError, UnknownCategoryError
    """
    header_line, header = records[at]
    title_period = _title_period(records[:at], path)
    cols = _classify_header(header, header_line, path)
    _check_columns(cols, title_period, path)
    groups = _check_structure(cols.offence_cols, header, path, header_line)
    out_rows, skipped = _wide_rows(records[at + 1 :], cols, title_period, path)
    frame = pd.DataFrame(out_rows)
    if frame.empty:
        raise SchemaError(
            "no police force area rows",
            path=path,
            row=header_line,
            expected="rows for police force areas (E23/W15 codes or force names)",
        )
    out = _tidy(frame, cols, groups, path)
    attrs = {
        "layout": "wide",
        "name_column": cols.name_field,
        "areas_not_forces": skipped,
        "columns": {
            header[j]: spec["offence_group"] or f"total of {spec['total_of']}"
            for j, spec in cols.offence_cols.items()
        },
    }
    return out, attrs
