"""Dead letters of the deployed stack: list them, redrive one (SCHEDULER_BACKEND=eventbridge).

The same paths, query parameters, list shape and error codes as the local backend's
``api_app.routes.local_dead_letters``; a redrive answers 202 with the ``webhook-id`` the
fresh attempt carries and the request id of the asynchronous invocation.
"""

# No `from __future__ import annotations`: see api_app.models (cold start).
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from api_app.calls import call_backend
from api_app.dead_letter_models import DeadLettersPublic, RedrivePublic, dead_letters_public
from api_app.deps import ClientAuth
from api_app.errors import ERROR_RESPONSES
from api_app.routing import DeclaredRoute
from shared.exceptions import ConfigurationError
from shared.scheduling.validation import validate_task_id

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"], route_class=DeclaredRoute)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: ERROR_RESPONSES[422] | {"description": "No such dead letter"},
    409: ERROR_RESPONSES[422] | {"description": "Its task is cancelled"},
}


def get_dead_letters(request: Request) -> Any:
    """Return the app's ``AwsDeadLetters``, built on first use: this module imports neither
    it nor boto3, so a cold start pays nothing for dead letters until they are asked for."""
    found = getattr(request.app.state, "aws_dead_letters", None)
    if found is None:
        settings = request.app.state.settings
        if not settings.ledger_table_name:
            raise ConfigurationError("dead letters need the ledger (LEDGER_TABLE_NAME)")
        from api_app.aws_dead_letters import AwsDeadLetters

        found = request.app.state.aws_dead_letters = AwsDeadLetters.from_settings(settings)
    return found


DeadLettersDep = Annotated[Any, Depends(get_dead_letters)]


@router.get("", responses=ERROR_RESPONSES, dependencies=[ClientAuth])
async def list_dead_letters(
    letters: DeadLettersDep,
    task_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeadLettersPublic:
    """List dead-lettered calls, oldest first, paged (waiting queue messages recorded first)."""
    if task_id is not None:
        validate_task_id(task_id)
    page, token = await call_backend(
        letters, letters.page, task_id=task_id, limit=limit, next_token=next_token
    )
    return dead_letters_public(page, token)


@router.post(
    "/{dead_letter_id}/redrive",
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES | NOT_FOUND,
    dependencies=[ClientAuth],
)
async def redrive_dead_letter(
    dead_letter_id: Annotated[str, Path(max_length=128)], letters: DeadLettersDep
) -> RedrivePublic:
    """Send a dead-lettered call again now (same ``webhook-id``); it leaves the list."""
    result = await call_backend(letters, letters.redrive, dead_letter_id)
    return RedrivePublic.model_validate(result)
