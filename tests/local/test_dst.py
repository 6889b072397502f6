"""The local backend's ticks across DST, rate's first tick, W/LW: instants written by hand.

The adapter stores the first tick when the task is created; the engine asks the trigger cache
(``TriggerCache.advance``) for each following tick once a tick has fired. Both are driven
here with a pinned clock, exactly as the engine calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local.backend import LocalScheduler
from shared.delivery.event import ApiCallRequest
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.scheduling.types import RecurringTaskSpec
from tests.dst_cases import CASES, DstCase, utc

CALL = ApiCallRequest(target_url="http://127.0.0.1:9/hook")


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Callable[[datetime], tuple[LocalScheduler, Clock]]]:
    made: list[LocalScheduler] = []

    def make(moment: datetime) -> tuple[LocalScheduler, Clock]:
        clock = Clock(moment)
        scheduler = LocalScheduler(tmp_path / f"state{len(made)}", lambda call: None, clock=clock)
        made.append(scheduler)
        return scheduler, clock

    yield make
    for scheduler in made:  # never started: close the store only
        scheduler.store.close()


def ticks(scheduler: LocalScheduler, clock: Clock, task_id: str, count: int) -> list[datetime]:
    row = scheduler.store.get_task(task_id)
    assert row is not None
    assert row.next_fire_at is not None
    found = [row.next_fire_at]
    while len(found) < count:
        clock.now = found[-1]  # the engine advances right after firing a tick
        following = scheduler._triggers.advance(row, found[-1])
        assert following is not None
        found.append(following)
    return [datetime.fromtimestamp(t, UTC) for t in found]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_local_backend_follows_eventbridge_across_dst(local: Any, case: DstCase) -> None:
    scheduler, clock = local(case.start)
    task = scheduler.create_recurring(
        RecurringTaskSpec(call=CALL, expression=case.expression, timezone=case.zone)
    )
    assert task.next_run_at is not None
    assert task.next_run_at.astimezone(UTC) == case.expected[0]
    assert ticks(scheduler, clock, task.task_id, len(case.expected)) == case.expected


def test_nearest_weekday_runs_locally(local: Any) -> None:
    scheduler, clock = local(utc(2026, 1, 20))
    task = scheduler.create_recurring(
        RecurringTaskSpec(call=CALL, expression="cron(0 9 15W * ? *)", timezone="Asia/Seoul")
    )
    # 2026-02-15 and 2026-03-15 are Sundays: Monday the 16th, 09:00 KST = 00:00Z
    assert ticks(scheduler, clock, task.task_id, 3) == [
        utc(2026, 2, 16, 0), utc(2026, 3, 16, 0), utc(2026, 4, 15, 0)
    ]  # fmt: skip


def test_rate_first_fire_is_the_eventbridge_start_date(local: Any) -> None:
    created = datetime(2026, 3, 7, 14, 0, 0, 200_000, tzinfo=UTC)  # 09:00:00.2 EST
    scheduler, clock = local(created)
    task = scheduler.create_recurring(
        RecurringTaskSpec(call=CALL, expression="rate(1 day)", timezone="America/New_York")
    )
    # one period after creation rounded up to the second; 24 h of elapsed time across DST
    expected = [utc(2026, 3, 8, 14, 0, 1), utc(2026, 3, 9, 14, 0, 1), utc(2026, 3, 10, 14, 0, 1)]
    assert ticks(scheduler, clock, task.task_id, 3) == expected

    client = boto3.client(
        "scheduler", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    adapter = EventBridgeScheduler(
        group_name="g",
        target_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        role_arn="arn:aws:iam::123456789012:role/r",
        dead_letter_queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        retry_attempts=2,
        max_event_age_seconds=3600,
        client=client,
        clock=lambda: created,
    )
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.scheduler.CreateSchedule", lambda params, **_: sent.append(params)
    )
    with Stubber(client) as stub:
        stub.add_response("create_schedule", {"ScheduleArn": "arn:x"}, None)
        adapter.create_recurring(
            RecurringTaskSpec(call=CALL, expression="rate(1 day)", timezone="America/New_York")
        )
    assert sent[0]["StartDate"] == expected[0]
