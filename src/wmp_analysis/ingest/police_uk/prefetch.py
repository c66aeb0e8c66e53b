"""The read loop: each file is read and hashed on a second thread while the previous one is parsed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from wmp_analysis.ingest.archive import ByteBudget, PoliceUkFile, read_file_bytes
from wmp_analysis.ingest.police_uk.build import _BUILDERS
from wmp_analysis.ingest.police_uk.parse import parse_csv
from wmp_analysis.ingest.police_uk.schema import _DICT_COLUMNS, FORMATS
from wmp_analysis.ingest.police_uk.validate import _Context
from wmp_analysis.provenance import is_synthetic, sha256_file


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
                is_synthetic_file(f.path)
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
