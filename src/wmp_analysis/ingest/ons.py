"""ONS recorded crime by police force area, in both layouts the ONS has published.

**Rolling-year CSV** ("Recorded crime data at Police Force Area level",
``rec-crime-pfa.csv``; one row per 12-month period end, force and offence group)::

    12 months ending,PFA,Region,Offence,Rolling year total number of offences
    31-03-2012,West Midlands,West Midlands,Domestic burglary,15898

**Wide force table** ("Police force area data tables", Table P1 saved as CSV; one row
per area and year ending, one column per offence group, countries, regions and
forces in the same column)::

    Table P1: Police recorded crime by offence group and police force area, year ending September 2024
    Area Code,Area Name,Total recorded crime (excluding fraud) [note 2],...,Miscellaneous crimes against society
    K04000001,England and Wales,...
    E12000005,West Midlands Region,...
    E23000014,West Midlands,...

The layout is recognised from the header (see :func:`detect_layout`). Both give the
same tidy table. For the wide layout:

* the period is the year ending shown: a ``Year ending <Month>`` column holding
  years, a ``Year ending``/``Period`` column holding e.g. ``September 2024``, or -
  when there is no period column - a title line above the header saying
  ``year ending <Month> <YYYY>``;
* only police force areas are kept: by area code when the table has one (E23 in
  England, W15 in Wales; E12 regions, E92/W92/K04 countries are left out and
  listed in ``attrs["areas_not_forces"]``); without codes, by an exact match (after
  :func:`~wmp_analysis.names.normalise_name`) against ``data/raw/reference/forces.csv``;
  a name that is neither a force nor a listed region/country is an error;
* offence columns are mapped to the rolling file's offence groups through
  ``data/raw/reference/ons_offence_columns.csv``; columns that are totals of
  several groups (``Total recorded crime (excluding fraud)``, ``Violence against
  the person``, ``Theft offences``, ``Burglary``, ...) are checked against the sum of
  their parts and never emitted as groups (no double counting);
* a header cut short by the export (``Miscellaneous crimes``) matches the one known
  column it begins; note markers (``[note 2]``) and line breaks inside a header
  are ignored.

Quirks of the rolling file are kept visible, not silently repaired:

* counts may be **negative** (fraud moving to Action Fraud in 2013; a few
  death-by-driving adjustments 2007-09); they are kept and listed in
  :func:`describe_quirks`. A minus is accepted in the rolling file only; in the
  wide tables it is an error (not seen there; check the file);
* one date reads ``30-12-2017``: it parses as a real date that is not a quarter
  end; ``period_end`` snaps it to the month end (31-12-2017) and the published text
  is kept in ``date_as_published``; the quirk is listed;
* offence groups start and stop (residential burglary replaces domestic burglary in
  later years); :func:`describe_quirks` lists each group's first and last period.

Names: forces and offence groups are matched after Unicode normalisation and case
folding (``WEST MIDLANDS`` is West Midlands, ``robbery`` is Robbery); a name that
still matches nothing known is an error with the nearest known names, never a
silent drop or a new group. Counts follow the one strict integer rule of
:func:`~wmp_analysis.ingest.textio.parse_int_column`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import (
    DuplicatePeriodError,
    InputError,
    SchemaError,
    UnknownCategoryError,
    UnknownForceError,
    ValueFormatError,
    shorten,
)
from wmp_analysis.ingest.textio import (
    check_field_lengths,
    decode_utf8,
    normalise_newlines,
    parse_int_column,
    read_bytes,
    read_csv_strict,
    read_records,
)
from wmp_analysis.names import (
    force_index,
    match_name,
    normalise_name,
    reference_areas,
    suggestions,
)

COLUMNS = ["12 months ending", "PFA", "Region", "Offence", "Rolling year total number of offences"]

#: Output columns, in order (both layouts).
OUTPUT_COLUMNS = ["period_end", "date_as_published", "force", "region", "offence", "count", "line"]

#: The offence-column mapping table (wide layout) and offence-group list (both layouts).
OFFENCE_TABLE = (
    Path(__file__).resolve().parents[3] / "data" / "raw" / "reference" / "ons_offence_columns.csv"
)

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
_NOTE = re.compile(r"\[\s*(?:note|notes)\b[^\]]*\]", re.IGNORECASE)
_FOOTNOTE_DIGITS = re.compile(r"(?<=[A-Za-z)])\d+(?:,\d+)*$")
#: Area-code prefixes: police force areas, and areas that are not forces.
PFA_CODE_PREFIXES = ("E23", "W15")
NON_FORCE_CODE_PREFIXES = {"E12": "region", "E92": "country", "W92": "country", "K04": "country"}
#: Shortest cut-short header matched to a known column by prefix (characters).
MIN_PREFIX = 8
#: Preamble (title and note lines) allowed above a wide table's header (records).
MAX_PREAMBLE = 20


# ----------------------------------------------------------------------------- reference tables


@functools.lru_cache(maxsize=2)
def offence_table(path: str | None = None) -> pd.DataFrame:
    """``data/raw/reference/ons_offence_columns.csv`` as a DataFrame.

    Columns: ``wide_column`` (header of the wide force table; ``""`` for groups of the
    rolling file only), ``offence_group`` (the rolling file's group, ``""`` for a
    total), ``kind`` (``group``, ``total`` or ``rolling_only``), ``total_of`` (for a
    total: its parts, ``;``-separated; ``|`` separates alternative sets of parts),
    ``notes``.
    """
    df = pd.read_csv(path or OFFENCE_TABLE, dtype=str, keep_default_na=False)
    bad = ~df["kind"].isin(["group", "total", "rolling_only"])
    if bad.any():
        raise ValueError(f"{OFFENCE_TABLE}: unknown kind {df.loc[bad, 'kind'].iloc[0]!r}")
    return df


def known_offences() -> frozenset[str]:
    """Every offence group the ONS files use (the rolling file's spelling)."""
    t = offence_table()
    return frozenset(t.loc[t["kind"].isin(["group", "rolling_only"]), "offence_group"])


#: Offence groups found in the ONS files (from ``ons_offence_columns.csv``). A value
#: outside this set is an error with the nearest names, never a new group.
KNOWN_OFFENCES = known_offences()


def _region_of() -> dict[str, str]:
    return {
        r["name"]: r["region"]
        for r in reference_areas()
        if r["kind"] in ("pfa", "other", "fraud_body")
    }


# ----------------------------------------------------------------------------- layout detection


def clean_header(text: str) -> str:
    """A header cell as compared: note markers and footnote digits removed, spaces collapsed.

    ``"Total recorded crime (excluding fraud)\\n [note 2]"`` -> ``"Total recorded crime
    (excluding fraud)"``; ``"Homicide4"`` -> ``"Homicide"``.
    """
    t = _NOTE.sub(" ", text)
    t = re.sub(r"\s+", " ", t).strip()
    return _FOOTNOTE_DIGITS.sub("", t).strip()


def _is_area_header(cell: str) -> bool:
    return clean_header(cell).casefold() in ("area name", "area code")


def detect_layout(records: list[tuple[int, list[str]]]) -> tuple[str, int]:
    """``("rolling", 0)`` or ``("wide", i)`` where ``records[i]`` is the wide header.

    The rolling layout has :data:`COLUMNS` on line 1. The wide layout has a header
    row with an ``Area Name`` (or ``Area Code``) cell, after at most
    :data:`MAX_PREAMBLE` title/note records (each with at most one non-empty cell).
    Anything else is reported by the rolling reader's exact header check.
    """
    for i, (_, rec) in enumerate(records[: MAX_PREAMBLE + 1]):
        if any(_is_area_header(c) for c in rec):
            return "wide", i
        if sum(1 for c in rec if c.strip()) > 1:
            break
    return "rolling", 0


# ----------------------------------------------------------------------------- public reader


def read_ons_pfa(path: str | Path, *, forces: list[str] | None = None) -> pd.DataFrame:
    """Read an ONS police-force-area recorded crime table (either layout) into a tidy table.

    Parameters
    ----------
    path : path-like
        ``rec-crime-pfa.csv`` (rolling-year layout) or a force table (Table P1 of the
        "Police force area data tables") saved as CSV (``.gz`` accepted).
    forces : list of str, optional
        Keep only these forces. Names are matched after normalisation (``WEST
        MIDLANDS`` is West Midlands) against the reference list
        ``data/raw/reference/forces.csv``; each must also occur in the file, else
        :class:`~wmp_analysis.errors.UnknownForceError` with the nearest names.

    Returns
    -------
    DataFrame
        ``period_end`` (datetime64, last day of the 12-month window),
        ``date_as_published`` (str: the date or period text as published),
        ``force`` (str, canonical PFA name), ``region`` (str), ``offence`` (str, ONS
        offence group, rolling-file spelling), ``count`` (int64, offences recorded in
        the 12 months; negative only where the rolling file has adjustments),
        ``line`` (int64, line in the source file, header of the rolling file = 1).
        Sorted by force, offence, period_end. ``attrs["layout"]`` is ``"rolling"`` or
        ``"wide"``; for wide tables ``attrs["areas_not_forces"]`` lists the rows left
        out (line, code, name, kind) and ``attrs["columns"]`` the header mapping.

    Raises
    ------
    SchemaError, EncodingError, ArchiveError, ValueFormatError, DuplicatePeriodError,
    UnknownForceError, UnknownCategoryError
    """
    if Path(path).suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise SchemaError(
            "spreadsheets are not read directly; open the ONS workbook and save the table of counts "
            "(Table P1, number of offences) as CSV (UTF-8)",
            path=path,
            expected="a .csv or .csv.gz file",
        )
    text = decode_utf8(read_bytes(path), path)
    layout, at = ("rolling", 0)
    if text.strip():
        # the layout is decided on the first lines only; a wide table is then parsed in full
        head = "\n".join(
            normalise_newlines(text[: 1 << 20]).split("\n", 4 * MAX_PREAMBLE)[: 4 * MAX_PREAMBLE]
        )
        try:
            layout, at = detect_layout(read_records(head, path, check_fields=False))
        except InputError:
            layout, at = (
                "rolling",
                0,
            )  # let the rolling reader report it with its exact header check
    if layout == "wide":
        records = read_records(text, path, check_fields=False)
        out, attrs = _read_wide(records, at, path)
    else:
        out, attrs = _read_rolling(path, text)
    if forces is not None:
        out = _filter_forces(
            out, forces, path, field="PFA" if layout == "rolling" else attrs["name_column"]
        )
    dup = out.duplicated(["force", "offence", "period_end"], keep=False)
    if dup.any():
        first = out.loc[dup].sort_values("line", kind="mergesort").iloc[0]
        same = (
            (out["force"] == first["force"])
            & (out["offence"] == first["offence"])
            & (out["period_end"] == first["period_end"])
        )
        rows = out.loc[same].sort_values("line", kind="mergesort")
        raise DuplicatePeriodError(
            f"two rows for {first['force']} / {first['offence']} / {first['period_end']:%Y-%m-%d} "
            f"(lines {', '.join(str(x) for x in rows['line'].head(2))})",
            path=path,
            row=int(rows["line"].iloc[1]),
            field="12 months ending" if layout == "rolling" else attrs["name_column"],
            expected="one row per force, offence and period",
        )
    out = out.sort_values(["force", "offence", "period_end"], kind="mergesort").reset_index(
        drop=True
    )
    out.attrs.update(attrs)
    return out


def _filter_forces(out: pd.DataFrame, forces: list[str], path, *, field: str) -> pd.DataFrame:
    index = force_index()
    wanted = [match_name(f, index, what="force", path=path, field=field) for f in forces]
    present = set(out["force"].unique())
    missing = [f for f in wanted if f not in present]
    if missing:
        close = sorted({s for m in missing for s in suggestions(m, present)})
        raise UnknownForceError(
            f"force(s) {missing} not in file"
            + (f"; similar names in the file: {close[:5]}" if close else ""),
            path=path,
            field=field,
            expected="a force the file has rows for",
        )
    return out[out["force"].isin(wanted)]


# ----------------------------------------------------------------------------- rolling layout


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


def _read_rolling(path, text: str) -> tuple[pd.DataFrame, dict]:
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


# ----------------------------------------------------------------------------- wide layout


def _column_index() -> tuple[dict[str, dict], list[str]]:
    """Normal form of each known wide column -> its table row; and the display names."""
    t = offence_table()
    rows = t[t["kind"].isin(["group", "total"])]
    idx = {normalise_name(r.wide_column): r._asdict() for r in rows.itertuples(index=False)}
    return idx, rows["wide_column"].tolist()


def _match_column(header: str, idx: dict[str, dict], names: list[str], path, col_no: int) -> dict:
    """The known column a (possibly cut-short) wide header denotes."""
    cleaned = clean_header(header)
    key = normalise_name(cleaned, path=path, row=None, field=f"column {col_no}")
    if key in idx:
        return idx[key]
    starts = [k for k in idx if k.startswith(key)] if len(key) >= MIN_PREFIX else []
    if len(starts) == 1:
        return idx[starts[0]]
    if len(starts) > 1:
        raise SchemaError(
            f"header {shorten(header)} (column {col_no}) is cut short and could be any of "
            f"{sorted(idx[k]['wide_column'] for k in starts)}",
            field=header,
            expected="a header that names one offence column",
        )
    near = suggestions(cleaned, names)
    raise SchemaError(
        f"unexpected column {shorten(header)} (column {col_no})"
        + (f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""),
        field=header,
        expected="Area Code, Area Name, a period column and offence columns listed in "
        "data/raw/reference/ons_offence_columns.csv",
    )


def _month_end(month: str, year: str) -> pd.Timestamp:
    m = month.lower().rstrip(".")
    num = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m[:3]))
    return pd.Timestamp(year=int(year), month=num, day=1) + pd.offsets.MonthEnd(0)


def _read_wide(records: list[tuple[int, list[str]]], at: int, path) -> tuple[pd.DataFrame, dict]:
    header_line, header = records[at]
    for line, rec in records[:at]:
        check_field_lengths(rec, line, path)
    title_period = None
    for _, rec in records[:at]:
        m = _TITLE_PERIOD.search(" ".join(c for c in rec if c.strip()))
        if m:
            title_period = (m.group(1), m.group(2))
    idx, names = _column_index()
    code_col = name_col = period_col = None
    period_month = None
    offence_cols: dict[int, dict] = {}
    blank_cols: list[int] = []
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        c = clean_header(h)
        low = c.casefold()
        if low == "area code":
            code_col = j
        elif low == "area name":
            name_col = j
        elif low in _PERIOD_HEADERS or _YEAR_ENDING_MONTH.fullmatch(c):
            if period_col is not None:
                raise SchemaError(
                    f"two period columns ({header[period_col]!r} and {h!r})",
                    path=path,
                    row=header_line,
                    expected="one period column",
                )
            period_col = j
            m = _YEAR_ENDING_MONTH.fullmatch(c)
            period_month = m.group(1) if m else None
        elif c == "":
            blank_cols.append(j)
        else:
            try:
                spec = _match_column(h, idx, names, path, j + 1)
            except SchemaError as exc:
                raise SchemaError(
                    exc.message, path=path, row=header_line, field=exc.field, expected=exc.expected
                ) from None
            if spec["wide_column"] in seen:
                raise SchemaError(
                    f"columns {seen[spec['wide_column']] + 1} and {j + 1} are both {spec['wide_column']!r}",
                    path=path,
                    row=header_line,
                    field=h,
                    expected="each offence column once",
                )
            seen[spec["wide_column"]] = j
            offence_cols[j] = spec
    name_field = header[name_col] if name_col is not None else "Area Name"
    if name_col is None:
        raise SchemaError(
            "no 'Area Name' column",
            path=path,
            row=header_line,
            expected="an 'Area Name' column (and preferably 'Area Code')",
        )
    if not offence_cols:
        raise SchemaError(
            "no offence columns",
            path=path,
            row=header_line,
            expected="offence columns listed in data/raw/reference/ons_offence_columns.csv",
        )
    if period_col is None and title_period is None:
        raise SchemaError(
            "no period: neither a 'Year ending ...' column nor a title line saying 'year ending <Month> <YYYY>'",
            path=path,
            row=header_line,
            expected="the year ending the figures cover",
        )
    groups = _check_structure(offence_cols, header, path, header_line)

    by_code = {r["code"]: r for r in reference_areas() if r["code"]}
    name_kinds = {}
    for r in reference_areas():
        for n in (r["name"], *r["aliases"]):
            name_kinds.setdefault(normalise_name(n), r)
    region_of = _region_of()
    out_rows: list[dict] = []
    skipped: list[dict] = []
    ncols = len(header)
    check_field_lengths(header, header_line, path)
    for line, rec in records[at + 1 :]:
        check_field_lengths(rec, line, path, header)
        if len(rec) != ncols:
            raise SchemaError(
                f"record has {len(rec)} fields", path=path, row=line, expected=f"{ncols} fields"
            )
        for j in blank_cols:
            if rec[j].strip():
                raise ValueFormatError(
                    f"value {shorten(rec[j])} under an empty header (column {j + 1})",
                    path=path,
                    row=line,
                    field=f"column {j + 1}",
                    expected="an empty column",
                )
        name = rec[name_col]
        key = normalise_name(name, path=path, row=line, field=name_field)
        code = rec[code_col].strip() if code_col is not None else ""
        if code_col is not None and code:
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
                        field=name_field,
                        expected=f"the name of {code} ({ref['name']})",
                    )
                force = ref["name"]
            elif code[:3] in NON_FORCE_CODE_PREFIXES:
                skipped.append(
                    {
                        "line": line,
                        "code": code,
                        "name": name,
                        "kind": NON_FORCE_CODE_PREFIXES[code[:3]],
                    }
                )
                continue
            else:
                raise ValueFormatError(
                    f"area code {shorten(code)} is neither a police force area (E23, W15), a region (E12) "
                    "nor a country (E92, W92, K04)",
                    path=path,
                    row=line,
                    field=header[code_col],
                    expected="an ONS area code",
                )
        else:
            ref = name_kinds.get(key)
            if ref is None:
                # neither a force nor a listed region/country: an error with the nearest names
                match_name(
                    name, force_index(("pfa",)), what="force", path=path, row=line, field=name_field
                )
            if ref["kind"] != "pfa":
                skipped.append({"line": line, "code": code, "name": name, "kind": ref["kind"]})
                continue
            force = ref["name"]
        if period_col is not None:
            raw = rec[period_col].strip()
            if period_month is not None:
                m = _PERIOD_VALUE.fullmatch(raw)
                same_month = m is not None and m.group(1)[:3].lower() == period_month[:3].lower()
                if not (re.fullmatch(r"[0-9]{4}", raw) or same_month):
                    raise ValueFormatError(
                        f"{shorten(raw)} is not a year ending {period_month.capitalize()}",
                        path=path,
                        row=line,
                        field=header[period_col],
                        expected=f"a year such as 2024 (or '{period_month.capitalize()} 2024')",
                    )
                month, year = period_month, (m.group(2) if same_month else raw)
                published = f"Year ending {period_month.capitalize()} {year}"
            else:
                m = _PERIOD_VALUE.fullmatch(raw)
                if not m:
                    raise ValueFormatError(
                        f"{shorten(raw)} is not a year ending",
                        path=path,
                        row=line,
                        field=header[period_col],
                        expected="e.g. 'September 2024' or 'Year ending Sep 2024'",
                    )
                month, year, published = m.group(1), m.group(2), raw
        else:
            month, year = title_period
            published = f"Year ending {month.capitalize()} {year}"
        out_rows.append(
            {
                "_line": line,
                "_force": force,
                "_end": f"{_month_end(month, year):%d-%m-%Y}",
                "_published": published,
                **{header[j]: rec[j] for j in offence_cols},
            }
        )
    frame = pd.DataFrame(out_rows)
    if frame.empty:
        raise SchemaError(
            "no police force area rows",
            path=path,
            row=header_line,
            expected="rows for police force areas (E23/W15 codes or force names)",
        )
    values = {
        spec["wide_column"]: parse_int_column(frame, header[j], path)
        for j, spec in offence_cols.items()
    }
    _check_totals(values, frame, offence_cols, header, path)
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
    out = pd.concat(parts, ignore_index=True)
    attrs = {
        "layout": "wide",
        "name_column": name_field,
        "areas_not_forces": skipped,
        "columns": {
            header[j]: spec["offence_group"] or f"total of {spec['total_of']}"
            for j, spec in offence_cols.items()
        },
    }
    return out[OUTPUT_COLUMNS], attrs


def _totals_spec() -> dict[str, list[list[str]]]:
    t = offence_table()
    return {
        r.wide_column: [alt.split(";") for alt in r.total_of.split("|")]
        for r in t[t["kind"] == "total"].itertuples()
    }


def _check_structure(
    offence_cols: dict[int, dict], header: list[str], path, line: int
) -> dict[str, str]:
    """Group columns of the table (wide column -> group); totals must be splittable.

    A total column present whose parts cannot all be found (directly or through
    other totals) is a SchemaError: its offences would be lost, or counted twice
    if the total were kept as a group.
    """
    present = {spec["wide_column"]: spec for spec in offence_cols.values()}
    groups = {w: s["offence_group"] for w, s in present.items() if s["kind"] == "group"}
    if len(set(groups.values())) != len(groups):
        dup = next(g for g in set(groups.values()) if list(groups.values()).count(g) > 1)
        cols = [w for w, g in groups.items() if g == dup]
        raise SchemaError(
            f"columns {cols} are the same offence group {dup!r}",
            path=path,
            row=line,
            expected="each offence group once",
        )
    have_groups = set(groups.values())
    totals = _totals_spec()

    def resolvable(part: str) -> bool:
        if part in totals:
            return part in present or any(all(resolvable(p) for p in alt) for alt in totals[part])
        return part in have_groups

    for w, spec in present.items():
        if spec["kind"] != "total":
            continue
        if not any(all(resolvable(p) for p in alt) for alt in totals[w]):
            missing = sorted({p for alt in totals[w] for p in alt if not resolvable(p)})
            raise SchemaError(
                f"column {w!r} is a total of several offence groups, but the table lacks {missing}: "
                "it cannot be split into offence groups",
                path=path,
                row=line,
                field=w,
                expected="the parts of every total column (see data/raw/reference/ons_offence_columns.csv)",
            )
    return groups


def _check_totals(
    values: dict[str, pd.Series], frame: pd.DataFrame, offence_cols, header, path
) -> None:
    """Each total column equals the sum of its parts (ValueFormatError naming the line)."""
    totals = _totals_spec()
    group_of = {
        spec["offence_group"]: spec["wide_column"]
        for spec in offence_cols.values()
        if spec["kind"] == "group"
    }
    col_of = {spec["wide_column"]: header[j] for j, spec in offence_cols.items()}

    def value(part: str):
        if part in totals:
            if part in values:
                return values[part]
            for alt in totals[part]:
                vs = [value(p) for p in alt]
                if all(v is not None for v in vs):
                    return sum(vs)
            return None
        return values.get(group_of.get(part, ""))

    def depth(name: str) -> int:
        return 1 + max(depth(p) for alt in totals[name] for p in alt) if name in totals else 0

    # innermost totals first, so a wrong figure is named where it is wrong
    for w in sorted((w for w in values if w in totals), key=depth):
        for alt in totals[w]:
            vs = [value(p) for p in alt]
            if all(v is not None for v in vs):
                s = sum(vs)
                bad = s != values[w]
                if bad.any():
                    i = bad.idxmax()
                    raise ValueFormatError(
                        f"{w} {int(values[w][i])} differs from the sum of its parts {int(s[i])} "
                        f"({', '.join(alt)})",
                        path=path,
                        row=int(frame.at[i, "_line"]),
                        field=col_of[w],
                        expected="a total equal to the sum of its offence groups",
                    )
                break


# ----------------------------------------------------------------------------- quirks


def describe_quirks(df: pd.DataFrame) -> dict:
    """Quirks worth reporting in the ingest manifest.

    Returns a dict with ``negative_counts`` (rows with count < 0),
    ``non_quarter_end_dates`` (published dates that are not the last day of a
    quarter, or that were snapped to a month end), ``offence_coverage`` (first
    and last period of each offence group), ``layout`` (``rolling`` or ``wide``) and
    ``areas_not_forces`` (wide tables: the country and region rows left out, with
    their lines, codes and names; nothing is left out unlisted).
    """
    neg = df[df["count"] < 0]
    published = pd.to_datetime(df["date_as_published"], format="%d-%m-%Y", errors="coerce")
    odd = df[
        (published.notna() & (published != df["period_end"]))
        | (~df["period_end"].dt.month.isin([3, 6, 9, 12]))
    ]
    cov = df.groupby("offence")["period_end"].agg(["min", "max"]).reset_index()
    return {
        "negative_counts": [
            {
                "force": r.force,
                "offence": r.offence,
                "period_end": f"{r.period_end:%Y-%m-%d}",
                "count": int(r.count),
                "line": int(r.line),
            }
            for r in neg.itertuples()
        ],
        "non_quarter_end_dates": sorted(
            {(str(r.date_as_published), f"{r.period_end:%Y-%m-%d}") for r in odd.itertuples()}
        ),
        "offence_coverage": {
            r.offence: {"first": f"{r.min:%Y-%m-%d}", "last": f"{r.max:%Y-%m-%d}"}
            for r in cov.itertuples()
        },
        "layout": df.attrs.get("layout", "rolling"),
        "areas_not_forces": [
            {
                "line": int(a["line"]),
                "code": str(a["code"]),
                "name": str(a["name"]),
                "kind": str(a["kind"]),
            }
            for a in df.attrs.get("areas_not_forces", [])
        ],
    }


__all__ = [
    "COLUMNS",
    "KNOWN_OFFENCES",
    "OUTPUT_COLUMNS",
    "clean_header",
    "describe_quirks",
    "detect_layout",
    "known_offences",
    "offence_table",
    "read_ons_pfa",
]
