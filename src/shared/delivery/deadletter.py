"""Dead-lettering of permanent failures, in the shape of a Lambda on-failure record.

Lambda's asynchronous invocation sends a record like this to the on-failure destination
when retries run out; a permanent failure (a 4xx other than 408/429, a refused target, an
invalid event) is never retried, so API_CALL_LAMBDA sends the same shape itself, to the same
queue, and one redrive tool handles both::

    {"version": "1.0", "timestamp": "<ISO 8601 UTC>",
     "requestContext": {"requestId": ..., "functionArn": ..., "condition": "PermanentFailure",
                        "approximateInvokeCount": 1},
     "requestPayload": <the event, unchanged>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "PermanentDeliveryError"},
     "responsePayload": {"errorType": ..., "errorMessage": ..., "code": ...,
                         "reason": <e.g. "target_not_allowed", else the code>,
                         "status": <target's HTTP status or null>, "body": <<= 1 KiB>}}

``responseContext`` describes the function's own invocation as Lambda does (200: it ran);
the target's status and trimmed body are in ``responsePayload``. boto3 is imported lazily,
only when a record is actually sent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.exceptions import CallbackSchedulerError, ConfigurationError, PermanentDeliveryError

CONDITION_PERMANENT = "PermanentFailure"


def build_dead_letter_record(
    event: Any,
    error: CallbackSchedulerError,
    *,
    function_arn: str | None = None,
    request_id: str | None = None,
    executed_version: str = "$LATEST",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the dead-letter record for a permanent failure of ``event``.

    Parameters
    ----------
    event
        The invocation event, unchanged (it is what a redrive sends again).
    error
        The ``PermanentDeliveryError`` or ``InvalidRequestError`` that ended it.
    function_arn, request_id, executed_version
        From the Lambda context, when known.
    now
        Record time; now when omitted.

    Returns
    -------
    dict[str, Any]
        The record (JSON-ready).
    """
    status = error.status if isinstance(error, PermanentDeliveryError) else None
    body = error.response_body if isinstance(error, PermanentDeliveryError) else ""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "1.0",
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": CONDITION_PERMANENT,
            "approximateInvokeCount": 1,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": executed_version,
            "functionError": type(error).__name__,
        },
        "responsePayload": {
            "errorType": type(error).__name__,
            "errorMessage": error.message,
            "code": error.code,
            "reason": str(error.details.get("reason") or error.code),
            "status": status,
            "body": body,
        },
    }


def send_dead_letter(
    record: dict[str, Any], *, queue_url: str | None, region: str, client: Any = None
) -> str:
    """Send ``record`` to the SQS dead-letter queue; return the SQS message id.

    Parameters
    ----------
    record
        From ``build_dead_letter_record``.
    queue_url
        ``DEAD_LETTER_QUEUE_URL``.
    region
        Region of the boto3 client built when ``client`` is omitted.
    client
        A boto3 ``sqs`` client (injectable); built lazily otherwise.

    Returns
    -------
    str
        The ``MessageId``.

    Raises
    ------
    ConfigurationError
        No queue URL is configured (the failure must then not be swallowed).
    """
    if not queue_url:
        raise ConfigurationError("DEAD_LETTER_QUEUE_URL is not set: cannot dead-letter")
    if client is None:
        client = sqs_client(region)
    body = json.dumps(record, separators=(",", ":"), default=str)
    response = client.send_message(QueueUrl=queue_url, MessageBody=body)
    return str(response["MessageId"])


# Worst case of one send: (connect + read) x attempts = 4 s, so a task's timeout (at most
# MAX_TASK_TIMEOUT_SECONDS = 25 s on Lambda) plus dead-lettering stays inside ApiCallFunction's
# 30 s: a slow SQS can never make Lambda time out and retry a permanent failure.
SQS_CONNECT_TIMEOUT_SECONDS = 0.5
SQS_READ_TIMEOUT_SECONDS = 1.5
SQS_MAX_ATTEMPTS = 2


def sqs_client(region: str | None) -> Any:
    """Build the dead-letter ``sqs`` client with bounded timeouts (boto3 imported lazily)."""
    import boto3  # lazy on purpose: only a permanent failure pays for it
    from botocore.config import Config

    config = Config(
        connect_timeout=SQS_CONNECT_TIMEOUT_SECONDS,
        read_timeout=SQS_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": SQS_MAX_ATTEMPTS},
    )
    return boto3.client("sqs", region_name=region, config=config)
