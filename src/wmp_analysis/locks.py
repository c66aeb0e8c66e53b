"""One exclusive file lock for every step that must not run twice at once.

The runner holds ``reports/.run.lock`` for a run; the ingest holds
``data/processed/.<config>.lock`` while it writes processed data. Both use
:func:`exclusive_lock`: an ``fcntl.flock`` on the file, released by the kernel if the
holder dies (so a killed run never blocks the next one), with the holder's pid and
start time written into the file so that a refusal can name who holds it.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(
    path: str | Path,
    wait_seconds: float,
    refuse: Callable[[Path, str], Exception],
    poll_seconds: float = 0.05,
) -> Iterator[Path]:
    """Hold an exclusive lock on *path* for the ``with`` block.

    Parameters
    ----------
    path : path
        The lock file; created (with its parent folder) if absent, never deleted.
    wait_seconds : float
        How long to wait for the holder to finish; 0 refuses at once.
    refuse : callable
        ``refuse(path, holder)`` builds the exception raised when the lock is still held
        after *wait_seconds*; *holder* is the holder's ``"pid N since <UTC time>"`` line,
        or ``""`` if it could not be read.
    poll_seconds : float
        Interval between attempts while waiting.

    Yields
    ------
    Path
        The lock file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
                    raise refuse(path, _holder(fd)) from None
                time.sleep(poll_seconds)
        now = _dt.datetime.now(_dt.UTC)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {now:%Y-%m-%dT%H:%M:%SZ}\n".encode(), 0)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """The holder's line written into the lock file, or ``""``."""
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
