"""What a job receives when it takes one parameter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from shared.settings import Settings
from worker.alerts import Alerter


@dataclass(frozen=True)
class JobContext:
    """The tick being run and the worker's long-lived clients.

    ``redis`` is an asyncio client bound to the worker's event loop: use it from
    ``async def`` jobs only (plain jobs run in a thread). It is None when the worker runs
    with the in-process lock (``BATCH_LOCK_BACKEND=memory``, no Redis).
    """

    job_id: str
    fire_time: datetime
    settings: Settings
    redis: Redis | None
    alerter: Alerter
    log: logging.Logger
