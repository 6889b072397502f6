"""API_CALL_LAMBDA handler: seed result on 2xx, raise to retry, dead-letter what is permanent."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api_call.handler import lambda_handler
from shared.delivery.core import MAX_ERROR_BODY_BYTES
from shared.exceptions import RetryableDeliveryError
from tests.api_call.conftest import FUNCTION_ARN, DeadLetterQueue, FakeLambdaContext
from tests.shared.delivery.receiver import (
    CALLBACK_PATH,
    NOT_FOUND_BODY,
    Receiver,
    running_receiver,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    secrets = ("whsec_" + base64.b64encode(os.urandom(32)).decode(), os.urandom(16).hex())
    with running_receiver(secrets) as server:
        monkeypatch.setenv("API_BASE_URL", server.base_url)
        monkeypatch.setenv("SIGNING_SECRETS", ",".join(secrets))
        yield server


def test_delivered_returns_the_seed_result_shape(
    receiver: Receiver, lambda_context: FakeLambdaContext
) -> None:
    event = {"target_url": receiver.url(CALLBACK_PATH), "body": {"a": 1}}
    result = lambda_handler(event, lambda_context)
    assert result == {"statusCode": 200, "body": '{"success": true, "api_status": 200}'}
    assert len(receiver.requests) == 1


def test_503_raises_so_lambda_retries(
    receiver: Receiver, lambda_context: FakeLambdaContext, dead_letter_queue: DeadLetterQueue
) -> None:
    with pytest.raises(RetryableDeliveryError) as err:
        lambda_handler({"target_url": receiver.url("/status/503")}, lambda_context)
    assert err.value.status == 503
    assert dead_letter_queue.messages() == []  # Lambda's on-failure destination's job


def test_404_is_not_retried_and_dead_lettered(
    receiver: Receiver, lambda_context: FakeLambdaContext, dead_letter_queue: DeadLetterQueue
) -> None:
    event = {"target_url": receiver.url("/missing"), "task_id": "t-404", "body": {"k": "v"}}
    result = lambda_handler(event, lambda_context)
    assert result["statusCode"] == 404
    body = json.loads(result["body"])
    assert body["success"] is False
    assert body["api_status"] == 404
    assert len(receiver.requests) == 1
    [record] = dead_letter_queue.messages()
    assert record["requestPayload"] == event
    assert record["requestContext"]["condition"] == "PermanentFailure"
    assert record["requestContext"]["functionArn"] == FUNCTION_ARN
    assert record["responsePayload"]["status"] == 404
    assert record["responsePayload"]["body"] == NOT_FOUND_BODY[:MAX_ERROR_BODY_BYTES].decode()
    assert body["dead_letter_message_id"]


def test_host_not_allowed_is_refused_without_a_request(
    receiver: Receiver, lambda_context: FakeLambdaContext, dead_letter_queue: DeadLetterQueue
) -> None:
    event = {"target_url": f"http://localhost:{receiver.port}{CALLBACK_PATH}"}
    result = lambda_handler(event, lambda_context)
    assert json.loads(result["body"])["error"] == "delivery_permanent"
    assert receiver.requests == []
    [record] = dead_letter_queue.messages()
    assert record["requestPayload"] == event
    assert record["responsePayload"]["reason"] == "target_not_allowed"


@pytest.mark.parametrize("event", [{"url": "http://x"}, ["not", "an", "object"], {"target_url": 5}])
def test_invalid_event_is_dead_lettered(
    event: object, lambda_context: FakeLambdaContext, dead_letter_queue: DeadLetterQueue
) -> None:
    result = lambda_handler(event, lambda_context)
    assert json.loads(result["body"])["error"] == "invalid_request"
    [record] = dead_letter_queue.messages()
    assert record["requestPayload"] == event
    assert record["responsePayload"]["code"] == "invalid_request"


def test_no_dead_letter_queue_never_repeats_the_http_attempt(
    receiver: Receiver, lambda_context: FakeLambdaContext, caplog: pytest.LogCaptureFixture
) -> None:
    event = {"target_url": receiver.url("/missing"), "headers": {"X-Api-Key": "k-secret-1"}}
    result = lambda_handler(event, lambda_context)  # returns: a raise makes Lambda retry
    body = json.loads(result["body"])
    assert (result["statusCode"], body["success"], body["dead_letter_failed"]) == (
        404,
        False,
        True,
    )
    assert len(receiver.requests) == 1
    logged = [r for r in caplog.records if "dead letter could not be sent" in r.getMessage()]
    assert len(logged) == 1
    assert "k-secret-1" not in caplog.text  # the record is logged with headers redacted


def test_sqs_failing_never_repeats_the_http_attempt(
    receiver: Receiver,
    lambda_context: FakeLambdaContext,
    dead_letter_queue: DeadLetterQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead_letter_queue.client.delete_queue(QueueUrl=dead_letter_queue.url)  # SQS now refuses
    result = lambda_handler({"target_url": receiver.url("/missing")}, lambda_context)
    assert json.loads(result["body"])["dead_letter_failed"] is True
    assert len(receiver.requests) == 1


def test_ambiguous_url_reaches_nobody_and_is_dead_lettered(
    lambda_context: FakeLambdaContext,
    dead_letter_queue: DeadLetterQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # urlsplit reads the host as hooks.partner.io; urllib3 would connect to 127.0.0.1
    with running_receiver(("whsec_" + base64.b64encode(b"s" * 32).decode(),)) as local:
        monkeypatch.setenv("ALLOWED_TARGET_HOSTS", "hooks.partner.io")
        monkeypatch.setenv("SIGNING_SECRETS", "whsec_" + base64.b64encode(b"s" * 32).decode())
        monkeypatch.setenv("TARGET_BEARER_TOKEN", "bearer-for-partner-only")
        event = {"target_url": f"http://127.0.0.1:{local.port}\\@hooks.partner.io/x"}
        result = lambda_handler(event, lambda_context)
        assert local.requests == []
    assert json.loads(result["body"])["success"] is False
    [record] = dead_letter_queue.messages()
    assert record["responsePayload"]["code"] == "invalid_request"
    assert record["requestPayload"] == event


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Split": "a\r\nInjected: 1"},
        {"X-Nul": "a\x00b"},
        {"X-Korean": "안녕"},
        {"Bad Name": "v"},
        {"X:Colon": "v"},
    ],
)
def test_unsendable_header_from_elsewhere_is_permanent_not_retried(
    receiver: Receiver,
    lambda_context: FakeLambdaContext,
    dead_letter_queue: DeadLetterQueue,
    headers: dict[str, str],
) -> None:
    event = {"target_url": receiver.url(CALLBACK_PATH), "headers": headers}
    result = lambda_handler(event, lambda_context)  # no raise: Lambda would retry twice
    assert json.loads(result["body"])["error"] == "invalid_request"
    assert receiver.requests == []
    [record] = dead_letter_queue.messages()
    assert record["responsePayload"]["reason"] == "invalid_request"


def modules_loaded_by_import(selected: str) -> str:
    """Import the handler in a fresh interpreter; return the loaded modules ``selected`` keeps
    (a generator condition on ``m``), comma-separated."""
    code = (
        "import sys, api_call.handler\n"
        f"print(','.join(sorted(m for m in sys.modules if {selected})))\n"
    )
    paths = [str(ROOT / "src"), str(ROOT / "functions" / "api_call")]
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_import_pulls_in_neither_pydantic_nor_boto3() -> None:
    heavy = (
        "m.split('.')[0] in ('pydantic', 'pydantic_settings', 'boto3', 'requests')"
        " or m.startswith('botocore.')"
    )
    assert modules_loaded_by_import(heavy) == ""


def test_import_loads_no_ledger_module_until_the_first_delivery() -> None:
    """The ledger glue (records, recorder, codec) is loaded by the first delivery of a task."""
    ledger = "m.startswith('shared.ledger') or m == 'api_call.ledger'"
    assert modules_loaded_by_import(ledger) == ""
    assert "shared.delivery.core" in modules_loaded_by_import("m.startswith('shared.')")
