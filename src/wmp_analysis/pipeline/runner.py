"""Run the notebooks with papermill and assemble the briefing pack.

A run executes the suite's notebooks in order (ingest, baseline, target
comparison, equality breakdowns, briefing summary) and writes everything into a
staging folder ``reports/.staging-<run-id>/``. Only when every notebook, every
HTML page and the manifest have been written is the folder renamed to
``reports/<run-id>/`` and ``reports/latest`` switched to it (atomically). A failed
run is moved to ``reports/failed-<run-id>/`` with the failed executed notebook,
and ``latest`` is left alone.

Each notebook runs in a child process (``python -m wmp_analysis.pipeline.runner --child``)
in its own process group, so a whole-notebook time limit can be enforced by
killing it, a dead kernel ends the run with a message rather than a hang, and a
runner killed mid-way takes its child and kernel with it.

Run folder layout::

    reports/<run-id>/
      index.html                  headline page (written by 05_briefing_summary)
      <notebook>.html             one page per notebook, no code cells
      <notebook>/tables/*.csv     that notebook's tables
      <notebook>/figures/*.png|svg
      notebooks/<notebook>.ipynb  the executed notebooks (the run's log)
      manifest.json               config, versions, input/output sha256, timings

Exit codes: 0 success; 1 the run failed; 2 bad configuration or set-up (unknown
notebook name, missing kernel); 3 another run holds the lock.
"""

from __future__ import annotations

import ast
import datetime as _dt
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from wmp_analysis import provenance
from wmp_analysis.errors import ConfigError, bounded

#: The suite's notebooks, in run order (stems of files in ``notebooks/``).
DEFAULT_NOTEBOOKS = (
    "01_ingest",
    "02_baseline",
    "03_target_comparison",
    "04_equality_breakdowns",
    "06_national_view",  # an analysis notebook: runs before the summary, beside 02-04
    "05_briefing_summary",
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
#: Stopped by Ctrl-C (SIGINT): 128 + the signal number, as a shell reports it.
EXIT_INTERRUPTED = 130

LOCK_NAME = ".run.lock"
STAGING_PREFIX = ".staging-"
FAILED_PREFIX = "failed-"

#: Kernel log lines not worth showing on the console.
_NOISE = ("Kernel is running over TCP without encryption",)

_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class RunLockedError(RuntimeError):
    """Another run holds ``reports/.run.lock``."""


# --------------------------------------------------------------------------- small helpers
def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def default_run_id(cfg, now: _dt.datetime | None = None) -> str:
    """``<config name>-<UTC timestamp>``, e.g. ``sample-20260101T120000Z``."""
    now = now or _utc_now()
    return f"{cfg.name}-{now:%Y%m%dT%H%M%SZ}"


def kernel_available(name: str) -> bool:
    """True if a Jupyter kernel spec called *name* is installed."""
    from jupyter_client.kernelspec import KernelSpecManager

    return name in KernelSpecManager().find_kernel_specs()


def declared_parameters(nb_path: str | Path) -> list[str]:
    """Names assigned in a notebook's ``parameters`` cell (in order).

    Only these are passed by the runner, so papermill never warns about unknown
    parameters. Returns an empty list when there is no parameters cell.
    """
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            names: list[str] = []
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return names
            for node in tree.body:
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else ([node.target] if isinstance(node, ast.AnnAssign) else [])
                )
                for t in targets:
                    if isinstance(t, ast.Name) and t.id not in names:
                        names.append(t.id)
            return names
    return []


def _parameter_defaults(nb_path: Path) -> dict[str, Any]:
    """Literal defaults of the parameters cell (non-literals are skipped)."""
    nb = nbformat.read(str(nb_path), as_version=4)
    out: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return out
            for node in tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                ):
                    try:
                        out[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        pass
            break
    return out


def select_notebooks(
    names: Sequence[str], only: str | None = None, from_: str | None = None
) -> list[str]:
    """The notebooks to execute for ``--only`` / ``--from``.

    A NAME matches a stem exactly (``03_target_comparison``), by its number
    (``03`` or ``3``) or by the part after the number (``target_comparison``).
    The briefing summary (a stem containing ``briefing``) is always re-run when
    another notebook is, so the headline page reflects the new results.

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
    for stem in names:
        if "briefing" in stem and stem not in chosen:
            chosen.append(stem)
    return [s for s in names if s in chosen]


def _is_ingest(stem: str) -> bool:
    return "ingest" in stem


def _is_summary(stem: str) -> bool:
    return "summary" in stem


def execution_stages(to_run: Sequence[str], parallel: int = 1) -> list[list[str]]:
    """Group notebooks into stages that may run at the same time.

    Ingest notebooks run alone and first; summary notebooks (which read every other
    section's tables) run alone and last; the analysis notebooks between them only
    read the processed data, so with ``parallel > 1`` they form one stage run
    concurrently. With ``parallel == 1`` every notebook is its own stage, in order.
    """
    if parallel <= 1:
        return [[n] for n in to_run]
    stages: list[list[str]] = []
    middle: list[str] = []
    for name in to_run:
        if _is_ingest(name) or _is_summary(name):
            if middle:
                stages.append(middle)
                middle = []
            stages.append([name])
        else:
            middle.append(name)
    if middle:
        stages.append(middle)
    return stages


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _default_notebooks_dir(cfg) -> Path:
    here = Path(cfg.root) / "notebooks"
    if here.is_dir() and any(here.glob("*.ipynb")):
        return here
    return Path(__file__).resolve().parents[3] / "notebooks"


# --------------------------------------------------------------------------- lock
@contextmanager
def run_lock(reports_dir: str | Path, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold ``<reports_dir>/.run.lock`` (``flock``) for the duration of a run.

    Parameters
    ----------
    reports_dir : path
    wait_seconds : float
        How long to wait for another run to finish; 0 refuses at once.

    Raises
    ------
    RunLockedError
        If the lock is still held after *wait_seconds*; the message names the
        process holding it. The lock is released by the kernel if the holder dies,
        so a killed run never blocks the next one.
    """
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, float(wait_seconds))
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    try:
                        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    except OSError:
                        holder = ""
                    raise RunLockedError(
                        f"another wmp-analysis run holds the lock {path}"
                        + (f" ({holder})" if holder else "")
                        + "; wait for it to finish (or set runner.lock_wait in the config to wait)"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {_utc_now():%Y-%m-%dT%H:%M:%SZ}\n".encode(), 0)
        yield path
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- stopping children
#: Notebook child processes running now (pid -> Popen), so that Ctrl-C can stop them all.
_LIVE: dict[int, subprocess.Popen] = {}
_LIVE_LOCK = threading.Lock()


def _descendants(pid: int) -> list:
    """Every process below *pid* (children, their children...): psutil objects, or pids via /proc."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        psutil = None
    if psutil is not None:
        try:
            return psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            return []
    out: list[int] = []
    todo = [pid]
    while todo:
        here = todo.pop()
        for task in Path(f"/proc/{here}/task").glob("*"):
            try:
                kids = [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                kids = []
            out += kids
            todo += kids
    return out


def _kill(proc_or_pid, sig: int) -> None:
    try:
        if isinstance(proc_or_pid, int):
            os.kill(proc_or_pid, sig)
        else:
            proc_or_pid.send_signal(sig)
    except Exception:
        pass


def stop_children(grace: float = 5.0) -> None:
    """Stop every running notebook child and its kernel (used on Ctrl-C).

    Each child gets SIGTERM: it interrupts its kernel (so a running cell's own clean-up
    runs), kills it and reaps it, then exits. A child still running after *grace*
    seconds is killed with its process group, and any process that was below it
    (the kernel) is killed too, so nothing is left behind.
    """
    with _LIVE_LOCK:
        procs = list(_LIVE.values())
    below = [d for p in procs for d in _descendants(p.pid)]
    for p in procs:
        if p.poll() is None:
            _kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.wait()
    for d in below:
        alive = d.is_running() if hasattr(d, "is_running") else Path(f"/proc/{d}").exists()
        if alive:
            _kill(d, signal.SIGKILL)


def _child_sigterm(signum, frame) -> None:  # pragma: no cover - runs in the child process
    """SIGTERM in a notebook child: interrupt, kill and reap the kernel, then exit 130."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kids = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    for k in kids:  # a KeyboardInterrupt in the running cell lets its own clean-up run
        _kill(k, signal.SIGINT)
    time.sleep(0.5)
    for k in kids:
        _kill(k, signal.SIGKILL)
        try:
            os.waitpid(k, 0)  # reaped here: no zombie kernel is left for anyone else
        except (ChildProcessError, OSError):
            pass
    os._exit(EXIT_INTERRUPTED)


# --------------------------------------------------------------------------- child process
@dataclass
class NotebookResult:
    """Outcome of executing one notebook."""

    name: str
    status: str  # "ran", "cached", "copied", "failed", "timeout", "dead kernel", "not produced"
    seconds: float = 0.0
    message: str = ""
    cell_index: int | None = None
    cell_line: str = ""
    copied_from: str | None = None
    files: list[str] = field(default_factory=list)


def _child_main(spec_path: str) -> int:
    """Entry point of the per-notebook child process (see :func:`_execute`)."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    parent = spec["parent_pid"]

    def watchdog() -> None:  # die with the runner: never leave an orphan writing files
        while True:
            if os.getppid() != parent:
                os._exit(70)
            time.sleep(0.5)

    threading.Thread(target=watchdog, daemon=True).start()
    signal.signal(signal.SIGTERM, _child_sigterm)  # the runner's Ctrl-C: stop the kernel, then exit

    import logging

    logging.basicConfig(
        level=logging.WARNING, format="    %(name)s: %(message)s", stream=sys.stdout
    )
    import papermill as pm
    from papermill.engines import NotebookExecutionManager
    from papermill.exceptions import PapermillExecutionError

    t0 = time.monotonic()
    orig_start = NotebookExecutionManager.cell_start

    progress = Path(spec["progress"])

    def cell_start(self, cell, cell_index=None, **kwargs):
        if cell.cell_type == "code":
            progress.write_text(
                json.dumps({"id": cell.get("id"), "index": cell_index}), encoding="utf-8"
            )
            first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
            print(
                f"    [{time.monotonic() - t0:7.1f}s] cell {cell_index + 1}/{len(self.nb.cells)}: {first[:70]}",
                flush=True,
            )
        return orig_start(self, cell, cell_index=cell_index, **kwargs)

    NotebookExecutionManager.cell_start = cell_start
    result: dict[str, Any] = {"status": "ok"}
    try:
        pm.execute_notebook(
            spec["input"],
            spec["output"],
            parameters=spec["parameters"],
            kernel_name=spec["kernel"],
            cwd=spec["cwd"],
            execution_timeout=spec["cell_timeout"],
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
        )
    except PapermillExecutionError as exc:
        result = {
            "status": "failed",
            "ename": exc.ename,
            "evalue": exc.evalue,
            "exec_count": exc.exec_count,
        }
    except BaseException as exc:  # DeadKernelError, CellTimeoutError, kernel start failures...
        name = type(exc).__name__
        status = (
            "dead kernel"
            if name == "DeadKernelError"
            else "timeout"
            if "Timeout" in name
            else "failed"
        )
        result = {"status": status, "ename": name, "evalue": str(exc)}
    tmp = spec["result"] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, spec["result"])
    return 0


def _failing_cell(
    executed: Path,
    source: Path,
    last_started: str | None = None,
    annotate: dict[str, str] | None = None,
) -> tuple[int | None, str]:
    """(0-based index in the *source* notebook, first source line) of the failed cell.

    The failed cell is the one with an error output or, when the kernel died or
    the time limit was hit, *last_started* (the id of the last cell started). With
    *annotate* (``{"ename", "evalue"}``) that cell gets an error output in the kept
    notebook, so the log shows where the run stopped.
    """
    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:
        return None, ""
    bad = None
    for cell in nb.cells:
        if cell.cell_type == "code" and (
            cell.get("metadata", {}).get("papermill", {}).get("exception")
            or any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ):
            bad = cell
            break
    if bad is None and last_started is not None:
        bad = next((c for c in nb.cells if c.get("id") == last_started), None)
        if bad is not None and annotate:
            bad.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=annotate["ename"],
                    evalue=annotate["evalue"],
                    traceback=[f"{annotate['ename']}: {annotate['evalue']}"],
                )
            )
            try:
                nbformat.write(nb, str(executed))
            except OSError:
                pass
    if bad is None:
        return None, ""
    first = next((ln.strip() for ln in bad.source.splitlines() if ln.strip()), "")
    try:
        src = nbformat.read(str(source), as_version=4)
        for i, c in enumerate(src.cells):
            if c.get("id") and c.get("id") == bad.get("id"):
                return i, first
    except Exception:
        pass
    return None, first


def _execute(
    name: str,
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    kernel: str,
    cwd: Path,
    timeout: float,
    cell_timeout: float,
    env_extra: dict[str, str] | None = None,
    label: str = "",
) -> NotebookResult:
    """Execute one notebook in a child process group with a whole-notebook time limit.

    *label* prefixes the child's console lines (used when notebooks run in parallel).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wmp-nbexec-") as tmp:
        spec = {
            "input": str(source),
            "output": str(output),
            "parameters": parameters,
            "kernel": kernel,
            "cwd": str(cwd),
            "cell_timeout": int(cell_timeout),
            "result": str(Path(tmp) / "result.json"),
            "progress": str(Path(tmp) / "progress.json"),
            "parent_pid": os.getpid(),
        }
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = dict(os.environ)
        env.update(
            {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0", "TZ": "UTC", "PYTHONUNBUFFERED": "1"}
        )
        env.update(env_extra or {})
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "wmp_analysis.pipeline.runner", "--child", str(spec_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            cwd=str(cwd),
        )
        with _LIVE_LOCK:
            _LIVE[proc.pid] = proc

        def relay() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if not any(noise in line for noise in _NOISE):
                    _say(f"  [{label}]{line}" if label else line)

        reader = threading.Thread(target=relay, daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            with _LIVE_LOCK:
                _LIVE.pop(proc.pid, None)
        reader.join(timeout=5)
        seconds = time.monotonic() - t0
        res_path = Path(spec["result"])
        result = json.loads(res_path.read_text(encoding="utf-8")) if res_path.is_file() else None
        try:
            last = json.loads(Path(spec["progress"]).read_text(encoding="utf-8")).get("id")
        except (OSError, ValueError):
            last = None
    if timed_out:
        msg = f"time limit of {timeout:g} s for the whole notebook (runner.timeout_per_notebook) exceeded"
        idx, line = _failing_cell(output, source, last, {"ename": "NotebookTimeout", "evalue": msg})
        return NotebookResult(name, "timeout", seconds, msg, idx, line)
    if result is None:
        msg = f"the notebook process ended unexpectedly (exit code {proc.returncode})"
        idx, line = _failing_cell(output, source, last, {"ename": "RunnerError", "evalue": msg})
        return NotebookResult(name, "failed", seconds, msg, idx, line)
    if result["status"] == "ok":
        return NotebookResult(name, "ran", seconds)
    if result["status"] == "dead kernel":
        msg = "the kernel died (killed, crashed or out of memory) while running this cell"
    else:
        msg = bounded(
            f"{result.get('ename')}: {result.get('evalue')}".strip()
        )  # a 50 MB value stays off the console
    idx, line = _failing_cell(
        output, source, last, {"ename": str(result.get("ename")), "evalue": msg}
    )
    return NotebookResult(name, result["status"], seconds, msg, idx, line)


# --------------------------------------------------------------------------- pack assembly
def _section_files(run_dir: Path, name: str) -> list[Path]:
    """Files belonging to section *name* in a run folder."""
    out = []
    for p in (run_dir / f"{name}.html", run_dir / "notebooks" / f"{name}.ipynb"):
        if p.is_file():
            out.append(p)
    d = run_dir / name
    if d.is_dir():
        out += sorted(p for p in d.rglob("*") if p.is_file())
    return out


def _copy_section(src_run: Path, dst_run: Path, name: str) -> list[Path]:
    copied = []
    for p in _section_files(src_run, name):
        rel = p.relative_to(src_run)
        dst = dst_run / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dst)
        copied.append(dst)
    return copied


def _latest_run(reports_dir: Path) -> Path | None:
    link = reports_dir / "latest"
    if not link.exists():
        return None
    target = link.resolve()
    return target if (target / "manifest.json").is_file() else None


def _read_manifest(run_dir: Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    try:
        return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _ingest_state(cfg) -> tuple[bool, str | None]:
    """(is current, fingerprint); (False, None) when the pipeline is unavailable."""
    try:
        from wmp_analysis.ingest import pipeline
    except ImportError:
        return False, None
    fp = pipeline.ingest_fingerprint(cfg)
    return bool(pipeline.ingest_is_current(cfg)), (
        fp if isinstance(fp, str) else provenance.sha256_json(fp)
    )


def _ingest_stub(cfg, fingerprint: str | None) -> nbformat.NotebookNode:
    """A short notebook standing in for a skipped (cached) ingest."""
    lines = [
        "# Data and ingest (cached)",
        "",
        "Ingest was not re-run: its inputs and parameters are unchanged since the processed "
        f"tables in `{_rel(cfg.processed_dir, cfg.root)}` were written (fingerprint `{fingerprint}`). "
        "Run with `--force` to ingest again.",
    ]
    try:
        from wmp_analysis.ingest.pipeline import load_processed

        summary = load_processed(cfg).sources_summary()
        import pandas as pd

        df = summary if isinstance(summary, pd.DataFrame) else pd.DataFrame(list(summary))
        lines += [
            "",
            "## Sources",
            "",
            df.to_markdown(index=False) if hasattr(df, "to_markdown") else "",
        ]
    except Exception:
        pass
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    nb.cells[0]["id"] = "cached-ingest"
    return nb


def _export_page(
    cfg,
    run_dir: Path,
    name: str,
    executed: Path,
    sections: Sequence[str],
    synthetic: bool,
    replace: Sequence[str],
) -> Path:
    from wmp_analysis.provenance import section_origin
    from wmp_analysis.report.pages import export_notebook_html, external_references

    figures = sorted((run_dir / name / "figures").glob("*.png"))
    # the badge and the banner follow the section's own sources (real, synthetic or both)
    html = export_notebook_html(
        executed,
        title=cfg.title,
        name=name,
        synthetic=synthetic,
        sections=sections,
        replace=replace,
        figures=figures,
        origin=section_origin(cfg, name),
    )
    bad = external_references(html)
    if bad:
        raise RuntimeError(
            f"page {name}.html would load resources from other hosts: {', '.join(bad[:5])}"
        )
    out = run_dir / f"{name}.html"
    out.write_text(html, encoding="utf-8", newline="\n")
    return out


def _inputs_record(cfg) -> dict[str, Any]:
    """Each input's sha256: from the ingest manifest when present, else hashed here."""
    ingest_manifest = Path(cfg.processed_dir) / "ingest_manifest.json"
    if ingest_manifest.is_file():
        try:
            data = json.loads(ingest_manifest.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        inputs = data.get("inputs") or data.get("files") or data.get("sources")
        if inputs:
            return {
                "from": _rel(ingest_manifest, cfg.root),
                "ingest_manifest_sha256": provenance.sha256_file(ingest_manifest),
                "files": inputs,
            }
    files = []
    for key, p in sorted(cfg.sources.items()):
        if p is None or not Path(p).exists():
            continue
        paths = (
            [Path(p)] if Path(p).is_file() else sorted(q for q in Path(p).rglob("*") if q.is_file())
        )
        files += [provenance.file_record(q, root=cfg.root, source=key) for q in paths]
    return {"from": "hashed by the runner", "files": files}


_CODE_FINGERPRINT: dict[str, str] = {}


def code_fingerprint(root: Path | None = None) -> str:
    """sha256 over the package's code and the project's reference data.

    Covers every ``.py`` file and template of the installed ``wmp_analysis`` package,
    and ``data/raw/targets`` and ``data/raw/reference`` under *root* (the registry,
    measures and harmonisation tables), so that a changed method or target
    invalidates cached sections.
    """
    key = str(root)
    if key not in _CODE_FINGERPRINT:
        pkg = Path(__file__).resolve().parents[1]  # the whole package
        files = sorted(
            p for p in pkg.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".css")
        )
        if root is not None:
            for sub in ("data/raw/targets", "data/raw/reference"):
                files += sorted(p for p in (Path(root) / sub).glob("*") if p.is_file())
        records = [(str(p.relative_to(p.anchor)), provenance.sha256_file(p)) for p in files]
        _CODE_FINGERPRINT[key] = provenance.sha256_json(records)
    return _CODE_FINGERPRINT[key]


def section_keys(
    cfg, names: Sequence[str], nb_dir: Path, fingerprint: str | None
) -> dict[str, str]:
    """A hash per section of everything its outputs depend on.

    A section's key covers its notebook file, the config file, the processed data
    (the ingest fingerprint), the package code and reference data, and the kernel;
    a summary section's key also covers every other section's key. A section whose
    key equals the one recorded for it in ``reports/latest`` would produce the same
    bytes, so it is copied instead of executed (unless ``--force``).
    """
    common = {
        "config": provenance.sha256_file(cfg.path),
        "ingest": fingerprint,
        "code": code_fingerprint(cfg.root),
        "kernel": cfg.option("runner.kernel", "wmp-analysis"),
    }
    keys: dict[str, str] = {}
    for name in names:
        nb = nb_dir / f"{name}.ipynb"
        keys[name] = provenance.sha256_json(
            {**common, "notebook": provenance.sha256_file(nb) if nb.is_file() else None}
        )
    for name in names:
        if _is_summary(name):
            keys[name] = provenance.sha256_json(
                {"own": keys[name], "others": {n: keys[n] for n in names if n != name}}
            )
    return keys


def _write_manifest(
    cfg,
    run_dir: Path,
    *,
    run_id: str,
    status: str,
    started: _dt.datetime,
    results: list[NotebookResult],
    selection: dict[str, Any],
    synthetic: bool,
    fingerprint: str | None,
    keys: dict[str, str] | None = None,
) -> Path:
    from wmp_analysis import __version__

    outputs = [
        provenance.file_record(p, root=run_dir)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
        and p.name != "manifest.json"
        and "screenshots" not in p.relative_to(run_dir).parts
    ]
    manifest = {
        "run_id": run_id,
        "status": status,
        "started_utc": f"{started:%Y-%m-%dT%H:%M:%SZ}",
        "finished_utc": f"{_utc_now():%Y-%m-%dT%H:%M:%SZ}",
        "config": {
            "path": _rel(cfg.path, cfg.root),
            "sha256": provenance.sha256_file(cfg.path),
            "raw": cfg.raw,
        },
        "package_version": __version__,
        "git_commit": provenance.git_commit(cfg.root),
        "environment": provenance.environment_record(),
        "kernel": cfg.option("runner.kernel", "wmp-analysis"),
        "synthetic": synthetic,
        "selection": selection,
        "ingest_fingerprint": fingerprint,
        "section_keys": {
            r.name: (keys or {}).get(r.name)
            for r in results
            if r.status in ("ran", "cached") and (keys or {}).get(r.name)
        },
        "sections": {
            r.name: {
                "status": r.status,
                "seconds": round(r.seconds, 3),
                "copied_from": r.copied_from,
                "message": r.message or None,
            }
            for r in results
        },
        "timings_seconds": {r.name: round(r.seconds, 3) for r in results},
        "inputs": _inputs_record(cfg),
        "outputs": outputs,
    }
    path = run_dir / "manifest.json"
    provenance.write_json_atomic(path, manifest)
    os.chmod(path, 0o644)
    return path


def _summary_table(results: Sequence[NotebookResult]) -> str:
    w = max([len("notebook")] + [len(r.name) for r in results])
    lines = [
        f"{'notebook':<{w}}  {'status':<24}  {'seconds':>8}",
        f"{'-' * w}  {'-' * 24}  {'-' * 8}",
    ]
    for r in results:
        status = r.status + (
            f" ({r.copied_from})" if r.copied_from and r.status == "copied" else ""
        )
        lines.append(f"{r.name:<{w}}  {status[:24]:<24}  {r.seconds:8.1f}")
    return "\n".join(lines)


def _clear_stale_staging(reports_dir: Path) -> None:
    """Move staging folders left by killed runs aside (we hold the lock, so none is live)."""
    for p in sorted(reports_dir.glob(f"{STAGING_PREFIX}*")):
        if p.is_dir():
            dst = reports_dir / f"{FAILED_PREFIX}{p.name[len(STAGING_PREFIX) :]}-interrupted"
            if dst.exists():
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.replace(p, dst)
            _say(f"note: a previous run was interrupted; its partial folder is kept as {dst.name}")


# --------------------------------------------------------------------------- the run
def run_suite(
    cfg,
    *,
    only: str | None = None,
    from_: str | None = None,
    force: bool = False,
    run_id: str | None = None,
    notebooks: Sequence[str] | None = None,
    notebooks_dir: str | Path | None = None,
) -> int:
    """Execute the suite and publish the briefing pack.

    Parameters
    ----------
    cfg : RunConfig
        The run configuration. Options read: ``runner.kernel`` (default
        ``"wmp-analysis"``), ``runner.timeout_per_notebook`` (seconds, whole
        notebook, default 1800), ``runner.cell_timeout`` (seconds per cell, default
        the notebook limit), ``runner.lock_wait`` (seconds to wait for another
        run, default 0 = refuse), ``sample.generate``.
    only, from_ : str, optional
        Re-run one notebook, or a notebook and those after it (plus the briefing
        summary). Other sections are copied from ``reports/latest``.
    force : bool
        Run ingest even if its inputs and parameters are unchanged.
    run_id : str, optional
        Run folder name; default ``<config name>-<UTC timestamp>``.
    notebooks : sequence of str, optional
        Notebook stems in order (default :data:`DEFAULT_NOTEBOOKS`).
    notebooks_dir : path, optional
        Folder holding them (default the project's ``notebooks/``).

    Returns
    -------
    int
        0 success, 1 run failed, 2 configuration/set-up error, 3 locked.
    """
    started = _utc_now()
    names = list(notebooks or DEFAULT_NOTEBOOKS)
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else _default_notebooks_dir(cfg)
    reports_dir = Path(cfg.reports_dir)
    kernel = str(cfg.option("runner.kernel", "wmp-analysis"))
    limit = float(cfg.option("runner.timeout_per_notebook", 1800))
    cell_limit = float(cfg.option("runner.cell_timeout", limit))
    lock_wait = float(cfg.option("runner.lock_wait", 0))

    try:
        chosen = select_notebooks(names, only, from_)
        from wmp_analysis.config import preflight

        preflight(
            cfg
        )  # unknown district/comparator, missing source...: exit 2 before anything runs
    except ConfigError as exc:
        _say(f"wmp-analysis: error: {bounded(exc)}")
        return EXIT_CONFIG
    missing = [n for n in names if not (nb_dir / f"{n}.ipynb").is_file()]
    if missing:
        _say(f"wmp-analysis: error: notebook(s) not found in {nb_dir}: {', '.join(missing)}")
        return EXIT_CONFIG
    if not kernel_available(kernel):
        _say(
            f"wmp-analysis: error: the Jupyter kernel {kernel!r} is not installed. Run `make venv` "
            f"(or `.venv/bin/python -m ipykernel install --sys-prefix --name {kernel}`), "
            "or set runner.kernel in the config to an installed kernel (`jupyter kernelspec list`)."
        )
        return EXIT_CONFIG
    run_id = run_id or default_run_id(cfg, started)
    if not _RUN_ID_RE.match(run_id) or run_id == "latest":
        _say(
            f"wmp-analysis: error: run id {run_id!r} is not a plain folder name (letters, digits, . _ -)"
        )
        return EXIT_CONFIG

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main_thread else None
    if main_thread:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        with run_lock(reports_dir, lock_wait):
            return _run_locked(
                cfg,
                names,
                chosen,
                nb_dir,
                reports_dir,
                run_id,
                started,
                kernel,
                limit,
                cell_limit,
                force,
                only,
                from_,
            )
    except RunLockedError as exc:
        _say(f"wmp-analysis: {exc}")
        return EXIT_LOCKED
    except KeyboardInterrupt:
        stop_children()  # in case the interrupt came from elsewhere than _on_sigint
        print(
            f"wmp-analysis: interrupted (Ctrl-C): run {run_id} stopped, no kernel left running; "
            "reports/latest unchanged",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_INTERRUPTED
    finally:
        if main_thread:
            signal.signal(
                signal.SIGINT, previous if previous is not None else signal.default_int_handler
            )


def _on_sigint(signum, frame) -> None:
    """Ctrl-C during a run: stop the notebook children (and kernels) at once, then unwind.

    A second Ctrl-C while stopping is ignored, so the clean-up is never cut short.
    Raising here (not waiting for the parallel stage) keeps the worker threads from
    waiting on notebooks that would otherwise run on.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_children()
    raise KeyboardInterrupt


def _run_locked(
    cfg,
    names,
    chosen,
    nb_dir,
    reports_dir,
    run_id,
    started,
    kernel,
    limit,
    cell_limit,
    force,
    only,
    from_,
) -> int:
    _clear_stale_staging(reports_dir)
    base_id = run_id
    k = 2
    while any(
        (reports_dir / f"{pre}{run_id}").exists() for pre in ("", STAGING_PREFIX, FAILED_PREFIX)
    ):
        run_id = f"{base_id}-{k}"
        k += 1
    if cfg.sample.get("generate"):
        from wmp_analysis.synth import ensure_sample

        ensure_sample(cfg)

    staging = reports_dir / f"{STAGING_PREFIX}{run_id}"
    staging.mkdir(parents=True)
    try:
        return _run_staged(
            cfg,
            names,
            chosen,
            nb_dir,
            reports_dir,
            run_id,
            started,
            kernel,
            limit,
            cell_limit,
            force,
            only,
            from_,
            staging,
        )
    except BaseException as exc:
        # an unexpected error (bad input found mid-run, Ctrl-C...): keep what was written aside,
        # under a name that is never taken for a complete pack
        if staging.exists():
            kept = f"{FAILED_PREFIX}{run_id}" + (
                "-interrupted" if isinstance(exc, KeyboardInterrupt) else ""
            )
            os.replace(staging, reports_dir / kept)
            _say(f"run {run_id} stopped; partial folder kept as {kept}; reports/latest unchanged")
        raise


def _run_staged(
    cfg,
    names,
    chosen,
    nb_dir,
    reports_dir,
    run_id,
    started,
    kernel,
    limit,
    cell_limit,
    force,
    only,
    from_,
    staging,
) -> int:
    from wmp_analysis.report.pages import pack_is_synthetic

    replace = sorted(
        {
            str(staging),
            str(staging.resolve()),
            _rel(staging, cfg.root),
            os.path.relpath(staging, cfg.root),
        },
        key=len,
        reverse=True,
    )
    latest = _latest_run(reports_dir)
    latest_manifest = _read_manifest(latest)
    if (
        latest is not None
        and (latest_manifest.get("config", {}).get("raw") or {}).get("name") != cfg.name
    ):
        latest, latest_manifest = None, {}  # another config's pack: nothing to copy from it
    config_changed = bool(latest_manifest) and latest_manifest.get("config", {}).get(
        "sha256"
    ) != provenance.sha256_file(cfg.path)
    synthetic = pack_is_synthetic(cfg)
    t_run = time.monotonic()
    results: list[NotebookResult] = []
    fingerprint: str | None = None
    selection = {
        "only": only,
        "from": from_,
        "force": bool(force),
        "notebooks": names,
        "executed": [],
    }

    to_run = list(chosen)
    if any(_is_ingest(n) for n in to_run) and not force:
        current, fingerprint = _ingest_state(cfg)
        if current:
            to_run = [n for n in to_run if not _is_ingest(n)]
    else:
        fingerprint = _ingest_state(cfg)[1] if any(_is_ingest(n) for n in names) else None
    keys = section_keys(cfg, names, nb_dir, fingerprint)
    unchanged: list[str] = []
    if not force and only is None and from_ is None and latest is not None:
        old_keys = latest_manifest.get("section_keys") or {}
        unchanged = [
            n
            for n in to_run
            if not _is_ingest(n) and old_keys.get(n) == keys[n] and _section_files(latest, n)
        ]
        to_run = [n for n in to_run if n not in unchanged]
    selection["executed"] = list(to_run)

    _say(
        f"wmp-analysis run {run_id}: config {_rel(cfg.path, cfg.root)}, kernel {kernel}, "
        f"{len(to_run)} of {len(names)} notebooks to execute"
    )
    if synthetic:  # which inputs are real and which synthetic, in one sentence (as on the index)
        from wmp_analysis.provenance import origin_sentence, source_origins

        _say(f"note: {origin_sentence(source_origins(cfg))}")

    # Sections not executed: copy from latest (or a cached-ingest stub) before running,
    # so that the briefing summary sees a complete pack.
    for name in names:
        if name in to_run:
            continue
        if _is_ingest(name) and name in chosen:
            same = latest is not None and latest_manifest.get("ingest_fingerprint") == fingerprint
            if same and _section_files(latest, name):
                _copy_section(latest, staging, name)
                results.append(
                    NotebookResult(
                        name,
                        "cached",
                        0.0,
                        "ingest inputs unchanged; section from " + latest.name,
                        copied_from=latest.name,
                    )
                )
            else:
                stub = _ingest_stub(cfg, fingerprint)
                executed = staging / "notebooks" / f"{name}.ipynb"
                executed.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(stub, str(executed))
                _export_page(cfg, staging, name, executed, names, synthetic, replace)
                results.append(
                    NotebookResult(name, "cached", 0.0, "ingest inputs unchanged; stub page")
                )
            _say(
                f"notebook {names.index(name) + 1} of {len(names)}: {name} - cached (inputs unchanged)"
            )
        elif name in unchanged:
            _copy_section(latest, staging, name)
            if _is_summary(name) and (latest / "index.html").is_file():
                shutil.copy2(latest / "index.html", staging / "index.html")
            results.append(
                NotebookResult(
                    name,
                    "cached",
                    0.0,
                    "notebook, config, data and code unchanged; section from " + latest.name,
                    copied_from=latest.name,
                )
            )
            _say(
                f"notebook {names.index(name) + 1} of {len(names)}: {name} - cached (unchanged since {latest.name})"
            )
        elif latest is not None and _section_files(latest, name):
            _copy_section(latest, staging, name)
            results.append(
                NotebookResult(
                    name,
                    "copied",
                    0.0,
                    "config file changed since that run" if config_changed else "",
                    copied_from=latest.name,
                )
            )
            _say(
                f"notebook {names.index(name) + 1} of {len(names)}: {name} - copied from {latest.name}"
            )
        else:
            results.append(
                NotebookResult(name, "not produced", 0.0, "not run and no earlier run to copy from")
            )
            _say(f"notebook {names.index(name) + 1} of {len(names)}: {name} - not produced")

    failed: NotebookResult | None = None
    parallel = max(1, int(cfg.option("runner.parallel", 1) or 1))

    def launch(name: str, label: str = "") -> NotebookResult:
        source = nb_dir / f"{name}.ipynb"
        declared = declared_parameters(source)
        offered: dict[str, Any] = {
            "config_path": str(Path(cfg.path).resolve()),
            "output_dir": str((staging / name).resolve()),
            "run_dir": str(staging.resolve()),
        }
        if _is_ingest(name):
            defaults = _parameter_defaults(source)
            for flag in ("force_ingest", "force"):  # a boolean re-ingest switch, if declared
                if isinstance(defaults.get(flag), bool):
                    offered[flag] = bool(force)
        params = {k: v for k, v in offered.items() if k in declared}
        executed = staging / "notebooks" / f"{name}.ipynb"
        return _execute(
            name,
            source,
            executed,
            params,
            kernel=kernel,
            cwd=Path(cfg.root),
            timeout=limit,
            cell_timeout=cell_limit,
            label=label,
        )

    def run_and_export(name: str, label: str = "") -> NotebookResult:
        res = launch(name, label)
        if res.status == "ran":
            executed = staging / "notebooks" / f"{name}.ipynb"
            try:
                _export_page(cfg, staging, name, executed, names, synthetic, replace)
            except Exception as exc:
                res.status, res.message = (
                    "failed",
                    f"HTML export failed: {type(exc).__name__}: {exc}",
                )
        return res

    for stage in execution_stages(to_run, parallel):
        for name in stage:
            together = (
                f" (in parallel with {', '.join(n for n in stage if n != name)})"
                if len(stage) > 1
                else ""
            )
            _say(f"notebook {names.index(name) + 1} of {len(names)}: {name}{together}")
        if len(stage) == 1:
            stage_results = [run_and_export(stage[0])]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(parallel, len(stage))) as pool:
                futures = [pool.submit(run_and_export, name, name) for name in stage]
                stage_results = [f.result() for f in futures]
        for name, res in zip(stage, stage_results):
            results.append(res)
            if res.status != "ran":
                failed = failed or res
            else:
                _say(
                    f"  {name}: done in {res.seconds:.1f} s (elapsed {time.monotonic() - t_run:.1f} s)"
                )
        if failed is not None:
            break

    from wmp_analysis.report.pdf import (
        publish_pdf,  # briefing.pdf, printed in staging: a failed PDF fails the run
    )

    failed = failed or publish_pdf(cfg, staging, names, results)
    order = {n: i for i, n in enumerate(names)}
    results.sort(key=lambda r: order.get(r.name, 99))

    if failed is not None:
        dest = reports_dir / f"{FAILED_PREFIX}{run_id}"
        try:
            _write_manifest(
                cfg,
                staging,
                run_id=run_id,
                status="failed",
                started=started,
                results=results,
                keys=keys,
                selection=selection,
                synthetic=synthetic,
                fingerprint=fingerprint,
            )
        except Exception as exc:
            _say(f"  (could not write the failed run's manifest: {exc})")
        os.replace(staging, dest)
        kept = dest / "notebooks" / f"{failed.name}.ipynb"
        where = ""
        if failed.cell_index is not None or failed.cell_line:
            idx = "?" if failed.cell_index is None else str(failed.cell_index)
            where = f" at cell index {idx} (0-based, in {_rel(nb_dir / (failed.name + '.ipynb'), cfg.root)}): {failed.cell_line!r}"
        _say("")
        _say(_summary_table(results))
        _say("")
        _say(f"RUN FAILED: notebook {failed.name} {failed.status}{where}")
        _say(f"  {failed.message}")
        _say(f"  executed notebook kept: {kept if kept.is_file() else dest}")
        _say(
            f"  reports/latest unchanged ({'points to ' + latest.name if latest else 'no earlier run'})"
        )
        return EXIT_FAILED

    _write_manifest(
        cfg,
        staging,
        run_id=run_id,
        status="complete",
        started=started,
        results=results,
        keys=keys,
        selection=selection,
        synthetic=synthetic,
        fingerprint=fingerprint,
    )
    final = reports_dir / run_id
    os.replace(staging, final)
    provenance.point_symlink_atomically(reports_dir / "latest", final)
    _say("")
    _say(_summary_table(results))
    _say("")
    total = time.monotonic() - t_run
    index = final / "index.html"
    _say(
        f"run {run_id} complete in {total:.1f} s: {final}"
        + (f" (open {index})" if index.is_file() else "")
    )
    _say(f"reports/latest -> {run_id}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover - the per-notebook child process
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.exit(_child_main(sys.argv[2]))
    sys.exit("usage: python -m wmp_analysis.pipeline.runner --child SPEC.json (internal)")
