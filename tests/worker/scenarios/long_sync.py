"""A plain (thread) no-overlap job, longer than its interval, that records its life in a file.

Lines in $WORKER_TEST_DIR/life.log: ``<wall time> <pid> start|alive|end <tick>``; ``alive``
every 0.1 s while it runs, so a thread that outlives its process's claims is visible.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from worker import JobContext, batch_schedule
from worker.locks import tick_stamp

SECONDS = float(os.environ.get("WORKER_TEST_JOB_SECONDS", "6"))


def _record(kind: str, tick: str) -> None:
    path = Path(os.environ["WORKER_TEST_DIR"]) / "life.log"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{time.time():.3f} {os.getpid()} {kind} {tick}\n".encode())
    finally:
        os.close(fd)


@batch_schedule("interval", seconds=1, no_overlap=True, job_id="long_sync")
def long_sync(ctx: JobContext) -> None:
    tick = tick_stamp(ctx.fire_time)
    _record("start", tick)
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:  # ignores everything: Python cannot stop this thread
        time.sleep(0.1)
        _record("alive", tick)
    _record("end", tick)
