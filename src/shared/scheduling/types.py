"""Domain types of the scheduling port (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # annotations only: the API's cold start imports neither for these types
    from shared.delivery.event import ApiCallRequest
    from shared.ledger.types import TaskRecord

TaskKind = Literal["one_time", "recurring"]
DEFAULT_NAME_PREFIX = "task"


@dataclass(frozen=True)
class OneTimeTaskSpec:
    """Run ``call`` once at ``run_at`` (timezone-aware), shown in ``timezone`` (IANA name).

    ``client_token`` makes the create idempotent: the same token with the same request
    (``request_fingerprint``, a hash of the request as the client sent it; derived from the
    spec when omitted) gives the existing task back, with another request a conflict.
    """

    call: ApiCallRequest
    run_at: datetime
    timezone: str = "UTC"
    name_prefix: str = DEFAULT_NAME_PREFIX
    client_token: str | None = None
    request_fingerprint: str | None = None


@dataclass(frozen=True)
class RecurringTaskSpec:
    """Run ``call`` on an EventBridge ``cron(...)`` or ``rate(...)`` expression in ``timezone``."""

    call: ApiCallRequest
    expression: str
    timezone: str = "UTC"
    name_prefix: str = DEFAULT_NAME_PREFIX
    client_token: str | None = None
    request_fingerprint: str | None = None


@dataclass(frozen=True)
class ScheduledTask:
    """A task as the backend reports it. ``task_id`` is the schedule's name.

    ``next_run_at``: a recurring task's next tick (``shared.scheduling.cron``), when known.
    ``replayed`` is true when a create with a known ``client_token`` and the same request
    returned this existing task instead of creating one. ``record``: what the ledger knows
    of the task (status, attempt count, last outcome) when a ledger answered.
    """

    task_id: str
    arn: str
    kind: TaskKind
    schedule_expression: str
    timezone: str
    state: str
    call: ApiCallRequest | None = None
    run_at: datetime | None = None
    created_at: datetime | None = None
    next_run_at: datetime | None = None
    request_fingerprint: str | None = None
    replayed: bool = False
    record: TaskRecord | None = None


@dataclass(frozen=True)
class TaskPage:
    """One page of a listing; pass ``next_token`` back to get the next page."""

    tasks: list[ScheduledTask]
    next_token: str | None = None
