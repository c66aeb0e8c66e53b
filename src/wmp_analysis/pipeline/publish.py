"""Staging, HTML export, the manifest, and the atomic publish of a run folder.

Layout, per configuration (``<config>`` is the config's ``name``)::

    reports/
      .run.lock                        held by the run in progress (any configuration)
      <config>/
        .staging-<run-id>/             the run being written
        <run-id>/                      a finished run (complete, or partial)
        failed-<run-id>/               a failed run, kept for diagnosis
        latest -> <run-id>             this configuration's newest complete, current pack

A run is written into the staging folder and renamed to ``<run-id>/`` only when every
page and the manifest are written. It becomes ``latest`` only when every section is
present and current (ran, cached, or copied with an unchanged key); otherwise it
stays as its own run folder, reported as partial.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from wmp_analysis import provenance
from wmp_analysis.pipeline import console
from wmp_analysis.pipeline.console import rel, say
from wmp_analysis.pipeline.run import (
    EXIT_FAILED,
    EXIT_OK,
    FAILED_PREFIX,
    STAGING_PREFIX,
    Run,
    utc_now,
)


def clear_stale_staging(reports_dir: Path) -> None:
    """Move staging folders left by killed runs aside (we hold the lock, so none is live)."""
    found = sorted(reports_dir.glob(f"{STAGING_PREFIX}*")) + sorted(
        reports_dir.glob(f"*/{STAGING_PREFIX}*")
    )
    for p in found:
        if p.is_dir():
            dst = p.parent / f"{FAILED_PREFIX}{p.name[len(STAGING_PREFIX) :]}-interrupted"
            if dst.exists():
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.replace(p, dst)
            say(f"note: a previous run was interrupted; its partial folder is kept as {dst.name}")


def open_staging(run: Run) -> Path:
    """Pick a free run id (``<id>``, ``<id>-2``...) and create its staging folder."""
    base_id, k = run.run_id, 2
    while any(
        (run.pack_dir / f"{pre}{run.run_id}").exists()
        for pre in ("", STAGING_PREFIX, FAILED_PREFIX)
    ):
        run.run_id = f"{base_id}-{k}"
        k += 1
    run.staging = run.pack_dir / f"{STAGING_PREFIX}{run.run_id}"
    run.staging.mkdir(parents=True)
    root = run.cfg.root
    run.replace = sorted(  # the staging path, however written, never reaches a page
        {
            str(run.staging),
            str(run.staging.resolve()),
            rel(run.staging, root),
            os.path.relpath(run.staging, root),
        },
        key=len,
        reverse=True,
    )
    return run.staging


def export_page(run: Run, name: str, executed: Path) -> Path:
    """Write ``<name>.html`` for the executed notebook into the staging folder."""
    from wmp_analysis.provenance import section_origin
    from wmp_analysis.report.pages import export_notebook_html, external_references

    staging = run.staging
    figures = sorted((staging / name / "figures").glob("*.png"))
    # the badge and the banner follow the section's own sources (real, synthetic or both)
    html = export_notebook_html(
        executed,
        title=run.cfg.title,
        name=name,
        synthetic=run.synthetic,
        sections=run.names,
        replace=run.replace,
        figures=figures,
        origin=section_origin(run.cfg, name),
    )
    bad = external_references(html)
    if bad:
        raise RuntimeError(
            f"page {name}.html would load resources from other hosts: {', '.join(bad[:5])}"
        )
    out = staging / f"{name}.html"
    out.write_text(html, encoding="utf-8", newline="\n")
    return out


def inputs_record(cfg) -> dict[str, Any]:
    """Each input's sha256: from the ingest manifest when present, else hashed here."""
    ingest_manifest = Path(cfg.processed_dir) / "ingest_manifest.json"
    if ingest_manifest.is_file():
        try:
            data = json.loads(ingest_manifest.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        inputs = data.get("inputs") or data.get("files") or data.get("sources")
        if inputs:
            return {
                "from": rel(ingest_manifest, cfg.root),
                "ingest_manifest_sha256": provenance.sha256_file(ingest_manifest),
                "files": inputs,
            }
    files = []
    for key, p in sorted(cfg.sources.items()):
        if p is None or not Path(p).exists():
            continue
        paths = (
            [Path(p)] if Path(p).is_file() else sorted(q for q in Path(p).rglob("*") if q.is_file())
        )
        files += [provenance.file_record(q, root=cfg.root, source=key) for q in paths]
    return {"from": "hashed by the runner", "files": files}


def write_manifest(run: Run, status: str) -> Path:
    """``manifest.json``: config, versions, selection, section keys and statuses, input and
    output sha256, timings (seconds). *status* is ``complete``, ``partial`` or ``failed``."""
    from wmp_analysis import __version__

    cfg, run_dir, results, keys = run.cfg, run.staging, run.results, run.keys
    outputs = [
        provenance.file_record(p, root=run_dir)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
        and p.name != "manifest.json"
        and "screenshots" not in p.relative_to(run_dir).parts
    ]
    manifest = {
        "run_id": run.run_id,
        "status": status,
        "started_utc": f"{run.started:%Y-%m-%dT%H:%M:%SZ}",
        "finished_utc": f"{utc_now():%Y-%m-%dT%H:%M:%SZ}",
        "config": {
            "path": rel(cfg.path, cfg.root),
            "sha256": provenance.sha256_file(cfg.path),
            "raw": cfg.raw,
        },
        "package_version": __version__,
        "git_commit": provenance.git_commit(cfg.root),
        "environment": provenance.environment_record(),
        "kernel": run.options.kernel,
        "synthetic": run.synthetic,
        "selection": run.selection(),
        "ingest_fingerprint": run.fingerprint,
        "section_keys": {
            r.name: keys.get(r.name)
            for r in results
            if r.status in ("ran", "cached") and keys.get(r.name)
        },
        "sections": {
            r.name: {
                "status": r.status,
                "seconds": round(r.seconds, 3),
                "copied_from": r.copied_from,
                "message": r.message or None,
            }
            for r in results
        },
        "timings_seconds": {r.name: round(r.seconds, 3) for r in results},
        "inputs": inputs_record(cfg),
        "outputs": outputs,
    }
    path = run_dir / "manifest.json"
    provenance.write_json_atomic(path, manifest)
    os.chmod(path, 0o644)
    return path


def publish_failed(run: Run, failed) -> int:
    """Keep the staging folder as ``failed-<run-id>/`` (``latest`` untouched); exit 1."""
    dest = run.pack_dir / f"{FAILED_PREFIX}{run.run_id}"
    try:
        write_manifest(run, "failed")
    except Exception as exc:
        say(f"  (could not write the failed run's manifest: {exc})")
    os.replace(run.staging, dest)
    kept = dest / "notebooks" / f"{failed.name}.ipynb"
    where = ""
    if failed.cell_index is not None or failed.cell_line:
        idx = "?" if failed.cell_index is None else str(failed.cell_index)
        nb = rel(run.nb_dir / (failed.name + ".ipynb"), run.cfg.root)
        where = f" at cell index {idx} (0-based, in {nb}): {failed.cell_line!r}"
    console.run_failed(run, failed, kept if kept.is_file() else dest, where)
    return EXIT_FAILED


def gaps(run: Run) -> list[str]:
    """Sections that are not present, or present but not current (copied with a changed key)."""
    return [
        r.name
        for r in run.results
        if r.status not in ("ran", "cached", "copied") or not getattr(r, "current", True)
    ]


def publish_pack(run: Run) -> int:
    """Write the manifest, rename staging to ``<run-id>/``; point ``latest`` to it if complete."""
    missing = gaps(run)
    write_manifest(run, "partial" if missing else "complete")
    final = run.pack_dir / run.run_id
    os.replace(run.staging, final)
    if not missing:
        provenance.point_symlink_atomically(run.latest_link, final)
    console.run_published(run, final, time.monotonic() - run.t_run, not missing, missing)
    return EXIT_OK
