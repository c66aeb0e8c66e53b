"""Where the ingest writes: ``data/processed/.store/<name>-<fingerprint12>/``, its lock, pruning.

Each ingest writes into a fresh store folder and, only when everything succeeded,
re-points the symlink ``data/processed/<name>`` at it; at most
:data:`KEEP_STORE_FOLDERS` store folders of a config are kept. An exclusive lock on
``data/processed/.<name>.lock`` (:func:`wmp_analysis.locks.exclusive_lock`) means two
ingests of one config never interleave.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from wmp_analysis.config import RunConfig
from wmp_analysis.locks import exclusive_lock
from wmp_analysis.provenance import remove_tree

#: Store folders kept per config name.
KEEP_STORE_FOLDERS = 2


class IngestLockError(RuntimeError):
    """Another ingest of the same config holds the lock for longer than the timeout."""


def store_root(cfg: RunConfig) -> Path:
    """``data/processed/.store`` (beside the config's processed folder)."""
    return cfg.processed_dir.parent / ".store"


def lock_path(cfg: RunConfig) -> Path:
    """``data/processed/.<name>.lock``: the lock file of *cfg*'s ingest."""
    return cfg.processed_dir.parent / f".{cfg.name}.lock"


@contextlib.contextmanager
def ingest_lock(cfg: RunConfig, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``data/processed/.<name>.lock`` for the block.

    Waits up to *timeout* seconds (default: config ``ingest.lock_timeout`` or 600),
    then raises :class:`IngestLockError`. The kernel releases the lock if the holder dies.
    """
    if timeout is None:
        timeout = float(cfg.option("ingest.lock_timeout", 600))

    def refuse(path: Path, holder: str) -> IngestLockError:  # the message as before the shared lock
        return IngestLockError(
            f"another ingest of config {cfg.name!r} is running (lock {path} held for more "
            f"than {timeout:g} s); wait for it to finish, or remove the lock file if no "
            "ingest is running"
        )

    with exclusive_lock(lock_path(cfg), timeout, refuse):
        yield


def new_store_dir(cfg: RunConfig, fingerprint: str) -> Path:
    """A fresh, empty store folder for an ingest of *fingerprint* (a leftover of an
    interrupted run under the same name is removed; the current folder never is)."""
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


def prune_store(cfg: RunConfig) -> list[str]:
    """Remove *cfg*'s store folders beyond the current one and the newest others
    (:data:`KEEP_STORE_FOLDERS` in all); returns the names removed."""
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
