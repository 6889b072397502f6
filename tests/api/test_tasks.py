"""The tasks resource against moto: what is created, read back, listed and cancelled."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import API_BASE_URL, SIGNING_SECRET, TOKEN, schedules

CALLBACK = f"{API_BASE_URL}/api/v1/tasks/callback"


def test_quick_start_schedules_a_signed_call_to_the_callback_route(
    client: TestClient, aws: Any
) -> None:
    before = datetime.now(UTC)
    response = client.post(
        "/api/v1/tasks/schedule", json={"delay_minutes": 30, "data": {"payment_id": 12345}}
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["success"] is True
    assert answer["scheduled_in_minutes"] == 30
    run_at = datetime.fromisoformat(answer["run_at"])
    assert before + timedelta(minutes=30) <= run_at <= datetime.now(UTC) + timedelta(minutes=31)
    [stored] = schedules(aws)
    assert stored["Name"] == answer["task_id"]
    assert stored["Arn"] == answer["schedule_arn"]
    event = json.loads(stored["Target"]["Input"])
    assert event["target_url"] == CALLBACK
    assert event["body"] == {"data": {"payment_id": 12345}}
    assert event["task_id"] == answer["task_id"]


def test_create_with_delay_run_at_and_expression(client: TestClient, aws: Any) -> None:
    run_at = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    bodies = [
        {"delay_seconds": 90, "body": {"n": 1}},
        {"run_at": run_at.isoformat(), "timezone": "Asia/Seoul"},
        {"run_at": "2030-01-01T09:00:00", "timezone": "Asia/Seoul"},
        {"schedule_expression": "cron(0 9 ? * MON-FRI *)", "timezone": "Asia/Seoul"},
        {"schedule_expression": "rate(5 minutes)"},
    ]
    created = []
    for body in bodies:
        response = client.post("/api/v1/tasks", json=body)
        assert response.status_code == 201, (body, response.text)
        created.append(response.json())
    by_id = {s["Name"]: s for s in schedules(aws)}
    assert set(by_id) == {task["task_id"] for task in created}
    naive_local = by_id[created[2]["task_id"]]
    assert naive_local["ScheduleExpression"] == "at(2030-01-01T09:00:00)"
    assert naive_local["ScheduleExpressionTimezone"] == "Asia/Seoul"
    weekday = by_id[created[3]["task_id"]]
    assert weekday["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    assert created[3]["kind"] == "recurring"
    assert created[0]["kind"] == "one_time"


def test_get_list_and_cancel(client: TestClient, aws: Any) -> None:
    ids = [
        client.post("/api/v1/tasks", json={"delay_seconds": 600, "name_prefix": prefix}).json()[
            "task_id"
        ]
        for prefix in ("mail", "mail", "mail", "cleanup")
    ]
    got = client.get(f"/api/v1/tasks/{ids[0]}")
    assert got.status_code == 200
    assert got.json()["target_url"] == CALLBACK

    seen: list[str] = []
    token = None
    for _ in range(10):
        params: dict[str, Any] = {"prefix": "mail", "limit": 2}
        if token:
            params["next_token"] = token
        page = client.get("/api/v1/tasks", params=params).json()
        assert page["count"] == len(page["data"]) <= 2
        seen += [task["task_id"] for task in page["data"]]
        token = page["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(ids[:3])

    assert client.delete(f"/api/v1/tasks/{ids[0]}").status_code == 204
    missing = client.get(f"/api/v1/tasks/{ids[0]}")
    assert missing.status_code == 404
    assert missing.json()["code"] == "task_not_found"
    again = client.delete(f"/api/v1/tasks/{ids[0]}")
    assert again.status_code == 404
    assert again.json() == {"message": again.json()["message"], "code": "task_not_found"}


def test_no_secret_reaches_the_schedule_input(client: TestClient, aws: Any) -> None:
    client.post("/api/v1/tasks/schedule", json={"delay_minutes": 5, "data": {}})
    client.post("/api/v1/tasks", json={"schedule_expression": "rate(1 hour)"})
    for stored in schedules(aws):
        text = json.dumps(stored["Target"])
        assert TOKEN not in text
        assert SIGNING_SECRET.removeprefix("whsec_") not in text
        assert "authorization" not in text.lower()


def test_public_view_does_not_echo_request_headers(client: TestClient, aws: Any) -> None:
    created = client.post(
        "/api/v1/tasks",
        json={"delay_seconds": 60, "headers": {"X-Trace": "abc"}, "target_url": CALLBACK},
    ).json()
    shown = client.get(f"/api/v1/tasks/{created['task_id']}").json()
    assert "headers" not in shown
    assert shown["method"] == "POST"


def test_retried_create_with_the_same_client_token_makes_no_twin(
    client: TestClient, aws: Any
) -> None:
    body = {"delay_seconds": 600, "client_token": "order-42-reminder"}
    first = client.post("/api/v1/tasks", json=body)
    assert first.status_code == 201
    time.sleep(1.1)  # the computed at() moves on; the request as sent does not
    second = client.post("/api/v1/tasks", json=body)
    assert second.status_code == 200, second.text
    # created_at: our clock in the create answer, Scheduler's CreationDate when read back
    same = {key: value for key, value in first.json().items() if key != "created_at"}
    assert {k: v for k, v in second.json().items() if k != "created_at"} == same
    other = client.post("/api/v1/tasks", json=body | {"body": {"different": True}})
    assert other.status_code == 409
    assert other.json() == {
        "message": "client_token 'order-42-reminder' was already used for a different "
        f"request (task {first.json()['task_id']!r})",
        "code": "task_conflict",
    }
    assert [s["Name"] for s in schedules(aws)] == [first.json()["task_id"]]
