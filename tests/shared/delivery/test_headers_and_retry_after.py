"""Unsendable headers are permanent before any traffic; Retry-After is read by urllib3, bounded."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared.delivery.config import DeliveryConfig
from shared.delivery.core import MAX_RETRY_AFTER_SECONDS, deliver, retry_after_seconds
from shared.delivery.event import ApiCallRequest
from shared.delivery.headers import check_headers
from shared.exceptions import InvalidRequestError, PermanentDeliveryError
from tests.shared.delivery.receiver import CALLBACK_PATH, running_receiver

pytestmark = pytest.mark.timeout(30)
SECRET = "whsec_" + base64.b64encode(b"h" * 32).decode()

BAD_HEADERS = [
    {"X-Split": "a\r\nInjected: 1"},
    {"X-Lf": "a\nb"},
    {"X-Nul": "a\x00b"},
    {"X-Korean": "안녕"},
    {"X-Surrogate": "\ud800"},
    {"Bad Name": "v"},
    {"X:Colon": "v"},
    {"": "v"},
    {"X-Ctl": "a\x01b"},
]


@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_unsendable_headers_are_permanent_and_nothing_is_sent(headers: dict[str, str]) -> None:
    with running_receiver((SECRET,)) as local:
        config = DeliveryConfig(api_base_url=local.base_url, signing_secrets=(SECRET,))
        with pytest.raises(InvalidRequestError):
            ApiCallRequest.from_event({"target_url": local.url(CALLBACK_PATH), "headers": headers})
        call = ApiCallRequest(target_url=local.url(CALLBACK_PATH), headers=headers)
        with pytest.raises(PermanentDeliveryError) as info:
            deliver(call, config=config)
        assert info.value.details["reason"] == "invalid_request"
        assert local.requests == []


def test_visible_ascii_and_obs_text_values_are_sent_as_given() -> None:
    headers = {"X-Trace": "a b\tc", "X-Latin": "caf\u00e9", "X-Tok_en.1~": "!#$%&'*+-.^_`|~"}
    assert check_headers(headers, creating=True) == headers
    with running_receiver((SECRET,)) as local:
        config = DeliveryConfig(api_base_url=local.base_url, signing_secrets=(SECRET,))
        deliver(ApiCallRequest(target_url=local.url(CALLBACK_PATH), headers=headers), config=config)
        [got] = local.requests
        assert got.headers["X-Trace"] == "a b\tc"
        assert got.headers["webhook-signature"]  # a bad name no longer drops the signature


@pytest.mark.parametrize(
    "name", ["Authorization", "authorization", "Host", "Content-Length", "webhook-id"]
)
def test_headers_the_scheduler_sets_are_refused_when_a_task_is_made(name: str) -> None:
    with pytest.raises(InvalidRequestError, match="set by the scheduler"):
        check_headers({name: "x"}, creating=True)
    assert check_headers({name: "x"}) == {name: "x"}  # an old event: ignored when sent


def test_names_differing_only_in_case_are_refused_when_a_task_is_made() -> None:
    with pytest.raises(InvalidRequestError, match="twice"):
        check_headers({"X-A": "1", "x-a": "2"}, creating=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        ("3600", MAX_RETRY_AFTER_SECONDS),
        ("1000000000", MAX_RETRY_AFTER_SECONDS),
        ("99999999999999999999999999", MAX_RETRY_AFTER_SECONDS),
        ("inf", None),
        ("Infinity", None),
        ("nan", None),
        ("1e9", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_by_urllib3_and_bounded(
    value: str | None, expected: float | None
) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_dates_are_bounded_too() -> None:
    now = datetime.now(UTC)
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True)) == 0.0
    far = format_datetime(now + timedelta(days=400), usegmt=True)
    assert retry_after_seconds(far) == MAX_RETRY_AFTER_SECONDS
    assert MAX_RETRY_AFTER_SECONDS == 300.0


def test_at_most_50_headers() -> None:
    fifty = {f"X-H{i}": "v" for i in range(50)}
    assert check_headers(fifty) == fifty
    with pytest.raises(InvalidRequestError, match="at most 50"):
        check_headers({**fifty, "X-One-More": "v"})
