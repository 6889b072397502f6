"""Two plain jobs that hang, a plain probe every second, and an async job that blocks the loop.

With ``BATCH_SYNC_POOL_SIZE=2`` the hung jobs take both threads; the probe's ticks are then
``skipped:pool_full``. ``blocker`` sleeps 3 s *on the event loop* once, at the first tick
after the test creates $WORKER_TEST_DIR/block-now; the watchdog must report it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from worker import batch_schedule


@batch_schedule("interval", seconds=1, job_id="hung_a", max_instances=1)
def hung_a() -> None:
    time.sleep(3600)


@batch_schedule("interval", seconds=1, job_id="hung_b", max_instances=1)
def hung_b() -> None:
    time.sleep(3600)


@batch_schedule("interval", seconds=1, job_id="probe")
def probe() -> None:
    with (Path(os.environ["WORKER_TEST_DIR"]) / "probe.log").open("a") as out:
        out.write(f"{time.time():.3f}\n")


@batch_schedule("interval", seconds=1, job_id="blocker", coalesce=False)
async def blocker() -> None:
    flag = Path(os.environ["WORKER_TEST_DIR"]) / "block-now"
    if flag.exists():
        flag.unlink()
        time.sleep(3)  # noqa: ASYNC251 -- the mistake under test: blocking the loop
