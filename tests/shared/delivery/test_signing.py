"""Standard Webhooks signing: every secret signs, any secret verifies, bad requests fail."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from shared.delivery.event import ApiCallRequest
from shared.delivery.signing import secret_key, sign_headers, verify_signature, webhook_id_for
from shared.exceptions import AuthenticationError, ConfigurationError

PAYLOAD = b'{"order_id":"o-1","amount":1200}'


def test_one_signature_per_secret_each_verifiable_by_the_library(
    signing_secrets: tuple[str, str],
) -> None:
    headers = sign_headers("msg_1", PAYLOAD, signing_secrets)
    assert headers["webhook-id"] == "msg_1"
    assert len(headers["webhook-signature"].split(" ")) == 2
    # the whsec_ secret is understood by the reference library as is
    Webhook(signing_secrets[0]).verify(PAYLOAD, headers, json_parse=False)
    # a non-whsec secret is keyed by its UTF-8 bytes
    Webhook(signing_secrets[1].encode()).verify(PAYLOAD, headers, json_parse=False)


@pytest.mark.parametrize("index", [0, 1])
def test_any_configured_secret_verifies(signing_secrets: tuple[str, str], index: int) -> None:
    headers = sign_headers("msg_1", PAYLOAD, signing_secrets)
    verify_signature(PAYLOAD, headers, [signing_secrets[index]])


def test_rotation_old_signer_new_verifier(signing_secrets: tuple[str, str]) -> None:
    old, new = signing_secrets[1], signing_secrets[0]
    headers = sign_headers("msg_1", PAYLOAD, [old])
    verify_signature(PAYLOAD, headers, [new, old])
    with pytest.raises(AuthenticationError):
        verify_signature(PAYLOAD, headers, [new])


def test_headers_are_case_insensitive(signing_secrets: tuple[str, str]) -> None:
    headers = {k.title(): v for k, v in sign_headers("m", PAYLOAD, signing_secrets).items()}
    verify_signature(PAYLOAD, headers, signing_secrets)


def test_tampered_body_is_rejected(signing_secrets: tuple[str, str]) -> None:
    headers = sign_headers("msg_1", PAYLOAD, signing_secrets)
    with pytest.raises(AuthenticationError):
        verify_signature(PAYLOAD.replace(b"1200", b"9999"), headers, signing_secrets)


def test_tampered_id_is_rejected(signing_secrets: tuple[str, str]) -> None:
    headers = sign_headers("msg_1", PAYLOAD, signing_secrets)
    headers["webhook-id"] = "msg_2"
    with pytest.raises(AuthenticationError):
        verify_signature(PAYLOAD, headers, signing_secrets)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_timestamp_outside_five_minutes_is_rejected(
    signing_secrets: tuple[str, str], offset: timedelta
) -> None:
    headers = sign_headers("m", PAYLOAD, signing_secrets, datetime.now(UTC) + offset)
    with pytest.raises(AuthenticationError, match="timestamp"):
        verify_signature(PAYLOAD, headers, signing_secrets)


def test_timestamp_within_tolerance_is_accepted(signing_secrets: tuple[str, str]) -> None:
    when = datetime.now(UTC) - timedelta(minutes=4)
    verify_signature(PAYLOAD, sign_headers("m", PAYLOAD, signing_secrets, when), signing_secrets)


def test_unknown_key_is_rejected(signing_secrets: tuple[str, str]) -> None:
    headers = sign_headers("m", PAYLOAD, signing_secrets)
    stranger = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with pytest.raises(AuthenticationError, match=r"(?i)no matching signature"):
        verify_signature(PAYLOAD, headers, [stranger])


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_rejected(signing_secrets: tuple[str, str], missing: str) -> None:
    headers = sign_headers("m", PAYLOAD, signing_secrets)
    del headers[missing]
    with pytest.raises(AuthenticationError, match="missing"):
        verify_signature(PAYLOAD, headers, signing_secrets)


@pytest.mark.parametrize("signature", ["garbage", "v1,@@not-base64@@", "v1"])
def test_malformed_signature_is_rejected(signing_secrets: tuple[str, str], signature: str) -> None:
    headers = sign_headers("m", PAYLOAD, signing_secrets)
    headers["webhook-signature"] = signature
    with pytest.raises(AuthenticationError):
        verify_signature(PAYLOAD, headers, signing_secrets)


def test_no_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        sign_headers("m", PAYLOAD, [])
    with pytest.raises(ConfigurationError):
        verify_signature(PAYLOAD, {"webhook-id": "m"}, [])


def test_secret_key_formats() -> None:
    raw = secrets.token_bytes(24)
    assert secret_key("whsec_" + base64.b64encode(raw).decode()) == raw
    assert secret_key("whsec_" + base64.b64encode(raw).decode().rstrip("=")) == raw
    assert secret_key("p@ss word") == b"p@ss word"
    with pytest.raises(ConfigurationError) as err:
        secret_key("whsec_not*base64")
    assert "not*base64" not in str(err.value)


def test_webhook_id_is_stable_per_task_and_per_tick() -> None:
    one = ApiCallRequest(target_url="http://a/x", task_id="t-1", body={"n": 1})
    again = ApiCallRequest(target_url="http://a/x", task_id="t-1", body={"n": 2})
    assert webhook_id_for(one) == webhook_id_for(again)
    assert webhook_id_for(one) != webhook_id_for(
        ApiCallRequest(target_url="http://a/x", task_id="t-2")
    )
    tick1 = ApiCallRequest("http://a/x", task_id="t-1", scheduled_time="2026-01-05T00:00:00Z")
    tick2 = ApiCallRequest("http://a/x", task_id="t-1", scheduled_time="2026-01-06T00:00:00Z")
    assert webhook_id_for(tick1) != webhook_id_for(tick2)
    assert webhook_id_for(tick1) == webhook_id_for(
        ApiCallRequest("http://a/x", task_id="t-1", scheduled_time="2026-01-05T00:00:00Z")
    )


def test_webhook_id_without_task_id_derives_from_the_event() -> None:
    event = {"target_url": "http://a/x", "body": {"b": 1, "a": 2}}
    first = webhook_id_for(ApiCallRequest.from_event(event))
    reordered = {"body": {"a": 2, "b": 1}, "target_url": "http://a/x"}
    assert webhook_id_for(ApiCallRequest.from_event(reordered)) == first
    other = {"target_url": "http://a/x", "body": {"b": 1, "a": 3}}
    assert webhook_id_for(ApiCallRequest.from_event(other)) != first
    assert first.startswith("msg_")
    assert len(first) == 36
