"""One URL parser (urllib3's, the one that sends): ambiguous URLs are refused before any traffic."""

from __future__ import annotations

import base64

import pytest

from shared.delivery.allowlist import host_allowed, parse_entry
from shared.delivery.config import DeliveryConfig
from shared.delivery.core import deliver
from shared.delivery.event import ApiCallRequest
from shared.delivery.urls import parse_target_url
from shared.exceptions import InvalidRequestError, PermanentDeliveryError
from tests.shared.delivery.receiver import CALLBACK_PATH, running_receiver

pytestmark = pytest.mark.timeout(30)
SECRET = "whsec_" + base64.b64encode(b"u" * 32).decode()

AMBIGUOUS = [
    "http://127.0.0.1:9\\@hooks.partner.io/x",  # urlsplit: hooks.partner.io; urllib3: 127.0.0.1
    "http://hooks.partner.io\\@127.0.0.1/x",
    "http://user:pw@hooks.partner.io/x",
    "http://@hooks.partner.io/x",
    "http://127.0.0.1@hooks.partner.io/x",
    "http://hooks.partner.io /x",
    "http://hooks.partner.io/x y",
    "http://hooks.partner.io/x\ty",
    "http://hooks.partner.io/x\r\nHost: evil",
    "http://hooks.partner.io/\x00",
    "http://hooks.partner.io/\x7f",
    " http://hooks.partner.io/x",
    "http://hooks.partner.io:0/x",
    "http:/hooks.partner.io/x",
    "//hooks.partner.io/x",
    "ftp://hooks.partner.io/x",
]


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_ambiguous_or_unsendable_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="target_url"):
        parse_target_url(url)
    with pytest.raises(InvalidRequestError):
        ApiCallRequest.from_event({"target_url": url})
    assert not host_allowed(url, api_base_url=None, allowed_target_hosts=["hooks.partner.io"])


@pytest.mark.parametrize(
    ("url", "normalised", "host", "port"),
    [
        (
            "HTTPS://Hooks.Partner.IO/a?b=1",
            "https://hooks.partner.io/a?b=1",
            "hooks.partner.io",
            443,
        ),
        ("http://hooks.partner.io./x", "http://hooks.partner.io./x", "hooks.partner.io", 80),
        ("http://[::1]:8080/x", "http://[::1]:8080/x", "::1", 8080),
        (
            "https://bücher.example/x",
            "https://xn--bcher-kva.example/x",
            "xn--bcher-kva.example",
            443,
        ),
        ("http://h.io/a@b?c@d", "http://h.io/a@b?c@d", "h.io", 80),
    ],
)
def test_urls_are_normalised_once_by_urllib3(
    url: str, normalised: str, host: str, port: int
) -> None:
    parsed = parse_target_url(url)
    assert (parsed.url, parsed.host, parsed.port) == (normalised, host, port)
    assert ApiCallRequest.from_event({"target_url": url}).target_url == normalised


def test_backslash_userinfo_trick_reaches_nobody_and_carries_no_token() -> None:
    with running_receiver((SECRET,)) as local:
        config = DeliveryConfig(
            allowed_target_hosts=("hooks.partner.io",),
            signing_secrets=(SECRET,),
            target_bearer_token="partner-only-token",
        )
        url = f"http://127.0.0.1:{local.port}\\@hooks.partner.io/x"
        # a call made in code (not parsed from an event) is checked by deliver itself
        with pytest.raises(PermanentDeliveryError) as info:
            deliver(ApiCallRequest(target_url=url), config=config)
        assert info.value.details["reason"] == "invalid_request"
        with pytest.raises(PermanentDeliveryError):
            deliver(ApiCallRequest(target_url=url.replace("\\", "%5C")), config=config)
        assert local.requests == []


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("hooks.io", ("hooks.io", None)),
        ("Hooks.IO:8443", ("hooks.io", 8443)),
        ("*.hooks.io:443", ("*.hooks.io", 443)),
        ("[::1]:8080", ("::1", 8080)),
        ("[::1]", ("::1", None)),
    ],
)
def test_allow_list_entries_may_name_a_port(entry: str, expected: tuple[str, int | None]) -> None:
    assert parse_entry(entry) == expected


def test_an_entry_with_a_port_allows_only_that_port() -> None:
    entries = ["hooks.io:8443", "*.partner.io:443", "any.io"]
    allowed = [
        "https://hooks.io:8443/x",
        "https://a.partner.io/x",
        "http://a.partner.io:443/x",
        "http://any.io:1234/x",
    ]
    refused = ["https://hooks.io/x", "http://hooks.io:8080/x", "http://a.partner.io/x"]
    for url in allowed:
        assert host_allowed(url, api_base_url=None, allowed_target_hosts=entries), url
    for url in refused:
        assert not host_allowed(url, api_base_url=None, allowed_target_hosts=entries), url


def test_a_port_entry_is_enforced_before_any_traffic() -> None:
    with running_receiver((SECRET,)) as local:
        config = DeliveryConfig(allowed_target_hosts=("127.0.0.1:1",), signing_secrets=(SECRET,))
        with pytest.raises(PermanentDeliveryError) as info:
            deliver(ApiCallRequest(target_url=local.url("/x")), config=config)
        assert info.value.details["reason"] == "target_not_allowed"
        assert local.requests == []
        open_config = DeliveryConfig(
            allowed_target_hosts=(f"127.0.0.1:{local.port}",), signing_secrets=(SECRET,)
        )
        deliver(ApiCallRequest(target_url=local.url(CALLBACK_PATH)), config=open_config)
        assert len(local.requests) == 1
