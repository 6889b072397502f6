"""Fixtures for the EventBridge adapter tests: fake credentials, moto, a Stubber, an adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from shared.delivery.event import ApiCallRequest
from shared.scheduling.eventbridge import EventBridgeScheduler
from tests.support import fake_aws_credentials as use_fake_aws_credentials

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

REGION = "ap-northeast-2"
GROUP = "callback-scheduler-test"
FUNCTION_ARN = "arn:aws:lambda:ap-northeast-2:123456789012:function:api-call"
ROLE_ARN = "arn:aws:iam::123456789012:role/callback-scheduler-role"
DLQ_ARN = "arn:aws:sqs:ap-northeast-2:123456789012:callback-scheduler-dlq"
SCHEDULE_ARN = f"arn:aws:scheduler:{REGION}:123456789012:schedule/{GROUP}/"
NOW = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
CALL = ApiCallRequest(target_url="https://api.example.com/hook", body={"order": 42})


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never reach a real account: fake keys, a fixed region, no profile."""
    use_fake_aws_credentials(monkeypatch, REGION)


@pytest.fixture
def moto_client() -> Iterator[EventBridgeSchedulerClient]:
    """A moto-backed scheduler client with the test's schedule group created."""
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        yield client


@pytest.fixture
def client() -> EventBridgeSchedulerClient:
    """A real boto3 client (fake credentials) for the Stubber to intercept."""
    return boto3.client("scheduler", region_name=REGION)


@pytest.fixture
def stubber(client: EventBridgeSchedulerClient) -> Iterator[Stubber]:
    """The Stubber on ``client``; every queued response must have been used."""
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def calls(client: EventBridgeSchedulerClient) -> list[dict[str, Any]]:
    """Every request's parameters, recorded before the Stubber answers it."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    client.meta.events.register("provide-client-params.scheduler.*", record)
    return seen


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


def adapter_at_now(client: EventBridgeSchedulerClient) -> EventBridgeScheduler:
    """The adapter whose clock is pinned to ``NOW``."""
    return make_adapter(client, clock=lambda: NOW)
