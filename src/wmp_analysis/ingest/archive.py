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

What is read and what is not (every entry left unread is *listed*, never silently dropped:
:func:`discover` returns the files with a ``skipped`` list, which the ingest puts in
``ingest_manifest.json`` under ``sources.police_uk.skipped`` and on the console):

* names are matched case-insensitively (``2016-01-West-Midlands-Street.CSV`` is read);
* ``__MACOSX/`` entries and dot-files (``._2016-01-west-midlands-street.csv``,
  ``.DS_Store``), which macOS Finder adds to the zips and folders it makes, are ignored and
  listed; so are README/checksum files and, as one line per folder or zip, the files of
  other forces;
* a zip inside the source's zip (an archive of monthly archives) is opened, one level deep;
  a zip inside *that* is refused by name (:class:`~wmp_analysis.errors.ArchiveError`);
* a symbolic link (e.g. a month folder linked in from elsewhere) is followed when it
  resolves inside the source folder, and refused by name when it points outside it, to
  nothing, or round in a loop; one real file reached by two routes is read once.

Safety rules (an :class:`~wmp_analysis.errors.ArchiveError` names the archive and
the entry):

* a zip entry whose name is absolute, has a drive letter or a ``..`` part is
  refused (path traversal), even when it would not be read;
* the declared uncompressed size of the entries to be read may not exceed
  *max_total_bytes* (zip bomb), and the bytes actually decompressed are counted
  while reading, so an archive that lies about its sizes is caught too;
* a truncated or corrupt zip or gzip (bad CRC, missing end record) is refused.

Raw inputs are only ever opened for reading.

This module finds the files (:func:`discover`); the safe reading is in
:mod:`~wmp_analysis.ingest.archive_zip` and the skipped records in
:mod:`~wmp_analysis.ingest.archive_skipped`, both re-exported here.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from wmp_analysis.errors import (
    ArchiveError,
    DuplicatePeriodError,
    PeriodError,
    UnknownForceError,
    ValueFormatError,
)
from wmp_analysis.ingest.archive_skipped import (  # noqa: F401 - re-exported (callers import them from here)
    _COLLECTOR,
    SKIP_HIDDEN,
    SKIP_MACOS,
    SKIP_NOT_DATA,
    SKIP_OTHER_FORCE,
    SKIP_OTHER_KIND,
    SKIP_SAME_FILE,
    _skip,
    _Tally,
    collect_skipped,
    describe_skipped,
)
from wmp_analysis.ingest.archive_zip import (  # noqa: F401 - re-exported (callers import them from here)
    MAX_ARCHIVE_BYTES,
    MAX_FILE_BYTES,
    ByteBudget,
    _inner_zip_bytes,
    check_declared_sizes,
    check_member_name,
    open_zip,
    read_file_bytes,
)
from wmp_analysis.source_names import parse_file_name  # the naming scheme (the config check's too)

#: Kinds of monthly file published by data.police.uk.
KINDS = ("street", "outcomes", "stop-and-search")


_MONTH_DIR_RE = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class PoliceUkFile:
    """One monthly police.uk file found in a source.

    Attributes
    ----------
    path : Path
        The file on disk: the CSV itself, or the zip that holds it.
    member : str or None
        Entry name inside the zip, ``None`` for a file on disk. For a file inside a zip
        inside the zip: ``"<inner zip entry>!<entry in the inner zip>"``.
    month : str
        ``YYYY-MM`` from the file name.
    force_slug : str
        Force part of the name, e.g. ``west-midlands``.
    kind : str
        ``street``, ``outcomes`` or ``stop-and-search``.
    nested : tuple of (str, str) or None
        For a file inside a zip inside the zip at *path*: the inner zip's entry name and
        the file's entry name in it; ``None`` otherwise.
    """

    path: Path
    member: str | None
    month: str
    force_slug: str
    kind: str
    nested: tuple[str, str] | None = None

    @property
    def display(self) -> str:
        """Name used in messages: ``path``, ``archive.zip!member`` or ``archive.zip!inner.zip!member``."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name if self.member else self.path.name


class Discovered(list):
    """The files :func:`discover` found (a list of :class:`PoliceUkFile`), plus ``skipped``.

    Attributes
    ----------
    skipped : list of dict
        One record per entry left unread: ``path`` (folder, file or zip), ``member``
        (entry inside the zip, ``"inner.zip!entry"`` one level down, or ``None``),
        ``reason`` (one of the ``SKIP_*`` texts) and ``count`` (1, or the number of
        files summed up in a line for other forces or kinds).
    """

    skipped: list[dict]


def _check_month(month: str, where: str) -> None:
    year, mon = int(month[:4]), int(month[5:7])
    if not (1 <= mon <= 12) or year < 2000:
        raise PeriodError(
            f"impossible month {month!r} in file name", path=where, expected="YYYY-MM, a real month"
        )


def _describe(files: Iterable[PoliceUkFile]) -> str:
    return ", ".join(f.display for f in files)


def _walk(root: Path, skipped: list[dict]) -> list[Path]:
    """Regular files under folder *root*, following links that stay inside it.

    Dot-files/folders and ``__MACOSX`` are listed in *skipped*, not entered. A link
    (to a file or a folder) is followed when its target resolves inside *root*;
    otherwise, or when it points to nothing or loops, ArchiveError names the link.
    A real file or folder reached twice (through a link) is used once.
    """
    real_root = root.resolve()
    seen_dirs = {real_root}
    seen_files: set[Path] = set()
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise ArchiveError(
                f"folder cannot be listed ({exc.strerror})",
                path=folder,
                expected="a readable folder",
            ) from None
        subdirs = []
        for entry in entries:
            p = Path(entry.path)
            if entry.name.lower() == "__macosx":
                _skip(skipped, p, None, SKIP_MACOS)
                continue
            if entry.name.startswith("."):
                _skip(skipped, p, None, SKIP_HIDDEN)
                continue
            if entry.is_symlink():
                try:
                    target = p.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    reason = (
                        "loops"
                        if isinstance(exc, RuntimeError) or "loop" in str(exc).lower()
                        else "points to nothing"
                    )
                    raise ArchiveError(
                        f"symbolic link {p.name!r} {reason} (-> {os.readlink(p)!r})",
                        path=p,
                        expected="links that resolve to a file or folder inside the source folder",
                    ) from None
                if target != real_root and real_root not in target.parents:
                    raise ArchiveError(
                        f"symbolic link {p.name!r} points outside the source folder (to {target})",
                        path=p,
                        field=p.name,
                        expected=f"links that stay inside {root}",
                    )
            else:
                target = p
            if p.is_dir():
                real = target.resolve()
                if real in seen_dirs:
                    _skip(skipped, p, None, SKIP_SAME_FILE)
                    continue
                seen_dirs.add(real)
                subdirs.append(p)
            elif p.is_file():
                real = target.resolve()
                if real in seen_files:
                    _skip(skipped, p, None, SKIP_SAME_FILE)
                    continue
                seen_files.add(real)
                out.append(p)
            else:
                _skip(skipped, p, None, "not a regular file or folder, ignored")
        stack.extend(reversed(subdirs))
    return sorted(out)


def walk_files(root: str | Path) -> list[Path]:
    """Regular files under folder *root* as :func:`discover` walks it (links inside followed,
    dot-files and ``__MACOSX`` left out), sorted; ArchiveError for a link leaving *root*."""
    return _walk(Path(root), [])


def discover(
    source: str | Path | Sequence[str | Path],
    *,
    force_slug: str,
    kinds: Sequence[str] = KINDS,
) -> Discovered:
    """All files of *force_slug* and *kinds* in *source*, sorted by kind and month.

    Parameters
    ----------
    source : path or list of paths
        Folder, single CSV (``.csv``/``.csv.gz``), archive ``.zip``, or a list.
    force_slug : str
        police.uk force slug, e.g. ``"west-midlands"``.
    kinds : sequence of str
        Kinds to keep.

    Returns
    -------
    Discovered
        A list of :class:`PoliceUkFile`; its ``skipped`` attribute lists every entry
        not read, with the reason (also added to an active :func:`collect_skipped`).

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
        A corrupt zip, an unsafe entry name, a zip nested more than one level, or a
        link that leaves the source folder (or points to nothing).
    """
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"unknown kind {k!r}; expected one of {KINDS}")
    force_slug = force_slug.lower()
    sources = [source] if isinstance(source, (str, Path)) else list(source)
    found: list[PoliceUkFile] = []
    other_slugs: set[str] = set()
    skipped: list[dict] = []
    for src in sources:
        found.extend(_files_of_source(Path(src), force_slug, kinds, other_slugs, skipped))
    if not found and other_slugs:
        raise UnknownForceError(
            f"no files for force {force_slug!r}; the source holds {sorted(other_slugs)[:10]}",
            path=", ".join(str(s) for s in sources),
            expected=f"files named YYYY-MM-{force_slug}-<kind>.csv",
        )
    _check_one_file_each(found)
    out = Discovered(sorted(found, key=lambda f: (KINDS.index(f.kind), f.month)))
    out.skipped = skipped
    collector = _COLLECTOR.get()
    if collector is not None:
        collector.extend(skipped)
    return out


def _files_of_source(
    src: Path, force_slug: str, kinds: Sequence[str], other_slugs: set[str], skipped: list[dict]
) -> list[PoliceUkFile]:
    """The files of *force_slug* and *kinds* in one source (folder, file or zip).

    Slugs of other forces are added to *other_slugs* and entries left unread to
    *skipped*. A file given explicitly must be a police.uk CSV or zip of the force; in a
    folder, other files are listed as skipped.
    """
    if not src.exists():
        raise ValueFormatError(
            "police.uk source not found",
            path=src,
            expected="a folder, a .csv/.csv.gz file or a .zip archive",
        )
    if src.is_dir():
        candidates = _walk(src, skipped)
        explicit = False
    else:
        candidates = [src]
        explicit = True
    found: list[PoliceUkFile] = []
    tally = _Tally()
    for p in candidates:
        lower = p.name.lower()
        if lower.endswith(".zip"):
            found.extend(_from_zip(p, force_slug, kinds, other_slugs, skipped))
            continue
        if not lower.endswith((".csv", ".csv.gz")):
            if explicit:
                raise ValueFormatError(
                    "not a police.uk CSV or zip",
                    path=p,
                    expected="YYYY-MM-<force>-<kind>.csv[.gz] or .zip",
                )
            _skip(skipped, p, None, SKIP_NOT_DATA)  # README, checksums, ... beside the data
            continue
        parsed = parse_file_name(p.name)
        if parsed is None:
            raise ValueFormatError(
                "file name does not follow the police.uk scheme",
                path=p,
                expected="YYYY-MM-<force-slug>-<street|outcomes|stop-and-search>.csv",
            )
        month, slug, kind = parsed
        _check_month(month, str(p))
        if _MONTH_DIR_RE.match(p.parent.name) and p.parent.name != month and not explicit:
            raise PeriodError(
                f"file for {month} inside folder {p.parent.name}",
                path=p,
                expected=f"files of {p.parent.name} only",
            )
        if slug != force_slug:
            if explicit:
                raise UnknownForceError(
                    f"file is for force {slug!r}",
                    path=p,
                    expected=f"files of force {force_slug!r}",
                )
            other_slugs.add(slug)
            tally.other(slug)
            continue
        if kind in kinds:
            found.append(PoliceUkFile(p, None, month, slug, kind))
        else:
            tally.kind(kind)
    tally.flush(skipped, src, None)
    return found


def _check_one_file_each(found: Sequence[PoliceUkFile]) -> None:
    """DuplicatePeriodError for two files of one kind and month (first kind and month named)."""
    by_key: dict[tuple[str, str], list[PoliceUkFile]] = {}
    for f in found:
        by_key.setdefault((f.kind, f.month), []).append(f)
    for (kind, month), group in sorted(by_key.items()):
        if len(group) > 1:
            raise DuplicatePeriodError(
                f"{len(group)} {kind} files for {month}: {_describe(group)}",
                path=group[1].display,
                field="month",
                expected="one file per kind and month",
            )


def _zip_members(
    zf: zipfile.ZipFile, label: str
) -> Iterator[tuple[zipfile.ZipInfo, str, str | None]]:
    """Entries of *zf* as ``(info, base name, reason to skip or None)``."""
    for info in zf.infolist():
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if not parts:
            continue
        if parts[0].lower() == "__macosx":
            yield info, parts[-1], SKIP_MACOS
        elif any(part.startswith(".") for part in parts):
            yield info, parts[-1], SKIP_HIDDEN
        else:
            yield info, parts[-1], None


def _from_zip(
    path: Path, force_slug: str, kinds: Sequence[str], other_slugs: set[str], skipped: list[dict]
) -> list[PoliceUkFile]:
    out: list[PoliceUkFile] = []
    with open_zip(path) as zf:
        inner_zips = _scan_zip(
            zf, str(path), path, None, force_slug, kinds, other_slugs, skipped, out
        )
    for member in inner_zips:
        data = _inner_zip_bytes(path, member)
        label = f"{path}!{member}"
        with open_zip(io.BytesIO(data), label) as inner:
            deeper = _scan_zip(
                inner, label, path, member, force_slug, kinds, other_slugs, skipped, out
            )
        if deeper:
            raise ArchiveError(
                f"zip {deeper[0]!r} inside zip {member!r} inside the archive: nested more than one level",
                path=label,
                field=deeper[0],
                expected="monthly files, or zips of them, at most one zip inside the archive",
            )
    return out


def _scan_zip(
    zf: zipfile.ZipFile,
    label: str,
    path: Path,
    outer_member: str | None,
    force_slug: str,
    kinds: Sequence[str],
    other_slugs: set[str],
    skipped: list[dict],
    out: list[PoliceUkFile],
) -> list[str]:
    """Add the police.uk files of *zf* to *out*; return the names of the zips inside it."""

    def member_name(name: str) -> str:
        return name if outer_member is None else f"{outer_member}!{name}"

    inner_zips: list[str] = []
    tally = _Tally()
    for info, base, reason in _zip_members(zf, label):
        if reason is not None:
            _skip(skipped, path, member_name(info.filename), reason)
            continue
        lower = base.lower()
        if lower.endswith(".zip"):
            inner_zips.append(info.filename)
            continue
        if not lower.endswith((".csv", ".csv.gz")):
            _skip(skipped, path, member_name(info.filename), SKIP_NOT_DATA)
            continue
        parsed = parse_file_name(base)
        if parsed is None:
            raise ValueFormatError(
                "entry name does not follow the police.uk scheme",
                path=label,
                field=info.filename,
                expected="YYYY-MM-<force-slug>-<street|outcomes|stop-and-search>.csv",
            )
        month, slug, kind = parsed
        _check_month(month, f"{label}!{info.filename}")
        if slug != force_slug:
            other_slugs.add(slug)
            tally.other(slug)
            continue
        if kind in kinds:
            nested = None if outer_member is None else (outer_member, info.filename)
            out.append(PoliceUkFile(path, member_name(info.filename), month, slug, kind, nested))
        else:
            tally.kind(kind)
    tally.flush(skipped, path, outer_member)
    return inner_zips
