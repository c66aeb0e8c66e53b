"""One police.uk CSV held in memory -> an Arrow table of text columns, with exact line numbers.

The header picks the format (:data:`~wmp_analysis.ingest.police_uk.schema.FORMATS`);
``pyarrow.csv`` parses every column as text (coordinates as float64 when they all parse).
Line numbers are exact (header = line 1), also with blank lines or quoted line breaks.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wmp_analysis.errors import EncodingError, SchemaError, ValueFormatError
from wmp_analysis.ingest.police_uk.schema import _DICT, _FIELD, _INTERNAL, FLOAT_COLUMNS
from wmp_analysis.ingest.textio import MAX_FIELD_CHARS, check_header, decode_utf8, header_fields

#: Let pyarrow parse one file with several threads. Off: the read loop parses two files at
#: once on its own threads (:mod:`~wmp_analysis.ingest.police_uk.prefetch`), and pyarrow's
#: threaded reader costs ~7% more CPU for the same file (benchmarks/RESULTS.md).
USE_THREADS = False


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
    if b"\r" not in data or not _has_lone_cr(data):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _has_lone_cr(data: bytes) -> bool:
    """Whether *data* holds a CR not followed by LF (NumPy over 16 MiB slices; a CRLF file,
    as police.uk publishes them, is otherwise two full ``bytes.count`` passes)."""
    view = np.frombuffer(data, dtype=np.uint8)
    for i in range(0, len(view), _SCAN_BYTES):
        cr = np.flatnonzero(view[i : i + _SCAN_BYTES] == 13) + i
        if not len(cr):
            continue
        if cr[-1] + 1 >= len(view) or (view[cr + 1] != 10).any():
            return True
    return False


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
    data, fmt = _pick_format(data, display, formats)
    cols = formats[fmt]
    names = [_INTERNAL[c] for c in cols]
    table = _read_table(data, display, names, dict_columns)
    lines = _line_numbers(data, display, table.num_rows)
    _check_field_lengths(table, names, display, lines)
    return fmt, table, lines


def _pick_format(data: bytes, display: str, formats: dict[str, list[str]]) -> tuple[bytes, str]:
    """The data with every lone CR taken as a line end, and the format its header names.

    Raises :class:`SchemaError` for an empty file or a header of no format (reported
    against the closest format, naming the others).
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
    return data, fmt


def _read_table(
    data: bytes, display: str, names: list[str], dict_columns: frozenset[str]
) -> pa.Table:
    """``pyarrow.csv`` over *data* (header skipped) with the internal *names*.

    Fast path first: coordinates parsed natively; on a conversion error the file is
    re-read with them as text (so that the bad value can be reported with its line),
    then with quoted line breaks allowed. A wrong field count or bad UTF-8 is reported
    with its line.
    """
    read_opts = pacsv.ReadOptions(
        column_names=names, skip_rows=1, block_size=1 << 24, use_threads=USE_THREADS
    )
    buf = pa.py_buffer(data)
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
            return pacsv.read_csv(
                pa.BufferReader(buf),
                read_options=read_opts,
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values),
                convert_options=conv_opts,
            )
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if attempt == 0 and "conversion error to double" in msg:
                continue
            _raise_read_error(data, display, len(names), msg, newlines_in_values)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


def _raise_read_error(
    data: bytes, display: str, ncols: int, msg: str, newlines_in_values: bool
) -> None:
    """Turn a pyarrow parse error into the project's error, naming the line where it can."""
    if "UTF8" in msg or "utf8" in msg.lower():
        decode_utf8(data, display)
        raise EncodingError("invalid UTF-8 data", path=display, expected="UTF-8 text") from None
    text = decode_utf8(data, display)
    line, got = _first_bad_field_count(text, ncols, display)
    if line is not None:
        raise SchemaError(
            f"row has {got} fields",
            path=display,
            row=line,
            expected=f"{ncols} comma-separated fields",
        ) from None
    if newlines_in_values:
        raise SchemaError(
            f"malformed CSV ({msg.strip()[:200]})",
            path=display,
            expected=f"{ncols} comma-separated fields",
        ) from None


#: Bytes compared at once when counting line ends (bounds the temporary mask).
_SCAN_BYTES = 1 << 24


def count_newlines(data: bytes) -> int:
    """Number of ``\n`` bytes in *data* (NumPy over 16 MiB slices: about 3x ``bytes.count``)."""
    view = np.frombuffer(data, dtype=np.uint8)
    return int(
        sum(
            np.count_nonzero(view[i : i + _SCAN_BYTES] == 10)
            for i in range(0, len(view), _SCAN_BYTES)
        )
    )


def _line_numbers(data: bytes, display: str, n: int) -> Lines:
    """The line of each of the *n* rows: counted record by record only when the file has
    blank lines or quoted line breaks."""
    lines_total = count_newlines(data) + (0 if data.endswith(b"\n") else 1)
    if lines_total - 1 == n:
        return Lines(n)
    starts = _record_start_lines(decode_utf8(data, display), display)
    if len(starts) != n:  # pragma: no cover - defensive
        raise SchemaError("could not align rows with lines", path=display)
    return Lines(n, starts)


def _check_field_lengths(table: pa.Table, names: list[str], display: str, lines: Lines) -> None:
    """:class:`ValueFormatError` at the first text field longer than ``MAX_FIELD_CHARS``."""
    n = table.num_rows
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
