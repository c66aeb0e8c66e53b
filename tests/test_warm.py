"""Notebook children started ahead of their turn (``pipeline.warm``).

A warm child must run a notebook exactly as a cold one would (same working folder, same
execution counts, no name bound by the warm-up, errors reported the same way), with the
scientific stack already imported; children not needed must leave no process behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from test_runner import KERNEL, _wait_for, make_notebook

from wmp_analysis.pipeline import runner
from wmp_analysis.pipeline.execute import execute
from wmp_analysis.pipeline.warm import WarmChild, WarmPool, lent_manager_class, warm_code

needs_kernel = pytest.mark.skipif(
    not runner.kernel_available(KERNEL) and not os.environ.get("CI"),
    reason=f"Jupyter kernel {KERNEL!r} not installed (run `make venv`)",
)

#: Prints what the tests compare: working folder, names defined, modules already imported.
PROBE = (
    "import os, sys\n"
    "print('cwd', os.getcwd())\n"
    "print('pandas bound', 'pandas' in dir(), '_m bound', '_m' in dir())\n"
    "print('pandas imported', 'pandas' in sys.modules)"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split()[2] == "Z")


def _run(
    tmp_path: Path, name: str, cells: list[str], warm=None, kernel: str = KERNEL, tag: str = ""
):
    """Execute a notebook with working folder *tmp_path* (its files under *tag*)."""
    src = make_notebook(tmp_path / f"nbs{tag}" / f"{name}.ipynb", cells)
    out = tmp_path / f"out{tag}" / f"{name}.ipynb"
    res = execute(
        name,
        src,
        out,
        {},
        kernel=kernel,
        cwd=tmp_path,
        timeout=120,
        cell_timeout=120,
        warm=warm,
    )
    nb = nbformat.read(str(out), as_version=4) if out.is_file() else None
    return res, nb


def _stdout(nb) -> str:
    return "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def test_warm_code_binds_no_name():
    ns: dict = {}
    exec(warm_code(("math", "json")), ns)
    assert set(ns) == {"__builtins__"}  # no module name, no loop variable


def test_lent_manager_class_returns_the_running_manager_without_reinitialising():
    class Manager:
        inits = 0

        def __init__(self, **kw):
            type(self).inits += 1

    km = Manager()
    cls = lent_manager_class(km)
    assert issubclass(cls, Manager)
    assert cls(kernel_name="k", config=None) is km
    assert Manager.inits == 1  # constructed once, by the test, never again by the "class"


@needs_kernel
def test_warm_child_runs_the_notebook_like_a_cold_one(tmp_path):
    child = WarmChild("02_probe", KERNEL, str(tmp_path))
    assert child.ready.wait(120), "the warm child never reported its kernel ready"
    warm_res, warm_nb = _run(tmp_path, "02_probe", [PROBE, "x = 6 * 7", "x"], warm=child, tag="w")
    cold_res, cold_nb = _run(tmp_path, "02_probe", [PROBE, "x = 6 * 7", "x"], tag="c")
    assert warm_res.status == cold_res.status == "ran", (warm_res, cold_res)
    w, c = _stdout(warm_nb), _stdout(cold_nb)
    assert f"cwd {tmp_path}\n" in w and f"cwd {tmp_path}\n" in c  # the run's working folder
    assert "pandas bound False _m bound False" in w and "pandas bound False" in c
    assert "pandas imported True" in w  # warmed: the stack is already imported
    counts = lambda nb: [c.execution_count for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    assert counts(warm_nb) == counts(cold_nb) == [1, 2, 3, 4]
    last = lambda nb: nb.cells[-1].outputs[0]["data"]["text/plain"]  # noqa: E731
    assert last(warm_nb) == last(cold_nb) == "42"
    assert _wait_for(lambda: not _alive(child.proc.pid), 10)  # the child (and its kernel) ended


@needs_kernel
def test_warm_child_reports_a_failing_cell_the_same_way(tmp_path):
    child = WarmChild("02_fail", KERNEL, str(tmp_path))
    res, nb = _run(tmp_path, "02_fail", ["raise ValueError('deliberate')"], warm=child)
    assert res.status == "failed" and "ValueError: deliberate" in res.message
    assert res.cell_index == 1  # the cell after the parameters cell
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ValueError"]  # kept in the executed notebook


@needs_kernel
def test_warm_child_for_another_folder_is_not_used(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    child = WarmChild("02_probe", KERNEL, str(other))
    res, nb = _run(tmp_path, "02_probe", [PROBE], warm=child)
    assert res.status == "ran" and f"cwd {tmp_path}\n" in _stdout(nb)
    assert "pandas imported False" in _stdout(nb)  # a cold kernel of its own
    assert _wait_for(lambda: not _alive(child.proc.pid), 10)  # the unused child was dismissed


@needs_kernel
def test_warm_child_without_the_notebooks_extra_environment_is_not_used(tmp_path):
    child = WarmChild("02_env", KERNEL, str(tmp_path))  # started without WMP_TEST_FLAG
    src = make_notebook(
        tmp_path / "nbs" / "02_env.ipynb",
        ["import os; print('flag', os.environ.get('WMP_TEST_FLAG'))"],
    )
    out = tmp_path / "out" / "02_env.ipynb"
    res = execute(
        "02_env",
        src,
        out,
        {},
        kernel=KERNEL,
        cwd=tmp_path,
        timeout=120,
        cell_timeout=120,
        env_extra={"WMP_TEST_FLAG": "on"},
        warm=child,
    )
    assert res.status == "ran" and "flag on" in _stdout(nbformat.read(str(out), as_version=4))
    assert _wait_for(lambda: not _alive(child.proc.pid), 10)  # the unused child was dismissed


def test_warm_child_whose_kernel_does_not_exist_fails_as_a_cold_one(tmp_path):
    child = WarmChild("02_x", "no-such-kernel-xyz", str(tmp_path))
    assert child.ready.wait(60)  # it gives up on its kernel, and still waits for its notebook
    res, _ = _run(tmp_path, "02_x", ["1"], warm=child, kernel="no-such-kernel-xyz")
    assert res.status == "failed" and "no-such-kernel-xyz" in res.message, res


@needs_kernel
def test_pool_dismisses_what_is_not_needed_and_leaves_no_process(tmp_path):
    pool = WarmPool(["01_a", "02_b", "03_c"], KERNEL, str(tmp_path), ahead=2)
    assert _wait_for(lambda: len(pool.waiting) == 2 and "01_a" in pool.waiting, 60)
    pids = [c.proc.pid for c in pool.waiting.values()]
    assert pool.queue == ["03_c"]  # at most `ahead` wait at once
    pool.keep(["02_b", "03_c"])  # 01_a is reused from the last pack
    assert "01_a" not in pool.waiting and _wait_for(lambda: not _alive(pids[0]), 10)
    b = pool.take("02_b")
    assert b is not None and b.name == "02_b"
    assert _wait_for(lambda: "03_c" in pool.waiting, 60)  # a freed place is filled, in order
    b.dismiss()
    pids.append(pool.waiting["03_c"].proc.pid)
    pool.close()
    assert pool.waiting == {} and pool.queue == []
    assert _wait_for(lambda: not any(_alive(p) for p in pids), 10)
    assert pool.take("03_c") is None  # closed: the runner starts a cold child


def test_pool_with_no_places_starts_nothing(tmp_path):
    pool = WarmPool(["01_a"], KERNEL, str(tmp_path), ahead=0)
    assert pool.queue == [] and not pool.thread.is_alive() and pool.take("01_a") is None
    pool.close()


@needs_kernel
def test_runs_with_and_without_warm_kernels_give_the_same_notebooks(tmp_path):
    from test_runner import write_config

    from wmp_analysis.config import load_config

    outputs = {}
    for warm in (0, 5):
        proj = tmp_path / f"warm{warm}"
        make_notebook(proj / "nbs" / "01_first.ipynb", ["x = 6 * 7", "print('answer', x)"])
        make_notebook(proj / "nbs" / "02_probe.ipynb", [PROBE.replace("print('cwd'", "('cwd'")])
        write_config(proj, warm_kernels=warm)
        cfg = load_config(proj / "tiny.yaml")
        names = ["01_first", "02_probe"]
        assert runner.run_suite(cfg, notebooks=names, notebooks_dir=proj / "nbs") == 0
        run_dir = (proj / "reports" / "tiny" / "latest").resolve()
        outputs[warm] = {
            n: [
                (c.execution_count, c.outputs)
                for c in nbformat.read(str(run_dir / "notebooks" / f"{n}.ipynb"), 4).cells
                if c.cell_type == "code"
            ]
            for n in names
        }

    def probe(w: int) -> str:
        texts = [o.get("text", "") for _, outs in outputs[w]["02_probe"] for o in outs]
        return next(t for t in texts if "pandas imported" in t)

    assert "pandas imported True" in probe(5) and "pandas imported False" in probe(0)
    assert probe(5).replace("True", "False") == probe(0)  # only the warm-up differs
    assert outputs[5]["01_first"] == outputs[0]["01_first"]
