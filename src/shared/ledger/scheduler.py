"""A scheduling backend with a ledger: schedules are the mechanism, the ledger the record.

``LedgeredScheduler`` wraps any ``TaskScheduler`` (the EventBridge adapter with the DynamoDB
ledger on AWS; the local adapter with its SQLite ledger on a laptop):

- **create**: with a ``client_token`` the task id is known in advance, so the ledger is
  asked first — the same request gives the recorded task back (``replayed``; the API
  answers 200), another request is a conflict (409), *even after the schedule ran and
  deleted itself*. Otherwise the schedule is created and the task recorded with a
  conditional write; if the ledger cannot record it, the new schedule is deleted again
  and the error (503) is raised: nothing half-created is left behind.
- **cancel**: the ledger is marked ``cancelled`` first (API_CALL_LAMBDA checks that mark
  before every attempt, so even a Lambda retry already queued is not delivered), then the
  schedule is deleted. A ledger failure (503) leaves everything as it was.
- **get / list**: answered from the ledger (status, attempts, last outcome), falling back
  to the schedule for a task the ledger does not know (made before the ledger existed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import CallbackSchedulerError, TaskNotFoundError
from shared.ledger.port import TaskLedger
from shared.ledger.types import ENDED_STATUSES, AttemptPage, TaskRecord
from shared.log import get_logger
from shared.scheduling.idempotency import replay_or_conflict, spec_fingerprint
from shared.scheduling.names import new_task_id
from shared.scheduling.port import TaskScheduler
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask, TaskPage

Spec = TypeVar("Spec", OneTimeTaskSpec, RecurringTaskSpec)


class LedgeredScheduler:
    """``TaskScheduler`` that records every task in a ``TaskLedger`` and reads from it."""

    def __init__(
        self,
        inner: TaskScheduler,
        ledger: TaskLedger,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.inner = inner
        self.ledger = ledger
        self._clock = clock or (lambda: datetime.now(UTC))
        # Inline on the API's event loop only when both sides are (the local SQLite ones).
        self.nonblocking = bool(
            getattr(inner, "nonblocking", False) and getattr(ledger, "nonblocking", False)
        )

    def create_one_time(self, spec: OneTimeTaskSpec) -> ScheduledTask:
        """Create the schedule and record the task (see the module docstring)."""
        return self._create(spec, self.inner.create_one_time)

    def create_recurring(self, spec: RecurringTaskSpec) -> ScheduledTask:
        """Create the recurring schedule and record the task as ``active``."""
        return self._create(spec, self.inner.create_recurring)

    def _create(self, spec: Spec, make: Callable[[Spec], ScheduledTask]) -> ScheduledTask:
        request_fingerprint = spec_fingerprint(spec)
        if spec.client_token is not None:
            recorded = self.ledger.get_task(new_task_id(spec.name_prefix, spec.client_token))
            if recorded is not None:
                existing = self.to_task(recorded)
                return replay_or_conflict(existing, request_fingerprint, spec.client_token)
        task = make(spec)
        record = to_record(task, request_fingerprint)
        try:
            recorded = self.ledger.put_task(record)
        except CallbackSchedulerError:
            if not task.replayed:
                self._undo(task.task_id)
            raise
        return replace(self.to_task(recorded or record), replayed=task.replayed, call=task.call)

    def _undo(self, task_id: str) -> None:
        try:
            self.inner.cancel(task_id)
        except CallbackSchedulerError as exc:
            get_logger().error(
                "task not recorded and its schedule not deleted",
                extra={"correlation_id": task_id, "error": exc.code},
            )

    def get(self, task_id: str) -> ScheduledTask:
        """Return the task from the ledger, or from its schedule when the ledger lacks it."""
        recorded = self.ledger.get_task(task_id)
        return self.to_task(recorded) if recorded is not None else self.inner.get(task_id)

    def list(
        self,
        *,
        name_prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
        status: str | None = None,
    ) -> TaskPage:
        """Return one page of tasks from the ledger (no per-task schedule read)."""
        page = self.ledger.list_tasks(
            status=status, prefix=name_prefix, page_size=page_size, next_token=next_token
        )
        return TaskPage([self.to_task(task) for task in page.tasks], page.next_token)

    def cancel(self, task_id: str) -> None:
        """Mark the task cancelled in the ledger, then delete its schedule."""
        marked = self.ledger.cancel_task(task_id, now=self._clock())
        try:
            self.inner.cancel(task_id)
        except TaskNotFoundError:
            if not marked:  # unknown, ended or cancelled already, and no schedule either
                raise

    def attempts(
        self, task_id: str, *, page_size: int = 50, next_token: str | None = None
    ) -> AttemptPage:
        """Return one page of the task's attempts; ``TaskNotFoundError`` if unknown."""
        if self.ledger.get_task(task_id) is None:
            raise TaskNotFoundError(f"task {task_id!r} not found")
        return self.ledger.list_attempts(task_id, page_size=page_size, next_token=next_token)

    def to_task(self, record: TaskRecord) -> ScheduledTask:
        """Return the task a ledger record stands for, with its next tick when recurring."""
        next_run = None
        if record.kind == "recurring" and record.status not in ENDED_STATUSES:
            from shared.scheduling.cron import next_run_at

            rate = record.schedule_expression.startswith("rate(")
            start = record.first_run_at if rate else record.created_at
            next_run = next_run_at(
                record.schedule_expression,
                record.timezone,
                now=self._clock(),
                created_at=start,
                start_date=start,
            )
        return ScheduledTask(
            task_id=record.task_id,
            arn=record.schedule_arn,
            kind=record.kind,
            schedule_expression=record.schedule_expression,
            timezone=record.timezone,
            state="ENABLED" if record.status not in ENDED_STATUSES else "ENDED",
            call=ApiCallRequest(target_url=record.target_url, method=record.method or "POST"),
            run_at=record.run_at,
            created_at=record.created_at,
            next_run_at=next_run,
            request_fingerprint=record.request_fingerprint,
            record=record,
        )


def to_record(task: ScheduledTask, request_fingerprint: str) -> TaskRecord:
    """Return the ledger record of a task the scheduling backend has just created."""
    call = task.call
    return TaskRecord(
        task_id=task.task_id,
        kind=task.kind,
        schedule_expression=task.schedule_expression,
        timezone=task.timezone,
        status="active" if task.kind == "recurring" else "scheduled",
        method=call.method if call else "POST",
        target_url=call.target_url if call else "",
        created_at=task.created_at or datetime.now(UTC),
        schedule_arn=task.arn,
        run_at=task.run_at,
        first_run_at=task.run_at if task.kind == "one_time" else task.next_run_at,
        request_fingerprint=request_fingerprint,
        webhook_id=webhook_id_for(call) if call and task.kind == "one_time" else None,
    )
