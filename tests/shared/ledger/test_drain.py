"""Recording a dead-letter queue message in the ledger (moto DynamoDB): each shape lands on
its task, a refused record raises after it was reported, a message received twice is
recorded once. DeadLetterRecorderFunction's batches: tests/dead_letter_recorder."""

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
from shared.ledger.drain import record_message, sqs_event_message, to_item
from shared.ledger.types import TaskRecord
from tests.shared.ledger.support import TABLE, create_ledger_table
from tests.template.test_dead_letters import EVENT, lambdas, ours, schedulers

pytestmark = pytest.mark.timeout(30)
REGION = "ap-northeast-2"
TASK = str(EVENT["task_id"])
log = logging.getLogger("drain-test")
RUNS = itertools.count()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadLetterStore]:
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
        yield store


def received(message: dict[str, Any], message_id: str = "m-1") -> dict[str, Any]:
    """The message as ReceiveMessage returns it."""
    return {"MessageId": message_id, "ReceiptHandle": "rh-" + message_id, **message}


@pytest.mark.parametrize(
    ("queue", "message", "reason", "status"),
    [
        ("delivery", ours(), "permanent_failure", 404),
        ("delivery", lambdas(), "retries_exhausted", None),
        ("scheduler", schedulers(), "scheduler_failure", None),
    ],
    ids=["permanent-failure", "retries-exhausted", "scheduler"],
)
def test_each_shape_is_recorded_against_its_task(
    aws: DeadLetterStore, queue: Any, message: dict[str, Any], reason: str,
    status: int | None,
) -> None:  # fmt: skip
    store = aws
    assert record_message(store, received(message), queue, log) is True
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


def test_a_failed_ledger_write_raises_and_is_reported(
    aws: DeadLetterStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = aws
    real = store.client.transact_write_items

    def failing(**_: Any) -> None:
        error = {"Error": {"Code": "InternalServerError", "Message": "boom"}}
        raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]

    store.client.transact_write_items = failing
    with caplog.at_level(logging.ERROR), pytest.raises(ClientError):
        record_message(store, received(ours()), "delivery", log)
    assert "ledger write failed" in caplog.text
    assert store.page()[0] == []

    store.client.transact_write_items = real  # the ledger is back: the message comes back
    assert record_message(store, received(ours()), "delivery", log) is True
    assert len(store.page()[0]) == 1


def test_a_message_received_twice_is_recorded_once(aws: DeadLetterStore) -> None:
    store = aws
    assert record_message(store, received(ours()), "delivery", log) is True
    assert record_message(store, received(ours()), "delivery", log) is False
    assert len(store.page()[0]) == 1
    assert len(store.page(task_id=TASK)[0]) == 1


def test_an_sqs_event_record_reads_as_the_received_message() -> None:
    # Lambda's SQS event names the fields differently (messageId, body, stringValue)
    record = {
        "messageId": "m-9",
        "receiptHandle": "rh",
        "body": schedulers()["Body"],
        "messageAttributes": {
            name: {"stringValue": value["StringValue"], "dataType": "String"}
            for name, value in schedulers()["MessageAttributes"].items()
        },
        "eventSourceARN": "arn:aws:sqs:ap-northeast-2:123456789012:q",
    }
    from_event = read_message(sqs_event_message(record), "scheduler")
    from_receive = read_message(received(schedulers(), "m-9"), "scheduler")
    assert from_event == from_receive
    assert from_event.error.startswith("AWS.Scheduler.AccessDeniedException: ")
    assert from_event.attempts_made == 1
    binary = {**record, "messageAttributes": {"X": {"binaryValue": "AA==", "dataType": "Binary"}}}
    assert read_message(sqs_event_message(binary), "scheduler").error == "no error given"


def test_an_event_too_old_is_expired() -> None:
    record = json.loads(lambdas()["Body"])
    record["requestContext"]["condition"] = "EventAgeExceeded"
    read = read_message({"MessageId": "m-3", "Body": json.dumps(record)}, "delivery")
    assert (read.reason, read.attempts_made, read.event) == ("expired", 3, EVENT)


def test_a_recurring_task_stays_active_and_letters_expire_after_the_retention(
    aws: DeadLetterStore,
) -> None:
    store = aws
    store.put_task(
        TaskRecord("rec-1", "recurring", "cron(0 9 * * ? *)", "UTC", "active", "POST",
                   str(EVENT["target_url"]), datetime(2026, 11, 28, 8, 0, tzinfo=UTC))
    )  # fmt: skip
    tick = {**EVENT, "task_id": "rec-1", "scheduled_time": "2026-11-28T09:00:00Z"}
    message = received({"Body": json.dumps(tick), "MessageAttributes": {}})
    before = datetime.now(UTC).timestamp()
    assert record_message(store, message, "scheduler", log) is True
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
    aws: DeadLetterStore, count: int, limit: int, other: int
) -> None:
    """Paging with any limit and the one-page read agree, over all letters and per task."""
    store = aws
    run = f"p{next(RUNS)}-"  # the table outlives one example: each writes its own ids
    now = datetime.now(UTC)
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
