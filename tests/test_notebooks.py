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


def _code(path):
    nb = nbformat.read(str(path), as_version=4)
    return [c.source for c in nb.cells[1:] if c.cell_type == "code"]  # after the parameters


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_thin_one_set_up_call_no_definitions(path):
    """Issue 13: one ``section.start`` set-up call, no functions or classes defined in the
    notebook, no while loops, at most one short display loop, under 60 lines of code."""
    import ast

    cells = _code(path)
    trees = [ast.parse(src) for src in cells]
    nodes = [n for t in trees for n in ast.walk(t)]
    starts = [
        n
        for n in nodes
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "start"
        and getattr(n.func.value, "id", None) == "section"
    ]
    assert len(starts) == 1, f"{path.name}: {len(starts)} section.start calls"
    defs = [n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
    assert not defs, f"{path.name}: defines {[getattr(d, 'name', 'lambda') for d in defs]}"
    assert not [n for n in nodes if isinstance(n, (ast.For, ast.While))], (
        f"{path.name}: a loop in the notebook (move it into the package)"
    )
    lines = [
        line
        for src in cells
        for line in src.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    code = [line for line in lines if not line.startswith(("from ", "import "))]
    assert len(code) <= 60, f"{path.name}: {len(code)} lines of code (imports aside)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_banner_or_note_drawn_by_hand(path):
    """The banner, notes and not-supplied messages come from report.section, one way each."""
    text = "\n".join(_code(path))
    assert "#b00020" not in text and "SYNTHETIC_NOTE" not in text
    assert "html.escape" not in text and "RunContext(" not in text
