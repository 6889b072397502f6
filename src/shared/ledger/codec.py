"""DynamoDB items <-> ledger records, and opaque page tokens (standard library only).

One table: a task is the item ``(pk=<task id>, sk="TASK")``; its attempts are the items
``(pk=<task id>, sk="A#<tick>#<attempt number, 6 digits>")``, so one ``Query`` pages
through a task's attempts in order. Task items also carry ``entity="TASK"`` and
``task_status`` so the two sparse indexes (``tasks-by-id``, ``tasks-by-status``) list tasks
without a scan. ``expires_at`` (epoch seconds) is the table's TTL attribute.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from shared.exceptions import InvalidRequestError
from shared.ledger.types import AttemptRecord, TaskRecord

TASK_SK = "TASK"
TASK_ENTITY = "TASK"
ATTEMPT_PREFIX = "A#"
INDEX_BY_ID = "tasks-by-id"
INDEX_BY_STATUS = "tasks-by-status"
NEXT_TOKEN_MESSAGE = "next_token is not one this backend returned"  # noqa: S105

Item = dict[str, dict[str, Any]]


def attempt_sk(tick: str, attempt_number: int) -> str:
    """Return the sort key of an attempt (ticks and numbers sort in order)."""
    return f"{ATTEMPT_PREFIX}{tick}#{attempt_number:06d}"


def to_attr(value: object) -> dict[str, Any]:
    """Return the DynamoDB attribute value of a str, int, bool, datetime or None."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, datetime):
        return {"S": value.isoformat()}
    return {"S": str(value)}


def from_attr(attr: dict[str, Any] | None) -> Any:
    """Return the Python value of a DynamoDB attribute value (S, N, BOOL, NULL)."""
    if not attr or "NULL" in attr:
        return None
    if "N" in attr:
        return int(attr["N"])
    if "BOOL" in attr:
        return bool(attr["BOOL"])
    return attr.get("S")


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def task_to_item(task: TaskRecord) -> Item:
    """Return the table item of a task record (``None`` fields are left out)."""
    fields: dict[str, object] = {
        "pk": task.task_id,
        "sk": TASK_SK,
        "entity": TASK_ENTITY,
        "task_id": task.task_id,
        "kind": task.kind,
        "schedule_expression": task.schedule_expression,
        "timezone": task.timezone,
        "task_status": task.status,
        "method": task.method,
        "target_url": task.target_url,
        "created_at": task.created_at,
        "schedule_arn": task.schedule_arn,
        "run_at": task.run_at,
        "first_run_at": task.first_run_at,
        "cancelled_at": task.cancelled_at,
        "request_fingerprint": task.request_fingerprint,
        "webhook_id": task.webhook_id,
        "attempt_count": task.attempt_count,
    }
    return {name: to_attr(value) for name, value in fields.items() if value is not None}


def item_to_task(item: Item) -> TaskRecord:
    """Return the task record of a table item (written by the API, updated by deliveries)."""
    value = {name: from_attr(attr) for name, attr in item.items()}
    return TaskRecord(
        task_id=str(value["pk"]),
        kind="recurring" if value.get("kind") == "recurring" else "one_time",
        schedule_expression=str(value.get("schedule_expression") or ""),
        timezone=str(value.get("timezone") or "UTC"),
        status=str(value.get("task_status") or "scheduled"),
        method=str(value.get("method") or ""),
        target_url=str(value.get("target_url") or ""),
        created_at=_when(value.get("created_at")) or datetime.fromtimestamp(0).astimezone(),
        schedule_arn=str(value.get("schedule_arn") or ""),
        run_at=_when(value.get("run_at")),
        first_run_at=_when(value.get("first_run_at")),
        cancelled_at=_when(value.get("cancelled_at")),
        request_fingerprint=value.get("request_fingerprint"),
        webhook_id=value.get("webhook_id"),
        attempt_count=int(value.get("attempt_count") or 0),
        last_outcome=value.get("last_outcome"),
        last_http_status=value.get("last_http_status"),
        last_error=value.get("last_error"),
        last_attempt_at=_when(value.get("last_attempt_at")),
        last_tick=value.get("last_tick"),
    )


def attempt_to_item(attempt: AttemptRecord, expires_at: int) -> Item:
    """Return the table item of one attempt; it expires at ``expires_at`` (epoch seconds)."""
    fields: dict[str, object] = {
        "pk": attempt.task_id,
        "sk": attempt_sk(attempt.tick, attempt.attempt_number),
        "tick": attempt.tick,
        "attempt_number": attempt.attempt_number,
        "started_at": attempt.started_at,
        "duration_ms": attempt.duration_ms,
        "outcome": attempt.outcome,
        "http_status": attempt.http_status,
        "error_class": attempt.error_class,
        "response_excerpt": attempt.response_excerpt,
        "webhook_id": attempt.webhook_id,
        "request_id": attempt.request_id,
        "expires_at": expires_at,
    }
    return {name: to_attr(value) for name, value in fields.items() if value is not None}


def item_to_attempt(item: Item) -> AttemptRecord:
    """Return the attempt record of a table item."""
    value = {name: from_attr(attr) for name, attr in item.items()}
    return AttemptRecord(
        task_id=str(value["pk"]),
        tick=str(value.get("tick") or ""),
        attempt_number=int(value.get("attempt_number") or 0),
        started_at=_when(value.get("started_at")) or datetime.fromtimestamp(0).astimezone(),
        duration_ms=int(value.get("duration_ms") or 0),
        outcome=str(value.get("outcome") or ""),
        http_status=value.get("http_status"),
        error_class=value.get("error_class"),
        response_excerpt=str(value.get("response_excerpt") or ""),
        webhook_id=value.get("webhook_id"),
        request_id=value.get("request_id"),
    )


def encode_token(last_key: Item | None) -> str | None:
    """Return an opaque page token for DynamoDB's ``LastEvaluatedKey`` (None: last page)."""
    if not last_key:
        return None
    text = json.dumps(last_key, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(token: str | None, key_names: frozenset[str]) -> Item | None:
    """Return the ``ExclusiveStartKey`` of a token; ``InvalidRequestError`` if it is not ours."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise InvalidRequestError(NEXT_TOKEN_MESSAGE) from None
    valid = (
        isinstance(key, dict)
        and set(key) == key_names
        and all(isinstance(v, dict) and set(v) == {"S"} for v in key.values())
        and all(isinstance(v["S"], str) for v in key.values())
    )
    if not valid:
        raise InvalidRequestError(NEXT_TOKEN_MESSAGE)
    start: Item = key
    return start
