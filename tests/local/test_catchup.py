"""Downtime does not come back as a burst: a recurring task fires its latest missed tick once."""

from __future__ import annotations

import json
import logging
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local.backend.catchup import latest_due_tick
from local.backend.config import EngineConfig
from local.backend.records import TaskRow
from shared.delivery.event import ApiCallRequest
from tests.local.conftest import MakeScheduler
from tests.local.receiver import Receiver
from tests.local.test_engine import wait_dead_letters

pytestmark = pytest.mark.timeout(30)


def recurring(receiver: Receiver, task_id: str, expression: str, created: float) -> TaskRow:
    call = ApiCallRequest(target_url=receiver.url(f"/{task_id}"), task_id=task_id)
    event = {**call.to_event(), "scheduled_time": "<aws.scheduler.scheduled-time>"}
    return TaskRow(
        task_id, "recurring", expression, "UTC", json.dumps(event), created, created + 60
    )


def test_recurring_task_down_for_several_periods_fires_once_at_start(
    receiver: Receiver, make_scheduler: MakeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    now = time.time()
    created = math.floor(now) - 330  # ticks at created+60 ... created+300 were all missed
    down = make_scheduler(start=False)
    down.store.insert_task(recurring(receiver, "task-minutely", "rate(1 minute)", created))
    down.shutdown()
    with caplog.at_level(logging.WARNING, logger="local"):
        scheduler = make_scheduler()
        [got] = receiver.wait_for(1, timeout=3)
        time.sleep(0.5)
    assert len(receiver.arrivals()) == 1  # one call, not five
    assert got.path == "/task-minutely"
    task = scheduler.store.get_task("task-minutely")
    assert task is not None
    assert task.next_fire_at == created + 360  # the first tick after now: still scheduled
    latest = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created + 300))
    assert f"task-minutely: 4 missed tick(s) coalesced into the tick of {latest}" in caplog.text


def test_latest_missed_tick_older_than_the_event_age_is_dead_lettered_not_fired(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    config = EngineConfig(workers=4, max_event_age_seconds=60)
    created = math.floor(time.time()) - 1000  # ticks every 5 min: -700, -400, -100 all too old
    down = make_scheduler(config, start=False)
    row = recurring(receiver, "task-5min", "rate(5 minutes)", created)
    down.store.insert_task(TaskRow(**{**row.__dict__, "next_fire_at": created + 300}))
    down.shutdown()
    scheduler = make_scheduler(config)
    [letter] = wait_dead_letters(scheduler, 1)
    assert (letter["task_id"], letter["reason"], letter["attempts"]) == ("task-5min", "expired", [])
    time.sleep(0.3)
    assert receiver.arrivals() == []
    task = scheduler.store.get_task("task-5min")
    assert task is not None
    assert task.next_fire_at == created + 1200


@given(
    period=st.integers(1, 500),
    first=st.integers(0, 10_000),
    now_offset=st.integers(0, 100_000),
)
def test_latest_due_tick_is_the_last_tick_not_after_now(
    period: int, first: int, now_offset: int
) -> None:
    row = TaskRow("t", "recurring", "rate", "UTC", "{}", 0.0, float(first))
    now = float(first + now_offset)
    tick, following, skipped = latest_due_tick(row, float(first), now, lambda _, t: t + period)
    expected = first + (now_offset // period) * period  # written out: the last multiple
    assert (tick, following, skipped) == (expected, expected + period, now_offset // period)
