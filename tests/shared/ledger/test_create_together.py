"""Creating a task records it in the ledger while its schedule is created (two threads).

moto for Scheduler and DynamoDB; each client behind a lock, so one call is atomic as on AWS
(moto's conditional writes are not, across threads) while calls still interleave. Failures
and delays are injected around the real adapters; barriers and events force each ordering.
Every test checks what is left: no schedule without its record, no record without its
schedule, and the record equal to the schedule (ARN, call, ``webhook-id``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import webhook_id_for
from shared.exceptions import (
    BackendUnavailableError,
    InvalidRequestError,
    TaskConflictError,
    ThrottledError,
)
from shared.ledger.config import LedgerConfig
from shared.ledger.dynamodb import DynamoDBLedger
from shared.ledger.scheduler import LedgeredScheduler
from shared.ledger.types import TaskRecord
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.scheduling.planning import PlannedTask
from shared.scheduling.schedule_mapping import schedule_to_task
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec, ScheduledTask
from tests.shared.ledger.support import TABLE, create_ledger_table
from tests.support import fake_aws_credentials

pytestmark = pytest.mark.timeout(60)

REGION = "ap-northeast-2"
GROUP = "together"
ARN = f"arn:aws:lambda:{REGION}:123456789012:function:api-call"
WAIT = 5.0  # seconds any barrier or event may take before the test fails


class Serialized:
    """A boto3 client whose calls run one at a time (a call is atomic, as on AWS)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            with self._lock:
                return method(**params)

        return call


class Hooks:
    """Callables run before (``before_*``) or instead of a real call; default: nothing."""

    def __init__(self) -> None:
        self.before_put: Callable[[TaskRecord], None] = lambda record: None
        self.after_put: Callable[[TaskRecord], None] = lambda record: None
        self.before_submit: Callable[[PlannedTask], None] = lambda plan: None
        self.after_submit: Callable[[ScheduledTask], None] = lambda task: None
        self.before_get: Callable[[str], None] = lambda task_id: None
        self.before_delete: Callable[[str], None] = lambda task_id: None


class HookedLedger(DynamoDBLedger):
    def __init__(self, hooks: Hooks, client: Any) -> None:
        super().__init__(LedgerConfig(TABLE), region=REGION, client=client)
        self.hooks = hooks

    def put_task(self, task: TaskRecord) -> TaskRecord | None:
        self.hooks.before_put(task)
        recorded = super().put_task(task)
        self.hooks.after_put(task)
        return recorded

    def get_task(self, task_id: str) -> TaskRecord | None:
        self.hooks.before_get(task_id)
        return super().get_task(task_id)

    def delete_task(self, task_id: str) -> None:
        self.hooks.before_delete(task_id)
        super().delete_task(task_id)


class HookedScheduler(EventBridgeScheduler):
    def __init__(self, hooks: Hooks, client: Any) -> None:
        super().__init__(
            group_name=GROUP, target_arn=ARN, role_arn=ARN, dead_letter_queue_arn=ARN,
            retry_attempts=0, max_event_age_seconds=60, region_name=REGION, client=client,
        )  # fmt: skip
        self.hooks = hooks

    def submit(self, plan: PlannedTask) -> ScheduledTask:
        self.hooks.before_submit(plan)
        task = super().submit(plan)
        self.hooks.after_submit(task)
        return task


@dataclass
class World:
    scheduler_client: Any
    dynamodb: Any
    hooks: Hooks
    inner: HookedScheduler
    ledger: HookedLedger
    tasks: LedgeredScheduler

    def schedules(self) -> list[str]:
        found = self.scheduler_client.list_schedules(GroupName=GROUP)["Schedules"]
        return sorted(str(item["Name"]) for item in found)

    def records(self) -> list[str]:
        items = self.dynamodb.scan(TableName=TABLE)["Items"]
        return sorted(item["pk"]["S"] for item in items)

    def assert_record_is_the_schedule(self, task_id: str) -> None:
        """The ledger says exactly what the schedule will do (ARN, call, webhook-id)."""
        schedule = self.scheduler_client.get_schedule(Name=task_id, GroupName=GROUP)
        truth = schedule_to_task(schedule)
        record = self.ledger.get_task(task_id)
        assert record is not None
        assert truth.call is not None
        assert record.schedule_arn == schedule["Arn"] != ""
        assert record.webhook_id == webhook_id_for(truth.call)
        assert record.request_fingerprint == truth.request_fingerprint
        assert (record.schedule_expression, record.timezone) == (
            truth.schedule_expression, truth.timezone,
        )  # fmt: skip
        assert (record.target_url, record.run_at) == (truth.call.target_url, truth.run_at)


@pytest.fixture(name="world")
def world_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    fake_aws_credentials(monkeypatch, REGION)
    with mock_aws():
        scheduler_client = boto3.client("scheduler", region_name=REGION)
        scheduler_client.create_schedule_group(Name=GROUP)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(dynamodb)
        hooks = Hooks()
        inner = HookedScheduler(hooks, Serialized(scheduler_client))
        ledger = HookedLedger(hooks, Serialized(dynamodb))
        world = World(
            scheduler_client, dynamodb, hooks, inner, ledger, LedgeredScheduler(inner, ledger)
        )
        world.tasks.create_one_time(spec())  # the first create shows the group's ARN prefix
        assert world.inner._arn_prefix
        yield world


def spec(body: Any = None, token: str | None = None) -> OneTimeTaskSpec:
    call = ApiCallRequest("https://hooks.example.com/x", body={"n": 1} if body is None else body)
    run_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    return OneTimeTaskSpec(call=call, run_at=run_at, client_token=token)


def meet(barrier: threading.Barrier) -> Callable[[Any], None]:
    """A hook that waits at ``barrier`` (broken after ``WAIT`` s: the test fails)."""

    def hook(_: Any) -> None:
        barrier.wait()

    return hook


def wait(event: threading.Event) -> None:
    assert event.wait(WAIT), "the other half never got there"


def test_the_put_and_the_create_run_at_the_same_time(world: World) -> None:
    both = threading.Barrier(2, timeout=WAIT)  # broken (test fails) if they run in turn
    world.hooks.before_put = meet(both)
    world.hooks.before_submit = meet(both)
    before = world.schedules()
    task = world.tasks.create_one_time(spec())
    assert not task.replayed
    assert world.schedules() == sorted([*before, task.task_id])
    assert task.task_id in world.records()
    world.assert_record_is_the_schedule(task.task_id)
    assert task.call is not None
    assert task.record is not None
    assert task.arn == task.record.schedule_arn
    assert task.record.webhook_id == webhook_id_for(task.call)


def test_a_recurring_task_is_recorded_with_its_first_tick(world: World) -> None:
    both = threading.Barrier(2, timeout=WAIT)
    world.hooks.before_put = meet(both)
    world.hooks.before_submit = meet(both)
    call = ApiCallRequest("https://hooks.example.com/r")
    task = world.tasks.create_recurring(RecurringTaskSpec(call=call, expression="rate(5 minutes)"))
    record = world.ledger.get_task(task.task_id)
    assert record is not None
    assert record.status == "active"
    schedule = world.scheduler_client.get_schedule(Name=task.task_id, GroupName=GROUP)
    assert record.schedule_arn == schedule["Arn"]
    assert record.first_run_at == schedule["StartDate"]  # the rate's first tick, in advance
    assert task.next_run_at == record.first_run_at


@pytest.mark.parametrize("put_fails", ["before the schedule exists", "after it exists"])
def test_ledger_fails_the_schedule_is_deleted_and_the_ledger_error_raised(
    world: World, put_fails: str
) -> None:
    created = threading.Event()
    before = (world.schedules(), world.records())

    def put_fails_now(record: TaskRecord) -> None:
        if put_fails == "after it exists":
            wait(created)
        raise BackendUnavailableError("the ledger is unavailable: cannot record the task")

    world.hooks.before_put = put_fails_now
    world.hooks.after_submit = lambda task: created.set()
    with pytest.raises(BackendUnavailableError, match="ledger"):
        world.tasks.create_one_time(spec())
    assert created.is_set()  # the schedule was created, then deleted again
    assert (world.schedules(), world.records()) == before


def test_ledger_write_that_timed_out_but_landed_is_removed(world: World) -> None:
    def landed_then_timed_out(record: TaskRecord) -> None:
        raise BackendUnavailableError("the ledger is unavailable: cannot record the task")

    world.hooks.after_put = landed_then_timed_out
    before = (world.schedules(), world.records())
    with pytest.raises(BackendUnavailableError):
        world.tasks.create_one_time(spec())
    assert (world.schedules(), world.records()) == before


@pytest.mark.parametrize("order", ["record first", "record after the failure"])
def test_scheduler_fails_the_record_is_deleted_before_the_answer(world: World, order: str) -> None:
    """A slow ledger whose write lands after CreateSchedule failed: still removed."""
    failed, recorded = threading.Event(), threading.Event()

    def create_fails(plan: PlannedTask) -> None:
        if order == "record first":
            wait(recorded)
        failed.set()
        raise ThrottledError("EventBridge Scheduler is busy")

    def slow_put(record: TaskRecord) -> None:
        if order == "record after the failure":
            wait(failed)
            time.sleep(0.2)  # the ledger answers well after the scheduler failed

    world.hooks.before_submit = create_fails
    world.hooks.before_put = slow_put
    world.hooks.after_put = lambda record: recorded.set()
    before = (world.schedules(), world.records())
    with pytest.raises(ThrottledError):
        world.tasks.create_one_time(spec())
    assert recorded.is_set()
    assert (world.schedules(), world.records()) == before


def test_create_that_timed_out_but_landed_is_deleted_too(world: World) -> None:
    def landed_then_timed_out(task: ScheduledTask) -> None:
        raise BackendUnavailableError("EventBridge Scheduler is unreachable (ReadTimeoutError)")

    world.hooks.after_submit = landed_then_timed_out
    before = (world.schedules(), world.records())
    with pytest.raises(BackendUnavailableError, match="Scheduler"):
        world.tasks.create_one_time(spec())
    assert (world.schedules(), world.records()) == before


def test_both_fail_the_scheduler_error_is_raised_and_nothing_is_left(world: World) -> None:
    both = threading.Barrier(2, timeout=WAIT)

    def put_fails(record: TaskRecord) -> None:
        both.wait()
        raise BackendUnavailableError("the ledger is unavailable: cannot record the task")

    def create_fails(plan: PlannedTask) -> None:
        both.wait()
        raise ThrottledError("EventBridge Scheduler is busy")

    world.hooks.before_put, world.hooks.before_submit = put_fails, create_fails
    before = (world.schedules(), world.records())
    with pytest.raises(ThrottledError):
        world.tasks.create_one_time(spec())
    assert (world.schedules(), world.records()) == before


def test_an_undo_that_fails_is_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    def create_fails(plan: PlannedTask) -> None:
        raise ThrottledError("EventBridge Scheduler is busy")

    def delete_fails(task_id: str) -> None:
        raise BackendUnavailableError("the ledger is unavailable: cannot undo the task")

    world.hooks.before_submit, world.hooks.before_delete = create_fails, delete_fails
    caplog.set_level(logging.ERROR)
    with pytest.raises(ThrottledError):
        world.tasks.create_one_time(spec())
    lines = [r for r in caplog.records if "ledger record not deleted" in r.getMessage()]
    assert [r.levelname for r in lines] == ["ERROR"]


def test_validation_errors_come_before_any_write(world: World) -> None:
    before = (world.schedules(), world.records())
    past = OneTimeTaskSpec(
        call=ApiCallRequest("https://hooks.example.com/x"),
        run_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    with pytest.raises(InvalidRequestError):
        world.tasks.create_one_time(past)
    assert (world.schedules(), world.records()) == before


def test_a_changed_arn_is_recorded_as_the_schedule_has_it(world: World) -> None:
    right = world.inner._arn_prefix
    world.inner._arn_prefix = right.replace(GROUP, "elsewhere")  # a wrong guess
    task = world.tasks.create_one_time(spec())
    assert task.arn.startswith(right)
    world.assert_record_is_the_schedule(task.task_id)
    assert world.inner._arn_prefix == right


def test_the_first_create_runs_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before any create the ARN is unknown: the schedule first, then the record."""
    fake_aws_credentials(monkeypatch, REGION)
    with mock_aws():
        boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=GROUP)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(dynamodb)
        hooks, order = Hooks(), []
        hooks.before_submit = lambda plan: order.append("create")
        hooks.before_put = lambda record: order.append("put")
        inner = HookedScheduler(hooks, boto3.client("scheduler", region_name=REGION))
        tasks = LedgeredScheduler(inner, HookedLedger(hooks, dynamodb))
        task = tasks.create_one_time(spec())
        assert order == ["create", "put"]
        assert task.arn.endswith("/" + task.task_id)


# -- the same client_token racing: CreateSchedule decides, the ledger follows the schedule


def race(world: World, requests: list[OneTimeTaskSpec]) -> list[ScheduledTask | Exception]:
    """Run the creates at once, all past their ledger read before any creates."""
    read = threading.Barrier(len(requests), timeout=WAIT)
    passed: set[str] = set()

    def first_read(task_id: str) -> None:  # the replay/conflict check; not put_task's reread
        name = threading.current_thread().name
        if name.startswith("race-") and name not in passed:
            passed.add(name)
            read.wait()

    world.hooks.before_get = first_read
    results: list[ScheduledTask | Exception] = [Exception("not run")] * len(requests)

    def one(index: int) -> None:
        try:
            results[index] = world.tasks.create_one_time(requests[index])
        except Exception as exc:
            results[index] = exc

    threads = [
        threading.Thread(target=one, args=(n,), name=f"race-{n}") for n in range(len(requests))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.parametrize("round_", range(8))
def test_identical_requests_racing_one_created_the_rest_replayed(world: World, round_: int) -> None:
    token = f"race-{round_}"
    results = race(world, [spec(token=token) for _ in range(5)])
    tasks = [result for result in results if isinstance(result, ScheduledTask)]
    assert len(tasks) == 5, results
    assert sorted(task.replayed for task in tasks) == [False, True, True, True, True]
    task_id = tasks[0].task_id
    assert {task.task_id for task in tasks} == {task_id}
    # what the API shows: the record's webhook-id (a replay read from the ledger has no nonce)
    recorded = world.ledger.get_task(task_id)
    assert recorded is not None
    assert {task.record.webhook_id for task in tasks if task.record} == {recorded.webhook_id}
    assert world.schedules().count(task_id) == 1
    world.assert_record_is_the_schedule(task_id)


@pytest.mark.parametrize("round_", range(8))
def test_different_requests_racing_one_token_one_wins_the_rest_conflict(
    world: World, round_: int
) -> None:
    token = f"clash-{round_}"
    results = race(world, [spec(body={"n": n}, token=token) for n in range(4)])
    won = [result for result in results if isinstance(result, ScheduledTask)]
    lost = [result for result in results if isinstance(result, Exception)]
    assert len(won) == 1, results
    assert not won[0].replayed
    assert len(lost) == 3, lost
    assert all(isinstance(exc, TaskConflictError) for exc in lost), lost
    task_id = won[0].task_id
    schedule = world.scheduler_client.get_schedule(Name=task_id, GroupName=GROUP)
    assert json.loads(schedule["Target"]["Input"])["body"] == won[0].call.body  # type: ignore[union-attr]
    world.assert_record_is_the_schedule(task_id)


def test_the_replay_records_the_winners_schedule_when_its_put_comes_first(world: World) -> None:
    """A's schedule, then B's (replayed) put, then A's put: the record is A's schedule."""
    a_created, b_recorded = threading.Event(), threading.Event()
    first = spec(token="order")
    seen: dict[str, ScheduledTask | Exception] = {}

    def a() -> None:
        try:
            seen["a"] = world.tasks.create_one_time(first)
        except Exception as exc:
            seen["a"] = exc

    def hold_a(record: TaskRecord) -> None:
        if threading.current_thread().name == "a":
            a_created.set()
            wait(b_recorded)

    world.hooks.before_put = hold_a
    thread = threading.Thread(target=a, name="a")
    thread.start()
    wait(a_created)
    b = world.tasks.create_one_time(spec(token="order"))
    b_recorded.set()
    thread.join(WAIT)
    a_task = seen["a"]
    assert isinstance(a_task, ScheduledTask)
    assert not a_task.replayed
    assert b.replayed
    assert b.task_id == a_task.task_id
    assert b.call == a_task.call  # the same nonce: one webhook-id
    assert a_task.record is not None
    assert b.record == a_task.record
    world.assert_record_is_the_schedule(b.task_id)
