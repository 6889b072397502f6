"""The local adapter as a ``TaskScheduler``: CRUD, paging, idempotency, and validation parity.

Parity: for the same invalid input the local adapter raises the same domain error (type,
code and message) as the EventBridge adapter, whose client here is a Stubber with nothing
queued, so any AWS call would fail the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.stub import Stubber

from local.backend import LocalScheduler
from shared.delivery.event import ApiCallRequest
from shared.exceptions import (
    CallbackSchedulerError,
    InvalidRequestError,
    PayloadTooLargeError,
    ScheduleValidationError,
    TaskConflictError,
    TaskNotFoundError,
)
from shared.scheduling.eventbridge import EventBridgeScheduler
from shared.scheduling.types import OneTimeTaskSpec, RecurringTaskSpec
from tests.local.conftest import MakeScheduler

CALL = ApiCallRequest(target_url="http://127.0.0.1:9/hook", body={"order": 42})
NOW = datetime.now(UTC)


@pytest.fixture
def local(make_scheduler: MakeScheduler) -> LocalScheduler:
    return make_scheduler(start=False)  # no engine: these tasks must not fire


@pytest.fixture
def eventbridge(monkeypatch: pytest.MonkeyPatch) -> Iterator[EventBridgeScheduler]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    client = boto3.client("scheduler", region_name="ap-northeast-2")
    with Stubber(client):  # nothing queued: any AWS call raises
        yield EventBridgeScheduler(
            group_name="default",
            target_arn="arn:aws:lambda:ap-northeast-2:123456789012:function:api-call",
            role_arn="arn:aws:iam::123456789012:role/scheduler",
            dead_letter_queue_arn="arn:aws:sqs:ap-northeast-2:123456789012:dlq",
            retry_attempts=2,
            max_event_age_seconds=3600,
            client=client,
        )


def one_time(**changes: Any) -> OneTimeTaskSpec:
    fields: dict[str, Any] = {"call": CALL, "run_at": datetime.now(UTC) + timedelta(hours=1)}
    return OneTimeTaskSpec(**(fields | changes))


def recurring(**changes: Any) -> RecurringTaskSpec:
    fields: dict[str, Any] = {"call": CALL, "expression": "cron(0 9 ? * MON-FRI *)"}
    return RecurringTaskSpec(**(fields | changes))


INVALID: list[tuple[str, Callable[[Any], object], type[CallbackSchedulerError]]] = [
    ("past time", lambda s: s.create_one_time(one_time(run_at=NOW - timedelta(minutes=5))), ScheduleValidationError),  # noqa: E501
    ("naive time", lambda s: s.create_one_time(one_time(run_at=datetime(2030, 1, 1))), ScheduleValidationError),  # noqa: E501
    ("unknown zone", lambda s: s.create_one_time(one_time(timezone="Mars/Olympus")), ScheduleValidationError),  # noqa: E501
    ("unknown zone, cron", lambda s: s.create_recurring(recurring(timezone="Asia/Nowhere")), ScheduleValidationError),  # noqa: E501
    ("five-field cron", lambda s: s.create_recurring(recurring(expression="cron(0 9 * * *)")), ScheduleValidationError),  # noqa: E501
    ("both days", lambda s: s.create_recurring(recurring(expression="cron(0 9 1 * MON *)")), ScheduleValidationError),  # noqa: E501
    ("bad rate", lambda s: s.create_recurring(recurring(expression="rate(5 weeks)")), ScheduleValidationError),  # noqa: E501
    ("at() as recurring", lambda s: s.create_recurring(recurring(expression="at(2030-01-01T00:00:00)")), ScheduleValidationError),  # noqa: E501
    ("bad prefix", lambda s: s.create_one_time(one_time(name_prefix="no spaces")), InvalidRequestError),  # noqa: E501
    ("long prefix", lambda s: s.create_one_time(one_time(name_prefix="p" * 40)), InvalidRequestError),  # noqa: E501
    ("bad client token", lambda s: s.create_one_time(one_time(client_token="a b")), InvalidRequestError),  # noqa: E501
    ("too large", lambda s: s.create_one_time(one_time(call=ApiCallRequest(target_url=CALL.target_url, body="x" * 300_000))), PayloadTooLargeError),  # noqa: E501
    ("bad id, get", lambda s: s.get("bad id!"), InvalidRequestError),
    ("bad id, cancel", lambda s: s.cancel("x" * 65), InvalidRequestError),
    ("bad page size", lambda s: s.list(page_size=0), InvalidRequestError),
]  # fmt: skip


@pytest.mark.parametrize(("case", "act", "error"), INVALID, ids=[c[0] for c in INVALID])
def test_same_error_as_eventbridge(
    case: str,
    act: Callable[[Any], object],
    error: type[CallbackSchedulerError],
    local: LocalScheduler,
    eventbridge: EventBridgeScheduler,
) -> None:
    with pytest.raises(error) as on_local:
        act(local)
    with pytest.raises(error) as on_eventbridge:
        act(eventbridge)
    assert type(on_local.value) is type(on_eventbridge.value)
    assert on_local.value.code == on_eventbridge.value.code
    if case != "past time":  # that message includes "now", which differs by microseconds
        assert on_local.value.message == on_eventbridge.value.message
    assert local.list().tasks == []  # nothing half-created


def test_create_get_list_cancel(local: LocalScheduler) -> None:
    seoul = datetime(2030, 5, 1, 9, 0, 0, tzinfo=UTC)
    once = local.create_one_time(one_time(run_at=seoul, timezone="Asia/Seoul", name_prefix="a"))
    weekly = local.create_recurring(recurring(timezone="Asia/Seoul", name_prefix="b"))
    assert once.arn == f"local:schedule/default/{once.task_id}"
    assert once.schedule_expression == "at(2030-05-01T18:00:00)"  # wall time in Seoul
    assert once.run_at == seoul
    assert weekly.kind == "recurring"
    assert weekly.run_at is not None
    local_start = weekly.run_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert (local_start.hour, local_start.minute, local_start.weekday() < 5) == (9, 0, True)
    got = local.get(once.task_id)
    assert got.call is not None
    assert got.call.body == {"order": 42}
    assert got.call.task_id == once.task_id
    assert [t.task_id for t in local.list(name_prefix="b").tasks] == [weekly.task_id]
    local.cancel(once.task_id)
    with pytest.raises(TaskNotFoundError):
        local.get(once.task_id)
    with pytest.raises(TaskNotFoundError):
        local.cancel(once.task_id)


def test_list_pages_through_every_task(local: LocalScheduler) -> None:
    created = {local.create_one_time(one_time(name_prefix="page")).task_id for _ in range(7)}
    local.create_one_time(one_time(name_prefix="other"))
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        page = local.list(name_prefix="page", page_size=3, next_token=token)
        seen += [t.task_id for t in page.tasks]
        token = page.next_token
        if token is None:
            break
    assert sorted(seen) == sorted(created)


def test_client_token_makes_create_idempotent(local: LocalScheduler) -> None:
    spec = one_time(client_token="order-42")
    first = local.create_one_time(spec)
    assert local.create_one_time(spec).task_id == first.task_id
    assert len(local.list().tasks) == 1
    with pytest.raises(TaskConflictError):
        local.create_one_time(one_time(client_token="order-42", call=ApiCallRequest(
            target_url=CALL.target_url, body={"order": 43})))  # fmt: skip


def test_recurring_task_input_keeps_the_tick_placeholder(local: LocalScheduler) -> None:
    task = local.create_recurring(recurring(expression="rate(5 minutes)"))
    row = local.store.get_task(task.task_id)
    assert row is not None
    assert "<aws.scheduler.scheduled-time>" in row.input  # filled per tick when it fires
