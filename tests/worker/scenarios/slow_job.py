"""A 3-second job on a 1-second interval that writes start/end lines to a file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from worker import JobContext, batch_schedule
from worker.locks import tick_stamp


def _log(line: str) -> None:
    path = Path(os.environ["WORKER_TEST_DIR"]) / "events.log"
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{time.time():.3f} {line}\n")


@batch_schedule("interval", seconds=1, no_overlap=True)
def slow(ctx: JobContext) -> None:  # a plain function: it runs in a thread
    stamp = tick_stamp(ctx.fire_time)
    _log(f"start {stamp}")
    time.sleep(3)
    _log(f"end {stamp}")
