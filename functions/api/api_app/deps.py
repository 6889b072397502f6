"""FastAPI dependencies: settings, the scheduling backend and client authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api_app.backend import PendingBackend
from api_app.secrets import client_tokens
from shared.exceptions import AuthenticationError, ConfigurationError
from shared.scheduling.port import TaskScheduler
from shared.settings import Settings
from shared.settings import get_settings as _get_settings

bearer_scheme = HTTPBearer(auto_error=False, description="A client API token (API_TOKENS).")


def get_settings(request: Request) -> Settings:
    """Return the settings the app was built with."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings if settings is not None else _get_settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_task_scheduler(request: Request) -> TaskScheduler:
    """Return the scheduling backend chosen by ``SCHEDULER_BACKEND`` (the deployed one is
    built here, on the first request that needs it)."""
    scheduler: TaskScheduler | PendingBackend | None = getattr(
        request.app.state, "task_scheduler", None
    )
    if scheduler is None:
        raise ConfigurationError("the scheduling backend is not running")
    if isinstance(scheduler, PendingBackend):
        return scheduler.scheduler()
    return scheduler


SchedulerDep = Annotated[TaskScheduler, Depends(get_task_scheduler)]


async def require_client_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> None:
    """Accept ``Authorization: Bearer <token>`` for any configured token, in constant time."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing bearer token")
    if settings.api_tokens_arn:  # Secrets Manager (boto3, cached): off the event loop
        tokens = await run_in_threadpool(client_tokens, settings)
    else:
        tokens = client_tokens(settings)
    presented = credentials.credentials.encode()
    matched = False
    for token in tokens:
        # compare against every token, never stopping early, so timing says nothing
        matched |= hmac.compare_digest(presented, token.encode())
    if not matched:
        raise AuthenticationError("invalid bearer token")


ClientAuth = Depends(require_client_token)
