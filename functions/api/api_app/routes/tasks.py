"""The ``tasks`` resource: create (delay, time, cron/rate), get, list, cancel, quick start."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from api_app.calls import call_backend
from api_app.deps import ClientAuth, SchedulerDep, SettingsDep
from api_app.errors import ERROR_RESPONSES
from api_app.models import (
    STATUS_HELP,
    TaskCreate,
    TaskPublic,
    TaskScheduled,
    TaskScheduleRequest,
    TasksPublic,
    TaskStatus,
)
from api_app.routing import DeclaredRoute
from api_app.service import quick_start_spec, to_public, to_task_spec, utc_now
from shared.exceptions import InvalidFieldError
from shared.scheduling.names import MAX_TASK_ID_LENGTH, NAME_PATTERN
from shared.scheduling.port import MAX_PAGE_SIZE

TaskId = Annotated[str, Path(min_length=1, max_length=MAX_TASK_ID_LENGTH, pattern=NAME_PATTERN)]

router = APIRouter(
    prefix="/tasks", tags=["tasks"], dependencies=[ClientAuth], route_class=DeclaredRoute
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: ERROR_RESPONSES[422] | {"description": "No such task"}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: ERROR_RESPONSES[422] | {"description": "client_token already used for a different request"}
}
REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TaskPublic,
        "description": "The same client_token and request again: the existing task",
    }
}


@router.post(
    "/schedule",
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES | CONFLICT,
)
async def schedule_task(
    payload: TaskScheduleRequest, settings: SettingsDep, scheduler: SchedulerDep
) -> TaskScheduled:
    """Quick start: call this API's callback route with ``data`` after ``delay_minutes``."""
    spec = quick_start_spec(payload.delay_minutes, payload.data, settings, now=utc_now())
    task = await call_backend(scheduler, scheduler.create_one_time, spec)
    return TaskScheduled(
        task_id=task.task_id,
        schedule_arn=task.arn,
        scheduled_in_minutes=payload.delay_minutes,
        run_at=task.run_at or spec.run_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES | CONFLICT | REPLAYED,
)
async def create_task(
    payload: TaskCreate, settings: SettingsDep, scheduler: SchedulerDep, response: Response
) -> TaskPublic:
    """Create a task that runs once (delay or time) or repeatedly (cron/rate)."""
    from shared.scheduling.types import OneTimeTaskSpec  # not at cold start

    spec = to_task_spec(payload, settings, now=utc_now())
    if isinstance(spec, OneTimeTaskSpec):
        task = await call_backend(scheduler, scheduler.create_one_time, spec)
    else:
        task = await call_backend(scheduler, scheduler.create_recurring, spec)
    if task.replayed:
        response.status_code = status.HTTP_200_OK
    return to_public(task)


@router.get("", responses=ERROR_RESPONSES)
async def list_tasks(
    scheduler: SchedulerDep,
    prefix: Annotated[
        str | None, Query(max_length=MAX_TASK_ID_LENGTH, pattern=NAME_PATTERN)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
    status: Annotated[TaskStatus | None, Query(description=STATUS_HELP)] = None,
) -> TasksPublic:
    """List tasks, one page at a time, optionally only ids starting with ``prefix``."""
    by_status = {} if status is None else {"status": status}
    from shared.ledger.scheduler import LedgeredScheduler  # not at cold start

    if status is not None and not isinstance(scheduler, LedgeredScheduler):  # the ledger is off
        raise InvalidFieldError("status: the ledger is off (LEDGER_TABLE_NAME is empty)")
    page = await call_backend(
        scheduler,
        scheduler.list,
        name_prefix=prefix,
        page_size=limit,
        next_token=next_token,
        **by_status,
    )
    tasks = [to_public(task) for task in page.tasks]
    return TasksPublic(data=tasks, count=len(tasks), next_token=page.next_token)


@router.get("/{task_id}", responses=ERROR_RESPONSES | NOT_FOUND)
async def get_task(task_id: TaskId, scheduler: SchedulerDep) -> TaskPublic:
    """Return one task."""
    return to_public(await call_backend(scheduler, scheduler.get, task_id))


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERROR_RESPONSES | NOT_FOUND,
)
async def cancel_task(task_id: TaskId, scheduler: SchedulerDep) -> Response:
    """Cancel a task: no attempt of it starts after this answers (see the README)."""
    await call_backend(scheduler, scheduler.cancel, task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
