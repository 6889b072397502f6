"""Lambda's SQS event source mapping, as the tests need it: one poll of a (moto) queue.

One poll receives at most 10 messages, passes them to the handler as Lambda's SQS event
(``Records`` with ``messageId``, ``body``, ``messageAttributes``... and the queue's
``eventSourceARN``), then deletes the messages the handler did not report in
``batchItemFailures`` (``ReportBatchItemFailures``). A handler that raises deletes nothing:
the whole batch comes back after the visibility timeout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support import FakeLambdaContext

Handler = Callable[[dict[str, Any], Any], Mapping[str, Any]]


@dataclass
class Poll:
    """What one poll did: messages received, ids the handler failed, whether it raised."""

    received: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    raised: BaseException | None = None


def queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


def sqs_record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """One ``ReceiveMessage`` message as a record of Lambda's SQS event."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 (SQS's own field)
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": source_arn.split(":")[3],
    }


def poll(sqs: Any, url: str, handler: Handler) -> Poll:
    """Receive up to 10 messages of ``url``, invoke ``handler``, delete what it recorded."""
    got = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=0,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
    )
    messages = got.get("Messages", [])
    result = Poll(received=[m["MessageId"] for m in messages])
    if not messages:
        return result
    source = queue_arn(sqs, url)
    try:
        response = handler({"Records": [sqs_record(m, source) for m in messages]},
                           FakeLambdaContext())  # fmt: skip
    except Exception as exc:  # Lambda: a function error, nothing deleted
        result.raised = exc
        result.failed = list(result.received)
        return result
    result.failed = [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
    for message in messages:
        if message["MessageId"] not in result.failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return result


def poll_until_empty(sqs: Any, urls: list[str], handler: Handler, *, rounds: int = 10) -> None:
    """Poll every queue until a round receives nothing (or ``rounds`` ran)."""
    for _ in range(rounds):
        if not any([poll(sqs, url, handler).received for url in urls]):
            return
