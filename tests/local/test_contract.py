"""The delivery contract on the local backend: idempotency, webhook-ids, cancel means never."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from local.backend.config import EngineConfig
from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import TaskConflictError
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from tests.local.conftest import MakeScheduler
from tests.local.receiver import Receiver

pytestmark = pytest.mark.timeout(60)


def spec_in(receiver: Receiver, path: str, seconds: float, **extra: object) -> OneTimeTaskSpec:
    call = ApiCallRequest(target_url=receiver.url(path), body={"path": path})
    run_at = datetime.now(UTC) + timedelta(seconds=seconds)
    return OneTimeTaskSpec(call=call, run_at=run_at, **extra)  # type: ignore[arg-type]


def wait_until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.005)
    return False


def test_same_token_same_request_is_the_existing_task_different_is_409(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler()
    spec = spec_in(receiver, "/x", 60, client_token="order-1", request_fingerprint="f1")
    first = scheduler.create_one_time(spec)
    again = scheduler.create_one_time(replace(spec, run_at=spec.run_at + timedelta(seconds=1)))
    assert (again.task_id, again.replayed, again.call) == (first.task_id, True, first.call)
    with pytest.raises(TaskConflictError) as info:
        scheduler.create_one_time(replace(spec, request_fingerprint="f2"))
    assert info.value.message == (
        f"client_token 'order-1' was already used for a different request (task {first.task_id!r})"
    )
    assert [task.task_id for task in scheduler.list().tasks] == [first.task_id]


def test_token_reused_after_the_task_ran_gets_a_new_webhook_id(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler()
    scheduler.create_one_time(spec_in(receiver, "/a", 1.2, client_token="reused"))
    receiver.wait_for(1, timeout=5, path="/a")
    time.sleep(0.2)  # the one-time task is deleted once it fired, as on EventBridge
    second = scheduler.create_one_time(spec_in(receiver, "/b", 1.2, client_token="reused"))
    assert second.replayed is False
    [a] = receiver.wait_for(1, timeout=5, path="/a")
    [b] = receiver.wait_for(1, timeout=5, path="/b")
    assert a.headers["webhook-id"] != b.headers["webhook-id"]  # different calls, different ids


def test_identical_tasks_never_share_a_webhook_id(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler()
    for _ in range(3):
        scheduler.create_one_time(spec_in(receiver, "/same", 1.2))
    got = receiver.wait_for(3, timeout=5)
    assert len({r.headers["webhook-id"] for r in got}) == 3


def test_each_tick_of_a_recurring_task_has_its_own_webhook_id(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    scheduler = make_scheduler(start=False)
    call = ApiCallRequest(target_url=receiver.url("/tick"))
    task = scheduler.create_recurring(RecurringTaskSpec(call=call, expression="rate(1 minute)"))
    [row] = scheduler.store.read("SELECT input FROM tasks WHERE task_id = ?", (task.task_id,))
    ticks = ["2026-11-28T10:00:00Z", "2026-11-28T10:01:00Z"]
    events = [json.loads(row[0].replace("<aws.scheduler.scheduled-time>", t)) for t in ticks]
    ids = [webhook_id_for(ApiCallRequest.from_event(event)) for event in events]
    again = webhook_id_for(ApiCallRequest.from_event(events[0]))  # a retry of tick 1
    assert ids[0] != ids[1]
    assert again == ids[0]


def test_cancel_while_an_attempt_is_on_the_wire_stops_its_retries(
    make_scheduler: MakeScheduler,
) -> None:
    receiver = Receiver(delay=0.4)
    try:
        receiver.answer("/down", *([503] * 10))
        scheduler = make_scheduler()
        task = scheduler.create_one_time(spec_in(receiver, "/down", 1.2))
        assert wait_until(lambda: receiver.in_flight >= 1, 5)
        scheduler.cancel(task.task_id)  # the attempt on the wire may finish
        time.sleep(2.0)  # FAST retries after 0.1, 0.2, ... s: several would have started
        assert len(receiver.arrivals("/down")) == 1
        assert scheduler.list_dead_letters() == []
    finally:
        receiver.close()


def test_cancel_of_a_claimed_run_waiting_for_a_worker_means_never(
    make_scheduler: MakeScheduler,
) -> None:
    receiver = Receiver(delay=0.6)
    try:
        scheduler = make_scheduler(EngineConfig(workers=1, retry_base_seconds=0.1))
        run_at = datetime.now(UTC) + timedelta(seconds=1.2)
        first = scheduler.create_one_time(
            OneTimeTaskSpec(ApiCallRequest(receiver.url("/first")), run_at)
        )
        queued = scheduler.create_one_time(
            OneTimeTaskSpec(ApiCallRequest(receiver.url("/queued")), run_at)
        )
        assert wait_until(lambda: receiver.in_flight >= 1, 5)
        claimed = scheduler.store.read("SELECT task_id FROM runs WHERE claimed = 1")
        assert {row[0] for row in claimed} == {first.task_id, queued.task_id}
        # one worker: one of them is on the wire (it may finish), the other waits, claimed
        scheduler.cancel(first.task_id)
        scheduler.cancel(queued.task_id)
        time.sleep(1.5)
        assert len(receiver.arrivals()) == 1
    finally:
        receiver.close()


def test_cancel_stops_the_retries_of_a_one_time_task_that_already_fired(
    make_scheduler: MakeScheduler,
) -> None:
    receiver = Receiver()
    try:
        receiver.answer("/down", *([503] * 10))
        scheduler = make_scheduler(EngineConfig(workers=2, retry_base_seconds=0.5))
        task = scheduler.create_one_time(spec_in(receiver, "/down", 1.2))
        receiver.wait_for(1, timeout=5)
        scheduler.cancel(task.task_id)  # the task row is gone; its retry is not
        time.sleep(1.5)
        assert len(receiver.arrivals()) == 1
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "target",
    ["{url}\\\\@hooks.partner.io/x", "{url}/x"],
    ids=["ambiguous-url", "bad-header"],
)
def test_unsendable_event_from_elsewhere_is_dead_lettered_without_a_request(
    receiver: Receiver, make_scheduler: MakeScheduler, target: str
) -> None:
    scheduler = make_scheduler()
    headers = {} if "@" in target else {"X-Split": "a\r\nInjected: 1"}
    event = {"target_url": target.format(url=receiver.url("")), "headers": headers}
    now = time.time()
    with scheduler.store.transaction() as db:  # as a redriven or hand-written event would be
        db.execute(
            "INSERT INTO runs (task_id, scheduled_time, due_at, expires_at, input)"
            " VALUES (?, ?, ?, ?, ?)",
            ("t-elsewhere", now, now, now + 3600, json.dumps(event)),
        )
    scheduler.engine.wake()
    assert wait_until(lambda: scheduler.list_dead_letters(), 5)
    [letter] = scheduler.list_dead_letters()
    assert (letter["reason"], len(letter["attempts"])) == ("permanent_failure", 1)
    time.sleep(0.3)
    assert receiver.arrivals() == []


def test_retry_after_3600_waits_the_bounded_300_s_instead_of_expiring(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    receiver.answer("/busy", 503)
    receiver.retry_after = "3600"
    scheduler = make_scheduler()
    scheduler.create_one_time(spec_in(receiver, "/busy", 1.2))
    [first] = receiver.wait_for(1, timeout=5)
    assert wait_until(lambda: scheduler.store.read("SELECT 1 FROM runs WHERE claimed = 0"), 3)
    [(due_at,)] = scheduler.store.read("SELECT due_at FROM runs")
    assert 299.0 <= due_at - first.arrived <= 302.0
    assert scheduler.list_dead_letters() == []
