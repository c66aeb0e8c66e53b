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

The code is in four modules: this one (layout detection, the public reader, the checks
common to both layouts, quirks), :mod:`~wmp_analysis.ingest.ons_rolling` (the rolling
CSV), :mod:`~wmp_analysis.ingest.ons_wide` (the wide table) and
:mod:`~wmp_analysis.ingest.ons_offences` (the offence-column mapping and total checks);
every public name is importable from here.

Names: forces and offence groups are matched after Unicode normalisation and case
folding (``WEST MIDLANDS`` is West Midlands, ``robbery`` is Robbery); a name that
still matches nothing known is an error with the nearest known names, never a
silent drop or a new group. Counts follow the one strict integer rule of
:func:`~wmp_analysis.ingest.textio.parse_int_column`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wmp_analysis.errors import DuplicatePeriodError, InputError, SchemaError, UnknownForceError
from wmp_analysis.ingest.ons_offences import (
    KNOWN_OFFENCES,
    MIN_PREFIX,
    OFFENCE_TABLE,
    clean_header,
    known_offences,
    offence_table,
)
from wmp_analysis.ingest.ons_rolling import COLUMNS, OUTPUT_COLUMNS, read_rolling
from wmp_analysis.ingest.ons_wide import NON_FORCE_CODE_PREFIXES, PFA_CODE_PREFIXES, read_wide
from wmp_analysis.ingest.textio import decode_utf8, normalise_newlines, read_bytes, read_records
from wmp_analysis.names import force_index, match_name, suggestions

#: Preamble (title and note lines) allowed above a wide table's header (records).
MAX_PREAMBLE = 20


# ----------------------------------------------------------------------------- layout detection


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
        out, attrs = read_wide(records, at, path)
    else:
        out, attrs = read_rolling(path, text)
    if forces is not None:
        out = _filter_forces(
            out, forces, path, field="PFA" if layout == "rolling" else attrs["name_column"]
        )
    _check_one_row_each(
        out, path, field="12 months ending" if layout == "rolling" else attrs["name_column"]
    )
    out = out.sort_values(["force", "offence", "period_end"], kind="mergesort").reset_index(
        drop=True
    )
    out.attrs.update(attrs)
    return out


def _check_one_row_each(out: pd.DataFrame, path, *, field: str) -> None:
    """DuplicatePeriodError for two rows of one force, offence and period (first two lines named)."""
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
            field=field,
            expected="one row per force, offence and period",
        )


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
    "MAX_PREAMBLE",
    "MIN_PREFIX",
    "NON_FORCE_CODE_PREFIXES",
    "OFFENCE_TABLE",
    "OUTPUT_COLUMNS",
    "PFA_CODE_PREFIXES",
    "clean_header",
    "describe_quirks",
    "detect_layout",
    "known_offences",
    "offence_table",
    "read_ons_pfa",
]
