"""Interval job: alert when new dead letters were recorded in the ledger.

Interval example: ``@batch_schedule("interval", minutes=5)`` runs at :00, :05, :10... counted
from a fixed anchor, so every replica agrees on the ticks.

"New" means a dead letter (not redriven yet) that the previous check did not see. The ids
each check saw are kept (in Redis, shared by the replicas; in the process without Redis), so
a letter is reported once, even one the ledger's index shows late (a global secondary index
is eventually consistent: a cursor on recording times could step over it). A redriven
letter leaves the index; if its new attempt fails it is dead-lettered again under a new id.
The queues' depth says nothing any more: DeadLetterRecorderFunction empties them on arrival.
"""

from __future__ import annotations

import asyncio

from worker import JobContext, batch_schedule
from worker.aws_metrics import dynamodb_client, waiting_dead_letters

SEEN_KEY = "dead-letters:seen"
_seen: dict[str, set[str]] = {}  # without Redis (BATCH_LOCK_BACKEND=memory)


@batch_schedule("interval", minutes=5, no_overlap=True)
async def check_dead_letters(ctx: JobContext) -> None:
    """Report the dead letters waiting for a redrive; alert when some are new."""
    table = ctx.settings.ledger_table_name
    if not table:
        ctx.log.info("LEDGER_TABLE_NAME is not set; nothing to check")
        return
    client = dynamodb_client(ctx.settings.aws_region)
    waiting = await asyncio.to_thread(waiting_dead_letters, client, table)
    ids = {letter.dl_id for letter in waiting}
    key = f"{ctx.settings.batch_key_prefix}{SEEN_KEY}"
    if ctx.redis is None:  # in-process lock (one replica): this process remembers them
        seen = _seen.get(key, set())
        _seen[key] = ids
    else:
        members = await ctx.redis.smembers(key)
        seen = {m.decode() if isinstance(m, bytes) else str(m) for m in members}
        async with ctx.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if ids:
                pipe.sadd(key, *sorted(ids))
            await pipe.execute()
    new = [letter for letter in waiting if letter.dl_id not in seen]
    ctx.log.info(
        "dead letters waiting for a redrive",
        extra={"metric": "dead_letters", "waiting": len(waiting), "new": len(new)},
    )
    if new:
        await ctx.alerter.send(
            "[batch] new dead letters in the ledger",
            {
                "new since last check": str(len(new)),
                "waiting for a redrive": str(len(waiting)),
                "newest": f"{new[-1].dl_id} at {new[-1].recorded_at}",
                "table": table,
            },
        )
