"""Config checks after the schema: real ISO dates, the baseline before the target, path kinds.

Each raises a :class:`~wmp_analysis.errors.ConfigError` naming the config file, the line
and the key path.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from wmp_analysis.config_messages import key_path, line_of
from wmp_analysis.config_models import SOURCE_KEYS, SOURCE_SHAPES
from wmp_analysis.errors import ConfigError, shorten

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str, field: str, path: Path, lines: dict[tuple, int], loc: tuple) -> _dt.date:
    """A real ISO date, or a ConfigError naming *field*."""
    text = str(value).strip()
    if not _ISO.fullmatch(text):
        raise ConfigError(
            f"{key_path(loc)} = {shorten(value)} is not an ISO date",
            path=path,
            row=line_of(lines, loc),
            field=field,
            expected="an ISO date YYYY-MM-DD",
        )
    try:
        return _dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"{key_path(loc)} = {shorten(value)} is not a real date ({exc})",
            path=path,
            row=line_of(lines, loc),
            field=field,
            expected="a real calendar date YYYY-MM-DD",
        ) from None


def check_assessment(
    plan: str, baseline, target, path: Path, lines: dict[tuple, int], prefix: tuple = ()
) -> None:
    """The baseline (a Period) must end before the target period starts.

    *prefix* is the key path of the assessment (``()`` for the top-level one; e.g.
    ``("assessments", 1)`` for a later list of several).
    """
    if not baseline.end < target.start:
        loc = prefix + ("target_period", "start")
        raise ConfigError(
            f"the target period starts {target.start:%Y-%m-%d}, but the baseline runs to {baseline.end:%Y-%m-%d}",
            path=path,
            row=line_of(lines, loc),
            field=key_path(prefix + ("target_period",)),
            expected="a baseline that ends before the target period starts (e.g. 2011-12 then 2012-13)",
        )


def path_exists(p: Path, path: Path, lines: dict[tuple, int], loc: tuple) -> bool:
    """``p.exists()``, but a path the system cannot even look up (a NUL byte, a name too
    long) is a ConfigError naming the key, not an OSError/ValueError."""
    try:
        return p.exists()
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{key_path(loc)} = {shorten(str(p))} is not a usable path ({exc})",
            path=path,
            row=line_of(lines, loc),
            field=key_path(loc),
            expected="a file or folder path",
        ) from None


def check_source_shape(key: str, p: Path, path: Path, lines: dict[tuple, int]) -> None:
    """A source path that exists must be of the kind :data:`SOURCE_SHAPES` names."""
    if not path_exists(p, path, lines, ("sources", key)):
        return
    shape = SOURCE_SHAPES.get(key, "file")
    loc = ("sources", key)
    where = {"path": path, "row": line_of(lines, loc), "field": key_path(loc)}
    if shape == "file" and p.is_dir():
        raise ConfigError(
            f"{shorten(str(p))} is a folder, not a file",
            expected=f"a file: {SOURCE_KEYS[key]}",
            **where,
        )
    if shape == "police_uk" and not p.is_dir():
        from wmp_analysis.source_names import parse_file_name

        if not (p.name.lower().endswith(".zip") or parse_file_name(p.name) is not None):
            raise ConfigError(
                f"{shorten(str(p))} is a file, but not a .zip or a police.uk monthly CSV",
                **where,
                expected="a folder laid out as the archive unzips (YYYY-MM/YYYY-MM-<force>-<kind>.csv), "
                "a .zip archive, or one YYYY-MM-<force>-<kind>.csv file",
            )


def check_folder_option(key: str, p: Path, path: Path, lines: dict[tuple, int]) -> None:
    """``processed_dir``, ``reports_dir``, ``sample.dir``: a file there is an error."""
    loc = tuple(key.split("."))
    if path_exists(p, path, lines, loc) and not p.is_dir():
        raise ConfigError(
            f"{shorten(str(p))} is a file, not a folder",
            path=path,
            row=line_of(lines, loc),
            field=key,
            expected="a folder (or a path that does not exist yet)",
        )
