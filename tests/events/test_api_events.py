"""Every file in events/api goes through the Lambda handler (Mangum) as SAM would pass it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_messages import read_message
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.drain import to_item
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
    "list_dead_letters.json": 200,
    "redrive_dead_letter.json": 202,
}
DEAD_LETTER_ID = "b7f3d1c2-5e4a-4c8b-9a6d-2f1e0c3b4a59"
# A task that ran before the ledger existed (so its status is not touched: list_by_status)
DEAD_TASK = "task-fedcba9876543210fedcba9876543210"
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
    # no Docker: an asynchronous invocation (a redrive) is accepted, not run
    with mock_aws(config={"lambda": {"use_docker": False}}):
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), LEDGER_TABLE)
        record_existing_task(env["API_BASE_URL"] + "/x")
        create_dead_letter_stack(env)
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


def create_dead_letter_stack(env: dict[str, str]) -> None:
    """ApiCallFunction and one dead letter of DEAD_TASK in the ledger (recorded on arrival
    by DeadLetterRecorderFunction: the API reads no queue)."""
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="api-call", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=env["API_CALL_FUNCTION_ARN"].rsplit(":", 1)[-1],
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    event = {"target_url": env["API_BASE_URL"] + "/x", "task_id": DEAD_TASK}
    message = {"MessageId": DEAD_LETTER_ID, "Body": json.dumps(event)}
    store = DeadLetterStore(LedgerConfig(LEDGER_TABLE), region=REGION)
    assert store.record(to_item(store, read_message(message, "scheduler"), now), now=now)


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
    if name == "list_dead_letters.json":
        [letter] = json.loads(response["body"])["data"]
        assert (letter["id"], letter["task_id"]) == (DEAD_LETTER_ID, DEAD_TASK)
    if name == "redrive_dead_letter.json":
        assert json.loads(response["body"])["task_id"] == DEAD_TASK
    if name == "get_attempts.json":
        assert json.loads(response["body"]) == {"data": [], "count": 0, "next_token": None}
