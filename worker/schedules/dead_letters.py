"""Interval job: alert when dead-lettered deliveries pile up in the DLQ.

Interval example: ``@batch_schedule("interval", minutes=5)`` runs at :00, :05, :10... counted
from a fixed anchor, so every replica agrees on the ticks.
"""

from __future__ import annotations

import asyncio

from worker import JobContext, batch_schedule
from worker.aws_metrics import dead_letter_depth, sqs_client

LAST_DEPTH_KEY = "dead-letters:last-depth"
_last_depth: dict[str, int] = {}  # without Redis (BATCH_LOCK_BACKEND=memory)


@batch_schedule("interval", minutes=5, no_overlap=True)
async def check_dead_letters(ctx: JobContext) -> None:
    """Report the DLQ depth; alert when it grew since the last check (shared in Redis)."""
    url = ctx.settings.dead_letter_queue_url
    if not url:
        ctx.log.info("DEAD_LETTER_QUEUE_URL is not set; nothing to check")
        return
    client = sqs_client(ctx.settings.aws_region)
    depth = await asyncio.to_thread(dead_letter_depth, client, url)
    ctx.log.info("dead-letter queue depth", extra={"metric": "dead_letters", **depth})
    key = f"{ctx.settings.batch_key_prefix}{LAST_DEPTH_KEY}"
    if ctx.redis is None:  # in-process lock (one replica): this process remembers it
        previous = _last_depth.get(key, 0)
        _last_depth[key] = depth["waiting"]
    else:
        previous = int(await ctx.redis.get(key) or 0)
        await ctx.redis.set(key, depth["waiting"])
    if depth["waiting"] > previous:
        await ctx.alerter.send(
            "[batch] deliveries are waiting in the dead-letter queue",
            {
                "waiting": str(depth["waiting"]),
                "new since last check": str(depth["waiting"] - previous),
                "queue": url.rsplit("/", 1)[-1],
            },
        )
