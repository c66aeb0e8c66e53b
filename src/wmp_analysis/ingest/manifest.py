"""``ingest_manifest.json``: what an ingest read, wrote, missed and rejected.

:func:`build_manifest` assembles it from what the sources gathered
(:class:`~wmp_analysis.ingest.sources.Collected`) and the tables written
(:func:`write_outputs`); :func:`read_manifest` reads it back (``None`` when absent or
unreadable) and :func:`is_current` says whether a processed folder holds an ingest of a
given fingerprint with every output file present.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wmp_analysis import __version__
from wmp_analysis.config import RunConfig
from wmp_analysis.ingest.census2021 import CENSUS_DAY
from wmp_analysis.ingest.census2021 import TABLE as CENSUS2021_TABLE
from wmp_analysis.provenance import (
    environment_record,
    git_commit,
    read_json,
    relative_path,
    sha256_file,
)

if TYPE_CHECKING:
    from wmp_analysis.ingest.sources import Collected

#: File name of the manifest in a processed folder.
MANIFEST = "ingest_manifest.json"


def read_manifest(folder: Path) -> dict | None:
    """The ingest manifest of *folder*, or ``None`` when it is absent or unreadable."""
    man = read_json(Path(folder) / MANIFEST)
    return man if isinstance(man, dict) else None


def is_current(cfg: RunConfig, fingerprint: str) -> dict | None:
    link = cfg.processed_dir
    if not link.is_dir():
        return None
    man = read_manifest(link)
    if not man or man.get("fingerprint") != fingerprint:
        return None
    for o in man.get("outputs", {}).values():
        files = [p["file"] for p in o["partitions"]] if "partitions" in o else [o["file"]]
        if not all((link / f).is_file() for f in files):
            return None
    return man


def jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict(orient="records"))
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
            return jsonable(val) if not hasattr(val, "item") else str(val)
    if isinstance(obj, float) and obj != obj:
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if pd.isna(obj):
        return None
    return str(obj)


def period_of(name: str, df: pd.DataFrame) -> dict[str, Any] | None:
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
    if name == CENSUS2021_TABLE:
        return {"unit": "census day", "first": CENSUS_DAY, "last": CENSUS_DAY}
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


_COUNTED = ("district", "district_method", "source_format")


def _value_counts(col: pa.ChunkedArray) -> dict[str, int]:
    """``{value: rows}`` of a column's values as text, sorted, missing values left out
    (what ``to_pandas().astype("str").value_counts().sort_index()`` gave)."""
    vc = pc.value_counts(_as_text(col))
    pairs = zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist())
    return {str(k): int(v) for k, v in sorted((k, v) for k, v in pairs if k is not None)}


def _as_text(col):
    return col.cast(pa.large_string()) if pa.types.is_dictionary(col.type) else col


def district_assignment(tables: dict[str, pd.DataFrame | pa.Table]) -> dict[str, Any]:
    """Records per district (and per assignment method) of each police.uk table, for the
    manifest: ``records``, ``unassigned`` (rows whose district is ``"unassigned"``) and
    its share, ``by_district``, ``by_method``, ``unassigned_by_format``. Counted in Arrow
    (the street table has millions of rows); a pandas table's columns are handed over first."""
    out: dict[str, Any] = {}
    for name in ("street", "outcomes", "stop_search"):
        df = tables.get(name)
        if isinstance(df, pd.DataFrame):
            df = pa.Table.from_pandas(df[[c for c in _COUNTED if c in df]], preserve_index=False)
        if df is None or "district" not in df.column_names:
            continue
        is_unassigned = pc.fill_null(pc.equal(_as_text(df.column("district")), "unassigned"), False)
        unassigned = int(pc.sum(is_unassigned).as_py() or 0)
        n = df.num_rows
        entry: dict[str, Any] = {
            "records": n,
            "unassigned": unassigned,
            "unassigned_share": (unassigned / n) if n else None,
            "by_district": _value_counts(df.column("district")),
        }
        if "district_method" in df.column_names:
            entry["by_method"] = _value_counts(df.column("district_method"))
        if "source_format" in df.column_names and unassigned:
            entry["unassigned_by_format"] = _value_counts(
                df.column("source_format").filter(is_unassigned)
            )
        out[name] = entry
    return out


def district_columns(got: Collected, folder: Path) -> dict[str, pa.Table | pd.DataFrame]:
    """The columns :func:`district_assignment` counts, of every police.uk table (from the partitions)."""
    out: dict[str, pa.Table | pd.DataFrame] = {}
    for name in ("street", "outcomes", "stop_search"):
        if name in got.datasets:
            want = list(_COUNTED)
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


def rejection_summary(
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
            relative_path(str(p).split("!")[0], root)
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
        "by_reason": jsonable(grouped),
        "examples": jsonable(
            allr[["source", "path", "line", "field", "value", "reason"]].head(examples)
        ),
    }


def write_outputs(got: Collected, folder: Path, cfg: RunConfig) -> dict[str, dict]:
    from wmp_analysis.ingest.dataset import outputs_entry
    from wmp_analysis.ingest.sources import TABLES

    outputs = {}
    for name in TABLES:
        if name in got.datasets:  # police.uk: already written as partitions while reading
            parts = got.datasets[name]
            entry = outputs_entry(folder, name, parts, relative_path(cfg.processed_dir, cfg.root))
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
            "path": relative_path(cfg.processed_dir / out.name, cfg.root),
            "rows": int(len(df)),
            "sha256": sha256_file(out),
            "columns": columns,
            "synthetic": bool(got.table_synthetic.get(name, False)),
            "period": period_of(name, df),
        }
    return outputs


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def build_manifest(
    cfg: RunConfig,
    got: Collected,
    outputs: dict[str, dict],
    *,
    fingerprint: str,
    staging: Path,
    started: str,
    pipeline_version: int,
) -> dict[str, Any]:
    """The manifest of an ingest of *cfg* into *staging* (JSON-able; keys in the documented order)."""
    synthetic = any(i["synthetic"] for i in got.inputs)
    manifest = {
        "manifest_version": 1,
        "name": cfg.name,
        "title": cfg.title,
        "fingerprint": fingerprint,
        "store_folder": staging.name,
        "config": {"path": relative_path(cfg.path, cfg.root), "raw": jsonable(cfg.raw)},
        "force": cfg.force,
        "comparators": list(cfg.comparators),
        "package_version": __version__,
        "pipeline_version": pipeline_version,
        "environment": environment_record(),
        "git_commit": git_commit(cfg.root),
        "synthetic": synthetic,
        "sources": got.sources,
        "inputs": got.inputs,
        "outputs": outputs,
        "periods": {k: v["period"] for k, v in outputs.items()},
        "missing_periods": got.missing,
        "rejections": rejection_summary(got.rejections, cfg.root),
        "ons_quirks": got.ons_quirks,
        "district_assignment": district_assignment(district_columns(got, staging)),
        "police_uk_dataset": got.police_uk_dataset or None,
        "notes": got.notes,
        "timings": {"started_at": started, "finished_at": now()},
    }
    return jsonable(manifest)
