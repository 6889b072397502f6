"""Fixtures for the EventBridge adapter tests: fake credentials, moto, a schedule group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from shared.scheduling.eventbridge import EventBridgeScheduler

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

REGION = "ap-northeast-2"
GROUP = "callback-scheduler-test"
FUNCTION_ARN = "arn:aws:lambda:ap-northeast-2:123456789012:function:api-call"
ROLE_ARN = "arn:aws:iam::123456789012:role/callback-scheduler-role"
DLQ_ARN = "arn:aws:sqs:ap-northeast-2:123456789012:callback-scheduler-dlq"


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never reach a real account: fake keys, a fixed region, no profile."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_client() -> Iterator[EventBridgeSchedulerClient]:
    """A moto-backed scheduler client with the test's schedule group created."""
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        yield client


def make_adapter(client: EventBridgeSchedulerClient, **overrides: object) -> EventBridgeScheduler:
    """The adapter with the test ARNs; ``overrides`` replace constructor arguments."""
    arguments: dict[str, object] = {
        "group_name": GROUP,
        "target_arn": FUNCTION_ARN,
        "role_arn": ROLE_ARN,
        "dead_letter_queue_arn": DLQ_ARN,
        "retry_attempts": 2,
        "max_event_age_seconds": 3600,
        "client": client,
    }
    arguments.update(overrides)
    return EventBridgeScheduler(**arguments)  # type: ignore[arg-type]
