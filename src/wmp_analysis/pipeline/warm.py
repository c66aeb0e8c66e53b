"""Notebook children started ahead of their turn, with their kernels running and warmed.

Before a notebook's first cell can run, its child process imports papermill, starts a
kernel and the kernel imports pandas, matplotlib, scipy, statsmodels and the package:
about three seconds of CPU for each notebook, paid again by every notebook of a run.
While the sample is generated and the ingest runs, one core is mostly idle, so the
runner starts the next notebooks' children then (:class:`WarmPool`), one at a time.
A warm child (``python -m wmp_analysis.pipeline.runner --warm KERNEL CWD PARENT``):

1. starts its kernel in the run's working folder (the kernel the notebook would get:
   same kernel spec, environment, ``cwd`` and in-memory IPython history);
2. imports :data:`WARM_MODULES` in the kernel silently (``silent=True``,
   ``store_history=False``: no execution count is used, nothing is printed, and no name
   is bound in the notebook's namespace: a notebook that forgets an import still fails);
3. prints :data:`READY` and waits for one line on its standard input: the path of a
   notebook spec (:func:`wmp_analysis.pipeline.execute.child_main`), which it then runs
   in that kernel exactly as a cold child would; an empty line or end of input (the
   notebook is not needed: reused from the last pack, or the run stopped) shuts the
   kernel down and exits.

A warm-up that fails (a kernel that does not start, a module that does not import)
leaves nothing half-done: the child drops its kernel and the notebook starts its own,
so the error is reported the usual way, in the notebook. The notebook's time limit
(``runner.timeout_per_notebook``) counts from the moment its spec is sent; the seconds
reported for a notebook therefore leave out the warm-up done before its turn.
``runner.warm_kernels: 0`` turns this off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

#: The line a warm child prints when its kernel is warm (never shown on the console).
READY = "wmp-analysis-warm-kernel-ready"

#: Modules every section imports (directly or through the package), imported in a warm kernel.
WARM_MODULES = (
    "numpy",
    "pandas",
    "matplotlib.pyplot",
    "scipy.stats",
    "statsmodels.stats.rates",
    "wmp_analysis.report.section",
    "wmp_analysis.analysis.compare",
)

#: Seconds a warm child may take to be ready before the pool stops waiting for it.
READY_WAIT = 120.0


def warm_code(modules: Sequence[str] = WARM_MODULES) -> str:
    """The code a warm kernel runs: imports *modules*, binding no name in the user namespace."""
    names = ", ".join(repr(m) for m in modules)
    return f"[__import__('importlib').import_module(_m) for _m in ({names},)]"


async def _start_and_warm(km, cwd: str, code: str) -> None:
    """Start *km*'s kernel in *cwd* and run *code* in it silently; raise if it fails."""
    await km.start_kernel(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive(
            code,
            silent=True,
            store_history=False,
            allow_stdin=False,
            timeout=READY_WAIT,
            output_hook=lambda msg: None,
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"warm-up imports failed: {reply['content'].get('ename')}")
    finally:
        kc.stop_channels()


def lent_manager_class(km) -> type:
    """A kernel manager class whose construction returns *km* itself (a running kernel).

    nbclient builds its manager from a class (``kernel_manager_class``) and, finding a
    kernel already running, starts none; it owns the manager, so it stops the kernel
    and its client exactly as it does a kernel it started. The subclass's ``__new__``
    returns *km*, which is not an instance of it, so ``__init__`` does not run again.
    """

    class LentKernelManager(type(km)):
        def __new__(cls, *args, **kwargs):
            return km

    return LentKernelManager


def shutdown(km) -> None:
    """Shut *km*'s kernel down if it is still running (and remove its socket folder); never raises."""
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass


def warm_main(kernel: str, cwd: str, parent: int) -> int:  # pragma: no cover - child process
    """Entry point of a warm child (see the module notes); returns its exit code."""
    from jupyter_core.utils import run_sync

    from wmp_analysis.pipeline import execute as ex

    ex.guard_child(parent)
    ex.register_progress_engine()  # imports papermill now, not on the notebook's turn
    km = ex.ipc_kernel_manager_class()(kernel_name=kernel)
    try:
        run_sync(_start_and_warm)(km, cwd, warm_code())
    except Exception as exc:  # the notebook starts its own kernel and reports the error itself
        print(f"    warm kernel not used: {type(exc).__name__}: {exc}"[:300], flush=True)
        shutdown(km)
        km = None
    print(READY, flush=True)
    line = sys.stdin.readline().strip()
    if not line:
        if km is not None:
            shutdown(km)
        return 0
    return ex.child_main(line, km=km)


class WarmChild:
    """A warm child process waiting for its notebook (see :func:`warm_main`)."""

    def __init__(self, name: str, kernel: str, cwd: str, env_extra=None) -> None:
        from wmp_analysis.pipeline import execute as ex

        self.name, self.kernel, self.cwd, self.env_extra = name, kernel, str(cwd), env_extra
        self.label = ""  # set when the notebook starts (parallel stages label their lines)
        self.ready = threading.Event()
        argv = ["--warm", kernel, self.cwd, str(os.getpid())]
        self.proc = ex.spawn_child(argv, cwd, env_extra, stdin=subprocess.PIPE)
        self.reader = ex.relay(self.proc, lambda: self.label, self.ready, READY)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fits(self, kernel: str, cwd, env_extra=None) -> bool:
        """True if this child's kernel is the one a notebook run with *kernel* in *cwd* (and
        the extra environment *env_extra*) gets."""
        return (self.kernel, self.cwd, self.env_extra or {}) == (kernel, str(cwd), env_extra or {})

    def go(self, spec_path: str, label: str = "") -> bool:
        """Hand the child its notebook spec; False if it has already gone (start a cold one)."""
        self.label = label
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((spec_path + "\n").encode("utf-8"))
            self.proc.stdin.flush()
            self.proc.stdin.close()
        except (OSError, ValueError):
            return False
        return self.alive()

    def dismiss(self, wait: float = 10.0) -> None:
        """End a child whose notebook will not run: close its input, then kill it if it stays."""
        from wmp_analysis.pipeline import execute as ex

        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            ex.kill_group(self.proc)
        ex.forget(self.proc)
        self.reader.join(timeout=2)


class WarmPool:
    """Start the children of a run's notebooks ahead of their turn, one at a time, in order.

    Parameters
    ----------
    names : sequence of str
        The notebooks in the order they will run.
    kernel, cwd : str
        The kernel spec and the working folder every notebook of the run gets.
    ahead : int
        At most this many warm children wait at once (each, with its kernel and the
        scientific stack imported, holds about 350 MB); 0 starts none.
    """

    def __init__(self, names: Sequence[str], kernel: str, cwd: str, ahead: int) -> None:
        self.kernel, self.cwd, self.ahead = kernel, str(cwd), max(0, int(ahead))
        self.queue = list(names) if self.ahead else []
        self.waiting: dict[str, WarmChild] = {}
        self.lock = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._fill, name="wmp-warm-pool", daemon=True)
        if self.queue:
            self.thread.start()

    def _fill(self) -> None:
        while True:
            with self.lock:
                while not self.closed and self.queue and len(self.waiting) >= self.ahead:
                    self.lock.wait(timeout=1.0)
                if self.closed or not self.queue:
                    return
                name = self.queue.pop(0)
                try:
                    child = WarmChild(name, self.kernel, self.cwd)
                except OSError:
                    return
                self.waiting[name] = child
            # one warm-up at a time: the other core is left to the notebook that is running
            deadline = time.monotonic() + READY_WAIT
            while not child.ready.wait(timeout=0.2):
                if self.closed or not child.alive() or time.monotonic() > deadline:
                    break

    def keep(self, names: Sequence[str]) -> None:
        """Only *names* will run: dismiss the other children and drop them from the queue."""
        wanted = set(names)
        with self.lock:
            self.queue = [n for n in self.queue if n in wanted]
            gone = [c for n, c in self.waiting.items() if n not in wanted]
            for c in gone:
                del self.waiting[c.name]
            self.lock.notify_all()
        for c in gone:
            c.dismiss()

    def take(self, name: str) -> WarmChild | None:
        """The warm child for *name*, or None (never started, or gone): the caller starts one."""
        with self.lock:
            if name in self.queue:
                self.queue.remove(name)
            child = self.waiting.pop(name, None)
            self.lock.notify_all()
        if child is not None and not child.alive():
            child.dismiss(wait=1.0)
            return None
        return child

    def close(self) -> None:
        """Stop warming and dismiss every child still waiting (the run ended or stopped)."""
        with self.lock:
            self.closed = True
            self.queue = []
            left = list(self.waiting.values())
            self.waiting.clear()
            self.lock.notify_all()
        for c in left:
            c.dismiss()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
