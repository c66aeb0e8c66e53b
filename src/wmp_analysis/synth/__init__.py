"""The synthetic sample: the offline default input of the suite.

Project code writes, with a fixed seed, small files in the *exact real formats* of
every source (ONS PFA rolling totals, Home Office CSP tables, data.police.uk monthly
street / outcomes / stop-and-search CSVs, census, population and lookup files, and
the survey extract), so that the real readers read them with no special code. Every
file has ``synthetic`` in its path and the folder holds a marker
(:data:`~wmp_analysis.provenance.SYNTHETIC_MARKER`) listing generator version, seed,
scale and each file's sha256. See ``docs/synthetic_sample.md``.

Output is byte-identical for the same seed, scale and month range: every component
draws from its own stream ``numpy.random.default_rng([seed, k])`` and nothing
depends on time, locale or the machine.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from wmp_analysis.errors import ConfigError
from wmp_analysis.provenance import SYNTHETIC_MARKER, file_record, write_json_atomic
from wmp_analysis.synth._common import FORCE, GENERATOR_VERSION, component_rng

__all__ = ["GENERATOR_VERSION", "ensure_sample", "generate_sample", "read_marker"]

#: Month range the generator supports (the underlying ONS monthly series).
_MIN_MONTH = pd.Period("2007-06", "M")
_MAX_MONTH = pd.Period("2016-03", "M")


def _check_range(start: str, end: str) -> None:
    try:
        s, e = pd.Period(start, "M"), pd.Period(end, "M")
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"bad sample month range {start!r}..{end!r} ({exc})",
            field="police_uk_months",
            expected="YYYY-MM months",
        ) from None
    if not (_MIN_MONTH <= s <= e <= _MAX_MONTH):
        raise ConfigError(
            f"sample months {start}..{end} outside what the generator supports",
            field="police_uk_months",
            expected=f"{_MIN_MONTH}..{_MAX_MONTH}, start <= end",
        )


def _write_survey(out_dir: Path, seed: int, scale: float) -> list[Path]:
    """Call helper ``synth.survey.write_survey_sample`` when that module exists."""
    try:
        survey = importlib.import_module(f"{__name__}.survey")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.survey":
            raise
        warnings.warn(
            "wmp_analysis.synth.survey is not available: the survey sample was not generated",
            RuntimeWarning,
            stacklevel=3,
        )
        return []
    return list(survey.write_survey_sample(out_dir, component_rng(seed, "survey"), scale=scale))


def generate_sample(
    out_dir: Path, *, seed: int, scale: float = 1.0, start: str = "2010-04", end: str = "2016-03"
) -> dict[str, Any]:
    """Write the whole synthetic sample into *out_dir* and return its marker.

    Parameters
    ----------
    out_dir : Path
        Folder to write (created; existing files of the same names are overwritten).
    seed : int
        Master seed (``sample.seed`` in the config).
    scale : float
        Multiplies police.uk (and survey) volumes: 1.0 gives about 15,000 crimes,
        8,000 ASB incidents and 2,000 searches a month; tests use 0.01-0.02.
    start, end : str
        Inclusive months ``YYYY-MM`` of the police.uk files and CSP quarters
        (within 2007-06 .. 2016-03).

    Returns
    -------
    dict
        The marker written to ``out_dir/SYNTHETIC.json``: ``synthetic`` (True),
        ``generator``, ``generator_version``, ``seed``, ``scale``, ``start``, ``end``,
        ``files`` (path relative to *out_dir*, size, sha256; sorted), ``note``.
    """
    from wmp_analysis.synth.census import write_census_sample
    from wmp_analysis.synth.csp import write_csp_sample
    from wmp_analysis.synth.geography import build_geography
    from wmp_analysis.synth.ons import monthly_series, write_ons_sample
    from wmp_analysis.synth.police_uk import write_police_uk_sample

    _check_range(start, end)
    if not (isinstance(scale, (int, float)) and 0 < float(scale) <= 10):
        raise ConfigError(
            f"sample scale {scale!r} is not a number in (0, 10]",
            field="sample.scale",
            expected="e.g. 1.0 (full volume) or 0.02 (tests)",
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed, scale = int(seed), float(scale)

    monthly = monthly_series(component_rng(seed, "ons"))
    wm_monthly = monthly[monthly["force"] == FORCE].reset_index(drop=True)
    geo = build_geography(component_rng(seed, "geo"))
    paths: list[Path] = []
    paths += write_ons_sample(out_dir, monthly)
    paths += write_csp_sample(
        out_dir, component_rng(seed, "csp"), geo, wm_monthly, start=start, end=end
    )
    census_paths, census_counts = write_census_sample(out_dir, component_rng(seed, "census"))
    paths += census_paths
    paths += write_police_uk_sample(
        out_dir,
        component_rng(seed, "police_uk"),
        geo,
        wm_monthly,
        census_counts,
        scale=scale,
        start=start,
        end=end,
    )
    paths += _write_survey(out_dir, seed, scale)

    files = sorted((file_record(p, root=out_dir) for p in paths), key=lambda r: r["path"])
    bad = [r["path"] for r in files if "synthetic" not in r["path"].lower()]
    if bad:  # pragma: no cover - guards the writers
        raise AssertionError(f"synthetic file paths without 'synthetic': {bad}")
    marker = {
        "synthetic": True,
        "generator": "wmp_analysis.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "start": start,
        "end": end,
        "files": files,
        "note": "SYNTHETIC data generated by wmp-analysis for offline runs; not real police or census figures. "
        "LSOA codes and district/CSP/PFA codes are real identifiers; all counts are invented.",
    }
    write_json_atomic(out_dir / SYNTHETIC_MARKER, marker)
    return marker


def read_marker(sample_dir: Path) -> dict[str, Any] | None:
    """The marker of a generated sample, or ``None`` if absent or unreadable."""
    p = Path(sample_dir) / SYNTHETIC_MARKER
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(sample_dir: Path, want: dict[str, Any]) -> bool:
    marker = read_marker(sample_dir)
    if not marker or any(marker.get(k) != v for k, v in want.items()):
        return False
    return all(
        (sample_dir / r["path"]).is_file() and (sample_dir / r["path"]).stat().st_size == r["size"]
        for r in marker.get("files", [])
    )


def ensure_sample(cfg, *, force: bool = False) -> Path:
    """Generate the sample named by *cfg* when missing or out of date; return its folder.

    The sample is regenerated when *force* is set, when the marker is missing, when
    its seed, scale, month range or generator version differ from the config, or
    when a listed file is missing or has another size. Generation happens in a
    temporary sibling folder which then replaces the old one, so an interrupted run
    never leaves a half-written sample behind a valid marker.

    Parameters
    ----------
    cfg : RunConfig
        Uses ``sample.dir`` (default ``data/raw/sample``), ``sample.seed``
        (required), ``sample.scale`` (default 1.0), ``sample.generate`` (default
        True) and ``police_uk_months`` (default 2010-04 .. 2016-03).

    Raises
    ------
    ConfigError
        No seed; a non-sample folder in the way; generation switched off and no
        sample present.
    """
    opts = cfg.sample
    if "seed" not in opts:
        raise ConfigError(
            "sample.seed is not set", path=cfg.path, field="sample.seed", expected="an integer"
        )
    try:
        seed = int(opts["seed"])
        scale = float(opts.get("scale", 1.0))
    except (TypeError, ValueError):
        raise ConfigError(
            "sample.seed / sample.scale must be numbers", path=cfg.path, field="sample"
        ) from None
    start, end = "2010-04", "2016-03"
    if cfg.police_uk_months is not None:
        start, end = f"{cfg.police_uk_months.start:%Y-%m}", f"{cfg.police_uk_months.end:%Y-%m}"
    out_dir = cfg._resolve(opts.get("dir", "data/raw/sample"))
    want = {
        "seed": seed,
        "scale": scale,
        "start": start,
        "end": end,
        "generator_version": GENERATOR_VERSION,
    }
    if not force and _is_current(out_dir, want):
        return out_dir
    if not opts.get("generate", True) and not force:
        raise ConfigError(
            "the synthetic sample is missing or out of date and sample.generate is false",
            path=cfg.path,
            field="sample.generate",
            expected="generate: true, or run `wmp-analysis sample --force`",
        )
    if out_dir.exists() and any(out_dir.iterdir()) and read_marker(out_dir) is None:
        raise ConfigError(
            f"{out_dir} exists, is not empty and has no {SYNTHETIC_MARKER}; refusing to replace it",
            path=cfg.path,
            field="sample.dir",
            expected="a folder used only for the generated sample",
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    os.chmod(tmp, 0o755)
    try:
        generate_sample(tmp, seed=seed, scale=scale, start=start, end=end)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
