"""The callback route accepts only Standard Webhooks signatures from a configured secret."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from tests.api.conftest import ROTATED_SECRET, SIGNING_SECRET

PATH = "/api/v1/tasks/callback"
BODY = json.dumps({"data": {"payment_id": 12345}}).encode()


def signed_headers(secret: str, body: bytes, *, at: datetime | None = None) -> dict[str, str]:
    timestamp = at or datetime.now(UTC)
    signature = Webhook(secret).sign("msg_task-1", timestamp, body.decode())
    return {
        "webhook-id": "msg_task-1",
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize("secret", [SIGNING_SECRET, ROTATED_SECRET])
def test_signed_by_any_configured_secret_is_accepted(anonymous: TestClient, secret: str) -> None:
    response = anonymous.post(PATH, content=BODY, headers=signed_headers(secret, BODY))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "message": "Task processed successfully",
        "webhook_id": "msg_task-1",
        "duplicate": False,
    }


def test_tampered_body_is_refused(anonymous: TestClient) -> None:
    headers = signed_headers(SIGNING_SECRET, BODY)
    tampered = BODY.replace(b"12345", b"99999")
    response = anonymous.post(PATH, content=tampered, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_timestamp_outside_five_minutes_is_refused(anonymous: TestClient, skew: timedelta) -> None:
    headers = signed_headers(SIGNING_SECRET, BODY, at=datetime.now(UTC) + skew)
    response = anonymous.post(PATH, content=BODY, headers=headers)
    assert response.status_code == 401


def test_unknown_key_is_refused(anonymous: TestClient) -> None:
    stranger = "whsec_" + base64.b64encode(b"s" * 32).decode()
    response = anonymous.post(PATH, content=BODY, headers=signed_headers(stranger, BODY))
    assert response.status_code == 401


def test_missing_signature_headers_are_refused(anonymous: TestClient) -> None:
    response = anonymous.post(PATH, content=BODY, headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_signed_but_not_a_callback_body_is_a_400(anonymous: TestClient) -> None:
    body = json.dumps({"data": "not-an-object"}).encode()
    response = anonymous.post(PATH, content=body, headers=signed_headers(SIGNING_SECRET, body))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_a_replayed_delivery_is_acknowledged_but_processed_once(
    anonymous: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = signed_headers(SIGNING_SECRET, BODY)
    answers = [anonymous.post(PATH, content=BODY, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert answers[1].json()["message"] == "Duplicate delivery ignored"
    processed = [r for r in caplog.records if r.getMessage() == "task callback received"]
    assert len(processed) == 1


def test_replay_memory_covers_the_tolerance_window_and_is_bounded() -> None:
    from api_app.replays import REMEMBER_SECONDS, ReplayGuard

    now = [1000.0]
    guard = ReplayGuard(max_entries=3, clock=lambda: now[0])
    assert REMEMBER_SECONDS == 600  # timestamps are accepted 5 minutes either way
    assert guard.first_time("a")
    assert not guard.first_time("a")
    now[0] += 599.0
    assert not guard.first_time("a")
    now[0] += 1.0
    assert guard.first_time("a")  # outside the window the signature check refuses it anyway
    for name in ("b", "c", "d"):
        assert guard.first_time(name)
    assert guard.first_time("a")  # the oldest was dropped to stay within 3 entries
