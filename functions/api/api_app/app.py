"""The FastAPI app factory (tests build apps from it; ``api_app.main`` is the entry point)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api_app.backend import (
    backend_lifespan,
    backend_routers,
    batch_hosting,
    build_task_scheduler,
)
from api_app.errors import install_error_handlers, install_error_schema
from api_app.limits import BodySizeLimitMiddleware
from api_app.replays import ReplayGuard
from api_app.routes import callback, health, schedule_preview, task_attempts, tasks
from shared.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; a missing required setting fails here, naming the variable."""
    settings = (settings or get_settings()).ensure_ready("api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with backend_lifespan(app, settings), batch_hosting(app, settings):
            yield

    app = FastAPI(
        title="callback-scheduler",
        version="0.1.0",
        summary="Deferred, signed HTTP calls on EventBridge Scheduler.",
        docs_url=None if settings.stage == "prod" else "/swagger",
        redoc_url=None,
        openapi_url=None if settings.stage == "prod" else "/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.task_scheduler = build_task_scheduler(settings)
    app.state.batch_worker = None
    app.state.callback_replays = ReplayGuard()
    install_error_handlers(app)
    install_error_schema(app)
    app.add_middleware(BodySizeLimitMiddleware)
    app.include_router(health.router)
    app.include_router(callback.router, prefix=API_PREFIX)
    app.include_router(tasks.router, prefix=API_PREFIX)
    app.include_router(task_attempts.router, prefix=API_PREFIX)
    app.include_router(schedule_preview.router, prefix=API_PREFIX)
    for router in backend_routers(settings):
        app.include_router(router)
    return app
