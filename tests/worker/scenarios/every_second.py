"""An every-second job that counts its runs per tick in Redis (INCR <prefix>count:<tick>)."""

from __future__ import annotations

import os

from worker import JobContext, batch_schedule
from worker.locks import tick_stamp


# coalesce=False: a replica that wakes late runs each missed tick (within the misfire grace)
# instead of folding them into one, so a busy machine cannot hide a tick from the count.
@batch_schedule("interval", seconds=1, coalesce=False)
async def count(ctx: JobContext) -> None:
    assert ctx.redis is not None, "this scenario counts in Redis (BATCH_LOCK_BACKEND=redis)"
    prefix = ctx.settings.batch_key_prefix
    await ctx.redis.incr(f"{prefix}count:{tick_stamp(ctx.fire_time)}")
    # Which replica won (by its clock offset in the skew test): shows the skew was real.
    await ctx.redis.hincrby(f"{prefix}winners", os.environ.get("WORKER_TEST_CLOCK_OFFSET", "0"))
