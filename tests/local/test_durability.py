"""Durability of the local engine: restarts, crashes mid-delivery, downtime, one engine per dir."""

from __future__ import annotations

import json
import time

import pytest

from local.backend.config import EngineConfig
from local.backend.records import TaskRow
from shared.delivery.event import ApiCallRequest
from shared.exceptions import ConfigurationError
from shared.scheduling.types import RecurringTaskSpec
from tests.local.conftest import MakeScheduler
from tests.local.receiver import Receiver
from tests.local.test_engine import due, one_time, wait_dead_letters


def stored_task(receiver: Receiver, task_id: str, fire_at: float) -> TaskRow:
    call = ApiCallRequest(target_url=receiver.url(f"/{task_id}"), task_id=task_id)
    return TaskRow(
        task_id, "one_time", "at(2020-01-01T00:00:00)", "UTC",
        json.dumps(call.to_event()), fire_at - 60, fire_at,
    )  # fmt: skip


def test_task_survives_restart_and_fires_once(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    first = make_scheduler()
    task = first.create_one_time(one_time(receiver, "/later", 2.0))
    first.shutdown()
    second = make_scheduler()
    assert second.get(task.task_id).task_id == task.task_id
    [got] = receiver.wait_for(1, timeout=5)
    assert got.arrived - due(task) < 0.5
    second.shutdown()
    third = make_scheduler()  # a further restart must not fire it again
    time.sleep(0.5)
    assert len(receiver.arrivals()) == 1
    assert third.list().tasks == []


def test_run_claimed_by_a_dead_process_is_delivered_at_start(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    crashed = make_scheduler(start=False)  # its engine never runs: we claim by hand
    now = time.time()
    crashed.store.insert_task(stored_task(receiver, "task-crash", now - 1))
    claimed = crashed.store.claim_due(now, 10, lambda task, tick: None, 3600)
    assert [run.task_id for run in claimed] == ["task-crash"]
    crashed.shutdown()  # the claim is left in the file, as after SIGKILL mid-delivery
    make_scheduler()
    assert len(receiver.wait_for(1, timeout=3)) == 1
    time.sleep(0.3)
    assert len(receiver.arrivals()) == 1


def test_missed_while_down_fires_at_start_unless_too_old(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    config = EngineConfig(workers=2, max_event_age_seconds=30)
    down = make_scheduler(config, start=False)
    now = time.time()
    down.store.insert_task(stored_task(receiver, "task-recent", now - 10))
    down.store.insert_task(stored_task(receiver, "task-ancient", now - 300))
    down.shutdown()
    scheduler = make_scheduler(config)
    [got] = receiver.wait_for(1, timeout=3)
    assert got.path == "/task-recent"
    [letter] = wait_dead_letters(scheduler, 1)
    assert (letter["task_id"], letter["reason"]) == ("task-ancient", "expired")
    assert letter["attempts"] == []
    time.sleep(0.2)
    assert len(receiver.arrivals()) == 1


def test_second_engine_on_same_folder_is_refused(make_scheduler: MakeScheduler) -> None:
    make_scheduler()
    with pytest.raises(ConfigurationError, match="another local scheduler"):
        make_scheduler()


def test_burst_uses_at_most_the_configured_workers(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    receiver.delay = 0.05
    scheduler = make_scheduler(EngineConfig(workers=3))
    spec = one_time(receiver, "/burst", 2.0)  # 30 tasks due at the same instant
    for _ in range(30):
        scheduler.create_one_time(spec)
    assert len(receiver.wait_for(30, timeout=8)) == 30
    assert 1 < receiver.max_in_flight <= 3


def test_recurring_task_fires_each_tick_and_stays(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler()
    call = ApiCallRequest(target_url=receiver.url("/tick"))
    task = scheduler.create_recurring(RecurringTaskSpec(call=call, expression="cron(* * * * ? *)"))
    first_tick = due(task)
    # Move the first tick close, as if the minute were about to turn.
    with scheduler.store.transaction() as db:
        db.execute("UPDATE tasks SET next_fire_at = ? WHERE task_id = ?",
                   (time.time() + 0.5, task.task_id))  # fmt: skip
    scheduler.engine.wake()
    [got] = receiver.wait_for(1, timeout=3)
    assert got.headers["webhook-id"]
    advanced = due(scheduler.get(task.task_id))
    assert advanced % 60 == 0  # the next whole minute, still scheduled
    assert advanced >= first_tick


def test_a_broken_recurring_task_does_not_stop_the_others(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(start=False)
    now = time.time()
    broken = stored_task(receiver, "task-broken", now - 1)
    broken = TaskRow(**{**broken.__dict__, "kind": "recurring", "expression": "cron(bad)"})
    scheduler.store.insert_task(broken)
    scheduler.store.insert_task(stored_task(receiver, "task-fine", now - 1))
    scheduler.start()
    got = receiver.wait_for(2, timeout=3)
    assert sorted(r.path for r in got) == ["/task-broken", "/task-fine"]
    assert scheduler.store.get_task("task-broken") is None  # its last tick ran; it ended
