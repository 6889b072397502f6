"""deliver() against a real HTTP server on 127.0.0.1: signed, classified, never leaking."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import urllib3
from standardwebhooks import Webhook

from shared.delivery.config import DeliveryConfig
from shared.delivery.core import MAX_ERROR_BODY_BYTES, deliver, retry_after_seconds
from shared.delivery.event import ApiCallRequest
from shared.exceptions import PermanentDeliveryError, RetryableDeliveryError
from tests.shared.delivery.receiver import CALLBACK_PATH, NOT_FOUND_BODY, Receiver

BEARER = "target-bearer-for-tests"


def config_for(receiver: Receiver, **overrides: object) -> DeliveryConfig:
    values: dict[str, object] = {
        "api_base_url": receiver.base_url,
        "signing_secrets": tuple(receiver.secrets),
        "target_bearer_token": BEARER,
        "delivery_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return DeliveryConfig(**values)  # type: ignore[arg-type]


def call(receiver: Receiver, path: str, **event: object) -> ApiCallRequest:
    return ApiCallRequest.from_event({"target_url": receiver.url(path), **event})


def test_2xx_is_delivered_signed_with_every_secret(receiver: Receiver) -> None:
    body = {"order_id": "o-1", "note": "주문 알림"}
    result = deliver(
        call(receiver, CALLBACK_PATH, body=body, task_id="t-1"), config=config_for(receiver)
    )
    assert result.status == 200
    [got] = receiver.requests
    assert got.method == "POST"
    assert got.path == CALLBACK_PATH
    assert json.loads(got.body) == body
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"] == result.webhook_id
    assert len(got.headers["webhook-signature"].split(" ")) == len(receiver.secrets)
    lowered = {k.lower(): v for k, v in got.headers.items()}
    Webhook(receiver.secrets[0]).verify(got.body, lowered, json_parse=False)
    Webhook(receiver.secrets[1].encode()).verify(got.body, lowered, json_parse=False)


def test_bearer_token_comes_from_settings_not_the_event(receiver: Receiver) -> None:
    event_headers = {"Authorization": "Bearer from-the-input", "X-Trace": "abc"}
    deliver(call(receiver, CALLBACK_PATH, headers=event_headers), config=config_for(receiver))
    [got] = receiver.requests
    assert got.headers["Authorization"] == f"Bearer {BEARER}"
    assert got.headers["X-Trace"] == "abc"


def test_no_bearer_token_configured_means_no_authorization(receiver: Receiver) -> None:
    event_headers = {"Authorization": "Bearer from-the-input"}
    config = config_for(receiver, target_bearer_token=None)
    deliver(call(receiver, CALLBACK_PATH, headers=event_headers), config=config)
    assert "Authorization" not in receiver.requests[0].headers


def test_webhook_id_identical_across_two_deliveries_of_one_task(receiver: Receiver) -> None:
    config = config_for(receiver)
    first = deliver(call(receiver, CALLBACK_PATH, task_id="t-9"), config=config)
    second = deliver(call(receiver, CALLBACK_PATH, task_id="t-9"), config=config)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [first.webhook_id, second.webhook_id]
    assert ids[0] == ids[1]


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_5xx_and_408_are_retryable(receiver: Receiver, status: int) -> None:
    with pytest.raises(RetryableDeliveryError) as err:
        deliver(call(receiver, f"/status/{status}"), config=config_for(receiver))
    assert err.value.status == status


def test_429_carries_retry_after(receiver: Receiver) -> None:
    with pytest.raises(RetryableDeliveryError) as err:
        deliver(call(receiver, "/status/429?retry_after=7"), config=config_for(receiver))
    assert err.value.status == 429
    assert err.value.retry_after_seconds == 7.0


def test_retry_after_http_date() -> None:
    header = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(header) == pytest.approx(30.0, abs=2.0)
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_timeout_is_retryable(receiver: Receiver) -> None:
    started = time.monotonic()
    with pytest.raises(RetryableDeliveryError) as err:
        deliver(call(receiver, "/slow", timeout_seconds=0.3), config=config_for(receiver))
    assert time.monotonic() - started < 1.8  # the receiver would answer after 2 s
    assert err.value.status is None
    assert "Timeout" in err.value.details["reason"]


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = DeliveryConfig(api_base_url="http://127.0.0.1", signing_secrets=("s",))
    target = ApiCallRequest(target_url=f"http://127.0.0.1:{port}/x")
    with pytest.raises(RetryableDeliveryError) as err:
        deliver(target, config=config)
    assert err.value.status is None


def test_404_is_permanent_with_trimmed_body(receiver: Receiver) -> None:
    with pytest.raises(PermanentDeliveryError) as err:
        deliver(call(receiver, "/nowhere"), config=config_for(receiver))
    assert err.value.status == 404
    assert len(NOT_FOUND_BODY) > MAX_ERROR_BODY_BYTES
    assert err.value.response_body == NOT_FOUND_BODY[:MAX_ERROR_BODY_BYTES].decode()


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
def test_other_4xx_are_permanent(receiver: Receiver, status: int) -> None:
    with pytest.raises(PermanentDeliveryError) as err:
        deliver(call(receiver, f"/status/{status}"), config=config_for(receiver))
    assert err.value.status == status


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    with pytest.raises(PermanentDeliveryError) as err:
        deliver(call(receiver, "/redirect"), config=config_for(receiver))
    assert err.value.status == 302
    assert len(receiver.requests) == 1


def test_host_not_allowed_sends_nothing(receiver: Receiver) -> None:
    config = config_for(receiver, api_base_url="http://api.example.org")
    with pytest.raises(PermanentDeliveryError) as err:
        deliver(call(receiver, CALLBACK_PATH), config=config)
    assert err.value.details["reason"] == "target_not_allowed"
    assert receiver.requests == []


def test_missing_secret_is_retryable_and_sends_nothing(receiver: Receiver) -> None:
    with pytest.raises(RetryableDeliveryError) as err:
        deliver(call(receiver, CALLBACK_PATH), config=config_for(receiver, signing_secrets=()))
    assert err.value.details["reason"] == "configuration_error"
    assert receiver.requests == []


def test_get_sends_no_body_and_injected_pool_is_used(receiver: Receiver) -> None:
    pool = urllib3.PoolManager()
    result = deliver(
        call(receiver, "/status/204?size=0", method="GET"), config=config_for(receiver), http=pool
    )
    assert result.status == 204
    [got] = receiver.requests
    assert got.method == "GET"
    assert got.body == b""
    assert len(pool.pools) == 1


def test_credentials_never_reach_the_logs(receiver: Receiver, captured_logs: list[str]) -> None:
    secret_header_value = "api-key-value-789"
    event_headers = {"X-Api-Key": secret_header_value, "Cookie": "session=abc123"}
    url_secret = "query-token-321"
    config = config_for(receiver)
    deliver(call(receiver, CALLBACK_PATH, headers=event_headers, task_id="t-log"), config=config)
    with pytest.raises(PermanentDeliveryError):
        deliver(call(receiver, f"/nowhere?token={url_secret}", task_id="t-log"), config=config)
    text = "\n".join(captured_logs)
    assert captured_logs, "the delivery logger wrote nothing"
    received = receiver.requests[0].headers
    for leaked in (
        BEARER,
        secret_header_value,
        "abc123",
        url_secret,
        received["webhook-signature"].split(" ")[0][3:],
        *receiver.secrets,
    ):
        assert leaked not in text
    records = [json.loads(line) for line in captured_logs]
    assert {r["correlation_id"] for r in records} == {"t-log"}
    assert any(r["message"] == "delivered" and r["status"] == 200 for r in records)
