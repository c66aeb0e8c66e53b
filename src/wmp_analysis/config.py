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

from .errors import ConfigError
from .periods import Period

#: Plans the registry knows, by id.
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

class _AliasRefused(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__("YAML aliases (*name) are not allowed in a run config")
        self.problem = str(self)
        self.problem_mark = type("Mark", (), {"line": line})()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so that ``2012-02-30`` reaches our
    own date parsing (which names the field) instead of failing inside YAML, and
    refuses aliases, so that a "billion laughs" config cannot expand in memory."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.events.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark.line)
        return super().compose_node(parent, index)


_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_REQUIRED = ("name", "force", "plan", "baseline", "target_period", "sources")


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


def _period(raw: dict, key: str, path: Path) -> Period:
    node = raw.get(key)
    if not isinstance(node, dict) or "start" not in node or "end" not in node:
        raise ConfigError(
            f"{key} must be a mapping with start and end",
            path=path, field=key, expected="{start: YYYY-MM-DD, end: YYYY-MM-DD}",
        )
    try:
        return Period.from_strings(str(node["start"]), str(node["end"]), field=key)
    except ValueError as exc:
        raise ConfigError(str(exc), path=path, field=key, expected="ISO dates, start <= end") from None


def load_config(path: str | Path) -> RunConfig:
    """Load and validate a run config.

    Raises
    ------
    ConfigError
        Naming the file and the key, for a missing file, invalid YAML, a missing
        required key, an unknown plan, a bad period or an unknown source key.
    """
    cfg_path = resolve_config_path(path)
    data = cfg_path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=cfg_path,
            row=data[: exc.start].count(b"\n") + 1, expected="UTF-8 text",
        ) from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            path=cfg_path, row=None if mark is None else mark.line + 1,
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError("config must be a YAML mapping", path=cfg_path, expected="key: value pairs")
    for key in _REQUIRED:
        if key not in raw:
            raise ConfigError("required key missing", path=cfg_path, field=key)
    for key in ("name", "force", "plan", "title"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], (str, int)):
            raise ConfigError("must be a single text value", path=cfg_path, field=key,
                              expected="a string")
    name = str(raw["name"])
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError("name must be letters, digits, - or _", path=cfg_path, field="name")
    plan = str(raw["plan"])
    if plan not in PLANS:
        raise ConfigError(f"unknown plan {plan!r}", path=cfg_path, field="plan", expected=" or ".join(PLANS))
    root = find_project_root(cfg_path.parent) or cfg_path.parent
    sources_raw = raw.get("sources") or {}
    if not isinstance(sources_raw, dict):
        raise ConfigError("sources must be a mapping", path=cfg_path, field="sources")
    sources: dict[str, Path | None] = {}
    for key, value in sources_raw.items():
        if key not in SOURCE_KEYS:
            raise ConfigError(
                f"unknown source {key!r}", path=cfg_path, field=f"sources.{key}",
                expected="one of " + ", ".join(SOURCE_KEYS),
            )
        if value in (None, ""):
            sources[key] = None
            continue
        p = Path(str(value))
        sources[key] = p if p.is_absolute() else (root / p)
    months = _period(raw, "police_uk_months", cfg_path) if "police_uk_months" in raw else None
    districts = raw.get("districts") or []
    comparators = raw.get("comparators") or []
    for key, val in (("districts", districts), ("comparators", comparators)):
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ConfigError("must be a list of names", path=cfg_path, field=key)
    known = set(_REQUIRED) | {"title", "comparators", "districts", "police_uk_months"}
    options = {k: v for k, v in raw.items() if k not in known}
    return RunConfig(
        name=name,
        title=str(raw.get("title") or f"{raw['force']} against its plan ({plan})"),
        force=str(raw["force"]),
        plan=plan,
        baseline=_period(raw, "baseline", cfg_path),
        target_period=_period(raw, "target_period", cfg_path),
        comparators=list(comparators),
        districts=list(districts),
        sources=sources,
        police_uk_months=months,
        options=options,
        path=cfg_path,
        root=root,
        raw=raw,
    )
