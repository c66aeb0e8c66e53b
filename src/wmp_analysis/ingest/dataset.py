"""The processed police.uk data as a hive-partitioned Parquet dataset, and incremental ingest.

Layout (under a processed folder, e.g. ``data/processed/<name>/``)::

    police_uk/<table>/force=<slug>/month=YYYY-MM/part-0.parquet   one per force and month
    police_uk/rejections/force=<slug>/month=YYYY-MM/part-0.parquet  that month's rejected rows
    police_uk/_schemas/<table>.parquet                              zero rows, the full schema

``<table>`` is ``street``, ``outcomes`` or ``stop_search`` (docs/CONTRACTS.md). As in any
Hive layout the partition keys live in the path, not in the files: the files hold every
column of the table except ``month`` (and, for ``stop_search``, ``force``), which readers
add back from the path - pyarrow (``pyarrow.dataset.dataset(path, partitioning="hive")``),
DuckDB (``read_parquet(..., hive_partitioning = true)``) and Spark
(``spark.read.parquet``) read the folder unchanged (docs/scale.md). ``force`` is the
police.uk slug, ``month`` the ``YYYY-MM`` text. :func:`read_table` rebuilds the table
exactly as the ingest built it (``month`` as the first day of the month, the
stop-and-search ``force`` label as configured).

Files are written deterministically (the same rows give byte-identical files:
:data:`PARQUET_OPTIONS`, no timestamps), a month with no rows of a table has no
partition (a missing month, never a month of zero), and every partition is listed
with its row count and sha256 (:func:`write_partition`), in the ingest manifest.

Incremental ingest (:func:`ingest_police_uk`): each month's source files are keyed by
their content (sha256 of a plain or ``.gz`` file; for a zip entry the CRC-32 and size
from the zip's directory, read without decompressing), together with the parameters
that shape the output (package version, LSOA lookup, reference tables, threshold). A
month whose key equals the one recorded for it by the previous ingest is not read
again: its partitions are hard-linked (or, across file systems, copied with their
times) from the previous folder, so they stay byte-identical and keep their mtimes.
Only new or changed months are read, checked and written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wmp_analysis.ingest.police_uk.result import PoliceUkReport
from wmp_analysis.provenance import sha256_file, sha256_json

#: Folder of the dataset inside a processed folder.
DATASET_DIR = "police_uk"
#: police.uk kind -> table name.
TABLE_OF_KIND = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}
TABLES = tuple(TABLE_OF_KIND.values())
#: Columns of each table held in the path, not in the files.
PATH_COLUMNS = {"street": ("month",), "outcomes": ("month",), "stop_search": ("month", "force")}
#: The rejections "table" (one partition per force and month that had rejections).
REJECTIONS = "rejections"
#: Bumped when the partition files change for the same inputs (forces a full rewrite).
DATASET_VERSION = 1
#: Options of every Parquet write (fixed, so that files are byte-identical on re-run).
#: No compression and no dictionary for the 64-hex-character Crime IDs (neither pays: the IDs
#: do not repeat or compress; measured in benchmarks/RESULTS.md), dictionaries for the other
#: columns; readable by every Parquet reader (no codec needed).
PARQUET_OPTIONS: dict[str, Any] = {"compression": "none", "write_statistics": True}
#: Columns written without a dictionary page.
PLAIN_COLUMNS = frozenset({"crime_id"})


# ----------------------------------------------------------------------------- paths


def partition_relpath(table: str, slug: str, month: str) -> str:
    """``police_uk/<table>/force=<slug>/month=<YYYY-MM>/part-0.parquet`` (POSIX, relative)."""
    return f"{DATASET_DIR}/{table}/force={slug}/month={month}/part-0.parquet"


def schema_relpath(table: str) -> str:
    return f"{DATASET_DIR}/_schemas/{table}.parquet"


def table_root(folder: str | Path, table: str) -> Path:
    """The folder of one table's partitions (what Hive readers are pointed at)."""
    return Path(folder) / DATASET_DIR / table


def parquet_glob(folder: str | Path, table: str) -> str:
    """Glob of one table's partition files (for DuckDB's ``read_parquet``)."""
    return str(table_root(folder, table) / "force=*" / "month=*" / "*.parquet")


def list_partitions(folder: str | Path, table: str) -> list[dict]:
    """The partition files of *table* found on disk: ``{force, month, file}`` sorted.

    ``file`` is relative to *folder*. Used to check a dataset against its manifest.
    """
    root = table_root(folder, table)
    out = []
    if not root.is_dir():
        return out
    for p in sorted(root.glob("force=*/month=*/*.parquet")):
        out.append(
            {
                "force": p.parent.parent.name.split("=", 1)[1],
                "month": p.parent.name.split("=", 1)[1],
                "file": p.relative_to(folder).as_posix(),
            }
        )
    return out


# ----------------------------------------------------------------------------- writing


def _strip_path_columns(table: pa.Table, name: str) -> pa.Table:
    drop = [c for c in PATH_COLUMNS.get(name, ()) if c in table.column_names]
    return table.drop_columns(drop) if drop else table


def write_parquet(table: pa.Table, path: Path) -> str:
    """Write *table* to *path* with :data:`PARQUET_OPTIONS` (deterministic), via a temp file.

    Returns the file's sha256 (computed from the bytes written, not by reading the file back).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        use_dictionary=[c for c in table.column_names if c not in PLAIN_COLUMNS],
        **PARQUET_OPTIONS,
    )
    buf = sink.getvalue()
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(buf)
    os.replace(tmp, path)
    return hashlib.sha256(buf).hexdigest()


def partition_entry(folder: Path, rel: str, rows: int, **extra: Any) -> dict:
    """``{file, rows, sha256, **extra}`` of a partition file already on disk."""
    return {"file": rel, "rows": int(rows), "sha256": sha256_file(folder / rel), **extra}


def write_partition(folder: Path, name: str, slug: str, month: str, table: pa.Table) -> dict:
    """Write one month of one force of table *name*; returns its manifest entry.

    *table* comes from :func:`~wmp_analysis.ingest.police_uk.iter_police_uk_months`, whose
    dictionary columns are already tidy (one sorted dictionary of the values that occur),
    so that a partition's bytes depend only on its rows.
    """
    rel = partition_relpath(name, slug, month)
    digest = write_parquet(_strip_path_columns(table, name), folder / rel)
    return {
        "file": rel,
        "rows": int(table.num_rows),
        "sha256": digest,
        "force": slug,
        "month": month,
    }


def write_schema(folder: Path, name: str, table: pa.Table) -> None:
    """Zero-row file with the table's full schema (types, pandas metadata) for :func:`read_table`."""
    path = folder / schema_relpath(name)
    if not path.exists():
        write_parquet(table.slice(0, 0), path)


def ensure_schemas(folder: Path, tables: Sequence[str] = TABLES) -> None:
    """Write the schema file of each of *tables* that has none yet (no file of that kind was
    read): the empty table the reader returns for it."""
    from wmp_analysis.ingest.police_uk.arrays import _empty_arrow
    from wmp_analysis.ingest.police_uk.schema import OUTCOMES_OUT, STOP_SEARCH_OUT, STREET_OUT

    cols = {"street": STREET_OUT, "outcomes": OUTCOMES_OUT, "stop_search": STOP_SEARCH_OUT}
    for name in tables:
        write_schema(folder, name, _empty_arrow(cols[name]))


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        if dst.samefile(src):
            return
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ----------------------------------------------------------------------------- reading


def read_table(
    folder: str | Path, name: str, partitions: Sequence[dict], labels: dict[str, str] | None = None
) -> pa.Table:
    """The whole table *name* rebuilt from its partitions (in the order given).

    Parameters
    ----------
    folder : path
        The processed folder holding ``police_uk/``.
    name : str
        ``street``, ``outcomes`` or ``stop_search``.
    partitions : sequence of dict
        The manifest's partition entries (``file``, ``force``, ``month``).
    labels : dict, optional
        Force slug -> the ``force`` value of ``stop_search`` (the configured force name).

    Returns
    -------
    pyarrow.Table
        The columns, types, order and schema metadata of the table the reader built
        (``month`` = first day of the partition's month, ``datetime64[ns]``);
        dictionary columns with one sorted dictionary of the values that occur.
    """
    from wmp_analysis.ingest.police_uk import tidy_dictionaries

    folder = Path(folder)
    schema = pq.read_schema(folder / schema_relpath(name))
    parts = []
    for p in partitions:
        t = pq.read_table(folder / p["file"])
        n = t.num_rows
        cols = {}
        for f in schema:
            if f.name in t.column_names:
                cols[f.name] = t.column(f.name)
            elif f.name == "month":
                cols[f.name] = pa.array(
                    np.full(n, np.datetime64(p["month"] + "-01", "ns")), type=f.type
                )
            elif f.name == "force":
                label = (labels or {}).get(p["force"], p.get("label", p["force"]))
                cols[f.name] = pa.array([label] * n, type=f.type)
            else:  # pragma: no cover - a file written by another version
                cols[f.name] = pa.nulls(n, f.type)
        parts.append(pa.table(cols, schema=pa.schema(list(schema))))
    if not parts:
        return schema.empty_table()
    table = pa.concat_tables(parts, promote_options="permissive")
    return tidy_dictionaries(table).replace_schema_metadata(schema.metadata)


def read_rejections(folder: str | Path, entries: Sequence[dict]) -> pd.DataFrame:
    """The rejections of the months listed (``file`` entries), in order, as one DataFrame."""
    from wmp_analysis.ingest.police_uk.schema import empty_rejections

    frames = [pd.read_parquet(Path(folder) / e["file"]) for e in entries if e]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_rejections()


# ----------------------------------------------------------------------------- incremental


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
    from wmp_analysis.ingest.archive import KINDS, discover
    from wmp_analysis.ingest.police_uk import force_slug, iter_police_uk_months, missing_months_of
    from wmp_analysis.ingest.police_uk_reference import DEFAULT_MAX_UNKNOWN_SHARE

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
    old = (
        (previous or {}).get("months", {})
        if (previous or {}).get("params_sha256") == params
        else {}
    )
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
    # a month read again (changed) must not keep partitions of kinds it no longer has
    for month in {f.month for f in to_read}:
        for name in (*TABLES, REJECTIONS):
            stale = out / partition_relpath(name, slug, month)
            if stale.exists():
                stale.unlink()
    files_of = {m: fs for m, fs in by_month.items()}
    # a month's partitions are written on a second thread while the next month is read
    # (Parquet encoding releases the GIL); at most two months are held at once
    pending: list = []

    def settle(keep: int) -> None:
        while len(pending) > keep:
            fut, entry, name = pending.pop(0)
            entry["partitions"][name] = fut.result()
            if name == "stop_search":  # the label of its force column (the path holds the slug)
                entry["partitions"][name]["label"] = str(force)

    with ThreadPoolExecutor(max_workers=1) as writer:
        for mr in iter_police_uk_months(
            to_read, force=force, lsoa_lookup=lsoa_lookup, max_unknown_share=float(share)
        ):
            entry: dict[str, Any] = {"partitions": {}, "rejections": None}
            settle(keep=0)  # the previous month written (it was written while this one was read)
            for name, table in mr.tables.items():
                write_schema(out, name, table)
                if table.num_rows:
                    pending.append(
                        (
                            writer.submit(write_partition, out, name, slug, mr.month, table),
                            entry,
                            name,
                        )
                    )
            if len(mr.rejections):
                rel_rej = partition_relpath(REJECTIONS, slug, mr.month)
                digest = write_parquet(
                    pa.Table.from_pandas(mr.rejections, preserve_index=False), out / rel_rej
                )
                entry["rejections"] = {
                    "file": rel_rej,
                    "rows": int(len(mr.rejections)),
                    "sha256": digest,
                    "force": slug,
                    "month": mr.month,
                }
            keys = []
            for f in files_of[mr.month]:
                rec = next(
                    (r for r in mr.files if r["path"] == str(f.path) and r["member"] == f.member),
                    None,
                )
                if f.member is None and rec is not None:
                    keys.append(rec["sha256"])
                    if on_key is not None:
                        on_key(f.path, rec["sha256"])
                else:
                    keys.append(file_key(f, sha256_of))
            entry["source_sha256"] = month_key(files_of[mr.month], keys)
            entry["files"] = [_jsonable_record(r, rel) for r in mr.files]
            entry["not_recorded"] = mr.not_recorded
            entry["location_rejections"] = mr.location_rejections
            res.months[mr.month] = entry
            res.read_months.append(mr.month)
            del mr
        settle(keep=0)
    # the whole force, from every month's record
    rej_entries = []
    for _month, entry in sorted(res.months.items()):
        res.files.extend(entry["files"])
        _add_counts(res.not_recorded, entry.get("not_recorded") or {})
        _add_counts(res.location_rejections, entry.get("location_rejections") or {})
        if entry.get("rejections"):
            rej_entries.append(entry["rejections"])
    res.files.sort(key=lambda r: (KINDS.index(r["kind"]) if r["kind"] in KINDS else 9, r["month"]))
    from wmp_analysis.ingest.police_uk.schema import REJECTION_COLUMNS

    rej = read_rejections(out, rej_entries)
    res.rejections = (
        rej[REJECTION_COLUMNS]
        .sort_values(["path", "line"], kind="mergesort")
        .reset_index(drop=True)
    )
    res.missing_months, empty = missing_months_of(res.files, kinds, months)
    res.empty_files = empty
    return res


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


def verify(folder: str | Path, manifest_outputs: dict) -> list[str]:
    """Problems between the partitions on disk and the manifest's lists (empty when they agree)."""
    folder = Path(folder)
    problems = []
    for name in TABLES:
        entry = manifest_outputs.get(name)
        if not entry or "partitions" not in entry:
            continue
        listed = {p["file"]: p for p in entry["partitions"]}
        on_disk = {p["file"] for p in list_partitions(folder, name)}
        for f in sorted(set(listed) - on_disk):
            problems.append(f"{name}: {f} listed but not on disk")
        for f in sorted(on_disk - set(listed)):
            problems.append(f"{name}: {f} on disk but not listed")
        for f in sorted(set(listed) & on_disk):
            if sha256_file(folder / f) != listed[f]["sha256"]:
                problems.append(f"{name}: {f} does not match its sha256")
    return problems


def outputs_entry(folder: Path, name: str, partitions: list[dict], rel_folder: str) -> dict:
    """The manifest's ``outputs[<table>]`` record for a partitioned table."""
    return {
        "dataset": f"{DATASET_DIR}/{name}",
        "path": f"{rel_folder}/{DATASET_DIR}/{name}",
        "layout": "hive: force=<slug>/month=YYYY-MM/part-0.parquet",
        "rows": int(sum(p["rows"] for p in partitions)),
        "partitions": partitions,
        "sha256": sha256_json([[p["file"], p["sha256"], p["rows"]] for p in partitions]),
        "columns": [f.name for f in pq.read_schema(folder / schema_relpath(name))],
    }
