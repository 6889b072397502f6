"""An every-second job that records each run itself: ``<tick> <pid>`` in $WORKER_TEST_DIR/runs.log.

The record is the job's own, written with one ``O_APPEND`` write per run, so the tests count
executions per tick from what the job did, not from what the lock or the log say.
"""

from __future__ import annotations

import os
from pathlib import Path

from worker import JobContext, batch_schedule
from worker.locks import tick_stamp


@batch_schedule("interval", seconds=1, coalesce=False, job_id="recorded")
async def record(ctx: JobContext) -> None:
    path = Path(os.environ["WORKER_TEST_DIR"]) / "runs.log"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{tick_stamp(ctx.fire_time)} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
