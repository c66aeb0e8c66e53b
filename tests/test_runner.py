"""Runner mechanics on tiny notebooks written to a temporary folder.

Covers: publishing (staging -> run folder -> ``latest``), the manifest, a failing
cell (exit 1, kept notebook with the error, ``latest`` untouched), a dead kernel,
the whole-notebook time limit, a missing kernel, the run lock (held, and two runs
at once), a runner SIGKILLed mid-run, ``--only`` copying untouched sections, and
passing only declared parameters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from wmp_analysis.config import load_config
from wmp_analysis.pipeline import runner
from wmp_analysis.pipeline.execute import descendants
from wmp_analysis.provenance import sha256_file

KERNEL = "wmp-analysis"

if not runner.kernel_available(KERNEL) and os.environ.get("CI"):
    raise RuntimeError(
        f"Jupyter kernel {KERNEL!r} not installed: CI must run `make test`, which installs it"
    )
pytestmark = pytest.mark.skipif(
    not runner.kernel_available(KERNEL),
    reason=f"Jupyter kernel {KERNEL!r} not installed (run `make venv`)",
)


def make_notebook(
    path: Path, cells: list[str], params: str = 'config_path = "x.yaml"\noutput_dir = "out"'
) -> Path:
    """A notebook: a tagged parameters cell, then code cells (``#MD`` prefix = markdown)."""
    nb = new_notebook()
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [
        new_markdown_cell(c[3:]) if c.startswith("#MD") else new_code_cell(c) for c in cells
    ]
    for i, c in enumerate(nb.cells):
        c["id"] = f"{path.stem}-{i}"
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


WRITE_TABLE = (
    "import pathlib\n"
    "d = pathlib.Path(output_dir)\n"
    "(d / 'tables').mkdir(parents=True, exist_ok=True)\n"
    "(d / 'tables' / 't.csv').write_text('a,b\\n1,2\\n')\n"
    "print('SECRET_CODE_' + 'OUTPUT', d)"
)
#: Displays a tiny PNG (4x4 pixels) without importing matplotlib (keeps the test fast).
PLOT = (
    "import struct, zlib\n"
    "from IPython.display import Image, display\n"
    "def chunk(t, d):\n"
    "    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n"
    "raw = b''.join(b'\\x00' + b'\\xff\\x00\\x00' * 4 for _ in range(4))\n"
    "png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 4, 4, 8, 2, 0, 0, 0))\n"
    "       + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))\n"
    "display(Image(data=png))"
)


def write_config(folder: Path, **runner_opts) -> Path:
    opts = {"kernel": KERNEL, "timeout_per_notebook": 120, **runner_opts}
    text = (
        textwrap.dedent(
            """\
        name: tiny
        title: "Tiny <b>test</b> run"
        force: West Midlands
        plan: spp-2012-15
        baseline: {start: 2011-04-01, end: 2012-03-31}
        target_period: {start: 2012-04-01, end: 2013-03-31}
        sources: {}
        reports_dir: reports
        processed_dir: processed
        """
        )
        + "runner: "
        + json.dumps(opts)
        + "\n"
    )
    path = folder / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def proj(tmp_path):
    nbs = tmp_path / "nbs"
    make_notebook(nbs / "01_first.ipynb", ["#MD# First section", WRITE_TABLE, PLOT])
    make_notebook(nbs / "02_second.ipynb", ["x = 6 * 7", "print('answer', x)"])
    make_notebook(
        nbs / "02_fail.ipynb", ["y = 1", "raise ValueError('deliberate failure for the test')"]
    )
    make_notebook(nbs / "02_die.ipynb", ["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"])
    make_notebook(nbs / "02_slow.ipynb", ["import time; time.sleep(120)"])
    make_notebook(
        nbs / "02_onlyconfig.ipynb", ["print(config_path)"], params='config_path = "x.yaml"'
    )
    write_config(tmp_path)
    return tmp_path


def fake_previous_run(proj: Path, run_id: str = "previous", config: str = "tiny") -> bytes:
    """A complete earlier run that ``latest`` points to; returns its manifest bytes."""
    from wmp_analysis.provenance import point_symlink_atomically

    d = proj / "reports" / config / run_id
    d.mkdir(parents=True)
    (d / "index.html").write_text("<p>previous pack</p>\n", encoding="utf-8")
    (d / "manifest.json").write_text(
        f'{{"run_id": "{run_id}", "status": "complete"}}\n', encoding="utf-8"
    )
    point_symlink_atomically(proj / "reports" / config / "latest", d)
    return (d / "manifest.json").read_bytes()


def run(proj: Path, names, **kw) -> int:
    cfg = load_config(proj / "tiny.yaml")
    return runner.run_suite(cfg, notebooks=names, notebooks_dir=proj / "nbs", **kw)


def latest_target(proj: Path, config: str = "tiny") -> Path:
    return (proj / "reports" / config / "latest").resolve()


def test_successful_run_publishes_pack_and_manifest(proj, capsys):
    assert run(proj, ["01_first", "02_second"], run_id="rid-q7z9") == 0
    out = capsys.readouterr().out
    assert "notebook 1 of 2: 01_first" in out and "notebook 2 of 2: 02_second" in out
    assert "cell " in out  # per-cell progress lines
    assert "status" in out and "seconds" in out  # the summary table
    reports = proj / "reports" / "tiny"
    assert (reports / "latest").is_symlink()
    assert latest_target(proj) == (reports / "rid-q7z9").resolve()
    assert not list(reports.glob(".staging-*"))
    run_dir = reports / "rid-q7z9"
    for rel in (
        "01_first.html",
        "02_second.html",
        "notebooks/01_first.ipynb",
        "01_first/tables/t.csv",
        "manifest.json",
    ):
        assert (run_dir / rel).is_file(), rel
    html = (run_dir / "01_first.html").read_text(encoding="utf-8")
    assert "SECRET_CODE_OUTPUT" in html  # the printed output is shown...
    assert (
        "print(&#39;SECRET_CODE_" not in html and "print('SECRET_CODE_" not in html
    )  # ...its code is not
    assert "data:image/png;base64," in html
    assert "rid-q7z9" not in html and ".staging" not in html  # no run id or staging path in pages
    assert "Tiny &lt;b&gt;test&lt;/b&gt; run" in html  # config title escaped
    man = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert man["run_id"] == "rid-q7z9" and man["status"] == "complete"
    assert set(man["timings_seconds"]) == {"01_first", "02_second"}
    assert man["config"]["raw"]["name"] == "tiny"
    assert man["environment"]["packages"]["papermill"]
    recorded = {o["path"]: o["sha256"] for o in man["outputs"]}
    assert recorded["01_first/tables/t.csv"] == sha256_file(
        run_dir / "01_first" / "tables" / "t.csv"
    )
    assert all(sha256_file(run_dir / p) == h for p, h in recorded.items())

    # --only: re-run one section into a new folder, copying the other from latest
    assert run(proj, ["01_first", "02_onlyconfig"], only="02", run_id="part") == 0
    out = capsys.readouterr().out
    assert "01_first - copied from rid-q7z9" in out
    part = proj / "reports" / "tiny" / "part"
    man = json.loads((part / "manifest.json").read_text())
    assert man["sections"]["01_first"]["status"] == "copied"
    assert man["sections"]["01_first"]["copied_from"] == "rid-q7z9"
    assert man["sections"]["02_onlyconfig"]["status"] == "ran"
    assert man["selection"]["executed"] == ["02_onlyconfig"]
    assert sha256_file(part / "01_first" / "tables" / "t.csv") == sha256_file(
        run_dir / "01_first" / "tables" / "t.csv"
    )
    assert (part / "01_first.html").read_bytes() == (run_dir / "01_first.html").read_bytes()
    assert latest_target(proj).name == "part"
    # only the parameters the notebook declares are passed (papermill would warn otherwise)
    nb = nbformat.read(str(part / "notebooks" / "02_onlyconfig.ipynb"), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "config_path" in injected[0].source and "output_dir" not in injected[0].source


def test_failing_cell_keeps_notebook_and_leaves_latest(proj, capsys):
    previous = fake_previous_run(proj)
    before = latest_target(proj)
    rc = run(proj, ["02_fail"], run_id="bad")
    out = capsys.readouterr().out
    assert rc == runner.EXIT_FAILED == 1
    assert latest_target(proj) == before
    kept = proj / "reports" / "tiny" / "failed-bad" / "notebooks" / "02_fail.ipynb"
    assert kept.is_file()
    nb = nbformat.read(str(kept), as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors and errors[0].ename == "ValueError"
    assert "02_fail" in out and "cell index 2" in out
    assert "raise ValueError('deliberate failure for the test')" in out
    assert "ValueError: deliberate failure for the test" in out
    assert str(kept) in out
    assert not (proj / "reports" / "tiny" / "bad").exists()
    assert not list((proj / "reports" / "tiny").glob(".staging-*"))
    assert (before / "manifest.json").read_bytes() == previous


def test_dead_kernel_ends_run_with_clear_message(proj, capsys):
    fake_previous_run(proj, "ok")
    rc = run(proj, ["02_die"], run_id="died")
    out = capsys.readouterr().out
    assert rc == 1
    assert "kernel died" in out and "02_die" in out and "cell index 1" in out
    assert latest_target(proj).name == "ok"
    nb = nbformat.read(
        str(proj / "reports" / "tiny" / "failed-died" / "notebooks" / "02_die.ipynb"), as_version=4
    )
    assert any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))


def test_whole_notebook_time_limit(proj, capsys):
    # generous enough for the kernel to start on a loaded machine; the cell sleeps far longer
    write_config(proj, timeout_per_notebook=12)
    rc = run(proj, ["02_slow"], run_id="slow")
    out = capsys.readouterr().out
    assert rc == 1
    assert "time limit of 12 s" in out, out
    assert "import time; time.sleep(120)" in out, out  # the cell that was running is named
    assert not (proj / "reports" / "tiny" / "latest").exists()
    assert (proj / "reports" / "tiny" / "failed-slow" / "notebooks" / "02_slow.ipynb").is_file()


def test_missing_kernel_gives_setup_hint(proj, capsys):
    write_config(proj, kernel="no-such-kernel-xyz")
    assert run(proj, ["02_second"]) == runner.EXIT_CONFIG
    out = capsys.readouterr().out
    assert "no-such-kernel-xyz" in out and "make venv" in out and "ipykernel install" in out


def test_unknown_notebook_name_is_a_config_error(proj, capsys):
    assert run(proj, ["01_first", "02_second"], only="nope") == 2
    assert "no notebook called 'nope'" in capsys.readouterr().out


def test_held_lock_refuses_with_exit_3(proj, capsys):
    with runner.run_lock(proj / "reports"):
        assert run(proj, ["02_second"], run_id="blocked") == runner.EXIT_LOCKED == 3
    out = capsys.readouterr().out
    assert "another wmp-analysis run holds the lock" in out and f"pid {os.getpid()}" in out
    assert not (proj / "reports" / "tiny" / "blocked").exists()


def _spawn_run(
    proj: Path, names: list[str], run_id: str, config: str = "tiny.yaml"
) -> subprocess.Popen:
    code = (
        "import sys\n"
        "from wmp_analysis.config import load_config\n"
        "from wmp_analysis.pipeline.runner import run_suite\n"
        f"sys.exit(run_suite(load_config({str(proj / config)!r}), notebooks={names!r}, "
        f"notebooks_dir={str(proj / 'nbs')!r}, run_id={run_id!r}))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _wait_for(pred, limit=60.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_concurrent_runs_refuse_or_wait(proj):
    """A holds the lock; B (no wait) refuses with exit 3; C (lock_wait) waits, then runs."""
    (proj / "waiting.yaml").write_text(
        (proj / "tiny.yaml")
        .read_text()
        .replace('"timeout_per_notebook": 120', '"timeout_per_notebook": 120, "lock_wait": 300')
    )
    make_notebook(proj / "nbs" / "02_pause.ipynb", ["import time; time.sleep(5)"])
    a = _spawn_run(proj, ["02_pause"], "runA")
    assert _wait_for(lambda: (proj / "reports" / "tiny" / ".staging-runA").is_dir())
    b = _spawn_run(proj, ["02_second"], "runB")
    c = _spawn_run(proj, ["02_second"], "runC", config="waiting.yaml")
    out_b, _ = b.communicate(timeout=300)
    out_a, _ = a.communicate(timeout=300)
    out_c, _ = c.communicate(timeout=300)
    assert b.returncode == 3, out_b
    assert "another wmp-analysis run holds the lock" in out_b
    assert not (proj / "reports" / "tiny" / "runB").exists()
    assert a.returncode == 0, out_a
    assert c.returncode == 0, out_c
    for rid in ("runA", "runC"):
        assert (
            json.loads((proj / "reports" / "tiny" / rid / "manifest.json").read_text())["status"]
            == "complete"
        )
    # C started after A released the lock, so it is the newest complete run
    assert latest_target(proj).name == "runC"
    assert not list((proj / "reports" / "tiny").glob(".staging-*"))


def test_runner_sigkilled_midway_leaves_latest_and_next_run_succeeds(proj):
    good_manifest = fake_previous_run(proj, "before")
    p = _spawn_run(proj, ["02_slow"], "killed")
    staged = proj / "reports" / "tiny" / ".staging-killed" / "notebooks" / "02_slow.ipynb"
    assert _wait_for(staged.is_file, 90)  # papermill has started the notebook
    children = _children(p.pid)
    assert children  # the notebook's child process
    os.killpg(p.pid, signal.SIGKILL)  # the runner (its notebook child has its own session)
    p.communicate(timeout=30)
    # the orphaned child notices and exits (its kernel follows), so nothing keeps writing
    assert _wait_for(lambda: not any(Path(f"/proc/{c}").exists() for c in children), 30)
    assert latest_target(proj).name == "before"
    assert (proj / "reports" / "tiny" / "before" / "manifest.json").read_bytes() == good_manifest
    assert not (proj / "reports" / "tiny" / "killed").exists()
    assert run(proj, ["02_second"], run_id="after") == 0
    assert latest_target(proj).name == "after"
    assert (
        proj / "reports" / "tiny" / "failed-killed-interrupted"
    ).is_dir()  # partial folder kept aside
    assert not list((proj / "reports" / "tiny").glob(".staging-*"))


def test_select_notebooks():
    names = [
        "01_ingest",
        "02_baseline",
        "03_target_comparison",
        "04_equality_breakdowns",
        "05_briefing_summary",
    ]
    assert runner.select_notebooks(names) == names
    assert runner.select_notebooks(names, only="03") == [
        "03_target_comparison",
        "05_briefing_summary",
    ]
    assert runner.select_notebooks(names, only="target_comparison") == [
        "03_target_comparison",
        "05_briefing_summary",
    ]
    assert runner.select_notebooks(names, from_="4") == [
        "04_equality_breakdowns",
        "05_briefing_summary",
    ]
    assert runner.select_notebooks(names, only="05_briefing_summary.ipynb") == [
        "05_briefing_summary"
    ]
    with pytest.raises(runner.ConfigError, match="no notebook called"):
        runner.select_notebooks(names, only="99")


def test_declared_parameters_parses_the_tagged_cell(tmp_path):
    p = make_notebook(tmp_path / "n.ipynb", ["z = 3"], params="a = 1\nb: int = 2\n# c = 3\n")
    assert runner.declared_parameters(p) == ["a", "b"]


def test_execution_stages():
    names = [
        "01_ingest",
        "02_baseline",
        "03_target_comparison",
        "04_equality",
        "05_briefing_summary",
    ]
    assert runner.execution_stages(names, 1) == [[n] for n in names]
    # a parallel stage starts its longest first: 03 (weight 4), 02 (2), then the one not in
    # the suite (1)
    middle = ["03_target_comparison", "02_baseline", "04_equality"]
    assert runner.execution_stages(names, 2) == [["01_ingest"], middle, ["05_briefing_summary"]]
    assert runner.execution_stages(names[1:4], 3) == [middle]
    suite = list(runner.DEFAULT_NOTEBOOKS)
    assert runner.execution_stages(suite, 2)[1] == [
        "03_target_comparison",
        "02_baseline",
        "06_national_view",  # as heavy as 02: after it, as in the run order
        "04_equality_breakdowns",
    ]


def test_parallel_stage_runs_side_by_side_and_fails_cleanly(proj, capsys):
    write_config(proj, parallel=2)
    assert run(proj, ["01_first", "02_second", "02_onlyconfig"], run_id="par-ok") == 0
    out = capsys.readouterr().out
    assert "01_first (in parallel with 02_second, 02_onlyconfig)" in out
    assert "[02_second]" in out  # child lines are labelled when interleaved
    run_dir = proj / "reports" / "tiny" / "par-ok"
    assert all(
        (run_dir / f"{n}.html").is_file() for n in ("01_first", "02_second", "02_onlyconfig")
    )
    before = latest_target(proj)
    # a failure in the parallel stage fails the run and keeps the failed notebook
    assert run(proj, ["02_second", "02_fail"], run_id="par-bad") == 1
    out = capsys.readouterr().out
    assert "RUN FAILED: notebook 02_fail" in out
    assert latest_target(proj) == before
    kept = proj / "reports" / "tiny" / "failed-par-bad" / "notebooks" / "02_fail.ipynb"
    assert "deliberate failure" in kept.read_text(encoding="utf-8")


def test_unchanged_sections_are_cached_and_force_reruns(proj, capsys):
    names = ["01_first", "02_second"]
    assert run(proj, names, run_id="c1") == 0
    capsys.readouterr()
    assert run(proj, names, run_id="c2") == 0
    out = capsys.readouterr().out
    assert "01_first - cached (unchanged since c1)" in out and "02_second - cached" in out
    man = json.loads((proj / "reports" / "tiny" / "c2" / "manifest.json").read_text())
    assert {s["status"] for s in man["sections"].values()} == {"cached"}
    assert (
        man["section_keys"]
        == json.loads((proj / "reports" / "tiny" / "c1" / "manifest.json").read_text())[
            "section_keys"
        ]
    )
    for rel in ("01_first.html", "02_second.html", "01_first/tables/t.csv"):
        assert (proj / "reports" / "tiny" / "c2" / rel).read_bytes() == (
            proj / "reports" / "tiny" / "c1" / rel
        ).read_bytes()
    # a changed notebook re-runs; the unchanged one stays cached
    make_notebook(proj / "nbs" / "02_second.ipynb", ["x = 6 * 9", "print('answer', x)"])
    assert run(proj, names, run_id="c3") == 0
    out = capsys.readouterr().out
    assert "01_first - cached" in out and "notebook 2 of 2: 02_second\n" in out
    assert "answer 54" in (proj / "reports" / "tiny" / "c3" / "02_second.html").read_text(
        encoding="utf-8"
    )
    # --force executes everything
    assert run(proj, names, run_id="c4", force=True) == 0
    man = json.loads((proj / "reports" / "tiny" / "c4" / "manifest.json").read_text())
    assert {s["status"] for s in man["sections"].values()} == {"ran"}


def test_section_keys_change_with_config_and_code(proj):
    cfg = load_config(proj / "tiny.yaml")
    names = ["01_first", "02_second"]
    k1 = runner.section_keys(cfg, names, proj / "nbs", "fp")
    assert runner.section_keys(cfg, names, proj / "nbs", "fp") == k1
    assert runner.section_keys(cfg, names, proj / "nbs", "other-fp") != k1  # processed data changed
    (proj / "tiny.yaml").write_text((proj / "tiny.yaml").read_text() + "# edited\n")
    assert runner.section_keys(load_config(proj / "tiny.yaml"), names, proj / "nbs", "fp") != k1


# --------------------------------------------------------------------------- Ctrl-C
def _alive(procs) -> list:
    """Those of *procs* (psutil objects or pids) still running; a zombie (exited, not yet
    reaped by whoever adopted it) does not count."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        psutil = None
    out = []
    for p in procs:
        if psutil is not None:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.Error:
                pass
        else:
            try:
                state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                out.append(p)
    return out


def _below(pid: int) -> list:
    """Every process below *pid*: psutil objects when psutil is installed, else pids from /proc."""
    return descendants(pid)


def _is_kernel(p) -> bool:
    try:
        cmd = (
            p.cmdline()
            if hasattr(p, "cmdline")
            else Path(f"/proc/{p}/cmdline").read_bytes().decode().split("\0")
        )
    except Exception:
        return False
    return any("ipykernel" in part for part in cmd)


def _interrupt_when_kernel_runs(proc: subprocess.Popen, limit: float = 120.0, also=None) -> list:
    """Wait for a kernel below *proc* (and *also()*), send SIGINT to *proc* alone, return what was below it."""
    seen: list = []
    assert _wait_for(
        lambda: any(_is_kernel(p) for p in _below(proc.pid)) and (also is None or also()), limit
    ), "no kernel started"
    time.sleep(0.5)  # let it get into a cell
    seen = _below(proc.pid)
    assert any(_is_kernel(p) for p in seen)
    os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process
    return seen


def test_ctrl_c_mid_cell_exits_130_one_line_no_kernel_left(proj):
    good_manifest = fake_previous_run(proj, "before")
    code = (
        "import sys\n"
        "from wmp_analysis.config import load_config\n"
        "from wmp_analysis.pipeline.runner import run_suite\n"
        f"sys.exit(run_suite(load_config({str(proj / 'tiny.yaml')!r}), notebooks=['02_slow'], "
        f"notebooks_dir={str(proj / 'nbs')!r}, run_id='ctrlc'))\n"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    executed = proj / "reports" / "tiny"
    try:  # a kernel may be running before the notebook's turn (warm kernels): wait for its cells
        seen = _interrupt_when_kernel_runs(
            p, also=lambda: any(executed.glob(".staging-*/notebooks/02_slow.ipynb"))
        )
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == runner.EXIT_INTERRUPTED == 130, (out, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err
    assert _wait_for(lambda: not _alive(seen), 10), f"left running: {_alive(seen)}"
    assert latest_target(proj).name == "before"
    assert (proj / "reports" / "tiny" / "before" / "manifest.json").read_bytes() == good_manifest
    assert not (proj / "reports" / "tiny" / "ctrlc").exists()  # never presented as a complete pack
    assert not list((proj / "reports" / "tiny").glob(".staging-*"))
    kept = proj / "reports" / "tiny" / "failed-ctrlc-interrupted"
    assert kept.is_dir() and not (kept / "manifest.json").exists()


def test_ctrl_c_through_the_cli_during_ingest(tmp_path):
    """The real ``wmp-analysis run`` on a small sample config, interrupted while ingest runs."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _suite_run import write_small_config

    cfg = write_small_config(tmp_path, title="ctrl-c", scale=0.005)
    fake_previous_run(tmp_path, "before", config="sample")
    exe = Path(sys.executable).with_name("wmp-analysis")
    p = subprocess.Popen(
        [str(exe), "run", "--config", str(cfg), "--run-id", "cli-ctrlc"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pack = tmp_path / "reports" / "sample"
    try:
        # kernels start while the sample is generated (runner.warm_kernels): wait for the ingest
        # notebook's own turn, so that the ingest is what is interrupted
        seen = _interrupt_when_kernel_runs(
            p, also=lambda: any(pack.glob(".staging-*/notebooks/01_ingest.ipynb"))
        )
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130, (out[-2000:], err)
    assert "Traceback" not in err + out
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
    assert _wait_for(lambda: not _alive(seen), 10), f"left running: {_alive(seen)}"
    assert latest_target(tmp_path, "sample").name == "before"
    assert not (tmp_path / "reports" / "sample" / "cli-ctrlc").exists()
    assert (tmp_path / "reports" / "sample" / "failed-cli-ctrlc-interrupted").is_dir()
    assert not list((tmp_path / "reports" / "sample").glob(".staging-*"))


def test_an_error_raised_by_ctrl_c_mid_import_ends_the_run_as_interrupted(
    proj, monkeypatch, capsys
):
    """Ctrl-C landing while a C extension imports surfaces as ImportError, not KeyboardInterrupt."""
    good_manifest = fake_previous_run(proj, "before")

    def interrupted_mid_import(run):
        runner._INTERRUPTED.set()  # what the SIGINT handler does before raising
        raise ImportError("initialization failed")

    monkeypatch.setattr(runner, "_run_staged", interrupted_mid_import)
    assert run(proj, ["02_second"], run_id="mid-import") == runner.EXIT_INTERRUPTED == 130
    captured = capsys.readouterr()
    assert "interrupted (Ctrl-C)" in captured.err and "Traceback" not in captured.err
    pack = proj / "reports" / "tiny"
    assert (pack / "failed-mid-import-interrupted").is_dir()
    assert (pack / "before" / "manifest.json").read_bytes() == good_manifest
    assert latest_target(proj).name == "before"

    def plain_error(run):
        raise ImportError("a missing module, no Ctrl-C")

    monkeypatch.setattr(runner, "_run_staged", plain_error)
    with pytest.raises(ImportError, match="no Ctrl-C"):  # not swallowed as an interrupt
        run(proj, ["02_second"], run_id="plain-error")
    assert (pack / "failed-plain-error").is_dir()


# --------------------------------------------------------------------------- latest per config
def test_two_configs_keep_two_latests_and_their_caches(proj, capsys):
    """Each configuration has its own ``reports/<name>/latest``: running another config does
    not move this one's, so switching back still finds every section cached."""
    (proj / "other.yaml").write_text(
        (proj / "tiny.yaml").read_text().replace("name: tiny", "name: other")
    )
    names = ["01_first", "02_second"]
    assert run(proj, names, run_id="t1") == 0
    other = load_config(proj / "other.yaml")
    assert runner.run_suite(other, notebooks=names, notebooks_dir=proj / "nbs", run_id="o1") == 0
    assert latest_target(proj, "tiny") == (proj / "reports" / "tiny" / "t1").resolve()
    assert latest_target(proj, "other") == (proj / "reports" / "other" / "o1").resolve()
    capsys.readouterr()
    assert run(proj, names, run_id="t2") == 0
    out = capsys.readouterr().out
    assert "01_first - cached (unchanged since t1)" in out
    assert "02_second - cached (unchanged since t1)" in out
    assert "tiny/latest -> t2" in out  # the console names the configuration's own latest
    assert latest_target(proj, "tiny").name == "t2"
    assert latest_target(proj, "other").name == "o1"


def test_partial_only_run_of_a_new_config_is_not_latest(proj, capsys):
    names = ["01_first", "02_second"]
    assert run(proj, names, only="02_second", run_id="p1") == 0
    out = capsys.readouterr().out
    assert "01_first - not produced" in out
    assert "run p1 partial" in out and "01_first" in out.split("run p1 partial", 1)[1]
    pack = proj / "reports" / "tiny"
    assert not (pack / "latest").exists()
    man = json.loads((pack / "p1" / "manifest.json").read_text())
    assert man["status"] == "partial"
    assert man["sections"]["01_first"]["status"] == "not produced"
    assert man["sections"]["02_second"]["status"] == "ran"
    # a full run completes the pack and becomes latest
    assert run(proj, names, run_id="full") == 0
    assert latest_target(proj).name == "full"
    assert json.loads((pack / "full" / "manifest.json").read_text())["status"] == "complete"


def test_only_run_copying_stale_sections_is_partial(proj, capsys):
    """After the config changes, a copied section is not current: the --only run is kept as
    a partial run folder and ``latest`` stays on the last complete pack."""
    names = ["01_first", "02_second"]
    assert run(proj, names, run_id="good") == 0
    (proj / "tiny.yaml").write_text((proj / "tiny.yaml").read_text() + "# edited\n")
    capsys.readouterr()
    assert run(proj, names, only="02_second", run_id="stale") == 0
    out = capsys.readouterr().out
    assert "01_first - copied from good" in out and "run stale partial" in out
    assert latest_target(proj).name == "good"
    man = json.loads((proj / "reports" / "tiny" / "stale" / "manifest.json").read_text())
    assert man["status"] == "partial"
    assert man["sections"]["01_first"]["message"] == "config file changed since that run"


def test_progress_engine_leaves_papermill_classes_alone(tmp_path, capsys):
    """The progress lines come from a registered papermill engine that wraps the run's own
    execution manager: papermill's ``NotebookExecutionManager.cell_start`` is not replaced."""
    import papermill as pm
    from papermill.engines import NotebookExecutionManager, papermill_engines

    from wmp_analysis.pipeline import execute

    before = NotebookExecutionManager.cell_start
    execute.register_progress_engine()
    assert papermill_engines.get_engine(execute.ENGINE_NAME) is not None
    src = make_notebook(tmp_path / "n.ipynb", ["x = 1", "#MDtext", "print(x + 1)"])
    progress = tmp_path / "progress.json"
    pm.execute_notebook(
        str(src),
        str(tmp_path / "out.ipynb"),
        engine_name=execute.ENGINE_NAME,
        kernel_name=KERNEL,
        progress_bar=False,
        progress_file=str(progress),
    )
    assert NotebookExecutionManager.cell_start is before
    out = capsys.readouterr().out
    assert "cell 2/4: x = 1" in out and "cell 4/4: print(x + 1)" in out
    assert "cell 3/4" not in out  # markdown cells are not reported
    assert json.loads(progress.read_text()) == {"id": "n-3", "index": 3}
