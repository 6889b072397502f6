"""The dead-letter record has the shape of a Lambda on-failure destination record."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.delivery.deadletter import build_dead_letter_record, send_dead_letter
from shared.exceptions import ConfigurationError, InvalidRequestError, PermanentDeliveryError

ARN = "arn:aws:lambda:us-east-1:123456789012:function:api-call"


def test_record_shape_for_a_permanent_http_failure() -> None:
    event = {"target_url": "http://127.0.0.1/x", "task_id": "t-1"}
    error = PermanentDeliveryError("POST answered 404", status=404, response_body="nope")
    when = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    record = build_dead_letter_record(event, error, function_arn=ARN, request_id="r-1", now=when)
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-01-05T09:30:00.000Z"
    assert record["requestContext"] == {
        "requestId": "r-1",
        "functionArn": ARN,
        "condition": "PermanentFailure",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == event
    assert record["responseContext"]["functionError"] == "PermanentDeliveryError"
    payload = record["responsePayload"]
    assert payload["status"] == 404
    assert payload["body"] == "nope"
    assert payload["code"] == "delivery_permanent"
    assert json.loads(json.dumps(record)) == record


def test_record_for_an_invalid_event_keeps_the_event() -> None:
    event = {"url": "no target_url"}
    record = build_dead_letter_record(event, InvalidRequestError("target_url is required"))
    assert record["requestPayload"] == event
    assert record["responsePayload"]["status"] is None
    assert record["responsePayload"]["code"] == "invalid_request"
    assert record["responsePayload"]["reason"] == "invalid_request"


def test_record_names_a_refused_target() -> None:
    error = PermanentDeliveryError("refused", details={"reason": "target_not_allowed"})
    assert build_dead_letter_record({}, error)["responsePayload"]["reason"] == "target_not_allowed"


def test_no_queue_configured_refuses_to_swallow() -> None:
    record = build_dead_letter_record({}, InvalidRequestError("x"))
    with pytest.raises(ConfigurationError, match="DEAD_LETTER_QUEUE_URL"):
        send_dead_letter(record, queue_url=None, region="us-east-1")
