"""Exact CreateSchedule / ListSchedules parameters, pinned with botocore Stubber.

moto accepts any schedule expression, so what the adapter sends is checked here, byte for byte.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from botocore.stub import ANY, Stubber

from shared.delivery.event import ApiCallRequest
from shared.scheduling import eventbridge
from shared.scheduling.idempotency import fingerprint
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from tests.shared.scheduling.conftest import (
    CALL,
    DLQ_ARN,
    FUNCTION_ARN,
    GROUP,
    ROLE_ARN,
    SCHEDULE_ARN,
    adapter_at_now,
)

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

ORDER_ID = "order-b2bc8ae94bb156adb091ab7da12272da"  # new_task_id("order", "req-123")

DAILY_ID = "daily-0a55dc81f0345a229dec26f56a8ff78c"  # new_task_id("daily", "req-456")
NONCE = "0123456789abcdef0123456789abcdef"
CALL_EVENT = {
    "target_url": "https://api.example.com/hook",
    "method": "POST",
    "headers": {},
    "body": {"order": 42},
}


@pytest.fixture(autouse=True)
def fixed_nonce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task gets a random nonce; pin it so the Input can be compared byte for byte."""
    monkeypatch.setattr(eventbridge, "new_nonce", lambda: NONCE)


TARGET = {
    "Arn": FUNCTION_ARN,
    "RoleArn": ROLE_ARN,
    "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
    "DeadLetterConfig": {"Arn": DLQ_ARN},
}


def test_one_time_parameters_are_exact(
    client: EventBridgeSchedulerClient, stubber: Stubber
) -> None:
    # the fingerprint of a spec made without the API: the call, the time, zone and prefix
    spec_hash = fingerprint(
        {
            **CALL_EVENT,
            "run_at": "2026-11-24T00:00:30.400000+00:00",
            "timezone": "Asia/Seoul",
            "name_prefix": "order",
        }
    )
    input_json = (
        '{"target_url":"https://api.example.com/hook","method":"POST","headers":{},'
        f'"body":{{"order":42}},"task_id":"{ORDER_ID}","nonce":"{NONCE}",'
        f'"request_fingerprint":"{spec_hash}"}}'
    )
    stubber.add_response(
        "create_schedule",
        {"ScheduleArn": SCHEDULE_ARN + ORDER_ID},
        {
            "Name": ORDER_ID,
            "GroupName": GROUP,
            # 00:00:30.4 UTC rounds UP to :31 and is 09:00:31 in Seoul (UTC+9).
            "ScheduleExpression": "at(2026-11-24T09:00:31)",
            "ScheduleExpressionTimezone": "Asia/Seoul",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "ClientToken": ANY,  # random: idempotency is by name + fingerprint
            "State": "ENABLED",
            "Target": {**TARGET, "Input": input_json},
        },
    )
    run_at = datetime(2026, 11, 24, 0, 0, 30, 400_000, tzinfo=UTC)
    task = adapter_at_now(client).create_one_time(
        OneTimeTaskSpec(
            call=CALL,
            run_at=run_at,
            timezone="Asia/Seoul",
            name_prefix="order",
            client_token="req-123",
        )
    )
    assert task.task_id == ORDER_ID
    assert task.arn == SCHEDULE_ARN + ORDER_ID
    assert task.kind == "one_time"
    assert task.run_at == datetime(2026, 11, 24, 0, 0, 31, tzinfo=UTC)
    assert task.call is not None
    assert task.call.task_id == ORDER_ID
    assert task.call.nonce == NONCE
    assert task.request_fingerprint == spec_hash


def test_recurring_parameters_are_exact(
    client: EventBridgeSchedulerClient, stubber: Stubber
) -> None:
    spec_hash = fingerprint(
        {
            **CALL_EVENT,
            "schedule_expression": "cron(0 9 ? * mon-fri *)",
            "timezone": "America/New_York",
            "name_prefix": "daily",
        }
    )
    input_json = (
        '{"target_url":"https://api.example.com/hook","method":"POST","headers":{},'
        f'"body":{{"order":42}},"task_id":"{DAILY_ID}",'
        f'"scheduled_time":"<aws.scheduler.scheduled-time>","nonce":"{NONCE}",'
        f'"request_fingerprint":"{spec_hash}"}}'
    )
    stubber.add_response(
        "create_schedule",
        {"ScheduleArn": SCHEDULE_ARN + DAILY_ID},
        {
            "Name": DAILY_ID,
            "GroupName": GROUP,
            "ScheduleExpression": "cron(0 9 ? * MON-FRI *)",
            "ScheduleExpressionTimezone": "America/New_York",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "NONE",
            "ClientToken": ANY,
            "State": "ENABLED",
            "Target": {**TARGET, "Input": input_json},
        },
    )
    task = adapter_at_now(client).create_recurring(
        RecurringTaskSpec(
            call=CALL,
            expression="cron(0 9 ? * mon-fri *)",
            timezone="America/New_York",
            name_prefix="daily",
            client_token="req-456",
        )
    )
    assert (task.task_id, task.kind, task.run_at) == (DAILY_ID, "recurring", None)


def test_fresh_client_token_and_random_id_without_a_token(
    client: EventBridgeSchedulerClient, stubber: Stubber, calls: list[dict[str, Any]]
) -> None:
    for _ in range(2):
        stubber.add_response("create_schedule", {"ScheduleArn": SCHEDULE_ARN + "x"}, None)
    adapter = adapter_at_now(client)
    for _ in range(2):
        adapter.create_recurring(RecurringTaskSpec(call=CALL, expression="rate(5 minutes)"))
    tokens = [call["ClientToken"] for call in calls]
    names = [call["Name"] for call in calls]
    assert len(set(tokens)) == 2
    assert all(len(token) == 32 and int(token, 16) >= 0 for token in tokens)
    assert len(set(names)) == 2
    assert all(name.startswith("task-") and len(name) == 37 for name in names)


def test_at_expression_follows_new_york_dst(
    client: EventBridgeSchedulerClient, stubber: Stubber, calls: list[dict[str, Any]]
) -> None:
    expected = {
        datetime(2027, 1, 15, 14, 0, tzinfo=UTC): "at(2027-01-15T09:00:00)",  # EST
        datetime(2027, 7, 15, 13, 0, tzinfo=UTC): "at(2027-07-15T09:00:00)",  # EDT
    }
    for _ in expected:
        stubber.add_response("create_schedule", {"ScheduleArn": SCHEDULE_ARN + "x"}, None)
    adapter = adapter_at_now(client)
    for run_at in expected:
        adapter.create_one_time(
            OneTimeTaskSpec(call=CALL, run_at=run_at, timezone="America/New_York")
        )
    assert [c["ScheduleExpression"] for c in calls] == list(expected.values())
    assert {c["ScheduleExpressionTimezone"] for c in calls} == {"America/New_York"}


def test_list_parameters_and_mapping(client: EventBridgeSchedulerClient, stubber: Stubber) -> None:
    created = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    stubber.add_response(
        "list_schedules",
        {
            "Schedules": [{"Name": ORDER_ID, "Arn": SCHEDULE_ARN + ORDER_ID, "State": "ENABLED"}],
            "NextToken": "page-3",
        },
        {"GroupName": GROUP, "NamePrefix": "order", "MaxResults": 1, "NextToken": "page-2"},
    )
    stubber.add_response(
        "get_schedule",
        {
            "Name": ORDER_ID,
            "Arn": SCHEDULE_ARN + ORDER_ID,
            "GroupName": GROUP,
            "ScheduleExpression": "at(2026-11-24T09:00:31)",
            "ScheduleExpressionTimezone": "Asia/Seoul",
            "State": "ENABLED",
            "CreationDate": created,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {**TARGET, "Input": '{"target_url":"https://api.example.com/hook"}'},
        },
        {"Name": ORDER_ID, "GroupName": GROUP},
    )
    page = adapter_at_now(client).list(name_prefix="order", page_size=1, next_token="page-2")
    assert page.next_token == "page-3"
    (task,) = page.tasks
    assert task.run_at == datetime(2026, 11, 24, 0, 0, 31, tzinfo=UTC)
    assert task.timezone == "Asia/Seoul"
    assert task.created_at == created
    assert task.call == ApiCallRequest(target_url="https://api.example.com/hook")


def test_list_skips_a_task_deleted_before_its_details_were_read(
    client: EventBridgeSchedulerClient, stubber: Stubber
) -> None:
    stubber.add_response("list_schedules", {"Schedules": [{"Name": ORDER_ID}]}, None)
    stubber.add_client_error("get_schedule", "ResourceNotFoundException", http_status_code=404)
    page = adapter_at_now(client).list()
    assert page.tasks == []
    assert page.next_token is None
