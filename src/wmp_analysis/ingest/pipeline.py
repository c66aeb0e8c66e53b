"""The ingest step: a run config -> validated Parquet tables + ``ingest_manifest.json``.

What it does
------------
1. If the config asks for it (``sample.generate``), generate the synthetic sample.
2. Read every configured source of the registry (:data:`wmp_analysis.ingest.sources.SOURCES`)
   with its reader (a source not configured is simply absent and recorded as "not
   supplied"), add a boolean ``synthetic`` column to every table
   (:func:`wmp_analysis.provenance.is_synthetic` of the source path).
3. Write the tables as Parquet, plus ``ingest_manifest.json``
   (:mod:`wmp_analysis.ingest.manifest`), into a fresh folder
   ``data/processed/.store/<name>-<fingerprint12>/``; only when everything succeeded,
   atomically re-point the symlink ``data/processed/<name>`` at it. On any error the
   new folder is removed and the previous ``data/processed/<name>`` is untouched. At
   most the two newest store folders of a config are kept (:mod:`wmp_analysis.ingest.store`).

Caching: :func:`ingest_fingerprint` is a sha256 over the inputs' sha256s, the
config's ingest-relevant parameters and the package version; :func:`run_ingest`
skips the work when the current folder has that fingerprint (unless ``force``).
Input hashes are cached by ``(path, size, mtime_ns)`` in
``data/processed/.store/hash-cache.json`` so that a cached check is fast
(:mod:`wmp_analysis.ingest.fingerprint`).

Concurrency: an exclusive lock (:func:`wmp_analysis.locks.exclusive_lock`) on
``data/processed/.<name>.lock`` means two ingests of one config never interleave; the
second waits up to ``ingest.lock_timeout`` seconds (default 600) and then raises
:class:`IngestLockError`.

This module is the step's entry point; the names notebooks and tests use are importable
from here.
"""

from __future__ import annotations

import contextlib

from wmp_analysis.config import RunConfig
from wmp_analysis.errors import ConfigError
from wmp_analysis.ingest.fingerprint import (
    PIPELINE_VERSION,
    HashCache,
    hash_cache,
    ingest_fingerprint,
    source_digest,
)
from wmp_analysis.ingest.manifest import (
    MANIFEST,
    build_manifest,
    is_current,
    now,
    read_manifest,
    write_outputs,
)
from wmp_analysis.ingest.results import (
    IngestResult,
    NotIngestedError,
    ProcessedData,
    load_processed,
)
from wmp_analysis.ingest.sources import (
    NOT_INGESTED,
    ONS_CHECK_RANGE,
    SOURCES,
    TABLES,
    ons_missing_quarter_ends,
    read_all,
)
from wmp_analysis.ingest.store import (
    KEEP_STORE_FOLDERS,
    IngestLockError,
    ingest_lock,
    lock_path,
    new_store_dir,
    prune_store,
    store_root,
)
from wmp_analysis.provenance import point_symlink_atomically, remove_tree, write_json_atomic

__all__ = [
    "KEEP_STORE_FOLDERS",
    "MANIFEST",
    "NOT_INGESTED",
    "ONS_CHECK_RANGE",
    "PIPELINE_VERSION",
    "SOURCES",
    "TABLES",
    "HashCache",
    "IngestLockError",
    "IngestResult",
    "NotIngestedError",
    "ProcessedData",
    "ingest_fingerprint",
    "ingest_is_current",
    "ingest_lock",
    "load_processed",
    "lock_path",
    "ons_missing_quarter_ends",
    "read_manifest",
    "run_ingest",
    "source_digest",
    "store_root",
]


def ingest_is_current(cfg: RunConfig) -> bool:
    """True when ``data/processed/<name>`` holds an ingest of exactly the current inputs/config."""
    cache = hash_cache(cfg)
    ok = is_current(cfg, ingest_fingerprint(cfg, cache=cache)) is not None
    with contextlib.suppress(OSError):
        cache.save()
    return ok


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
        cache = hash_cache(cfg)
        fingerprint = ingest_fingerprint(cfg, cache=cache)
        if not force:
            man = is_current(cfg, fingerprint)
            if man is not None:
                cache.save()
                return IngestResult(manifest=man, skipped=True, processed_dir=link, root=cfg.root)
        started = now()
        staging = new_store_dir(cfg, fingerprint)
        try:
            got = read_all(cfg, cache, staging)
            outputs = write_outputs(got, staging, cfg)
            manifest = build_manifest(
                cfg,
                got,
                outputs,
                fingerprint=fingerprint,
                staging=staging,
                started=started,
                pipeline_version=PIPELINE_VERSION,
            )
            write_json_atomic(staging / MANIFEST, manifest)
            point_symlink_atomically(link, staging)
        except BaseException:
            remove_tree(staging)
            raise
        prune_store(cfg)
        with contextlib.suppress(OSError):
            cache.save()
    return IngestResult(manifest=manifest, skipped=False, processed_dir=link, root=cfg.root)
