"""The local backend's ledger: the same record and transitions as DynamoDB on AWS, written by
the real engine, purged after LEDGER_RETENTION_DAYS, never in the way of a delivery."""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.backend import LocalScheduler
from local.backend.ledger import SQLiteLedger
from local.backend.recording import LedgerRecorder
from local.backend.records import DeadLetter
from local.backend.store import LocalStore
from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import InvalidRequestError, TaskConflictError
from shared.ledger.scheduler import LedgeredScheduler
from shared.ledger.types import AttemptRecord, TaskRecord
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from tests.local.conftest import FAST, MakeScheduler
from tests.local.receiver import Receiver

pytestmark = pytest.mark.timeout(60)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def record(task_id: str, kind: str = "one_time", status: str = "scheduled") -> TaskRecord:
    return TaskRecord(
        task_id=task_id, kind=kind,  # type: ignore[arg-type]
        schedule_expression="rate(1 minute)" if kind == "recurring" else "at(2026-11-01T12:01:00)",
        timezone="UTC", status=status, method="POST", target_url="https://h.example/x",
        created_at=T0, request_fingerprint="fp", webhook_id="msg_1",
    )  # fmt: skip


def attempt(
    task_id: str, n: int, outcome: str, tick: str = "once", at: datetime = T0
) -> AttemptRecord:
    status = {"delivered": 200, "retryable": 503, "permanent": 404}[outcome]
    return AttemptRecord(task_id, tick, n, at, 12, outcome, http_status=status)


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "ledger.sqlite3")


def test_put_get_cancel_follow_the_dynamodb_rules(store: LocalStore) -> None:
    ledger = SQLiteLedger(store, 30)
    assert ledger.put_task(record("t-1")) is None
    again = ledger.put_task(replace(record("t-1"), request_fingerprint="other"))
    assert again is not None
    assert again.request_fingerprint == "fp"  # the recorded one, for replay_or_conflict
    assert ledger.get_task("t-unknown") is None
    assert ledger.cancel_task("t-1", now=T0) is True
    cancelled = ledger.get_task("t-1")
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", T0)
    assert ledger.cancel_task("t-1", now=T0) is False  # cancelled already
    assert ledger.cancel_task("t-unknown", now=T0) is False
    for ended in ("delivered", "failed"):
        ledger.put_task(record(f"t-{ended}", status=ended))
        assert ledger.cancel_task(f"t-{ended}", now=T0) is False
    ledger.delete_task("t-1")
    assert ledger.get_task("t-1") is None


def test_attempts_change_the_status_as_api_call_lambda_does(store: LocalStore) -> None:
    ledger, recorder = SQLiteLedger(store, 30), LedgerRecorder(store, 30)
    ledger.put_task(record("t-1"))
    start = recorder.start("t-1", recurring=False, tick="once")
    assert (start.attempt_number, start.cancelled) == (1, False)
    assert ledger.get_task("t-1").status == "delivering"  # type: ignore[union-attr]
    assert recorder.finish(attempt("t-1", 1, "retryable"), recurring=False)
    assert ledger.get_task("t-1").status == "retrying"  # type: ignore[union-attr]
    assert recorder.start("t-1", recurring=False, tick="once").attempt_number == 2
    recorder.finish(attempt("t-1", 2, "delivered"), recurring=False)
    task = ledger.get_task("t-1")
    assert task is not None
    assert (task.status, task.attempt_count, task.last_outcome, task.last_http_status) == (
        "delivered", 2, "delivered", 200,
    )  # fmt: skip
    # recurring: each tick counts on, the task stays active, ticks are listed in order
    ledger.put_task(record("t-r", kind="recurring", status="active"))
    for n, tick in enumerate(["2026-11-01T12:01:00Z", "2026-11-01T12:02:00Z"], start=1):
        assert recorder.start("t-r", recurring=True, tick=tick).attempt_number == n
        recorder.finish(attempt("t-r", n, "permanent", tick), recurring=True)
    recurring = ledger.get_task("t-r")
    assert recurring is not None
    assert (recurring.status, recurring.last_outcome, recurring.last_tick) == (
        "active", "permanent", "2026-11-01T12:02:00Z",
    )  # fmt: skip
    recorder.dead_lettered("t-r", now=T0)
    assert ledger.get_task("t-r").status == "active"  # type: ignore[union-attr]
    page = ledger.list_attempts("t-r", page_size=1)
    rest = ledger.list_attempts("t-r", page_size=1, next_token=page.next_token)
    assert [a.tick for a in page.attempts + rest.attempts] == [
        "2026-11-01T12:01:00Z", "2026-11-01T12:02:00Z",
    ]  # fmt: skip
    assert rest.next_token is None


def test_a_cancelled_task_starts_no_attempt_and_keeps_its_status(store: LocalStore) -> None:
    ledger, recorder = SQLiteLedger(store, 30), LedgerRecorder(store, 30)
    ledger.put_task(record("t-1"))
    assert recorder.start("t-1", recurring=False, tick="once").attempt_number == 1
    ledger.cancel_task("t-1", now=T0)  # while the attempt is on the wire
    assert recorder.finish(attempt("t-1", 1, "retryable"), recurring=False)
    assert recorder.start("t-1", recurring=False, tick="once").cancelled is True
    task = ledger.get_task("t-1")
    assert task is not None
    assert (task.status, task.attempt_count, task.last_http_status) == ("cancelled", 1, 503)
    recorder.dead_lettered("t-1", now=T0)
    assert ledger.get_task("t-1").status == "cancelled"  # type: ignore[union-attr]
    assert [a.attempt_number for a in ledger.list_attempts("t-1").attempts] == [1]


def test_an_attempt_recorded_before_its_task_keeps_its_count(store: LocalStore) -> None:
    ledger, recorder = SQLiteLedger(store, 30), LedgerRecorder(store, 30)
    recorder.start("t-1", recurring=False, tick="once")  # the engine was faster than the API
    assert ledger.put_task(record("t-1")) is None  # the creation fields fill the row
    task = ledger.get_task("t-1")
    assert task is not None
    assert (task.target_url, task.attempt_count, task.status) == (
        "https://h.example/x", 1, "delivering",
    )  # fmt: skip


def test_lists_by_status_and_prefix_in_id_order_with_opaque_tokens(store: LocalStore) -> None:
    ledger = SQLiteLedger(store, 30)
    for task_id, status in [("b-2", "failed"), ("a-1", "scheduled"), ("b-1", "scheduled"),
                            ("b-3", "scheduled"), ("c-1", "scheduled")]:  # fmt: skip
        ledger.put_task(record(task_id, status=status))
    first = ledger.list_tasks(prefix="b", page_size=2)
    second = ledger.list_tasks(prefix="b", page_size=2, next_token=first.next_token)
    assert [t.task_id for t in first.tasks + second.tasks] == ["b-1", "b-2", "b-3"]
    assert second.next_token is None
    scheduled = ledger.list_tasks(status="scheduled", page_size=2)
    more = ledger.list_tasks(status="scheduled", page_size=2, next_token=scheduled.next_token)
    assert [t.task_id for t in scheduled.tasks + more.tasks] == ["a-1", "b-1", "b-3", "c-1"]
    assert [t.task_id for t in ledger.list_tasks(status="failed", prefix="b").tasks] == ["b-2"]
    dynamodb_token = base64.urlsafe_b64encode(
        json.dumps({"pk": {"S": "a-1"}, "sk": {"S": "TASK"}}).encode()
    ).decode()
    old_local_token = base64.urlsafe_b64encode(b"local-page:a-1").decode().rstrip("=")
    attempts_token = base64.urlsafe_b64encode(
        json.dumps({"ledger": "attempts", "after": ["a-1", "once", 1]}).encode()
    ).decode()
    for token in ("zz", "bm90LW91cnM", dynamodb_token, old_local_token, attempts_token):
        with pytest.raises(InvalidRequestError, match="next_token"):
            ledger.list_tasks(next_token=token)
    tasks_token = first.next_token
    with pytest.raises(InvalidRequestError):
        ledger.list_attempts("a-1", next_token=tasks_token)
    with pytest.raises(InvalidRequestError):  # another task's attempts token
        ledger.list_attempts("b-1", next_token=attempts_token)


def test_history_is_purged_after_the_retention(tmp_path: Path) -> None:
    now = [T0.timestamp()]
    scheduler = LocalScheduler(
        tmp_path / "state", lambda call: None, replace(FAST, ledger_retention_days=30),
        clock=lambda: now[0],
    )  # fmt: skip
    ledger, recorder = scheduler.ledger, scheduler.recorder
    for task in (record("t-done"), record("t-waiting"), record("t-r", "recurring", "active")):
        ledger.put_task(task)
    recorder.start("t-done", recurring=False, tick="once")
    recorder.finish(attempt("t-done", 1, "delivered"), recurring=False)  # ended at T0
    recorder.start("t-r", recurring=True, tick="2026-11-01T12:00:00Z")
    recorder.finish(attempt("t-r", 1, "delivered", "2026-11-01T12:00:00Z"), recurring=True)
    with scheduler.store.transaction() as db:
        db.execute(
            "INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            DeadLetter("dl-1", "t-r", T0.timestamp(), "{}", [], "expired", None, "",
                       T0.timestamp()).to_params(),
        )  # fmt: skip

    def kept() -> tuple[list[str], int, int]:
        tasks = [row[0] for row in scheduler.store.read("SELECT task_id FROM ledger_tasks")]
        attempts = scheduler.store.read("SELECT count(*) FROM ledger_attempts")[0][0]
        letters = scheduler.store.read("SELECT count(*) FROM dead_letters")[0][0]
        return sorted(tasks), attempts, letters

    now[0] = (T0 + timedelta(days=29, hours=23)).timestamp()
    scheduler.engine.housekeeping()
    assert kept() == (["t-done", "t-r", "t-waiting"], 2, 1)
    now[0] = (T0 + timedelta(days=30, seconds=1)).timestamp()
    scheduler.engine.housekeeping()
    # the ended task, every attempt and the letter are 30 days old; the others have not ended
    assert kept() == (["t-r", "t-waiting"], 0, 0)
    scheduler.store.close()


def test_the_engine_records_what_the_api_reads(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    local = make_scheduler()
    api = LedgeredScheduler(local, local.ledger)
    receiver.answer("/flaky", 503)
    call = ApiCallRequest(target_url=receiver.url("/flaky"))
    task = api.create_one_time(OneTimeTaskSpec(call, datetime.now(UTC) + timedelta(seconds=1.1)))
    receiver.wait_for(2, timeout=5)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and api.get(task.task_id).record.status != "delivered":  # type: ignore[union-attr]
        time.sleep(0.02)
    shown = api.get(task.task_id)  # the store deleted the fired task; the ledger kept it
    assert shown.record is not None
    assert (shown.record.status, shown.record.attempt_count, shown.state) == (
        "delivered", 2, "ENDED",
    )  # fmt: skip
    rows = api.attempts(task.task_id).attempts
    assert [(a.attempt_number, a.outcome, a.http_status, a.error_class) for a in rows] == [
        (1, "retryable", 503, "RetryableDeliveryError"), (2, "delivered", 200, None),
    ]  # fmt: skip
    sent = [r.headers["webhook-id"] for r in receiver.arrivals("/flaky")]
    assert [a.webhook_id for a in rows] == sent == [shown.record.webhook_id] * 2
    assert rows[0].request_id == rows[1].request_id  # one run (one tick's delivery)
    assert rows[0].request_id is not None
    assert rows[0].request_id.startswith("local-run-")
    assert rows[0].started_at < rows[1].started_at


def test_marked_cancelled_before_the_run_is_deleted_is_not_delivered(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    local = make_scheduler()
    api = LedgeredScheduler(local, local.ledger)
    call = ApiCallRequest(target_url=receiver.url("/never"))
    task = api.create_one_time(OneTimeTaskSpec(call, datetime.now(UTC) + timedelta(seconds=1.1)))
    local.ledger.cancel_task(task.task_id, now=datetime.now(UTC))  # the store still has it
    time.sleep(1.8)
    assert receiver.arrivals() == []
    assert local.store.read("SELECT count(*) FROM runs")[0][0] == 0
    assert local.list_dead_letters() == []
    assert api.get(task.task_id).record.attempt_count == 0  # type: ignore[union-attr]


def test_a_failing_ledger_neither_blocks_nor_repeats_a_delivery(
    receiver: Receiver, make_scheduler: MakeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    local = make_scheduler()
    call = ApiCallRequest(target_url=receiver.url("/ok"))
    local.create_one_time(OneTimeTaskSpec(call, datetime.now(UTC) + timedelta(seconds=1.1)))
    local.store.script("DROP TABLE ledger_attempts; DROP TABLE ledger_tasks;")
    with caplog.at_level(logging.ERROR, logger="local"):
        assert len(receiver.wait_for(1, timeout=4)) == 1
        time.sleep(0.5)
    assert len(receiver.arrivals()) == 1  # delivered once
    failed = [r.getMessage() for r in caplog.records if "ledger write failed" in r.getMessage()]
    assert [m.split(" (")[1].split(",")[0] for m in failed] == ["start_attempt", "finish_attempt"]


def test_a_cancelled_task_is_not_redriven(make_scheduler: MakeScheduler) -> None:
    local = make_scheduler(start=False)
    api = LedgeredScheduler(local, local.ledger)
    call = ApiCallRequest(target_url="http://127.0.0.1:9/x")
    task = api.create_recurring(RecurringTaskSpec(call, "rate(1 hour)"))
    with local.store.transaction() as db:  # one tick was dead-lettered
        db.execute(
            "INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            DeadLetter("dl-1", task.task_id, time.time(), json.dumps(call.to_event()), [],
                       "retries_exhausted", None, "", time.time()).to_params(),
        )  # fmt: skip
    api.cancel(task.task_id)
    with pytest.raises(TaskConflictError, match="cancelled"):
        local.redrive("dl-1")
    assert [letter["id"] for letter in local.list_dead_letters()] == ["dl-1"]
    assert local.store.read("SELECT count(*) FROM runs")[0][0] == 0


def test_tasks_from_before_the_ledger_are_recorded_at_start(
    receiver: Receiver, make_scheduler: MakeScheduler
) -> None:
    old = make_scheduler(start=False)
    call = ApiCallRequest(target_url=receiver.url("/old"))
    task = old.create_one_time(OneTimeTaskSpec(call, datetime.now(UTC) + timedelta(hours=1)))
    old.store.script("DELETE FROM ledger_tasks;")  # as a state folder made before the ledger
    old.start()
    recorded = old.ledger.get_task(task.task_id)
    assert recorded is not None
    assert (recorded.status, recorded.target_url, recorded.run_at) == (
        "scheduled", receiver.url("/old"), task.run_at,
    )  # fmt: skip
    assert task.call is not None
    assert recorded.webhook_id == webhook_id_for(task.call)  # what its delivery will carry
    assert old.record_unledgered() == 0


def test_queued_writes_are_applied_in_order_at_the_flush(store: LocalStore) -> None:
    ledger, recorder = SQLiteLedger(store, 30), LedgerRecorder(store, 30)
    ledger.put_task(record("t-1"))
    store.script(
        "INSERT INTO dead_letters VALUES ('dl-1', 't-1', 0, '{}', 0, '[]', 'expired', NULL, '', 0)"
    )
    for _ in range(2):
        pending = recorder.begin("t-1", recurring=False, tick="once")
        recorder.end(pending, attempt("t-1", 0, "retryable"))
    recorder.dead_lettered_later("t-1", now=T0, dl_id="dl-gone")  # redriven meanwhile
    assert ledger.get_task("t-1").attempt_count == 0  # type: ignore[union-attr]
    assert recorder.queued == 5
    recorder.flush()
    task = ledger.get_task("t-1")
    assert task is not None
    assert (task.status, task.attempt_count) == ("retrying", 2)
    assert [a.attempt_number for a in ledger.list_attempts("t-1").attempts] == [1, 2]
    recorder.dead_lettered_later("t-1", now=T0, dl_id="dl-1")  # still listed
    recorder.flush()
    assert ledger.get_task("t-1").status == "failed"  # type: ignore[union-attr]


def test_a_failing_queued_write_is_logged_and_the_others_are_kept(
    store: LocalStore, caplog: pytest.LogCaptureFixture
) -> None:
    ledger, recorder = SQLiteLedger(store, 30), LedgerRecorder(store, 30)
    ledger.put_task(record("t-1"))
    pending = recorder.begin("t-1", recurring=False, tick="once")
    recorder.end(pending, attempt("t-1", 0, "delivered"))
    store.script("DROP TABLE ledger_attempts;")
    with caplog.at_level(logging.ERROR, logger="local"):
        recorder.flush()
    assert ledger.get_task("t-1").attempt_count == 1  # type: ignore[union-attr]
    assert ["finish_attempt" in r.getMessage() for r in caplog.records] == [True]
    assert recorder.queued == 0
