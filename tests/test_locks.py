"""The one file lock: refusal names the holder, waits, and is released when the block ends."""

import os
import subprocess
import sys
import time

import pytest

from wmp_analysis.locks import exclusive_lock


class Held(RuntimeError):
    pass


def _refuse(path, holder):
    return Held(f"{path} held by {holder}")


HOLD = """
import sys, time
from wmp_analysis.locks import exclusive_lock
with exclusive_lock(sys.argv[1], 0, lambda p, h: RuntimeError(h)):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder_process(path, seconds):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_holder_refused_with_the_holders_pid(tmp_path):
    lock = tmp_path / "sub" / ".run.lock"
    proc = _holder_process(lock, 30)
    try:
        expected = rf"held by pid {proc.pid} since \d{{4}}-\d\d-\d\dT"
        with pytest.raises(Held, match=expected), exclusive_lock(lock, 0, _refuse):
            pass
    finally:
        proc.kill()
        proc.wait()
    # the kernel released the killed holder's lock: the next run takes it at once
    with exclusive_lock(lock, 0, _refuse) as p:
        assert p == lock
        assert lock.read_text().startswith(f"pid {os.getpid()} since ")


def test_waits_for_a_holder_that_finishes(tmp_path):
    lock = tmp_path / ".x.lock"
    proc = _holder_process(lock, 1.0)
    t0 = time.monotonic()
    with exclusive_lock(lock, 20, _refuse, poll_seconds=0.02):
        waited = time.monotonic() - t0
    proc.wait()
    assert waited > 0.2  # it did wait for the holder (who held it about a second)


def test_released_after_the_block_even_on_error(tmp_path):
    lock = tmp_path / ".y.lock"
    with pytest.raises(ZeroDivisionError), exclusive_lock(lock, 0, _refuse):
        raise ZeroDivisionError
    with exclusive_lock(lock, 0, _refuse):
        pass
    assert lock.exists()  # never deleted: deleting a lock file races with a waiter
