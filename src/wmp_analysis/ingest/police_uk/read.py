"""Entry points: :func:`read_police_uk` (a force's files at once) and :func:`iter_police_uk_months`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pandas as pd
import pyarrow as pa

from wmp_analysis.ingest.archive import (
    KINDS,
    MAX_ARCHIVE_BYTES,
    PoliceUkFile,
    check_declared_sizes,
    discover,
)
from wmp_analysis.ingest.police_uk.arrays import (
    _empty_arrow,
    _empty_table,
    _pandas_to_arrow,
    _to_pandas,
    tidy_dictionaries,
)
from wmp_analysis.ingest.police_uk.build import new_context
from wmp_analysis.ingest.police_uk.forces import force_slug
from wmp_analysis.ingest.police_uk.prefetch import _iter_files, add_counts
from wmp_analysis.ingest.police_uk.result import MonthResult, PoliceUkResult
from wmp_analysis.ingest.police_uk.schema import (
    OUT_COLUMNS,
    REJECTION_COLUMNS,
    TABLE_NAMES,
    _no_rejections,
)
from wmp_analysis.ingest.police_uk.stop_search import _finish_stop_search
from wmp_analysis.ingest.police_uk_reference import DEFAULT_MAX_UNKNOWN_SHARE
from wmp_analysis.periods import Period
from wmp_analysis.periods import missing_months as _missing_months


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
        out_cols = OUT_COLUMNS[kind]
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
    ctx = new_context(lsoa_lookup, max_unknown_share)
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

    with closing(_iter_files(ordered, slug, ctx, max_uncompressed_bytes)) as read:
        for f, part, record, counts in read:
            if current is not None and f.month != current:
                yield flush()
                parts, records = {}, []
            add_counts(ctx, counts)  # after the flush: a file's rejections belong to its own month
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
    column (its dictionary), not over rows. Files are read and hashed in order on one
    thread and parsed and checked two at a time on two more
    (:mod:`~wmp_analysis.ingest.police_uk.prefetch`); results, rejections and counts come
    out in file order, as a one-file-at-a-time read makes them. Line numbers are only
    counted record by record when a file has blank lines or quoted line breaks.
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
    ctx = new_context(lsoa_lookup, max_unknown_share)
    for f, part, record, counts in _iter_files(to_read, slug, ctx, max_uncompressed_bytes):
        add_counts(ctx, counts)
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
