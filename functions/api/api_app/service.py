"""Turn API requests into scheduling-port calls and port results into API models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from api_app.models import TaskCreate, TaskPublic
from api_app.targets import callback_url, ensure_target_allowed
from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import InvalidFieldError
from shared.scheduling.validation import validate_timezone
from shared.settings import Settings

if TYPE_CHECKING:  # the scheduling types load on the first create, not at cold start
    from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask

    TaskSpec = OneTimeTaskSpec | RecurringTaskSpec


def to_task_spec(payload: TaskCreate, settings: Settings, *, now: datetime) -> TaskSpec:
    """Build the port's spec from a ``TaskCreate``; validate time zone and target first.

    The spec's ``request_fingerprint`` hashes the request as the client sent it (not the
    computed run time), so a create retried later with the same ``client_token`` and
    ``delay_seconds`` is recognised as the same request.
    """
    from shared.scheduling.idempotency import fingerprint
    from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec

    limit = settings.max_task_timeout_seconds
    if payload.timeout_seconds is not None and payload.timeout_seconds > limit:
        raise InvalidFieldError(
            f"timeout_seconds: at most {limit:g} s (MAX_TASK_TIMEOUT_SECONDS)",
            details={"max": limit},
        )
    request_fingerprint = fingerprint(payload.model_dump(mode="json", exclude={"client_token"}))
    zone_name = payload.timezone or "UTC"
    zone = validate_timezone(zone_name)
    target = str(payload.target_url) if payload.target_url else callback_url(settings)
    ensure_target_allowed(target, settings)
    call = ApiCallRequest(
        target_url=target,
        method=payload.method,
        headers=payload.headers,
        body=payload.body,
        timeout_seconds=payload.timeout_seconds,
    )
    if payload.schedule_expression is not None:
        return RecurringTaskSpec(
            call=call,
            expression=payload.schedule_expression,
            timezone=zone_name,
            name_prefix=payload.name_prefix,
            client_token=payload.client_token,
            request_fingerprint=request_fingerprint,
        )
    if payload.delay_seconds is not None:
        run_at = now + timedelta(seconds=payload.delay_seconds)
    else:
        assert payload.run_at is not None
        run_at = _aware(payload.run_at, zone)
    return OneTimeTaskSpec(
        call=call,
        run_at=run_at.astimezone(zone),
        timezone=zone_name,
        name_prefix=payload.name_prefix,
        client_token=payload.client_token,
        request_fingerprint=request_fingerprint,
    )


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def quick_start_spec(
    delay_minutes: int, data: dict[str, object], settings: Settings, *, now: datetime
) -> OneTimeTaskSpec:
    """The seed's pair: call our own callback route with ``{"data": data}`` later."""
    from shared.scheduling.types import OneTimeTaskSpec

    call = ApiCallRequest(target_url=callback_url(settings), body={"data": data})
    return OneTimeTaskSpec(
        call=call, run_at=now + timedelta(minutes=delay_minutes), name_prefix="task"
    )


def to_public(task: ScheduledTask) -> TaskPublic:
    """Show a task without anything that could carry a credential (headers are left out)."""
    record = task.record
    history: dict[str, object] = {}
    if record is not None:
        history = {
            "status": record.status,
            "attempt_count": record.attempt_count,
            "last_outcome": record.last_outcome,
            "last_http_status": record.last_http_status,
            "last_attempt_at": record.last_attempt_at,
            "cancelled_at": record.cancelled_at,
        }
    webhook_id = record.webhook_id if record is not None else None
    if webhook_id is None and task.call and task.kind == "one_time":
        webhook_id = webhook_id_for(task.call)
    return TaskPublic(
        **history,  # type: ignore[arg-type]
        task_id=task.task_id,
        schedule_arn=task.arn,
        kind=task.kind,
        schedule_expression=task.schedule_expression,
        timezone=task.timezone,
        state=task.state,
        run_at=task.run_at,
        target_url=task.call.target_url if task.call else None,
        method=task.call.method if task.call else None,
        created_at=task.created_at,
        next_run_at=_in_zone(task.next_run_at, task.timezone),
        webhook_id=webhook_id,
    )


def _in_zone(moment: datetime | None, zone_name: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(ZoneInfo(zone_name))
    except (ValueError, OSError, KeyError):
        return moment


def utc_now() -> datetime:
    """Current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
