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
