"""Execute one notebook in a child process: kernel, time limits, progress, stopping.

Each notebook runs in a child process (``python -m wmp_analysis.pipeline.runner --child``)
in its own process group, so a whole-notebook time limit can be enforced by killing
it, a dead kernel ends the run with a message rather than a hang, and a runner killed
mid-way takes its child and kernel with it.

The per-cell progress lines come from a papermill engine registered under
:data:`ENGINE_NAME` (papermill's documented extension point): it wraps the
``cell_start`` hook of the run's own ``NotebookExecutionManager`` instance, so
papermill's classes are left as they are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nbformat

from wmp_analysis.errors import bounded
from wmp_analysis.pipeline.console import say
from wmp_analysis.pipeline.run import NotebookResult
from wmp_analysis.processes import kill_group

#: Stopped by Ctrl-C (SIGINT): 128 + the signal number, as a shell reports it.
EXIT_INTERRUPTED = 130
#: The papermill engine that reports each code cell as it starts.
ENGINE_NAME = "wmp-progress"

#: Kernel log lines not worth showing on the console.
_NOISE = ("Kernel is running over TCP without encryption",)

#: Notebook child processes running now (pid -> Popen), so that Ctrl-C can stop them all.
_LIVE: dict[int, subprocess.Popen] = {}
_LIVE_LOCK = threading.Lock()


# --------------------------------------------------------------------------- stopping children
def descendants(pid: int) -> list:
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
    below = [d for p in procs for d in descendants(p.pid)]
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


#: The child's progress file (set by :func:`child_main`): it exists once a cell has started.
_PROGRESS: Path | None = None


def _child_sigterm(signum, frame) -> None:  # pragma: no cover - runs in the child process
    """SIGTERM in a notebook child: interrupt, kill and reap the kernel, then exit 130.

    The kernel is interrupted first only when a cell has started (its progress file is
    written): a KeyboardInterrupt lets that cell's own clean-up run. A kernel still
    starting has nothing to clean up, and interrupting it mid-import would only print a
    traceback on the console: it is killed at once.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kids = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    if _PROGRESS is not None and _PROGRESS.is_file():
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


# --------------------------------------------------------------------------- the papermill engine
def register_progress_engine() -> None:
    """Register :data:`ENGINE_NAME`: nbclient execution that reports each code cell as it starts.

    ``progress_file`` (passed through ``execute_notebook``'s engine keyword arguments)
    receives the id and index of the cell last started, so that a killed or timed-out
    notebook can name the cell it was in.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            progress = Path(kwargs.pop("progress_file"))
            t0 = time.monotonic()
            cell_start = (
                nb_man.cell_start
            )  # this run's manager only: papermill's class is untouched

            def reporting_cell_start(cell, cell_index=None, **kw):
                if cell.cell_type == "code":
                    progress.write_text(
                        json.dumps({"id": cell.get("id"), "index": cell_index}), encoding="utf-8"
                    )
                    first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
                    print(
                        f"    [{time.monotonic() - t0:7.1f}s] cell {cell_index + 1}/"
                        f"{len(nb_man.nb.cells)}: {first[:70]}",
                        flush=True,
                    )
                return cell_start(cell, cell_index=cell_index, **kw)

            nb_man.cell_start = reporting_cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ProgressEngine)


def ipc_kernel_manager_class():
    """A kernel manager whose kernel talks over Unix sockets in a private temporary folder.

    With TCP (jupyter_client's default) the manager picks free ports and the kernel binds
    them a moment later; kernels of notebooks that start at the same time (the runner runs
    several at once, the tests several runs) can be handed the same port in between - seen
    as ``zmq.error.ZMQError: Address already in use`` in a kernel's heartbeat thread. Unix
    sockets under a folder of this kernel's own cannot collide. The folder is removed
    with the kernel.
    """
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            self._ipc_dir = tempfile.mkdtemp(prefix="wmp-kernel-")
            return os.path.join(self._ipc_dir, "k")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart and getattr(self, "_ipc_dir", None):
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return IpcKernelManager


# --------------------------------------------------------------------------- child process
_GUARDED = False


def guard_child(parent: int) -> None:  # pragma: no cover - runs in the child process
    """In a notebook child: die with the runner (*parent*), and stop the kernel on SIGTERM."""
    global _GUARDED
    if _GUARDED:
        return
    _GUARDED = True

    def watchdog() -> None:  # die with the runner: never leave an orphan writing files
        while True:
            if os.getppid() != parent:
                os._exit(70)
            time.sleep(0.5)

    threading.Thread(target=watchdog, daemon=True).start()
    signal.signal(signal.SIGTERM, _child_sigterm)  # the runner's Ctrl-C: stop the kernel, then exit


def child_main(spec_path: str, km=None) -> int:
    """Entry point of the per-notebook child process (see :func:`execute`).

    *km* is a kernel manager whose kernel is already running (a warm child, see
    :mod:`wmp_analysis.pipeline.warm`); papermill is handed it as the manager it creates,
    so it skips starting a kernel and shuts this one down at the end as its own. Without
    it papermill starts the notebook's kernel itself.
    """
    global _PROGRESS
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    _PROGRESS = Path(spec["progress"])
    guard_child(spec["parent_pid"])

    import logging

    logging.basicConfig(
        level=logging.WARNING, format="    %(name)s: %(message)s", stream=sys.stdout
    )
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    register_progress_engine()
    result: dict[str, Any] = {"status": "ok"}
    if km is None:
        manager_class = ipc_kernel_manager_class()
    else:  # papermill "creates" the running kernel's manager, owns it and stops it as usual
        from wmp_analysis.pipeline.warm import lent_manager_class

        manager_class = lent_manager_class(km)
    try:
        pm.execute_notebook(
            spec["input"],
            spec["output"],
            parameters=spec["parameters"],
            engine_name=ENGINE_NAME,
            kernel_name=spec["kernel"],
            cwd=spec["cwd"],
            execution_timeout=spec["cell_timeout"],
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
            progress_file=spec["progress"],
            kernel_manager_class=manager_class,
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
    finally:
        if km is not None:  # stopped by papermill; here only if it failed before it got the kernel
            from wmp_analysis.pipeline.warm import shutdown

            shutdown(km)
    tmp = spec["result"] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, spec["result"])
    return 0


def failing_cell(
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
    bad = next((c for c in nb.cells if _has_error(c)), None)
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


def _has_error(cell) -> bool:
    return cell.cell_type == "code" and bool(
        cell.get("metadata", {}).get("papermill", {}).get("exception")
        or any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    )


def spawn_child(
    argv: list[str], cwd: Path | str, env_extra: dict[str, str] | None, stdin=subprocess.DEVNULL
) -> subprocess.Popen:
    """``python -m wmp_analysis.pipeline.runner <argv>`` in its own process group, tracked in _LIVE."""
    env = dict(os.environ)
    env.update(
        {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0", "TZ": "UTC", "PYTHONUNBUFFERED": "1"}
    )
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "wmp_analysis.pipeline.runner", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=stdin,
        start_new_session=True,
        env=env,
        cwd=str(cwd),
    )
    with _LIVE_LOCK:
        _LIVE[proc.pid] = proc
    return proc


def forget(proc: subprocess.Popen) -> None:
    """Stop tracking a finished child (see :data:`_LIVE`)."""
    with _LIVE_LOCK:
        _LIVE.pop(proc.pid, None)


def relay(proc: subprocess.Popen, label, ready: threading.Event | None = None, marker: str = ""):
    """Copy the child's output to the console; a thread.

    *label* (a string, or a function returning one when the line is printed) prefixes the
    child's lines (used when notebooks run in parallel). A line equal to *marker* is not
    printed: it sets *ready*.
    """
    label_of = label if callable(label) else (lambda: label)

    def copy() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if marker and line == marker:
                if ready is not None:
                    ready.set()
                continue
            if not any(noise in line for noise in _NOISE):
                lbl = label_of()
                say(f"  [{lbl}]{line}" if lbl else line)

    reader = threading.Thread(target=copy, daemon=True)
    reader.start()
    return reader


def _wait(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait for the child; kill its process group if still running. True if it timed out."""
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        kill_group(proc)
        forget(proc)
    return timed_out


def execute(
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
    warm=None,
) -> NotebookResult:
    """Execute one notebook in a child process group with a whole-notebook time limit.

    *timeout* and *cell_timeout* are in seconds; *label* prefixes the child's console
    lines (used when notebooks run in parallel). *warm* is a waiting child with its
    kernel started (:class:`wmp_analysis.pipeline.warm.WarmChild`); when it has gone, or
    its kernel, working folder or environment is not this notebook's, it is dismissed and a child is
    started here as without it.
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
        t0 = time.monotonic()
        if (
            warm is not None
            and warm.fits(kernel, cwd, env_extra)
            and warm.go(str(spec_path), label)
        ):
            proc, reader = warm.proc, warm.reader
        else:
            if warm is not None:
                warm.dismiss(wait=1.0)
            proc = spawn_child(["--child", str(spec_path)], cwd, env_extra)
            reader = relay(proc, label)
        timed_out = _wait(proc, timeout)
        reader.join(timeout=5)
        seconds = time.monotonic() - t0
        res_path = Path(spec["result"])
        result = json.loads(res_path.read_text(encoding="utf-8")) if res_path.is_file() else None
        try:
            last = json.loads(Path(spec["progress"]).read_text(encoding="utf-8")).get("id")
        except (OSError, ValueError):
            last = None
    return _outcome(
        name, source, output, result, timed_out, proc.returncode, seconds, timeout, last
    )


def _outcome(name, source, output, result, timed_out, returncode, seconds, timeout, last):
    """The :class:`NotebookResult` of a finished child (see :func:`execute`)."""
    if timed_out:
        msg = f"time limit of {timeout:g} s for the whole notebook (runner.timeout_per_notebook) exceeded"
        idx, line = failing_cell(output, source, last, {"ename": "NotebookTimeout", "evalue": msg})
        return NotebookResult(name, "timeout", seconds, msg, idx, line)
    if result is None:
        msg = f"the notebook process ended unexpectedly (exit code {returncode})"
        idx, line = failing_cell(output, source, last, {"ename": "RunnerError", "evalue": msg})
        return NotebookResult(name, "failed", seconds, msg, idx, line)
    if result["status"] == "ok":
        return NotebookResult(name, "ran", seconds)
    if result["status"] == "dead kernel":
        msg = "the kernel died (killed, crashed or out of memory) while running this cell"
    else:  # a 50 MB value stays off the console
        msg = bounded(f"{result.get('ename')}: {result.get('evalue')}".strip())
    idx, line = failing_cell(
        output, source, last, {"ename": str(result.get("ename")), "evalue": msg}
    )
    return NotebookResult(name, result["status"], seconds, msg, idx, line)
