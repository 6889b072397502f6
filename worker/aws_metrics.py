"""The numbers the product's own batch jobs report, read from AWS with boto3.

Clients are built lazily (first use) and can be injected, so importing a job module never
touches AWS and tests pass moto-backed clients.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sqs import SQSClient


@lru_cache(maxsize=4)
def sqs_client(region: str) -> SQSClient:
    """The process-wide SQS client for ``region``."""
    return boto3.client("sqs", region_name=region)


@lru_cache(maxsize=4)
def scheduler_client(region: str) -> EventBridgeSchedulerClient:
    """The process-wide EventBridge Scheduler client for ``region``."""
    return boto3.client("scheduler", region_name=region)


def dead_letter_depth(client: SQSClient, queue_url: str) -> dict[str, int]:
    """Approximate messages waiting and in flight in the dead-letter queue."""
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    ).get("Attributes", {})
    return {
        "waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def pending_task_count(client: EventBridgeSchedulerClient, group_name: str) -> int:
    """How many schedules (pending tasks) the schedule group holds, counted page by page."""
    count = 0
    for page in client.get_paginator("list_schedules").paginate(GroupName=group_name):
        count += len(page.get("Schedules", []))
    return count
