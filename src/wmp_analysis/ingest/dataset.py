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

Incremental ingest (:func:`wmp_analysis.ingest.dataset_ingest.ingest_police_uk`): each month's source files are keyed by
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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


def __getattr__(name: str):
    """The incremental ingest lives in :mod:`wmp_analysis.ingest.dataset_ingest`; its names
    stay importable from here (tests, benchmarks)."""
    if name in _INCREMENTAL:
        from wmp_analysis.ingest import dataset_ingest

        return getattr(dataset_ingest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_INCREMENTAL = frozenset(
    {"DatasetIngest", "file_key", "ingest_police_uk", "month_key", "params_key"}
)
