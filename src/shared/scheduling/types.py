"""Domain types of the scheduling port (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.delivery.event import ApiCallRequest

TaskKind = Literal["one_time", "recurring"]
DEFAULT_NAME_PREFIX = "task"


@dataclass(frozen=True)
class OneTimeTaskSpec:
    """Run ``call`` once at ``run_at`` (timezone-aware), shown in ``timezone`` (IANA name).

    ``client_token`` makes the create idempotent (same token → same request accepted once).
    """

    call: ApiCallRequest
    run_at: datetime
    timezone: str = "UTC"
    name_prefix: str = DEFAULT_NAME_PREFIX
    client_token: str | None = None


@dataclass(frozen=True)
class RecurringTaskSpec:
    """Run ``call`` on an EventBridge ``cron(...)`` or ``rate(...)`` expression in ``timezone``."""

    call: ApiCallRequest
    expression: str
    timezone: str = "UTC"
    name_prefix: str = DEFAULT_NAME_PREFIX
    client_token: str | None = None


@dataclass(frozen=True)
class ScheduledTask:
    """A task as the backend reports it. ``task_id`` is the schedule's name.

    ``next_run_at``: a recurring task's next tick (``shared.scheduling.cron``), when known.
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


@dataclass(frozen=True)
class TaskPage:
    """One page of a listing; pass ``next_token`` back to get the next page."""

    tasks: list[ScheduledTask]
    next_token: str | None = None
