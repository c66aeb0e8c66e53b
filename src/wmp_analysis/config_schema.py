"""The typed schema of a run config, and the errors it gives.

:func:`wmp_analysis.config.load_config` reads the YAML, then validates it here
(pydantic) before building the :class:`~wmp_analysis.config.RunConfig` every caller
uses. The schema is a validation layer only: ``RunConfig.options`` still holds the
values as written, and callers keep reading them with ``cfg.option("survey.min_base")``.

What is checked
---------------
* every key, at every level: an unknown key is an error that names the nearest valid
  key (``comparator:`` -> did you mean ``comparators``);
* types and ranges (``0 < alpha < 1``, ``survey.min_base >= 1``, integer notebook
  timeouts > 0, ``0 <= ingest.max_unknown_share < 1``, ...), see :class:`ConfigSchema`;
* dates are real ISO dates, periods run forwards, and the baseline ends before the
  target period starts (:func:`check_assessment`);
* a source path that exists is of the right kind: a folder where a file is expected
  is an error, and so is a file for ``police_uk`` other than a ``.zip`` or a police.uk
  monthly CSV (:data:`SOURCE_SHAPES`).

Every error is a :class:`~wmp_analysis.errors.ConfigError` naming the config file, the
line (from the YAML node marks), the key path (``survey.min_base``, ``districts[2]``),
the value (cut by :func:`~wmp_analysis.errors.shorten`) and what was expected.

Several assessments (issue 12)
------------------------------
``plan``, ``baseline`` and ``target_period`` are the fields of :class:`AssessmentFields`
and are checked by :func:`check_assessment`. A config gives them either at the top level
(one assessment, as every older config does) or as a list
``assessments: [{plan, baseline, target_period}, ...]`` (:class:`Assessment`), each item
checked by the same function (its errors name ``assessments[k].<key>`` and its line); the
first item is then the run's default assessment (``cfg.plan``, ``cfg.baseline``, ...).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from wmp_analysis.errors import ConfigError, shorten
from wmp_analysis.names import suggestions

PLANS = ("spp-2012-15", "pcp-2014-15")

#: Source keys a config may name, and what each is.
SOURCE_KEYS = {
    "ons_pfa": "ONS recorded crime by police force area CSV (rec-crime-pfa.csv layout)",
    "csp": "Home Office recorded crime open data, CSP level (file or folder)",
    "police_uk": "data.police.uk monthly CSVs (folder as the archive unzips, or a .zip)",
    "census_ethnicity_la": "2011 Census ethnic group by local authority (la-ethnic-groups.csv layout)",
    "census_ethnicity_force": "2011 Census ethnic group by police force area (force-demographics.csv layout)",
    "census_age_ethnicity_2021": "2021 Census ethnic group by single year of age by LA (census.csv layout)",
    "population": "ONS mid-year population totals (regionalpopulation.csv layout)",
    "lsoa_lookup": "LSOA 2011 to ward/LAD lookup (ONS Open Geography layout)",
    "lad_lookup": "LAD to CSP to PFA lookup (ONS Open Geography layout)",
    "survey": "Survey extract meeting the respondent-level or aggregated survey contract",
    "registry": "Target registry CSV (defaults to the project's data/raw/targets/registry.csv)",
}

#: What each source path may be: ``file``, ``file or folder``, or ``police_uk`` (a folder
#: laid out as the archive unzips, a ``.zip``, or one ``YYYY-MM-<force>-<kind>.csv[.gz]``).
SOURCE_SHAPES = {key: "file" for key in SOURCE_KEYS} | {
    "csp": "file or folder",
    "police_uk": "police_uk",
}


def _int_as_text(value: Any) -> Any:
    """Accept a YAML integer where a name is expected (``name: 2012``), as before the schema."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_int_as_text)]


class _Section(BaseModel):
    """A mapping in the config: unknown keys are errors, values are not coerced from text."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PeriodSpec(_Section):
    """``{start: YYYY-MM-DD, end: YYYY-MM-DD}`` (inclusive); dates checked by :func:`parse_period`."""

    start: str = Field(description="an ISO date YYYY-MM-DD")
    end: str = Field(description="an ISO date YYYY-MM-DD")


class Sources(_Section):
    """Input files and folders; a key left out (or empty) is "not supplied"."""

    ons_pfa: str | None = Field(None, description=SOURCE_KEYS["ons_pfa"])
    csp: str | None = Field(None, description=SOURCE_KEYS["csp"])
    police_uk: str | None = Field(None, description=SOURCE_KEYS["police_uk"])
    census_ethnicity_la: str | None = Field(None, description=SOURCE_KEYS["census_ethnicity_la"])
    census_ethnicity_force: str | None = Field(
        None, description=SOURCE_KEYS["census_ethnicity_force"]
    )
    census_age_ethnicity_2021: str | None = Field(
        None, description=SOURCE_KEYS["census_age_ethnicity_2021"]
    )
    population: str | None = Field(None, description=SOURCE_KEYS["population"])
    lsoa_lookup: str | None = Field(None, description=SOURCE_KEYS["lsoa_lookup"])
    lad_lookup: str | None = Field(None, description=SOURCE_KEYS["lad_lookup"])
    survey: str | None = Field(None, description=SOURCE_KEYS["survey"])
    registry: str | None = Field(None, description=SOURCE_KEYS["registry"])


class SurveyOptions(_Section):
    min_base: int = Field(
        50, ge=1, description="a whole number of respondents >= 1 (smaller bases are suppressed)"
    )


class RunnerOptions(_Section):
    kernel: str = Field("wmp-analysis", description="the name of an installed Jupyter kernel")
    timeout_per_notebook: int = Field(1800, gt=0, description="a whole number of seconds > 0")
    cell_timeout: int | None = Field(None, gt=0, description="a whole number of seconds > 0")
    lock_wait: float = Field(
        0, ge=0, description="seconds >= 0 to wait for another run (0 = refuse at once)"
    )
    parallel: int = Field(
        1, ge=1, description="a whole number of notebooks >= 1 to run side by side"
    )
    pdf: bool = Field(True, description="true or false (write briefing.pdf at publish)")


class SampleOptions(_Section):
    generate: bool = Field(True, description="true or false")
    seed: int = Field(ge=0, description="a whole number >= 0 (the generator's master seed)")
    dir: str = Field("data/raw/sample", description="a folder for the generated sample")
    scale: float = Field(
        1.0, gt=0, le=10, description="a number in (0, 10], 1 = the full-size sample"
    )


class IngestOptions(_Section):
    lock_timeout: float = Field(
        600, ge=0, description="seconds >= 0 to wait for another ingest of this config"
    )
    max_unknown_share: float = Field(
        0.005,
        ge=0,
        lt=1,
        description="a share 0 <= x < 1 of a file's rows with an unknown category value that stops the ingest",
    )


class AssessmentFields(_Section):
    """One plan measured over one baseline and one target period (see the module notes)."""

    plan: Literal[PLANS] = Field(description=" or ".join(PLANS))
    baseline: PeriodSpec = Field(description="{start: YYYY-MM-DD, end: YYYY-MM-DD}")
    target_period: PeriodSpec = Field(
        description="{start: YYYY-MM-DD, end: YYYY-MM-DD}, after the baseline"
    )


class Assessment(AssessmentFields):
    """One item of ``assessments:`` (the same three keys, checked the same way)."""


class ConfigSchema(AssessmentFields):
    """Every key a run config may hold.

    ``plan``, ``baseline`` and ``target_period`` are required unless ``assessments`` lists
    the run's assessments instead (:func:`wmp_analysis.config.load_config` checks that
    exactly one of the two forms is used).
    """

    plan: Literal[PLANS] | None = Field(None, description=" or ".join(PLANS))
    baseline: PeriodSpec | None = Field(None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}")
    target_period: PeriodSpec | None = Field(
        None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}, after the baseline"
    )
    assessments: list[Assessment] | None = Field(
        None,
        min_length=1,
        description="a list of {plan, baseline: {start, end}, target_period: {start, end}} (at least one)",
    )

    name: Text = Field(description="a short id of letters, digits, - or _ (used as a folder name)")
    title: Text | None = Field(None, description="a single line of text")
    force: Text = Field(description="a police force area name, as in the ONS file and the lookups")
    comparators: list[str] = Field(
        default_factory=list, description="a list of police force area names"
    )
    districts: list[str] = Field(
        default_factory=list, description="a list of local authority district names"
    )
    police_uk_months: PeriodSpec | None = Field(
        None, description="{start: YYYY-MM-DD, end: YYYY-MM-DD}"
    )
    sources: Sources | None = Field(
        description="a mapping of source key -> path (empty: nothing supplied)"
    )
    survey: SurveyOptions | None = None
    alpha: float = Field(
        0.05, gt=0, lt=1, description="a number between 0 and 1 (exclusive), e.g. 0.05"
    )
    runner: RunnerOptions | None = None
    sample: SampleOptions | None = None
    ingest: IngestOptions | None = None
    processed_dir: str | None = Field(None, description="a folder path")
    reports_dir: str | None = Field(None, description="a folder path")

    @field_validator("name")
    @classmethod
    def _plain_slug(cls, v: str) -> str:
        if not v or not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError("name must be letters, digits, - or _")
        return v


# ------------------------------------------------------------------------ YAML lines


def key_lines(node: yaml.Node | None) -> dict[tuple, int]:
    """1-based line of every key path in a composed YAML document.

    ``{("survey", "min_base"): 23, ("districts", 2): 9, ...}``: for a mapping entry
    the line of its key, for a list item the line of the item.
    """
    out: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
                out[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                out[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    if node is not None:
        out[()] = node.start_mark.line + 1
        walk(node, ())
    return out


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """Line of *path*, or of its nearest ancestor that is in the file."""
    for k in range(len(path), 0, -1):
        if path[:k] in lines:
            return lines[path[:k]]
    return None


def key_path(loc: tuple) -> str:
    """``("survey", "min_base")`` -> ``"survey.min_base"``; ``("districts", 2)`` -> ``"districts[2]"``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


# ------------------------------------------------------------------------ errors


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _field(loc: tuple) -> tuple[type[BaseModel] | None, Any]:
    """(model holding the last key of *loc*, its FieldInfo or None)."""
    model: type[BaseModel] | None = ConfigSchema
    info = None
    for i, part in enumerate(loc):
        if model is None or isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return (model if i == len(loc) - 1 else None), None
        if i < len(loc) - 1:
            model = _model_of(info.annotation)  # a list of mappings (assessments): its item model
    return model, info


def _expected(loc: tuple) -> str | None:
    """What the key at *loc* expects: its field's description (a list item: a name)."""
    if loc and isinstance(loc[-1], int):
        return "a name (text)"
    _, info = _field(loc)
    return info.description if info is not None else None


def _message(err: dict, loc: tuple) -> tuple[str, str | None]:
    kind = err["type"]
    where = key_path(loc)
    if kind == "extra_forbidden":
        model, _ = _field(loc)
        valid = sorted(model.model_fields) if model is not None else []
        near = suggestions(str(loc[-1]), valid, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return (
            f"unknown key {shorten(str(loc[-1]))}{hint}",
            "one of the keys " + ", ".join(valid) if valid else None,
        )
    if kind == "missing":
        return f"required key {where!r} missing", _expected(loc)
    value = err.get("input")
    text = err.get("msg", "invalid value")
    text = re.sub(r"^Value error, ", "", text)
    return f"{where} = {shorten(value)}: {text}", _expected(loc)


def raise_validation(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> None:
    """Turn pydantic's errors into one ConfigError (the first in the file; the others listed)."""
    errs = []
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if isinstance(p, int) or p not in ("function-after", "function-before")
        )
        errs.append((line_of(lines, loc) or 10**9, loc, err))
    errs.sort(key=lambda t: (t[0], key_path(t[1])))
    line, loc, err = errs[0]
    message, expected = _message(err, loc)
    if len(errs) > 1:
        more = [
            f"{key_path(lc)} (line {ln})" if ln < 10**9 else key_path(lc) for ln, lc, _ in errs[1:6]
        ]
        message += f" [{len(errs) - 1} more problem(s): {', '.join(more)}{' ...' if len(errs) > 6 else ''}]"
    raise ConfigError(
        message,
        path=path,
        row=None if line >= 10**9 else line,
        field=key_path(loc) or None,
        expected=expected,
    ) from None


def validate(raw: dict, path: Path, lines: dict[tuple, int]) -> ConfigSchema:
    """Validate the loaded YAML mapping *raw* against :class:`ConfigSchema`.

    Raises
    ------
    ConfigError
        For the first problem in the file (by line), naming the key path, line, value
        and what was expected; further problems are listed in the message.
    """
    try:
        return ConfigSchema.model_validate(raw)
    except ValidationError as exc:
        raise_validation(exc, path, lines)
        raise  # pragma: no cover - raise_validation always raises


# ------------------------------------------------------------------------ dates

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


# ------------------------------------------------------------------------ paths


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


# ------------------------------------------------------------------------ pre-flight


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
