"""Safe, strict opening of CSV inputs (plain, gzip or a member of a zip).

Rules applied to every input:

* the raw file is only ever read, never modified;
* text must be UTF-8 (a UTF-8 byte-order mark is accepted and stripped); other
  bytes raise :class:`~wmp_analysis.errors.EncodingError` naming the line;
* gzip must be real gzip and complete; a decompressed size above
  :data:`MAX_DECOMPRESSED_BYTES` is refused as a possible bomb;
* the header must match the expected columns exactly, in order; a header that
  looks ``;``- or tab-delimited is reported as a wrong delimiter;
* an empty file (no header) is a :class:`~wmp_analysis.errors.SchemaError`.

Row numbers in errors are 1-based *line* numbers with the header on line 1.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import ArchiveError, EncodingError, SchemaError, ValueFormatError, shorten

#: Largest decompressed size accepted from one gzip or zip member (bytes).
MAX_DECOMPRESSED_BYTES = 2 * 1024**3
#: Largest single field accepted (characters); police.uk fields are short.
MAX_FIELD_CHARS = 10_000


# csv's own field limit (131,072) would raise a bare csv.Error; our own check names the field.
csv.field_size_limit(64 * 1024 * 1024)


def read_bytes(path: str | Path, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Bytes of *path*, transparently gunzipping ``.gz`` files.

    Raises
    ------
    ArchiveError
        Not gzip, truncated gzip, or larger than *max_bytes* when decompressed.
    """
    path = Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ArchiveError(
                f"not a complete gzip file ({exc})", path=path, expected="gzip data"
            ) from None
        if len(data) > max_bytes:
            raise ArchiveError(
                f"decompresses to more than {max_bytes} bytes",
                path=path,
                expected="a file below the size limit",
            )
        return data
    return path.read_bytes()


def decode_utf8(data: bytes, path: str | Path) -> str:
    """Decode UTF-8 (BOM stripped) or raise EncodingError naming the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EncodingError(
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8",
            path=path,
            row=line,
            expected="UTF-8 text",
        ) from None
    return text


def normalise_newlines(text: str) -> str:
    """CRLF and CR-only line endings to ``\\n`` (line numbers are unchanged)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def header_fields(text: str) -> list[str]:
    """Fields of the first line of *text* (stripped); ``[]`` for empty text.

    Never raises: a first line that is not valid CSV is returned as one field, so
    that the header check reports it as a wrong header.
    """
    first = normalise_newlines(text).split("\n", 1)[0]
    if not first:
        return []
    try:
        return [h.strip() for h in next(csv.reader([first], strict=True))]
    except (csv.Error, StopIteration):
        return [first]


def check_header(
    header: Sequence[str], expected: Sequence[str], path: str | Path, *, raw_line: str = ""
) -> None:
    """Raise SchemaError unless *header* equals *expected* (order matters)."""
    got = [h.strip() for h in header]
    exp = list(expected)
    if got == exp:
        return
    if len(got) == 1 and (";" in raw_line or "\t" in raw_line or "|" in raw_line):
        delim = ";" if ";" in raw_line else "tab" if "\t" in raw_line else "|"
        raise SchemaError(
            f"header looks {delim}-delimited", path=path, row=1, expected="comma-separated values"
        )
    missing = [c for c in exp if c not in got]
    extra = [c for c in got if c not in exp]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        raise SchemaError(
            "wrong header: " + "; ".join(parts), path=path, row=1, expected=f"columns {exp}"
        )
    raise SchemaError(
        f"columns in the wrong order: {got}", path=path, row=1, expected=f"columns in order {exp}"
    )


def read_csv_strict(
    path: str | Path,
    expected: Sequence[str],
    *,
    text: str | None = None,
    display_path: str | Path | None = None,
) -> pd.DataFrame:
    """Read a CSV whose header must equal *expected*; all values as strings.

    Parsing uses the standard library's ``csv`` module in strict mode so that every
    record's *line* number is exact, even after blank lines or quoted line breaks.
    CR-only and CRLF line endings are accepted.

    Parameters
    ----------
    path : path-like
        The file (``.csv`` or ``.csv.gz``). Ignored for reading if *text* is given.
    expected : sequence of str
        Exact header.
    text : str, optional
        Already-decoded content (e.g. a zip member).
    display_path : path-like, optional
        Name used in error messages (e.g. ``archive.zip!2011-02/...csv``).

    Returns
    -------
    DataFrame
        One column per header field (strings, empty cells kept as ``""``) plus
        ``_line``: the 1-based line number where each record starts.

    Raises
    ------
    SchemaError
        Empty file, blank line before the header, wrong/reordered header, wrong
        delimiter, a record with the wrong number of fields, an unclosed quote.
    ValueFormatError
        A field longer than :data:`MAX_FIELD_CHARS`.
    """
    shown = display_path or path
    if text is None:
        text = decode_utf8(read_bytes(path), shown)
    if not text.strip():
        raise SchemaError("file is empty", path=shown, row=1, expected=f"a header {list(expected)}")
    text = normalise_newlines(text)
    fast = _read_plain_csv(text, expected, shown)
    if fast is not None:
        return fast
    ncols = len(expected)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    header_seen = False
    prev_end = 0
    try:
        for rec in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not rec:  # a blank line
                if not header_seen:
                    raise SchemaError(
                        "blank line before the header",
                        path=shown,
                        row=1,
                        expected=f"the header {list(expected)} on line 1",
                    )
                continue
            if not header_seen:
                check_header(rec, expected, shown, raw_line=text.split("\n", 1)[0])
                header_seen = True
                continue
            if len(rec) != ncols:
                if len(rec) == 1 and rec[0].strip() == "":
                    continue  # whitespace-only line
                raise SchemaError(
                    f"record has {len(rec)} fields",
                    path=shown,
                    row=start,
                    expected=f"{ncols} fields",
                )
            for i, value in enumerate(rec):
                if len(value) > MAX_FIELD_CHARS:
                    raise ValueFormatError(
                        f"field longer than {MAX_FIELD_CHARS} characters",
                        path=shown,
                        row=start,
                        field=expected[i],
                        expected="a short text value",
                    )
            rows.append(rec)
            lines.append(start)
    except csv.Error as exc:
        raise SchemaError(
            f"malformed CSV ({exc})",
            path=shown,
            row=prev_end + 1,
            expected="well-formed comma-separated values",
        ) from None
    df = (
        pd.DataFrame(rows, columns=list(expected), dtype=object)
        if rows
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in expected})
    )
    return _strict_frame(df, expected, lines)


def _strict_frame(df: pd.DataFrame, expected: Sequence[str], lines) -> pd.DataFrame:
    """*df*'s columns as strings plus ``_line`` (the record's line): read_csv_strict's result."""
    for c in expected:
        df[c] = df[c].astype(str)
    df["_line"] = pd.Series(lines, dtype="int64")
    return df


def _read_plain_csv(text: str, expected: Sequence[str], shown) -> pd.DataFrame | None:
    """:func:`read_csv_strict`'s result for a *plain* file, parsed by pyarrow; else None.

    Plain: no quote character and no NUL anywhere, no blank or whitespace-only line, and
    every line holding the header's number of fields. Without quotes every line is one
    record and every comma a separator, so pyarrow's parser and the standard library's
    strict one read the same fields, and a record's line is its row number + 2. Anything
    else - quotes, blank lines, a wrong field count, a field over
    :data:`MAX_FIELD_CHARS`, a wrong header - returns None and the strict reader parses
    the file (and names the line of any error).
    """
    if '"' in text or "\x00" in text:
        return None
    first, _, rest = text.partition("\n")
    if not first.strip():
        return None
    header = next(csv.reader([first], strict=True))
    check_header(header, expected, shown, raw_line=first)
    if not rest.strip():
        return None  # header only (or blank lines after it): the strict reader decides
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    names = list(expected)
    body = rest[:-1] if rest.endswith("\n") else rest
    if not body or "\n\n" in body or body[0] == "\n" or body[-1] == "\n":
        return None  # a blank line: skipped by the strict reader, not by pyarrow
    try:
        table = pcsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pcsv.ParseOptions(
                quote_char=False, ignore_empty_lines=False, newlines_in_values=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:
        return None  # e.g. a line with the wrong number of fields: the strict reader names it
    if table.num_rows != body.count("\n") + 1:
        return None
    for c in names:
        col = table.column(c)
        if col.null_count or (len(col) and pc.max(pc.utf8_length(col)).as_py() > MAX_FIELD_CHARS):
            return None
    return _strict_frame(table.to_pandas(), names, range(2, table.num_rows + 2))


def read_records(
    text: str, path: str | Path, *, header: Sequence[str] | None = None, check_fields: bool = True
) -> list[tuple[int, list[str]]]:
    """Every CSV record of *text* with the 1-based line it starts on; blank lines skipped.

    For layouts whose header is not on line 1 (a publisher's table with title lines
    above it). Parsing is the same strict ``csv`` parsing as :func:`read_csv_strict`:
    exact line numbers even after quoted line breaks; CRLF and CR-only line endings.

    Raises
    ------
    SchemaError
        Malformed CSV (e.g. an unclosed quote), naming the line.
    ValueFormatError
        A field longer than :data:`MAX_FIELD_CHARS` (when *check_fields*; the field is
        named from *header* where it has that column, else ``column <n>``).
    """
    text = normalise_newlines(text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    names = list(header or [])
    prev_end = 0
    try:
        for rec in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not rec or (len(rec) == 1 and rec[0].strip() == ""):
                continue
            if check_fields:
                check_field_lengths(rec, start, path, names)
            out.append((start, rec))
    except csv.Error as exc:
        raise SchemaError(
            f"malformed CSV ({exc})",
            path=path,
            row=prev_end + 1,
            expected="well-formed comma-separated values",
        ) from None
    return out


def check_field_lengths(
    rec: Sequence[str], line: int, path: str | Path, header: Sequence[str] = ()
) -> None:
    """ValueFormatError for a field longer than :data:`MAX_FIELD_CHARS` (named by *header*)."""
    for i, value in enumerate(rec):
        if len(value) > MAX_FIELD_CHARS:
            raise ValueFormatError(
                f"field longer than {MAX_FIELD_CHARS} characters",
                path=path,
                row=line,
                field=header[i] if i < len(header) and header[i].strip() else f"column {i + 1}",
                expected="a short text value",
            )


#: A count: digits, or digits grouped in exact thousands with commas; an optional leading minus
#: (accepted only where the caller allows it) and, for sources that write them, exactly
#: ``zero_decimals`` trailing zero decimals (``1074283.00``).
_COUNT_BODY = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"  # ASCII digits only
_INT64_MAX = 2**63 - 1
#: What a count must look like, quoted in every error message.
COUNT_RULE = (
    "a whole-number count: digits, optionally grouped in thousands with commas (1234 or 1,234,567)"
)


def _count_pattern(allow_negative: bool, zero_decimals: int) -> re.Pattern:
    sign = "-?" if allow_negative else ""
    dec = r"(?:\." + "0" * zero_decimals + ")?" if zero_decimals else ""
    return re.compile(rf"[ ]*(?P<sign>{sign})(?P<body>{_COUNT_BODY}){dec}[ ]*")


def _count_problem(value: str, allow_negative: bool, zero_decimals: int) -> str:
    """Plain-words reason why *value* is not a count (for the message)."""
    v = value.strip()
    if v == "":
        return "empty count (a missing count is not zero)"
    if (
        v.startswith("-")
        and not allow_negative
        and _count_pattern(True, zero_decimals).fullmatch(v)
    ):
        return f"negative count {shorten(value)}"
    if _count_pattern(True, zero_decimals).fullmatch(v):
        return f"{shorten(value)} is beyond the 64-bit integer range"
    return f"{shorten(value)} is not a whole-number count"


def parse_count(
    value: str,
    *,
    path: str | Path | None = None,
    row: int | None = None,
    field: str | None = None,
    allow_negative: bool = False,
    zero_decimals: int = 0,
) -> int:
    """Parse one count with the strict rule of :func:`parse_int_column`.

    Raises
    ------
    ValueFormatError
        Naming *path*, *row*, *field* and the value (cut to 200 characters).
    """
    m = (
        _count_pattern(allow_negative, zero_decimals).fullmatch(value)
        if isinstance(value, str)
        else None
    )
    if m is not None:
        n = int(m.group("body").replace(",", ""))
        if n <= _INT64_MAX:  # |count| within int64 (the same rule as the column parser)
            return -n if m.group("sign") else n
    raise ValueFormatError(
        _count_problem(str(value), allow_negative, zero_decimals),
        path=path,
        row=row,
        field=field,
        expected=_expected_count(allow_negative, zero_decimals),
    )


def _expected_count(allow_negative: bool, zero_decimals: int) -> str:
    extra = []
    if allow_negative:
        extra.append("a leading minus is allowed for this source")
    else:
        extra.append(">= 0")
    if zero_decimals:
        extra.append(f"'.{'0' * zero_decimals}' may follow")
    return f"{COUNT_RULE}; {'; '.join(extra)}"


def parse_int_column(
    df: pd.DataFrame,
    col: str,
    path: str | Path,
    *,
    allow_negative: bool = False,
    zero_decimals: int = 0,
) -> pd.Series:
    """Parse *col* as counts with one strict rule, used by every reader of counts.

    A count is digits (``1234``), or digits grouped in exact thousands with commas
    (``1,234,567``), with optional spaces around it. Nothing else is a count:
    ``16.000`` (a European thousands point, or a decimal), ``12,5`` and ``1,23``
    (not thousands groups), ``1e30``, ``inf``, ``NaN``, ``1 234``, ``+5``, text, an
    empty cell (a missing count is not zero) and any value beyond the int64 range
    are errors. A leading minus is accepted only with *allow_negative* (sources
    whose publisher writes adjustments as negative counts, e.g. the ONS rolling
    PFA file); *zero_decimals* = 2 accepts exactly ``.00`` after the digits (the
    mid-year population export writes ``1074283.00``).

    Parameters
    ----------
    df : DataFrame
        String columns as returned by :func:`read_csv_strict` (with ``_line``).
    col : str
        Column to parse.
    path : path-like
        File named in errors.
    allow_negative : bool
        Accept a leading ``-``.
    zero_decimals : int
        Accept exactly this many trailing zero decimals (0: none).

    Returns
    -------
    Series of int64
        The counts, same index as *df*.

    Raises
    ------
    ValueFormatError
        For the first bad value, naming file, line (``_line``), field and the value
        (cut to 200 characters).
    """
    pattern = _count_pattern(allow_negative, zero_decimals)
    raw = df[col].astype(str)
    parts = (
        raw.str.extract(pattern.pattern + "$", expand=True)
        if len(raw)
        else pd.DataFrame(
            {"sign": pd.Series([], dtype=object), "body": pd.Series([], dtype=object)}
        )
    )
    ok = raw.str.fullmatch(pattern.pattern) if len(raw) else pd.Series([], dtype=bool)
    digits = parts["body"].fillna("").str.replace(",", "", regex=False)
    too_long = digits.str.len() > 19
    long19 = digits.str.len() == 19
    if long19.any():
        too_long |= long19 & digits.where(long19, "0").map(lambda d: int(d) > _INT64_MAX)
    bad = ~ok.astype(bool) | too_long
    if bad.any():
        i = bad.idxmax()
        raise ValueFormatError(
            _count_problem(str(df.at[i, col]), allow_negative, zero_decimals),
            path=path,
            row=int(df.at[i, "_line"]),
            field=col,
            expected=_expected_count(allow_negative, zero_decimals),
        )
    values = digits.astype("int64") if len(digits) else pd.Series([], dtype="int64", index=df.index)
    negative = parts["sign"].fillna("") == "-"
    return values.where(~negative, -values).astype("int64")
