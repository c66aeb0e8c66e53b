"""Run configuration: one YAML file names the force, the periods and every source.

A config is the only thing a scheduled run needs; the notebooks read the same file
when opened interactively. See ``configs/sample.yaml`` (the offline default) and
``configs/real-ons.yaml`` (the real public files) for documented examples.

Relative paths in a config are resolved against the *project root*: the nearest
ancestor of the config file that holds ``pyproject.toml``; if there is none (a config
kept outside the project), against the config file's own folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wmp_analysis import config_schema as schema
from wmp_analysis.config_schema import PLANS, SOURCE_KEYS  # noqa: F401 - re-exported (callers import them from here)
from wmp_analysis.errors import ConfigError, shorten
from wmp_analysis.periods import Period


class _AliasRefused(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__("YAML aliases (*name) are not allowed in a run config")
        self.problem = str(self)
        self.problem_mark = type("Mark", (), {"line": line})()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so that ``2012-02-30`` reaches our
    own date parsing (which names the field) instead of failing inside YAML, and
    refuses aliases, so that a "billion laughs" config cannot expand in memory."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark.line)
        return super().compose_node(parent, index)


_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_REQUIRED = ("name", "force", "plan", "baseline", "target_period", "sources")

#: The keys of one assessment: at the top level, or in each item of ``assessments:``.
_ASSESSMENT_KEYS = ("plan", "baseline", "target_period")

#: Top-level keys that are RunConfig attributes; every other key is kept in ``options``.
_ATTRIBUTES = set(_REQUIRED) | {
    "title",
    "comparators",
    "districts",
    "police_uk_months",
    "assessments",
}


@dataclass(frozen=True)
class Assessment:
    """One plan measured over one baseline and one target period.

    Attributes
    ----------
    plan : str
        ``"spp-2012-15"`` or ``"pcp-2014-15"``.
    baseline, target_period : Period
        Inclusive date ranges; the baseline ends before the target period starts.
    """

    plan: str
    baseline: Period
    target_period: Period

    @property
    def label(self) -> str:
        """``"spp-2012-15: 2012-13 against 2011-12"``."""
        return f"{self.plan}: {self.target_period.label} against {self.baseline.label}"


def find_project_root(start: Path | None = None) -> Path | None:
    """Nearest ancestor of *start* (default: cwd) that holds ``pyproject.toml``."""
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / "pyproject.toml").is_file() and (cand / "src" / "wmp_analysis").is_dir():
            return cand
    return None


def resolve_config_path(path: str | Path) -> Path:
    """Find a config given as a path relative to cwd or to the project root.

    Lets a notebook opened in ``notebooks/`` use ``configs/sample.yaml`` just as a
    run from the project root does.
    """
    p = Path(path)
    if p.is_file():
        return p.resolve()
    root = find_project_root()
    if root is not None and not p.is_absolute() and (root / p).is_file():
        return (root / p).resolve()
    raise ConfigError("config file not found", path=p, expected="an existing YAML file")


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration.

    Attributes
    ----------
    name : str
        Short id used for folder names (``data/processed/<name>``).
    title : str
        Human title printed on every page of the pack.
    force : str
        Police force area name exactly as in the ONS file (e.g. ``"West Midlands"``).
    plan : str
        ``"spp-2012-15"`` or ``"pcp-2014-15"``.
    baseline, target_period : Period
        Inclusive date ranges (from ISO strings in the YAML).
    comparators : list of str
        Similar forces shown as context.
    districts : list of str
        Local authority districts of the force (names as in the LSOA lookup).
    sources : dict of str -> Path or None
        Resolved paths of each input; a missing key means "not supplied".
    police_uk_months : Period or None
        Months of police.uk data expected (missing months are reported).
    options : dict
        Everything else in the YAML (survey minimum base, alpha, runner limits...).
    path : Path
        The config file itself.
    root : Path
        Folder that relative paths were resolved against.
    lines : dict
        1-based line of each key path in the file (``("survey", "min_base") -> 23``),
        used to point error messages at the line.
    """

    name: str
    title: str
    force: str
    plan: str
    baseline: Period
    target_period: Period
    comparators: list[str]
    districts: list[str]
    sources: dict[str, Path | None]
    police_uk_months: Period | None
    options: dict[str, Any]
    path: Path
    root: Path
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    lines: dict[tuple, int] = field(repr=False, default_factory=dict, compare=False)
    assessment_list: tuple[Assessment, ...] = field(default=(), repr=False)

    @property
    def assessments(self) -> list[Assessment]:
        """Every assessment of the run, the default one (``plan``/``baseline``/``target_period``) first.

        A config with the top-level keys has one; a config with ``assessments:`` has its items.
        """
        first = Assessment(self.plan, self.baseline, self.target_period)
        rest = [a for a in self.assessment_list if a != first]
        return [first, *rest]

    def for_assessment(self, assessment: Assessment) -> RunConfig:
        """This config with *assessment* as its plan and periods (everything else the same)."""
        from dataclasses import replace

        return replace(
            self,
            plan=assessment.plan,
            baseline=assessment.baseline,
            target_period=assessment.target_period,
        )

    @property
    def processed_dir(self) -> Path:
        return self._resolve(self.options.get("processed_dir", f"data/processed/{self.name}"))

    @property
    def reports_dir(self) -> Path:
        return self._resolve(self.options.get("reports_dir", "reports"))

    @property
    def sample(self) -> dict[str, Any]:
        """Synthetic-sample settings (``generate``, ``seed``, ``dir``), empty if none."""
        return dict(self.options.get("sample") or {})

    def option(self, dotted: str, default: Any = None) -> Any:
        """Read a nested option, e.g. ``cfg.option("survey.min_base", 50)``."""
        node: Any = self.options
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def _resolve(self, value: str | Path) -> Path:
        p = Path(value)
        return p if p.is_absolute() else (self.root / p)

    def source(self, key: str, *, required: bool = True) -> Path | None:
        """Path of source *key*; a clear ConfigError if required and absent."""
        p = self.sources.get(key)
        if p is None and required:
            raise ConfigError(
                f"source {key!r} is not configured",
                path=self.path,
                field=f"sources.{key}",
                expected=SOURCE_KEYS.get(key, "a path"),
            )
        return p

    def as_parameters(self) -> dict[str, Any]:
        """Plain-typed parameters for notebooks (papermill needs JSON-able values)."""
        return {
            "config_path": str(self.path),
            "force": self.force,
            "plan": self.plan,
            "baseline_start": f"{self.baseline.start:%Y-%m-%d}",
            "baseline_end": f"{self.baseline.end:%Y-%m-%d}",
            "target_start": f"{self.target_period.start:%Y-%m-%d}",
            "target_end": f"{self.target_period.end:%Y-%m-%d}",
            "districts": list(self.districts),
            "comparators": list(self.comparators),
        }


def _period(raw: dict, key: str, path: Path, lines: dict, prefix: tuple = ()) -> Period:
    node = raw[key]
    name = schema.key_path(prefix + (key,))
    start = schema.parse_date(node["start"], name, path, lines, prefix + (key, "start"))
    end = schema.parse_date(node["end"], name, path, lines, prefix + (key, "end"))
    if end < start:
        raise ConfigError(
            f"{name}: end {end} is before start {start}",
            path=path,
            row=schema.line_of(lines, prefix + (key, "end")),
            field=name,
            expected="{start: YYYY-MM-DD, end: YYYY-MM-DD} with start <= end",
        )
    return Period.from_strings(str(start), str(end), field=name)


def _assessments(raw: dict, path: Path, lines: dict) -> list[Assessment]:
    """The config's assessments: the top-level keys (one), or each item of ``assessments:``.

    Every assessment is checked alike: real dates, periods that run forwards, a baseline
    that ends before the target period starts (the plan is checked by the schema).
    """
    items = (
        [((), raw)]
        if raw.get("assessments") is None
        else [(("assessments", i), item) for i, item in enumerate(raw["assessments"])]
    )
    out = []
    for prefix, node in items:
        baseline = _period(node, "baseline", path, lines, prefix)
        target = _period(node, "target_period", path, lines, prefix)
        schema.check_assessment(str(node["plan"]), baseline, target, path, lines, prefix)
        a = Assessment(str(node["plan"]), baseline, target)
        if a in out:
            raise ConfigError(
                f"assessment {a.label} listed twice",
                path=path,
                row=schema.line_of(lines, prefix),
                field=schema.key_path(prefix),
                expected="each assessment once",
            )
        out.append(a)
    return out


def _read_yaml(text: str, cfg_path: Path) -> tuple[Any, dict[tuple, int]]:
    """The YAML document and the line of every key path; ConfigError for bad YAML."""
    loader = None
    try:
        loader = _StrictLoader(text)  # the reader checks the characters here already
        node = loader.get_single_node()
        raw = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow (NUL, ...)
            row = text[: exc.position].count("\n") + 1
        raise ConfigError(
            f"invalid YAML: {shorten(str(getattr(exc, 'problem', None) or exc))}",
            path=cfg_path,
            row=row,
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    _refuse_duplicate_keys(node, cfg_path)
    return raw, schema.key_lines(node)


def _refuse_duplicate_keys(node: Any, cfg_path: Path, path: tuple = ()) -> None:
    """PyYAML keeps the last of two equal keys silently; a config may not say a thing twice."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            key = getattr(k, "value", None)
            if isinstance(key, str) and key in seen:
                raise ConfigError(
                    f"key {shorten(key)} given twice (lines {seen[key]} and {k.start_mark.line + 1})",
                    path=cfg_path,
                    row=k.start_mark.line + 1,
                    field=schema.key_path(path + (key,)),
                    expected="each key once",
                )
            if isinstance(key, str):
                seen[key] = k.start_mark.line + 1
            _refuse_duplicate_keys(v, cfg_path, path + (str(key),))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _refuse_duplicate_keys(v, cfg_path, path + (i,))


def load_config(path: str | Path, *, preflight: bool = False) -> RunConfig:
    """Load and validate a run config.

    The YAML is validated against :class:`wmp_analysis.config_schema.ConfigSchema`
    (every key, type and range), then periods, the baseline-before-target rule and
    the kind of each existing source path are checked. With ``preflight=True`` the
    :func:`preflight` checks (sources exist; force, comparators and districts are in
    the lookups) run as well.

    Raises
    ------
    ConfigError
        Naming the file, the line, the key path, the value and what was expected: a
        missing file, invalid YAML, a key given twice, an unknown key (with the nearest
        valid one), a missing required key, a wrong type or a value out of range, an
        unknown plan, an impossible or reversed period, a baseline that does not end
        before the target period, a folder given for a file (or a file for a folder).
    """
    cfg_path = resolve_config_path(path)
    raw, lines = _read_yaml(_config_text(cfg_path), cfg_path)
    _check_top_level(raw, cfg_path, lines)
    model = schema.validate(raw, cfg_path, lines)
    root = find_project_root(cfg_path.parent) or cfg_path.parent
    sources = _source_paths(raw, root, cfg_path, lines)
    assessments = _assessments(raw, cfg_path, lines)
    first = assessments[0]
    months = (
        _period(raw, "police_uk_months", cfg_path, lines)
        if raw.get("police_uk_months") is not None
        else None
    )
    _check_folder_options(model, root, cfg_path, lines)
    options = {k: v for k, v in raw.items() if k not in _ATTRIBUTES}
    cfg = RunConfig(
        name=model.name,
        title=str(model.title or f"{model.force} against its plan ({first.plan})"),
        force=model.force,
        plan=first.plan,
        baseline=first.baseline,
        target_period=first.target_period,
        comparators=list(model.comparators),
        districts=list(model.districts),
        sources=sources,
        police_uk_months=months,
        options=options,
        path=cfg_path,
        root=root,
        raw=raw,
        lines=lines,
        assessment_list=tuple(assessments),
    )
    if preflight:
        run_preflight(cfg)
    return cfg


def _config_text(cfg_path: Path) -> str:
    """The config file's text (UTF-8, a byte-order mark allowed); ConfigError naming the line."""
    data = cfg_path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            path=cfg_path,
            row=data[: exc.start].count(b"\n") + 1,
            expected="UTF-8 text",
        ) from None


def _check_top_level(raw, cfg_path: Path, lines) -> None:
    """The YAML is a mapping with every required key, and not one assessment twice over."""
    if not isinstance(raw, dict):
        raise ConfigError(
            "config must be a YAML mapping", path=cfg_path, expected="key: value pairs"
        )
    listed = raw.get("assessments") is not None
    for key in _REQUIRED:  # first, so that a config without one says so before anything else
        if key not in raw and not (listed and key in _ASSESSMENT_KEYS):
            raise ConfigError(
                "required key missing",
                path=cfg_path,
                field=key,
                expected=f"{key}, or an assessments: list" if key in _ASSESSMENT_KEYS else None,
            )
    both = [k for k in _ASSESSMENT_KEYS if listed and k in raw]
    if both:
        raise ConfigError(
            f"{both[0]} given at the top level and an assessments: list as well",
            path=cfg_path,
            row=schema.line_of(lines, (both[0],)),
            field=both[0],
            expected="either plan/baseline/target_period at the top level (one assessment) or an "
            "assessments: list of {plan, baseline, target_period}, not both",
        )


def _source_paths(raw: dict, root: Path, cfg_path: Path, lines) -> dict[str, Path | None]:
    """``sources:`` as paths (relative ones under *root*; empty is None), each checked for kind."""
    sources: dict[str, Path | None] = {}
    for key, value in (raw.get("sources") or {}).items():
        if value in (None, ""):
            sources[key] = None
            continue
        p = Path(str(value))
        sources[key] = p if p.is_absolute() else (root / p)
        schema.check_source_shape(key, sources[key], cfg_path, lines)
    return sources


def _check_folder_options(model, root: Path, cfg_path: Path, lines) -> None:
    """processed_dir, reports_dir and sample.dir, when given, are not files."""
    for key, value in (
        ("processed_dir", model.processed_dir),
        ("reports_dir", model.reports_dir),
        ("sample.dir", model.sample.dir if model.sample else None),
    ):
        if value:
            p = Path(value)
            schema.check_folder_option(key, p if p.is_absolute() else root / p, cfg_path, lines)


def run_preflight(cfg: RunConfig) -> None:
    """Checks that read only the small lookup files, run before anything else.

    Called by ``wmp-analysis ingest`` and by the runner, so that a config error exits
    with code 2 before any notebook runs. See
    :func:`wmp_analysis.config_schema.preflight_names` for what is checked.

    Raises
    ------
    ConfigError
        A configured source that does not exist (unless the synthetic sample will
        generate it), a folder for a file (or the reverse), or a force, comparator or
        district that the configured lookups / ONS file do not know (with the nearest
        known names).
    """
    from wmp_analysis.config_schema import preflight_names, preflight_sources

    preflight_sources(cfg)
    preflight_names(cfg)


#: ``wmp_analysis.config.preflight(cfg)``: the name the CLI and the runner call.
preflight = run_preflight
