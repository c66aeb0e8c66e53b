"""Finding and safely reading data.police.uk monthly files.

data.police.uk publishes one CSV per force, month and kind, named
``YYYY-MM-<force-slug>-<kind>.csv`` (kind: ``street``, ``outcomes``,
``stop-and-search``) and distributed in an archive zip that unzips to
``YYYY-MM/YYYY-MM-<force-slug>-<kind>.csv``. A *source* may be:

* a folder laid out like that (searched recursively; ``.csv``, ``.csv.gz`` and
  ``.zip`` files inside it are all used),
* a single ``.csv`` / ``.csv.gz`` file named as above,
* an archive ``.zip``, read in place (never extracted to disk),
* a list of any of these.

Safety rules (an :class:`~wmp_analysis.errors.ArchiveError` names the archive and
the entry):

* a zip entry whose name is absolute, has a drive letter or a ``..`` part is
  refused (path traversal), even when it would not be read;
* the declared uncompressed size of the entries to be read may not exceed
  *max_total_bytes* (zip bomb), and the bytes actually decompressed are counted
  while reading, so an archive that lies about its sizes is caught too;
* a truncated or corrupt zip or gzip (bad CRC, missing end record) is refused.

Raw inputs are only ever opened for reading.
"""
from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from ..errors import ArchiveError, DuplicatePeriodError, PeriodError, UnknownForceError, ValueFormatError

#: Kinds of monthly file published by data.police.uk.
KINDS = ("street", "outcomes", "stop-and-search")

#: Largest uncompressed size of one file or zip entry (bytes).
MAX_FILE_BYTES = 2 * 1024**3
#: Largest total uncompressed size read from one zip archive (bytes).
MAX_ARCHIVE_BYTES = 8 * 1024**3

_NAME_RE = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(?P<gz>\.gz)?$"
)
_MONTH_DIR_RE = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class PoliceUkFile:
    """One monthly police.uk file found in a source.

    Attributes
    ----------
    path : Path
        The file on disk: the CSV itself, or the zip that holds it.
    member : str or None
        Entry name inside the zip, ``None`` for a file on disk.
    month : str
        ``YYYY-MM`` from the file name.
    force_slug : str
        Force part of the name, e.g. ``west-midlands``.
    kind : str
        ``street``, ``outcomes`` or ``stop-and-search``.
    """

    path: Path
    member: str | None
    month: str
    force_slug: str
    kind: str

    @property
    def display(self) -> str:
        """Name used in messages: ``path`` or ``archive.zip!member``."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name if self.member else self.path.name


def parse_file_name(name: str) -> tuple[str, str, str] | None:
    """``"2011-02-west-midlands-street.csv"`` -> ``("2011-02", "west-midlands", "street")``.

    Returns ``None`` when *name* does not follow the police.uk naming scheme.
    """
    m = _NAME_RE.match(name)
    if not m:
        return None
    return m.group("month"), m.group("slug"), m.group("kind")


def _check_month(month: str, where: str) -> None:
    year, mon = int(month[:4]), int(month[5:7])
    if not (1 <= mon <= 12) or year < 2000:
        raise PeriodError(f"impossible month {month!r} in file name", path=where, expected="YYYY-MM, a real month")


def check_member_name(archive: Path, name: str) -> None:
    """Raise ArchiveError for a zip entry that could escape its folder."""
    norm = name.replace("\\", "/")
    parts = PurePosixPath(norm).parts
    if (
        norm.startswith("/")
        or re.match(r"^[A-Za-z]:", norm)
        or ".." in parts
        or "\x00" in norm
    ):
        raise ArchiveError(
            f"unsafe entry name {name!r} (absolute path or '..')", path=archive, field=name,
            expected="relative entry names inside the archive",
        )


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip for reading, checking every entry name; ArchiveError if corrupt."""
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})", path=path, expected="a complete .zip file") from None
    try:
        for info in zf.infolist():
            check_member_name(path, info.filename)
    except ArchiveError:
        zf.close()
        raise
    return zf


def _describe(files: Iterable[PoliceUkFile]) -> str:
    return ", ".join(f.display for f in files)


def discover(
    source: str | Path | Sequence[str | Path],
    *,
    force_slug: str,
    kinds: Sequence[str] = KINDS,
) -> list[PoliceUkFile]:
    """All files of *force_slug* and *kinds* in *source*, sorted by kind and month.

    Parameters
    ----------
    source : path or list of paths
        Folder, single CSV (``.csv``/``.csv.gz``), archive ``.zip``, or a list.
    force_slug : str
        police.uk force slug, e.g. ``"west-midlands"``.
    kinds : sequence of str
        Kinds to keep.

    Raises
    ------
    UnknownForceError
        A single file given explicitly belongs to another force, or a folder or
        archive holds police.uk files but none of *force_slug*.
    DuplicatePeriodError
        Two files for the same kind and month (e.g. a folder and a zip of the same
        month, or a ``.csv`` beside its ``.csv.gz``).
    ValueFormatError
        A ``.csv`` whose name does not follow ``YYYY-MM-<force>-<kind>.csv``.
    PeriodError
        An impossible month in a file name, or a file in a ``YYYY-MM`` folder of
        another month.
    ArchiveError
        A corrupt zip or an unsafe entry name.
    """
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"unknown kind {k!r}; expected one of {KINDS}")
    sources = [source] if isinstance(source, (str, Path)) else list(source)
    found: list[PoliceUkFile] = []
    other_slugs: set[str] = set()
    for src in sources:
        src = Path(src)
        if not src.exists():
            raise ValueFormatError("police.uk source not found", path=src,
                                   expected="a folder, a .csv/.csv.gz file or a .zip archive")
        if src.is_dir():
            candidates = sorted(p for p in src.rglob("*") if p.is_file())
            explicit = False
        else:
            candidates = [src]
            explicit = True
        for p in candidates:
            lower = p.name.lower()
            if lower.endswith(".zip"):
                found.extend(_from_zip(p, force_slug, kinds, other_slugs))
                continue
            if not (lower.endswith(".csv") or lower.endswith(".csv.gz")):
                if explicit:
                    raise ValueFormatError("not a police.uk CSV or zip", path=p,
                                           expected="YYYY-MM-<force>-<kind>.csv[.gz] or .zip")
                continue  # README, checksums, ... beside the data
            parsed = parse_file_name(p.name)
            if parsed is None:
                raise ValueFormatError(
                    "file name does not follow the police.uk scheme", path=p,
                    expected="YYYY-MM-<force-slug>-<street|outcomes|stop-and-search>.csv",
                )
            month, slug, kind = parsed
            _check_month(month, str(p))
            if _MONTH_DIR_RE.match(p.parent.name) and p.parent.name != month and not explicit:
                raise PeriodError(f"file for {month} inside folder {p.parent.name}", path=p,
                                  expected=f"files of {p.parent.name} only")
            if slug != force_slug:
                if explicit:
                    raise UnknownForceError(
                        f"file is for force {slug!r}", path=p, expected=f"files of force {force_slug!r}"
                    )
                other_slugs.add(slug)
                continue
            if kind in kinds:
                found.append(PoliceUkFile(p, None, month, slug, kind))
    if not found and other_slugs:
        raise UnknownForceError(
            f"no files for force {force_slug!r}; the source holds {sorted(other_slugs)[:10]}",
            path=", ".join(str(s) for s in sources), expected=f"files named YYYY-MM-{force_slug}-<kind>.csv",
        )
    by_key: dict[tuple[str, str], list[PoliceUkFile]] = {}
    for f in found:
        by_key.setdefault((f.kind, f.month), []).append(f)
    for (kind, month), group in sorted(by_key.items()):
        if len(group) > 1:
            raise DuplicatePeriodError(
                f"{len(group)} {kind} files for {month}: {_describe(group)}", path=group[1].display,
                field="month", expected="one file per kind and month",
            )
    return sorted(found, key=lambda f: (KINDS.index(f.kind), f.month))


def _from_zip(path: Path, force_slug: str, kinds: Sequence[str], other_slugs: set[str]) -> list[PoliceUkFile]:
    out = []
    with open_zip(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if not (base.endswith(".csv") or base.endswith(".csv.gz")):
                continue
            parsed = parse_file_name(base)
            if parsed is None:
                raise ValueFormatError(
                    "entry name does not follow the police.uk scheme", path=path, field=info.filename,
                    expected="YYYY-MM-<force-slug>-<street|outcomes|stop-and-search>.csv",
                )
            month, slug, kind = parsed
            _check_month(month, f"{path}!{info.filename}")
            if slug != force_slug:
                other_slugs.add(slug)
                continue
            if kind in kinds:
                out.append(PoliceUkFile(path, info.filename, month, slug, kind))
    return out


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
                path=where, expected="archives below the size limit",
            )


def check_declared_sizes(files: Sequence[PoliceUkFile], max_total_bytes: int = MAX_ARCHIVE_BYTES) -> None:
    """Refuse, before reading, zip entries whose declared sizes exceed the limits."""
    by_zip: dict[Path, list[PoliceUkFile]] = {}
    for f in files:
        if f.member is not None:
            by_zip.setdefault(f.path, []).append(f)
    for zpath, members in by_zip.items():
        with open_zip(zpath) as zf:
            total = 0
            for f in members:
                info = zf.getinfo(f.member)
                if info.file_size > min(MAX_FILE_BYTES, max_total_bytes):
                    raise ArchiveError(
                        f"entry declares {info.file_size} bytes uncompressed (possible zip bomb)",
                        path=zpath, field=f.member, expected=f"at most {min(MAX_FILE_BYTES, max_total_bytes)} bytes",
                    )
                total += info.file_size
            if total > max_total_bytes:
                raise ArchiveError(
                    f"entries to read declare {total} bytes uncompressed (possible zip bomb)",
                    path=zpath, expected=f"at most {max_total_bytes} bytes in total",
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
            with open_zip(f.path) as zf, zf.open(f.member) as fh:
                data = fh.read(limit + 1)
            if f.member.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                    data = gz.read(limit + 1)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise ArchiveError(f"truncated or corrupt compressed data ({exc})", path=where,
                           expected="a complete gzip/zip") from None
    if len(data) > limit:
        raise ArchiveError(
            f"decompresses to more than {limit} bytes (possible zip bomb)", path=where,
            expected="a file below the size limit",
        )
    if budget is not None:
        budget.take(len(data), where)
    return data
