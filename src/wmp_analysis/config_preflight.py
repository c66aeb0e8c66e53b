"""Pre-flight checks of a loaded config (``load_config(..., preflight=True)``).

Sources exist and are of the right kind, and the force, comparators and districts are
names the configured ONS file and lookups hold; nothing is ingested.
"""

from __future__ import annotations

import re
from pathlib import Path

from wmp_analysis.config_checks import check_source_shape, path_exists
from wmp_analysis.config_messages import key_path, line_of
from wmp_analysis.config_models import SOURCE_KEYS
from wmp_analysis.errors import ConfigError, shorten
from wmp_analysis.names import suggestions


def preflight_sources(cfg) -> None:
    """Every configured source exists and is of the right kind (file / folder / zip).

    A missing source is skipped when the config generates the synthetic sample
    (``sample.generate``): the sample step writes it.
    """
    generate = bool(cfg.sample.get("generate"))
    for key, p in cfg.sources.items():
        if p is None:
            continue
        loc = ("sources", key)
        if not path_exists(p, cfg.path, cfg.lines, loc):
            if generate:
                continue
            raise ConfigError(
                f"{shorten(str(p))} does not exist",
                path=cfg.path,
                row=line_of(cfg.lines, loc),
                field=key_path(loc),
                expected=f"an existing path: {SOURCE_KEYS.get(key, 'a path')}",
            )
        check_source_shape(key, p, cfg.path, cfg.lines)


#: Column headers (compared after normalise_name, notes like ``[note 2]`` removed) that hold force
#: names in an ONS file: ``PFA`` in the rolling-year CSV, ``Area Name`` in the wide force table
#: (whose header may follow a few title rows, and whose ``Area Code`` marks forces E23/W15).
_ONS_FORCE_COLUMNS = ("pfa", "area name", "police force area", "force name")


_ONS_CODE_COLUMNS = ("area code",)


_PFA_CODE = re.compile(r"^(E23|W15)\d{6}$")


def ons_force_names(
    path: Path, limit_bytes: int = 64 * 1024**2, header_rows: int = 30
) -> set[str] | None:
    """Distinct names in the force column of an ONS file, or None when they cannot be read.

    Reads only that column with the csv module (no counts are parsed); with an area
    code column, only rows coded as police force areas (E23/W15) count. Any problem
    (not UTF-8, no known force column in the first *header_rows* rows, a file above
    *limit_bytes*) gives None: the ONS reader then reports it, with the line, when the
    ingest runs.
    """
    import csv
    import gzip
    import io

    from wmp_analysis.names import normalise_name

    def clean(cell: str) -> str:
        try:
            return normalise_name(re.sub(r"\[[^\]]*\]", " ", cell))
        except ValueError:
            return ""

    try:
        if path.stat().st_size > limit_bytes:
            return None
        data = (
            gzip.decompress(path.read_bytes())
            if path.name.lower().endswith(".gz")
            else path.read_bytes()
        )
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        for _, header in zip(range(header_rows), reader):
            cells = [clean(h) for h in header]
            idx = next((i for i, h in enumerate(cells) if h in _ONS_FORCE_COLUMNS), None)
            if idx is not None:
                break
        else:
            return None
        code = next((i for i, h in enumerate(cells) if h in _ONS_CODE_COLUMNS), None)
        names = {
            row[idx].strip()
            for row in reader
            if len(row) > idx
            and row[idx].strip()
            and (code is None or (len(row) > code and _PFA_CODE.match(row[code].strip())))
        }
    except (OSError, ValueError, csv.Error, EOFError):
        return None
    return names or None


def _lookup_names(cfg, key: str) -> dict[str, set[str]] | None:
    """The names of lookup *key* (:func:`wmp_analysis.source_names.lookup_names`), or None when
    it is not configured, not there yet, or cannot be read (its reader reports that)."""
    from wmp_analysis.source_names import lookup_names

    path = cfg.sources.get(key)
    if path is None or not path.is_file():
        return None
    return lookup_names(path, key)


def _check_name(cfg, value: str, known: set[str], what: str, loc: tuple, source: Path) -> None:
    from wmp_analysis.errors import InputError
    from wmp_analysis.names import normalise_name

    where = {"path": cfg.path, "row": line_of(cfg.lines, loc), "field": key_path(loc)}
    try:
        key = normalise_name(value)
    except InputError:
        raise ConfigError(
            f"{what} {shorten(value)} contains control characters",
            **where,
            expected="a name of printable characters",
        ) from None
    if key in {normalise_name(k) for k in known}:
        return
    near = suggestions(value, known, n=3)
    hint = (
        f"; did you mean {' or '.join(repr(n) for n in near)}?"
        if near
        else "; no known name is close"
    )
    raise ConfigError(
        f"{what} {shorten(value)} is not in {source.name}{hint}",
        **where,
        expected=f"one of the {len(known)} {what} names in {source.name} (case and spacing ignored)",
    )


def preflight_names(cfg) -> None:
    """The force, comparators and districts exist in the configured lookups / ONS file.

    * ``force``: in the ONS file's force column (``ons_pfa``) and in the LAD -> PFA
      lookup's force names (``lad_lookup``), each when configured;
    * each of ``comparators``: in the ONS file's forces, or without one in ``lad_lookup``;
    * each of ``districts``: in the district names of ``lad_lookup`` and of
      ``lsoa_lookup``, each when configured.

    Names are compared after :func:`wmp_analysis.names.normalise_name` (case and
    spacing ignored). A source that is not configured, not there yet, or cannot be
    read is not used here (its reader reports it during the ingest).
    """
    ons_path = cfg.sources.get("ons_pfa")
    ons = ons_force_names(ons_path) if ons_path is not None and ons_path.is_file() else None
    lad = _lookup_names(cfg, "lad_lookup")
    lsoa = _lookup_names(cfg, "lsoa_lookup")
    if ons is not None:
        _check_name(cfg, cfg.force, ons, "force", ("force",), ons_path)
    if lad is not None:
        _check_name(cfg, cfg.force, lad["pfa_name"], "force", ("force",), cfg.sources["lad_lookup"])
    forces, forces_file = (
        (ons, ons_path)
        if ons is not None
        else ((lad["pfa_name"], cfg.sources["lad_lookup"]) if lad is not None else (None, None))
    )
    if forces is not None:
        for i, name in enumerate(cfg.comparators):
            _check_name(cfg, name, forces, "force", ("comparators", i), forces_file)
    for names, key in ((lad, "lad_lookup"), (lsoa, "lsoa_lookup")):
        if names is None:
            continue
        for i, name in enumerate(cfg.districts):
            _check_name(
                cfg, name, names["lad_name"], "district", ("districts", i), cfg.sources[key]
            )
