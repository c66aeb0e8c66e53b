"""The ingest step: a run config -> validated Parquet tables + ``ingest_manifest.json``.

What it does
------------
1. If the config asks for it (``sample.generate``), generate the synthetic sample.
2. Read every configured source with its reader (a source not configured is simply
   absent and recorded as "not supplied"), add a boolean ``synthetic`` column to every
   table (:func:`wmp_analysis.provenance.is_synthetic` of the source path).
3. Write the tables as Parquet, plus ``ingest_manifest.json``, into a fresh folder
   ``data/processed/.store/<name>-<fingerprint12>/``; only when everything succeeded,
   atomically re-point the symlink ``data/processed/<name>`` at it. On any error the
   new folder is removed and the previous ``data/processed/<name>`` is untouched. At
   most the two newest store folders of a config are kept.

Caching: :func:`ingest_fingerprint` is a sha256 over the inputs' sha256s, the
config's ingest-relevant parameters and the package version; :func:`run_ingest`
skips the work when the current folder has that fingerprint (unless ``force``).
Input hashes are cached by ``(path, size, mtime_ns)`` in
``data/processed/.store/hash-cache.json`` so that a cached check is fast.

Concurrency: an exclusive ``fcntl.flock`` on ``data/processed/.<name>.lock`` means
two ingests of one config never interleave; the second waits up to
``ingest.lock_timeout`` seconds (default 600) and then raises :class:`IngestLockError`.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import fcntl
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wmp_analysis import __version__
from wmp_analysis.config import SOURCE_KEYS, RunConfig
from wmp_analysis.errors import ConfigError
from wmp_analysis.ingest.textio import decode_utf8, read_bytes
from wmp_analysis.periods import financial_year_start
from wmp_analysis.provenance import (
    environment_record,
    git_commit,
    is_synthetic,
    point_symlink_atomically,
    remove_tree,
    sha256_file,
    sha256_json,
    write_json_atomic,
)

#: Tables the ingest can write (whichever sources were supplied).
TABLES = (
    "ons_pfa",
    "csp",
    "street",
    "outcomes",
    "stop_search",
    "census_ethnicity",
    "population",
    "lsoa_lookup",
    "lad_lookup",
    "survey",
)
#: Bumped when the ingest's output changes for the same inputs (invalidates caches).
PIPELINE_VERSION = 2  # 2: police.uk tables as a hive-partitioned dataset
#: Store folders kept per config name.
KEEP_STORE_FOLDERS = 2
#: ONS quarter-ends checked for gaps (the file is quarterly from 2007 to 2018).
ONS_CHECK_RANGE = (pd.Timestamp("2007-03-31"), pd.Timestamp("2018-12-31"))
#: Sources that configure something but are not turned into a table by this step.
NOT_INGESTED = {
    "census_age_ethnicity_2021": "2021 Census table: read by the equality notebook when needed, not ingested here",
    "registry": "target registry: read by the target-comparison step, not ingested here",
}
_MANIFEST = "ingest_manifest.json"


class IngestLockError(RuntimeError):
    """Another ingest of the same config holds the lock for longer than the timeout."""


class NotIngestedError(RuntimeError):
    """Processed data (or one table of it) is absent: run the ingest first."""


# ----------------------------------------------------------------------------- paths


def store_root(cfg: RunConfig) -> Path:
    """``data/processed/.store`` (beside the config's processed folder)."""
    return cfg.processed_dir.parent / ".store"


def lock_path(cfg: RunConfig) -> Path:
    return cfg.processed_dir.parent / f".{cfg.name}.lock"


def _rel(path: Path | str, root: Path) -> str:
    """*path* relative to the project root (``../shared/...`` allowed), so that
    manifests name no absolute path of the machine that ran the ingest."""
    p = Path(path)
    if not str(path):
        return ""
    try:
        return os.path.relpath(p.resolve(), root.resolve())
    except ValueError:  # another drive
        return str(p)


# ----------------------------------------------------------------------- hash cache


class HashCache:
    """sha256 of files, cached by ``(resolved path, size, mtime_ns)`` in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.dirty = False
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError):
            self.entries = {}

    def sha256(self, path: Path) -> str:
        p = Path(path).resolve()
        st = p.stat()
        key = str(p)
        hit = self.entries.get(key)
        if hit and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns:
            return hit["sha256"]
        digest = sha256_file(p)
        self.entries[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        self.dirty = True
        return digest

    def remember(self, path: Path, digest: str) -> None:
        """Record *digest* as the sha256 of *path* as it is now (computed while reading it)."""
        p = Path(path).resolve()
        st = p.stat()
        self.entries[str(p)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            live = {k: v for k, v in self.entries.items() if Path(k).exists()}
            write_json_atomic(self.path, live)
            self.dirty = False


def _source_files(path: Path) -> list[Path]:
    if path.is_dir():  # as the police.uk reader walks it: links inside followed, dot-files left out
        from wmp_analysis.ingest.archive import walk_files

        return walk_files(path)
    return [path]


def source_digest(path: Path, cache: HashCache) -> dict[str, Any]:
    """``{kind, size, sha256, files}`` of a source file or folder (folder: hash of its listing)."""
    if path.is_dir():
        listing = [
            {
                "path": q.relative_to(path).as_posix(),
                "size": q.stat().st_size,
                "sha256": cache.sha256(q),
            }
            for q in _source_files(path)
        ]
        return {
            "kind": "folder",
            "size": sum(x["size"] for x in listing),
            "sha256": sha256_json(listing),
            "files": len(listing),
        }
    return {"kind": "file", "size": path.stat().st_size, "sha256": cache.sha256(path), "files": 1}


# ---------------------------------------------------------------------- fingerprint


def _ingest_params(cfg: RunConfig) -> dict[str, Any]:
    return {
        "force": cfg.force,
        "comparators": list(cfg.comparators),
        "districts": list(cfg.districts),
        "police_uk_months": None
        if cfg.police_uk_months is None
        else cfg.police_uk_months.as_dict(),
        "baseline": cfg.baseline.as_dict(),
        "target_period": cfg.target_period.as_dict(),
        "sources": sorted(k for k, v in cfg.sources.items() if v is not None),
    }


def ingest_fingerprint(cfg: RunConfig, *, cache: HashCache | None = None) -> str:
    """sha256 over the inputs' sha256s, the ingest-relevant config and the package version.

    A configured input that does not exist contributes ``"missing"`` (so the
    fingerprint differs from any successful ingest).
    """
    cache = cache or HashCache(store_root(cfg) / "hash-cache.json")
    inputs = {}
    for key, path in sorted(cfg.sources.items()):
        if path is None or key in NOT_INGESTED:
            continue
        inputs[key] = source_digest(path, cache)["sha256"] if path.exists() else "missing"
    return sha256_json(
        {
            "inputs": inputs,
            "params": _ingest_params(cfg),
            "version": __version__,
            "pipeline": PIPELINE_VERSION,
        }
    )


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(cfg: RunConfig, fingerprint: str) -> dict | None:
    link = cfg.processed_dir
    if not link.is_dir():
        return None
    man = _read_manifest(link)
    if not man or man.get("fingerprint") != fingerprint:
        return None
    for o in man.get("outputs", {}).values():
        files = [p["file"] for p in o["partitions"]] if "partitions" in o else [o["file"]]
        if not all((link / f).is_file() for f in files):
            return None
    return man


def ingest_is_current(cfg: RunConfig) -> bool:
    """True when ``data/processed/<name>`` holds an ingest of exactly the current inputs/config."""
    cache = HashCache(store_root(cfg) / "hash-cache.json")
    ok = _is_current(cfg, ingest_fingerprint(cfg, cache=cache)) is not None
    with contextlib.suppress(OSError):
        cache.save()
    return ok


# ---------------------------------------------------------------------------- lock


@contextlib.contextmanager
def ingest_lock(cfg: RunConfig, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``data/processed/.<name>.lock`` for the block.

    Waits up to *timeout* seconds (default: config ``ingest.lock_timeout`` or 600),
    then raises :class:`IngestLockError`.
    """
    if timeout is None:
        timeout = float(cfg.option("ingest.lock_timeout", 600))
    path = lock_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")  # noqa: SIM115 - held open for the lock's lifetime, closed in finally
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestLockError(
                        f"another ingest of config {cfg.name!r} is running (lock {path} held for more "
                        f"than {timeout:g} s); wait for it to finish, or remove the lock file if no "
                        "ingest is running"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


# --------------------------------------------------------------------------- helpers


def _count_rows(path: Path) -> int:
    """Data records in a CSV file (header excluded), counted with the csv module."""
    text = decode_utf8(read_bytes(path), path)
    n = sum(1 for row in csv.reader(io.StringIO(text)) if row)
    return max(n - 1, 0)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, (pd.Timestamp, _dt.date)):
        return obj.isoformat()[:10] if getattr(obj, "hour", 0) == 0 else obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        try:
            val = obj.item()
        except Exception:
            val = None
        else:
            return _jsonable(val) if not hasattr(val, "item") else str(val)
    if isinstance(obj, float) and obj != obj:
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if pd.isna(obj):
        return None
    return str(obj)


def _with_synthetic(df: pd.DataFrame | pa.Table, synthetic: bool) -> pd.DataFrame | pa.Table:
    if isinstance(df, pa.Table):  # police.uk tables stay in Arrow until written
        col = pa.array(np.full(df.num_rows, bool(synthetic)), type=pa.bool_())
        if "synthetic" in df.column_names:
            return df.set_column(df.column_names.index("synthetic"), "synthetic", col)
        return df.append_column("synthetic", col)
    out = df.copy()
    out.attrs = {}
    out["synthetic"] = bool(synthetic)
    return out


def _period_of(name: str, df: pd.DataFrame) -> dict[str, Any] | None:
    """First and last period covered by a table, in the table's own unit."""
    if len(df) == 0:
        return None
    if name == "ons_pfa":
        return {
            "unit": "12 months ending",
            "first": f"{df.period_end.min():%Y-%m-%d}",
            "last": f"{df.period_end.max():%Y-%m-%d}",
        }
    if name == "csp":
        keys = sorted(set(zip(df.financial_year, df.quarter)))
        return {
            "unit": "financial quarter",
            "first": f"{keys[0][0]} Q{keys[0][1]}",
            "last": f"{keys[-1][0]} Q{keys[-1][1]}",
        }
    if isinstance(df, pa.Table):
        if "month" not in df.column_names:
            return None
        mm = pc.min_max(df.column("month")).as_py()
        return {"unit": "month", "first": f"{mm['min']:%Y-%m}", "last": f"{mm['max']:%Y-%m}"}
    if name in ("street", "outcomes", "stop_search") and "month" in df:
        m = pd.to_datetime(df["month"])
        return {"unit": "month", "first": f"{m.min():%Y-%m}", "last": f"{m.max():%Y-%m}"}
    if name == "census_ethnicity":
        return {"unit": "census day", "first": "2011-03-27", "last": "2011-03-27"}
    if name == "population":
        return {
            "unit": "mid-year",
            "first": str(int(df.year.min())),
            "last": str(int(df.year.max())),
        }
    for col in ("month", "date", "period_end", "period", "year", "financial_year"):
        if col in df:
            vals = df[col].dropna()
            if len(vals):
                return {"unit": col, "first": str(vals.min())[:10], "last": str(vals.max())[:10]}
    return None


def ons_missing_quarter_ends(df: pd.DataFrame, forces: list[str]) -> dict[str, list[str]]:
    """Quarter-ends with no ONS row for a force, within 2007-03-31..2018-12-31 and the
    span the data cover (so a file that simply starts later is not a gap)."""
    if df.empty:
        return {f: [] for f in forces}
    lo = max(ONS_CHECK_RANGE[0], df.period_end.min())
    hi = min(ONS_CHECK_RANGE[1], df.period_end.max())
    want = pd.date_range(lo, hi, freq="QE-DEC") if lo <= hi else pd.DatetimeIndex([])
    out = {}
    for f in forces:
        seen = set(df.loc[df.force == f, "period_end"])
        out[f] = [f"{d:%Y-%m-%d}" for d in want if d not in seen]
    return out


def _district_summary(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("street", "outcomes", "stop_search"):
        df = tables.get(name)
        if isinstance(df, pa.Table):  # only the few columns counted here go to pandas
            df = df.select(
                [
                    c
                    for c in ("district", "district_method", "source_format")
                    if c in df.column_names
                ]
            )
            df = df.to_pandas().astype("str")
        if df is None or "district" not in df:
            continue
        n = len(df)
        unassigned = int((df["district"] == "unassigned").sum())
        entry: dict[str, Any] = {
            "records": n,
            "unassigned": unassigned,
            "unassigned_share": (unassigned / n) if n else None,
            "by_district": {
                str(k): int(v) for k, v in df["district"].value_counts().sort_index().items()
            },
        }
        if "district_method" in df:
            entry["by_method"] = {
                str(k): int(v) for k, v in df["district_method"].value_counts().sort_index().items()
            }
        if "source_format" in df and unassigned:
            entry["unassigned_by_format"] = {
                str(k): int(v)
                for k, v in df.loc[df["district"] == "unassigned", "source_format"]
                .value_counts()
                .sort_index()
                .items()
            }
        out[name] = entry
    return out


def _district_columns(got: _Collected, folder: Path) -> dict[str, pa.Table | pd.DataFrame]:
    """The columns :func:`_district_summary` counts, of every police.uk table (from the partitions)."""
    out: dict[str, pa.Table | pd.DataFrame] = {}
    for name in ("street", "outcomes", "stop_search"):
        if name in got.datasets:
            want = [c for c in ("district", "district_method", "source_format")]
            parts = []
            for p in got.datasets[name]:
                schema = pq.read_schema(folder / p["file"])
                parts.append(
                    pq.read_table(
                        folder / p["file"], columns=[c for c in want if c in schema.names]
                    )
                )
            if parts:
                out[name] = pa.concat_tables(parts, promote_options="permissive")
            else:
                from wmp_analysis.ingest.dataset import schema_relpath

                out[name] = pq.read_table(folder / schema_relpath(name))
        elif got.table(name) is not None:
            out[name] = got.table(name)
    return out


def _rejection_summary(
    rejections: list[tuple[str, pd.DataFrame]], root: Path, examples: int = 50
) -> dict[str, Any]:
    frames = []
    for source, df in rejections:
        if df is None or df.empty:
            continue
        d = df.copy()
        d["source"] = source
        frames.append(d)
    if not frames:
        return {"total": 0, "by_reason": [], "examples": []}
    allr = pd.concat(frames, ignore_index=True)
    for col in ("path", "line", "field", "value", "reason"):
        if col not in allr:
            allr[col] = None
    allr["path"] = allr["path"].map(
        lambda p: (
            _rel(str(p).split("!")[0], root)
            + ("!" + str(p).split("!", 1)[1] if "!" in str(p) else "")
        )
    )
    grouped = (
        allr.groupby(["source", "path", "field", "reason"], dropna=False)
        .size()
        .reset_index(name="count")
        .sort_values(["source", "path", "field", "reason"])
    )
    return {
        "total": int(len(allr)),
        "by_reason": _jsonable(grouped),
        "examples": _jsonable(
            allr[["source", "path", "line", "field", "value", "reason"]].head(examples)
        ),
    }


# ------------------------------------------------------------------------ the ingest


@dataclass
class _Collected:
    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    table_synthetic: dict[str, bool] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    missing: dict[str, Any] = field(default_factory=dict)
    rejections: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    ons_quirks: dict | None = None
    notes: list[str] = field(default_factory=list)
    #: police.uk tables written as partitions: table -> partition entries (manifest order)
    datasets: dict[str, list[dict]] = field(default_factory=dict)
    police_uk_dataset: dict = field(default_factory=dict)

    def add(self, name: str, df: pd.DataFrame, synthetic: bool) -> None:
        self.tables.setdefault(name, []).append(_with_synthetic(df, synthetic))
        self.table_synthetic[name] = self.table_synthetic.get(name, False) or synthetic

    def table(self, name: str) -> pd.DataFrame | pa.Table | None:
        parts = self.tables.get(name)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        if any(isinstance(p, pa.Table) for p in parts):
            parts = [
                p if isinstance(p, pa.Table) else pa.Table.from_pandas(p, preserve_index=False)
                for p in parts
            ]
            return pa.concat_tables(parts, promote_options="permissive").unify_dictionaries()
        return pd.concat(parts, ignore_index=True)


def _input_record(cfg: RunConfig, key: str, path: Path, cache: HashCache, rows: int | None) -> dict:
    dig = source_digest(path, cache)
    return {
        "source": key,
        "path": _rel(path, cfg.root),
        "kind": dig["kind"],
        "size": dig["size"],
        "sha256": dig["sha256"],
        "files": dig["files"],
        "rows_read": rows,
        "synthetic": is_synthetic(path),
    }


def _read_all(cfg: RunConfig, cache: HashCache, staging: Path | None = None) -> _Collected:
    from wmp_analysis.ingest.census import (
        read_census_ethnicity_force,
        read_census_ethnicity_la,
        read_lad_lookup,
        read_lsoa_lookup,
        read_population,
    )
    from wmp_analysis.ingest.csp import csp_files, missing_quarters, read_csp
    from wmp_analysis.ingest.ons import describe_quirks, read_ons_pfa

    got = _Collected()
    src = {k: v for k, v in cfg.sources.items() if v is not None}
    for key in SOURCE_KEYS:
        if key not in src:
            got.sources[key] = {"status": "not supplied"}
    for key, path in src.items():
        if not path.exists():
            raise ConfigError(
                "source file or folder not found",
                path=path,
                field=f"sources.{key}",
                expected=SOURCE_KEYS.get(key, "an existing path"),
            )

    def simple(
        key: str,
        table: str,
        reader: Callable[[Path], pd.DataFrame],
        rows: Callable[[Path, pd.DataFrame], int],
    ):
        path = src[key]
        df = reader(path)
        syn = is_synthetic(path)
        got.add(table, df, syn)
        n = rows(path, df)
        got.inputs.append(_input_record(cfg, key, path, cache, n))
        got.sources[key] = {
            "status": "read",
            "path": _rel(path, cfg.root),
            "table": table,
            "rows": int(len(df)),
            "synthetic": syn,
        }
        return df

    # lookups first: police.uk needs the LSOA lookup, the force census needs PFA codes
    lad = lsoa = None
    if "lad_lookup" in src:
        lad = simple("lad_lookup", "lad_lookup", read_lad_lookup, lambda p, d: len(d))
    if "lsoa_lookup" in src:
        lsoa = simple("lsoa_lookup", "lsoa_lookup", read_lsoa_lookup, lambda p, d: len(d))
    if "ons_pfa" in src:
        forces = [cfg.force] + [c for c in cfg.comparators if c != cfg.force]

        def every_force(
            p,
        ):  # the national view needs every force; the configured ones must be there
            df = read_ons_pfa(p)
            return (
                df if set(forces) <= set(df["force"]) else read_ons_pfa(p, forces=forces)
            )  # raises, naming it

        ons = simple("ons_pfa", "ons_pfa", every_force, lambda p, d: _count_rows(p))
        got.ons_quirks = describe_quirks(ons)
        got.missing["ons_pfa"] = {
            "unit": "quarter-end",
            "by_force": ons_missing_quarter_ends(ons, forces),
        }
    if "csp" in src:
        df = simple(
            "csp",
            "csp",
            lambda p: read_csp(p, forces=[cfg.force]),
            lambda p, d: sum(_count_rows(f) for f in csp_files(p)),
        )
        first = financial_year_start(cfg.baseline.start)
        last = financial_year_start(cfg.target_period.end)
        got.missing["csp"] = {
            "unit": "financial quarter",
            "checked": f"FY starting {first} to FY starting {last}",
            "by_csp": missing_quarters(df, first, last),
        }
    if "census_ethnicity_la" in src:
        simple(
            "census_ethnicity_la",
            "census_ethnicity",
            read_census_ethnicity_la,
            lambda p, d: len(d) // 24,
        )
    if "census_ethnicity_force" in src:
        codes = None if lad is None else dict(zip(lad.pfa_name, lad.pfa_code))
        simple(
            "census_ethnicity_force",
            "census_ethnicity",
            lambda p: read_census_ethnicity_force(p, pfa_codes=codes),
            lambda p, d: len(d) // 24,
        )
    if "population" in src:
        simple("population", "population", read_population, lambda p, d: _count_rows(p))
    if "police_uk" in src:
        from wmp_analysis.ingest.archive import collect_skipped
        from wmp_analysis.ingest.dataset import DATASET_DIR, ensure_schemas, ingest_police_uk
        from wmp_analysis.ingest.police_uk import force_slug

        path = src["police_uk"]
        if staging is None:
            raise ValueError("the police.uk dataset needs the staging folder to write into")
        prev_folder = cfg.processed_dir if cfg.processed_dir.is_dir() else None
        prev_man = (_read_manifest(prev_folder) or {}) if prev_folder is not None else {}
        slug = force_slug(cfg.force)
        previous = ((prev_man.get("police_uk_dataset") or {}).get("forces") or {}).get(slug)
        with (
            collect_skipped() as skipped
        ):  # entries not read (__MACOSX/, dot-files, other forces...)
            res = ingest_police_uk(
                path,
                staging,
                force=cfg.force,
                months=cfg.police_uk_months,
                lsoa_lookup=lsoa,
                max_unknown_share=cfg.option("ingest.max_unknown_share", 0.005),
                previous=previous,
                previous_folder=prev_folder,
                sha256_of=cache.sha256,
                rel=lambda q: _rel(q, cfg.root),
                on_key=cache.remember,
            )
        ensure_schemas(staging)
        syn = is_synthetic(path)
        rows = {}
        for name in ("street", "outcomes", "stop_search"):
            got.datasets[name] = res.partitions(name)
            got.table_synthetic[name] = syn
            rows[name] = res.rows(name)
        got.police_uk_dataset = {
            "root": DATASET_DIR,
            "layout": "<table>/force=<slug>/month=YYYY-MM/part-0.parquet",
            "forces": {slug: res.manifest_entry()},
            "last_ingest": {
                slug: {"read_months": res.read_months, "reused_months": res.reused_months}
            },
        }
        files = [_jsonable(f) for f in res.files]
        rec = _input_record(
            cfg, "police_uk", path, cache, int(sum(f.get("rows_read") or 0 for f in res.files))
        )
        rec["file_list"] = files
        got.inputs.append(rec)
        got.rejections.append(("police_uk", res.rejections))
        got.missing["police_uk"] = {
            "unit": "month",
            "by_kind": _jsonable(res.missing_months),
            "out_of_range_files": _jsonable(res.out_of_range),
            "empty_files": _jsonable(res.empty_files),
        }
        got.sources["police_uk"] = {
            "status": "read",
            "path": _rel(path, cfg.root),
            "tables": rows,
            "files": len(res.files),
            "synthetic": syn,
            "not_recorded": _jsonable(res.not_recorded),
            "location_rejections": _jsonable(res.location_rejections),
            "skipped": [{**r, "path": _rel(r["path"], cfg.root)} for r in skipped],
        }
    if "survey" in src:
        try:
            from wmp_analysis.ingest.survey import read_survey
        except ImportError as exc:  # being written in parallel; never silently dropped
            got.sources["survey"] = {
                "status": "reader unavailable",
                "path": _rel(src["survey"], cfg.root),
                "note": f"wmp_analysis.ingest.survey.read_survey could not be imported ({exc})",
            }
            got.notes.append(
                "survey source configured but its reader is not available: not ingested"
            )
        else:
            simple("survey", "survey", read_survey, lambda p, d: len(d))
    for key, note in NOT_INGESTED.items():
        if key in src:
            got.sources[key] = {
                "status": "not ingested",
                "path": _rel(src[key], cfg.root),
                "note": note,
            }
    return got


def _write_tables(got: _Collected, folder: Path, cfg: RunConfig) -> dict[str, dict]:
    from wmp_analysis.ingest.dataset import outputs_entry

    outputs = {}
    for name in TABLES:
        if name in got.datasets:  # police.uk: already written as partitions while reading
            parts = got.datasets[name]
            entry = outputs_entry(folder, name, parts, _rel(cfg.processed_dir, cfg.root))
            months = sorted(p["month"] for p in parts)
            entry["synthetic"] = bool(got.table_synthetic.get(name, False))
            entry["period"] = (
                {"unit": "month", "first": months[0], "last": months[-1]} if months else None
            )
            outputs[name] = entry
            continue
        df = got.table(name)
        if df is None:
            continue
        out = folder / f"{name}.parquet"
        if isinstance(df, pa.Table):  # written straight from Arrow (police.uk tables)
            pq.write_table(df, out)
            columns = list(df.column_names)
        else:
            df.to_parquet(out, index=False, engine="pyarrow")
            columns = [str(c) for c in df.columns]
        outputs[name] = {
            "file": out.name,
            "path": _rel(cfg.processed_dir / out.name, cfg.root),
            "rows": int(len(df)),
            "sha256": sha256_file(out),
            "columns": columns,
            "synthetic": bool(got.table_synthetic.get(name, False)),
            "period": _period_of(name, df),
        }
    return outputs


def _new_store_dir(cfg: RunConfig, fingerprint: str) -> Path:
    root = store_root(cfg)
    root.mkdir(parents=True, exist_ok=True)
    current = cfg.processed_dir.resolve() if cfg.processed_dir.is_symlink() else None
    base = f"{cfg.name}-{fingerprint[:12]}"
    n = 1
    while True:
        cand = root / (base if n == 1 else f"{base}-{n}")
        if not cand.exists():
            break
        if current is None or cand.resolve() != current:
            remove_tree(cand)  # a leftover of an interrupted run
            if not cand.exists():
                break
        n += 1
    cand.mkdir()
    return cand


def _prune_store(cfg: RunConfig) -> list[str]:
    root = store_root(cfg)
    pat = re.compile(rf"^{re.escape(cfg.name)}-[0-9a-f]{{12}}(-\d+)?$")
    current = cfg.processed_dir.resolve() if cfg.processed_dir.is_symlink() else None
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and pat.match(p.name)),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    keep = [p for p in folders if p.resolve() == current]
    for p in folders:
        if len(keep) >= KEEP_STORE_FOLDERS:
            break
        if p not in keep:
            keep.append(p)
    removed = []
    for p in folders:
        if p not in keep:
            remove_tree(p)
            removed.append(p.name)
    return removed


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def run_ingest(
    cfg: RunConfig, *, force: bool = False, lock_timeout: float | None = None
) -> IngestResult:
    """Run the ingest step for *cfg* (see the module docstring).

    Parameters
    ----------
    cfg : RunConfig
    force : bool
        Re-ingest even when the processed folder is current.
    lock_timeout : float, optional
        Seconds to wait for another ingest of the same config.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError subclasses
        From the readers (naming file, line, field); the previous processed folder
        is left as it was.
    ConfigError
        A configured source path that does not exist.
    IngestLockError
        Another ingest of this config held the lock past the timeout.
    """
    link = cfg.processed_dir
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise ConfigError(
            "processed folder is a real folder, not the symlink the ingest manages; move it away",
            path=link,
            expected="a symlink into data/processed/.store (or nothing)",
        )
    with ingest_lock(cfg, lock_timeout):
        if cfg.sample.get("generate"):
            from wmp_analysis.synth import ensure_sample

            ensure_sample(cfg)
        cache = HashCache(store_root(cfg) / "hash-cache.json")
        fingerprint = ingest_fingerprint(cfg, cache=cache)
        if not force:
            man = _is_current(cfg, fingerprint)
            if man is not None:
                cache.save()
                return IngestResult(manifest=man, skipped=True, processed_dir=link)
        started = _now()
        staging = _new_store_dir(cfg, fingerprint)
        try:
            got = _read_all(cfg, cache, staging)
            outputs = _write_tables(got, staging, cfg)
            synthetic = any(i["synthetic"] for i in got.inputs)
            manifest = {
                "manifest_version": 1,
                "name": cfg.name,
                "title": cfg.title,
                "fingerprint": fingerprint,
                "store_folder": staging.name,
                "config": {"path": _rel(cfg.path, cfg.root), "raw": _jsonable(cfg.raw)},
                "force": cfg.force,
                "comparators": list(cfg.comparators),
                "package_version": __version__,
                "pipeline_version": PIPELINE_VERSION,
                "environment": environment_record(),
                "git_commit": git_commit(cfg.root),
                "synthetic": synthetic,
                "sources": got.sources,
                "inputs": got.inputs,
                "outputs": outputs,
                "periods": {k: v["period"] for k, v in outputs.items()},
                "missing_periods": got.missing,
                "rejections": _rejection_summary(got.rejections, cfg.root),
                "ons_quirks": got.ons_quirks,
                "district_assignment": _district_summary(_district_columns(got, staging)),
                "police_uk_dataset": got.police_uk_dataset or None,
                "notes": got.notes,
                "timings": {"started_at": started, "finished_at": _now()},
            }
            manifest = _jsonable(manifest)
            write_json_atomic(staging / _MANIFEST, manifest)
            point_symlink_atomically(link, staging)
        except BaseException:
            remove_tree(staging)
            raise
        _prune_store(cfg)
        with contextlib.suppress(OSError):
            cache.save()
    return IngestResult(manifest=manifest, skipped=False, processed_dir=link)


# -------------------------------------------------------------------------- results


def _inputs_frame(manifest: dict) -> pd.DataFrame:
    rows = [
        {
            "source": i["source"],
            "path": i["path"],
            "kind": i.get("kind", "file"),
            "files": i.get("files", 1),
            "size_bytes": i["size"],
            "sha256": i["sha256"],
            "rows_read": i.get("rows_read"),
            "synthetic": bool(i["synthetic"]),
        }
        for i in manifest.get("inputs", [])
    ]
    cols = ["source", "path", "kind", "files", "size_bytes", "sha256", "rows_read", "synthetic"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class IngestResult:
    """Outcome of :func:`run_ingest`.

    Attributes
    ----------
    manifest : dict
        The ``ingest_manifest.json`` content (of the existing ingest when skipped).
    skipped : bool
        True when the processed folder was already current and nothing was read.
    processed_dir : Path
        ``data/processed/<name>`` (a symlink to the store folder).
    """

    manifest: dict
    skipped: bool
    processed_dir: Path

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    def inputs_table(self) -> pd.DataFrame:
        """One row per input: source, path, kind, files, size_bytes, sha256, rows_read, synthetic."""
        return _inputs_frame(self.manifest)

    def outputs_table(self) -> pd.DataFrame:
        """One row per Parquet table: table, rows, first, last, synthetic."""
        rows = [
            {
                "table": k,
                "rows": v["rows"],
                "first": (v.get("period") or {}).get("first"),
                "last": (v.get("period") or {}).get("last"),
                "synthetic": v["synthetic"],
            }
            for k, v in self.manifest.get("outputs", {}).items()
        ]
        return pd.DataFrame(rows, columns=["table", "rows", "first", "last", "synthetic"])

    def rejections_table(self) -> pd.DataFrame:
        """Rejected rows by source, file, field and reason, with counts."""
        return pd.DataFrame(
            self.manifest.get("rejections", {}).get("by_reason", []),
            columns=["source", "path", "field", "reason", "count"],
        )

    def missing_table(self) -> pd.DataFrame:
        """Missing periods: source, series (kind/CSP/force), unit, missing (one row per period)."""
        rows = []
        miss = self.manifest.get("missing_periods", {})
        for kind, months in (miss.get("police_uk", {}).get("by_kind") or {}).items():
            rows += [
                {"source": "police_uk", "series": kind, "unit": "month", "missing": m}
                for m in months
            ]
        for csp, qs in (miss.get("csp", {}).get("by_csp") or {}).items():
            rows += [
                {"source": "csp", "series": csp, "unit": "financial quarter", "missing": q}
                for q in qs
            ]
        for force, ends in (miss.get("ons_pfa", {}).get("by_force") or {}).items():
            rows += [
                {"source": "ons_pfa", "series": force, "unit": "quarter-end", "missing": d}
                for d in ends
            ]
        return pd.DataFrame(rows, columns=["source", "series", "unit", "missing"])

    def districts_table(self) -> pd.DataFrame:
        """Records by table and district (incl. ``unassigned``), with the share of the table."""
        rows = []
        for table, entry in self.manifest.get("district_assignment", {}).items():
            n = entry.get("records") or 0
            for district, count in entry.get("by_district", {}).items():
                rows.append(
                    {
                        "table": table,
                        "district": district,
                        "records": count,
                        "share": count / n if n else None,
                    }
                )
        return pd.DataFrame(rows, columns=["table", "district", "records", "share"])

    def sources_table(self) -> pd.DataFrame:
        """Every source key: status (read / not supplied / ...), path, note."""
        rows = [
            {
                "source": k,
                "status": v.get("status"),
                "path": v.get("path", ""),
                "note": v.get("note", ""),
            }
            for k, v in self.manifest.get("sources", {}).items()
        ]
        return (
            pd.DataFrame(rows, columns=["source", "status", "path", "note"])
            .sort_values("source")
            .reset_index(drop=True)
        )

    def summary(self) -> str:
        """A few lines for the console: what was read, written, missing and rejected."""
        m = self.manifest
        head = (
            f"ingest {m.get('name')}: "
            + ("up to date, nothing to do" if self.skipped else "done")
            + f" -> {self.processed_dir}"
            + (" [SYNTHETIC SAMPLE]" if m.get("synthetic") else "")
        )
        lines = [head, f"  fingerprint {str(m.get('fingerprint', ''))[:12]}"]
        for name, o in m.get("outputs", {}).items():
            per = o.get("period") or {}
            span = f" {per.get('first')} .. {per.get('last')}" if per else ""
            lines.append(f"  {name:<17} {o['rows']:>10,} rows{span}")
        ds = m.get("police_uk_dataset") or {}
        for slug, last in (ds.get("last_ingest") or {}).items():
            parts = sum(
                len((m.get("outputs", {}).get(t) or {}).get("partitions") or [])
                for t in ("street", "outcomes", "stop_search")
            )
            # Only what the dataset holds: how many months this run read and how many it kept
            # unchanged depends on the run before (cache state), so it lives in the manifest
            # (police_uk_dataset.last_ingest), not on the page, which must be identical on a re-run.
            months = len(set(last.get("read_months") or []) | set(last.get("reused_months") or []))
            lines.append(
                f"  police.uk dataset {ds.get('root', 'police_uk')}/ ({slug}): {parts} partitions, "
                f"{months} months (months read and kept: ingest_manifest.json)"
            )
        not_supplied = sorted(
            k for k, v in m.get("sources", {}).items() if v.get("status") == "not supplied"
        )
        if not_supplied:
            lines.append("  not supplied: " + ", ".join(not_supplied))
        other = {
            k: v
            for k, v in m.get("sources", {}).items()
            if v.get("status") not in ("read", "not supplied")
        }
        for k, v in sorted(other.items()):
            lines.append(f"  {k}: {v.get('status')} ({v.get('note', '')})")
        miss = self.missing_table()
        if len(miss):
            for (src, unit), grp in miss.groupby(["source", "unit"]):
                lines.append(
                    f"  missing {unit}s in {src}: {len(grp)} (across {grp.series.nunique()} series)"
                )
                if src == "police_uk":  # never zero: name them, per kind
                    for kind, sub in grp.groupby("series"):
                        ms = sorted(sub["missing"].astype(str))
                        shown = ", ".join(ms[:6]) + (
                            f" ... (+{len(ms) - 6})" if len(ms) > 6 else ""
                        )
                        lines.append(f"    {kind}: {shown}")
        for e in m.get("missing_periods", {}).get("police_uk", {}).get("empty_files") or []:
            lines.append(
                f"  police_uk {e.get('kind')} {e.get('month')}: header and no rows -> missing month "
                f"({e.get('member') or e.get('path')})"
            )
        from wmp_analysis.ingest.archive import describe_skipped

        for k, v in sorted(m.get("sources", {}).items()):
            lines += [f"  {k}: {line}" for line in describe_skipped(v.get("skipped") or [])]
        rej = m.get("rejections", {}).get("total", 0)
        lines.append(f"  rejected rows: {rej}")
        loc = sum(
            (m.get("sources", {}).get("police_uk", {}).get("location_rejections") or {}).values()
        )
        if loc:
            lines.append(
                f"    of which police.uk locations only (coordinates nulled, records kept): {loc}"
            )
        for table, entry in m.get("district_assignment", {}).items():
            lines.append(
                f"  {table}: {entry['unassigned']:,} of {entry['records']:,} records without a district"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------- processed


@dataclass
class ProcessedData:
    """Read access to ``data/processed/<name>``.

    Attributes
    ----------
    folder : Path
    manifest : dict
    """

    folder: Path
    manifest: dict
    config_name: str = ""
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def synthetic(self) -> bool:
        """True when any input of the ingest was synthetic."""
        return bool(self.manifest.get("synthetic")) or any(
            i.get("synthetic") for i in self.manifest.get("inputs", [])
        )

    def has(self, name: str) -> bool:
        return name in self.manifest.get("outputs", {})

    def table(self, name: str) -> pd.DataFrame:
        """The processed table *name* (a copy-on-write DataFrame, cached)."""
        if not self.has(name):
            raise NotIngestedError(
                f"table {name!r} is not in {self.folder} (tables: {sorted(self.manifest.get('outputs', {}))}); "
                f"configure its source and run ingest: wmp-analysis ingest --config <config of {self.config_name!r}>"
            )
        if name not in self._cache:
            entry = self.manifest["outputs"][name]
            if (
                "partitions" in entry
            ):  # police.uk: the partitioned dataset, rebuilt in manifest order
                from wmp_analysis.ingest.dataset import read_table

                self._cache[name] = read_table(self.folder, name, entry["partitions"]).to_pandas()
            else:
                self._cache[name] = pd.read_parquet(self.folder / entry["file"])
        return self._cache[name]

    def dataset_files(self, name: str) -> list[Path]:
        """The partition files of police.uk table *name* (``[]`` when it has none)."""
        if not self.has(name):
            return []
        entry = self.manifest["outputs"][name]
        if "partitions" not in entry:
            return [self.folder / entry["file"]]
        return [self.folder / p["file"] for p in entry["partitions"]]

    def sources_summary(self) -> pd.DataFrame:
        """source, path, period covered, synthetic, rows: the pack's "data sources" list."""
        outputs = self.manifest.get("outputs", {})
        table_of = {k: v.get("table") for k, v in self.manifest.get("sources", {}).items()}
        rows = []
        for inp in self.manifest.get("inputs", []):
            key = inp["source"]
            src = self.manifest.get("sources", {}).get(key, {})
            names = (
                [table_of.get(key)] if table_of.get(key) else list((src.get("tables") or {}).keys())
            )
            periods = []
            for n in names:
                per = (outputs.get(n) or {}).get("period")
                if per:
                    periods.append(
                        f"{per['first']} to {per['last']}"
                        if per["first"] != per["last"]
                        else per["first"]
                    )
            rows.append(
                {
                    "source": key,
                    "description": SOURCE_KEYS.get(key, key),
                    "path": inp["path"],
                    "period": "; ".join(dict.fromkeys(periods)),
                    "synthetic": bool(inp["synthetic"]),
                    "rows": inp.get("rows_read"),
                }
            )
        return pd.DataFrame(
            rows, columns=["source", "description", "path", "period", "synthetic", "rows"]
        )


def load_processed(cfg: RunConfig) -> ProcessedData:
    """Open ``data/processed/<name>`` of *cfg*.

    Raises
    ------
    NotIngestedError
        No ingest has been run for this config (message says how to run it).
    """
    folder = cfg.processed_dir
    man = _read_manifest(folder) if folder.is_dir() else None
    if man is None:
        raise NotIngestedError(
            f"no processed data for config {cfg.name!r} in {folder}; run ingest first: "
            f"wmp-analysis ingest --config {_rel(cfg.path, cfg.root)}"
        )
    return ProcessedData(folder=folder, manifest=man, config_name=cfg.name)
