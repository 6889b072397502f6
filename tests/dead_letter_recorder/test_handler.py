"""DeadLetterRecorderFunction against moto (SQS, DynamoDB): each of the three shapes lands on
its task at once, a message the ledger did not take stays in its queue and comes back, and
a message received twice is recorded once. The queues are polled as Lambda's SQS event
source mapping polls them (tests/dead_letter_recorder/esm.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from dead_letter_recorder import handler
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.types import TaskRecord
from tests.dead_letter_recorder.esm import poll, queue_arn, sqs_record
from tests.shared.ledger.support import TABLE, create_ledger_table
from tests.template.test_dead_letters import EVENT, lambdas, ours, schedulers

pytestmark = pytest.mark.timeout(60)
REGION = "ap-northeast-2"
PERMANENT, EXHAUSTED, NEVER = "task-perm", "task-busy", "task-never"


def for_task(message: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The message with the event's task id replaced (in requestPayload or the body)."""
    body = json.loads(message["Body"])
    if "requestPayload" in body:
        body["requestPayload"] = {**body["requestPayload"], "task_id": task_id}
    else:
        body = {**body, "task_id": task_id}
    return {**message, "Body": json.dumps(body)}


@dataclass
class Queues:
    sqs: Any
    store: DeadLetterStore
    delivery: str
    scheduler: str

    def send(self, url: str, message: dict[str, Any]) -> str:
        sent = self.sqs.send_message(QueueUrl=url, MessageBody=message["Body"],
                                     MessageAttributes=message["MessageAttributes"])  # fmt: skip
        message_id: str = sent["MessageId"]
        return message_id

    def waiting(self, url: str) -> int:
        """Messages in the queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        return sum(int(attrs["Attributes"][name]) for name in names)

    def status(self, task_id: str) -> str:
        task = self.store.get_task(task_id)
        assert task is not None
        return task.status


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    """Both queues (visible again at once after a receive), the ledger and three tasks."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LEDGER_RETENTION_DAYS", raising=False)
    handler._stores.clear()
    with mock_aws():
        sqs: Any = boto3.client("sqs", region_name=REGION)
        visible = {"VisibilityTimeout": "0"}
        delivery = sqs.create_queue(QueueName="delivery-dlq", Attributes=visible)["QueueUrl"]
        scheduler = sqs.create_queue(QueueName="scheduler-dlq", Attributes=visible)["QueueUrl"]
        create_ledger_table(boto3.client("dynamodb", region_name=REGION))
        for name, value in {
            "AWS_REGION": REGION,
            "LEDGER_TABLE_NAME": TABLE,
            "DEAD_LETTER_QUEUE_URL": delivery,
            "DEAD_LETTER_QUEUE_ARN": queue_arn(sqs, scheduler),
        }.items():
            monkeypatch.setenv(name, value)
        store = DeadLetterStore(LedgerConfig(TABLE), region=REGION)
        created = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
        statuses = {PERMANENT: "delivering", EXHAUSTED: "retrying", NEVER: "scheduled"}
        for task_id, status in statuses.items():
            task = TaskRecord(task_id, "one_time", "at(2026-11-28T09:00:00)", "UTC", status,
                              "POST", str(EVENT["target_url"]), created)  # fmt: skip
            store.put_task(task)
        yield Queues(sqs, store, delivery, scheduler)
    handler._stores.clear()


def test_each_shape_is_recorded_against_its_task_which_fails_at_once(queues: Queues) -> None:
    queues.send(queues.delivery, for_task(ours(), PERMANENT))
    queues.send(queues.delivery, for_task(lambdas(), EXHAUSTED))
    queues.send(queues.scheduler, for_task(schedulers(), NEVER))

    delivery = poll(queues.sqs, queues.delivery, handler.lambda_handler)
    scheduler = poll(queues.sqs, queues.scheduler, handler.lambda_handler)

    assert (len(delivery.received), delivery.failed, delivery.raised) == (2, [], None)
    assert (len(scheduler.received), scheduler.failed, scheduler.raised) == (1, [], None)
    assert queues.waiting(queues.delivery) == queues.waiting(queues.scheduler) == 0
    expected = {
        PERMANENT: ("permanent_failure", 404, "no such order", "delivery"),
        EXHAUSTED: ("retries_exhausted", None, "", "delivery"),
        NEVER: ("scheduler_failure", None, "", "scheduler"),
    }
    for task_id, (reason, status, body, queue) in expected.items():
        [letter] = queues.store.page(task_id=task_id)[0]
        assert (letter.reason, letter.status, letter.response_body, letter.queue) == (
            reason, status, body, queue,
        )  # fmt: skip
        assert letter.call == {**EVENT, "task_id": task_id}
        assert queues.status(task_id) == "failed"  # right after the batch, nobody listed
    [never] = queues.store.page(task_id=NEVER)[0]
    assert never.error == (
        "AWS.Scheduler.AccessDeniedException: not authorized to perform: lambda:InvokeFunction"
    )
    listed = sorted(letter.dl_id for letter in queues.store.page()[0])
    assert listed == sorted(delivery.received + scheduler.received)  # the SQS message ids


def failing_for(store: DeadLetterStore, task_id: str) -> Any:
    """Make the ledger refuse (InternalServerError) every transaction about ``task_id``."""
    real = store.client.transact_write_items

    def transact(**params: Any) -> Any:
        if task_id in json.dumps(params):
            error = {"Error": {"Code": "InternalServerError", "Message": "boom"}}
            raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]
        return real(**params)

    store.client.transact_write_items = transact
    return real


def test_a_message_the_ledger_refuses_is_a_batch_item_failure_and_comes_back(
    queues: Queues, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = queues.send(queues.delivery, for_task(ours(), PERMANENT))
    queues.send(queues.delivery, for_task(lambdas(), EXHAUSTED))
    store = handler.store()  # the function's own ledger client: make it fail for one task
    real = failing_for(store, PERMANENT)

    with caplog.at_level(logging.ERROR):
        first = poll(queues.sqs, queues.delivery, handler.lambda_handler)
    assert (first.failed, first.raised) == ([refused], None)
    assert queues.waiting(queues.delivery) == 1  # the refused one stays in its queue
    [failed] = [r for r in caplog.records if r.getMessage() == "ledger write failed"]
    assert (failed.levelname, getattr(failed, "ledger_action", None)) == (
        "ERROR", "record_dead_letter",
    )  # fmt: skip
    out = capsys.readouterr().out  # Embedded Metric Format: LedgerWriteFailuresAlarm
    assert out.count('"LedgerWriteFailures":[1.0]') == 1
    assert queues.status(EXHAUSTED) == "failed"
    assert queues.status(PERMANENT) == "delivering"
    assert queues.store.page(task_id=PERMANENT)[0] == []

    store.client.transact_write_items = real  # the ledger is back: the message comes back
    again = poll(queues.sqs, queues.delivery, handler.lambda_handler)
    assert (again.received, again.failed) == ([refused], [])
    assert queues.waiting(queues.delivery) == 0
    assert queues.status(PERMANENT) == "failed"
    assert [letter.dl_id for letter in queues.store.page(task_id=PERMANENT)[0]] == [refused]


def test_a_batch_none_of_which_is_recorded_raises_and_keeps_every_message(
    queues: Queues,
) -> None:
    queues.send(queues.scheduler, for_task(schedulers(), NEVER))
    queues.send(queues.scheduler, for_task(schedulers(), PERMANENT))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.delete_table(TableName=TABLE)  # the ledger is down

    down = poll(queues.sqs, queues.scheduler, handler.lambda_handler)
    assert down.raised is not None  # a function error: the Errors alarm
    assert len(down.received) == 2
    assert queues.waiting(queues.scheduler) == 2

    create_ledger_table(dynamodb)  # back (empty): both are recorded, once
    back = poll(queues.sqs, queues.scheduler, handler.lambda_handler)
    assert (sorted(back.received), back.failed) == (sorted(down.received), [])
    assert queues.waiting(queues.scheduler) == 0
    assert len(queues.store.page()[0]) == 2


def test_a_message_received_twice_is_recorded_once(queues: Queues) -> None:
    queues.send(queues.delivery, for_task(ours(), PERMANENT))
    got = queues.sqs.receive_message(QueueUrl=queues.delivery, MessageAttributeNames=["All"])
    [message] = got["Messages"]
    event = {"Records": [sqs_record(message, queue_arn(queues.sqs, queues.delivery))]}
    from tests.support import FakeLambdaContext

    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    # Lambda's delete was lost (or SQS delivered it twice): the same message again, and
    # twice within one batch
    twice = {"Records": event["Records"] * 2}
    assert handler.lambda_handler(twice, FakeLambdaContext()) == {"batchItemFailures": []}
    [letter] = queues.store.page()[0]
    assert letter.dl_id == message["MessageId"]
    assert len(queues.store.page(task_id=PERMANENT)[0]) == 1
    assert queues.status(PERMANENT) == "failed"


def test_a_message_from_another_queue_is_never_recorded_silently(
    queues: Queues, caplog: pytest.LogCaptureFixture
) -> None:
    other = queues.sqs.create_queue(QueueName="other", Attributes={"VisibilityTimeout": "0"})
    queues.send(other["QueueUrl"], for_task(schedulers(), NEVER))
    queues.send(queues.scheduler, for_task(schedulers(), NEVER))
    with caplog.at_level(logging.ERROR):
        stray = poll(queues.sqs, other["QueueUrl"], handler.lambda_handler)
    assert stray.raised is not None  # the whole (one-message) batch failed
    [failed] = [r for r in caplog.records if r.getMessage() == "ledger write failed"]
    assert "neither dead-letter queue" in str(getattr(failed, "ledger_error", ""))
    assert queues.store.page()[0] == []
    assert poll(queues.sqs, queues.scheduler, handler.lambda_handler).failed == []


def test_queue_kind_by_source_arn() -> None:
    env = {
        "DEAD_LETTER_QUEUE_ARN": "arn:aws:sqs:ap-northeast-2:123456789012:stack-SchedulerDLQ",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.ap-northeast-2.amazonaws.com/123456789012/stack-DeliveryDLQ",
    }
    assert handler.queue_kind(env["DEAD_LETTER_QUEUE_ARN"], env) == "scheduler"
    delivery = "arn:aws:sqs:ap-northeast-2:123456789012:stack-DeliveryDLQ"
    assert handler.queue_kind(delivery, env) == "delivery"
    for stranger in ("arn:aws:sqs:ap-northeast-2:123456789012:stack-Other", "", "DLQ"):
        with pytest.raises(ValueError, match="neither dead-letter queue"):
            handler.queue_kind(stranger, env)
    with pytest.raises(ValueError, match="neither dead-letter queue"):
        handler.queue_kind(delivery, {})  # nothing configured: nothing is guessed


def test_without_a_ledger_table_the_invocation_fails_and_nothing_leaves_the_queue(
    queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sam local` with events/env.json: LEDGER_TABLE_NAME is ""
    monkeypatch.setenv("LEDGER_TABLE_NAME", "")
    queues.send(queues.delivery, for_task(ours(), PERMANENT))
    result = poll(queues.sqs, queues.delivery, handler.lambda_handler)
    assert result.raised is not None
    assert queues.waiting(queues.delivery) == 1
