"""Move what waits in the two dead-letter queues into the ledger, then off the queues.

Each message is recorded (``DeadLetterStore.record``) and deleted only once the ledger has
it: a message whose record failed stays in its queue (it is received again once its
visibility timeout ends) and the failure is logged and counted (``LedgerWriteFailures``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.ledger.dead_letter_items import DeadLetterItem
from shared.ledger.dead_letter_messages import DeadLetterMessage, QueueKind, read_message
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.failures import report_ledger_failure
from shared.ledger.types import ONE_TIME_TICK

BATCH = 10  # SQS's maximum per ReceiveMessage
MAX_BATCHES = 5  # per queue and drain: at most 50 messages, so a request stays short
TIME_BUDGET_SECONDS = 5.0  # per drain of both queues: no message is started after it


@dataclass
class DrainResult:
    """What one drain did: messages recorded, received twice (already recorded), kept."""

    recorded: int = 0
    duplicates: int = 0
    kept: list[str] = field(default_factory=list)


def to_item(store: DeadLetterStore, message: DeadLetterMessage, now: datetime) -> DeadLetterItem:
    """Return the ledger item of a message, with the attempts its tick made."""
    attempts: list[dict[str, Any]] = []
    if message.task_id:
        attempts = store.tick_attempts(message.task_id, message.scheduled_time or ONE_TIME_TICK)
    return DeadLetterItem(
        dl_id=message.message_id,
        task_id=message.task_id or "",
        scheduled_time=message.scheduled_time or "",
        reason=message.reason,
        status=message.status,
        response_body=message.response_body,
        error=message.error,
        attempts=attempts,
        call=message.event,
        dead_lettered_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        queue=message.queue,
    )


def drain_queue(
    sqs: Any,
    queue_url: str,
    queue: QueueKind,
    store: DeadLetterStore,
    logger: Any,
    *,
    max_batches: int = MAX_BATCHES,
    budget_seconds: float = TIME_BUDGET_SECONDS,
) -> DrainResult:
    """Record every message received from ``queue_url`` (at most ``max_batches`` x 10).

    Parameters
    ----------
    sqs
        A boto3 ``sqs`` client.
    queue_url
        The queue.
    queue
        ``delivery`` or ``scheduler`` (the message shape).
    store
        The ledger's dead letters.
    logger
        A Powertools ``Logger``.
    max_batches
        Upper bound of ``ReceiveMessage`` calls.
    budget_seconds
        No message is recorded after this many seconds; those received and not recorded
        are not deleted, so they are received again once their visibility timeout ends.

    Returns
    -------
    DrainResult
        Counts, and the ids of messages left in the queue.
    """
    result = DrainResult()
    deadline = time.monotonic() + budget_seconds
    for _ in range(max_batches):
        if time.monotonic() >= deadline:
            break
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=BATCH,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            if time.monotonic() >= deadline:
                result.kept.append(str(message.get("MessageId")))
                continue
            _drain_one(sqs, queue_url, queue, store, logger, message, result)
        if len(messages) < BATCH:
            break
    return result


def _drain_one(
    sqs: Any,
    queue_url: str,
    queue: QueueKind,
    store: DeadLetterStore,
    logger: Any,
    message: dict[str, Any],
    result: DrainResult,
) -> None:
    read = read_message(message, queue)
    now = datetime.now(UTC)
    try:
        fresh = store.record(to_item(store, read, now), now=now)
    except Exception as exc:  # kept in the queue: received again, recorded later
        report_ledger_failure(
            logger, "record_dead_letter", exc, table=store.table, task_id=read.task_id
        )
        result.kept.append(read.message_id)
        return
    if fresh:
        result.recorded += 1
    else:
        result.duplicates += 1
    logger.warning(
        "dead letter recorded",
        extra={"correlation_id": read.task_id, "dead_letter_id": read.message_id, "queue": queue},
    )
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
