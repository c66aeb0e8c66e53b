"""The suite's notebooks: their order, each one's role and what it reads, declared once.

The runner never guesses a notebook's role from its name: :data:`SUITE` says which
notebook ingests, which are analysis sections and which is the summary, and
everything else (:data:`DEFAULT_NOTEBOOKS`, the execution stages, what ``--only``
always re-runs, what a section key covers) is derived from it.

Roles
-----
``ingest``
    Reads the configured sources into the processed tables; runs alone and first, and
    is skipped (cached) when its inputs and parameters are unchanged.
``section``
    An analysis section: reads only the processed tables, so sections may run side by
    side (``runner.parallel``).
``summary``
    Reads every other section's tables (the headline page, ``index.html``); runs alone
    and last, and is re-run whenever another section is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INGEST = "ingest"
SECTION = "section"
SUMMARY = "summary"


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the suite.

    Attributes
    ----------
    stem : str
        File name in ``notebooks/`` without ``.ipynb``.
    role : str
        :data:`INGEST`, :data:`SECTION` or :data:`SUMMARY` (see the module docstring).
    needs : tuple of str
        What it reads: ``"sources"`` (the configured input files), ``"processed"`` (the
        ingest's tables), ``"sections"`` (every other section's outputs).
    weight : float
        Its usual running time relative to the others (the default pack on two cores:
        02 ~10 s, 03 ~18 s, 04 ~7 s, 06 ~10 s). Only the order matters: a parallel stage
        starts its longest notebooks first, so the longest does not start last and run
        alone at the end while a core idles.
    """

    stem: str
    role: str
    needs: tuple[str, ...]
    weight: float = 1.0


#: The suite, in run order. 06_national_view is an analysis section: it runs before the
#: summary, beside 02-04.
SUITE: tuple[NotebookSpec, ...] = (
    NotebookSpec("01_ingest", INGEST, ("sources",)),
    NotebookSpec("02_baseline", SECTION, ("processed",), weight=2.0),
    NotebookSpec("03_target_comparison", SECTION, ("processed",), weight=4.0),
    NotebookSpec("04_equality_breakdowns", SECTION, ("processed",), weight=1.5),
    NotebookSpec("06_national_view", SECTION, ("processed",), weight=2.0),
    NotebookSpec("05_briefing_summary", SUMMARY, ("processed", "sections")),
)

#: The suite's notebooks, in run order (stems of files in ``notebooks/``).
DEFAULT_NOTEBOOKS: tuple[str, ...] = tuple(s.stem for s in SUITE)

_BY_STEM = {s.stem: s for s in SUITE}


def role(stem: str) -> str:
    """The declared role of notebook *stem*; a notebook not in :data:`SUITE` is a section."""
    spec = _BY_STEM.get(stem)
    return spec.role if spec is not None else SECTION


def weight(stem: str) -> float:
    """The declared relative running time of notebook *stem* (1 for one not in :data:`SUITE`)."""
    spec = _BY_STEM.get(stem)
    return spec.weight if spec is not None else 1.0


def is_ingest(stem: str) -> bool:
    return role(stem) == INGEST


def is_summary(stem: str) -> bool:
    return role(stem) == SUMMARY


def _parameters(nb_path: str | Path) -> dict:
    import papermill as pm

    return pm.inspect_notebook(str(nb_path))


def declared_parameters(nb_path: str | Path) -> list[str]:
    """Names assigned in a notebook's ``parameters`` cell (in order), by ``papermill.inspect_notebook``.

    Only these are passed by the runner, so papermill never warns about unknown
    parameters. Returns an empty list when there is no parameters cell.
    """
    return list(_parameters(nb_path))


def boolean_parameters(nb_path: str | Path) -> list[str]:
    """Declared parameters whose default is the literal ``True`` or ``False``."""
    return [
        name
        for name, p in _parameters(nb_path).items()
        if str(p.get("default")).strip() in ("True", "False")
    ]


def missing_notebooks(names: Sequence[str], nb_dir: Path) -> list[str]:
    """Those of *names* with no ``<name>.ipynb`` in *nb_dir*."""
    return [n for n in names if not (nb_dir / f"{n}.ipynb").is_file()]


def default_notebooks_dir(root: str | Path) -> Path:
    """The project's ``notebooks/`` (under *root*, else beside the installed package)."""
    here = Path(root) / "notebooks"
    if here.is_dir() and any(here.glob("*.ipynb")):
        return here
    return Path(__file__).resolve().parents[3] / "notebooks"
