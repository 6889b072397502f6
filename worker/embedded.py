"""Host the batch scheduler inside the API process (``BATCH_ENABLED=true``), never on Lambda.

The API's FastAPI lifespan does::

    async with batch_lifespan(settings):
        yield

It is a no-op when ``BATCH_ENABLED`` is false and always off on Lambda
(``AWS_LAMBDA_FUNCTION_NAME`` is set there): a Lambda is frozen between invocations, so a
scheduler inside it would miss its ticks. Use it for container deployments of the API; the
per-tick Redis lock keeps N API replicas from running a job N times.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from shared.exclusive import ExclusiveLock
from shared.settings import Settings, get_settings
from worker.registry import Registry
from worker.service import BatchWorker

log = logging.getLogger("worker.embedded")


def batch_should_run(settings: Settings) -> bool:
    """True when the scheduler should run in this process."""
    if not settings.batch_enabled:
        return False
    return not os.environ.get("AWS_LAMBDA_FUNCTION_NAME")


@contextlib.asynccontextmanager
async def batch_lifespan(
    settings: Settings | None = None, *, registry: Registry | None = None
) -> AsyncIterator[BatchWorker | None]:
    """Start the batch worker for the body of the block; yield it, or None when it is off.

    On exit it stops taking ticks and waits up to ``BATCH_GRACE_PERIOD_SECONDS`` for
    running jobs. Raises ``ConfigurationError`` (REDIS_URL missing, a schedules module that
    does not import...) when enabled but not configured, so a bad deploy fails at start-up.
    """
    settings = settings or get_settings()
    if not batch_should_run(settings):
        reason = "BATCH_ENABLED is false" if not settings.batch_enabled else "running on Lambda"
        log.info("batch scheduler not started in this process: %s", reason)
        yield None
        return
    settings.ensure_ready("worker")
    host = _single_host(settings)
    if host is not None and not host.try_acquire():
        # uvicorn --workers N: the in-process lock only dedupes inside one process, so only
        # one server process on this machine may host the scheduler with it.
        log.info(
            "batch scheduler not started in this process: another process on this machine "
            "hosts it with BATCH_LOCK_BACKEND=memory (%s)",
            host.path,
        )
        yield None
        return
    worker = BatchWorker(settings, registry=registry)
    try:
        await worker.start()
    except BaseException:
        if host is not None:
            host.release()
        raise
    try:
        yield worker
    finally:
        await worker.stop()
        if host is not None:
            host.release()


def _single_host(settings: Settings) -> ExclusiveLock | None:
    """The machine-wide lock of the in-process (memory) tick lock; None with Redis."""
    if settings.batch_lock_backend != "memory":
        return None
    name = "callback-scheduler-batch-" + settings.batch_key_prefix.strip(":").replace(":", "-")
    return ExclusiveLock(Path(tempfile.gettempdir()) / f"{name}.lock")
