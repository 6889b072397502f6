"""Cron job: a morning digest of pending tasks and dead-lettered deliveries.

Cron example: ``@batch_schedule("cron", hour=9, minute=0)`` fires at 09:00 in
``BATCH_TIMEZONE`` (``crontab="0 9 * * *"`` is the same), whatever the container's zone is.
"""

from __future__ import annotations

import asyncio

from worker import JobContext, batch_schedule
from worker.aws_metrics import (
    dynamodb_client,
    pending_task_count,
    scheduler_client,
    waiting_dead_letters,
)


@batch_schedule("cron", hour=9, minute=0)
async def daily_digest(ctx: JobContext) -> None:
    """Post the number of pending tasks (schedules) and dead letters not redriven to Slack."""
    settings = ctx.settings
    fields: dict[str, str] = {}
    if settings.scheduler_backend == "eventbridge":
        client = scheduler_client(settings.aws_region)
        pending = await asyncio.to_thread(pending_task_count, client, settings.schedule_group_name)
        fields["pending tasks"] = str(pending)
    if settings.ledger_table_name:  # dead letters not redriven yet (the ledger's index)
        waiting = await asyncio.to_thread(
            waiting_dead_letters, dynamodb_client(settings.aws_region), settings.ledger_table_name
        )
        fields["dead letters"] = str(len(waiting))
    ctx.log.info("daily digest", extra={"metric": "daily_digest", **fields})
    if fields:
        await ctx.alerter.send("[batch] daily digest", fields)
