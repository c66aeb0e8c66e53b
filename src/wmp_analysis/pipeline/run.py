"""The state of one run, passed between the runner's steps instead of long parameter lists."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGING_PREFIX = ".staging-"
FAILED_PREFIX = "failed-"
LATEST = "latest"

_FOLDER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def plain_folder_name(name: str) -> bool:
    """True if *name* is usable as one folder name (letters, digits, ``. _ -``; not ``latest``)."""
    return bool(_FOLDER_NAME_RE.match(name)) and name != LATEST


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


@dataclass
class NotebookResult:
    """Outcome of one section of a run (a notebook, or the briefing PDF)."""

    name: str
    status: str  # "ran", "cached", "copied", "failed", "timeout", "dead kernel", "not produced"
    seconds: float = 0.0
    message: str = ""
    cell_index: int | None = None
    cell_line: str = ""
    copied_from: str | None = None
    files: list[str] = field(default_factory=list)
    #: False for a section copied from an earlier run whose key differs from this run's
    current: bool = True


@dataclass
class Options:
    """What the caller asked for, and the config's ``runner.*`` settings."""

    only: str | None = None
    from_: str | None = None
    force: bool = False
    kernel: str = "wmp-analysis"
    limit: float = 1800.0  # seconds, whole notebook
    cell_limit: float = 1800.0  # seconds, one cell
    lock_wait: float = 0.0  # seconds to wait for another run's lock
    parallel: int = 1
    warm: int = 5  # notebooks whose kernels are started ahead of their turn

    @classmethod
    def from_config(cls, cfg, *, only=None, from_=None, force=False) -> Options:
        limit = float(cfg.option("runner.timeout_per_notebook", 1800))
        return cls(
            only=only,
            from_=from_,
            force=bool(force),
            kernel=str(cfg.option("runner.kernel", "wmp-analysis")),
            limit=limit,
            cell_limit=float(cfg.option("runner.cell_timeout", limit)),
            lock_wait=float(cfg.option("runner.lock_wait", 0)),
            parallel=max(1, int(cfg.option("runner.parallel", 1) or 1)),
            warm=max(0, int(cfg.option("runner.warm_kernels", 5))),
        )


@dataclass
class Run:
    """One run: its config, id, folders, options, plan and results.

    ``pack_dir`` is ``<reports_dir>/<config name>/``: it holds this configuration's run
    folders, its failed runs, its staging folder and its ``latest`` link.
    """

    cfg: Any
    run_id: str
    names: list[str]
    chosen: list[str]
    nb_dir: Path
    reports_dir: Path
    started: _dt.datetime
    options: Options
    staging: Path | None = None
    results: list[NotebookResult] = field(default_factory=list)
    # the plan (see plan.py)
    to_run: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    # the previous complete pack of this configuration (see cache.py)
    latest: Path | None = None
    latest_manifest: dict[str, Any] = field(default_factory=dict)
    config_changed: bool = False
    synthetic: bool = False
    replace: list[str] = field(default_factory=list)
    t_run: float = 0.0
    #: the children started ahead of their notebooks (:class:`~wmp_analysis.pipeline.warm.WarmPool`)
    warm: Any = None

    @property
    def pack_dir(self) -> Path:
        return self.reports_dir / str(self.cfg.name)

    @property
    def latest_link(self) -> Path:
        return self.pack_dir / LATEST

    @property
    def latest_label(self) -> str:
        """``reports/<config>/latest`` (relative to the project), as printed on the console."""
        from wmp_analysis.pipeline.console import rel

        return f"{rel(self.pack_dir, self.cfg.root)}/{LATEST}"  # the link itself, not its target

    def position(self, name: str) -> str:
        """``notebook i of n: <name>``."""
        return f"notebook {self.names.index(name) + 1} of {len(self.names)}: {name}"

    def executed_path(self, name: str) -> Path:
        assert self.staging is not None
        return self.staging / "notebooks" / f"{name}.ipynb"

    def selection(self) -> dict[str, Any]:
        return {
            "only": self.options.only,
            "from": self.options.from_,
            "force": bool(self.options.force),
            "notebooks": self.names,
            "executed": list(self.to_run),
        }


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
#: Stopped by Ctrl-C (SIGINT): 128 + the signal number, as a shell reports it.
EXIT_INTERRUPTED = 130
