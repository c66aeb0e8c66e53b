"""Incremental ingest of one force's police.uk files into the partitioned dataset.

Each month's source files are keyed by their content (:func:`file_key`, :func:`month_key`)
together with the parameters that shape the output (:func:`params_key`). A month whose key
equals the one recorded for it by the previous ingest is not read again: its partitions are
hard-linked (or copied with their times) from the previous folder. Only new or changed
months are read (:func:`wmp_analysis.ingest.police_uk.iter_police_uk_months`: parsed,
checked and harmonised file by file) and written (:mod:`wmp_analysis.ingest.dataset`).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from wmp_analysis.ingest.archive import KINDS, discover
from wmp_analysis.ingest.dataset import (
    DATASET_DIR,
    DATASET_VERSION,
    REJECTIONS,
    TABLES,
    _link_or_copy,
    partition_relpath,
    read_rejections,
    write_parquet,
    write_partition,
    write_schema,
)
from wmp_analysis.ingest.police_uk import force_slug, iter_police_uk_months, missing_months_of
from wmp_analysis.ingest.police_uk.result import PoliceUkReport
from wmp_analysis.ingest.police_uk.schema import REJECTION_COLUMNS
from wmp_analysis.ingest.police_uk_reference import DEFAULT_MAX_UNKNOWN_SHARE
from wmp_analysis.provenance import sha256_file, sha256_json

#: Threads writing partitions (Parquet encoding and sha256 release the GIL).
WRITERS = 2


def _zip_entry_key(f) -> str:
    with zipfile.ZipFile(f.path) as zf:
        info = zf.getinfo(f.member)
    return f"zip-crc32:{info.CRC:08x}:{info.file_size}"


def file_key(f, sha256_of: Callable[[Path], str]) -> str:
    """Content key of one source file: its sha256 (plain or ``.gz``); for an entry of a
    zip, the CRC-32 and size the zip's directory records (no decompression); for an
    entry of a zip inside a zip, the sha256 of its bytes."""
    if f.member is None:
        return sha256_of(f.path)
    if f.nested is None:
        return _zip_entry_key(f)
    from wmp_analysis.ingest.archive import read_file_bytes

    return hashlib.sha256(read_file_bytes(f)).hexdigest()


def _synthetic(f) -> bool:
    from wmp_analysis.ingest.police_uk import is_synthetic_file

    return bool(
        is_synthetic_file(f.path) or (f.member is not None and "synthetic" in f.member.lower())
    )


def month_key(files: Sequence, keys: Sequence[str]) -> str:
    """sha256 over one month's files: their names as shown in the data, kinds, content keys."""
    return sha256_json(
        sorted(
            [
                {"file": f.display, "kind": f.kind, "key": k, "synthetic": _synthetic(f)}
                for f, k in zip(files, keys)
            ],
            key=lambda r: (r["kind"], r["file"]),
        )
    )


def params_key(*, force: str, lsoa_lookup: pd.DataFrame | None, max_unknown_share: float) -> str:
    """sha256 over what shapes the partitions besides the source files: package and dataset
    versions, the force label, the LSOA lookup, the reference tables and the threshold."""
    from wmp_analysis import __version__
    from wmp_analysis.ingest.police_uk_reference import default_category_map_path

    ref = default_category_map_path().parent
    refs = {p.name: sha256_file(p) for p in sorted(ref.glob("*.csv"))} if ref.is_dir() else {}
    lookup = None
    if lsoa_lookup is not None:
        cols = [c for c in ("lsoa_code", "lsoa_name", "lad_code", "lad_name") if c in lsoa_lookup]
        lookup = hashlib.sha256(
            pd.util.hash_pandas_object(lsoa_lookup[cols].astype("str"), index=False)
            .to_numpy()
            .tobytes()
        ).hexdigest()
    return sha256_json(
        {
            "version": __version__,
            "dataset": DATASET_VERSION,
            "force": force,
            "lookup": lookup,
            "references": refs,
            "max_unknown_share": float(max_unknown_share),
        }
    )


@dataclass(kw_only=True)
class DatasetIngest(PoliceUkReport):
    """What :func:`ingest_police_uk` did for one force.

    Attributes
    ----------
    force : str
        The police.uk slug.
    params_sha256 : str
        :func:`params_key` of this ingest.
    months : dict
        ``YYYY-MM`` -> month entry (``source_sha256``, ``files``, ``partitions`` by table,
        ``rejections`` (file entry or None), ``not_recorded``, ``location_rejections``):
        the manifest's record, reused as-is by the next ingest when the month is unchanged.
    read_months, reused_months : list of str
        Months read (new or changed) and months taken over from the previous ingest.
    rejections, files, missing_months, out_of_range, empty_files, not_recorded, location_rejections
        The report fields of :class:`~wmp_analysis.ingest.police_uk.PoliceUkReport` (all months).
    """

    force: str
    params_sha256: str
    months: dict[str, dict] = field(default_factory=dict)
    read_months: list[str] = field(default_factory=list)
    reused_months: list[str] = field(default_factory=list)

    def partitions(self, table: str) -> list[dict]:
        """Partition entries of *table*, by month."""
        return [
            m["partitions"][table]
            for _, m in sorted(self.months.items())
            if table in m["partitions"]
        ]

    def rows(self, table: str) -> int:
        return int(sum(p["rows"] for p in self.partitions(table)))

    def manifest_entry(self) -> dict:
        """The force's record for the manifest (what the next incremental ingest reads)."""
        return {"params_sha256": self.params_sha256, "months": self.months}


def _add_counts(total: dict, part: dict) -> None:
    for k, v in part.items():
        if isinstance(v, dict):
            _add_counts(total.setdefault(k, {}), v)
        else:
            total[k] = total.get(k, 0) + int(v)


def _jsonable_record(r: dict, rel: Callable[[str], str]) -> dict:
    out = {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
    out["path"] = rel(str(r.get("path", "")))
    return out


def ingest_police_uk(
    source: str | Path | Sequence[str | Path],
    out: str | Path,
    *,
    force: str,
    months=None,
    lsoa_lookup: pd.DataFrame | None = None,
    kinds: Sequence[str] | None = None,
    max_unknown_share: float | None = None,
    previous: dict | None = None,
    previous_folder: str | Path | None = None,
    sha256_of: Callable[[Path], str] = sha256_file,
    rel: Callable[[str], str] = str,
    on_key: Callable[[Path, str], None] | None = None,
) -> DatasetIngest:
    """Read one force's police.uk files into the partitioned dataset under *out*.

    Parameters
    ----------
    source, force, months, lsoa_lookup, kinds, max_unknown_share
        As :func:`~wmp_analysis.ingest.police_uk.read_police_uk` (every check is the same).
    out : path
        Processed folder; partitions go to ``out/police_uk/...``.
    previous : dict, optional
        The force's record from the previous ingest's manifest
        (:meth:`DatasetIngest.manifest_entry`); months whose source key and parameters
        are unchanged are not read again.
    previous_folder : path, optional
        Where the previous partitions are (default *out*: an in-place update). Reused
        partitions are hard-linked from it (copied with their times across devices).
    sha256_of : callable
        sha256 of a file on disk (the pipeline passes its cached one).
    rel : callable
        Path -> the text written into the manifest (the pipeline makes it project-relative).
    on_key : callable, optional
        Called with ``(path, sha256)`` for every plain file read, so a hash cache can
        remember what was computed while reading.

    Returns
    -------
    DatasetIngest
    """
    out = Path(out)
    prev_folder = Path(previous_folder) if previous_folder is not None else out
    share = DEFAULT_MAX_UNKNOWN_SHARE if max_unknown_share is None else max_unknown_share
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= float(share) <= 1:
        raise ValueError(f"max_unknown_share must be a share between 0 and 1, got {share!r}")
    slug = force_slug(force)
    kinds = tuple(kinds or KINDS)
    params = params_key(force=force, lsoa_lookup=lsoa_lookup, max_unknown_share=float(share))
    res = DatasetIngest(force=slug, params_sha256=params)
    found = discover(source, force_slug=slug, kinds=kinds)
    by_month = _by_month(res, found, months, rel)
    old = (
        (previous or {}).get("months", {})
        if (previous or {}).get("params_sha256") == params
        else {}
    )
    to_read = _reuse_unchanged(res, by_month, old, sha256_of, prev_folder, out)
    # a month read again (changed) must not keep partitions of kinds it no longer has
    for month in {f.month for f in to_read}:
        for name in (*TABLES, REJECTIONS):
            stale = out / partition_relpath(name, slug, month)
            if stale.exists():
                stale.unlink()
    months_read = iter_police_uk_months(
        to_read, force=force, lsoa_lookup=lsoa_lookup, max_unknown_share=float(share)
    )
    try:
        _write_months(res, months_read, by_month, out, force, slug, sha256_of, rel, on_key)
    finally:
        months_read.close()  # on an error: stop the read loop's threads now, not at collection
    _sum_up(res, out, kinds, months)
    return res


def _by_month(res: DatasetIngest, found: Sequence, months, rel: Callable[[str], str]) -> dict:
    """The files found, by month; those outside *months* listed in ``res.out_of_range``."""
    wanted = {str(m) for m in months.months} if months is not None else None
    by_month: dict[str, list] = {}
    for f in found:
        if wanted is not None and f.month not in wanted:
            res.out_of_range.append(
                {
                    "path": rel(str(f.path)),
                    "member": f.member,
                    "kind": f.kind,
                    "month": f.month,
                    "reason": f"month outside {months.label}",
                }
            )
        else:
            by_month.setdefault(f.month, []).append(f)
    return by_month


def _reuse_unchanged(
    res: DatasetIngest,
    by_month: dict,
    old: dict,
    sha256_of: Callable[[Path], str],
    prev_folder: Path,
    out: Path,
) -> list:
    """Take over the months whose source key is unchanged (their partitions linked into
    *out*); returns the files of the other months, to read."""
    to_read: list = []
    for month, files in sorted(by_month.items()):
        entry = old.get(month)
        if entry is not None:
            key = month_key(files, [file_key(f, sha256_of) for f in files])
            if key == entry.get("source_sha256") and _reuse(entry, prev_folder, out):
                res.months[month] = entry
                res.reused_months.append(month)
                continue
        to_read.extend(files)
    return to_read


def _write_months(
    res: DatasetIngest,
    months_read,
    files_of: dict,
    out: Path,
    force: str,
    slug: str,
    sha256_of: Callable[[Path], str],
    rel: Callable[[str], str],
    on_key: Callable[[Path, str], None] | None,
) -> None:
    """Write each month read as partitions (and its rejections); record it in *res*.

    A month's partitions are written on :data:`WRITERS` threads while the next months are
    read (Parquet encoding releases the GIL); at most ``WRITERS`` months wait to be written.
    Entries are completed in month order, whichever write finishes first.
    """
    pending: list = []  # (future, entry, table name, month), in the order submitted

    def settle(months_left: int) -> None:
        while len({p[3] for p in pending}) > months_left:
            fut, entry, name, _month = pending.pop(0)
            entry["partitions"][name] = fut.result()
            if name == "stop_search":  # the label of its force column (the path holds the slug)
                entry["partitions"][name]["label"] = str(force)

    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="dataset-write") as writer:
        for mr in months_read:
            entry: dict[str, Any] = {"partitions": {}, "rejections": None}
            settle(months_left=WRITERS - 1)
            for name, table in mr.tables.items():
                write_schema(out, name, table)
                if table.num_rows:
                    job = writer.submit(write_partition, out, name, slug, mr.month, table)
                    pending.append((job, entry, name, mr.month))
            if len(mr.rejections):
                entry["rejections"] = _write_rejections(out, slug, mr)
            keys = _source_keys(files_of[mr.month], mr.files, sha256_of, on_key)
            entry["source_sha256"] = month_key(files_of[mr.month], keys)
            entry["files"] = [_jsonable_record(r, rel) for r in mr.files]
            entry["not_recorded"] = mr.not_recorded
            entry["location_rejections"] = mr.location_rejections
            res.months[mr.month] = entry
            res.read_months.append(mr.month)
            del mr
        settle(months_left=0)


def _write_rejections(out: Path, slug: str, mr) -> dict:
    """Write a month's rejections as their partition; returns its manifest entry."""
    rel_rej = partition_relpath(REJECTIONS, slug, mr.month)
    digest = write_parquet(pa.Table.from_pandas(mr.rejections, preserve_index=False), out / rel_rej)
    return {
        "file": rel_rej,
        "rows": int(len(mr.rejections)),
        "sha256": digest,
        "force": slug,
        "month": mr.month,
    }


def _source_keys(
    files: Sequence,
    records: list[dict],
    sha256_of: Callable[[Path], str],
    on_key: Callable[[Path, str], None] | None,
) -> list[str]:
    """Content key of each of a month's files: the sha256 computed while reading a plain
    file (also given to *on_key*), else :func:`file_key`."""
    keys = []
    for f in files:
        rec = next(
            (r for r in records if r["path"] == str(f.path) and r["member"] == f.member),
            None,
        )
        if f.member is None and rec is not None:
            keys.append(rec["sha256"])
            if on_key is not None:
                on_key(f.path, rec["sha256"])
        else:
            keys.append(file_key(f, sha256_of))
    return keys


def _sum_up(res: DatasetIngest, out: Path, kinds: Sequence[str], months) -> None:
    """The whole force, from every month's record: files, counts, rejections, missing months."""
    rej_entries = []
    for _month, entry in sorted(res.months.items()):
        res.files.extend(entry["files"])
        _add_counts(res.not_recorded, entry.get("not_recorded") or {})
        _add_counts(res.location_rejections, entry.get("location_rejections") or {})
        if entry.get("rejections"):
            rej_entries.append(entry["rejections"])
    res.files.sort(key=lambda r: (KINDS.index(r["kind"]) if r["kind"] in KINDS else 9, r["month"]))
    rej = read_rejections(out, rej_entries)
    res.rejections = (
        rej[REJECTION_COLUMNS]
        .sort_values(["path", "line"], kind="mergesort")
        .reset_index(drop=True)
    )
    res.missing_months, empty = missing_months_of(res.files, kinds, months)
    res.empty_files = empty


def _reuse(entry: dict, prev_folder: Path, out: Path) -> bool:
    """Bring a previous month's files into *out* (hard links); False when one is missing or altered."""
    files = list(entry.get("partitions", {}).values()) + (
        [entry["rejections"]] if entry.get("rejections") else []
    )
    for p in files:
        src = prev_folder / p["file"]
        if not src.is_file() or src.stat().st_size == 0:
            return False
    for p in files:
        _link_or_copy(prev_folder / p["file"], out / p["file"])
    if prev_folder.resolve() != out.resolve():
        sch = prev_folder / DATASET_DIR / "_schemas"
        for s in sch.glob("*.parquet") if sch.is_dir() else []:
            if not (out / DATASET_DIR / "_schemas" / s.name).exists():
                _link_or_copy(s, out / DATASET_DIR / "_schemas" / s.name)
    return True
