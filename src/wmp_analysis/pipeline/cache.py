"""Fingerprints, and reuse of unchanged sections from the configuration's last complete pack.

A section's *key* hashes everything its outputs depend on (see :func:`section_keys`).
A section whose key equals the one recorded in ``reports/<config>/latest`` would
produce the same bytes, so it is copied instead of executed (unless ``--force``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from wmp_analysis import provenance
from wmp_analysis.pipeline.console import rel, say
from wmp_analysis.pipeline.notebooks import is_ingest, is_summary
from wmp_analysis.pipeline.run import NotebookResult, Run
from wmp_analysis.provenance import read_json

_CODE_FINGERPRINT: dict[str, str] = {}


def code_fingerprint(root: Path | None = None) -> str:
    """sha256 over the package's code and the project's reference data.

    Covers every ``.py`` file and template of the installed ``wmp_analysis`` package,
    and ``data/raw/targets`` and ``data/raw/reference`` under *root* (the registry,
    measures and harmonisation tables), so that a changed method or target
    invalidates cached sections.
    """
    key = str(root)
    if key not in _CODE_FINGERPRINT:
        pkg = Path(__file__).resolve().parents[1]  # the whole package
        files = sorted(
            p for p in pkg.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".css")
        )
        if root is not None:
            for sub in ("data/raw/targets", "data/raw/reference"):
                files += sorted(p for p in (Path(root) / sub).glob("*") if p.is_file())
        records = [(str(p.relative_to(p.anchor)), provenance.sha256_file(p)) for p in files]
        _CODE_FINGERPRINT[key] = provenance.sha256_json(records)
    return _CODE_FINGERPRINT[key]


def section_keys(
    cfg, names: Sequence[str], nb_dir: Path, fingerprint: str | None
) -> dict[str, str]:
    """A hash per section of everything its outputs depend on.

    A section's key covers its notebook file, the config file, the processed data
    (the ingest fingerprint), the package code and reference data, and the kernel;
    a summary section's key also covers every other section's key.
    """
    common = {
        "config": provenance.sha256_file(cfg.path),
        "ingest": fingerprint,
        "code": code_fingerprint(cfg.root),
        "kernel": cfg.option("runner.kernel", "wmp-analysis"),
    }
    keys: dict[str, str] = {}
    for name in names:
        nb = nb_dir / f"{name}.ipynb"
        keys[name] = provenance.sha256_json(
            {**common, "notebook": provenance.sha256_file(nb) if nb.is_file() else None}
        )
    for name in names:
        if is_summary(name):
            keys[name] = provenance.sha256_json(
                {"own": keys[name], "others": {n: keys[n] for n in names if n != name}}
            )
    return keys


def ingest_state(cfg) -> tuple[bool, str | None]:
    """(is current, fingerprint); (False, None) when the ingest pipeline is unavailable."""
    try:
        from wmp_analysis.ingest import pipeline
    except ImportError:
        return False, None
    fp = pipeline.ingest_fingerprint(cfg)
    return bool(pipeline.ingest_is_current(cfg)), (
        fp if isinstance(fp, str) else provenance.sha256_json(fp)
    )


def section_files(run_dir: Path, name: str) -> list[Path]:
    """Files belonging to section *name* in a run folder."""
    out = []
    for p in (run_dir / f"{name}.html", run_dir / "notebooks" / f"{name}.ipynb"):
        if p.is_file():
            out.append(p)
    d = run_dir / name
    if d.is_dir():
        out += sorted(p for p in d.rglob("*") if p.is_file())
    return out


def copy_section(src_run: Path, dst_run: Path, name: str) -> list[Path]:
    copied = []
    for p in section_files(src_run, name):
        dst = dst_run / p.relative_to(src_run)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dst)
        copied.append(dst)
    return copied


def read_manifest(run_dir: Path | None) -> dict[str, Any]:
    """A run folder's ``manifest.json``, or ``{}`` when there is none or it cannot be read."""
    if run_dir is None:
        return {}
    return read_json(run_dir / "manifest.json") or {}


def load_latest(run: Run) -> None:
    """Set ``run.latest`` (and its manifest) to this configuration's last complete pack, if any."""
    link = run.latest_link
    target = link.resolve() if link.exists() else None
    if target is None or not (target / "manifest.json").is_file():
        return
    manifest = read_manifest(target)
    if (manifest.get("config", {}).get("raw") or {}).get("name") != run.cfg.name:
        return  # not this config's pack: nothing to copy from it
    run.latest, run.latest_manifest = target, manifest
    run.config_changed = manifest.get("config", {}).get("sha256") != provenance.sha256_file(
        run.cfg.path
    )


def ingest_stub(cfg, fingerprint: str | None) -> nbformat.NotebookNode:
    """A short notebook standing in for a skipped (cached) ingest."""
    lines = [
        "# Data and ingest (cached)",
        "",
        "Ingest was not re-run: its inputs and parameters are unchanged since the processed "
        f"tables in `{rel(cfg.processed_dir, cfg.root)}` were written (fingerprint `{fingerprint}`). "
        "Run with `--force` to ingest again.",
    ]
    try:
        from wmp_analysis.ingest.pipeline import load_processed

        summary = load_processed(cfg).sources_summary()
        import pandas as pd

        df = summary if isinstance(summary, pd.DataFrame) else pd.DataFrame(list(summary))
        lines += [
            "",
            "## Sources",
            "",
            df.to_markdown(index=False) if hasattr(df, "to_markdown") else "",
        ]
    except Exception:
        pass
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    nb.cells[0]["id"] = "cached-ingest"
    return nb


def _reuse_ingest(run: Run, name: str) -> NotebookResult:
    latest, staging = run.latest, run.staging
    same = latest is not None and run.latest_manifest.get("ingest_fingerprint") == run.fingerprint
    if same and section_files(latest, name):
        copy_section(latest, staging, name)
        msg = "ingest inputs unchanged; section from " + latest.name
        res = NotebookResult(name, "cached", 0.0, msg, copied_from=latest.name)
    else:
        from wmp_analysis.pipeline.publish import export_page

        executed = run.executed_path(name)
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(ingest_stub(run.cfg, run.fingerprint), str(executed))
        export_page(run, name, executed)
        res = NotebookResult(name, "cached", 0.0, "ingest inputs unchanged; stub page")
    say(f"{run.position(name)} - cached (inputs unchanged)")
    return res


def _reuse_unchanged(run: Run, name: str) -> NotebookResult:
    latest = run.latest
    copy_section(latest, run.staging, name)
    if is_summary(name) and (latest / "index.html").is_file():
        shutil.copy2(latest / "index.html", run.staging / "index.html")
    say(f"{run.position(name)} - cached (unchanged since {latest.name})")
    msg = "notebook, config, data and code unchanged; section from " + latest.name
    return NotebookResult(name, "cached", 0.0, msg, copied_from=latest.name)


def _reuse_copy(run: Run, name: str) -> NotebookResult:
    latest = run.latest
    copy_section(latest, run.staging, name)
    old_key = (run.latest_manifest.get("section_keys") or {}).get(name)
    current = old_key is not None and old_key == run.keys.get(name)
    msg = "config file changed since that run" if run.config_changed else ""
    if not current and not msg:
        msg = "not current: its inputs or code changed since that run"
    say(f"{run.position(name)} - copied from {latest.name}")
    return NotebookResult(name, "copied", 0.0, msg, copied_from=latest.name, current=current)


def reuse_sections(run: Run) -> None:
    """Fill the staging folder with every section not executed, before anything runs.

    A cached ingest is copied from ``latest`` (or stands as a short stub page); an
    unchanged section is copied as ``cached``; a section outside ``--only``/``--from``
    is copied from ``latest`` as ``copied`` (current if its key is unchanged); one with
    no earlier run to copy from is ``not produced``. So the briefing summary sees a
    complete pack whenever there is one.
    """
    for name in run.names:
        if name in run.to_run:
            continue
        if is_ingest(name) and name in run.chosen:
            res = _reuse_ingest(run, name)
        elif name in run.unchanged:
            res = _reuse_unchanged(run, name)
        elif run.latest is not None and section_files(run.latest, name):
            res = _reuse_copy(run, name)
        else:
            say(f"{run.position(name)} - not produced")
            msg = "not run and no earlier run to copy from"
            res = NotebookResult(name, "not produced", 0.0, msg, current=False)
        run.results.append(res)
