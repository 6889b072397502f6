"""Ledger records (standard library only): a task, one delivery attempt, a page of either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.exceptions import CallbackSchedulerError

TaskStatus = Literal[
    "scheduled", "delivering", "retrying", "delivered", "failed", "cancelled", "active"
]
Outcome = Literal["delivered", "retryable", "permanent"]
TASK_STATUSES: tuple[str, ...] = (
    "scheduled",
    "delivering",
    "retrying",
    "delivered",
    "failed",
    "cancelled",
    "active",
)
# A one-time task in one of these has ended; a recurring task ends only when cancelled.
ENDED_STATUSES = frozenset({"delivered", "failed", "cancelled"})
ONE_TIME_TICK = "once"
MAX_RESPONSE_EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class TaskRecord:
    """A task as the ledger keeps it (never a header, a body or a secret).

    ``target_url`` is the URL as the user gave it (normalised); ``first_run_at`` is the
    first tick (recurring) or the run time (one-time); ``attempt_count`` counts every
    attempt of the task, over all ticks.
    """

    task_id: str
    kind: Literal["one_time", "recurring"]
    schedule_expression: str
    timezone: str
    status: str
    method: str
    target_url: str
    created_at: datetime
    schedule_arn: str = ""
    run_at: datetime | None = None
    first_run_at: datetime | None = None
    cancelled_at: datetime | None = None
    request_fingerprint: str | None = None
    webhook_id: str | None = None
    attempt_count: int = 0
    last_outcome: str | None = None
    last_http_status: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    last_tick: str | None = None


@dataclass(frozen=True)
class AttemptRecord:
    """One delivery attempt: which task and tick, when, how long, and what came back.

    ``outcome``: ``delivered`` (2xx), ``retryable`` (408/429/5xx, timeout, connection
    error: Lambda retries it), ``permanent`` (any other answer, or a call that cannot be
    sent: dead-lettered). A cancelled task gets no attempt: nothing is sent.
    """

    task_id: str
    tick: str
    attempt_number: int
    started_at: datetime
    duration_ms: int
    outcome: str
    http_status: int | None = None
    error_class: str | None = None
    response_excerpt: str = ""
    webhook_id: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class TaskRecordPage:
    """One page of tasks; pass ``next_token`` back for the next one."""

    tasks: list[TaskRecord]
    next_token: str | None = None


@dataclass(frozen=True)
class AttemptPage:
    """One page of a task's attempts, oldest tick first, then by attempt number."""

    attempts: list[AttemptRecord]
    next_token: str | None = None


def excerpt(text: str, limit: int = MAX_RESPONSE_EXCERPT_BYTES) -> str:
    """Return at most ``limit`` UTF-8 bytes of ``text`` (a cut character is dropped).

    Parameters
    ----------
    text
        A response body as text.
    limit
        Byte budget (1 KiB by default).

    Returns
    -------
    str
        The prefix that fits.
    """
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def error_class_of(error: BaseException | None) -> str | None:
    """Return an attempt's ``error_class``: the delivery core's reason, else the error's type.

    Parameters
    ----------
    error
        What the attempt raised (None: it was delivered).

    Returns
    -------
    str or None
        ``target_not_allowed``, ``ConnectTimeoutError``, ``RetryableDeliveryError``...
    """
    if error is None:
        return None
    reason = error.details.get("reason") if isinstance(error, CallbackSchedulerError) else None
    return str(reason or type(error).__name__)
