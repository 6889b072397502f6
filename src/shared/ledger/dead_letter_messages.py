"""The three shapes a dead letter arrives in, read into one record (standard library only).

``DeliveryDeadLetterQueue`` carries Lambda on-failure records (``condition``
``RetriesExhausted`` or ``EventAgeExceeded``) and API_CALL_LAMBDA's own ``PermanentFailure``
records (``shared.delivery.deadletter``), both with the event in ``requestPayload``.
``SchedulerDeadLetterQueue`` carries EventBridge Scheduler's dead letters: the body is the
schedule's Input itself and the error is in the message attributes (``ERROR_CODE``,
``ERROR_MESSAGE``, ``RETRY_ATTEMPTS``...). A body that is not JSON is kept as it came.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

QueueKind = Literal["delivery", "scheduler"]
# Lambda's condition -> the reason the local backend uses for the same end.
REASON_BY_CONDITION = {
    "RetriesExhausted": "retries_exhausted",
    "EventAgeExceeded": "expired",
    "PermanentFailure": "permanent_failure",
}


@dataclass(frozen=True)
class DeadLetterMessage:
    """One queue message read: the call to send again and why it ended.

    ``message_id`` (SQS) is the dead letter's id: a message received twice (its delete
    failed) is recorded once.
    """

    message_id: str
    queue: QueueKind
    event: Any
    task_id: str | None
    scheduled_time: str | None
    reason: str
    status: int | None
    response_body: str
    error: str
    attempts_made: int | None


def read_message(message: dict[str, Any], queue: QueueKind) -> DeadLetterMessage:
    """Return the record of one SQS ``ReceiveMessage`` entry (any body is accepted).

    Parameters
    ----------
    message
        The message as boto3 returns it (``MessageId``, ``Body``, ``MessageAttributes``).
    queue
        Which queue it came from (the shape depends on it).

    Returns
    -------
    DeadLetterMessage
        What is recorded in the ledger.
    """
    body = _json(message.get("Body", ""))
    if queue == "delivery" and isinstance(body, dict) and "requestPayload" in body:
        return _lambda_record(str(message["MessageId"]), body)
    attributes = {
        name: str(value.get("StringValue", ""))
        for name, value in (message.get("MessageAttributes") or {}).items()
        if isinstance(value, dict)
    }
    code = attributes.get("ERROR_CODE", "")
    error = ": ".join(part for part in (code, attributes.get("ERROR_MESSAGE", "")) if part)
    retries = attributes.get("RETRY_ATTEMPTS", "")
    return DeadLetterMessage(
        message_id=str(message["MessageId"]),
        queue=queue,
        event=body,
        task_id=_task_id(body),
        scheduled_time=_scheduled_time(body),
        reason="scheduler_failure" if queue == "scheduler" else "unknown_record",
        status=None,
        response_body="",
        error=error or "no error given",
        attempts_made=int(retries) + 1 if retries.isdigit() else None,
    )


def _lambda_record(message_id: str, record: dict[str, Any]) -> DeadLetterMessage:
    context = record.get("requestContext")
    context = context if isinstance(context, dict) else {}
    response = record.get("responsePayload")
    response = response if isinstance(response, dict) else {}
    condition = str(context.get("condition") or "")
    status = response.get("status")
    error = ": ".join(
        str(part) for part in (response.get("errorType"), response.get("errorMessage")) if part
    )
    count = context.get("approximateInvokeCount")
    event = record.get("requestPayload")
    return DeadLetterMessage(
        message_id=message_id,
        queue="delivery",
        event=event,
        task_id=_task_id(event),
        scheduled_time=_scheduled_time(event),
        reason=REASON_BY_CONDITION.get(condition, condition or "unknown_record"),
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        response_body=str(response.get("body") or ""),
        error=error or condition,
        attempts_made=count if isinstance(count, int) else None,
    )


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _task_id(event: Any) -> str | None:
    value = event.get("task_id") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else None


def _scheduled_time(event: Any) -> str | None:
    value = event.get("scheduled_time") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else None
