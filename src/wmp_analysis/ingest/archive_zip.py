"""Reading police.uk files safely: zip entry names, size limits, decompressed bytes counted.

The safety rules of :mod:`wmp_analysis.ingest.archive`: an entry name that could escape its
folder is refused, declared sizes are checked before reading (:func:`check_declared_sizes`)
and the bytes actually decompressed are counted while reading (:func:`read_file_bytes`,
:class:`ByteBudget`), and a truncated or corrupt zip or gzip is an
:class:`~wmp_analysis.errors.ArchiveError`. Raw inputs are only ever opened for reading.
"""

from __future__ import annotations

import gzip
import io
import re
import threading
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from wmp_analysis.errors import ArchiveError, shorten

if TYPE_CHECKING:
    from wmp_analysis.ingest.archive import PoliceUkFile

#: Largest uncompressed size of one file or zip entry (bytes).
MAX_FILE_BYTES = 2 * 1024**3


#: Largest total uncompressed size read from one zip archive (bytes).
MAX_ARCHIVE_BYTES = 8 * 1024**3


def check_member_name(archive: Path | str, name: str) -> None:
    """Raise ArchiveError for a zip entry that could escape its folder."""
    norm = name.replace("\\", "/")
    parts = PurePosixPath(norm).parts
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or ".." in parts or "\x00" in norm:
        raise ArchiveError(
            f"unsafe entry name {shorten(name)} (absolute path or '..')",
            path=archive,
            field=name,
            expected="relative entry names inside the archive",
        )


def open_zip(path: Path | str | io.BytesIO, label: str | None = None) -> zipfile.ZipFile:
    """Open a zip for reading, checking every entry name; ArchiveError if corrupt.

    *path* may be a file on disk or an in-memory inner zip (then *label*, e.g.
    ``outer.zip!inner.zip``, names it in messages).
    """
    where = label or str(path)
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(
            f"not a readable zip archive ({exc})", path=where, expected="a complete .zip file"
        ) from None
    try:
        for info in zf.infolist():
            check_member_name(where, info.filename)
    except ArchiveError:
        zf.close()
        raise
    return zf


# One inner zip kept in memory, so that the entries of an archive of archives are not each
# re-read from the outer zip (the reader reads one file at a time, on one worker thread).
_INNER_CACHE: dict[tuple, bytes] = {}


_INNER_LOCK = threading.Lock()


def _inner_zip_bytes(path: Path, member: str) -> bytes:
    """Bytes of zip entry *member* (itself a zip) of *path*, size-checked; cached (one slot)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, member)
    with _INNER_LOCK:
        if key in _INNER_CACHE:
            return _INNER_CACHE[key]
    where = f"{path}!{member}"
    try:
        with open_zip(path) as zf:
            info = zf.getinfo(member)
            if info.file_size > MAX_FILE_BYTES:
                raise ArchiveError(
                    f"inner zip declares {info.file_size} bytes uncompressed (possible zip bomb)",
                    path=path,
                    field=member,
                    expected=f"at most {MAX_FILE_BYTES} bytes",
                )
            with zf.open(member) as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise ArchiveError(
            f"truncated or corrupt compressed data ({exc})", path=where, expected="a complete zip"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ArchiveError(
            f"inner zip decompresses to more than {MAX_FILE_BYTES} bytes (possible zip bomb)",
            path=where,
            expected="a file below the size limit",
        )
    with _INNER_LOCK:
        _INNER_CACHE.clear()
        _INNER_CACHE[key] = data
    return data


class ByteBudget:
    """Counts decompressed bytes against a limit (shared by the entries of one archive)."""

    def __init__(self, limit: int) -> None:
        self.limit = int(limit)
        self.used = 0

    def take(self, n: int, where: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise ArchiveError(
                f"decompressed data exceed the limit of {self.limit} bytes (possible zip bomb)",
                path=where,
                expected="archives below the size limit",
            )


def _open_member(f: PoliceUkFile) -> tuple[zipfile.ZipFile, str]:
    """The open zip that holds *f* directly (the inner zip for a nested file) and the entry name."""
    if f.nested is None:
        return open_zip(f.path), f.member
    outer_member, inner_member = f.nested
    data = _inner_zip_bytes(f.path, outer_member)
    return open_zip(io.BytesIO(data), f"{f.path}!{outer_member}"), inner_member


def check_declared_sizes(
    files: Sequence[PoliceUkFile], max_total_bytes: int = MAX_ARCHIVE_BYTES
) -> None:
    """Refuse, before reading, zip entries whose declared sizes exceed the limits."""
    by_zip: dict[Path, list[PoliceUkFile]] = {}
    for f in files:
        if f.member is not None:
            by_zip.setdefault(f.path, []).append(f)
    for zpath, members in by_zip.items():
        total = 0
        for f in members:
            zf, entry = _open_member(f)
            with zf:
                info = zf.getinfo(entry)
            if info.file_size > min(MAX_FILE_BYTES, max_total_bytes):
                raise ArchiveError(
                    f"entry declares {info.file_size} bytes uncompressed (possible zip bomb)",
                    path=zpath,
                    field=f.member,
                    expected=f"at most {min(MAX_FILE_BYTES, max_total_bytes)} bytes",
                )
            total += info.file_size
        if total > max_total_bytes:
            raise ArchiveError(
                f"entries to read declare {total} bytes uncompressed (possible zip bomb)",
                path=zpath,
                expected=f"at most {max_total_bytes} bytes in total",
            )


def read_file_bytes(f: PoliceUkFile, budget: ByteBudget | None = None) -> bytes:
    """Decompressed bytes of one police.uk file (plain, ``.gz``, or zip entry).

    Bytes are counted while reading: more than :data:`MAX_FILE_BYTES` for one file,
    or more than the *budget* in total, raises ArchiveError, as does a truncated or
    corrupt gzip/zip.
    """
    limit = MAX_FILE_BYTES if budget is None else min(MAX_FILE_BYTES, budget.limit - budget.used)
    where = f.display
    try:
        if f.member is None:
            if f.path.name.lower().endswith(".gz"):
                with gzip.open(f.path, "rb") as fh:
                    data = fh.read(limit + 1)
            else:
                with open(f.path, "rb") as fh:
                    data = fh.read(limit + 1)
        else:
            zf, entry = _open_member(f)
            with zf, zf.open(entry) as fh:
                data = fh.read(limit + 1)
            if f.member.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                    data = gz.read(limit + 1)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise ArchiveError(
            f"truncated or corrupt compressed data ({exc})",
            path=where,
            expected="a complete gzip/zip",
        ) from None
    if len(data) > limit:
        raise ArchiveError(
            f"decompresses to more than {limit} bytes (possible zip bomb)",
            path=where,
            expected="a file below the size limit",
        )
    if budget is not None:
        budget.take(len(data), where)
    return data
