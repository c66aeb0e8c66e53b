"""Shared fixtures.

``shared_data``: the real public files in ``../shared/data`` beside the project.
In CI (``CI`` set) a missing file is a failure; elsewhere the test is skipped with
a message saying which file is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (PROJECT_ROOT.parent / "shared" / "data").resolve()
SEEDS = (PROJECT_ROOT.parent / "shared" / "seeds").resolve()


def require_shared(relpath: str, base: Path = SHARED_DATA) -> Path:
    """Path of a file under ../shared; fail in CI, skip elsewhere, if absent."""
    p = base / relpath
    if not p.exists():
        msg = f"real data file {p} is not available (../shared beside the project)"
        if os.environ.get("CI"):
            pytest.fail(msg + " - required in CI")
        pytest.skip(msg)
    return p


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require_shared("PROVENANCE.md")
    return SHARED_DATA


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    require_shared("README.md", base=SEEDS)
    return SEEDS


@pytest.fixture(scope="session")
def ons_real(shared_data):
    """The real ONS PFA table, read once per session."""
    from wmp_analysis.ingest.ons import read_ons_pfa

    return read_ons_pfa(require_shared("ons/rec-crime-pfa.csv"))


# --------------------------------------------------------------------------- whole-pack runs
def pytest_collection_modifyitems(session, config, items):
    """Modules that read whole packs (``PREFETCH``, see ``_suite_run``) run last, each kept whole.

    Their runs go on in the background meanwhile (:func:`pytest_collection_finish`), so the
    other tests and the runs share the machine's two cores instead of taking turns.
    """
    from _suite_run import wants_runs

    items[:] = [i for i in items if not wants_runs(i)] + [i for i in items if wants_runs(i)]


def pytest_collection_finish(session):
    """Start every pack run the collected tests need (``_suite_run.prefetch``)."""
    if session.config.option.collectonly:
        return
    from _suite_run import prefetch

    prefetch(session.items, session.config._tmp_path_factory)


def pytest_sessionfinish(session, exitstatus):
    """Stop any pack run still going (an interrupted or failed session)."""
    from _suite_run import shutdown

    shutdown()
