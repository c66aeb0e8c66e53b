"""Checks on a parsed police.uk file: month, force, numbers, categorical values, duplicates, locations.

Every check runs over a column's distinct values (its dictionary) or with array operations,
never per row in Python. A value outside its reference table is a counted rejection (up to
the unknown-value threshold); a bad month, force or number stops the file with its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wmp_analysis.errors import PeriodError, UnknownForceError, ValueFormatError
from wmp_analysis.ingest.arrowtools import known_mask
from wmp_analysis.ingest.police_uk.forces import force_slug
from wmp_analysis.ingest.police_uk.parse import Lines
from wmp_analysis.ingest.police_uk.schema import _FIELD, _FLOAT_RE, _MONTH_RE, _STR
from wmp_analysis.ingest.police_uk_reference import (
    DEFAULT_MAX_UNKNOWN_SHARE,
    FieldValues,
    check_unknown_share,
    load_value_table,
)


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


@dataclass
class _Context:
    """What the per-file checks share: the value tables, the unknown-value threshold, and
    the rejections and not-recorded counts so far (the builders add the district lookup)."""

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
    # every Crime ID distinct (the usual case): nothing to mark. One hash pass over the IDs
    # (``unique``, half the time of ``count_distinct``; its result holds one null if any)
    if len(names) == 1 and len(pc.unique(ids)) - (ids.null_count > 0) == n - ids.null_count:
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
