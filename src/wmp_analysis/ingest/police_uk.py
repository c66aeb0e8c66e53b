"""data.police.uk monthly CSVs: street crime, outcomes and stop-and-search.

Formats (header must match exactly, in order; see ``docs/police_uk.md``)
----------------------------------------------------------------------
``street`` (current, 12 columns)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,
    LSOA name,Crime type,Last outcome category,Context

``street-2010`` (December 2010 to mid 2011 releases, 8 columns, OSGB36 metres)::

    Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context

``outcomes`` (10 columns)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,
    LSOA name,Outcome type

``stop-and-search`` (15 columns)::

    Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,
    Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,
    Object of search,Outcome,Outcome linked to object of search,
    Removal of more than just outer clothing

``stop-and-search-2014`` (13 columns: the above without the last two). Accepted
defensively for early releases; not verified against a real published file.

Reading is vectorised: each file is parsed by ``pyarrow.csv`` with every column
as a string, then validated with array operations (no Python loop over rows).
Line numbers in errors are exact (header = line 1), also when a file has blank
lines or quoted line breaks. LF, CRLF and CR-only line endings are read alike; a
CR that is not part of a CRLF ends a line (as in ``ingest/textio.py``), so a stray
CR inside the header or an unquoted field is a :class:`SchemaError` on its line.

Categorical fields are checked against reference tables of every value the
publisher has used (street ``Crime type``: ``data/raw/reference/police_uk_categories.csv``;
every other categorical field of every kind: ``data/raw/reference/police_uk_values.csv``,
:mod:`wmp_analysis.ingest.police_uk_reference`). A row with a value outside the
table is *rejected* (dropped, and listed in the rejections with file, line, field,
value and reason), never silently kept; and when one field's unknown values pass
``max_unknown_share`` of a file's rows (default 0.5%) the file stops the ingest
with an :class:`~wmp_analysis.errors.UnknownCategoryError` naming the file, the
field and the most frequent unknown values with their counts - a thinned table
never reaches a rate. A blank cell is data where the table has a row for it
(person fields, legislation, object of search, outcome of a search, last outcome
category): kept, and counted in ``not_recorded``. A blank ``Outcome type`` or
``Crime type`` is an unknown value.

Months: a file with a header and no rows is a *missing* month of its kind (listed
in ``missing_months`` and ``empty_files``), never a month of zero. Records: a
repeated ``Crime ID`` within a street file (or a repeated ``Crime ID`` + ``Outcome
type`` within an outcomes file) is a counted rejection (the first is kept; blank
Crime IDs, normal for anti-social behaviour, are never duplicates). A location
outside England and Wales (:data:`EW_LAT_LON_BOX`, :data:`EW_OSGB_BOX`), NaN, or
with only one coordinate is a counted rejection of the *location only*: the
coordinates become null and the record stays.

The checks run over each column's distinct values (its dictionary), not over rows.

The one entry point for the ingest pipeline is :func:`read_police_uk`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wmp_analysis.errors import (
    EncodingError,
    PeriodError,
    SchemaError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.harmonise.police_uk import (
    DISTRICT_METHODS,
    REJECTION_COLUMNS,
    DistrictLookup,
    district_codes,
    empty_rejections,
    harmonise_street_arrow,
    known_mask,
    map_strings,
)
from wmp_analysis.ingest.archive import (
    KINDS,
    MAX_ARCHIVE_BYTES,
    ByteBudget,
    PoliceUkFile,
    check_declared_sizes,
    discover,
    read_file_bytes,
)
from wmp_analysis.ingest.police_uk_reference import (
    DEFAULT_MAX_UNKNOWN_SHARE,
    FieldValues,
    check_unknown_share,
    load_value_table,
)
from wmp_analysis.ingest.textio import MAX_FIELD_CHARS, check_header, decode_utf8, header_fields
from wmp_analysis.periods import Period
from wmp_analysis.periods import missing_months as _missing_months
from wmp_analysis.provenance import is_synthetic, sha256_file

STREET_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
STREET_2010_COLUMNS = [
    "Month",
    "Reported by",
    "Falls within",
    "Easting",
    "Northing",
    "Location",
    "Crime type",
    "Context",
]
OUTCOMES_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
]
STOP_SEARCH_COLUMNS = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]
STOP_SEARCH_2014_COLUMNS = STOP_SEARCH_COLUMNS[:13]

#: Accepted formats per kind (first = current).
FORMATS: dict[str, dict[str, list[str]]] = {
    "street": {"street": STREET_COLUMNS, "street-2010": STREET_2010_COLUMNS},
    "outcomes": {"outcomes": OUTCOMES_COLUMNS},
    "stop-and-search": {
        "stop-and-search": STOP_SEARCH_COLUMNS,
        "stop-and-search-2014": STOP_SEARCH_2014_COLUMNS,
    },
}

_INTERNAL = {
    "Crime ID": "crime_id",
    "Month": "month_text",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Easting": "easting",
    "Northing": "northing",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome",
    "Context": "context",
    "Outcome type": "outcome_type",
    "Type": "type",
    "Date": "date_text",
    "Part of a policing operation": "part_of_policing_operation",
    "Policing operation": "policing_operation",
    "Gender": "gender",
    "Age range": "age_range",
    "Self-defined ethnicity": "self_defined_ethnicity",
    "Officer-defined ethnicity": "officer_defined_ethnicity",
    "Legislation": "legislation",
    "Object of search": "object_of_search",
    "Outcome": "outcome",
    "Outcome linked to object of search": "outcome_linked_to_object",
    "Removal of more than just outer clothing": "removal_of_more_than_outer_clothing",
}
_FIELD = {v: k for k, v in _INTERNAL.items()}

#: Output columns, in order (docs/CONTRACTS.md).
STREET_OUT = [
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "easting",
    "northing",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "category",
    "category_stable",
    "last_outcome",
    "context",
    "district",
    "district_method",
    "source_format",
    "source_file",
    "synthetic",
]
OUTCOMES_OUT = [
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "outcome_type",
    "district",
    "source_file",
    "synthetic",
]
STOP_SEARCH_OUT = [
    "type",
    "datetime",
    "month",
    "part_of_policing_operation",
    "policing_operation",
    "latitude",
    "longitude",
    "gender",
    "age_range",
    "self_defined_ethnicity",
    "self_defined_group",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_linked_to_object",
    "removal_of_more_than_outer_clothing",
    "force",
    "source_file",
    "synthetic",
]
TABLE_NAMES = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}

#: The 18 census 2011 categories as police.uk writes them, and their group.
SELF_DEFINED_GROUPS: dict[str, str] = {
    "White - English/Welsh/Scottish/Northern Irish/British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Any other White background": "White",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "Mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "Mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "Mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "Mixed",
    "Asian/Asian British - Indian": "Asian",
    "Asian/Asian British - Pakistani": "Asian",
    "Asian/Asian British - Bangladeshi": "Asian",
    "Asian/Asian British - Chinese": "Asian",
    "Asian/Asian British - Any other Asian background": "Asian",
    "Black/African/Caribbean/Black British - African": "Black",
    "Black/African/Caribbean/Black British - Caribbean": "Black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": "Black",
    "Other ethnic group - Arab": "Other",
    "Other ethnic group - Any other ethnic group": "Other",
    "Other ethnic group - Not stated": "Not stated",
}
#: Published values of the other person fields of a search (a blank is allowed:
#: missing, counted downstream, not rejected; any other value is a rejection).
GENDERS = ("Male", "Female", "Other")
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
OFFICER_DEFINED_ETHNICITIES = ("White", "Black", "Asian", "Other", "Mixed")
#: Stop-and-search fields checked against ``police_uk_values.csv``, in this order (a row
#: failing several is listed once, under the first).
_STOP_SEARCH_FIELDS = (
    "Type",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
)

#: Bounding box of England and Wales in decimal degrees (WGS84), generous by about
#: 0.1 degree: latitude from the Isles of Scilly (49.86 N) to Berwick-upon-Tweed
#: (55.81 N), longitude from the Isles of Scilly (6.45 W) to Lowestoft (1.76 E).
#: A point outside (a swapped latitude/longitude lands far outside) is a location rejection.
EW_LAT_LON_BOX = {"latitude": (49.8, 55.9), "longitude": (-6.5, 1.8)}
#: The same for the OSGB36 metres of the 2010-11 format (British National Grid:
#: England and Wales lie within easting 0-700 km, northing 0-700 km).
EW_OSGB_BOX = {"easting": (0.0, 700_000.0), "northing": (0.0, 700_000.0)}

_FORCE_ALIASES = {
    "metropolitan police service": "metropolitan",
    "metropolitan police": "metropolitan",
    "metropolitan": "metropolitan",
    "london, city of": "city-of-london",
    "city of london": "city-of-london",
    "city of london police": "city-of-london",
    "british transport police": "btp",
    "police service of northern ireland": "northern-ireland",
    "northern ireland": "northern-ireland",
}
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
#: Let pyarrow parse one file with several threads (pyarrow's default). On a saturated
#: shared machine single-threaded parsing can be steadier; measurements were inconclusive.
USE_THREADS = True
#: Columns parsed as float64 (decimal degrees or OSGB36 metres).
FLOAT_COLUMNS = frozenset({"longitude", "latitude", "easting", "northing"})
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_FLOAT_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def force_slug(name: str) -> str:
    """police.uk slug of a force: ``"West Midlands"`` / ``"West Midlands Police"`` -> ``"west-midlands"``.

    Also normalises ``Falls within`` values (``"Avon and Somerset Constabulary"`` ->
    ``"avon-and-somerset"``). A slug is returned unchanged.
    """
    n = str(name).strip().lower()
    if n in _FORCE_ALIASES:
        return _FORCE_ALIASES[n]
    n = n.replace("&", " and ")
    n = re.sub(r"\b(police service|constabulary|police)\b", " ", n)
    slug = re.sub(r"[^a-z0-9]+", "-", n).strip("-")
    return _FORCE_ALIASES.get(slug.replace("-", " "), slug)


# --------------------------------------------------------------------------- parsing


def _malformed(exc: csv.Error, display: str, line: int) -> SchemaError:
    return SchemaError(
        f"malformed CSV ({exc})",
        path=display,
        row=line,
        expected="well-formed comma-separated values",
    )


def _record_start_lines(text: str, display: str = "") -> np.ndarray:
    """1-based start line of every non-empty CSV record after the header."""
    reader = csv.reader(io.StringIO(text))
    starts: list[int] = []
    prev_end = 0
    try:
        for i, row in enumerate(reader):
            start = prev_end + 1
            prev_end = reader.line_num
            if i == 0:
                continue
            if row:
                starts.append(start)
    except csv.Error as exc:
        raise _malformed(exc, display, prev_end + 1) from None
    return np.asarray(starts, dtype=np.int64)


def _first_bad_field_count(text: str, ncols: int, display: str = "") -> tuple[int | None, int]:
    reader = csv.reader(io.StringIO(text))
    prev_end = 0
    try:
        for i, row in enumerate(reader):
            start = prev_end + 1
            prev_end = reader.line_num
            if i and row and len(row) != ncols:
                return start, len(row)
    except csv.Error as exc:
        raise _malformed(exc, display, prev_end + 1) from None
    return None, 0


def _normalise_newlines_bytes(data: bytes) -> bytes:
    """:func:`~wmp_analysis.ingest.textio.normalise_newlines` on UTF-8 bytes.

    Only when the data holds a CR that is not part of a CRLF (CR-only line endings,
    or a stray CR): every CRLF and then every CR becomes ``\n``, as textio does for
    the other readers. Working on bytes (a CR byte is never part of a multi-byte
    UTF-8 sequence) keeps the line of a later encoding error exact. CRLF-only and
    LF files are returned unchanged (pyarrow reads CRLF itself).
    """
    if b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


#: Columns read from the CSV as dictionaries (few distinct values; cheap to check and write).
DICT_COLUMNS = frozenset({"month_text", "reported_by", "falls_within", "crime_type"})
_DICT = pa.dictionary(pa.int32(), pa.string())


class Lines:
    """1-based line number of each parsed row (header = line 1), computed lazily.

    When a file has no blank lines and no quoted line breaks, row *i* is on line
    ``i + 2`` and nothing is stored; otherwise the record starts are counted once,
    exactly (the Python ``csv`` module), and kept.
    """

    def __init__(self, n: int, starts: np.ndarray | None = None) -> None:
        self.n = n
        self.starts = starts

    def __getitem__(self, i: int) -> int:
        return int(self.starts[i]) if self.starts is not None else int(i) + 2

    def take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return self.starts[rows] if self.starts is not None else rows + 2

    def array(self) -> np.ndarray:
        return self.starts if self.starts is not None else np.arange(2, self.n + 2, dtype=np.int64)

    def __len__(self) -> int:
        return self.n


def parse_csv(
    data: bytes,
    display: str,
    formats: dict[str, list[str]],
    dict_columns: frozenset[str] = frozenset(),
) -> tuple[str, pa.Table, Lines]:
    """Parse one police.uk CSV held in memory.

    Parameters
    ----------
    data : bytes
        Decompressed file content.
    display : str
        Name used in error messages.
    formats : dict
        Format name -> exact header; the header picks the format.
    dict_columns : frozenset of str
        Internal column names to read as dictionary arrays (low-cardinality text).

    Returns
    -------
    (str, pyarrow.Table, Lines)
        The format name; every column as text (``large_string``, or dictionary for
        *dict_columns*; longitude/latitude/easting/northing already float64 when they
        all parse) with internal snake_case names, empty cells null; and the line
        number of each row.

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError

    Notes
    -----
    CRLF is read as is; when *data* holds a CR outside a CRLF (CR-only line endings,
    or a stray CR) every CR is taken as a line ending first, so a CR-only file reads
    normally and a stray CR in the header (line 1) or in an unquoted field (the
    record's line) shows up as a wrong header or a short record.
    """
    if not data[:4096].strip() and not data.strip():
        first_fmt = next(iter(formats.values()))
        raise SchemaError("file is empty", path=display, row=1, expected=f"a header {first_fmt}")
    # CR-only line endings or a stray CR: every CR ends a line (as ingest/textio.py);
    # a CR inside a header or an unquoted field then shows as a short line, reported
    # by the header check or the field count with its line.
    data = _normalise_newlines_bytes(data)
    nl = data.find(b"\n")
    first_raw = data if nl < 0 else data[:nl]
    try:
        first = first_raw.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        decode_utf8(data, display)
        raise
    header = header_fields(first)
    fmt = next((name for name, cols in formats.items() if header == cols), None)
    if fmt is None:
        # report against the closest format
        best = max(formats.items(), key=lambda kv: len(set(kv[1]) & set(header)))
        try:
            check_header(header, best[1], display, raw_line=first)
        except SchemaError as exc:
            others = [n for n in formats if n != best[0]]
            if others:
                exc.expected = (exc.expected or "") + f"; or the {', '.join(others)} format"
                exc.args = (exc._render(),)
            raise
    cols = formats[fmt]
    names = [_INTERNAL[c] for c in cols]
    read_opts = pacsv.ReadOptions(
        column_names=names, skip_rows=1, block_size=1 << 24, use_threads=USE_THREADS
    )
    table = None
    buf = pa.py_buffer(data)
    # fast path: coordinates parsed natively; on a conversion error re-read as text
    # so that the bad value can be reported with its line
    for attempt, newlines_in_values in ((0, False), (1, False), (2, True)):
        types = {
            n: (
                pa.float64()
                if attempt == 0 and n in FLOAT_COLUMNS
                else _DICT
                if n in dict_columns
                else pa.large_string()
            )
            for n in names
        }
        conv_opts = pacsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        )
        try:
            table = pacsv.read_csv(
                pa.BufferReader(buf),
                read_options=read_opts,
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values),
                convert_options=conv_opts,
            )
            break
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if attempt == 0 and "conversion error to double" in msg:
                continue
            if "UTF8" in msg or "utf8" in msg.lower():
                decode_utf8(data, display)
                raise EncodingError(
                    "invalid UTF-8 data", path=display, expected="UTF-8 text"
                ) from None
            text = decode_utf8(data, display)
            line, got = _first_bad_field_count(text, len(cols), display)
            if line is not None:
                raise SchemaError(
                    f"row has {got} fields",
                    path=display,
                    row=line,
                    expected=f"{len(cols)} comma-separated fields",
                ) from None
            if newlines_in_values:
                raise SchemaError(
                    f"malformed CSV ({msg.strip()[:200]})",
                    path=display,
                    expected=f"{len(cols)} comma-separated fields",
                ) from None
    assert table is not None
    n = table.num_rows
    lines_total = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines_total - 1 == n:
        lines = Lines(n)
    else:  # blank lines or quoted line breaks: count exactly (only then)
        starts = _record_start_lines(decode_utf8(data, display), display)
        if len(starts) != n:  # pragma: no cover - defensive
            raise SchemaError("could not align rows with lines", path=display)
        lines = Lines(n, starts)
    for name in names:
        col = table.column(name)
        if not n or col.null_count == n or pa.types.is_floating(col.type):
            continue
        if pa.types.is_dictionary(col.type):
            too_long = [
                i
                for i, chunk in enumerate(col.chunks)
                if len(chunk.dictionary)
                and (pc.max(pc.binary_length(chunk.dictionary)).as_py() or 0) > MAX_FIELD_CHARS
            ]
            if not too_long:
                continue
            col = col.cast(pa.large_string())
        mx = pc.max(pc.binary_length(col)).as_py() or 0
        if mx > MAX_FIELD_CHARS:
            lengths = pc.utf8_length(col)
            too = pc.fill_null(pc.greater(lengths, MAX_FIELD_CHARS), False)
            if pc.any(too).as_py():
                i = pc.index(too, True).as_py()
                raise ValueFormatError(
                    f"field longer than {MAX_FIELD_CHARS} characters",
                    path=display,
                    row=lines[i],
                    field=_FIELD[name],
                    expected="a short text value",
                )
    return fmt, table, lines


def _first_true(mask) -> int:
    return pc.index(pc.fill_null(mask, True), True).as_py()


def _first_bad(col: pa.ChunkedArray, ok) -> tuple[int | None, str | None]:
    """First row (and its value) whose value fails ``ok(value)``; the test runs on
    the distinct values only (dictionary), never per row in Python."""
    offset = 0
    for chunk in col.chunks:
        enc = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        keys = enc.dictionary.to_pylist()
        bad = [i for i, k in enumerate(keys) if not ok(k)]
        mask = None
        if bad:
            mask = pc.is_in(enc.indices, value_set=pa.array(bad, type=enc.indices.type))
        if enc.null_count and not ok(None):
            nulls = pc.is_null(enc.indices)
            mask = nulls if mask is None else pc.or_(mask, nulls)
        if mask is not None and pc.any(mask).as_py():
            i = pc.index(mask, True).as_py()
            return offset + i, chunk[i].as_py()
        offset += len(chunk)
    return None, None


def _check_month_column(table: pa.Table, month: str, display: str, lines: Lines) -> None:
    i, value = _first_bad(table.column("month_text"), lambda v: v == month)
    if i is None:
        return
    if value is not None and re.match(_MONTH_RE, value.strip()):
        raise PeriodError(
            f"month {value!r} in a file for {month}",
            path=display,
            row=lines[i],
            field="Month",
            expected=f"{month} (the month in the file name)",
        )
    raise ValueFormatError(
        f"{value!r} is not a month",
        path=display,
        row=lines[i],
        field="Month",
        expected=f"YYYY-MM, here {month}",
    )


def _check_force_column(table: pa.Table, slug: str, display: str, lines: Lines) -> None:
    i, value = _first_bad(
        table.column("falls_within"), lambda v: v is not None and force_slug(v) == slug
    )
    if i is not None:
        raise UnknownForceError(
            f"record of force {value!r} in a file of {slug!r}",
            path=display,
            row=lines[i],
            field="Falls within",
            expected=f"the force {slug!r}",
        )


def _to_float(
    table: pa.Table,
    name: str,
    display: str,
    lines: Lines,
    lo: float | None = None,
    hi: float | None = None,
) -> pa.ChunkedArray:
    col = table.column(name)
    if pa.types.is_floating(col.type):
        out = col
    else:
        try:
            out = pc.cast(pc.utf8_trim_whitespace(col), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            bad = pc.invert(pc.fill_null(pc.match_substring_regex(col, _FLOAT_RE), True))
            i = _first_true(bad)
            raise ValueFormatError(
                f"{col[i].as_py()!r} is not a number",
                path=display,
                row=lines[i],
                field=_FIELD[name],
                expected="a decimal number or empty",
            ) from None
    if lo is not None and out.null_count < len(out):
        outside = pc.fill_null(pc.or_(pc.less(out, lo), pc.greater(out, hi)), False)
        if pc.any(outside).as_py():
            i = _first_true(outside)
            raise ValueFormatError(
                f"{col[i].as_py()!r} is out of range",
                path=display,
                row=lines[i],
                field=_FIELD[name],
                expected=f"a value in [{lo}, {hi}]",
            )
    return out


def _const_dict(value: str, n: int) -> pa.DictionaryArray:
    """*value* repeated n times, as a dictionary array (one dictionary entry)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], type=pa.string())
    )


def _const_str(value: str, n: int) -> pa.Array:
    """A large_string array repeating *value* n times, built from raw buffers (fast)."""
    raw = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)]
    )


def _column_or_null(table: pa.Table, name: str, typ=None):
    typ = pa.large_string() if typ is None else typ
    if name in table.column_names:
        return table.column(name)
    return pa.nulls(table.num_rows, typ)


def _as_dict(col) -> pa.ChunkedArray:
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    if pa.types.is_dictionary(col.type):
        return col
    return (
        pa.chunked_array([pc.dictionary_encode(c) for c in col.chunks], type=_DICT)
        if col.num_chunks
        else pa.chunked_array([], type=_DICT)
    )


def _month_array(month: str, n: int) -> pa.Array:
    return pa.array(np.full(n, np.datetime64(month + "-01", "ns")))


def _dict_codes(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, type=pa.int32()), pa.array(list(labels), type=pa.string())
    )


@dataclass
class _Context:
    """What the per-file builders share: the LSOA lookup, the value tables, the
    unknown-value threshold, and the rejections and not-recorded counts so far."""

    districts: DistrictLookup
    max_unknown_share: float = DEFAULT_MAX_UNKNOWN_SHARE
    values: dict = field(default_factory=load_value_table)
    rejections: list[pd.DataFrame] = field(default_factory=list)
    not_recorded: dict = field(default_factory=dict)
    location_rejections: dict = field(default_factory=dict)

    def count_blank(self, kind: str, field_name: str, n: int) -> None:
        if n:
            per = self.not_recorded.setdefault(kind, {})
            per[field_name] = per.get(field_name, 0) + int(n)


def _unknown_rows(
    ctx: _Context,
    d: str,
    lines: Lines,
    col,
    n: int,
    allowed,
    allow_null: bool,
    field_name: str,
    table: str,
) -> tuple[np.ndarray, list]:
    """Rows of *col* outside *allowed* (threshold checked); returns (mask, values of those rows)."""
    bad = ~known_mask(col, allowed, allow_null=allow_null)
    if not bad.any():
        return bad, []
    rows = np.flatnonzero(bad)
    taken = pc.take(col, pa.array(rows))
    if pa.types.is_dictionary(taken.type):
        taken = taken.cast(pa.large_string())
    values = taken.to_pylist()
    check_unknown_share(d, field_name, values, n, ctx.max_unknown_share, table)
    return bad, values


def _check_values(
    ctx: _Context,
    kind: str,
    field_name: str,
    table: pa.Table,
    lines: Lines,
    d: str,
    keep: np.ndarray,
    table_name: str = "police_uk_values.csv",
) -> None:
    """Check one categorical field against its :class:`FieldValues`; reject unknown rows
    (one rejection per row: the first field that fails), count blanks; updates *keep*."""
    from wmp_analysis.ingest.police_uk_reference import FIELDS

    name = FIELDS[(kind, field_name)]
    if name not in table.column_names:
        return
    fv: FieldValues = ctx.values[(kind, field_name)]
    col = table.column(name)
    n = table.num_rows
    allow_null = fv.blank_group is not None
    bad, values = _unknown_rows(
        ctx, d, lines, col, n, fv.values, allow_null, field_name, table_name
    )
    if allow_null:
        ctx.count_blank(kind, field_name, col.null_count)
    if bad.any():
        first = bad & keep
        rows = np.flatnonzero(first)
        vals = [v for v, f in zip(values, first[bad]) if f]
        ctx.rejections.append(
            _rejections_frame(
                d, lines, rows, vals, field_name, f"{field_name.lower()} not in {table_name}"
            )
        )
        keep &= ~bad


def _duplicate_rows(table: pa.Table, names: Sequence[str]) -> np.ndarray:
    """Rows repeating the values of *names* of an earlier row; the first is kept.

    A row with a blank Crime ID (anti-social behaviour) is never a duplicate.
    """
    n = table.num_rows
    if not n or "crime_id" not in table.column_names:
        return np.zeros(n, dtype=bool)
    ids = table.column("crime_id")
    if ids.null_count == n:
        return np.zeros(n, dtype=bool)
    if len(names) == 1:  # every Crime ID distinct (the usual case): nothing to mark
        # distinct first 16 characters imply distinct IDs (hashing 16 characters, not 64, per row)
        head = pc.utf8_slice_codeunits(ids, 0, 16)
        if pc.count_distinct(head).as_py() == n - ids.null_count:
            return np.zeros(n, dtype=bool)
        if pc.count_distinct(ids).as_py() == n - ids.null_count:
            return np.zeros(n, dtype=bool)
    blank_id = np.asarray(pc.is_null(ids).to_numpy(zero_copy_only=False), dtype=bool)
    key = np.zeros(n, dtype=np.int64)
    for name in names:
        enc = pc.dictionary_encode(table.column(name).cast(pa.large_string())).combine_chunks()
        code = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
        key = key * (len(enc.dictionary) + 1) + code
    _, first = np.unique(key, return_index=True)
    dup = np.ones(n, dtype=bool)
    dup[first] = False
    dup[blank_id] = False
    return dup


def _reject_duplicates(
    ctx: _Context,
    table: pa.Table,
    lines: Lines,
    d: str,
    names: Sequence[str],
    what: str,
    keep: np.ndarray,
) -> np.ndarray:
    """Reject duplicates among the rows still kept; returns the mask of those rejected."""
    dup = _duplicate_rows(table, names) & keep
    if dup.any():
        rows = np.flatnonzero(dup)
        values = (
            pc.take(table.column("crime_id"), pa.array(rows)).cast(pa.large_string()).to_pylist()
        )
        ctx.rejections.append(
            _rejections_frame(
                d,
                lines,
                rows,
                values,
                "Crime ID",
                f"duplicate {what} within the month (first kept)",
            )
        )
    return dup


def _check_location(
    ctx: _Context,
    kind: str,
    d: str,
    lines: Lines,
    a,
    b,
    names: tuple[str, str],
    box: dict,
    keep: np.ndarray | None = None,
):
    """Null the coordinates of rows whose location is outside *box*, NaN or half given.

    Returns the two coordinate arrays; each such row is a rejection of the location
    only (listed with field, value and reason), the record is kept.
    """
    n = len(a)
    if not n or (a.null_count == n and b.null_count == n):
        return a, b
    av = np.asarray(pc.fill_null(a, np.nan).to_numpy(), dtype=np.float64)
    bv = np.asarray(pc.fill_null(b, np.nan).to_numpy(), dtype=np.float64)
    a_null = np.asarray(pc.is_null(a).to_numpy(zero_copy_only=False), dtype=bool)
    b_null = np.asarray(pc.is_null(b).to_numpy(zero_copy_only=False), dtype=bool)
    with np.errstate(invalid="ignore"):
        a_bad = np.isnan(av) | (av < box[names[0]][0]) | (av > box[names[0]][1])
        b_bad = np.isnan(bv) | (bv < box[names[1]][0]) | (bv > box[names[1]][1])
    a_bad &= ~a_null
    b_bad &= ~b_null
    half = a_null ^ b_null
    bad = a_bad | b_bad | half
    if keep is not None:
        bad_report = bad & keep
    else:
        bad_report = bad
    if not bad.any():
        return a, b
    rows = np.flatnonzero(bad_report)
    use_a = a_bad[rows] | (half[rows] & ~a_null[rows])
    fields = [_FIELD[names[0]] if ua else _FIELD[names[1]] for ua in use_a]
    vals = [
        ("" if np.isnan(x) and an else repr(float(x)))
        if ua
        else ("" if np.isnan(y) and bn else repr(float(y)))
        for ua, x, y, an, bn in zip(use_a, av[rows], bv[rows], a_null[rows], b_null[rows])
    ]
    lo_a, hi_a = box[names[0]]
    lo_b, hi_b = box[names[1]]
    reason = (
        f"location rejected, record kept: not inside England and Wales ({_FIELD[names[0]]} {lo_a:g} to "
        f"{hi_a:g}, {_FIELD[names[1]]} {lo_b:g} to {hi_b:g}), NaN, or only one coordinate"
    )
    if len(rows):
        frame = _rejections_frame(d, lines, rows, vals, "", reason)
        frame["field"] = pd.array(fields, dtype=_STR)
        ctx.rejections.append(frame)
        ctx.location_rejections[kind] = ctx.location_rejections.get(kind, 0) + len(rows)
    nulls = pa.array(bad)
    return (
        pc.if_else(nulls, pa.scalar(None, pa.float64()), a),
        pc.if_else(nulls, pa.scalar(None, pa.float64()), b),
    )


def _rejections_frame(
    display: str, lines: Lines, rows: np.ndarray, values: list, field_name: str, reason: str
) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "path": pd.array([display] * n, dtype=_STR),
            "line": lines.take(rows).astype("int64"),
            "field": pd.array([field_name] * n, dtype=_STR),
            "value": pd.array(["" if v is None else v for v in values], dtype=_STR),
            "reason": pd.array([reason] * n, dtype=_STR),
        }
    )


def _street_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    _check_month_column(table, f.month, d, lines)
    _check_force_column(table, slug, d, lines)
    n = table.num_rows
    crime_type = _as_dict(table.column("crime_type"))
    category, stable, known = harmonise_street_arrow(crime_type, f.month)
    if not known.all():  # threshold first: a thinned file never gets further
        rows = np.flatnonzero(~known)
        values = pc.take(crime_type, pa.array(rows)).cast(pa.large_string()).to_pylist()
        check_unknown_share(
            d, "Crime type", values, n, ctx.max_unknown_share, "police_uk_categories.csv"
        )
    keep = known.copy()
    if fmt == "street":
        _check_values(ctx, "street", "Last outcome category", table, lines, d, keep)
    keep &= ~_reject_duplicates(ctx, table, lines, d, ["crime_id"], "Crime ID", keep)
    if fmt == "street":
        lon, lat = _check_location(
            ctx,
            "street",
            d,
            lines,
            _to_float(table, "longitude", d, lines),
            _to_float(table, "latitude", d, lines),
            ("longitude", "latitude"),
            EW_LAT_LON_BOX,
            keep,
        )
        east = north = pa.nulls(n, pa.float64())
    else:
        lon = lat = pa.nulls(n, pa.float64())
        east, north = _check_location(
            ctx,
            "street",
            d,
            lines,
            _to_float(table, "easting", d, lines),
            _to_float(table, "northing", d, lines),
            ("easting", "northing"),
            EW_OSGB_BOX,
            keep,
        )
    lsoa_code = _column_or_null(table, "lsoa_code")
    lsoa_name = _column_or_null(table, "lsoa_name")
    has_lsoa = "lsoa_code" in table.column_names
    dist, method = district_codes(
        lsoa_code if has_lsoa else None, lsoa_name if has_lsoa else None, ctx.districts, n
    )
    out = pa.table(
        {
            "crime_id": _column_or_null(table, "crime_id"),
            "month": _month_array(f.month, n),
            "reported_by": _as_dict(table.column("reported_by")),
            "falls_within": _as_dict(table.column("falls_within")),
            "longitude": lon,
            "latitude": lat,
            "easting": east,
            "northing": north,
            "location": table.column("location"),
            "lsoa_code": lsoa_code,
            "lsoa_name": lsoa_name,
            "crime_type": crime_type,
            "category": category,
            "category_stable": stable,
            "last_outcome": _column_or_null(table, "last_outcome"),
            "context": table.column("context"),
            "district": _dict_codes(dist, ctx.districts.labels),
            "district_method": _dict_codes(method, DISTRICT_METHODS),
            "source_format": _const_dict(fmt, n),
            "source_file": _const_dict(d, n),
            "synthetic": pa.array(np.full(n, synthetic)),
        }
    )
    if not known.all():
        rows = np.flatnonzero(~known)
        values = pc.take(crime_type, pa.array(rows)).cast(pa.large_string()).to_pylist()
        ctx.rejections.append(
            _rejections_frame(
                d, lines, rows, values, "crime_type", "crime type not in police_uk_categories.csv"
            )
        )
    return out if keep.all() else out.filter(pa.array(keep))


def _outcomes_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    _check_month_column(table, f.month, d, lines)
    _check_force_column(table, slug, d, lines)
    n = table.num_rows
    keep = np.ones(n, dtype=bool)
    _check_values(ctx, "outcomes", "Outcome type", table, lines, d, keep)
    keep &= ~_reject_duplicates(
        ctx, table, lines, d, ["crime_id", "outcome_type"], "Crime ID and Outcome type", keep
    )
    lon, lat = _check_location(
        ctx,
        "outcomes",
        d,
        lines,
        _to_float(table, "longitude", d, lines),
        _to_float(table, "latitude", d, lines),
        ("longitude", "latitude"),
        EW_LAT_LON_BOX,
        keep,
    )
    dist, _method = district_codes(
        table.column("lsoa_code"), table.column("lsoa_name"), ctx.districts, n
    )
    out = pa.table(
        {
            "crime_id": table.column("crime_id"),
            "month": _month_array(f.month, n),
            "reported_by": _as_dict(table.column("reported_by")),
            "falls_within": _as_dict(table.column("falls_within")),
            "longitude": lon,
            "latitude": lat,
            "location": table.column("location"),
            "lsoa_code": table.column("lsoa_code"),
            "lsoa_name": table.column("lsoa_name"),
            "outcome_type": table.column("outcome_type"),
            "district": _dict_codes(dist, ctx.districts.labels),
            "source_file": _const_dict(d, n),
            "synthetic": pa.array(np.full(n, synthetic)),
        }
    )
    return out if keep.all() else out.filter(pa.array(keep))


def _stop_search_table(
    fmt, table, lines: Lines, f: PoliceUkFile, slug: str, synthetic: bool, ctx: _Context
) -> pa.Table:
    d = f.display
    n = table.num_rows
    cols = {
        name: _column_or_null(table, name)
        for name in (
            "type",
            "date_text",
            "part_of_policing_operation",
            "policing_operation",
            "gender",
            "age_range",
            "self_defined_ethnicity",
            "officer_defined_ethnicity",
            "legislation",
            "object_of_search",
            "outcome",
            "outcome_linked_to_object",
            "removal_of_more_than_outer_clothing",
        )
    }
    keep = np.ones(n, dtype=bool)
    for field_name in _STOP_SEARCH_FIELDS:
        _check_values(ctx, "stop-and-search", field_name, table, lines, d, keep)
    cols["latitude"], cols["longitude"] = _check_location(
        ctx,
        "stop-and-search",
        d,
        lines,
        _to_float(table, "latitude", d, lines),
        _to_float(table, "longitude", d, lines),
        ("latitude", "longitude"),
        EW_LAT_LON_BOX,
        keep,
    )
    cols["month"] = _month_array(f.month, n)
    cols["file_month"] = _const_str(f.month, n)
    cols["source_file"] = _const_str(d, n)
    cols["synthetic"] = pa.array(np.full(n, synthetic))
    cols["_line"] = pa.array(lines.array())
    out = pa.table(cols)
    return out if keep.all() else out.filter(pa.array(keep))


_BUILDERS = {
    "street": _street_table,
    "outcomes": _outcomes_table,
    "stop-and-search": _stop_search_table,
}
_DICT_COLUMNS = {"street": DICT_COLUMNS, "outcomes": DICT_COLUMNS, "stop-and-search": frozenset()}


def tidy_dictionaries(table: pa.Table) -> pa.Table:
    """One dictionary per dictionary column, holding only values that occur, sorted.

    Files are parsed separately, so each chunk has its own dictionary; this unifies
    them so that the Parquet file and the pandas ``category`` dtype read from it
    list each value once (and no value with zero rows).
    """
    table = table.unify_dictionaries()
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if not pa.types.is_dictionary(col.type) or not col.num_chunks:
            cols[name] = col
            continue
        dictionary = col.chunk(0).dictionary
        counts = np.zeros(len(dictionary) + 1, dtype=np.int64)
        for chunk in col.chunks:
            idx = pc.fill_null(chunk.indices, len(dictionary)).to_numpy(zero_copy_only=False)
            counts += np.bincount(idx, minlength=len(dictionary) + 1)
        used = np.flatnonzero(counts[:-1] > 0)
        values = dictionary.to_pylist()
        keep = sorted(used.tolist(), key=lambda i: values[i])
        if keep == list(range(len(values))):
            cols[name] = col
            continue
        remap = np.zeros(len(dictionary), dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        new_dict = pa.array([values[i] for i in keep], type=dictionary.type)
        remap_arr = pa.array(remap)
        cols[name] = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(pc.take(remap_arr, c.indices), new_dict)
                for c in col.chunks
            ],
            type=col.type,
        )
    return pa.table(cols)


def _to_pandas(t: pa.Table) -> pd.DataFrame:
    """All text as pandas' ``str`` (the in-memory API of :func:`read_police_uk`)."""
    cols = {}
    for name in t.column_names:
        col = t.column(name)
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            col = pc.cast(col, pa.large_string())  # pandas' str dtype holds large_string
        cols[name] = col
    t = pa.table(cols)
    del cols
    return t.to_pandas(types_mapper={pa.large_string(): _STR}.get, self_destruct=True)


def _pandas_to_arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


# --------------------------------------------------------------------------- post-processing


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


def _empty_table(columns: list[str]) -> pd.DataFrame:
    floats = {"longitude", "latitude", "easting", "northing"}
    data = {}
    for c in columns:
        if c in floats:
            data[c] = pd.Series([], dtype="float64")
        elif c in ("month", "datetime"):
            data[c] = pd.Series([], dtype="datetime64[ns]")
        elif c == "synthetic":
            data[c] = pd.Series([], dtype="bool")
        elif c in (
            "part_of_policing_operation",
            "outcome_linked_to_object",
            "removal_of_more_than_outer_clothing",
        ):
            data[c] = pd.Series([], dtype="boolean")
        else:
            data[c] = pd.Series([], dtype=_STR)
    return pd.DataFrame(data)


# --------------------------------------------------------------------------- entry point


@dataclass
class PoliceUkResult:
    """What :func:`read_police_uk` returns.

    Attributes
    ----------
    tables : dict of str -> DataFrame
        ``"street"``, ``"outcomes"``, ``"stop_search"`` (docs/CONTRACTS.md), one per
        kind read (an empty table with the right columns when no file was found).
    rejections : DataFrame
        ``path, line, field, value, reason``: rows dropped (a value outside its
        reference table, a duplicate Crime ID, a stop-search date outside its file's
        month) and locations rejected (reason starts "location rejected, record kept";
        the row stays in the table with null coordinates).
    files : list of dict
        Every file read: ``path, member, kind, format, month, rows_read, size,
        sha256, synthetic`` (for zip members, size and sha256 are of the member's
        bytes, and ``archive_sha256`` is the zip's).
    missing_months : dict of kind -> list of "YYYY-MM"
        Months in the configured range (or, without one, between the first and
        last file) with no file. Reported, never filled.
    out_of_range : list of dict
        Files whose month lies outside *months*: not read, listed here.
    empty_files : list of dict
        Files with a header and no rows (``path, member, kind, month, reason``): their
        month is in ``missing_months``, never a month of zero.
    not_recorded : dict of kind -> dict of field -> int
        Blank cells kept as data (e.g. ``{"stop-and-search": {"Gender": 120}}``), in
        rows read (before rejections of other fields).
    location_rejections : dict of kind -> int
        Records whose location was rejected (coordinates nulled, record kept); each
        is also a row of ``rejections``.
    """

    tables: dict[str, pd.DataFrame]
    rejections: pd.DataFrame
    files: list[dict] = field(default_factory=list)
    missing_months: dict[str, list[str]] = field(default_factory=dict)
    out_of_range: list[dict] = field(default_factory=list)
    empty_files: list[dict] = field(default_factory=list)
    not_recorded: dict[str, dict[str, int]] = field(default_factory=dict)
    location_rejections: dict[str, int] = field(default_factory=dict)

    def rejection_counts(self) -> dict[str, int]:
        """Rejected rows by reason."""
        return {
            str(k): int(v) for k, v in self.rejections["reason"].value_counts().sort_index().items()
        }


def _file_hash(f: PoliceUkFile, data: bytes, zip_hashes: dict) -> dict:
    if f.member is None:
        if f.path.name.lower().endswith(".gz"):
            return {"size": f.path.stat().st_size, "sha256": sha256_file(f.path)}
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if f.path not in zip_hashes:
        zip_hashes[f.path] = sha256_file(f.path)
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "archive_sha256": zip_hashes[f.path],
    }


def _load(f: PoliceUkFile, budget: ByteBudget | None, zip_hashes: dict) -> tuple[bytes, dict]:
    data = read_file_bytes(f, budget)
    return data, _file_hash(f, data, zip_hashes)


def _empty_arrow(columns: list[str]) -> pa.Table:
    return pa.Table.from_pandas(_empty_table(columns), preserve_index=False)


@lru_cache(maxsize=4096)
def _marker_above(folder: str) -> bool:
    """:func:`~wmp_analysis.provenance.is_synthetic`'s marker test for the files of *folder*."""
    return is_synthetic(Path(folder).resolve() / "_")


def _is_synthetic_file(path: Path) -> bool:
    """:func:`~wmp_analysis.provenance.is_synthetic` with the marker search cached per folder
    (thousands of monthly files share a few folders); a linked file is checked in full."""
    p = Path(path)
    if "synthetic" in p.name.lower() or p.is_symlink():
        return is_synthetic(p)
    return _marker_above(str(p.parent))


_EMPTY_REJECTIONS: pd.DataFrame | None = None


def _no_rejections() -> pd.DataFrame:
    """:func:`~wmp_analysis.harmonise.police_uk.empty_rejections`, built once and copied (it is asked
    for once per month and file)."""
    global _EMPTY_REJECTIONS
    if _EMPTY_REJECTIONS is None:
        _EMPTY_REJECTIONS = empty_rejections()
    return _EMPTY_REJECTIONS.copy()


def _iter_files(
    to_read: Sequence[PoliceUkFile], slug: str, ctx: _Context, max_uncompressed_bytes: int
):
    """Parse, check and build each file of *to_read* in order; yields ``(file, table, record)``.

    While one file is parsed, the next is read and hashed on a second thread.
    """
    budgets: dict[Path, ByteBudget] = {}
    zip_hashes: dict = {}

    def submit(pool, f):
        budget = None
        if f.member is not None:
            budget = budgets.setdefault(f.path, ByteBudget(max_uncompressed_bytes))
        return pool.submit(_load, f, budget, zip_hashes)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = submit(pool, to_read[0]) if to_read else None
        for k, f in enumerate(to_read):
            data, hashes = pending.result()
            pending = submit(pool, to_read[k + 1]) if k + 1 < len(to_read) else None
            synthetic = bool(
                _is_synthetic_file(f.path)
                or (f.member is not None and "synthetic" in f.member.lower())
            )
            fmt, table, lines = parse_csv(data, f.display, FORMATS[f.kind], _DICT_COLUMNS[f.kind])
            del data
            part = _BUILDERS[f.kind](fmt, table, lines, f, slug, synthetic, ctx)
            record = {
                "path": str(f.path),
                "member": f.member,
                "kind": f.kind,
                "format": fmt,
                "month": f.month,
                "rows_read": int(table.num_rows),
                "synthetic": synthetic,
                **hashes,
            }
            del table
            yield f, part, record


def _finish(
    parts: dict[str, list[pa.Table]],
    kinds: Sequence[str],
    force: str,
    as_arrow: bool,
    ctx_rejections: list[pd.DataFrame],
) -> tuple[dict, pd.DataFrame]:
    """Concatenate each kind's file tables (stop-and-search: dates, groups, booleans) and sort the
    rejections by file and line; returns ``(tables, rejections)``."""
    tables: dict[str, pd.DataFrame | pa.Table] = {}
    rejections = list(ctx_rejections)
    for kind in kinds:
        out_cols = {
            "street": STREET_OUT,
            "outcomes": OUTCOMES_OUT,
            "stop-and-search": STOP_SEARCH_OUT,
        }[kind]
        name = TABLE_NAMES[kind]
        if not parts.get(kind):
            tables[name] = _empty_arrow(out_cols) if as_arrow else _empty_table(out_cols)
            continue
        t = pa.concat_tables(parts[kind], promote_options="permissive")
        parts[kind] = []
        if kind == "stop-and-search":
            df, rej = _finish_stop_search(_to_pandas(t), force)
            rejections.append(rej)
            df = df[out_cols].reset_index(drop=True)
            tables[name] = _pandas_to_arrow(df) if as_arrow else df
        else:
            t = tidy_dictionaries(t.select(out_cols))
            tables[name] = t if as_arrow else _to_pandas(t)
        del t
    rejections = [r for r in rejections if len(r)]
    if not rejections:  # the usual case: no frame to concatenate or sort
        return tables, _no_rejections()
    rej_all = pd.concat(rejections, ignore_index=True)
    rej_all = (
        rej_all[REJECTION_COLUMNS]
        .sort_values(["path", "line"], kind="mergesort")
        .reset_index(drop=True)
    )
    return tables, rej_all


@dataclass
class MonthResult:
    """One month of one force, as :func:`iter_police_uk_months` yields it.

    Attributes
    ----------
    month : str
        ``YYYY-MM``.
    tables : dict of str -> pyarrow.Table
        ``street``, ``outcomes``, ``stop_search`` of the kinds with a file this month
        (as :func:`read_police_uk` with ``as_arrow=True`` builds them).
    rejections : DataFrame
        This month's rejections (``path, line, field, value, reason``), sorted by file and line.
    files : list of dict
        This month's file records (as :attr:`PoliceUkResult.files`).
    not_recorded, location_rejections : dict
        This month's counts (as in :class:`PoliceUkResult`).
    """

    month: str
    tables: dict
    rejections: pd.DataFrame
    files: list
    not_recorded: dict
    location_rejections: dict


def iter_police_uk_months(
    files: Sequence[PoliceUkFile],
    *,
    force: str,
    lsoa_lookup: pd.DataFrame | None = None,
    max_uncompressed_bytes: int = MAX_ARCHIVE_BYTES,
    max_unknown_share: float = DEFAULT_MAX_UNKNOWN_SHARE,
):
    """Read *files* (found by :func:`~wmp_analysis.ingest.archive.discover`) one month at a time.

    Every check of :func:`read_police_uk` applies unchanged (they are all per file);
    the difference is that each month's tables are yielded as soon as its files are
    read, so memory holds one month, and the caller (the partitioned dataset,
    :mod:`wmp_analysis.ingest.dataset`) writes it and lets it go. Months come in
    order; missing months and out-of-range files are the caller's (it knows which
    months it skipped).

    Yields
    ------
    MonthResult
    """
    slug = force_slug(force)
    ordered = sorted(files, key=lambda f: (f.month, KINDS.index(f.kind) if f.kind in KINDS else 9))
    check_declared_sizes(ordered, max_uncompressed_bytes)
    ctx = _Context(
        districts=DistrictLookup(lsoa_lookup), max_unknown_share=float(max_unknown_share)
    )
    current: str | None = None
    parts: dict[str, list[pa.Table]] = {}
    records: list[dict] = []

    def flush():
        kinds = [k for k in KINDS if k in parts]
        tables, rej = _finish(parts, kinds, force, True, ctx.rejections)
        out = MonthResult(
            month=current,
            tables=tables,
            rejections=rej,
            files=list(records),
            not_recorded=ctx.not_recorded,
            location_rejections=ctx.location_rejections,
        )
        ctx.rejections, ctx.not_recorded, ctx.location_rejections = [], {}, {}
        return out

    for f, part, record in _iter_files(ordered, slug, ctx, max_uncompressed_bytes):
        if current is not None and f.month != current:
            yield flush()
            parts, records = {}, []
        current = f.month
        parts.setdefault(f.kind, []).append(part)
        records.append(record)
    if current is not None:
        yield flush()


def read_police_uk(
    source: str | Path | Sequence[str | Path],
    *,
    force: str,
    months: Period | None = None,
    lsoa_lookup: pd.DataFrame | None = None,
    kinds: Sequence[str] = KINDS,
    max_uncompressed_bytes: int = MAX_ARCHIVE_BYTES,
    as_arrow: bool = False,
    max_unknown_share: float = DEFAULT_MAX_UNKNOWN_SHARE,
) -> PoliceUkResult:
    """Read, validate and harmonise a force's data.police.uk monthly files.

    Parameters
    ----------
    source : path or list of paths
        A folder laid out as the archive unzips (``YYYY-MM/YYYY-MM-<force>-<kind>.csv``,
        searched recursively, ``.csv.gz`` and ``.zip`` inside accepted), one CSV,
        or an archive ``.zip`` (read in place, never extracted).
    force : str
        Force name (``"West Midlands"``, ``"West Midlands Police"``) or police.uk slug
        (``"west-midlands"``). Only this force's files are read.
    months : Period, optional
        Months expected. Files outside are listed in ``out_of_range`` and not read;
        months inside with no file are listed in ``missing_months``.
    lsoa_lookup : DataFrame, optional
        ``lsoa_code, lsoa_name, lad_code, lad_name``; without it every record's
        district is ``"unassigned"``.
    kinds : sequence of str
        Any of ``"street"``, ``"outcomes"``, ``"stop-and-search"``.
    max_uncompressed_bytes : int
        Largest total uncompressed size read from one zip archive (zip-bomb guard).
    as_arrow : bool
        Return ``pyarrow.Table`` objects instead of DataFrames (what the ingest
        pipeline writes to Parquet). Low-cardinality text columns (``reported_by,
        falls_within, crime_type, category, category_stable, district,
        district_method, source_format, source_file``) are then dictionary arrays,
        which pandas reads as ``category``; with the default ``False`` every text
        column is pandas ``str``.
    max_unknown_share : float
        Largest share of a file's rows (0 to 1; default 0.005 = 0.5%) whose value in
        one categorical field may be outside its reference table. Up to it those rows
        are counted rejections; above it the file stops the ingest
        (:class:`~wmp_analysis.errors.UnknownCategoryError`). The pipeline reads it from
        the config key ``ingest.max_unknown_share``.

    Returns
    -------
    PoliceUkResult

    Raises
    ------
    SchemaError, EncodingError, ValueFormatError, PeriodError, UnknownForceError,
    DuplicatePeriodError, ArchiveError, UnknownCategoryError
        For a file the run cannot use; each names the file and line or field.

    Notes
    -----
    Each file is parsed (multi-threaded ``pyarrow.csv``), checked and harmonised on
    its own, as Arrow arrays; checks and mappings run over the distinct values of a
    column (its dictionary), not over rows. While one file is parsed, the next is
    read and hashed on a second thread. Line numbers are only counted record by
    record when a file has blank lines or quoted line breaks.
    """
    if (
        isinstance(max_unknown_share, bool)
        or not isinstance(max_unknown_share, (int, float))
        or not 0 <= float(max_unknown_share) <= 1
    ):
        raise ValueError(
            f"max_unknown_share must be a share between 0 and 1, got {max_unknown_share!r}"
        )
    slug = force_slug(force)
    kinds = tuple(kinds)
    files = discover(source, force_slug=slug, kinds=kinds)
    wanted = {str(m) for m in months.months} if months is not None else None
    out_of_range: list[dict] = []
    to_read: list[PoliceUkFile] = []
    for f in files:
        if wanted is not None and f.month not in wanted:
            out_of_range.append(
                {
                    "path": str(f.path),
                    "member": f.member,
                    "kind": f.kind,
                    "month": f.month,
                    "reason": f"month outside {months.label}",
                }
            )
        else:
            to_read.append(f)
    check_declared_sizes(to_read, max_uncompressed_bytes)
    parts: dict[str, list[pa.Table]] = {k: [] for k in kinds}
    records: list[dict] = []
    ctx = _Context(
        districts=DistrictLookup(lsoa_lookup), max_unknown_share=float(max_unknown_share)
    )
    for f, part, record in _iter_files(to_read, slug, ctx, max_uncompressed_bytes):
        parts[f.kind].append(part)
        records.append(record)
    tables, rej_all = _finish(parts, kinds, force, as_arrow, ctx.rejections)
    missing, empty = missing_months_of(records, kinds, months)
    return PoliceUkResult(
        tables=tables,
        rejections=rej_all,
        files=records,
        missing_months=missing,
        out_of_range=out_of_range,
        empty_files=empty,
        not_recorded=ctx.not_recorded,
        location_rejections=ctx.location_rejections,
    )


def missing_months_of(
    records: list[dict], kinds: Sequence[str], months: Period | None
) -> tuple[dict[str, list[str]], list[dict]]:
    """Missing months per kind, and the header-only files among *records*.

    A month is missing for a kind when no file of that kind with at least one data
    row was read for it: a month folder without that kind's file, or a file with a
    header and no rows (listed in the second value too). Expected months are
    *months* when given; otherwise every month from the first to the last month of
    any file read (of any kind), so a month folder holding only street data makes
    its stop-and-search month missing. Never filled with zero.
    """
    empty = [
        {
            "path": r["path"],
            "member": r.get("member"),
            "kind": r["kind"],
            "month": r["month"],
            "reason": "header and no rows: a missing month, not a month of zero",
        }
        for r in records
        if not r.get("rows_read")
    ]
    if months is not None:
        expected = months.months
    else:
        all_seen = sorted({r["month"] for r in records})
        expected = (
            pd.period_range(all_seen[0], all_seen[-1], freq="M")
            if all_seen
            else pd.PeriodIndex([], freq="M")
        )
    missing: dict[str, list[str]] = {}
    for kind in kinds:
        seen = sorted({r["month"] for r in records if r["kind"] == kind and r.get("rows_read")})
        missing[kind] = _missing_months(seen, expected)
    return missing, empty
