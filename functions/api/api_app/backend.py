"""Pick the scheduling backend from ``SCHEDULER_BACKEND`` and run what it needs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from shared.scheduling.port import TaskScheduler
from shared.settings import Settings


class PendingBackend:
    """The deployed backend (the EventBridge adapter, behind the ledger when
    ``LEDGER_TABLE_NAME`` is set), built by the first request that needs it.

    Building it at init would import the adapter, the ledger and the scheduling types they
    use (nine frozen dataclasses among them; ~73 M instructions) for every cold start, also
    those whose first request needs no backend (health, schedule preview, callback). Building
    it cannot fail: ``Settings.ensure_ready("api")`` refused the app at init already if a
    setting it needs is missing (the 503 ``configuration_error`` on Lambda), and neither the
    adapter nor the ledger calls AWS before a request does.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._built: TaskScheduler | None = None

    @property
    def built(self) -> bool:
        """Whether a request has needed the backend yet."""
        return self._built is not None

    def scheduler(self) -> TaskScheduler:
        """Return the backend, the same object on every call."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    from api_app.ledger import with_ledger
                    from shared.scheduling.eventbridge import EventBridgeScheduler

                    adapter = EventBridgeScheduler.from_settings(self._settings)
                    self._built = with_ledger(adapter, self._settings)
        assert self._built is not None
        return self._built


def build_task_scheduler(settings: Settings) -> PendingBackend | None:
    """Return the EventBridge backend, built on first use (``PendingBackend``); the local one
    is built in the lifespan (it runs threads)."""
    if settings.scheduler_backend == "eventbridge":
        return PendingBackend(settings)
    return None


@asynccontextmanager
async def backend_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Start the local backend (when selected) for the life of the server process."""
    if settings.scheduler_backend != "local":
        yield
        return
    # Imported only here: production code (eventbridge backend) never loads the local adapter.
    from local.backend import LocalScheduler
    from shared.ledger.scheduler import LedgeredScheduler

    engine = LocalScheduler.from_settings(settings)
    # Several server processes (uvicorn --workers N) share the state folder: one runs the
    # engine, the others serve against the same store and stand by to take over.
    engine.start(shared=True)
    app.state.local_scheduler = engine
    # The same ledger semantics as on AWS: schedules are the mechanism, the ledger the record.
    app.state.task_scheduler = LedgeredScheduler(engine, engine.ledger)
    try:
        yield
    finally:
        engine.shutdown()
        app.state.task_scheduler = None
        app.state.local_scheduler = None


@asynccontextmanager
async def batch_hosting(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Run the batch scheduler in this process when ``BATCH_ENABLED`` (never on Lambda)."""
    if not settings.batch_enabled:
        yield
        return
    # The worker package ships with container images of the API, not with the Lambda zip.
    from worker.embedded import batch_lifespan

    async with batch_lifespan(settings) as worker:
        app.state.batch_worker = worker
        try:
            yield
        finally:
            app.state.batch_worker = None


def backend_routers(settings: Settings) -> list[APIRouter]:
    """Routes that only exist for one backend: the dead-letter list and redrive (local, or
    eventbridge with a ledger)."""
    if settings.scheduler_backend == "eventbridge" and settings.ledger_table_name:
        from api_app.routes import aws_dead_letters

        return [aws_dead_letters.router]
    if settings.scheduler_backend != "local":
        return []
    from api_app.routes import local_dead_letters

    return [local_dead_letters.router]
