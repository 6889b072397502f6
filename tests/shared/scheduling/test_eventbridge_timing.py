"""EventBridge adapter timing: rate()'s explicit StartDate (Stubber) and next_run_at (moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from botocore.stub import ANY, Stubber

from shared.scheduling.types import RecurringTaskSpec
from tests.dst_cases import CASES, DstCase, utc
from tests.shared.scheduling.conftest import CALL, GROUP, SCHEDULE_ARN, make_adapter

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

CREATED = datetime(2026, 11, 23, 9, 0, 0, 400_000, tzinfo=UTC)


def test_rate_sends_its_first_tick_as_start_date(
    client: EventBridgeSchedulerClient, stubber: Stubber, calls: list[dict[str, Any]]
) -> None:
    stubber.add_response("create_schedule", {"ScheduleArn": SCHEDULE_ARN + "x"}, None)
    stubber.add_response("create_schedule", {"ScheduleArn": SCHEDULE_ARN + "y"}, None)
    adapter = make_adapter(client, clock=lambda: CREATED)
    rate = adapter.create_recurring(
        RecurringTaskSpec(call=CALL, expression="rate(5 minutes)", timezone="Asia/Seoul")
    )
    adapter.create_recurring(
        RecurringTaskSpec(call=CALL, expression="cron(0 9 ? * MON-FRI *)", timezone="Asia/Seoul")
    )
    # 09:00:00.4Z rounds up to 09:00:01Z, plus one period
    assert calls[0]["StartDate"] == datetime(2026, 11, 23, 9, 5, 1, tzinfo=UTC)
    assert calls[0]["ScheduleExpression"] == "rate(5 minutes)"
    assert "StartDate" not in calls[1]  # cron: EventBridge starts at creation, as locally
    assert rate.next_run_at is not None
    assert rate.next_run_at.astimezone(UTC) == datetime(2026, 11, 23, 9, 5, 1, tzinfo=UTC)


def test_start_date_parameter_is_pinned(
    client: EventBridgeSchedulerClient, stubber: Stubber
) -> None:
    stubber.add_response(
        "create_schedule",
        {"ScheduleArn": SCHEDULE_ARN + "z"},
        {
            "Name": ANY,
            "GroupName": GROUP,
            "ScheduleExpression": "rate(1 hour)",
            "ScheduleExpressionTimezone": "UTC",
            "StartDate": datetime(2026, 11, 23, 10, 0, 1, tzinfo=UTC),
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "NONE",
            "ClientToken": ANY,  # random per create: idempotency is by name + fingerprint
            "State": "ENABLED",
            "Target": ANY,
        },
    )
    make_adapter(client, clock=lambda: CREATED).create_recurring(
        RecurringTaskSpec(call=CALL, expression="rate(1 hour)", client_token="tok-1")
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_next_run_at_follows_the_dst_rules(
    moto_client: EventBridgeSchedulerClient, case: DstCase
) -> None:
    now = {"at": case.start}
    adapter = make_adapter(moto_client, clock=lambda: now["at"])
    task = adapter.create_recurring(
        RecurringTaskSpec(call=CALL, expression=case.expression, timezone=case.zone)
    )
    seen = []
    for tick in case.expected:
        fetched = adapter.get(task.task_id)
        assert fetched.next_run_at is not None
        seen.append(fetched.next_run_at.astimezone(UTC))
        now["at"] = datetime.fromtimestamp(tick.timestamp() + 1, UTC)
    assert seen == case.expected
    listed = adapter.list().tasks
    assert [t.task_id for t in listed] == [task.task_id]


def test_next_run_at_of_a_rate_schedule_counts_from_its_start_date(
    moto_client: EventBridgeSchedulerClient,
) -> None:
    now = {"at": CREATED}
    adapter = make_adapter(moto_client, clock=lambda: now["at"])
    task = adapter.create_recurring(RecurringTaskSpec(call=CALL, expression="rate(2 hours)"))
    now["at"] = utc(2026, 11, 23, 14)
    fetched = adapter.get(task.task_id)
    assert fetched.next_run_at is not None
    # StartDate 11:00:01Z, then every 2 h: 13:00:01, 15:00:01
    assert fetched.next_run_at.astimezone(UTC) == utc(2026, 11, 23, 15, 0, 1)
