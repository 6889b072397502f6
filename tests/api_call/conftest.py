"""Fixtures for the API_CALL handler: environment, moto dead-letter queue, Lambda context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.delivery.config import ENV_NAMES
from shared.secrets import clear_secret_cache
from tests.support import FakeLambdaContext as FakeLambdaContext
from tests.support import fake_aws_credentials

REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:ApiCallFunction"


@dataclass
class DeadLetterQueue:
    """A moto SQS queue and a way to read what reached it."""

    client: Any
    url: str

    def messages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for _ in range(5):  # bounded: moto returns at most 10 per call
            batch = self.client.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                break
            found.extend(json.loads(message["Body"]) for message in batch)
        return found


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext(function_name="ApiCallFunction", invoked_function_arn=FUNCTION_ARN)


@pytest.fixture
def dead_letter_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadLetterQueue]:
    """A moto SQS queue whose URL is DEAD_LETTER_QUEUE_URL."""
    fake_aws_credentials(monkeypatch, REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        client = boto3.client("sqs", region_name=REGION)
        url = client.create_queue(QueueName="api-call-dlq")["QueueUrl"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
        yield DeadLetterQueue(client, url)


@pytest.fixture(autouse=True)
def _delivery_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in set(ENV_NAMES.values()) - {"AWS_REGION"}:
        monkeypatch.delenv(name, raising=False)
    clear_secret_cache()
    yield
    clear_secret_cache()
