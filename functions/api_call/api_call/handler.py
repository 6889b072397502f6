"""API_CALL_LAMBDA: event -> ApiCallRequest -> deliver -> the seed's result shape.

Outcomes: 2xx -> ``{"statusCode": 200, "body": "{\"success\": true, \"api_status\": 200}"}``;
retryable (408/429/5xx/timeout/connection error) -> the error is raised so Lambda's async
retries and the on-failure destination take over; permanent (other 4xx/3xx, a target not on
the allow-list, an event that cannot be parsed or sent) -> the event is dead-lettered to
DEAD_LETTER_QUEUE_URL and a ``success: false`` result is returned. If the dead letter cannot
be sent (no queue configured, SQS failing) the handler still returns (never raises): a raise
would make Lambda retry the invocation and the target would receive a permanently failing
request again. The record is then logged at ERROR with headers redacted
(``dead_letter_failed``). Nothing heavy is done at import: the configuration is read from
the environment per invocation (microseconds).
"""

from __future__ import annotations

import json
from typing import Any

from shared.delivery.config import DeliveryConfig
from shared.delivery.core import deliver
from shared.delivery.event import ApiCallRequest
from shared.delivery.logs import logger
from shared.exceptions import (
    CallbackSchedulerError,
    InvalidRequestError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Deliver one scheduled call; raise when it should be retried.

    With a ledger (``LEDGER_TABLE_NAME``) every attempt of a task is recorded; a task the
    ledger says is cancelled is not delivered. A ledger failure changes nothing here.
    """
    config = DeliveryConfig.from_env()
    try:
        call = ApiCallRequest.from_event(event)
    except InvalidRequestError as exc:
        return dead_letter(event, exc, context, config)
    attempt = None
    if call.task_id:
        # The ledger glue is loaded by the first delivery, not at init (cold start).
        from api_call.ledger import Attempt, cancelled_result, recorder

        ledger = recorder(config.aws_region)
        if ledger is not None:
            attempt = Attempt.begin(ledger, call, getattr(context, "aws_request_id", None))
            if attempt.start.cancelled:
                return cancelled_result(call)
    try:
        result = deliver(call, config=config)
    except PermanentDeliveryError as exc:
        if attempt is not None:
            attempt.finish_failed(exc, "permanent")
        return dead_letter(event, exc, context, config)
    except RetryableDeliveryError as exc:
        if attempt is not None:
            attempt.finish_failed(exc, "retryable")
        raise
    if attempt is not None:
        attempt.finish("delivered", http_status=result.status, response_body=result.response_body)
    return {
        "statusCode": 200,
        "body": json.dumps({"success": True, "api_status": result.status}),
    }


def dead_letter(
    event: Any, error: CallbackSchedulerError, context: Any, config: DeliveryConfig
) -> dict[str, Any]:
    """Send a permanent failure to the dead-letter queue; return the non-success result."""
    # imported here: the happy path of a cold start does not load what it never runs
    from shared.delivery.deadletter import build_dead_letter_record, send_dead_letter

    record = build_dead_letter_record(
        event,
        error,
        function_arn=getattr(context, "invoked_function_arn", None),
        request_id=getattr(context, "aws_request_id", None),
        executed_version=getattr(context, "function_version", None) or "$LATEST",
    )
    status = record["responsePayload"]["status"]
    task_id = event.get("task_id") if isinstance(event, dict) else None
    try:
        message_id: str | None = send_dead_letter(
            record, queue_url=config.dead_letter_queue_url, region=config.aws_region
        )
    except Exception as exc:  # a raise would make Lambda repeat the HTTP attempt
        logger.error(
            "dead letter could not be sent; the call is NOT retried",
            extra={
                "correlation_id": task_id,
                "code": error.code,
                "status": status,
                "dead_letter_error": f"{type(exc).__name__}: {exc}",
                "record": redacted_record(record),
            },
        )
        body = {
            "success": False,
            "api_status": status,
            "error": error.code,
            "message": error.message,
            "dead_letter_failed": True,
        }
        return {"statusCode": status or 400, "body": json.dumps(body)}
    logger.error(
        "permanent failure dead-lettered",
        extra={
            "correlation_id": task_id,
            "code": error.code,
            "status": status,
            "dead_letter_message_id": message_id,
        },
    )
    body = {
        "success": False,
        "api_status": status,
        "error": error.code,
        "message": error.message,
        "dead_letter_message_id": message_id,
    }
    return {"statusCode": status or 400, "body": json.dumps(body)}


def redacted_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a dead-letter record whose event headers are redacted for a log."""
    from shared.delivery.logs import redact_headers

    payload = record.get("requestPayload")
    if isinstance(payload, dict) and isinstance(payload.get("headers"), dict):
        payload = {**payload, "headers": redact_headers(payload["headers"])}
    return {**record, "requestPayload": payload}
