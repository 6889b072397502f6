"""Map EventBridge Scheduler answers to the domain: schedules to tasks, error codes to errors.

Standard library only, no botocore (the adapter in ``eventbridge`` catches botocore's
exceptions and passes their response here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.delivery.event import ApiCallRequest
from shared.exceptions import (
    BackendUnavailableError,
    CallbackSchedulerError,
    ConfigurationError,
    InvalidRequestError,
    ScheduleValidationError,
    TaskConflictError,
    TaskNotFoundError,
    ThrottledError,
)
from shared.scheduling.types import ScheduledTask

_AT_FORMAT = "at(%Y-%m-%dT%H:%M:%S)"
NEXT_TOKEN_MESSAGE = "next_token is not one this backend returned"  # noqa: S105
_CONFIGURATION_WORDS = ("arn", "role", "target", "deadletter", "dead letter", "permission")


def _names_configuration(message: str) -> bool:
    lowered = message.lower().replace("_", "")
    return any(word in lowered for word in _CONFIGURATION_WORDS)


def parse_at_expression(expression: str, timezone: str) -> datetime | None:
    """Return the aware time of ``at(YYYY-MM-DDTHH:MM:SS)`` in ``timezone``; None if unreadable."""
    try:
        wall = datetime.strptime(expression, _AT_FORMAT)
        return wall.replace(tzinfo=ZoneInfo(timezone))
    except (ValueError, ZoneInfoNotFoundError, OSError):
        return None


def input_to_call(target_input: object) -> ApiCallRequest | None:
    """Parse a schedule's ``Target.Input`` back into the call; None when it is not one."""
    if not isinstance(target_input, str):
        return None
    try:
        return ApiCallRequest.from_event(json.loads(target_input))
    except (ValueError, InvalidRequestError):
        return None


def input_fingerprint(target_input: object) -> str | None:
    """Return the ``request_fingerprint`` kept in a schedule's Input, if any."""
    try:
        value = json.loads(target_input) if isinstance(target_input, str) else None
    except ValueError:
        return None
    found = value.get("request_fingerprint") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def schedule_to_task(schedule: Mapping[str, Any], now: datetime | None = None) -> ScheduledTask:
    """Return the task a schedule stands for.

    Parameters
    ----------
    schedule : Mapping
        ``Name``, ``Arn``, ``ScheduleExpression``, ``ScheduleExpressionTimezone``, ``State``,
        ``Target.Input``, ``CreationDate`` and ``StartDate`` as GetSchedule returns them.
    now : datetime, optional
        When given, a recurring task's ``next_run_at`` is its next tick at or after ``now``.

    Returns
    -------
    ScheduledTask
        ``kind`` is ``one_time`` for ``at(...)``, with ``run_at`` set; otherwise ``recurring``.
    """
    expression = str(schedule.get("ScheduleExpression", ""))
    timezone = str(schedule.get("ScheduleExpressionTimezone") or "UTC")
    one_time = expression.startswith("at(")
    created = schedule.get("CreationDate")
    if isinstance(created, datetime) and created.utcoffset() is None:
        created = created.replace(tzinfo=UTC)
    target = schedule.get("Target") or {}
    next_run = None
    if not one_time and now is not None:
        from shared.scheduling.cron import next_run_at  # APScheduler: only when asked

        start = _aware(schedule.get("StartDate")) or _aware(created)
        next_run = next_run_at(expression, timezone, now=now, created_at=start, start_date=start)
    return ScheduledTask(
        task_id=str(schedule["Name"]),
        arn=str(schedule.get("Arn", "")),
        kind="one_time" if one_time else "recurring",
        schedule_expression=expression,
        timezone=timezone,
        state=str(schedule.get("State", "")),
        call=input_to_call(target.get("Input")),
        run_at=parse_at_expression(expression, timezone) if one_time else None,
        created_at=created if isinstance(created, datetime) else None,
        next_run_at=next_run,
        request_fingerprint=input_fingerprint(target.get("Input")),
    )


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)


def map_client_error(
    response: Mapping[str, Any], action: str, task_id: str | None, group: str
) -> CallbackSchedulerError:
    """Return the domain error for a ``ClientError`` response of ``action``.

    ``ServiceQuotaExceededException`` (the account's schedule count) becomes ``ThrottledError``:
    like throttling it clears when schedules complete, so "try again later" (429) fits best.
    A ``ValidationException`` on create that names an ARN, a role, the target or the
    dead-letter config is our own configuration (``ConfigurationError``, 503); everything a
    client can get wrong is validated before any AWS call. A list refused for its
    ``NextToken`` (``ValidationException``, or moto's ``InvalidToken``) is the client's.
    """
    error = response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = f"{action} {task_id or 'tasks'}: {error.get('Message', code)}"
    details = {"aws_error_code": code}
    if code == "ConflictException":
        return TaskConflictError(f"task {task_id!r} already exists", details=details)
    if code == "ResourceNotFoundException":
        if action in ("create", "list", "list_page"):
            return ConfigurationError(f"schedule group {group!r} not found", details=details)
        return TaskNotFoundError(f"task {task_id!r} not found", details=details)
    if action == "list_page" and code in ("ValidationException", "InvalidToken"):
        return InvalidRequestError(NEXT_TOKEN_MESSAGE, details=details)
    if code in ("ThrottlingException", "ServiceQuotaExceededException"):
        return ThrottledError(f"EventBridge Scheduler refused for now: {text}", details=details)
    if code == "ValidationException":
        if action == "create" and _names_configuration(str(error.get("Message", ""))):
            return ConfigurationError(
                f"EventBridge refused our configuration: {text}", details=details
            )
        if action == "create":
            return ScheduleValidationError(f"rejected by EventBridge: {text}", details=details)
        return InvalidRequestError(f"rejected by EventBridge: {text}", details=details)
    return BackendUnavailableError(f"EventBridge Scheduler failed: {text}", details=details)
