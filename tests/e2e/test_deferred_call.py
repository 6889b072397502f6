"""End to end: HttpApi event → Mangum → schedule in moto → its Input → API_CALL_LAMBDA →
a real signed HTTP call to the API served by uvicorn on 127.0.0.1 → callback verified."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support import FakeLambdaContext, free_port, fresh_import, load_event, serve

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
GROUP = "callback-scheduler-e2e"
TOKEN = "e2e-client-token"
SECRET = "whsec_" + base64.b64encode(b"e2e-signing-key-0123456789abcdef").decode()
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:callback-scheduler-api-call"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/callback-scheduler-scheduler"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Both functions' environment as the template sets it, moto behind boto3, a DLQ."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "SCHEDULER_BACKEND": "eventbridge",
        "SCHEDULE_GROUP_NAME": GROUP,
        "SCHEDULER_ROLE_ARN": ROLE_ARN,
        "API_CALL_FUNCTION_ARN": FUNCTION_ARN,
        "API_BASE_URL": base_url,
        "API_TOKENS": TOKEN,
        "SIGNING_SECRETS": SECRET,
        "RETRY_MAX_ATTEMPTS": "2",
        "MAX_EVENT_AGE_SECONDS": "3600",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="delivery-dlq")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_ARN", queue_arn)
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue_url)
        scheduler = boto3.client("scheduler", region_name=REGION)
        scheduler.create_schedule_group(Name=GROUP)
        yield {
            "port": port,
            "base_url": base_url,
            "scheduler": scheduler,
            "sqs": sqs,
            "queue_url": queue_url,
            "queue_arn": queue_arn,
        }


def schedule_through_api_gateway(deployed: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    api = fresh_import("api_app.main")
    event = load_event("api/schedule.json")
    event["headers"]["authorization"] = f"Bearer {TOKEN}"
    before = datetime.now(UTC)
    response = api.handler(event, FakeLambdaContext())
    assert response["statusCode"] == 201, response["body"]
    created = json.loads(response["body"])
    stored = deployed["scheduler"].get_schedule(Name=created["task_id"], GroupName=GROUP)
    expected_at = datetime.fromisoformat(created["run_at"]).astimezone(UTC)
    assert before + timedelta(minutes=30) <= expected_at
    assert expected_at <= datetime.now(UTC) + timedelta(minutes=30, seconds=1)
    assert stored["ScheduleExpression"] == f"at({expected_at:%Y-%m-%dT%H:%M:%S})"
    assert stored["ScheduleExpressionTimezone"] == "UTC"
    assert stored["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert stored["ActionAfterCompletion"] == "DELETE"
    assert stored["State"] == "ENABLED"
    target = stored["Target"]
    assert target["Arn"] == FUNCTION_ARN
    assert target["RoleArn"] == ROLE_ARN
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": deployed["queue_arn"]}
    event_input = json.loads(target["Input"])
    # the per-task nonce (the webhook-id's source) and the idempotency fingerprint ride along
    assert re.fullmatch(r"[0-9a-f]{32}", event_input.pop("nonce"))
    assert re.fullmatch(r"[0-9a-f]{64}", event_input.pop("request_fingerprint"))
    assert event_input == {
        "target_url": f"{deployed['base_url']}/api/v1/tasks/callback",
        "method": "POST",
        "headers": {},
        "body": {
            "data": {"payment_id": 12345, "user_id": 789, "action": "payment_expiry_reminder"}
        },
        "task_id": created["task_id"],
    }
    assert SECRET.removeprefix("whsec_") not in target["Input"]
    assert TOKEN not in target["Input"]
    return api, event_input


def test_scheduled_input_is_delivered_signed_and_the_callback_verifies_it(
    deployed: dict[str, Any],
) -> None:
    api, event_input = schedule_through_api_gateway(deployed)
    api_call = fresh_import("api_call.handler")
    with serve(api.create_app(), deployed["port"]):
        result = api_call.lambda_handler(event_input, FakeLambdaContext())
    assert result == {"statusCode": 200, "body": json.dumps({"success": True, "api_status": 200})}
    queued = deployed["sqs"].receive_message(QueueUrl=deployed["queue_url"])
    assert "Messages" not in queued


def test_a_delivery_signed_with_a_foreign_key_is_refused_and_dead_lettered(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, event_input = schedule_through_api_gateway(deployed)
    app = api.create_app()  # built with the real secret
    monkeypatch.setenv("SIGNING_SECRETS", "whsec_" + base64.b64encode(b"x" * 32).decode())
    api_call = fresh_import("api_call.handler")
    with serve(app, deployed["port"]):
        result = api_call.lambda_handler(event_input, FakeLambdaContext())
    assert result["statusCode"] == 401
    assert json.loads(result["body"])["success"] is False
    [message] = deployed["sqs"].receive_message(QueueUrl=deployed["queue_url"])["Messages"]
    record = json.loads(message["Body"])
    assert record["requestPayload"] == event_input
    assert record["responsePayload"]["status"] == 401
