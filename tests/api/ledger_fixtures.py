"""A deployed stack in one process: moto (Scheduler, DynamoDB, SQS), the API app with the
ledger, API_CALL_LAMBDA's handler invoked with each schedule's Input, a real target."""

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
from shared.delivery.event import SCHEDULED_TIME_PLACEHOLDER
from tests.api.conftest import GROUP, REGION, SIGNING_SECRET, TOKEN, make_settings
from tests.shared.ledger.support import ScriptedTarget, create_ledger_table, scripted_target
from tests.support import FakeLambdaContext


@dataclass
class Stack:
    """What a test drives: the API client, the scheduler and table, the target."""

    api: TestClient
    scheduler: Any
    dynamodb: Any
    table: str
    target: ScriptedTarget

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.api.post("/api/v1/tasks", json=body)
        assert response.status_code in (200, 201), response.text
        created: dict[str, Any] = response.json()
        return created

    def schedule_input(self, task_id: str) -> dict[str, Any]:
        schedule = self.scheduler.get_schedule(Name=task_id, GroupName=GROUP)
        event: dict[str, Any] = json.loads(schedule["Target"]["Input"])
        return event

    def fire(self, event: dict[str, Any], tick: str | None = None) -> dict[str, Any]:
        """Invoke API_CALL_LAMBDA as Scheduler does (the tick replaces the placeholder)."""
        if tick is not None:
            event = {**event, "scheduled_time": tick}
        assert event.get("scheduled_time") != SCHEDULED_TIME_PLACEHOLDER
        result: dict[str, Any] = lambda_handler(event, FakeLambdaContext())
        return result

    def ran_and_deleted(self, task_id: str) -> None:
        """What ``ActionAfterCompletion=DELETE`` does once a one-time schedule ran."""
        self.scheduler.delete_schedule(Name=task_id, GroupName=GROUP)

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def attempts(self, task_id: str, **params: Any) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/tasks/{task_id}/attempts", params=params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@pytest.fixture(name="stack")
def stack_fixture(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The stack; API_CALL reads its environment as the template sets it."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = create_ledger_table(dynamodb)
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="dlq")["QueueUrl"]
    for name, value in {
        "AWS_REGION": REGION,
        "LEDGER_TABLE_NAME": table,
        "DEAD_LETTER_QUEUE_URL": queue,
        "SIGNING_SECRETS": SIGNING_SECRET,
        "ALLOWED_TARGET_HOSTS": "127.0.0.1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("API_BASE_URL", "SIGNING_SECRETS_ARN", "LEDGER_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    api_call_ledger._recorders.clear()
    settings = make_settings(ledger_table_name=table, allowed_target_hosts=("127.0.0.1",))
    from api_app.app import create_app

    with (
        scripted_target() as target,
        TestClient(create_app(settings), headers={"Authorization": f"Bearer {TOKEN}"}) as api,
    ):
        yield Stack(api, aws, dynamodb, table, target)
    api_call_ledger._recorders.clear()
