"""Child processes started in their own session: stopping one with everything it started."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen) -> None:
    """Kill *proc*'s process group (*proc* and every process it started) and reap *proc*.

    For children started with ``start_new_session=True`` (a notebook child and its kernel,
    a headless Chromium and its renderers). Nothing is done for a child that has exited.
    """
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
