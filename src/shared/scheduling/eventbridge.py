"""EventBridge Scheduler adapter of the scheduling port (the deployed backend).

One task is one schedule named by its task id in the configured group; its ``Target`` is
API_CALL_LAMBDA with the call as ``Input``. Everything is validated (``validation``) before any
AWS call. This is the only module that imports botocore's exceptions; ``ClientError`` codes
become the domain errors of ``shared.exceptions``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.exceptions import (
    BackendUnavailableError,
    ConfigurationError,
    TaskConflictError,
    TaskNotFoundError,
)
from shared.scheduling.idempotency import (
    conflict_error,
    new_nonce,
    replay_or_conflict,
    spec_fingerprint,
)
from shared.scheduling.schedule_mapping import map_client_error, schedule_to_task
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask, TaskPage
from shared.scheduling.validation import (
    at_expression,
    build_target_input,
    new_task_id,
    parse_schedule_expression,
    validate_page_request,
    validate_run_at,
    validate_task_id,
    validate_timezone,
)

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.literals import ActionAfterCompletionType
    from mypy_boto3_scheduler.type_defs import TargetTypeDef

    from shared.scheduling.planning import PlannedTask
    from shared.settings import Settings

_DETAIL_WORKERS = 8


class EventBridgeScheduler:
    """``TaskScheduler`` on Amazon EventBridge Scheduler.

    Parameters
    ----------
    group_name, target_arn, role_arn, dead_letter_queue_arn : str
        Schedule group, API_CALL_LAMBDA's ARN, the role Scheduler assumes, the SQS DLQ's ARN.
    retry_attempts, max_event_age_seconds : int
        The schedules' ``RetryPolicy`` (0-185 attempts, 60-86400 s).
    region_name : str, optional
        Region of the lazily built client.
    client : optional
        A boto3 ``scheduler`` client; built once, on first use, when omitted.
    clock : callable, optional
        Returns the current aware time (tests pin it).
    """

    def __init__(
        self,
        *,
        group_name: str,
        target_arn: str,
        role_arn: str,
        dead_letter_queue_arn: str,
        retry_attempts: int,
        max_event_age_seconds: int,
        region_name: str | None = None,
        client: EventBridgeSchedulerClient | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.group_name = group_name
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dead_letter_queue_arn = dead_letter_queue_arn
        self._retry_attempts = retry_attempts
        self._max_event_age_seconds = max_event_age_seconds
        self._region_name = region_name
        self._client = client
        self._client_lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._arn_prefix = ""  # learned from the first CreateSchedule answer

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: EventBridgeSchedulerClient | None = None
    ) -> EventBridgeScheduler:
        """Build the adapter from settings; raise ``ConfigurationError`` naming missing ARNs."""
        names = ("api_call_function_arn", "scheduler_role_arn", "dead_letter_queue_arn")
        missing = [name.upper() for name in names if not getattr(settings, name)]
        if missing:
            raise ConfigurationError(
                f"the EventBridge scheduler needs {', '.join(missing)}",
                details={"missing": missing},
            )
        return cls(
            group_name=settings.schedule_group_name,
            target_arn=str(settings.api_call_function_arn),
            role_arn=str(settings.scheduler_role_arn),
            dead_letter_queue_arn=str(settings.dead_letter_queue_arn),
            retry_attempts=settings.retry_max_attempts,
            max_event_age_seconds=settings.max_event_age_seconds,
            region_name=settings.aws_region,
            client=client,
        )

    @property
    def client(self) -> EventBridgeSchedulerClient:
        """The boto3 ``scheduler`` client, built on first use."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    # Worst case 2 x (1 + 2) s + one back-off (<= 6 s) = 12 s: with one
                    # Secrets Manager read it stays below ApiFunction's Timeout, so a slow
                    # answer is our 503 (tests/template/test_timeouts.py).
                    config = Config(
                        connect_timeout=1,
                        read_timeout=2,
                        retries={"mode": "standard", "total_max_attempts": 2},
                    )
                    session = boto3.session.Session(region_name=self._region_name)
                    self._client = session.client("scheduler", config=config)
        return self._client

    def create_one_time(self, spec: OneTimeTaskSpec) -> ScheduledTask:
        """Create an ``at()`` schedule (to the second) that deletes itself after it ran."""
        return self.submit(self.plan_one_time(spec))

    def create_recurring(self, spec: RecurringTaskSpec) -> ScheduledTask:
        """Create a ``cron()``/``rate()`` schedule evaluated in the task's time zone.

        A ``rate()`` schedule gets an explicit ``StartDate``: its first tick, one period after
        now (rounded up to the second), the same instant the local backend fires first.
        """
        return self.submit(self.plan_recurring(spec))

    def plan_one_time(self, spec: OneTimeTaskSpec) -> PlannedTask:
        """Validate a one-time ``spec``; return the task ``submit`` creates (no AWS call)."""
        zone = validate_timezone(spec.timezone)
        run_at = validate_run_at(spec.run_at, now=self._clock())
        expression, timezone = at_expression(run_at, zone)
        task_id = new_task_id(spec.name_prefix, spec.client_token)
        target_input = build_target_input(
            spec.call,
            task_id=task_id,
            recurring=False,
            nonce=new_nonce(),
            request_fingerprint=spec_fingerprint(spec),
        )
        return self._plan(_Submission(task_id, expression, timezone, "DELETE", target_input, spec))

    def plan_recurring(self, spec: RecurringTaskSpec) -> PlannedTask:
        """Validate a recurring ``spec``; return the task ``submit`` creates (no AWS call)."""
        zone = validate_timezone(spec.timezone)
        parsed = parse_schedule_expression(spec.expression)
        task_id = new_task_id(spec.name_prefix, spec.client_token)
        target_input = build_target_input(
            spec.call,
            task_id=task_id,
            recurring=True,
            nonce=new_nonce(),
            request_fingerprint=spec_fingerprint(spec),
        )
        start = None
        if parsed.interval_seconds is not None:
            from shared.scheduling.cron import rate_start_date  # APScheduler: only when asked

            start = rate_start_date(self._clock(), parsed.interval_seconds)
        submission = _Submission(
            task_id, parsed.expression, zone.key, "NONE", target_input, spec, start_date=start
        )
        return self._plan(submission)

    def _plan(self, submission: _Submission) -> PlannedTask:
        """The task as ``submit`` will return it; its ARN once one create has shown this
        group's ARN prefix (``""`` before)."""
        starts: dict[str, Any] = (
            {} if submission.start_date is None else {"StartDate": submission.start_date}
        )
        prefix = self._arn_prefix
        schedule = {
            "Name": submission.task_id,
            "Arn": prefix + submission.task_id if prefix else "",
            "ScheduleExpression": submission.expression,
            "ScheduleExpressionTimezone": submission.timezone,
            "State": "ENABLED",
            "Target": {"Input": submission.target_input},
            "CreationDate": self._clock(),
            **starts,
        }
        from shared.scheduling.planning import PlannedTask  # first create, not API init

        return PlannedTask(schedule_to_task(schedule, now=self._clock()), submission)

    def submit(self, plan: PlannedTask) -> ScheduledTask:
        """Create the planned schedule; return the planned task with its ARN, or the
        existing task when the same ``client_token`` request made it already (``replayed``);
        ``TaskConflictError`` for another request."""
        submission: _Submission = plan.submission
        task_id, spec = submission.task_id, submission.spec
        starts: dict[str, Any] = (
            {} if submission.start_date is None else {"StartDate": submission.start_date}
        )
        target: TargetTypeDef = {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": submission.target_input,
            "RetryPolicy": {
                "MaximumRetryAttempts": self._retry_attempts,
                "MaximumEventAgeInSeconds": self._max_event_age_seconds,
            },
            "DeadLetterConfig": {"Arn": self._dead_letter_queue_arn},
        }
        try:
            with _mapped_errors("create", task_id, self.group_name):
                response = self.client.create_schedule(
                    Name=task_id,
                    GroupName=self.group_name,
                    ScheduleExpression=submission.expression,
                    ScheduleExpressionTimezone=submission.timezone,
                    FlexibleTimeWindow={"Mode": "OFF"},
                    ActionAfterCompletion=submission.after_completion,
                    # random per create: idempotency is by name and request fingerprint
                    ClientToken=uuid.uuid4().hex,
                    State="ENABLED",
                    Target=target,
                    **starts,
                )
        except TaskConflictError:
            return self._existing(task_id, spec)
        arn = str(response["ScheduleArn"])
        if arn.endswith("/" + task_id):  # every schedule of the group shares this prefix
            self._arn_prefix = arn[: -len(task_id)]
        return replace(plan.task, arn=arn)

    def _existing(self, task_id: str, spec: OneTimeTaskSpec | RecurringTaskSpec) -> ScheduledTask:
        """The schedule exists: a replay of the same request, or a conflict."""
        try:
            existing = self.get(task_id)
        except TaskNotFoundError:  # it ran and deleted itself meanwhile: the caller retries
            raise conflict_error(task_id, spec.client_token) from None
        return replay_or_conflict(existing, spec_fingerprint(spec), spec.client_token)

    def get(self, task_id: str) -> ScheduledTask:
        """Return the task; ``TaskNotFoundError`` when unknown (or already run and deleted)."""
        validate_task_id(task_id)
        with _mapped_errors("get", task_id, self.group_name):
            schedule = self.client.get_schedule(Name=task_id, GroupName=self.group_name)
        return schedule_to_task(schedule, now=self._clock())

    def list(
        self,
        *,
        name_prefix: str | None = None,
        page_size: int = 50,
        next_token: str | None = None,
    ) -> TaskPage:
        """Return one page of tasks, each with its full details (one GetSchedule per task)."""
        validate_page_request(name_prefix=name_prefix, page_size=page_size, next_token=next_token)
        params: dict[str, Any] = {"GroupName": self.group_name, "MaxResults": page_size}
        if name_prefix is not None:
            params["NamePrefix"] = name_prefix
        if next_token is not None:
            params["NextToken"] = next_token
        action = "list" if next_token is None else "list_page"
        with _mapped_errors(action, None, self.group_name):
            response = self.client.list_schedules(**params)
        names = [str(item["Name"]) for item in response.get("Schedules", [])]
        with ThreadPoolExecutor(max_workers=min(_DETAIL_WORKERS, len(names) or 1)) as pool:
            details = list(pool.map(self._get_if_present, names))
        tasks = [task for task in details if task is not None]
        return TaskPage(tasks=tasks, next_token=response.get("NextToken") or None)

    def _get_if_present(self, task_id: str) -> ScheduledTask | None:
        try:
            return self.get(task_id)
        except TaskNotFoundError:  # ran and deleted itself between the list and the get
            return None

    def cancel(self, task_id: str) -> None:
        """Delete the schedule; ``TaskNotFoundError`` when unknown."""
        validate_task_id(task_id)
        with _mapped_errors("cancel", task_id, self.group_name):
            self.client.delete_schedule(Name=task_id, GroupName=self.group_name)


@contextmanager
def _mapped_errors(action: str, task_id: str | None, group: str) -> Iterator[None]:
    """Turn botocore failures inside the block into domain errors."""
    try:
        yield
    except ClientError as exc:
        raise map_client_error(exc.response, action, task_id, group) from exc
    except BotoCoreError as exc:
        raise BackendUnavailableError(
            f"EventBridge Scheduler is unreachable ({type(exc).__name__})",
            details={"aws_error_code": type(exc).__name__},
        ) from exc


class _Submission:
    """What ``submit`` sends to CreateSchedule for a planned task (a plain class: defining a
    frozen dataclass at import would cost API init ~1 ms on a loaded machine)."""

    __slots__ = (
        "after_completion",
        "expression",
        "spec",
        "start_date",
        "target_input",
        "task_id",
        "timezone",
    )  # fmt: skip

    def __init__(
        self,
        task_id: str,
        expression: str,
        timezone: str,
        after_completion: ActionAfterCompletionType,
        target_input: str,
        spec: OneTimeTaskSpec | RecurringTaskSpec,
        start_date: datetime | None = None,
    ) -> None:
        self.task_id = task_id
        self.expression = expression
        self.timezone = timezone
        self.after_completion = after_completion
        self.target_input = target_input
        self.spec = spec
        self.start_date = start_date
