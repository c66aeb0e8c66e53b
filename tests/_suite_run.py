"""Whole-pack runs for the tests, started in the background as soon as the tests are collected.

The tests that read whole packs (the sample pack, every config of ``configs/``, the drop-one-source
variants, three other forces) wait for runs of the real command, ``wmp-analysis run --config ...``,
each in its own temporary project. Those runs do not depend on any other test, so
``conftest.pytest_collection_finish`` starts every run the collected tests need (:func:`prefetch`)
in a pool of two (:data:`WORKERS`, a 2-core machine) while the other tests go on, and
``conftest.pytest_collection_modifyitems`` puts the modules that read packs last. The runs are
niced (:data:`NICE`), so the tests running meanwhile (some of them with time limits) keep their
CPU; a test that needs a run waits for it (:func:`wait`). What each test asserts is unchanged: it
reads the same files of the same real runs.

A module asks for runs with a module-level ``PREFETCH``: ``{fixture name: [start functions]}``;
each start function takes the session's ``tmp_path_factory`` and starts its runs with
:func:`background` (idempotent: a run is started once per session, by the prefetch or by the
fixture itself when the tests were run another way).

The sample pack (:func:`sample_pack`): the real notebook suite run twice at scale 0.02 (the second
with ``--force``; only ``test_reproducible`` and ``test_configs_end_to_end`` wait for it), shared by ``test_reproducible.py`` (the two runs compared byte for byte),
``test_browser.py`` (renders the first run's pack), ``test_default_pack.py``, ``test_pdf.py``,
``test_suppression.py`` and ``test_configs_end_to_end.py``. Its config is a copy of
``configs/sample.yaml`` at scale 0.02 with its own sample, processed and report folders under a
temporary directory, and a hostile title (script and onerror payloads) that must reach every page
escaped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOSTILE_TITLE = (
    'Sample pack <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
)
FIRST, SECOND = "rp-run-one", "rp-run-two"  # distinctive: must not appear in any page
EXE = Path(sys.executable).with_name("wmp-analysis")
#: Pack runs at the same time (the CI machine has 2 cores; each run has up to 2 notebooks at once).
WORKERS = 2
#: Niceness of the background runs: the tests running meanwhile (time limits) come first.
NICE = 10
#: A run still going after this many seconds is killed (the test fails instead of hanging).
RUN_LIMIT = 1500

_LOCK = threading.RLock()
_POOL: ThreadPoolExecutor | None = None
_JOBS: dict[str, Future] = {}
_ONCE: dict[str, Any] = {}
_LIVE: dict[int, subprocess.Popen] = {}
_CLOSED = False  # set by shutdown(): no run starts after it
#: Where the runs' Python processes (runner, notebook children, kernels) keep compiled bytecode,
#: set by :func:`prefetch` (below the session's temporary folder). The environment may say
#: ``PYTHONDONTWRITEBYTECODE`` (as this one does): each of a run's ~13 processes would then compile
#: the package afresh, ~0.3 CPU s each. Bytecode is a cache: what the runs compute is the same.
_PYCACHE: Path | None = None


# --------------------------------------------------------------------------- the pool
def background(key: str, fn: Callable[[], Any]) -> Future:
    """Start ``fn()`` in the pool under *key* (once per session); its future."""
    global _POOL
    with _LOCK:
        if key not in _JOBS:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pack")
            _JOBS[key] = _POOL.submit(fn)
        return _JOBS[key]


def wait(key: str, fn: Callable[[], Any]) -> Any:
    """The result of the job *key*, started now if nothing started it before."""
    return background(key, fn).result()


def once(key: str, fn: Callable[[], Any]) -> Any:
    """``fn()`` called once per session (in the caller's thread), its result kept under *key*."""
    with _LOCK:
        if key not in _ONCE:
            _ONCE[key] = fn()
        return _ONCE[key]


def prefetch(items, tmp_path_factory) -> None:
    """Start, in the order of *items*, every run a collected test's module asks for in ``PREFETCH``."""
    global _PYCACHE
    _PYCACHE = tmp_path_factory.getbasetemp() / "pycache"  # made once, here: not by two threads
    started: set[int] = set()
    for item in items:
        wanted = getattr(getattr(item, "module", None), "PREFETCH", None) or {}
        for fixture, starters in wanted.items():
            if fixture in getattr(item, "fixturenames", ()):
                for start in starters:
                    if id(start) not in started:
                        started.add(id(start))
                        start(tmp_path_factory)


def wants_runs(item) -> bool:
    """Does *item*'s module ask for background runs (``PREFETCH``)?"""
    return bool(getattr(getattr(item, "module", None), "PREFETCH", None))


def shutdown() -> None:
    """End of the session: drop runs not started; stop any still running (an interrupted or
    failed session): SIGINT (the runner stops its notebooks and kernels), then SIGKILL for the
    run and everything below it."""
    global _CLOSED
    with _LOCK:
        _CLOSED = True
        pool, live = _POOL, list(_LIVE.values())
    if pool is None:
        return
    pool.shutdown(wait=False, cancel_futures=True)
    for p in live:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    end = time.monotonic() + 60
    for p in live:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            import psutil  # comes with ipykernel

            try:
                below = psutil.Process(p.pid).children(recursive=True)
            except psutil.Error:
                below = []
            for q in [p, *below]:
                try:
                    q.kill()
                except (psutil.Error, OSError):
                    pass


@dataclass
class CliRun:
    rc: int
    out: str
    seconds: float  # wall
    cpu: float  # user + system of the run's whole process tree (kernels included)
    started: float  # time.monotonic() at start
    ended: float


def run_cli(args: list[str], cwd: Path, log: Path) -> CliRun:
    """``wmp-analysis ARGS`` in *cwd*, niced, output to *log*; exit code, output, wall and CPU.

    CPU seconds come from ``wait4``, which counts every descendant the run reaped (its
    notebook children, and theirs: the kernels).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if _PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    t0 = time.monotonic()
    with log.open("w", encoding="utf-8") as out, _LOCK:
        if _CLOSED:
            raise RuntimeError("the test session ended before this run started")
        p = subprocess.Popen(
            ["nice", "-n", str(NICE), str(EXE), *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        _LIVE[p.pid] = p
    guard = threading.Timer(RUN_LIMIT, p.kill)  # a hung run fails its test instead of hanging
    guard.start()
    try:
        _, status, usage = os.wait4(p.pid, 0)
    finally:
        guard.cancel()
        with _LOCK:
            _LIVE.pop(p.pid, None)
    p.returncode = os.waitstatus_to_exitcode(status)
    t1 = time.monotonic()
    return CliRun(
        rc=p.returncode,
        out=log.read_text(encoding="utf-8", errors="replace"),
        seconds=t1 - t0,
        cpu=usage.ru_utime + usage.ru_stime,
        started=t0,
        ended=t1,
    )


# --------------------------------------------------------------------------- the sample pack
def write_small_config(folder: Path, *, title: str = HOSTILE_TITLE, scale: float = 0.02) -> Path:
    """A copy of configs/sample.yaml whose relative paths resolve inside *folder*."""
    raw = yaml.safe_load((PROJECT_ROOT / "configs" / "sample.yaml").read_text(encoding="utf-8"))
    raw["title"] = title
    raw.setdefault("sample", {})["scale"] = scale
    for key, value in (
        raw.get("sources") or {}
    ).items():  # the project's real public files stay where they are
        if isinstance(value, str) and value.startswith("data/raw/public/"):
            raw["sources"][key] = str(PROJECT_ROOT / value)
    raw["processed_dir"] = "processed/sample"
    raw["reports_dir"] = "reports"
    _no_browser_no_pdf()
    path = folder / "sample-small.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _no_browser_no_pdf() -> None:
    """No browser outside CI: every pack of the session without briefing.pdf (``WMP_PDF=0``;
    test_pdf skips, saying why). Set before any run starts, so that every run sees it."""
    from wmp_analysis.report.pdf import find_chromium

    if find_chromium() is None and not os.environ.get("CI"):
        os.environ["WMP_PDF"] = "0"


def suite_problem() -> str | None:
    """Why the notebook suite cannot run here (notebooks or kernel missing), or None."""
    from wmp_analysis.pipeline.runner import DEFAULT_NOTEBOOKS, kernel_available

    missing = [
        n for n in DEFAULT_NOTEBOOKS if not (PROJECT_ROOT / "notebooks" / f"{n}.ipynb").is_file()
    ]
    if missing:
        return f"suite notebooks missing from notebooks/: {missing}"
    if not kernel_available("wmp-analysis"):
        return "Jupyter kernel 'wmp-analysis' is not installed (run `make venv`)"
    return None


def require_suite() -> None:
    problem = suite_problem()
    if problem:
        pytest.fail(problem)


def _sample_runs(folder: Path, first_done: Future) -> tuple[Path, CliRun, CliRun | None]:
    """The sample suite twice in *folder*, the second with ``--force`` (the first run is then its
    ``latest``); *first_done* gets the first run as soon as it ends."""
    try:
        cfg_path = write_small_config(folder)
        first = run_cli(
            ["run", "--config", str(cfg_path), "--run-id", FIRST], folder, folder / "run-1.log"
        )
    except BaseException as exc:
        first_done.set_exception(exc)
        raise
    first_done.set_result((cfg_path, first))
    second = None
    if first.rc == 0:
        args = ["run", "--config", str(cfg_path), "--run-id", SECOND, "--force"]
        second = run_cli(args, folder, folder / "run-2.log")
    return cfg_path, first, second


def start_sample_pack(tmp_path_factory) -> tuple[Future, Future] | None:
    """Start the sample pack's runs in the background: (first run's future, both runs' future);
    nothing when the suite cannot run."""
    if suite_problem():
        return None  # the tests that need it fail (or skip) saying why
    _no_browser_no_pdf()
    folder = once("sample-pack-folder", lambda: tmp_path_factory.mktemp("suite"))
    first_done = once("sample-pack-first", Future)
    both = background("sample-pack", lambda: _sample_runs(folder, first_done))
    return first_done, both


def sample_pack(tmp_path_factory, *, second: bool = True) -> dict:
    """The sample pack's runs (started now if :func:`prefetch` did not start them).

    Returns a dict: ``reports`` (folder), ``rc`` (both exit codes; the second None when it was
    not asked for or the first failed), ``log`` (console output of the runs), ``first``/``second``
    (run folders), ``config`` (path). *second*: wait for the second run too (``--force``).
    """
    require_suite()
    first_done, both = start_sample_pack(tmp_path_factory)
    cfg_path, first = first_done.result()
    run2 = both.result()[2] if second else None
    name = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))["name"]
    reports = cfg_path.parent / "reports"
    return {
        "reports": reports,
        "rc": (first.rc, run2.rc if run2 else None),
        "log": first.out + (run2.out if run2 else ""),
        "first": reports / name / FIRST,
        "second": reports / name / SECOND,
        "config": cfg_path,
    }
