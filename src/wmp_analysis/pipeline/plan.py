"""Which notebooks a run executes, which it reuses, and in which stages they run."""

from __future__ import annotations

from collections.abc import Sequence

from wmp_analysis.errors import ConfigError
from wmp_analysis.pipeline.cache import ingest_state, section_files, section_keys
from wmp_analysis.pipeline.notebooks import is_ingest, is_summary, weight
from wmp_analysis.pipeline.run import Run


def select_notebooks(
    names: Sequence[str], only: str | None = None, from_: str | None = None
) -> list[str]:
    """The notebooks to execute for ``--only`` / ``--from``.

    A NAME matches a stem exactly (``03_target_comparison``), by its number
    (``03`` or ``3``) or by the part after the number (``target_comparison``).
    The summary notebook (role ``summary`` in :data:`~wmp_analysis.pipeline.notebooks.SUITE`)
    is always re-run when another notebook is, so the headline page reflects the new results.

    Raises
    ------
    ConfigError
        For an unknown NAME, listing the known ones.
    """

    def find(name: str, what: str) -> int:
        key = name.removesuffix(".ipynb").strip()
        for i, stem in enumerate(names):
            num, _, rest = stem.partition("_")
            if key in (stem, rest) or (key.isdigit() and num.isdigit() and int(key) == int(num)):
                return i
        raise ConfigError(
            f"no notebook called {name!r}", field=what, expected="one of " + ", ".join(names)
        )

    if only and from_:
        raise ConfigError("give --only or --from, not both", field="--only/--from")
    if only:
        chosen = [names[find(only, "--only")]]
    elif from_:
        chosen = list(names[find(from_, "--from") :])
    else:
        return list(names)
    chosen += [stem for stem in names if is_summary(stem) and stem not in chosen]
    return [s for s in names if s in chosen]


def execution_stages(to_run: Sequence[str], parallel: int = 1) -> list[list[str]]:
    """Group notebooks into stages that may run at the same time.

    Ingest notebooks run alone and first; summary notebooks (which read every other
    section's tables) run alone and last; the analysis sections between them only
    read the processed data, so with ``parallel > 1`` they form one stage run
    concurrently, longest first (declared :attr:`~.notebooks.NotebookSpec.weight`; ties
    keep the run order): the workers take them in that order. With ``parallel == 1``
    every notebook is its own stage, in order.
    """
    if parallel <= 1:
        return [[n] for n in to_run]
    stages: list[list[str]] = []
    middle: list[str] = []
    for name in to_run:
        if is_ingest(name) or is_summary(name):
            if middle:
                stages.append(_longest_first(middle))
                middle = []
            stages.append([name])
        else:
            middle.append(name)
    if middle:
        stages.append(_longest_first(middle))
    return stages


def _longest_first(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: -weight(n))  # stable: ties keep the run order


def plan_run(run: Run) -> None:
    """Decide ``run.to_run`` and ``run.unchanged``, and the section keys.

    A current ingest (inputs and parameters unchanged) is skipped unless ``--force``;
    on a full run without ``--force``, a section whose key equals the one recorded in
    the configuration's ``latest`` pack is reused (``unchanged``) instead of executed.
    """
    o = run.options
    to_run = list(run.chosen)
    if any(is_ingest(n) for n in to_run) and not o.force:
        current, run.fingerprint = ingest_state(run.cfg)
        if current:
            to_run = [n for n in to_run if not is_ingest(n)]
    elif any(is_ingest(n) for n in run.names):
        run.fingerprint = ingest_state(run.cfg)[1]
    run.keys = section_keys(run.cfg, run.names, run.nb_dir, run.fingerprint)
    if not o.force and o.only is None and o.from_ is None and run.latest is not None:
        old_keys = run.latest_manifest.get("section_keys") or {}
        run.unchanged = [
            n
            for n in to_run
            if not is_ingest(n) and old_keys.get(n) == run.keys[n] and section_files(run.latest, n)
        ]
        to_run = [n for n in to_run if n not in run.unchanged]
    run.to_run = to_run
