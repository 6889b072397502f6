"""The dead-letter shapes both backends answer (local: SQLite; AWS: the ledger)."""

from __future__ import annotations

from typing import Any

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


class DeadLettersPublic(ApiModel):
    """One page of dead letters, oldest first; ``next_token`` fetches the next page."""

    data: list[DeadLetterPublic]
    count: int
    next_token: str | None = None
