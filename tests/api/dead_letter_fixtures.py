"""A deployed stack with both dead-letter queues (moto), the API with the ledger, the real
API_CALL handler, the real DeadLetterRecorderFunction handler fed as its SQS event source
mappings feed it, and a real target: what the dead-letter tests drive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from api_call import ledger as api_call_ledger
from api_call.handler import lambda_handler
from dead_letter_recorder import handler as recorder
from tests.api.conftest import GROUP, REGION, SIGNING_SECRET, TOKEN, make_settings
from tests.dead_letter_recorder.esm import poll_until_empty, queue_arn
from tests.shared.ledger.support import ScriptedTarget, create_ledger_table, scripted_target
from tests.support import FakeLambdaContext


@dataclass
class DeadLetterStack:
    """The API client, moto's clients, both queue URLs and the target."""

    api: TestClient
    scheduler: Any
    dynamodb: Any
    sqs: Any
    table: str
    delivery_queue: str
    scheduler_queue: str
    target: ScriptedTarget

    def create(self, path: str) -> dict[str, Any]:
        body = {"delay_seconds": 60, "target_url": self.target.url(path)}
        response = self.api.post("/api/v1/tasks", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def schedule_input(self, task_id: str) -> dict[str, Any]:
        schedule = self.scheduler.get_schedule(Name=task_id, GroupName=GROUP)
        event: dict[str, Any] = json.loads(schedule["Target"]["Input"])
        return event

    def fire(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = lambda_handler(event, FakeLambdaContext())
        return result

    def arrive(self) -> None:
        """Run DeadLetterRecorderFunction over both queues, as its event sources do."""
        queues = [self.delivery_queue, self.scheduler_queue]
        poll_until_empty(self.sqs, queues, recorder.lambda_handler)

    def waiting(self, queue_url: str) -> int:
        """Messages in the queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
        return sum(int(attrs["Attributes"][name]) for name in names)

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def letters(self, **params: Any) -> dict[str, Any]:
        response = self.api.get("/api/v1/dead-letters", params=params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@pytest.fixture(name="stack")
def dl_stack_fixture(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadLetterStack]:
    """The stack; queues made visible again at once after a receive (VisibilityTimeout 0)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = create_ledger_table(dynamodb)
    sqs: Any = boto3.client("sqs", region_name=REGION)
    visible = {"VisibilityTimeout": "0"}
    delivery = sqs.create_queue(QueueName="delivery-dlq", Attributes=visible)["QueueUrl"]
    scheduler_queue = sqs.create_queue(QueueName="scheduler-dlq", Attributes=visible)["QueueUrl"]
    for name, value in {
        "AWS_REGION": REGION,
        "LEDGER_TABLE_NAME": table,
        "DEAD_LETTER_QUEUE_URL": delivery,
        "DEAD_LETTER_QUEUE_ARN": queue_arn(sqs, scheduler_queue),
        "SIGNING_SECRETS": SIGNING_SECRET,
        "ALLOWED_TARGET_HOSTS": "127.0.0.1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("API_BASE_URL", "SIGNING_SECRETS_ARN", "LEDGER_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    api_call_ledger._recorders.clear()
    recorder._stores.clear()
    settings = make_settings(
        ledger_table_name=table,
        allowed_target_hosts=("127.0.0.1",),
        dead_letter_queue_arn=queue_arn(sqs, scheduler_queue),
    )
    from api_app.app import create_app

    with (
        scripted_target() as target,
        TestClient(create_app(settings), headers={"Authorization": f"Bearer {TOKEN}"}) as api,
    ):
        yield DeadLetterStack(api, aws, dynamodb, sqs, table, delivery, scheduler_queue, target)
    api_call_ledger._recorders.clear()
    recorder._stores.clear()
