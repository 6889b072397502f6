"""Two dead-letter queues, one message shape each, as the README documents them.

Three kinds of dead letter exist: the function's own PermanentFailure records, Lambda's
on-failure destination records (retries exhausted, event too old), and EventBridge
Scheduler's dead letters (it could not invoke the function at all). The first two are the
same shape, with the event in ``requestPayload``; Scheduler's has no ``requestPayload``: its
body *is* the event and the error is in message attributes. So the template gives Scheduler
its own queue, and each queue's redrive rule (README) reads exactly one shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.delivery.deadletter import build_dead_letter_record
from shared.delivery.event import ApiCallRequest
from shared.exceptions import PermanentDeliveryError
from tests.template.cfn import Resolver

EVENT = {
    "target_url": "https://hooks.example.com/orders/1042",
    "method": "POST",
    "headers": {},
    "body": {"order_id": "order-1042"},
    "task_id": "task-0123456789abcdef0123456789abcdef",
}
FUNCTION_ARN = "arn:aws:lambda:ap-northeast-2:123456789012:function:callback-scheduler-dev-api-call"


def ours() -> dict[str, Any]:
    """An SQS message as the function sends it for a permanent 404 (the real code builds it)."""
    error = PermanentDeliveryError("POST answered 404", status=404, response_body="no such order")
    record = build_dead_letter_record(EVENT, error, function_arn=FUNCTION_ARN, request_id="r-1")
    return {"Body": json.dumps(record), "MessageAttributes": {}}


def lambdas() -> dict[str, Any]:
    """Lambda's on-failure destination record (shape from the Lambda developer guide)."""
    record = {
        "version": "1.0",
        "timestamp": "2026-11-28T09:30:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": FUNCTION_ARN + ":$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": EVENT,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": "POST answered 503",
            "errorType": "RetryableDeliveryError",
        },
    }
    return {"Body": json.dumps(record), "MessageAttributes": {}}


def schedulers() -> dict[str, Any]:
    """EventBridge Scheduler's dead letter (Scheduler user guide): body = the Input itself."""

    def attribute(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    return {
        "Body": json.dumps(EVENT),
        "MessageAttributes": {
            "ERROR_CODE": attribute("AWS.Scheduler.AccessDeniedException"),
            "ERROR_MESSAGE": attribute("not authorized to perform: lambda:InvokeFunction"),
            "EXECUTION_ID": attribute("8f3b7c9e-xmpl"),
            "RETRY_ATTEMPTS": attribute("0"),
            "SCHEDULE_ARN": attribute(
                "arn:aws:scheduler:ap-northeast-2:123456789012:schedule/"
                "callback-scheduler-dev-tasks/task-0123456789abcdef0123456789abcdef"
            ),
            "TARGET_ARN": attribute(FUNCTION_ARN),
        },
    }


def redrive_event(queue_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """The event to invoke ApiCallFunction with again, by the README's rule for each queue."""
    body = json.loads(message["Body"])
    if queue_id == "DeliveryDeadLetterQueue":
        payload: dict[str, Any] = body["requestPayload"]
        return payload
    assert queue_id == "SchedulerDeadLetterQueue"
    return dict(body)


def queue_of_senders(cfn: dict[str, Any]) -> dict[str, str]:
    """Sender -> the queue the template sends its dead letters to."""
    resolver = Resolver(cfn)
    invoke_config = cfn["Resources"]["ApiCallFunctionEventInvokeConfig"]["Properties"]
    destination = resolver.value(invoke_config["DestinationConfig"]["OnFailure"]["Destination"])
    return {
        "lambda destination": destination,
        "function": resolver.environment("ApiCallFunction")["DEAD_LETTER_QUEUE_URL"],
        # The EventBridge adapter writes DEAD_LETTER_QUEUE_ARN into every schedule's
        # DeadLetterConfig (tests/shared/scheduling pin that request parameter).
        "scheduler": resolver.environment("ApiFunction")["DEAD_LETTER_QUEUE_ARN"],
    }


def test_each_sender_writes_to_the_queue_of_its_shape(cfn: dict[str, Any]) -> None:
    assert queue_of_senders(cfn) == {
        "lambda destination": "<getatt:DeliveryDeadLetterQueue.Arn>",
        "function": "<ref:DeliveryDeadLetterQueue>",
        "scheduler": "<getatt:SchedulerDeadLetterQueue.Arn>",
    }


@pytest.mark.parametrize(
    ("queue_id", "message"),
    [
        ("DeliveryDeadLetterQueue", ours()),
        ("DeliveryDeadLetterQueue", lambdas()),
        ("SchedulerDeadLetterQueue", schedulers()),
    ],
    ids=["permanent-failure", "retries-exhausted", "scheduler"],
)
def test_every_dead_letter_redrives_to_the_original_event(
    queue_id: str, message: dict[str, Any]
) -> None:
    event = redrive_event(queue_id, message)
    assert event == EVENT
    assert ApiCallRequest.from_event(event).target_url == EVENT["target_url"]


def test_the_shapes_differ_so_one_reader_for_one_queue_would_fail() -> None:
    delivery = [json.loads(m["Body"]) for m in (ours(), lambdas())]
    assert {tuple(sorted(record)) for record in delivery} == {
        (
            "requestContext",
            "requestPayload",
            "responseContext",
            "responsePayload",
            "timestamp",
            "version",
        )
    }
    assert [r["requestContext"]["condition"] for r in delivery] == [
        "PermanentFailure",
        "RetriesExhausted",
    ]
    # Scheduler's dead letter has no requestPayload: read as a delivery record it fails,
    # which is why it has a queue of its own.
    with pytest.raises(KeyError):
        redrive_event("DeliveryDeadLetterQueue", schedulers())
