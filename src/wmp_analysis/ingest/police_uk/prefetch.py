"""The read loop: files are read and hashed in order on one thread, and parsed, checked and
built two at a time on two more (pyarrow and hashlib release the GIL), results in file order.

Each file is checked against its own copy of the context's counters (rejections, blank
counts, location rejections); :func:`_iter_files` hands each file's counters back with
its table, and the caller adds them in file order, so that every list and count comes out
exactly as a one-file-at-a-time read makes them. An error is raised for the first file (in
order) that fails, as a sequential read raises it; files after it are not waited for.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from wmp_analysis.ingest.archive import ByteBudget, PoliceUkFile, read_file_bytes
from wmp_analysis.ingest.police_uk.build import _BUILDERS
from wmp_analysis.ingest.police_uk.parse import parse_csv
from wmp_analysis.ingest.police_uk.schema import _DICT_COLUMNS, FORMATS
from wmp_analysis.ingest.police_uk.validate import _Context
from wmp_analysis.provenance import is_synthetic, sha256_file

#: Files parsed and checked at once (one per core of the 2-core machine the ingest is
#: measured on; more only add memory: each holds one file's bytes and tables).
PARSE_WORKERS = 2
#: Files read ahead of the one being consumed (bounds memory: about this many files' bytes
#: and tables are held at once).
READ_AHEAD = PARSE_WORKERS + 2


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


@lru_cache(maxsize=4096)
def _marker_above(folder: str) -> bool:
    """:func:`~wmp_analysis.provenance.is_synthetic`'s marker test for the files of *folder*."""
    return is_synthetic(Path(folder).resolve() / "_")


def is_synthetic_file(path: Path) -> bool:
    """:func:`~wmp_analysis.provenance.is_synthetic` with the marker search cached per folder
    (thousands of monthly files share a few folders); a linked file is checked in full."""
    p = Path(path)
    if "synthetic" in p.name.lower() or p.is_symlink():
        return is_synthetic(p)
    return _marker_above(str(p.parent))


def file_context(ctx: _Context) -> _Context:
    """A copy of *ctx* sharing its tables and lookups, with counters of its own (empty)."""
    return dataclasses.replace(ctx, rejections=[], not_recorded={}, location_rejections={})


def add_counts(ctx: _Context, part: _Context) -> None:
    """Add one file's counters (:func:`file_context`) to *ctx*, as if it had been read into it."""
    ctx.rejections.extend(part.rejections)
    for kind, fields in part.not_recorded.items():
        for name, n in fields.items():
            ctx.count_blank(kind, name, n)
    for kind, n in part.location_rejections.items():
        ctx.location_rejections[kind] = ctx.location_rejections.get(kind, 0) + n


def _build(f: PoliceUkFile, loaded: Future, slug: str, fctx: _Context):
    """Parse, check and build one file once its bytes are in; returns ``(table, record)``."""
    data, hashes = loaded.result()
    synthetic = bool(
        is_synthetic_file(f.path) or (f.member is not None and "synthetic" in f.member.lower())
    )
    fmt, table, lines = parse_csv(data, f.display, FORMATS[f.kind], _DICT_COLUMNS[f.kind])
    del data
    part = _BUILDERS[f.kind](fmt, table, lines, f, slug, synthetic, fctx)
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
    return part, record


def _iter_files(
    to_read: Sequence[PoliceUkFile], slug: str, ctx: _Context, max_uncompressed_bytes: int
):
    """Parse, check and build each file of *to_read*; yields ``(file, table, record, counts)``
    in file order, *counts* being the file's own counters (:func:`file_context`) for the
    caller to add to *ctx* (:func:`add_counts`).

    Files are read (and hashed) in order on one thread, so that a zip's byte budget is
    spent in file order; up to :data:`PARSE_WORKERS` files are parsed and built at once.
    """
    budgets: dict[Path, ByteBudget] = {}
    zip_hashes: dict = {}
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="police-uk-read")
    workers = ThreadPoolExecutor(max_workers=PARSE_WORKERS, thread_name_prefix="police-uk-parse")
    queue: deque = deque()
    todo = iter(to_read)

    def submit_next() -> None:
        f = next(todo, None)
        if f is None:
            return
        budget = None
        if f.member is not None:
            budget = budgets.setdefault(f.path, ByteBudget(max_uncompressed_bytes))
        loaded = reader.submit(_load, f, budget, zip_hashes)
        fctx = file_context(ctx)
        queue.append((f, workers.submit(_build, f, loaded, slug, fctx), fctx))

    try:
        for _ in range(READ_AHEAD):
            submit_next()
        while queue:
            f, job, fctx = queue.popleft()
            part, record = job.result()
            submit_next()
            yield f, part, record, fctx
    finally:
        for _f, job, _c in queue:
            job.cancel()
        workers.shutdown(wait=True, cancel_futures=True)
        reader.shutdown(wait=True, cancel_futures=True)
