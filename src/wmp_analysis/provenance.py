"""Provenance: checksums, versions, git commit and atomic writes.

Every output folder carries a manifest built from these helpers so that a
researcher can tell exactly which inputs, parameters and software produced it.
Timestamps and timings live in manifests only, never inside tables or figures, so
that a re-run with the same inputs gives byte-identical outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Packages whose versions are recorded in every manifest.
TRACKED_PACKAGES = (
    "wmp-analysis",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "pyyaml",
    "requests",
    "tqdm",
)

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(obj: Any) -> str:
    """Stable hash of a JSON-able object (keys sorted)."""
    return sha256_bytes(json.dumps(obj, sort_keys=True, default=str).encode("utf-8"))


def read_json(path: str | Path) -> Any | None:
    """The JSON content of *path*, or ``None`` when the file is absent, unreadable or not JSON
    (a manifest that cannot be read is treated as no manifest)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def relative_path(path: str | Path, root: str | Path) -> str:
    """*path* relative to the project *root* (``../shared/...`` allowed), so that manifests
    name no absolute path of the machine that wrote them; ``""`` for an empty path, and the
    path as given when it is on another drive."""
    if not str(path):
        return ""
    try:
        return os.path.relpath(Path(path).resolve(), Path(root).resolve())
    except ValueError:  # another drive
        return str(Path(path))


def file_record(path: str | Path, *, root: Path | None = None, **extra: Any) -> dict[str, Any]:
    """``{path, size, sha256, **extra}`` for a file; *path* relative to *root* if given."""
    p = Path(path)
    shown = str(p)
    if root is not None:
        try:
            shown = str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            shown = str(p)
    return {"path": shown, "size": p.stat().st_size, "sha256": sha256_file(p), **extra}


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_commit(cwd: str | Path | None = None) -> str | None:
    """Current git commit of the project (``None`` outside a git checkout).

    A ``-dirty`` suffix marks uncommitted changes to tracked files.
    """
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment_record() -> dict[str, Any]:
    """Python, platform and package versions."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write JSON (sorted keys, 2-space indent, trailing newline) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def point_symlink_atomically(link: str | Path, target: str | Path) -> None:
    """Make *link* a symlink to *target*, replacing any old link atomically.

    The new link is created under a temporary name and renamed over the old one
    (``rename(2)`` is atomic on POSIX), so a reader sees either the old target or the
    new one, never a missing link. *target* is stored relative to the link's folder.
    """
    link = Path(link)
    target = Path(target)
    rel = os.path.relpath(target, link.parent)
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(rel, tmp)
    os.replace(tmp, link)


def remove_tree(path: str | Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


#: Name of the marker file written at the root of a generated synthetic sample.
SYNTHETIC_MARKER = "SYNTHETIC.json"


def is_synthetic(path: str | Path) -> bool:
    """True if *path* is synthetic: ``synthetic`` in its file name, or a
    :data:`SYNTHETIC_MARKER` file in one of its parent folders (the sample generator
    writes one at the sample's root). Folder names alone do not count, so a user's
    folder that happens to be called "synthetic..." does not mislabel real data."""
    p = Path(path).resolve()
    if "synthetic" in p.name.lower():
        return True
    return any((parent / SYNTHETIC_MARKER).is_file() for parent in p.parents)


# ----------------------------------------------------------------- real or synthetic, per source

#: The origin words: every input, table row, figure and page is one of these.
REAL, SYNTHETIC, MIXED = "real", "synthetic", "mixed"

#: The sources each section reads (its notebook's inputs), for the section's badge and banner.
SECTION_SOURCES: dict[str, tuple[str, ...]] = {
    "01_ingest": (
        "ons_pfa",
        "csp",
        "police_uk",
        "census_ethnicity_la",
        "census_ethnicity_force",
        "census_age_ethnicity_2021",
        "population",
        "lsoa_lookup",
        "lad_lookup",
        "survey",
    ),
    "02_baseline": ("ons_pfa", "csp", "police_uk", "lsoa_lookup"),
    "03_target_comparison": ("ons_pfa", "csp", "police_uk", "lsoa_lookup", "survey"),
    "04_equality_breakdowns": (
        "survey",
        "police_uk",
        "lsoa_lookup",
        "census_ethnicity_la",
        "census_ethnicity_force",
        "census_age_ethnicity_2021",
    ),
    "06_national_view": ("ons_pfa", "population"),
    "05_briefing_summary": (
        "ons_pfa",
        "csp",
        "police_uk",
        "lsoa_lookup",
        "survey",
        "census_ethnicity_la",
        "census_ethnicity_force",
        "census_age_ethnicity_2021",
        "population",
    ),
}


def source_origins(cfg) -> dict[str, str]:
    """``{source key: "real" | "synthetic"}`` for every source the config supplies.

    A source is synthetic when :func:`is_synthetic` says so for its path (a ``synthetic``
    file name or the sample's :data:`SYNTHETIC_MARKER`), else real. Sources the config
    does not name are left out. Nothing is caught: a path that cannot be looked at
    raises, so a label is never dropped silently.

    Raises
    ------
    ConfigError
        A supplied source path that does not exist (the sample has not been generated,
        a file was moved): its origin cannot be told.
    """
    from wmp_analysis.errors import ConfigError

    out: dict[str, str] = {}
    for key, p in sorted(cfg.sources.items()):
        if p is None or key == "registry":
            continue
        if not Path(p).exists():
            raise ConfigError(
                f"{p} does not exist, so whether it is real or synthetic cannot be told",
                path=cfg.path,
                field=f"sources.{key}",
                expected="an existing path (for the sample: generate it first, `wmp-analysis sample`)",
            )
        out[key] = SYNTHETIC if is_synthetic(p) else REAL
    return out


def pack_is_synthetic(cfg) -> bool:
    """True when any input the config supplies is synthetic (:func:`source_origins`).

    This decides whether the pack's front page and PDF carry the SYNTHETIC banner, so it
    catches nothing (issue 13): a supplied source whose origin cannot be told raises
    :class:`~wmp_analysis.errors.ConfigError` (a path that does not exist), and any other
    error (an unreadable folder, a bug) propagates as it is, never read as "real".

    Raises
    ------
    ConfigError
        A supplied source path that does not exist.
    """
    return SYNTHETIC in source_origins(cfg).values()


def origin_of(origins: dict[str, str], keys: Iterable[str] | None = None) -> str | None:
    """``"real"``, ``"synthetic"`` or ``"mixed"`` for the supplied sources among *keys*
    (all of *origins* when None); None when none of them is supplied."""
    vals = {v for k, v in origins.items() if keys is None or k in set(keys)}
    if not vals:
        return None
    return vals.pop() if len(vals) == 1 else MIXED


def section_origin(cfg, section: str, origins: dict[str, str] | None = None) -> dict[str, Any]:
    """What a section page is made of: ``{origin, real: [keys], synthetic: [keys]}``.

    *origin* is ``"real"``, ``"synthetic"`` or ``"mixed"`` over the sources of
    :data:`SECTION_SOURCES` that the config supplies (an unknown section: every
    supplied source); None when it uses none.
    """
    origins = source_origins(cfg) if origins is None else origins
    keys = SECTION_SOURCES.get(section)
    used = {k: v for k, v in origins.items() if keys is None or k in keys}
    return {
        "origin": origin_of(used),
        "real": sorted(k for k, v in used.items() if v == REAL),
        "synthetic": sorted(k for k, v in used.items() if v == SYNTHETIC),
    }


#: Short reader's names of the sources, for the badges and the index sentence.
SOURCE_NAMES = {
    "ons_pfa": "ONS recorded crime by police force area",
    "census_ethnicity_la": "2011 Census ethnic group by local authority",
    "census_ethnicity_force": "2011 Census ethnic group by force area",
    "census_age_ethnicity_2021": "2021 Census ethnic group by age",
    "population": "ONS mid-year population",
    "lsoa_lookup": "ONS LSOA 2011 to ward and district lookup",
    "lad_lookup": "ONS district to CSP to force area lookup",
    "csp": "Home Office recorded crime by Community Safety Partnership",
    "police_uk": "data.police.uk monthly street and stop-and-search files",
    "survey": "the force's survey extract",
}


def _source_names(keys: Iterable[str]) -> str:
    names = [SOURCE_NAMES.get(k, k) for k in keys]
    if len(names) <= 1:
        return "".join(names)
    return "; ".join(names[:-1]) + "; and " + names[-1]


def origin_sentence(origins: dict[str, str]) -> str:
    """One sentence saying which inputs of a pack are real and which synthetic.

    >>> print(origin_sentence({"ons_pfa": "real", "survey": "synthetic"}))  # doctest: +ELLIPSIS
    Real public data: ONS recorded crime ... Synthetic sample (invented, not police figures): the force...
    """
    real = [k for k, v in sorted(origins.items()) if v == REAL]
    syn = [k for k, v in sorted(origins.items()) if v == SYNTHETIC]
    if real and syn:
        return (
            f"Real public data: {_source_names(real)}. Synthetic sample (invented, not police figures): "
            f"{_source_names(syn)}, used only in the parts marked SYNTHETIC."
        )
    if real:
        return f"Every input is real public data: {_source_names(real)}."
    if syn:
        return f"Every input is the synthetic sample (invented, not police figures): {_source_names(syn)}."
    return "No data sources were supplied."
