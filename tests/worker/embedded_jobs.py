"""A schedules module for the embedded (API lifespan) test."""

from __future__ import annotations

from datetime import datetime

from worker import JobContext, Registry, batch_schedule

REGISTRY = Registry()
RAN: list[datetime] = []


@batch_schedule("interval", seconds=1, registry=REGISTRY)
async def tick(ctx: JobContext) -> None:
    RAN.append(ctx.fire_time)
