"""Validation shared by every scheduling backend, so one input gives one domain error.

Standard library (and ``zoneinfo``) only: the EventBridge adapter and the local adapter both
call these functions before they touch their backend. The recurring-expression grammar lives
in ``shared.scheduling.expressions`` and is re-exported here.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.delivery.event import SCHEDULED_TIME_PLACEHOLDER, ApiCallRequest, check_json_value
from shared.exceptions import InvalidRequestError, PayloadTooLargeError, ScheduleValidationError
from shared.scheduling.expressions import CronFields, ParsedExpression, parse_schedule_expression
from shared.scheduling.names import (
    MAX_NAME_PREFIX_LENGTH,
    MAX_TASK_ID_LENGTH,
    new_task_id,
    validate_client_token,
    validate_name_prefix,
    validate_task_id,
)
from shared.scheduling.port import MAX_PAGE_SIZE

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_LEAD_TIME",
    "MAX_NAME_PREFIX_LENGTH",
    "MAX_TASK_ID_LENGTH",
    "MIN_LEAD_TIME",
    "CronFields",
    "ParsedExpression",
    "at_expression",
    "build_target_input",
    "new_task_id",
    "parse_schedule_expression",
    "validate_client_token",
    "validate_name_prefix",
    "validate_page_request",
    "validate_run_at",
    "validate_task_id",
    "validate_timezone",
]

# Target.Input: "The maximum size of the Input field is 256 KB" (EventBridge Scheduler API
# reference, Target data type). Counted in UTF-8 bytes, 256 * 1024.
MAX_INPUT_BYTES = 256 * 1024
MAX_NEXT_TOKEN_LENGTH = 2048  # ListSchedules NextToken is 1-2048 characters
MAX_TIMEZONE_LENGTH = 50  # ScheduleExpressionTimezone is 1-50 characters
MAX_PREVIEW_COUNT = 50  # ticks one preview may list (API route and worker CLI)
MIN_LEAD_TIME = timedelta(seconds=1)
MAX_LEAD_TIME = timedelta(days=5 * 365)


def validate_timezone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises
    ------
    ScheduleValidationError
        When ``name`` is not a known IANA time zone name.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_TIMEZONE_LENGTH:
        raise ScheduleValidationError(f"unknown time zone {name!r}", details={"timezone": name})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ScheduleValidationError(
            f"unknown time zone {name!r} (use an IANA name such as 'Asia/Seoul')",
            details={"timezone": name},
        ) from exc


def validate_run_at(run_at: datetime, *, now: datetime) -> datetime:
    """Check a one-time run time and round a fractional second up.

    Parameters
    ----------
    run_at : datetime
        When to run; must be timezone-aware.
    now : datetime
        The current time (timezone-aware).

    Returns
    -------
    datetime
        ``run_at`` in its own zone, rounded UP to the whole second so it never fires early.

    Raises
    ------
    ScheduleValidationError
        When ``run_at`` is naive, less than ``MIN_LEAD_TIME`` ahead, or beyond ``MAX_LEAD_TIME``.
    """
    if not isinstance(run_at, datetime) or run_at.utcoffset() is None:
        raise ScheduleValidationError("run_at must be a timezone-aware date-time")
    ahead = run_at - now
    if run_at.microsecond:
        run_at = run_at.replace(microsecond=0) + timedelta(seconds=1)
    if ahead < MIN_LEAD_TIME:
        raise ScheduleValidationError(
            f"run_at {run_at.isoformat()} is in the past or less than "
            f"{MIN_LEAD_TIME.total_seconds():g} s ahead",
            details={"run_at": run_at.isoformat(), "now": now.isoformat()},
        )
    if run_at - now > MAX_LEAD_TIME:
        raise ScheduleValidationError(
            f"run_at {run_at.isoformat()} is more than {MAX_LEAD_TIME.days} days ahead",
            details={"run_at": run_at.isoformat()},
        )
    return run_at


def at_expression(run_at: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """Return ``("at(YYYY-MM-DDTHH:MM:SS)", timezone name)`` for an aware ``run_at``.

    The wall time is written in ``zone``. When that wall time is ambiguous there (the repeated
    hour when daylight saving time ends), the expression is written in UTC instead, so the
    task cannot fire an hour off.
    """
    local = run_at.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        local, name = run_at.astimezone(ZoneInfo("UTC")), "UTC"
    else:
        name = zone.key
    return f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})", name


def validate_page_request(
    *, name_prefix: str | None, page_size: int, next_token: str | None
) -> None:
    """Check a listing request: prefix (up to a whole task id), page size 1-100, token.

    Raises
    ------
    InvalidRequestError
        Naming the parameter that is wrong.
    """
    if name_prefix is not None:
        validate_name_prefix(name_prefix, max_length=MAX_TASK_ID_LENGTH)
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise InvalidRequestError(f"page_size must be an integer 1-{MAX_PAGE_SIZE}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(f"page_size must be 1-{MAX_PAGE_SIZE}, got {page_size}")
    if next_token is not None and (
        not isinstance(next_token, str) or not 0 < len(next_token) <= MAX_NEXT_TOKEN_LENGTH
    ):
        raise InvalidRequestError(f"next_token must be 1-{MAX_NEXT_TOKEN_LENGTH} characters")


def build_target_input(
    call: ApiCallRequest,
    *,
    task_id: str,
    recurring: bool,
    nonce: str | None = None,
    request_fingerprint: str | None = None,
) -> str:
    """Return the JSON for the schedule's ``Target.Input`` (the API_CALL event).

    Parameters
    ----------
    call : ApiCallRequest
        The call to make; only its own fields go into the Input (never any setting).
    task_id : str
        Set as the event's ``task_id`` (the log correlation id).
    recurring : bool
        When true ``scheduled_time`` is the placeholder EventBridge fills with each tick's
        time; when false it is removed.
    nonce : str, optional
        The task's random nonce; the ``webhook-id`` derives from it (and from the tick).
        A new random one when omitted.
    request_fingerprint : str, optional
        Kept as ``request_fingerprint`` so a create retried with the same client token can
        be compared with this one.

    Raises
    ------
    InvalidRequestError
        When the call is not a valid event or its body is not JSON-serializable.
    PayloadTooLargeError
        When the Input exceeds ``MAX_INPUT_BYTES``.
    """
    validate_task_id(task_id)
    check_json_value(call.body, "body")
    scheduled = SCHEDULED_TIME_PLACEHOLDER if recurring else None
    nonce = nonce or secrets.token_hex(16)
    event = replace(call, task_id=task_id, scheduled_time=scheduled, nonce=nonce).to_event()
    parsed = ApiCallRequest.from_event(event)  # the Input must parse back on the delivery side
    event["target_url"] = parsed.target_url  # normalised once, by the parser that sends
    if request_fingerprint is not None:
        event["request_fingerprint"] = request_fingerprint
    try:
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"the call's body is not JSON-serializable: {exc}") from exc
    size = len(text.encode("utf-8"))
    if size > MAX_INPUT_BYTES:
        raise PayloadTooLargeError(
            f"the task's input is {size} bytes; EventBridge Scheduler accepts at most "
            f"{MAX_INPUT_BYTES} bytes (256 KB)",
            details={"size": size, "max_size": MAX_INPUT_BYTES},
        )
    return text
