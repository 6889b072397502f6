"""Rows of the local store: tasks, runs (deliveries of one tick) and dead letters."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

TaskKind = Literal["one_time", "recurring"]
DeadLetterReason = Literal["retries_exhausted", "permanent_failure", "expired"]


@dataclass(frozen=True)
class TaskRow:
    """A stored task; ``input`` is the schedule Input (the API_CALL event as JSON text)."""

    task_id: str
    kind: TaskKind
    expression: str
    timezone: str
    input: str
    created_at: float
    next_fire_at: float | None
    client_token: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TaskRow:
        """Build from a ``tasks`` row."""
        return cls(
            task_id=row["task_id"],
            kind=row["kind"],
            expression=row["expression"],
            timezone=row["timezone"],
            input=row["input"],
            created_at=row["created_at"],
            next_fire_at=row["next_fire_at"],
            client_token=row["client_token"],
        )


@dataclass
class RunRow:
    """One delivery of one tick of a task, with the attempts made so far."""

    run_id: int
    task_id: str
    scheduled_time: float
    due_at: float
    expires_at: float
    attempt: int
    input: str
    log: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunRow:
        """Build from a ``runs`` row."""
        return cls(
            run_id=row["run_id"],
            task_id=row["task_id"],
            scheduled_time=row["scheduled_time"],
            due_at=row["due_at"],
            expires_at=row["expires_at"],
            attempt=row["attempt"],
            input=row["input"],
            log=json.loads(row["log"]),
        )


@dataclass(frozen=True)
class DeadLetter:
    """A run that will not be retried: retries exhausted, a permanent failure, or too old.

    ``attempts`` lists every attempt as ``{"at", "status", "error"}``; ``input`` is the
    API_CALL event that can be re-driven.
    """

    dl_id: str
    task_id: str
    scheduled_time: float
    input: str
    attempts: list[dict[str, Any]]
    reason: DeadLetterReason
    status: int | None
    response_body: str
    created_at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DeadLetter:
        """Build from a ``dead_letters`` row."""
        return cls(
            dl_id=row["dl_id"],
            task_id=row["task_id"],
            scheduled_time=row["scheduled_time"],
            input=row["input"],
            attempts=json.loads(row["log"]),
            reason=row["reason"],
            status=row["status"],
            response_body=row["response_body"],
            created_at=row["created_at"],
        )

    def to_params(self) -> tuple[object, ...]:
        """Return the values of a ``dead_letters`` row in column order."""
        return (
            self.dl_id,
            self.task_id,
            self.scheduled_time,
            self.input,
            len(self.attempts),
            json.dumps(self.attempts),
            self.reason,
            self.status,
            self.response_body,
            self.created_at,
        )


def run_request_id(run_id: int) -> str:
    """The local stand-in of a Lambda request id: the run (one tick's delivery) it belongs to."""
    return f"local-run-{run_id}"
