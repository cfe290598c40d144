"""Child processes in tests that kill a worker mid-job: stop a whole process group at once, wait for a condition."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process's whole group (started with ``start_new_session=True``), as a crash would end it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until(predicate: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll ``predicate`` every 50 ms; AssertionError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
