"""``GET /tasks/{task_id}/attempts``: a task's delivery attempts, from the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api_app.calls import call_backend
from api_app.deps import ClientAuth, SchedulerDep
from api_app.errors import ERROR_RESPONSES
from api_app.history import AttemptsPublic, to_attempts_public
from api_app.routes.tasks import NOT_FOUND, TaskId
from api_app.routing import DeclaredRoute
from shared.exceptions import InvalidRequestError
from shared.scheduling.port import MAX_PAGE_SIZE

router = APIRouter(
    prefix="/tasks", tags=["tasks"], dependencies=[ClientAuth], route_class=DeclaredRoute
)


@router.get("/{task_id}/attempts", responses=ERROR_RESPONSES | NOT_FOUND)
async def list_attempts(
    task_id: TaskId,
    scheduler: SchedulerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> AttemptsPublic:
    """Page through a task's attempts: tick, attempt number, outcome, status, response."""
    from shared.ledger.scheduler import LedgeredScheduler  # not at cold start

    if not isinstance(scheduler, LedgeredScheduler):  # only EventBridge with the ledger off
        raise InvalidRequestError("the ledger is off (LEDGER_TABLE_NAME is empty): no attempts")
    page = await call_backend(
        scheduler, scheduler.attempts, task_id, page_size=limit, next_token=next_token
    )
    return to_attempts_public(page)
