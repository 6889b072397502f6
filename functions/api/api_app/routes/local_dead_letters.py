"""Dead letters of the local backend: list them, re-drive one (SCHEDULER_BACKEND=local).

The same paths, list and redrive shapes and error codes as ``api_app.routes.aws_dead_letters``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from api_app.dead_letter_models import DeadLettersPublic, RedrivePublic, dead_letters_public
from api_app.deps import ClientAuth
from api_app.errors import ERROR_RESPONSES
from local.backend import LocalScheduler
from shared.exceptions import ConfigurationError
from shared.scheduling.validation import validate_task_id

# Included without a prefix by api_app.backend, so the full path is here.
router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters (local)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: ERROR_RESPONSES[422] | {"description": "No such dead letter"},
    409: ERROR_RESPONSES[422] | {"description": "Its task is cancelled"},
}


def get_local_scheduler(request: Request) -> LocalScheduler:
    """Return the running local backend."""
    scheduler = getattr(request.app.state, "local_scheduler", None)
    if not isinstance(scheduler, LocalScheduler):
        raise ConfigurationError("dead letters are only kept by the local backend")
    return scheduler


LocalDep = Annotated[LocalScheduler, Depends(get_local_scheduler)]


@router.get("", responses=ERROR_RESPONSES, dependencies=[ClientAuth])
def list_dead_letters(
    scheduler: LocalDep,
    task_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    next_token: Annotated[str | None, Query(max_length=200)] = None,
) -> DeadLettersPublic:
    """List dead-lettered calls (retries exhausted, permanent failure, or too old), paged."""
    if task_id is not None:
        validate_task_id(task_id)
    letters, token = scheduler.dead_letter_page(task_id=task_id, limit=limit, next_token=next_token)
    return dead_letters_public(letters, token)


@router.post(
    "/{dead_letter_id}/redrive",
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES | NOT_FOUND,
    dependencies=[ClientAuth],
)
def redrive_dead_letter(dead_letter_id: str, scheduler: LocalDep) -> RedrivePublic:
    """Deliver a dead-lettered call again now (fresh attempts); it leaves the list."""
    return RedrivePublic.model_validate(scheduler.redrive(dead_letter_id))
