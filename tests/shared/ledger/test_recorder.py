"""The delivery side of the ledger: what it writes, and that it never raises."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from shared.exceptions import InvalidRequestError
from shared.ledger.client import make_dynamodb_client
from shared.ledger.codec import decode_token, encode_token
from shared.ledger.config import LEDGER_ENV_NAMES, LedgerConfig
from shared.ledger.recorder import DELIVERY_ATTRIBUTES, AttemptRecorder
from shared.ledger.types import AttemptRecord, excerpt
from shared.settings import Settings
from tests.shared.ledger.support import ROOT, TABLE, create_ledger_table
from tests.support import free_port

REGION = "ap-northeast-2"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
log = logging.getLogger("ledger-test")


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def table(credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(client)
        yield client


def attempt(task_id: str, tick: str, number: int, outcome: str) -> AttemptRecord:
    return AttemptRecord(task_id, tick, number, NOW, 12, outcome, 200, None, "ok", "msg_1", "r1")


@pytest.mark.timeout(30)
def test_writes_only_the_attributes_its_iam_policy_allows(table: Any) -> None:
    recorder = AttemptRecorder(LedgerConfig(TABLE, 7), log, client=table)
    for task_id, recurring, tick, outcome in (
        ("one", False, "once", "permanent"),
        ("rec", True, "2026-11-28T10:00:00Z", "delivered"),
        ("rec", True, "2026-11-28T10:05:00Z", "retryable"),
    ):
        start = recorder.start(task_id, recurring=recurring, tick=tick, now=NOW)
        assert not start.cancelled
        assert recorder.finish(
            attempt(task_id, tick, start.attempt_number, outcome), recurring=recurring
        )
    items = table.scan(TableName=TABLE)["Items"]
    assert len(items) == 5  # two task items, three attempts
    written = {name for item in items for name in item}
    assert written <= set(DELIVERY_ATTRIBUTES)
    one = table.get_item(TableName=TABLE, Key={"pk": {"S": "one"}, "sk": {"S": "TASK"}})["Item"]
    assert one["task_status"] == {"S": "failed"}
    # ended: kept 7 days (LEDGER_RETENTION_DAYS) after its last attempt, then TTL removes it
    assert int(one["expires_at"]["N"]) == int(NOW.timestamp()) + 7 * 86400
    rec = table.get_item(TableName=TABLE, Key={"pk": {"S": "rec"}, "sk": {"S": "TASK"}})["Item"]
    assert (rec["task_status"], rec["attempt_count"]) == ({"S": "active"}, {"N": "2"})
    assert "expires_at" not in rec  # a recurring task has not ended
    attempts = [item for item in items if item["sk"]["S"].startswith("A#")]
    assert {int(a["expires_at"]["N"]) for a in attempts} == {int(NOW.timestamp()) + 7 * 86400}


@pytest.mark.timeout(30)
def test_a_closed_port_costs_little_and_raises_nothing(
    credentials: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_dynamodb_client(REGION, endpoint_url=f"http://127.0.0.1:{free_port()}")
    recorder = AttemptRecorder(LedgerConfig(TABLE), log, client=client)
    started = time.monotonic()
    start = recorder.start("t", recurring=False, tick="once", now=NOW)
    assert (start.attempt_number, start.cancelled) == (0, False)
    assert recorder.finish(attempt("t", "once", 0, "delivered"), recurring=False) is False
    assert time.monotonic() - started < 10  # 2 attempts each, refused at once
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "ledger write failed",
        "ledger write failed",
    ]


@pytest.mark.timeout(60)
def test_the_first_write_loads_botocore_but_not_boto3() -> None:
    """A fresh process records an attempt (refused port): botocore, never boto3/s3transfer."""
    code = (
        "import logging, sys\n"
        "from datetime import UTC, datetime\n"
        "from shared.ledger.client import make_dynamodb_client\n"
        "from shared.ledger.config import LedgerConfig\n"
        "from shared.ledger.recorder import AttemptRecorder\n"
        f"client = make_dynamodb_client({REGION!r}, endpoint_url='http://127.0.0.1:{free_port()}')\n"
        "recorder = AttemptRecorder(LedgerConfig('t'), logging.getLogger('x'), client=client)\n"
        "recorder.start('t', recurring=False, tick='once', now=datetime.now(UTC))\n"
        "sdk = {'boto3', 'botocore', 's3transfer'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & sdk))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin",
            "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
        },
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "['botocore']"  # after the metric line


def test_the_delivery_path_reads_settings_fields() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(LEDGER_ENV_NAMES.values()) <= fields
    config = LedgerConfig.from_env({"LEDGER_TABLE_NAME": " t ", "LEDGER_RETENTION_DAYS": "9"})
    assert config == LedgerConfig("t", 9)
    assert LedgerConfig.from_env({}) == LedgerConfig(None, 30)


@given(st.text(max_size=1500))
def test_the_response_excerpt_is_the_longest_prefix_within_one_kib(text: str) -> None:
    cut = excerpt(text)
    assert text.startswith(cut)
    assert len(cut.encode("utf-8")) <= 1024
    if len(cut) < len(text):
        assert len((cut + text[len(cut)]).encode("utf-8")) > 1024


@given(st.dictionaries(st.sampled_from(["pk", "sk"]), st.text(max_size=80), min_size=2))
def test_page_tokens_round_trip(values: dict[str, str]) -> None:
    key = {name: {"S": value} for name, value in values.items()}
    assert decode_token(encode_token(key), frozenset({"pk", "sk"})) == key


@pytest.mark.parametrize("token", ["!!", "e30", "eyJwayI6IDF9", encode_token({"pk": {"N": "1"}})])
def test_a_token_that_is_not_ours_is_a_client_error(token: str | None) -> None:
    with pytest.raises(InvalidRequestError):
        decode_token(token, frozenset({"pk", "sk"}))


@pytest.mark.timeout(30)
def test_only_a_cancelled_status_stops_an_attempt(table: Any) -> None:
    # a task item without a status, or no item at all, must not read as cancelled
    table.put_item(TableName=TABLE, Item={"pk": {"S": "bare"}, "sk": {"S": "TASK"}})
    recorder = AttemptRecorder(LedgerConfig(TABLE), log, client=table)
    assert recorder.start("bare", recurring=False, tick="once", now=NOW).cancelled is False
    assert recorder.start("absent", recurring=False, tick="once", now=NOW).attempt_number == 1
    table.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "gone"}, "sk": {"S": "TASK"}, "task_status": {"S": "cancelled"}},
    )
    assert recorder.start("gone", recurring=False, tick="once", now=NOW).cancelled is True
    # an attempt in flight when the task was cancelled is recorded; the status stays
    assert recorder.finish(attempt("gone", "once", 1, "delivered"), recurring=False)
    item = table.get_item(TableName=TABLE, Key={"pk": {"S": "gone"}, "sk": {"S": "TASK"}})["Item"]
    assert item["task_status"] == {"S": "cancelled"}
    assert item["last_outcome"] == {"S": "delivered"}
