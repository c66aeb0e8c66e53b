"""Run the notebooks with papermill and assemble the briefing pack: the entry point.

A run executes the suite's notebooks in order (see :mod:`.notebooks`) and writes
everything into a staging folder ``reports/<config>/.staging-<run-id>/``. Only when
every notebook, every HTML page and the manifest have been written is the folder
renamed to ``reports/<config>/<run-id>/``; it becomes ``reports/<config>/latest``
(switched atomically) when every section is present and current. A failed run is
moved to ``reports/<config>/failed-<run-id>/`` with the failed executed notebook, and
``latest`` is left alone.

The steps live in their own modules: :mod:`.notebooks` (the suite, declared once),
:mod:`.plan` (what runs, what is reused), :mod:`.cache` (section keys, reuse),
:mod:`.execute` (the child process, kernel and progress), :mod:`.publish` (export,
manifest, publish) and :mod:`.console` (what is printed); :class:`.run.Run` carries a
run's state between them.

Run folder layout::

    reports/<config>/<run-id>/
      index.html                  headline page (written by 05_briefing_summary)
      <notebook>.html             one page per notebook, no code cells
      <notebook>/tables/*.csv     that notebook's tables
      <notebook>/figures/*.png|svg
      notebooks/<notebook>.ipynb  the executed notebooks (the run's log)
      manifest.json               config, versions, input/output sha256, timings

Exit codes: 0 success; 1 the run failed; 2 bad configuration or set-up (unknown
notebook name, missing kernel); 3 another run holds the lock; 130 Ctrl-C.
"""

from __future__ import annotations

import datetime as _dt
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wmp_analysis.errors import ConfigError, bounded
from wmp_analysis.locks import exclusive_lock
from wmp_analysis.pipeline.cache import code_fingerprint, load_latest, reuse_sections, section_keys
from wmp_analysis.pipeline.console import rel, say
from wmp_analysis.pipeline.execute import child_main, execute, stop_children
from wmp_analysis.pipeline.notebooks import (
    DEFAULT_NOTEBOOKS,
    boolean_parameters,
    declared_parameters,
    default_notebooks_dir,
    is_ingest,
    missing_notebooks,
)
from wmp_analysis.pipeline.plan import execution_stages, plan_run, select_notebooks
from wmp_analysis.pipeline.publish import (
    clear_stale_staging,
    open_staging,
    publish_failed,
    publish_pack,
)
from wmp_analysis.pipeline.run import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    FAILED_PREFIX,
    NotebookResult,
    Options,
    Run,
    plain_folder_name,
    utc_now,
)

__all__ = [
    "DEFAULT_NOTEBOOKS",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "ConfigError",
    "NotebookResult",
    "RunLockedError",
    "code_fingerprint",
    "declared_parameters",
    "default_run_id",
    "execution_stages",
    "kernel_available",
    "run_lock",
    "run_suite",
    "section_keys",
    "select_notebooks",
]

LOCK_NAME = ".run.lock"


class RunLockedError(RuntimeError):
    """Another run holds ``reports/.run.lock``."""


def default_run_id(cfg, now: _dt.datetime | None = None) -> str:
    """``<config name>-<UTC timestamp>``, e.g. ``sample-20260101T120000Z``."""
    now = now or utc_now()
    return f"{cfg.name}-{now:%Y%m%dT%H%M%SZ}"


def kernel_available(name: str) -> bool:
    """True if a Jupyter kernel spec called *name* is installed."""
    from jupyter_client.kernelspec import KernelSpecManager

    return name in KernelSpecManager().find_kernel_specs()


@contextmanager
def run_lock(reports_dir: str | Path, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold ``<reports_dir>/.run.lock`` for the duration of a run (every configuration).

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

    def refuse(path: Path, holder: str) -> RunLockedError:
        return RunLockedError(
            f"another wmp-analysis run holds the lock {path}"
            + (f" ({holder})" if holder else "")
            + "; wait for it to finish (or set runner.lock_wait in the config to wait)"
        )

    with exclusive_lock(Path(reports_dir) / LOCK_NAME, wait_seconds, refuse, 0.2) as path:
        yield path


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
        run, default 0 = refuse), ``runner.parallel``, ``sample.generate``.
    only, from_ : str, optional
        Re-run one notebook, or a notebook and those after it (plus the briefing
        summary). Other sections are copied from ``reports/<config>/latest``; a run
        with a section not present or not current is kept as a partial run folder
        and does not become ``latest``.
    force : bool
        Run every notebook, ingest included, even if its inputs are unchanged.
    run_id : str, optional
        Run folder name; default ``<config name>-<UTC timestamp>``.
    notebooks : sequence of str, optional
        Notebook stems in order (default :data:`DEFAULT_NOTEBOOKS`).
    notebooks_dir : path, optional
        Folder holding them (default the project's ``notebooks/``).

    Returns
    -------
    int
        0 success, 1 run failed, 2 configuration/set-up error, 3 locked, 130 Ctrl-C.
    """
    started = utc_now()
    names = list(notebooks or DEFAULT_NOTEBOOKS)
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir(cfg.root)
    options = Options.from_config(cfg, only=only, from_=from_, force=force)
    run_id = run_id or default_run_id(cfg, started)
    chosen = _check(cfg, names, nb_dir, options, run_id)
    if chosen is None:
        return EXIT_CONFIG
    run = Run(cfg, run_id, names, chosen, nb_dir, Path(cfg.reports_dir), started, options)

    _INTERRUPTED.clear()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main_thread else None
    if main_thread:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        with run_lock(run.reports_dir, options.lock_wait):
            return _run_locked(run)
    except RunLockedError as exc:
        say(f"wmp-analysis: {exc}")
        return EXIT_LOCKED
    except BaseException as exc:
        if not _interrupted(exc):
            raise
        stop_children()  # in case the interrupt came from elsewhere than _on_sigint
        print(
            f"wmp-analysis: interrupted (Ctrl-C): run {run.run_id} stopped, no kernel left "
            f"running; {run.latest_label} unchanged",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_INTERRUPTED
    finally:
        if main_thread:
            signal.signal(
                signal.SIGINT, previous if previous is not None else signal.default_int_handler
            )


def _check(cfg, names: list[str], nb_dir: Path, options: Options, run_id: str) -> list | None:
    """The notebooks chosen, or ``None`` after printing why the run cannot start (exit 2)."""
    try:
        chosen = select_notebooks(names, options.only, options.from_)
        from wmp_analysis.config import preflight

        preflight(
            cfg
        )  # unknown district/comparator, missing source...: exit 2 before anything runs
    except ConfigError as exc:
        say(f"wmp-analysis: error: {bounded(exc)}")
        return None
    missing = missing_notebooks(names, nb_dir)
    if missing:
        say(f"wmp-analysis: error: notebook(s) not found in {nb_dir}: {', '.join(missing)}")
        return None
    kernel = options.kernel
    if not kernel_available(kernel):
        say(
            f"wmp-analysis: error: the Jupyter kernel {kernel!r} is not installed. Run `make venv` "
            f"(or `.venv/bin/python -m ipykernel install --sys-prefix --name {kernel}`), "
            "or set runner.kernel in the config to an installed kernel (`jupyter kernelspec list`)."
        )
        return None
    for what, value in (("run id", run_id), ("config name", str(cfg.name))):
        if not plain_folder_name(value):
            say(
                f"wmp-analysis: error: {what} {value!r} is not a plain folder name "
                "(letters, digits, . _ -)"
            )
            return None
    return chosen


#: Set by :func:`_on_sigint`: the run was stopped with Ctrl-C.
_INTERRUPTED = threading.Event()


def _interrupted(exc: BaseException) -> bool:
    """True if *exc* ends the run because of Ctrl-C.

    A KeyboardInterrupt, or any error raised after Ctrl-C: an interrupt that lands while a
    C extension module is being imported surfaces as ``ImportError: initialization
    failed``, not as a KeyboardInterrupt, and must still end the run as stopped (exit 130,
    one line, the partial folder named ``-interrupted``), not with a traceback.
    """
    return isinstance(exc, KeyboardInterrupt) or _INTERRUPTED.is_set()


def _on_sigint(signum, frame) -> None:
    """Ctrl-C during a run: stop the notebook children (and kernels) at once, then unwind.

    A second Ctrl-C while stopping is ignored, so the clean-up is never cut short.
    Raising here (not waiting for the parallel stage) keeps the worker threads from
    waiting on notebooks that would otherwise run on.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _INTERRUPTED.set()
    stop_children()
    raise KeyboardInterrupt


def _run_locked(run: Run) -> int:
    """The run, lock held: staging, plan, reuse, execute, publish."""
    from wmp_analysis.pipeline.warm import WarmPool

    clear_stale_staging(run.reports_dir)
    # the first notebooks' kernels start (one at a time) while the sample is generated
    order = [n for stage in execution_stages(run.chosen, run.options.parallel) for n in stage]
    run.warm = WarmPool(order, run.options.kernel, run.cfg.root, run.options.warm)
    try:
        return _run_locked_warm(run)
    finally:
        run.warm.close()


def _run_locked_warm(run: Run) -> int:
    if run.cfg.sample.get("generate"):
        from wmp_analysis.synth import ensure_sample

        ensure_sample(run.cfg)
    open_staging(run)
    try:
        return _run_staged(run)
    except BaseException as exc:
        # an unexpected error (bad input found mid-run, Ctrl-C...): keep what was written aside,
        # under a name that is never taken for a complete pack
        if run.staging.exists():
            kept = f"{FAILED_PREFIX}{run.run_id}" + ("-interrupted" if _interrupted(exc) else "")
            os.replace(run.staging, run.pack_dir / kept)
            say(
                f"run {run.run_id} stopped; partial folder kept as {kept}; {run.latest_label} unchanged"
            )
        raise


def _run_staged(run: Run) -> int:
    from wmp_analysis.report.pages import pack_is_synthetic

    load_latest(run)
    run.synthetic = pack_is_synthetic(run.cfg)
    run.t_run = time.monotonic()
    plan_run(run)
    if run.warm is not None:  # a section reused from the last pack needs no kernel
        run.warm.keep(run.to_run)
    from wmp_analysis.pipeline.console import run_header

    run_header(run, rel(run.cfg.path, run.cfg.root))
    if (
        run.synthetic
    ):  # which inputs are real and which synthetic, in one sentence (as on the index)
        from wmp_analysis.provenance import origin_sentence, source_origins

        say(f"note: {origin_sentence(source_origins(run.cfg))}")
    # sections not executed are copied first, so that the briefing summary sees a complete pack
    reuse_sections(run)
    failed = _run_stages(run) or _print_pdf(run)
    order = {n: i for i, n in enumerate(run.names)}
    run.results.sort(key=lambda r: order.get(r.name, 99))
    if failed is not None:
        return publish_failed(run, failed)
    return publish_pack(run)


def _parameters(run: Run, name: str, source: Path) -> dict[str, Any]:
    """The parameters offered to notebook *name*, limited to those it declares."""
    offered: dict[str, Any] = {
        "config_path": str(Path(run.cfg.path).resolve()),
        "output_dir": str((run.staging / name).resolve()),
        "run_dir": str(run.staging.resolve()),
    }
    if is_ingest(name):
        flags = boolean_parameters(source)
        for flag in ("force_ingest", "force"):  # a boolean re-ingest switch, if declared
            if flag in flags:
                offered[flag] = bool(run.options.force)
    declared = declared_parameters(source)
    return {k: v for k, v in offered.items() if k in declared}


def _run_and_export(run: Run, name: str, label: str = "") -> NotebookResult:
    """Execute notebook *name* into the staging folder and export its page."""
    from wmp_analysis.pipeline.publish import export_page

    source = run.nb_dir / f"{name}.ipynb"
    executed = run.executed_path(name)
    o = run.options
    res = execute(
        name,
        source,
        executed,
        _parameters(run, name, source),
        kernel=o.kernel,
        cwd=Path(run.cfg.root),
        timeout=o.limit,
        cell_timeout=o.cell_limit,
        label=label,
        warm=run.warm.take(name) if run.warm is not None else None,
    )
    if res.status == "ran":
        try:
            export_page(run, name, executed)
        except Exception as exc:
            res.status = "failed"
            res.message = f"HTML export failed: {type(exc).__name__}: {exc}"
    return res


def _run_stages(run: Run) -> NotebookResult | None:
    """Execute ``run.to_run`` stage by stage (see :func:`execution_stages`); the first failure."""
    failed = None
    parallel = run.options.parallel
    for stage in execution_stages(run.to_run, parallel):
        for name in stage:
            others = ", ".join(n for n in stage if n != name)
            say(run.position(name) + (f" (in parallel with {others})" if len(stage) > 1 else ""))
        if len(stage) == 1:
            stage_results = [_run_and_export(run, stage[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(parallel, len(stage))) as pool:
                futures = [pool.submit(_run_and_export, run, name, name) for name in stage]
                stage_results = [f.result() for f in futures]
        for name, res in zip(stage, stage_results):
            run.results.append(res)
            if res.status != "ran":
                failed = failed or res
            else:
                elapsed = time.monotonic() - run.t_run
                say(f"  {name}: done in {res.seconds:.1f} s (elapsed {elapsed:.1f} s)")
        if failed is not None:
            return failed
    return None


def _print_pdf(run: Run) -> NotebookResult | None:
    """briefing.pdf, printed in staging: a failed PDF fails the run like a failed notebook."""
    from wmp_analysis.report.pdf import publish_pdf

    outcome = publish_pdf(run.cfg, run.staging, run.names, [])
    if outcome is None:
        return None
    res = NotebookResult(outcome.name, outcome.status, outcome.seconds, outcome.message)
    run.results.append(res)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wmp_analysis.pipeline.runner --child SPEC.json`` (the per-notebook child).

    ``--warm KERNEL CWD PID``: a child started ahead of its notebook's turn
    (:mod:`wmp_analysis.pipeline.warm`).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] == "--child":
        return child_main(argv[1])
    if len(argv) == 4 and argv[0] == "--warm":
        from wmp_analysis.pipeline.warm import warm_main

        return warm_main(argv[1], argv[2], int(argv[3]))
    sys.exit(
        "usage: python -m wmp_analysis.pipeline.runner --child SPEC.json | --warm KERNEL CWD PID"
        " (internal)"
    )


if __name__ == "__main__":  # pragma: no cover - the per-notebook child process
    sys.exit(main())
