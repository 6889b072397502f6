"""Fixtures for the API_CALL handler: environment, moto dead-letter queue, Lambda context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.secrets import clear_secret_cache

REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:ApiCallFunction"


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that the handler and Powertools read."""

    function_name: str = "ApiCallFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = FUNCTION_ARN
    memory_limit_in_mb: int = 128
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"
    log_group_name: str = "/aws/lambda/ApiCallFunction"
    log_stream_name: str = "2026/01/05/[$LATEST]abc"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


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
    return FakeLambdaContext()


@pytest.fixture
def dead_letter_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadLetterQueue]:
    """A moto SQS queue whose URL is DEAD_LETTER_QUEUE_URL."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        client = boto3.client("sqs", region_name=REGION)
        url = client.create_queue(QueueName="api-call-dlq")["QueueUrl"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
        yield DeadLetterQueue(client, url)


@pytest.fixture(autouse=True)
def _delivery_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "API_BASE_URL",
        "ALLOWED_TARGET_HOSTS",
        "SIGNING_SECRETS",
        "SIGNING_SECRETS_ARN",
        "TARGET_BEARER_TOKEN",
        "TARGET_BEARER_TOKEN_ARN",
        "DEAD_LETTER_QUEUE_URL",
        "DELIVERY_TIMEOUT_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    clear_secret_cache()
    yield
    clear_secret_cache()
