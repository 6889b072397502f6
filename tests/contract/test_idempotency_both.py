"""Stripe-style idempotency through the API, the same on both backends."""

from __future__ import annotations

import time

import pytest

from tests.contract.conftest import Backends

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("kind", ["delay", "cron"])
def test_same_token_same_request_is_200_different_is_409_on_both_backends(
    backends: Backends, kind: str
) -> None:
    when = (
        {"delay_seconds": 600}
        if kind == "delay"
        else {"schedule_expression": "rate(5 minutes)", "timezone": "Asia/Seoul"}
    )
    answers: dict[str, list[tuple[int, str]]] = {}
    for name, client in (("eventbridge", backends.eventbridge), ("local", backends.local)):
        request = {**when, "client_token": f"idem-{kind}", "body": {"n": 1}}
        first = client.post("/api/v1/tasks", json=request)
        time.sleep(1.1)  # a delay computes a new at(); the request as sent is the same
        again = client.post("/api/v1/tasks", json=request)
        other = client.post("/api/v1/tasks", json={**request, "body": {"n": 2}})
        task_id = first.json()["task_id"]
        assert again.json()["task_id"] == task_id
        assert again.json()["webhook_id"] == first.json()["webhook_id"]
        answers[name] = [
            (first.status_code, ""),
            (again.status_code, ""),
            (other.status_code, other.text.replace(task_id, "<id>")),
        ]
    assert answers["eventbridge"] == answers["local"]
    assert [status for status, _ in answers["local"]] == [201, 200, 409]
