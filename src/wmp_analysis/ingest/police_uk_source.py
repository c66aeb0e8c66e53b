"""The police.uk entry of the source registry: the partitioned dataset and its manifest sections.

Reading and harmonising run together in :func:`wmp_analysis.ingest.dataset_ingest.ingest_police_uk`
(month by month; each file is parsed, validated and harmonised by
:mod:`wmp_analysis.ingest.police_uk`); this module gives it the previous ingest (for the
incremental read), the LSOA lookup and the threshold, and records what the manifest says.
"""

from __future__ import annotations

from pathlib import Path

from wmp_analysis.ingest.archive import collect_skipped
from wmp_analysis.ingest.dataset import DATASET_DIR, ensure_schemas
from wmp_analysis.ingest.dataset_ingest import ingest_police_uk
from wmp_analysis.ingest.manifest import jsonable, read_manifest
from wmp_analysis.ingest.police_uk.forces import force_slug
from wmp_analysis.ingest.sources import Collected
from wmp_analysis.provenance import is_synthetic


def _previous(got: Collected, slug: str) -> tuple[Path | None, dict | None]:
    """The current processed folder (or None) and this force's dataset record in its manifest."""
    cfg = got.cfg
    prev_folder = cfg.processed_dir if cfg.processed_dir.is_dir() else None
    prev_man = (read_manifest(prev_folder) or {}) if prev_folder is not None else {}
    previous = ((prev_man.get("police_uk_dataset") or {}).get("forces") or {}).get(slug)
    return prev_folder, previous


def ingest_police_uk_source(got: Collected, path: Path) -> None:
    """Read ``sources.police_uk`` into partitions of the staging folder; record it in *got*."""
    cfg = got.cfg
    if got.staging is None:
        raise ValueError("the police.uk dataset needs the staging folder to write into")
    slug = force_slug(cfg.force)
    prev_folder, previous = _previous(got, slug)
    with collect_skipped() as skipped:  # entries not read (__MACOSX/, dot-files, other forces...)
        res = ingest_police_uk(
            path,
            got.staging,
            force=cfg.force,
            months=cfg.police_uk_months,
            lsoa_lookup=got.frames.get("lsoa_lookup"),
            max_unknown_share=cfg.option("ingest.max_unknown_share", 0.005),
            previous=previous,
            previous_folder=prev_folder,
            sha256_of=got.cache.sha256,
            rel=got.rel,
            on_key=got.cache.remember,
        )
    ensure_schemas(got.staging)
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
        "last_ingest": {slug: {"read_months": res.read_months, "reused_months": res.reused_months}},
    }
    rec = got.input_record("police_uk", path, int(sum(f.get("rows_read") or 0 for f in res.files)))
    rec["file_list"] = [jsonable(f) for f in res.files]
    got.inputs.append(rec)
    got.rejections.append(("police_uk", res.rejections))
    got.missing["police_uk"] = {
        "unit": "month",
        "by_kind": jsonable(res.missing_months),
        "out_of_range_files": jsonable(res.out_of_range),
        "empty_files": jsonable(res.empty_files),
    }
    got.sources["police_uk"] = {
        "status": "read",
        "path": got.rel(path),
        "tables": rows,
        "files": len(res.files),
        "synthetic": syn,
        "not_recorded": jsonable(res.not_recorded),
        "location_rejections": jsonable(res.location_rejections),
        "skipped": [{**r, "path": got.rel(r["path"])} for r in skipped],
    }
