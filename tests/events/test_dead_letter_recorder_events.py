"""Every file in events/dead_letter_recorder goes through DeadLetterRecorderFunction's handler
as Lambda's SQS event source mapping passes it, with the environment events/env.json gives
the function under `sam local` (and a ledger table, as the template gives it on AWS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from dead_letter_recorder import handler
from shared.ledger.config import LedgerConfig
from shared.ledger.dead_letter_store import DeadLetterStore
from shared.ledger.types import TaskRecord
from tests.shared.ledger.support import create_ledger_table
from tests.support import EVENTS, FakeLambdaContext, load_event

pytestmark = pytest.mark.timeout(60)
REGION = "ap-northeast-2"
TABLE = "callback-scheduler-dev-LedgerTable-1A2B3C4D5E6F"
FILES = sorted(path.name for path in (EVENTS / "dead_letter_recorder").glob("*.json"))
# What each file's messages become in the ledger: task -> (reason, HTTP status, queue).
EXPECTED = {
    "three_shapes.json": {
        "task-11111111111111111111111111111111": ("permanent_failure", 404, "delivery"),
        "task-22222222222222222222222222222222": ("retries_exhausted", None, "delivery"),
        "task-33333333333333333333333333333333": ("scheduler_failure", None, "scheduler"),
    },
}


def test_every_recorder_event_has_an_expected_outcome() -> None:
    assert sorted(EXPECTED) == FILES


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadLetterStore]:
    overrides = json.loads((EVENTS / "env.json").read_text())["DeadLetterRecorderFunction"]
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        **overrides,
        "LEDGER_TABLE_NAME": TABLE,  # env.json leaves the ledger off for `sam local`
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    handler._stores.clear()
    with mock_aws():
        create_ledger_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        yield DeadLetterStore(LedgerConfig(TABLE), region=REGION)
    handler._stores.clear()


@pytest.mark.parametrize("name", FILES)
def test_recorder_event_records_each_message_against_its_task(
    ledger: DeadLetterStore, name: str
) -> None:
    created = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    for task_id in EXPECTED[name]:
        task = TaskRecord(task_id, "one_time", "at(2026-11-28T09:00:00)", "UTC", "retrying",
                          "POST", "https://hooks.example.com/x", created)  # fmt: skip
        ledger.put_task(task)
    event = load_event(f"dead_letter_recorder/{name}")
    response = handler.lambda_handler(event, FakeLambdaContext())
    assert response == {"batchItemFailures": []}
    ids = {record["messageId"] for record in event["Records"]}
    for task_id, (reason, status, queue) in EXPECTED[name].items():
        [letter] = ledger.page(task_id=task_id)[0]
        assert (letter.reason, letter.status, letter.queue) == (reason, status, queue)
        assert letter.dl_id in ids
        found = ledger.get_task(task_id)
        assert found is not None
        assert found.status == "failed"
    # Lambda delivers the same batch again: nothing new, no failure
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert len(ledger.page()[0]) == len(ids)
