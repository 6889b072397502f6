"""The numbers the product's own batch jobs report, read from AWS with boto3.

Clients are built lazily (first use) and can be injected, so importing a job module never
touches AWS and tests pass moto-backed clients.

Dead letters are counted in the ledger, not in the queues: DeadLetterRecorderFunction takes
each message off its queue as it arrives, so a queue's depth stays near 0 whatever happens.
The ledger's sparse ``dead-letters`` index holds every dead letter not redriven yet; the
jobs read only its keys (``dl_order`` = recording time ``#`` id), never a letter's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3

from shared.ledger.dead_letter_items import DL_ENTITY, INDEX_DEAD_LETTERS

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient


@lru_cache(maxsize=4)
def dynamodb_client(region: str) -> Any:
    """The process-wide DynamoDB client for ``region``."""
    return boto3.client("dynamodb", region_name=region)


@lru_cache(maxsize=4)
def scheduler_client(region: str) -> EventBridgeSchedulerClient:
    """The process-wide EventBridge Scheduler client for ``region``."""
    return boto3.client("scheduler", region_name=region)


@dataclass(frozen=True)
class DeadLetterKey:
    """One dead letter not redriven yet: its id and when it was recorded (ISO 8601, UTC)."""

    dl_id: str
    recorded_at: str


def waiting_dead_letters(client: Any, table: str) -> list[DeadLetterKey]:
    """Every dead letter in the ledger not redriven yet, oldest first (read page by page).

    Parameters
    ----------
    client
        A boto3 ``dynamodb`` client.
    table
        The ledger table.

    Returns
    -------
    list[DeadLetterKey]
        Ids and recording times only (the index's keys: ``Select=SPECIFIC_ATTRIBUTES``).
    """
    keys: list[DeadLetterKey] = []
    params: dict[str, Any] = {
        "TableName": table,
        "IndexName": INDEX_DEAD_LETTERS,
        "KeyConditionExpression": "dl_entity = :e",
        "ExpressionAttributeValues": {":e": {"S": DL_ENTITY}},
        "Select": "SPECIFIC_ATTRIBUTES",
        "ProjectionExpression": "dl_entity, dl_order",
    }
    while True:
        page = client.query(**params)
        for item in page.get("Items", []):
            recorded_at, _, dl_id = item["dl_order"]["S"].partition("#")
            keys.append(DeadLetterKey(dl_id=dl_id, recorded_at=recorded_at))
        start = page.get("LastEvaluatedKey")
        if not start:
            return keys
        params["ExclusiveStartKey"] = start


def pending_task_count(client: EventBridgeSchedulerClient, group_name: str) -> int:
    """How many schedules (pending tasks) the schedule group holds, counted page by page."""
    count = 0
    for page in client.get_paginator("list_schedules").paginate(GroupName=group_name):
        count += len(page.get("Schedules", []))
    return count
