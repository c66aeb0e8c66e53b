"""What an ingest's output depends on: input hashes (cached), ingest-relevant config, versions.

:func:`ingest_fingerprint` is a sha256 over the inputs' sha256s, the config's
ingest-relevant parameters and the package version; the ingest skips its work when the
current folder has that fingerprint. Input hashes are cached by ``(path, size, mtime_ns)``
in ``data/processed/.store/hash-cache.json`` so that a cached check is fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wmp_analysis import __version__
from wmp_analysis.config import RunConfig
from wmp_analysis.ingest.sources import NOT_INGESTED
from wmp_analysis.ingest.store import store_root
from wmp_analysis.provenance import read_json, sha256_file, sha256_json, write_json_atomic

#: Bumped when the ingest's output changes for the same inputs (invalidates caches).
PIPELINE_VERSION = 2  # 2: police.uk tables as a hive-partitioned dataset


class HashCache:
    """sha256 of files, cached by ``(resolved path, size, mtime_ns)`` in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.dirty = False
        entries = read_json(self.path)  # absent or unreadable: an empty cache
        self.entries: dict[str, dict] = entries if isinstance(entries, dict) else {}

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


def hash_cache(cfg: RunConfig) -> HashCache:
    """The hash cache of *cfg*'s store (``data/processed/.store/hash-cache.json``)."""
    return HashCache(store_root(cfg) / "hash-cache.json")


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

    Sources the ingest does not read (:data:`~wmp_analysis.ingest.sources.NOT_INGESTED`) do not count.
    A configured input that does not exist contributes ``"missing"`` (so the
    fingerprint differs from any successful ingest).
    """
    cache = cache or hash_cache(cfg)
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
