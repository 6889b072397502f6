"""DeadLetterRecorderFunction: each message of either dead-letter queue into the ledger.

Two SQS event source mappings (template.yaml) feed it batches of at most 10 messages from
``DeliveryDeadLetterQueue`` (Lambda on-failure records, API_CALL's PermanentFailure records)
and ``SchedulerDeadLetterQueue`` (EventBridge Scheduler's dead letters). Each message is
recorded against its task by ``shared.ledger.drain.record_message`` (the one-time task
becomes ``failed`` in the same transaction). The answer is a partial batch response
(Powertools' ``BatchProcessor``, ``ReportBatchItemFailures``): Lambda deletes the messages
recorded and leaves the others in their queue, to come back after the visibility timeout.
When every message of a batch fails, the invocation raises (the function's Errors alarm).
The ledger client is built on the first message, not at import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.environment import VARIABLES, parse
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_messages import QueueKind
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.drain import RECORD_ACTION, record_message, sqs_event_message
from shared.ledger.failures import report_ledger_failure
from shared.log import get_logger

logger = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)
_stores: dict[tuple[str, int, str], DeadLetterStore] = {}


def queue_kind(source_arn: str, environ: Mapping[str, str] | None = None) -> QueueKind:
    """Return which queue a message came from, by its ``eventSourceARN``.

    ``DEAD_LETTER_QUEUE_ARN`` is SchedulerDeadLetterQueue's ARN (as the API's, which puts it
    in every schedule's DeadLetterConfig) and ``DEAD_LETTER_QUEUE_URL`` is
    DeliveryDeadLetterQueue's URL (as API_CALL's, which sends to it).

    Raises
    ------
    ValueError
        The ARN is neither queue's (the event source mapping and the environment disagree).
    """
    env = os.environ if environ is None else environ
    scheduler_arn = parse(VARIABLES["dead_letter_queue_arn"], env)
    delivery_url = parse(VARIABLES["dead_letter_queue_url"], env)
    if scheduler_arn and source_arn == scheduler_arn:
        return "scheduler"
    name = source_arn.rsplit(":", 1)[-1]
    if delivery_url and name and delivery_url.rstrip("/").rsplit("/", 1)[-1] == name:
        return "delivery"
    raise ValueError(f"a message from {source_arn!r}, which is neither dead-letter queue")


def store() -> DeadLetterStore:
    """Return this container's ledger (one per table, retention and region)."""
    config = LedgerConfig.from_env()
    if config.table_name is None:
        raise ValueError("LEDGER_TABLE_NAME is not set: dead letters cannot be recorded")
    region = str(parse(VARIABLES["aws_region"], os.environ))  # Lambda sets AWS_REGION
    key = (config.table_name, config.retention_days, region)
    found = _stores.get(key)
    if found is None:
        found = _stores[key] = DeadLetterStore(config, region=region)
    return found


def record_one(record: SQSRecord) -> bool:
    """Record one message; raise (a batch item failure) when the ledger did not take it.

    Powertools' ``BatchProcessor`` passes the message as ``record=``.
    """
    try:
        kind = queue_kind(record.event_source_arn)
        ledger = store()
    except ValueError as exc:  # misconfigured: never silent, the message stays queued
        table = LedgerConfig.from_env().table_name or ""
        report_ledger_failure(logger, RECORD_ACTION, exc, table=table, task_id=None)
        raise
    return record_message(ledger, sqs_event_message(record.raw_event), kind, logger)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    """Record a batch; answer ``{"batchItemFailures": [...]}`` with the messages not recorded."""
    return process_partial_response(
        event=event, record_handler=record_one, processor=processor, context=context
    )
