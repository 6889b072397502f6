"""The local engine against a real HTTP receiver: timing, signing, retries, dead letters."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from local.backend import LocalScheduler
from local.backend.config import EngineConfig
from shared.delivery.event import ApiCallRequest
from shared.scheduling.types import OneTimeTaskSpec, ScheduledTask
from tests.local.conftest import FAST, SECRET, MakeScheduler
from tests.local.receiver import Receiver


def one_time(receiver: Receiver, path: str, seconds: float, body: object = None) -> OneTimeTaskSpec:
    call = ApiCallRequest(target_url=receiver.url(path), body=body or {"path": path})
    return OneTimeTaskSpec(call=call, run_at=datetime.now(UTC) + timedelta(seconds=seconds))


def due(task: ScheduledTask) -> float:
    assert task.run_at is not None
    return task.run_at.timestamp()


def test_due_task_arrives_signed_on_time(receiver: Receiver, make_scheduler: MakeScheduler) -> None:
    scheduler = make_scheduler()
    task = scheduler.create_one_time(one_time(receiver, "/hook", 1.2, {"order": 42}))
    [got] = receiver.wait_for(1, timeout=4)
    lateness = got.arrived - due(task)
    assert -0.005 <= lateness < 0.25, lateness  # never early, and to the second
    payload = Webhook(SECRET).verify(got.body, got.headers)
    assert payload == {"order": 42}
    assert got.headers["webhook-id"]
    time.sleep(0.3)
    assert len(receiver.arrivals()) == 1
    with pytest.raises(Exception, match="not found"):
        scheduler.get(task.task_id)  # fired one-time tasks are deleted, as on EventBridge


def test_cancelled_task_never_fires(receiver: Receiver, make_scheduler: MakeScheduler) -> None:
    scheduler = make_scheduler()
    kept = scheduler.create_one_time(one_time(receiver, "/kept", 1.3))
    dropped = scheduler.create_one_time(one_time(receiver, "/dropped", 1.3))
    scheduler.cancel(dropped.task_id)
    receiver.wait_for(1, timeout=4, path="/kept")
    time.sleep(0.5)
    assert [r.path for r in receiver.arrivals()] == ["/kept"]
    assert kept.task_id != dropped.task_id


def test_503_twice_then_200_is_delivered_on_third_attempt(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    receiver.answer("/flaky", 503, 503)
    scheduler = make_scheduler()
    scheduler.create_one_time(one_time(receiver, "/flaky", 1.3))
    got = receiver.wait_for(3, timeout=6)
    time.sleep(0.5)
    assert len(receiver.arrivals()) == 3
    assert len({r.headers["webhook-id"] for r in got}) == 1  # stable across retries
    assert got[1].arrived - got[0].arrived >= FAST.retry_base_seconds
    assert got[2].arrived - got[1].arrived >= 2 * FAST.retry_base_seconds
    assert scheduler.list_dead_letters() == []


def test_retry_after_is_honoured(receiver: Receiver, make_scheduler: MakeScheduler) -> None:
    receiver.answer("/busy", 429)
    receiver.retry_after = "1"
    scheduler = make_scheduler()
    scheduler.create_one_time(one_time(receiver, "/busy", 1.3))
    first, second = receiver.wait_for(2, timeout=6)
    assert second.arrived - first.arrived >= 0.95  # not the 0.1 s backoff


def test_always_failing_is_dead_lettered_then_redriven(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    receiver.answer("/down", 500, 500, 500)
    scheduler = make_scheduler()
    task = scheduler.create_one_time(one_time(receiver, "/down", 1.3))
    receiver.wait_for(3, timeout=6)
    letters = wait_dead_letters(scheduler, 1)
    [letter] = letters
    assert letter["task_id"] == task.task_id
    assert letter["reason"] == "retries_exhausted"
    assert [a["status"] for a in letter["attempts"]] == [500, 500, 500]
    assert letter["call"]["target_url"] == receiver.url("/down")
    scheduler.redrive(letter["id"])  # the target has recovered: the script is used up
    got = receiver.wait_for(4, timeout=4)
    time.sleep(0.3)
    assert len(receiver.arrivals()) == 4
    assert got[3].headers["webhook-id"] == got[0].headers["webhook-id"]
    assert scheduler.list_dead_letters() == []
    with pytest.raises(Exception, match="no dead letter"):
        scheduler.redrive(letter["id"])


def test_permanent_failure_is_dead_lettered_at_once(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    receiver.answer("/gone", 404)
    scheduler = make_scheduler()
    spec = one_time(receiver, "/gone", 1.3)
    headers = {"X-Api-Key": "key-not-to-show", "X-Trace": "abc"}
    scheduler.create_one_time(replace(spec, call=replace(spec.call, headers=headers)))
    [letter] = wait_dead_letters(scheduler, 1)
    assert receiver.arrivals()[0].headers["X-Api-Key"] == "key-not-to-show"  # it was sent
    assert letter["call"]["headers"]["X-Trace"] == "abc"
    assert "key-not-to-show" not in json.dumps(letter)  # but is not shown again
    assert letter["reason"] == "permanent_failure"
    assert letter["status"] == 404
    assert "scripted failure" in letter["response_body"]
    assert len(letter["attempts"]) == 1
    assert len(receiver.arrivals()) == 1


def wait_dead_letters(
    scheduler: LocalScheduler, count: int, timeout: float = 5.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    letters: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        letters = scheduler.list_dead_letters()
        if len(letters) >= count:
            break
        time.sleep(0.02)
    return letters


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    config = EngineConfig(retry_base_seconds=1.0, retry_max_backoff_seconds=5.0)
    assert [config.backoff(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert config.backoff(1, 7.5) == 7.5  # Retry-After wins over a shorter backoff
    assert config.backoff(3, 0.5) == 4.0
