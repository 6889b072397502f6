"""Record one dead-letter queue message in the ledger: the one recording path.

``DeadLetterRecorderFunction`` (``functions/dead_letter_recorder``) receives what lands in
``DeliveryDeadLetterQueue`` and ``SchedulerDeadLetterQueue`` through SQS event source
mappings and passes each message here. ``record_message`` reads it (any of the three
shapes, ``shared.ledger.dead_letter_messages``) and writes it with ``DeadLetterStore.record``
(the letter and the one-time task's ``failed`` status, in one transaction). A message whose
record failed raises after one ERROR log line and ``LedgerWriteFailures`` = 1: the function
reports it as a batch item failure, so it stays in its queue and comes back. A message
received twice (SQS delivers at least once) is recorded once: its SQS message id is the
dead letter's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.ledger.dead_letter_items import DeadLetterItem
from shared.ledger.dead_letter_messages import DeadLetterMessage, QueueKind, read_message
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.failures import report_ledger_failure
from shared.ledger.types import ONE_TIME_TICK

RECORD_ACTION = "record_dead_letter"  # the ledger_action of a failed record's log line


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


def record_message(
    store: DeadLetterStore, message: dict[str, Any], queue: QueueKind, logger: Any
) -> bool:
    """Record one queue message against its task.

    Parameters
    ----------
    store
        The ledger's dead letters.
    message
        The message in ``ReceiveMessage``'s shape (``MessageId``, ``Body``,
        ``MessageAttributes``); ``sqs_event_message`` turns an SQS event record into it.
    queue
        ``delivery`` or ``scheduler`` (the message shape).
    logger
        A Powertools ``Logger``.

    Returns
    -------
    bool
        True when recorded now, False when it was recorded before (a message received twice).

    Raises
    ------
    Exception
        Whatever kept the ledger from recording it (logged and counted first): the message
        must stay in its queue.
    """
    read = read_message(message, queue)
    now = datetime.now(UTC)
    try:
        fresh = store.record(to_item(store, read, now), now=now)
    except Exception as exc:
        report_ledger_failure(logger, RECORD_ACTION, exc, table=store.table, task_id=read.task_id)
        raise
    logger.warning(
        "dead letter recorded" if fresh else "dead letter recorded before",
        extra={"correlation_id": read.task_id, "dead_letter_id": read.message_id, "queue": queue},
    )
    return fresh


def sqs_event_message(record: dict[str, Any]) -> dict[str, Any]:
    """Return an SQS event record (Lambda's shape) as ``ReceiveMessage`` returns the message.

    Lambda's event names the fields ``messageId``, ``body`` and ``messageAttributes`` (each
    with ``stringValue``); the recording reads boto3's ``MessageId``, ``Body`` and
    ``MessageAttributes`` (``StringValue``).
    """
    attributes = {
        name: {"StringValue": value.get("stringValue") or "", "DataType": value.get("dataType")}
        for name, value in (record.get("messageAttributes") or {}).items()
        if isinstance(value, dict)
    }
    return {
        "MessageId": record["messageId"],
        "Body": record.get("body") or "",
        "MessageAttributes": attributes,
    }
