"""A scheduling backend with a ledger: schedules are the mechanism, the ledger the record.

``LedgeredScheduler`` wraps any ``TaskScheduler`` (the EventBridge adapter with the DynamoDB
ledger on AWS; the local adapter with its SQLite ledger on a laptop):

- **create**: with a ``client_token`` the task id is known in advance, so the ledger is
  asked first — the same request gives the recorded task back (``replayed``; the API
  answers 200), another request is a conflict (409), *even after the schedule ran and
  deleted itself*. Then the schedule is created and the task it made recorded with a
  conditional write, in that order: requests racing with one token meet at CreateSchedule
  (one creates, the others replay or conflict) and the ledger records the schedule that
  won, with its nonce. Without a token the id is random, no other request can hold it, and
  when the backend can plan the create (``shared.scheduling.planning``: the EventBridge
  adapter, once it knows its group's ARN prefix) the conditional write runs on another
  thread *while* the schedule is created. Either way both halves are settled before the
  API answers: if one failed, the other is undone (the schedule deleted, or the record)
  and the error raised (the scheduler's when it failed, else the ledger's 503). Nothing
  half-created is left behind; an undo that fails itself is logged at ERROR. On the
  concurrent path a half that failed but may have landed (a timeout) is deleted too, as
  the id is this request's own.
- **cancel**: the ledger is marked ``cancelled`` first (API_CALL_LAMBDA checks that mark
  before every attempt, so even a Lambda retry already queued is not delivered), then the
  schedule is deleted. A ledger failure (503) leaves everything as it was.
- **get / list**: answered from the ledger (status, attempts, last outcome), falling back
  to the schedule for a task the ledger does not know (made before the ledger existed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import BackendUnavailableError, CallbackSchedulerError, TaskNotFoundError
from shared.ledger.port import TaskLedger
from shared.ledger.types import ENDED_STATUSES, AttemptPage, TaskRecord
from shared.log import get_logger
from shared.scheduling.idempotency import conflict_error, replay_or_conflict, spec_fingerprint
from shared.scheduling.names import new_task_id
from shared.scheduling.port import TaskScheduler
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask, TaskPage

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from shared.scheduling.planning import PlannedTask

Spec = TypeVar("Spec", OneTimeTaskSpec, RecurringTaskSpec)
_LEDGER_WORKERS = 8  # concurrent creates recording at once; more wait their turn


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
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
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
            # Requests with one token race for one task id: CreateSchedule decides, and the
            # ledger then records whatever schedule won (never a twin with another nonce).
            return self._create_in_turn(lambda: make(spec), request_fingerprint)
        plan = self._plan(spec)
        if plan is None:
            return self._create_in_turn(lambda: make(spec), request_fingerprint)
        if not plan.task.arn:  # the backend learns the ARN from its first create
            return self._create_in_turn(lambda: self._submit(plan), request_fingerprint)
        return self._create_together(plan, request_fingerprint)

    def _plan(self, spec: Spec) -> PlannedTask | None:
        """The planned create when the backend can tell the task (ARN included) in advance."""
        from shared.scheduling.planning import PlanningScheduler

        inner = self.inner
        if not isinstance(inner, PlanningScheduler):
            return None
        if isinstance(spec, OneTimeTaskSpec):
            return inner.plan_one_time(spec)
        return inner.plan_recurring(spec)

    def _submit(self, plan: PlannedTask) -> ScheduledTask:
        from shared.scheduling.planning import PlanningScheduler

        assert isinstance(self.inner, PlanningScheduler)
        return self.inner.submit(plan)

    def _create_in_turn(
        self, make: Callable[[], ScheduledTask], request_fingerprint: str
    ) -> ScheduledTask:
        """CreateSchedule, then the conditional PutItem of the task it made."""
        task = make()
        record = to_record(task, request_fingerprint)
        try:
            recorded = self.ledger.put_task(record)
        except CallbackSchedulerError:
            if not task.replayed:
                self._undo(task.task_id)
            raise
        return replace(self.to_task(recorded or record), replayed=task.replayed, call=task.call)

    def _create_together(self, plan: PlannedTask, request_fingerprint: str) -> ScheduledTask:
        """PutItem (another thread) while CreateSchedule runs; undo whichever half succeeded
        when the other failed, before answering. Only for a task id no other request can
        hold (no ``client_token``: random), so both halves are this request's own."""
        task_id = plan.task.task_id
        record = to_record(plan.task, request_fingerprint)
        put = self._workers().submit(self.ledger.put_task, record)
        try:
            created: ScheduledTask | None = self._submit(plan)
            create_error: BaseException | None = None
        except BaseException as exc:  # re-raised below, once the ledger has answered
            created, create_error = None, exc
        put_error = put.exception()  # waits: bounded by the client's timeouts and retries
        other = None if put_error is not None else put.result()
        if create_error is not None:
            if isinstance(create_error, BackendUnavailableError):
                self._undo(task_id, unsure=True)  # a create that timed out may have landed
            if other is None:  # recorded (or perhaps recorded): remove it before answering
                self._forget(task_id)
            raise create_error
        assert created is not None
        if put_error is not None or other is not None:
            self._undo(task_id)  # the schedule is this request's own: the id is random
            if put_error is not None:
                self._forget(task_id)  # a write that timed out may have landed
                raise put_error
            raise conflict_error(task_id, None)  # a random id taken: practically never
        if created.arn != record.schedule_arn:  # the group's ARN changed: record the real one
            record = replace(record, schedule_arn=created.arn)
            try:
                self.ledger.delete_task(task_id)
                self.ledger.put_task(record)
            except CallbackSchedulerError:
                self._undo(task_id)
                self._forget(task_id)
                raise
        return replace(self.to_task(record), call=created.call)

    def _workers(self) -> ThreadPoolExecutor:
        """The threads that write the ledger during creates (made on first use)."""
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            with self._executor_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=_LEDGER_WORKERS, thread_name_prefix="ledger-create"
                    )
        return self._executor

    def _undo(self, task_id: str, *, unsure: bool = False) -> None:
        """Delete the schedule of a task that could not be recorded; a failure is logged.
        ``unsure``: the schedule may not exist (its create failed), and that is fine."""
        try:
            self.inner.cancel(task_id)
        except CallbackSchedulerError as exc:
            if unsure and isinstance(exc, TaskNotFoundError):
                return
            get_logger().error(
                "task not recorded and its schedule not deleted",
                extra={"correlation_id": task_id, "error": exc.code},
            )

    def _forget(self, task_id: str) -> None:
        """Delete the record of a task whose create failed; a failure is logged loudly."""
        try:
            self.ledger.delete_task(task_id)
        except CallbackSchedulerError as exc:
            get_logger().error(
                "task schedule not created and its ledger record not deleted",
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
