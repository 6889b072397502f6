"""The dead-letter shapes both backends answer (local: SQLite; AWS: the ledger)."""

# No `from __future__ import annotations`: see api_app.models (cold start).
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from api_app.models import ApiModel


class AttemptPublic(ApiModel):
    """One delivery attempt: when, the status answered (null: no answer), the error."""

    at: str
    status: int | None
    error: str


class DeadLetterPublic(ApiModel):
    """A call that will not be retried, with every attempt made."""

    id: str
    task_id: str
    scheduled_time: str
    reason: str
    status: int | None
    response_body: str
    attempts: list[AttemptPublic]
    call: dict[str, Any]
    dead_lettered_at: str


class RedrivePublic(ApiModel):
    """A dead letter sent again (both backends answer this, with 202)."""

    id: str
    task_id: str
    webhook_id: str = Field(description="The webhook-id of the fresh attempt (as before).")
    request_id: str | None = Field(
        description="AWS: the request id of ApiCallFunction's asynchronous invocation; "
        "local: local-run-<n>, the run that delivers it. Its attempts carry the same id."
    )
    state: Literal["redriven"]


class DeadLettersPublic(ApiModel):
    """One page of dead letters, oldest first; ``next_token`` fetches the next page."""

    data: list[DeadLetterPublic]
    count: int
    next_token: str | None = None


def dead_letters_public(letters: Iterable[Any], next_token: str | None) -> DeadLettersPublic:
    """One page of either backend's dead letters (mappings or objects with the fields)."""
    data = [DeadLetterPublic.model_validate(letter, from_attributes=True) for letter in letters]
    return DeadLettersPublic(data=data, count=len(data), next_token=next_token)
