"""The engine's asyncio transport and API_CALL_LAMBDA's ``deliver`` classify every answer alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from local.backend.delivery import AsyncDelivery, ThreadedSender, as_sender
from shared.delivery.config import DeliveryConfig
from shared.delivery.core import deliver
from shared.delivery.event import ApiCallRequest
from shared.exceptions import PermanentDeliveryError, RetryableDeliveryError
from tests.local.conftest import SECRET
from tests.local.receiver import Receiver
from tests.local.server import free_port

pytestmark = pytest.mark.timeout(120)
CONFIG = DeliveryConfig(allowed_target_hosts=("127.0.0.1",), signing_secrets=(SECRET,))
POOL = urllib3.PoolManager(retries=False)


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def outcome_of(send: object) -> tuple[object, ...]:
    try:
        result = send() if callable(send) else None
    except RetryableDeliveryError as exc:
        return ("retryable", exc.status, exc.retry_after_seconds, exc.code)
    except PermanentDeliveryError as exc:
        return ("permanent", exc.status, exc.response_body, exc.details.get("reason"))
    assert result is not None
    return ("delivered", result.status, result.webhook_id, result.response_body)


async def send_async(call: ApiCallRequest) -> object:
    delivery = AsyncDelivery(CONFIG)
    await delivery.open()
    try:
        return await delivery.send(call)
    finally:
        await delivery.close()


def both(call: ApiCallRequest) -> tuple[tuple[object, ...], tuple[object, ...]]:
    sync = outcome_of(lambda: deliver(call, config=CONFIG, http=POOL))
    on_loop = outcome_of(lambda: asyncio.run(send_async(call)))
    return sync, on_loop


FIXTURES_OK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES_OK)
@given(status=st.integers(200, 599), retry_after=st.sampled_from([None, "0", "7", "bogus"]))
def test_every_status_is_classified_alike(
    shared_receiver: Receiver, status: int, retry_after: str | None
) -> None:
    if status in (204, 304) or 100 <= status < 200:
        status = 200  # no body allowed: the receiver's scripted reply would be invalid
    shared_receiver.retry_after = retry_after
    shared_receiver.answer("/s", status, status)  # one answer for each transport
    call = ApiCallRequest(target_url=shared_receiver.url("/s"), body={"n": 1}, task_id="t-1")
    sync, on_loop = both(call)
    assert sync == on_loop
    expected = "delivered" if status < 300 else "permanent"
    if status in (408, 429) or status >= 500:
        expected = "retryable"
    assert sync[0] == expected


def test_not_allowed_and_unreachable_targets_are_classified_alike() -> None:
    refused = ApiCallRequest(target_url=f"http://127.0.0.1:{free_port()}/x")
    sync, on_loop = both(refused)
    assert sync[0] == on_loop[0] == "retryable"
    elsewhere = ApiCallRequest(target_url="http://example.invalid/x")
    assert both(elsewhere) == (
        ("permanent", None, "", "target_not_allowed"),
        ("permanent", None, "", "target_not_allowed"),
    )


def test_the_async_call_is_signed_as_the_core_signs(shared_receiver: Receiver) -> None:
    shared_receiver.received.clear()
    url = shared_receiver.url("/signed")
    call = ApiCallRequest(target_url=url, body={"a": [1, 2]}, task_id="t")
    asyncio.run(send_async(call))
    deliver(call, config=CONFIG, http=POOL)
    on_loop, sync = shared_receiver.arrivals("/signed")
    for got in (on_loop, sync):
        assert Webhook(SECRET).verify(got.body, got.headers) == {"a": [1, 2]}
    assert on_loop.body == sync.body
    assert on_loop.headers["webhook-id"] == sync.headers["webhook-id"]
    assert on_loop.headers["Content-Type"] == sync.headers["Content-Type"]


def test_a_plain_function_is_run_on_threads() -> None:
    calls: list[str] = []
    sender = as_sender(lambda call: calls.append(call.target_url))
    assert isinstance(sender, ThreadedSender)

    async def twice() -> None:
        await sender.open()
        await sender.send(ApiCallRequest(target_url="http://127.0.0.1/a"))
        await sender.send(ApiCallRequest(target_url="http://127.0.0.1/b"))
        await sender.close()

    asyncio.run(twice())
    assert calls == ["http://127.0.0.1/a", "http://127.0.0.1/b"]
    delivery = AsyncDelivery(CONFIG)
    assert as_sender(delivery) is delivery
