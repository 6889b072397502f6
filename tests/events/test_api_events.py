"""Every file in events/api goes through the Lambda handler (Mangum) as SAM would pass it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.ledger.config import LedgerConfig
from shared.ledger.dynamodb import DynamoDBLedger
from shared.ledger.types import TaskRecord
from tests.shared.ledger.support import create_ledger_table
from tests.support import EVENTS, FakeLambdaContext, fresh_import, load_event

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
# The group events/env.json names (what `sam local` uses), created in moto below.
GROUP = json.loads((EVENTS / "env.json").read_text())["ApiFunction"]["SCHEDULE_GROUP_NAME"]
EXISTING_TASK = "task-0123456789abcdef0123456789abcdef"

# The documented outcome of each sample event (events/README.md says the same).
OUTCOMES = {
    "health.json": 200,
    "schedule.json": 201,
    "create_delay.json": 201,
    "create_run_at.json": 201,
    "create_cron.json": 201,
    "create_past_time.json": 422,
    "list.json": 200,
    "get.json": 200,
    "cancel.json": 204,
    "list_unauthorized.json": 401,
    "callback_stale_signature.json": 401,
    "get_attempts.json": 200,
    "list_by_status.json": 200,
}
LEDGER_TABLE = "callback-scheduler-dev-LedgerTable-1A2B3C4D5E6F"


def test_every_api_event_has_a_documented_outcome() -> None:
    files = sorted(path.name for path in (EVENTS / "api").glob("*.json"))
    assert files == sorted(OUTCOMES)


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The environment the template gives ApiFunction, with events/env.json's overrides."""
    overrides = json.loads((EVENTS / "env.json").read_text())["ApiFunction"]
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "STAGE": "dev",
        "SCHEDULE_GROUP_NAME": GROUP,
        "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
        "API_CALL_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:api-call",
        "DEAD_LETTER_QUEUE_ARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq",
        "API_BASE_URL": f"https://abc123.execute-api.{REGION}.amazonaws.com",
        **overrides,
        # env.json leaves the ledger off for `sam local`; deployed, the template sets it
        "LEDGER_TABLE_NAME": LEDGER_TABLE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), LEDGER_TABLE)
        record_existing_task(env["API_BASE_URL"] + "/x")
        client.create_schedule(
            Name=EXISTING_TASK,
            GroupName=GROUP,
            ScheduleExpression="at(2030-01-01T00:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": env["API_CALL_FUNCTION_ARN"],
                "RoleArn": env["SCHEDULER_ROLE_ARN"],
                "Input": json.dumps({"target_url": env["API_BASE_URL"] + "/x"}),
            },
        )
        yield client


def record_existing_task(target_url: str) -> None:
    """The ledger's record of EXISTING_TASK, as the API writes it at creation."""
    ledger = DynamoDBLedger(LedgerConfig(LEDGER_TABLE), region=REGION)
    ledger.put_task(
        TaskRecord(
            task_id=EXISTING_TASK,
            kind="one_time",
            schedule_expression="at(2030-01-01T00:00:00)",
            timezone="UTC",
            status="scheduled",
            method="POST",
            target_url=target_url,
            created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        )
    )


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_api_event_gives_its_documented_status(lambda_env: Any, name: str) -> None:
    handler = fresh_import("api_app.main").handler
    response = handler(load_event(f"api/{name}"), FakeLambdaContext())
    assert response["statusCode"] == OUTCOMES[name], response.get("body")
    if response["statusCode"] >= 400:
        body = json.loads(response["body"])
        assert set(body) >= {"message", "code"}
    if name == "cancel.json":
        remaining = lambda_env.list_schedules(GroupName=GROUP)["Schedules"]
        assert EXISTING_TASK not in [item["Name"] for item in remaining]
    if name == "list_by_status.json":
        assert [t["task_id"] for t in json.loads(response["body"])["data"]] == [EXISTING_TASK]
    if name == "get_attempts.json":
        assert json.loads(response["body"]) == {"data": [], "count": 0, "next_token": None}
