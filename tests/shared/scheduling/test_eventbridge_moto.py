"""The EventBridge adapter against moto: create, get, list (paged), cancel, and the errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws
from pydantic import SecretStr

from shared.delivery.event import SCHEDULED_TIME_PLACEHOLDER, ApiCallRequest
from shared.exceptions import (
    ConfigurationError,
    TaskConflictError,
    TaskNotFoundError,
)
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from shared.settings import Settings
from tests.shared.scheduling.conftest import (
    DLQ_ARN,
    FUNCTION_ARN,
    GROUP,
    REGION,
    ROLE_ARN,
    make_adapter,
)

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

CALL = ApiCallRequest(
    target_url="https://api.example.com/api/v1/tasks/callback",
    headers={"X-Request-Source": "test"},
    body={"order_id": 42},
)


def in_an_hour() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def test_one_time_task_round_trip(moto_client: EventBridgeSchedulerClient) -> None:
    adapter = make_adapter(moto_client)
    run_at = in_an_hour()
    created = adapter.create_one_time(
        OneTimeTaskSpec(call=CALL, run_at=run_at, timezone="Asia/Seoul", name_prefix="remind")
    )
    assert created.task_id.startswith("remind-")
    assert created.arn.endswith(f":schedule/{GROUP}/{created.task_id}")

    fetched = adapter.get(created.task_id)
    assert fetched.kind == "one_time"
    assert fetched.timezone == "Asia/Seoul"
    local = run_at.astimezone(fetched.run_at.tzinfo if fetched.run_at else UTC)
    assert fetched.schedule_expression == f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert fetched.run_at == run_at
    assert fetched.call is not None
    assert fetched.call.body == {"order_id": 42}
    assert fetched.call.task_id == created.task_id
    assert fetched.state == "ENABLED"
    assert fetched.created_at is not None

    raw = moto_client.get_schedule(Name=created.task_id, GroupName=GROUP)
    assert raw["ActionAfterCompletion"] == "DELETE"
    assert raw["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert raw["Target"]["Arn"] == FUNCTION_ARN
    assert raw["Target"]["RoleArn"] == ROLE_ARN
    assert raw["Target"]["DeadLetterConfig"] == {"Arn": DLQ_ARN}
    assert raw["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
    }


def test_recurring_task_round_trip(moto_client: EventBridgeSchedulerClient) -> None:
    adapter = make_adapter(moto_client)
    created = adapter.create_recurring(
        RecurringTaskSpec(call=CALL, expression="cron(0 9 ? * mon-fri *)", timezone="Asia/Seoul")
    )
    fetched = adapter.get(created.task_id)
    assert fetched.kind == "recurring"
    assert fetched.schedule_expression == "cron(0 9 ? * MON-FRI *)"
    assert fetched.timezone == "Asia/Seoul"
    assert fetched.run_at is None
    assert fetched.call is not None
    assert fetched.call.scheduled_time == SCHEDULED_TIME_PLACEHOLDER
    raw = moto_client.get_schedule(Name=created.task_id, GroupName=GROUP)
    assert raw["ActionAfterCompletion"] == "NONE"


def test_list_pages_through_next_token_with_a_prefix(
    moto_client: EventBridgeSchedulerClient,
) -> None:
    adapter = make_adapter(moto_client)
    wanted = {
        adapter.create_one_time(
            OneTimeTaskSpec(call=CALL, run_at=in_an_hour(), name_prefix="batch")
        ).task_id
        for _ in range(5)
    }
    for _ in range(2):
        adapter.create_recurring(
            RecurringTaskSpec(call=CALL, expression="rate(1 hour)", name_prefix="other")
        )

    seen: list[str] = []
    token: str | None = None
    pages = 0
    for _ in range(10):  # bounded: 5 tasks in pages of 2 need 3 pages
        page = adapter.list(name_prefix="batch", page_size=2, next_token=token)
        pages += 1
        assert len(page.tasks) <= 2
        assert all(task.call is not None and task.kind == "one_time" for task in page.tasks)
        seen.extend(task.task_id for task in page.tasks)
        token = page.next_token
        if token is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(wanted)

    everything = adapter.list(page_size=100)
    assert len(everything.tasks) == 7
    assert everything.next_token is None


def test_cancel_then_get_and_cancel_again(moto_client: EventBridgeSchedulerClient) -> None:
    adapter = make_adapter(moto_client)
    task = adapter.create_one_time(OneTimeTaskSpec(call=CALL, run_at=in_an_hour()))
    adapter.cancel(task.task_id)
    with pytest.raises(TaskNotFoundError):
        adapter.get(task.task_id)
    with pytest.raises(TaskNotFoundError):
        adapter.cancel(task.task_id)


def test_cancel_unknown_task(moto_client: EventBridgeSchedulerClient) -> None:
    with pytest.raises(TaskNotFoundError):
        make_adapter(moto_client).cancel("task-0123456789abcdef0123456789abcdef")


def test_same_client_token_never_makes_a_twin(moto_client: EventBridgeSchedulerClient) -> None:
    adapter = make_adapter(moto_client)
    spec = OneTimeTaskSpec(call=CALL, run_at=in_an_hour(), client_token="req-7")
    first = adapter.create_one_time(spec)
    # the retry meets the same schedule name with the same request: the existing task
    again = adapter.create_one_time(spec)
    assert (again.task_id, again.replayed, first.replayed) == (first.task_id, True, False)
    assert again.call == first.call  # same nonce, so the same webhook-id
    other = OneTimeTaskSpec(
        call=replace(CALL, body={"order": 43}), run_at=spec.run_at, client_token="req-7"
    )
    with pytest.raises(TaskConflictError, match="client_token 'req-7' was already used"):
        adapter.create_one_time(other)
    assert [task.task_id for task in adapter.list().tasks] == [first.task_id]


SECRETS = ("whsec-sign-0123456789", "api-token-abcdef", "bearer-xyz-987654")


def settings_with_secrets() -> Settings:
    return Settings(
        aws_region=REGION,
        schedule_group_name=GROUP,
        scheduler_role_arn=ROLE_ARN,
        api_call_function_arn=FUNCTION_ARN,
        dead_letter_queue_arn=DLQ_ARN,
        signing_secrets=(SecretStr(SECRETS[0]),),
        api_tokens=(SecretStr(SECRETS[1]),),
        target_bearer_token=SecretStr(SECRETS[2]),
    )


def test_no_secret_reaches_any_schedule(moto_client: EventBridgeSchedulerClient) -> None:
    adapter = EventBridgeScheduler.from_settings(settings_with_secrets(), client=moto_client)
    one = adapter.create_one_time(OneTimeTaskSpec(call=CALL, run_at=in_an_hour()))
    two = adapter.create_recurring(RecurringTaskSpec(call=CALL, expression="rate(5 minutes)"))
    for task_id in (one.task_id, two.task_id):
        raw = moto_client.get_schedule(Name=task_id, GroupName=GROUP)
        stored = json.dumps(raw, default=str)
        assert json.loads(raw["Target"]["Input"])["task_id"] == task_id
        for secret in SECRETS:
            assert secret not in stored


def test_from_settings_names_missing_arns() -> None:
    with pytest.raises(ConfigurationError) as info:
        EventBridgeScheduler.from_settings(Settings(api_call_function_arn=FUNCTION_ARN))
    assert "SCHEDULER_ROLE_ARN" in info.value.message
    assert "DEAD_LETTER_QUEUE_ARN" in info.value.message
    assert "API_CALL_FUNCTION_ARN" not in info.value.message


def test_client_is_built_lazily_once() -> None:
    with mock_aws():
        adapter = EventBridgeScheduler.from_settings(settings_with_secrets())
        adapter.client.create_schedule_group(Name=GROUP)
        assert adapter.client is adapter.client
        assert adapter.client.meta.region_name == REGION
        task = adapter.create_recurring(RecurringTaskSpec(call=CALL, expression="rate(1 day)"))
        assert adapter.get(task.task_id).schedule_expression == "rate(1 day)"
