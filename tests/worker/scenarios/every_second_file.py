"""An every-second job that needs no Redis: it appends its tick to $WORKER_TEST_DIR/ticks.log."""

from __future__ import annotations

import os
from pathlib import Path

from worker import JobContext, batch_schedule
from worker.locks import tick_stamp


@batch_schedule("interval", seconds=1, coalesce=False, no_overlap=True)
async def record(ctx: JobContext) -> None:
    path = Path(os.environ["WORKER_TEST_DIR"]) / "ticks.log"
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{tick_stamp(ctx.fire_time)} redis={ctx.redis is not None}\n")
