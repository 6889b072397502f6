"""Draining the dead-letter queues into the ledger (moto SQS + DynamoDB): each shape lands
on its task, and a message is deleted only after the ledger took it."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_messages import read_message
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.drain import drain_queue
from shared.ledger.types import TaskRecord
from tests.shared.ledger.support import TABLE, create_ledger_table
from tests.template.test_dead_letters import EVENT, lambdas, ours, schedulers

pytestmark = pytest.mark.timeout(30)
REGION = "ap-northeast-2"
TASK = str(EVENT["task_id"])
log = logging.getLogger("drain-test")
RUNS = itertools.count()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, DeadLetterStore]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        create_ledger_table(boto3.client("dynamodb", region_name=REGION))
        store = DeadLetterStore(LedgerConfig(TABLE), region=REGION)
        store.put_task(
            TaskRecord(TASK, "one_time", "at(2026-11-28T09:00:00)", "UTC", "retrying", "POST",
                       str(EVENT["target_url"]), datetime(2026, 11, 28, 8, 0, tzinfo=UTC))
        )  # fmt: skip
        yield boto3.client("sqs", region_name=REGION), store


def queue_with(sqs: Any, message: dict[str, Any]) -> str:
    url: str = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"],
                     MessageAttributes=message["MessageAttributes"])  # fmt: skip
    return url


def waiting(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


@pytest.mark.parametrize(
    ("queue", "message", "reason", "status"),
    [
        ("delivery", ours(), "permanent_failure", 404),
        ("delivery", lambdas(), "retries_exhausted", None),
        ("scheduler", schedulers(), "scheduler_failure", None),
    ],
    ids=["permanent-failure", "retries-exhausted", "scheduler"],
)
def test_each_shape_is_recorded_against_its_task_then_deleted(
    aws: tuple[Any, DeadLetterStore], queue: Any, message: dict[str, Any], reason: str,
    status: int | None,
) -> None:  # fmt: skip
    sqs, store = aws
    url = queue_with(sqs, message)
    result = drain_queue(sqs, url, queue, store, log)
    assert (result.recorded, result.duplicates, result.kept) == (1, 0, [])
    assert waiting(sqs, url) == 0
    [letter] = store.page(task_id=TASK)[0]
    assert (letter.task_id, letter.reason, letter.status, letter.call) == (
        TASK, reason, status, EVENT,
    )  # fmt: skip
    task = store.get_task(TASK)
    assert task is not None
    assert task.status == "failed"
    assert [item.dl_id for item in store.page()[0]] == [letter.dl_id]


def test_the_scheduler_error_and_retries_come_from_the_message_attributes() -> None:
    read = read_message({"MessageId": "m-1", **schedulers()}, "scheduler")
    assert read.error == (
        "AWS.Scheduler.AccessDeniedException: not authorized to perform: lambda:InvokeFunction"
    )
    assert read.attempts_made == 1
    assert read.task_id == TASK
    garbage = read_message({"MessageId": "m-2", "Body": "not json"}, "delivery")
    assert (garbage.event, garbage.task_id, garbage.reason) == ("not json", None, "unknown_record")


def test_a_failed_ledger_write_keeps_the_message_and_is_reported(
    aws: tuple[Any, DeadLetterStore], caplog: pytest.LogCaptureFixture
) -> None:
    sqs, store = aws
    url = queue_with(sqs, ours())
    real = store.client.transact_write_items

    def failing(**_: Any) -> None:
        error = {"Error": {"Code": "InternalServerError", "Message": "boom"}}
        raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]

    store.client.transact_write_items = failing
    with caplog.at_level(logging.ERROR):
        result = drain_queue(sqs, url, "delivery", store, log)
    assert result.recorded == 0
    assert len(result.kept) == 1
    assert waiting(sqs, url) == 1  # not deleted
    assert "ledger write failed" in caplog.text
    assert store.page()[0] == []

    store.client.transact_write_items = real  # the ledger is back: recorded, then deleted
    assert drain_queue(sqs, url, "delivery", store, log).recorded == 1
    assert waiting(sqs, url) == 0


def test_a_message_received_twice_is_recorded_once(aws: tuple[Any, DeadLetterStore]) -> None:
    sqs, store = aws
    url = queue_with(sqs, ours())
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    now = datetime.now(UTC)
    from shared.ledger.drain import to_item

    assert store.record(to_item(store, read_message(message, "delivery"), now), now=now)
    # the delete was lost: the same message comes back
    result = drain_queue(sqs, url, "delivery", store, log)
    assert (result.recorded, result.duplicates) == (0, 1)
    assert waiting(sqs, url) == 0
    assert len(store.page()[0]) == 1


def test_nothing_is_started_after_the_time_budget(aws: tuple[Any, DeadLetterStore]) -> None:
    sqs, store = aws
    url = queue_with(sqs, ours())
    result = drain_queue(sqs, url, "delivery", store, log, budget_seconds=0)
    assert (result.recorded, result.kept) == (0, [])
    assert waiting(sqs, url) == 1
    body = json.loads(ours()["Body"])
    assert body["requestPayload"] == EVENT


def test_an_event_too_old_is_expired() -> None:
    record = json.loads(lambdas()["Body"])
    record["requestContext"]["condition"] = "EventAgeExceeded"
    read = read_message({"MessageId": "m-3", "Body": json.dumps(record)}, "delivery")
    assert (read.reason, read.attempts_made, read.event) == ("expired", 3, EVENT)


def test_at_most_fifty_messages_per_drain_the_rest_waits(
    aws: tuple[Any, DeadLetterStore],
) -> None:
    sqs, store = aws
    url = queue_with(sqs, schedulers())
    for start in range(0, 54, 9):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps({**EVENT, "task_id": f"t-{n}"})}
            for n in range(start, start + 9)
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert waiting(sqs, url) == 55
    assert drain_queue(sqs, url, "scheduler", store, log).recorded == 50
    assert waiting(sqs, url) == 5
    assert drain_queue(sqs, url, "scheduler", store, log).recorded == 5
    assert len(store.page(page_size=100)[0]) == 55


def test_a_recurring_task_stays_active_and_letters_expire_after_the_retention(
    aws: tuple[Any, DeadLetterStore],
) -> None:
    sqs, store = aws
    store.put_task(
        TaskRecord("rec-1", "recurring", "cron(0 9 * * ? *)", "UTC", "active", "POST",
                   str(EVENT["target_url"]), datetime(2026, 11, 28, 8, 0, tzinfo=UTC))
    )  # fmt: skip
    tick = {**EVENT, "task_id": "rec-1", "scheduled_time": "2026-11-28T09:00:00Z"}
    url = queue_with(sqs, {"Body": json.dumps(tick), "MessageAttributes": {}})
    before = datetime.now(UTC).timestamp()
    assert drain_queue(sqs, url, "scheduler", store, log).recorded == 1
    task = store.get_task("rec-1")
    assert task is not None
    assert task.status == "active"
    [letter] = store.page(task_id="rec-1")[0]
    assert letter.scheduled_time == "2026-11-28T09:00:00Z"
    item = store.client.get_item(TableName=TABLE, Key={"pk": {"S": "DL#" + letter.dl_id},
                                                       "sk": {"S": "DL"}})["Item"]  # fmt: skip
    thirty_days = 30 * 24 * 3600
    assert before + thirty_days - 5 <= int(item["expires_at"]["N"]) <= before + thirty_days + 60


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(count=st.integers(0, 14), limit=st.integers(1, 6), other=st.integers(0, 4))
def test_pages_put_together_are_the_whole_list_in_order(
    aws: tuple[Any, DeadLetterStore], count: int, limit: int, other: int
) -> None:
    """Paging with any limit and the one-page read agree, over all letters and per task."""
    _, store = aws
    run = f"p{next(RUNS)}-"  # the table outlives one example: each writes its own ids
    now = datetime.now(UTC)
    from shared.ledger.drain import to_item

    for n in range(count + other):
        event = {**EVENT, "task_id": run + ("mine" if n < count else "other")}
        body = {"MessageId": f"{run}{n:03d}", "Body": json.dumps(event)}
        stored = store.record(to_item(store, read_message(body, "scheduler"), now), now=now)
        assert stored

    def walk(task_id: str | None) -> list[str]:
        ids: list[str] = []
        token = None
        while True:
            letters, token = store.page(task_id=task_id, page_size=limit, next_token=token)
            assert len(letters) <= limit
            ids += [letter.dl_id for letter in letters]
            if token is None:
                return ids

    mine = walk(run + "mine")
    assert mine == [f"{run}{n:03d}" for n in range(count)]
    everything = [i for i in walk(None) if i.startswith(run)]
    assert everything == [f"{run}{n:03d}" for n in range(count + other)]
