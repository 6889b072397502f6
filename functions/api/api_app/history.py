"""Models and mapping of a task's attempt history (from the ledger)."""

# No `from __future__ import annotations`: see api_app.models (cold start).
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from api_app.models import ApiModel

if TYPE_CHECKING:  # the ledger's records load with the ledger, on first use
    from shared.ledger.types import AttemptPage


class AttemptPublic(ApiModel):
    """One delivery attempt of a task."""

    tick: str = Field(description='"once" for a one-time task; the tick time for recurring.')
    attempt_number: int = Field(description="n-th attempt of the task (0: the ledger missed it)")
    started_at: datetime
    duration_ms: int
    outcome: str = Field(description="delivered, retryable or permanent")
    http_status: int | None = None
    error_class: str | None = None
    response_excerpt: str = Field(default="", description="First 1 KiB of the response body.")
    webhook_id: str | None = None


class AttemptsPublic(ApiModel):
    """One page of attempts; pass ``next_token`` back for the next page."""

    data: list[AttemptPublic]
    count: int
    next_token: str | None = None


def to_attempts_public(page: "AttemptPage") -> AttemptsPublic:
    """Show a page of attempts (the Lambda request id stays in the ledger and the logs)."""
    data = [AttemptPublic.model_validate(a, from_attributes=True) for a in page.attempts]
    return AttemptsPublic(data=data, count=len(data), next_token=page.next_token)
