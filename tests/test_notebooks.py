"""Every notebook in notebooks/: one tagged parameters cell, first; no outputs in git."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from wmp_analysis.pipeline.runner import DEFAULT_NOTEBOOKS, declared_parameters

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_suite_notebooks_exist():
    present = {p.stem for p in NOTEBOOKS}
    assert "05_briefing_summary" in present
    missing = [n for n in DEFAULT_NOTEBOOKS if n not in present]
    assert not missing, f"notebooks missing from notebooks/: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_one_parameters_cell_first(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    tagged = [
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    assert tagged == [0], (
        f"{path.name}: parameters cell(s) at {tagged}, expected exactly one, first"
    )
    assert nb.cells[0].cell_type == "code"
    declared = declared_parameters(path)
    assert "config_path" in declared and "output_dir" in declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_outputs_in_git(path):
    nb = nbformat.read(str(path), as_version=4)
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            assert c.get("outputs") == [], f"{path.name} cell {i} carries outputs"
            assert c.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    assert "papermill" not in nb.metadata, f"{path.name} carries papermill metadata"
